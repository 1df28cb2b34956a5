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
//  slots (at 64), slotBytes each ─────────────────────────────────────────────
//  ┌──────────────────────── line 0: slot header ──────────────────────────┐
//  │ 0 u32 seq      sequence lock: odd while a writer is inside            │
//  │ 4 u32 owner    writer id of the last writer to lock it (0: anonymous) │
//  │                (seq and owner change together: one u64 CAS)          │
//  │ 8 u32 updates  records applied to this slot (wraps)                   │
//  │ 12..63 reserved                                                       │
//  ├──────────────────────── lines 1..: the record ────────────────────────┤
//  │ 64  the merged latest record (tick record layout; kind 0 = no value)  │
//  └───────────────────────────────────────────────────────────────────────┘
//
// The record kept is the latest value *per field group*: slot 0 of a record
// (ltp, times, last qty) comes from the latest record of any kind, slots 1-2
// (OHLC, volume, best bid/ask) from the latest QUOTE or DEPTH, slots 3-5 (the
// book) from the latest DEPTH; its kind is the largest seen (capped at maxKind).

export const LVC_MAGIC = 0x4356564c; // "LVVC" little-endian
export const LVC_OFF_MAGIC = 0;
export const LVC_OFF_CAPACITY = 4;
export const LVC_OFF_MAX_KIND = 8;
export const LVC_OFF_SLOT_BYTES = 12;
export const LVC_HEADER_BYTES = 64;

export const LVC_SLOT_HEADER_BYTES = 64;
export const LVC_SLOT_OFF_SEQ = 0;
export const LVC_SLOT_OFF_OWNER = 4;
export const LVC_SLOT_OFF_UPDATES = 8;

/** Returned by the read exports when a slot stayed mid-write for all the spins they were given. */
export const LVC_BUSY = -100;
/**
 * Spins a writer waits for a slot held by a writer of another id before it takes the
 * slot over (a writer that died mid-write leaves its slot odd): about a second. Not a
 * few milliseconds: a live writer descheduled mid-write for a time slice must never be
 * overtaken (a torn slot was seen here with 2^22). A slot held by the writer's own id
 * is taken over at once: that holder is a dead earlier incarnation of the caller.
 */
export const LVC_TAKEOVER_SPINS = 1073741824;
