// The object form of a tick (MarketDataMessage) and the client JSON message in plain
// JS: conversions for code that wants objects, and the reference the Wasm renderer is
// tested against byte for byte. Not a hot path: every input is checked in full, and a
// bad one is a TickwireError naming the field, before anything is written.

import * as L from "./layout.js";
import { TickwireError, type TickwireErrorCode } from "../errors.js";
import { exchangeCode, type ExchangeName } from "./exchange.js";
import { Kind, Side, TickView, isKind, scalePrice, type ExactField } from "./record.js";
import { isCleanName } from "./text.js";
import { checkInt, describe } from "../validate.js";
import { SymbolTable } from "../memory/symbol-table.js";

/** One level of the order book. */
export interface DepthLevel {
  price: number;
  /** u32. */
  quantity: number;
  /** u32. */
  orders: number;
}

/**
 * A tick as a plain object: every field of a record of its mode.
 *
 * - Every mode: the fields up to `percentChange` (all required).
 * - mode ≥ 2 (Quote, Depth): `averagePrice` to `lowerCircuit`. {@link readMessage} always sets
 *   them; {@link writeMessage} and {@link toClientJson} take an absent (undefined) one as 0.
 * - mode 3 (Depth): `depth`, up to 5 levels a side, best first ({@link readMessage} returns
 *   exactly 5). In a Depth message `bid`, `ask`, `bidQuantity`, `askQuantity` are level 0 of
 *   the book: when given they must equal it, when absent they are taken from it.
 *
 * A field of a higher mode than the message's (a `volume` on an LTP message), or a field
 * this interface does not name, is refused rather than dropped.
 *
 * Prices are numbers in natural units with at most `priceDecimals` decimals (2500.05, not
 * 250005): the double nearest the decimal, as a literal or `parseFloat` gives it. 64-bit
 * integers (u64: `seq`, `recvTimeNs`, `volume`, `oi`, `total*Quantity`; i64: the `*Ms` times)
 * are numbers when they are safe integers, bigints otherwise; a bigint is accepted for any
 * value, and read back as a number when it is a safe integer.
 */
export interface MarketDataMessage {
  /** 1 LTP, 2 Quote, 3 Depth. */
  mode: Kind;
  /** 1 to 56 UTF-8 bytes, no control character, quote, backslash or U+FEFF. */
  symbol: string;
  exchange: ExchangeName;
  /** Decimals of every price of this instrument, 0..9 (2 for most NSE equities, 4 for CDS); the symbol table's. */
  priceDecimals: number;
  /** Publisher's sequence number (u64). */
  seq: number | bigint;
  /** Receive time, ns on the shared monotonic clock (see monotonicNs; u64). */
  recvTimeNs: number | bigint;
  /** Last traded price. */
  ltp: number;
  /** Exchange (feed) time, ms since the Unix epoch (i64). */
  exchangeTimeMs: number | bigint;
  /** Last trade time, ms since the Unix epoch (i64). */
  lastTradeTimeMs: number | bigint;
  /** Last traded quantity (u32). */
  lastQuantity: number;
  /** Percent change, at most 2 decimals (-1.05 means -1.05 %); stored as hundredths. */
  percentChange: number;
  averagePrice?: number;
  open?: number;
  high?: number;
  low?: number;
  /** Previous close. */
  close?: number;
  /** Cumulative traded volume (u64). */
  volume?: number | bigint;
  /** Open interest (u64). */
  oi?: number | bigint;
  /** Best bid price (Depth: level 0 of the buy side). */
  bid?: number;
  /** Best ask price (Depth: level 0 of the sell side). */
  ask?: number;
  /** Quantity at the best bid (u32; Depth: level 0's). */
  bidQuantity?: number;
  /** Quantity at the best ask (u32; Depth: level 0's). */
  askQuantity?: number;
  /** Total quantity on the buy side of the book (u64). */
  totalBuyQuantity?: number | bigint;
  /** Total quantity on the sell side of the book (u64). */
  totalSellQuantity?: number | bigint;
  upperCircuit?: number;
  lowerCircuit?: number;
  /** The order book, best level first: at most 5 levels a side (missing levels are 0). */
  depth?: { buy: DepthLevel[]; sell: DepthLevel[] };
}

/** Options of {@link toClientJson}. */
export interface ClientJsonOptions {
  /** The `broker` field: at most 64 UTF-8 bytes, no control character, quote, backslash or U+FEFF. */
  broker: string;
  /** The `timestamp` field: the proxy's wall clock in ms when it forwards the tick (a safe integer). */
  timestampMs: number;
  /** The client's mode, 1..3 (default: the message's). Must not exceed the message's mode. */
  mode?: Kind;
  /** Also the names OpenAlgo's SDKs read: last_trade_quantity, avg_trade_price, change (ltp − close), change_percent (docs/PROTOCOL.md). */
  sdkAliases?: boolean;
  /** Also `recv_time_ns`, the record's receive time. */
  receiveTime?: boolean;
}

const POW10 = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9];
const U64_MAX = (1n << 64n) - 1n;
const I64_MIN = -(1n << 63n);
const I64_MAX = (1n << 63n) - 1n;
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const MIN_SAFE = -MAX_SAFE;
const MAX_SCALED = BigInt(L.MAX_SCALED_PRICE);
const I32_MIN = -2147483648;
const I32_MAX = 2147483647;
const U32_MAX = 0xffffffff;

// The fields of the object form, by the mode that brings them (key order: readMessage's).
const LTP_FIELDS = [
  "mode", "symbol", "exchange", "priceDecimals", "seq", "recvTimeNs", "ltp", "exchangeTimeMs",
  "lastTradeTimeMs", "lastQuantity", "percentChange",
] as const;
const QUOTE_FIELDS = [
  "averagePrice", "open", "high", "low", "close", "volume", "oi", "bid", "ask", "bidQuantity", "askQuantity",
  "totalBuyQuantity", "totalSellQuantity", "upperCircuit", "lowerCircuit",
] as const;
const FIELDS_OF_MODE: readonly ReadonlySet<string>[] = [
  new Set(),
  new Set(LTP_FIELDS),
  new Set([...LTP_FIELDS, ...QUOTE_FIELDS]),
  new Set([...LTP_FIELDS, ...QUOTE_FIELDS, "depth"]),
];
const OPTION_KEYS: ReadonlySet<string> = new Set(["broker", "timestampMs", "mode", "sdkAliases", "receiveTime"]);
const DEPTH_KEYS: ReadonlySet<string> = new Set(["buy", "sell"]);
const LEVEL_KEYS: ReadonlySet<string> = new Set(["price", "quantity", "orders"]);

// ───────────────────────────── checking the object form ─────────────────────────────

/** A depth level, checked: its price scaled. */
interface Level { price: number; quantity: number; orders: number }

/** A message, checked: prices as scaled integers, absent fields as 0, depth levels padded to 5. */
interface Checked {
  mode: Kind;
  symbol: string;
  exchange: ExchangeName;
  decimals: number;
  seq: number | bigint;
  recvTimeNs: number | bigint;
  ltp: number;
  exchangeTimeMs: number | bigint;
  lastTradeTimeMs: number | bigint;
  lastQuantity: number;
  changeBp: number;
  averagePrice: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number | bigint;
  oi: number | bigint;
  bid: number;
  ask: number;
  bidQuantity: number;
  askQuantity: number;
  totalBuyQuantity: number | bigint;
  totalSellQuantity: number | bigint;
  upperCircuit: number;
  lowerCircuit: number;
  buy: Level[];
  sell: Level[];
}

const ZERO_LEVEL: Level = Object.freeze({ price: 0, quantity: 0, orders: 0 });

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Refuses any own key of `obj` outside `allowed` whose value is not undefined (it would be dropped). */
function checkKeys(obj: Record<string, unknown>, allowed: ReadonlySet<string>, what: string, why: (key: string) => string): void {
  for (const key of Object.keys(obj)) {
    if (!allowed.has(key) && obj[key] !== undefined) throw new TickwireError("ARGUMENT", `${what}: ${why(key)}`);
  }
}

/** UTF-8 length of a well-formed string (isCleanName has checked it). */
function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff) { n += 4; i++; } // a pair: well-formed, so the low half follows
    else n += 3;
  }
  return n;
}

/** A symbol name: 1..56 UTF-8 bytes under the clean-name rule (it travels unescaped in JSON). */
function checkSymbol(v: unknown, what: string): string {
  if (typeof v !== "string") throw new TickwireError("SYMBOL", `${what} must be a string, got ${describe(v)}`);
  if (!isCleanName(v)) throw new TickwireError("SYMBOL", `${what} ${describe(v)} is not well-formed Unicode or holds a control character, BOM, quote or backslash`);
  const bytes = utf8Length(v);
  if (bytes < 1 || bytes > L.SYMBOL_MAX_BYTES) throw new TickwireError("SYMBOL", `${what} ${describe(v)} must be 1 to ${L.SYMBOL_MAX_BYTES} UTF-8 bytes, is ${bytes}`);
  return v;
}

/** A broker name: at most 64 UTF-8 bytes under the clean-name rule (the renderer's limit). */
function checkBroker(v: unknown, what: string): string {
  if (typeof v !== "string") throw new TickwireError("BROKER", `${what} must be a string, got ${describe(v)}`);
  if (!isCleanName(v)) throw new TickwireError("BROKER", `${what} ${describe(v)} is not well-formed Unicode or holds a control character, BOM, quote or backslash`);
  const bytes = utf8Length(v);
  if (bytes > L.BROKER_MAX_BYTES) throw new TickwireError("BROKER", `${what} ${describe(v)} is ${bytes} UTF-8 bytes, more than ${L.BROKER_MAX_BYTES}`);
  return v;
}

function checkExchange(v: unknown, what: string): ExchangeName {
  if (typeof v !== "string" || exchangeCode(v) === 0) throw new TickwireError("EXCHANGE", `${what}: unknown exchange ${describe(v)}`);
  return v as ExchangeName;
}

function checkU32(v: unknown, what: string): number {
  return checkInt(v, 0, U32_MAX, what);
}

/** A u64: a non-negative safe integer or a bigint up to 2^64-1; a number when it is a safe integer. */
function checkU64(v: unknown, what: string): number | bigint {
  if (typeof v === "bigint") {
    if (v < 0n || v > U64_MAX) throw new TickwireError("ARGUMENT", `${what} must be a u64 (0 to 2^64-1), got ${v}n`);
    return v <= MAX_SAFE ? Number(v) : v;
  }
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0) {
    throw new TickwireError("ARGUMENT", `${what} must be an integer from 0 to 2^53-1, or a bigint up to 2^64-1, got ${describe(v)}`);
  }
  return v === 0 ? 0 : v; // never -0
}

/** An i64: a safe integer or a bigint from -2^63 to 2^63-1; a number when it is a safe integer. */
function checkI64(v: unknown, what: string): number | bigint {
  if (typeof v === "bigint") {
    if (v < I64_MIN || v > I64_MAX) throw new TickwireError("ARGUMENT", `${what} must be an i64 (-2^63 to 2^63-1), got ${v}n`);
    return v >= MIN_SAFE && v <= MAX_SAFE ? Number(v) : v;
  }
  if (typeof v !== "number" || !Number.isSafeInteger(v)) {
    throw new TickwireError("ARGUMENT", `${what} must be a safe integer, or a bigint from -2^63 to 2^63-1, got ${describe(v)}`);
  }
  return v === 0 ? 0 : v;
}

/** Percent change in hundredths: a finite number with at most 2 decimals, whose hundredths fit an i32. */
function checkPercent(v: unknown, what: string): number {
  if (typeof v !== "number" || !Number.isFinite(v)) throw new TickwireError("ARGUMENT", `${what} must be a finite number, got ${describe(v)}`);
  let bp: number;
  try {
    bp = scalePrice(v, 2, what);
  } catch (e) {
    if (e instanceof TickwireError && e.code === "PRICE") throw new TickwireError("ARGUMENT", `${what}: ${v} is out of range (hundredths must fit an i32)`);
    throw e; // PRECISION: more than 2 decimals
  }
  if (bp < I32_MIN || bp > I32_MAX) throw new TickwireError("ARGUMENT", `${what}: ${v} is out of range (hundredths must fit an i32)`);
  return bp;
}

function optional<T>(v: unknown, check: (v: unknown) => T, absent: T): T {
  return v === undefined ? absent : check(v);
}

function checkLevels(v: unknown, d: number, what: string): Level[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw new TickwireError("ARGUMENT", `${what} must be an array of depth levels, got ${describe(v)}`);
  if (v.length > L.DEPTH_LEVELS) throw new TickwireError("ARGUMENT", `${what} has ${v.length} levels, at most ${L.DEPTH_LEVELS}`);
  const out: Level[] = [];
  for (let i = 0; i < v.length; i++) {
    const at = `${what}[${i}]`;
    const level: unknown = v[i];
    if (!isPlainObject(level)) throw new TickwireError("ARGUMENT", `${at} must be an object {price, quantity, orders}, got ${describe(level)}`);
    checkKeys(level, LEVEL_KEYS, at, (key) => `unknown field ${describe(key)} (a level has price, quantity, orders)`);
    out.push({
      price: scalePrice(level.price as number, d, `${at}.price`),
      quantity: checkU32(level.quantity, `${at}.quantity`),
      orders: checkU32(level.orders, `${at}.orders`),
    });
  }
  return out;
}

/** Checks every field of `msg` (see {@link MarketDataMessage}); `op` prefixes the errors. */
function checkMessage(msg: unknown, op: string): Checked {
  if (!isPlainObject(msg)) throw new TickwireError("ARGUMENT", `${op}: the message must be an object, got ${describe(msg)}`);
  const mode = msg.mode;
  if (!isKind(mode)) throw new TickwireError("KIND", `${op}: mode must be 1 (LTP), 2 (Quote) or 3 (Depth), got ${describe(mode)}`);
  checkKeys(msg, FIELDS_OF_MODE[mode]!, op, (key) => FIELDS_OF_MODE[L.KIND_DEPTH]!.has(key)
    ? `${key} is a field of a higher mode than this mode ${mode} message (it would be dropped)`
    : `unknown field ${describe(key)}`);
  const exchange = checkExchange(msg.exchange, `${op}: exchange`);
  const symbol = checkSymbol(msg.symbol, `${op}: symbol`);
  const d = checkInt(msg.priceDecimals, 0, L.MAX_PRICE_DECIMALS, `${op}: priceDecimals`, "DECIMALS");
  const price = (key: string) => scalePrice(msg[key] as number, d, `${op}: ${key}`);
  const quotePrice = (key: string) => optional(msg[key], () => price(key), 0);
  const c: Checked = {
    mode, symbol, exchange, decimals: d,
    seq: checkU64(msg.seq, `${op}: seq`),
    recvTimeNs: checkU64(msg.recvTimeNs, `${op}: recvTimeNs`),
    ltp: price("ltp"),
    exchangeTimeMs: checkI64(msg.exchangeTimeMs, `${op}: exchangeTimeMs`),
    lastTradeTimeMs: checkI64(msg.lastTradeTimeMs, `${op}: lastTradeTimeMs`),
    lastQuantity: checkU32(msg.lastQuantity, `${op}: lastQuantity`),
    changeBp: checkPercent(msg.percentChange, `${op}: percentChange`),
    averagePrice: 0, open: 0, high: 0, low: 0, close: 0, volume: 0, oi: 0, bid: 0, ask: 0, bidQuantity: 0, askQuantity: 0,
    totalBuyQuantity: 0, totalSellQuantity: 0, upperCircuit: 0, lowerCircuit: 0, buy: [], sell: [],
  };
  if (mode === Kind.LTP) return c;
  c.averagePrice = quotePrice("averagePrice");
  c.open = quotePrice("open");
  c.high = quotePrice("high");
  c.low = quotePrice("low");
  c.close = quotePrice("close");
  c.volume = optional(msg.volume, (v) => checkU64(v, `${op}: volume`), 0);
  c.oi = optional(msg.oi, (v) => checkU64(v, `${op}: oi`), 0);
  c.bid = quotePrice("bid");
  c.ask = quotePrice("ask");
  c.bidQuantity = optional(msg.bidQuantity, (v) => checkU32(v, `${op}: bidQuantity`), 0);
  c.askQuantity = optional(msg.askQuantity, (v) => checkU32(v, `${op}: askQuantity`), 0);
  c.totalBuyQuantity = optional(msg.totalBuyQuantity, (v) => checkU64(v, `${op}: totalBuyQuantity`), 0);
  c.totalSellQuantity = optional(msg.totalSellQuantity, (v) => checkU64(v, `${op}: totalSellQuantity`), 0);
  c.upperCircuit = quotePrice("upperCircuit");
  c.lowerCircuit = quotePrice("lowerCircuit");
  if (mode === Kind.QUOTE) return c;

  const depth = msg.depth;
  if (depth !== undefined) {
    if (!isPlainObject(depth)) throw new TickwireError("ARGUMENT", `${op}: depth must be an object {buy, sell}, got ${describe(depth)}`);
    checkKeys(depth, DEPTH_KEYS, `${op}: depth`, (key) => `unknown field ${describe(key)} (depth has buy and sell)`);
    c.buy = checkLevels(depth.buy, d, `${op}: depth.buy`);
    c.sell = checkLevels(depth.sell, d, `${op}: depth.sell`);
  }
  // In a Depth record the best bid/ask ARE level 0 of the book (the Wasm core refuses a
  // record where they differ): a given one must agree, an absent one is level 0's.
  const buy0 = c.buy[0] ?? ZERO_LEVEL;
  const sell0 = c.sell[0] ?? ZERO_LEVEL;
  const top = (key: string, given: number, level0: number, levelName: string, isPrice: boolean) => {
    if (msg[key] !== undefined && given !== level0) {
      const show = (v: number) => (isPrice ? fmtScaled(v, d) : String(v));
      throw new TickwireError("ARGUMENT", `${op}: ${key} ${show(given)} differs from ${levelName} ${show(level0)} (in a Depth message it is level 0 of the book)`);
    }
    return level0;
  };
  c.bid = top("bid", c.bid, buy0.price, "depth.buy[0].price", true);
  c.ask = top("ask", c.ask, sell0.price, "depth.sell[0].price", true);
  c.bidQuantity = top("bidQuantity", c.bidQuantity, buy0.quantity, "depth.buy[0].quantity", false);
  c.askQuantity = top("askQuantity", c.askQuantity, sell0.quantity, "depth.sell[0].quantity", false);
  return c;
}

// ───────────────────────────── records ─────────────────────────────

/**
 * Reads the record `view` points at into a new object with every field of its kind
 * (a Depth message has exactly 5 levels a side).
 *
 * The record's header is checked by the view (VERSION, KIND, LENGTH, EXCHANGE, DECIMALS),
 * every price against ±(2^51 - 1) (PRICE); its symbol id must be in `symbols` (SYMBOL), and
 * its exchange and priceDecimals must be the symbol's (EXCHANGE, DECIMALS: the table is
 * authoritative, and a record that disagrees is refused, never patched). A Depth record
 * whose best bid/ask differ from level 0 of its book is an ARGUMENT error.
 */
export function readMessage(view: TickView, symbols: SymbolTable): MarketDataMessage {
  if (!(view instanceof TickView)) throw new TickwireError("ARGUMENT", `readMessage: view must be a TickView, got ${describe(view)}`);
  if (!(symbols instanceof SymbolTable)) throw new TickwireError("ARGUMENT", `readMessage: symbols must be a SymbolTable, got ${describe(symbols)}`);
  const at = `readMessage (record at ${view.offset})`;
  const id = view.symbolId; // the first getter checks the header
  const mode = view.kind as Kind;
  const info = symbols.get(id);
  const code = view.exchange;
  if (code !== exchangeCode(info.exchange)) {
    throw new TickwireError("EXCHANGE", `${at}: exchange code ${code} differs from ${info.exchange} (code ${exchangeCode(info.exchange)}), the exchange of symbol ${id} ${describe(info.symbol)}`);
  }
  const d = view.priceDecimals;
  if (d !== info.priceDecimals) {
    throw new TickwireError("DECIMALS", `${at}: priceDecimals ${d} differs from ${info.priceDecimals}, the decimals of symbol ${id} ${info.exchange}:${info.symbol}`);
  }
  const msg: MarketDataMessage = {
    mode, symbol: info.symbol, exchange: info.exchange, priceDecimals: d, seq: exactOf(view, "seq"), recvTimeNs: exactOf(view, "recvTimeNs"),
    ltp: view.ltp, exchangeTimeMs: exactOf(view, "exchTimeMs"), lastTradeTimeMs: exactOf(view, "lastTradeTimeMs"), lastQuantity: view.lastQty,
    percentChange: view.changePercent,
  };
  if (mode === Kind.LTP) return msg;
  msg.averagePrice = view.avgPrice;
  msg.open = view.open;
  msg.high = view.high;
  msg.low = view.low;
  msg.close = view.close;
  msg.volume = exactOf(view, "volume");
  msg.oi = exactOf(view, "oi");
  msg.bid = view.bid;
  msg.ask = view.ask;
  msg.bidQuantity = view.bidQty;
  msg.askQuantity = view.askQty;
  msg.totalBuyQuantity = exactOf(view, "totalBuyQty");
  msg.totalSellQuantity = exactOf(view, "totalSellQty");
  msg.upperCircuit = view.upperCircuit;
  msg.lowerCircuit = view.lowerCircuit;
  if (mode === Kind.QUOTE) return msg;
  const side = (s: Side): DepthLevel[] => Array.from({ length: L.DEPTH_LEVELS }, (_, i) => ({
    price: view.levelPrice(s, i), quantity: view.levelQty(s, i), orders: view.levelOrders(s, i),
  }));
  msg.depth = { buy: side(Side.BUY), sell: side(Side.SELL) };
  const b0 = msg.depth.buy[0]!;
  const s0 = msg.depth.sell[0]!;
  if (msg.bid !== b0.price || msg.bidQuantity !== b0.quantity || msg.ask !== s0.price || msg.askQuantity !== s0.quantity) {
    throw new TickwireError("ARGUMENT", `${at}: the Depth record's bid, ask, bidQty or askQty differs from level 0 of its book`);
  }
  return msg;
}

/**
 * Writes `msg` as a record at the offset `view` points at, interning its symbol
 * (see {@link MarketDataMessage} for the fields). Returns the record's length in bytes.
 *
 * Everything is checked before anything is written or interned: the message (one
 * TickwireError naming the field: KIND, EXCHANGE, SYMBOL, DECIMALS, PRICE, PRECISION —
 * a price with more decimals than `priceDecimals` is refused, never rounded — or
 * ARGUMENT), that an already interned symbol has these `priceDecimals` (DECIMALS: the
 * table is authoritative), and that the view may write a record of this kind there
 * (REGION, LENGTH). Then the symbol is interned (TABLE_FULL, still before any write) and
 * the record written. A failure leaves neither a new symbol nor a half-written record.
 */
export function writeMessage(view: TickView, msg: MarketDataMessage, symbols: SymbolTable): number {
  if (!(view instanceof TickView)) throw new TickwireError("ARGUMENT", `writeMessage: view must be a TickView, got ${describe(view)}`);
  if (!(symbols instanceof SymbolTable)) throw new TickwireError("ARGUMENT", `writeMessage: symbols must be a SymbolTable, got ${describe(symbols)}`);
  const c = checkMessage(msg, "writeMessage");
  const known = symbols.find(c.exchange, c.symbol);
  if (known >= 0) {
    const info = symbols.get(known);
    if (info.priceDecimals !== c.decimals) {
      throw new TickwireError("DECIMALS", `writeMessage: priceDecimals ${c.decimals} differs from ${info.priceDecimals}, the decimals ${c.exchange}:${c.symbol} was interned with`);
    }
  }
  view.checkRoom(c.mode);
  const id = symbols.intern(c.exchange, c.symbol, c.decimals);
  // From here nothing can fail: every value was checked above, and the room proven.
  view.init(c.mode).setSymbol(symbols.get(id));
  view.seq = c.seq;
  view.recvTimeNs = c.recvTimeNs;
  view.setScaled(L.OFF_LTP, c.ltp);
  view.exchTimeMs = c.exchangeTimeMs;
  view.lastTradeTimeMs = c.lastTradeTimeMs;
  view.lastQty = c.lastQuantity;
  view.changeBp = c.changeBp;
  if (c.mode >= Kind.QUOTE) {
    view.setScaled(L.OFF_AVG_PRICE, c.averagePrice);
    view.setScaled(L.OFF_OPEN, c.open);
    view.setScaled(L.OFF_HIGH, c.high);
    view.setScaled(L.OFF_LOW, c.low);
    view.setScaled(L.OFF_CLOSE, c.close);
    view.volume = c.volume;
    view.oi = c.oi;
    view.totalBuyQty = c.totalBuyQuantity;
    view.totalSellQty = c.totalSellQuantity;
    view.setScaled(L.OFF_UPPER_CIRCUIT, c.upperCircuit);
    view.setScaled(L.OFF_LOWER_CIRCUIT, c.lowerCircuit);
  }
  if (c.mode === Kind.QUOTE) {
    view.setScaled(L.OFF_BID, c.bid);
    view.setScaled(L.OFF_ASK, c.ask);
    view.bidQty = c.bidQuantity;
    view.askQty = c.askQuantity;
  } else if (c.mode === Kind.DEPTH) {
    // Level 0 also sets bid/ask and their quantities (checked equal above); init zeroed the rest.
    const pow = POW10[c.decimals]!;
    for (const [side, levels] of [[Side.BUY, c.buy], [Side.SELL, c.sell]] as const) {
      levels.forEach((l, i) => view.setLevel(side, i, l.price / pow, l.quantity, l.orders));
    }
  }
  return view.length;
}

// ───────────────────────────── client JSON: rendering ─────────────────────────────

/** formatScaled without the checks: `m` a safe integer, `d` 0..9. */
function fmtScaled(m: number, d: number): string {
  if (d === 0) return String(m === 0 ? 0 : m);
  const abs = Math.abs(m);
  const pow = POW10[d]!;
  const frac = abs % pow; // exact on integers, and so is (abs - frac) / pow
  return `${m < 0 ? "-" : ""}${(abs - frac) / pow}.${String(frac).padStart(d, "0")}`;
}

/**
 * A scaled integer as an exact decimal with `decimals` (0..9) fraction digits, as the
 * Wasm renderer prints it: (250005, 2) → "2500.05", (-5, 2) → "-0.05", (19999, 0) → "19999".
 * `scaled` must be a safe integer (ARGUMENT), `decimals` an integer 0..9 (DECIMALS).
 */
export function formatScaled(scaled: number, decimals: number): string {
  if (typeof scaled !== "number" || !Number.isSafeInteger(scaled)) {
    throw new TickwireError("ARGUMENT", `formatScaled: scaled must be a safe integer, got ${describe(scaled)}`);
  }
  checkInt(decimals, 0, L.MAX_PRICE_DECIMALS, "formatScaled: decimals", "DECIMALS");
  return fmtScaled(scaled, decimals);
}

function renderLevels(levels: Level[], d: number): string {
  let s = "";
  for (let i = 0; i < L.DEPTH_LEVELS; i++) {
    const l = levels[i] ?? ZERO_LEVEL;
    s += `${i === 0 ? "" : ","}{"price":${fmtScaled(l.price, d)},"quantity":${l.quantity},"orders":${l.orders}}`;
  }
  return s;
}

/**
 * The client `market_data` message of `msg` (docs/PROTOCOL.md) as a string: the same
 * bytes (once UTF-8 encoded) the Wasm renderer (JsonRenderer) writes for the record
 * {@link writeMessage} makes of `msg`, in plain JS.
 *
 * `msg` is checked exactly as writeMessage checks it (without a symbol table), and so
 * are the options: `broker` a clean name of at most 64 UTF-8 bytes (BROKER), `timestampMs`
 * a safe integer (ARGUMENT), `mode` 1..3 and not above the message's (KIND). The output
 * is always valid JSON: names cannot hold characters that would need escaping.
 */
export function toClientJson(msg: MarketDataMessage, options: ClientJsonOptions): string {
  const c = checkMessage(msg, "toClientJson");
  if (!isPlainObject(options)) throw new TickwireError("ARGUMENT", `toClientJson: options must be an object {broker, timestampMs, mode?}, got ${describe(options)}`);
  checkKeys(options, OPTION_KEYS, "toClientJson: options", (key) => `unknown option ${describe(key)} (options are broker, timestampMs, mode, sdkAliases, receiveTime)`);
  const broker = checkBroker(options.broker, "toClientJson: options.broker");
  const ts = options.timestampMs;
  if (typeof ts !== "number" || !Number.isSafeInteger(ts)) {
    throw new TickwireError("ARGUMENT", `toClientJson: options.timestampMs must be a safe integer (ms since the epoch), got ${describe(ts)}`);
  }
  const mode = options.mode ?? c.mode;
  if (!isKind(mode)) throw new TickwireError("KIND", `toClientJson: options.mode must be 1 (LTP), 2 (Quote) or 3 (Depth), got ${describe(mode)}`);
  for (const name of ["sdkAliases", "receiveTime"] as const) {
    if (options[name] !== undefined && typeof options[name] !== "boolean") throw new TickwireError("ARGUMENT", `toClientJson: options.${name} must be true or false, got ${describe(options[name])}`);
  }
  if (mode > c.mode) throw new TickwireError("KIND", `toClientJson: a mode ${c.mode} message cannot be rendered as mode ${mode} (its fields are missing)`);
  const d = c.decimals;
  const p = (m: number) => fmtScaled(m, d);
  let data = `{"ltp":${p(c.ltp)},"timestamp":${ts === 0 ? 0 : ts}`;
  if (options.receiveTime === true) data += `,"recv_time_ns":${c.recvTimeNs}`;
  if (mode >= Kind.QUOTE) {
    data += `,"volume":${c.volume},"open":${p(c.open)},"high":${p(c.high)},"low":${p(c.low)}`
      + `,"close":${p(c.close)},"average_price":${p(c.averagePrice)},"percent_change":${fmtScaled(c.changeBp, 2)}`
      + `,"last_quantity":${c.lastQuantity},"last_trade_time":${c.lastTradeTimeMs},"oi":${c.oi}`;
    if (options.sdkAliases === true) {
      data += `,"last_trade_quantity":${c.lastQuantity},"avg_trade_price":${p(c.averagePrice)}`
        + `,"change":${p(c.ltp - c.close)},"change_percent":${fmtScaled(c.changeBp, 2)}`;
    }
  }
  if (mode === Kind.DEPTH) {
    data += `,"total_buy_quantity":${c.totalBuyQuantity},"total_sell_quantity":${c.totalSellQuantity}`
      + `,"upper_circuit":${p(c.upperCircuit)},"lower_circuit":${p(c.lowerCircuit)}`
      + `,"depth":{"buy":[${renderLevels(c.buy, d)}],"sell":[${renderLevels(c.sell, d)}]}`;
  }
  return `{"type":"market_data","symbol":"${c.symbol}","exchange":"${c.exchange}","mode":${mode},"data":${data}},"broker":"${broker}"}`;
}

// ───────────────────────────── client JSON: parsing ─────────────────────────────

// A JSON value that keeps each number's source text: JSON.parse would round prices
// through a double and u64s beyond 2^53, and Node 20 gives revivers no source text.
type JsonValue =
  | { readonly kind: "string"; readonly value: string }
  | { readonly kind: "number"; readonly text: string }
  | { readonly kind: "object"; readonly entries: ReadonlyMap<string, JsonValue> }
  | { readonly kind: "array"; readonly items: readonly JsonValue[] }
  | { readonly kind: "literal"; readonly value: boolean | null };

// Far deeper than a market_data message (5 levels); bounds the recursion on hostile input.
const MAX_NESTING = 32;

/** A strict RFC 8259 parser; errors are ARGUMENT "fromClientJson: not JSON: …" (a duplicate key names it). */
class JsonParser {
  private pos = 0;
  constructor(private readonly text: string) {}

  parse(): JsonValue {
    const v = this.value("", 0);
    this.skipSpace();
    if (this.pos < this.text.length) this.fail("text after the message");
    return v;
  }

  private fail(what: string): never {
    const at = this.pos < this.text.length ? `${describe(this.text[this.pos])} at offset ${this.pos}` : "the end of the text";
    throw new TickwireError("ARGUMENT", `fromClientJson: not JSON: ${what} (at ${at})`);
  }

  private skipSpace(): void {
    const t = this.text;
    while (this.pos < t.length) {
      const c = t.charCodeAt(this.pos);
      if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) break;
      this.pos++;
    }
  }

  private value(path: string, depth: number): JsonValue {
    this.skipSpace();
    const c = this.text[this.pos];
    if (c === "{") return this.object(path, depth + 1);
    if (c === "[") return this.array(path, depth + 1);
    if (c === '"') return { kind: "string", value: this.string() };
    if (c === "-" || (c !== undefined && c >= "0" && c <= "9")) return { kind: "number", text: this.number() };
    for (const [word, value] of [["true", true], ["false", false], ["null", null]] as const) {
      if (this.text.startsWith(word, this.pos)) {
        this.pos += word.length;
        return { kind: "literal", value };
      }
    }
    return this.fail("expected a value");
  }

  private object(path: string, depth: number): JsonValue {
    if (depth > MAX_NESTING) this.fail(`nested deeper than ${MAX_NESTING}`);
    this.pos++; // {
    const entries = new Map<string, JsonValue>();
    this.skipSpace();
    if (this.text[this.pos] === "}") {
      this.pos++;
      return { kind: "object", entries };
    }
    for (;;) {
      this.skipSpace();
      if (this.text[this.pos] !== '"') this.fail("expected a key");
      const key = this.string();
      const at = path ? `${path}.${key}` : key;
      if (entries.has(key)) throw new TickwireError("ARGUMENT", `fromClientJson: duplicate key ${describe(at)}`);
      this.skipSpace();
      if (this.text[this.pos] !== ":") this.fail("expected ':'");
      this.pos++;
      entries.set(key, this.value(at, depth));
      this.skipSpace();
      const next = this.text[this.pos];
      this.pos++;
      if (next === "}") return { kind: "object", entries };
      if (next !== ",") {
        this.pos--;
        this.fail("expected ',' or '}'");
      }
    }
  }

  private array(path: string, depth: number): JsonValue {
    if (depth > MAX_NESTING) this.fail(`nested deeper than ${MAX_NESTING}`);
    this.pos++; // [
    const items: JsonValue[] = [];
    this.skipSpace();
    if (this.text[this.pos] === "]") {
      this.pos++;
      return { kind: "array", items };
    }
    for (;;) {
      items.push(this.value(`${path}[${items.length}]`, depth));
      this.skipSpace();
      const next = this.text[this.pos];
      this.pos++;
      if (next === "]") return { kind: "array", items };
      if (next !== ",") {
        this.pos--;
        this.fail("expected ',' or ']'");
      }
    }
  }

  private string(): string {
    const t = this.text;
    this.pos++; // opening quote
    let out = "";
    let start = this.pos;
    for (;;) {
      if (this.pos >= t.length) this.fail("unterminated string");
      const c = t.charCodeAt(this.pos);
      if (c === 0x22) break;
      if (c < 0x20) this.fail("control character in a string");
      if (c !== 0x5c) {
        this.pos++;
        continue;
      }
      out += t.slice(start, this.pos);
      const e = t[this.pos + 1];
      const simple = e === undefined ? undefined : ESCAPES[e];
      if (simple !== undefined) {
        out += simple;
        this.pos += 2;
      } else if (e === "u") {
        const hex = t.slice(this.pos + 2, this.pos + 6);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail("bad \\u escape");
        out += String.fromCharCode(parseInt(hex, 16));
        this.pos += 6;
      } else {
        this.fail("bad escape");
      }
      start = this.pos;
    }
    out += t.slice(start, this.pos);
    this.pos++; // closing quote
    return out;
  }

  /** Scans a number by the JSON grammar, -?(0|[1-9]d*)(.d+)?([eE][+-]?d+)?, and returns its text. */
  private number(): string {
    const t = this.text;
    const start = this.pos;
    const digits = () => {
      const from = this.pos;
      while (this.pos < t.length && t.charCodeAt(this.pos) >= 0x30 && t.charCodeAt(this.pos) <= 0x39) this.pos++;
      return this.pos - from;
    };
    if (t[this.pos] === "-") this.pos++;
    if (t[this.pos] === "0") this.pos++;
    else if (digits() === 0) this.fail("bad number");
    if (t[this.pos] === ".") {
      this.pos++;
      if (digits() === 0) this.fail("bad number: no digit after '.'");
    }
    if (t[this.pos] === "e" || t[this.pos] === "E") {
      this.pos++;
      if (t[this.pos] === "+" || t[this.pos] === "-") this.pos++;
      if (digits() === 0) this.fail("bad number: no digit in the exponent");
    }
    const next = t.charCodeAt(this.pos);
    if (next >= 0x30 && next <= 0x39) this.fail("bad number: a leading zero");
    return t.slice(start, this.pos);
  }
}

const ESCAPES: Readonly<Record<string, string>> = { '"': '"', "\\": "\\", "/": "/", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t" };

/** A JSON number's text as an exact decimal: (-1)^neg × mantissa × 10^exp, mantissa without leading zeros ("" for 0). */
interface Decimal { neg: boolean; mantissa: string; exp: number; isInteger: boolean }

// An exponent this large (either sign) stands for "beyond any field's range".
const HUGE_EXPONENT = 1e9;

function decimalOf(text: string): Decimal {
  let i = 0;
  const neg = text[0] === "-";
  if (neg) i++;
  const intStart = i;
  while (i < text.length && text[i] !== "." && text[i] !== "e" && text[i] !== "E") i++;
  const intDigits = text.slice(intStart, i);
  let fracDigits = "";
  if (text[i] === ".") {
    const from = ++i;
    while (i < text.length && text[i] !== "e" && text[i] !== "E") i++;
    fracDigits = text.slice(from, i);
  }
  let exp = 0;
  const hasExp = i < text.length;
  if (hasExp) {
    i++; // e
    const expNeg = text[i] === "-";
    if (text[i] === "+" || text[i] === "-") i++;
    let expDigits = text.slice(i);
    let z = 0;
    while (z < expDigits.length - 1 && expDigits[z] === "0") z++;
    expDigits = expDigits.slice(z);
    exp = expDigits.length > 9 ? HUGE_EXPONENT : Number(expDigits);
    if (expNeg) exp = -exp;
  }
  let all = intDigits + fracDigits;
  let z = 0;
  while (z < all.length && all[z] === "0") z++;
  all = all.slice(z);
  return { neg, mantissa: all, exp: exp - fracDigits.length, isInteger: fracDigits.length === 0 && !hasExp };
}

/** Fraction digits of the literal as written ("2500.00" → 2, "2.5E3" → 0, "1e-2" → 2). */
function fractionDigits(dec: Decimal): number {
  return dec.exp < 0 ? -dec.exp : 0;
}

/**
 * The literal × 10^d as an exact integer, or undefined when that is not an integer or
 * beyond `min`..`max`. Bounds the work before making a BigInt (a 1e999999 is refused
 * by its digit count, never computed).
 */
function scaledOf(dec: Decimal, d: number, min: bigint, max: bigint): bigint | undefined {
  if (dec.mantissa === "") return 0n;
  const shift = dec.exp + d;
  if (shift < 0) return undefined;
  const limit = dec.neg ? -min : max;
  if (limit <= 0n || dec.mantissa.length + shift > limit.toString().length) return undefined;
  const m = BigInt(dec.mantissa) * 10n ** BigInt(shift);
  if (m > limit) return undefined;
  return dec.neg ? -m : m;
}

function describeJson(v: JsonValue): string {
  switch (v.kind) {
    case "string": return describe(v.value);
    case "number": return v.text.length > 40 ? `${v.text.slice(0, 40)}…` : v.text;
    case "object": return "an object";
    case "array": return "an array";
    default: return String(v.value);
  }
}

/** The entries of an object value with exactly the keys `keys` (missing, unknown and wrong-typed are errors naming the key). */
function exactObject(v: JsonValue | undefined, keys: readonly string[], path: string): ReadonlyMap<string, JsonValue> {
  const name = (key: string) => (path ? `${path}.${key}` : key);
  if (v === undefined) throw new TickwireError("ARGUMENT", `fromClientJson: ${path} is missing`);
  if (v.kind !== "object") throw new TickwireError("ARGUMENT", `fromClientJson: ${path} must be an object, got ${describeJson(v)}`);
  for (const key of keys) if (!v.entries.has(key)) throw new TickwireError("ARGUMENT", `fromClientJson: ${name(key)} is missing`);
  if (v.entries.size !== keys.length) {
    const extra = [...v.entries.keys()].find((k) => !keys.includes(k))!;
    throw new TickwireError("ARGUMENT", `fromClientJson: unknown key ${describe(name(extra))}`);
  }
  return v.entries;
}

function numberText(v: JsonValue | undefined, path: string, code: TickwireErrorCode = "ARGUMENT"): string {
  if (v === undefined) throw new TickwireError(code, `fromClientJson: ${path} is missing`);
  if (v.kind !== "number") throw new TickwireError(code, `fromClientJson: ${path} must be a number, got ${describeJson(v)}`);
  return v.text;
}

function stringValue(v: JsonValue | undefined, path: string, code: TickwireErrorCode): string {
  if (v === undefined) throw new TickwireError(code, `fromClientJson: ${path} is missing`);
  if (v.kind !== "string") throw new TickwireError(code, `fromClientJson: ${path} must be a string, got ${describeJson(v)}`);
  return v.value;
}

/** An integer field: integer text (no fraction, no exponent) from `min` to `max`. */
function integerOf(v: JsonValue | undefined, path: string, min: bigint, max: bigint, what: string, code: TickwireErrorCode = "ARGUMENT"): bigint {
  const text = numberText(v, path, code);
  const dec = decimalOf(text);
  const bad = () => new TickwireError(code, `fromClientJson: ${path} must be ${what}, got ${describeJson(v!)}`);
  // "-0" is refused where no negative is allowed: the renderer never writes it.
  if (!dec.isInteger || (dec.neg && min >= 0n)) throw bad();
  const n = scaledOf(dec, 0, min, max);
  if (n === undefined) throw bad();
  return n;
}

/** A u64 or i64 as the object form has it: a number when a safe integer, else a bigint. */
/** A 64-bit field exactly: a number when it is a safe integer, else a bigint (the object form round-trips). */
function exactOf(view: TickView, field: ExactField): number | bigint {
  return numberOrBig(view.exact(field));
}

function numberOrBig(n: bigint): number | bigint {
  return n >= MIN_SAFE && n <= MAX_SAFE ? Number(n) : n;
}

const LTP_DATA = ["ltp", "timestamp"];
const QUOTE_DATA = [...LTP_DATA, "volume", "open", "high", "low", "close", "average_price", "percent_change", "last_quantity", "last_trade_time", "oi"];
const DEPTH_DATA = [...QUOTE_DATA, "total_buy_quantity", "total_sell_quantity", "upper_circuit", "lower_circuit", "depth"];
const DATA_KEYS = [[], LTP_DATA, QUOTE_DATA, DEPTH_DATA] as const;
const TOP_KEYS = ["type", "symbol", "exchange", "mode", "data", "broker"];
// Price fields on the wire, and the object-form field each becomes.
const QUOTE_PRICES: readonly [string, keyof MarketDataMessage][] = [
  ["open", "open"], ["high", "high"], ["low", "low"], ["close", "close"], ["average_price", "averagePrice"],
];
const DEPTH_PRICES: readonly [string, keyof MarketDataMessage][] = [["upper_circuit", "upperCircuit"], ["lower_circuit", "lowerCircuit"]];

/**
 * Parses a client `market_data` message (docs/PROTOCOL.md, as {@link toClientJson} and the
 * Wasm renderer write it) back into the object form, exactly and strictly.
 *
 * The top level must have exactly `type` ("market_data"), `symbol`, `exchange`, `mode` (1..3),
 * `data` and `broker`; `data` exactly the keys of its mode, `depth` exactly 5 levels a side
 * of exactly {price, quantity, orders}. A missing, unknown, duplicate or wrong-typed key is
 * one TickwireError naming it (ARGUMENT; KIND, EXCHANGE, SYMBOL, BROKER for those fields).
 *
 * Numbers are read from their text, never through a double product: `priceDecimals` is the
 * most fraction digits among the price fields ("2500.00" has 2; "2.5E3" 0; "1e-2" 2; more
 * than 9 is a DECIMALS error), each price is its exact scaled integer at that many decimals
 * (beyond ±(2^51 - 1) is a PRICE error) returned as the double m / 10^d; `percent_change` has
 * at most 2 decimals (PRECISION); `volume`, `oi`, `total_*_quantity` are integers 0..2^64-1,
 * `last_trade_time` an i64 (numbers, or bigints beyond the safe integers); `timestamp` a safe
 * integer; `last_quantity`, level `quantity` and `orders` u32s.
 *
 * Fields that are not on the wire come back 0: `seq`, `recvTimeNs` and `exchangeTimeMs`
 * always; for an LTP message also `lastTradeTimeMs`, `lastQuantity`, `percentChange`; for a
 * Quote message also `bid`, `ask`, `bidQuantity`, `askQuantity`, `totalBuyQuantity`,
 * `totalSellQuantity`, `upperCircuit`, `lowerCircuit`. In a Depth message `bid`, `ask`,
 * `bidQuantity` and `askQuantity` are level 0 of the book. So
 * `fromClientJson(toClientJson(m, o)).message` equals `m` in every field on the wire.
 */
export function fromClientJson(text: string): { message: MarketDataMessage; broker: string; timestampMs: number } {
  if (typeof text !== "string") throw new TickwireError("ARGUMENT", `fromClientJson: text must be a string, got ${describe(text)}`);
  const root = new JsonParser(text).parse();
  if (root.kind !== "object") throw new TickwireError("ARGUMENT", `fromClientJson: not a market_data message (an object), got ${describeJson(root)}`);
  const top = root.entries;
  const type = top.get("type");
  if (type === undefined || type.kind !== "string" || type.value !== "market_data") {
    throw new TickwireError("ARGUMENT", `fromClientJson: not a market_data message ("type" is ${type === undefined ? "missing" : describeJson(type)})`);
  }
  const mode = Number(integerOf(top.get("mode"), "mode", 1n, 3n, "1 (LTP), 2 (Quote) or 3 (Depth)", "KIND")) as Kind;
  const exchange = checkExchange(stringValue(top.get("exchange"), "exchange", "EXCHANGE"), "fromClientJson: exchange");
  const symbol = checkSymbol(stringValue(top.get("symbol"), "symbol", "SYMBOL"), "fromClientJson: symbol");
  const broker = checkBroker(stringValue(top.get("broker"), "broker", "BROKER"), "fromClientJson: broker");
  const data = exactObject(top.get("data"), DATA_KEYS[mode], "data");
  exactObject(root, TOP_KEYS, "");

  // Prices: find the decimals first (the most fraction digits of any), then scale each exactly.
  const prices: { path: string; dec: Decimal; set: (v: number) => void }[] = [];
  const msg: MarketDataMessage = {
    mode, symbol, exchange, priceDecimals: 0, seq: 0, recvTimeNs: 0, ltp: 0, exchangeTimeMs: 0,
    lastTradeTimeMs: 0, lastQuantity: 0, percentChange: 0,
  };
  const price = (path: string, v: JsonValue | undefined, set: (v: number) => void) => {
    prices.push({ path, dec: decimalOf(numberText(v, path, "PRICE")), set });
  };
  price("data.ltp", data.get("ltp"), (v) => { msg.ltp = v; });
  const timestampMs = Number(integerOf(data.get("timestamp"), "data.timestamp", MIN_SAFE, MAX_SAFE, "a safe integer (ms since the epoch)"));
  if (mode >= Kind.QUOTE) {
    Object.assign(msg, {
      averagePrice: 0, open: 0, high: 0, low: 0, close: 0, volume: 0, oi: 0, bid: 0, ask: 0, bidQuantity: 0, askQuantity: 0,
      totalBuyQuantity: 0, totalSellQuantity: 0, upperCircuit: 0, lowerCircuit: 0,
    });
    for (const [wire, field] of QUOTE_PRICES) price(`data.${wire}`, data.get(wire), (v) => { (msg as unknown as Record<string, number>)[field] = v; });
    msg.volume = numberOrBig(integerOf(data.get("volume"), "data.volume", 0n, U64_MAX, "an integer from 0 to 2^64-1"));
    msg.oi = numberOrBig(integerOf(data.get("oi"), "data.oi", 0n, U64_MAX, "an integer from 0 to 2^64-1"));
    msg.lastQuantity = Number(integerOf(data.get("last_quantity"), "data.last_quantity", 0n, BigInt(U32_MAX), "an integer from 0 to 2^32-1"));
    msg.lastTradeTimeMs = numberOrBig(integerOf(data.get("last_trade_time"), "data.last_trade_time", I64_MIN, I64_MAX, "an integer from -2^63 to 2^63-1"));
    const pc = decimalOf(numberText(data.get("percent_change"), "data.percent_change"));
    if (fractionDigits(pc) > 2) throw new TickwireError("PRECISION", `fromClientJson: data.percent_change ${describeJson(data.get("percent_change")!)} has more than 2 decimals`);
    const bp = scaledOf(pc, 2, BigInt(I32_MIN), BigInt(I32_MAX));
    if (bp === undefined) throw new TickwireError("ARGUMENT", `fromClientJson: data.percent_change ${describeJson(data.get("percent_change")!)} is out of range (hundredths must fit an i32)`);
    msg.percentChange = Number(bp) / 100;
  }
  if (mode === Kind.DEPTH) {
    for (const [wire, field] of DEPTH_PRICES) price(`data.${wire}`, data.get(wire), (v) => { (msg as unknown as Record<string, number>)[field] = v; });
    msg.totalBuyQuantity = numberOrBig(integerOf(data.get("total_buy_quantity"), "data.total_buy_quantity", 0n, U64_MAX, "an integer from 0 to 2^64-1"));
    msg.totalSellQuantity = numberOrBig(integerOf(data.get("total_sell_quantity"), "data.total_sell_quantity", 0n, U64_MAX, "an integer from 0 to 2^64-1"));
    const depth = exactObject(data.get("depth"), ["buy", "sell"], "data.depth");
    const book: { buy: DepthLevel[]; sell: DepthLevel[] } = { buy: [], sell: [] };
    for (const side of ["buy", "sell"] as const) {
      const path = `data.depth.${side}`;
      const arr = depth.get(side)!;
      if (arr.kind !== "array") throw new TickwireError("ARGUMENT", `fromClientJson: ${path} must be an array of ${L.DEPTH_LEVELS} levels, got ${describeJson(arr)}`);
      if (arr.items.length !== L.DEPTH_LEVELS) throw new TickwireError("ARGUMENT", `fromClientJson: ${path} has ${arr.items.length} levels, must have ${L.DEPTH_LEVELS}`);
      arr.items.forEach((item, i) => {
        const at = `${path}[${i}]`;
        const lv = exactObject(item, ["price", "quantity", "orders"], at);
        const level: DepthLevel = {
          price: 0,
          quantity: Number(integerOf(lv.get("quantity"), `${at}.quantity`, 0n, BigInt(U32_MAX), "an integer from 0 to 2^32-1")),
          orders: Number(integerOf(lv.get("orders"), `${at}.orders`, 0n, BigInt(U32_MAX), "an integer from 0 to 2^32-1")),
        };
        price(`${at}.price`, lv.get("price"), (v) => { level.price = v; });
        book[side].push(level);
      });
    }
    msg.depth = book;
  }

  let d = 0;
  for (const p of prices) {
    const digits = fractionDigits(p.dec);
    if (digits > L.MAX_PRICE_DECIMALS) {
      throw new TickwireError("DECIMALS", `fromClientJson: ${p.path} has ${digits} decimals, more than ${L.MAX_PRICE_DECIMALS}`);
    }
    if (digits > d) d = digits;
  }
  const pow = POW10[d]!;
  for (const p of prices) {
    const m = scaledOf(p.dec, d, -MAX_SCALED, MAX_SCALED);
    if (m === undefined) {
      throw new TickwireError("PRICE", `fromClientJson: ${p.path} at ${d} decimals is beyond ±(2^51 - 1) scaled`);
    }
    p.set(m === 0n ? 0 : Number(m) / pow); // exact: |m| < 2^53, and m / 10^d is the canonical double
  }
  msg.priceDecimals = d;
  if (mode === Kind.DEPTH) {
    const b0 = msg.depth!.buy[0]!;
    const s0 = msg.depth!.sell[0]!;
    msg.bid = b0.price;
    msg.bidQuantity = b0.quantity;
    msg.ask = s0.price;
    msg.askQuantity = s0.quantity;
  }
  return { message: msg, broker, timestampMs };
}
