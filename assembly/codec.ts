// Batch codec: stage form (prices as f64) <-> record form (prices as scaled
// integers). One call converts a whole contiguous batch of records, so the
// JS<->Wasm boundary is crossed once per batch. Both directions validate every
// header, and encode rejects prices that are not finite or do not fit 2^53.

import {
  KIND_QUOTE, KIND_DEPTH, KIND_PADDING, OFF_KIND, OFF_PRICE_DECIMALS, OFF_LTP,
  OFF_AVG_PRICE, OFF_OPEN, OFF_HIGH, OFF_LOW, OFF_CLOSE, OFF_BID, OFF_ASK,
  OFF_UPPER_CIRCUIT, OFF_LOWER_CIRCUIT, OFF_DEPTH_BIDS, OFF_DEPTH_ASKS, LEVEL_BYTES,
  MAX_SCALED_PRICE, ERR_PRICE,
} from "../src/format/layout";
import { checkRecord, POW10_F64 } from "./record";

// Status block written on failure: u32 index of the failing record, u32 offset of the field (0: header).
// @ts-ignore: decorator
@inline function fail(status: usize, index: u32, field: u32, code: i32): i32 {
  store<u32>(status, index);
  store<u32>(status, field, 4);
  return code;
}

// Encode: round half away from zero, as scalePrice does in src/format/record.ts:
// 2500.05 * 100 = 250004.99999999997 -> 250005. x - trunc(x) is exact, so the test is too.
// Decode: an integer below 2^53 divided by a power of ten is the double nearest the
// decimal, exactly what parseFloat gives. Both refuse values beyond ±2^53 (false).
// @ts-ignore: decorator
@inline function convertPrice(src: usize, dst: usize, off: usize, pow: f64, encode: bool): bool {
  if (encode) {
    const y = load<f64>(src + off) * pow;
    const t = trunc<f64>(y);
    const x = abs<f64>(y - t) >= 0.5 ? t + copysign<f64>(1, y) : t;
    if (!(abs<f64>(x) <= <f64>MAX_SCALED_PRICE)) return false;
    store<i64>(dst + off, <i64>x);
  } else {
    const m = load<i64>(src + off);
    if (m > MAX_SCALED_PRICE || m < -MAX_SCALED_PRICE) return false;
    store<f64>(dst + off, <f64>m / pow);
  }
  return true;
}

// Converts every price field of a record of `kind`. Returns 0, or the offset of the
// first bad price field (never 0: prices start at 32).
// @ts-ignore: decorator
@inline function convertPrices(src: usize, dst: usize, kind: u32, pow: f64, encode: bool): u32 {
  if (!convertPrice(src, dst, OFF_LTP, pow, encode)) return OFF_LTP;
  if (kind < <u32>KIND_QUOTE) return 0;
  if (!convertPrice(src, dst, OFF_AVG_PRICE, pow, encode)) return OFF_AVG_PRICE;
  if (!convertPrice(src, dst, OFF_OPEN, pow, encode)) return OFF_OPEN;
  if (!convertPrice(src, dst, OFF_HIGH, pow, encode)) return OFF_HIGH;
  if (!convertPrice(src, dst, OFF_LOW, pow, encode)) return OFF_LOW;
  if (!convertPrice(src, dst, OFF_CLOSE, pow, encode)) return OFF_CLOSE;
  if (!convertPrice(src, dst, OFF_BID, pow, encode)) return OFF_BID;
  if (!convertPrice(src, dst, OFF_ASK, pow, encode)) return OFF_ASK;
  if (!convertPrice(src, dst, OFF_UPPER_CIRCUIT, pow, encode)) return OFF_UPPER_CIRCUIT;
  if (!convertPrice(src, dst, OFF_LOWER_CIRCUIT, pow, encode)) return OFF_LOWER_CIRCUIT;
  if (kind < <u32>KIND_DEPTH) return 0;
  for (let off: u32 = OFF_DEPTH_BIDS; off < <u32>OFF_DEPTH_ASKS + 5 * LEVEL_BYTES; off += LEVEL_BYTES) {
    if (!convertPrice(src, dst, off, pow, encode)) return off;
  }
  return 0;
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

// @ts-ignore: decorator
@inline function convertBatch(src: usize, bytes: u32, dst: usize, status: usize, encode: bool): i32 {
  let offset: usize = 0;
  let index: u32 = 0;
  let ticks: i32 = 0;
  const end = <usize>bytes;
  while (offset < end) {
    const p = src + offset;
    const length = checkRecord(p, end - offset);
    if (length < 0) return fail(status, index, 0, length);
    const q = dst + offset;
    if (p != q) memory.copy(q, p, <usize>length);
    const kind = <u32>load<u8>(p, OFF_KIND);
    if (kind != KIND_PADDING) {
      const pow = load<f64>(POW10_F64 + (<usize>load<u8>(p, OFF_PRICE_DECIMALS) << 3));
      const bad = convertPrices(p, q, kind, pow, encode);
      if (bad != 0) return fail(status, index, bad, ERR_PRICE);
      ticks++;
    }
    offset += <usize>length;
    index++;
  }
  return ticks;
}
