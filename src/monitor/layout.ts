// The metrics regions: the one definition of their offsets, read by the
// AssemblyScript core (assembly/histogram.ts) and the TypeScript layer
// (src/monitor/). Plain `export const` only: both compilers read this file.
//
// Latency histogram: log-linear buckets like HdrHistogram with 3 significant
// digits (2048 sub-buckets per power of two, unit 1 ns), values 0..2^36-1 ns
// (~68.7 s); larger values are counted in `overflow` (and in count/min/max/sum,
// but in no bucket). Every field is updated with atomics, so any number of
// threads (Wasm instances on one memory) record into one histogram without locks.
//
//  header (64 bytes) ─────────────────────────────────────────────────────────
//   0 u32 magic        HIST_MAGIC, stored last at creation
//   4 u32 bucketCount  HIST_BUCKET_COUNT (powers of two above the first 2048 ns)
//   8 u64 count        values recorded (overflow included)
//  16 u64 min          smallest value (HIST_EMPTY_MIN = all ones while empty)
//  24 u64 max          largest value (0 while empty)
//  32 u64 sum          sum of the values (wraps past 2^64)
//  40 u64 overflow     values ≥ HIST_RANGE: counted here, in no bucket
//  48..63 reserved
//  counts (at HIST_COUNTS): u64 × HIST_COUNTS_LEN ─────────────────────────────
//   index i < 2048: value i exactly; above, bucket b ≥ 1 holds sub-buckets
//   1024..2047 of width 2^b: index (b + 1) · 1024 + (v >> b) − 1024.

export const HIST_MAGIC = 0x54534948; // "HIST" little-endian
export const HIST_OFF_MAGIC = 0;
export const HIST_OFF_BUCKET_COUNT = 4;
export const HIST_OFF_COUNT = 8;
export const HIST_OFF_MIN = 16;
export const HIST_OFF_MAX = 24;
export const HIST_OFF_SUM = 32;
export const HIST_OFF_OVERFLOW = 40;
export const HIST_HEADER_BYTES = 64;
export const HIST_COUNTS = 64;

/** Sub-buckets per power of two: 3 significant decimal digits (relative error < 1/1024). */
export const HIST_SUB_BUCKET_BITS = 11;
export const HIST_SUB_BUCKET_COUNT = 2048;
export const HIST_SUB_BUCKET_HALF = 1024;
/** Buckets: 2048 << (26 − 1) = 2^36, so values below 2^36 ns (~68.7 s) land in a bucket. */
export const HIST_BUCKET_COUNT = 26;
/** Smallest value counted as overflow: 2^36 ns. */
export const HIST_RANGE = 68719476736;
/** u64 counts: (HIST_BUCKET_COUNT + 1) · 1024. */
export const HIST_COUNTS_LEN = 27648;
/** Bytes of one histogram region (header + counts): 221 248. */
export const HIST_BYTES = 221248;

// Metric counters: a 64-byte header, then one u64 per counter (little-endian,
// added to with Atomics as two u32 words, see src/monitor/counters.ts).
//   0 u32 magic   4 u32 counter count   8..63 reserved   64 u64 × count
export const COUNTERS_MAGIC = 0x52544e43; // "CNTR" little-endian
export const COUNTERS_OFF_MAGIC = 0;
export const COUNTERS_OFF_COUNT = 4;
export const COUNTERS_HEADER_BYTES = 64;
