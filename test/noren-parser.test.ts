// The Noren parser (assembly/noren.ts via NorenParser) against the plain-TypeScript
// reference (NorenReference) on random frame streams — byte-for-byte equal records, equal
// per-frame outcomes, equal counters — and hand-written cases with exact expected values.
import { test } from "uvu";
import * as assert from "uvu/assert";
import * as L from "../src/format/layout.js";
import * as N from "../src/feed/noren/layout.js";
import { TickwireMemory } from "../src/memory/shared-memory.js";
import { SymbolTable } from "../src/memory/symbol-table.js";
import { TickView } from "../src/format/record.js";
import { readMessage } from "../src/format/message.js";
import type { InstrumentRow } from "../src/feed/contract.js";
import { NorenTokenMap } from "../src/feed/noren/token-map.js";
import { NorenParser, NOREN_MALFORMED_REASONS, type NorenParserOptions } from "../src/feed/noren/parser.js";
import { NorenReference } from "../src/feed/noren/reference.js";
import { NorenFrameGen, norenRows, Rng } from "./helpers/noren-frames.js";
import { throwsCode } from "./helpers/assertions.js";

const mem = await TickwireMemory.create({ bytes: 96 << 20 });
const symbols = SymbolTable.create(mem, 4096);
const enc = new TextEncoder();
const WALL = 1700050000000; // ms: the generator's feed times are 1.7e9 s and a bit
const RECV = 987654321;

interface World {
  map: NorenTokenMap;
  parser: NorenParser;
  ref: NorenReference;
  ids: number[];
}

function world(rows: readonly InstrumentRow[], options: NorenParserOptions = {}, capacity = rows.length + 4): World {
  const map = NorenTokenMap.create(mem, capacity, symbols);
  const { nonPositive, band, bandPercent, stale, maxAgeMs } = options;
  const ref = new NorenReference({ nonPositive, band, bandPercent, stale, maxAgeMs });
  const ids = rows.map((row) => {
    const id = symbols.intern(row.exchange, row.symbol, row.priceDecimals);
    map.set(row, id);
    ref.set(row, id);
    return id;
  });
  return { map, parser: NorenParser.create(map, options), ref, ids };
}

const NSE_NTPC: InstrumentRow = { exchange: "NSE", symbol: "NTPC", brokerExchange: "NSE", token: "11630", brokerSymbol: "NTPC-EQ", priceDecimals: 2, tickSize: 0.05, lotSize: 1 };
const BSE_22: InstrumentRow = { exchange: "BSE", symbol: "ACC", brokerExchange: "BSE", token: "22", brokerSymbol: "ACC", priceDecimals: 2, tickSize: 0.05, lotSize: 1 };
const NSE_22: InstrumentRow = { exchange: "NSE", symbol: "ACC", brokerExchange: "NSE", token: "22", brokerSymbol: "ACC-EQ", priceDecimals: 2, tickSize: 0.05, lotSize: 1 };
const CDS_USDINR: InstrumentRow = { exchange: "CDS", symbol: "USDINR24DECFUT", brokerExchange: "CDS", token: "1", brokerSymbol: "USDINR24DECFUT", priceDecimals: 4, tickSize: 0.0025, lotSize: 1000 };
const MCX_SPREAD: InstrumentRow = { exchange: "MCX", symbol: "CRUDESPREAD", brokerExchange: "MCX", token: "426016", brokerSymbol: "CRUDESPREAD", priceDecimals: 2, tickSize: 1, lotSize: 1, allowNonPositive: true };

/** Pushes frames (text) and parses once; returns the records as messages and the outcomes. */
function run(w: World, frames: string[], recv = RECV, wall = WALL) {
  for (const f of frames) assert.ok(w.parser.push(enc.encode(f)), "push");
  const n = w.parser.parse(recv, wall);
  return { n, records: records(w.parser.out, w.parser.outBytes), outcomes: [...w.parser.outcomes()] };
}

function records(at: number, bytes: number) {
  const out = [];
  const view = new TickView(mem.buffer);
  for (const end = at + bytes; at < end; at += mem.u8[at]! | (mem.u8[at + 1]! << 8)) out.push(readMessage(view.wrap(at), symbols));
  return out;
}

// ─── Wasm vs reference on random streams ───────────────────────────────────────────

const SEEDS = Number(process.env.TICKWIRE_NOREN_SEEDS ?? 24);
const FRAMES_PER_SEED = Number(process.env.TICKWIRE_NOREN_FRAMES ?? 2500);
const CONFIGS: NorenParserOptions[] = [
  {},
  { nonPositive: "pass", band: "drop", bandPercent: 10, stale: "drop", maxAgeMs: 1000 },
  { nonPositive: "off", band: "off", stale: "off", outputBytes: 384 * 3, maxControlFrames: 1 },
  { band: "drop", bandPercent: 0.5, maxFrameBytes: 400, frameBufferBytes: 4096, outputBytes: 1024 },
];

test("Wasm and reference agree byte for byte on random frame streams (every reason, guard, output-full resume)", () => {
  const outcomes = new Map<number, number>();
  let frames = 0;
  let recordsSeen = 0;
  for (let seed = 1; seed <= SEEDS; seed++) {
    const rows = norenRows(24 + (seed % 5) * 8, seed);
    const options = CONFIGS[seed % CONFIGS.length]!;
    const w = world(rows, options);
    const gen = new NorenFrameGen(seed * 7919, rows);
    const rng = new Rng(seed);
    const queue: Uint8Array[] = [];
    const refOut = new Uint8Array(L.DEPTH_BYTES);
    let wall = WALL;
    const drain = () => {
      do {
        const recv = rng.int(0, 2 ** 40);
        const n = w.parser.parse(recv, wall);
        const got = w.parser.outcomes();
        assert.ok(got.length <= queue.length, "parsed more frames than pushed");
        let at = w.parser.out;
        let emitted = 0;
        for (let i = 0; i < got.length; i++) {
          const frame = queue.shift()!;
          const expected = w.ref.parse(frame, recv, wall, refOut, 0);
          if (got[i] !== expected) {
            assert.unreachable(`seed ${seed}: frame ${JSON.stringify(new TextDecoder().decode(frame))}: Wasm outcome ${got[i]}, reference ${expected}`);
          }
          outcomes.set(expected, (outcomes.get(expected) ?? 0) + 1);
          if (expected === N.OUTCOME_QUOTE || expected === N.OUTCOME_DEPTH) {
            const size = expected === N.OUTCOME_DEPTH ? L.DEPTH_BYTES : L.QUOTE_BYTES;
            const wasm = mem.u8.subarray(at, at + size);
            for (let b = 0; b < size; b++) {
              if (wasm[b] !== refOut[b]) {
                assert.unreachable(`seed ${seed}: frame ${JSON.stringify(new TextDecoder().decode(frame))}: record byte ${b} is ${wasm[b]}, reference ${refOut[b]}`);
              }
            }
            readMessage(new TickView(mem.buffer).wrap(at), symbols); // passes the core's validation
            at += size;
            emitted++;
          }
        }
        assert.is(n, emitted);
        assert.is(at - w.parser.out, w.parser.outBytes);
        recordsSeen += n;
        frames += got.length;
      } while (w.parser.pendingBytes > 0);
      assert.is(queue.length, 0);
      assert.is(w.parser.pendingFrames, 0);
    };
    for (let made = 0; made < FRAMES_PER_SEED;) {
      const batch = rng.int(1, 80);
      for (let i = 0; i < batch; i++, made++) {
        const bytes = enc.encode(gen.next());
        if (bytes.length > w.parser.maxFrameBytes) {
          assert.ok(w.parser.push(bytes));
          w.ref.tooLong();
          outcomes.set(N.OUTCOME_MALFORMED + N.REASON_TOO_LONG, (outcomes.get(N.OUTCOME_MALFORMED + N.REASON_TOO_LONG) ?? 0) + 1);
          continue;
        }
        if (!w.parser.push(bytes)) {
          drain();
          assert.ok(w.parser.push(bytes), "push after a parse");
        }
        queue.push(bytes);
      }
      drain();
      wall += rng.int(0, 2000);
    }
    assert.equal(w.parser.counters(), w.ref.counters(), `seed ${seed}: counters`);
  }
  // The generator reaches every outcome and every reason.
  for (const o of [N.OUTCOME_QUOTE, N.OUTCOME_DEPTH, N.OUTCOME_CONTROL, N.OUTCOME_GUARD_DROPPED]) assert.ok((outcomes.get(o) ?? 0) > 0, `outcome ${o} seen`);
  NOREN_MALFORMED_REASONS.forEach((r, i) => assert.ok((outcomes.get(N.OUTCOME_MALFORMED + i) ?? 0) > 0, `reason ${r} seen`));
  assert.ok(frames >= SEEDS * FRAMES_PER_SEED * 0.9, `${frames} frames compared`);
  assert.ok(recordsSeen > frames / 2, `${recordsSeen} records compared`);
});

// ─── hand-written cases ────────────────────────────────────────────────────────────

test("tk then tf: merged quote records with exact values; absent and zero fields keep the old ones", () => {
  const w = world([NSE_NTPC]);
  const { n, records: [a, b, c], outcomes } = run(w, [
    `{"t":"tk","e":"NSE","tk":"11630","ts":"NTPC-EQ","pp":"2","ls":"1","ti":"0.05","lp":"118.55","pc":"-1.055","o":"119.00","h":"118.65","l":"118.10","c":"120.40","ap":"118.39","v":"162220","ltq":"25","bp1":"118.45","sp1":"118.50","bq1":"26","sq1":"6325","ft":"1638512684","ltt":"11:54:44","uc":"132.40","lc":"108.40","tbq":"1000","tsq":"2000","oi":"0"}`,
    `{"t":"tf","e":"NSE","tk":"11630","lp":"118.45","ap":"118.40","v":"166637","sp1":"118.55","bq1":"3135","sq1":"30","h":"0","o":"0.00","pc":"-","ft":"1638512685"}`,
    `{"t":"tf","e":"NSE","tk":"11630","lp":"118.6","ltt":""}`,
  ]);
  assert.is(n, 3);
  assert.equal(outcomes, [N.OUTCOME_QUOTE, N.OUTCOME_QUOTE, N.OUTCOME_QUOTE]);
  assert.equal(
    { mode: a!.mode, seq: a!.seq, ltp: a!.ltp, percentChange: a!.percentChange, open: a!.open, high: a!.high, low: a!.low, close: a!.close, averagePrice: a!.averagePrice, volume: a!.volume, lastQuantity: a!.lastQuantity, bid: a!.bid, ask: a!.ask, bidQuantity: a!.bidQuantity, askQuantity: a!.askQuantity, exchangeTimeMs: a!.exchangeTimeMs, lastTradeTimeMs: a!.lastTradeTimeMs, upperCircuit: a!.upperCircuit, lowerCircuit: a!.lowerCircuit, totalBuyQuantity: a!.totalBuyQuantity, totalSellQuantity: a!.totalSellQuantity, recvTimeNs: a!.recvTimeNs },
    { mode: 2, seq: 1, ltp: 118.55, percentChange: -1.06, open: 119, high: 118.65, low: 118.1, close: 120.4, averagePrice: 118.39, volume: 162220, lastQuantity: 25, bid: 118.45, ask: 118.5, bidQuantity: 26, askQuantity: 6325, exchangeTimeMs: 1638512684000, lastTradeTimeMs: 1638512684000, upperCircuit: 132.4, lowerCircuit: 108.4, totalBuyQuantity: 1000, totalSellQuantity: 2000, recvTimeNs: RECV },
  );
  assert.equal(
    { seq: b!.seq, ltp: b!.ltp, averagePrice: b!.averagePrice, volume: b!.volume, ask: b!.ask, bid: b!.bid, bidQuantity: b!.bidQuantity, askQuantity: b!.askQuantity, high: b!.high, open: b!.open, percentChange: b!.percentChange, exchangeTimeMs: b!.exchangeTimeMs, low: b!.low },
    { seq: 2, ltp: 118.45, averagePrice: 118.4, volume: 166637, ask: 118.55, bid: 118.45, bidQuantity: 3135, askQuantity: 30, high: 118.65, open: 119, percentChange: -1.06, exchangeTimeMs: 1638512685000, low: 118.1 },
  );
  assert.is(c!.seq, 3);
  assert.is(c!.ltp, 118.6);
  assert.is(c!.lastTradeTimeMs, 1638512684000);
  assert.is(c!.volume, 166637);
  // A snapshot (tk) does overwrite with zeros.
  const { records: [d] } = run(w, [`{"t":"tk","e":"NSE","tk":"11630","o":"0","lp":"118.60"}`]);
  assert.is(d!.open, 0);
  assert.is(d!.seq, 4);
});

test("depth: dk then df fill the book; best bid/ask are level 0; a quote after it carries level 0 too", () => {
  const w = world([CDS_USDINR]);
  const levels = (side: "b" | "s", base: number, step: number) =>
    [1, 2, 3, 4, 5].map((i) => `"${side}p${i}":"${(base + (side === "b" ? -1 : 1) * step * (i - 1)).toFixed(4)}","${side}q${i}":"${i * 1000}","${side}o${i}":"${i}"`).join(",");
  const { records: [a, b, q] } = run(w, [
    `{"t":"dk","e":"CDS","tk":"1","pp":"4","lp":"83.2500",${levels("b", 83.2475, 0.0025)},${levels("s", 83.25, 0.0025)},"tbq":"123456789012","tsq":"9","oi":"18446744073709551615"}`,
    `{"t":"df","e":"CDS","tk":"1","bp3":"83.2400","bq3":"7","bo1":"9","sp1":"83.2525","sq1":"1"}`,
    `{"t":"tf","e":"CDS","tk":"1","lp":"83.2525"}`,
  ]);
  assert.is(a!.mode, 3);
  const depth = (m: typeof a) => (m as unknown as { depth: { buy: { price: number; quantity: number; orders: number }[]; sell: { price: number; quantity: number; orders: number }[] } }).depth;
  assert.equal(depth(a).buy.map((l) => l.price), [83.2475, 83.245, 83.2425, 83.24, 83.2375]);
  assert.equal(depth(a).sell.map((l) => l.quantity), [1000, 2000, 3000, 4000, 5000]);
  assert.is(a!.bid, 83.2475);
  assert.is(a!.ask, 83.25);
  assert.is(a!.totalBuyQuantity, 123456789012);
  assert.is(a!.oi, 18446744073709551615n);
  assert.equal(depth(b).buy[2], { price: 83.24, quantity: 7, orders: 3 });
  assert.equal(depth(b).buy[0], { price: 83.2475, quantity: 1000, orders: 9 });
  assert.equal(depth(b).sell[0], { price: 83.2525, quantity: 1, orders: 1 });
  assert.is(b!.ask, 83.2525);
  assert.is(b!.askQuantity, 1);
  assert.equal([q!.mode, q!.bid, q!.ask, q!.askQuantity, q!.seq], [2, 83.2475, 83.2525, 1, 3]);
});

test("precision: more significant decimals than the symbol master's is refused (state untouched); trailing zeros are fine", () => {
  const w = world([NSE_NTPC]);
  const { records, outcomes } = run(w, [
    `{"t":"tk","e":"NSE","tk":"11630","lp":"2500.05","v":"10"}`,
    `{"t":"tf","e":"NSE","tk":"11630","lp":"2500.055","v":"20"}`,
    `{"t":"tf","e":"NSE","tk":"11630","lp":"2500.050000","v":"30"}`,
    `{"t":"tf","e":"NSE","tk":"11630","bp1":"-0.001"}`,
    `{"t":"tf","e":"NSE","tk":"11630","lp":"22517998136852.48"}`,
    `{"t":"tf","e":"NSE","tk":"11630","lp":"22517998136852.47"}`,
  ]);
  const P = N.OUTCOME_MALFORMED + N.REASON_PRECISION;
  assert.equal(outcomes, [1, P, 1, P, N.OUTCOME_MALFORMED + N.REASON_PRICE_RANGE, 1]);
  assert.equal(records.map((r) => [r.ltp, r.volume, r.seq]), [[2500.05, 10, 1], [2500.05, 30, 2], [22517998136852.47, 30, 3]]);
  const c = w.parser.counters();
  assert.is(c.malformed.PRECISION, 2);
  assert.is(c.malformed.PRICE_RANGE, 1);
});

test("pp different from the symbol master's decimals: DECIMALS, frame skipped; pp equal is fine", () => {
  const w = world([NSE_NTPC]);
  const { outcomes, records } = run(w, [
    `{"t":"tk","e":"NSE","tk":"11630","pp":"4","lp":"1.0000"}`,
    `{"t":"tk","e":"NSE","tk":"11630","pp":"2","lp":"1.00"}`,
    `{"t":"tk","e":"NSE","tk":"11630","pp":"x","lp":"1.00"}`,
  ]);
  assert.equal(outcomes, [N.OUTCOME_MALFORMED + N.REASON_DECIMALS, N.OUTCOME_QUOTE, N.OUTCOME_MALFORMED + N.REASON_BAD_NUMBER]);
  assert.is(records.length, 1);
  assert.is(w.parser.counters().malformed.DECIMALS, 1);
});

test("an unknown symbol fails its frame, not the batch; tokens are keyed per broker exchange", () => {
  const w = world([NSE_22, BSE_22]);
  const { n, records, outcomes } = run(w, [
    `{"t":"tk","e":"NSE","tk":"22","lp":"2000.00"}`,
    `{"t":"tk","e":"NFO","tk":"22","lp":"1.00"}`,
    `{"t":"tk","e":"BSE","tk":"22","lp":"2001.00"}`,
    `{"t":"tk","e":"NSE","tk":"022","lp":"1.00"}`,
    `{"t":"tk","e":"nse","tk":"22","lp":"1.00"}`,
    `{"t":"tf","tk":"22","lp":"1.00"}`,
    `{"t":"tf","e":"NSE","tk":"","lp":"1.00"}`,
    `{"t":"tf","e":"NSE","tk":"22","lp":"2000.50"}`,
  ]);
  assert.is(n, 3);
  const U = N.OUTCOME_MALFORMED + N.REASON_UNKNOWN_SYMBOL;
  const M = N.OUTCOME_MALFORMED + N.REASON_MISSING_KEY;
  assert.equal(outcomes, [1, U, 1, U, U, M, M, 1]);
  assert.equal(records.map((r) => [r.exchange, r.symbol, r.ltp, r.seq]), [["NSE", "ACC", 2000, 1], ["BSE", "ACC", 2001, 1], ["NSE", "ACC", 2000.5, 2]]);
  assert.is(w.parser.counters().malformed.UNKNOWN_SYMBOL, 3);
});

test("output full: parse stops at the last record that fits and the next parse resumes, nothing lost", () => {
  const w = world([NSE_NTPC], { outputBytes: 384 });
  const frames = [1, 2, 3, 4, 5].map((i) => `{"t":"tf","e":"NSE","tk":"11630","lp":"${100 + i}.00"}`);
  frames.splice(2, 0, `{"t":"dk","e":"NSE","tk":"11630","bp1":"99.00"}`);
  for (const f of frames) assert.ok(w.parser.push(enc.encode(f)));
  const seen: number[][] = [];
  const calls: number[] = [];
  while (w.parser.pendingBytes > 0) {
    const n = w.parser.parse(RECV, WALL);
    calls.push(n);
    for (const r of records(w.parser.out, w.parser.outBytes)) seen.push([r.mode, r.ltp, Number(r.seq)]);
  }
  assert.equal(calls, [2, 1, 2, 1]); // 192 + 192; then the DEPTH alone; 192 + 192; the last
  assert.equal(seen, [[2, 101, 1], [2, 102, 2], [3, 102, 3], [2, 103, 4], [2, 104, 5], [2, 105, 6]]);
  assert.is(w.parser.counters().ticks, 6);
});

test("guards: drop keeps the frame out and the state as it was; pass emits and counts; off ignores", () => {
  const rows = [NSE_NTPC, MCX_SPREAD];
  const dropAll = world(rows, { nonPositive: "drop", band: "drop", bandPercent: 10, stale: "drop", maxAgeMs: 5000 });
  const frames = [
    `{"t":"tk","e":"NSE","tk":"11630","lp":"100.00","ft":"1700049999"}`, // fresh (wall 1700050000000)
    `{"t":"tf","e":"NSE","tk":"11630","lp":"0.00"}`, // non-positive
    `{"t":"tf","e":"NSE","tk":"11630","lp":"-5.00"}`, // non-positive and beyond the band
    `{"t":"tf","e":"NSE","tk":"11630","lp":"110.01"}`, // 10.01 % away: beyond the band
    `{"t":"tf","e":"NSE","tk":"11630","lp":"110.00"}`, // exactly 10 %: inside
    `{"t":"tf","e":"NSE","tk":"11630","lp":"111.00","ft":"1700049990"}`, // 10 s old: stale
    `{"t":"tk","e":"MCX","tk":"426016","lp":"-3.00"}`, // allowed non-positive
    `{"t":"tf","e":"MCX","tk":"426016","lp":"-3.10"}`, // 3.3 % away
  ];
  const a = run(dropAll, frames);
  const D = N.OUTCOME_GUARD_DROPPED;
  assert.equal(a.outcomes, [1, D, D, D, 1, D, 1, 1]);
  assert.equal(a.records.map((r) => r.ltp), [100, 110, -3, -3.1]);
  const ca = dropAll.parser.counters();
  assert.equal(ca.guards, { NON_POSITIVE: 2, BAND: 3, STALE: 1 });
  assert.is(ca.guardDropped, 4);
  assert.is(dropAll.parser.flaggedTotal(), 6);

  const passAll = world(rows, { nonPositive: "pass", band: "pass", bandPercent: 10, stale: "pass", maxAgeMs: 5000 });
  const b = run(passAll, frames);
  assert.equal(b.outcomes, [1, 1, 1, 1, 1, 1, 1, 1]);
  assert.equal(b.records.map((r) => r.ltp), [100, 0, -5, 110.01, 110, 111, -3, -3.1]);
  const cb = passAll.parser.counters();
  // 0.00 after 100: beyond the band; -5 after 0: no band (no last price); 110.01 after -5; 110 after 110.01: inside; 111: inside.
  assert.equal(cb.guards, { NON_POSITIVE: 2, BAND: 2, STALE: 1 });
  assert.is(cb.guardDropped, 0);

  const off = world(rows, { nonPositive: "off", band: "off", stale: "off" });
  run(off, frames);
  assert.equal(off.parser.counters().guards, { NON_POSITIVE: 0, BAND: 0, STALE: 0 });

  // Defaults: non-positive dropped; band (20 %) and stale (60 s) only counted.
  const defaults = world(rows);
  assert.equal(run(defaults, frames).outcomes, [1, D, D, 1, 1, 1, 1, 1]);
  assert.equal(defaults.parser.counters().guards, { NON_POSITIVE: 2, BAND: 2, STALE: 0 });
});

test("control frames are handed over as JSON; a full control list stops the parse and the rest follows", () => {
  const w = world([NSE_NTPC], { maxControlFrames: 2 });
  const frames = [
    `{"t":"ck","s":"OK","uid":"FT0001"}`,
    `{"t":"tk","e":"NSE","tk":"11630","lp":"1.00"}`,
    `{"t":"om","norenordno":"1","qty":5}`,
    `{"t":"uk","k":"NSE|11630"}`,
    `{"t":"hk"}`,
  ];
  for (const f of frames) w.parser.push(enc.encode(f));
  assert.is(w.parser.parse(RECV, WALL), 1);
  assert.is(w.parser.controlCount, 2);
  assert.equal([w.parser.controlJson(0), w.parser.controlJson(1)], [{ t: "ck", s: "OK", uid: "FT0001" }, { t: "om", norenordno: "1", qty: 5 }]);
  assert.equal(new TextDecoder().decode(w.parser.control(0)), frames[0]);
  assert.is(w.parser.framesParsed, 3);
  assert.is(w.parser.parse(RECV, WALL), 0);
  assert.equal([w.parser.controlJson(0), w.parser.controlJson(1)], [{ t: "uk", k: "NSE|11630" }, { t: "hk" }]);
  throwsCode(() => w.parser.control(2), "ARGUMENT");
  assert.is(w.parser.counters().control, 4);
});

test("JSON details: escapes in keys and values, unknown nested fields, whitespace, duplicates (the last wins), wrong types", () => {
  const w = world([NSE_NTPC]);
  const { outcomes, records } = run(w, [
    ` {\n"\\u0074" : "t\\u0066", "e":"N\\u0053E","tk":"1163\\u0030", "ts":"A\\"B\\\\C\\u00e9", "x":{"a":[1,-2.5e-3,{"b":[true,false,null,""]}],"c":{}},"y":[], "\\u006cp":"12\\u002e5"\t}\r\n`,
    `{"t":"tf","e":"NSE","tk":"11630","lp":5,"lp":"13.00"}`,
    `{"t":"tf","e":"NSE","tk":"11630","lp":"14.00","lp":null}`,
    `{"t":"tf","e":"NSE","tk":"11630","ts":17}`,
    `{"t":["tf"],"e":"NSE","tk":"11630"}`,
    `{"e":"NSE","tk":"11630","lp":"1.00"}`,
    `{"t":"tf","e":"NSE","tk":"11630","x":[1,2}`,
    `[{"t":"tf","e":"NSE","tk":"11630"}]`,
  ]);
  const B = N.OUTCOME_MALFORMED;
  assert.equal(outcomes, [1, 1, B + N.REASON_WRONG_TYPE, B + N.REASON_WRONG_TYPE, B + N.REASON_WRONG_TYPE, B + N.REASON_UNKNOWN_TYPE, B + N.REASON_BAD_JSON, B + N.REASON_BAD_JSON]);
  assert.equal(records.map((r) => r.ltp), [12.5, 13]);
});

test("numbers: percent change rounds half away from zero; quantities and volumes to their ranges", () => {
  const w = world([NSE_NTPC]);
  const pcs = ["0.125", "-1.005", "-0.004", "12", "0.999", "21474836.47", "21474836.475"];
  const { outcomes, records } = run(w, pcs.map((pc) => `{"t":"tf","e":"NSE","tk":"11630","pc":"${pc}"}`));
  assert.equal(records.map((r) => r.percentChange), [0.13, -1.01, 0, 12, 1, 21474836.47]);
  assert.is(outcomes[6], N.OUTCOME_MALFORMED + N.REASON_RANGE);
  const q = run(w, [
    `{"t":"tf","e":"NSE","tk":"11630","ltq":"4294967295","v":"18446744073709551615","bq1":"0"}`,
    `{"t":"tf","e":"NSE","tk":"11630","ltq":"4294967296"}`,
    `{"t":"tf","e":"NSE","tk":"11630","v":"18446744073709551616"}`,
    `{"t":"tf","e":"NSE","tk":"11630","v":"-1"}`,
  ]);
  assert.equal([q.records[0]!.lastQuantity, q.records[0]!.volume], [4294967295, 18446744073709551615n]);
  assert.equal(q.outcomes.slice(1), [N.OUTCOME_MALFORMED + N.REASON_RANGE, N.OUTCOME_MALFORMED + N.REASON_RANGE, N.OUTCOME_MALFORMED + N.REASON_BAD_NUMBER]);
});

test("ltt: time of day (IST, on the day nearest the feed time), DD-MM-YYYY HH:MM:SS and HH:MM:SS DD-MM-YYYY (IST), epoch seconds", () => {
  const w = world([NSE_NTPC]);
  const ftJustAfterMidnightIst = 1790274610; // 2026-09-25 00:00:10 IST
  const { records, outcomes } = run(w, [
    `{"t":"tf","e":"NSE","tk":"11630","ft":"${ftJustAfterMidnightIst}","ltt":"23:59:58"}`,
    `{"t":"tf","e":"NSE","tk":"11630","ltt":"00:00:05"}`,
    `{"t":"tf","e":"NSE","tk":"11630","ltt":"25-09-2026 10:15:29"}`,
    `{"t":"tf","e":"NSE","tk":"11630","ltt":"1790316328"}`,
    `{"t":"tf","e":"NSE","tk":"11630","ltt":"10:15:29 25-09-2026"}`,
    `{"t":"tf","e":"NSE","tk":"11630","ltt":"29-02-2026 10:15:29"}`,
    `{"t":"tf","e":"NSE","tk":"11630","ltt":"NA"}`,
  ]);
  assert.equal(records.map((r) => r.lastTradeTimeMs), [
    Date.UTC(2026, 8, 24, 18, 29, 58), // 23:59:58 IST the day before
    Date.UTC(2026, 8, 24, 18, 30, 5),
    Date.UTC(2026, 8, 25, 4, 45, 29),
    1790316328000,
    Date.UTC(2026, 8, 25, 4, 45, 29),
  ]);
  assert.equal(outcomes.slice(5), [N.OUTCOME_MALFORMED + N.REASON_BAD_TIME, N.OUTCOME_MALFORMED + N.REASON_BAD_TIME]);
  // With no feed time yet, the wall clock gives the day.
  const v = world([NSE_22]);
  const wall = Date.UTC(2026, 0, 2, 6, 0, 0); // 11:30 IST
  const r = run(v, [`{"t":"tk","e":"NSE","tk":"22","ltt":"09:15:00"}`], RECV, wall);
  assert.is(r.records[0]!.lastTradeTimeMs, Date.UTC(2026, 0, 2, 3, 45, 0));
});

test("push: false when the buffer is full (parse, then push again); a frame beyond maxFrameBytes is counted TOO_LONG", () => {
  const w = world([NSE_NTPC], { frameBufferBytes: 256, maxFrameBytes: 100 });
  const f = enc.encode(`{"t":"tf","e":"NSE","tk":"11630","lp":"1.00"}`); // 45 bytes: 4 + 48 in the buffer
  let pushed = 0;
  while (w.parser.push(f)) pushed++;
  assert.is(pushed, 4);
  assert.ok(w.parser.push(enc.encode(`{"t":"tf","x":"${"y".repeat(100)}"}`)), "too long: taken (dropped)");
  assert.is(w.parser.counters().malformed.TOO_LONG, 1);
  assert.is(w.parser.pendingFrames, 4);
  assert.is(w.parser.parse(RECV, WALL), 4);
  assert.is(w.parser.pendingFrames, 0);
  assert.is(w.parser.malformedTotal(), 1);
  assert.ok(w.parser.push(f));
  assert.is(w.parser.parse(RECV, WALL), 1);
  assert.is(w.parser.counters().frames, 6);
  w.parser.push(f);
  w.parser.clear();
  assert.is(w.parser.pendingBytes, 0);
  assert.is(w.parser.parse(RECV, WALL), 0);
  throwsCode(() => w.parser.push("x" as unknown as Uint8Array), "ARGUMENT");
  throwsCode(() => w.parser.parse(-1, WALL), "ARGUMENT");
  throwsCode(() => w.parser.parse(RECV, 8.64e15 + 1), "ARGUMENT");
  throwsCode(() => w.parser.parse(0.5, WALL), "ARGUMENT");
});

test("NorenParser.create validates its options", () => {
  const map = NorenTokenMap.create(mem, 1);
  throwsCode(() => NorenParser.create({} as NorenTokenMap), "ARGUMENT");
  throwsCode(() => NorenParser.create(map, { outputBytes: 383 }), "ARGUMENT");
  throwsCode(() => NorenParser.create(map, { frameBufferBytes: 1024, maxFrameBytes: 1021 }), "ARGUMENT");
  throwsCode(() => NorenParser.create(map, { band: "maybe" as "drop" }), "ARGUMENT");
  throwsCode(() => NorenParser.create(map, { bandPercent: 0 }), "ARGUMENT");
  throwsCode(() => NorenParser.create(map, { maxAgeMs: NaN }), "ARGUMENT");
  throwsCode(() => NorenParser.create(map, [] as unknown as NorenParserOptions), "ARGUMENT");
});

test("NorenTokenMap: set is idempotent, refuses conflicts and bad rows, keys on (exchange, token), checks the symbol table", () => {
  const map = NorenTokenMap.create(mem, 3, symbols);
  const nse = symbols.intern("NSE", "ACC", 2);
  const bse = symbols.intern("BSE", "ACC", 2);
  assert.is(map.set(NSE_22, nse), 0);
  assert.is(map.set(BSE_22, bse), 1);
  assert.is(map.set(NSE_22, nse), 0);
  assert.is(map.size, 2);
  assert.equal([map.slotOf("NSE", "22"), map.slotOf("BSE", "22"), map.slotOf("NFO", "22"), map.slotOf("NSE", "022"), map.slotOf("nse", "22")], [0, 1, -1, -1, -1]);
  assert.equal(map.info(1), { slot: 1, brokerExchange: "BSE", token: "22", symbolId: bse, exchange: "BSE", priceDecimals: 2, allowNonPositive: false, seq: 0 });
  throwsCode(() => map.set(NSE_22, bse), "EXCHANGE"); // id is BSE:ACC
  throwsCode(() => map.set({ ...NSE_22, allowNonPositive: true }, nse), "ARGUMENT"); // conflicts with the mapped row
  throwsCode(() => map.set({ ...NSE_22, brokerExchange: "nse" }, nse), "ARGUMENT");
  throwsCode(() => map.set({ ...NSE_22, brokerExchange: "NSEXX" }, nse), "ARGUMENT");
  throwsCode(() => map.set({ ...NSE_22, token: "022" }, nse), "ARGUMENT");
  throwsCode(() => map.set({ ...NSE_22, token: "4294967296" }, nse), "ARGUMENT");
  throwsCode(() => map.set({ ...NSE_22, exchange: "XYZ" as "NSE" }, nse), "EXCHANGE");
  throwsCode(() => map.set({ ...NSE_22, priceDecimals: 10 }, nse), "DECIMALS");
  throwsCode(() => map.set({ ...NSE_22, priceDecimals: 4 }, nse), "DECIMALS");
  throwsCode(() => map.set({ ...NSE_22, symbol: "ACC2" }, nse), "SYMBOL");
  throwsCode(() => map.set(NSE_22, 1e6), "SYMBOL");
  throwsCode(() => map.set(NSE_22, -1), "SYMBOL");
  throwsCode(() => map.set(null as unknown as InstrumentRow, nse), "ARGUMENT");
  const ntpc = symbols.intern("NSE", "NTPC", 2);
  assert.is(map.set(NSE_NTPC, ntpc), 2);
  throwsCode(() => map.set(CDS_USDINR, symbols.intern("CDS", "USDINR24DECFUT", 4)), "TABLE_FULL");
  throwsCode(() => map.info(3), "ARGUMENT");
  throwsCode(() => NorenTokenMap.create(mem, 0), "ARGUMENT");
  // Without a symbol table, ids are taken as given.
  const loose = NorenTokenMap.create(mem, 1);
  assert.is(loose.set(NSE_22, 12345), 0);
});

test("many instruments: every slot found again, none confused (tokens shared across exchanges)", () => {
  const rows = norenRows(3000, 99);
  const map = NorenTokenMap.create(mem, rows.length);
  rows.forEach((r, i) => assert.is(map.set(r, i), i));
  rows.forEach((r, i) => assert.is(map.slotOf(r.brokerExchange, r.token), i));
  assert.is(map.slotOf("NSE", "4294967295"), -1);
});

test.run();
