// Real-looking Indian market symbol keys, generated deterministically: NSE cash
// equities (real tickers, then made-up ones of the same shape) and NFO futures and
// options in NSE's trading-symbol formats:
//   monthly option  NIFTY24DEC24000CE, BANKNIFTY24DEC2451000PE, RELIANCE24DEC1300CE
//   weekly option   NIFTY24D1924000CE (YY, month 1-9 or O/N/D, DD)
//   future          NIFTY24DECFUT, RELIANCE25JANFUT
// Used by the partition tests and bench/partition.ts.

import type { ExchangeName } from "../../src/format/exchange.js";
import { rng } from "./fixtures.js";

/** One symbol key. */
export interface SymbolKey {
  exchange: ExchangeName;
  symbol: string;
}

const EQUITIES = [
  "RELIANCE", "TCS", "HDFCBANK", "INFY", "ICICIBANK", "HINDUNILVR", "ITC", "SBIN", "BHARTIARTL", "KOTAKBANK",
  "LT", "AXISBANK", "ASIANPAINT", "MARUTI", "BAJFINANCE", "HCLTECH", "SUNPHARMA", "TITAN", "ULTRACEMCO", "WIPRO",
  "NESTLEIND", "ONGC", "NTPC", "POWERGRID", "M&M", "TATAMOTORS", "TATASTEEL", "JSWSTEEL", "ADANIENT", "ADANIPORTS",
  "COALINDIA", "BAJAJFINSV", "BAJAJ-AUTO", "TECHM", "GRASIM", "HINDALCO", "DIVISLAB", "DRREDDY", "CIPLA", "BRITANNIA",
  "EICHERMOT", "HEROMOTOCO", "APOLLOHOSP", "INDUSINDBK", "SBILIFE", "HDFCLIFE", "TATACONSUM", "UPL", "BPCL", "SHREECEM",
  "DABUR", "GODREJCP", "PIDILITIND", "HAVELLS", "SIEMENS", "DLF", "AMBUJACEM", "ACC", "BANKBARODA", "PNB",
  "CANBK", "IDFCFIRSTB", "FEDERALBNK", "AUBANK", "BANDHANBNK", "VEDL", "SAIL", "NMDC", "GAIL", "IOC",
  "HINDPETRO", "PETRONET", "TATAPOWER", "ADANIGREEN", "ADANIPOWER", "IRCTC", "ZOMATO", "PAYTM", "NYKAA", "DMART",
  "TRENT", "VOLTAS", "BEL", "HAL", "BHEL", "LUPIN", "AUROPHARMA", "BIOCON", "TORNTPHARM", "ALKEM",
  "MUTHOOTFIN", "CHOLAFIN", "SHRIRAMFIN", "LICHSGFIN", "PFC", "RECLTD", "IRFC", "MPHASIS", "LTIM", "PERSISTENT",
  "COFORGE", "NAUKRI", "INDIGO", "MOTHERSON", "BOSCHLTD", "MRF", "BALKRISIND", "APOLLOTYRE", "ASHOKLEY", "TVSMOTOR",
  "ESCORTS", "CUMMINSIND", "ABB", "POLYCAB", "DIXON", "PAGEIND", "COLPAL", "MARICO", "UBL", "MCDOWELL-N",
  "JUBLFOOD", "INDHOTEL", "OBEROIRLTY", "GODREJPROP", "LODHA", "PRESTIGE", "ABCAPITAL", "ABFRL", "ZEEL", "SUNTV",
  "PVRINOX", "IDEA", "INDUSTOWER", "TATACOMM", "HINDCOPPER", "NATIONALUM", "JINDALSTEL", "GMRINFRA", "CONCOR", "IGL",
  "MGL", "GUJGASLTD", "CHAMBLFERT", "COROMANDEL", "DEEPAKNTR", "PIIND", "SRF", "ATUL", "NAVINFLUOR", "AARTIIND",
];
const INDICES = ["NIFTY", "BANKNIFTY", "FINNIFTY", "MIDCPNIFTY", "NIFTYNXT50"];
const LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";


interface Underlying {
  name: string;
  spot: number;
  step: number;
}

/**
 * `count` distinct keys: about 4% NSE equities, the rest NFO contracts over 5
 * indices and the equities' F&O underlyings, over the expiries 24DEC, 25JAN,
 * 25FEB and weekly index expiries, strikes spread around a spot. Same seed, same keys.
 */
export function nseSymbolKeys(count: number, seed = 2024): SymbolKey[] {
  const random = rng(seed);
  const keys: SymbolKey[] = [];
  const seen = new Set<string>();
  const add = (exchange: ExchangeName, symbol: string) => {
    const k = `${exchange}:${symbol}`;
    if (keys.length >= count || seen.has(k)) return;
    seen.add(k);
    keys.push({ exchange, symbol });
  };

  const equities = Math.max(1, Math.round(count * 0.04));
  for (const s of EQUITIES) add("NSE", s);
  while (keys.length < Math.min(equities, count)) {
    const len = 4 + Math.floor(random() * 7);
    let s = "";
    for (let i = 0; i < len; i++) s += LETTERS[Math.floor(random() * 26)];
    add("NSE", s);
  }

  const underlyings: Underlying[] = [
    { name: "NIFTY", spot: 24000, step: 50 }, { name: "BANKNIFTY", spot: 51000, step: 100 },
    { name: "FINNIFTY", spot: 23500, step: 50 }, { name: "MIDCPNIFTY", spot: 12500, step: 25 },
    { name: "NIFTYNXT50", spot: 68000, step: 100 },
    ...EQUITIES.map((name) => {
      const price = 100 + random() * random() * 9000;
      const step = price < 250 ? 2.5 : price < 500 ? 5 : price < 1000 ? 10 : price < 2500 ? 20 : price < 5000 ? 50 : 100;
      return { name, spot: Math.round(price / step) * step, step };
    }),
  ];
  const monthly = ["24DEC", "25JAN", "25FEB", "25MAR"];
  const weekly = ["24D05", "24D12", "24D19", "24D26", "25102", "25109", "25116", "25123"];
  const strikeText = (k: number) => (Number.isInteger(k) ? String(k) : k.toFixed(1));
  // Deal strikes outward from the money across every underlying and expiry until `count` keys exist.
  for (let width = 0; keys.length < count; width++) {
    for (const u of underlyings) {
      const isIndex = INDICES.includes(u.name);
      const expiries = isIndex ? [...monthly, ...weekly] : monthly.slice(0, 3);
      for (const e of expiries) {
        if (width === 0 && monthly.includes(e)) add("NFO", `${u.name}${e}FUT`);
        for (const sign of width === 0 ? [0] : [-1, 1]) {
          const strike = u.spot + sign * width * u.step;
          if (strike <= 0) continue;
          add("NFO", `${u.name}${e}${strikeText(strike)}CE`);
          add("NFO", `${u.name}${e}${strikeText(strike)}PE`);
        }
      }
      if (keys.length >= count) break;
    }
  }
  return keys;
}
