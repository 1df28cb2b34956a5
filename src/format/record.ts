import * as L from "./layout.js";
import { TickwireError } from "../errors.js";
import { checkInt, describe } from "../validate.js";
import { ownerOf, type RegionOwner } from "../memory/ownership.js";
import { exchangeCode, type ExchangeName } from "./exchange.js";

if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
  throw new TickwireError("ARGUMENT", "tickwire needs a little-endian host (the record format and Wasm are little-endian)");
}

const TWO_32 = 4294967296;
const POW10 = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9];
const U64_MAX = (1n << 64n) - 1n;
const I64_MIN = -(1n << 63n);
const I64_MAX = (1n << 63n) - 1n;

/** Tick kinds, numbered as in the record's `kind` byte and the client protocol's `mode`. */
export const Kind = { LTP: L.KIND_LTP, QUOTE: L.KIND_QUOTE, DEPTH: L.KIND_DEPTH } as const;
/** A tick kind: 1 LTP, 2 QUOTE, 3 DEPTH. */
export type Kind = (typeof Kind)[keyof typeof Kind];
/** Which side of the book a depth level is on. */
export const Side = { BUY: 0, SELL: 1 } as const;
/** 0 buy (bids), 1 sell (asks). */
export type Side = (typeof Side)[keyof typeof Side];

/** Whether `v` is one of the three tick kinds. */
export function isKind(v: unknown): v is Kind {
  return v === L.KIND_LTP || v === L.KIND_QUOTE || v === L.KIND_DEPTH;
}

/** Record bytes of each kind: 64, 192 or 384. */
export function recordBytes(kind: Kind): number {
  if (!isKind(kind)) throw new TickwireError("KIND", `recordBytes: kind must be 1 (LTP), 2 (QUOTE) or 3 (DEPTH), got ${describe(kind)}`);
  return kind === L.KIND_LTP ? L.LTP_BYTES : kind === L.KIND_QUOTE ? L.QUOTE_BYTES : L.DEPTH_BYTES;
}

// The price fields, by offset: every field a price getter or setter may be asked for.
const PRICE_FIELDS: ReadonlyMap<number, string> = new Map([
  [L.OFF_LTP, "ltp"], [L.OFF_AVG_PRICE, "avgPrice"], [L.OFF_OPEN, "open"], [L.OFF_HIGH, "high"],
  [L.OFF_LOW, "low"], [L.OFF_CLOSE, "close"], [L.OFF_BID, "bid"], [L.OFF_ASK, "ask"],
  [L.OFF_UPPER_CIRCUIT, "upperCircuit"], [L.OFF_LOWER_CIRCUIT, "lowerCircuit"],
  ...[0, 1, 2, 3, 4].flatMap((i): [number, string][] => [
    [L.OFF_DEPTH_BIDS + i * L.LEVEL_BYTES, `buy depth level ${i} price`],
    [L.OFF_DEPTH_ASKS + i * L.LEVEL_BYTES, `sell depth level ${i} price`],
  ]),
]);

/** Name of the price field at `offset` in a record, or undefined if no price field is there. */
export function priceFieldName(offset: number): string | undefined {
  return PRICE_FIELDS.get(offset);
}

/**
 * A flyweight over one record in a buffer: point it at a record with `wrap(offset)`
 * and read or write its fields in place. No allocation per record (64-bit integers
 * beyond ±2^53 come back as a bigint, the only exception). Offsets are in src/format/layout.ts.
 *
 * Made over a buffer, offsets are the buffer's; made over a typed array or DataView,
 * they are relative to its start and the view stays inside it. Over a TickwireMemory's
 * buffer, writes are allowed only inside regions the caller owns (allocate()d, or a
 * ring's claim): a REGION error otherwise; reads anywhere.
 *
 * Reading a field checks the record's header first (once per wrap): version 1, a tick
 * kind with its length, exchange 1..14, priceDecimals 0..9, and a kind that has the
 * field (a Quote field of an LTP record is a KIND error). Writing a Quote or Depth field
 * needs a record of that kind (see {@link init}).
 *
 * Two subclasses differ in how prices are stored: {@link TickView} reads records
 * (scaled integers), {@link StageView} reads the stage form (f64), the input of the
 * batch encoder and the output of the batch decoder.
 */
/** The 64-bit fields of a record, for {@link RecordView.exact}. */
export type ExactField = "seq" | "recvTimeNs" | "exchTimeMs" | "lastTradeTimeMs" | "volume" | "oi" | "totalBuyQty" | "totalSellQty";

const EXACT_FIELDS: Readonly<Record<string, { offset: number; signed: boolean }>> = Object.freeze({
  seq: { offset: L.OFF_SEQ, signed: false }, recvTimeNs: { offset: L.OFF_RECV_TIME_NS, signed: false },
  exchTimeMs: { offset: L.OFF_EXCH_TIME_MS, signed: true }, lastTradeTimeMs: { offset: L.OFF_LAST_TRADE_TIME_MS, signed: true },
  volume: { offset: L.OFF_VOLUME, signed: false }, oi: { offset: L.OFF_OI, signed: false },
  totalBuyQty: { offset: L.OFF_TOTAL_BUY_QTY, signed: false }, totalSellQty: { offset: L.OFF_TOTAL_SELL_QTY, signed: false },
});

export abstract class RecordView {
  protected readonly u8: Uint8Array;
  protected readonly u16: Uint16Array;
  protected readonly u32: Uint32Array;
  protected readonly i32: Int32Array;
  protected readonly f64: Float64Array;
  private readonly base: number;
  private readonly size: number;
  private readonly owner: RegionOwner | undefined;
  private at = 0;
  /** End (view-relative) of the bytes proven writable for the record wrapped now; 0: none yet. */
  private writableEnd = 0;
  /** End of the record wrapped now once its header was checked for reading; 0: not yet. */
  private readableEnd = 0;

  /** @param source - an ArrayBuffer or SharedArrayBuffer, or a typed array / DataView (8-byte aligned) to confine the view to. */
  constructor(source: ArrayBufferLike | ArrayBufferView) {
    // Abstract in TypeScript only: plain JS could still make one, with no way to read a price.
    if (new.target === RecordView) throw new TickwireError("ARGUMENT", "RecordView is abstract: make a TickView (records) or a StageView (the stage form)");
    let buffer: ArrayBufferLike;
    if (source instanceof ArrayBuffer || (typeof SharedArrayBuffer !== "undefined" && source instanceof SharedArrayBuffer)) {
      buffer = source;
      this.base = 0;
      this.size = source.byteLength;
    } else if (ArrayBuffer.isView(source)) {
      if (source.byteOffset % 8 !== 0) throw new TickwireError("ARGUMENT", `RecordView: a typed array must start on an 8-byte boundary of its buffer, this one at ${source.byteOffset}`);
      buffer = source.buffer;
      this.base = source.byteOffset;
      this.size = source.byteLength;
    } else {
      throw new TickwireError("ARGUMENT", `RecordView: give an ArrayBuffer, a SharedArrayBuffer or a typed array, got ${describe(source)}`);
    }
    this.u8 = new Uint8Array(buffer, this.base, this.size);
    this.u16 = new Uint16Array(buffer, this.base, this.size >>> 1);
    this.u32 = new Uint32Array(buffer, this.base, this.size >>> 2);
    this.i32 = new Int32Array(buffer, this.base, this.size >>> 2);
    this.f64 = new Float64Array(buffer, this.base, this.size >>> 3);
    this.owner = ownerOf(buffer);
  }

  /** Byte offset of the record this view points at. */
  get offset(): number {
    return this.at;
  }

  /** Points the view at the record at `offset` (an integer multiple of 8 with 64 bytes of room; records are 64-aligned in rings). */
  wrap(offset: number): this {
    if (typeof offset !== "number" || !Number.isInteger(offset) || offset < 0 || (offset & 7) !== 0 || offset + L.SLOT_BYTES > this.size) {
      throw new TickwireError("ARGUMENT", `wrap: offset ${describe(offset)} is not an 8-aligned integer with room for a record (0 to ${this.size - L.SLOT_BYTES})`);
    }
    this.at = offset;
    this.writableEnd = 0;
    this.readableEnd = 0;
    return this;
  }

  /**
   * Makes the record at the view's offset an empty record of `kind`: zeroes its bytes
   * and writes length, kind and version. Then set the symbol ({@link setSymbol}) and the fields.
   */
  init(kind: Kind): this {
    const bytes = recordBytes(kind);
    this.proveWritable(bytes, "init");
    this.u8.fill(0, this.at, this.at + bytes);
    this.u16[this.at >>> 1] = bytes;
    this.u8[this.at + L.OFF_KIND] = kind;
    this.u8[this.at + L.OFF_VERSION] = L.FORMAT_VERSION;
    this.writableEnd = this.at + bytes;
    this.readableEnd = 0;
    return this;
  }

  /**
   * Throws (REGION, LENGTH, KIND) unless a record of `kind` can be written at the
   * view's offset; writes nothing. For code that must check before it commits to a write.
   */
  checkRoom(kind: Kind): void {
    const bytes = recordBytes(kind);
    const end = this.writableEnd;
    this.proveWritable(bytes, "checkRoom");
    this.writableEnd = end;
  }

  /**
   * Sets symbolId, exchange and priceDecimals from a symbol's table entry
   * (`symbols.get(id)`): the table is authoritative for both, and a record that
   * disagrees with it is refused by routing, rendering and reading.
   */
  setSymbol(info: { readonly id: number; readonly exchange: ExchangeName; readonly priceDecimals: number }): this {
    if (typeof info !== "object" || info === null) throw new TickwireError("ARGUMENT", `setSymbol: give a SymbolInfo (symbols.get(id)), got ${describe(info)}`);
    const code = typeof info.exchange === "string" ? exchangeCode(info.exchange) : 0;
    if (code === 0) throw new TickwireError("EXCHANGE", `setSymbol: unknown exchange ${describe(info.exchange)}`);
    checkInt(info.id, 0, 0xffffffff, "setSymbol: id", "SYMBOL");
    checkInt(info.priceDecimals, 0, L.MAX_PRICE_DECIMALS, "setSymbol: priceDecimals", "DECIMALS");
    this.priceDecimals = info.priceDecimals;
    this.symbolId = info.id;
    this.exchange = code;
    return this;
  }

  /** Record bytes, a multiple of 64 (the raw header field). */
  get length(): number { return this.u16[this.at >>> 1]!; }
  /** 1 LTP, 2 QUOTE, 3 DEPTH (255 padding; the raw header field). */
  get kind(): number { return this.u8[this.at + L.OFF_KIND]!; }
  /** Format version of the record (the raw header field). */
  get version(): number { return this.u8[this.at + L.OFF_VERSION]!; }

  /** Interned id of (exchange, symbol) in the symbol table. */
  get symbolId(): number { this.readable(L.OFF_SYMBOL_ID); return this.u32[(this.at + L.OFF_SYMBOL_ID) >>> 2]!; }
  set symbolId(v: number) { this.writable(L.OFF_SYMBOL_ID); this.u32[(this.at + L.OFF_SYMBOL_ID) >>> 2] = checkInt(v, 0, 0xffffffff, "symbolId", "SYMBOL"); }
  /**
   * A 64-bit field exactly, as a bigint. Its getter gives the nearest number, exact below 2^53
   * (so `view.volume * price` just works); use this where a value may pass 2^53.
   */
  exact(field: ExactField): bigint {
    // A string only: indexing with an object would call its toString (user code).
    const spec = typeof field === "string" && Object.hasOwn(EXACT_FIELDS, field) ? EXACT_FIELDS[field] : undefined;
    if (spec === undefined) {
      throw new TickwireError("ARGUMENT", `exact: field must be one of ${Object.keys(EXACT_FIELDS).join(", ")}, got ${describe(field)}`);
    }
    this.readable(spec.offset);
    return BigInt(spec.signed ? this.readI64(spec.offset) : this.readU64(spec.offset));
  }
  /** Publisher's sequence number (u64: the nearest number, exact below 2^53; exact("…") gives the bigint). */
  get seq(): number { this.readable(L.OFF_SEQ); return Number(this.readU64(L.OFF_SEQ)); }
  set seq(v: number | bigint) { this.writable(L.OFF_SEQ); this.writeU64(L.OFF_SEQ, v, "seq"); }
  /** Receive time in ns on the shared monotonic clock (see monotonicNs; u64: the nearest number; exact("recvTimeNs") gives the bigint). */
  get recvTimeNs(): number { this.readable(L.OFF_RECV_TIME_NS); return Number(this.readU64(L.OFF_RECV_TIME_NS)); }
  set recvTimeNs(v: number | bigint) { this.writable(L.OFF_RECV_TIME_NS); this.writeU64(L.OFF_RECV_TIME_NS, v, "recvTimeNs"); }
  /** Exchange code, 1..14 (see exchangeName). */
  get exchange(): number { this.readable(L.OFF_EXCHANGE); return this.u8[this.at + L.OFF_EXCHANGE]!; }
  set exchange(v: number) {
    checkInt(v, 1, L.EXCHANGE_COUNT, "exchange", "EXCHANGE");
    this.writable(L.OFF_EXCHANGE);
    this.u8[this.at + L.OFF_EXCHANGE] = v;
    this.readableEnd = 0;
  }
  /**
   * Decimals of every price field: a price is an integer count of 10^-priceDecimals.
   * Set it (or {@link setSymbol}) before any price: changing it under a set price would
   * change that price's value, so that is refused.
   */
  get priceDecimals(): number { this.readable(L.OFF_PRICE_DECIMALS); return this.u8[this.at + L.OFF_PRICE_DECIMALS]!; }
  set priceDecimals(v: number) {
    checkInt(v, 0, L.MAX_PRICE_DECIMALS, "priceDecimals", "DECIMALS");
    this.writable(L.OFF_PRICE_DECIMALS);
    if (v !== this.u8[this.at + L.OFF_PRICE_DECIMALS] && this.hasScaledPrices()) {
      throw new TickwireError("DECIMALS", `priceDecimals: set it before any price (this record already holds prices at ${this.u8[this.at + L.OFF_PRICE_DECIMALS]} decimals)`);
    }
    this.u8[this.at + L.OFF_PRICE_DECIMALS] = v;
    this.readableEnd = 0;
  }
  /** Last traded quantity. */
  get lastQty(): number { this.readable(L.OFF_LAST_QTY); return this.u32[(this.at + L.OFF_LAST_QTY) >>> 2]!; }
  set lastQty(v: number) { this.writable(L.OFF_LAST_QTY); this.u32[(this.at + L.OFF_LAST_QTY) >>> 2] = checkU32(v, "lastQty"); }
  /** Exchange (feed) time, ms since the Unix epoch (i64: the nearest number; exact("…") gives the bigint). */
  get exchTimeMs(): number { this.readable(L.OFF_EXCH_TIME_MS); return Number(this.readI64(L.OFF_EXCH_TIME_MS)); }
  set exchTimeMs(v: number | bigint) { this.writable(L.OFF_EXCH_TIME_MS); this.writeI64(L.OFF_EXCH_TIME_MS, v, "exchTimeMs"); }
  /** Last trade time, ms since the Unix epoch (i64: the nearest number; exact("…") gives the bigint). */
  get lastTradeTimeMs(): number { this.readable(L.OFF_LAST_TRADE_TIME_MS); return Number(this.readI64(L.OFF_LAST_TRADE_TIME_MS)); }
  set lastTradeTimeMs(v: number | bigint) { this.writable(L.OFF_LAST_TRADE_TIME_MS); this.writeI64(L.OFF_LAST_TRADE_TIME_MS, v, "lastTradeTimeMs"); }
  /** Percent change in hundredths of a percent (-1.05 % is -105): the exact stored value. */
  get changeBp(): number { this.readable(L.OFF_CHANGE_BP); return this.i32[(this.at + L.OFF_CHANGE_BP) >>> 2]!; }
  set changeBp(v: number) { this.writable(L.OFF_CHANGE_BP); this.i32[(this.at + L.OFF_CHANGE_BP) >>> 2] = checkInt(v, -2147483648, 2147483647, "changeBp"); }
  /** Percent change (-1.05 for -1.05 %): at most two decimals (more is a PRECISION error). */
  get changePercent(): number { return this.changeBp / 100; }
  set changePercent(v: number) {
    const bp = scalePrice(v, 2, "changePercent");
    this.changeBp = checkInt(bp, -2147483648, 2147483647, "changePercent × 100");
  }

  /** Cumulative traded volume (u64: the nearest number, exact below 2^53; exact("…") gives the bigint). */
  get volume(): number { this.readable(L.OFF_VOLUME); return Number(this.readU64(L.OFF_VOLUME)); }
  set volume(v: number | bigint) { this.writable(L.OFF_VOLUME); this.writeU64(L.OFF_VOLUME, v, "volume"); }
  /** Open interest (u64: the nearest number, exact below 2^53; exact("…") gives the bigint). */
  get oi(): number { this.readable(L.OFF_OI); return Number(this.readU64(L.OFF_OI)); }
  set oi(v: number | bigint) { this.writable(L.OFF_OI); this.writeU64(L.OFF_OI, v, "oi"); }
  /** Quantity at the best bid (in a DEPTH record: level 0's, and setting it sets that). */
  get bidQty(): number { this.readable(L.OFF_BID_QTY); return this.u32[(this.at + L.OFF_BID_QTY) >>> 2]!; }
  set bidQty(v: number) { this.setTopQty(L.OFF_BID_QTY, L.OFF_DEPTH_BIDS, v, "bidQty"); }
  /** Quantity at the best ask (in a DEPTH record: level 0's, and setting it sets that). */
  get askQty(): number { this.readable(L.OFF_ASK_QTY); return this.u32[(this.at + L.OFF_ASK_QTY) >>> 2]!; }
  set askQty(v: number) { this.setTopQty(L.OFF_ASK_QTY, L.OFF_DEPTH_ASKS, v, "askQty"); }
  /** Total quantity on the buy side of the book (u64). */
  get totalBuyQty(): number { this.readable(L.OFF_TOTAL_BUY_QTY); return Number(this.readU64(L.OFF_TOTAL_BUY_QTY)); }
  set totalBuyQty(v: number | bigint) { this.writable(L.OFF_TOTAL_BUY_QTY); this.writeU64(L.OFF_TOTAL_BUY_QTY, v, "totalBuyQty"); }
  /** Total quantity on the sell side of the book (u64). */
  get totalSellQty(): number { this.readable(L.OFF_TOTAL_SELL_QTY); return Number(this.readU64(L.OFF_TOTAL_SELL_QTY)); }
  set totalSellQty(v: number | bigint) { this.writable(L.OFF_TOTAL_SELL_QTY); this.writeU64(L.OFF_TOTAL_SELL_QTY, v, "totalSellQty"); }

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
  /** Best bid price (in a DEPTH record: level 0's, and setting it sets that). */
  get bid(): number { return this.price(L.OFF_BID); }
  set bid(v: number) { this.setTopPrice(L.OFF_BID, L.OFF_DEPTH_BIDS, v, "bid"); }
  /** Best ask price (in a DEPTH record: level 0's, and setting it sets that). */
  get ask(): number { return this.price(L.OFF_ASK); }
  set ask(v: number) { this.setTopPrice(L.OFF_ASK, L.OFF_DEPTH_ASKS, v, "ask"); }
  get upperCircuit(): number { return this.price(L.OFF_UPPER_CIRCUIT); }
  set upperCircuit(v: number) { this.setPrice(L.OFF_UPPER_CIRCUIT, v, "upperCircuit"); }
  get lowerCircuit(): number { return this.price(L.OFF_LOWER_CIRCUIT); }
  set lowerCircuit(v: number) { this.setPrice(L.OFF_LOWER_CIRCUIT, v, "lowerCircuit"); }

  /** Price of depth level `level` (0 = best) on `side`. */
  levelPrice(side: Side, level: number): number { return this.price(levelOffset(side, level) + L.LEVEL_OFF_PRICE); }
  /** Quantity of depth level `level` on `side`. */
  levelQty(side: Side, level: number): number {
    const off = levelOffset(side, level) + L.LEVEL_OFF_QTY;
    this.readable(off);
    return this.u32[(this.at + off) >>> 2]!;
  }
  /** Orders at depth level `level` on `side`. */
  levelOrders(side: Side, level: number): number {
    const off = levelOffset(side, level) + L.LEVEL_OFF_ORDERS;
    this.readable(off);
    return this.u32[(this.at + off) >>> 2]!;
  }
  /** Sets depth level `level` (0 = best) on `side`; level 0 also sets the best bid or ask. Checks every value before writing any. */
  setLevel(side: Side, level: number, price: number, qty: number, orders: number): this {
    const off = levelOffset(side, level);
    this.writable(off + L.LEVEL_BYTES - 8);
    const stored = this.toStored(price, `${side === Side.BUY ? "buy" : "sell"} depth level ${level} price`);
    checkU32(qty, "level qty");
    checkU32(orders, "level orders");
    this.storePrice(off + L.LEVEL_OFF_PRICE, stored);
    this.u32[(this.at + off + L.LEVEL_OFF_QTY) >>> 2] = qty;
    this.u32[(this.at + off + L.LEVEL_OFF_ORDERS) >>> 2] = orders;
    if (level === 0) {
      this.storePrice(side === Side.BUY ? L.OFF_BID : L.OFF_ASK, stored);
      this.u32[(this.at + (side === Side.BUY ? L.OFF_BID_QTY : L.OFF_ASK_QTY)) >>> 2] = qty;
    }
    return this;
  }

  /** Reads the price field at `fieldOffset` (relative to the record) in natural units. */
  protected abstract price(fieldOffset: number): number;
  /** The value a price setter stores for `value` (throws PRICE or PRECISION for one the format cannot hold exactly). */
  protected abstract toStored(value: number, name: string): number;
  /** Stores a value from {@link toStored} in the price field at `fieldOffset`. */
  protected abstract storePrice(fieldOffset: number, stored: number): void;
  /** Whether any price field of the record is set (so that changing priceDecimals would change it). */
  protected abstract hasScaledPrices(): boolean;

  protected setPrice(fieldOffset: number, value: number, name: string): void {
    this.writable(fieldOffset);
    this.storePrice(fieldOffset, this.toStored(value, name));
  }

  private setTopPrice(fieldOffset: number, levelOffset: number, value: number, name: string): void {
    this.writable(fieldOffset);
    const stored = this.toStored(value, name);
    this.storePrice(fieldOffset, stored);
    if (this.u8[this.at + L.OFF_KIND] === L.KIND_DEPTH) this.storePrice(levelOffset + L.LEVEL_OFF_PRICE, stored);
  }

  private setTopQty(fieldOffset: number, levelOffset: number, v: number, name: string): void {
    this.writable(fieldOffset);
    this.u32[(this.at + fieldOffset) >>> 2] = checkU32(v, name);
    if (this.u8[this.at + L.OFF_KIND] === L.KIND_DEPTH) this.u32[(this.at + levelOffset + L.LEVEL_OFF_QTY) >>> 2] = v;
  }

  /** Checks, once per wrap, that the record's header allows reading the field at `fieldOffset`. */
  protected readable(fieldOffset: number): void {
    if (this.at + fieldOffset < this.readableEnd) return;
    const o = this.at;
    const version = this.u8[o + L.OFF_VERSION]!;
    const kind = this.u8[o + L.OFF_KIND]!;
    if (version !== L.FORMAT_VERSION) throw new TickwireError("VERSION", `record at ${o}: version ${version} is not ${L.FORMAT_VERSION}`);
    if (!isKind(kind)) throw new TickwireError("KIND", `record at ${o}: kind ${kind} is not a tick (1, 2 or 3)`);
    const length = this.u16[o >>> 1]!;
    if (length !== recordBytes(kind)) throw new TickwireError("LENGTH", `record at ${o}: length ${length} does not match kind ${kind}`);
    if (o + length > this.size) throw new TickwireError("TRUNCATED", `record at ${o}: its ${length} bytes run past the end of the view`);
    const exchange = this.u8[o + L.OFF_EXCHANGE]!;
    if (exchange < 1 || exchange > L.EXCHANGE_COUNT) throw new TickwireError("EXCHANGE", `record at ${o}: exchange code ${exchange} is not 1..14`);
    const decimals = this.u8[o + L.OFF_PRICE_DECIMALS]!;
    if (decimals > L.MAX_PRICE_DECIMALS) throw new TickwireError("DECIMALS", `record at ${o}: priceDecimals ${decimals} is above ${L.MAX_PRICE_DECIMALS}`);
    if (fieldOffset >= length) throw new TickwireError("KIND", `record at ${o}: a kind ${kind} record has no field at offset ${fieldOffset}`);
    this.readableEnd = o + length;
  }

  /** Checks that the field at `fieldOffset` may be written: inside the record's kind and a region the caller owns. */
  protected writable(fieldOffset: number): void {
    let bytes: number = L.SLOT_BYTES;
    if (fieldOffset >= L.SLOT_BYTES) {
      // The record's kind is read at every write past slot 0: another view (or thread) may
      // have re-made the record a smaller kind since this view proved its span.
      const kind = this.u8[this.at + L.OFF_KIND]!;
      bytes = isKind(kind) && this.u8[this.at + L.OFF_VERSION] === L.FORMAT_VERSION && this.u16[this.at >>> 1] === recordBytes(kind) ? recordBytes(kind) : 0;
      if (fieldOffset >= bytes) {
        throw new TickwireError("KIND", `record at ${this.at}: offset ${fieldOffset} is a ${fieldOffset < L.QUOTE_BYTES ? "Quote" : "Depth"} field, and this record is ${bytes ? `kind ${kind}` : "not a tick record (init it first)"}`);
      }
    }
    if (this.at + bytes <= this.writableEnd) return;
    this.proveWritable(bytes, "write");
  }

  private proveWritable(bytes: number, op: string): void {
    if (this.at + bytes > this.size) {
      throw new TickwireError("LENGTH", `${op}: a ${bytes}-byte record does not fit at offset ${this.at} (the view holds ${this.size} bytes)`);
    }
    if (this.owner && !this.owner.owns(this.base + this.at, bytes)) {
      throw new TickwireError("REGION", `${op}: [${this.base + this.at}, +${bytes}) is not inside memory you own (allocate() it, or use a ring's claim)`);
    }
    this.writableEnd = this.at + bytes;
  }

  /** The signed 64-bit integer at `fieldOffset`: a number when it is a safe integer, else a bigint. */
  protected readI64(fieldOffset: number): number | bigint {
    const i = (this.at + fieldOffset) >>> 2;
    const hi = this.i32[i + 1]!;
    const lo = this.u32[i]!;
    return hi >= -0x200000 && hi < 0x200000 && !(hi === -0x200000 && lo === 0) ? hi * TWO_32 + lo : (BigInt(hi) << 32n) | BigInt(lo);
  }
  protected writeI64(fieldOffset: number, v: number | bigint, name: string): void {
    const i = (this.at + fieldOffset) >>> 2;
    if (typeof v === "bigint") {
      if (v < I64_MIN || v > I64_MAX) throw new TickwireError("ARGUMENT", `${name}: must be an i64, got ${v}n`);
      this.u32[i] = Number(BigInt.asUintN(32, v));
      this.i32[i + 1] = Number(BigInt.asIntN(32, v >> 32n));
      return;
    }
    if (typeof v !== "number" || !Number.isSafeInteger(v)) throw new TickwireError("ARGUMENT", `${name}: must be a safe integer or a bigint, got ${describe(v)}`);
    const hi = Math.floor(v / TWO_32);
    this.u32[i] = v - hi * TWO_32;
    this.i32[i + 1] = hi;
  }
  /** The unsigned 64-bit integer at `fieldOffset`: a number below 2^53, else a bigint. */
  protected readU64(fieldOffset: number): number | bigint {
    const i = (this.at + fieldOffset) >>> 2;
    const hi = this.u32[i + 1]!;
    const lo = this.u32[i]!;
    return hi < 0x200000 ? hi * TWO_32 + lo : (BigInt(hi) << 32n) | BigInt(lo);
  }
  protected writeU64(fieldOffset: number, v: number | bigint, name: string): void {
    const i = (this.at + fieldOffset) >>> 2;
    if (typeof v === "bigint") {
      if (v < 0n || v > U64_MAX) throw new TickwireError("ARGUMENT", `${name}: must be a u64, got ${v}n`);
      this.u32[i] = Number(v & 0xffffffffn);
      this.u32[i + 1] = Number(v >> 32n);
      return;
    }
    if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0) {
      throw new TickwireError("ARGUMENT", `${name}: must be an integer from 0 to 2^53-1, or a bigint up to 2^64-1, got ${describe(v)}`);
    }
    const hi = Math.floor(v / TWO_32);
    this.u32[i] = v - hi * TWO_32;
    this.u32[i + 1] = hi;
  }
  /** The scaled price at `fieldOffset`, checked against the format's range. */
  protected readScaled(fieldOffset: number): number {
    const i = (this.at + fieldOffset) >>> 2;
    const hi = this.i32[i + 1]!;
    const m = hi * TWO_32 + this.u32[i]!;
    if (hi >= 0x80000 || hi < -0x80000 || m < -L.MAX_SCALED_PRICE) {
      throw new TickwireError("PRICE", `record at ${this.at}: the scaled ${priceFieldName(fieldOffset) ?? "price"} is beyond ±(2^51 - 1)`);
    }
    return m;
  }
  protected writeScaled(fieldOffset: number, m: number): void {
    const i = (this.at + fieldOffset) >>> 2;
    const hi = Math.floor(m / TWO_32);
    this.u32[i] = m - hi * TWO_32;
    this.i32[i + 1] = hi;
  }
}

/** A view over records: prices are scaled integers, read and written in natural units, exactly. */
export class TickView extends RecordView {
  /** The scaled integer of the price field at `fieldOffset` (e.g. layout.OFF_LTP). */
  scaled(fieldOffset: number): number {
    checkPriceField(fieldOffset);
    this.readable(fieldOffset);
    return this.readScaled(fieldOffset);
  }
  /** Writes a scaled integer (|v| ≤ 2^51 - 1) into the price field at `fieldOffset`. */
  setScaled(fieldOffset: number, v: number): void {
    checkPriceField(fieldOffset);
    this.writable(fieldOffset);
    this.writeScaled(fieldOffset, checkInt(v, -L.MAX_SCALED_PRICE, L.MAX_SCALED_PRICE, "scaled price", "PRICE", priceFieldName(fieldOffset)));
  }
  protected price(fieldOffset: number): number {
    this.readable(fieldOffset);
    return this.readScaled(fieldOffset) / POW10[this.u8[this.offset + L.OFF_PRICE_DECIMALS]!]!;
  }
  protected toStored(value: number, name: string): number {
    const d = this.u8[this.offset + L.OFF_PRICE_DECIMALS]!;
    if (d > L.MAX_PRICE_DECIMALS) throw new TickwireError("DECIMALS", `${name}: the record's priceDecimals ${d} is above ${L.MAX_PRICE_DECIMALS}`);
    return scalePrice(value, d, name);
  }
  protected storePrice(fieldOffset: number, stored: number): void {
    this.writeScaled(fieldOffset, stored);
  }
  protected hasScaledPrices(): boolean {
    const kind = this.u8[this.offset + L.OFF_KIND]!;
    const end = kind === L.KIND_DEPTH ? L.DEPTH_BYTES : kind === L.KIND_QUOTE ? L.QUOTE_BYTES : L.LTP_BYTES;
    for (const off of PRICE_FIELDS.keys()) {
      const i = (this.offset + off) >>> 2;
      if (off < end && (this.u32[i] !== 0 || this.u32[i + 1] !== 0)) return true;
    }
    return false;
  }
}

/** A view over the stage form: the record layout with every price an f64 in natural units. */
export class StageView extends RecordView {
  protected price(fieldOffset: number): number {
    this.readable(fieldOffset);
    return this.f64[(this.offset + fieldOffset) >>> 3]!;
  }
  protected toStored(value: number, name: string): number {
    if (typeof value !== "number") throw new TickwireError("PRICE", `${name}: must be a number, got ${describe(value)}`);
    return value; // checked, with the record's decimals, by the batch encoder
  }
  protected storePrice(fieldOffset: number, stored: number): void {
    this.f64[(this.offset + fieldOffset) >>> 3] = stored;
  }
  protected hasScaledPrices(): boolean {
    return false; // natural units: decimals can change under them
  }
}

/**
 * A price in natural units as a scaled integer at `decimals` (0..9), exactly: the
 * integer m with m / 10^decimals === value, so `value` must be the double nearest a
 * decimal of at most `decimals` digits — what `2500.05` or `parseFloat("2500.05")` is.
 * 2500.05 at 2 is 250005 (though 2500.05 × 100 is 250005.00000000003, and 1.15 × 100 is
 * 114.99999999999999: the product is rounded, then the division proves it); 2500.055 at 2,
 * 0.004 at 2 and 1.005 at 2 are PRECISION errors (never rounded away), and so is
 * 0.1 + 0.2 (0.30000000000000004) — round it first (Math.round(v * 100) / 100).
 * Throws PRICE for a value that is not a finite number or beyond ±(2^51 - 1) scaled.
 */
export function scalePrice(value: number, decimals: number, name = "price"): number {
  checkInt(decimals, 0, L.MAX_PRICE_DECIMALS, "decimals", "DECIMALS", name);
  if (typeof value !== "number" || !Number.isFinite(value)) throw new TickwireError("PRICE", `${name}: ${describe(value)} is not a finite number`);
  const pow = POW10[decimals]!;
  const y = value * pow;
  const t = Math.trunc(y);
  const m = Math.abs(y - t) >= 0.5 ? t + Math.sign(y) : t;
  if (Math.abs(m) > L.MAX_SCALED_PRICE) throw new TickwireError("PRICE", `${name}: ${value} at ${decimals} decimals is beyond ±(2^51 - 1) scaled`);
  if (m / pow !== value) throw new TickwireError("PRECISION", `${name}: ${value} has more than ${decimals} decimals (round it first, or set the scaled integer)`);
  return m === 0 ? 0 : m; // never -0
}

function checkPriceField(fieldOffset: number): void {
  if (!PRICE_FIELDS.has(fieldOffset)) throw new TickwireError("ARGUMENT", `offset ${describe(fieldOffset)} is not a price field of the record layout`);
}

function levelOffset(side: Side, level: number): number {
  if (side !== Side.BUY && side !== Side.SELL) throw new TickwireError("ARGUMENT", `depth side must be Side.BUY (0) or Side.SELL (1), got ${describe(side)}`);
  checkInt(level, 0, L.DEPTH_LEVELS - 1, "depth level");
  return (side === Side.BUY ? L.OFF_DEPTH_BIDS : L.OFF_DEPTH_ASKS) + level * L.LEVEL_BYTES;
}

function checkU32(v: number, name: string): number {
  return checkInt(v, 0, 0xffffffff, name);
}
