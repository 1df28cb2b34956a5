// The simulated exchange's market: every instrument of a universe trading as a seeded random
// walk on its tick grid, with a 5-level book, volume, open interest and circuit limits.
// State lives in typed arrays indexed by instrument (no object per instrument), so a step and
// a record write allocate nothing. Two renderings of the same state: tick records (what the
// in-process feed emits) and Noren touchline/depth JSON (what the simulated Noren server sends).
//
// Per instrument i (prices are scaled integers at the row's priceDecimals, multiples of its tick):
//   ltp  open high low close(= basePrice)  ap (VWAP, rounded)  uc lc (±10 % or 20 % of close)
//   bid1 and spread (ticks): level k of the book is bid1 - k·tick / bid1 + (spread + k)·tick,
//   an empty level (price, qty, orders all 0) where that would not be a positive price
//   bq aq bo ao [i·5 + k]: quantity and orders of level k
//   volume, oi (FUT/OPT; both only grow), poi (previous OI), tbq tsq, lastQty, changeBp
//   exchMs / tradeMs: feed and last trade time (ms since the epoch)
import * as L from "../../format/layout.js";
import { TickwireError } from "../../errors.js";
import { exchangeCode } from "../../format/exchange.js";
import { checkInt, checkOptions, describe } from "../../validate.js";
import { Prng, checkSeed, mix32 } from "./prng.js";
import type { SimInstrumentRow, SimSegment } from "./universe.js";

/** Bits of what {@link SimulatedMarket.step} changed. */
export const SimChange = {
  LTP: 1, LAST_QTY: 2, VOLUME: 4, AVG_PRICE: 8, HIGH_LOW: 16, OI: 32,
  /** Best bid/ask price or quantity (level 0 of the book). */
  TOP: 64,
  /** Any other level of the book (prices, quantities, orders). */
  DEPTH: 128,
  TOTALS: 256, TIME: 512, CHANGE_PERCENT: 1024,
} as const;

/** Options of {@link SimulatedMarket}. */
export interface SimulatedMarketOptions {
  /** Seed, an integer from 0 to 2^32 - 1. Default 1. */
  seed?: number;
  /** Feed and trade time of the opening state, ms since the epoch. Default 2026-01-05 09:15 IST. */
  startTimeMs?: number;
  /**
   * How skewed {@link SimulatedMarket.pick} is, an integer from 1 (uniform) to 16: an instrument's
   * rank among the active ones is ⌊m · u^skew⌋. Default 7: the hottest 20 % take ~80 % of the ticks.
   */
  skew?: number;
}

/** One side's level of the book, as {@link SimulatedMarket.quote} gives it. */
export interface SimLevel {
  readonly price: number;
  readonly quantity: number;
  readonly orders: number;
}

/** The whole state of one instrument (scaled-integer prices), for tests and diagnostics. */
export interface SimQuote {
  readonly ltp: number;
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
  readonly averagePrice: number;
  readonly lastQuantity: number;
  readonly volume: number;
  readonly oi: number;
  readonly previousOi: number;
  readonly totalBuyQuantity: number;
  readonly totalSellQuantity: number;
  readonly upperCircuit: number;
  readonly lowerCircuit: number;
  readonly changeBp: number;
  readonly exchangeTimeMs: number;
  readonly lastTradeTimeMs: number;
  readonly bids: readonly SimLevel[];
  readonly asks: readonly SimLevel[];
}

/** The values a Noren stream last carried, per field: one per (connection, scrip, stream). */
export type NorenSentState = (string | undefined)[];

const SEGMENTS: readonly SimSegment[] = ["EQ", "INDEX", "FUT", "OPT"];
const SEG_FUT = 2;
const SEG_OPT = 3;
// Standard deviation of one trade's move, as a fraction of the price, by segment.
const VOLATILITY = [0.0004, 0.0002, 0.0004, 0.003];
// Pull towards the previous close per trade (fraction of the gap): keeps long runs inside the circuits.
const REVERT = 0.002;
const MAX_SPREAD_TICKS = 3;
// Layout constants copied to module constants: a namespace import's property read is a getter
// call under some loaders (tsx/esbuild), too slow for the hot paths.
const LEVELS = L.DEPTH_LEVELS;
const KIND_LTP = L.KIND_LTP;
const KIND_QUOTE = L.KIND_QUOTE;
const KIND_DEPTH = L.KIND_DEPTH;
const LTP_BYTES = L.LTP_BYTES;
const QUOTE_BYTES = L.QUOTE_BYTES;
const DEPTH_BYTES = L.DEPTH_BYTES;
const VERSION_WORD = L.FORMAT_VERSION << 24;
const TWO_32 = 4294967296;
const TWO_NEG_16 = 1 / 65536;
const POW10 = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9];
const IST_OFFSET_S = 19800;
/** 2026-01-05 09:15:00 IST. */
const DEFAULT_START_MS = Date.UTC(2026, 0, 5, 3, 45, 0);

// ─── Noren fields ───────────────────────────────────────────────────────────────────────
// Index into the rendered values; the frame carries them in this order.
const F_LP = 0, F_PC = 1, F_V = 2, F_O = 3, F_H = 4, F_L = 5, F_C = 6, F_AP = 7, F_OI = 8, F_POI = 9, F_TOI = 10;
const F_LTQ = 11, F_LTT = 12, F_FT = 13, F_TBQ = 14, F_TSQ = 15, F_UC = 16, F_LC = 17;
const F_BP = 18, F_SP = 23, F_BQ = 28, F_SQ = 33, F_BO = 38, F_SO = 43;
const FIELD_COUNT = 48;
const FIELD_KEYS: string[] = ["lp", "pc", "v", "o", "h", "l", "c", "ap", "oi", "poi", "toi", "ltq", "ltt", "ft", "tbq", "tsq", "uc", "lc"];
for (const p of ["bp", "sp", "bq", "sq", "bo", "so"]) for (let k = 1; k <= LEVELS; k++) FIELD_KEYS.push(p + k);
// `,"lp":"` etc.: the text before each value.
const FIELD_PREFIX = FIELD_KEYS.map((k) => `,"${k}":"`);
/** Touchline: the quote fields and the best bid/ask. Depth: every field. */
const TOUCHLINE_FIELDS = Int32Array.from([...Array(F_BP).keys(), F_BP, F_SP, F_BQ, F_SQ]);
const DEPTH_FIELDS = Int32Array.from(Array(FIELD_COUNT).keys());

/** The keys a touchline frame (`tk`/`tf`) carries besides `t e tk ts pp ti ls`, in order. */
export const NOREN_TOUCHLINE_KEYS: readonly string[] = Array.from(TOUCHLINE_FIELDS, (f) => FIELD_KEYS[f]!);
/** The keys a depth frame (`dk`/`df`) carries besides `t e tk ts pp ti ls`, in order. */
export const NOREN_DEPTH_KEYS: readonly string[] = [...FIELD_KEYS];

const TWO_DIGITS = Array.from({ length: 100 }, (_, i) => (i < 10 ? `0${i}` : String(i)));

/** A non-negative scaled integer as decimal text with exactly `d` fraction digits. */
function fmtPrice(m: number, d: number): string {
  if (d === 0) return String(m);
  const pow = POW10[d]!;
  const frac = m % pow;
  const fs = String(frac);
  return `${(m - frac) / pow}.${fs.length === d ? fs : "000000000".slice(0, d - fs.length) + fs}`;
}

/** Hundredths of a percent as "-1.05". */
function fmtPercent(bp: number): string {
  const a = bp < 0 ? -bp : bp;
  const frac = a % 100;
  return `${bp < 0 ? "-" : ""}${(a - frac) / 100}.${TWO_DIGITS[frac]}`;
}

/** Time of day in IST, "HH:MM:SS" (Noren's `ltt`). */
function istClock(ms: number): string {
  let s = (Math.floor(ms / 1000) + IST_OFFSET_S) % 86400;
  if (s < 0) s += 86400;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s - h * 3600) / 60);
  return `${TWO_DIGITS[h]}:${TWO_DIGITS[m]}:${TWO_DIGITS[s - h * 3600 - m * 60]}`;
}

function checkRows(rows: unknown): readonly SimInstrumentRow[] {
  if (!Array.isArray(rows) || rows.length === 0) throw new TickwireError("ARGUMENT", `SimulatedMarket: rows must be a non-empty array of SimInstrumentRow (createUniverse), got ${describe(rows)}`);
  if (rows.length > 1 << 22) throw new TickwireError("ARGUMENT", `SimulatedMarket: at most ${1 << 22} rows, got ${rows.length}`);
  return rows as readonly SimInstrumentRow[];
}

/**
 * A deterministic simulated market over a universe (see {@link createUniverse}): the same rows,
 * seed and calls give the same states. Each {@link step} is one trade of one instrument: the last
 * price takes a random walk in ticks (per-segment volatility, a weak pull to the previous close,
 * bounded by the circuits and never below one tick), and the trade moves the book, volume,
 * average price, open interest (futures and options) and the book totals. {@link pick} chooses
 * which instrument trades next, skewed towards a few hot ones. Renderings: {@link writeRecord} /
 * {@link writeTicks} (tick records, docs/FORMAT.md) and {@link norenTouchline} /
 * {@link norenDepth} (Noren JSON, docs/NOREN.md). Single thread; no allocation per step or record.
 */
export class SimulatedMarket {
  /** The instruments, by index. */
  readonly rows: readonly SimInstrumentRow[];
  /** Number of instruments. */
  readonly size: number;
  /** Records written by the last {@link writeTicks}. */
  ticksWritten = 0;

  private readonly rng: Prng;
  private readonly skew: number;
  private readonly tick: Float64Array;
  private readonly dec: Uint8Array;
  private readonly exch: Uint8Array;
  private readonly seg: Uint8Array;
  private readonly lot: Uint32Array;
  private readonly sigma: Float64Array;
  private readonly ltpA: Float64Array;
  private readonly openA: Float64Array;
  private readonly highA: Float64Array;
  private readonly lowA: Float64Array;
  private readonly closeA: Float64Array;
  private readonly avgF: Float64Array;
  private readonly apA: Float64Array;
  private readonly ucA: Float64Array;
  private readonly lcA: Float64Array;
  private readonly volA: Float64Array;
  private readonly oiA: Float64Array;
  private readonly poiA: Float64Array;
  private readonly tbqA: Float64Array;
  private readonly tsqA: Float64Array;
  private readonly exchMs: Float64Array;
  private readonly tradeMs: Float64Array;
  private readonly lastQtyA: Uint32Array;
  private readonly changeBpA: Int32Array;
  private readonly bid1: Float64Array;
  private readonly spread: Uint8Array;
  private readonly bq: Uint32Array;
  private readonly aq: Uint32Array;
  private readonly bo: Uint32Array;
  private readonly ao: Uint32Array;
  private readonly ver: Uint32Array;
  private readonly rankOf: Uint32Array;
  private active: Uint32Array;
  private activeCount: number;
  private readonly byToken = new Map<string, number>();
  private readonly bySymbol = new Map<string, number>();
  // Burst: the rate multiplier decays linearly from burstFactor at burstStart to 1 at burstEnd.
  private burstFactor = 1;
  private burstStart = 0;
  private burstEnd = 0;
  // Views over the buffer records were last written to.
  private buf: ArrayBufferLike | undefined;
  private u32: Uint32Array = new Uint32Array(0);
  private i32: Int32Array = new Int32Array(0);
  // Noren rendering: static text per instrument, the values of one instrument at one version.
  private readonly headText: string[];
  private readonly snapText: string[];
  private readonly cur: (string | undefined)[] = new Array(FIELD_COUNT).fill(undefined);
  private curIndex = -1;
  private curVersion = -1;
  private readonly internalSent = new Map<number, NorenSentState>();
  private lastFields = 0;

  /**
   * @param rows - the universe (createUniverse), each row with a positive basePrice on its tick grid
   * @param options - seed, opening time, skew of {@link pick}
   */
  constructor(rows: readonly SimInstrumentRow[], options?: SimulatedMarketOptions) {
    checkRows(rows);
    const o = checkOptions<SimulatedMarketOptions>(options, "SimulatedMarket: options");
    const seed = checkSeed(o.seed ?? 1, "SimulatedMarket: options.seed");
    const start = checkInt(o.startTimeMs ?? DEFAULT_START_MS, 0, 8.64e15, "SimulatedMarket: options.startTimeMs");
    this.skew = checkInt(o.skew ?? 7, 1, 16, "SimulatedMarket: options.skew");
    const n = rows.length;
    this.rows = rows;
    this.size = n;
    this.rng = new Prng(seed);
    const f64 = (): Float64Array => new Float64Array(n);
    this.tick = f64(); this.sigma = f64(); this.ltpA = f64(); this.openA = f64(); this.highA = f64(); this.lowA = f64();
    this.closeA = f64(); this.avgF = f64(); this.apA = f64(); this.ucA = f64(); this.lcA = f64(); this.volA = f64();
    this.oiA = f64(); this.poiA = f64(); this.tbqA = f64(); this.tsqA = f64(); this.exchMs = f64(); this.tradeMs = f64(); this.bid1 = f64();
    this.dec = new Uint8Array(n); this.exch = new Uint8Array(n); this.seg = new Uint8Array(n); this.spread = new Uint8Array(n);
    this.lot = new Uint32Array(n); this.lastQtyA = new Uint32Array(n); this.changeBpA = new Int32Array(n); this.ver = new Uint32Array(n);
    this.bq = new Uint32Array(n * LEVELS); this.aq = new Uint32Array(n * LEVELS); this.bo = new Uint32Array(n * LEVELS); this.ao = new Uint32Array(n * LEVELS);
    this.headText = new Array<string>(n);
    this.snapText = new Array<string>(n);

    const keys = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const r = rows[i]!;
      const what = `SimulatedMarket: rows[${i}]`;
      if (typeof r !== "object" || r === null) throw new TickwireError("ARGUMENT", `${what} must be a SimInstrumentRow, got ${describe(r)}`);
      const d = checkInt(r.priceDecimals, 0, L.MAX_PRICE_DECIMALS, `${what}.priceDecimals`, "DECIMALS");
      const code = exchangeCode(r.exchange);
      if (code === 0) throw new TickwireError("EXCHANGE", `${what}.exchange ${describe(r.exchange)} is not an exchange tickwire knows`);
      const seg = SEGMENTS.indexOf(r.segment);
      if (seg < 0) throw new TickwireError("ARGUMENT", `${what}.segment must be EQ, INDEX, FUT or OPT, got ${describe(r.segment)}`);
      const t = typeof r.tickSize === "number" ? Math.round(r.tickSize * POW10[d]!) : NaN;
      if (!(t >= 1) || Math.abs(t - r.tickSize * POW10[d]!) > 1e-6 * t) throw new TickwireError("ARGUMENT", `${what}.tickSize ${describe(r.tickSize)} is not a positive multiple of 10^-${d}`);
      const base = r.basePrice;
      if (typeof base !== "number" || !Number.isSafeInteger(base) || base < t || base % t !== 0 || base > L.MAX_SCALED_PRICE / 2) {
        throw new TickwireError("PRICE", `${what}.basePrice must be a positive scaled integer on the tick grid (a multiple of ${t}), got ${describe(base)}`);
      }
      const lot = checkInt(r.lotSize, 1, 1_000_000, `${what}.lotSize`);
      if (typeof r.brokerExchange !== "string" || typeof r.token !== "string" || typeof r.symbol !== "string" || typeof r.brokerSymbol !== "string") {
        throw new TickwireError("ARGUMENT", `${what} needs string brokerExchange, token, symbol and brokerSymbol`);
      }
      const scrip = `${r.brokerExchange}|${r.token}`;
      if (this.byToken.has(scrip)) throw new TickwireError("ARGUMENT", `${what}: duplicate scrip ${scrip}`);
      this.byToken.set(scrip, i);
      this.bySymbol.set(`${r.exchange}:${r.symbol}`, i);
      this.tick[i] = t; this.dec[i] = d; this.exch[i] = code; this.seg[i] = seg; this.lot[i] = lot;
      this.closeA[i] = base;
      this.sigma[i] = Math.max(0.35, (base * VOLATILITY[seg]!) / t);
      // Circuits: ±10 % or ±20 % of the close, on the grid, the lower one at least one tick.
      const band = (mix32(seed ^ Math.imul(i, 0x9e3779b1)) & 1) === 0 ? 0.1 : 0.2;
      this.ucA[i] = Math.max(base + t, Math.ceil((base * (1 + band)) / t) * t);
      this.lcA[i] = Math.max(t, Math.floor((base * (1 - band)) / t) * t);
      this.headText[i] = `,"e":"${r.brokerExchange}","tk":"${r.token}"`;
      this.snapText[i] = `,"ts":${JSON.stringify(r.brokerSymbol)},"pp":"${d}","ti":"${fmtPrice(t, d)}","ls":"${lot}"`;
      // Hotness: indices and futures ahead of most, then a seeded shuffle.
      const h = mix32(seed ^ mix32(i + 0x51ed27));
      keys[i] = seg === 1 || seg === SEG_FUT ? h / 8 : h;
    }
    // Ranks: instrument → position in the hot order (0 hottest).
    const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => keys[a]! - keys[b]! || a - b);
    this.rankOf = new Uint32Array(n);
    order.forEach((ins, rank) => (this.rankOf[ins] = rank));
    this.active = Uint32Array.from(order);
    this.activeCount = n;
    for (let i = 0; i < n; i++) this.open0(i, start);
  }

  // The opening trade: a small gap from the close, a first volume, a book around it.
  private open0(i: number, start: number): void {
    const rng = this.rng;
    const t = this.tick[i]!;
    const close = this.closeA[i]!;
    const gapTicks = Math.round((rng.float() * 2 - 1) * Math.min(this.sigma[i]! * 4, (close * 0.01) / t));
    const p = Math.min(this.ucA[i]!, Math.max(this.lcA[i]!, close + gapTicks * t));
    const lot = this.lot[i]!;
    this.ltpA[i] = this.openA[i] = this.highA[i] = this.lowA[i] = this.apA[i] = this.avgF[i] = p;
    const q = lot * rng.range(1, 50);
    this.lastQtyA[i] = q;
    this.volA[i] = q;
    this.changeBpA[i] = Math.round(((p - close) * 10000) / close);
    const fo = this.seg[i] === SEG_FUT || this.seg[i] === SEG_OPT;
    this.poiA[i] = fo ? lot * rng.range(100, 20000) : 0;
    this.oiA[i] = this.poiA[i]!;
    this.tbqA[i] = lot * rng.range(100, 5000);
    this.tsqA[i] = lot * rng.range(100, 5000);
    this.exchMs[i] = this.tradeMs[i] = start;
    const s = rng.range(1, MAX_SPREAD_TICKS);
    this.spread[i] = s;
    this.bid1[i] = Math.max(t, p - rng.range(0, s) * t);
    for (let k = 0; k < LEVELS; k++) {
      const j = i * LEVELS + k;
      this.bq[j] = lot * rng.range(1, 200);
      this.aq[j] = lot * rng.range(1, 200);
      this.bo[j] = 1 + ((this.bq[j]! / lot) >>> 3);
      this.ao[j] = 1 + ((this.aq[j]! / lot) >>> 3);
    }
  }

  // ─── lookups ───────────────────────────────────────────────────────────────────────────

  /** Index of the instrument the broker calls (brokerExchange, token), or -1. */
  indexOfToken(brokerExchange: string, token: string): number {
    return this.byToken.get(`${brokerExchange}|${token}`) ?? -1;
  }

  /** Index of the instrument tickwire calls (exchange, symbol), or -1. */
  indexOfSymbol(exchange: string, symbol: string): number {
    return this.bySymbol.get(`${exchange}:${symbol}`) ?? -1;
  }

  /** Scaled tick size of instrument `i`. */
  tickOf(i: number): number {
    return this.tick[this.idx(i, "tickOf")]!;
  }

  /** Last price of instrument `i` (scaled). */
  lastPrice(i: number): number {
    return this.ltpA[this.idx(i, "lastPrice")]!;
  }

  /** Cumulative volume of instrument `i`. */
  volume(i: number): number {
    return this.volA[this.idx(i, "volume")]!;
  }

  /** Open interest of instrument `i` (0 for EQ and INDEX). */
  openInterest(i: number): number {
    return this.oiA[this.idx(i, "openInterest")]!;
  }

  /** Trades of instrument `i` so far (mod 2^32): changes with every step. */
  version(i: number): number {
    return this.ver[this.idx(i, "version")]!;
  }

  /** The whole state of instrument `i`, as a new object (control plane: allocates). */
  quote(i: number): SimQuote {
    this.idx(i, "quote");
    const levels = (q: Uint32Array, o: Uint32Array, bid: boolean): SimLevel[] => Array.from({ length: LEVELS }, (_, k) => {
      const price = this.levelPrice(i, k, bid);
      return price > 0 ? { price, quantity: q[i * LEVELS + k]!, orders: o[i * LEVELS + k]! } : { price: 0, quantity: 0, orders: 0 };
    });
    return {
      ltp: this.ltpA[i]!, open: this.openA[i]!, high: this.highA[i]!, low: this.lowA[i]!, close: this.closeA[i]!,
      averagePrice: this.apA[i]!, lastQuantity: this.lastQtyA[i]!, volume: this.volA[i]!, oi: this.oiA[i]!, previousOi: this.poiA[i]!,
      totalBuyQuantity: this.tbqA[i]!, totalSellQuantity: this.tsqA[i]!, upperCircuit: this.ucA[i]!, lowerCircuit: this.lcA[i]!,
      changeBp: this.changeBpA[i]!, exchangeTimeMs: this.exchMs[i]!, lastTradeTimeMs: this.tradeMs[i]!,
      bids: levels(this.bq, this.bo, true), asks: levels(this.aq, this.ao, false),
    };
  }

  /** Price of level k (0 = best) of the book, 0 for an empty level. */
  private levelPrice(i: number, k: number, bid: boolean): number {
    const t = this.tick[i]!;
    if (!bid) return this.bid1[i]! + (this.spread[i]! + k) * t;
    const p = this.bid1[i]! - k * t;
    return p >= t ? p : 0;
  }

  private idx(i: number, op: string): number {
    if (typeof i !== "number" || !(i >= 0 && i < this.size) || !Number.isInteger(i)) notIndex(i, this.size, op);
    return i;
  }

  // ─── picking and bursts ──────────────────────────────────────────────────────────────

  /**
   * Restricts {@link pick} to `indices` (the instruments somebody subscribed), kept in hot
   * order. Duplicates are ignored; an empty set makes pick() return -1.
   */
  setActive(indices: Iterable<number>): void {
    if (indices === null || typeof indices !== "object" || typeof (indices as Iterable<number>)[Symbol.iterator] !== "function") {
      throw new TickwireError("ARGUMENT", `SimulatedMarket.setActive: indices must be an iterable of instrument indices, got ${describe(indices)}`);
    }
    const seen = new Uint8Array(this.size);
    const list: number[] = [];
    for (const i of indices) {
      this.idx(i, "setActive");
      if (seen[i]) continue;
      seen[i] = 1;
      list.push(i);
    }
    list.sort((a, b) => this.rankOf[a]! - this.rankOf[b]!);
    this.active = Uint32Array.from(list);
    this.activeCount = list.length;
  }

  /** Instruments {@link pick} chooses among. */
  get activeSize(): number {
    return this.activeCount;
  }

  /** The next instrument to trade among the active ones, skewed to the hot ones; -1 when none is active. */
  pick(): number {
    const m = this.activeCount;
    if (m === 0) return -1;
    const u = this.rng.float();
    let x = u;
    for (let k = this.skew; k > 1; k--) x *= u;
    return this.active[Math.floor(x * m)]!;
  }

  /**
   * A burst of activity, like the market open: the rate {@link rateAt} reports starts at
   * `factor` (1..1000) at `nowMs` and falls linearly back to 1 over `durationMs`.
   */
  burst(factor: number, durationMs: number, nowMs: number = Date.now()): void {
    if (typeof factor !== "number" || !(factor >= 1 && factor <= 1000)) throw new TickwireError("ARGUMENT", `SimulatedMarket.burst: factor must be a number from 1 to 1000, got ${describe(factor)}`);
    checkInt(durationMs, 0, 86_400_000, "SimulatedMarket.burst: durationMs");
    if (typeof nowMs !== "number" || !Number.isFinite(nowMs)) throw new TickwireError("ARGUMENT", `SimulatedMarket.burst: nowMs must be a finite number, got ${describe(nowMs)}`);
    this.burstFactor = factor;
    this.burstStart = nowMs;
    this.burstEnd = nowMs + durationMs;
  }

  /** The rate multiplier at `nowMs`: 1, or more during a {@link burst}. Pacers multiply their rate by it. */
  rateAt(nowMs: number = Date.now()): number {
    if (!(nowMs < this.burstEnd) || nowMs < this.burstStart) return 1;
    return 1 + ((this.burstFactor - 1) * (this.burstEnd - nowMs)) / (this.burstEnd - this.burstStart);
  }

  // ─── trading ─────────────────────────────────────────────────────────────────────────

  /**
   * One trade of instrument `i` at time `nowMs` (ms since the epoch; feed and trade time).
   * Returns the {@link SimChange} bits of what changed.
   */
  step(i: number, nowMs: number): number {
    this.idx(i, "step");
    if (typeof nowMs !== "number" || !Number.isSafeInteger(nowMs) || nowMs < 0) {
      throw new TickwireError("ARGUMENT", `SimulatedMarket.step: nowMs must be a non-negative safe integer, got ${describe(nowMs)}`);
    }
    return this.trade(i, nowMs);
  }

  private trade(i: number, now: number): number {
    const rng = this.rng;
    const t = this.tick[i]!;
    const prev = this.ltpA[i]!;
    const close = this.closeA[i]!;
    let changed = SimChange.VOLUME | SimChange.TOP;

    // The move: triangular on (-1, 1) (sd 0.41) scaled to sigma ticks, minus a pull to the close.
    const r = rng.next();
    const tri = ((r & 0xffff) + (r >>> 16)) * TWO_NEG_16 - 1;
    const move = Math.round(tri * this.sigma[i]! * 2.45 - ((prev - close) / t) * REVERT);
    let p = prev + move * t;
    if (p > this.ucA[i]!) p = this.ucA[i]!;
    else if (p < this.lcA[i]!) p = this.lcA[i]!;
    if (p !== prev) {
      changed |= SimChange.LTP;
      this.ltpA[i] = p;
      if (p > this.highA[i]!) { this.highA[i] = p; changed |= SimChange.HIGH_LOW; }
      else if (p < this.lowA[i]!) { this.lowA[i] = p; changed |= SimChange.HIGH_LOW; }
      const bp = Math.round(((p - close) * 10000) / close);
      if (bp !== this.changeBpA[i]) { this.changeBpA[i] = bp; changed |= SimChange.CHANGE_PERCENT; }
    }

    // Quantity (few lots, skewed small), volume, VWAP, book totals, open interest.
    const r2 = rng.next();
    const lot = this.lot[i]!;
    const q = lot * (1 + (((r2 & 0xff) * ((r2 >>> 8) & 0xf)) >>> 6));
    if (q !== this.lastQtyA[i]) { this.lastQtyA[i] = q; changed |= SimChange.LAST_QTY; }
    const vol = this.volA[i]! + q;
    this.volA[i] = vol;
    const avg = this.avgF[i]! + ((p - this.avgF[i]!) * q) / vol;
    this.avgF[i] = avg;
    const ap = Math.round(avg);
    if (ap !== this.apA[i]) { this.apA[i] = ap; changed |= SimChange.AVG_PRICE; }
    const tb = this.tbqA[i]! + lot * (((r2 >>> 12) & 31) - 15);
    const ts = this.tsqA[i]! + lot * (((r2 >>> 17) & 31) - 15);
    this.tbqA[i] = tb > lot ? tb : lot;
    this.tsqA[i] = ts > lot ? ts : lot;
    changed |= SimChange.TOTALS;
    const s = this.seg[i]!;
    if ((s === SEG_FUT || s === SEG_OPT) && (r2 >>> 30) === 0) {
      this.oiA[i] = this.oiA[i]! + lot * (1 + ((r2 >>> 22) & 7));
      changed |= SimChange.OI;
    }

    // The book: the trade took the ask (price up, or a coin at the same price) or hit the bid.
    const r3 = rng.next();
    let spread = this.spread[i]!;
    if ((r3 & 7) === 0) spread = this.spread[i] = 1 + ((r3 >>> 3) % MAX_SPREAD_TICKS);
    const buy = p > prev || (p === prev && (r3 & 8) !== 0);
    let b1 = buy ? p - spread * t : p;
    if (b1 < t) b1 = t;
    if (b1 !== this.bid1[i]) { this.bid1[i] = b1; changed |= SimChange.DEPTH; }
    const j = i * LEVELS;
    const bl = 1 + ((r3 >>> 8) & 63);
    const al = 1 + ((r3 >>> 14) & 63);
    this.bq[j] = lot * bl;
    this.bo[j] = 1 + (bl >>> 3);
    this.aq[j] = lot * al;
    this.ao[j] = 1 + (al >>> 3);
    if ((r3 & 0x100000) !== 0) {
      const k = j + 1 + ((r3 >>> 21) & 3);
      const ql = 1 + ((r3 >>> 24) & 127);
      if ((r3 & 0x800000) !== 0) { this.bq[k] = lot * ql; this.bo[k] = 1 + (ql >>> 3); }
      else { this.aq[k] = lot * ql; this.ao[k] = 1 + (ql >>> 3); }
      changed |= SimChange.DEPTH;
    }

    if (now !== this.exchMs[i]) changed |= SimChange.TIME;
    this.exchMs[i] = now;
    this.tradeMs[i] = now;
    this.ver[i] = (this.ver[i]! + 1) | 0;
    return changed;
  }

  // ─── tick records ──────────────────────────────────────────────────────────────────────

  /**
   * Writes instrument `i`'s state as a record of `kind` (1 LTP, 2 QUOTE, 3 DEPTH) at `offset`
   * of `buffer` (8-aligned, room for the record) and returns its bytes (64, 192 or 384).
   * Every byte of the record is written (reserved ones 0); exchange and priceDecimals are the
   * row's, `symbolId` must be the id the symbol table gave (exchange, symbol, priceDecimals).
   * In a DEPTH record level 0 of the book is the best bid/ask.
   */
  writeRecord(i: number, kind: number, buffer: ArrayBufferLike, offset: number, symbolId: number, seq: number, recvTimeNs: number): number {
    this.idx(i, "writeRecord");
    checkInt(kind, KIND_LTP, KIND_DEPTH, "SimulatedMarket.writeRecord: kind", "KIND");
    this.bind(buffer, "writeRecord");
    const bytes = kind === KIND_LTP ? LTP_BYTES : kind === KIND_QUOTE ? QUOTE_BYTES : DEPTH_BYTES;
    if (typeof offset !== "number" || !Number.isInteger(offset) || offset < 0 || (offset & 7) !== 0 || offset + bytes > buffer.byteLength) {
      throw new TickwireError("ARGUMENT", `SimulatedMarket.writeRecord: offset must be an 8-aligned integer with room for ${bytes} bytes in the buffer (${buffer.byteLength}), got ${describe(offset)}`);
    }
    checkInt(symbolId, 0, 0xffffffff, "SimulatedMarket.writeRecord: symbolId", "SYMBOL");
    checkInt(seq, 0, Number.MAX_SAFE_INTEGER, "SimulatedMarket.writeRecord: seq");
    checkInt(recvTimeNs, 0, Number.MAX_SAFE_INTEGER, "SimulatedMarket.writeRecord: recvTimeNs");
    return this.put(i, kind, offset >>> 2, symbolId, seq, recvTimeNs);
  }

  /**
   * The in-process feed's hot loop: up to `maxTicks` trades of instruments {@link pick} chooses,
   * each written as a record of the mode `modes[i]` (1..3; an instrument of mode 0 is skipped
   * without trading) with `symbolIds[i]` and seq `++seqs[i]`, back to back from `offset` of
   * `buffer` while they fit in `bytes`. Feed and trade time `nowMs`; receive time `recvTimeNs`
   * for the first record and `recvStepNs` more for each next one (a paced feed stamps each tick
   * with when it fell due). Returns the bytes written; {@link ticksWritten} holds the records.
   */
  writeTicks(buffer: ArrayBufferLike, offset: number, bytes: number, maxTicks: number, modes: Uint8Array, symbolIds: Uint32Array, seqs: Float64Array, nowMs: number, recvTimeNs: number, recvStepNs = 0): number {
    this.bind(buffer, "writeTicks");
    if (typeof offset !== "number" || !Number.isInteger(offset) || offset < 0 || (offset & 7) !== 0) throw new TickwireError("ARGUMENT", `SimulatedMarket.writeTicks: offset must be an 8-aligned non-negative integer, got ${describe(offset)}`);
    checkInt(bytes, 0, buffer.byteLength - offset, "SimulatedMarket.writeTicks: bytes (within the buffer)");
    checkInt(maxTicks, 0, 2 ** 31 - 1, "SimulatedMarket.writeTicks: maxTicks");
    const n = this.size;
    if (!(modes instanceof Uint8Array) || modes.length < n) throw new TickwireError("ARGUMENT", `SimulatedMarket.writeTicks: modes must be a Uint8Array of at least ${n} entries`);
    if (!(symbolIds instanceof Uint32Array) || symbolIds.length < n) throw new TickwireError("ARGUMENT", `SimulatedMarket.writeTicks: symbolIds must be a Uint32Array of at least ${n} entries`);
    if (!(seqs instanceof Float64Array) || seqs.length < n) throw new TickwireError("ARGUMENT", `SimulatedMarket.writeTicks: seqs must be a Float64Array of at least ${n} entries`);
    checkInt(nowMs, 0, 8.64e15, "SimulatedMarket.writeTicks: nowMs");
    checkInt(recvTimeNs, 0, Number.MAX_SAFE_INTEGER, "SimulatedMarket.writeTicks: recvTimeNs");
    if (typeof recvStepNs !== "number" || !Number.isFinite(recvStepNs) || recvStepNs < 0 || recvTimeNs + recvStepNs * maxTicks > Number.MAX_SAFE_INTEGER) {
      throw new TickwireError("ARGUMENT", `SimulatedMarket.writeTicks: recvStepNs must be a finite number ≥ 0 keeping every stamp a safe integer, got ${describe(recvStepNs)}`);
    }
    let at = offset;
    const end = offset + bytes;
    let ticks = 0;
    let skipped = 0;
    while (ticks < maxTicks && this.activeCount > 0) {
      const i = this.pick();
      const mode = modes[i]!;
      if (mode === 0) {
        // Active but not streamed (the caller's set is stale): skip, and stop if that is all there is.
        if (++skipped > 4096) break;
        continue;
      }
      const size = mode === KIND_LTP ? LTP_BYTES : mode === KIND_QUOTE ? QUOTE_BYTES : DEPTH_BYTES;
      if (at + size > end || mode > KIND_DEPTH) break;
      this.trade(i, nowMs);
      const seq = seqs[i]! + 1;
      seqs[i] = seq;
      at += this.put(i, mode, at >>> 2, symbolIds[i]!, seq, recvStepNs === 0 ? recvTimeNs : Math.round(recvTimeNs + ticks * recvStepNs));
      ticks++;
    }
    this.ticksWritten = ticks;
    return at - offset;
  }

  private bind(buffer: ArrayBufferLike, op: string): void {
    if (buffer === this.buf) return;
    if (!(buffer instanceof ArrayBuffer) && !(typeof SharedArrayBuffer !== "undefined" && buffer instanceof SharedArrayBuffer)) {
      throw new TickwireError("ARGUMENT", `SimulatedMarket.${op}: buffer must be an ArrayBuffer or SharedArrayBuffer (mem.buffer), got ${describe(buffer)}`);
    }
    this.u32 = new Uint32Array(buffer, 0, buffer.byteLength >>> 2);
    this.i32 = new Int32Array(buffer, 0, buffer.byteLength >>> 2);
    this.buf = buffer;
  }

  // Writes record words from w (= byte offset / 4). Every value is a non-negative integer below
  // 2^53 except changeBp: the low word is ToUint32(v) (v mod 2^32), the high one v / 2^32 truncated.
  private put(i: number, kind: number, w: number, symbolId: number, seq: number, recv: number): number {
    const u = this.u32;
    const bytes = kind === KIND_LTP ? LTP_BYTES : kind === KIND_QUOTE ? QUOTE_BYTES : DEPTH_BYTES;
    u[w] = bytes | (kind << 16) | VERSION_WORD;
    u[w + 1] = symbolId;
    u[w + 2] = seq >>> 0; u[w + 3] = (seq / TWO_32) >>> 0;
    u[w + 4] = recv >>> 0; u[w + 5] = (recv / TWO_32) >>> 0;
    u[w + 6] = this.exch[i]! | (this.dec[i]! << 8); // flags 0
    u[w + 7] = this.lastQtyA[i]!;
    let v = this.ltpA[i]!; u[w + 8] = v >>> 0; u[w + 9] = (v / TWO_32) >>> 0;
    v = this.exchMs[i]!; u[w + 10] = v >>> 0; u[w + 11] = (v / TWO_32) >>> 0;
    v = this.tradeMs[i]!; u[w + 12] = v >>> 0; u[w + 13] = (v / TWO_32) >>> 0;
    this.i32[w + 14] = this.changeBpA[i]!;
    u[w + 15] = 0;
    if (kind === KIND_LTP) return bytes;
    v = this.apA[i]!; u[w + 16] = v >>> 0; u[w + 17] = (v / TWO_32) >>> 0;
    v = this.openA[i]!; u[w + 18] = v >>> 0; u[w + 19] = (v / TWO_32) >>> 0;
    v = this.highA[i]!; u[w + 20] = v >>> 0; u[w + 21] = (v / TWO_32) >>> 0;
    v = this.lowA[i]!; u[w + 22] = v >>> 0; u[w + 23] = (v / TWO_32) >>> 0;
    v = this.closeA[i]!; u[w + 24] = v >>> 0; u[w + 25] = (v / TWO_32) >>> 0;
    v = this.volA[i]!; u[w + 26] = v >>> 0; u[w + 27] = (v / TWO_32) >>> 0;
    v = this.oiA[i]!; u[w + 28] = v >>> 0; u[w + 29] = (v / TWO_32) >>> 0;
    const t = this.tick[i]!;
    const b1 = this.bid1[i]!;
    const a1 = b1 + this.spread[i]! * t;
    u[w + 30] = b1 >>> 0; u[w + 31] = (b1 / TWO_32) >>> 0;
    u[w + 32] = a1 >>> 0; u[w + 33] = (a1 / TWO_32) >>> 0;
    const j = i * LEVELS;
    u[w + 34] = this.bq[j]!;
    u[w + 35] = this.aq[j]!;
    v = this.tbqA[i]!; u[w + 36] = v >>> 0; u[w + 37] = (v / TWO_32) >>> 0;
    v = this.tsqA[i]!; u[w + 38] = v >>> 0; u[w + 39] = (v / TWO_32) >>> 0;
    v = this.ucA[i]!; u[w + 40] = v >>> 0; u[w + 41] = (v / TWO_32) >>> 0;
    v = this.lcA[i]!; u[w + 42] = v >>> 0; u[w + 43] = (v / TWO_32) >>> 0;
    u[w + 44] = 0; u[w + 45] = 0; u[w + 46] = 0; u[w + 47] = 0;
    if (kind === KIND_QUOTE) return bytes;
    // Levels: {i64 price, u32 qty, u32 orders}, bids from word 48, asks from word 68.
    for (let k = 0; k < LEVELS; k++) {
      const bw = w + 48 + k * 4;
      const p = b1 - k * t;
      if (p >= t) {
        u[bw] = p >>> 0; u[bw + 1] = (p / TWO_32) >>> 0; u[bw + 2] = this.bq[j + k]!; u[bw + 3] = this.bo[j + k]!;
      } else {
        u[bw] = 0; u[bw + 1] = 0; u[bw + 2] = 0; u[bw + 3] = 0;
      }
      const aw = w + 68 + k * 4;
      const a = a1 + k * t;
      u[aw] = a >>> 0; u[aw + 1] = (a / TWO_32) >>> 0; u[aw + 2] = this.aq[j + k]!; u[aw + 3] = this.ao[j + k]!;
    }
    for (let k = w + 88; k < w + 96; k++) u[k] = 0;
    return bytes;
  }

  // ─── Noren JSON ────────────────────────────────────────────────────────────────────────

  /** A fresh per-stream record of the values sent (for {@link norenTouchline} / {@link norenDepth}). */
  norenSentState(): NorenSentState {
    return new Array<string | undefined>(FIELD_COUNT).fill(undefined);
  }

  /** Value fields (besides `t e tk` and the snapshot's `ts pp ti ls`) in the last frame rendered. */
  get lastFrameFields(): number {
    return this.lastFields;
  }

  /**
   * Instrument `i`'s touchline as a Noren frame: `full` a `tk` (every field), else a `tf`
   * with only the fields whose text differs from `sent` (the values this stream last carried;
   * without `sent`, the market keeps one per instrument). `sent` is updated to what the frame
   * carries. Values are JSON strings: prices with exactly pp decimals, `ltt` "HH:MM:SS" IST,
   * `ft` epoch seconds; `oi poi toi` only for futures and options.
   */
  norenTouchline(i: number, full: boolean, sent?: NorenSentState): string {
    return this.noren(i, full, sent, false);
  }

  /** Instrument `i`'s depth as a Noren frame: `dk` (full) or `df` (changed fields only), as {@link norenTouchline}. */
  norenDepth(i: number, full: boolean, sent?: NorenSentState): string {
    return this.noren(i, full, sent, true);
  }

  private noren(i: number, full: boolean, sent: NorenSentState | undefined, depth: boolean): string {
    this.idx(i, depth ? "norenDepth" : "norenTouchline");
    if (typeof full !== "boolean") throw new TickwireError("ARGUMENT", `SimulatedMarket.noren${depth ? "Depth" : "Touchline"}: full must be a boolean, got ${describe(full)}`);
    let last = sent;
    if (last === undefined) {
      const key = depth ? -1 - i : i;
      last = this.internalSent.get(key);
      if (last === undefined) this.internalSent.set(key, (last = this.norenSentState()));
    } else if (!Array.isArray(last) || last.length !== FIELD_COUNT) {
      throw new TickwireError("ARGUMENT", "SimulatedMarket.noren: sent must come from norenSentState()");
    }
    const cur = this.render(i);
    const fields = depth ? DEPTH_FIELDS : TOUCHLINE_FIELDS;
    let s = `{"t":"${depth ? (full ? "dk" : "df") : full ? "tk" : "tf"}"${this.headText[i]}`;
    if (full) s += this.snapText[i];
    let count = 0;
    for (let k = 0; k < fields.length; k++) {
      const f = fields[k]!;
      const v = cur[f];
      if (v === undefined || (!full && last[f] === v)) continue;
      s += FIELD_PREFIX[f] + v + '"';
      last[f] = v;
      count++;
    }
    this.lastFields = count;
    return s + "}";
  }

  // Every field's text for instrument i at its current version (cached: one instrument at a time).
  private render(i: number): (string | undefined)[] {
    const cur = this.cur;
    if (this.curIndex === i && this.curVersion === this.ver[i]) return cur;
    const d = this.dec[i]!;
    const t = this.tick[i]!;
    cur[F_LP] = fmtPrice(this.ltpA[i]!, d);
    cur[F_PC] = fmtPercent(this.changeBpA[i]!);
    cur[F_V] = String(this.volA[i]);
    cur[F_O] = fmtPrice(this.openA[i]!, d);
    cur[F_H] = fmtPrice(this.highA[i]!, d);
    cur[F_L] = fmtPrice(this.lowA[i]!, d);
    cur[F_C] = fmtPrice(this.closeA[i]!, d);
    cur[F_AP] = fmtPrice(this.apA[i]!, d);
    const fo = this.seg[i] === SEG_FUT || this.seg[i] === SEG_OPT;
    cur[F_OI] = fo ? String(this.oiA[i]) : undefined;
    cur[F_POI] = fo ? String(this.poiA[i]) : undefined;
    cur[F_TOI] = fo ? String(this.oiA[i]) : undefined;
    cur[F_LTQ] = String(this.lastQtyA[i]);
    cur[F_LTT] = istClock(this.tradeMs[i]!);
    cur[F_FT] = String(Math.floor(this.exchMs[i]! / 1000));
    cur[F_TBQ] = String(this.tbqA[i]);
    cur[F_TSQ] = String(this.tsqA[i]);
    cur[F_UC] = fmtPrice(this.ucA[i]!, d);
    cur[F_LC] = fmtPrice(this.lcA[i]!, d);
    const b1 = this.bid1[i]!;
    const a1 = b1 + this.spread[i]! * t;
    const j = i * LEVELS;
    for (let k = 0; k < LEVELS; k++) {
      const bp = b1 - k * t;
      const has = bp >= t;
      cur[F_BP + k] = fmtPrice(has ? bp : 0, d);
      cur[F_BQ + k] = has ? String(this.bq[j + k]) : "0";
      cur[F_BO + k] = has ? String(this.bo[j + k]) : "0";
      cur[F_SP + k] = fmtPrice(a1 + k * t, d);
      cur[F_SQ + k] = String(this.aq[j + k]);
      cur[F_SO + k] = String(this.ao[j + k]);
    }
    this.curIndex = i;
    this.curVersion = this.ver[i]!;
    return cur;
  }
}

function notIndex(i: unknown, size: number, op: string): never {
  throw new TickwireError("ARGUMENT", `SimulatedMarket.${op}: instrument index must be an integer from 0 to ${size - 1}, got ${describe(i)}`);
}
