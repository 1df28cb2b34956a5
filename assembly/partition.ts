// Partition lookup: symbol key -> hash32 -> slot -> partition, with pins, for
// one key or a whole batch of records in one call. The host (src/partition/)
// lays out and writes the map region; see src/partition/layout.ts for the
// diagram, and docs/PARTITION.md for why hash slots with exact quotas.
//
// Readers use atomic loads for the slot table and pin words: the control plane
// may change them while a batch runs, and each load then sees the old or the new
// partition, never a mix (x86 and ARM atomic loads of 16/32 bits are plain loads).

import {
  PMAP_OFF_SLOT_BITS, PMAP_OFF_PIN_MASK, PMAP_OFF_PIN_COUNT, PMAP_HEADER_BYTES, PMAP_OFF_SYMTAB,
  PMAP_OFF_HASH_CAPACITY, PMAP_OFF_HASHES, HASH_CELL_FILLED,
  PIN_CELL_BYTES, PIN_OFF_HASH, PIN_OFF_WORD, PIN_OFF_NAME, PARTITION_NONE,
} from "../src/partition/layout";
import {
  KIND_PADDING, OFF_KIND, OFF_SYMBOL_ID, OFF_LENGTH, OFF_EXCHANGE, OFF_PRICE_DECIMALS, SYMTAB_OFF_COUNT,
  SYMTAB_OFF_CAPACITY, SYMTAB_ENTRY_BYTES, SYMENT_OFF_HASH, SYMENT_OFF_EXCHANGE, SYMENT_OFF_NAME_LENGTH,
  SYMENT_OFF_NAME, SYMENT_OFF_PRICE_DECIMALS, ERR_SYMBOL, ERR_OUTPUT_FULL, ERR_EXCHANGE, ERR_DECIMALS,
} from "../src/format/layout";
import { symbolHash32 } from "./hash";
import { symbolKeyCheck, symtabEntries } from "./symbols";
import { checkRecord } from "./record";

// @ts-ignore: decorator
@inline function pinCells(map: usize): usize {
  const slots = <usize>1 << <usize>load<u32>(map, PMAP_OFF_SLOT_BITS);
  return (map + PMAP_HEADER_BYTES + (slots << 1) + 63) & ~<usize>63;
}

// @ts-ignore: decorator
@inline function slotPartition(map: usize, hash: u32): u32 {
  const shift = 32 - load<u32>(map, PMAP_OFF_SLOT_BITS);
  return <u32>atomic.load<u16>(map + PMAP_HEADER_BYTES + (<usize>(hash >>> shift) << 1));
}

/**
 * The pinned partition of the key (hash, exchange, name at ptr/len), or
 * PARTITION_NONE. A cell is empty when its word is 0; probing stops there.
 */
function pinned(map: usize, hash: u32, exchange: u32, ptr: usize, len: u32): u32 {
  const mask = load<u32>(map, PMAP_OFF_PIN_MASK);
  const cells = pinCells(map);
  let i = hash & mask;
  for (let probes: u32 = 0; probes <= mask; probes++) {
    const cell = cells + (<usize>i) * PIN_CELL_BYTES;
    const word = atomic.load<u32>(cell, PIN_OFF_WORD);
    if (word == 0) return PARTITION_NONE;
    if (load<u32>(cell, PIN_OFF_HASH) == hash && ((word >>> 16) & 0xff) == exchange && (word >>> 24) == len
      && memory.compare(cell + PIN_OFF_NAME, ptr, len) == 0) {
      return word & 0xffff;
    }
    i = (i + 1) & mask;
  }
  return PARTITION_NONE;
}

/** The pinned partition of the symbol table entry at `entry` (whose hash is `hash`), or PARTITION_NONE. */
function pinnedEntry(map: usize, hash: u32, entry: usize): u32 {
  return pinned(map, hash, <u32>load<u8>(entry, SYMENT_OFF_EXCHANGE), entry + SYMENT_OFF_NAME,
    <u32>load<u8>(entry, SYMENT_OFF_NAME_LENGTH));
}

// The key cell of a table entry: hash32 | exchange << 32 | priceDecimals << 40 | filled.
// @ts-ignore: decorator
@inline function entryKey(entry: usize): u64 {
  return <u64>load<u32>(entry, SYMENT_OFF_HASH) | (<u64>load<u8>(entry, SYMENT_OFF_EXCHANGE) << 32)
    | (<u64>load<u8>(entry, SYMENT_OFF_PRICE_DECIMALS) << 40) | (<u64>HASH_CELL_FILLED << 32);
}

/**
 * Key cell of symbol `id` (see entryKey): from the map's hash column when it caches
 * `table`, else (and to fill the column) from the table's entry. `col` is the column or 0.
 */
// @ts-ignore: decorator
@inline function idKey(col: usize, colCap: u32, entries: usize, id: u32): u64 {
  if (col != 0 && id < colCap) {
    const cell = col + (<usize>id << 3);
    let k = atomic.load<u64>(cell);
    if (k == 0) {
      k = entryKey(entries + (<usize>id) * SYMTAB_ENTRY_BYTES);
      atomic.store<u64>(cell, k);
    }
    return k;
  }
  return entryKey(entries + (<usize>id) * SYMTAB_ENTRY_BYTES);
}

/** The map's hash column if it caches the symbol table at `table`, else 0. */
// @ts-ignore: decorator
@inline function hashColumn(map: usize, table: usize): usize {
  return load<u32>(map, PMAP_OFF_SYMTAB) == <u32>table ? <usize>load<u32>(map, PMAP_OFF_HASHES) : 0;
}

// @ts-ignore: decorator
@inline function resolve(map: usize, hash: u32, exchange: u32, ptr: usize, len: u32, pins: bool): u32 {
  if (pins) {
    const p = pinned(map, hash, exchange, ptr, len);
    if (p != PARTITION_NONE) return p;
  }
  return slotPartition(map, hash);
}

/** Partition of the key (exchange, UTF-8 name at ptr/len), or a negative error code for a bad key. */
export function partitionOfKey(map: usize, exchange: u32, ptr: usize, len: u32): i32 {
  const bad = symbolKeyCheck(exchange, ptr, len);
  if (bad < 0) return bad;
  const hash = symbolHash32(exchange, ptr, len);
  return <i32>resolve(map, hash, exchange, ptr, len, atomic.load<u32>(map, PMAP_OFF_PIN_COUNT) != 0);
}

/** Partition of interned symbol `id` of the symbol table at `table` (its hash is read, not recomputed), or ERR_SYMBOL. */
export function partitionOfSymbol(map: usize, table: usize, id: u32): i32 {
  const count = min<u32>(atomic.load<u32>(table, SYMTAB_OFF_COUNT), load<u32>(table, SYMTAB_OFF_CAPACITY));
  if (id >= count) return ERR_SYMBOL;
  const entries = symtabEntries(table);
  const hash = <u32>idKey(hashColumn(map, table), load<u32>(map, PMAP_OFF_HASH_CAPACITY), entries, id);
  if (atomic.load<u32>(map, PMAP_OFF_PIN_COUNT) != 0) {
    const p = pinnedEntry(map, hash, entries + (<usize>id) * SYMTAB_ENTRY_BYTES);
    if (p != PARTITION_NONE) return <i32>p;
  }
  return <i32>slotPartition(map, hash);
}

/**
 * Partitions the batch of `bytes` bytes of contiguous records at `src`: walks it by
 * each record's length, skips padding, and writes the partition of the k-th tick
 * record to `out[k]` (u16). Hashes are read from the symbol table at `table` by
 * the record's symbolId, never recomputed. When `partBytes` is not 0, adds each
 * record's length to `partBytes[partition]` (u32; the caller zeroes it), so a
 * router can claim every partition's ring space once per batch.
 *
 * Returns the number of tick records, or a negative error code with the failing
 * record's index at `status` (u32): a bad record header, a symbolId not in the
 * table (ERR_SYMBOL), an exchange or priceDecimals that differ from the symbol's
 * (ERR_EXCHANGE, ERR_DECIMALS: the table is authoritative), more ticks than
 * `outCap`, or a partition at or past `partCap` (ERR_OUTPUT_FULL).
 */
export function partitionBatch(map: usize, table: usize, src: usize, bytes: u32, out: usize, outCap: u32,
  partBytes: usize, partCap: u32, status: usize): i32 {
  const count = min<u32>(atomic.load<u32>(table, SYMTAB_OFF_COUNT), load<u32>(table, SYMTAB_OFF_CAPACITY));
  const entries = symtabEntries(table);
  const shift = 32 - load<u32>(map, PMAP_OFF_SLOT_BITS);
  const slotTable = map + PMAP_HEADER_BYTES;
  const pins = atomic.load<u32>(map, PMAP_OFF_PIN_COUNT) != 0;
  const col = hashColumn(map, table);
  const colCap = load<u32>(map, PMAP_OFF_HASH_CAPACITY);
  const end = <usize>bytes;
  let offset: usize = 0;
  let index: u32 = 0;
  let ticks: u32 = 0;
  while (offset < end) {
    const p = src + offset;
    const length = checkRecord(p, end - offset);
    if (length < 0) return fail(status, index, length);
    if (<u32>load<u8>(p, OFF_KIND) != KIND_PADDING) {
      const id = load<u32>(p, OFF_SYMBOL_ID);
      if (id >= count) return fail(status, index, ERR_SYMBOL);
      if (ticks >= outCap) return fail(status, index, ERR_OUTPUT_FULL);
      const key = idKey(col, colCap, entries, id);
      const hash = <u32>key;
      if ((<u32>(key >> 32) & 0xff) != <u32>load<u8>(p, OFF_EXCHANGE)) return fail(status, index, ERR_EXCHANGE);
      if ((<u32>(key >> 40) & 0xff) != <u32>load<u8>(p, OFF_PRICE_DECIMALS)) return fail(status, index, ERR_DECIMALS);
      let part: u32 = PARTITION_NONE;
      if (pins) part = pinnedEntry(map, hash, entries + (<usize>id) * SYMTAB_ENTRY_BYTES);
      if (part == PARTITION_NONE) part = <u32>atomic.load<u16>(slotTable + (<usize>(hash >>> shift) << 1));
      if (partBytes != 0 && part >= partCap) return fail(status, index, ERR_OUTPUT_FULL);
      store<u16>(out + (<usize>ticks << 1), <u16>part);
      if (partBytes != 0) {
        const cell = partBytes + (<usize>part << 2);
        store<u32>(cell, load<u32>(cell) + <u32>load<u16>(p, OFF_LENGTH));
      }
      ticks++;
    }
    offset += <usize>length;
    index++;
  }
  return <i32>ticks;
}

// @ts-ignore: decorator
@inline function fail(status: usize, index: u32, code: i32): i32 {
  store<u32>(status, index);
  store<u32>(status, 0, 4);
  return code;
}
