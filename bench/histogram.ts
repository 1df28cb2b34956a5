// Latency-histogram benchmark (issue 11, item 2): the cost of recording one value into
// tickwire's shared-memory histogram (assembly/histogram.ts, atomics, lock-free across
// threads) against hdr-histogram-js (single-threaded, no atomics) in its JS and Wasm modes.
//
//   node --import tsx bench/histogram.ts
//   HIST_BENCH_ROUNDS=3 HIST_BENCH_TIME_MS=50 node --import tsx bench/histogram.ts   (quicker)
//
// Compared, per value, over the same 1024 lognormal latencies (median ~40 µs):
//   Wasm batch       LatencyHistogram.recordBatch over a Float64Array in shared memory: one histRecordBatch call
//   Wasm latencies   LatencyHistogram.recordLatencies over 1024 LTP records (64 KiB): one histRecordLatencies call
//   … one writer     the same on a histogram made with { singleWriter: true }: plain adds, no atomics
//   JS record        LatencyHistogram.record, one call per value (argument check + one Wasm call)
//   hdr JS           hdr-histogram-js build() (JS, 32-bit counts, 3 digits), recordValue per value
//   hdr Wasm         the same with useWebAssembly: true, recordValue per value
// and the cost of one percentile query (tickwire: histValueAtQuantile, two passes over the
// 27 648 counts; hdr: getValueAtPercentile) on a histogram holding the 1024 values.
//
// Method as bench/codec.ts (see ../shared/NOTES.md): a sample times one pass over 1024
// values, repeated until it lasts ~0.3 ms, handed to tinybench as `overriddenDuration`;
// the tasks run in several rounds in a new shuffled order each, and a figure is the median
// over rounds of each round's median sample.
import * as hdr from "hdr-histogram-js";
import * as L from "../src/format/layout.js";
import { TickwireMemory } from "../src/memory/shared-memory.js";
import { LatencyHistogram } from "../src/monitor/histogram.js";
import { TickView, Kind } from "../src/format/record.js";
import { report, ratio, median, type ResultTable } from "./lib/report.js";
import { runRounds } from "./lib/rounds.js";

const N = 1024;
const ROUNDS = Number(process.env.HIST_BENCH_ROUNDS ?? 5);
const TASK_TIME_MS = Number(process.env.HIST_BENCH_TIME_MS ?? 80);
const SAMPLE_TARGET_MS = 0.3;

let seed = 0x2545f491;
function rand(): number {
  seed ^= seed << 13; seed >>>= 0;
  seed ^= seed >>> 17;
  seed ^= seed << 5; seed >>>= 0;
  return (seed + 1) / 4294967297;
}
const values = new Float64Array(N);
for (let i = 0; i < N; i++) {
  const z = Math.sqrt(-2 * Math.log(rand())) * Math.cos(2 * Math.PI * rand());
  values[i] = Math.round(Math.exp(Math.log(40_000) + 1.5 * z));
}

const mem = await TickwireMemory.create({ bytes: 1 << 24 });
const shared = new Float64Array(mem.buffer, mem.allocate(N * 8, 64), N);
shared.set(values);
const NOW = 5_000_000_000_000;
const records = mem.allocate(N * L.LTP_BYTES, 64);
const view = new TickView(mem.buffer);
for (let i = 0; i < N; i++) {
  view.wrap(records + i * L.LTP_BYTES).init(Kind.LTP);
  view.exchange = L.EXCHANGE_NSE;
  view.priceDecimals = 2;
  view.recvTimeNs = NOW - values[i]!;
}
const tw = LatencyHistogram.create(mem);
const owned = LatencyHistogram.create(mem, { singleWriter: true }); // one writer: plain adds
await hdr.initWebAssembly();
const opts = { numberOfSignificantValueDigits: 3 as const, lowestDiscernibleValue: 1, highestTrackableValue: 2 ** 36, autoResize: false };
const hjs = hdr.build({ ...opts });
const hwasm = hdr.build({ ...opts, useWebAssembly: true });

// Same values in, same answers out (checked once, before timing).
tw.recordBatch(shared);
for (const v of values) { hjs.recordValue(v); hwasm.recordValue(v); }
for (const p of [50, 90, 99, 99.9]) {
  const ours = tw.percentile(p);
  const theirs = hjs.getValueAtPercentile(p);
  if (Math.abs(ours - theirs) > theirs * 0.002 + 1 || hwasm.getValueAtPercentile(p) !== theirs) throw new Error(`p${p}: tickwire ${ours}, hdr ${theirs}`);
}
if (tw.recordLatencies(records, N * L.LTP_BYTES, NOW) !== N) throw new Error("recordLatencies");

interface Spec { key: string; op: () => void; repeat: number }
const specs: Spec[] = [];
let sink = 0;
function add(key: string, op: () => void): void {
  const t0 = performance.now();
  let k = 0;
  while (performance.now() - t0 < 5) { op(); k++; }
  const per = (performance.now() - t0) / k;
  specs.push({ key, op, repeat: Math.max(1, Math.round(SAMPLE_TARGET_MS / per)) });
}
add("record|wasm batch", () => tw.recordBatch(shared));
add("record|wasm latencies", () => { sink += tw.recordLatencies(records, N * L.LTP_BYTES, NOW); });
add("record|wasm latencies owned", () => { sink += owned.recordLatencies(records, N * L.LTP_BYTES, NOW); });
add("record|js record", () => { for (let i = 0; i < N; i++) tw.record(values[i]!); });
add("record|hdr js", () => { for (let i = 0; i < N; i++) hjs.recordValue(values[i]!); });
add("record|hdr wasm", () => { for (let i = 0; i < N; i++) hwasm.recordValue(values[i]!); });
// Percentile queries: N of them per pass, so ns/op figures share the per-value scale's divisor.
add("quantile|tickwire", () => { for (let i = 0; i < 8; i++) sink += tw.percentile(99); });
add("quantile|hdr js", () => { for (let i = 0; i < 8; i++) sink += hjs.getValueAtPercentile(99); });
add("quantile|hdr wasm", () => { for (let i = 0; i < 8; i++) sink += hwasm.getValueAtPercentile(99); });

// Percentile tasks do 8 queries a pass, recording tasks one pass over N values.
const perValue = await runRounds(specs, { rounds: ROUNDS, taskTimeMs: TASK_TIME_MS, random: rand, units: (key) => (key.startsWith("quantile|") ? 8 : N) });
void sink;
hwasm.destroy();

const ns = (key: string): number => median(perValue.get(key)!);
const vs = (x: number, base: number) => (x >= base ? `${ratio(x / base)} slower` : `${ratio(base / x)} faster`);
const base = ns("record|wasm batch");
const rows: [string, string][] = [
  ["tickwire Wasm batch (histRecordBatch, 1 call / 1024 values)", "record|wasm batch"],
  ["tickwire Wasm latencies (histRecordLatencies over 1024 LTP records)", "record|wasm latencies"],
  ["tickwire Wasm latencies, one writer (histRecordLatenciesOwned: plain adds)", "record|wasm latencies owned"],
  ["tickwire record() per value from JS", "record|js record"],
  ["hdr-histogram-js, JS mode, recordValue", "record|hdr js"],
  ["hdr-histogram-js, Wasm mode, recordValue", "record|hdr wasm"],
];
const qbase = ns("quantile|tickwire");
const tables: ResultTable[] = [
  {
    title: "Latency histogram: recording, ns per value",
    columns: ["variant", "ns/value", "vs tickwire batch", "vs hdr JS"],
    rows: rows.map(([label, key]) => [label, ns(key), key === "record|wasm batch" ? "1×" : vs(ns(key), base), key === "record|hdr js" ? "1×" : vs(ns(key), ns("record|hdr js"))]),
    note: `Median over ${ROUNDS} rounds (shuffled order) of each round's median sample; a sample is one or more passes over ${N} lognormal values. `
      + "tickwire bumps every bucket and header field with Wasm atomics (lock-free across threads), except a histogram with one writer (the system's client stage), whose buckets take plain adds; hdr-histogram-js is single-threaded (plain stores, 32-bit counts).",
  },
  {
    title: "Latency histogram: one percentile query, ns",
    columns: ["variant", "ns/query", "vs tickwire"],
    rows: [["tickwire percentile (Wasm, 2 passes over 27 648 u64 counts)", qbase, "1×"],
      ["hdr-histogram-js JS getValueAtPercentile", ns("quantile|hdr js"), vs(ns("quantile|hdr js"), qbase)],
      ["hdr-histogram-js Wasm getValueAtPercentile", ns("quantile|hdr wasm"), vs(ns("quantile|hdr wasm"), qbase)]],
  },
];
report("histogram", tables);
