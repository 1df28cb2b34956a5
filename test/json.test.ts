import { test } from "uvu";
import * as assert from "uvu/assert";
import { TickView, JsonRenderer, Kind, layout as L, writeMessage, readMessage, toClientJson, fromClientJson } from "../src/index.js";
import { setup, sampleTick, rng } from "./helpers/fixtures.js";

const { mem, table } = await setup();
const recs = mem.allocate(1 << 20);
const view = new TickView(mem.buffer);
const renderer = new JsonRenderer(mem, table, { broker: "flattrade" });
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes.slice());
const TS = 1732500000123;

// A batch of random ticks of every kind, with varied precisions and signs.
function randomBatch(n: number, seed: number) {
  const random = rng(seed);
  const msgs = [];
  let off = 0;
  for (let i = 0; i < n; i++) {
    const mode = (1 + Math.floor(random() * 3)) as Kind;
    // sampleTick's prices have 2 decimals: 2..4 holds them exactly; a symbol keeps one priceDecimals.
    const decimals = 2 + Math.floor(random() * 3);
    const msg = sampleTick(mode, i, `SYM${decimals}_${Math.floor(random() * 100)}`);
    msg.exchange = (["NSE", "NFO", "CDS", "MCX", "CRYPTO"] as const)[Math.floor(random() * 5)]!;
    msg.priceDecimals = decimals;
    msg.ltp = Math.round((random() - 0.2) * 1e6 * 10 ** msg.priceDecimals) / 10 ** msg.priceDecimals;
    msg.percentChange = Math.round((random() - 0.5) * 4000) / 100;
    off += writeMessage(view.wrap(recs + off), msg, table);
    msgs.push(readMessage(view, table));
  }
  return { msgs, bytes: off };
}

test("Wasm rendering equals the plain-JS reference byte for byte, in every mode a tick allows", () => {
  const { msgs, bytes } = randomBatch(500, 1);
  for (const mode of [Kind.LTP, Kind.QUOTE, Kind.DEPTH]) {
    assert.is(renderer.render(recs, bytes, mode, TS), msgs.length);
    msgs.forEach((m, i) => {
      const got = text(renderer.message(i));
      if (m.mode < mode) assert.is(got, "", `record ${i}: a mode ${m.mode} tick is not sent to a mode ${mode} client`);
      else assert.is(got, toClientJson(m, { broker: "flattrade", timestampMs: TS, mode }), `record ${i} mode ${mode}`);
    });
  }
});

test("the protocol shape: fields by mode, exact decimals, u64 digits", () => {
  writeMessage(view.wrap(recs), sampleTick(Kind.DEPTH, 0), table);
  renderer.render(recs, L.DEPTH_BYTES, Kind.LTP, TS);
  assert.is(text(renderer.message(0)), `{"type":"market_data","symbol":"RELIANCE","exchange":"NSE","mode":1,"data":{"ltp":2500.05,"timestamp":${TS}},"broker":"flattrade"}`);
  renderer.render(recs, L.DEPTH_BYTES, Kind.QUOTE, TS);
  const quote = JSON.parse(text(renderer.message(0)));
  assert.equal(Object.keys(quote), ["type", "symbol", "exchange", "mode", "data", "broker"]);
  assert.equal(Object.keys(quote.data), ["ltp", "timestamp", "volume", "open", "high", "low", "close", "average_price", "percent_change", "last_quantity", "last_trade_time", "oi"]);
  assert.is(quote.data.average_price, 2499.37);
  assert.is(quote.data.percent_change, -1.05);
  assert.ok(text(renderer.message(0)).includes('"volume":1152921504606846976,'), "u64 volume printed exactly");
  assert.ok(text(renderer.message(0)).includes('"oi":9007199254740993}'), "oi beyond 2^53 printed exactly");
  renderer.render(recs, L.DEPTH_BYTES, Kind.DEPTH, TS);
  const depth = JSON.parse(text(renderer.message(0)));
  assert.equal(Object.keys(depth.data).slice(12), ["total_buy_quantity", "total_sell_quantity", "upper_circuit", "lower_circuit", "depth"]);
  assert.is(depth.data.depth.buy.length, 5);
  assert.equal(depth.data.depth.sell[2], { price: 2500.15, quantity: 102, orders: 3 });
  assert.ok(text(renderer.message(0)).includes('"total_sell_quantity":9223372036854775808,'));
});

test("prices print with the instrument's decimals, never as binary-float noise", () => {
  const cases: [number, number, string][] = [
    [2500.05, 2, "2500.05"], [2500, 2, "2500.00"], [-0.05, 2, "-0.05"], [Math.round((0.1 + 0.2) * 100) / 100, 2, "0.30"], [83.1234, 4, "83.1234"],
    [-1234.5, 1, "-1234.5"], [19999, 0, "19999"], [0.00001234, 8, "0.00001234"], [2251799.813685247, 9, "2251799.813685247"],
  ];
  for (const [price, decimals, want] of cases) {
    const m = sampleTick(Kind.LTP, 0);
    m.symbol = `PRINT${decimals}`; // a symbol keeps the decimals it was interned with
    m.ltp = price;
    m.priceDecimals = decimals;
    writeMessage(view.wrap(recs), m, table);
    renderer.render(recs, L.LTP_BYTES, Kind.LTP, TS);
    const got = text(renderer.message(0));
    assert.ok(got.includes(`"ltp":${want},`), `${price} @${decimals}: ${got}`);
    assert.is(JSON.parse(got).data.ltp, Number(want));
  }
});

test("a full output buffer stops the render; the rest renders into the next buffer", () => {
  const small = new JsonRenderer(mem, table, { broker: "flattrade", bufferBytes: 8192 });
  const { msgs, bytes } = randomBatch(200, 2);
  const all: string[] = [];
  let off = 0;
  let calls = 0;
  while (off < bytes) {
    const n = small.render(recs + off, bytes - off, Kind.LTP, TS);
    assert.ok(n > 0);
    for (let i = 0; i < n; i++) {
      all.push(text(small.message(i)));
      off += view.wrap(recs + off).length;
    }
    calls++;
  }
  assert.ok(calls > 1, "the batch needed several buffers");
  assert.equal(all, msgs.map((m) => toClientJson(m, { broker: "flattrade", timestampMs: TS, mode: Kind.LTP })));
});

test("fromClientJson reads a rendered message back exactly, u64 fields included", () => {
  for (const mode of [Kind.LTP, Kind.QUOTE, Kind.DEPTH]) {
    const msg = sampleTick(mode, 4);
    const bytes = writeMessage(view.wrap(recs), msg, table);
    renderer.render(recs, bytes, mode, TS);
    const { message, broker, timestampMs } = fromClientJson(text(renderer.message(0)));
    assert.is(broker, "flattrade");
    assert.is(timestampMs, TS);
    assert.is(message.priceDecimals, 2);
    assert.is(message.ltp, msg.ltp);
    if (mode >= Kind.QUOTE) {
      assert.is(message.volume, msg.volume);
      assert.is(message.oi, msg.oi);
      assert.is(message.averagePrice, msg.averagePrice);
      assert.is(message.percentChange, msg.percentChange);
    }
    if (mode === Kind.DEPTH) {
      assert.is(message.totalSellQuantity, msg.totalSellQuantity);
      assert.equal(message.depth, msg.depth);
    }
  }
});

test.run();
