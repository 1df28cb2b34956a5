import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  TickView, StageView, BatchCodec, Kind, Side, layout as L, readMessage, writeMessage, scalePrice, recordBytes,
} from "../src/index.js";
import { setup, sampleTick, rng } from "./helpers/fixtures.js";
import { throwsCode } from "./helpers/assertions.js";

const { mem, table } = await setup();
const codec = new BatchCodec(mem);
const recs = mem.allocate(1 << 22);
const stage = mem.allocate(1 << 22);
const back = mem.allocate(1 << 22);
const view = new TickView(mem.buffer);
const sv = new StageView(mem.buffer);

test("layout: fields of each kind lie inside it, 8-byte aligned, and never overlap", () => {
  const sizes: Record<string, number> = { LENGTH: 2, KIND: 1, VERSION: 1, EXCHANGE: 1, PRICE_DECIMALS: 1, FLAGS: 2, SYMBOL_ID: 4, LAST_QTY: 4, CHANGE_BP: 4, BID_QTY: 4, ASK_QTY: 4 };
  const fields = Object.entries(L).filter(([k]) => k.startsWith("OFF_") && !k.startsWith("OFF_DEPTH"))
    .map(([k, off]) => ({ name: k.slice(4), off: off as number, size: sizes[k.slice(4)] ?? 8 }))
    .concat([{ name: "DEPTH", off: L.OFF_DEPTH_BIDS, size: 2 * L.DEPTH_LEVELS * L.LEVEL_BYTES }])
    .sort((a, b) => a.off - b.off);
  for (let i = 1; i < fields.length; i++) {
    assert.ok(fields[i - 1]!.off + fields[i - 1]!.size <= fields[i]!.off, `${fields[i - 1]!.name} overlaps ${fields[i]!.name}`);
  }
  for (const f of fields) if (f.size === 8) assert.is(f.off % 8, 0, `${f.name} is not 8-aligned`);
  assert.ok(L.OFF_LTP + 8 <= L.LTP_BYTES && L.OFF_LOWER_CIRCUIT + 8 <= L.QUOTE_BYTES && L.OFF_DEPTH_ASKS + 80 <= L.DEPTH_BYTES);
  for (const k of [Kind.LTP, Kind.QUOTE, Kind.DEPTH]) assert.is(recordBytes(k) % L.SLOT_BYTES, 0);
});

test("object form -> record -> object form is exact for every field of every kind", () => {
  for (const mode of [Kind.LTP, Kind.QUOTE, Kind.DEPTH]) {
    const msg = sampleTick(mode, 7);
    const bytes = writeMessage(view.wrap(recs), msg, table);
    assert.is(bytes, recordBytes(mode));
    assert.is(view.version, L.FORMAT_VERSION);
    const got = readMessage(view, table);
    for (const [key, value] of Object.entries(msg)) assert.equal((got as any)[key], value, `${mode}: ${key}`);
  }
});

test("Quote keeps what the seed lost: average price, % change, last qty and time, feed time, seq", () => {
  writeMessage(view.wrap(recs), sampleTick(Kind.QUOTE, 3), table);
  assert.is(view.avgPrice, 2499.37);
  assert.is(view.changeBp, -105);
  assert.is(view.changePercent, -1.05);
  assert.is(view.lastQty, 28);
  assert.is(view.lastTradeTimeMs, 1732499999003);
  assert.is(view.exchTimeMs, 1732500000003);
  assert.is(view.seq, 1003);
});

test("every 0.01-tick price from 0.00 to 9999.99 survives stage -> record -> stage exactly (the seed lost ~5%)", () => {
  const per = (1 << 22) / L.LTP_BYTES;
  let checked = 0;
  for (let start = 0; start < 1_000_000; start += per) {
    const n = Math.min(per, 1_000_000 - start);
    for (let i = 0; i < n; i++) {
      sv.wrap(stage + i * L.LTP_BYTES).init(Kind.LTP);
      sv.exchange = 1;
      sv.priceDecimals = 2;
      sv.ltp = Number(((start + i) / 100).toFixed(2)); // the double a parser gives for "1234.56"
    }
    assert.is(codec.encode(stage, n * L.LTP_BYTES, recs), n);
    for (let i = 0; i < n; i++) {
      if (view.wrap(recs + i * L.LTP_BYTES).scaled(L.OFF_LTP) !== start + i) assert.unreachable(`scaled ${start + i}`);
    }
    assert.is(codec.decode(recs, n * L.LTP_BYTES, back), n);
    for (let i = 0; i < n; i++) {
      const want = Number(((start + i) / 100).toFixed(2));
      if (sv.wrap(back + i * L.LTP_BYTES).ltp !== want) assert.unreachable(`price ${want} came back as ${sv.ltp}`);
      checked++;
    }
  }
  assert.is(checked, 1_000_000);
});

test("negative prices (spreads) and every precision convert exactly, in Wasm and JS alike; more decimals than the record's are refused, never rounded", () => {
  const cases: [number, number, number][] = [
    [-0.05, 2, -5], [-123.45, 2, -12345], [2500.05, 2, 250005], [-0.12, 2, -12], [0.13, 2, 13],
    [83.1234, 4, 831234], [-0.0001, 4, -1], [19999, 0, 19999], [0.00001234, 8, 1234], [-3, 0, -3],
    [2251799.813685247, 9, 2251799813685247], [-22517998136852.47, 2, -2251799813685247],
  ];
  const random = rng(1);
  for (let i = 0; i < 4000; i++) {
    const d = Math.floor(random() * 10);
    const m = Math.round((random() - 0.5) * 2 * (random() < 0.2 ? L.MAX_SCALED_PRICE : 2e9));
    cases.push([m / 10 ** d, d, m]); // the double nearest each decimal: what a parser gives
  }
  cases.forEach(([price, decimals, scaled], i) => {
    sv.wrap(stage + i * 64).init(Kind.LTP);
    sv.exchange = 3;
    sv.priceDecimals = decimals;
    sv.ltp = price;
    assert.is(scalePrice(price, decimals), scaled, `JS ${price} @${decimals}`);
  });
  assert.is(codec.encode(stage, cases.length * 64, recs), cases.length);
  cases.forEach(([price, decimals, scaled], i) => {
    view.wrap(recs + i * 64);
    assert.is(view.scaled(L.OFF_LTP), scaled, `Wasm ${price} @${decimals}`);
    assert.is(view.ltp, price, `read back ${price} @${decimals}`);
  });
  // Round trips through a double are exact for every scaled integer in range, at every precision.
  for (let i = 0; i < 20000; i++) {
    const d = Math.floor(random() * 10);
    const m = Math.round((random() - 0.5) * 2 * L.MAX_SCALED_PRICE);
    view.wrap(recs).init(Kind.LTP);
    view.exchange = 1;
    view.priceDecimals = d;
    view.setScaled(L.OFF_LTP, m);
    const v = view.ltp;
    view.ltp = v;
    if (view.scaled(L.OFF_LTP) !== m) assert.unreachable(`${m} @${d} came back as ${view.scaled(L.OFF_LTP)}`);
  }
  // More decimals than priceDecimals: PRECISION on every write path, never a rounding.
  for (const [price, decimals] of [[2500.055, 2], [0.004, 2], [1.005, 2], [0.1 + 0.2, 2], [2.5, 0], [-0.125, 2]] as const) {
    throwsCode(() => scalePrice(price, decimals), "PRECISION");
    view.wrap(recs).init(Kind.LTP);
    view.priceDecimals = decimals;
    throwsCode(() => { view.ltp = price; }, "PRECISION", /more than/);
    sv.wrap(stage).init(Kind.LTP);
    sv.exchange = 1;
    sv.priceDecimals = decimals;
    sv.ltp = price;
    const e = throwsCode(() => codec.encode(stage, 64, recs), "PRECISION", /ltp/);
    assert.is(e.recordIndex, 0);
  }
});

test("u64 volume, OI and book totals beyond 2^53 are exact", () => {
  const big = [2n ** 53n + 1n, 2n ** 64n - 1n, 18446744073709551557n];
  view.wrap(recs).init(Kind.DEPTH);
  view.exchange = 1;
  for (const v of big) {
    view.volume = v;
    view.oi = v - 1n;
    view.totalSellQty = v;
    assert.is(view.exact("volume"), v);
    assert.is(view.exact("oi"), v - 1n);
    assert.is(view.exact("totalSellQty"), v);
    assert.is(view.volume, Number(v), "the getter: the nearest number");
  }
  view.volume = 2 ** 53 - 1;
  assert.is(view.volume, 2 ** 53 - 1);
  assert.is(typeof view.volume, "number");
  // Batch conversion carries the u64 words untouched.
  view.volume = 2n ** 64n - 1n;
  codec.decode(recs, L.DEPTH_BYTES, stage);
  codec.encode(stage, L.DEPTH_BYTES, back);
  assert.is(view.wrap(back).exact("volume"), 2n ** 64n - 1n);
});

test("a mixed batch of LTP, Quote, Depth and padding round-trips byte for byte", () => {
  const random = rng(2);
  let off = 0;
  let ticks = 0;
  for (let i = 0; i < 300; i++) {
    const r = random();
    if (r < 0.1) {
      const slots = 1 + Math.floor(random() * 3);
      mem.u8.fill(0, recs + off, recs + off + slots * 64);
      mem.u8[recs + off + L.OFF_KIND] = L.KIND_PADDING;
      mem.u8[recs + off + L.OFF_VERSION] = L.FORMAT_VERSION;
      new Uint16Array(mem.buffer, recs + off, 1)[0] = slots * 64;
      off += slots * 64;
      continue;
    }
    const kind = r < 0.4 ? Kind.LTP : r < 0.8 ? Kind.QUOTE : Kind.DEPTH;
    off += writeMessage(view.wrap(recs + off), sampleTick(kind, i, `SYM${i % 50}`), table);
    ticks++;
  }
  assert.is(codec.decode(recs, off, stage), ticks);
  assert.is(codec.encode(stage, off, back), ticks);
  assert.equal(mem.u8.slice(back, back + off), mem.u8.slice(recs, recs + off));
  // In place, both ways.
  mem.u8.copyWithin(stage, recs, recs + off);
  codec.decode(stage, off);
  codec.encode(stage, off);
  assert.equal(mem.u8.slice(stage, stage + off), mem.u8.slice(recs, recs + off));
});

test("StageView and TickView agree on every field of a decoded Depth record", () => {
  writeMessage(view.wrap(recs), sampleTick(Kind.DEPTH, 11), table);
  codec.decode(recs, L.DEPTH_BYTES, stage);
  sv.wrap(stage);
  for (const k of ["ltp", "avgPrice", "open", "high", "low", "close", "bid", "ask", "upperCircuit", "lowerCircuit", "volume", "oi", "seq", "recvTimeNs", "symbolId", "exchange", "priceDecimals", "lastQty", "changeBp", "exchTimeMs", "lastTradeTimeMs", "bidQty", "askQty", "totalBuyQty", "totalSellQty"] as const) {
    assert.equal(sv[k], view[k], k);
  }
  for (const side of [Side.BUY, Side.SELL]) for (let i = 0; i < 5; i++) {
    assert.is(sv.levelPrice(side, i), view.levelPrice(side, i));
    assert.is(sv.levelQty(side, i), view.levelQty(side, i));
    assert.is(sv.levelOrders(side, i), view.levelOrders(side, i));
  }
});

test.run();
