// The object form and the client JSON message (src/format/message.ts): every field of
// every mode carried exactly, every bad input a TickwireError naming the field, the
// plain-JS renderer byte-identical to the Wasm one, and a strict, exact parser.
import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  TickwireMemory, SymbolTable, TickView, StageView, JsonRenderer, TickwireError, Kind, layout as L,
  readMessage, writeMessage, toClientJson, fromClientJson, formatScaled,
  type MarketDataMessage, type DepthLevel, type ExchangeName,
} from "../src/index.js";
import { rng } from "./helpers/fixtures.js";
import { throwsCode } from "./helpers/assertions.js";

const mem = await TickwireMemory.create({ bytes: 1 << 24 });
const table = SymbolTable.create(mem, 4096);
const recs = mem.allocate(1 << 22);
const view = new TickView(mem.buffer);
const BROKER = "flattrade";
const renderer = new JsonRenderer(mem, table, { broker: BROKER });
const TS = 1732500000123;
const MAX = L.MAX_SCALED_PRICE;
const U64_MAX = 2n ** 64n - 1n;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

// ─── fixtures ───

function ltp(over: Partial<MarketDataMessage> = {}): MarketDataMessage {
  return {
    mode: Kind.LTP, symbol: "RELIANCE", exchange: "NSE", priceDecimals: 2, seq: 1001, recvTimeNs: 123456789,
    ltp: 2500.05, exchangeTimeMs: 1732500000001, lastTradeTimeMs: 1732499999001, lastQuantity: 25, percentChange: -1.05,
    ...over,
  };
}

function quote(over: Partial<MarketDataMessage> = {}): MarketDataMessage {
  return ltp({
    mode: Kind.QUOTE, averagePrice: 2499.37, open: 2490, high: 2510.55, low: 2480.1, close: 2526.6,
    volume: 2n ** 60n + 3n, oi: 9007199254740993n, bid: 2500, ask: 2500.1, bidQuantity: 10, askQuantity: 11,
    totalBuyQuantity: 123456, totalSellQuantity: 2n ** 63n, upperCircuit: 2779.25, lowerCircuit: 2273.85,
    ...over,
  });
}

function book(base = 2500.05): { buy: DepthLevel[]; sell: DepthLevel[] } {
  const level = (k: number, sign: number) => ({ price: Math.round((base + sign * k * 0.05) * 100) / 100, quantity: 100 + k, orders: 1 + k });
  return { buy: [0, 1, 2, 3, 4].map((k) => level(k, -1)), sell: [0, 1, 2, 3, 4].map((k) => level(k, 1)) };
}

function depth(over: Partial<MarketDataMessage> = {}): MarketDataMessage {
  const d = over.depth ?? book();
  const { bid: _b, ask: _a, bidQuantity: _bq, askQuantity: _aq, ...q } = quote();
  return { ...q, mode: Kind.DEPTH, depth: d, ...over };
}

/** What readMessage gives back for a message written with writeMessage: absent fields 0, 5 levels a side, bid/ask = level 0. */
function normalized(m: MarketDataMessage): MarketDataMessage {
  const big = (v: number | bigint) => (typeof v === "bigint" && v >= -(2n ** 53n) + 1n && v <= 2n ** 53n - 1n ? Number(v) : v);
  const out: MarketDataMessage = {
    mode: m.mode, symbol: m.symbol, exchange: m.exchange, priceDecimals: m.priceDecimals, seq: big(m.seq),
    recvTimeNs: big(m.recvTimeNs), ltp: m.ltp, exchangeTimeMs: big(m.exchangeTimeMs), lastTradeTimeMs: big(m.lastTradeTimeMs),
    lastQuantity: m.lastQuantity, percentChange: m.percentChange,
  };
  if (m.mode === Kind.LTP) return out;
  Object.assign(out, {
    averagePrice: m.averagePrice ?? 0, open: m.open ?? 0, high: m.high ?? 0, low: m.low ?? 0, close: m.close ?? 0,
    volume: big(m.volume ?? 0), oi: big(m.oi ?? 0), bid: m.bid ?? 0, ask: m.ask ?? 0, bidQuantity: m.bidQuantity ?? 0,
    askQuantity: m.askQuantity ?? 0, totalBuyQuantity: big(m.totalBuyQuantity ?? 0), totalSellQuantity: big(m.totalSellQuantity ?? 0),
    upperCircuit: m.upperCircuit ?? 0, lowerCircuit: m.lowerCircuit ?? 0,
  });
  if (m.mode === Kind.QUOTE) return out;
  const pad = (ls: DepthLevel[] | undefined) => Array.from({ length: 5 }, (_, i) => ({ ...(ls?.[i] ?? { price: 0, quantity: 0, orders: 0 }) }));
  out.depth = { buy: pad(m.depth?.buy), sell: pad(m.depth?.sell) };
  Object.assign(out, {
    bid: out.depth.buy[0]!.price, bidQuantity: out.depth.buy[0]!.quantity,
    ask: out.depth.sell[0]!.price, askQuantity: out.depth.sell[0]!.quantity,
  });
  return out;
}

/** The fields of `m` that a mode `mode` client message carries, as fromClientJson returns them (the rest 0). */
function onWire(m: MarketDataMessage, mode: Kind): MarketDataMessage {
  const n = normalized(m);
  const out: MarketDataMessage = {
    mode, symbol: n.symbol, exchange: n.exchange, priceDecimals: n.priceDecimals, seq: 0, recvTimeNs: 0, ltp: n.ltp,
    exchangeTimeMs: 0, lastTradeTimeMs: 0, lastQuantity: 0, percentChange: 0,
  };
  if (mode === Kind.LTP) return out;
  Object.assign(out, {
    lastTradeTimeMs: n.lastTradeTimeMs, lastQuantity: n.lastQuantity, percentChange: n.percentChange,
    averagePrice: n.averagePrice, open: n.open, high: n.high, low: n.low, close: n.close, volume: n.volume, oi: n.oi,
    bid: 0, ask: 0, bidQuantity: 0, askQuantity: 0, totalBuyQuantity: 0, totalSellQuantity: 0, upperCircuit: 0, lowerCircuit: 0,
  });
  if (mode === Kind.QUOTE) return out;
  Object.assign(out, {
    bid: n.bid, ask: n.ask, bidQuantity: n.bidQuantity, askQuantity: n.askQuantity, totalBuyQuantity: n.totalBuyQuantity,
    totalSellQuantity: n.totalSellQuantity, upperCircuit: n.upperCircuit, lowerCircuit: n.lowerCircuit, depth: n.depth,
  });
  return out;
}

/** Renders `bytes` of records at `src` as `mode` messages with the Wasm renderer (several buffers if need be). */
function wasmRender(src: number, bytes: number, mode: Kind): string[] {
  const out: string[] = [];
  let off = 0;
  while (off < bytes) {
    const n = renderer.render(src + off, bytes - off, mode, TS);
    assert.ok(n > 0, "the renderer made progress");
    for (let i = 0; i < n; i++) {
      out.push(decoder.decode(renderer.message(i).slice()));
      off += view.wrap(src + off).length;
    }
  }
  return out;
}

/** Asserts that toClientJson(m) is byte for byte what the Wasm renderer writes for writeMessage(m), in every mode m allows. */
function assertSameBytes(m: MarketDataMessage, label: string): void {
  const bytes = writeMessage(view.wrap(recs), m, table);
  for (let mode = Kind.LTP as Kind; mode <= m.mode; mode++) {
    renderer.render(recs, bytes, mode, TS);
    const wasm = renderer.message(0).slice();
    const js = encoder.encode(toClientJson(m, { broker: BROKER, timestampMs: TS, mode }));
    assert.equal(js, wasm, `${label}, mode ${mode}: ${decoder.decode(js)} vs ${decoder.decode(wasm)}`);
    JSON.parse(decoder.decode(js)); // valid JSON
  }
}

const snapshot = (at: number, n = L.DEPTH_BYTES) => mem.u8.slice(at, at + n);
let unique = 0;
const fresh = (prefix = "NEW") => `${prefix}${unique++}`;

// ─── the object form and records ───

test("a Quote carries totalBuy/SellQuantity and upper/lowerCircuit (they were Depth-only and lost)", () => {
  const m = quote();
  writeMessage(view.wrap(recs), m, table);
  assert.is(view.totalBuyQty, 123456);
  assert.is(view.exact("totalSellQty"), 2n ** 63n);
  assert.is(view.upperCircuit, 2779.25);
  assert.is(view.lowerCircuit, 2273.85);
  const got = readMessage(view.wrap(recs), table);
  assert.is(got.totalBuyQuantity, 123456);
  assert.is(got.totalSellQuantity, 2n ** 63n);
  assert.is(got.upperCircuit, 2779.25);
  assert.is(got.lowerCircuit, 2273.85);
  assert.equal(got, normalized(m));
});

test("object -> record -> object is exact for every field of every mode, with exactly the mode's keys", () => {
  const cases: MarketDataMessage[] = [
    ltp(), quote(), depth(),
    ltp({ seq: U64_MAX, recvTimeNs: 2n ** 53n, exchangeTimeMs: -(2n ** 63n), lastTradeTimeMs: 2n ** 63n - 1n, lastQuantity: 0xffffffff }),
    quote({ volume: U64_MAX, oi: 0, percentChange: 21474836.47 }),
    depth({
      priceDecimals: 0, symbol: fresh("D0_"), ltp: MAX, averagePrice: -MAX, open: 1, high: 2, low: 3, close: 4, upperCircuit: 5, lowerCircuit: -6,
      depth: { buy: [{ price: -MAX, quantity: 1, orders: 2 }], sell: [] },
    }),
    depth({ priceDecimals: 9, symbol: fresh("D9_"), ltp: MAX / 1e9, open: -MAX / 1e9, depth: book(2.5) }),
  ];
  for (const m of cases) {
    const bytes = writeMessage(view.wrap(recs), m, table);
    assert.is(bytes, [0, L.LTP_BYTES, L.QUOTE_BYTES, L.DEPTH_BYTES][m.mode]);
    const got = readMessage(view.wrap(recs), table);
    assert.equal(got, normalized(m), `mode ${m.mode} ${m.symbol}`);
    const keys = Object.keys(got).length;
    assert.is(keys, m.mode === Kind.LTP ? 11 : m.mode === Kind.QUOTE ? 26 : 27);
    if (m.mode === Kind.DEPTH) assert.ok(got.depth!.buy.length === 5 && got.depth!.sell.length === 5);
  }
});

test("u64/i64 fields: numbers when safe integers, bigints otherwise", () => {
  writeMessage(view.wrap(recs), quote({ seq: 5n, volume: 2n ** 53n - 1n, oi: 2n ** 53n, lastTradeTimeMs: -(2n ** 53n) + 1n, exchangeTimeMs: -(2n ** 53n) }), table);
  const got = readMessage(view.wrap(recs), table);
  assert.is(got.seq, 5);
  assert.is(got.volume, 2 ** 53 - 1);
  assert.is(got.oi, 2n ** 53n);
  assert.is(got.lastTradeTimeMs, -(2 ** 53) + 1);
  assert.is(got.exchangeTimeMs, -(2n ** 53n));
});

test("more decimals than priceDecimals is a PRECISION error, never rounded (2500.055, 0.004, 1.005 at 2)", () => {
  for (const bad of [2500.055, 0.004, 1.005, 0.1 + 0.2]) {
    throwsCode(() => writeMessage(view.wrap(recs), ltp({ ltp: bad }), table), "PRECISION", /ltp/);
    throwsCode(() => writeMessage(view.wrap(recs), quote({ open: bad }), table), "PRECISION", /open/);
    throwsCode(() => writeMessage(view.wrap(recs), quote({ lowerCircuit: bad }), table), "PRECISION", /lowerCircuit/);
    throwsCode(() => writeMessage(view.wrap(recs), depth({ depth: { buy: [], sell: [{ price: bad, quantity: 1, orders: 1 }] } }), table), "PRECISION", /depth\.sell\[0\]\.price/);
    throwsCode(() => toClientJson(ltp({ ltp: bad }), { broker: BROKER, timestampMs: TS }), "PRECISION", /ltp/);
  }
  throwsCode(() => writeMessage(view.wrap(recs), ltp({ percentChange: 1.005 }), table), "PRECISION", /percentChange/);
  throwsCode(() => toClientJson(quote({ percentChange: -0.001 }), { broker: BROKER, timestampMs: TS }), "PRECISION", /percentChange/);
  // at enough decimals the same values are exact
  const s = fresh("P3_");
  writeMessage(view.wrap(recs), ltp({ symbol: s, priceDecimals: 3, ltp: 2500.055 }), table);
  assert.is(readMessage(view.wrap(recs), table).ltp, 2500.055);
  assert.is(view.scaled(L.OFF_LTP), 2500055);
});

test("a failing writeMessage interns nothing and leaves the record region untouched", () => {
  const late: [Partial<MarketDataMessage>, string, RegExp][] = [
    [{ lowerCircuit: 1.005 }, "PRECISION", /lowerCircuit/],
    [{ depth: { buy: book().buy, sell: [...book().sell.slice(0, 4), { price: 1, quantity: 1, orders: -1 }] } }, "ARGUMENT", /depth\.sell\[4\]\.orders/],
    [{ totalSellQuantity: 2n ** 64n }, "ARGUMENT", /totalSellQuantity/],
    [{ bid: 1 }, "ARGUMENT", /bid/],
  ];
  for (const [over, code, pattern] of late) {
    const symbol = fresh("LATE");
    mem.u8.fill(0xab, recs, recs + L.DEPTH_BYTES);
    const before = snapshot(recs);
    const size = table.size;
    throwsCode(() => writeMessage(view.wrap(recs), depth({ symbol, ...over }), table), code as any, pattern);
    assert.equal(snapshot(recs), before, "record bytes untouched");
    assert.is(table.find("NSE", symbol), -1, "symbol not interned");
    assert.is(table.size, size);
  }
});

test("no room for the record: refused before the symbol is interned", () => {
  const small = new TickView(new ArrayBuffer(128));
  const symbol = fresh("ROOM");
  throwsCode(() => writeMessage(small.wrap(0), depth({ symbol }), table), "LENGTH");
  assert.is(table.find("NSE", symbol), -1);
  assert.is(writeMessage(small.wrap(0), ltp({ symbol }), table), L.LTP_BYTES);
  assert.ok(table.find("NSE", symbol) >= 0);
});

test("a full symbol table: TABLE_FULL before any byte is written", async () => {
  const mem2 = await TickwireMemory.create({ bytes: 1 << 22, module: mem.module });
  const t2 = SymbolTable.create(mem2, 1);
  const at = mem2.allocate(1024);
  const v2 = new TickView(mem2.buffer);
  writeMessage(v2.wrap(at), ltp({ symbol: "ONLY" }), t2);
  mem2.u8.fill(0xcd, at, at + 1024);
  const before = mem2.u8.slice(at, at + 1024);
  throwsCode(() => writeMessage(v2.wrap(at), quote({ symbol: "SECOND" }), t2), "TABLE_FULL");
  assert.equal(mem2.u8.slice(at, at + 1024), before);
  assert.is(t2.size, 1);
});

test("priceDecimals differing from the interned symbol's is a DECIMALS error (the table is authoritative)", () => {
  const symbol = fresh("DEC");
  table.intern("NSE", symbol, 2);
  mem.u8.fill(0x5a, recs, recs + L.DEPTH_BYTES);
  const before = snapshot(recs);
  throwsCode(() => writeMessage(view.wrap(recs), quote({ symbol, priceDecimals: 4 }), table), "DECIMALS", /interned/);
  assert.equal(snapshot(recs), before);
  assert.is(table.get(table.find("NSE", symbol)).priceDecimals, 2);
  writeMessage(view.wrap(recs), quote({ symbol, priceDecimals: 2 }), table);
  assert.is(readMessage(view.wrap(recs), table).priceDecimals, 2);
});

test("Depth: bid, ask, bidQuantity, askQuantity are level 0 of the book", () => {
  const b = book();
  for (const [key, value] of [["bid", 2500], ["ask", 2499.9], ["bidQuantity", 99], ["askQuantity", 101]] as const) {
    throwsCode(() => writeMessage(view.wrap(recs), depth({ [key]: value }), table), "ARGUMENT", new RegExp(`${key} .* differs from depth\\.`));
    throwsCode(() => toClientJson(depth({ [key]: value }), { broker: BROKER, timestampMs: TS }), "ARGUMENT", new RegExp(key));
  }
  // given and equal: fine; absent: taken from level 0
  writeMessage(view.wrap(recs), depth({ bid: b.buy[0]!.price, ask: b.sell[0]!.price, bidQuantity: 100, askQuantity: 100 }), table);
  writeMessage(view.wrap(recs), depth(), table);
  const got = readMessage(view.wrap(recs), table);
  assert.is(got.bid, b.buy[0]!.price);
  assert.is(got.ask, b.sell[0]!.price);
  assert.is(got.bidQuantity, b.buy[0]!.quantity);
  assert.is(view.scaled(L.OFF_BID), view.scaled(L.OFF_DEPTH_BIDS));
  // an empty book: level 0 is zero, so a non-zero bid is refused
  throwsCode(() => writeMessage(view.wrap(recs), depth({ depth: { buy: [], sell: [] }, bid: 1 }), table), "ARGUMENT", /bid/);
  writeMessage(view.wrap(recs), depth({ depth: { buy: [], sell: [] } }), table);
  assert.is(readMessage(view.wrap(recs), table).bid, 0);
});

test("readMessage refuses a bad header and a record that disagrees with its symbol", () => {
  const cases: [string, () => void, string, RegExp?][] = [
    ["version 7", () => { mem.u8[recs + L.OFF_VERSION] = 7; }, "VERSION"],
    ["decimals 200", () => { mem.u8[recs + L.OFF_PRICE_DECIMALS] = 200; }, "DECIMALS"],
    ["exchange 99", () => { mem.u8[recs + L.OFF_EXCHANGE] = 99; }, "EXCHANGE"],
    ["exchange BSE for an NSE symbol", () => { mem.u8[recs + L.OFF_EXCHANGE] = L.EXCHANGE_BSE; }, "EXCHANGE", /NSE/],
    ["decimals 3 for a 2-decimal symbol", () => { mem.u8[recs + L.OFF_PRICE_DECIMALS] = 3; }, "DECIMALS", /differs/],
    ["symbol id not in the table", () => { mem.u32[(recs + L.OFF_SYMBOL_ID) >>> 2] = 1_000_000; }, "SYMBOL"],
    ["kind 9", () => { mem.u8[recs + L.OFF_KIND] = 9; }, "KIND"],
    ["ltp beyond 2^51", () => { mem.u32[(recs + L.OFF_LTP + 4) >>> 2] = 0x100000; }, "PRICE"],
    ["bid differing from level 0", () => { mem.u32[(recs + L.OFF_BID) >>> 2]! += 1; }, "ARGUMENT", /level 0/],
    ["askQty differing from level 0", () => { mem.u32[(recs + L.OFF_ASK_QTY) >>> 2]! += 1; }, "ARGUMENT", /level 0/],
  ];
  for (const [label, corrupt, code, pattern] of cases) {
    writeMessage(view.wrap(recs), depth(), table);
    corrupt();
    const e = throwsCode(() => readMessage(view.wrap(recs), table), code as any, pattern);
    assert.ok(e.message.length > 0, label);
  }
  throwsCode(() => readMessage(new StageView(mem.buffer) as unknown as TickView, table), "ARGUMENT", /TickView/);
  throwsCode(() => readMessage(view.wrap(recs), {} as SymbolTable), "ARGUMENT", /SymbolTable/);
});

test("bad fields of the object form: TickwireErrors naming the field, never a TypeError", () => {
  const w = (m: unknown) => () => writeMessage(view.wrap(recs), m as MarketDataMessage, table);
  const j = (m: unknown) => () => toClientJson(m as MarketDataMessage, { broker: BROKER, timestampMs: TS });
  const cases: [unknown, string, RegExp][] = [
    [null, "ARGUMENT", /message must be an object/],
    [[ltp()], "ARGUMENT", /message must be an object/],
    [{ ...ltp(), mode: 4 }, "KIND", /mode/],
    [{ ...ltp(), mode: "1" }, "KIND", /mode/],
    [{ ...ltp(), exchange: "XX" }, "EXCHANGE", /exchange/],
    [{ ...ltp(), symbol: "" }, "SYMBOL", /symbol/],
    [{ ...ltp(), symbol: "X".repeat(57) }, "SYMBOL", /symbol/],
    [{ ...ltp(), symbol: 'X","evil":"1' }, "SYMBOL", /symbol/],
    [{ ...ltp(), symbol: "A\\B" }, "SYMBOL", /symbol/],
    [{ ...ltp(), symbol: "A\nB" }, "SYMBOL", /symbol/],
    [{ ...ltp(), symbol: 42 }, "SYMBOL", /symbol/],
    [{ ...ltp(), priceDecimals: 10 }, "DECIMALS", /priceDecimals/],
    [{ ...ltp(), priceDecimals: Infinity }, "DECIMALS", /priceDecimals/],
    [{ ...ltp(), priceDecimals: 1.5 }, "DECIMALS", /priceDecimals/],
    [{ ...ltp(), seq: -1 }, "ARGUMENT", /seq/],
    [{ ...ltp(), seq: 1.5 }, "ARGUMENT", /seq/],
    [{ ...ltp(), seq: 2 ** 53 }, "ARGUMENT", /seq/],
    [{ ...ltp(), seq: 2n ** 64n }, "ARGUMENT", /seq/],
    [{ ...ltp(), seq: undefined }, "ARGUMENT", /seq/],
    [{ ...ltp(), recvTimeNs: NaN }, "ARGUMENT", /recvTimeNs/],
    [{ ...ltp(), exchangeTimeMs: 2n ** 63n }, "ARGUMENT", /exchangeTimeMs/],
    [{ ...ltp(), lastTradeTimeMs: "1" }, "ARGUMENT", /lastTradeTimeMs/],
    [{ ...ltp(), lastQuantity: 5n }, "ARGUMENT", /lastQuantity/],
    [{ ...ltp(), lastQuantity: 2 ** 32 }, "ARGUMENT", /lastQuantity/],
    [{ ...ltp(), percentChange: NaN }, "ARGUMENT", /percentChange/],
    [{ ...ltp(), percentChange: 21474836.48 }, "ARGUMENT", /percentChange/],
    [{ ...ltp(), ltp: 5n }, "PRICE", /ltp/],
    [{ ...ltp(), ltp: NaN }, "PRICE", /ltp/],
    [{ ...ltp(), ltp: Infinity }, "PRICE", /ltp/],
    [{ ...ltp(), ltp: "2500" }, "PRICE", /ltp/],
    [{ ...ltp(), ltp: undefined }, "PRICE", /ltp/],
    [{ ...ltp(), ltp: (MAX + 1) / 100 }, "PRICE", /ltp/],
    [{ ...quote(), open: {} }, "PRICE", /open/],
    [{ ...quote(), high: null }, "PRICE", /high/],
    [{ ...quote(), volume: "abc" }, "ARGUMENT", /volume/],
    [{ ...quote(), volume: NaN }, "ARGUMENT", /volume/],
    [{ ...quote(), oi: -1n }, "ARGUMENT", /oi/],
    [{ ...quote(), bidQuantity: 1.5 }, "ARGUMENT", /bidQuantity/],
    [{ ...quote(), avgPrice: 1 }, "ARGUMENT", /avgPrice/],
    [{ ...ltp(), volume: 5 }, "ARGUMENT", /volume is a field of a higher mode/],
    [{ ...quote(), depth: book() }, "ARGUMENT", /depth is a field of a higher mode/],
    [depth({ depth: 5 as any }), "ARGUMENT", /depth must be an object/],
    [depth({ depth: [] as any }), "ARGUMENT", /depth must be an object/],
    [depth({ depth: { buy: {} as any, sell: [] } }), "ARGUMENT", /depth\.buy must be an array/],
    [depth({ depth: { buy: [], sell: "x" as any } }), "ARGUMENT", /depth\.sell must be an array/],
    [depth({ depth: { buy: [...book().buy, book().buy[0]!], sell: [] } }), "ARGUMENT", /depth\.buy has 6 levels/],
    [depth({ depth: { buy: [null as any], sell: [] } }), "ARGUMENT", /depth\.buy\[0\] must be an object/],
    [depth({ depth: { buy: [{ price: 1, quantity: 1 } as any], sell: [] } }), "ARGUMENT", /depth\.buy\[0\]\.orders/],
    [depth({ depth: { buy: [{ price: 1, quantity: 1n as any, orders: 1 }], sell: [] } }), "ARGUMENT", /depth\.buy\[0\]\.quantity/],
    [depth({ depth: { buy: [{ price: 1, quantity: 1, orders: 1, size: 2 } as any], sell: [] } }), "ARGUMENT", /size/],
    [depth({ depth: { buy: [], sell: [], mid: [] } as any }), "ARGUMENT", /mid/],
    [depth({ depth: { buy: [{ price: NaN, quantity: 1, orders: 1 }], sell: [] } }), "PRICE", /depth\.buy\[0\]\.price/],
  ];
  for (const [m, code, pattern] of cases) {
    const size = table.size;
    throwsCode(w(m), code as any, pattern);
    throwsCode(j(m), code as any, pattern);
    assert.is(table.size, size, `nothing interned for ${pattern}`);
  }
  throwsCode(() => writeMessage(new StageView(mem.buffer) as unknown as TickView, ltp(), table), "ARGUMENT", /TickView/);
  throwsCode(() => writeMessage(view.wrap(recs), ltp(), null as unknown as SymbolTable), "ARGUMENT", /SymbolTable/);
  // optional Quote fields: absent (undefined) is 0
  writeMessage(view.wrap(recs), { ...ltp(), mode: Kind.QUOTE, open: undefined }, table);
  assert.is(readMessage(view.wrap(recs), table).volume, 0);
});

// ─── client JSON ───

test("toClientJson: bad options, injection attempts, and always valid JSON", () => {
  const j = (options: unknown, m = quote()) => () => toClientJson(m, options as any);
  throwsCode(j(null), "ARGUMENT", /options/);
  throwsCode(j({ broker: 'fl"at', timestampMs: TS }), "BROKER", /broker/);
  throwsCode(j({ broker: "a\\b", timestampMs: TS }), "BROKER", /broker/);
  throwsCode(j({ broker: "a\u0085b", timestampMs: TS }), "BROKER", /broker/);
  throwsCode(j({ broker: "\ud800", timestampMs: TS }), "BROKER", /broker/);
  throwsCode(j({ broker: "x".repeat(65), timestampMs: TS }), "BROKER", /65 UTF-8 bytes/);
  throwsCode(j({ broker: "é".repeat(33), timestampMs: TS }), "BROKER", /66 UTF-8 bytes/);
  throwsCode(j({ broker: 7, timestampMs: TS }), "BROKER", /broker/);
  throwsCode(j({ broker: BROKER, timestampMs: 1.5 }), "ARGUMENT", /timestampMs/);
  throwsCode(j({ broker: BROKER, timestampMs: NaN }), "ARGUMENT", /timestampMs/);
  throwsCode(j({ broker: BROKER, timestampMs: Infinity }), "ARGUMENT", /timestampMs/);
  throwsCode(j({ broker: BROKER, timestampMs: 2 ** 53 }), "ARGUMENT", /timestampMs/);
  throwsCode(j({ broker: BROKER, timestampMs: BigInt(TS) }), "ARGUMENT", /timestampMs/);
  throwsCode(j({ broker: BROKER }), "ARGUMENT", /timestampMs/);
  throwsCode(j({ broker: BROKER, timestampMs: TS, mode: 3 }), "KIND", /mode 2 message cannot be rendered as mode 3/);
  throwsCode(j({ broker: BROKER, timestampMs: TS, mode: 0 }), "KIND", /mode/);
  throwsCode(j({ broker: BROKER, timestampMs: TS, mode: 1.5 }), "KIND", /mode/);
  throwsCode(j({ broker: BROKER, timestampMs: TS, brokr: "x" }), "ARGUMENT", /brokr/);
  throwsCode(j({ broker: BROKER, timestampMs: TS }, { ...quote(), symbol: 'X","evil":"1' }), "SYMBOL", /symbol/);

  // what is accepted parses, with exactly the documented keys
  const text = toClientJson(depth({ symbol: "NIFTY 50€𝄞" }), { broker: "é".repeat(32), timestampMs: -5 });
  const parsed = JSON.parse(text);
  assert.equal(Object.keys(parsed), ["type", "symbol", "exchange", "mode", "data", "broker"]);
  assert.is(parsed.symbol, "NIFTY 50€𝄞");
  assert.is(parsed.data.timestamp, -5);
  assert.equal(Object.keys(parsed.data), ["ltp", "timestamp", "volume", "open", "high", "low", "close", "average_price", "percent_change",
    "last_quantity", "last_trade_time", "oi", "total_buy_quantity", "total_sell_quantity", "upper_circuit", "lower_circuit", "depth"]);
  assert.equal(Object.keys(parsed.data.depth.buy[0]), ["price", "quantity", "orders"]);
  assert.not.match(text, /NaN|Infinity|undefined|null/);
  assert.is(toClientJson(ltp(), { broker: "", timestampMs: 0 }), '{"type":"market_data","symbol":"RELIANCE","exchange":"NSE","mode":1,"data":{"ltp":2500.05,"timestamp":0},"broker":""}');
});

test("toClientJson is byte-identical to the Wasm renderer", () => {
  const cases: [string, MarketDataMessage][] = [
    ["LTP", ltp()],
    ["Quote", quote()],
    ["Depth", depth()],
    ["negative prices", depth({ ltp: -0.05, open: -1234.5, close: -2500, percentChange: -0.01, depth: { buy: [{ price: -0.01, quantity: 1, orders: 1 }], sell: [{ price: -99.99, quantity: 0, orders: 0 }] } })],
    ["u64 beyond 2^53", depth({ volume: U64_MAX, oi: 2n ** 53n + 1n, totalBuyQuantity: 2n ** 63n, totalSellQuantity: U64_MAX, lastTradeTimeMs: -(2n ** 63n), lastQuantity: 0xffffffff })],
    ["0 decimals", depth({ symbol: fresh("Z0_"), priceDecimals: 0, ltp: 19999, open: MAX, low: -MAX, averagePrice: 0, high: 1, close: 2, upperCircuit: 3, lowerCircuit: 4,
      depth: { buy: [{ price: 100, quantity: 1, orders: 1 }, { price: 99, quantity: 2, orders: 2 }], sell: [] } })],
    ["9 decimals", depth({ symbol: fresh("Z9_"), priceDecimals: 9, ltp: MAX / 1e9, open: -MAX / 1e9, high: 0.000000001, low: -0.000000001, close: 1.5, averagePrice: 2.123456789, upperCircuit: 3, lowerCircuit: 4,
      depth: { buy: [{ price: 0.000000123, quantity: 5, orders: 6 }], sell: [{ price: -MAX / 1e9, quantity: 7, orders: 8 }] } })],
    ["percent change extremes", quote({ percentChange: -21474836.48 })],
    ["percent change small", quote({ percentChange: 0.07 })],
    ["zero everything", { ...ltp(), mode: Kind.DEPTH, ltp: 0, lastQuantity: 0, percentChange: 0, lastTradeTimeMs: 0 }],
    ["non-ASCII symbol", quote({ symbol: "ÄÖÜ€𝄞" })],
    ["4 decimals CDS", quote({ symbol: "USDINR", exchange: "CDS", priceDecimals: 4, ltp: 83.1234, open: 83, high: 83.5, low: 82.9999, close: 83.0001, averagePrice: 0.0001 })],
  ];
  for (const [label, m] of cases) assertSameBytes(m, label);
});

test("formatScaled: exact, and validated", () => {
  const cases: [number, number, string][] = [
    [250005, 2, "2500.05"], [-5, 2, "-0.05"], [19999, 0, "19999"], [-0, 2, "0.00"], [0, 0, "0"], [-0, 0, "0"],
    [MAX, 9, "2251799.813685247"], [-MAX, 9, "-2251799.813685247"], [MAX, 0, "2251799813685247"],
    [Number.MAX_SAFE_INTEGER, 9, "9007199.254740991"], [-Number.MAX_SAFE_INTEGER, 1, "-900719925474099.1"],
    [1, 9, "0.000000001"], [-2147483648, 2, "-21474836.48"], [999999999, 9, "0.999999999"], [1000000000, 9, "1.000000000"],
  ];
  for (const [m, d, want] of cases) assert.is(formatScaled(m, d), want, `${m} @${d}`);
  throwsCode(() => formatScaled(1.5, 2), "ARGUMENT", /scaled/);
  throwsCode(() => formatScaled(NaN, 2), "ARGUMENT", /scaled/);
  throwsCode(() => formatScaled(2 ** 53, 2), "ARGUMENT", /scaled/);
  throwsCode(() => formatScaled(5n as any, 2), "ARGUMENT", /scaled/);
  throwsCode(() => formatScaled(5, 10), "DECIMALS", /decimals/);
  throwsCode(() => formatScaled(5, Infinity), "DECIMALS", /decimals/);
  throwsCode(() => formatScaled(5, -1), "DECIMALS", /decimals/);
});

const HEAD = '{"type":"market_data","symbol":"RELIANCE","exchange":"NSE","mode":1,"data":';
const ltpJson = (data: string, tail = ',"broker":"flattrade"}') => `${HEAD}${data}${tail}`;

test("fromClientJson reads price text exactly: spaces, exponents, signs, decimals from the most precise field", () => {
  const one = (text: string) => fromClientJson(text).message;
  assert.is(one(ltpJson('{"ltp": 2500.05,"timestamp":1}')).ltp, 2500.05);
  assert.is(one(ltpJson('{"ltp": 2500.05,"timestamp":1}')).priceDecimals, 2);
  assert.is(one(ltpJson('{ "ltp" :\n\t2500.05 , "timestamp" : 1 }')).ltp, 2500.05);
  assert.is(one(ltpJson('{"ltp":1e-2,"timestamp":1}')).ltp, 0.01);
  assert.is(one(ltpJson('{"ltp":1e-2,"timestamp":1}')).priceDecimals, 2);
  assert.is(one(ltpJson('{"ltp":2.5E3,"timestamp":1}')).ltp, 2500);
  assert.is(one(ltpJson('{"ltp":2.5E3,"timestamp":1}')).priceDecimals, 0);
  assert.is(one(ltpJson('{"ltp":2.5e+3,"timestamp":1}')).ltp, 2500);
  assert.is(one(ltpJson('{"ltp":-0.05,"timestamp":1}')).ltp, -0.05);
  assert.is(one(ltpJson('{"ltp":-2.5e-1,"timestamp":1}')).ltp, -0.25);
  assert.is(one(ltpJson('{"ltp":2500.00,"timestamp":1}')).priceDecimals, 2);
  assert.ok(Object.is(one(ltpJson('{"ltp":-0.00,"timestamp":1}')).ltp, 0), "never -0");
  assert.is(one(ltpJson('{"ltp":2251799.813685247,"timestamp":1}')).ltp, MAX / 1e9);
  assert.is(one(ltpJson('{"ltp":-2251799813685247,"timestamp":1}')).ltp, -MAX);
  // 17 significant digits are exact decimal text, not a double to round: 17 decimals is more than 9
  throwsCode(() => one(ltpJson('{"ltp":0.30000000000000004,"timestamp":1}')), "DECIMALS", /data\.ltp has 17 decimals/);
});

test("fromClientJson: decimals from every price field, in any key order (not the first ltp the text shows)", () => {
  // The old parser took priceDecimals from the first `"ltp":` in the text; here the depth book comes
  // first and carries the precision, and ltp is written with none.
  const levels = (p: string) => Array.from({ length: 5 }, () => `{"price":${p},"quantity":1,"orders":1}`).join(",");
  const text = `{"broker":"b","data":{"depth":{"sell":[${levels("2500.10")}],"buy":[${levels("2499.95")}]},"ltp":2500,"timestamp":1,`
    + `"volume":1,"open":1,"high":1,"low":1,"close":1,"average_price":1,"percent_change":0,"last_quantity":1,"last_trade_time":1,"oi":1,`
    + `"total_buy_quantity":1,"total_sell_quantity":1,"upper_circuit":1,"lower_circuit":1},"mode":3,"exchange":"NSE","symbol":"X","type":"market_data"}`;
  const { message: m } = fromClientJson(text);
  assert.is(m.priceDecimals, 2);
  assert.is(m.ltp, 2500);
  assert.is(m.bid, 2499.95);
  assert.is(m.ask, 2500.1);
  assert.is(m.depth!.sell[0]!.price, 2500.1);
  // mixed precisions: the most precise wins, the others are scaled exactly
  const quoteText = toClientJson(quote(), { broker: BROKER, timestampMs: TS }).replace('"ltp":2500.05', '"ltp":2500.5').replace('"open":2490.00', '"open":2490.125');
  const mixed = fromClientJson(quoteText).message;
  assert.is(mixed.priceDecimals, 3);
  assert.is(mixed.ltp, 2500.5);
  assert.is(mixed.open, 2490.125);
  assert.is(mixed.high, 2510.55);
  // and the record it describes can be written
  writeMessage(view.wrap(recs), { ...m, symbol: fresh("ORD") }, table);
});

test("fromClientJson: strict structure, one TickwireError naming the key", () => {
  const good = toClientJson(depth(), { broker: BROKER, timestampMs: TS });
  fromClientJson(good);
  const cases: [string, string, RegExp][] = [
    ["{", "ARGUMENT", /not JSON/],
    ["", "ARGUMENT", /not JSON/],
    [good + "x", "ARGUMENT", /not JSON: text after/],
    [good.replace('"ltp":2500.05', '"ltp":NaN'), "ARGUMENT", /not JSON/],
    [good.replace('"ltp":2500.05', '"ltp":Infinity'), "ARGUMENT", /not JSON/],
    [good.replace('"ltp":2500.05', '"ltp":01'), "ARGUMENT", /not JSON/],
    [good.replace('"ltp":2500.05', '"ltp":2500.'), "ARGUMENT", /not JSON/],
    [good.replace('"ltp":2500.05', '"ltp":+1'), "ARGUMENT", /not JSON/],
    [good.replace('"ltp":2500.05', '"ltp":.5'), "ARGUMENT", /not JSON/],
    [good.replace('"symbol":"RELIANCE"', '"symbol":"REL\tIANCE"'), "ARGUMENT", /not JSON: control character/],
    ["[1,2]", "ARGUMENT", /market_data/],
    ['{"type":"pong"}', "ARGUMENT", /market_data/],
    [good.replace('"type":"market_data"', '"type":"market_data","type":"market_data"'), "ARGUMENT", /duplicate key "type"/],
    [good.replace('"ltp":2500.05', '"ltp":2500.05,"ltp":2500.05'), "ARGUMENT", /duplicate key "data\.ltp"/],
    [good.replace('{"price":2500.05,', '{"price":2500.05,"price":1,'), "ARGUMENT", /duplicate key "data\.depth\.buy\[0\]\.price"/],
    [good.replace('"mode":3', '"mode":"3"'), "KIND", /mode/],
    [good.replace('"mode":3', '"mode":3.0'), "KIND", /mode/],
    [good.replace('"mode":3', '"mode":4'), "KIND", /mode/],
    [good.replace('"mode":3,', ''), "KIND", /mode is missing/],
    [good.replace('"exchange":"NSE"', '"exchange":"XX"'), "EXCHANGE", /exchange/],
    [good.replace('"exchange":"NSE"', '"exchange":1'), "EXCHANGE", /exchange/],
    [good.replace('"symbol":"RELIANCE"', '"symbol":"X\\",\\"evil\\":\\"1"'), "SYMBOL", /symbol/],
    [good.replace('"symbol":"RELIANCE"', '"symbol":"A\\u0000B"'), "SYMBOL", /symbol/],
    [good.replace('"symbol":"RELIANCE"', '"symbol":"\\ud800"'), "SYMBOL", /symbol/],
    [good.replace('"symbol":"RELIANCE"', '"symbol":""'), "SYMBOL", /symbol/],
    [good.replace('"symbol":"RELIANCE",', ''), "SYMBOL", /symbol is missing/],
    [good.replace('"broker":"flattrade"', `"broker":"${"x".repeat(65)}"`), "BROKER", /broker/],
    [good.replace('"broker":"flattrade"', '"broker":null'), "BROKER", /broker/],
    [good.replace('"type":"market_data"', '"type":"market_data","extra":1'), "ARGUMENT", /unknown key "extra"/],
    [good.replace('"data":{', '"data":{"bid":1,'), "ARGUMENT", /unknown key "data\.bid"/],
    [good.replace('"volume":1152921504606846979,', ''), "ARGUMENT", /data\.volume is missing/],
    [good.replace('"volume":1152921504606846979', '"volume":"abc"'), "ARGUMENT", /data\.volume must be a number/],
    [good.replace('"volume":1152921504606846979', '"volume":1.5'), "ARGUMENT", /data\.volume/],
    [good.replace('"volume":1152921504606846979', '"volume":1e3'), "ARGUMENT", /data\.volume/],
    [good.replace('"volume":1152921504606846979', '"volume":-1'), "ARGUMENT", /data\.volume/],
    [good.replace('"volume":1152921504606846979', '"volume":-0'), "ARGUMENT", /data\.volume/],
    [good.replace('"volume":1152921504606846979', '"volume":18446744073709551616'), "ARGUMENT", /data\.volume/],
    [good.replace('"oi":9007199254740993', '"oi":true'), "ARGUMENT", /data\.oi must be a number/],
    [good.replace('"last_quantity":25', '"last_quantity":4294967296'), "ARGUMENT", /data\.last_quantity/],
    [good.replace('"last_trade_time":1732499999001', '"last_trade_time":9223372036854775808'), "ARGUMENT", /data\.last_trade_time/],
    [good.replace(`"timestamp":${TS}`, '"timestamp":1.5'), "ARGUMENT", /data\.timestamp/],
    [good.replace(`"timestamp":${TS}`, '"timestamp":9007199254740992'), "ARGUMENT", /data\.timestamp/],
    [good.replace('"percent_change":-1.05', '"percent_change":-1.055'), "PRECISION", /data\.percent_change/],
    [good.replace('"percent_change":-1.05', '"percent_change":"x"'), "ARGUMENT", /data\.percent_change/],
    [good.replace('"percent_change":-1.05', '"percent_change":21474836.48'), "ARGUMENT", /data\.percent_change/],
    [good.replace('"ltp":2500.05', '"ltp":"2500.05"'), "PRICE", /data\.ltp must be a number/],
    [good.replace('"ltp":2500.05', '"ltp":2500.0000000001'), "DECIMALS", /data\.ltp has 10 decimals/],
    [good.replace('"ltp":2500.05', '"ltp":1e-999999999999'), "DECIMALS", /data\.ltp/],
    [good.replace('"ltp":2500.05', '"ltp":1e999999999999'), "PRICE", /data\.ltp/],
    [good.replace('"ltp":2500.05', '"ltp":22517998136853'), "PRICE", /data\.ltp at 2 decimals/],
    [good.replace('"open":2490.00', '"open":-22517998136852.48'), "PRICE", /data\.open/],
    [good.replace('"depth":{"buy":[', '"depth":{"buy":{},"x":['), "ARGUMENT", /unknown key "data\.depth\.x"/],
    [good.replace('"depth":{"buy":[', '"depth":{"buy":7,"sell2":['), "ARGUMENT", /data\.depth/],
    [good.replace(/"sell":\[\{[^}]*\},/, '"sell":['), "ARGUMENT", /data\.depth\.sell has 4 levels/],
    [good.replace('"orders":1}', '"orders":1,"x":0}'), "ARGUMENT", /unknown key "data\.depth\.buy\[0\]\.x"/],
    [good.replace('"orders":1}', '"orders":-1}'), "ARGUMENT", /data\.depth\.buy\[0\]\.orders/],
    [good.replace('"quantity":100,', ''), "ARGUMENT", /data\.depth\.buy\[0\]\.quantity is missing/],
    [ltpJson("[1]"), "ARGUMENT", /data must be an object/],
    [ltpJson('"x"'), "ARGUMENT", /data must be an object/],
    ["[".repeat(100000) + "]".repeat(100000), "ARGUMENT", /nested deeper/],
  ];
  for (const [text, code, pattern] of cases) throwsCode(() => fromClientJson(text), code as any, pattern);
  throwsCode(() => fromClientJson(42 as any), "ARGUMENT", /string/);
  throwsCode(() => fromClientJson(undefined as any), "ARGUMENT", /string/);
  // an LTP message has exactly ltp and timestamp
  throwsCode(() => fromClientJson(ltpJson('{"ltp":1,"timestamp":1,"volume":1}')), "ARGUMENT", /unknown key "data\.volume"/);
  throwsCode(() => fromClientJson(ltpJson('{"ltp":1}')), "ARGUMENT", /data\.timestamp is missing/);
});

test("fromClientJson(toClientJson(m)) gives back every field on the wire: u64 2^64-1, prices near ±(2^51-1)/10^d", () => {
  for (let d = 0; d <= 9; d++) {
    const p = MAX / 10 ** d;
    const m = depth({
      symbol: fresh(`RT${d}_`), priceDecimals: d, ltp: p, open: -p, high: 1 / 10 ** d, low: -1 / 10 ** d, close: 0, averagePrice: p,
      upperCircuit: p, lowerCircuit: -p, volume: U64_MAX, oi: 2n ** 53n, totalBuyQuantity: U64_MAX, totalSellQuantity: 0,
      lastTradeTimeMs: -(2n ** 63n), lastQuantity: 0xffffffff, percentChange: 21474836.47,
      depth: { buy: [{ price: -p, quantity: 0xffffffff, orders: 0xffffffff }], sell: [{ price: p, quantity: 0, orders: 0 }, { price: 1 / 10 ** d, quantity: 1, orders: 1 }] },
    });
    for (let mode = Kind.LTP as Kind; mode <= Kind.DEPTH; mode++) {
      const text = toClientJson(m, { broker: BROKER, timestampMs: TS, mode });
      const back = fromClientJson(text);
      assert.is(back.broker, BROKER);
      assert.is(back.timestampMs, TS);
      assert.equal(back.message, onWire(m, mode), `d ${d} mode ${mode}`);
      assert.is(toClientJson(back.message, { broker: BROKER, timestampMs: TS }), text, "and renders back to the same text");
    }
    assertSameBytes(m, `extremes at ${d} decimals`);
  }
});

// ─── randomized ───

const EXCHANGES: ExchangeName[] = ["NSE", "BSE", "NFO", "CDS", "MCX", "CRYPTO", "GLOBAL_INDEX"];

function randomMessage(random: () => number, i: number): MarketDataMessage {
  const int = (n: number) => Math.floor(random() * n);
  const mode = (1 + int(3)) as Kind;
  const d = int(10);
  const pow = 10 ** d;
  // scaled prices of every magnitude, up to the format's limit, of both signs
  const price = () => {
    const r = random();
    const mag = r < 0.1 ? 0 : r < 0.2 ? MAX - int(1000) : r < 0.3 ? int(100) : Math.floor(random() * 10 ** (1 + int(15)));
    const m = Math.min(mag, MAX) * (random() < 0.2 ? -1 : 1);
    return m / pow;
  };
  const u64 = (): number | bigint => {
    const r = random();
    if (r < 0.2) return 0;
    if (r < 0.5) return int(2 ** 32);
    if (r < 0.7) return Number.MAX_SAFE_INTEGER - int(1000);
    if (r < 0.75) return U64_MAX - BigInt(int(1000));
    return 2n ** 53n + BigInt(int(2 ** 30)) * BigInt(int(2 ** 30)) * 8n;
  };
  const i64 = (): number | bigint => {
    const r = random();
    if (r < 0.3) return 1732499999000 + int(1e6);
    if (r < 0.5) return random() < 0.5 ? -int(2 ** 53) : Number.MAX_SAFE_INTEGER - int(10);
    if (r < 0.7) return (random() < 0.5 ? -1n : 1n) * (2n ** 53n + BigInt(int(2 ** 30)) * BigInt(int(2 ** 30)));
    return random() < 0.5 ? -(2n ** 63n) : 2n ** 63n - 1n;
  };
  const u32 = () => (random() < 0.1 ? 0xffffffff : int(100000));
  const m: MarketDataMessage = {
    mode, symbol: `R${d}_${int(60)}`, exchange: EXCHANGES[int(EXCHANGES.length)]!, priceDecimals: d, seq: u64(), recvTimeNs: u64(),
    ltp: price(), exchangeTimeMs: i64(), lastTradeTimeMs: i64(), lastQuantity: u32(), percentChange: (int(2 ** 32) - 2 ** 31) / 100,
  };
  if (mode === Kind.LTP) return m;
  const q: Partial<MarketDataMessage> = {
    averagePrice: price(), open: price(), high: price(), low: price(), close: price(), volume: u64(), oi: u64(),
    totalBuyQuantity: u64(), totalSellQuantity: u64(), upperCircuit: price(), lowerCircuit: price(),
  };
  if (mode === Kind.QUOTE) Object.assign(q, { bid: price(), ask: price(), bidQuantity: u32(), askQuantity: u32() });
  // leave some optional fields out: they must read back as 0
  for (const key of Object.keys(q) as (keyof MarketDataMessage)[]) if (random() < 0.1) delete q[key];
  Object.assign(m, q);
  if (mode === Kind.DEPTH) {
    const side = () => Array.from({ length: int(6) }, () => ({ price: price(), quantity: u32(), orders: u32() }));
    m.depth = { buy: side(), sell: side() };
    if (random() < 0.5 && m.depth.buy[0]) Object.assign(m, { bid: m.depth.buy[0].price, bidQuantity: m.depth.buy[0].quantity });
    if (random() < 0.5 && m.depth.sell[0]) Object.assign(m, { ask: m.depth.sell[0].price, askQuantity: m.depth.sell[0].quantity });
  }
  return m;
}

test("randomized: writeMessage -> readMessage, toClientJson -> fromClientJson, and the Wasm renderer agree", () => {
  const random = rng(20241125);
  const N = 3000;
  const msgs: MarketDataMessage[] = [];
  let bytes = 0;
  for (let i = 0; i < N; i++) {
    const m = randomMessage(random, i);
    const at = recs + bytes;
    bytes += writeMessage(view.wrap(at), m, table);
    assert.equal(readMessage(view.wrap(at), table), normalized(m), `message ${i}`);
    const mode = (1 + Math.floor(random() * m.mode)) as Kind;
    const text = toClientJson(m, { broker: BROKER, timestampMs: TS, mode });
    const back = fromClientJson(text);
    assert.equal(back.message, onWire(m, mode), `message ${i} as mode ${mode}: ${text}`);
    msgs.push(m);
  }
  for (const mode of [Kind.LTP, Kind.QUOTE, Kind.DEPTH]) {
    const wasm = wasmRender(recs, bytes, mode);
    assert.is(wasm.length, N);
    msgs.forEach((m, i) => {
      const want = m.mode < mode ? "" : toClientJson(m, { broker: BROKER, timestampMs: TS, mode });
      if (wasm[i] !== want) assert.is(wasm[i], want, `message ${i} mode ${mode}`);
    });
  }
});

test("errors are TickwireErrors, never TypeErrors, for arbitrary junk", () => {
  const junk: unknown[] = [undefined, null, 0, "", [], {}, () => 1, Symbol("s"), 1n, NaN, { mode: 2 }, { mode: 3, depth: null }];
  for (const m of junk) {
    for (const call of [() => writeMessage(view.wrap(recs), m as any, table), () => toClientJson(m as any, { broker: BROKER, timestampMs: TS })]) {
      try {
        call();
        assert.unreachable("accepted junk");
      } catch (e) {
        assert.instance(e, TickwireError, String(e));
      }
    }
  }
});

test.run();
