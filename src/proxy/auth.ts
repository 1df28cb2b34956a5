// API keys: kept only as SHA-256 digests, compared in constant time against every key, so
// neither the keys nor which one matched leak through memory dumps, logs or timing.
import { createHash, timingSafeEqual } from "node:crypto";
import { TickwireError } from "../errors.js";

const HEX_DIGEST = /^[0-9a-f]{64}$/;

/** The SHA-256 of an API key, hex: what config may hold instead of the key. */
export function hashApiKey(key: string): string {
  // A lone surrogate would be hashed as U+FFFD: two different keys, one digest. The key is never shown.
  if (typeof key !== "string" || !key.isWellFormed()) throw new TickwireError("ARGUMENT", `hashApiKey: the key must be a string of well-formed UTF-16, got ${typeof key === "string" ? "a string with a lone surrogate" : typeof key}`);
  return createHash("sha256").update(key, "utf8").digest("hex");
}

/** Checks key lists (`<field>.apiKeys`: 8 to 256 characters each; `<field>.apiKeyHashes`: hex SHA-256), never quoting a key. */
export function checkApiKeys(keys: unknown, hashes: unknown, field: string): void {
  if (!Array.isArray(keys) || keys.some((k) => typeof k !== "string" || k.length < 8 || k.length > 256 || !k.isWellFormed())) {
    throw new TickwireError("ARGUMENT", `${field}.apiKeys must be an array of strings of 8 to 256 characters (values not shown)`);
  }
  if (!Array.isArray(hashes) || hashes.some((h) => typeof h !== "string" || !HEX_DIGEST.test(h))) {
    throw new TickwireError("ARGUMENT", `${field}.apiKeyHashes must be an array of lowercase hex SHA-256 digests (64 characters)`);
  }
}

/** A set of accepted API keys, held hashed. */
export class ApiKeys {
  private readonly digests: Buffer[];

  /** `keys` in plain (hashed here, then forgotten) and `hashes` as hex SHA-256. */
  constructor(keys: readonly string[] = [], hashes: readonly string[] = []) {
    checkApiKeys(keys, hashes, "proxy");
    this.digests = [...keys.map(hashApiKey), ...hashes].map((h) => Buffer.from(h, "hex"));
  }

  get size(): number {
    return this.digests.length;
  }

  /** Whether `key` is one of the keys; takes the same time whichever matched, if any. */
  accepts(key: unknown): boolean {
    // (A lone surrogate would be hashed as U+FFFD, matching a key that has one there.)
    if (typeof key !== "string" || key.length === 0 || key.length > 256 || !key.isWellFormed()) return false;
    const digest = createHash("sha256").update(key, "utf8").digest();
    let ok = 0;
    for (const d of this.digests) ok |= timingSafeEqual(d, digest) ? 1 : 0;
    return ok === 1;
  }
}
