// Ring buffer region layout: the one definition, compiled by both the Wasm core
// (assembly/ring.ts) and the TypeScript layer (src/rings/). Plain constants only.
//
// A ring is a header, a data area of `capacity` bytes (a power of two) and a
// meta area of one u64 per 64-byte slot. Positions are u64 byte counts that only
// grow; a position's index in the data area is `position & (capacity - 1)`.
// Counters written by different sides sit 128 bytes apart (no false sharing,
// and clear of the adjacent-line prefetcher).
//
//    0 u32 magic "TKRG"   4 u32 type (1 SPSC · 2 MPSC · 3 BROADCAST)   8 u32 capacity   12 u32 mask
//   16 u32 maxClaim (largest claim: capacity / 4, at most MAX_CLAIM_BYTES)   20..127 reserved
//  128 u64 tail        writer side: end of claimed (MPSC) or published (SPSC, BROADCAST) bytes
//  136 u64 tailIntent  BROADCAST: end of the claim being written (readers validate against it)
//  144 u64 latest      BROADCAST: start of the latest committed claim (where a lapped reader jumps)
//  152 u64 published   BROADCAST: records published so far
//  256 u64 head        reader side (SPSC, MPSC): end of released bytes
//  384 i32 readerWaiters  1 when a reader may be parked on readerFutex: set by every reader
//                         before it parks, cleared only by the writer that wakes them (so a
//                         reader that dies parked costs one spare notify, not one per commit)
//  388 i32 readerFutex    bumped by the writer when it publishes and readerWaiters is set
//  512 i32 writerWaiters  1 when a writer may be parked on a full ring (same protocol)
//  516 i32 writerFutex    bumped by the reader when it releases and writerWaiters is set
//  640 u32 fullCount      times a writer found the ring full (a refused tryClaim, or a claim that waited)
//  644 u32 timeoutCount   claims that gave up waiting for room
//  648 u32 readers        BROADCAST: readers joined
//  652 u32 unblockCount   MPSC: claims given up because their writer never committed them
//  768 data[capacity]
//      meta[capacity / 64] u64 per slot — MPSC: commit flag of the claim starting in that slot
//      (bits 0-47: the stamp, slot number + 1 of its position; 48-63: claim length in slots;
//      length 0 = given up by the reader's unblock, padding in progress); BROADCAST: records
//      published before the claim starting in that slot.
//
// Every record is contiguous: a claim that would run past the end of the data area
// is preceded by padding records (kind 255) up to the end and starts at index 0.

export const RING_MAGIC = 0x47524b54; // "TKRG"
export const RING_SPSC = 1;
export const RING_MPSC = 2;
export const RING_BROADCAST = 3;

export const RH_MAGIC = 0;
export const RH_TYPE = 4;
export const RH_CAPACITY = 8;
export const RH_MASK = 12;
export const RH_MAX_CLAIM = 16;
export const RH_TAIL = 128;
export const RH_TAIL_INTENT = 136;
export const RH_LATEST = 144;
export const RH_PUBLISHED = 152;
export const RH_HEAD = 256;
export const RH_READER_WAITERS = 384;
export const RH_READER_FUTEX = 388;
export const RH_WRITER_WAITERS = 512;
export const RH_WRITER_FUTEX = 516;
export const RH_FULL_COUNT = 640;
export const RH_TIMEOUT_COUNT = 644;
export const RH_READERS = 648;
export const RH_UNBLOCK_COUNT = 652;
export const RING_HEADER_BYTES = 768;

/** Smallest data area: room for a few of the largest records. */
export const RING_MIN_CAPACITY = 4096;
/** Largest data area (positions are u64; the data index and offsets are u32). */
export const RING_MAX_CAPACITY = 1 << 30;
/** Largest claim whatever the capacity (an MPSC flag holds a claim's length in 16 bits of slots). */
export const MAX_CLAIM_BYTES = 65535 * 64;

// A handle's cursor: 64 bytes of per-thread state that the Wasm functions read and write.
//   0 u32 offset    result of claim/read: byte offset of the region in memory
//   4 u32 bytes     result of read: bytes available there
//   8 u64 position  writer: start of the current claim · broadcast reader: its cursor
//  16 u32 claimBytes  writer: bytes of the current claim (0: none)
//  20 u32 errorIndex  commit: index of the record that failed validation
//  24 u64 cache     SPSC writer: last head seen · broadcast reader: records before its cursor
//  32 u64 lost      broadcast reader: records it lost to lapping
//  40 u32 laps      broadcast reader: times it was lapped
export const CUR_OFFSET = 0;
export const CUR_BYTES = 4;
export const CUR_POSITION = 8;
export const CUR_CLAIM_BYTES = 16;
export const CUR_ERROR_INDEX = 20;
export const CUR_CACHE = 24;
export const CUR_LOST = 32;
export const CUR_LAPS = 40;
export const CURSOR_BYTES = 64;

// Results of ring calls besides offsets and byte counts.
export const RING_FULL = -1;
export const RING_LAPPED = 1;
