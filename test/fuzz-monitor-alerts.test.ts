// Property-based fuzzing of the performance monitor, its alert rules and its sinks with fast-check.
//
// THE PROPERTY. Random sequences of calls with hostile arguments run against a small world (a
// fresh one per sequence, so that fast-check can shrink and replay): a PerformanceMonitor on a
// fake clock with every rule enabled (raiseAfter 1, no cooldown, so that alerts really rise and
// fall), whose sampler returns whatever sample the fuzz hands it; an Emitter; a webhook sink on an
// injected fetch that answers 200, 503, 400 or 429 in turn (and a sleep that does not wait).
// After EACH call: it returned normally, or threw a TickwireError with a known code (or, for a
// call that runs a callback we pass straight through — a logSink's log — the callback's own
// Sentinel). A TypeError, a RangeError, a promise rejected with one, or a call that took more than
// HANG_MS fails, naming the call and its arguments. The sample's alerts are checked to be the
// monitor's active alerts, and the history to stay within its bound.
//
// HOSTILE ARGUMENTS: the usual list (NaN, ±Infinity, -0, fractions, huge numbers, numeric
// strings, BigInts, null, undefined, {}, [], functions, symbols, an object whose
// toString/valueOf/Symbol.toPrimitive throw), fc.anything(), and samples shaped like a
// MonitorSample with any of those at any leaf or fields missing.
//
// TICKWIRE_FUZZ_SEED and TICKWIRE_FUZZ_RUNS override seed and run count; TICKWIRE_FUZZ_STATS=1 prints how
// each entry point ended.
import { test } from "uvu";
import * as assert from "uvu/assert";
import fc from "fast-check";
import { TickwireError, type TickwireErrorCode } from "../src/errors.js";
import { resolveThresholds } from "../src/monitor/thresholds.js";
import { resolveAlertConfig, type AlertEvent } from "../src/monitor/alerts.js";
import { Emitter } from "../src/monitor/emitter.js";
import { emitterSink, formatAlertLine, logSink, type AlertEvents } from "../src/monitor/sinks.js";
import { webhookSink, type WebhookSink } from "../src/monitor/webhook.js";
import { PerformanceMonitor, type MonitorClock } from "../src/monitor/performance-monitor.js";
import { CODES, Sentinel, evil, assertEveryEntryPoint, runSequences } from "./helpers/fuzz-common.js";

const SEED = Number(process.env.TICKWIRE_FUZZ_SEED ?? 0x4a1e);
const RUNS = Number(process.env.TICKWIRE_FUZZ_RUNS ?? 400);
const HANG_MS = 500;



// ───────────────────────────── hostile values ─────────────────────────────


const aSymbol = Symbol("hostile");
const HOSTILE: readonly unknown[] = [
  NaN, Infinity, -Infinity, -0, 0.5, 1.5, -1, 2 ** 31, 2 ** 32, 2 ** 53, Number.MAX_VALUE, Number.MIN_VALUE,
  "64", "", " 1", 64n, -1n, null, undefined, true, false, {}, [], [64], () => 64, aSymbol, evil, new Number(64), new Date(0),
];
const hostile = fc.constantFrom(...HOSTILE);
const anyValue = fc.oneof({ weight: 3, arbitrary: hostile }, { weight: 1, arbitrary: fc.anything() });
const num = fc.oneof({ weight: 4, arbitrary: fc.double({ min: 0, max: 2000, noNaN: true }) }, { weight: 1, arbitrary: fc.double() }, { weight: 2, arbitrary: hostile });
const name = fc.oneof({ weight: 4, arbitrary: fc.constantFrom("fanout-0", "ingest-0", "partition-1", "ticker") }, { weight: 1, arbitrary: hostile });

// ───────────────────────────── arguments ─────────────────────────────

const levelsArb = fc.oneof(num, fc.record({ warning: num, critical: num }, { requiredKeys: [] }), anyValue);
const thresholdsArb = fc.oneof(
  { weight: 3, arbitrary: fc.record({
    latencyP99Ms: levelsArb, latencyStage: fc.oneof(fc.constantFrom("ring", "consumer", "client"), hostile), throughputFloorPerSecond: levelsArb,
    ringFill: levelsArb, dropRate: levelsArb, stalenessMs: levelsArb, loopDelayMs: levelsArb, consumerHoldingMs: levelsArb, latencyP99: num,
  }, { requiredKeys: [] }) },
  { weight: 1, arbitrary: anyValue },
);

/** A sink, good or bad (made when the call runs, so fast-check's values stay plain). */
class SinkMaker {
  constructor(readonly kind: "good" | "throws" | "rejects" | "noName" | "badClose" | "throwingCounters") {}
  [fc.toStringMethod](): string {
    return `<sink ${this.kind}>`;
  }
  make(): unknown {
    switch (this.kind) {
      case "good": return { name: `good-${Math.random()}`, send: () => {}, close: () => {}, counters: () => ({ n: 1 }) };
      case "throws": return { name: `throws-${Math.random()}`, send: () => { throw new Sentinel(); } };
      case "rejects": return { name: `rejects-${Math.random()}`, send: () => Promise.reject(new Sentinel()), close: () => Promise.reject(new Sentinel()) };
      case "noName": return { send: () => {} };
      case "badClose": return { name: "bad-close", send: () => {}, close: 5 };
      case "throwingCounters": return { name: `counters-${Math.random()}`, send: () => {}, counters: () => { throw new Sentinel(); } };
    }
  }
}
const sinkArb = fc.oneof(fc.constantFrom(...(["good", "throws", "rejects", "noName", "badClose", "throwingCounters"] as const).map((k) => new SinkMaker(k))), anyValue);
const listenerArb = fc.oneof(
  fc.constant(Object.assign(() => {}, { [fc.toStringMethod]: () => "() => {}" })),
  fc.constant(Object.assign(() => { throw new Sentinel(); }, { [fc.toStringMethod]: () => "() => throw" })),
  fc.constant(Object.assign(async () => { throw new Sentinel(); }, { [fc.toStringMethod]: () => "async () => throw" })),
  anyValue,
);
const eventNameArb = fc.oneof(fc.constantFrom("sample", "alert", "raised", "cleared", "escalated", "deescalated", "nope"), anyValue);

const latencyArb = fc.record({ count: num, p50Ms: num, p90Ms: num, p99Ms: num, p999Ms: num, maxMs: num, meanMs: num });
/** Mostly sample-shaped, with hostile leaves and sometimes missing fields; sometimes anything at all. */
const sampleArb = fc.oneof(
  { weight: 4, arbitrary: fc.record({
    time: num, intervalMs: num, uptimeSeconds: num,
    counters: fc.constant({ ticksIn: 0, ticksOut: 0, dropped: 0, conflated: 0, lapped: 0, reconnects: 0, parseErrors: 0, bytesIn: 0, bytesOut: 0 }),
    rates: fc.record({ ticksInPerSecond: num, ticksOutPerSecond: num, droppedPerSecond: num, bytesOutPerSecond: num }),
    dropRate: fc.oneof(fc.double({ min: 0, max: 1, noNaN: true }), hostile),
    latency: fc.record({ ring: latencyArb, consumer: latencyArb, client: latencyArb }),
    latencyTotals: fc.constant({}),
    rings: fc.array(fc.record({ name, kind: fc.constant("fanout"), worker: num, capacityBytes: num, backlogBytes: num, fill: fc.oneof(fc.double({ min: 0, max: 1, noNaN: true }), hostile) }), { maxLength: 3 }),
    threads: fc.array(fc.record({ name, kind: fc.constant("partition"), loopDelayP99Ms: num, loopDelayMaxMs: num, lastBeatAgeMs: num, alive: fc.oneof(fc.boolean(), hostile) }), { maxLength: 3 }),
    feed: fc.record({ broker: fc.constant("sim"), state: fc.constant("x"), connected: fc.oneof(fc.boolean(), hostile), lastTickAgeMs: num }),
    clients: fc.constant({ connected: 0, authenticated: 0, slow: 0, subscriptions: 0 }),
    consumers: fc.array(fc.record({ id: num, name, state: fc.oneof(fc.constantFrom("active", "detached", "closed"), hostile), holdingFeedMs: num }), { maxLength: 3 }),
  }, { requiredKeys: ["latency", "rings", "threads", "feed", "consumers", "rates"] }) },
  { weight: 1, arbitrary: fc.record({ latency: anyValue, rings: anyValue, threads: anyValue, feed: anyValue, consumers: anyValue, rates: anyValue, dropRate: anyValue }, { requiredKeys: [] }) },
  { weight: 1, arbitrary: anyValue },
);
const alertArb = fc.record({ name, severity: fc.oneof(fc.constantFrom("warning", "critical"), hostile), message: fc.oneof(fc.string(), hostile), value: num, threshold: num, since: num }, { requiredKeys: [] });
const eventArb = fc.oneof(
  { weight: 3, arbitrary: fc.record({ type: fc.oneof(fc.constantFrom("raised", "cleared", "escalated", "deescalated"), hostile), alert: fc.oneof(alertArb, anyValue), time: num }, { requiredKeys: [] }) },
  { weight: 1, arbitrary: anyValue },
);
/** Mostly `good`, sometimes hostile: so that constructors succeed often enough to exercise what they make. */
const mostly = <T>(good: fc.Arbitrary<T>): fc.Arbitrary<unknown> => fc.oneof({ weight: 6, arbitrary: good }, { weight: 1, arbitrary: anyValue });
const monitorOptionsArb = fc.oneof(
  { weight: 3, arbitrary: fc.record({
    sample: mostly(fc.constant(() => ({}))), intervalMs: mostly(fc.integer({ min: 10, max: 5000 })),
    thresholds: mostly(fc.record({ latencyP99Ms: fc.constant(10), ringFill: fc.constant({ warning: 0.5, critical: 0.9 }) }, { requiredKeys: [] })),
    alerts: mostly(fc.record({ raiseAfter: fc.integer({ min: 1, max: 5 }), clearRatio: fc.constant(0.5), sinks: fc.array(fc.constant(new SinkMaker("good")), { maxLength: 2 }) }, { requiredKeys: [] })),
    historySize: mostly(fc.integer({ min: 1, max: 500 })), clock: mostly(fc.constant(undefined)), log: mostly(fc.constant(() => {})),
  }, { requiredKeys: ["sample"] }) },
  { weight: 3, arbitrary: fc.record({
    sample: fc.oneof(fc.constant(() => ({})), anyValue), intervalMs: fc.oneof(fc.integer({ min: 0, max: 5000 }), hostile), thresholds: thresholdsArb,
    alerts: fc.oneof(fc.record({ raiseAfter: num, clearAfter: num, clearRatio: num, cooldownMs: num, sinks: fc.oneof(fc.array(sinkArb, { maxLength: 3 }), anyValue), raiseafter: num }, { requiredKeys: [] }), anyValue),
    historySize: fc.oneof(fc.integer({ min: -1, max: 500 }), hostile), clock: fc.oneof(fc.constant(undefined), anyValue, fc.constant({ now: 1, setTimeout: () => 0, clearTimeout: () => {} })),
    log: fc.oneof(fc.constant(() => {}), anyValue), extra: anyValue,
  }, { requiredKeys: [] }) },
  { weight: 1, arbitrary: anyValue },
);
const webhookOptionsArb = fc.oneof(
  { weight: 3, arbitrary: fc.record({
    url: mostly(fc.constantFrom("http://127.0.0.1:9/hook", "https://u:p@example.invalid/x?token=1")),
    headers: mostly(fc.dictionary(fc.constantFrom("authorization", "x-key", "content-type"), fc.string().filter((v) => !/[\r\n\0]/.test(v)), { maxKeys: 3 })),
    timeoutMs: mostly(fc.integer({ min: 1, max: 1000 })), retries: mostly(fc.integer({ min: 0, max: 5 })), queueLimit: mostly(fc.integer({ min: 1, max: 10 })),
    fetch: mostly(fc.constant(async () => ({ status: 500, headers: { get: () => null } }))), sleep: mostly(fc.constant(async () => {})),
  }, { requiredKeys: ["url", "fetch", "sleep"] }) },
  { weight: 3, arbitrary: fc.record({
    url: fc.oneof(fc.constantFrom("http://127.0.0.1:9/hook", "https://u:p@example.invalid/x?token=1", "ftp://x/", "not a url", "http://[::1"), hostile),
    headers: fc.oneof(fc.dictionary(fc.oneof(fc.constantFrom("authorization", "x-key", "content-type", "bad header", ""), fc.string()), fc.oneof(fc.string(), hostile), { maxKeys: 3 }), anyValue),
    name: fc.oneof(fc.string(), hostile), timeoutMs: num, retries: num, backoffMs: num, maxBackoffMs: num, queueLimit: num,
    onError: fc.oneof(fc.constant(() => {}), anyValue), fetch: anyValue, sleep: anyValue, random: anyValue, bogus: anyValue,
  }, { requiredKeys: [] }) },
  { weight: 1, arbitrary: anyValue },
);

// ───────────────────────────── the world ─────────────────────────────

class FakeClock implements MonitorClock {
  t = 1_700_000_000_000;
  private readonly timers = new Map<number, { at: number; fn: () => void }>();
  private id = 1;
  now(): number { return this.t; }
  setTimeout(fn: () => void, ms: number): unknown {
    this.timers.set(this.id, { at: this.t + ms, fn });
    return this.id++;
  }
  clearTimeout(h: unknown): void { this.timers.delete(h as number); }
  advance(ms: number): void {
    const end = this.t + ms;
    for (let guard = 0; guard < 10_000; guard++) {
      let first: [number, { at: number; fn: () => void }] | undefined;
      for (const e of this.timers) if (e[1].at <= end && (!first || e[1].at < first[1].at)) first = e;
      if (!first) break;
      this.timers.delete(first[0]);
      this.t = first[1].at;
      first[1].fn();
    }
    this.t = end;
  }
}

class World {
  readonly clock = new FakeClock();
  nextSample: unknown = undefined;
  readonly monitor: PerformanceMonitor;
  readonly emitter = new Emitter<AlertEvents>(() => {});
  readonly webhook: WebhookSink;
  readonly made: { stop?: () => Promise<void>; close?: () => Promise<void> }[] = [];
  private statuses = [200, 503, 400, 429];
  private served = 0;

  constructor() {
    this.monitor = new PerformanceMonitor({
      sample: () => this.nextSample as never,
      clock: this.clock,
      intervalMs: 10,
      historySize: 4,
      log: () => {},
      thresholds: {
        latencyP99Ms: { warning: 10, critical: 50 }, throughputFloorPerSecond: { warning: 100, critical: 10 }, ringFill: 0.8,
        dropRate: { warning: 0.01, critical: 0.1 }, stalenessMs: 1000, loopDelayMs: 50, consumerHoldingMs: 100,
      },
      alerts: { raiseAfter: 1, clearAfter: 1, cooldownMs: 0 },
    });
    this.webhook = webhookSink({
      url: "http://user:pw@127.0.0.1:9/hook?token=t",
      retries: 2,
      queueLimit: 4,
      fetch: async () => ({ status: this.statuses[this.served++ % 4]!, headers: { get: () => "1" } }),
      sleep: async () => {},
    });
    this.monitor.addSink(this.webhook);
    this.monitor.addSink(emitterSink(this.emitter));
  }

  async dispose(): Promise<void> {
    await this.monitor.stop(100).catch(() => {});
    for (const m of this.made) await (m.stop?.() ?? m.close?.())?.catch(() => {});
  }
}

// ───────────────────────────── operations ─────────────────────────────

interface Op {
  readonly name: string;
  readonly args: fc.Arbitrary<unknown[]>;
  run(w: World, ...args: unknown[]): unknown;
  /** Calls a callback we pass straight through: its Sentinel may come back. */
  readonly callbacks?: boolean;
  check?(w: World, result: unknown): void;
}

const build = (v: unknown): unknown => (v instanceof SinkMaker ? v.make() : v);

const ops: Op[] = [
  { name: "resolveThresholds", args: fc.tuple(thresholdsArb), run: (_w, t) => resolveThresholds(t as never) },
  { name: "resolveAlertConfig", args: fc.tuple(fc.oneof(fc.record({ raiseAfter: num, clearAfter: num, clearRatio: num, cooldownMs: num, sinks: fc.oneof(fc.array(sinkArb, { maxLength: 2 }), anyValue) }, { requiredKeys: [] }), anyValue)),
    run: (_w, c) => resolveAlertConfig((typeof c === "object" && c !== null && Array.isArray((c as { sinks?: unknown }).sinks) ? { ...c, sinks: (c as { sinks: unknown[] }).sinks.map(build) } : c) as never) },
  { name: "new PerformanceMonitor", args: fc.tuple(monitorOptionsArb), run: (w, o) => {
    const options = typeof o === "object" && o !== null && !Array.isArray(o) ? { ...o } as Record<string, unknown> : o;
    const alerts = (options as { alerts?: { sinks?: unknown } } | null)?.alerts;
    if (typeof alerts === "object" && alerts !== null && Array.isArray(alerts.sinks)) (options as Record<string, unknown>).alerts = { ...alerts, sinks: alerts.sinks.map(build) };
    const m = new PerformanceMonitor(options as never);
    w.made.push({ stop: () => m.stop(0) });
    return m;
  } },
  { name: "monitor.sampleNow", args: fc.tuple(sampleArb), run: (w, s) => {
    w.nextSample = s;
    return w.monitor.sampleNow();
  }, check: (w, result) => {
    const s = result as { alerts: unknown };
    assert.equal(s.alerts, w.monitor.activeAlerts(), "the sample carries the active alerts");
    assert.ok(w.monitor.history().length <= 4, "history bounded");
    assert.is(w.monitor.latest(), result);
  } },
  { name: "monitor.start", args: fc.tuple(), run: (w) => w.monitor.start() },
  { name: "clock.advance", args: fc.tuple(fc.integer({ min: 0, max: 100 }), sampleArb), run: (w, ms, s) => {
    w.nextSample = s;
    w.clock.advance(ms as number);
  } },
  { name: "monitor.stop", args: fc.tuple(fc.oneof(fc.constantFrom(0, 1, 50), hostile)), run: (w, t) => w.monitor.stop(t as never) },
  { name: "monitor.on", args: fc.tuple(eventNameArb, listenerArb), run: (w, n, fn) => w.monitor.on(n as never, fn as never) },
  { name: "monitor.addSink", args: fc.tuple(sinkArb), run: (w, s) => w.monitor.addSink(build(s) as never) },
  { name: "monitor.latest", args: fc.tuple(), run: (w) => w.monitor.latest() },
  { name: "monitor.history", args: fc.tuple(), run: (w) => w.monitor.history() },
  { name: "monitor.activeAlerts", args: fc.tuple(), run: (w) => w.monitor.activeAlerts() },
  { name: "monitor.stats", args: fc.tuple(), run: (w) => JSON.stringify(w.monitor.stats()) },
  { name: "new Emitter", args: fc.tuple(fc.oneof(listenerArb, fc.constant(undefined))), run: (_w, fn) => new Emitter(fn as never) },
  { name: "emitter.on", args: fc.tuple(eventNameArb, listenerArb), run: (w, n, fn) => w.emitter.on(n as never, fn as never) },
  { name: "emitter.once", args: fc.tuple(eventNameArb, listenerArb), run: (w, n, fn) => w.emitter.once(n as never, fn as never) },
  { name: "emitter.emit", args: fc.tuple(eventNameArb, eventArb), run: (w, n, p) => w.emitter.emit(n as never, p as never) },
  { name: "emitter.listenerCount", args: fc.tuple(eventNameArb), run: (w, n) => w.emitter.listenerCount(n as never) },
  { name: "formatAlertLine", args: fc.tuple(eventArb), run: (_w, e) => formatAlertLine(e as never) },
  { name: "logSink", args: fc.tuple(fc.oneof(listenerArb, fc.constant(undefined)), fc.oneof(fc.constant(undefined), fc.string(), hostile)), run: (_w, l, n) => logSink(l as never, n as never) },
  { name: "logSink.send", args: fc.tuple(listenerArb.filter((f) => typeof f === "function"), eventArb), callbacks: true, run: (_w, l, e) => logSink(l as never).send(e as never) },
  { name: "emitterSink", args: fc.tuple(fc.oneof(fc.constant("world"), anyValue), fc.oneof(fc.constant(undefined), fc.string(), hostile)), run: (w, em, n) => emitterSink((em === "world" ? w.emitter : em) as never, n as never) },
  { name: "emitterSink.send", args: fc.tuple(eventArb), run: (w, e) => emitterSink(w.emitter).send(e as never) },
  { name: "webhookSink", args: fc.tuple(webhookOptionsArb), run: (w, o) => {
    const s = webhookSink(o as never);
    w.made.push({ close: () => s.close(0) });
    return s;
  } },
  { name: "webhook.send", args: fc.tuple(eventArb), run: (w, e) => w.webhook.send(e as never) },
  { name: "webhook.close", args: fc.tuple(fc.oneof(fc.constantFrom(0, 10), hostile)), run: (w, t) => w.webhook.close(t as never) },
  { name: "webhook.counters", args: fc.tuple(), run: (w) => w.webhook.counters() },
];

interface Call {
  readonly op: Op;
  readonly args: unknown[];
}
const callArb: fc.Arbitrary<Call> = fc.oneof(...ops.map((op) => op.args.map((args) => ({ op, args }))))
  .map((c) => Object.assign(c, { [fc.toStringMethod]: () => `${c.op.name}(${c.args.map((a) => fc.stringify(a)).join(", ")})` }));

const outcomes = new Map<string, Set<string>>();

async function exec(w: World, call: Call): Promise<void> {
  const { op, args } = call;
  let result: unknown;
  let error: unknown;
  let threw = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const t0 = performance.now();
  try {
    result = op.run(w, ...args);
    if (result instanceof Promise) {
      result = await Promise.race([result, new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`hang: not settled after ${HANG_MS} ms`)), HANG_MS)))]);
    }
  } catch (e) {
    threw = true;
    error = e;
  } finally {
    clearTimeout(timer);
  }
  const ms = performance.now() - t0;
  const outcome = !threw ? "ok" : error instanceof TickwireError ? error.code : error instanceof Sentinel ? "sentinel" : `!${(error as Error)?.constructor?.name}`;
  let set = outcomes.get(op.name);
  if (!set) outcomes.set(op.name, (set = new Set()));
  set.add(outcome);
  if (ms > HANG_MS) throw new Error(`${op.name}: took ${ms.toFixed(0)} ms`);
  if (threw) {
    if (error instanceof TickwireError) {
      if (!CODES.has(error.code)) throw new Error(`${op.name}: TickwireError with unknown code ${String(error.code)}`);
    } else if (!(op.callbacks && error instanceof Sentinel)) {
      const e = error as Error;
      throw new Error(`${op.name}: threw ${e?.constructor?.name ?? typeof e}: ${e?.message}\n${e?.stack?.split("\n").slice(1, 5).join("\n")}`);
    }
  } else {
    op.check?.(w, result);
  }
}

// Unhandled rejections (a sink's promise nobody caught) fail the run.
const unhandled: unknown[] = [];
process.on("unhandledRejection", (reason) => void unhandled.push(reason));

test("fuzz: monitor, alerts, sinks, webhook: hostile arguments give a result or a TickwireError, never a TypeError or a hang", async () => {
  const t0 = performance.now();
  const { calls } = await runSequences(callArb, () => new World(), exec, { seed: SEED, runs: RUNS });
  await new Promise((resolve) => setTimeout(resolve, 10));
  assert.equal(unhandled.map(String), [], "no unhandled rejections");
  assertEveryEntryPoint(ops.map((o) => o.name), outcomes);
  if (process.env.TICKWIRE_FUZZ_STATS === "1") for (const [n, o] of outcomes) console.log(`  ${n}: ${[...o].join(", ")}`);
  console.log(`fuzz-monitor-alerts: ${calls} calls over ${RUNS} runs, ${ops.length} entry points, ${((performance.now() - t0) / 1000).toFixed(1)} s (seed ${SEED})`);
});

test("fuzz regression: alert events reach the webhook and the emitter through a real run of samples", async () => {
  const w = new World();
  const got: AlertEvent[] = [];
  w.emitter.on("alert", (e) => void got.push(e));
  const base = { rates: { ticksInPerSecond: 1000 }, dropRate: 0.5, latency: { ring: { count: 0 }, consumer: { count: 0 }, client: { count: 0 } }, rings: [], threads: [], feed: { connected: false, lastTickAgeMs: 0 }, consumers: [] };
  w.nextSample = base;
  w.monitor.sampleNow();
  w.nextSample = { ...base, dropRate: 0 };
  w.monitor.sampleNow();
  assert.equal(got.map((e) => `${e.type} ${e.alert.name} ${e.alert.severity}`), ["raised dropRate critical", "cleared dropRate critical"]);
  await w.dispose();
  assert.equal(w.webhook.counters(), { sent: 1, failed: 1, retried: 1, dropped: 0, queued: 0 });
});

test.run();
