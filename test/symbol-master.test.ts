// The symbol master (src/feed/symbol-master.ts) and the exchange map (src/feed/exchanges.ts):
// the shipped sample master, OpenAlgo's symbol derivation (equities, indices, futures, options),
// (brokerExchange, token) as the upstream key, CSV parsing (quotes, CRLF, BOM, blank lines),
// row errors that never stop a load, argument errors, and a round trip with the simulated universe.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readFileSync } from "node:fs";
import { SymbolMaster, openAlgoSymbol, scripKey, type BrokerInstrumentFields } from "../src/feed/symbol-master.js";
import { ExchangeMap, NOREN_EXCHANGES, NOREN_EXCHANGE_TABLE, isIndexInstrument } from "../src/feed/exchanges.js";
import { createUniverse, universeToCsv } from "../src/feed/sim/universe.js";
import type { InstrumentRow } from "../src/feed/contract.js";
import { TickwireError, type TickwireErrorCode } from "../src/errors.js";

const SAMPLE = readFileSync(new URL("../data/sample-master.csv", import.meta.url), "utf8");
const HEAD = "Exchange,Token,LotSize,Symbol,TradingSymbol,Expiry,Instrument,OptionType,StrikePrice,TickSize";

/** Runs `fn`, expects a TickwireError with `code` and a message matching `pattern`. */
function throwsCode(fn: () => unknown, code: TickwireErrorCode, pattern?: RegExp): TickwireError {
  try {
    fn();
  } catch (e) {
    assert.instance(e, TickwireError, `not a TickwireError: ${String(e)}`);
    assert.is((e as TickwireError).code, code, (e as Error).message);
    if (pattern) assert.match((e as Error).message, pattern);
    return e as TickwireError;
  }
  assert.unreachable(`expected a ${code} error`);
  throw new Error("unreachable");
}

/** A master from HEAD and `lines` (LF). */
function load(lines: string[], options?: Parameters<typeof SymbolMaster.load>[1]): SymbolMaster {
  return SymbolMaster.load([HEAD, ...lines].join("\n") + "\n", options);
}

/** The one row of a master that must have loaded exactly one row and no error. */
function only(m: SymbolMaster): InstrumentRow {
  assert.equal(m.errors, [], JSON.stringify(m.errors));
  assert.is(m.size, 1);
  return m.rows[0]!;
}

/** The derived symbol of one CSV line (under HEAD). */
function symbolOf(line: string): string {
  const r = only(load([line]));
  return `${r.exchange}:${r.symbol}`;
}

const FIELDS = ["exchange", "symbol", "brokerExchange", "token", "brokerSymbol", "priceDecimals", "tickSize", "lotSize"] as const;
function pick(r: InstrumentRow): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const k of FIELDS) o[k] = r[k];
  return o;
}

// ---------------------------------------------------------------------------------------------
// The shipped sample master

test("sample master: every row loads, no errors, both lookups agree on every row", () => {
  const m = SymbolMaster.load(SAMPLE);
  const dataLines = SAMPLE.split("\n").filter((l) => l.trim() !== "").length - 1;
  assert.equal(m.errors, []);
  assert.is(m.errorCount, 0);
  assert.is(m.size, dataLines);
  assert.is(m.rows.length, dataLines);
  assert.equal([...m], m.rows, "iteration is load order");
  for (const r of m.rows) {
    assert.ok(Object.isFrozen(r), "rows are frozen");
    assert.is(m.byInstrument(r.exchange, r.symbol), r);
    assert.is(m.byToken(r.brokerExchange, r.token), r);
    assert.is(r.allowNonPositive, false);
  }
  // The same text as UTF-8 bytes, and as an ArrayBuffer, gives the same rows.
  const bytes = new TextEncoder().encode(SAMPLE);
  assert.equal(SymbolMaster.load(bytes).rows, m.rows);
  assert.equal(SymbolMaster.load(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)).rows, m.rows);
});

test("sample master: known rows resolve both ways", () => {
  const m = SymbolMaster.load(SAMPLE);
  const cases: [string, string, string, string, string, number, number, number][] = [
    // exchange, symbol, brokerExchange, token, brokerSymbol, priceDecimals, tickSize, lotSize
    ["NSE", "RELIANCE", "NSE", "2885", "RELIANCE-EQ", 2, 0.05, 1],
    ["NSE", "WIPRO", "NSE", "3787", "WIPRO-EQ", 2, 0.01, 1],
    ["NSE", "M&M", "NSE", "2031", "M&M-EQ", 2, 0.05, 1],
    ["NSE", "RCOM", "NSE", "13611", "RCOM-BE", 2, 0.01, 1],
    ["NSE_INDEX", "NIFTY", "NSE", "26000", "Nifty 50", 2, 0.05, 1],
    ["NSE_INDEX", "BANKNIFTY", "NSE", "26009", "Nifty Bank", 2, 0.05, 1],
    ["NSE_INDEX", "FINNIFTY", "NSE", "26037", "Nifty Fin Service", 2, 0.05, 1],
    ["NSE_INDEX", "INDIAVIX", "NSE", "26017", "India VIX", 4, 0.0025, 1],
    ["NSE_INDEX", "MIDCPNIFTY", "NSE", "26074", "NIFTY MID SELECT", 2, 0.05, 1],
    ["NSE_INDEX", "NIFTYIT", "NSE", "26008", "Nifty IT", 2, 0.05, 1],
    ["BSE_INDEX", "SENSEX", "BSE", "1", "SENSEX", 2, 0.01, 1],
    ["BSE_INDEX", "BANKEX", "BSE", "12", "BANKEX", 2, 0.01, 1],
    ["BSE", "RELIANCE", "BSE", "500325", "RELIANCE", 2, 0.05, 1],
    ["BSE", "IDEA", "BSE", "2885", "IDEA", 2, 0.01, 1],
    ["NFO", "NIFTY30DEC26FUT", "NFO", "35001", "NIFTY30DEC26F", 2, 0.1, 75],
    ["NFO", "BANKNIFTY30DEC26FUT", "NFO", "35002", "BANKNIFTY30DEC26F", 2, 0.2, 35],
    ["NFO", "NIFTY30DEC2624000CE", "NFO", "52168", "NIFTY30DEC26C24000", 2, 0.05, 75],
    ["NFO", "NIFTY30DEC2624000PE", "NFO", "52169", "NIFTY30DEC26P24000", 2, 0.05, 75],
    ["NFO", "NIFTY30DEC2624050CE", "NFO", "52170", "NIFTY30DEC26C24050", 2, 0.05, 75],
    ["NFO", "RELIANCE30DEC26FUT", "NFO", "47001", "RELIANCE30DEC26F", 2, 0.1, 500],
    ["NFO", "RELIANCE30DEC261300CE", "NFO", "47002", "RELIANCE30DEC26C1300", 2, 0.05, 500],
    ["BFO", "SENSEX24DEC26FUT", "BFO", "1128074", "SENSEX24DEC26F", 2, 0.05, 20],
    ["BFO", "SENSEX24DEC2680000CE", "BFO", "825123", "SENSEX24DEC26C80000", 2, 0.05, 20],
    ["MCX", "CRUDEOIL18DEC26FUT", "MCX", "440939", "CRUDEOIL18DEC26", 2, 1, 100],
    ["MCX", "GOLDM04DEC26FUT", "MCX", "454818", "GOLDM04DEC26", 2, 1, 1],
    ["MCX", "CRUDEOIL16DEC266000CE", "MCX", "447001", "CRUDEOIL16DEC26C6000", 2, 0.1, 100],
    ["CDS", "USDINR29DEC26FUT", "CDS", "1255", "USDINR29DEC26F", 4, 0.0025, 1000],
    ["CDS", "USDINR29DEC2684.25CE", "CDS", "5124", "USDINR29DEC26C84.25", 4, 0.0025, 1000],
    ["CDS", "EURINR29DEC26FUT", "CDS", "1256", "EURINR29DEC26F", 4, 0.0025, 1000],
    ["BCD", "USDINR29DEC26FUT", "BCD", "1101", "USDINR29DEC26F", 4, 0.0025, 1000],
  ];
  for (const [exchange, symbol, brokerExchange, token, brokerSymbol, priceDecimals, tickSize, lotSize] of cases) {
    const want = { exchange, symbol, brokerExchange, token, brokerSymbol, priceDecimals, tickSize, lotSize };
    const byName = m.byInstrument(exchange, symbol);
    assert.ok(byName, `${exchange}:${symbol} not found`);
    assert.equal(pick(byName!), want, `${exchange}:${symbol}`);
    assert.is(m.byToken(brokerExchange, token), byName, `${brokerExchange}|${token}`);
    assert.is(scripKey(byName!), `${brokerExchange}|${token}`);
  }
  // NSE:RELIANCE <-> NSE|2885, spelled out.
  assert.is(scripKey(m.byInstrument("NSE", "RELIANCE")!), "NSE|2885");
  assert.is(m.byToken("NSE", "2885")!.symbol, "RELIANCE");
  // Names the broker uses are not tickwire's, and vice versa.
  assert.is(m.byInstrument("NSE", "RELIANCE-EQ"), undefined);
  assert.is(m.byInstrument("NSE", "NIFTY"), undefined, "an index is on NSE_INDEX, not NSE");
  assert.is(m.byInstrument("NSE_INDEX", "Nifty 50"), undefined);
  assert.is(m.byInstrument("nse", "RELIANCE"), undefined, "exchange names are case-sensitive");
  assert.is(m.byToken("NSE_INDEX", "26000"), undefined, "the broker code of NSE_INDEX is NSE");
  assert.is(m.byToken("NSE", "02885"), undefined, "tokens are strings, not numbers");
  assert.is(m.byToken("NSE", "999999"), undefined);
  assert.is(m.byToken("XYZ", "2885"), undefined);
});

test("sample master: a token is unique only within its broker exchange", () => {
  const m = SymbolMaster.load(SAMPLE);
  const nse = m.byToken("NSE", "2885")!;
  const bse = m.byToken("BSE", "2885")!;
  assert.is(nse.symbol, "RELIANCE");
  assert.is(bse.symbol, "IDEA");
  assert.is.not(nse, bse);
  // Dual-listed symbols are two instruments on two exchanges with their own tokens.
  assert.is(m.byInstrument("BSE", "RELIANCE")!.token, "500325");
  // USDINR futures on CDS and BCD: same symbol, different exchanges.
  assert.is(m.byInstrument("CDS", "USDINR29DEC26FUT")!.token, "1255");
  assert.is(m.byInstrument("BCD", "USDINR29DEC26FUT")!.token, "1101");
});

// ---------------------------------------------------------------------------------------------
// Symbol derivation

test("(brokerExchange, token) is the key: same token on NSE and BSE loads twice, same key twice is an error", () => {
  const m = load([
    "NSE,500,1,AAA,AAA-EQ,,EQ,,,0.05",
    "BSE,500,1,BBB,BBB,,A,,,0.05",
    "NFO,500,50,AAA,AAA30DEC26F,30-DEC-2026,FUTSTK,XX,0,0.05",
    "NSE,500,1,CCC,CCC-EQ,,EQ,,,0.05",
  ]);
  assert.is(m.size, 3);
  assert.is(m.byToken("NSE", "500")!.symbol, "AAA");
  assert.is(m.byToken("BSE", "500")!.symbol, "BBB");
  assert.is(m.byToken("NFO", "500")!.symbol, "AAA30DEC26FUT");
  assert.is(m.errorCount, 1);
  assert.is(m.errors[0]!.line, 5);
  assert.match(m.errors[0]!.reason, /duplicate key NSE\|500 \(already NSE:AAA\)/);
  assert.is(m.byInstrument("NSE", "CCC"), undefined, "the duplicate is not half-added");
});

test("an index and an equity share a broker segment: NSE_INDEX from Instrument INDEX on NSE", () => {
  const m = load([
    "NSE,26000,1,NIFTY,Nifty 50,,INDEX,,,0.05",
    "NSE,2885,1,RELIANCE,RELIANCE-EQ,,EQ,,,0.05",
    "BSE,1,1,SENSEX,SENSEX,,UNDIND,,,0.01",
    "BSE,99,1,BANKEX,BANKEX,,index,,,0.01", // case-insensitive
    "MCX,1,1,MCXCOMDEX,MCXCOMDEX,,INDEX,,,0.01",
  ]);
  assert.equal(m.errors, []);
  assert.equal(m.rows.map((r) => `${r.exchange}:${r.symbol}=${scripKey(r)}`), [
    "NSE_INDEX:NIFTY=NSE|26000", "NSE:RELIANCE=NSE|2885", "BSE_INDEX:SENSEX=BSE|1", "BSE_INDEX:BANKEX=BSE|99", "MCX_INDEX:MCXCOMDEX=MCX|1",
  ]);
  // An index on a segment whose map has no index exchange is a row error, not a plain row.
  const noIndex = new ExchangeMap([{ exchange: "NSE", broker: "NSE" }]);
  const m2 = load(["NSE,26000,1,NIFTY,Nifty 50,,INDEX,,,0.05", "NSE,2885,1,RELIANCE,RELIANCE-EQ,,EQ,,,0.05"], { exchanges: noIndex });
  assert.is(m2.size, 1);
  assert.is(m2.errors[0]!.line, 2);
  assert.match(m2.errors[0]!.reason, /index \(Instrument "INDEX"\) on NSE has no tickwire exchange/);
});

test("index names are normalised the OpenAlgo (Flattrade) way", () => {
  const cases: [string, string, string][] = [
    ["NSE", "Nifty 50", "NIFTY"],
    ["NSE", "NIFTY INDEX", "NIFTY"],
    ["NSE", "Nifty Bank", "BANKNIFTY"],
    ["NSE", "NIFTY BANK", "BANKNIFTY"],
    ["NSE", "Nifty Fin Service", "FINNIFTY"],
    ["NSE", "NIFTY FIN", "FINNIFTY"],
    ["NSE", "Nifty Financial Services", "FINNIFTY"],
    ["NSE", "Nifty Next 50", "NIFTYNXT50"],
    ["NSE", "NIFTY MID SELECT", "MIDCPNIFTY"],
    ["NSE", "Nifty Midcap Select", "MIDCPNIFTY"],
    ["NSE", "India VIX", "INDIAVIX"],
    ["NSE", "Nifty IT", "NIFTYIT"],
    ["NSE", "NIFTY-AUTO", "NIFTYAUTO"],
    ["BSE", "S&P BSE SENSEX", "SENSEX"],
    ["BSE", "BSE SENSEX", "SENSEX"],
    ["BSE", "S&P BSE SENSEX 50", "SENSEX50"],
    ["BSE", "BSE SENSEX 50", "SENSEX50"],
    ["BSE", "S&P BSE SENSEX Next 50", "BSESENSEXNEXT50"],
    ["BSE", "BANKEX", "BANKEX"],
  ];
  for (const [broker, name, want] of cases) {
    const ex = broker === "NSE" ? "NSE_INDEX" : "BSE_INDEX";
    assert.is(symbolOf(`${broker},7,1,X,${name},,INDEX,,,0.05`), `${ex}:${want}`, name);
    assert.is(openAlgoSymbol({ exchange: ex, brokerExchange: broker, tradingSymbol: name, index: true }), want, name);
  }
  // The broker's own name stays the brokerSymbol.
  assert.is(only(load(["NSE,26000,1,NIFTY,Nifty 50,,INDEX,,,0.05"])).brokerSymbol, "Nifty 50");
});

test("futures and options: OpenAlgo's Symbol + DDMMMYY + FUT / strike + CE|PE", () => {
  const cases: [string, string][] = [
    ["NFO,1,75,NIFTY,NIFTY30DEC26F,30-DEC-2026,FUTIDX,XX,0.00,0.05", "NFO:NIFTY30DEC26FUT"],
    ["NFO,2,75,NIFTY,NIFTY30DEC26C24000,30-DEC-2026,OPTIDX,CE,24000.00,0.05", "NFO:NIFTY30DEC2624000CE"],
    ["NFO,3,75,NIFTY,NIFTY30DEC26P24000,30-DEC-2026,OPTIDX,PE,24000,0.05", "NFO:NIFTY30DEC2624000PE"],
    ["NFO,4,75,NIFTY,NIFTY06JAN26C24000,6-Jan-26,OPTIDX,ce,24000.00,0.05", "NFO:NIFTY06JAN2624000CE"],
    ["NFO,5,75,NIFTY,X,2026-12-30,FUTIDX,,,0.05", "NFO:NIFTY30DEC26FUT"], // no OptionType, FUT* instrument: a future
    ["NFO,6,500,reliance,X,30-DEC-2026,OPTSTK,PE,1312.5,0.05", "NFO:RELIANCE30DEC261312.5PE"],
    ["CDS,7,1000,USDINR,USDINR27DEC24C84.25,27-DEC-2024,OPTCUR,CE,84.2500,0.0025", "CDS:USDINR27DEC2484.25CE"],
    ["CDS,8,1000,USDINR,USDINR29DEC26C84.25,29-DEC-2026,OPTCUR,CE,84.25,", "CDS:USDINR29DEC2684.25CE"],
    ["MCX,9,100,CRUDEOIL,CRUDEOIL18DEC26,18-DEC-2026,FUTCOM,XX,0,1", "MCX:CRUDEOIL18DEC26FUT"],
    ["BFO,10,20,SENSEX,SENSEX24DEC26C80000,24-DEC-2026,OPTIDX,CE,80000.00,0.05", "BFO:SENSEX24DEC2680000CE"],
  ];
  for (const [line, want] of cases) assert.is(symbolOf(line), want, line);

  // openAlgoSymbol: the same derivation, directly.
  const f: BrokerInstrumentFields = { exchange: "NFO", brokerExchange: "NFO", tradingSymbol: "NIFTY30DEC26C24000", name: "NIFTY", expiry: "30-DEC-2026", optionType: "CE", strike: "24000.00" };
  assert.is(openAlgoSymbol(f), "NIFTY30DEC2624000CE");
  assert.is(openAlgoSymbol({ ...f, optionType: "XX", strike: "0" }), "NIFTY30DEC26FUT");
  assert.is(openAlgoSymbol({ exchange: "CDS", brokerExchange: "CDS", tradingSymbol: "X", name: "USDINR", expiry: "27-DEC-2024", optionType: "CE", strike: "84.2500" }), "USDINR27DEC2484.25CE");
});

test("futures and options: what is missing or malformed is a SYMBOL error naming it", () => {
  const base: BrokerInstrumentFields = { exchange: "NFO", brokerExchange: "NFO", tradingSymbol: "T", name: "NIFTY", expiry: "30-DEC-2026", optionType: "CE", strike: "24000" };
  throwsCode(() => openAlgoSymbol({ ...base, optionType: "CA" }), "SYMBOL", /OptionType "CA" is not XX, CE or PE/);
  throwsCode(() => openAlgoSymbol({ ...base, optionType: "", instrument: "OPTIDX" }), "SYMBOL", /cannot tell a future from an option/);
  throwsCode(() => openAlgoSymbol({ ...base, name: "" }), "SYMBOL", /underlying in the Symbol column/);
  throwsCode(() => openAlgoSymbol({ ...base, expiry: "" }), "SYMBOL", /needs its Expiry/);
  for (const bad of ["30/12/2026", "30-XYZ-2026", "32-DEC-2026", "0-DEC-2026", "2026-13-01", "30DEC26"]) {
    throwsCode(() => openAlgoSymbol({ ...base, expiry: bad }), "SYMBOL", /Expiry .* is not a date like 30-DEC-2026/);
  }
  for (const bad of ["", "0", "-5", "abc", "Infinity"]) {
    throwsCode(() => openAlgoSymbol({ ...base, strike: bad }), "SYMBOL", /StrikePrice .* is not a positive number/);
  }
  // A derivative segment row without expiry/option type cannot be named.
  throwsCode(() => openAlgoSymbol({ exchange: "NFO", brokerExchange: "NFO", tradingSymbol: "NIFTY30DEC26F" }), "SYMBOL", /NFO row needs Expiry and OptionType/);
  // The same in a CSV: the row is skipped, with its reason.
  const m = load([
    "NFO,1,75,NIFTY,NIFTY30DEC26F,,FUTIDX,,,0.05", // FUT instrument but no expiry
    "NFO,2,75,NIFTY,NIFTY30DEC26F,,,,,0.05", // nothing to name it by
    "NFO,3,75,NIFTY,NIFTY30DEC26C1,30-DEC-2026,OPTIDX,CE,,0.05", // no strike
    "NFO,4,75,,NIFTY30DEC26F,30-DEC-2026,FUTIDX,XX,,0.05", // no underlying
    "NFO,5,75,NIFTY,NIFTY30DEC26F,30-DEC-2026,FUTIDX,XX,,0.05", // good
  ]);
  assert.is(m.size, 1);
  assert.equal(m.errors.map((e) => e.line), [2, 3, 4, 5]);
  assert.match(m.errors[0]!.reason, /needs its Expiry/);
  assert.match(m.errors[1]!.reason, /NFO row needs Expiry and OptionType/);
  assert.match(m.errors[2]!.reason, /StrikePrice "" is not a positive number/);
  assert.match(m.errors[3]!.reason, /underlying in the Symbol column/);
});

test("-EQ/-BE series are stripped on NSE only", () => {
  assert.is(symbolOf("NSE,1,1,X,RELIANCE-EQ,,EQ,,,0.05"), "NSE:RELIANCE");
  assert.is(symbolOf("NSE,1,1,X,RCOM-BE,,BE,,,0.05"), "NSE:RCOM");
  assert.is(symbolOf("NSE,1,1,X,BAJAJ-AUTO-EQ,,EQ,,,0.05"), "NSE:BAJAJ-AUTO", "only the last suffix");
  assert.is(symbolOf("NSE,1,1,X,GOLDBEES-BL,,BL,,,0.05"), "NSE:GOLDBEES-BL", "other series are kept");
  assert.is(symbolOf("NSE,1,1,X,NOSERIES,,EQ,,,0.05"), "NSE:NOSERIES");
  assert.is(symbolOf("BSE,1,1,X,ABC-EQ,,A,,,0.05"), "BSE:ABC-EQ", "BSE keeps its trading symbol as is");
  assert.is(symbolOf("BSE,1,1,X,ABC-BE,,A,,,0.05"), "BSE:ABC-BE");
  // The broker symbol is the broker's, untouched.
  assert.is(only(load(["NSE,1,1,X,RELIANCE-EQ,,EQ,,,0.05"])).brokerSymbol, "RELIANCE-EQ");
  assert.is(openAlgoSymbol({ exchange: "NSE", brokerExchange: "NSE", tradingSymbol: "SBIN-EQ" }), "SBIN");
  assert.is(openAlgoSymbol({ exchange: "BSE", brokerExchange: "BSE", tradingSymbol: "SBIN-EQ" }), "SBIN-EQ");
});

test("OpenAlgoSymbol/OpenAlgoExchange columns, when present, are used as given and checked", () => {
  const head = "Exchange,Token,TradingSymbol,OpenAlgoSymbol,OpenAlgoExchange,TickSize";
  const m = SymbolMaster.load([
    head,
    "NSE,26000,Nifty 50,NIFTY,NSE_INDEX,0.05",
    "NSE,2885,RELIANCE-EQ,RELIANCE,NSE,0.05",
    "NFO,9,ODD-NAME,CUSTOM,NFO,0.05", // no expiry needed: the symbol is given
    "NSE,3,X-EQ,X,NFO,0.05", // NFO is not on broker NSE
    "NSE,4,Y-EQ,Y,NOWHERE,0.05", // not a tickwire exchange
    "NSE,5,Z-EQ,Z,NCDEX,0.05", // a tickwire exchange without a Noren code
    "NSE,6,W-EQ,,,0.05", // both empty: derived
  ].join("\n"));
  assert.equal(m.rows.map((r) => `${r.exchange}:${r.symbol}`), ["NSE_INDEX:NIFTY", "NSE:RELIANCE", "NFO:CUSTOM", "NSE:W"]);
  assert.equal(m.errors.map((e) => e.line), [5, 6, 7]);
  assert.match(m.errors[0]!.reason, /OpenAlgoExchange NFO is on broker exchange NFO, the row says NSE/);
  assert.match(m.errors[1]!.reason, /OpenAlgoExchange "NOWHERE" is not a tickwire exchange/);
  assert.match(m.errors[2]!.reason, /OpenAlgoExchange NCDEX has no broker code/);
});

// ---------------------------------------------------------------------------------------------
// CSV format

test("header: aliases, any case, spaces and underscores; unknown columns ignored; order free", () => {
  // Flattrade's spelling.
  const flat = SymbolMaster.load("Exchange,Token,Lotsize,Symbol,Tradingsymbol,Instrument,Expiry,Strike,Optiontype\n"
    + "NFO,52168,75,NIFTY,NIFTY30DEC26C24000,OPTIDX,30-DEC-2026,24000.00,CE\n");
  assert.equal(pick(only(flat)), { exchange: "NFO", symbol: "NIFTY30DEC2624000CE", brokerExchange: "NFO", token: "52168", brokerSymbol: "NIFTY30DEC26C24000", priceDecimals: 2, tickSize: 0.05, lotSize: 75 });
  // Noren short names, odd case, spaces, underscores, extra columns, another order.
  const odd = SymbolMaster.load(" TSYM , exch,Foo Bar,TOKEN,ls, Tick_Size ,PP, instrument type\nRELIANCE-EQ,nse,zzz,2885,1,0.05,3,EQ\n");
  assert.equal(pick(only(odd)), { exchange: "NSE", symbol: "RELIANCE", brokerExchange: "NSE", token: "2885", brokerSymbol: "RELIANCE-EQ", priceDecimals: 3, tickSize: 0.05, lotSize: 1 });
  const upper = SymbolMaster.load("EXCHANGE,TOKEN,TRADINGSYMBOL,EXPIRY_DATE,OPTION_TYPE,STRIKE_PRICE,NAME,PRICE_PRECISION\nNFO,1,T,30-DEC-2026,PE,100,ABC,2\n");
  assert.is(only(upper).symbol, "ABC30DEC26100PE");
  // A trailing comma on the header (an empty column) is fine.
  assert.is(only(SymbolMaster.load("Exchange,Token,TradingSymbol,\nNSE,1,A-EQ,\n")).symbol, "A");
  // Without LotSize, TickSize: lot 1, tick 0.05.
  const r = only(SymbolMaster.load("Exchange,Token,TradingSymbol\nNSE,1,A-EQ\n"));
  assert.is(r.lotSize, 1);
  assert.is(r.tickSize, 0.05);
  assert.is(r.priceDecimals, 2);
});

test("quoted fields: commas, doubled quotes, spaces around quotes, line breaks counted", () => {
  const csv = [
    "Exchange,Token,LotSize,Symbol,TradingSymbol,Instrument,TickSize",
    '"NSE","2885","1","RELIANCE","RELIANCE-EQ","EQ","0.05"',
    'BSE,26000,1,X,"M,N LTD",A,0.05', // a comma inside quotes
    'BSE,7,1,X,"A ""B""",A,0.05', // doubled quotes: the name holds a quote, which a symbol may not
    'NSE,8,1,X,  "SPACED-EQ"  ,EQ,0.05', // spaces around a quoted field
    'NSE,9,1,"multi', 'line",ML-EQ,EQ,0.05', // a quoted line break: one record over lines 6-7
    "NSE,10,1,X,AFTER-EQ,EQ,0.05", // line 8
  ].join("\n");
  const m = SymbolMaster.load(csv);
  assert.equal(m.rows.map((r) => `${r.exchange}:${r.symbol}|${r.brokerSymbol}`), [
    "NSE:RELIANCE|RELIANCE-EQ", "BSE:M,N LTD|M,N LTD", "NSE:SPACED|SPACED-EQ", "NSE:ML|ML-EQ", "NSE:AFTER|AFTER-EQ",
  ]);
  assert.is(m.errors.length, 1);
  assert.is(m.errors[0]!.line, 4);
  assert.match(m.errors[0]!.reason, /TradingSymbol "A \\"B\\"" holds a control character, quote/);
  // Values are trimmed at their edges (quoted or not); an index name keeps its inner spaces as the broker symbol.
  const q = only(SymbolMaster.load('Exchange,Token,TradingSymbol,Instrument\nNSE,1," Nifty  Bank ",INDEX\n'));
  assert.is(q.brokerSymbol, "Nifty  Bank");
  assert.is(q.symbol, "BANKNIFTY");
  // A quoted header.
  assert.is(only(SymbolMaster.load('"Exchange","Token","Trading Symbol"\nNSE,1,A-EQ\n')).symbol, "A");
});

test("CRLF, a BOM (string or bytes), blank lines, no final newline, unquoted fields trimmed", () => {
  const lines = ["", "  ", HEAD, "NSE,2885,1,RELIANCE,RELIANCE-EQ,,EQ,,,0.05", "", "\t", 'NSE,26000,1,NIFTY,"Nifty 50",,INDEX,,,0.05', "", " BSE , 1 , 1 , SENSEX , SENSEX , , UNDIND , , , 0.01 "];
  const want = ["NSE:RELIANCE", "NSE_INDEX:NIFTY", "BSE_INDEX:SENSEX"];
  for (const eol of ["\n", "\r\n"]) {
    for (const bom of ["", "\ufeff"]) {
      for (const tail of ["", eol, eol + eol]) {
        const text = bom + lines.join(eol) + tail;
        for (const input of [text, new TextEncoder().encode(text)]) {
          const m = SymbolMaster.load(input);
          assert.equal(m.errors, [], JSON.stringify({ eol, bom, tail }));
          assert.equal(m.rows.map((r) => `${r.exchange}:${r.symbol}`), want);
          assert.equal(m.rows.map((r) => r.brokerSymbol), ["RELIANCE-EQ", "Nifty 50", "SENSEX"], "no \\r left in a field");
        }
      }
    }
  }
  // Line numbers count the blank lines before the header and between rows.
  const m = SymbolMaster.load(["", HEAD, "", "XYZ,1,1,A,A,,EQ,,,0.05", "\r", "NSE,x,1,A,A,,EQ,,,0.05"].join("\r\n"));
  assert.equal(m.errors.map((e) => e.line), [4, 6]);
  // A BOM inside a name (not at the start of the file) is not stripped: it is not a clean name.
  const mid = SymbolMaster.load("Exchange,Token,TradingSymbol\nNSE,1,A\ufeffB-EQ\n");
  assert.is(mid.size, 0);
  assert.match(mid.errors[0]!.reason, /BOM/);
});

test("a bad row is skipped with its line number and the load goes on", () => {
  const long = "X".repeat(57);
  const lines = [
    /* 2 */ "NSE,1,1,A,A-EQ,,EQ,,,0.05",
    /* 3 */ "XYZ,2,1,A,B-EQ,,EQ,,,0.05", // unknown exchange
    /* 4 */ "NSE,12a,1,A,C-EQ,,EQ,,,0.05", // bad token
    /* 5 */ "NSE,,1,A,D-EQ,,EQ,,,0.05", // empty token
    /* 6 */ "NSE,123456789012345678901,1,A,E-EQ,,EQ,,,0.05", // token too long
    /* 7 */ "NSE,7,1,A,F-EQ,,EQ,,,0.0.5", // bad tick size
    /* 8 */ "NSE,8,1,A,G-EQ,,EQ,,,0", // zero tick size
    /* 9 */ "NSE,9,1,A,H-EQ,,EQ,,,-0.05", // negative tick size
    /* 10 */ "NSE,10,1,A,I-EQ,,EQ,,,1e-2", // not a plain decimal
    /* 11 */ "NSE,11,1,A,J-EQ,,EQ,,,0.0000000001", // more than 9 decimals
    /* 12 */ "NSE,1,1,A,K-EQ,,EQ,,,0.05", // duplicate key NSE|1
    /* 13 */ "NSE,13,1,A,A-EQ,,EQ,,,0.05", // duplicate symbol NSE:A
    /* 14 */ "NSE,14,1,A,L-EQ,,EQ,,,0.05,extra", // too many fields
    /* 15 */ "NSE,15,0,A,M-EQ,,EQ,,,0.05", // lot size 0
    /* 16 */ "NSE,16,1.5,A,N-EQ,,EQ,,,0.05", // fractional lot size
    /* 17 */ "NSE,17,1,A,,,EQ,,,0.05", // empty trading symbol
    /* 18 */ `NSE,18,1,A,${long},,EQ,,,0.05`, // symbol over 56 bytes
    /* 19 */ "NSE,19", // too few fields
    /* 20 */ "N-SE,20,1,A,O-EQ,,EQ,,,0.05", // not a segment code
    /* 21 */ 'NSE,21,1,A,"P-EQ"x,,EQ,,,0.05', // text after a closing quote
    /* 22 */ "NSE,22,1,A,Q\u0001-EQ,,EQ,,,0.05", // control character
    /* 23 */ "NSE,23,1,A,R-EQ,,EQ,,,0.05,,,", // trailing empty fields: fine
    /* 24 */ "NSE,24,1,A,S-EQ,,EQ,,,0.05", // good
  ];
  const m = load(lines);
  assert.equal(m.rows.map((r) => r.symbol), ["A", "R", "S"]);
  const want: [number, RegExp][] = [
    [3, /Exchange XYZ has no tickwire exchange/],
    [4, /Token "12a" must be 1\.\.20 decimal digits/],
    [5, /Token "" must be/],
    [6, /Token "123456789012345678901" must be/],
    [7, /TickSize "0\.0\.5" is not a positive decimal/],
    [8, /TickSize "0" is not a positive decimal/],
    [9, /TickSize "-0\.05" is not a positive decimal/],
    [10, /TickSize "1e-2" is not a positive decimal/],
    [11, /TickSize 0\.0000000001 has more than 9 decimals/],
    [12, /duplicate key NSE\|1 \(already NSE:A\)/],
    [13, /duplicate instrument NSE:A \(already NSE\|1\)/],
    [14, /has more fields than the header \(11 > 10\)/],
    [15, /LotSize "0" is not a positive integer/],
    [16, /LotSize "1\.5" is not a positive integer/],
    [17, /TradingSymbol is empty/],
    [18, /longer than 56 UTF-8 bytes/],
    [19, /has 2 fields, the required columns need 5/],
    [20, /Exchange "N-SE" is not a segment code/],
    [21, /text after a closing quote/],
    [22, /control character/],
  ];
  assert.equal(m.errors.map((e) => e.line), want.map(([l]) => l), JSON.stringify(m.errors, null, 1));
  want.forEach(([, re], i) => assert.match(m.errors[i]!.reason, re, `line ${want[i]![0]}`));
  assert.is(m.errorCount, want.length);
  for (const e of m.errors) assert.ok(Object.isFrozen(e));
  // Nothing of a bad row is left behind in either index.
  assert.is(m.byToken("NSE", "13"), undefined);
  assert.is(m.byToken("NSE", "14"), undefined);
  assert.is(m.byInstrument("NSE", "K"), undefined);
});

test("an unclosed quote is one bad row: its line is reported and the rows after it load", () => {
  // At the end of the file.
  const end = load(["NSE,1,1,A,A-EQ,,EQ,,,0.05", 'NSE,2,1,B,"B-EQ,,EQ,,,0.05']);
  assert.equal(end.rows.map((r) => r.symbol), ["A"]);
  assert.equal(end.errors.map((e) => e.line), [3]);
  assert.match(end.errors[0]!.reason, /quoted field is never closed/);
  // In the middle: no quote closes it anywhere, so it cannot be a quoted line break.
  const mid = load(["NSE,1,1,A,A-EQ,,EQ,,,0.05", 'NSE,2,1,B,"B-EQ,,EQ,,,0.05', "NSE,3,1,C,C-EQ,,EQ,,,0.05", "NSE,4,1,D,D-EQ,,EQ,,,0.05"]);
  assert.equal(mid.rows.map((r) => r.symbol), ["A", "C", "D"]);
  assert.equal(mid.errors.map((e) => e.line), [3]);
  // Line numbers after it are still right.
  const after = load(['NSE,2,1,B,"B-EQ,,EQ,,,0.05', "XYZ,3,1,C,C-EQ,,EQ,,,0.05", "NSE,4,1,D,D-EQ,,EQ,,,0.05"]);
  assert.equal(after.rows.map((r) => r.symbol), ["D"]);
  assert.equal(after.errors.map((e) => e.line), [2, 3]);
  // CRLF too.
  const crlf = SymbolMaster.load([HEAD, 'NSE,2,1,B,"B-EQ,,EQ,,,0.05', "NSE,4,1,D,D-EQ,,EQ,,,0.05", ""].join("\r\n"));
  assert.equal(crlf.rows.map((r) => `${r.symbol}|${r.brokerSymbol}`), ["D|D-EQ"]);
  assert.equal(crlf.errors.map((e) => e.line), [2]);
});

test("maxErrors caps the errors kept; errorCount counts them all", () => {
  const bad = Array.from({ length: 50 }, (_, i) => `XYZ,${i},1,A,A${i},,EQ,,,0.05`);
  const good = "NSE,1,1,A,OK-EQ,,EQ,,,0.05";
  const m = load([...bad, good], { maxErrors: 5 });
  assert.is(m.size, 1);
  assert.is(m.errorCount, 50);
  assert.is(m.errors.length, 5);
  assert.equal(m.errors.map((e) => e.line), [2, 3, 4, 5, 6], "the first ones, in file order");
  const none = load([...bad, good], { maxErrors: 0 });
  assert.is(none.errors.length, 0);
  assert.is(none.errorCount, 50);
  assert.is(none.size, 1);
  const dflt = load(Array.from({ length: 1200 }, (_, i) => `XYZ,${i},1,A,A${i},,EQ,,,0.05`));
  assert.is(dflt.errors.length, 1000, "default maxErrors is 1000");
  assert.is(dflt.errorCount, 1200);
  // fromRows too.
  const fr = SymbolMaster.fromRows(Array.from({ length: 20 }, () => ({}) as InstrumentRow), { maxErrors: 3 });
  assert.is(fr.errors.length, 3);
  assert.is(fr.errorCount, 20);
});

test("tick size: absent -> 0.05 (0.0025 on CDS/BCD); priceDecimals from it, at least minPriceDecimals", () => {
  const head = "Exchange,Token,LotSize,Symbol,TradingSymbol,Expiry,Instrument,OptionType,StrikePrice";
  const m = SymbolMaster.load([
    head,
    "NSE,1,1,A,A-EQ,,EQ,,",
    "NFO,2,75,NIFTY,X,30-DEC-2026,FUTIDX,XX,0",
    "CDS,3,1000,USDINR,X,29-DEC-2026,FUTCUR,XX,0",
    "BCD,4,1000,USDINR,X,29-DEC-2026,FUTCUR,XX,0",
    "MCX,5,100,CRUDEOIL,X,18-DEC-2026,FUTCOM,XX,0",
  ].join("\n"));
  assert.equal(m.errors, []);
  assert.equal(m.rows.map((r) => [r.exchange, r.tickSize, r.priceDecimals]), [
    ["NSE", 0.05, 2], ["NFO", 0.05, 2], ["CDS", 0.0025, 4], ["BCD", 0.0025, 4], ["MCX", 0.05, 2],
  ]);
  // An empty TickSize field is the same as no column.
  assert.equal([only(load(["CDS,1,1,USDINR,X,29-DEC-2026,FUTCUR,XX,0,"])).tickSize, only(load(["NSE,1,1,A,A-EQ,,EQ,,,"])).tickSize], [0.0025, 0.05]);
  // Decimals from the tick: 1 -> 2 (paise), 0.1 -> 2, 0.0025 -> 4, 0.001 -> 3.
  const ticks: [string, number][] = [["1", 2], ["1.00", 2], ["0.10", 2], ["0.01", 2], ["0.001", 3], ["0.0025", 4], ["0.000000001", 9], ["5", 2]];
  for (const [t, d] of ticks) {
    const r = only(load([`NSE,1,1,A,A-EQ,,EQ,,,${t}`]));
    assert.is(r.priceDecimals, d, t);
    assert.is(r.tickSize, Number(t));
  }
  // minPriceDecimals moves the floor.
  assert.is(only(load(["NSE,1,1,A,A-EQ,,EQ,,,1"], { minPriceDecimals: 0 })).priceDecimals, 0);
  assert.is(only(load(["NSE,1,1,A,A-EQ,,EQ,,,0.05"], { minPriceDecimals: 0 })).priceDecimals, 2);
  assert.is(only(load(["NSE,1,1,A,A-EQ,,EQ,,,0.05"], { minPriceDecimals: 5 })).priceDecimals, 5);
});

test("PricePrecision: wins over the tick's decimals, must hold the tick, 0..9", () => {
  const head = "Exchange,Token,TradingSymbol,TickSize,PricePrecision,OpenAlgoSymbol";
  const m = SymbolMaster.load([
    head,
    "NSE,1,A-EQ,0.05,2", // ok
    "NSE,2,B-EQ,1,0", // ok: below minPriceDecimals, given explicitly
    "NSE,3,C-EQ,0.05,4", // ok: more decimals than the tick needs
    "CDS,4,X,0.0025,2,X", // the tick needs 4
    "NSE,5,D-EQ,0.05,1", // the tick needs 2
    "NSE,6,E-EQ,0.05,10", // too many
    "NSE,7,F-EQ,0.05,-1",
    "NSE,8,G-EQ,0.05,2.0",
    "NSE,9,H-EQ,,1", // default tick 0.05 needs 2
    "CDS,10,Y,,4,Y", // default CDS tick 0.0025: ok
  ].join("\n"));
  assert.equal(m.rows.map((r) => [r.token, r.tickSize, r.priceDecimals]), [["1", 0.05, 2], ["2", 1, 0], ["3", 0.05, 4], ["10", 0.0025, 4]]);
  assert.equal(m.errors.map((e) => e.line), [5, 6, 7, 8, 9, 10]);
  assert.match(m.errors[0]!.reason, /TickSize 0\.0025 needs 4 decimals, PricePrecision is 2/);
  assert.match(m.errors[1]!.reason, /TickSize 0\.05 needs 2 decimals, PricePrecision is 1/);
  assert.match(m.errors[2]!.reason, /PricePrecision "10" is not an integer from 0 to 9/);
  assert.match(m.errors[3]!.reason, /PricePrecision "-1"/);
  assert.match(m.errors[4]!.reason, /PricePrecision "2\.0"/);
  assert.match(m.errors[5]!.reason, /TickSize 0\.05 needs 2 decimals, PricePrecision is 1/);
});

test("AllowNonPositive column: yes/no spellings, anything else a row error", () => {
  const m = SymbolMaster.load(["Exchange,Token,TradingSymbol,AllowNonPositive",
    "MCX,1,A,,", "NSE,2,B-EQ,true", "NSE,3,C-EQ,YES", "NSE,4,D-EQ,1", "NSE,5,E-EQ,no", "NSE,6,F-EQ,0", "NSE,7,G-EQ,maybe"].join("\n"));
  // The MCX row has no expiry: an error; the rest load with their flag.
  assert.equal(m.rows.map((r) => [r.symbol, r.allowNonPositive]), [["B", true], ["C", true], ["D", true], ["E", false], ["F", false]]);
  assert.equal(m.errors.map((e) => e.line), [2, 8]);
  assert.match(m.errors[1]!.reason, /AllowNonPositive "maybe" is not true\/false/);
});

// ---------------------------------------------------------------------------------------------
// fromRows

const GOOD: InstrumentRow = { exchange: "NSE", symbol: "RELIANCE", brokerExchange: "NSE", token: "2885", brokerSymbol: "RELIANCE-EQ", priceDecimals: 2, tickSize: 0.05, lotSize: 1 };

test("fromRows: rows are checked and copied; a bad row is an error at its 1-based position, never a throw", () => {
  const input: unknown[] = [
    /* 1 */ GOOD,
    /* 2 */ { ...GOOD, token: "2885", symbol: "OTHER" }, // duplicate key
    /* 3 */ { ...GOOD, token: "1" }, // duplicate instrument
    /* 4 */ { ...GOOD, exchange: "BSE", brokerExchange: "BSE", brokerSymbol: "RELIANCE" }, // same token, other exchange: fine
    /* 5 */ { ...GOOD, exchange: "NSE_INDEX", symbol: "NIFTY", token: "26000" }, // ok: NSE_INDEX on NSE
    /* 6 */ { ...GOOD, exchange: "NFO", symbol: "X", token: "6" }, // NFO is not on broker NSE
    /* 7 */ { ...GOOD, exchange: "NASDAQ", symbol: "X", token: "7" },
    /* 8 */ { ...GOOD, symbol: "X", token: "8", tickSize: 0.0025 }, // needs 4 decimals, has 2
    /* 9 */ { ...GOOD, symbol: "X", token: "9", tickSize: 0 },
    /* 10 */ { ...GOOD, symbol: "X", token: "10", priceDecimals: 10 },
    /* 11 */ { ...GOOD, symbol: "X", token: "11", lotSize: 0 },
    /* 12 */ { ...GOOD, symbol: "X", token: 12 },
    /* 13 */ { ...GOOD, symbol: "X", token: "13a" },
    /* 14 */ { ...GOOD, symbol: "", token: "14" },
    /* 15 */ { ...GOOD, symbol: 'QU"OTE', token: "15" },
    /* 16 */ { ...GOOD, symbol: "X", token: "16", brokerExchange: "nse" },
    /* 17 */ { ...GOOD, symbol: "X", token: "17", allowNonPositive: "yes" },
    /* 18 */ null,
    /* 19 */ "NSE:RELIANCE",
    /* 20 */ { ...GOOD, symbol: "CDSLIKE", token: "20", tickSize: 0.0025, priceDecimals: 4, allowNonPositive: true }, // ok
    /* 21 */ { ...GOOD, symbol: "X", token: "21", brokerSymbol: undefined },
  ];
  const m = SymbolMaster.fromRows(input as InstrumentRow[]);
  assert.equal(m.rows.map((r) => `${r.exchange}:${r.symbol}=${scripKey(r)}`), ["NSE:RELIANCE=NSE|2885", "BSE:RELIANCE=BSE|2885", "NSE_INDEX:NIFTY=NSE|26000", "NSE:CDSLIKE=NSE|20"]);
  const want: [number, RegExp][] = [
    [2, /duplicate key NSE\|2885/], [3, /duplicate instrument NSE:RELIANCE/], [6, /exchange NFO is on broker exchange NFO, the row says NSE/],
    [7, /exchange "NASDAQ" is not a tickwire exchange/], [8, /tickSize 0\.0025 needs more than priceDecimals \(2\)/], [9, /tickSize must be a positive number, got 0/],
    [10, /priceDecimals must be an integer from 0 to 9, got 10/], [11, /lotSize must be a positive integer, got 0/], [12, /token must be a string, got 12/],
    [13, /Token "13a" must be/], [14, /symbol is empty/], [15, /symbol .* holds a control character, quote/], [16, /brokerExchange "nse" is not a segment code/],
    [17, /allowNonPositive must be a boolean/], [18, /row must be an object, got null/], [19, /row must be an object, got "NSE:RELIANCE"/],
    [21, /brokerSymbol must be a string, got undefined/],
  ];
  assert.equal(m.errors.map((e) => e.line), want.map(([l]) => l), JSON.stringify(m.errors, null, 1));
  want.forEach(([, re], i) => assert.match(m.errors[i]!.reason, re, `row ${want[i]![0]}`));
  // Copied and frozen: the caller's object is not the stored one, and extra fields are dropped.
  const r = m.byToken("NSE", "2885")!;
  assert.is.not(r, GOOD);
  assert.ok(Object.isFrozen(r));
  assert.equal(r, { ...GOOD, allowNonPositive: false });
  assert.is(m.byInstrument("NSE", "CDSLIKE")!.allowNonPositive, true);
  // Any iterable; an empty one gives an empty master.
  function* gen(): Generator<InstrumentRow> { yield GOOD; }
  assert.is(SymbolMaster.fromRows(gen()).size, 1);
  assert.is(SymbolMaster.fromRows(new Set([GOOD])).size, 1);
  assert.is(SymbolMaster.fromRows([]).size, 0);
});

test("a custom ExchangeMap decides the exchanges of fromRows and load", () => {
  const map = new ExchangeMap([{ exchange: "NSE", broker: "NSECM" }, { exchange: "NSE_INDEX", broker: "NSECM", index: true }]);
  const m = SymbolMaster.fromRows([{ ...GOOD, brokerExchange: "NSECM" }, GOOD], { exchanges: map });
  assert.is(m.size, 1);
  assert.is(m.byToken("NSECM", "2885")!.symbol, "RELIANCE");
  assert.match(m.errors[0]!.reason, /exchange NSE is on broker exchange NSECM, the row says NSE/);
  const c = SymbolMaster.load("Exchange,Token,TradingSymbol,Instrument\nNSECM,2885,RELIANCE-EQ,EQ\nNSECM,26000,Nifty 50,INDEX\nNSE,1,X-EQ,EQ\n", { exchanges: map });
  assert.equal(c.rows.map((r) => `${r.exchange}:${r.symbol}=${scripKey(r)}`), ["NSE:RELIANCE=NSECM|2885", "NSE_INDEX:NIFTY=NSECM|26000"]);
  assert.match(c.errors[0]!.reason, /Exchange NSE has no tickwire exchange in this map/);
  // Cash rules follow tickwire's exchange, not the broker's spelling of it: NSECM equities lose "-EQ" like NSE ones,
  // and a BSE cash row needs no expiry whatever its segment is called.
  const bseMap = new ExchangeMap([{ exchange: "BSE", broker: "BSECM" }, { exchange: "BSE_INDEX", broker: "BSECM", index: true }]);
  const b = SymbolMaster.load("Exchange,Token,TradingSymbol,Instrument\nBSECM,500325,RELIANCE-EQ,A\nBSECM,1,SENSEX,UNDIND\n", { exchanges: bseMap });
  assert.equal(b.errors, []);
  assert.equal(b.rows.map((r) => `${r.exchange}:${r.symbol}=${scripKey(r)}`), ["BSE:RELIANCE-EQ=BSECM|500325", "BSE_INDEX:SENSEX=BSECM|1"]);
  assert.is(openAlgoSymbol({ exchange: "NSE", brokerExchange: "NSECM", tradingSymbol: "SBIN-EQ" }), "SBIN");
});

// ---------------------------------------------------------------------------------------------
// Arguments

test("load: bad arguments throw ARGUMENT naming the problem", () => {
  for (const bad of [undefined, null, 42, {}, [], ["a,b"], new Uint16Array(4), new DataView(new ArrayBuffer(4))]) {
    throwsCode(() => SymbolMaster.load(bad as never), "ARGUMENT", /SymbolMaster\.load: csv must be a string, Uint8Array or ArrayBuffer/);
  }
  throwsCode(() => SymbolMaster.load(new Uint8Array([0x45, 0x78, 0xff, 0x0a])), "ARGUMENT", /not well-formed UTF-8/);
  throwsCode(() => SymbolMaster.load(new Uint8Array([0xc3]).buffer), "ARGUMENT", /not well-formed UTF-8/);
  throwsCode(() => SymbolMaster.load("Exchange,Symbol,TradingSymbol\nNSE,A,A-EQ\n"), "ARGUMENT", /the header lacks Token/);
  throwsCode(() => SymbolMaster.load("foo,bar\n1,2\n"), "ARGUMENT", /the header lacks Exchange, Token, TradingSymbol \(got "foo,bar"\)/);
  throwsCode(() => SymbolMaster.load("NSE,2885,1,RELIANCE,RELIANCE-EQ,,EQ,,,0.05\n"), "ARGUMENT", /the header lacks/);
  throwsCode(() => SymbolMaster.load("Exchange,Token,TradingSymbol,Tsym\nNSE,1,A,A\n"), "ARGUMENT", /header columns 3 and 4 both give TradingSymbol/);
  throwsCode(() => SymbolMaster.load("Exch,Exchange,Token,TradingSymbol\n"), "ARGUMENT", /both give Exchange/);
  // Nothing at all is not a master either (an empty download must not pass as an empty day).
  for (const empty of ["", "\n\n", "\ufeff", " \r\n\t\r\n", new Uint8Array(0)]) {
    throwsCode(() => SymbolMaster.load(empty), "ARGUMENT", /SymbolMaster\.load: csv has no header line/);
  }
  // A header without rows is a valid, empty master.
  const h = SymbolMaster.load(HEAD);
  assert.is(h.size, 0);
  assert.is(h.errorCount, 0);
});

test("options: bad options throw ARGUMENT naming the option", () => {
  for (const make of [(o: unknown) => SymbolMaster.load(HEAD, o as never), (o: unknown) => SymbolMaster.fromRows([], o as never)]) {
    throwsCode(() => make(42), "ARGUMENT", /options must be an object, got 42/);
    throwsCode(() => make(null), "ARGUMENT", /options must be an object, got null/);
    throwsCode(() => make([]), "ARGUMENT", /options must be an object/);
    throwsCode(() => make({ maxErrors: -1 }), "ARGUMENT", /options\.maxErrors must be an integer from 0/);
    throwsCode(() => make({ maxErrors: 1.5 }), "ARGUMENT", /options\.maxErrors/);
    throwsCode(() => make({ maxErrors: "10" }), "ARGUMENT", /options\.maxErrors/);
    throwsCode(() => make({ minPriceDecimals: 10 }), "ARGUMENT", /options\.minPriceDecimals must be an integer from 0 to 9/);
    throwsCode(() => make({ minPriceDecimals: -1 }), "ARGUMENT", /options\.minPriceDecimals/);
    throwsCode(() => make({ exchanges: NOREN_EXCHANGE_TABLE }), "ARGUMENT", /options\.exchanges must be an ExchangeMap, got an array/);
    throwsCode(() => make({ exchanges: {} }), "ARGUMENT", /options\.exchanges must be an ExchangeMap/);
    assert.ok(make({}) instanceof SymbolMaster);
    assert.ok(make({ exchanges: NOREN_EXCHANGES, maxErrors: 0, minPriceDecimals: 0 }) instanceof SymbolMaster);
  }
  for (const bad of [undefined, null, 42, "rows", { length: 1, 0: GOOD }]) {
    throwsCode(() => SymbolMaster.fromRows(bad as never), "ARGUMENT", /SymbolMaster\.fromRows: rows must be an iterable of InstrumentRow/);
  }
});

test("lookups and helpers with non-string arguments throw ARGUMENT", () => {
  const m = SymbolMaster.load(SAMPLE);
  for (const bad of [undefined, null, 2885, Symbol("x"), {}, ["NSE"]]) {
    throwsCode(() => m.byInstrument(bad as never, "RELIANCE"), "ARGUMENT", /SymbolMaster\.byInstrument: exchange must be a string/);
    throwsCode(() => m.byInstrument("NSE", bad as never), "ARGUMENT", /SymbolMaster\.byInstrument: symbol must be a string/);
    throwsCode(() => m.byToken(bad as never, "2885"), "ARGUMENT", /SymbolMaster\.byToken: brokerExchange must be a string/);
    throwsCode(() => m.byToken("NSE", bad as never), "ARGUMENT", /SymbolMaster\.byToken: token must be a string/);
  }
  throwsCode(() => scripKey(null as never), "ARGUMENT", /scripKey: row must have string brokerExchange and token, got null/);
  throwsCode(() => scripKey({ brokerExchange: "NSE", token: 2885 } as never), "ARGUMENT", /scripKey/);
  throwsCode(() => scripKey({ token: "2885" } as never), "ARGUMENT", /scripKey/);
  assert.is(scripKey({ brokerExchange: "BSE", token: "1" }), "BSE|1");

  throwsCode(() => openAlgoSymbol(null as never), "ARGUMENT", /openAlgoSymbol: fields must be an object, got null/);
  throwsCode(() => openAlgoSymbol("RELIANCE-EQ" as never), "ARGUMENT", /fields must be an object/);
  throwsCode(() => openAlgoSymbol({ exchange: "NSE", brokerExchange: "NSE" } as never), "ARGUMENT", /fields\.tradingSymbol and fields\.brokerExchange are required/);
  throwsCode(() => openAlgoSymbol({ exchange: "NSE", tradingSymbol: "A" } as never), "ARGUMENT", /are required/);
  throwsCode(() => openAlgoSymbol({ exchange: "NSE", brokerExchange: "NSE", tradingSymbol: 5 } as never), "ARGUMENT", /fields\.tradingSymbol must be a string, got 5/);
  throwsCode(() => openAlgoSymbol({ exchange: "NFO", brokerExchange: "NFO", tradingSymbol: "A", strike: 24000 } as never), "ARGUMENT", /fields\.strike must be a string/);
  throwsCode(() => openAlgoSymbol({ exchange: "NSE", brokerExchange: "NSE", tradingSymbol: "A", index: "yes" } as never), "ARGUMENT", /fields\.index must be a boolean/);
});

// ---------------------------------------------------------------------------------------------
// ExchangeMap

test("NOREN_EXCHANGES: OpenAlgo's forward map, and a reverse that needs the instrument type", () => {
  const forward: [string, string | undefined][] = [
    ["NSE", "NSE"], ["BSE", "BSE"], ["NFO", "NFO"], ["BFO", "BFO"], ["CDS", "CDS"], ["BCD", "BCD"], ["MCX", "MCX"],
    ["NSE_INDEX", "NSE"], ["BSE_INDEX", "BSE"], ["MCX_INDEX", "MCX"],
    ["NCDEX", undefined], ["NCO", undefined], ["GLOBAL_INDEX", undefined], ["CRYPTO", undefined], ["nse", undefined], ["", undefined],
  ];
  for (const [ex, code] of forward) assert.is(NOREN_EXCHANGES.toBroker(ex), code, ex);

  // The reverse: the plain exchange unless the instrument type is an index ("INDEX", "UNDIND", any case, trimmed).
  const reverse: [string, string | undefined, string | undefined][] = [
    ["NSE", undefined, "NSE"], ["NSE", "", "NSE"], ["NSE", "EQ", "NSE"], ["NSE", "INDEX", "NSE_INDEX"], ["NSE", " index ", "NSE_INDEX"],
    ["BSE", "A", "BSE"], ["BSE", "UNDIND", "BSE_INDEX"], ["BSE", "INDEX", "BSE_INDEX"], ["MCX", "FUTCOM", "MCX"], ["MCX", "INDEX", "MCX_INDEX"],
    ["NFO", "OPTIDX", "NFO"], ["NFO", "INDEX", undefined], ["CDS", "FUTCUR", "CDS"], ["BCD", "", "BCD"], ["BFO", "", "BFO"],
    ["NSE_INDEX", "", undefined], ["nse", "", undefined], ["XYZ", "INDEX", undefined],
  ];
  for (const [code, type, ex] of reverse) {
    assert.is(type === undefined ? NOREN_EXCHANGES.fromBroker(code) : NOREN_EXCHANGES.fromBroker(code, type), ex, `${code}+${type}`);
  }
  // Every mapping goes there and back.
  for (const m of NOREN_EXCHANGE_TABLE) {
    assert.is(NOREN_EXCHANGES.fromBroker(NOREN_EXCHANGES.toBroker(m.exchange)!, m.index ? "INDEX" : "EQ"), m.exchange);
  }
  assert.ok(Object.isFrozen(NOREN_EXCHANGE_TABLE));
  assert.ok(Object.isFrozen(NOREN_EXCHANGE_TABLE[0]));

  for (const code of ["NSE", "BSE", "NFO", "BFO", "CDS", "BCD", "MCX"]) assert.ok(NOREN_EXCHANGES.hasBroker(code), code);
  for (const code of ["NSE_INDEX", "nse", "NCDEX", "", 1, null]) assert.not.ok(NOREN_EXCHANGES.hasBroker(code as never), String(code));

  for (const ex of ["NSE_INDEX", "BSE_INDEX", "MCX_INDEX"]) assert.ok(NOREN_EXCHANGES.isIndex(ex), ex);
  for (const ex of ["NSE", "BSE", "NFO", "MCX", "GLOBAL_INDEX", "nse_index", "", 10, undefined]) assert.not.ok(NOREN_EXCHANGES.isIndex(ex as never), String(ex));

  throwsCode(() => NOREN_EXCHANGES.toBroker(1 as never), "ARGUMENT", /ExchangeMap\.toBroker: exchange must be a string, got 1/);
  throwsCode(() => NOREN_EXCHANGES.fromBroker(null as never), "ARGUMENT", /ExchangeMap\.fromBroker: brokerExchange must be a string/);
  throwsCode(() => NOREN_EXCHANGES.fromBroker("NSE", 5 as never), "ARGUMENT", /ExchangeMap\.fromBroker: instrumentType must be a string/);
});

test("isIndexInstrument: INDEX and UNDIND, any case, trimmed", () => {
  for (const t of ["INDEX", "index", " Index ", "UNDIND", "undind"]) assert.ok(isIndexInstrument(t), t);
  for (const t of ["", "EQ", "FUTIDX", "OPTIDX", "INDEXX", "IND", "A"]) assert.not.ok(isIndexInstrument(t), t);
  throwsCode(() => isIndexInstrument(undefined as never), "ARGUMENT", /isIndexInstrument: instrumentType must be a string, got undefined/);
});

test("ExchangeMap: a custom table, and a bad table throws naming the row", () => {
  const m = new ExchangeMap([
    { exchange: "NSE", broker: "NSECM" }, { exchange: "NSE_INDEX", broker: "NSECM", index: true }, { exchange: "NCDEX", broker: "NCDEX" },
    { exchange: "GLOBAL_INDEX", broker: "GLOBAL", index: true },
  ]);
  assert.is(m.toBroker("NSE"), "NSECM");
  assert.is(m.toBroker("NSE_INDEX"), "NSECM");
  assert.is(m.toBroker("BSE"), undefined);
  assert.is(m.fromBroker("NSECM", "EQ"), "NSE");
  assert.is(m.fromBroker("NSECM", "INDEX"), "NSE_INDEX");
  assert.is(m.fromBroker("NCDEX"), "NCDEX");
  assert.is(m.fromBroker("NCDEX", "INDEX"), undefined, "no index exchange on that code");
  assert.is(m.fromBroker("GLOBAL"), undefined, "no plain exchange on that code");
  assert.is(m.fromBroker("GLOBAL", "UNDIND"), "GLOBAL_INDEX");
  assert.ok(m.hasBroker("GLOBAL"));
  assert.ok(m.hasBroker("NCDEX"));
  assert.not.ok(m.hasBroker("NSE"));
  assert.ok(m.isIndex("GLOBAL_INDEX"));
  assert.not.ok(m.isIndex("NSE"));
  assert.not.ok(m.isIndex("BSE_INDEX"));
  assert.is(new ExchangeMap([]).toBroker("NSE"), undefined);

  throwsCode(() => new ExchangeMap(undefined as never), "ARGUMENT", /ExchangeMap: table must be an array, got undefined/);
  throwsCode(() => new ExchangeMap({} as never), "ARGUMENT", /table must be an array/);
  throwsCode(() => new ExchangeMap([null] as never), "ARGUMENT", /ExchangeMap: table\[0\] must be an object, got null/);
  throwsCode(() => new ExchangeMap([{ exchange: "NASDAQ", broker: "N" }] as never), "EXCHANGE", /table\[0\]\.exchange is not a tickwire exchange name, got "NASDAQ"/);
  throwsCode(() => new ExchangeMap([{ exchange: "NSE", broker: "nse" }]), "ARGUMENT", /table\[0\]\.broker must be 1\.\.16 of A-Z, 0-9, _, got "nse"/);
  throwsCode(() => new ExchangeMap([{ exchange: "NSE", broker: "" }]), "ARGUMENT", /table\[0\]\.broker/);
  throwsCode(() => new ExchangeMap([{ exchange: "NSE", broker: "A".repeat(17) }]), "ARGUMENT", /table\[0\]\.broker/);
  throwsCode(() => new ExchangeMap([{ exchange: "NSE", broker: 1 }] as never), "ARGUMENT", /table\[0\]\.broker/);
  throwsCode(() => new ExchangeMap([{ exchange: "NSE", broker: "NSE", index: 1 }] as never), "ARGUMENT", /table\[0\]\.index must be a boolean/);
  throwsCode(() => new ExchangeMap([{ exchange: "NSE", broker: "NSE" }, { exchange: "NSE", broker: "X" }]), "ARGUMENT", /table\[1\]: exchange NSE appears twice/);
  throwsCode(() => new ExchangeMap([{ exchange: "NSE", broker: "X" }, { exchange: "BSE", broker: "X" }]), "ARGUMENT", /table\[1\]: broker code X already has a plain exchange \(NSE\)/);
  throwsCode(() => new ExchangeMap([{ exchange: "NSE_INDEX", broker: "X", index: true }, { exchange: "BSE_INDEX", broker: "X", index: true }]), "ARGUMENT", /table\[1\]: broker code X already has an index exchange \(NSE_INDEX\)/);
});

// ---------------------------------------------------------------------------------------------
// The simulated universe

test("round trip: createUniverse -> universeToCsv -> load gives the same rows; fromRows too", () => {
  const rows = createUniverse({ instruments: 20_000, seed: 3 });
  assert.is(rows.length, 20_000);
  const want = rows.map(pick);

  const csv = universeToCsv(rows);
  const loaded = SymbolMaster.load(csv);
  assert.equal(loaded.errors, []);
  assert.is(loaded.errorCount, 0);
  assert.is(loaded.size, rows.length);
  assert.equal(loaded.rows.map(pick), want);

  const direct = SymbolMaster.fromRows(rows);
  assert.equal(direct.errors, []);
  assert.is(direct.size, rows.length);
  assert.equal(direct.rows.map(pick), want);

  // Both lookups, on both masters, for every row; and the universe does reuse tokens across segments.
  let shared = 0;
  for (const r of rows) {
    for (const m of [loaded, direct]) {
      assert.equal(pick(m.byInstrument(r.exchange, r.symbol)!), pick(r));
      assert.equal(pick(m.byToken(r.brokerExchange, r.token)!), pick(r));
    }
  }
  const byToken = new Map<string, Set<string>>();
  for (const r of rows) {
    const set = byToken.get(r.token) ?? new Set<string>();
    set.add(r.brokerExchange);
    byToken.set(r.token, set);
  }
  for (const s of byToken.values()) if (s.size > 1) shared++;
  assert.ok(shared > 0, "some token recurs on two broker exchanges");
  // Every kind of segment the universe makes is in it.
  const kinds = new Set(rows.map((r) => r.exchange));
  for (const ex of ["NSE", "BSE", "NFO", "BFO", "MCX", "CDS", "NSE_INDEX", "BSE_INDEX"]) assert.ok(kinds.has(ex as never), ex);
});

test("100 000 rows load well under a second (time printed, not asserted)", () => {
  const rows = createUniverse({ instruments: 100_000, seed: 5 });
  const csv = universeToCsv(rows);
  const bytes = new TextEncoder().encode(csv);
  SymbolMaster.load(csv); // warm up
  let t = performance.now();
  const m = SymbolMaster.load(csv);
  const textMs = performance.now() - t;
  t = performance.now();
  const mb = SymbolMaster.load(bytes);
  const bytesMs = performance.now() - t;
  t = performance.now();
  const mr = SymbolMaster.fromRows(rows);
  const rowsMs = performance.now() - t;
  assert.is(m.size, 100_000);
  assert.is(m.errorCount, 0);
  assert.is(mb.size, 100_000);
  assert.is(mr.size, 100_000);
  console.log(`  SymbolMaster: 100 000 rows (${(csv.length / 1e6).toFixed(1)} MB): load(string) ${textMs.toFixed(0)} ms, load(bytes) ${bytesMs.toFixed(0)} ms, fromRows ${rowsMs.toFixed(0)} ms`);
});

test.run();
