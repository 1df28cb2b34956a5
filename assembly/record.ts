// Record validation and the list of price fields, shared by the codec, the JSON
// renderer, the rings and the cache. Offsets come from src/format/layout.ts (the one definition).

import {
  SLOT_BYTES, FORMAT_VERSION, KIND_LTP, KIND_QUOTE, KIND_DEPTH, KIND_PADDING,
  LTP_BYTES, QUOTE_BYTES, DEPTH_BYTES, OFF_LENGTH, OFF_KIND, OFF_VERSION, OFF_EXCHANGE,
  OFF_PRICE_DECIMALS, EXCHANGE_COUNT, MAX_PRICE_DECIMALS, OFF_BID, OFF_ASK, OFF_BID_QTY, OFF_ASK_QTY,
  OFF_DEPTH_BIDS, OFF_DEPTH_ASKS, LEVEL_OFF_PRICE, LEVEL_OFF_QTY,
  ERR_TRUNCATED, ERR_VERSION, ERR_KIND, ERR_LENGTH, ERR_EXCHANGE, ERR_DECIMALS, ERR_BOOK,
} from "../src/format/layout";

/** Bytes of a record of `kind`, or 0 for a kind that is not a tick. */
// @ts-ignore: decorator
@inline export function kindBytes(kind: u32): u32 {
  return kind == KIND_LTP ? LTP_BYTES : kind == KIND_QUOTE ? QUOTE_BYTES : kind == KIND_DEPTH ? DEPTH_BYTES : 0;
}

/**
 * Checks the header of the record at `p` with `remaining` bytes left in its batch.
 * Returns its length, or a negative error code. Padding records pass with their length.
 * Reads nothing past `p + remaining`.
 */
// @ts-ignore: decorator
@inline export function checkHeader(p: usize, remaining: usize): i32 {
  if (remaining < <usize>SLOT_BYTES) return ERR_TRUNCATED;
  const length = <u32>load<u16>(p, OFF_LENGTH);
  const kind = <u32>load<u8>(p, OFF_KIND);
  if (<u32>load<u8>(p, OFF_VERSION) != FORMAT_VERSION) return ERR_VERSION;
  if (kind == KIND_PADDING) {
    if (length == 0 || (length & (SLOT_BYTES - 1)) != 0) return ERR_LENGTH;
    if (<usize>length > remaining) return ERR_TRUNCATED;
    return <i32>length;
  }
  const expected = kindBytes(kind);
  if (expected == 0) return ERR_KIND;
  if (length != expected) return ERR_LENGTH;
  if (<usize>length > remaining) return ERR_TRUNCATED;
  const exchange = <u32>load<u8>(p, OFF_EXCHANGE);
  if (exchange < 1 || exchange > <u32>EXCHANGE_COUNT) return ERR_EXCHANGE;
  if (<u32>load<u8>(p, OFF_PRICE_DECIMALS) > <u32>MAX_PRICE_DECIMALS) return ERR_DECIMALS;
  return <i32>length;
}

/** 0, or ERR_BOOK when the DEPTH record at `p` has a best bid/ask that is not level 0 of its book. */
// @ts-ignore: decorator
@inline export function checkBook(p: usize): i32 {
  return load<i64>(p, OFF_BID) == load<i64>(p + OFF_DEPTH_BIDS, LEVEL_OFF_PRICE)
    && load<u32>(p, OFF_BID_QTY) == load<u32>(p + OFF_DEPTH_BIDS, LEVEL_OFF_QTY)
    && load<i64>(p, OFF_ASK) == load<i64>(p + OFF_DEPTH_ASKS, LEVEL_OFF_PRICE)
    && load<u32>(p, OFF_ASK_QTY) == load<u32>(p + OFF_DEPTH_ASKS, LEVEL_OFF_QTY) ? 0 : ERR_BOOK;
}

/**
 * Checks a record in record form (scaled prices): its header and, for DEPTH, that
 * its best bid/ask repeat level 0. Returns its length or a negative error code.
 */
// @ts-ignore: decorator
@inline export function checkRecord(p: usize, remaining: usize): i32 {
  const length = checkHeader(p, remaining);
  if (length == DEPTH_BYTES && <u32>load<u8>(p, OFF_KIND) == KIND_DEPTH) {
    const book = checkBook(p);
    if (book < 0) return book;
  }
  return length;
}

/** Copies level 0 of the DEPTH record at `p` into its best bid/ask fields (the book is the truth). */
// @ts-ignore: decorator
@inline export function bookToTop(p: usize): void {
  store<i64>(p, load<i64>(p + OFF_DEPTH_BIDS, LEVEL_OFF_PRICE), OFF_BID);
  store<u32>(p, load<u32>(p + OFF_DEPTH_BIDS, LEVEL_OFF_QTY), OFF_BID_QTY);
  store<i64>(p, load<i64>(p + OFF_DEPTH_ASKS, LEVEL_OFF_PRICE), OFF_ASK);
  store<u32>(p, load<u32>(p + OFF_DEPTH_ASKS, LEVEL_OFF_QTY), OFF_ASK_QTY);
}

/** 10^0 .. 10^9 as f64 (constant data: safe to re-apply on every instantiation). */
export const POW10_F64: usize = memory.data<f64>([1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9]);
/** 10^0 .. 10^19 as u64, for integer printing. */
export const POW10_U64: usize = memory.data<u64>([
  1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000,
  10000000000, 100000000000, 1000000000000, 10000000000000, 100000000000000,
  1000000000000000, 10000000000000000, 100000000000000000, 1000000000000000000,
  10000000000000000000,
]);
