// A plain-TypeScript Noren parser: JSON.parse, then the same merge as the Wasm parser
// (assembly/noren.ts) into a per-symbol state of its own, writing the same record bytes
// and giving the same per-frame outcome. It is the oracle the Wasm parser is tested
// against and the "JSON.parse + JS merge" peer it is benchmarked against, so it is written
// as a fast JS parser would be: one JSON.parse, one pass over the object's keys, decimal
// text to scaled integers with char-code loops (exact: every intermediate stays below 2^53),
// and state kept as a record's bytes plus the few numbers the merge reads back.
import * as L from "../../format/layout.js";
import * as N from "./layout.js";
import { TickwireError } from "../../errors.js";
import { exchangeCode } from "../../format/exchange.js";
import { checkInt, checkObject, describe } from "../../validate.js";
import type { InstrumentRow } from "../contract.js";
import { packBrokerExchange, packToken } from "./token-map.js";
import { NOREN_GUARDS, NOREN_MALFORMED_REASONS, type GuardPolicy, type NorenCounters, type NorenGuard, type NorenMalformedReason } from "./parser.js";

/** Known keys, by field index (./layout.ts F_*). */
export const NOREN_FIELD_NAMES: readonly string[] = [
  "t", "e", "tk", "pp", "ts", "ti", "ls", "poi", "toi", "52h", "52l", "lp", "pc", "v", "o", "h", "l", "c",
  "ap", "oi", "ltq", "ft", "ltt", "tbq", "tsq", "uc", "lc",
  "bp1", "bp2", "bp3", "bp4", "bp5", "sp1", "sp2", "sp3", "sp4", "sp5",
  "bq1", "bq2", "bq3", "bq4", "bq5", "sq1", "sq2", "sq3", "sq4", "sq5",
  "bo1", "bo2", "bo3", "bo4", "bo5", "so1", "so2", "so3", "so4", "so5",
];
const FIELD_INDEX: Record<string, number> = Object.create(null);
NOREN_FIELD_NAMES.forEach((k, i) => (FIELD_INDEX[k] = i));

/** Control frame types: handed over, not parsed. */
export const NOREN_CONTROL_TYPES: readonly string[] = ["ck", "ak", "uk", "udk", "ok", "om", "hk", "h"];
const CONTROL = new Set(NOREN_CONTROL_TYPES);

const enum Conv { None, Price, U32, U64, Percent, Epoch, TradeTime }
const CONV: Conv[] = [];
const OFFSET: number[] = [];
function def(f: number, off: number, conv: Conv): void {
  OFFSET[f] = off;
  CONV[f] = conv;
}
for (let f = 0; f < N.F_FIRST_VALUE; f++) def(f, 0, Conv.None);
def(N.F_LP, L.OFF_LTP, Conv.Price);
def(N.F_PC, L.OFF_CHANGE_BP, Conv.Percent);
def(N.F_V, L.OFF_VOLUME, Conv.U64);
def(N.F_O, L.OFF_OPEN, Conv.Price);
def(N.F_H, L.OFF_HIGH, Conv.Price);
def(N.F_L, L.OFF_LOW, Conv.Price);
def(N.F_C, L.OFF_CLOSE, Conv.Price);
def(N.F_AP, L.OFF_AVG_PRICE, Conv.Price);
def(N.F_OI, L.OFF_OI, Conv.U64);
def(N.F_LTQ, L.OFF_LAST_QTY, Conv.U32);
def(N.F_FT, L.OFF_EXCH_TIME_MS, Conv.Epoch);
def(N.F_LTT, L.OFF_LAST_TRADE_TIME_MS, Conv.TradeTime);
def(N.F_TBQ, L.OFF_TOTAL_BUY_QTY, Conv.U64);
def(N.F_TSQ, L.OFF_TOTAL_SELL_QTY, Conv.U64);
def(N.F_UC, L.OFF_UPPER_CIRCUIT, Conv.Price);
def(N.F_LC, L.OFF_LOWER_CIRCUIT, Conv.Price);
for (let i = 0; i < 5; i++) {
  def(N.F_BP1 + i, L.OFF_DEPTH_BIDS + i * 16, Conv.Price);
  def(N.F_SP1 + i, L.OFF_DEPTH_ASKS + i * 16, Conv.Price);
  def(N.F_BQ1 + i, L.OFF_DEPTH_BIDS + i * 16 + L.LEVEL_OFF_QTY, Conv.U32);
  def(N.F_SQ1 + i, L.OFF_DEPTH_ASKS + i * 16 + L.LEVEL_OFF_QTY, Conv.U32);
  def(N.F_BO1 + i, L.OFF_DEPTH_BIDS + i * 16 + L.LEVEL_OFF_ORDERS, Conv.U32);
  def(N.F_SO1 + i, L.OFF_DEPTH_ASKS + i * 16 + L.LEVEL_OFF_ORDERS, Conv.U32);
}
const KEEP_NONZERO = new Set([N.F_O, N.F_H, N.F_L, N.F_C]);
const U64_MAX = (1n << 64n) - 1n;

/** Options of {@link NorenReference}: the guards of NorenParserOptions, same defaults. */
export interface NorenReferenceOptions {
  nonPositive?: GuardPolicy;
  band?: GuardPolicy;
  bandPercent?: number;
  stale?: GuardPolicy;
  maxAgeMs?: number;
}

interface Instrument {
  readonly symbolId: number;
  readonly exchange: number;
  readonly decimals: number;
  readonly allowNonPositive: boolean;
  seq: number;
  /** The merged state in record form (DEPTH layout), and its QUOTE part. */
  readonly rec: Uint8Array;
  readonly quote: Uint8Array;
  readonly view: DataView;
  /** Field values as last merged (numbers; a u64 beyond 2^53 as a bigint), for the merge rules and guards. */
  readonly vals: (number | bigint)[];
}

/** A value's conversion result: a number, or a reason (negative: -1 - reason). */
type Converted = number | bigint;

// ── conversions: exact, syntax first, then exactness, then range (as the Wasm parser) ──
// Each returns the value or, on failure, sets `fail` to the reason.
let fail = -1;

function price(s: string, dec: number): number {
  const n = s.length;
  let i = 0;
  let neg = false;
  if (n > 0 && s.charCodeAt(0) === 0x2d) {
    neg = true;
    i = 1;
  }
  let acc = 0;
  let big = false;
  const intStart = i;
  for (; i < n; i++) {
    const d = s.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) break;
    if (acc > 9e14) big = true; else acc = acc * 10 + d; // below 2^53: exact
  }
  if (i === intStart) return (fail = N.REASON_BAD_NUMBER);
  let frac = 0;
  let inexact = false;
  if (i < n) {
    if (s.charCodeAt(i) !== 0x2e || i + 1 === n) return (fail = N.REASON_BAD_NUMBER);
    for (i++; i < n; i++) {
      const d = s.charCodeAt(i) - 0x30;
      if (d < 0 || d > 9) return (fail = N.REASON_BAD_NUMBER);
      if (frac < dec) {
        if (acc > 9e14) big = true; else acc = acc * 10 + d;
        frac++;
      } else if (d !== 0) {
        inexact = true;
      }
    }
  }
  for (; frac < dec; frac++) {
    if (acc > 9e14) big = true; else acc *= 10;
  }
  if (inexact) return (fail = N.REASON_PRECISION);
  if (big || acc > L.MAX_SCALED_PRICE) return (fail = N.REASON_PRICE_RANGE);
  return neg ? -acc || 0 : acc;
}

function digitsOnly(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const d = s.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return false;
  }
  return true;
}

function unsigned(s: string, max: number): number {
  if (!digitsOnly(s)) return (fail = N.REASON_BAD_NUMBER);
  let acc = 0;
  for (let i = 0; i < s.length; i++) {
    acc = acc * 10 + s.charCodeAt(i) - 0x30;
    if (acc > max) return (fail = N.REASON_RANGE);
  }
  return acc;
}

function unsigned64(s: string): number | bigint {
  if (!digitsOnly(s)) return (fail = N.REASON_BAD_NUMBER);
  if (s.length <= 15) return +s;
  const v = BigInt(s);
  if (v > U64_MAX) return (fail = N.REASON_RANGE);
  return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

function percent(s: string): number {
  const n = s.length;
  let i = 0;
  let neg = false;
  if (n > 0 && s.charCodeAt(0) === 0x2d) {
    neg = true;
    i = 1;
  }
  let acc = 0;
  let big = false;
  const intStart = i;
  for (; i < n; i++) {
    const d = s.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) break;
    if (acc > 9e14) big = true; else acc = acc * 10 + d;
  }
  if (i === intStart) return (fail = N.REASON_BAD_NUMBER);
  let frac = 0;
  let up = false;
  if (i < n) {
    if (s.charCodeAt(i) !== 0x2e || i + 1 === n) return (fail = N.REASON_BAD_NUMBER);
    for (i++; i < n; i++, frac++) {
      const d = s.charCodeAt(i) - 0x30;
      if (d < 0 || d > 9) return (fail = N.REASON_BAD_NUMBER);
      if (frac < 2) {
        if (acc > 9e14) big = true; else acc = acc * 10 + d;
      } else if (frac === 2) {
        up = d >= 5;
      }
    }
  }
  for (; frac < 2; frac++) {
    if (acc > 9e14) big = true; else acc *= 10;
  }
  if (up) acc++;
  if (big || acc > 0x7fffffff) return (fail = N.REASON_RANGE);
  return neg ? -acc || 0 : acc;
}

function two(s: string, i: number): number {
  const a = s.charCodeAt(i) - 0x30;
  const b = s.charCodeAt(i + 1) - 0x30;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : 0xffff;
}

function timeOfDay(s: string, i: number): number {
  const h = two(s, i);
  const m = two(s, i + 3);
  const sec = two(s, i + 6);
  if (s.charCodeAt(i + 2) !== 0x3a || s.charCodeAt(i + 5) !== 0x3a || h > 23 || m > 59 || sec > 59) return -1;
  return h * 3600 + m * 60 + sec;
}

function daysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m > 2 ? m - 3 : m + 9) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function tradeTime(s: string, ref: number): number {
  if (digitsOnly(s)) {
    const v = unsigned(s, N.MAX_EPOCH_SECONDS);
    return fail >= 0 ? v : v * 1000;
  }
  if (s.length === 8) {
    const sec = timeOfDay(s, 0);
    if (sec < 0) return (fail = N.REASON_BAD_TIME);
    let t = Math.floor((ref + N.IST_OFFSET_MS) / N.DAY_MS) * N.DAY_MS + sec * 1000 - N.IST_OFFSET_MS;
    if (t - ref > N.DAY_MS / 2) t -= N.DAY_MS;
    else if (ref - t > N.DAY_MS / 2) t += N.DAY_MS;
    return t;
  }
  if (s.length === 19) {
    // "DD-MM-YYYY HH:MM:SS" or "HH:MM:SS DD-MM-YYYY".
    const timeFirst = s.charCodeAt(2) === 0x3a;
    const dp = timeFirst ? 9 : 0;
    const d = two(s, dp);
    const m = two(s, dp + 3);
    const y = two(s, dp + 6) * 100 + two(s, dp + 8);
    const sec = timeOfDay(s, timeFirst ? 0 : 11);
    if (s.charCodeAt(dp + 2) !== 0x2d || s.charCodeAt(dp + 5) !== 0x2d || s.charCodeAt(timeFirst ? 8 : 10) !== 0x20 || sec < 0
      || m < 1 || m > 12 || y < 1900 || y > 9999 || d < 1) return (fail = N.REASON_BAD_TIME);
    const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
    const dim = m === 2 ? (leap ? 29 : 28) : m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
    if (d > dim) return (fail = N.REASON_BAD_TIME);
    return daysFromCivil(y, m, d) * N.DAY_MS + sec * 1000 - N.IST_OFFSET_MS;
  }
  return (fail = N.REASON_BAD_TIME);
}

function absent(v: string | undefined): boolean {
  return v === undefined || v === "" || v === "-";
}

function setI64(view: DataView, off: number, v: number | bigint): void {
  if (typeof v === "bigint") {
    view.setBigUint64(off, v, true);
  } else {
    view.setUint32(off, v >>> 0, true);
    view.setInt32(off + 4, Math.floor(v / 4294967296), true);
  }
}

const decoder = new TextDecoder("utf-8", { ignoreBOM: true });

/**
 * The reference Noren parser (see the file comment). Give it the same rows and symbol
 * ids as the NorenTokenMap, and the same guards as the NorenParser; then each frame gives
 * the same outcome and the same record bytes.
 */
export class NorenReference {
  private readonly instruments = new Map<string, Instrument>();
  private readonly guards: number;
  private readonly bandPercent: number;
  private readonly maxAgeMs: number;
  private readonly raw: (string | undefined)[] = new Array(N.FIELD_COUNT).fill(undefined);
  private readonly vals: (number | bigint)[] = new Array(N.FIELD_COUNT).fill(0);
  /** got[f] = 1: field f has a value in this frame. */
  private readonly got = new Uint8Array(64);
  private readonly counts = new Float64Array(N.COUNTER_COUNT);
  // The DataView over the last destination, kept: no allocation per record.
  private dst: Uint8Array | undefined;
  private out: DataView | undefined;

  constructor(options?: NorenReferenceOptions) {
    const o = options === undefined ? {} : checkObject<NorenReferenceOptions>(options, "NorenReference: options");
    const policies = [o.nonPositive ?? "drop", o.band ?? "pass", o.stale ?? "pass"];
    let guards = 0;
    policies.forEach((p, g) => {
      if (p !== "drop" && p !== "pass" && p !== "off") throw new TickwireError("ARGUMENT", `NorenReference: guard policy ${describe(p)}`);
      if (p !== "off") guards |= 1 << g;
      if (p === "drop") guards |= 1 << (g + N.GUARD_POLICY_SHIFT);
    });
    this.guards = guards;
    this.bandPercent = o.bandPercent ?? 20;
    this.maxAgeMs = o.maxAgeMs ?? 60000;
  }

  /** Maps a row to a symbol id (as NorenTokenMap.set, without its checks against a symbol table). */
  set(row: InstrumentRow, symbolId: number): void {
    const ek = packBrokerExchange(row.brokerExchange);
    const tok = packToken(row.token);
    const exchange = exchangeCode(row.exchange);
    if (ek < 0 || tok < 0 || exchange === 0) throw new TickwireError("ARGUMENT", `NorenReference.set: bad row ${describe(row.brokerExchange)}|${describe(row.token)}`);
    checkInt(row.priceDecimals, 0, L.MAX_PRICE_DECIMALS, "NorenReference.set: priceDecimals", "DECIMALS");
    checkInt(symbolId, 0, 0xffffffff, "NorenReference.set: symbolId", "SYMBOL");
    const key = `${row.brokerExchange}|${row.token}`;
    if (this.instruments.has(key)) return;
    const rec = new Uint8Array(L.DEPTH_BYTES);
    this.instruments.set(key, {
      symbolId, exchange, decimals: row.priceDecimals, allowNonPositive: row.allowNonPositive === true, seq: 0,
      rec, quote: rec.subarray(0, L.QUOTE_BYTES), view: new DataView(rec.buffer), vals: new Array(N.FIELD_COUNT).fill(0),
    });
  }

  /**
   * Parses one frame (its bytes, or its text). A tick frame's record is written at
   * `dst[at ..]` (192 or 384 bytes). Returns the outcome (OUTCOME_* of ./layout.ts).
   */
  parse(frame: Uint8Array | string, recvTimeNs: number, wallClockMs: number, dst: Uint8Array, at: number): number {
    const outcome = this.frame(frame, recvTimeNs, wallClockMs, dst, at);
    const c = this.counts;
    c[N.COUNTER_FRAMES]!++;
    if (outcome === N.OUTCOME_QUOTE || outcome === N.OUTCOME_DEPTH) c[N.COUNTER_TICKS]!++;
    else if (outcome === N.OUTCOME_CONTROL) c[N.COUNTER_CONTROL]!++;
    else if (outcome >= N.OUTCOME_MALFORMED) c[N.COUNTER_MALFORMED + outcome - N.OUTCOME_MALFORMED]!++;
    return outcome;
  }

  /** Counts a frame refused for its length (what NorenParser.push does with one beyond maxFrameBytes). */
  tooLong(): void {
    this.counts[N.COUNTER_FRAMES]!++;
    this.counts[N.COUNTER_MALFORMED + N.REASON_TOO_LONG]!++;
  }

  /** The counters, shaped as NorenParser.counters(). */
  counters(): NorenCounters {
    const c = this.counts;
    const malformed = {} as Record<NorenMalformedReason, number>;
    NOREN_MALFORMED_REASONS.forEach((r, i) => (malformed[r] = c[N.COUNTER_MALFORMED + i]!));
    const guards = {} as Record<NorenGuard, number>;
    NOREN_GUARDS.forEach((g, i) => (guards[g] = c[N.COUNTER_GUARD + i]!));
    return { frames: c[N.COUNTER_FRAMES]!, ticks: c[N.COUNTER_TICKS]!, control: c[N.COUNTER_CONTROL]!, guardDropped: c[N.COUNTER_GUARD_DROPPED]!, malformed, guards };
  }

  private frame(frame: Uint8Array | string, recvTimeNs: number, wallClockMs: number, dst: Uint8Array, at: number): number {
    let obj: unknown;
    try {
      obj = JSON.parse(typeof frame === "string" ? frame : decoder.decode(frame));
    } catch {
      return N.OUTCOME_MALFORMED + N.REASON_BAD_JSON;
    }
    if (typeof obj !== "object" || obj === null || Array.isArray(obj)) return N.OUTCOME_MALFORMED + N.REASON_BAD_JSON;
    const o = obj as Record<string, unknown>;
    const t = o.t;
    if (t === undefined) return N.OUTCOME_MALFORMED + N.REASON_UNKNOWN_TYPE;
    if (typeof t !== "string") return N.OUTCOME_MALFORMED + N.REASON_WRONG_TYPE;
    const depth = t === "dk" || t === "df";
    if (!depth && t !== "tk" && t !== "tf") return CONTROL.has(t) ? N.OUTCOME_CONTROL : N.OUTCOME_MALFORMED + N.REASON_UNKNOWN_TYPE;
    const partial = t === "tf" || t === "df";

    // One pass over the keys: the known ones' text, and whether any has a non-string value.
    const raw = this.raw;
    let wrong = false;
    let last = -1;
    let first = N.FIELD_COUNT;
    for (const k in o) {
      const f = FIELD_INDEX[k];
      if (f === undefined) continue;
      const v = o[k];
      if (typeof v !== "string") {
        wrong = true;
        break;
      }
      raw[f] = v;
      if (f > last) last = f;
      if (f < first) first = f;
    }
    try {
      if (wrong) return N.OUTCOME_MALFORMED + N.REASON_WRONG_TYPE;
      const e = raw[N.F_E];
      const tk = raw[N.F_TK];
      if (absent(e) || absent(tk)) return N.OUTCOME_MALFORMED + N.REASON_MISSING_KEY;
      const ins = this.instruments.get(`${e}|${tk}`);
      // Keys that could never be mapped are unknown too (a token "02885" is not "2885").
      if (ins === undefined || packBrokerExchange(e) < 0 || packToken(tk) < 0) return N.OUTCOME_MALFORMED + N.REASON_UNKNOWN_SYMBOL;
      const dec = ins.decimals;
      const pp = raw[N.F_PP];
      if (!absent(pp)) {
        if (!digitsOnly(pp!)) return N.OUTCOME_MALFORMED + N.REASON_BAD_NUMBER;
        if (+pp! !== dec) return N.OUTCOME_MALFORMED + N.REASON_DECIMALS;
      }

      // Every value field, in field order: the first refused one names the reason.
      const vals = this.vals;
      const got = this.got;
      let any = false;
      for (let f = Math.max(first, N.F_FIRST_VALUE); f <= last; f++) {
        const s = raw[f];
        if (absent(s)) continue;
        fail = -1;
        let v: Converted;
        switch (CONV[f]) {
          case Conv.Price: v = price(s!, dec); break;
          case Conv.U32: v = unsigned(s!, 0xffffffff); break;
          case Conv.U64: v = unsigned64(s!); break;
          case Conv.Percent: v = percent(s!); break;
          case Conv.Epoch: v = unsigned(s!, N.MAX_EPOCH_SECONDS) * 1000; break;
          case Conv.TradeTime: {
            const ref = got[N.F_FT] ? (vals[N.F_FT] as number)
              : ins.vals[N.F_FT] !== 0 ? (ins.vals[N.F_FT] as number) : wallClockMs;
            v = tradeTime(s!, ref);
            break;
          }
          default: v = 0;
        }
        if (fail >= 0) return N.OUTCOME_MALFORMED + fail;
        vals[f] = v;
        got[f] = 1;
        any = true;
      }

      // Guards.
      let flagged = 0;
      const g = this.guards;
      if (got[N.F_LP]) {
        const lp = vals[N.F_LP] as number;
        if ((g & (1 << N.GUARD_NON_POSITIVE)) !== 0 && lp <= 0 && !ins.allowNonPositive) flagged |= 1 << N.GUARD_NON_POSITIVE;
        const prev = ins.vals[N.F_LP] as number;
        if ((g & (1 << N.GUARD_BAND)) !== 0 && prev !== 0 && Math.abs(lp - prev) * 100 > this.bandPercent * Math.abs(prev)) flagged |= 1 << N.GUARD_BAND;
      }
      if ((g & (1 << N.GUARD_STALE)) !== 0 && got[N.F_FT] && (vals[N.F_FT] as number) < wallClockMs - this.maxAgeMs) {
        flagged |= 1 << N.GUARD_STALE;
      }
      if (flagged !== 0) {
        for (let k = 0; k < N.GUARD_COUNT; k++) if ((flagged >> k) & 1) this.counts[N.COUNTER_GUARD + k]!++;
        if ((flagged & (g >> N.GUARD_POLICY_SHIFT)) !== 0) {
          this.counts[N.COUNTER_GUARD_DROPPED]!++;
          return N.OUTCOME_GUARD_DROPPED;
        }
      }

      // Commit, then the record.
      const view = ins.view;
      if (any) {
        for (let f = N.F_FIRST_VALUE; f <= last; f++) {
          if (!got[f]) continue;
          const v = vals[f]!;
          const off = OFFSET[f]!;
          switch (CONV[f]) {
            case Conv.U32: view.setUint32(off, v as number, true); break;
            case Conv.Percent: view.setInt32(off, v as number, true); break;
            default:
              if (partial && v === 0 && KEEP_NONZERO.has(f)) continue;
              setI64(view, off, v);
          }
          ins.vals[f] = v;
        }
      }
      const size = depth ? L.DEPTH_BYTES : L.QUOTE_BYTES;
      ins.seq++;
      dst.set(depth ? ins.rec : ins.quote, at);
      if (dst !== this.dst) {
        this.dst = dst;
        this.out = new DataView(dst.buffer, dst.byteOffset, dst.byteLength);
      }
      const out = this.out!;
      out.setUint16(at + L.OFF_LENGTH, size, true);
      out.setUint8(at + L.OFF_KIND, depth ? L.KIND_DEPTH : L.KIND_QUOTE);
      out.setUint8(at + L.OFF_VERSION, L.FORMAT_VERSION);
      out.setUint32(at + L.OFF_SYMBOL_ID, ins.symbolId, true);
      setI64(out, at + L.OFF_SEQ, ins.seq);
      setI64(out, at + L.OFF_RECV_TIME_NS, recvTimeNs);
      out.setUint8(at + L.OFF_EXCHANGE, ins.exchange);
      out.setUint8(at + L.OFF_PRICE_DECIMALS, dec);
      out.setUint16(at + L.OFF_FLAGS, 0, true);
      // Best bid/ask: level 0 of the book, in both kinds.
      out.setUint32(at + L.OFF_BID, view.getUint32(L.OFF_DEPTH_BIDS, true), true);
      out.setUint32(at + L.OFF_BID + 4, view.getUint32(L.OFF_DEPTH_BIDS + 4, true), true);
      out.setUint32(at + L.OFF_ASK, view.getUint32(L.OFF_DEPTH_ASKS, true), true);
      out.setUint32(at + L.OFF_ASK + 4, view.getUint32(L.OFF_DEPTH_ASKS + 4, true), true);
      out.setUint32(at + L.OFF_BID_QTY, view.getUint32(L.OFF_DEPTH_BIDS + L.LEVEL_OFF_QTY, true), true);
      out.setUint32(at + L.OFF_ASK_QTY, view.getUint32(L.OFF_DEPTH_ASKS + L.LEVEL_OFF_QTY, true), true);
      return depth ? N.OUTCOME_DEPTH : N.OUTCOME_QUOTE;
    } finally {
      for (let f = first; f <= last; f++) {
        raw[f] = undefined;
        this.got[f] = 0;
      }
    }
  }
}
