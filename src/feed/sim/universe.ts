// The simulated exchange's instrument universe: a deterministic, realistic mix of
// NSE/BSE equities, indices, NFO/BFO futures and options, MCX commodities and CDS
// currency derivatives, as symbol-master rows (InstrumentRow) plus the few facts the
// market needs to simulate them (segment, underlying, a previous close).
import { TickwireError } from "../../errors.js";
import type { ExchangeName } from "../../format/exchange.js";
import { SYMBOL_MAX_BYTES } from "../../format/layout.js";
import { checkInt, checkOptions } from "../../validate.js";
import type { InstrumentRow } from "../contract.js";
import { Prng, checkSeed } from "./prng.js";

/** What kind of instrument a row is, for the simulation. */
export type SimSegment = "EQ" | "INDEX" | "FUT" | "OPT";

/** A universe row: an InstrumentRow plus what the market simulates it from. */
export interface SimInstrumentRow extends InstrumentRow {
  readonly segment: SimSegment;
  /** The Noren master's `Instrument` column: EQ, INDEX, FUTIDX, FUTSTK, OPTIDX, OPTSTK, FUTCOM, OPTFUT, FUTCUR, OPTCUR. */
  readonly instrument: string;
  /** The Noren master's `Symbol` column: the underlying's name ("NIFTY", "RELIANCE"). */
  readonly underlying: string;
  /** Previous close, as a scaled integer at priceDecimals (a multiple of the tick). */
  readonly basePrice: number;
}

/** Options of {@link createUniverse}. */
export interface UniverseOptions {
  /** Seed, an integer from 0 to 2^32 - 1. Default 1. */
  seed?: number;
  /** Number of instruments, 1 to 100 000. Default 3000. */
  instruments?: number;
}

/** Most instruments a universe holds. */
export const MAX_UNIVERSE = 100_000;

const POW10 = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9];
const MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];

interface IndexSpec { exchange: ExchangeName; broker: string; token: string; symbol: string; brokerSymbol: string; price: number }
// Real Noren tokens of the main indices (NSE|26000 is Nifty 50, NSE|26009 Bank Nifty: ShoonyaApi-py README).
const INDICES: readonly IndexSpec[] = [
  { exchange: "NSE_INDEX", broker: "NSE", token: "26000", symbol: "NIFTY", brokerSymbol: "Nifty 50", price: 24150 },
  { exchange: "NSE_INDEX", broker: "NSE", token: "26009", symbol: "BANKNIFTY", brokerSymbol: "Nifty Bank", price: 52300 },
  { exchange: "BSE_INDEX", broker: "BSE", token: "1", symbol: "SENSEX", brokerSymbol: "SENSEX", price: 79800 },
  { exchange: "NSE_INDEX", broker: "NSE", token: "26037", symbol: "FINNIFTY", brokerSymbol: "Nifty Fin Service", price: 23600 },
  { exchange: "NSE_INDEX", broker: "NSE", token: "26074", symbol: "MIDCPNIFTY", brokerSymbol: "NIFTY MID SELECT", price: 12450 },
  { exchange: "NSE_INDEX", broker: "NSE", token: "26017", symbol: "INDIAVIX", brokerSymbol: "India VIX", price: 14.5 },
  { exchange: "NSE_INDEX", broker: "NSE", token: "26013", symbol: "NIFTYNXT50", brokerSymbol: "Nifty Next 50", price: 68200 },
  { exchange: "BSE_INDEX", broker: "BSE", token: "12", symbol: "BANKEX", brokerSymbol: "BANKEX", price: 58100 },
];

interface Underlying { name: string; price: number; tick: number; decimals: number; lot: number; step: number; index: boolean }
const INDEX_DERIVS: Readonly<Record<string, { lot: number; step: number }>> = {
  NIFTY: { lot: 75, step: 50 }, BANKNIFTY: { lot: 35, step: 100 }, FINNIFTY: { lot: 65, step: 50 }, MIDCPNIFTY: { lot: 140, step: 25 },
};
const BSE_INDEX_DERIVS: Readonly<Record<string, { lot: number; step: number }>> = { SENSEX: { lot: 20, step: 100 }, BANKEX: { lot: 30, step: 100 } };
const COMMODITIES: readonly Underlying[] = [
  { name: "CRUDEOIL", price: 5820, tick: 1, decimals: 2, lot: 100, step: 50, index: false },
  { name: "GOLD", price: 76150, tick: 1, decimals: 2, lot: 1, step: 100, index: false },
  { name: "SILVER", price: 90400, tick: 1, decimals: 2, lot: 30, step: 250, index: false },
  { name: "NATURALGAS", price: 251.3, tick: 0.1, decimals: 2, lot: 1250, step: 5, index: false },
  { name: "COPPER", price: 801.45, tick: 0.05, decimals: 2, lot: 2500, step: 5, index: false },
  { name: "CRUDEOILM", price: 5821, tick: 1, decimals: 2, lot: 10, step: 50, index: false },
  { name: "GOLDM", price: 76120, tick: 1, decimals: 2, lot: 10, step: 100, index: false },
  { name: "SILVERM", price: 90380, tick: 1, decimals: 2, lot: 5, step: 250, index: false },
  { name: "ZINC", price: 262.15, tick: 0.05, decimals: 2, lot: 5000, step: 2, index: false },
  { name: "ALUMINIUM", price: 231.6, tick: 0.05, decimals: 2, lot: 5000, step: 2, index: false },
  { name: "LEAD", price: 181.35, tick: 0.05, decimals: 2, lot: 5000, step: 1, index: false },
  { name: "NATGASMINI", price: 251.2, tick: 0.1, decimals: 2, lot: 250, step: 5, index: false },
];
const CURRENCIES: readonly Underlying[] = [
  { name: "USDINR", price: 84.5125, tick: 0.0025, decimals: 4, lot: 1, step: 1, index: false },
  { name: "EURINR", price: 90.2175, tick: 0.0025, decimals: 4, lot: 1, step: 1, index: false },
  { name: "GBPINR", price: 106.81, tick: 0.0025, decimals: 4, lot: 1, step: 1, index: false },
  { name: "JPYINR", price: 56.3025, tick: 0.0025, decimals: 4, lot: 1, step: 1, index: false },
];
const RESERVED = new Set([...INDICES.map((i) => i.symbol), ...COMMODITIES.map((c) => c.name), ...CURRENCIES.map((c) => c.name)]);

const CONSONANTS = "BCDGHJKLMNPRSTVY";
const VOWELS = "AEIOU";
const SUFFIXES = ["IND", "TECH", "FIN", "POWER", "PHARMA", "BANK", "AUTO", "CHEM", "INFRA", "STEEL", "LABS", "SOFT", "TEX", "CEM"];
const STOCK_LOTS = [250, 300, 400, 500, 550, 600, 700, 750, 1000, 1100, 1200, 1500, 2000, 2500, 3000];
// Native token ranges per broker exchange (Noren's are of these magnitudes); collisions across
// exchanges are then also forced on purpose, since real tokens collide.
const TOKEN_RANGES: Readonly<Record<string, [number, number]>> = {
  NSE: [1, 99999], BSE: [500000, 599999], NFO: [35000, 99999], BFO: [800000, 899999], MCX: [200000, 499999], CDS: [1000, 19999],
};
const COLLIDE_P = 0.12;

/**
 * A deterministic instrument universe of `instruments` rows (default 3000, up to 100 000)
 * from `seed` (default 1): a few indices (NSE_INDEX, BSE_INDEX), NSE and BSE equities
 * (2 decimals, tick 0.05 or 0.01; names generated from syllables), NFO and BFO futures and
 * options ("NIFTY27JAN26FUT", "NIFTY27JAN2624000CE"), MCX commodity futures and options and
 * CDS currency derivatives (4 decimals, tick 0.0025). Symbols are unique within their
 * exchange, at most 56 UTF-8 bytes of [A-Z0-9_&-]; tokens are unique within their broker
 * exchange, and some token numbers deliberately recur across broker exchanges (as real
 * ones do). The same options always give the same rows.
 */
export function createUniverse(options?: UniverseOptions): SimInstrumentRow[] {
  const o = checkOptions<UniverseOptions>(options, "createUniverse: options");
  const seed = checkSeed(o.seed ?? 1, "createUniverse: seed");
  const n = checkInt(o.instruments ?? 3000, 1, MAX_UNIVERSE, "createUniverse: instruments");
  return new UniverseBuilder(seed, n).build();
}

class UniverseBuilder {
  private readonly rng: Prng;
  private readonly rows: SimInstrumentRow[] = [];
  private readonly symbols = new Set<string>(); // "EXCHANGE|SYMBOL"
  private readonly tokens = new Map<string, Set<number>>(); // broker exchange -> tokens used
  private readonly used: { broker: string; token: number }[] = [];
  private readonly forced = new Set<string>();

  constructor(seed: number, private readonly n: number) {
    this.rng = new Prng(seed);
  }

  build(): SimInstrumentRow[] {
    const n = this.n;
    const indexCount = Math.min(INDICES.length, Math.max(1, Math.round(n * 0.01)), n);
    for (let i = 0; i < indexCount; i++) this.addIndex(INDICES[i]!);
    const rest = n - indexCount;
    const share = (f: number): number => Math.floor(rest * f);
    const bse = share(0.1);
    const nfo = share(0.36);
    const bfo = share(0.03);
    const mcx = share(0.07);
    const cds = share(0.06);
    const nse = rest - bse - nfo - bfo - mcx - cds;
    const equities = this.addEquities(nse);
    this.addBseEquities(bse, equities);
    const nseUnderlyings: Underlying[] = [];
    for (const spec of INDICES) {
      const d = INDEX_DERIVS[spec.symbol];
      if (d) nseUnderlyings.push({ name: spec.symbol, price: spec.price, tick: 0.05, decimals: 2, lot: d.lot, step: d.step, index: true });
    }
    for (const e of equities.slice(0, 180)) nseUnderlyings.push(e);
    this.addDerivatives(nfo, "NFO", "NFO", nseUnderlyings, "NSE");
    const bseUnderlyings: Underlying[] = INDICES.filter((s) => BSE_INDEX_DERIVS[s.symbol]).map((s) => ({
      name: s.symbol, price: s.price, tick: 0.05, decimals: 2, lot: BSE_INDEX_DERIVS[s.symbol]!.lot, step: BSE_INDEX_DERIVS[s.symbol]!.step, index: true,
    }));
    this.addDerivatives(bfo, "BFO", "BFO", bseUnderlyings, "NSE");
    this.addDerivatives(mcx, "MCX", "MCX", COMMODITIES, "MCX");
    this.addDerivatives(cds, "CDS", "CDS", CURRENCIES, "CDS");
    if (this.rows.length !== n) throw new TickwireError("ARGUMENT", `createUniverse: built ${this.rows.length} rows for ${n} (a bug)`);
    return this.rows;
  }

  private addIndex(spec: IndexSpec): void {
    this.take(spec.broker, Number(spec.token));
    this.push({
      exchange: spec.exchange, symbol: spec.symbol, brokerExchange: spec.broker, token: spec.token, brokerSymbol: spec.brokerSymbol,
      priceDecimals: 2, tickSize: 0.05, lotSize: 1, segment: "INDEX", instrument: "INDEX", underlying: spec.symbol,
      basePrice: toScaled(spec.price, 0.05, 2),
    });
  }

  private addEquities(count: number): Underlying[] {
    const out: Underlying[] = [];
    for (let i = 0; i < count; i++) {
      const name = this.freshName("NSE");
      const tick = this.rng.float() < 0.7 ? 0.05 : 0.01;
      const price = Math.exp(Math.log(20) + this.rng.float() * (Math.log(5000) - Math.log(20)));
      const basePrice = toScaled(price, tick, 2);
      this.push({
        exchange: "NSE", symbol: name, brokerExchange: "NSE", token: String(this.token("NSE")), brokerSymbol: `${name}-EQ`,
        priceDecimals: 2, tickSize: tick, lotSize: 1, segment: "EQ", instrument: "EQ", underlying: name, basePrice,
      });
      const natural = basePrice / 100;
      const step = [1, 2, 5, 10, 20, 50, 100].find((s) => s >= natural * 0.01) ?? 100;
      out.push({ name, price: natural, tick, decimals: 2, lot: STOCK_LOTS[this.rng.below(STOCK_LOTS.length)]!, step, index: false });
    }
    return out;
  }

  private addBseEquities(count: number, nse: readonly Underlying[]): void {
    let reuse = 0;
    for (let i = 0; i < count; i++) {
      // Dual-listed names keep their symbol (OpenAlgo names BSE:RELIANCE like NSE:RELIANCE).
      const dual = reuse < nse.length && this.rng.float() < 0.5;
      const src = dual ? nse[reuse++] : undefined;
      const name = src ? src.name : this.freshName("BSE");
      const tick = src ? src.tick : 0.01;
      const price = src ? src.price * (1 + (this.rng.float() - 0.5) * 0.002) : Math.exp(Math.log(5) + this.rng.float() * Math.log(600));
      this.push({
        exchange: "BSE", symbol: name, brokerExchange: "BSE", token: String(this.token("BSE")), brokerSymbol: name,
        priceDecimals: 2, tickSize: tick, lotSize: 1, segment: "EQ", instrument: "EQ", underlying: name, basePrice: toScaled(price, tick, 2),
      });
    }
  }

  private addDerivatives(count: number, exchange: ExchangeName, broker: string, unders: readonly Underlying[], calendar: "NSE" | "MCX" | "CDS"): void {
    if (count === 0 || unders.length === 0) return;
    const expiries = unders.map((u, i) => expiriesOf(u, calendar, i));
    let added = 0;
    // Level 0: every future; level 1: the at-the-money strike; level L ≥ 2: the strikes L - 1
    // steps either side of the money,
    // calls and puts, underlying by underlying (indices first), until the count is reached.
    for (let level = 0; added < count; level++) {
      let progressed = false;
      for (let ui = 0; ui < unders.length && added < count; ui++) {
        const u = unders[ui]!;
        const exps = expiries[ui]!;
        for (let ei = 0; ei < exps.length && added < count; ei++) {
          const exp = exps[ei]!;
          const carry = 1 + 0.004 * (ei + 1);
          if (level === 0) {
            const tick = u.decimals === 4 ? 0.0025 : u.index ? 0.05 : u.tick;
            this.addContract(exchange, broker, u, `${u.name}${exp}FUT`, `${u.name}${exp}F`, "FUT", tick, u.price * carry);
            added++;
            progressed = true;
            continue;
          }
          const atm = Math.round(u.price / u.step) * u.step;
          const strikes = level === 1 ? [atm] : [atm + (level - 1) * u.step, atm - (level - 1) * u.step];
          for (const k of strikes) {
            if (k <= 0 || added >= count) continue;
            for (const right of ["CE", "PE"] as const) {
              if (added >= count) break;
              const tick = u.decimals === 4 ? 0.0025 : 0.05;
              const symbol = `${u.name}${exp}${k}${right}`;
              const intrinsic = Math.max(0, right === "CE" ? u.price - k : k - u.price);
              const time = u.price * 0.012 * Math.sqrt(ei + 1) * Math.exp(-Math.abs(k - u.price) / (u.price * 0.04));
              this.addContract(exchange, broker, u, symbol, `${u.name}${exp}${right[0]}${k}`, "OPT", tick, intrinsic + time);
              added++;
              progressed = true;
            }
          }
        }
      }
      if (!progressed && level > 0) throw new TickwireError("ARGUMENT", "createUniverse: ran out of contracts (a bug)");
    }
  }

  private addContract(exchange: ExchangeName, broker: string, u: Underlying, symbol: string, brokerSymbol: string, segment: "FUT" | "OPT", tick: number, price: number): void {
    const instrument = segment === "FUT"
      ? (u.decimals === 4 ? "FUTCUR" : exchange === "MCX" ? "FUTCOM" : u.index ? "FUTIDX" : "FUTSTK")
      : (u.decimals === 4 ? "OPTCUR" : exchange === "MCX" ? "OPTFUT" : u.index ? "OPTIDX" : "OPTSTK");
    this.push({
      exchange, symbol, brokerExchange: broker, token: String(this.token(broker)), brokerSymbol, priceDecimals: u.decimals, tickSize: tick,
      lotSize: u.decimals === 4 ? 1 : u.lot, segment, instrument, underlying: u.name, basePrice: Math.max(toScaled(price, tick, u.decimals), scaledTick(tick, u.decimals)),
    });
  }

  private push(row: SimInstrumentRow): void {
    const key = `${row.exchange}|${row.symbol}`;
    if (this.symbols.has(key)) throw new TickwireError("ARGUMENT", `createUniverse: duplicate symbol ${key} (a bug)`);
    this.symbols.add(key);
    this.rows.push(Object.freeze(row));
  }

  private freshName(exchange: string): string {
    for (;;) {
      const name = this.name();
      if (!RESERVED.has(name) && !this.symbols.has(`${exchange}|${name}`) && !this.symbols.has(`NSE|${name}`)) return name;
    }
  }

  private name(): string {
    const r = this.rng;
    const roll = r.float();
    if (roll < 0.02) return `${this.letter(CONSONANTS)}&${this.letter(CONSONANTS)}`; // "M&M"-like
    let s = "";
    for (let i = 0, syl = r.range(2, 4); i < syl; i++) s += this.letter(CONSONANTS) + this.letter(VOWELS);
    if (roll < 0.05) return `${s}-${SUFFIXES[r.below(SUFFIXES.length)]}`; // "BAJAJ-AUTO"-like
    if (roll < 0.3) s += SUFFIXES[r.below(SUFFIXES.length)];
    return s.slice(0, SYMBOL_MAX_BYTES - 20); // room for a derivative's date, strike and right
  }

  private letter(set: string): string {
    return set[this.rng.below(set.length)]!;
  }

  /** A token unique within `broker`: from its native range, or on purpose one used elsewhere. */
  private token(broker: string): number {
    const mine = this.tokens.get(broker) ?? new Set<number>();
    const firstHere = !this.forced.has(broker);
    if ((firstHere || this.rng.float() < COLLIDE_P) && this.used.length > 0) {
      this.forced.add(broker);
      for (let tries = 0; tries < 8; tries++) {
        const other = this.used[this.rng.below(this.used.length)]!;
        if (other.broker !== broker && !mine.has(other.token)) return this.take(broker, other.token);
      }
    }
    const [lo, hi] = TOKEN_RANGES[broker]!;
    for (;;) {
      const t = this.rng.range(lo, hi);
      if (!mine.has(t)) return this.take(broker, t);
    }
  }

  private take(broker: string, token: number): number {
    let mine = this.tokens.get(broker);
    if (!mine) this.tokens.set(broker, (mine = new Set()));
    mine.add(token);
    this.used.push({ broker, token });
    return token;
  }
}

function scaledTick(tick: number, decimals: number): number {
  return Math.round(tick * POW10[decimals]!);
}

/** `price` rounded to a multiple of `tick`, as a scaled integer at `decimals` (at least one tick). */
function toScaled(price: number, tick: number, decimals: number): number {
  const t = scaledTick(tick, decimals);
  return Math.max(t, Math.round((price * POW10[decimals]!) / t) * t);
}

function ddmmmyy(d: Date): string {
  return `${String(d.getUTCDate()).padStart(2, "0")}${MONTHS[d.getUTCMonth()]}${String(d.getUTCFullYear() % 100).padStart(2, "0")}`;
}

function lastWeekday(year: number, month: number, weekday: number): Date {
  const d = new Date(Date.UTC(year, month + 1, 0));
  while (d.getUTCDay() !== weekday) d.setUTCDate(d.getUTCDate() - 1);
  return d;
}

// Expiries in 2026 (fixed, so the universe never depends on the clock): NSE/BSE/CDS monthly
// on the month's last Tuesday (Nifty also the weekly Tuesdays before), MCX near the 19th.
function expiriesOf(u: Underlying, calendar: "NSE" | "MCX" | "CDS", i: number): string[] {
  const out: string[] = [];
  if (u.name === "NIFTY") for (const day of [6, 13, 20]) out.push(ddmmmyy(new Date(Date.UTC(2026, 0, day))));
  for (let m = 0; m < 3; m++) {
    if (calendar === "MCX") {
      const d = new Date(Date.UTC(2026, m, 16 + (i % 5)));
      while (d.getUTCDay() === 0 || d.getUTCDay() === 6) d.setUTCDate(d.getUTCDate() + 1);
      out.push(ddmmmyy(d));
    } else {
      out.push(ddmmmyy(lastWeekday(2026, m, 2)));
    }
  }
  return out;
}

/** The header {@link universeToCsv} writes. */
export const UNIVERSE_CSV_HEADER = "Exchange,Token,LotSize,Symbol,TradingSymbol,Instrument,TickSize,PricePrecision,OpenAlgoSymbol,OpenAlgoExchange";

/**
 * A Noren-style symbol master CSV of `rows`, header {@link UNIVERSE_CSV_HEADER}: Exchange
 * is the broker exchange, Symbol the underlying, TradingSymbol the broker's symbol,
 * TickSize printed with PricePrecision digits, OpenAlgoSymbol/OpenAlgoExchange tickwire's
 * names. LF line ends, a trailing newline; a field holding a comma, quote or line break is
 * quoted (RFC 4180) — the universe's rows never need it. Plain InstrumentRows (without
 * the sim's fields) get the symbol as Symbol and an empty Instrument.
 */
export function universeToCsv(rows: readonly InstrumentRow[]): string {
  if (!Array.isArray(rows)) throw new TickwireError("ARGUMENT", "universeToCsv: rows must be an array of InstrumentRow");
  const lines = [UNIVERSE_CSV_HEADER];
  rows.forEach((r, i) => {
    if (typeof r !== "object" || r === null) throw new TickwireError("ARGUMENT", `universeToCsv: rows[${i}] is not an InstrumentRow`);
    const d = checkInt(r.priceDecimals, 0, 9, `universeToCsv: rows[${i}].priceDecimals`, "DECIMALS");
    if (typeof r.tickSize !== "number" || !(r.tickSize > 0)) throw new TickwireError("ARGUMENT", `universeToCsv: rows[${i}].tickSize must be a positive number`);
    const sim = r as Partial<SimInstrumentRow>;
    lines.push([
      r.brokerExchange, r.token, String(r.lotSize), sim.underlying ?? r.symbol, r.brokerSymbol, sim.instrument ?? "",
      r.tickSize.toFixed(d), String(d), r.symbol, r.exchange,
    ].map(csvField).join(","));
  });
  return `${lines.join("\n")}\n`;
}

function csvField(v: unknown): string {
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
