// Symbol keys at the JS/Wasm boundary: (exchange name, symbol string) → exchange
// code + UTF-8 bytes in a scratch area of shared memory, and the key's hash32.

import * as L from "../format/layout.js";
import { TickwireError, errorFromStatus } from "../errors.js";
import { exchangeCode } from "../format/exchange.js";
import type { TickwireMemory } from "../memory/shared-memory.js";
import { isCleanName } from "../format/text.js";
import { describe } from "../validate.js";

const encoder = new TextEncoder();

/** Bytes a key scratch area needs: the longest name as UTF-16 could encode to (4 bytes a char, capped). */
export const KEY_SCRATCH_BYTES = L.SYMBOL_MAX_BYTES * 4;

/** A per-thread area of shared memory where keys are written for the core: its offset and a view of it. */
export interface KeyScratch {
  readonly offset: number;
  readonly bytes: Uint8Array;
}

/** Allocates a key scratch area in `mem` (keep one per object: building the view costs more than the encoding). */
export function keyScratch(mem: TickwireMemory): KeyScratch {
  const offset = mem.reserve(KEY_SCRATCH_BYTES, 8);
  return { offset, bytes: mem.u8.subarray(offset, offset + KEY_SCRATCH_BYTES) };
}

/**
 * Writes the UTF-8 of `symbol` to `scratch` and returns [exchange code, byte
 * length]. Throws EXCHANGE or SYMBOL errors for keys that cannot be valid. With
 * `check`, also asks the core to check the bytes (control characters, quote,
 * backslash); leave it off when the export the key goes to checks them itself.
 */
export function writeKey(mem: TickwireMemory, scratch: KeyScratch, exchange: string, symbol: string, context: string, check = true): [number, number] {
  const code = typeof exchange === "string" ? exchangeCode(exchange) : 0;
  if (code === 0) throw new TickwireError("EXCHANGE", `${context}: unknown exchange ${describe(exchange)}`);
  if (typeof symbol !== "string") throw new TickwireError("SYMBOL", `${context}: symbol must be a string, got ${describe(symbol)}`);
  if (symbol.length === 0) throw new TickwireError("SYMBOL", `${context}: symbol is empty`);
  if (symbol.length > L.SYMBOL_MAX_BYTES) {
    throw new TickwireError("SYMBOL", `${context}: symbol ${describe(symbol)} is longer than ${L.SYMBOL_MAX_BYTES} bytes`);
  }
  if (!isCleanName(symbol)) {
    throw new TickwireError("SYMBOL", `${context}: symbol ${describe(symbol)} is not well-formed Unicode or holds a control character, BOM, quote or backslash`);
  }
  const { written } = encoder.encodeInto(symbol, scratch.bytes);
  if (written > L.SYMBOL_MAX_BYTES) {
    throw new TickwireError("SYMBOL", `${context}: symbol ${JSON.stringify(symbol)} is ${written} UTF-8 bytes, more than ${L.SYMBOL_MAX_BYTES}`);
  }
  if (check) {
    const bad = mem.core.symbolKeyCheck(code, scratch.offset, written);
    if (bad < 0) throw errorFromStatus(bad, `${context} ${exchange}:${JSON.stringify(symbol)}`);
  }
  return [code, written];
}

/**
 * The symbol hash of the key whose bytes are at `ptr`: XXH64(UTF-8 name, seed =
 * exchange code), folded hi ^ lo to 32 bits, as assembly/hash.ts symbolHash32.
 * Crosses the boundary as a BigInt: for the control plane, not per tick.
 */
export function keyHash32(mem: TickwireMemory, code: number, ptr: number, len: number): number {
  const h = BigInt.asUintN(64, mem.core.xxh64(ptr, len, BigInt(code)));
  return Number((h ^ (h >> 32n)) & 0xffffffffn);
}
