// A broker's symbol master: every instrument resolved both ways, tickwire's (exchange, symbol)
// and the broker's (brokerExchange, token), in O(1). Built from rows or read from the broker's
// CSV. Control plane: loaded once a day, looked up on (un)subscribe, never per tick.
//
// How OpenAlgo derives its symbols (marketcalls/openalgo, broker/flattrade/database/master_contract_db.py
// and broker/shoonya/database/master_contract_db.py), which this follows:
// - NSE equity: TradingSymbol without its "-EQ"/"-BE" series ("RELIANCE-EQ" -> "RELIANCE"); BSE: as is.
// - Indices (Instrument INDEX, or UNDIND on Flattrade's BSE file): exchange NSE_INDEX/BSE_INDEX,
//   symbol upper-cased without spaces and hyphens, then a few names fixed ("NIFTY50" -> "NIFTY",
//   "NIFTYBANK" -> "BANKNIFTY", "S&PBSESENSEX" -> "SENSEX", ...). Shoonya's loader only renames
//   "NIFTY INDEX"/"NIFTY BANK"/"INDIA VIX" and keeps other names' spaces; we normalise every index
//   the Flattrade way so one index has one name whichever Noren broker feeds it.
// - Futures and options: OptionType "XX" is a future; Expiry "30-DEC-2026" becomes "30DEC26";
//   symbol = Symbol + expiry + "FUT", or Symbol + expiry + strike (integer when whole) + CE/PE
//   ("NIFTY30DEC26FUT", "NIFTY30DEC2624000CE", "USDINR27DEC2484.25CE").
// - Flattrade's CSVs carry no TickSize: OpenAlgo assumes 0.05, and 0.0025 for currency (CDS).
// Two OpenAlgo behaviours we deliberately do not copy: Flattrade's loader drops a row whose token
// already exists on ANY exchange (tokens collide across segments), and its reverse exchange map
// turns every "NSE" into NSE_INDEX. Here the key is (brokerExchange, token) and a duplicate of that
// key, or of (exchange, symbol), is a row error.

import type { InstrumentRow } from "./contract.js";
import { exchangeCode, type ExchangeName } from "../format/exchange.js";
import { isCleanName } from "../format/text.js";
import { MAX_PRICE_DECIMALS, SYMBOL_MAX_BYTES } from "../format/layout.js";
import { TickwireError } from "../errors.js";
import { checkInt, checkOptions, describe } from "../validate.js";
import { ExchangeMap, NOREN_EXCHANGES } from "./exchanges.js";

/** A row that could not be loaded, and why. Loading goes on without it. */
export interface RowError {
  /** CSV: the 1-based line the row starts on (the header is on line 1 unless blank lines precede it). Rows: the 1-based position in the list. */
  readonly line: number;
  readonly reason: string;
}

/** Options of {@link SymbolMaster.load} and {@link SymbolMaster.fromRows}. */
export interface SymbolMasterOptions {
  /** The broker's exchange codes (default: {@link NOREN_EXCHANGES}). */
  readonly exchanges?: ExchangeMap;
  /** Row errors kept in `errors` (default 1000); `errorCount` counts them all. */
  readonly maxErrors?: number;
  /** Fewest price decimals given to an instrument whose master has no precision column (default 2: Indian prices are quoted in paise, even when the tick is 1 or 0.10, and exchanges revise tick sizes). */
  readonly minPriceDecimals?: number;
}

/** Longest token accepted (decimal digits). */
const TOKEN_MAX_DIGITS = 20;
const BROKER_CODE = /^[A-Z0-9_]{1,16}$/;
const DECIMAL = /^\d+(?:\.\d+)?$/;
const MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
const CASH_SEGMENTS: ReadonlySet<string> = new Set(["NSE", "BSE"]);
const CURRENCY_SEGMENTS: ReadonlySet<string> = new Set(["CDS", "BCD"]);

// Index names that do not follow "upper case, no spaces" (OpenAlgo's Flattrade and Shoonya loaders).
const INDEX_ALIASES: ReadonlyMap<string, string> = new Map([
  ["NIFTY50", "NIFTY"], ["NIFTYINDEX", "NIFTY"], ["NIFTYBANK", "BANKNIFTY"],
  ["NIFTYFIN", "FINNIFTY"], ["NIFTYFINSERVICE", "FINNIFTY"], ["NIFTYFINANCIALSERVICES", "FINNIFTY"],
  ["NIFTYNEXT50", "NIFTYNXT50"], ["NIFTYMIDSELECT", "MIDCPNIFTY"], ["NIFTYMIDCAPSELECT", "MIDCPNIFTY"],
  ["BSESENSEX", "SENSEX"], ["S&PBSESENSEX", "SENSEX"], ["BSESENSEX50", "SENSEX50"], ["S&PBSESENSEX50", "SENSEX50"],
  ["S&PBSESENSEXNEXT50", "BSESENSEXNEXT50"],
]);

// CSV columns by their lower-cased name without spaces and underscores. Noren/Shoonya:
// Exchange,Token,LotSize,Symbol,TradingSymbol,Instrument,TickSize (+ Expiry,OptionType,StrikePrice,
// Precision); Flattrade: Exchange,Token,Lotsize,Symbol,Tradingsymbol,Instrument,Expiry,Strike,Optiontype;
// the simulated exchange adds PricePrecision,OpenAlgoSymbol,OpenAlgoExchange.
type Column = "exchange" | "token" | "lotSize" | "name" | "tradingSymbol" | "instrument" | "tickSize" | "expiry"
  | "optionType" | "strike" | "precision" | "oaSymbol" | "oaExchange" | "allowNonPositive";
const ALIASES: ReadonlyMap<string, Column> = new Map([
  ["exchange", "exchange"], ["exch", "exchange"], ["token", "token"],
  ["lotsize", "lotSize"], ["ls", "lotSize"], ["symbol", "name"], ["name", "name"],
  ["tradingsymbol", "tradingSymbol"], ["tsym", "tradingSymbol"],
  ["instrument", "instrument"], ["instrumenttype", "instrument"],
  ["ticksize", "tickSize"], ["ti", "tickSize"], ["expiry", "expiry"], ["expirydate", "expiry"],
  ["optiontype", "optionType"], ["strikeprice", "strike"], ["strike", "strike"],
  ["priceprecision", "precision"], ["precision", "precision"], ["pp", "precision"],
  ["openalgosymbol", "oaSymbol"], ["openalgoexchange", "oaExchange"], ["allownonpositive", "allowNonPositive"],
] as [string, Column][]);
const REQUIRED: readonly Column[] = ["exchange", "token", "tradingSymbol"];
const COLUMN_TITLE: Readonly<Record<Column, string>> = {
  exchange: "Exchange", token: "Token", lotSize: "LotSize", name: "Symbol", tradingSymbol: "TradingSymbol",
  instrument: "Instrument", tickSize: "TickSize", expiry: "Expiry", optionType: "OptionType", strike: "StrikePrice",
  precision: "PricePrecision", oaSymbol: "OpenAlgoSymbol", oaExchange: "OpenAlgoExchange", allowNonPositive: "AllowNonPositive",
};

function rowError(reason: string): never {
  throw new TickwireError("SYMBOL", reason);
}

/** UTF-8 length of `s` (well-formed). */
function utf8Bytes(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    // One byte counted per code unit already: +1 for 2-byte chars and each half of a (4-byte) surrogate pair, +2 for 3-byte ones.
    if (c >= 0x80) n += c < 0x800 || (c >= 0xd800 && c <= 0xdfff) ? 1 : 2;
  }
  return n;
}

function checkName(s: string, what: string): string {
  if (s.length === 0) rowError(`${what} is empty`);
  if (!isCleanName(s)) rowError(`${what} ${describe(s)} holds a control character, quote, backslash or BOM, or is not well-formed Unicode`);
  if (utf8Bytes(s) > SYMBOL_MAX_BYTES) rowError(`${what} ${describe(s)} is longer than ${SYMBOL_MAX_BYTES} UTF-8 bytes`);
  return s;
}

function checkToken(s: string): string {
  if (s.length === 0 || s.length > TOKEN_MAX_DIGITS) rowError(`Token ${describe(s)} must be 1..${TOKEN_MAX_DIGITS} decimal digits`);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) rowError(`Token ${describe(s)} must be 1..${TOKEN_MAX_DIGITS} decimal digits`);
  }
  return s;
}

/** Decimals a tick size needs (0.05 -> 2, 0.0025 -> 4, 1 -> 0), or -1 beyond MAX_PRICE_DECIMALS. */
function decimalsOf(x: number): number {
  for (let d = 0, scale = 1; d <= MAX_PRICE_DECIMALS; d++, scale *= 10) {
    const scaled = x * scale;
    const whole = Math.round(scaled);
    // `whole >= 1` and a tolerance relative to `scaled`: an absolute 1e-9 took any tick below 1e-9
    // (0.0000000001, even 0.000000001 at d = 0) for a whole number of units, i.e. 0 decimals.
    if (whole >= 1 && Math.abs(scaled - whole) <= 1e-9 * scaled) return d;
  }
  return -1;
}

/** "30-DEC-2026", "30-Dec-26" or "2026-12-30" -> "30DEC26" (OpenAlgo's DDMMMYY). */
function expiryCode(s: string): string {
  let m = /^(\d{1,2})-([A-Za-z]{3})-(\d{4}|\d{2})$/.exec(s);
  let day: number; let month: number; let year: string;
  if (m) {
    day = Number(m[1]); month = MONTHS.indexOf(m[2]!.toUpperCase()); year = m[3]!.slice(-2);
  } else if ((m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s))) {
    day = Number(m[3]); month = Number(m[2]) - 1; year = m[1]!.slice(-2);
  } else {
    return rowError(`Expiry ${describe(s)} is not a date like 30-DEC-2026`);
  }
  if (month < 0 || month > 11 || day < 1 || day > 31) rowError(`Expiry ${describe(s)} is not a date like 30-DEC-2026`);
  return `${day < 10 ? "0" : ""}${day}${MONTHS[month]}${year}`;
}

function strikeText(s: string): string {
  const x = Number(s);
  if (s.length === 0 || !Number.isFinite(x) || x <= 0) rowError(`StrikePrice ${describe(s)} is not a positive number`);
  // Whole strikes print without decimals ("24000.00" -> "24000"), others shortest ("84.2500" -> "84.25").
  return String(x);
}

/** The broker-side fields a symbol is derived from (one master row). */
export interface BrokerInstrumentFields {
  /** tickwire exchange of the row (already mapped). */
  readonly exchange: ExchangeName;
  readonly brokerExchange: string;
  readonly tradingSymbol: string;
  /** The underlying's name (Noren "Symbol"): "NIFTY", "RELIANCE". */
  readonly name?: string;
  readonly instrument?: string;
  readonly expiry?: string;
  readonly optionType?: string;
  readonly strike?: string;
  /** Whether `exchange` is an index exchange (NSE_INDEX, ...). */
  readonly index?: boolean;
}

function deriveSymbol(f: BrokerInstrumentFields): string {
  const tsym = f.tradingSymbol;
  if (f.index) {
    const flat = tsym.toUpperCase().replace(/[ -]/g, "");
    return INDEX_ALIASES.get(flat) ?? flat;
  }
  const opt = (f.optionType ?? "").toUpperCase();
  const inst = (f.instrument ?? "").toUpperCase();
  const expiry = f.expiry ?? "";
  if (opt !== "" || expiry !== "" || inst.startsWith("FUT") || inst.startsWith("OPT")) {
    const future = opt === "XX" || (opt === "" && inst.startsWith("FUT"));
    if (!future && opt !== "CE" && opt !== "PE") {
      rowError(opt === "" ? `cannot tell a future from an option: no OptionType and Instrument ${describe(f.instrument ?? "")}` : `OptionType ${describe(f.optionType)} is not XX, CE or PE`);
    }
    const name = (f.name ?? "").toUpperCase();
    if (name === "") rowError("a future or option needs its underlying in the Symbol column");
    if (expiry === "") rowError("a future or option needs its Expiry");
    const code = expiryCode(expiry);
    return future ? `${name}${code}FUT` : `${name}${code}${strikeText(f.strike ?? "")}${opt}`;
  }
  // Cash rules follow tickwire's exchange (the row's, already mapped), not the broker's code for it:
  // keyed on the broker code, an ExchangeMap naming NSE's segment "NSECM" turned every equity row
  // into an error ("needs Expiry") and kept "-EQ" on the symbols. Noren's codes are the same names.
  const cash = f.exchange ?? f.brokerExchange;
  if (!CASH_SEGMENTS.has(cash)) {
    rowError(`a ${f.brokerExchange} row needs Expiry and OptionType (or an OpenAlgoSymbol column) to name it`);
  }
  if (cash === "NSE" && (tsym.endsWith("-EQ") || tsym.endsWith("-BE"))) return tsym.slice(0, -3);
  return tsym;
}

/**
 * OpenAlgo's symbol for one broker master row, derived the way OpenAlgo's Flattrade/Shoonya
 * loaders do: "RELIANCE-EQ" -> "RELIANCE", index "Nifty 50" -> "NIFTY", future
 * "NIFTY30DEC26FUT", option "NIFTY30DEC2624000CE". Throws a SYMBOL TickwireError naming what is
 * missing or malformed.
 */
export function openAlgoSymbol(fields: BrokerInstrumentFields): string {
  if (typeof fields !== "object" || fields === null) throw new TickwireError("ARGUMENT", `openAlgoSymbol: fields must be an object, got ${describe(fields)}`);
  for (const k of ["exchange", "brokerExchange", "tradingSymbol", "name", "instrument", "expiry", "optionType", "strike"] as const) {
    const v = fields[k];
    if (v !== undefined && typeof v !== "string") throw new TickwireError("ARGUMENT", `openAlgoSymbol: fields.${k} must be a string, got ${describe(v)}`);
  }
  if (fields.index !== undefined && typeof fields.index !== "boolean") throw new TickwireError("ARGUMENT", `openAlgoSymbol: fields.index must be a boolean, got ${describe(fields.index)}`);
  if (typeof fields.tradingSymbol !== "string" || typeof fields.brokerExchange !== "string") {
    throw new TickwireError("ARGUMENT", "openAlgoSymbol: fields.tradingSymbol and fields.brokerExchange are required");
  }
  return deriveSymbol(fields);
}

/** The upstream key of a row, as Noren writes a scrip: "NSE|2885". */
export function scripKey(row: Pick<InstrumentRow, "brokerExchange" | "token">): string {
  if (typeof row !== "object" || row === null || typeof row.brokerExchange !== "string" || typeof row.token !== "string") {
    throw new TickwireError("ARGUMENT", `scripKey: row must have string brokerExchange and token, got ${describe(row)}`);
  }
  return `${row.brokerExchange}|${row.token}`;
}

// ---------------------------------------------------------------------------------------------
// CSV records: RFC 4180 quoting ("" inside quotes, quoted newlines), CRLF or LF, a leading BOM,
// blank lines skipped, unquoted fields trimmed. Lines without a quote take a split fast path.

type RecordSink = (fields: string[], line: number) => void;

function readRecords(text: string, onRecord: RecordSink, onError: (line: number, reason: string) => void): void {
  const n = text.length;
  let p = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  let nextQuote = text.indexOf('"', p);
  while (p < n) {
    let nl = text.indexOf("\n", p);
    if (nl < 0) nl = n;
    if (nextQuote !== -1 && nextQuote < p) nextQuote = text.indexOf('"', p);
    if (nextQuote === -1 || nextQuote >= nl) {
      const end = nl > p && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
      const s = text.slice(p, end);
      const at = line;
      p = nl + 1;
      line++;
      if (s.trim().length === 0) continue;
      onRecord(s.split(","), at);
      continue;
    }
    // Slow path: a quote somewhere on this line.
    const at = line;
    const fields: string[] = [];
    let cur = "";
    let quoted = false;
    let bad: string | undefined;
    let i = p;
    for (;;) {
      if (i >= n) { fields.push(quoted ? cur : cur.trim()); break; }
      const c = text.charCodeAt(i);
      if (c === 34 && !quoted && cur.trim().length === 0) {
        // An opening quote: copy up to the closing one, "" being a quote.
        const open = i;
        const openLine = line;
        quoted = true;
        cur = "";
        i++;
        for (;;) {
          const q = text.indexOf('"', i);
          // No quote closes it anywhere, so it holds no line break: the record ends with the line it
          // opened on and reading resumes on the next one (taking the rest of the file as one field
          // dropped every row after a stray quote).
          if (q === -1) { bad = "a quoted field is never closed"; i = open; line = openLine; break; }
          const chunk = text.slice(i, q);
          for (let k = chunk.indexOf("\n"); k !== -1; k = chunk.indexOf("\n", k + 1)) line++;
          cur += chunk;
          if (text.charCodeAt(q + 1) === 34) { cur += '"'; i = q + 2; continue; }
          i = q + 1;
          break;
        }
        if (bad !== undefined) break;
        continue;
      }
      if (c === 44) { fields.push(quoted ? cur : cur.trim()); cur = ""; quoted = false; i++; continue; }
      if (c === 10 || (c === 13 && text.charCodeAt(i + 1) === 10) || (c === 13 && i + 1 === n)) { fields.push(quoted ? cur : cur.trim()); break; }
      if (quoted) {
        if (c === 32 || c === 9) { i++; continue; }
        bad = "text after a closing quote";
        break;
      }
      cur += text[i];
      i++;
    }
    // Resume after the end of this record's last line.
    let end = text.indexOf("\n", Math.min(i, n));
    if (end < 0) end = n;
    p = end + 1;
    line++;
    if (bad !== undefined) { onError(at, bad); continue; }
    if (fields.length === 1 && fields[0]!.length === 0) continue;
    onRecord(fields, at);
  }
}

// ---------------------------------------------------------------------------------------------

/**
 * A broker's symbol master: instruments by tickwire's (exchange, symbol) and by the broker's
 * (brokerExchange, token), both in O(1). Tokens are unique only within a broker exchange
 * ("NSE|2885" and "BSE|2885" are different instruments), so that pair is the upstream key.
 * Rows are frozen. A bad or duplicate row is skipped and reported in `errors`, never a failed load.
 */
export class SymbolMaster implements Iterable<InstrumentRow> {
  private readonly list: InstrumentRow[] = [];
  private readonly names = new Map<string, Map<string, InstrumentRow>>();
  private readonly tokens = new Map<string, Map<string, InstrumentRow>>();
  private readonly kept: RowError[] = [];
  private errorTotal = 0;
  private readonly exchanges: ExchangeMap;
  private readonly maxErrors: number;
  private readonly minDecimals: number;

  private constructor(options: unknown, context: string) {
    const o = checkOptions<SymbolMasterOptions>(options, `${context}: options`);
    if (o.exchanges !== undefined && !(o.exchanges instanceof ExchangeMap)) {
      throw new TickwireError("ARGUMENT", `${context}: options.exchanges must be an ExchangeMap, got ${describe(o.exchanges)}`);
    }
    this.exchanges = o.exchanges ?? NOREN_EXCHANGES;
    this.maxErrors = o.maxErrors === undefined ? 1000 : checkInt(o.maxErrors, 0, 2 ** 31 - 1, `${context}: options.maxErrors`);
    this.minDecimals = o.minPriceDecimals === undefined ? 2 : checkInt(o.minPriceDecimals, 0, MAX_PRICE_DECIMALS, `${context}: options.minPriceDecimals`);
  }

  /**
   * A master from rows (e.g. the simulated exchange's universe). Each row is checked and copied;
   * a bad or duplicate row becomes a row error (its `line` is its 1-based position).
   */
  static fromRows(rows: Iterable<InstrumentRow>, options?: SymbolMasterOptions): SymbolMaster {
    const master = new SymbolMaster(options, "SymbolMaster.fromRows");
    if (typeof rows !== "object" || rows === null || typeof (rows as Iterable<unknown>)[Symbol.iterator] !== "function" || typeof rows === "string") {
      throw new TickwireError("ARGUMENT", `SymbolMaster.fromRows: rows must be an iterable of InstrumentRow, got ${describe(rows)}`);
    }
    let line = 0;
    for (const row of rows) {
      line++;
      try {
        master.add(master.checkRow(row));
      } catch (e) {
        master.fail(line, e);
      }
    }
    return master;
  }

  /**
   * Reads a broker's symbol master CSV (a string, or UTF-8 bytes). The header names the columns,
   * case-insensitively and with aliases (see the file comment); Exchange, Token and TradingSymbol
   * are required. Where OpenAlgoSymbol/OpenAlgoExchange columns exist they are used, else both are
   * derived the way OpenAlgo does. priceDecimals comes from PricePrecision (or Precision), else
   * from the tick size (at least `minPriceDecimals`); a missing TickSize is 0.05 (0.0025 on CDS/BCD).
   * Throws only for input that is not a CSV master at all (not text, no header line, or a header
   * without the required columns); every bad row is skipped and listed in `errors` with its line.
   */
  static load(csv: string | Uint8Array | ArrayBuffer, options?: SymbolMasterOptions): SymbolMaster {
    const master = new SymbolMaster(options, "SymbolMaster.load");
    let text: string;
    if (typeof csv === "string") text = csv;
    else if (csv instanceof Uint8Array || csv instanceof ArrayBuffer) {
      try {
        text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(csv);
      } catch {
        throw new TickwireError("ARGUMENT", "SymbolMaster.load: csv is not well-formed UTF-8");
      }
    } else throw new TickwireError("ARGUMENT", `SymbolMaster.load: csv must be a string, Uint8Array or ArrayBuffer, got ${describe(csv)}`);

    let cols: Partial<Record<Column, number>> | undefined;
    let width = 0;
    let needed = 0;
    readRecords(text, (fields, line) => {
      if (cols === undefined) {
        cols = master.header(fields);
        width = fields.length;
        // Short rows are fine past the required columns (pandas-like): a missing optional field is empty.
        needed = Math.max(...REQUIRED.map((c) => cols![c]! + 1));
        return;
      }
      try {
        if (fields.length < needed) rowError(`has ${fields.length} fields, the required columns need ${needed}`);
        for (let i = width; i < fields.length; i++) if (fields[i]!.trim() !== "") rowError(`has more fields than the header (${fields.length} > ${width}): an unquoted comma?`);
        master.add(master.csvRow(fields, cols));
      } catch (e) {
        master.fail(line, e);
      }
    }, (line, reason) => master.fail(line, new TickwireError("SYMBOL", reason)));
    // No header at all (an empty or blank download) is not a master with no rows: say so rather than
    // hand back an empty master every lookup then misses.
    if (cols === undefined) throw new TickwireError("ARGUMENT", "SymbolMaster.load: csv has no header line (it is empty or blank)");
    return master;
  }

  /** Instruments loaded. */
  get size(): number {
    return this.list.length;
  }

  /** Row errors kept (at most `maxErrors`), in file order. */
  get errors(): readonly RowError[] {
    return this.kept;
  }

  /** Every row error, including those beyond `maxErrors`. */
  get errorCount(): number {
    return this.errorTotal;
  }

  /** The instrument tickwire calls (exchange, symbol), or undefined (the caller reports SYMBOL_NOT_FOUND). */
  byInstrument(exchange: string, symbol: string): InstrumentRow | undefined {
    if (typeof exchange !== "string") throw new TickwireError("ARGUMENT", `SymbolMaster.byInstrument: exchange must be a string, got ${describe(exchange)}`);
    if (typeof symbol !== "string") throw new TickwireError("ARGUMENT", `SymbolMaster.byInstrument: symbol must be a string, got ${describe(symbol)}`);
    return this.names.get(exchange)?.get(symbol);
  }

  /** The instrument the broker calls (brokerExchange, token), e.g. ("NSE", "2885"), or undefined. */
  byToken(brokerExchange: string, token: string): InstrumentRow | undefined {
    if (typeof brokerExchange !== "string") throw new TickwireError("ARGUMENT", `SymbolMaster.byToken: brokerExchange must be a string, got ${describe(brokerExchange)}`);
    if (typeof token !== "string") throw new TickwireError("ARGUMENT", `SymbolMaster.byToken: token must be a string, got ${describe(token)}`);
    return this.tokens.get(brokerExchange)?.get(token);
  }

  /** All rows, in load order. */
  get rows(): readonly InstrumentRow[] {
    return this.list;
  }

  [Symbol.iterator](): Iterator<InstrumentRow> {
    return this.list[Symbol.iterator]();
  }

  private fail(line: number, e: unknown): void {
    if (!(e instanceof TickwireError)) throw e;
    this.errorTotal++;
    if (this.kept.length < this.maxErrors) this.kept.push(Object.freeze({ line, reason: e.message }));
  }

  private add(row: InstrumentRow): void {
    let byToken = this.tokens.get(row.brokerExchange);
    const twin = byToken?.get(row.token);
    if (twin) rowError(`duplicate key ${row.brokerExchange}|${row.token} (already ${twin.exchange}:${twin.symbol})`);
    let byName = this.names.get(row.exchange);
    const same = byName?.get(row.symbol);
    if (same) rowError(`duplicate instrument ${row.exchange}:${row.symbol} (already ${same.brokerExchange}|${same.token})`);
    if (!byToken) this.tokens.set(row.brokerExchange, (byToken = new Map()));
    if (!byName) this.names.set(row.exchange, (byName = new Map()));
    byToken.set(row.token, row);
    byName.set(row.symbol, row);
    this.list.push(row);
  }

  private header(fields: string[]): Partial<Record<Column, number>> {
    const cols: Partial<Record<Column, number>> = {};
    fields.forEach((raw, i) => {
      const key = raw.trim().toLowerCase().replace(/[\s_]/g, "");
      const col = ALIASES.get(key);
      if (col === undefined) return; // unknown and empty (trailing comma) columns are ignored
      if (cols[col] !== undefined) {
        throw new TickwireError("ARGUMENT", `SymbolMaster.load: header columns ${cols[col]! + 1} and ${i + 1} both give ${COLUMN_TITLE[col]} (${describe(raw)})`);
      }
      cols[col] = i;
    });
    const missing = REQUIRED.filter((c) => cols[c] === undefined);
    if (missing.length > 0) {
      throw new TickwireError("ARGUMENT", `SymbolMaster.load: the header lacks ${missing.map((c) => COLUMN_TITLE[c]).join(", ")} (got ${describe(fields.join(","))})`);
    }
    return cols;
  }

  private csvRow(fields: string[], cols: Partial<Record<Column, number>>): InstrumentRow {
    const get = (c: Column): string => {
      const i = cols[c];
      return i === undefined ? "" : (fields[i] ?? "").trim();
    };
    const brokerExchange = get("exchange").toUpperCase();
    if (!BROKER_CODE.test(brokerExchange)) rowError(`Exchange ${describe(get("exchange"))} is not a segment code (1..16 of A-Z, 0-9, _)`);
    const token = checkToken(get("token"));
    const brokerSymbol = checkName(get("tradingSymbol"), "TradingSymbol");
    const instrument = get("instrument");

    const oaExchange = get("oaExchange");
    let exchange: ExchangeName;
    if (oaExchange !== "") {
      exchange = this.checkPair(oaExchange, brokerExchange, "OpenAlgoExchange");
    } else {
      const ex = this.exchanges.fromBroker(brokerExchange, instrument);
      if (ex === undefined) {
        rowError(this.exchanges.hasBroker(brokerExchange)
          ? `an index (Instrument ${describe(instrument)}) on ${brokerExchange} has no tickwire exchange`
          : `Exchange ${brokerExchange} has no tickwire exchange in this map`);
      }
      exchange = ex;
    }
    const oaSymbol = get("oaSymbol");
    const symbol = checkName(oaSymbol !== "" ? oaSymbol : deriveSymbol({
      exchange, brokerExchange, tradingSymbol: brokerSymbol, name: get("name"), instrument,
      expiry: get("expiry"), optionType: get("optionType"), strike: get("strike"), index: this.exchanges.isIndex(exchange),
    }), oaSymbol !== "" ? "OpenAlgoSymbol" : "derived symbol");

    const tickText = get("tickSize") || (CURRENCY_SEGMENTS.has(brokerExchange) ? "0.0025" : "0.05");
    const tickSize = Number(tickText);
    if (!DECIMAL.test(tickText) || !(tickSize > 0)) rowError(`TickSize ${describe(tickText)} is not a positive decimal number`);
    const tickDecimals = decimalsOf(tickSize);
    if (tickDecimals < 0) rowError(`TickSize ${tickText} has more than ${MAX_PRICE_DECIMALS} decimals`);

    const precisionText = get("precision");
    let priceDecimals: number;
    if (precisionText !== "") {
      priceDecimals = /^\d{1,2}$/.test(precisionText) ? Number(precisionText) : -1;
      if (priceDecimals < 0 || priceDecimals > MAX_PRICE_DECIMALS) rowError(`PricePrecision ${describe(precisionText)} is not an integer from 0 to ${MAX_PRICE_DECIMALS}`);
      if (tickDecimals > priceDecimals) rowError(`TickSize ${tickText} needs ${tickDecimals} decimals, PricePrecision is ${priceDecimals}`);
    } else {
      priceDecimals = Math.max(tickDecimals, this.minDecimals);
    }

    const lotText = get("lotSize");
    const lotSize = lotText === "" ? 1 : Number(lotText);
    if (!Number.isInteger(lotSize) || lotSize < 1 || lotSize > 2 ** 31 - 1 || !DECIMAL.test(lotText || "1")) rowError(`LotSize ${describe(lotText)} is not a positive integer`);

    const anp = get("allowNonPositive").toLowerCase();
    let allowNonPositive = false;
    if (anp === "1" || anp === "true" || anp === "yes" || anp === "y") allowNonPositive = true;
    else if (anp !== "" && anp !== "0" && anp !== "false" && anp !== "no" && anp !== "n") rowError(`AllowNonPositive ${describe(anp)} is not true/false`);

    return Object.freeze({ exchange, symbol, brokerExchange, token, brokerSymbol, priceDecimals, tickSize, lotSize, allowNonPositive });
  }

  // `exchange` as a tickwire exchange whose broker code is `brokerExchange`.
  private checkPair(exchange: unknown, brokerExchange: string, what: string): ExchangeName {
    if (typeof exchange !== "string" || exchangeCode(exchange) === 0) rowError(`${what} ${describe(exchange)} is not a tickwire exchange`);
    const code = this.exchanges.toBroker(exchange);
    if (code === undefined) rowError(`${what} ${exchange} has no broker code in this exchange map`);
    if (code !== brokerExchange) rowError(`${what} ${exchange} is on broker exchange ${code}, the row says ${brokerExchange}`);
    return exchange as ExchangeName;
  }

  private checkRow(row: unknown): InstrumentRow {
    if (typeof row !== "object" || row === null) rowError(`row must be an object, got ${describe(row)}`);
    const r = row as Record<string, unknown>;
    const brokerExchange = r["brokerExchange"];
    if (typeof brokerExchange !== "string" || !BROKER_CODE.test(brokerExchange)) rowError(`brokerExchange ${describe(brokerExchange)} is not a segment code (1..16 of A-Z, 0-9, _)`);
    const exchange = this.checkPair(r["exchange"], brokerExchange, "exchange");
    if (typeof r["symbol"] !== "string") rowError(`symbol must be a string, got ${describe(r["symbol"])}`);
    const symbol = checkName(r["symbol"], "symbol");
    if (typeof r["token"] !== "string") rowError(`token must be a string, got ${describe(r["token"])}`);
    const token = checkToken(r["token"]);
    if (typeof r["brokerSymbol"] !== "string") rowError(`brokerSymbol must be a string, got ${describe(r["brokerSymbol"])}`);
    const brokerSymbol = checkName(r["brokerSymbol"], "brokerSymbol");
    const priceDecimals = r["priceDecimals"];
    if (typeof priceDecimals !== "number" || !Number.isInteger(priceDecimals) || priceDecimals < 0 || priceDecimals > MAX_PRICE_DECIMALS) {
      rowError(`priceDecimals must be an integer from 0 to ${MAX_PRICE_DECIMALS}, got ${describe(priceDecimals)}`);
    }
    const tickSize = r["tickSize"];
    if (typeof tickSize !== "number" || !Number.isFinite(tickSize) || tickSize <= 0) rowError(`tickSize must be a positive number, got ${describe(tickSize)}`);
    const tickDecimals = decimalsOf(tickSize);
    if (tickDecimals < 0 || tickDecimals > priceDecimals) rowError(`tickSize ${tickSize} needs more than priceDecimals (${priceDecimals}) decimals`);
    const lotSize = r["lotSize"];
    if (typeof lotSize !== "number" || !Number.isInteger(lotSize) || lotSize < 1 || lotSize > 2 ** 31 - 1) rowError(`lotSize must be a positive integer, got ${describe(lotSize)}`);
    const anp = r["allowNonPositive"];
    if (anp !== undefined && typeof anp !== "boolean") rowError(`allowNonPositive must be a boolean, got ${describe(anp)}`);
    return Object.freeze({ exchange, symbol, brokerExchange, token, brokerSymbol, priceDecimals, tickSize, lotSize, allowNonPositive: anp === true });
  }
}
