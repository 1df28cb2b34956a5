import * as L from "./layout.js";
import { TickwireError } from "../errors.js";

if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
  throw new TickwireError("ARGUMENT", "tickwire needs a little-endian host (the record format and Wasm are little-endian)");
}

const TWO_32 = 4294967296;
const POW10 = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9];
const U64_MAX = (1n << 64n) - 1n;

/** Tick kinds, numbered as in the record's `kind` byte and the client protocol's `mode`. */
export const Kind = { LTP: L.KIND_LTP, QUOTE: L.KIND_QUOTE, DEPTH: L.KIND_DEPTH } as const;
/** A tick kind: 1 LTP, 2 QUOTE, 3 DEPTH. */
export type Kind = (typeof Kind)[keyof typeof Kind];
/** Which side of the book a depth level is on. */
export const Side = { BUY: 0, SELL: 1 } as const;
/** 0 buy (bids), 1 sell (asks). */
export type Side = (typeof Side)[keyof typeof Side];

/** Record bytes of each kind. */
export function recordBytes(kind: Kind): number {
  return kind === L.KIND_LTP ? L.LTP_BYTES : kind === L.KIND_QUOTE ? L.QUOTE_BYTES : L.DEPTH_BYTES;
}

/**
 * A flyweight over one record in a buffer: point it at a record with `wrap(offset)`
 * and read or write its fields in place. No allocation per record (u64 fields beyond
 * 2^53 come back as a bigint, the only exception). Offsets are in src/format/layout.ts.
 *
 * Two subclasses differ in how prices are stored: {@link TickView} reads records
 * (scaled integers), {@link StageView} reads the stage form (f64), the input of the
 * batch encoder and the output of the batch decoder.
 */
export abstract class RecordView {
  protected readonly u8: Uint8Array;
  protected readonly u16: Uint16Array;
  protected readonly u32: Uint32Array;
  protected readonly i32: Int32Array;
  protected readonly f64: Float64Array;
  /** Byte offset of the record this view points at. */
  offset = 0;

  constructor(buffer: ArrayBufferLike) {
    this.u8 = new Uint8Array(buffer);
    this.u16 = new Uint16Array(buffer, 0, buffer.byteLength >>> 1);
    this.u32 = new Uint32Array(buffer, 0, buffer.byteLength >>> 2);
    this.i32 = new Int32Array(buffer, 0, buffer.byteLength >>> 2);
    this.f64 = new Float64Array(buffer, 0, buffer.byteLength >>> 3);
  }

  /** Points the view at the record at `offset` (a multiple of 8; records are 64-aligned in rings). */
  wrap(offset: number): this {
    if ((offset & 7) !== 0 || offset < 0 || offset + L.SLOT_BYTES > this.u8.length) {
      throw new TickwireError("ARGUMENT", `wrap: offset ${offset} is not 8-aligned or leaves no room for a record`);
    }
    this.offset = offset;
    return this;
  }

  /**
   * Makes the record at the view's offset an empty record of `kind`: zeroes its bytes
   * and writes length, kind and version. Fields are then set one by one.
   */
  init(kind: Kind): this {
    const bytes = recordBytes(kind);
    if (this.offset + bytes > this.u8.length) throw new TickwireError("LENGTH", `init: a ${bytes}-byte record does not fit at offset ${this.offset}`);
    this.u8.fill(0, this.offset, this.offset + bytes);
    this.u16[this.offset >>> 1] = bytes;
    this.u8[this.offset + L.OFF_KIND] = kind;
    this.u8[this.offset + L.OFF_VERSION] = L.FORMAT_VERSION;
    return this;
  }

  /** Record bytes, a multiple of 64. */
  get length(): number { return this.u16[this.offset >>> 1]!; }
  /** 1 LTP, 2 QUOTE, 3 DEPTH (255 padding). */
  get kind(): number { return this.u8[this.offset + L.OFF_KIND]!; }
  /** Format version of the record. */
  get version(): number { return this.u8[this.offset + L.OFF_VERSION]!; }

  /** Interned id of (exchange, symbol) in the symbol table. */
  get symbolId(): number { return this.u32[(this.offset + L.OFF_SYMBOL_ID) >>> 2]!; }
  set symbolId(v: number) { this.u32[(this.offset + L.OFF_SYMBOL_ID) >>> 2] = checkU32(v, "symbolId"); }
  /** Publisher's sequence number (exact below 2^53). */
  get seq(): number { return this.readU53(L.OFF_SEQ); }
  set seq(v: number) { this.writeU53(L.OFF_SEQ, v, "seq"); }
  /** Receive time in ns on the shared monotonic clock (see monotonicNs). */
  get recvTimeNs(): number { return this.readU53(L.OFF_RECV_TIME_NS); }
  set recvTimeNs(v: number) { this.writeU53(L.OFF_RECV_TIME_NS, Math.round(v), "recvTimeNs"); }
  /** Exchange code, 1..14 (see exchangeName). */
  get exchange(): number { return this.u8[this.offset + L.OFF_EXCHANGE]!; }
  set exchange(v: number) {
    if (!Number.isInteger(v) || v < 1 || v > L.EXCHANGE_COUNT) throw new TickwireError("EXCHANGE", `exchange: code must be 1..14, got ${v}`);
    this.u8[this.offset + L.OFF_EXCHANGE] = v;
  }
  /** Decimals of every price field: a price is an integer count of 10^-priceDecimals. */
  get priceDecimals(): number { return this.u8[this.offset + L.OFF_PRICE_DECIMALS]!; }
  set priceDecimals(v: number) {
    if (!Number.isInteger(v) || v < 0 || v > L.MAX_PRICE_DECIMALS) throw new TickwireError("DECIMALS", `priceDecimals: must be 0..${L.MAX_PRICE_DECIMALS}, got ${v}`);
    this.u8[this.offset + L.OFF_PRICE_DECIMALS] = v;
  }
  /** Last traded quantity. */
  get lastQty(): number { return this.u32[(this.offset + L.OFF_LAST_QTY) >>> 2]!; }
  set lastQty(v: number) { this.u32[(this.offset + L.OFF_LAST_QTY) >>> 2] = checkU32(v, "lastQty"); }
  /** Exchange (feed) time, ms since the Unix epoch. */
  get exchTimeMs(): number { return this.readI53(L.OFF_EXCH_TIME_MS); }
  set exchTimeMs(v: number) { this.writeI53(L.OFF_EXCH_TIME_MS, v, "exchTimeMs"); }
  /** Last trade time, ms since the Unix epoch. */
  get lastTradeTimeMs(): number { return this.readI53(L.OFF_LAST_TRADE_TIME_MS); }
  set lastTradeTimeMs(v: number) { this.writeI53(L.OFF_LAST_TRADE_TIME_MS, v, "lastTradeTimeMs"); }
  /** Percent change in hundredths of a percent (-1.05 % is -105): the exact stored value. */
  get changeBp(): number { return this.i32[(this.offset + L.OFF_CHANGE_BP) >>> 2]!; }
  set changeBp(v: number) {
    if (!Number.isInteger(v) || v < -2147483648 || v > 2147483647) throw new TickwireError("ARGUMENT", `changeBp: must be an i32, got ${v}`);
    this.i32[(this.offset + L.OFF_CHANGE_BP) >>> 2] = v;
  }
  /** Percent change (-1.05 for -1.05 %), rounded to hundredths when set. */
  get changePercent(): number { return this.changeBp / 100; }
  set changePercent(v: number) {
    if (!Number.isFinite(v)) throw new TickwireError("PRICE", `changePercent: must be finite, got ${v}`);
    this.changeBp = Math.round(v * 100);
  }

  /** Cumulative traded volume (u64: a bigint beyond 2^53). */
  get volume(): number | bigint { return this.readU64(L.OFF_VOLUME); }
  set volume(v: number | bigint) { this.writeU64(L.OFF_VOLUME, v, "volume"); }
  /** Open interest (u64: a bigint beyond 2^53). */
  get oi(): number | bigint { return this.readU64(L.OFF_OI); }
  set oi(v: number | bigint) { this.writeU64(L.OFF_OI, v, "oi"); }
  /** Quantity at the best bid. */
  get bidQty(): number { return this.u32[(this.offset + L.OFF_BID_QTY) >>> 2]!; }
  set bidQty(v: number) { this.u32[(this.offset + L.OFF_BID_QTY) >>> 2] = checkU32(v, "bidQty"); }
  /** Quantity at the best ask. */
  get askQty(): number { return this.u32[(this.offset + L.OFF_ASK_QTY) >>> 2]!; }
  set askQty(v: number) { this.u32[(this.offset + L.OFF_ASK_QTY) >>> 2] = checkU32(v, "askQty"); }
  /** Total quantity on the buy side of the book (u64). */
  get totalBuyQty(): number | bigint { return this.readU64(L.OFF_TOTAL_BUY_QTY); }
  set totalBuyQty(v: number | bigint) { this.writeU64(L.OFF_TOTAL_BUY_QTY, v, "totalBuyQty"); }
  /** Total quantity on the sell side of the book (u64). */
  get totalSellQty(): number | bigint { return this.readU64(L.OFF_TOTAL_SELL_QTY); }
  set totalSellQty(v: number | bigint) { this.writeU64(L.OFF_TOTAL_SELL_QTY, v, "totalSellQty"); }

  /** Last traded price. */
  get ltp(): number { return this.price(L.OFF_LTP); }
  set ltp(v: number) { this.setPrice(L.OFF_LTP, v, "ltp"); }
  /** Average traded price. */
  get avgPrice(): number { return this.price(L.OFF_AVG_PRICE); }
  set avgPrice(v: number) { this.setPrice(L.OFF_AVG_PRICE, v, "avgPrice"); }
  get open(): number { return this.price(L.OFF_OPEN); }
  set open(v: number) { this.setPrice(L.OFF_OPEN, v, "open"); }
  get high(): number { return this.price(L.OFF_HIGH); }
  set high(v: number) { this.setPrice(L.OFF_HIGH, v, "high"); }
  get low(): number { return this.price(L.OFF_LOW); }
  set low(v: number) { this.setPrice(L.OFF_LOW, v, "low"); }
  /** Previous close. */
  get close(): number { return this.price(L.OFF_CLOSE); }
  set close(v: number) { this.setPrice(L.OFF_CLOSE, v, "close"); }
  /** Best bid price. */
  get bid(): number { return this.price(L.OFF_BID); }
  set bid(v: number) { this.setPrice(L.OFF_BID, v, "bid"); }
  /** Best ask price. */
  get ask(): number { return this.price(L.OFF_ASK); }
  set ask(v: number) { this.setPrice(L.OFF_ASK, v, "ask"); }
  get upperCircuit(): number { return this.price(L.OFF_UPPER_CIRCUIT); }
  set upperCircuit(v: number) { this.setPrice(L.OFF_UPPER_CIRCUIT, v, "upperCircuit"); }
  get lowerCircuit(): number { return this.price(L.OFF_LOWER_CIRCUIT); }
  set lowerCircuit(v: number) { this.setPrice(L.OFF_LOWER_CIRCUIT, v, "lowerCircuit"); }

  /** Price of depth level `level` (0 = best) on `side`. */
  levelPrice(side: Side, level: number): number { return this.price(levelOffset(side, level) + L.LEVEL_OFF_PRICE); }
  /** Quantity of depth level `level` on `side`. */
  levelQty(side: Side, level: number): number { return this.u32[(this.offset + levelOffset(side, level) + L.LEVEL_OFF_QTY) >>> 2]!; }
  /** Orders at depth level `level` on `side`. */
  levelOrders(side: Side, level: number): number { return this.u32[(this.offset + levelOffset(side, level) + L.LEVEL_OFF_ORDERS) >>> 2]!; }
  /** Sets depth level `level` (0 = best) on `side`. */
  setLevel(side: Side, level: number, price: number, qty: number, orders: number): this {
    const off = levelOffset(side, level);
    this.setPrice(off + L.LEVEL_OFF_PRICE, price, "level price");
    this.u32[(this.offset + off + L.LEVEL_OFF_QTY) >>> 2] = checkU32(qty, "level qty");
    this.u32[(this.offset + off + L.LEVEL_OFF_ORDERS) >>> 2] = checkU32(orders, "level orders");
    return this;
  }

  /** Reads the price field at `fieldOffset` (relative to the record) in natural units. */
  protected abstract price(fieldOffset: number): number;
  /** Writes the price field at `fieldOffset`; throws a PRICE error for a value the format cannot hold. */
  protected abstract setPrice(fieldOffset: number, value: number, name: string): void;

  protected readI53(fieldOffset: number): number {
    const i = (this.offset + fieldOffset) >>> 2;
    return this.i32[i + 1]! * TWO_32 + this.u32[i]!;
  }
  protected writeI53(fieldOffset: number, v: number, name: string): void {
    if (!Number.isSafeInteger(v)) throw new TickwireError("ARGUMENT", `${name}: must be an integer within ±2^53, got ${v}`);
    const i = (this.offset + fieldOffset) >>> 2;
    const hi = Math.floor(v / TWO_32);
    this.u32[i] = v - hi * TWO_32;
    this.i32[i + 1] = hi;
  }
  private readU53(fieldOffset: number): number {
    const i = (this.offset + fieldOffset) >>> 2;
    return this.u32[i + 1]! * TWO_32 + this.u32[i]!;
  }
  private writeU53(fieldOffset: number, v: number, name: string): void {
    if (!Number.isSafeInteger(v) || v < 0) throw new TickwireError("ARGUMENT", `${name}: must be an integer from 0 to 2^53-1, got ${v}`);
    const i = (this.offset + fieldOffset) >>> 2;
    const hi = Math.floor(v / TWO_32);
    this.u32[i] = v - hi * TWO_32;
    this.u32[i + 1] = hi;
  }
  private readU64(fieldOffset: number): number | bigint {
    const i = (this.offset + fieldOffset) >>> 2;
    const hi = this.u32[i + 1]!;
    const lo = this.u32[i]!;
    return hi < 0x200000 ? hi * TWO_32 + lo : (BigInt(hi) << 32n) | BigInt(lo);
  }
  private writeU64(fieldOffset: number, v: number | bigint, name: string): void {
    const i = (this.offset + fieldOffset) >>> 2;
    if (typeof v === "bigint") {
      if (v < 0n || v > U64_MAX) throw new TickwireError("ARGUMENT", `${name}: must be a u64, got ${v}`);
      this.u32[i] = Number(v & 0xffffffffn);
      this.u32[i + 1] = Number(v >> 32n);
    } else {
      this.writeU53(fieldOffset, v, name);
    }
  }
}

/** A view over records: prices are scaled integers, read and written in natural units. */
export class TickView extends RecordView {
  /** The raw scaled integer of the price field at `fieldOffset` (exact within ±2^53). */
  scaled(fieldOffset: number): number {
    return this.readI53(fieldOffset);
  }
  /** Writes a raw scaled integer into the price field at `fieldOffset`. */
  setScaled(fieldOffset: number, v: number): void {
    this.writeI53(fieldOffset, v, "scaled price");
  }
  protected price(fieldOffset: number): number {
    return this.readI53(fieldOffset) / POW10[this.priceDecimals]!;
  }
  protected setPrice(fieldOffset: number, value: number, name: string): void {
    const scaled = scalePrice(value, this.priceDecimals, name);
    this.writeI53(fieldOffset, scaled, name);
  }
}

/** A view over the stage form: the record layout with every price an f64 in natural units. */
export class StageView extends RecordView {
  protected price(fieldOffset: number): number {
    return this.f64[(this.offset + fieldOffset) >>> 3]!;
  }
  protected setPrice(fieldOffset: number, value: number): void {
    this.f64[(this.offset + fieldOffset) >>> 3] = value; // validated by the batch encoder
  }
}

/**
 * A price in natural units as a scaled integer at `decimals`, rounded half away from
 * zero like the Wasm encoder (2500.05 at 2 decimals is 250005, though 2500.05 * 100
 * is 250004.99999999997; -0.125 at 2 is -13).
 */
export function scalePrice(value: number, decimals: number, name = "price"): number {
  const y = value * POW10[decimals]!;
  const t = Math.trunc(y);
  const scaled = Math.abs(y - t) >= 0.5 ? t + Math.sign(y) : t;
  if (!Number.isFinite(value) || Math.abs(scaled) > L.MAX_SCALED_PRICE) {
    throw new TickwireError("PRICE", `${name}: ${value} is not finite or does not fit ±2^53 at ${decimals} decimals`);
  }
  return scaled;
}

function levelOffset(side: Side, level: number): number {
  if (!Number.isInteger(level) || level < 0 || level >= L.DEPTH_LEVELS) throw new TickwireError("ARGUMENT", `depth level must be 0..4, got ${level}`);
  return (side === Side.BUY ? L.OFF_DEPTH_BIDS : L.OFF_DEPTH_ASKS) + level * L.LEVEL_BYTES;
}

function checkU32(v: number, name: string): number {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new TickwireError("ARGUMENT", `${name}: must be an integer from 0 to 2^32-1, got ${v}`);
  return v;
}
