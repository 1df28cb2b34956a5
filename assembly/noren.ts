// The Noren (Flattrade, Shoonya) market-data parser: JSON text frames in, tick records
// out, every frame of a batch in one call. docs/NOREN.md describes the messages, the
// merge rules and the reasons; src/feed/noren/layout.ts lays out every region used here.
//
// Per frame, in one pass over its bytes (phase 1) the whole text is checked as JSON and
// the value span of each known top-level key is noted (the last duplicate wins, as in
// JSON.parse); nested values of unknown keys are checked and skipped. Phase 2 reads
// `t`, finds the symbol by (e, tk), converts every present field into a scratch value
// array (decimal text straight to the symbol's scaled integer, never through a double),
// applies the guards, and only then writes the values into the symbol's merged state and
// emits a record from it. So a frame with any fault leaves the state as it was.
//
// Nothing here allocates or keeps state outside the regions the context names.

import {
  OFF_LENGTH, OFF_KIND, OFF_VERSION, OFF_SYMBOL_ID, OFF_SEQ, OFF_RECV_TIME_NS, OFF_EXCHANGE,
  OFF_PRICE_DECIMALS, OFF_FLAGS, OFF_LTP, OFF_EXCH_TIME_MS, OFF_LAST_TRADE_TIME_MS, OFF_CHANGE_BP,
  OFF_LAST_QTY, OFF_AVG_PRICE, OFF_OPEN, OFF_HIGH, OFF_LOW, OFF_CLOSE, OFF_VOLUME, OFF_OI,
  OFF_TOTAL_BUY_QTY, OFF_TOTAL_SELL_QTY, OFF_UPPER_CIRCUIT, OFF_LOWER_CIRCUIT, OFF_DEPTH_BIDS,
  OFF_DEPTH_ASKS, LEVEL_OFF_QTY, LEVEL_OFF_ORDERS, FORMAT_VERSION, KIND_QUOTE, KIND_DEPTH,
  QUOTE_BYTES, DEPTH_BYTES, MAX_SCALED_PRICE,
} from "../src/format/layout";
import {
  NMAP_OFF_INDEX_MASK, NMAP_OFF_ENTRIES, NMAP_HEADER_BYTES, NMAP_ENTRY_BYTES, NMAP_HASH_M1, NMAP_HASH_M2,
  NENT_OFF_EXCHANGE_KEY, NENT_OFF_TOKEN, NENT_OFF_SYMBOL_ID, NENT_OFF_EXCHANGE, NENT_OFF_PRICE_DECIMALS,
  NENT_OFF_FLAGS, NENT_OFF_SEQ, NENT_OFF_LAST_MS, NENT_OFF_STATE, NENT_FLAG_ALLOW_NON_POSITIVE,
  NCTX_OFF_MAP, NCTX_OFF_READ, NCTX_OFF_WRITE, NCTX_OFF_OUT, NCTX_OFF_OUT_CAP, NCTX_OFF_OUT_BYTES,
  NCTX_OFF_FRAMES_DONE, NCTX_OFF_OUTCOMES, NCTX_OFF_OUTCOMES_CAP, NCTX_OFF_CONTROLS, NCTX_OFF_CONTROLS_CAP,
  NCTX_OFF_CONTROL_COUNT, NCTX_OFF_GUARDS, NCTX_OFF_RECV_TIME_NS, NCTX_OFF_WALL_CLOCK_MS,
  NCTX_OFF_BAND_PERCENT, NCTX_OFF_MAX_AGE_MS, NCTX_OFF_STACK, NCTX_OFF_STACK_BITS, NCTX_OFF_FIELDS,
  NCTX_OFF_VALUES, NCTX_OFF_COUNTERS, GUARD_NON_POSITIVE, GUARD_BAND, GUARD_STALE, GUARD_POLICY_SHIFT,
  COUNTER_FRAMES, COUNTER_TICKS, COUNTER_CONTROL, COUNTER_GUARD_DROPPED, COUNTER_MALFORMED, COUNTER_GUARD,
  REASON_BAD_JSON, REASON_UNKNOWN_TYPE, REASON_WRONG_TYPE, REASON_MISSING_KEY, REASON_UNKNOWN_SYMBOL,
  REASON_DECIMALS, REASON_BAD_NUMBER, REASON_PRECISION, REASON_PRICE_RANGE, REASON_RANGE, REASON_BAD_TIME,
  OUTCOME_QUOTE, OUTCOME_DEPTH, OUTCOME_CONTROL, OUTCOME_GUARD_DROPPED, OUTCOME_MALFORMED,
  F_T, F_E, F_TK, F_PP, F_LP, F_FT, F_FIRST_VALUE, IST_OFFSET_MS, DAY_MS, MAX_EPOCH_SECONDS,
} from "../src/feed/noren/layout";

// ─── constant tables (re-applied identically by every instantiation) ──────────────

// Known keys → field index: a perfect hash of the key's bytes packed little-endian into a
// u32 (keys are 1..3 ASCII bytes, never 0): slot = (packed × KEY_HASH_M) >>> 25, entry =
// packed | (field + 1) << 24. Found by trying multipliers until the 57 keys of
// layout.ts's F_* list fell into distinct slots of 128.
// @ts-ignore: decorator
@inline const KEY_HASH_M: u32 = 0xeff54a9d;
const KEY_TABLE: usize = memory.data<u32>([
  0x0, 0x37336f73, 0x0, 0x0, 0x1e337062, 0xf00006f, 0x0, 0x0, 0xb6c3235, 0x0, 0x32336f62, 0x1b00636c,
  0x0, 0x0, 0x0, 0x0, 0x0, 0x0, 0x0, 0x0, 0x0, 0x0, 0x0, 0x0, 0x1774746c, 0x0, 0x0, 0x0, 0x2e347173,
  0x1100006c, 0x13007061, 0x0, 0x3006b74, 0x24347073, 0x0, 0x0, 0x29347162, 0x4007070, 0x0, 0x38346f73,
  0x1571746c, 0x0, 0x1f347062, 0x6006974, 0x2b317173, 0x0, 0x0, 0x33346f62, 0x0, 0x21317073, 0x0, 0x0,
  0x26317162, 0x0, 0x700736c, 0x35316f73, 0x0, 0x0, 0x1c317062, 0x0, 0x0, 0x10000068, 0x0, 0x30316f62,
  0x0, 0x2f357173, 0x0, 0x1a006375, 0x0, 0x0, 0xc00706c, 0x25357073, 0x18716274, 0x0, 0x2a357162, 0x0,
  0x39356f73, 0xe000076, 0x0, 0x20357062, 0x0, 0x2c327173, 0x0, 0x1400696f, 0x34356f62, 0x2000065, 0x0,
  0x22327073, 0x9696f74, 0x0, 0x27327162, 0x0, 0x36326f73, 0x1000074, 0x0, 0x1d327062, 0x16007466, 0x0,
  0x0, 0x0, 0x31326f62, 0x12000063, 0x0, 0x0, 0x0, 0x0, 0x0, 0xd006370, 0x0, 0x19717374, 0x0, 0x0, 0x0,
  0x0, 0x0, 0xa683235, 0x0, 0x5007374, 0x0, 0x2d337173, 0x8696f70, 0x0, 0x0, 0x0, 0x23337073, 0x0, 0x0,
  0x28337162,
]);

// How each field is converted and where it goes: u16 record offset, u8 conversion, u8 flags.
// @ts-ignore: decorator
@inline const CV_NONE: u32 = 0; // a key, or checked for type only
// @ts-ignore: decorator
@inline const CV_PRICE: u32 = 1;
// @ts-ignore: decorator
@inline const CV_U32: u32 = 2;
// @ts-ignore: decorator
@inline const CV_U64: u32 = 3;
// @ts-ignore: decorator
@inline const CV_PERCENT: u32 = 4;
// @ts-ignore: decorator
@inline const CV_EPOCH: u32 = 5;
// @ts-ignore: decorator
@inline const CV_TRADE_TIME: u32 = 6;
// @ts-ignore: decorator
@inline const FL_KEEP_NONZERO: u32 = 1; // o/h/l/c: a zero in a partial update keeps a known non-zero value

const FIELD_TABLE: usize = memory.data<u32>([
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // t e tk pp ts ti ls poi toi 52h 52l
  (OFF_LTP) | CV_PRICE << 16, (OFF_CHANGE_BP) | CV_PERCENT << 16, (OFF_VOLUME) | CV_U64 << 16,
  (OFF_OPEN) | CV_PRICE << 16 | FL_KEEP_NONZERO << 24, (OFF_HIGH) | CV_PRICE << 16 | FL_KEEP_NONZERO << 24,
  (OFF_LOW) | CV_PRICE << 16 | FL_KEEP_NONZERO << 24, (OFF_CLOSE) | CV_PRICE << 16 | FL_KEEP_NONZERO << 24,
  (OFF_AVG_PRICE) | CV_PRICE << 16, (OFF_OI) | CV_U64 << 16, (OFF_LAST_QTY) | CV_U32 << 16,
  (OFF_EXCH_TIME_MS) | CV_EPOCH << 16, (OFF_LAST_TRADE_TIME_MS) | CV_TRADE_TIME << 16,
  (OFF_TOTAL_BUY_QTY) | CV_U64 << 16, (OFF_TOTAL_SELL_QTY) | CV_U64 << 16,
  (OFF_UPPER_CIRCUIT) | CV_PRICE << 16, (OFF_LOWER_CIRCUIT) | CV_PRICE << 16,
  (OFF_DEPTH_BIDS) | CV_PRICE << 16, (OFF_DEPTH_BIDS + 16) | CV_PRICE << 16, (OFF_DEPTH_BIDS + 32) | CV_PRICE << 16,
  (OFF_DEPTH_BIDS + 48) | CV_PRICE << 16, (OFF_DEPTH_BIDS + 64) | CV_PRICE << 16,
  (OFF_DEPTH_ASKS) | CV_PRICE << 16, (OFF_DEPTH_ASKS + 16) | CV_PRICE << 16, (OFF_DEPTH_ASKS + 32) | CV_PRICE << 16,
  (OFF_DEPTH_ASKS + 48) | CV_PRICE << 16, (OFF_DEPTH_ASKS + 64) | CV_PRICE << 16,
  (OFF_DEPTH_BIDS + LEVEL_OFF_QTY) | CV_U32 << 16, (OFF_DEPTH_BIDS + 16 + LEVEL_OFF_QTY) | CV_U32 << 16,
  (OFF_DEPTH_BIDS + 32 + LEVEL_OFF_QTY) | CV_U32 << 16, (OFF_DEPTH_BIDS + 48 + LEVEL_OFF_QTY) | CV_U32 << 16,
  (OFF_DEPTH_BIDS + 64 + LEVEL_OFF_QTY) | CV_U32 << 16,
  (OFF_DEPTH_ASKS + LEVEL_OFF_QTY) | CV_U32 << 16, (OFF_DEPTH_ASKS + 16 + LEVEL_OFF_QTY) | CV_U32 << 16,
  (OFF_DEPTH_ASKS + 32 + LEVEL_OFF_QTY) | CV_U32 << 16, (OFF_DEPTH_ASKS + 48 + LEVEL_OFF_QTY) | CV_U32 << 16,
  (OFF_DEPTH_ASKS + 64 + LEVEL_OFF_QTY) | CV_U32 << 16,
  (OFF_DEPTH_BIDS + LEVEL_OFF_ORDERS) | CV_U32 << 16, (OFF_DEPTH_BIDS + 16 + LEVEL_OFF_ORDERS) | CV_U32 << 16,
  (OFF_DEPTH_BIDS + 32 + LEVEL_OFF_ORDERS) | CV_U32 << 16, (OFF_DEPTH_BIDS + 48 + LEVEL_OFF_ORDERS) | CV_U32 << 16,
  (OFF_DEPTH_BIDS + 64 + LEVEL_OFF_ORDERS) | CV_U32 << 16,
  (OFF_DEPTH_ASKS + LEVEL_OFF_ORDERS) | CV_U32 << 16, (OFF_DEPTH_ASKS + 16 + LEVEL_OFF_ORDERS) | CV_U32 << 16,
  (OFF_DEPTH_ASKS + 32 + LEVEL_OFF_ORDERS) | CV_U32 << 16, (OFF_DEPTH_ASKS + 48 + LEVEL_OFF_ORDERS) | CV_U32 << 16,
  (OFF_DEPTH_ASKS + 64 + LEVEL_OFF_ORDERS) | CV_U32 << 16,
]);

// Frame types, `t` packed like a key.
// @ts-ignore: decorator
@inline const T_TK: u32 = 0x6b74; // "tk" touchline snapshot
// @ts-ignore: decorator
@inline const T_TF: u32 = 0x6674; // "tf" touchline update
// @ts-ignore: decorator
@inline const T_DK: u32 = 0x6b64; // "dk" depth snapshot
// @ts-ignore: decorator
@inline const T_DF: u32 = 0x6664; // "df" depth update

// Control frames, handed to JavaScript: login acks (ck, ak), unsubscribe acks (uk, udk),
// order subscription ack and order updates (ok, om), heartbeat acks (hk, h).
// @ts-ignore: decorator
@inline function isControl(t: u32): bool {
  return t == 0x6b63 || t == 0x6b61 || t == 0x6b75 || t == 0x6b6475 || t == 0x6b6f || t == 0x6d6f
    || t == 0x6b68 || t == 0x68;
}

// ─── JSON scanning (phase 1) ───────────────────────────────────────────────────────
// Scanners take a position and the frame's end and return the position after what they
// read, or 0 for malformed text (frames never start at offset 0: the host owns memory
// from staticEnd up).

// @ts-ignore: decorator
@inline function ws(i: usize, end: usize): usize {
  while (i < end) {
    const c = <u32>load<u8>(i);
    if (c != 0x20 && c != 0x0a && c != 0x0d && c != 0x09) break;
    i++;
  }
  return i;
}

// @ts-ignore: decorator
@inline function hexValue(c: u32): u32 {
  if (c - 0x30 < 10) return c - 0x30;
  const l = c | 0x20;
  if (l - 0x61 < 6) return l - 0x61 + 10;
  return 0xffffffff;
}

// A string's body from just after its opening quote: returns the position of the closing
// quote, or 0. Sets bit 0 of the u32 at `flag` when it holds an escape.
function scanString(i: usize, end: usize, flag: usize): usize {
  while (i < end) {
    const c = <u32>load<u8>(i);
    if (c == 0x22) return i;
    if (c == 0x5c) {
      if (i + 1 >= end) return 0;
      const e = <u32>load<u8>(i + 1);
      if (e == 0x75) {
        if (i + 6 > end) return 0;
        if ((hexValue(load<u8>(i + 2)) | hexValue(load<u8>(i + 3)) | hexValue(load<u8>(i + 4)) | hexValue(load<u8>(i + 5))) > 15) return 0;
        i += 6;
      } else if (e == 0x22 || e == 0x5c || e == 0x2f || e == 0x62 || e == 0x66 || e == 0x6e || e == 0x72 || e == 0x74) {
        i += 2;
      } else {
        return 0;
      }
      store<u32>(flag, 1);
      continue;
    }
    if (c < 0x20) return 0;
    i++;
  }
  return 0;
}

// A JSON number: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
function scanNumber(i: usize, end: usize): usize {
  if (i < end && load<u8>(i) == 0x2d) i++;
  if (i >= end) return 0;
  let c = <u32>load<u8>(i);
  if (c == 0x30) {
    i++;
  } else if (c - 0x31 < 9) {
    i++;
    while (i < end && <u32>load<u8>(i) - 0x30 < 10) i++;
  } else {
    return 0;
  }
  if (i < end && load<u8>(i) == 0x2e) {
    i++;
    if (i >= end || <u32>load<u8>(i) - 0x30 >= 10) return 0;
    while (i < end && <u32>load<u8>(i) - 0x30 < 10) i++;
  }
  if (i < end && (load<u8>(i) | 0x20) == 0x65) {
    i++;
    if (i < end && (load<u8>(i) == 0x2b || load<u8>(i) == 0x2d)) i++;
    if (i >= end || <u32>load<u8>(i) - 0x30 >= 10) return 0;
    while (i < end && <u32>load<u8>(i) - 0x30 < 10) i++;
  }
  return i;
}

// A scalar that is not a string: a number or a literal. Returns 0 when there is none.
function scanScalar(i: usize, end: usize): usize {
  const c = <u32>load<u8>(i);
  if (c == 0x74) return i + 4 <= end && load<u8>(i + 1) == 0x72 && load<u8>(i + 2) == 0x75 && load<u8>(i + 3) == 0x65 ? i + 4 : 0;
  if (c == 0x66) {
    return i + 5 <= end && load<u8>(i + 1) == 0x61 && load<u8>(i + 2) == 0x6c && load<u8>(i + 3) == 0x73 && load<u8>(i + 4) == 0x65 ? i + 5 : 0;
  }
  if (c == 0x6e) return i + 4 <= end && load<u8>(i + 1) == 0x75 && load<u8>(i + 2) == 0x6c && load<u8>(i + 3) == 0x6c ? i + 4 : 0;
  return scanNumber(i, end);
}

// Any JSON value at `i` (a non-space byte before `end`), nested ones included, iteratively:
// a bit a level in `stack` (1 object, 0 array), at most `bits` levels. Returns the position
// after it, or 0.
function skipValue(i: usize, end: usize, stack: usize, bits: u32, flag: usize): usize {
  let c = <u32>load<u8>(i);
  if (c == 0x22) {
    const q = scanString(i + 1, end, flag);
    return q == 0 ? 0 : q + 1;
  }
  if (c != 0x7b && c != 0x5b) return scanScalar(i, end);
  let depth: u32 = 0;
  // At an opening bracket: push it, then expect a first member or the close.
  for (;;) {
    // i at '{' or '['
    if (depth >= bits) return 0;
    const isObject = c == 0x7b;
    const word = stack + (<usize>(depth >> 5) << 2);
    const bit: u32 = 1 << (depth & 31);
    store<u32>(word, isObject ? load<u32>(word) | bit : load<u32>(word) & ~bit);
    depth++;
    i = ws(i + 1, end);
    if (i >= end) return 0;
    c = <u32>load<u8>(i);
    let closed = false;
    if (c == (isObject ? <u32>0x7d : <u32>0x5d)) {
      i++;
      depth--;
      closed = true;
    }
    // Members until this level (or, after closes, an outer one) needs another opening.
    let descend = false;
    while (!descend) {
      if (closed) {
        if (depth == 0) return i;
        // after a member of the enclosing level
        i = ws(i, end);
        if (i >= end) return 0;
        c = <u32>load<u8>(i);
        const inObject = (load<u32>(stack + (<usize>((depth - 1) >> 5) << 2)) >> ((depth - 1) & 31) & 1) != 0;
        if (c == (inObject ? <u32>0x7d : <u32>0x5d)) {
          i++;
          depth--;
          continue;
        }
        if (c != 0x2c) return 0;
        i = ws(i + 1, end);
        if (i >= end) return 0;
        c = <u32>load<u8>(i);
      }
      // a member of level depth - 1 starts at i
      const inObject = (load<u32>(stack + (<usize>((depth - 1) >> 5) << 2)) >> ((depth - 1) & 31) & 1) != 0;
      if (inObject) {
        if (c != 0x22) return 0;
        const q = scanString(i + 1, end, flag);
        if (q == 0) return 0;
        i = ws(q + 1, end);
        if (i >= end || load<u8>(i) != 0x3a) return 0;
        i = ws(i + 1, end);
        if (i >= end) return 0;
        c = <u32>load<u8>(i);
      }
      if (c == 0x7b || c == 0x5b) {
        descend = true;
      } else if (c == 0x22) {
        const q = scanString(i + 1, end, flag);
        if (q == 0) return 0;
        i = q + 1;
        closed = true;
      } else {
        i = scanScalar(i, end);
        if (i == 0) return 0;
        closed = true;
      }
    }
  }
  return 0; // not reached
}

// Decodes an escaped JSON string body [p, q) in place (escapes only shrink it), keeping
// ASCII and turning every other code unit (and NUL) into 0x80, which no field's syntax
// accepts: the only values read are ASCII. Returns the decoded length.
function unescapeAscii(p: usize, q: usize): usize {
  let w = p;
  let i = p;
  while (i < q) {
    let c = <u32>load<u8>(i);
    if (c == 0x5c) {
      const e = <u32>load<u8>(i + 1);
      if (e == 0x75) {
        c = hexValue(load<u8>(i + 2)) << 12 | hexValue(load<u8>(i + 3)) << 8 | hexValue(load<u8>(i + 4)) << 4 | hexValue(load<u8>(i + 5));
        i += 6;
      } else {
        c = e == 0x62 ? 8 : e == 0x66 ? 12 : e == 0x6e ? 10 : e == 0x72 ? 13 : e == 0x74 ? 9 : e;
        i += 2;
      }
      if (c == 0 || c >= 0x80) c = 0x80;
    } else {
      i++;
    }
    store<u8>(w++, <u8>c);
  }
  return w - p;
}

// A key [p, q) packed like KEY_TABLE's entries (0: not a possible known key).
function packKey(p: usize, q: usize, escaped: bool): u32 {
  if (!escaped) {
    const n = q - p;
    if (n == 1) return load<u8>(p);
    if (n == 2) return load<u8>(p) | <u32>load<u8>(p + 1) << 8;
    if (n == 3) return load<u8>(p) | <u32>load<u8>(p + 1) << 8 | <u32>load<u8>(p + 2) << 16;
    return 0;
  }
  // Decode without writing (the frame may be a control frame JavaScript reads back).
  let k: u32 = 0;
  let n: u32 = 0;
  let i = p;
  while (i < q) {
    let c = <u32>load<u8>(i);
    if (c == 0x5c) {
      const e = <u32>load<u8>(i + 1);
      if (e == 0x75) {
        c = hexValue(load<u8>(i + 2)) << 12 | hexValue(load<u8>(i + 3)) << 8 | hexValue(load<u8>(i + 4)) << 4 | hexValue(load<u8>(i + 5));
        i += 6;
      } else {
        c = e == 0x62 ? 8 : e == 0x66 ? 12 : e == 0x6e ? 10 : e == 0x72 ? 13 : e == 0x74 ? 9 : e;
        i += 2;
      }
      if (c == 0 || c >= 0x80) c = 0x80;
    } else {
      i++;
    }
    if (n == 3) return 0;
    k |= c << (n * 8);
    n++;
  }
  return k;
}

// @ts-ignore: decorator
@inline function fieldOf(k: u32): i32 {
  if (k == 0) return -1;
  const e = load<u32>(KEY_TABLE + (<usize>((k * KEY_HASH_M) >> 25) << 2));
  return (e & 0xffffff) == k ? <i32>(e >> 24) - 1 : -1;
}

// ─── value conversion (phase 2) ────────────────────────────────────────────────────
// Each converter reads a value's text [p, p + n) and stores an i64 at `dst`; it returns 0
// or the reason the text is refused. Syntax is checked first, then exactness, then range.

// @ts-ignore: decorator
@inline const BIG: u64 = 100000000000000000; // 1e17: beyond it a value is out of every range

// Decimal price text at `dec` decimals: -?[0-9]+(.[0-9]+)?, exactly.
function convPrice(p: usize, n: usize, dec: u32, dst: usize): i32 {
  let i: usize = 0;
  let neg = false;
  if (n > 0 && load<u8>(p) == 0x2d) {
    neg = true;
    i = 1;
  }
  let acc: u64 = 0;
  let big = false;
  const intStart = i;
  while (i < n) {
    const d = <u32>load<u8>(p + i) - 0x30;
    if (d >= 10) break;
    if (acc > BIG) big = true; else acc = acc * 10 + d;
    i++;
  }
  if (i == intStart) return REASON_BAD_NUMBER;
  let frac: u32 = 0;
  let inexact = false;
  if (i < n) {
    if (load<u8>(p + i) != 0x2e || i + 1 == n) return REASON_BAD_NUMBER;
    i++;
    while (i < n) {
      const d = <u32>load<u8>(p + i) - 0x30;
      if (d >= 10) return REASON_BAD_NUMBER;
      if (frac < dec) {
        if (acc > BIG) big = true; else acc = acc * 10 + d;
        frac++;
      } else if (d != 0) {
        inexact = true;
      }
      i++;
    }
  }
  for (; frac < dec; frac++) {
    if (acc > BIG) big = true; else acc *= 10;
  }
  if (inexact) return REASON_PRECISION;
  if (big || acc > <u64>MAX_SCALED_PRICE) return REASON_PRICE_RANGE;
  store<i64>(dst, neg ? -<i64>acc : <i64>acc);
  return 0;
}

// Unsigned decimal integer text [0-9]+ up to `max`.
function convUnsigned(p: usize, n: usize, max: u64, dst: usize): i32 {
  if (n == 0) return REASON_BAD_NUMBER;
  let acc: u64 = 0;
  let over = false;
  for (let i: usize = 0; i < n; i++) {
    const d = <u32>load<u8>(p + i) - 0x30;
    if (d >= 10) return REASON_BAD_NUMBER;
    if (acc > 1844674407370955161 || (acc == 1844674407370955161 && d > 5)) over = true; else acc = acc * 10 + d;
  }
  if (over || acc > max) return REASON_RANGE;
  store<u64>(dst, acc);
  return 0;
}

// Percent text -?[0-9]+(.[0-9]+)? to hundredths of a percent, rounded half away from zero.
function convPercent(p: usize, n: usize, dst: usize): i32 {
  let i: usize = 0;
  let neg = false;
  if (n > 0 && load<u8>(p) == 0x2d) {
    neg = true;
    i = 1;
  }
  let acc: u64 = 0;
  let big = false;
  const intStart = i;
  while (i < n) {
    const d = <u32>load<u8>(p + i) - 0x30;
    if (d >= 10) break;
    if (acc > BIG) big = true; else acc = acc * 10 + d;
    i++;
  }
  if (i == intStart) return REASON_BAD_NUMBER;
  let frac: u32 = 0;
  let up = false;
  if (i < n) {
    if (load<u8>(p + i) != 0x2e || i + 1 == n) return REASON_BAD_NUMBER;
    i++;
    while (i < n) {
      const d = <u32>load<u8>(p + i) - 0x30;
      if (d >= 10) return REASON_BAD_NUMBER;
      if (frac < 2) {
        if (acc > BIG) big = true; else acc = acc * 10 + d;
      } else if (frac == 2) {
        up = d >= 5;
      }
      frac++;
      i++;
    }
  }
  for (; frac < 2; frac++) {
    if (acc > BIG) big = true; else acc *= 10;
  }
  if (up) acc++;
  if (big || acc > 0x7fffffff) return REASON_RANGE;
  store<i64>(dst, neg ? -<i64>acc : <i64>acc);
  return 0;
}

// @ts-ignore: decorator
@inline function digit2(p: usize): u32 {
  const a = <u32>load<u8>(p) - 0x30;
  const b = <u32>load<u8>(p + 1) - 0x30;
  return a < 10 && b < 10 ? a * 10 + b : 0xffff;
}

// "HH:MM:SS" at p → seconds of the day, or -1.
function timeOfDay(p: usize): i64 {
  const h = digit2(p);
  const m = digit2(p + 3);
  const s = digit2(p + 6);
  if (load<u8>(p + 2) != 0x3a || load<u8>(p + 5) != 0x3a || h > 23 || m > 59 || s > 59) return -1;
  return <i64>(h * 3600 + m * 60 + s);
}

// Days from 1970-01-01 to a proleptic Gregorian date (y ≥ 1).
// @ts-ignore: decorator
@inline function daysFromCivil(y: i64, m: i64, d: i64): i64 {
  y -= m <= 2 ? 1 : 0;
  const era = y / 400;
  const yoe = y - era * 400;
  const doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

// Last trade time: "HH:MM:SS" (IST, on the IST day that puts it nearest `ref` ms),
// "DD-MM-YYYY HH:MM:SS" or "HH:MM:SS DD-MM-YYYY" (IST), or epoch seconds. Stores ms since the epoch.
function convTradeTime(p: usize, n: usize, ref: i64, dst: usize): i32 {
  let digits = n > 0;
  for (let i: usize = 0; digits && i < n; i++) if (<u32>load<u8>(p + i) - 0x30 >= 10) digits = false;
  if (digits) {
    const r = convUnsigned(p, n, MAX_EPOCH_SECONDS, dst);
    if (r == 0) store<i64>(dst, load<i64>(dst) * 1000);
    return r;
  }
  if (n == 8) {
    const s = timeOfDay(p);
    if (s < 0) return REASON_BAD_TIME;
    const day: i64 = DAY_MS;
    let t = (ref + <i64>IST_OFFSET_MS) / day * day + s * 1000 - <i64>IST_OFFSET_MS;
    if (t - ref > day / 2) t -= day;
    else if (ref - t > day / 2) t += day;
    store<i64>(dst, t);
    return 0;
  }
  if (n == 19) {
    // "DD-MM-YYYY HH:MM:SS" or, as Noren also writes, "HH:MM:SS DD-MM-YYYY".
    const timeFirst = load<u8>(p + 2) == 0x3a;
    const dp = timeFirst ? p + 9 : p;
    const d = digit2(dp);
    const m = digit2(dp + 3);
    const y = digit2(dp + 6) * 100 + digit2(dp + 8);
    const s = timeOfDay(timeFirst ? p : p + 11);
    if (load<u8>(dp + 2) != 0x2d || load<u8>(dp + 5) != 0x2d || load<u8>(timeFirst ? p + 8 : p + 10) != 0x20 || s < 0
      || m < 1 || m > 12 || y < 1900 || y > 9999 || d < 1) return REASON_BAD_TIME;
    const leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    const dim: u32 = m == 2 ? (leap ? 29 : 28) : m == 4 || m == 6 || m == 9 || m == 11 ? 30 : 31;
    if (d > dim) return REASON_BAD_TIME;
    store<i64>(dst, daysFromCivil(<i64>y, <i64>m, <i64>d) * <i64>DAY_MS + s * 1000 - <i64>IST_OFFSET_MS);
    return 0;
  }
  return REASON_BAD_TIME;
}

// ─── the token map ─────────────────────────────────────────────────────────────────

// @ts-ignore: decorator
@inline function mapHash(exchangeKey: u32, token: u32): u32 {
  let h = (exchangeKey * NMAP_HASH_M1) ^ token;
  h *= NMAP_HASH_M2;
  return h ^ (h >> 15);
}

/** The entry of (exchangeKey, token) in the token map at `map`, or 0. */
function mapFind(map: usize, exchangeKey: u32, token: u32): usize {
  const mask = load<u32>(map, NMAP_OFF_INDEX_MASK);
  const entries = <usize>load<u32>(map, NMAP_OFF_ENTRIES);
  let i = mapHash(exchangeKey, token) & mask;
  for (;;) {
    const cell = load<u32>(map + NMAP_HEADER_BYTES + (<usize>i << 2));
    if (cell == 0) return 0;
    const e = entries + <usize>(cell - 1) * NMAP_ENTRY_BYTES;
    if (load<u32>(e, NENT_OFF_EXCHANGE_KEY) == exchangeKey && load<u32>(e, NENT_OFF_TOKEN) == token) return e;
    i = (i + 1) & mask;
  }
  return 0; // not reached: the index is never full
}

// ─── one frame ─────────────────────────────────────────────────────────────────────

// @ts-ignore: decorator
@inline const NO_ROOM: i32 = -1;
// @ts-ignore: decorator
@inline const NO_CONTROL_ROOM: i32 = -2;

// @ts-ignore: decorator
@inline function malformed(reason: i32): i32 {
  return OUTCOME_MALFORMED + reason;
}

// @ts-ignore: decorator
@inline function bump(ctx: usize, counter: i32): void {
  const p = ctx + NCTX_OFF_COUNTERS + (<usize>counter << 3);
  store<f64>(p, load<f64>(p) + 1);
}

// Whether field f's value is absent ("" or "-"); decodes an escaped value in place first.
// Leaves the value's (start, length) in the fields table.
// @ts-ignore: decorator
@inline function valueSpan(fields: usize, f: i32, escaped: u64): usize {
  const slot = fields + (<usize>f << 3);
  let n = <usize>load<u32>(slot, 4);
  if ((escaped >> <u64>f & 1) != 0) {
    n = unescapeAscii(<usize>load<u32>(slot), <usize>load<u32>(slot) + n);
    store<u32>(slot, <u32>n, 4);
  }
  return n;
}

// Parses one frame [f, f + len) and, for a tick frame, writes its record at `outP`.
// Returns an OUTCOME_*, or NO_ROOM / NO_CONTROL_ROOM (nothing read or changed: keep the frame).
function frame(ctx: usize, f: usize, len: usize, outP: usize, outEnd: usize): i32 {
  const end = f + len;
  const fields = <usize>load<u32>(ctx, NCTX_OFF_FIELDS);
  const values = <usize>load<u32>(ctx, NCTX_OFF_VALUES);
  const stack = <usize>load<u32>(ctx, NCTX_OFF_STACK);
  const bits = load<u32>(ctx, NCTX_OFF_STACK_BITS);
  const flag = values + 504; // scratch word for scanString's escape flag (values[63] is unused)

  // Phase 1: the whole text as JSON; the last span of each known top-level key.
  let present: u64 = 0;
  let wrong: u64 = 0;
  let escaped: u64 = 0;
  let i = ws(f, end);
  if (i >= end || load<u8>(i) != 0x7b) return malformed(REASON_BAD_JSON);
  i = ws(i + 1, end);
  if (i >= end) return malformed(REASON_BAD_JSON);
  if (load<u8>(i) == 0x7d) {
    i++;
  } else {
    for (;;) {
      if (load<u8>(i) != 0x22) return malformed(REASON_BAD_JSON);
      store<u32>(flag, 0);
      const kq = scanString(i + 1, end, flag);
      if (kq == 0) return malformed(REASON_BAD_JSON);
      const field = fieldOf(packKey(i + 1, kq, load<u32>(flag) != 0));
      i = ws(kq + 1, end);
      if (i >= end || load<u8>(i) != 0x3a) return malformed(REASON_BAD_JSON);
      i = ws(i + 1, end);
      if (i >= end) return malformed(REASON_BAD_JSON);
      if (field >= 0) {
        const bit: u64 = <u64>1 << <u64>field;
        present |= bit;
        if (load<u8>(i) == 0x22) {
          store<u32>(flag, 0);
          const vq = scanString(i + 1, end, flag);
          if (vq == 0) return malformed(REASON_BAD_JSON);
          const slot = fields + (<usize>field << 3);
          store<u32>(slot, <u32>(i + 1));
          store<u32>(slot, <u32>(vq - i - 1), 4);
          wrong &= ~bit;
          if (load<u32>(flag) != 0) escaped |= bit; else escaped &= ~bit;
          i = vq + 1;
        } else {
          i = skipValue(i, end, stack, bits, flag);
          if (i == 0) return malformed(REASON_BAD_JSON);
          wrong |= bit;
        }
      } else {
        i = skipValue(i, end, stack, bits, flag);
        if (i == 0) return malformed(REASON_BAD_JSON);
      }
      i = ws(i, end);
      if (i >= end) return malformed(REASON_BAD_JSON);
      const c = <u32>load<u8>(i);
      if (c == 0x7d) {
        i++;
        break;
      }
      if (c != 0x2c) return malformed(REASON_BAD_JSON);
      i = ws(i + 1, end);
      if (i >= end) return malformed(REASON_BAD_JSON);
    }
  }
  if (ws(i, end) != end) return malformed(REASON_BAD_JSON);

  // Phase 2: the type. Nothing has been written yet, so a frame that cannot be taken now
  // stays as it is for the next call.
  if ((present & (1 << F_T)) == 0) return malformed(REASON_UNKNOWN_TYPE);
  if ((wrong & (1 << F_T)) != 0) return malformed(REASON_WRONG_TYPE);
  const tSlot = fields + (F_T << 3);
  const t = packKey(<usize>load<u32>(tSlot), <usize>load<u32>(tSlot) + <usize>load<u32>(tSlot, 4), (escaped & (1 << F_T)) != 0);
  let depth = false;
  if (t == T_DK || t == T_DF) {
    depth = true;
  } else if (t != T_TK && t != T_TF) {
    if (!isControl(t)) return malformed(REASON_UNKNOWN_TYPE);
    if (load<u32>(ctx, NCTX_OFF_CONTROL_COUNT) >= load<u32>(ctx, NCTX_OFF_CONTROLS_CAP)) return NO_CONTROL_ROOM;
    return OUTCOME_CONTROL;
  }
  const size: usize = depth ? DEPTH_BYTES : QUOTE_BYTES;
  if (outEnd - outP < size) return NO_ROOM;
  if (wrong != 0) return malformed(REASON_WRONG_TYPE);
  const partial = t == T_TF || t == T_DF;

  // The symbol.
  let n: usize = (present & (1 << F_E)) != 0 ? valueSpan(fields, F_E, escaped) : 0;
  let p = <usize>load<u32>(fields + (F_E << 3));
  if (n == 0 || (n == 1 && load<u8>(p) == 0x2d)) return malformed(REASON_MISSING_KEY);
  let exchangeKey: u32 = 0;
  let known = n <= 4;
  for (let j: usize = 0; known && j < n; j++) {
    const c = <u32>load<u8>(p + j);
    if (c - 0x41 >= 26) known = false;
    exchangeKey |= c << (<u32>j * 8);
  }
  n = (present & (1 << F_TK)) != 0 ? valueSpan(fields, F_TK, escaped) : 0;
  p = <usize>load<u32>(fields + (F_TK << 3));
  if (n == 0 || (n == 1 && load<u8>(p) == 0x2d)) return malformed(REASON_MISSING_KEY);
  let token: u64 = 0;
  if (n > 10 || (n > 1 && load<u8>(p) == 0x30)) known = false;
  for (let j: usize = 0; known && j < n; j++) {
    const d = <u32>load<u8>(p + j) - 0x30;
    if (d >= 10) known = false;
    token = token * 10 + d;
  }
  if (token > 0xffffffff) known = false;
  const entry = known ? mapFind(<usize>load<u32>(ctx, NCTX_OFF_MAP), exchangeKey, <u32>token) : 0;
  if (entry == 0) return malformed(REASON_UNKNOWN_SYMBOL);
  const dec = <u32>load<u8>(entry, NENT_OFF_PRICE_DECIMALS);
  const state = entry + NENT_OFF_STATE;

  // `pp`, when given, must be the symbol master's decimals.
  if ((present & (1 << F_PP)) != 0) {
    n = valueSpan(fields, F_PP, escaped);
    p = <usize>load<u32>(fields + (F_PP << 3));
    if (!(n == 0 || (n == 1 && load<u8>(p) == 0x2d))) {
      let pp: u32 = 0;
      for (let j: usize = 0; j < n; j++) {
        const d = <u32>load<u8>(p + j) - 0x30;
        if (d >= 10) return malformed(REASON_BAD_NUMBER);
        if (pp < 1000) pp = pp * 10 + d;
      }
      if (pp != dec) return malformed(REASON_DECIMALS);
    }
  }

  // Every other field, in field order, into values[]; `have` = fields with a value.
  let have: u64 = 0;
  let todo = present & ~(<u64>((1 << F_FIRST_VALUE) - 1));
  while (todo != 0) {
    const fi = <i32>ctz(todo);
    todo &= todo - 1;
    n = valueSpan(fields, fi, escaped);
    p = <usize>load<u32>(fields + (<usize>fi << 3));
    if (n == 0 || (n == 1 && load<u8>(p) == 0x2d)) continue;
    const dst = values + (<usize>fi << 3);
    const conv = load<u32>(FIELD_TABLE + (<usize>fi << 2)) >> 16 & 0xff;
    let r: i32 = 0;
    if (conv == CV_PRICE) r = convPrice(p, n, dec, dst);
    else if (conv == CV_U32) r = convUnsigned(p, n, 0xffffffff, dst);
    else if (conv == CV_U64) r = convUnsigned(p, n, 0xffffffffffffffff, dst);
    else if (conv == CV_PERCENT) r = convPercent(p, n, dst);
    else if (conv == CV_EPOCH) {
      r = convUnsigned(p, n, MAX_EPOCH_SECONDS, dst);
      if (r == 0) store<i64>(dst, load<i64>(dst) * 1000);
    } else if (conv == CV_TRADE_TIME) {
      // The day of a time-of-day text comes from this frame's feed time, else the last one, else the wall clock.
      const ref = (have & (<u64>1 << F_FT)) != 0 ? load<i64>(values + (F_FT << 3))
        : load<i64>(state, OFF_EXCH_TIME_MS) != 0 ? load<i64>(state, OFF_EXCH_TIME_MS)
        : <i64>load<f64>(ctx, NCTX_OFF_WALL_CLOCK_MS);
      r = convTradeTime(p, n, ref, dst);
    }
    if (r != 0) return malformed(r);
    have |= <u64>1 << <u64>fi;
  }

  // Guards, on the values this frame carries.
  const guards = load<u32>(ctx, NCTX_OFF_GUARDS);
  let flagged: u32 = 0;
  if ((have & (<u64>1 << F_LP)) != 0) {
    const lp = load<i64>(values + (F_LP << 3));
    if ((guards & (1 << GUARD_NON_POSITIVE)) != 0 && lp <= 0 && (load<u8>(entry, NENT_OFF_FLAGS) & NENT_FLAG_ALLOW_NON_POSITIVE) == 0) {
      flagged |= 1 << GUARD_NON_POSITIVE;
    }
    const last = load<i64>(state, OFF_LTP);
    if ((guards & (1 << GUARD_BAND)) != 0 && last != 0
      && abs<f64>(<f64>(lp - last)) * 100 > load<f64>(ctx, NCTX_OFF_BAND_PERCENT) * abs<f64>(<f64>last)) {
      flagged |= 1 << GUARD_BAND;
    }
  }
  if ((guards & (1 << GUARD_STALE)) != 0 && (have & (<u64>1 << F_FT)) != 0
    && <f64>load<i64>(values + (F_FT << 3)) < load<f64>(ctx, NCTX_OFF_WALL_CLOCK_MS) - load<f64>(ctx, NCTX_OFF_MAX_AGE_MS)) {
    flagged |= 1 << GUARD_STALE;
  }
  if (flagged != 0) {
    for (let g = 0; g < 3; g++) if ((flagged >> g & 1) != 0) bump(ctx, COUNTER_GUARD + g);
    if ((flagged & (guards >> GUARD_POLICY_SHIFT)) != 0) {
      bump(ctx, COUNTER_GUARD_DROPPED);
      return OUTCOME_GUARD_DROPPED;
    }
  }

  // Commit: the values into the state, then the record from the state.
  todo = have;
  while (todo != 0) {
    const fi = <i32>ctz(todo);
    todo &= todo - 1;
    const desc = load<u32>(FIELD_TABLE + (<usize>fi << 2));
    const at = state + <usize>(desc & 0xffff);
    const v = load<i64>(values + (<usize>fi << 3));
    const conv = desc >> 16 & 0xff;
    if (conv == CV_U32) {
      store<u32>(at, <u32>v);
    } else if (conv == CV_PERCENT) {
      store<i32>(at, <i32>v);
    } else {
      if (partial && v == 0 && (desc >> 24 & FL_KEEP_NONZERO) != 0) continue;
      store<i64>(at, v);
    }
  }
  const seq = load<u64>(entry, NENT_OFF_SEQ) + 1;
  store<u64>(entry, seq, NENT_OFF_SEQ);
  store<f64>(entry, load<f64>(ctx, NCTX_OFF_WALL_CLOCK_MS), NENT_OFF_LAST_MS);
  memory.copy(outP, state, size);
  store<u16>(outP, <u16>size, OFF_LENGTH);
  store<u8>(outP, depth ? KIND_DEPTH : KIND_QUOTE, OFF_KIND);
  store<u8>(outP, FORMAT_VERSION, OFF_VERSION);
  store<u32>(outP, load<u32>(entry, NENT_OFF_SYMBOL_ID), OFF_SYMBOL_ID);
  store<u64>(outP, seq, OFF_SEQ);
  store<u64>(outP, <u64>load<f64>(ctx, NCTX_OFF_RECV_TIME_NS), OFF_RECV_TIME_NS);
  store<u8>(outP, load<u8>(entry, NENT_OFF_EXCHANGE), OFF_EXCHANGE);
  store<u8>(outP, <u8>dec, OFF_PRICE_DECIMALS);
  store<u16>(outP, 0, OFF_FLAGS);
  // The best bid/ask are level 0 of the book (bp1/sp1/bq1/sq1) in both kinds.
  store<i64>(outP, load<i64>(state, OFF_DEPTH_BIDS), 120);
  store<i64>(outP, load<i64>(state, OFF_DEPTH_ASKS), 128);
  store<u32>(outP, load<u32>(state, OFF_DEPTH_BIDS + LEVEL_OFF_QTY), 136);
  store<u32>(outP, load<u32>(state, OFF_DEPTH_ASKS + LEVEL_OFF_QTY), 140);
  return depth ? OUTCOME_DEPTH : OUTCOME_QUOTE;
}

/**
 * Parses every frame pushed into the context's frame buffer, from readPos to writePos,
 * writing one record per tick frame back to back at `out`. Stops early, leaving the rest
 * for the next call, when the output or the control table is full. Writes outBytes,
 * framesDone, controlCount and the per-frame outcomes; advances readPos. Returns the
 * number of records written.
 */
export function norenParse(ctx: usize): i32 {
  let p = <usize>load<u32>(ctx, NCTX_OFF_READ);
  const end = <usize>load<u32>(ctx, NCTX_OFF_WRITE);
  const out = <usize>load<u32>(ctx, NCTX_OFF_OUT);
  const outEnd = out + <usize>load<u32>(ctx, NCTX_OFF_OUT_CAP);
  const outcomes = <usize>load<u32>(ctx, NCTX_OFF_OUTCOMES);
  const outcomesCap = <usize>load<u32>(ctx, NCTX_OFF_OUTCOMES_CAP);
  const controls = <usize>load<u32>(ctx, NCTX_OFF_CONTROLS);
  let outP = out;
  let done: usize = 0;
  let records: i32 = 0;
  store<u32>(ctx, 0, NCTX_OFF_CONTROL_COUNT);
  while (p + 4 <= end && done < outcomesCap) {
    const len = <usize>load<u32>(p);
    const f = p + 4;
    const r = frame(ctx, f, len, outP, outEnd);
    if (r < 0) break;
    store<u8>(outcomes + done, <u8>r);
    done++;
    bump(ctx, COUNTER_FRAMES);
    if (r == OUTCOME_QUOTE || r == OUTCOME_DEPTH) {
      outP += r == OUTCOME_DEPTH ? DEPTH_BYTES : QUOTE_BYTES;
      records++;
      bump(ctx, COUNTER_TICKS);
    } else if (r == OUTCOME_CONTROL) {
      const k = load<u32>(ctx, NCTX_OFF_CONTROL_COUNT);
      store<u32>(controls + (<usize>k << 3), <u32>f);
      store<u32>(controls + (<usize>k << 3), <u32>len, 4);
      store<u32>(ctx, k + 1, NCTX_OFF_CONTROL_COUNT);
      bump(ctx, COUNTER_CONTROL);
    } else if (r >= OUTCOME_MALFORMED) {
      bump(ctx, COUNTER_MALFORMED + r - OUTCOME_MALFORMED);
    }
    p = f + ((len + 3) & ~3);
  }
  store<u32>(ctx, <u32>p, NCTX_OFF_READ);
  store<u32>(ctx, <u32>(outP - out), NCTX_OFF_OUT_BYTES);
  store<u32>(ctx, <u32>done, NCTX_OFF_FRAMES_DONE);
  return records;
}
