// A small, fast, seeded PRNG for the simulated exchange: sfc32 (Chris Doty-Humphrey's
// "small fast chaotic" generator, public domain), 128 bits of state in a typed array so
// the hot path never boxes a number. Same seed, same sequence, on every platform.
import { TickwireError } from "../../errors.js";
import { describe } from "../../validate.js";

const TWO_NEG_32 = 1 / 4294967296;

/** splitmix32's finaliser: a well-mixed 32-bit hash of a 32-bit value (seeding, per-instrument streams). */
export function mix32(x: number): number {
  x = (x + 0x9e3779b9) | 0;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

/** FNV-1a of a string's UTF-16 code units, mixed: a stable 32-bit hash for names. */
export function hashString(s: string, seed = 0): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return mix32(h);
}

/** Checks a seed: any integer from 0 to 2^32 - 1 (a TickwireError ARGUMENT otherwise). */
export function checkSeed(seed: unknown, what: string): number {
  if (typeof seed !== "number" || !Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new TickwireError("ARGUMENT", `${what} must be an integer from 0 to 2^32 - 1, got ${describe(seed)}`);
  }
  return seed;
}

/** A seeded sfc32 generator. Not cryptographic. */
export class Prng {
  private readonly s = new Int32Array(4);

  /** @param seed - an integer from 0 to 2^32 - 1 */
  constructor(seed: number) {
    checkSeed(seed, "Prng: seed");
    const s = this.s;
    s[0] = mix32(seed);
    s[1] = mix32(seed ^ 0x6a09e667);
    s[2] = mix32(seed ^ 0xbb67ae85);
    s[3] = 1;
    for (let i = 0; i < 12; i++) this.next(); // sfc32's recommended warm-up
  }

  /** The next 32 random bits as an unsigned integer. */
  next(): number {
    const s = this.s;
    const a = s[0]!;
    const b = s[1]!;
    const c = s[2]!;
    const d = s[3]!;
    const t = (((a + b) | 0) + d) | 0;
    s[3] = (d + 1) | 0;
    s[0] = b ^ (b >>> 9);
    s[1] = (c + (c << 3)) | 0;
    s[2] = (((c << 21) | (c >>> 11)) + t) | 0;
    return t >>> 0;
  }

  /** A double in [0, 1). */
  float(): number {
    return this.next() * TWO_NEG_32;
  }

  /** An integer in [0, n) for 1 ≤ n ≤ 2^32 (multiply-shift: no modulo bias worth noticing here). */
  below(n: number): number {
    return Math.floor(this.next() * TWO_NEG_32 * n);
  }

  /** An integer in [lo, hi] (inclusive). */
  range(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * TWO_NEG_32 * (hi - lo + 1));
  }

  /** The state, to save and restore a stream. */
  state(): [number, number, number, number] {
    return [this.s[0]!, this.s[1]!, this.s[2]!, this.s[3]!];
  }
}
