// The partition map region: the one definition of its offsets, read by the
// AssemblyScript core (assembly/partition.ts) and the TypeScript layer
// (src/partition/). Plain `export const` only: both compilers read this file.
//
// A symbol key hashes to one of 2^slotBits *hash slots* (the top bits of its
// hash32); the slot table says which partition owns each slot. Pins override the
// table for single symbols. The control plane (SymbolPartitioner) writes the
// region; any thread reads it.
//
//  header (64 bytes) ─────────────────────────────────────────────────────────
//   0 u32 magic          PMAP_MAGIC, stored last at creation
//   4 u32 slotBits       log2 of the slot count (PMAP_MIN_SLOT_BITS..PMAP_MAX_SLOT_BITS)
//   8 u32 epoch          bumped (atomic) after every change of the table or the pins
//  12 u32 pinMask        pin cells - 1 (a power of two minus one)
//  16 u32 pinCount       pin cells in use (atomic; a cell once used stays used)
//  20 u32 partitionLimit every partition number in the table is below it
//  24 u32 symtab         offset of the symbol table the hash column caches (0 = none)
//  28 u32 hashCapacity   entries of the hash column (the table's capacity)
//  32 u32 hashes         offset of the hash column (0 = none)
//  36..63 reserved
//  slot table (at 64) ────────────────────────────────────────────────────────
//   u16 partition[1 << slotBits]      read and written with atomic 16-bit accesses
//  pin cells (at the next 64-byte boundary), 64 bytes each, open addressing
//  by hash32 & pinMask, linear probing ──────────────────────────────────────
//   0 u32 hash32         the key's symbol hash (written before the word)
//   4 u32 word           partition (bits 0-15; PARTITION_NONE = unpinned) |
//                        exchange (bits 16-23) | name length (bits 24-31);
//                        0 = empty cell. Published with one atomic store, so a
//                        reader sees a whole cell or none.
//   8 name               UTF-8, up to SYMBOL_MAX_BYTES (56) bytes
//  hash column (at the next 64-byte boundary, when the map has a symbol table)
//   u64 key[hashCapacity]  symbol id -> the table entry's hash32 (bits 0-31),
//   exchange (32-39), priceDecimals (40-47) and 1 << 48 once filled (0 = not yet).
//   A dense copy of what a batch lookup needs: 8 ids a cache line instead of one
//   64-byte table entry each. Filled on first use by any thread (the value for an id
//   never changes, so racing fills write the same word).

export const PMAP_MAGIC = 0x50414d50; // "PMAP" little-endian
export const PMAP_OFF_MAGIC = 0;
export const PMAP_OFF_SLOT_BITS = 4;
export const PMAP_OFF_EPOCH = 8;
export const PMAP_OFF_PIN_MASK = 12;
export const PMAP_OFF_PIN_COUNT = 16;
export const PMAP_OFF_PARTITION_LIMIT = 20;
export const PMAP_OFF_SYMTAB = 24;
export const PMAP_OFF_HASH_CAPACITY = 28;
export const PMAP_OFF_HASHES = 32;
export const PMAP_HEADER_BYTES = 64;

export const PMAP_MIN_SLOT_BITS = 4;
export const PMAP_MAX_SLOT_BITS = 16;
/** Default slot count: 2^14 = 16384, as Redis Cluster. 32 KiB of table, 0.1% quota rounding at 16 partitions. */
export const PMAP_DEFAULT_SLOT_BITS = 14;

export const HASH_CELL_BYTES = 8;
export const HASH_CELL_FILLED = 0x10000; // bit 48 of the u64: bit 16 of its high word

export const PIN_CELL_BYTES = 64;
export const PIN_OFF_HASH = 0;
export const PIN_OFF_WORD = 4;
export const PIN_OFF_NAME = 8;

/** A slot or pin that names no partition. Partition numbers are 0..PARTITION_NONE-1. */
export const PARTITION_NONE = 0xffff;
/** Most partitions a map can hold (numbers 0..MAX_PARTITIONS-1). */
export const MAX_PARTITIONS = 4096;
