// The last-value cache region: the one definition of its offsets, read by the
// AssemblyScript core (assembly/lvc.ts) and the TypeScript layer (src/cache/).
// Plain `export const` only: both compilers read this file.
//
// One slot per symbol id, indexed directly (slot = slots + id * slotBytes). A
// slot is a 64-byte header line holding its sequence lock, then room for the
// largest record kind the cache keeps (LTP 64, QUOTE 192, DEPTH 384 bytes).
//
//  header (64 bytes) ─────────────────────────────────────────────────────────
//   0 u32 magic        LVC_MAGIC, stored last at creation
//   4 u32 capacity     symbol ids 0..capacity-1 have a slot
//   8 u32 maxKind      1 LTP, 2 QUOTE, 3 DEPTH: the largest kind a slot holds
//  12 u32 slotBytes    64 + record bytes of maxKind (128, 256 or 448)
//  16..63 reserved
//  writers (at 64): u32 × LVC_MAX_WRITERS, one per writer id (0 unused) ─────
//   bit 0 alive · bits 1..31 generation (bumped each time the id is registered)
//  slots (at LVC_SLOTS), slotBytes each ──────────────────────────────────────
//  ┌──────────────────────── line 0: slot header ──────────────────────────┐
//  │ 0 u32 seq      sequence lock: odd while a writer is inside            │
//  │ 4 u32 owner    lock holder (or last holder): writer id | generation<<10│
//  │                (seq and owner change together: one u64 CAS)          │
//  │ 8 u32 updates  records applied to this slot (wraps)                   │
//  │ 12 u32 lastWriter  writer id of the last record applied               │
//  │ 16 u64 lastStamp   that record's stream stamp (0: none), for replays  │
//  │ 24..63 reserved                                                       │
//  ├──────────────────────── lines 1..: the record ────────────────────────┤
//  │ 64  the merged latest record (tick record layout; kind 0 = no value)  │
//  └───────────────────────────────────────────────────────────────────────┘
//
// The record kept is the latest value *per field group*: slot 0 of a record
// (ltp, times, last qty) comes from the latest record of any kind, slots 1-2
// (OHLC, volume, best bid/ask) from the latest QUOTE or DEPTH, slots 3-5 (the
// book) from the latest DEPTH; its kind is the largest seen (capped at maxKind).
// A DEPTH slot's best bid/ask always repeat level 0 of the book it holds.

export const LVC_MAGIC = 0x4356564c; // "LVVC" little-endian
export const LVC_OFF_MAGIC = 0;
export const LVC_OFF_CAPACITY = 4;
export const LVC_OFF_MAX_KIND = 8;
export const LVC_OFF_SLOT_BYTES = 12;
export const LVC_HEADER_BYTES = 64;
export const LVC_WRITERS = 64;
/** Writer ids are 1..LVC_MAX_WRITERS-1. */
export const LVC_MAX_WRITERS = 1024;
export const LVC_WRITER_ID_BITS = 10;
/** Generations kept in a lock's owner word: 22 bits. */
export const LVC_GENERATION_MASK = 0x3fffff;
export const LVC_SLOTS = 4160;

export const LVC_SLOT_HEADER_BYTES = 64;
export const LVC_SLOT_OFF_SEQ = 0;
export const LVC_SLOT_OFF_OWNER = 4;
export const LVC_SLOT_OFF_UPDATES = 8;
export const LVC_SLOT_OFF_LAST_WRITER = 12;
export const LVC_SLOT_OFF_LAST_STAMP = 16;

/** Returned by the exports when a slot stayed mid-write for all the spins they were given. */
export const LVC_BUSY = -100;
