// Batch rendering of records to client JSON messages (docs/PROTOCOL.md), UTF-8,
// one message per record, written back to back into `out` with each message's
// end offset in `ends`. Prices are scaled integers, so decimals are printed
// exactly with integer arithmetic: 250005 at 2 decimals is always "2500.05".

import {
  KIND_LTP, KIND_QUOTE, KIND_DEPTH, KIND_PADDING, OFF_KIND, OFF_SYMBOL_ID, OFF_EXCHANGE,
  OFF_PRICE_DECIMALS, OFF_LTP, OFF_VOLUME, OFF_OPEN, OFF_HIGH, OFF_LOW, OFF_CLOSE,
  OFF_AVG_PRICE, OFF_CHANGE_BP, OFF_LAST_QTY, OFF_LAST_TRADE_TIME_MS, OFF_OI, OFF_RECV_TIME_NS,
  OFF_TOTAL_BUY_QTY, OFF_TOTAL_SELL_QTY, OFF_UPPER_CIRCUIT, OFF_LOWER_CIRCUIT,
  OFF_DEPTH_BIDS, OFF_DEPTH_ASKS, DEPTH_LEVELS, LEVEL_BYTES, LEVEL_OFF_PRICE, LEVEL_OFF_QTY,
  LEVEL_OFF_ORDERS, SYMTAB_OFF_CAPACITY, SYMTAB_ENTRY_BYTES, SYMENT_OFF_NAME_LENGTH,
  SYMENT_OFF_NAME, SYMENT_OFF_EXCHANGE, SYMENT_OFF_PRICE_DECIMALS, JSON_MESSAGE_MAX_BYTES, BROKER_MAX_BYTES,
  MAX_SCALED_PRICE, ERR_SYMBOL, ERR_BROKER, ERR_OUTPUT_FULL, ERR_EXCHANGE, ERR_DECIMALS, ERR_PRICE,
} from "../src/format/layout";
import { checkRecord, POW10_U64 } from "./record";
import { symtabEntries } from "./symbols";
import * as F from "./generated/fragments";

// Copies short runs in whole words; `out` always has JSON_MESSAGE_MAX_BYTES of slack
// and every static fragment is padded to 8 bytes, so over-copying is harmless.
// @ts-ignore: decorator
@inline function put(p: usize, src: usize, len: usize): usize {
  for (let i: usize = 0; i < len; i += 8) store<u64>(p + i, load<u64>(src + i));
  return p + len;
}

// @ts-ignore: decorator
@inline function digitCount(v: u64): u32 {
  let n: u32 = 1;
  while (n < 20 && v >= load<u64>(POW10_U64 + (<usize>n << 3))) n++;
  return n;
}

// Writes exactly `n` digits of `v` (zero-padded), two at a time from the right.
function putDigits(p: usize, v: u64, n: u32): usize {
  let end = p + n;
  let q = end;
  while (v >= 100) {
    const r = <usize>(v % 100);
    v /= 100;
    q -= 2;
    store<u16>(q, load<u16>(F.DIGIT_PAIRS + (r << 1)));
  }
  if (v >= 10) {
    q -= 2;
    store<u16>(q, load<u16>(F.DIGIT_PAIRS + (<usize>v << 1)));
  } else if (q > p) {
    q -= 1;
    store<u8>(q, <u8>(0x30 + v));
  }
  while (q > p) store<u8>(--q, 0x30);
  return end;
}

// @ts-ignore: decorator
@inline function putU64(p: usize, v: u64): usize {
  return putDigits(p, v, digitCount(v));
}

// @ts-ignore: decorator
@inline function putI64(p: usize, v: i64): usize {
  if (v < 0) {
    store<u8>(p, 0x2d);
    return putU64(p + 1, <u64>(-v));
  }
  return putU64(p, <u64>v);
}

/** A scaled integer `m` with `d` decimals, exactly: (250005, 2) -> "2500.05", (-5, 2) -> "-0.05". */
function putScaled(p: usize, m: i64, d: u32): usize {
  if (d == 0) return putI64(p, m);
  if (m < 0) {
    store<u8>(p++, 0x2d);
    m = -m;
  }
  const pow = load<u64>(POW10_U64 + (<usize>d << 3));
  p = putU64(p, <u64>m / pow);
  store<u8>(p++, 0x2e);
  return putDigits(p, <u64>m % pow, d);
}

// @ts-ignore: decorator
@inline function putPrice(p: usize, rec: usize, off: usize, d: u32): usize {
  return putScaled(p, load<i64>(rec + off), d);
}

function putLevels(p: usize, rec: usize, base: usize, d: u32): usize {
  for (let i: usize = 0; i < <usize>DEPTH_LEVELS; i++) {
    const lvl = rec + base + i * LEVEL_BYTES;
    p = put(p, F.F_LEVEL_PRICE, F.F_LEVEL_PRICE_LEN);
    p = putScaled(p, load<i64>(lvl, LEVEL_OFF_PRICE), d);
    p = put(p, F.F_LEVEL_QUANTITY, F.F_LEVEL_QUANTITY_LEN);
    p = putU64(p, <u64>load<u32>(lvl, LEVEL_OFF_QTY));
    p = put(p, F.F_LEVEL_ORDERS, F.F_LEVEL_ORDERS_LEN);
    p = putU64(p, <u64>load<u32>(lvl, LEVEL_OFF_ORDERS));
    p = i + 1 < <usize>DEPTH_LEVELS ? put(p, F.F_LEVEL_NEXT, F.F_LEVEL_NEXT_LEN) : put(p, F.F_LEVEL_END, F.F_LEVEL_END_LEN);
  }
  return p;
}

// @ts-ignore: decorator
@inline function priceOk(rec: usize, off: usize): bool {
  const m = load<i64>(rec + off);
  return m <= MAX_SCALED_PRICE && m >= -MAX_SCALED_PRICE;
}

/** Whether every price a `mode` message of the record prints is within ±MAX_SCALED_PRICE (the rule of every read path). */
function pricesOk(rec: usize, mode: u32): bool {
  if (!priceOk(rec, OFF_LTP)) return false;
  if (mode >= <u32>KIND_QUOTE) {
    if (!priceOk(rec, OFF_OPEN) || !priceOk(rec, OFF_HIGH) || !priceOk(rec, OFF_LOW) || !priceOk(rec, OFF_CLOSE)
      || !priceOk(rec, OFF_AVG_PRICE)) return false;
  }
  if (mode >= <u32>KIND_DEPTH) {
    if (!priceOk(rec, OFF_UPPER_CIRCUIT) || !priceOk(rec, OFF_LOWER_CIRCUIT)) return false;
    for (let off: usize = OFF_DEPTH_BIDS; off < <usize>OFF_DEPTH_ASKS + DEPTH_LEVELS * LEVEL_BYTES; off += LEVEL_BYTES) {
      if (!priceOk(rec, off + LEVEL_OFF_PRICE)) return false;
    }
  }
  return true;
}

/** Extra fields of a message (options of the proxy, docs/PROTOCOL.md): the names OpenAlgo's SDKs read, the receive time. */
export const RENDER_SDK_ALIASES: u32 = 1;
export const RENDER_RECV_TIME: u32 = 2;

export function renderOne(p: usize, rec: usize, kind: u32, mode: u32, name: usize, nameLen: usize,
                   broker: usize, brokerLen: usize, timestampMs: i64, extras: u32 = 0): usize {
  const d = <u32>load<u8>(rec, OFF_PRICE_DECIMALS);
  const exchange = <usize>load<u8>(rec, OFF_EXCHANGE);
  p = put(p, F.F_HEAD, F.F_HEAD_LEN);
  p = put(p, name, nameLen);
  p = put(p, F.F_EXCHANGE, F.F_EXCHANGE_LEN);
  p = put(p, F.EXCHANGE_NAMES + (exchange << 4), <usize>load<u8>(F.EXCHANGE_NAME_LENGTHS + exchange));
  p = put(p, F.F_MODE, F.F_MODE_LEN);
  store<u8>(p++, <u8>(0x30 + mode));
  p = put(p, F.F_DATA_LTP, F.F_DATA_LTP_LEN);
  p = putPrice(p, rec, OFF_LTP, d);
  p = put(p, F.F_TIMESTAMP, F.F_TIMESTAMP_LEN);
  p = putI64(p, timestampMs);
  if (extras & RENDER_RECV_TIME) {
    p = put(p, F.F_RECV_TIME_NS, F.F_RECV_TIME_NS_LEN);
    p = putU64(p, load<u64>(rec, OFF_RECV_TIME_NS));
  }
  if (mode >= <u32>KIND_QUOTE) {
    p = put(p, F.F_VOLUME, F.F_VOLUME_LEN);
    p = putU64(p, load<u64>(rec, OFF_VOLUME));
    p = put(p, F.F_OPEN, F.F_OPEN_LEN);
    p = putPrice(p, rec, OFF_OPEN, d);
    p = put(p, F.F_HIGH, F.F_HIGH_LEN);
    p = putPrice(p, rec, OFF_HIGH, d);
    p = put(p, F.F_LOW, F.F_LOW_LEN);
    p = putPrice(p, rec, OFF_LOW, d);
    p = put(p, F.F_CLOSE, F.F_CLOSE_LEN);
    p = putPrice(p, rec, OFF_CLOSE, d);
    p = put(p, F.F_AVERAGE_PRICE, F.F_AVERAGE_PRICE_LEN);
    p = putPrice(p, rec, OFF_AVG_PRICE, d);
    p = put(p, F.F_PERCENT_CHANGE, F.F_PERCENT_CHANGE_LEN);
    p = putScaled(p, <i64>load<i32>(rec, OFF_CHANGE_BP), 2);
    p = put(p, F.F_LAST_QUANTITY, F.F_LAST_QUANTITY_LEN);
    p = putU64(p, <u64>load<u32>(rec, OFF_LAST_QTY));
    p = put(p, F.F_LAST_TRADE_TIME, F.F_LAST_TRADE_TIME_LEN);
    p = putI64(p, load<i64>(rec, OFF_LAST_TRADE_TIME_MS));
    p = put(p, F.F_OI, F.F_OI_LEN);
    p = putU64(p, load<u64>(rec, OFF_OI));
    if (extras & RENDER_SDK_ALIASES) {
      p = put(p, F.F_LAST_TRADE_QUANTITY, F.F_LAST_TRADE_QUANTITY_LEN);
      p = putU64(p, <u64>load<u32>(rec, OFF_LAST_QTY));
      p = put(p, F.F_AVG_TRADE_PRICE, F.F_AVG_TRADE_PRICE_LEN);
      p = putPrice(p, rec, OFF_AVG_PRICE, d);
      p = put(p, F.F_CHANGE, F.F_CHANGE_LEN);
      p = putScaled(p, load<i64>(rec, OFF_LTP) - load<i64>(rec, OFF_CLOSE), d);
      p = put(p, F.F_CHANGE_PERCENT, F.F_CHANGE_PERCENT_LEN);
      p = putScaled(p, <i64>load<i32>(rec, OFF_CHANGE_BP), 2);
    }
  }
  if (mode >= <u32>KIND_DEPTH) {
    p = put(p, F.F_TOTAL_BUY_QUANTITY, F.F_TOTAL_BUY_QUANTITY_LEN);
    p = putU64(p, load<u64>(rec, OFF_TOTAL_BUY_QTY));
    p = put(p, F.F_TOTAL_SELL_QUANTITY, F.F_TOTAL_SELL_QUANTITY_LEN);
    p = putU64(p, load<u64>(rec, OFF_TOTAL_SELL_QTY));
    p = put(p, F.F_UPPER_CIRCUIT, F.F_UPPER_CIRCUIT_LEN);
    p = putPrice(p, rec, OFF_UPPER_CIRCUIT, d);
    p = put(p, F.F_LOWER_CIRCUIT, F.F_LOWER_CIRCUIT_LEN);
    p = putPrice(p, rec, OFF_LOWER_CIRCUIT, d);
    p = put(p, F.F_DEPTH_BUY, F.F_DEPTH_BUY_LEN);
    p = putLevels(p, rec, OFF_DEPTH_BIDS, d);
    p = put(p, F.F_DEPTH_SELL, F.F_DEPTH_SELL_LEN);
    p = putLevels(p, rec, OFF_DEPTH_ASKS, d);
    p = put(p, F.F_DEPTH_END, F.F_DEPTH_END_LEN);
  }
  p = put(p, F.F_BROKER, F.F_BROKER_LEN);
  p = put(p, broker, brokerLen);
  return put(p, F.F_TAIL, F.F_TAIL_LEN);
}

/**
 * 0 when the record (a checked record of kind ≥ mode) can be rendered as `mode`, else the
 * error: its symbol id past the table or unnamed, its exchange or decimals not its symbol's,
 * a price beyond ±MAX_SCALED_PRICE.
 */
export function renderable(rec: usize, mode: u32, capacity: u32, entries: usize): i32 {
  const id = load<u32>(rec, OFF_SYMBOL_ID);
  // The id is checked before its entry is read: an id past the table may point past
  // the end of memory, and reading there traps instead of returning ERR_SYMBOL.
  if (id >= capacity) return ERR_SYMBOL;
  const entry = entries + <usize>id * SYMTAB_ENTRY_BYTES;
  // The symbol table is authoritative: a record that disagrees with its symbol's
  // exchange or decimals would print a wrong exchange or wrong prices.
  return load<u8>(entry, SYMENT_OFF_NAME_LENGTH) == 0 ? ERR_SYMBOL
    : load<u8>(entry, SYMENT_OFF_EXCHANGE) != load<u8>(rec, OFF_EXCHANGE) ? ERR_EXCHANGE
    : load<u8>(entry, SYMENT_OFF_PRICE_DECIMALS) != load<u8>(rec, OFF_PRICE_DECIMALS) ? ERR_DECIMALS
    : !pricesOk(rec, mode) ? ERR_PRICE : 0;
}

/**
 * Renders the records of the batch at `src` (`bytes` long) as `mode` messages
 * (1 LTP, 2 Quote, 3 Depth). Writes message i's end offset (relative to `out`)
 * to `ends[i]` (u32); padding records and records of a lower kind than `mode`
 * get an empty message, so a Quote client never receives a Quote with LTP-only
 * fields. Returns the number of records consumed (fewer than the batch holds when
 * `out` filled up: render the rest into the next buffer), or a negative error
 * code with the failing record's index at `status`. At most `maxRecords`
 * records are rendered (the capacity of `ends`).
 */
export function renderJson(src: usize, bytes: u32, mode: u32, symtab: usize, broker: usize, brokerLen: u32,
                           timestampMs: f64, out: usize, outCap: u32, ends: usize, maxRecords: u32, status: usize): i32 {
  // Bits above the mode's byte ask for extra fields (RENDER_*); mode 1..3 alone renders the plain message.
  const extras = mode >>> 8;
  mode &= 0xff;
  if (brokerLen > <u32>BROKER_MAX_BYTES || mode < <u32>KIND_LTP || mode > <u32>KIND_DEPTH) return ERR_BROKER;
  const capacity = load<u32>(symtab, SYMTAB_OFF_CAPACITY);
  const entries = symtabEntries(symtab);
  const limit = out + <usize>outCap - <usize>JSON_MESSAGE_MAX_BYTES - <usize>BROKER_MAX_BYTES;
  if (<usize>outCap < <usize>(JSON_MESSAGE_MAX_BYTES + BROKER_MAX_BYTES)) return ERR_OUTPUT_FULL;
  const ts = <i64>timestampMs;
  let offset: usize = 0;
  let index: u32 = 0;
  let p = out;
  const end = <usize>bytes;
  while (offset < end) {
    if (p > limit || index >= maxRecords) break;
    const rec = src + offset;
    const length = checkRecord(rec, end - offset);
    if (length < 0) {
      store<u32>(status, index);
      return length;
    }
    const kind = <u32>load<u8>(rec, OFF_KIND);
    if (kind != KIND_PADDING && kind >= mode) {
      const bad = renderable(rec, mode, capacity, entries);
      if (bad != 0) {
        store<u32>(status, index);
        return bad;
      }
      const entry = entries + <usize>load<u32>(rec, OFF_SYMBOL_ID) * SYMTAB_ENTRY_BYTES;
      p = renderOne(p, rec, kind, mode, entry + SYMENT_OFF_NAME, <usize>load<u8>(entry, SYMENT_OFF_NAME_LENGTH), broker, <usize>brokerLen, ts, extras);
    }
    store<u32>(ends + (<usize>index << 2), <u32>(p - out));
    offset += <usize>length;
    index++;
  }
  return <i32>index;
}
