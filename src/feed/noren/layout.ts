// The Noren parser's shared-memory layout: the one definition of every offset, read by
// the AssemblyScript parser (assembly/noren.ts) and the TypeScript classes around it
// (token-map.ts, parser.ts). Keep it free of anything only one compiler understands:
// `export const NAME = <number literal or constant expression>;` lines only.
//
// ── Token map (NorenTokenMap), one region reserved by tickwire ──────────────────
//   0 u32 magic "NRTM"   4 u32 capacity   8 u32 count   12 u32 indexMask
//  16 u32 entries (absolute offset of entry 0)   20..63 reserved
//  64 u32 index[indexMask + 1]: cell = slot + 1 · 0 empty (open addressing, linear probing
//     from hash(exchangeKey, token) & indexMask)
//     entries at the next 64-byte boundary, ENTRY_BYTES each:
//   0 u32 exchangeKey  the broker exchange's 1..4 ASCII capitals, first letter in the low byte
//   4 u32 token        the broker token as an integer (decimal digits, < 2^32, no leading zero)
//   8 u32 symbolId     12 u8 exchange code   13 u8 priceDecimals   14 u8 flags   15 u8 reserved
//  16 u64 seq          records emitted for this symbol so far (the last record's seq)
//  24 f64 lastMs       wall-clock ms of its last record (set to the mapping time when mapped)
//  32..63 reserved
//  64..447 state       the symbol's merged last state: a DEPTH-form record (384 bytes, the
//                      tick record's offsets; its header bytes are unused, written on emit)
export const NMAP_MAGIC = 0x4d54524e; // "NRTM" little-endian
export const NMAP_OFF_MAGIC = 0;
export const NMAP_OFF_CAPACITY = 4;
export const NMAP_OFF_COUNT = 8;
export const NMAP_OFF_INDEX_MASK = 12;
export const NMAP_OFF_ENTRIES = 16;
export const NMAP_HEADER_BYTES = 64;
export const NMAP_ENTRY_BYTES = 448;
export const NENT_OFF_EXCHANGE_KEY = 0;
export const NENT_OFF_TOKEN = 4;
export const NENT_OFF_SYMBOL_ID = 8;
export const NENT_OFF_EXCHANGE = 12;
export const NENT_OFF_PRICE_DECIMALS = 13;
export const NENT_OFF_FLAGS = 14;
export const NENT_OFF_SEQ = 16;
/** f64: wall-clock ms of the entry's last record (of its mapping, before one): per-symbol staleness, readable from any thread. */
export const NENT_OFF_LAST_MS = 24;
export const NENT_OFF_STATE = 64;
/** Entry flag: a zero or negative last price is legitimate for this instrument. */
export const NENT_FLAG_ALLOW_NON_POSITIVE = 1;
/** Multiplier of the (exchangeKey, token) hash: h = imul(imul(exchangeKey, H1) ^ token, H2), h ^= h >>> 15. */
export const NMAP_HASH_M1 = 0x9e3779b1;
export const NMAP_HASH_M2 = 0x85ebca6b;

// ── Parser context (NorenParser), reserved by tickwire, 64-byte aligned ─────────
//   0 u32 magic "NRPC"
//   4 u32 map          offset of the token map
//   8 u32 frames       first byte of the frame buffer (frames: u32 length, bytes, padded to 4)
//  12 u32 framesEnd    one past its last byte
//  16 u32 readPos      next frame to parse          20 u32 writePos   where push() writes next
//  24 u32 out          output region (caller-owned) 28 u32 outCap     its bytes
//  32 u32 outBytes     bytes the last parse wrote   36 u32 framesDone frames the last parse consumed
//  40 u32 outcomes     one u8 per consumed frame    44 u32 outcomesCap
//  48 u32 controls     (u32 offset, u32 length) per control frame      52 u32 controlsCap
//  56 u32 controlCount control frames the last parse found
//  60 u32 guardBits    bit 0..2: guard enabled (non-positive, band, stale); bit 8..10: its policy is drop
//  64 f64 recvTimeNs   72 f64 wallClockMs  80 f64 bandPercent   88 f64 maxAgeMs
//  96 u32 stack        bit stack for nested JSON (1 bit a level)       100 u32 stackBits
// 104 u32 fields       scratch: per known field u32 start, u32 length (64 × 8 bytes)
// 108 u32 values       scratch: per known field its converted i64 value (64 × 8 bytes)
// 128 f64 counters[COUNTER_COUNT] (see COUNTER_*), monotonic since create
export const NCTX_MAGIC = 0x4350524e; // "NRPC"
export const NCTX_OFF_MAGIC = 0;
export const NCTX_OFF_MAP = 4;
export const NCTX_OFF_FRAMES = 8;
export const NCTX_OFF_FRAMES_END = 12;
export const NCTX_OFF_READ = 16;
export const NCTX_OFF_WRITE = 20;
export const NCTX_OFF_OUT = 24;
export const NCTX_OFF_OUT_CAP = 28;
export const NCTX_OFF_OUT_BYTES = 32;
export const NCTX_OFF_FRAMES_DONE = 36;
export const NCTX_OFF_OUTCOMES = 40;
export const NCTX_OFF_OUTCOMES_CAP = 44;
export const NCTX_OFF_CONTROLS = 48;
export const NCTX_OFF_CONTROLS_CAP = 52;
export const NCTX_OFF_CONTROL_COUNT = 56;
export const NCTX_OFF_GUARDS = 60;
export const NCTX_OFF_RECV_TIME_NS = 64;
export const NCTX_OFF_WALL_CLOCK_MS = 72;
export const NCTX_OFF_BAND_PERCENT = 80;
export const NCTX_OFF_MAX_AGE_MS = 88;
export const NCTX_OFF_STACK = 96;
export const NCTX_OFF_STACK_BITS = 100;
export const NCTX_OFF_FIELDS = 104;
export const NCTX_OFF_VALUES = 108;
export const NCTX_OFF_COUNTERS = 128;
export const NCTX_BYTES = 320;
export const NSCRATCH_FIELD_BYTES = 512;
export const NSCRATCH_VALUE_BYTES = 512;

export const GUARD_NON_POSITIVE = 0;
export const GUARD_BAND = 1;
export const GUARD_STALE = 2;
export const GUARD_COUNT = 3;
/** guardBits: bit GUARD_x set = guard x enabled; bit (GUARD_x + 8) set = its policy is "drop". */
export const GUARD_POLICY_SHIFT = 8;

// Counters (f64 each, at NCTX_OFF_COUNTERS + 8 × index).
export const COUNTER_FRAMES = 0;
export const COUNTER_TICKS = 1;
export const COUNTER_CONTROL = 2;
export const COUNTER_GUARD_DROPPED = 3;
export const COUNTER_MALFORMED = 4; // + reason
export const COUNTER_GUARD = 16; // + guard
export const COUNTER_COUNT = 19;

// Malformed reasons (a frame skipped whole, the symbol's state untouched).
export const REASON_BAD_JSON = 0;
export const REASON_UNKNOWN_TYPE = 1;
export const REASON_WRONG_TYPE = 2;
export const REASON_MISSING_KEY = 3;
export const REASON_UNKNOWN_SYMBOL = 4;
export const REASON_DECIMALS = 5;
export const REASON_BAD_NUMBER = 6;
export const REASON_PRECISION = 7;
export const REASON_PRICE_RANGE = 8;
export const REASON_RANGE = 9;
export const REASON_BAD_TIME = 10;
export const REASON_TOO_LONG = 11;
export const REASON_COUNT = 12;

// Per-frame outcome (u8 in the outcomes array): what became of each consumed frame.
export const OUTCOME_QUOTE = 1;
export const OUTCOME_DEPTH = 2;
export const OUTCOME_CONTROL = 3;
export const OUTCOME_GUARD_DROPPED = 4;
export const OUTCOME_MALFORMED = 16; // + reason

// Known fields, in the order a frame's fields are checked (the first bad one names the reason).
// Field i is bit i of a u64 mask. 0..10 are checked for type only (or read as keys).
export const F_T = 0;
export const F_E = 1;
export const F_TK = 2;
export const F_PP = 3;
export const F_TS = 4;
export const F_TI = 5;
export const F_LS = 6;
export const F_POI = 7;
export const F_TOI = 8;
export const F_52H = 9;
export const F_52L = 10;
export const F_LP = 11;
export const F_PC = 12;
export const F_V = 13;
export const F_O = 14;
export const F_H = 15;
export const F_L = 16;
export const F_C = 17;
export const F_AP = 18;
export const F_OI = 19;
export const F_LTQ = 20;
export const F_FT = 21;
export const F_LTT = 22;
export const F_TBQ = 23;
export const F_TSQ = 24;
export const F_UC = 25;
export const F_LC = 26;
export const F_BP1 = 27; // bp1..bp5 = 27..31
export const F_SP1 = 32; // sp1..sp5 = 32..36
export const F_BQ1 = 37; // bq1..bq5 = 37..41
export const F_SQ1 = 42; // sq1..sq5 = 42..46
export const F_BO1 = 47; // bo1..bo5 = 47..51
export const F_SO1 = 52; // so1..so5 = 52..56
export const FIELD_COUNT = 57;
/** First field converted into the record (fields below it are keys or type-checked only). */
export const F_FIRST_VALUE = 11;

/** IST (UTC+05:30) in ms: Noren's time-of-day and date-time texts are Indian Standard Time. */
export const IST_OFFSET_MS = 19800000;
export const DAY_MS = 86400000;
/**
 * Largest epoch second accepted in `ft` / numeric `ltt`: the last second a JavaScript Date
 * holds (8.64e12 s), so every time computed from it (± a day, + IST) stays below 2^53 ms.
 */
export const MAX_EPOCH_SECONDS = 8640000000000;
/** Largest wall clock a parse accepts, ms (the largest JavaScript Date). */
export const MAX_WALL_CLOCK_MS = 8640000000000000;
