// Shared fixtures for tests: a memory with a symbol table, and tick objects.
import { TickwireMemory, SymbolTable, type MarketDataMessage, Kind } from "../../src/index.js";

export async function setup(bytes = 1 << 24, symbols = 4096) {
  const mem = await TickwireMemory.create({ bytes });
  const table = SymbolTable.create(mem, symbols);
  return { mem, table };
}

/** A deterministic pseudo-random generator (mulberry32), so failures reproduce. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A full tick of `mode` with every field set to a distinct, checkable value. */
export function sampleTick(mode: Kind, i = 0, symbol = "RELIANCE"): MarketDataMessage {
  const base = 2500.05 + i * 0.01;
  const msg: MarketDataMessage = {
    mode, symbol, exchange: "NSE", priceDecimals: 2, seq: 1000 + i, recvTimeNs: 123456789 + i,
    ltp: Math.round(base * 100) / 100, exchangeTimeMs: 1732500000000 + i, lastTradeTimeMs: 1732499999000 + i,
    lastQuantity: 25 + i, percentChange: -1.05,
  };
  if (mode >= Kind.QUOTE) {
    Object.assign(msg, {
      averagePrice: 2499.37, open: 2490.0, high: 2510.55, low: 2480.1, close: 2526.6,
      volume: 2n ** 60n + BigInt(i), oi: 9007199254740993n, bid: 2500.0, ask: 2500.1, bidQuantity: 10, askQuantity: 11,
    });
  }
  if (mode === Kind.DEPTH) {
    const level = (k: number, sign: number) => ({ price: Math.round((base + sign * k * 0.05) * 100) / 100, quantity: 100 + k, orders: 1 + k });
    Object.assign(msg, {
      bid: level(0, -1).price, ask: level(0, 1).price, bidQuantity: 100, askQuantity: 100,
      totalBuyQuantity: 123456, totalSellQuantity: 2n ** 63n, upperCircuit: 2779.25, lowerCircuit: 2273.85,
      depth: { buy: [0, 1, 2, 3, 4].map((k) => level(k, -1)), sell: [0, 1, 2, 3, 4].map((k) => level(k, 1)) },
    });
  }
  return msg;
}
