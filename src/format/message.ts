// The object form of a tick (the seed's MarketDataMessage) and the client JSON
// message in plain JS: conversions for code that wants objects, and the
// reference the Wasm renderer is tested against byte for byte. Not a hot path.

import * as L from "./layout.js";
import { TickwireError } from "../errors.js";
import { exchangeCode, exchangeName, type ExchangeName } from "./exchange.js";
import { Kind, Side, scalePrice, type TickView } from "./record.js";
import type { SymbolTable } from "../memory/symbol-table.js";

/** One level of the order book. */
export interface DepthLevel {
  price: number;
  quantity: number;
  orders: number;
}

/**
 * A tick as a plain object. Quote fields are present for mode ≥ 2, depth fields for
 * mode 3. u64 quantities are numbers, or bigints beyond 2^53.
 */
export interface MarketDataMessage {
  /** 1 LTP, 2 Quote, 3 Depth. */
  mode: Kind;
  symbol: string;
  exchange: ExchangeName;
  /** Decimals of every price of this instrument (2 for most NSE equities, 4 for CDS). */
  priceDecimals: number;
  seq: number;
  /** Receive time, ns on the shared monotonic clock (see monotonicNs). */
  recvTimeNs: number;
  ltp: number;
  /** Exchange (feed) time, ms since the Unix epoch. */
  exchangeTimeMs: number;
  lastTradeTimeMs: number;
  lastQuantity: number;
  /** Percent change, to hundredths (-1.05 means -1.05 %). */
  percentChange: number;
  averagePrice?: number;
  open?: number;
  high?: number;
  low?: number;
  /** Previous close. */
  close?: number;
  volume?: number | bigint;
  oi?: number | bigint;
  bid?: number;
  ask?: number;
  bidQuantity?: number;
  askQuantity?: number;
  totalBuyQuantity?: number | bigint;
  totalSellQuantity?: number | bigint;
  upperCircuit?: number;
  lowerCircuit?: number;
  depth?: { buy: DepthLevel[]; sell: DepthLevel[] };
}

/** Reads the record `view` points at into a new object. */
export function readMessage(view: TickView, symbols: SymbolTable): MarketDataMessage {
  const kind = view.kind;
  if (kind !== Kind.LTP && kind !== Kind.QUOTE && kind !== Kind.DEPTH) throw new TickwireError("KIND", `readMessage: record kind ${kind} is not a tick`);
  const info = symbols.get(view.symbolId);
  const msg: MarketDataMessage = {
    mode: kind, symbol: info.symbol, exchange: exchangeName(view.exchange) ?? info.exchange,
    priceDecimals: view.priceDecimals, seq: view.seq, recvTimeNs: view.recvTimeNs, ltp: view.ltp,
    exchangeTimeMs: view.exchTimeMs, lastTradeTimeMs: view.lastTradeTimeMs, lastQuantity: view.lastQty,
    percentChange: view.changePercent,
  };
  if (kind >= Kind.QUOTE) {
    Object.assign(msg, {
      averagePrice: view.avgPrice, open: view.open, high: view.high, low: view.low, close: view.close,
      volume: view.volume, oi: view.oi, bid: view.bid, ask: view.ask, bidQuantity: view.bidQty, askQuantity: view.askQty,
    });
  }
  if (kind === Kind.DEPTH) {
    const side = (s: Side) => Array.from({ length: L.DEPTH_LEVELS }, (_, i) => ({
      price: view.levelPrice(s, i), quantity: view.levelQty(s, i), orders: view.levelOrders(s, i),
    }));
    Object.assign(msg, {
      totalBuyQuantity: view.totalBuyQty, totalSellQuantity: view.totalSellQty,
      upperCircuit: view.upperCircuit, lowerCircuit: view.lowerCircuit,
      depth: { buy: side(Side.BUY), sell: side(Side.SELL) },
    });
  }
  return msg;
}

/**
 * Writes `msg` as a record at the offset `view` points at, interning its symbol.
 * Missing optional fields are 0. Returns the record's length in bytes.
 */
export function writeMessage(view: TickView, msg: MarketDataMessage, symbols: SymbolTable): number {
  const mode = msg.mode;
  if (mode !== Kind.LTP && mode !== Kind.QUOTE && mode !== Kind.DEPTH) throw new TickwireError("KIND", `writeMessage: mode must be 1, 2 or 3, got ${mode}`);
  const code = exchangeCode(msg.exchange);
  if (code === 0) throw new TickwireError("EXCHANGE", `writeMessage: unknown exchange ${JSON.stringify(msg.exchange)}`);
  const id = symbols.intern(msg.exchange, msg.symbol, msg.priceDecimals);
  view.init(mode);
  view.symbolId = id;
  view.exchange = code;
  view.priceDecimals = msg.priceDecimals;
  view.seq = msg.seq;
  view.recvTimeNs = msg.recvTimeNs;
  view.ltp = msg.ltp;
  view.exchTimeMs = msg.exchangeTimeMs;
  view.lastTradeTimeMs = msg.lastTradeTimeMs;
  view.lastQty = msg.lastQuantity;
  view.changePercent = msg.percentChange;
  if (mode >= Kind.QUOTE) {
    view.avgPrice = msg.averagePrice ?? 0;
    view.open = msg.open ?? 0;
    view.high = msg.high ?? 0;
    view.low = msg.low ?? 0;
    view.close = msg.close ?? 0;
    view.volume = msg.volume ?? 0;
    view.oi = msg.oi ?? 0;
    view.bid = msg.bid ?? msg.depth?.buy[0]?.price ?? 0;
    view.ask = msg.ask ?? msg.depth?.sell[0]?.price ?? 0;
    view.bidQty = msg.bidQuantity ?? msg.depth?.buy[0]?.quantity ?? 0;
    view.askQty = msg.askQuantity ?? msg.depth?.sell[0]?.quantity ?? 0;
  }
  if (mode === Kind.DEPTH) {
    view.totalBuyQty = msg.totalBuyQuantity ?? 0;
    view.totalSellQty = msg.totalSellQuantity ?? 0;
    view.upperCircuit = msg.upperCircuit ?? 0;
    view.lowerCircuit = msg.lowerCircuit ?? 0;
    for (const [side, levels] of [[Side.BUY, msg.depth?.buy], [Side.SELL, msg.depth?.sell]] as const) {
      if ((levels?.length ?? 0) > L.DEPTH_LEVELS) throw new TickwireError("ARGUMENT", `writeMessage: at most ${L.DEPTH_LEVELS} depth levels a side`);
      levels?.forEach((l, i) => view.setLevel(side, i, l.price, l.quantity, l.orders));
    }
  }
  return view.length;
}

/** A scaled integer as an exact decimal: (250005, 2) -> "2500.05", (-5, 2) -> "-0.05". */
export function formatScaled(scaled: number, decimals: number): string {
  if (decimals === 0) return String(scaled);
  const sign = scaled < 0 ? "-" : "";
  const abs = Math.abs(scaled);
  const pow = 10 ** decimals;
  const int = Math.floor(abs / pow);
  return `${sign}${int}.${String(abs - int * pow).padStart(decimals, "0")}`;
}

/** Options of {@link toClientJson}. */
export interface ClientJsonOptions {
  /** The `broker` field. */
  broker: string;
  /** The `timestamp` field: the proxy's wall clock in ms when it forwards the tick. */
  timestampMs: number;
  /** The client's mode (default: the message's). Must not exceed the message's mode. */
  mode?: Kind;
}

/**
 * The client `market_data` message of `msg` (docs/PROTOCOL.md) as a string: the same
 * bytes the Wasm renderer writes (JsonRenderer), in plain JS.
 */
export function toClientJson(msg: MarketDataMessage, options: ClientJsonOptions): string {
  const mode = options.mode ?? msg.mode;
  if (mode > msg.mode) throw new TickwireError("KIND", `toClientJson: a mode ${msg.mode} tick cannot be rendered as mode ${mode}`);
  const d = msg.priceDecimals;
  const p = (v: number | undefined) => formatScaled(scalePrice(v ?? 0, d), d);
  const u = (v: number | bigint | undefined) => String(v ?? 0);
  let data = `{"ltp":${p(msg.ltp)},"timestamp":${Math.trunc(options.timestampMs)}`;
  if (mode >= Kind.QUOTE) {
    data += `,"volume":${u(msg.volume)},"open":${p(msg.open)},"high":${p(msg.high)},"low":${p(msg.low)}`
      + `,"close":${p(msg.close)},"average_price":${p(msg.averagePrice)}`
      + `,"percent_change":${formatScaled(Math.round(msg.percentChange * 100), 2)}`
      + `,"last_quantity":${msg.lastQuantity},"last_trade_time":${msg.lastTradeTimeMs},"oi":${u(msg.oi)}`;
  }
  if (mode === Kind.DEPTH) {
    const levels = (ls: DepthLevel[] | undefined) => Array.from({ length: L.DEPTH_LEVELS }, (_, i) => {
      const l = ls?.[i];
      return `{"price":${p(l?.price)},"quantity":${l?.quantity ?? 0},"orders":${l?.orders ?? 0}}`;
    }).join(",");
    data += `,"total_buy_quantity":${u(msg.totalBuyQuantity)},"total_sell_quantity":${u(msg.totalSellQuantity)}`
      + `,"upper_circuit":${p(msg.upperCircuit)},"lower_circuit":${p(msg.lowerCircuit)}`
      + `,"depth":{"buy":[${levels(msg.depth?.buy)}],"sell":[${levels(msg.depth?.sell)}]}`;
  }
  return `{"type":"market_data","symbol":"${msg.symbol}","exchange":"${msg.exchange}","mode":${mode},"data":${data}},"broker":"${options.broker}"}`;
}

// u64 fields whose digits JSON.parse would round beyond 2^53: quoted before parsing.
const BIG_U64 = /"(volume|oi|total_buy_quantity|total_sell_quantity)":(\d{16,})/g;

/**
 * Parses a client `market_data` message back into the object form, with u64 fields
 * exact (bigints beyond 2^53). priceDecimals is taken from the digits of `ltp`.
 * `seq` and `recvTimeNs` are not on the wire and come back 0.
 */
export function fromClientJson(text: string): { message: MarketDataMessage; broker: string; timestampMs: number } {
  let raw: any;
  try {
    raw = JSON.parse(text.replace(BIG_U64, '"$1":"$2"'));
  } catch (e) {
    throw new TickwireError("ARGUMENT", `fromClientJson: not JSON (${(e as Error).message})`);
  }
  if (raw?.type !== "market_data" || typeof raw.data !== "object" || raw.data === null) {
    throw new TickwireError("ARGUMENT", "fromClientJson: not a market_data message");
  }
  const mode = raw.mode as Kind;
  if (mode !== Kind.LTP && mode !== Kind.QUOTE && mode !== Kind.DEPTH) throw new TickwireError("KIND", `fromClientJson: mode ${raw.mode} is not 1..3`);
  if (exchangeCode(raw.exchange) === 0) throw new TickwireError("EXCHANGE", `fromClientJson: unknown exchange ${JSON.stringify(raw.exchange)}`);
  const data = raw.data;
  const u64 = (v: unknown): number | bigint => {
    if (typeof v === "string") { const b = BigInt(v); return b <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(b) : b; }
    return Number(v ?? 0);
  };
  const ltpText = /"ltp":-?\d+(?:\.(\d+))?/.exec(text);
  const msg: MarketDataMessage = {
    mode, symbol: String(raw.symbol), exchange: raw.exchange, priceDecimals: ltpText?.[1]?.length ?? 0, seq: 0, recvTimeNs: 0,
    ltp: Number(data.ltp), exchangeTimeMs: 0, lastTradeTimeMs: Number(data.last_trade_time ?? 0),
    lastQuantity: Number(data.last_quantity ?? 0), percentChange: Number(data.percent_change ?? 0),
  };
  if (mode >= Kind.QUOTE) {
    Object.assign(msg, {
      averagePrice: data.average_price, open: data.open, high: data.high, low: data.low, close: data.close,
      volume: u64(data.volume), oi: u64(data.oi),
    });
  }
  if (mode === Kind.DEPTH) {
    Object.assign(msg, {
      totalBuyQuantity: u64(data.total_buy_quantity), totalSellQuantity: u64(data.total_sell_quantity),
      upperCircuit: data.upper_circuit, lowerCircuit: data.lower_circuit, depth: data.depth,
    });
  }
  return { message: msg, broker: String(raw.broker), timestampMs: Number(data.timestamp) };
}
