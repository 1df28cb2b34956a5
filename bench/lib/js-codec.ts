// The best plain-JS batch codec we could write for the same transformation as the
// Wasm core's encodeBatch/decodeBatch (assembly/codec.ts), used as the baseline the
// Wasm path must beat. Same contract, field for field:
//   - stage form (prices as f64 in natural units) <-> record form (prices as i64 scaled
//     by 10^priceDecimals), over one contiguous batch, src and dst in the same buffer
//     (in place when equal);
//   - every header checked as checkRecord does (truncation, version, kind, length,
//     exchange, priceDecimals), padding records copied and skipped;
//   - encode rounds half away from zero from the f64 product and rejects non-finite or
//     |scaled| > 2^53 - 1, reporting the record index and field offset;
//   - returns the number of ticks or a negative ERR_* code (status in `failIndex`,
//     `failField`), never throws and never allocates.
//
// How it is made fast: typed-array views built once over the buffer (no DataView, no
// BigInt: an i64 is written as two 32-bit halves, which is exact within ±2^53 and
// matches f64.convert_i64_s when read back), straight-line code per kind, and only the
// non-price words copied (prices are rewritten anyway). Float64Array is never used to
// copy raw words: a NaN bit pattern need not survive a float load/store.
import * as L from "../../src/format/layout.js";

const TWO_32 = 4294967296;
const POW10 = new Float64Array([1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9]);
const MAX = L.MAX_SCALED_PRICE;

// u32 word ranges [from, to) of each kind that are not price fields (byte offset / 4).
// LTP: 0..32 header, 40..64 times and change. QUOTE adds 104..120 volume/oi, 136..192.
// DEPTH adds the qty/orders words of each level and 352..384.

/** A batch codec in plain JS over one buffer (a SharedArrayBuffer or ArrayBuffer). */
export class JsCodec {
  /** Index of the failing record after a negative result. */
  failIndex = 0;
  /** Byte offset of the failing field within its record (0: header). */
  failField = 0;

  private readonly u8: Uint8Array;
  private readonly u16: Uint16Array;
  private readonly i32: Int32Array;
  private readonly u32: Uint32Array;
  private readonly f64: Float64Array;

  constructor(buffer: ArrayBufferLike) {
    this.u8 = new Uint8Array(buffer);
    this.u16 = new Uint16Array(buffer, 0, buffer.byteLength >>> 1);
    this.i32 = new Int32Array(buffer, 0, buffer.byteLength >>> 2);
    this.u32 = new Uint32Array(buffer, 0, buffer.byteLength >>> 2);
    this.f64 = new Float64Array(buffer, 0, buffer.byteLength >>> 3);
  }

  /** Stage form at byte offset `src` (`bytes` long) -> records at `dst`. Offsets must be 8-aligned. */
  encode(src: number, bytes: number, dst: number): number {
    const u8 = this.u8;
    let offset = 0;
    let index = 0;
    let ticks = 0;
    while (offset < bytes) {
      const p = src + offset;
      const length = this.check(p, bytes - offset);
      if (length < 0) return this.fail(index, 0, length);
      const q = dst + offset;
      const kind = u8[p + L.OFF_KIND]!;
      if (kind === L.KIND_PADDING) {
        if (p !== q) this.copyWords(p >>> 2, q >>> 2, length >>> 2);
      } else {
        if (p !== q) this.copyFields(p >>> 2, q >>> 2, kind);
        const bad = this.encodePrices(p, q, kind, POW10[u8[p + L.OFF_PRICE_DECIMALS]!]!);
        if (bad !== 0) return this.fail(index, bad, L.ERR_PRICE);
        ticks++;
      }
      offset += length;
      index++;
    }
    return ticks;
  }

  /** Records at byte offset `src` (`bytes` long) -> stage form at `dst`. */
  decode(src: number, bytes: number, dst: number): number {
    const u8 = this.u8;
    let offset = 0;
    let index = 0;
    let ticks = 0;
    while (offset < bytes) {
      const p = src + offset;
      const length = this.check(p, bytes - offset);
      if (length < 0) return this.fail(index, 0, length);
      const q = dst + offset;
      const kind = u8[p + L.OFF_KIND]!;
      if (kind === L.KIND_PADDING) {
        if (p !== q) this.copyWords(p >>> 2, q >>> 2, length >>> 2);
      } else {
        if (p !== q) this.copyFields(p >>> 2, q >>> 2, kind);
        this.decodePrices(p, q, kind, POW10[u8[p + L.OFF_PRICE_DECIMALS]!]!);
        ticks++;
      }
      offset += length;
      index++;
    }
    return ticks;
  }

  private fail(index: number, field: number, code: number): number {
    this.failIndex = index;
    this.failField = field;
    return code;
  }

  // checkRecord of assembly/record.ts.
  private check(p: number, remaining: number): number {
    if (remaining < L.SLOT_BYTES) return L.ERR_TRUNCATED;
    const u8 = this.u8;
    const length = this.u16[p >>> 1]!;
    const kind = u8[p + L.OFF_KIND]!;
    if (u8[p + L.OFF_VERSION] !== L.FORMAT_VERSION) return L.ERR_VERSION;
    if (kind === L.KIND_PADDING) {
      if (length === 0 || (length & (L.SLOT_BYTES - 1)) !== 0) return L.ERR_LENGTH;
      if (length > remaining) return L.ERR_TRUNCATED;
      return length;
    }
    const expected = kind === L.KIND_LTP ? L.LTP_BYTES : kind === L.KIND_QUOTE ? L.QUOTE_BYTES : kind === L.KIND_DEPTH ? L.DEPTH_BYTES : 0;
    if (expected === 0) return L.ERR_KIND;
    if (length !== expected) return L.ERR_LENGTH;
    if (length > remaining) return L.ERR_TRUNCATED;
    const exchange = u8[p + L.OFF_EXCHANGE]!;
    if (exchange < 1 || exchange > L.EXCHANGE_COUNT) return L.ERR_EXCHANGE;
    if (u8[p + L.OFF_PRICE_DECIMALS]! > L.MAX_PRICE_DECIMALS) return L.ERR_DECIMALS;
    return length;
  }

  private copyWords(s: number, d: number, n: number): void {
    const w = this.i32;
    for (let k = 0; k < n; k++) w[d + k] = w[s + k]!;
  }

  // Copies every non-price word of a record (word indices s, d).
  private copyFields(s: number, d: number, kind: number): void {
    const w = this.i32;
    // slot 0: bytes 0..32 and 40..64
    w[d] = w[s]!; w[d + 1] = w[s + 1]!; w[d + 2] = w[s + 2]!; w[d + 3] = w[s + 3]!;
    w[d + 4] = w[s + 4]!; w[d + 5] = w[s + 5]!; w[d + 6] = w[s + 6]!; w[d + 7] = w[s + 7]!;
    w[d + 10] = w[s + 10]!; w[d + 11] = w[s + 11]!; w[d + 12] = w[s + 12]!; w[d + 13] = w[s + 13]!;
    w[d + 14] = w[s + 14]!; w[d + 15] = w[s + 15]!;
    if (kind === L.KIND_LTP) return;
    // slots 1-2: volume, oi (104..120), then 136..192
    w[d + 26] = w[s + 26]!; w[d + 27] = w[s + 27]!; w[d + 28] = w[s + 28]!; w[d + 29] = w[s + 29]!;
    for (let k = 34; k < 48; k++) w[d + k] = w[s + k]!;
    if (kind === L.KIND_QUOTE) return;
    // slots 3-5: qty and orders of each level (words 2, 3 of each 4-word level), 352..384
    for (let k = 48; k < 88; k += 4) {
      w[d + k + 2] = w[s + k + 2]!;
      w[d + k + 3] = w[s + k + 3]!;
    }
    for (let k = 88; k < 96; k++) w[d + k] = w[s + k]!;
  }

  // Returns 0 or the offset of the first bad price field.
  private encodePrices(p: number, q: number, kind: number, pow: number): number {
    const s = p >>> 3;
    const d = q >>> 2;
    if (!this.encodePrice(s + 4, d + 8, pow)) return L.OFF_LTP;
    if (kind === L.KIND_LTP) return 0;
    if (!this.encodePrice(s + 8, d + 16, pow)) return L.OFF_AVG_PRICE;
    if (!this.encodePrice(s + 9, d + 18, pow)) return L.OFF_OPEN;
    if (!this.encodePrice(s + 10, d + 20, pow)) return L.OFF_HIGH;
    if (!this.encodePrice(s + 11, d + 22, pow)) return L.OFF_LOW;
    if (!this.encodePrice(s + 12, d + 24, pow)) return L.OFF_CLOSE;
    if (!this.encodePrice(s + 15, d + 30, pow)) return L.OFF_BID;
    if (!this.encodePrice(s + 16, d + 32, pow)) return L.OFF_ASK;
    if (!this.encodePrice(s + 20, d + 40, pow)) return L.OFF_UPPER_CIRCUIT;
    if (!this.encodePrice(s + 21, d + 42, pow)) return L.OFF_LOWER_CIRCUIT;
    if (kind === L.KIND_QUOTE) return 0;
    for (let k = 24; k < 44; k += 2) {
      if (!this.encodePrice(s + k, d + 2 * k, pow)) return k << 3;
    }
    return 0;
  }

  // f64 at index fi -> i64 at word index wi, rounded half away from zero (as the Wasm
  // core: x - trunc(x) is exact). False for non-finite or |scaled| > 2^53 - 1.
  private encodePrice(fi: number, wi: number, pow: number): boolean {
    const y = this.f64[fi]! * pow;
    const t = Math.trunc(y);
    const x = Math.abs(y - t) >= 0.5 ? (y < 0 ? t - 1 : t + 1) : t;
    if (!(Math.abs(x) <= MAX)) return false;
    // ToUint32 is x mod 2^32 for either sign: the exact low word; floor(x / 2^32) the high.
    this.u32[wi] = x;
    this.i32[wi + 1] = Math.floor(x / TWO_32);
    return true;
  }

  private decodePrices(p: number, q: number, kind: number, pow: number): void {
    const s = p >>> 2;
    const d = q >>> 3;
    this.decodePrice(s + 8, d + 4, pow);
    if (kind === L.KIND_LTP) return;
    this.decodePrice(s + 16, d + 8, pow);
    this.decodePrice(s + 18, d + 9, pow);
    this.decodePrice(s + 20, d + 10, pow);
    this.decodePrice(s + 22, d + 11, pow);
    this.decodePrice(s + 24, d + 12, pow);
    this.decodePrice(s + 30, d + 15, pow);
    this.decodePrice(s + 32, d + 16, pow);
    this.decodePrice(s + 40, d + 20, pow);
    this.decodePrice(s + 42, d + 21, pow);
    if (kind === L.KIND_QUOTE) return;
    for (let k = 24; k < 44; k += 2) this.decodePrice(s + 2 * k, d + k, pow);
  }

  // i64 at word index wi -> f64 at index fi. hi * 2^32 is exact and the sum rounds once,
  // like f64.convert_i64_s; dividing an exact integer by an exact power of ten gives the
  // double nearest the decimal, like the Wasm core.
  private decodePrice(wi: number, fi: number, pow: number): void {
    this.f64[fi] = (this.i32[wi + 1]! * TWO_32 + this.u32[wi]!) / pow;
  }
}
