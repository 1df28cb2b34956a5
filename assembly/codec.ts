// Batch codec: stage form (prices as f64) <-> record form (prices as scaled
// integers). One call converts a whole contiguous batch of records, so the
// JS<->Wasm boundary is crossed once per batch. Both directions validate every
// header and every price: one exactness rule (docs/FORMAT.md) on both sides.

import {
  KIND_QUOTE, KIND_DEPTH, KIND_PADDING, OFF_KIND, OFF_PRICE_DECIMALS, OFF_LTP,
  OFF_AVG_PRICE, OFF_OPEN, OFF_HIGH, OFF_LOW, OFF_CLOSE, OFF_BID, OFF_ASK,
  OFF_UPPER_CIRCUIT, OFF_LOWER_CIRCUIT, OFF_DEPTH_BIDS, OFF_DEPTH_ASKS, LEVEL_BYTES,
  MAX_SCALED_PRICE, ERR_PRICE, ERR_PRECISION,
} from "../src/format/layout";
import { checkHeader, checkRecord, checkBook, POW10_F64 } from "./record";

// Status block written on failure: u32 index of the failing record, u32 offset of the field (0: header).
// @ts-ignore: decorator
@inline function fail(status: usize, index: u32, field: u32, code: i32): i32 {
  store<u32>(status, index);
  store<u32>(status, field, 4);
  return code;
}

// Encode: v at d decimals is the integer m with m / 10^d == v, the double nearest the
// decimal: m = round half away from zero of v × 10^d (1.15 × 100 = 114.99999999999999
// -> 115), then the division proves it (2500.055 at 2 gives 250006, and 2500.06 !=
// 2500.055: ERR_PRECISION, never a silent rounding). |m| < 2^51 makes both steps exact.
// Decode: m / 10^d, the double nearest the decimal (what parseFloat gives for its text).
// Returns 0, ERR_PRICE (not finite, or |m| beyond MAX_SCALED_PRICE) or ERR_PRECISION.
// @ts-ignore: decorator
@inline function convertPrice(src: usize, dst: usize, off: usize, pow: f64, encode: bool): i32 {
  if (encode) {
    const v = load<f64>(src + off);
    const y = v * pow;
    const t = trunc<f64>(y);
    const x = abs<f64>(y - t) >= 0.5 ? t + copysign<f64>(1, y) : t;
    if (!(abs<f64>(x) <= <f64>MAX_SCALED_PRICE)) return ERR_PRICE;
    if (x / pow != v) return ERR_PRECISION;
    store<i64>(dst + off, <i64>x);
  } else {
    const m = load<i64>(src + off);
    if (m > MAX_SCALED_PRICE || m < -MAX_SCALED_PRICE) return ERR_PRICE;
    store<f64>(dst + off, <f64>m / pow);
  }
  return 0;
}

// Converts every price field of a record of `kind`. Returns 0, or the error code of the
// first bad price field with that field's offset in `status` + 4.
// @ts-ignore: decorator
@inline function convertPrices(src: usize, dst: usize, kind: u32, pow: f64, encode: bool, status: usize): i32 {
  let bad = convertPrice(src, dst, OFF_LTP, pow, encode);
  if (bad != 0) return badField(status, OFF_LTP, bad);
  if (kind < <u32>KIND_QUOTE) return 0;
  if ((bad = convertPrice(src, dst, OFF_AVG_PRICE, pow, encode)) != 0) return badField(status, OFF_AVG_PRICE, bad);
  if ((bad = convertPrice(src, dst, OFF_OPEN, pow, encode)) != 0) return badField(status, OFF_OPEN, bad);
  if ((bad = convertPrice(src, dst, OFF_HIGH, pow, encode)) != 0) return badField(status, OFF_HIGH, bad);
  if ((bad = convertPrice(src, dst, OFF_LOW, pow, encode)) != 0) return badField(status, OFF_LOW, bad);
  if ((bad = convertPrice(src, dst, OFF_CLOSE, pow, encode)) != 0) return badField(status, OFF_CLOSE, bad);
  if ((bad = convertPrice(src, dst, OFF_BID, pow, encode)) != 0) return badField(status, OFF_BID, bad);
  if ((bad = convertPrice(src, dst, OFF_ASK, pow, encode)) != 0) return badField(status, OFF_ASK, bad);
  if ((bad = convertPrice(src, dst, OFF_UPPER_CIRCUIT, pow, encode)) != 0) return badField(status, OFF_UPPER_CIRCUIT, bad);
  if ((bad = convertPrice(src, dst, OFF_LOWER_CIRCUIT, pow, encode)) != 0) return badField(status, OFF_LOWER_CIRCUIT, bad);
  if (kind < <u32>KIND_DEPTH) return 0;
  for (let off: u32 = OFF_DEPTH_BIDS; off < <u32>OFF_DEPTH_ASKS + 5 * LEVEL_BYTES; off += LEVEL_BYTES) {
    if ((bad = convertPrice(src, dst, off, pow, encode)) != 0) return badField(status, off, bad);
  }
  return 0;
}

// @ts-ignore: decorator
@inline function badField(status: usize, field: u32, code: i32): i32 {
  store<u32>(status, field, 4);
  return code;
}

/**
 * Encodes the stage-form batch of `bytes` bytes at `src` into records at `dst`
 * (which may equal `src`; the regions must not otherwise overlap). Returns the
 * number of tick records (padding excluded) or a negative error code, with the
 * failing record's index and field offset in the 8-byte block at `status`. On
 * failure the records before that index are converted and the failing one is left
 * part converted: re-encode from the stage form.
 */
export function encodeBatch(src: usize, bytes: u32, dst: usize, status: usize): i32 {
  return convertBatch(src, bytes, dst, status, true);
}

/** Decodes records at `src` into the stage form at `dst`; refuses scaled prices beyond ±2^53 (ERR_PRICE). Same contract as encodeBatch. */
export function decodeBatch(src: usize, bytes: u32, dst: usize, status: usize): i32 {
  return convertBatch(src, bytes, dst, status, false);
}

// Records are checked in record form: the source when decoding, the result when encoding
// (a DEPTH record's best bid/ask must repeat level 0 of its book: ERR_BOOK).
// @ts-ignore: decorator
@inline function convertBatch(src: usize, bytes: u32, dst: usize, status: usize, encode: bool): i32 {
  let offset: usize = 0;
  let index: u32 = 0;
  let ticks: i32 = 0;
  const end = <usize>bytes;
  while (offset < end) {
    const p = src + offset;
    const length = encode ? checkHeader(p, end - offset) : checkRecord(p, end - offset);
    if (length < 0) return fail(status, index, 0, length);
    const q = dst + offset;
    if (p != q) memory.copy(q, p, <usize>length);
    const kind = <u32>load<u8>(p, OFF_KIND);
    if (kind != KIND_PADDING) {
      const pow = load<f64>(POW10_F64 + (<usize>load<u8>(p, OFF_PRICE_DECIMALS) << 3));
      const bad = convertPrices(p, q, kind, pow, encode, status);
      if (bad != 0) {
        store<u32>(status, index);
        return bad;
      }
      if (encode && kind == KIND_DEPTH) {
        const book = checkBook(q);
        if (book < 0) return fail(status, index, 0, book);
      }
      ticks++;
    }
    offset += <usize>length;
    index++;
  }
  return ticks;
}
