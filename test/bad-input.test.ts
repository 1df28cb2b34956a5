import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  TickView, StageView, BatchCodec, JsonRenderer, SymbolTable, TickwireError, TickwireMemory, Kind, layout as L,
  writeMessage, fromClientJson,
} from "../src/index.js";
import { setup, sampleTick } from "./helpers/fixtures.js";
import { throwsCode } from "./helpers/assertions.js";

const { mem, table } = await setup();
const codec = new BatchCodec(mem);
const recs = mem.allocate(1 << 16);
const out = mem.allocate(1 << 16);
const view = new TickView(mem.buffer);
const sv = new StageView(mem.buffer);


function twoQuotes() {
  writeMessage(view.wrap(recs), sampleTick(Kind.QUOTE, 0), table);
  writeMessage(view.wrap(recs + L.QUOTE_BYTES), sampleTick(Kind.QUOTE, 1), table);
}

test("truncated batches: a record cut short or a batch ending inside a header", () => {
  twoQuotes();
  throwsCode(() => codec.decode(recs, 2 * L.QUOTE_BYTES - 64, out), "TRUNCATED", /record 1/);
  throwsCode(() => codec.decode(recs, L.QUOTE_BYTES + 10, out), "TRUNCATED", /record 1/);
  throwsCode(() => codec.decode(recs, 30, out), "TRUNCATED", /record 0/);
  assert.is(codec.decode(recs, 2 * L.QUOTE_BYTES, out), 2);
});

test("wrong version, unknown kind, length that does not match the kind", () => {
  twoQuotes();
  mem.u8[recs + L.QUOTE_BYTES + L.OFF_VERSION] = 2;
  throwsCode(() => codec.decode(recs, 2 * L.QUOTE_BYTES, out), "VERSION", /record 1/);
  twoQuotes();
  mem.u8[recs + L.OFF_KIND] = 9;
  throwsCode(() => codec.decode(recs, 2 * L.QUOTE_BYTES, out), "KIND", /record 0/);
  twoQuotes();
  new Uint16Array(mem.buffer, recs, 1)[0] = 128;
  throwsCode(() => codec.decode(recs, 2 * L.QUOTE_BYTES, out), "LENGTH");
  twoQuotes();
  mem.u8.fill(0, recs, recs + 64); // never written: version 0
  throwsCode(() => codec.decode(recs, 2 * L.QUOTE_BYTES, out), "VERSION", /record 0/);
});

test("length past the end of the batch", () => {
  twoQuotes();
  mem.u8[recs + L.QUOTE_BYTES + L.OFF_KIND] = L.KIND_PADDING;
  new Uint16Array(mem.buffer, recs + L.QUOTE_BYTES, 1)[0] = 64 * 40;
  throwsCode(() => codec.decode(recs, 2 * L.QUOTE_BYTES, out), "TRUNCATED", /record 1/);
});

test("bad exchange code and priceDecimals in a record", () => {
  twoQuotes();
  mem.u8[recs + L.OFF_EXCHANGE] = 15;
  throwsCode(() => codec.decode(recs, L.QUOTE_BYTES, out), "EXCHANGE");
  twoQuotes();
  mem.u8[recs + L.OFF_PRICE_DECIMALS] = 10;
  throwsCode(() => codec.decode(recs, L.QUOTE_BYTES, out), "DECIMALS");
});

test("non-finite and out-of-range prices are refused by the batch encoder, naming the field", () => {
  for (const [field, set] of [
    ["ltp", (s: StageView) => { s.ltp = NaN; }],
    ["close", (s: StageView) => { s.close = Infinity; }],
    ["low", (s: StageView) => { s.low = -Infinity; }],
    ["ask", (s: StageView) => { s.ask = 1e17; }],
    ["sell depth level 4 price", (s: StageView) => { s.setLevel(1, 4, NaN, 1, 1); }],
  ] as const) {
    writeMessage(view.wrap(recs), sampleTick(Kind.DEPTH, 0), table);
    codec.decode(recs, L.DEPTH_BYTES, out);
    set(sv.wrap(out));
    const err = throwsCode(() => codec.encode(out, L.DEPTH_BYTES, recs), "PRICE");
    assert.ok(err.message.includes(field), `${err.message} should name ${field}`);
    assert.is(err.recordIndex, 0);
  }
});

test("decode refuses a scaled price beyond ±2^53 (a corrupt record) instead of rounding it", () => {
  writeMessage(view.wrap(recs), sampleTick(Kind.QUOTE, 0), table);
  const hi = (recs + L.OFF_CLOSE + 4) >>> 2;
  mem.u32[hi] = 0x00200000; // close = 2^53 * 1
  const err = throwsCode(() => codec.decode(recs, L.QUOTE_BYTES, out), "PRICE", /close/);
  assert.is(err.recordIndex, 0);
  mem.u32[hi] = 0xffe00000; // -2^53
  mem.u32[hi - 1] = 0;
  throwsCode(() => codec.decode(recs, L.QUOTE_BYTES, out), "PRICE", /close/);
});

test("flyweight setters refuse values the format cannot hold", () => {
  view.wrap(recs).init(Kind.QUOTE);
  view.priceDecimals = 2;
  throwsCode(() => { view.ltp = NaN; }, "PRICE", /ltp/);
  throwsCode(() => { view.high = 1e15; }, "PRICE", /high/);
  throwsCode(() => { view.volume = -1; }, "ARGUMENT", /volume/);
  throwsCode(() => { view.volume = 2n ** 64n; }, "ARGUMENT", /volume/);
  throwsCode(() => { view.volume = 2 ** 53; }, "ARGUMENT", /volume/);
  throwsCode(() => { view.lastQty = 1.5; }, "ARGUMENT", /lastQty/);
  throwsCode(() => { view.exchange = 0; }, "EXCHANGE");
  throwsCode(() => { view.priceDecimals = 10; }, "DECIMALS");
  throwsCode(() => view.levelPrice(0, 5), "ARGUMENT", /level/);
  throwsCode(() => view.wrap(3), "ARGUMENT", /offset/);
  throwsCode(() => view.wrap(mem.byteLength - 32), "ARGUMENT", /offset/);
});

test("symbol keys: empty, too long, bad characters, unknown exchange", () => {
  throwsCode(() => table.intern("NSE", ""), "SYMBOL");
  throwsCode(() => table.intern("NSE", "X".repeat(57)), "SYMBOL", /longer than 56/);
  throwsCode(() => table.intern("NSE", "é".repeat(29)), "SYMBOL", /58 UTF-8 bytes/);
  throwsCode(() => table.intern("NSE", 'A"B'), "SYMBOL");
  throwsCode(() => table.intern("NSE", "A\\B"), "SYMBOL");
  throwsCode(() => table.intern("NSE", "A\nB"), "SYMBOL");
  throwsCode(() => table.intern("NASDAQ" as any, "AAPL"), "EXCHANGE", /NASDAQ/);
  throwsCode(() => table.intern("NSE", "OK", 12), "DECIMALS");
  throwsCode(() => table.find("LSE" as any, "VOD"), "EXCHANGE");
  throwsCode(() => table.get(1e6), "SYMBOL");
  assert.is(table.intern("NSE", "X".repeat(56)), table.find("NSE", "X".repeat(56)));
});

test("a full symbol table refuses new symbols and keeps the ones it has", async () => {
  const small = SymbolTable.create(mem, 3);
  const ids = ["A", "B", "C"].map((s) => small.intern("NSE", s));
  assert.equal(ids, [0, 1, 2]);
  throwsCode(() => small.intern("NSE", "D"), "TABLE_FULL");
  assert.is(small.intern("NSE", "B"), 1);
  assert.is(small.size, 3);
  assert.is(small.find("NSE", "D"), -1);
});

test("the renderer refuses a record whose symbol id is not in the table, and bad options", () => {
  const r = new JsonRenderer(mem, table, { broker: "sim", bufferBytes: 4096 });
  writeMessage(view.wrap(recs), sampleTick(Kind.LTP, 0), table);
  view.symbolId = 4000;
  throwsCode(() => r.render(recs, L.LTP_BYTES, Kind.LTP), "SYMBOL", /record 0/);
  view.symbolId = 100_000_000; // far past the end of the memory: an error, not a memory fault
  throwsCode(() => r.render(recs, L.LTP_BYTES, Kind.LTP), "SYMBOL", /record 0/);
  view.symbolId = 0;
  throwsCode(() => r.render(recs, L.LTP_BYTES, Kind.LTP, NaN), "ARGUMENT", /timestampMs/);
  throwsCode(() => r.render(recs, L.LTP_BYTES, Kind.LTP, 1.5), "ARGUMENT", /timestampMs/);
  throwsCode(() => new JsonRenderer(mem, table, { broker: "x".repeat(65) }), "BROKER");
  throwsCode(() => new JsonRenderer(mem, table, { broker: 'a"b' }), "BROKER");
  throwsCode(() => new JsonRenderer(mem, table, { broker: "sim", bufferBytes: 100 }), "ARGUMENT");
});

test("memory: bad sizes, exhaustion and bad handles", async () => {
  await (async () => {
    try { await TickwireMemory.create({ bytes: 100 }); assert.unreachable(); } catch (e) { assert.is((e as TickwireError).code, "ARGUMENT"); }
    try { await TickwireMemory.attach({} as any); assert.unreachable(); } catch (e) { assert.is((e as TickwireError).code, "HANDLE"); }
    const plain = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
    try { await TickwireMemory.attach({ memory: plain, module: mem.module }); assert.unreachable(); } catch (e) { assert.is((e as TickwireError).code, "HANDLE", String(e)); }
  })();
  const small = await TickwireMemory.create({ bytes: 65536, module: mem.module });
  throwsCode(() => small.allocate(1 << 20), "MEMORY", /do not fit/);
  throwsCode(() => small.allocate(0), "ARGUMENT");
  throwsCode(() => small.allocate(64, 3), "ARGUMENT");
  throwsCode(() => SymbolTable.attach(mem, 64), "HANDLE");
});

test("fromClientJson refuses what is not a market_data message", () => {
  throwsCode(() => fromClientJson("{"), "ARGUMENT", /not JSON/);
  throwsCode(() => fromClientJson('{"type":"pong"}'), "ARGUMENT", /market_data/);
  throwsCode(() => fromClientJson('{"type":"market_data","mode":7,"exchange":"NSE","data":{}}'), "KIND");
  throwsCode(() => fromClientJson('{"type":"market_data","mode":1,"exchange":"XX","data":{}}'), "EXCHANGE");
});

test.run();
