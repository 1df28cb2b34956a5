// Turns what the server sends into Ticks: `market_data` JSON objects, and binary
// frames of tick records (docs/FORMAT.md) read with a DataView. Plain JS over the
// layout constants only — no Wasm, no symbol table — so it runs in any browser.

import * as L from "../format/layout.js";
import type { DepthLevel, Instrument, Mode, Tick } from "./types.js";

const TWO_32 = 2 ** 32;
const POW10 = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9];

/** Counters the decoder adds to. */
export interface DecodeCounters {
  unknownSymbols: number;
  malformed: number;
}

/** A mode from a reply: 1/2/3 or "LTP"/"Quote"/"Depth" (any case); undefined for anything else. */
export function parseMode(v: unknown): Mode | undefined {
  if (v === 1 || v === 2 || v === 3) return v;
  if (typeof v !== "string") return undefined;
  switch (v.toLowerCase()) {
    case "ltp": return 1;
    case "quote": return 2;
    case "depth": return 3;
    default: return undefined;
  }
}

const num = (v: unknown): number | undefined => (typeof v === "number" && Number.isFinite(v) ? v : undefined);

function levels(v: unknown): DepthLevel[] | undefined {
  if (!Array.isArray(v)) return undefined;
  const out: DepthLevel[] = [];
  for (const l of v) {
    if (typeof l !== "object" || l === null) return undefined;
    const { price, quantity, orders } = l as Record<string, unknown>;
    const p = num(price), q = num(quantity), o = num(orders);
    if (p === undefined || q === undefined || o === undefined) return undefined;
    out.push({ price: p, quantity: q, orders: o });
  }
  return out;
}

/**
 * The Tick of a parsed `market_data` message, or undefined when it is not one (missing
 * symbol/exchange, a mode other than 1..3, no numeric ltp/timestamp). Fields are copied by
 * the message's mode; a field the server left out stays absent.
 */
export function tickFromJson(msg: Record<string, unknown>): Tick | undefined {
  const { symbol, exchange, data } = msg;
  const mode = parseMode(msg.mode);
  if (typeof symbol !== "string" || typeof exchange !== "string" || mode === undefined || typeof data !== "object" || data === null) return undefined;
  const d = data as Record<string, unknown>;
  const ltp = num(d.ltp);
  const timestamp = num(d.timestamp);
  if (ltp === undefined || timestamp === undefined) return undefined;
  const tick: Tick = { exchange, symbol, mode, ltp, timestamp };
  // Only the fields the server sent (a lean server may leave some out): `"volume" in tick` means it came.
  const put = (key: keyof Tick, v: unknown): void => {
    if (typeof v === "number" && Number.isFinite(v)) (tick as unknown as Record<string, number>)[key] = v;
  };
  if (mode >= 2) {
    put("volume", d.volume);
    put("open", d.open);
    put("high", d.high);
    put("low", d.low);
    put("close", d.close);
    put("averagePrice", d.average_price);
    put("percentChange", d.percent_change);
    put("lastQuantity", d.last_quantity);
    put("lastTradeTime", d.last_trade_time);
    put("oi", d.oi);
  }
  if (mode === 3) {
    put("totalBuyQuantity", d.total_buy_quantity);
    put("totalSellQuantity", d.total_sell_quantity);
    put("upperCircuit", d.upper_circuit);
    put("lowerCircuit", d.lower_circuit);
    const depth = d.depth as Record<string, unknown> | undefined;
    if (typeof depth === "object" && depth !== null) {
      const buy = levels(depth.buy), sell = levels(depth.sell);
      if (buy && sell) tick.depth = { buy, sell };
    }
  }
  put("recvTimeNs", d.recv_time_ns);
  return tick;
}

/**
 * Reads records out of binary frames. A client keeps one, with its connection's id → instrument
 * map ({@link RecordDecoder.symbols}, filled from subscribe replies); in-process code passes
 * `resolve` to look ids up in its own symbol table.
 */
export class RecordDecoder {
  /** Symbol id → instrument, from this connection's subscribe replies (ids are the server's, per its lifetime). */
  readonly symbols = new Map<number, Instrument>();
  private dv: DataView<ArrayBufferLike> = new DataView(new ArrayBuffer(0));
  private bad = false;

  /** @param resolve - looks up ids not in `symbols` (the server side resolves from its symbol table). */
  constructor(private readonly counters: DecodeCounters, private readonly resolve?: (id: number) => Instrument | undefined) {}

  /**
   * Decodes every record of `frame` (records back to back, `length` at offset 0) and hands
   * each tick to `emit`. Padding records are skipped; a record of an unknown symbol id is
   * counted in `unknownSymbols`; one of an unknown version, kind or length, or with a price
   * out of the format's range, in `malformed` (a length that cannot be walked ends the frame).
   */
  decodeFrame(frame: ArrayBuffer | ArrayBufferView, emit: (tick: Tick) => void): void {
    const dv = ArrayBuffer.isView(frame) ? new DataView(frame.buffer, frame.byteOffset, frame.byteLength) : new DataView(frame);
    this.dv = dv;
    const end = dv.byteLength;
    let p = 0;
    while (p < end) {
      if (end - p < L.SLOT_BYTES) {
        this.counters.malformed++; // a tail too short to be a record
        return;
      }
      const length = dv.getUint16(p + L.OFF_LENGTH, true);
      if (length < L.SLOT_BYTES || length % L.SLOT_BYTES !== 0 || p + length > end) {
        this.counters.malformed++; // nothing after it can be found
        return;
      }
      const kind = dv.getUint8(p + L.OFF_KIND);
      if (kind !== L.KIND_PADDING) {
        const tick = this.record(p, kind, length);
        if (tick !== undefined) emit(tick);
      }
      p += length;
    }
  }

  private record(p: number, kind: number, length: number): Tick | undefined {
    const dv = this.dv;
    const expected = kind === L.KIND_LTP ? L.LTP_BYTES : kind === L.KIND_QUOTE ? L.QUOTE_BYTES : kind === L.KIND_DEPTH ? L.DEPTH_BYTES : 0;
    const decimals = dv.getUint8(p + L.OFF_PRICE_DECIMALS);
    if (dv.getUint8(p + L.OFF_VERSION) !== L.FORMAT_VERSION || length !== expected || decimals > L.MAX_PRICE_DECIMALS) {
      this.counters.malformed++;
      return undefined;
    }
    const id = dv.getUint32(p + L.OFF_SYMBOL_ID, true);
    const instrument = this.symbols.get(id) ?? this.resolve?.(id);
    if (instrument === undefined) {
      this.counters.unknownSymbols++;
      return undefined;
    }
    const pow = POW10[decimals]!;
    this.bad = false;
    const exchTime = this.i64(p + L.OFF_EXCH_TIME_MS);
    const tick: Tick = {
      exchange: instrument.exchange,
      symbol: instrument.symbol,
      mode: kind as Mode,
      ltp: this.price(p + L.OFF_LTP, pow),
      timestamp: exchTime !== 0 ? exchTime : Date.now(),
    };
    if (kind >= L.KIND_QUOTE) {
      tick.volume = this.u64(p + L.OFF_VOLUME);
      tick.open = this.price(p + L.OFF_OPEN, pow);
      tick.high = this.price(p + L.OFF_HIGH, pow);
      tick.low = this.price(p + L.OFF_LOW, pow);
      tick.close = this.price(p + L.OFF_CLOSE, pow);
      tick.averagePrice = this.price(p + L.OFF_AVG_PRICE, pow);
      tick.percentChange = dv.getInt32(p + L.OFF_CHANGE_BP, true) / 100;
      tick.lastQuantity = dv.getUint32(p + L.OFF_LAST_QTY, true);
      tick.lastTradeTime = this.i64(p + L.OFF_LAST_TRADE_TIME_MS);
      tick.oi = this.u64(p + L.OFF_OI);
    }
    if (kind === L.KIND_DEPTH) {
      tick.totalBuyQuantity = this.u64(p + L.OFF_TOTAL_BUY_QTY);
      tick.totalSellQuantity = this.u64(p + L.OFF_TOTAL_SELL_QTY);
      tick.upperCircuit = this.price(p + L.OFF_UPPER_CIRCUIT, pow);
      tick.lowerCircuit = this.price(p + L.OFF_LOWER_CIRCUIT, pow);
      tick.depth = { buy: this.side(p + L.OFF_DEPTH_BIDS, pow), sell: this.side(p + L.OFF_DEPTH_ASKS, pow) };
    }
    tick.recvTimeNs = this.u64(p + L.OFF_RECV_TIME_NS);
    if (this.bad) {
      this.counters.malformed++;
      return undefined;
    }
    return tick;
  }

  private side(off: number, pow: number): DepthLevel[] {
    const out: DepthLevel[] = [];
    for (let i = 0; i < L.DEPTH_LEVELS; i++) {
      const o = off + i * L.LEVEL_BYTES;
      out.push({
        price: this.price(o + L.LEVEL_OFF_PRICE, pow),
        quantity: this.dv.getUint32(o + L.LEVEL_OFF_QTY, true),
        orders: this.dv.getUint32(o + L.LEVEL_OFF_ORDERS, true),
      });
    }
    return out;
  }

  /** A scaled i64 price in natural units: the double nearest the decimal (exact within ±(2^51 - 1)). */
  private price(off: number, pow: number): number {
    const m = this.i64(off);
    // Beyond the format's range one double stands for two decimals: refuse, as every tickwire reader does.
    if (m > L.MAX_SCALED_PRICE || m < -L.MAX_SCALED_PRICE) this.bad = true;
    return m / pow;
  }

  /** An i64 as a number (rounded beyond ±2^53; only prices and times are i64, well inside it). */
  private i64(off: number): number {
    return this.dv.getInt32(off + 4, true) * TWO_32 + this.dv.getUint32(off, true);
  }

  /** A u64 as a number: exact below 2^53, the nearest double above (one rounding, in the addition). */
  private u64(off: number): number {
    return this.dv.getUint32(off + 4, true) * TWO_32 + this.dv.getUint32(off, true);
  }
}
