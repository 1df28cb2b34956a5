// Metrics core (issue 11): the shared-memory latency histogram (assembly/histogram.ts,
// src/monitor/histogram.ts) and the metric counters (src/monitor/counters.ts).
import { test } from "uvu";
import * as assert from "uvu/assert";
import * as L from "../src/format/layout.js";
import * as H from "../src/monitor/layout.js";
import { TickwireMemory } from "../src/index.js";
import { TickView, Kind } from "../src/format/record.js";
import { LatencyHistogram } from "../src/monitor/histogram.js";
import { MetricCounters, METRIC_COUNTER_NAMES } from "../src/monitor/counters.js";
import { startWorker } from "../src/node/start-worker.js";
import { firstMessage, WorkerGroup, untilCount } from "./helpers/workers.js";
import { throwsCode } from "./helpers/assertions.js";
import { metricsValue } from "./workers/metrics-values.js";

const mem = await TickwireMemory.create({ bytes: 1 << 25 });

// Seeded lognormal latencies (xorshift + Box-Muller): median ~40 µs, a long tail.
function lognormal(n: number, seed: number): Float64Array {
  let s = seed >>> 0;
  const u = () => {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    return (s + 1) / 4294967297;
  };
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const z = Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
    out[i] = Math.round(Math.exp(Math.log(40_000) + 1.5 * z));
  }
  return out;
}

const exactPercentile = (sorted: Float64Array, p: number) => sorted[Math.max(1, Math.ceil((p / 100) * sorted.length)) - 1]!;
const counts = (h: LatencyHistogram) => mem.u8.slice(h.offset + H.HIST_COUNTS, h.offset + H.HIST_BYTES);

test("percentiles of 1e6 lognormal values are within 0.1 % of the exact ones; min, max, mean exact", () => {
  const n = 1_000_000;
  const values = lognormal(n, 12345);
  const region = new Float64Array(mem.buffer, mem.allocate(n * 8, 64), n);
  region.set(values);
  const h = LatencyHistogram.create(mem);
  h.recordBatch(region.subarray(0, n / 2)); // in shared memory: no copy
  h.recordBatch(Array.from(values.subarray(n / 2, n / 2 + 1000))); // a plain array: copied in chunks
  for (let i = n / 2 + 1000; i < n / 2 + 2000; i++) h.record(values[i]!);
  h.recordBatch(values.subarray(n / 2 + 2000)); // an unshared Float64Array: copied
  const sorted = values.slice().sort();
  let sum = 0;
  for (const v of values) sum += v;
  const snap = h.snapshot();
  assert.is(snap.count, n);
  assert.is(snap.min, sorted[0]);
  assert.is(snap.max, sorted[n - 1]);
  assert.is(snap.mean, sum / n);
  assert.is(snap.overflow, 0);
  for (const p of [0, 0.1, 1, 10, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 99.99, 99.999, 100]) {
    const exact = exactPercentile(sorted, p);
    const got = h.percentile(p);
    // The top of the exact value's bucket: never below it, at most 1/1024 of it above.
    assert.ok(got >= exact && got <= exact * 1.001 + 1, `p${p}: got ${got}, exact ${exact}`);
  }
  assert.is(h.percentile(0), sorted[0]);
  assert.is(h.percentile(100), sorted[n - 1]);
  assert.is(snap.p50, h.percentile(50));
  assert.is(snap.p999, h.percentile(99.9));
});

test("values below 2048 ns are exact; the bucket edges up to 2^36 − 1 hold", () => {
  const h = LatencyHistogram.create(mem);
  for (const v of [0, 1, 2, 1023, 2047]) h.record(v);
  assert.equal([0, 20, 40, 60, 80, 100].map((p) => h.percentile(p)), [0, 0, 1, 2, 1023, 2047]);
  h.reset();
  const edges = [2048, 2049, 4095, 4096, 1_000_000_007, 2 ** 36 - 1];
  h.recordBatch(edges);
  for (let i = 0; i < edges.length; i++) {
    const got = h.percentile(((i + 0.5) / edges.length) * 100); // rank i + 1 (mid-way: no rounding at the edge)
    assert.ok(got >= edges[i]! && got <= edges[i]! * (1 + 1 / 1024), `edge ${edges[i]}: got ${got}`);
  }
  assert.is(h.snapshot().overflow, 0);
});

test("values from 2^36 ns are counted as overflow, with exact count, max and mean", () => {
  const h = LatencyHistogram.create(mem);
  h.recordBatch([5, 2 ** 36 - 1, 2 ** 36, 1e15]);
  h.record(2 ** 52);
  const snap = h.snapshot();
  assert.is(snap.count, 5);
  assert.is(snap.overflow, 3);
  assert.is(snap.min, 5);
  assert.is(snap.max, 2 ** 52);
  assert.is(snap.mean, (5 + 2 ** 36 - 1 + 2 ** 36 + 1e15 + 2 ** 52) / 5);
  assert.is(h.percentile(20), 5);
  assert.ok(h.percentile(40) >= 2 ** 36 - 1 && h.percentile(40) <= 2 ** 36);
  assert.is(h.percentile(60), 2 ** 52, "a rank among the overflowed values reports max");
  assert.is(h.percentile(100), 2 ** 52);
  // A value past 2^64 saturates max at 2^64 − 1 (it is still one overflowed value).
  h.record(1e20);
  assert.is(h.snapshot().max, 2 ** 64);
  assert.is(h.snapshot().overflow, 4);
});

test("merge equals recording everything into one histogram; reset empties", () => {
  const values = lognormal(200_000, 777);
  for (let i = 0; i < values.length; i += 1000) values[i] = 2 ** 40 + i; // some overflow too
  const a = LatencyHistogram.create(mem);
  const b = LatencyHistogram.create(mem);
  const all = LatencyHistogram.create(mem);
  a.recordBatch(values.subarray(0, 50_000));
  b.recordBatch(values.subarray(50_000));
  all.recordBatch(values);
  a.merge(b);
  assert.equal(a.snapshot(), all.snapshot());
  assert.equal(counts(a), counts(all));
  for (const p of [1, 33, 50, 66.6, 99, 99.99]) assert.is(a.percentile(p), all.percentile(p));
  // Merging an empty histogram changes nothing (its min of 2^64 − 1 and max of 0 are neutral).
  const empty = LatencyHistogram.create(mem);
  a.merge(empty);
  assert.equal(a.snapshot(), all.snapshot());
  empty.merge(all);
  assert.equal(empty.snapshot(), all.snapshot());
  a.reset();
  assert.equal(a.snapshot(), { count: 0, min: 0, max: 0, mean: 0, p50: 0, p90: 0, p99: 0, p999: 0, overflow: 0 });
  assert.ok(counts(a).every((x) => x === 0));
  a.record(42);
  assert.equal([a.snapshot().min, a.snapshot().max, a.percentile(50)], [42, 42, 42]);
});

test("recordLatencies records nowNs − recvTimeNs of every tick record (padding skipped, negative → 0)", () => {
  const nowNs = 1_000_000_000_000;
  const recv = [nowNs - 5, nowNs - 1500, nowNs + 20, nowNs - 2047, nowNs - 100_000, nowNs];
  const kinds = [Kind.LTP, Kind.QUOTE, Kind.DEPTH, Kind.LTP, Kind.QUOTE, Kind.LTP];
  const src = mem.allocate(4096, 64);
  const view = new TickView(mem.buffer);
  let at = src;
  for (let i = 0; i < recv.length; i++) {
    view.wrap(at).init(kinds[i]!);
    view.exchange = L.EXCHANGE_NSE;
    view.priceDecimals = 2;
    view.recvTimeNs = recv[i]!;
    at += view.length;
    if (i === 2) { // a padding record in the middle
      mem.u8.fill(0, at, at + 128);
      mem.u8[at + L.OFF_KIND] = L.KIND_PADDING;
      mem.u8[at + L.OFF_VERSION] = L.FORMAT_VERSION;
      new DataView(mem.buffer).setUint16(at + L.OFF_LENGTH, 128, true);
      new DataView(mem.buffer).setBigUint64(at + L.OFF_RECV_TIME_NS, 1n, true); // would be a huge latency if counted
      at += 128;
    }
  }
  const h = LatencyHistogram.create(mem);
  assert.is(h.recordLatencies(src, at - src, nowNs), recv.length);
  const lat = recv.map((r) => Math.max(0, nowNs - r)).sort((x, y) => x - y); // 0 0 5 1500 2047 100000
  const snap = h.snapshot();
  assert.is(snap.count, 6);
  assert.is(snap.min, 0);
  assert.is(snap.max, 100_000);
  assert.is(snap.mean, lat.reduce((s, v) => s + v, 0) / 6);
  for (let i = 0; i < 6; i++) assert.is(h.percentile(((i + 0.5) / 6) * 100), lat[i], `rank ${i + 1}`);
  assert.is(h.recordLatencies(src, 0, nowNs), 0, "an empty batch");
  // A bad header: its error code, and the ticks before it stay recorded.
  mem.u8[src + 64 + L.OFF_VERSION] = 9;
  throwsCode(() => h.recordLatencies(src, at - src, nowNs), "VERSION");
  assert.is(h.count, 7);
  throwsCode(() => h.recordLatencies(src, 32, nowNs), "TRUNCATED");
});

test("counters: add, get, snapshot, carries past 2^32, attach", () => {
  const c = MetricCounters.create(mem);
  assert.equal(Object.keys(c.snapshot()), [...METRIC_COUNTER_NAMES]);
  assert.ok(Object.values(c.snapshot()).every((v) => v === 0));
  c.add("ticksIn");
  c.add("ticksIn", 41);
  assert.is(c.get("ticksIn"), 42);
  c.add("bytesIn", 2 ** 32 - 1);
  c.add("bytesIn", 2); // carries
  c.add("bytesIn", 3 * 2 ** 32 + 5); // a high part and a low part
  c.add("bytesIn", Number.MAX_SAFE_INTEGER - (2 ** 32 + 1 + 3 * 2 ** 32 + 5));
  assert.is(c.get("bytesIn"), Number.MAX_SAFE_INTEGER);
  const again = MetricCounters.attach(mem, c.offset);
  again.add("reconnects", 3);
  assert.is(c.get("reconnects"), 3);
  assert.equal(c.snapshot(), { ...again.snapshot() });
  const h = LatencyHistogram.create(mem);
  h.record(7);
  assert.is(LatencyHistogram.attach(mem, h.offset).percentile(50), 7);
});

test("N workers record into one histogram and add to the counters at once: totals exact", async () => {
  const N = 4;
  const K = 100_000;
  const bigAdd = 3_000_000_019; // most adds carry the low word
  const hist = LatencyHistogram.create(mem);
  const counters = MetricCounters.create(mem);
  const flags = mem.allocate(8, 8);
  const group = new WorkerGroup();
  try {
    const done = Array.from({ length: N }, (_, worker) => firstMessage(group.add(startWorker(new URL("./workers/metrics-recorder.ts", import.meta.url), {
      workerData: { handle: mem.handle(), hist: hist.offset, counters: counters.offset, flags, worker, k: K, bigAdd },
    })), 120_000, `metrics worker ${worker}`));
    await untilCount(mem.i32, flags + 4, N, 60_000, "metrics workers ready");
    Atomics.store(mem.i32, flags >>> 2, 1);
    Atomics.notify(mem.i32, flags >>> 2);
    await Promise.all(done);
  } finally {
    await group.terminate();
  }
  // The same values recorded here, in one thread.
  const ref = LatencyHistogram.create(mem);
  const all = new Float64Array(N * K);
  for (let w = 0; w < N; w++) for (let k = 0; k < K; k++) all[w * K + k] = metricsValue(w, k);
  ref.recordBatch(all);
  const snap = hist.snapshot();
  assert.is(snap.count, N * K);
  assert.ok(snap.overflow > 0, "some values overflowed");
  assert.equal(snap, ref.snapshot());
  assert.equal(counts(hist), counts(ref), "every bucket exact");
  // Per worker: of each 1024 values, 256 are single records and 768 go in batches of 256.
  const batchesPerWorker = Math.floor(K / 1024) * 3 + Math.ceil(Math.max(0, (K % 1024) - 256) / 256);
  assert.is(counters.get("ticksIn"), N * K);
  assert.is(counters.get("bytesIn"), N * batchesPerWorker * bigAdd);
  assert.is(counters.get("bytesOut"), N * (K - (Math.floor(K / 1024) * 256 + Math.min(256, K % 1024))) * 64);
  assert.is(counters.get("dropped"), 0);
});

test("bad input: TickwireError with a code naming the field", () => {
  const h = LatencyHistogram.create(mem);
  const c = MetricCounters.create(mem);
  for (const v of [-1, 1.5, NaN, Infinity, -Infinity, "5", undefined, null, 5n]) throwsCode(() => h.record(v as number), "ARGUMENT", /record: ns/);
  const e = throwsCode(() => h.recordBatch([1, 2, 3, NaN, 5]), "ARGUMENT", /values\[3\]/);
  assert.is(e.recordIndex, 3);
  assert.is(h.count, 3, "the values before the bad one are recorded");
  const shared = new Float64Array(mem.buffer, mem.allocate(64, 64), 4);
  shared.set([1, -2, 3, 4]);
  assert.is(throwsCode(() => h.recordBatch(shared), "ARGUMENT", /values\[1\] .* got -2/).recordIndex, 1);
  throwsCode(() => h.recordBatch([1, "2" as unknown as number]), "ARGUMENT", /values\[1\]/);
  throwsCode(() => h.recordBatch([0.5]), "ARGUMENT");
  throwsCode(() => h.recordBatch(7 as unknown as number[]), "ARGUMENT", /values must be/);
  throwsCode(() => h.recordBatch(new DataView(new ArrayBuffer(8)) as unknown as number[]), "ARGUMENT");
  throwsCode(() => h.recordLatencies(mem.byteLength - 64, 128, 0), "REGION", /recordLatencies: src/);
  throwsCode(() => h.recordLatencies(-64, 64, 0), "REGION");
  throwsCode(() => h.recordLatencies(mem.base + 4, 64, 0), "REGION", /8-aligned/);
  throwsCode(() => h.recordLatencies(mem.base, -1, 0), "ARGUMENT", /bytes/);
  throwsCode(() => h.recordLatencies(mem.base, 64, NaN), "ARGUMENT", /nowNs/);
  throwsCode(() => h.recordLatencies(mem.base, 64, -5), "ARGUMENT", /nowNs/);
  for (const p of [-0.001, 100.0001, NaN, "50", undefined]) throwsCode(() => h.percentile(p as number), "ARGUMENT", /percentile: p/);
  throwsCode(() => h.merge({} as LatencyHistogram), "ARGUMENT", /merge: other/);
  throwsCode(() => LatencyHistogram.create({} as TickwireMemory), "ARGUMENT", /create: mem/);
  for (const off of [0, mem.base, c.offset, h.offset + 64, mem.byteLength - 64, 1.5, -64, "x"]) {
    throwsCode(() => LatencyHistogram.attach(mem, off as number), "HANDLE", /no latency histogram/);
  }
  throwsCode(() => MetricCounters.attach(mem, h.offset), "HANDLE", /no metric counters/);
  throwsCode(() => MetricCounters.create(null as unknown as TickwireMemory), "ARGUMENT");
  throwsCode(() => c.add("nope" as "ticksIn", 1), "ARGUMENT", /add: name must be one of ticksIn/);
  throwsCode(() => c.get("toString" as "ticksIn"), "ARGUMENT", /get: name/);
  for (const n of [-1, 1.5, NaN, Infinity, 2 ** 53, "1"]) throwsCode(() => c.add("ticksIn", n as number), "ARGUMENT", /add: n/);
  assert.is(c.get("ticksIn"), 0, "nothing added by the bad calls");
});

test.run();
