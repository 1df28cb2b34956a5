// Symbol table: (exchange, UTF-8 name) <-> u32 id, in a region of shared memory
// whose header the host writes (see SYMTAB_* in src/format/layout.ts).
//
// Interning is lock-free and safe from any number of threads at once: an empty
// index cell is claimed with a CAS to BUSY, the id comes from an atomic add on
// the count, the entry is written, and only then is the cell published as id+1
// (a seq-cst store), so whoever reads an id from a cell sees a complete entry.
// Entries are never removed, so linear probing needs no tombstones.

import {
  SYMTAB_OFF_CAPACITY, SYMTAB_OFF_COUNT, SYMTAB_OFF_INDEX_MASK, SYMTAB_HEADER_BYTES,
  SYMTAB_ENTRY_BYTES, SYMENT_OFF_HASH, SYMENT_OFF_EXCHANGE, SYMENT_OFF_NAME_LENGTH,
  SYMENT_OFF_PRICE_DECIMALS, SYMENT_OFF_NAME, SYMBOL_MAX_BYTES, SYMTAB_CELL_BUSY,
  EXCHANGE_COUNT, MAX_PRICE_DECIMALS, ERR_EXCHANGE, ERR_SYMBOL, ERR_TABLE_FULL, ERR_DECIMALS,
} from "../src/format/layout";
import { symbolHash32 } from "./hash";

// @ts-ignore: decorator
@inline export function symtabEntries(tab: usize): usize {
  const cells = <usize>load<u32>(tab, SYMTAB_OFF_INDEX_MASK) + 1;
  return (tab + SYMTAB_HEADER_BYTES + (cells << 2) + 63) & ~<usize>63;
}

/**
 * A name is 1..SYMBOL_MAX_BYTES bytes of well-formed UTF-8 (no overlong forms, no
 * surrogates, nothing above U+10FFFF) without C0 or C1 controls, DEL, quote, backslash
 * or U+FEFF: so it round-trips through every UTF-8 decoder and JSON needs no escaping.
 */
function validName(ptr: usize, len: u32): bool {
  if (len == 0 || len > <u32>SYMBOL_MAX_BYTES) return false;
  const end = ptr + <usize>len;
  let p = ptr;
  while (p < end) {
    const c = <u32>load<u8>(p);
    if (c < 0x80) {
      if (c < 0x20 || c == 0x22 || c == 0x5c || c == 0x7f) return false;
      p++;
      continue;
    }
    const n: usize = c < 0xc2 ? 0 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : c < 0xf5 ? 4 : 0;
    if (n == 0 || p + n > end) return false;
    const c2 = <u32>load<u8>(p, 1);
    if ((c2 & 0xc0) != 0x80) return false;
    if (n == 2 && c == 0xc2 && c2 < 0xa0) return false; // C1 controls U+0080..U+009F
    if (n >= 3 && (<u32>load<u8>(p, 2) & 0xc0) != 0x80) return false;
    if (n == 3 && ((c == 0xe0 && c2 < 0xa0) || (c == 0xed && c2 >= 0xa0))) return false; // overlong, surrogate
    if (n == 3 && c == 0xef && c2 == 0xbb && <u32>load<u8>(p, 2) == 0xbf) return false; // U+FEFF
    if (n == 4 && ((<u32>load<u8>(p, 3) & 0xc0) != 0x80 || (c == 0xf0 && c2 < 0x90) || (c == 0xf4 && c2 >= 0x90))) return false;
    p += n;
  }
  return true;
}

function sameKey(entry: usize, hash: u32, exchange: u32, ptr: usize, len: u32): bool {
  return load<u32>(entry, SYMENT_OFF_HASH) == hash
    && <u32>load<u8>(entry, SYMENT_OFF_EXCHANGE) == exchange
    && <u32>load<u8>(entry, SYMENT_OFF_NAME_LENGTH) == len
    && memory.compare(entry + SYMENT_OFF_NAME, ptr, len) == 0;
}

/** Validates a key: 0 or a negative error code. */
export function symbolKeyCheck(exchange: u32, ptr: usize, len: u32): i32 {
  if (exchange < 1 || exchange > <u32>EXCHANGE_COUNT) return ERR_EXCHANGE;
  if (!validName(ptr, len)) return ERR_SYMBOL;
  return 0;
}

/** Id of (exchange, name), interning it if new. Returns the id or a negative error code. */
export function symbolIntern(tab: usize, exchange: u32, ptr: usize, len: u32, priceDecimals: u32): i32 {
  const bad = symbolKeyCheck(exchange, ptr, len);
  if (bad < 0) return bad;
  if (priceDecimals > <u32>MAX_PRICE_DECIMALS) return ERR_DECIMALS;
  return probe(tab, exchange, ptr, len, priceDecimals, true);
}

/** Id of (exchange, name), or -1 when it was never interned, or a negative error code for a bad key. */
export function symbolFind(tab: usize, exchange: u32, ptr: usize, len: u32): i32 {
  const bad = symbolKeyCheck(exchange, ptr, len);
  if (bad < 0) return bad;
  return probe(tab, exchange, ptr, len, 0, false);
}

function probe(tab: usize, exchange: u32, ptr: usize, len: u32, priceDecimals: u32, insert: bool): i32 {
  const hash = symbolHash32(exchange, ptr, len);
  const mask = load<u32>(tab, SYMTAB_OFF_INDEX_MASK);
  const cells = tab + SYMTAB_HEADER_BYTES;
  const entries = symtabEntries(tab);
  let i = hash & mask;
  let probes: u32 = 0;
  while (true) {
    const cell = cells + (<usize>i << 2);
    const v = atomic.load<u32>(cell);
    if (v == 0) {
      if (!insert) return -1;
      if (atomic.cmpxchg<u32>(cell, 0, SYMTAB_CELL_BUSY) != 0) continue; // lost the race: look again
      const id = atomic.add<u32>(tab + SYMTAB_OFF_COUNT, 1);
      if (id >= load<u32>(tab, SYMTAB_OFF_CAPACITY)) {
        atomic.sub<u32>(tab + SYMTAB_OFF_COUNT, 1);
        atomic.store<u32>(cell, 0);
        return ERR_TABLE_FULL;
      }
      const entry = entries + (<usize>id) * SYMTAB_ENTRY_BYTES;
      store<u32>(entry, hash, SYMENT_OFF_HASH);
      store<u8>(entry, <u8>exchange, SYMENT_OFF_EXCHANGE);
      store<u8>(entry, <u8>len, SYMENT_OFF_NAME_LENGTH);
      store<u8>(entry, <u8>priceDecimals, SYMENT_OFF_PRICE_DECIMALS);
      memory.copy(entry + SYMENT_OFF_NAME, ptr, len);
      atomic.store<u32>(cell, id + 1);
      return <i32>id;
    }
    if (v == SYMTAB_CELL_BUSY) continue; // another thread is writing this cell's entry: a few hundred ns
    const id = v - 1;
    if (sameKey(entries + (<usize>id) * SYMTAB_ENTRY_BYTES, hash, exchange, ptr, len)) return <i32>id;
    i = (i + 1) & mask;
    if (++probes > mask) return insert ? ERR_TABLE_FULL : -1;
  }
}
