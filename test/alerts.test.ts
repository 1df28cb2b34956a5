// Alert rules, hysteresis, cooldown, escalation, sinks and the monitor's timer, driven by a fake
// clock and scripted samples: every expectation is exact (which sample raises, which clears).
import { test } from "uvu";
import * as assert from "uvu/assert";
import { TickwireError } from "../src/errors.js";
import type { AlertSample, MonitorSample, ConsumerSample, RingSample, ThreadSample, LatencyStage } from "../src/monitor/sample.js";
import { PerformanceMonitor, type MonitorClock, type PerformanceMonitorOptions } from "../src/monitor/performance-monitor.js";
import { resolveThresholds } from "../src/monitor/thresholds.js";
import { resolveAlertConfig, type AlertEvent } from "../src/monitor/alerts.js";
import { logSink, emitterSink, formatAlertLine, type AlertEvents, type AlertSink } from "../src/monitor/sinks.js";
import { Emitter } from "../src/monitor/emitter.js";

// ───────────────────────────── a fake clock and a scripted system ─────────────────────────────

class FakeClock implements MonitorClock {
  t = 1_700_000_000_000;
  private readonly timers = new Map<number, { at: number; fn: () => void }>();
  private nextId = 1;
  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.timers.set(id, { at: this.t + ms, fn });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }
  get pending(): number {
    return this.timers.size;
  }
  /** Moves time forward by `ms`, firing every timer due on the way, in order. */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      let first: [number, { at: number; fn: () => void }] | undefined;
      for (const entry of this.timers) if (entry[1].at <= end && (!first || entry[1].at < first[1].at)) first = entry;
      if (!first) break;
      this.timers.delete(first[0]);
      this.t = first[1].at;
      first[1].fn();
    }
    this.t = end;
  }
}

/** The scripted system: tests set these fields, the sampler reads them. */
interface World {
  latency: Partial<Record<LatencyStage, { p99Ms: number; count: number }>>;
  ticksInPerSecond: number;
  connected: boolean;
  lastTickAgeMs: number;
  dropRate: number;
  rings: RingSample[];
  threads: ThreadSample[];
  consumers: ConsumerSample[];
}

function newWorld(): World {
  return {
    latency: {}, ticksInPerSecond: 1000, connected: true, lastTickAgeMs: 5, dropRate: 0,
    rings: [ring("ingest-0", 0.1), ring("fanout-0", 0.1)],
    threads: [thread("main", 1), thread("partition-1", 1)],
    consumers: [consumer(3, "ticker", "active", 0)],
  };
}

function ring(name: string, fill: number): RingSample {
  return { name, kind: name.startsWith("ingest") ? "ingest" : "fanout", worker: 0, capacityBytes: 1 << 20, backlogBytes: Math.round(fill * (1 << 20)), fill };
}
function thread(name: string, loopDelayP99Ms: number, alive = true): ThreadSample {
  return { name, kind: name === "main" ? "main" : "partition", loopDelayP99Ms, loopDelayMaxMs: loopDelayP99Ms, lastBeatAgeMs: alive ? 20 : 5000, alive };
}
function consumer(id: number, name: string, state: ConsumerSample["state"], holdingFeedMs: number): ConsumerSample {
  return { id, name, policy: "block", state, delivered: 0, dropped: 0, conflated: 0, lapped: 0, errors: 0, lagMs: 1, backlog: 0, batchSize: 64, holdingFeedMs };
}

const emptyLatency = { count: 0, p50Ms: 0, p90Ms: 0, p99Ms: 0, p999Ms: 0, maxMs: 0, meanMs: 0 };
const noTotals = { count: 0, sumSeconds: 0, buckets: [] };

function sampleOf(w: World, time: number): Omit<MonitorSample, "alerts"> {
  const lat = (s: LatencyStage) => {
    const l = w.latency[s];
    return l ? { ...emptyLatency, count: l.count, p99Ms: l.p99Ms, maxMs: l.p99Ms } : emptyLatency;
  };
  return {
    time, intervalMs: 1000, uptimeSeconds: 60,
    counters: { ticksIn: 0, ticksOut: 0, dropped: 0, conflated: 0, lapped: 0, reconnects: 0, parseErrors: 0, bytesIn: 0, bytesOut: 0 },
    rates: { ticksInPerSecond: w.ticksInPerSecond, ticksOutPerSecond: 0, droppedPerSecond: 0, bytesOutPerSecond: 0 },
    dropRate: w.dropRate,
    latency: { ring: lat("ring"), consumer: lat("consumer"), client: lat("client") },
    latencyTotals: { ring: noTotals, consumer: noTotals, client: noTotals },
    rings: w.rings, threads: w.threads,
    feed: { broker: "sim", state: w.connected ? "connected" : "disconnected", connected: w.connected, lastTickAgeMs: w.lastTickAgeMs },
    clients: { connected: 0, authenticated: 0, slow: 0, subscriptions: 0 },
    consumers: w.consumers,
  };
}

interface Rig {
  monitor: PerformanceMonitor;
  clock: FakeClock;
  world: World;
  events: AlertEvent[];
  lines: string[];
  /** Sets the world, moves the clock one second and takes a sample; gives the events it caused as "type name severity". */
  step(set?: (w: World) => void): string[];
}

function rig(options: Partial<PerformanceMonitorOptions> = {}): Rig {
  const clock = new FakeClock();
  const world = newWorld();
  const events: AlertEvent[] = [];
  const lines: string[] = [];
  const monitor = new PerformanceMonitor({ sample: () => sampleOf(world, clock.now()), clock, log: (l) => lines.push(l), ...options });
  monitor.on("alert", (e) => events.push(e));
  return {
    monitor, clock, world, events, lines,
    step(set) {
      set?.(world);
      clock.t += 1000;
      const before = events.length;
      monitor.sampleNow();
      return events.slice(before).map((e) => `${e.type} ${e.alert.name} ${e.alert.severity}`);
    },
  };
}

/** Steps through `values` of the client p99 (count 100) and gives each step's events, joined; "" for none. */
function latencyRun(r: Rig, values: readonly number[]): string[] {
  return values.map((v) => r.step((w) => (w.latency.client = { p99Ms: v, count: 100 })).join(", "));
}

function throwsArgument(fn: () => unknown, mentions: string): void {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof TickwireError, `not a TickwireError: ${e}`);
    assert.is((e as TickwireError).code, "ARGUMENT");
    assert.ok((e as TickwireError).message.includes(mentions), `message "${(e as Error).message}" does not name ${mentions}`);
    return;
  }
  assert.unreachable("did not throw");
}

// ───────────────────────────── raising, clearing, hysteresis ─────────────────────────────

test("an alert is raised only after raiseAfter samples in a row over the threshold", () => {
  const r = rig({ thresholds: { latencyP99Ms: 10 } });
  assert.equal(latencyRun(r, [12, 12.4]), ["", "raised latencyP99 warning"]);
  const raised = r.events[0]!;
  assert.equal(raised.alert, { name: "latencyP99", severity: "warning", message: "client p99 12.4 ms > 10 ms", value: 12.4, threshold: 10, since: r.clock.t });
  assert.is(raised.time, r.clock.t);
  assert.is(r.lines.at(-1), "ALERT raised warning latencyP99: client p99 12.4 ms > 10 ms");
  assert.equal(r.monitor.activeAlerts().map((a) => a.name), ["latencyP99"]);
  assert.equal(r.monitor.latest()!.alerts.map((a) => a.name), ["latencyP99"]);
  assert.is(r.monitor.stats().alertsRaised, 1);

  const r3 = rig({ thresholds: { latencyP99Ms: 10 }, alerts: { raiseAfter: 3 } });
  assert.equal(latencyRun(r3, [11, 11, 11, 11]), ["", "", "raised latencyP99 warning", ""]);
});

test("one spike (or spikes with good samples between) does not raise", () => {
  const r = rig({ thresholds: { latencyP99Ms: 10 } });
  assert.equal(latencyRun(r, [5, 50, 5, 50, 5, 50, 9]), ["", "", "", "", "", "", ""]);
  assert.equal(r.monitor.activeAlerts(), []);
  assert.equal(r.lines, []);
});

test("hysteresis: values between threshold × clearRatio and the threshold keep the alert raised (no flapping)", () => {
  const r = rig({ thresholds: { latencyP99Ms: 10 } }); // clears below 8 ms
  latencyRun(r, [12, 12]);
  assert.equal(latencyRun(r, [9, 8.5, 9.9, 8, 9, 8.1, 10, 9.5]), ["", "", "", "", "", "", "", ""]);
  assert.equal(r.monitor.activeAlerts().length, 1);
  assert.is(r.monitor.activeAlerts()[0]!.value, 9.5, "the active alert follows the value");
  // Two under, one in the band (resets the run), three under: clears at the third.
  assert.equal(latencyRun(r, [7, 7, 9, 7, 7, 7]), ["", "", "", "", "", "cleared latencyP99 warning"]);
  const cleared = r.events.at(-1)!;
  assert.is(cleared.alert.value, 7);
  assert.is(cleared.alert.message, "client p99 7 ms < 10 ms");
  assert.equal(r.monitor.activeAlerts(), []);
  assert.is(r.lines.at(-1), "ALERT cleared warning latencyP99: client p99 7 ms < 10 ms");
});

test("clearAfter and clearRatio are honoured", () => {
  const r = rig({ thresholds: { latencyP99Ms: 10 }, alerts: { clearAfter: 1, clearRatio: 0.5 } });
  latencyRun(r, [12, 12]);
  assert.equal(latencyRun(r, [6, 5, 4.9]), ["", "", "cleared latencyP99 warning"]);
});

test("cooldown: over again soon after a clear is suppressed (counted), raised once the cooldown has passed", () => {
  const r = rig({ thresholds: { latencyP99Ms: 10 }, alerts: { cooldownMs: 10_000 } });
  latencyRun(r, [12, 12]);
  assert.equal(latencyRun(r, [1, 1, 1]), ["", "", "cleared latencyP99 warning"]);
  const clearedAt = r.clock.t;
  // Over from the next second on: the raise falls due at +2 s, inside the cooldown.
  const steps = latencyRun(r, Array(12).fill(20));
  assert.equal(steps.slice(0, 9), Array(9).fill(""));
  assert.is(r.monitor.stats().suppressed, 1, "one suppressed raise, however many samples it lasted");
  // +10 s is the first sample at which the cooldown has passed.
  assert.is(steps[9], "raised latencyP99 warning");
  assert.is(r.events.at(-1)!.time, clearedAt + 10_000);
  assert.equal(steps.slice(10), ["", ""]);
  assert.is(r.monitor.stats().alertsRaised, 2);

  // A spell over inside the cooldown that ends before it has passed is suppressed and forgotten.
  latencyRun(r, [1, 1, 1]);
  assert.equal(latencyRun(r, [20, 20, 1, 20, 20, 1]), ["", "", "", "", "", ""]);
  assert.is(r.monitor.stats().suppressed, 3);
});

test("escalation and deescalation are single events on the raised alert", () => {
  const r = rig({ thresholds: { latencyP99Ms: { warning: 10, critical: 20 } } });
  assert.equal(latencyRun(r, [12, 12, 25, 25, 25, 25]), ["", "raised latencyP99 warning", "", "escalated latencyP99 critical", "", ""]);
  const escalated = r.events.at(-1)!;
  assert.is(escalated.alert.threshold, 20);
  assert.is(escalated.alert.since, r.events[0]!.alert.since, "escalation keeps the alert's since");
  // Under critical's clear level (16) but over warning's (8): deescalates after clearAfter.
  assert.equal(latencyRun(r, [15, 15, 17, 15, 15, 15]), ["", "", "", "", "", "deescalated latencyP99 warning"]);
  assert.is(r.events.at(-1)!.alert.threshold, 10);
  assert.equal(latencyRun(r, [1, 1, 1]), ["", "", "cleared latencyP99 warning"]);
  assert.is(r.monitor.stats().alertsRaised, 1);

  // Critical throughout the run: raised critical at once. Warning then critical: raised warning, escalated next.
  const c = rig({ thresholds: { latencyP99Ms: { warning: 10, critical: 20 } } });
  assert.equal(latencyRun(c, [25, 25]), ["", "raised latencyP99 critical"]);
  assert.equal(latencyRun(c, [1, 1, 1]), ["", "", "cleared latencyP99 critical"], "straight to clear: no deescalated on the way");
  const m = rig({ thresholds: { latencyP99Ms: { warning: 10, critical: 20 } } });
  assert.equal(latencyRun(m, [12, 25, 25]), ["", "raised latencyP99 warning", "escalated latencyP99 critical"]);
  // Critical only: the level is critical.
  const k = rig({ thresholds: { latencyP99Ms: { critical: 20 } } });
  assert.equal(latencyRun(k, [15, 21, 21]), ["", "", "raised latencyP99 critical"]);
  assert.is(k.events[0]!.alert.threshold, 20);
});

// ───────────────────────────── each rule ─────────────────────────────

test("latencyP99 watches the configured stage; an interval with no ticks there keeps the state", () => {
  const r = rig({ thresholds: { latencyP99Ms: 10, latencyStage: "ring" } });
  assert.equal([
    r.step((w) => (w.latency = { client: { p99Ms: 99, count: 10 }, ring: { p99Ms: 1, count: 10 } })),
    r.step(),
  ], [[], []], "the client stage is not watched");
  assert.equal([
    r.step((w) => (w.latency.ring = { p99Ms: 30, count: 10 })),
    r.step((w) => (w.latency.ring = { p99Ms: 0, count: 0 })), // no data: the run is neither broken nor advanced
    r.step((w) => (w.latency.ring = { p99Ms: 30, count: 10 })),
  ], [[], [], ["raised latencyP99 warning"]]);
  assert.is(r.events[0]!.alert.message, "ring p99 30 ms > 10 ms");
  // Raised, then a long stretch without ticks: still raised (no data is not OK).
  for (let i = 0; i < 10; i++) assert.equal(r.step((w) => (w.latency.ring = { p99Ms: 0, count: 0 })), []);
  assert.equal(r.monitor.activeAlerts().map((a) => a.name), ["latencyP99"]);
});

test("throughputFloor: below the floor only while the feed is connected; clears above floor ÷ clearRatio", () => {
  const r = rig({ thresholds: { throughputFloorPerSecond: 100 } });
  const low = (connected: boolean) => (w: World) => { w.ticksInPerSecond = 0; w.connected = connected; };
  assert.equal([r.step(low(false)), r.step(low(false)), r.step(low(false))], [[], [], []]);
  assert.equal([r.step(low(true)), r.step(low(true))], [[], ["raised throughputFloor warning"]]);
  assert.is(r.events[0]!.alert.message, "ticks in 0/s < floor 100/s");
  const rate = (v: number) => (w: World) => (w.ticksInPerSecond = v);
  assert.equal([r.step(rate(120)), r.step(rate(120)), r.step(rate(120))], [[], [], []], "120/s is under 125/s (100 ÷ 0.8)");
  assert.equal([r.step(rate(130)), r.step(rate(130)), r.step(rate(130))], [[], [], ["cleared throughputFloor warning"]]);
});

test("ringFill raises per ring, naming it; a ring that leaves the sample clears at once", () => {
  const r = rig({ thresholds: { ringFill: 0.9 } });
  const fill = (v: number) => (w: World) => (w.rings = [ring("ingest-0", 0.2), ring("fanout-0", v)]);
  assert.equal([r.step(fill(0.95)), r.step(fill(0.95))], [[], ["raised ringFill:fanout-0 warning"]]);
  assert.is(r.events[0]!.alert.message, "ring fanout-0 fill 95% > 90%");
  assert.equal(r.step((w) => (w.rings = [ring("ingest-0", 0.2)])), ["cleared ringFill:fanout-0 warning"]);
  assert.is(r.events.at(-1)!.alert.message, "ring fanout-0 is gone");
  assert.equal(r.monitor.activeAlerts(), []);
});

test("dropRate", () => {
  const r = rig({ thresholds: { dropRate: { warning: 0.01, critical: 0.05 } } });
  const drop = (v: number) => (w: World) => (w.dropRate = v);
  assert.equal([r.step(drop(0.02)), r.step(drop(0.02))], [[], ["raised dropRate warning"]]);
  assert.is(r.events[0]!.alert.message, "drop rate 2% > 1%");
});

test("staleness: evaluated while connected only; no tick yet (Infinity) counts as above", () => {
  const r = rig({ thresholds: { stalenessMs: 5000 } });
  const age = (v: number, connected = true) => (w: World) => { w.lastTickAgeMs = v; w.connected = connected; };
  assert.equal([r.step(age(Infinity, false)), r.step(age(Infinity, false)), r.step(age(Infinity, false))], [[], [], []]);
  assert.equal([r.step(age(Infinity)), r.step(age(Infinity))], [[], ["raised staleness warning"]]);
  assert.is(r.events[0]!.alert.message, "no tick since something was subscribed (limit 5000 ms)");
  assert.is(r.events[0]!.alert.value, Infinity);
  assert.equal([r.step(age(10)), r.step(age(10)), r.step(age(10))], [[], [], ["cleared staleness warning"]]);
  assert.is(r.events.at(-1)!.alert.message, "last tick 10 ms ago < 5000 ms");
  const s = rig({ thresholds: { stalenessMs: 5000 } });
  assert.equal([s.step(age(6000)), s.step(age(7000))], [[], ["raised staleness warning"]]);
});

test("loopDelay names the thread; a dead thread raises threadDown (critical, always on) instead", () => {
  const r = rig({ thresholds: { loopDelayMs: 50 } });
  const delay = (v: number, alive = true) => (w: World) => (w.threads = [thread("main", 1), thread("partition-1", v, alive)]);
  assert.equal([r.step(delay(80)), r.step(delay(80))], [[], ["raised loopDelay:partition-1 warning"]]);
  assert.is(r.events[0]!.alert.message, "thread partition-1 loop delay p99 80 ms > 50 ms");
  // Dead: its loop delay is not evaluated (the loopDelay alert keeps its state), threadDown rises.
  assert.equal([r.step(delay(0, false)), r.step(delay(0, false))], [[], ["raised threadDown:partition-1 critical"]]);
  assert.equal(r.monitor.activeAlerts().map((a) => a.name), ["loopDelay:partition-1", "threadDown:partition-1"]);
  assert.is(r.events.at(-1)!.alert.message, "thread partition-1 is down (last beat 5000 ms ago)");

  const bare = rig(); // no thresholds at all
  assert.equal([bare.step(delay(0, false)), bare.step(delay(0, false))], [[], ["raised threadDown:partition-1 critical"]]);
  assert.equal([bare.step(delay(1)), bare.step(delay(1)), bare.step(delay(1))], [[], [], ["cleared threadDown:partition-1 critical"]]);
  assert.is(bare.events.at(-1)!.alert.message, "thread partition-1 is alive");
});

test("consumerHolding names the consumer; consumerDetached (always on) clears when it closes or leaves", () => {
  const r = rig({ thresholds: { consumerHoldingMs: 500 } });
  const hold = (v: number) => (w: World) => (w.consumers = [consumer(3, "ticker", "active", v)]);
  assert.equal([r.step(hold(800)), r.step(hold(800))], [[], ["raised consumerHolding:ticker#3 warning"]]);
  assert.is(r.events[0]!.alert.message, "consumer ticker#3 holding the feed 800 ms > 500 ms");

  const d = rig();
  const state = (s: ConsumerSample["state"]) => (w: World) => (w.consumers = [consumer(3, "ticker", s, 0), consumer(4, "other", "active", 0)]);
  assert.equal([d.step(state("detached")), d.step(state("detached"))], [[], ["raised consumerDetached:ticker#3 warning"]]);
  assert.is(d.events[0]!.alert.message, "consumer ticker#3 is detached");
  assert.equal(d.step(state("closed")), ["cleared consumerDetached:ticker#3 warning"]);
  assert.is(d.events.at(-1)!.alert.message, "consumer ticker#3 is closed or gone");
  // Detached again later, then gone from the sample (cooldown 0 so it may raise again).
  const g = rig({ alerts: { cooldownMs: 0 } });
  g.step(state("detached"));
  g.step(state("detached"));
  assert.equal(g.step((w) => (w.consumers = [consumer(4, "other", "active", 0)])), ["cleared consumerDetached:ticker#3 warning"]);
  assert.equal([g.step(state("detached")), g.step(state("detached"))], [[], ["raised consumerDetached:ticker#3 warning"]]);
});

// ───────────────────────────── thresholds and config checks ─────────────────────────────

test("thresholds: an unknown key (a typo) is refused naming it, and so are bad levels", () => {
  throwsArgument(() => resolveThresholds({ latencyP99: 5 } as never), "latencyP99");
  throwsArgument(() => new PerformanceMonitor({ sample: () => sampleOf(newWorld(), 0), thresholds: { ringfill: 0.5 } as never }), "ringfill");
  throwsArgument(() => resolveThresholds({ dropRate: { warn: 0.1 } } as never), "warn");
  throwsArgument(() => resolveThresholds({ ringFill: 1.5 }), "ringFill");
  throwsArgument(() => resolveThresholds({ latencyP99Ms: -1 }), "latencyP99Ms");
  throwsArgument(() => resolveThresholds({ latencyP99Ms: NaN }), "latencyP99Ms");
  throwsArgument(() => resolveThresholds({ latencyP99Ms: { warning: 10, critical: 5 } }), "critical");
  throwsArgument(() => resolveThresholds({ throughputFloorPerSecond: { warning: 10, critical: 50 } }), "critical");
  throwsArgument(() => resolveThresholds({ latencyP99Ms: {} }), "latencyP99Ms");
  throwsArgument(() => resolveThresholds({ latencyStage: "wire" as never }), "latencyStage");
  throwsArgument(() => resolveAlertConfig({ raiseAfer: 3 } as never), "raiseAfer");
  throwsArgument(() => resolveAlertConfig({ clearRatio: 0 }), "clearRatio");
  throwsArgument(() => new PerformanceMonitor({ sample: () => sampleOf(newWorld(), 0), intervalMs: 5 }), "intervalMs");
  throwsArgument(() => new PerformanceMonitor({ sample: () => sampleOf(newWorld(), 0), interval: 5 } as never), "interval");
  assert.equal(resolveThresholds({ throughputFloorPerSecond: { warning: 100, critical: 10 }, latencyP99Ms: undefined }).throughputFloorPerSecond, { warning: 100, critical: 10 });
  assert.equal(resolveThresholds({ latencyP99Ms: 7 }).latencyP99Ms, { warning: 7, critical: undefined });
});

// ───────────────────────────── the timer, failures, sinks ─────────────────────────────

test("the monitor's timer samples at the interval with the fake clock; history is bounded; stop ends it", async () => {
  const clock = new FakeClock();
  const world = newWorld();
  const monitor = new PerformanceMonitor({ sample: () => sampleOf(world, clock.now()), clock, intervalMs: 100, historySize: 5 });
  const seen: number[] = [];
  monitor.on("sample", (s) => seen.push(s.time));
  const t0 = clock.t;
  monitor.start();
  monitor.start(); // no second timer
  assert.is(clock.pending, 1);
  clock.advance(99);
  assert.equal(seen, []);
  clock.advance(1);
  assert.equal(seen, [t0 + 100]);
  clock.advance(900);
  assert.equal(seen, Array.from({ length: 10 }, (_, i) => t0 + 100 * (i + 1)));
  assert.equal(monitor.history().map((s) => s.time), seen.slice(5));
  assert.is(monitor.latest()!.time, t0 + 1000);
  assert.is(monitor.stats().samples, 10);
  await monitor.stop();
  assert.is(clock.pending, 0);
  clock.advance(1000);
  assert.is(seen.length, 10);
  try {
    monitor.start();
    assert.unreachable("a stopped monitor started again");
  } catch (e) {
    assert.is((e as TickwireError).code, "HANDLE");
  }
});

test("the timer's handle is unref'd so it never keeps the process alive", async () => {
  let unrefs = 0;
  const clock: MonitorClock = {
    now: () => 0,
    setTimeout: () => ({ unref: () => void unrefs++ }),
    clearTimeout: () => {},
  };
  const monitor = new PerformanceMonitor({ sample: () => sampleOf(newWorld(), 0), clock });
  monitor.start();
  assert.is(unrefs, 1);
  await monitor.stop();
});

test("a throwing sample() is reported and counted; the timer keeps going", async () => {
  const clock = new FakeClock();
  let n = 0;
  const lines: string[] = [];
  const monitor = new PerformanceMonitor({
    sample: () => {
      if (++n % 3 === 0) throw new Error("sampler broke");
      if (n === 4) return { broken: true } as never; // malformed: reading it fails
      return sampleOf(newWorld(), clock.now());
    },
    clock, intervalMs: 100, log: (l) => lines.push(l),
  });
  monitor.start();
  clock.advance(1000);
  // Samples 3, 6, 9 threw and 4 was malformed; 1, 2, 5, 7, 8, 10 went through.
  assert.equal(monitor.stats().samples, 6);
  assert.equal(monitor.stats().sampleErrors, 4);
  assert.is(lines.filter((l) => l.includes("sampler broke")).length, 3);
  assert.ok(lines.every((l) => l.startsWith("monitor: sample() failed: ")), lines.join("\n"));
  try {
    n = 2;
    monitor.sampleNow();
    assert.unreachable("sampleNow did not throw");
  } catch (e) {
    assert.ok(e instanceof TickwireError);
    assert.is((e as TickwireError).code, "FAILED");
  }
  await monitor.stop();
});

test("a sink that throws or rejects and a listener that throws are counted and reported; the others still get the event", async () => {
  const got: string[] = [];
  const good: AlertSink = { name: "good", send: (e) => void got.push(`sink ${e.type}`) };
  const r = rig({
    thresholds: { dropRate: 0.01 },
    alerts: {
      sinks: [
        { name: "throws", send: () => { throw new Error("sink exploded"); } },
        { name: "rejects", send: async () => { throw new Error("sink rejected"); } },
        good,
      ],
    },
  });
  r.monitor.on("alert", () => { throw new Error("listener exploded"); });
  r.monitor.on("raised", (e) => void got.push(`listener ${e.type}`));
  r.step((w) => (w.dropRate = 0.5));
  r.step();
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.equal(got, ["sink raised", "listener raised"]);
  assert.is(r.events.length, 1, "the rig's own listener (before the throwing one) got it too");
  const stats = r.monitor.stats();
  assert.is(stats.sinkErrors, 2);
  assert.is(stats.listenerErrors, 1);
  assert.ok(r.lines.some((l) => l === "alert sink throws failed (raised event): Error: sink exploded"), r.lines.join("\n"));
  assert.ok(r.lines.some((l) => l === "alert sink rejects failed (raised event): Error: sink rejected"), r.lines.join("\n"));
  assert.ok(r.lines.some((l) => l.includes("listener exploded")));
  assert.ok(!r.lines.some((l) => l.startsWith("ALERT")), "sinks given: no default log sink");
  // The monitor goes on.
  r.step((w) => (w.dropRate = 0));
  r.step();
  assert.equal(r.step(), ["cleared dropRate warning"]);
  await r.monitor.stop();
});

test("addSink adds a sink (names unique); stats show counters by sink name", async () => {
  const r = rig({ thresholds: { dropRate: 0.01 } });
  const got: string[] = [];
  r.monitor.addSink({ name: "late", send: (e) => void got.push(e.alert.name), counters: () => ({ seen: got.length }) });
  throwsArgument(() => r.monitor.addSink({ name: "late", send: () => {} }), "late");
  throwsArgument(() => r.monitor.addSink({ name: "", send: () => {} }), "name");
  throwsArgument(() => r.monitor.addSink({ name: "x" } as never), "send");
  r.step((w) => (w.dropRate = 0.5));
  r.step();
  assert.equal(got, ["dropRate"]);
  assert.equal(r.monitor.stats().sinks, { late: { seen: 1 } });
  assert.is(r.lines.filter((l) => l.startsWith("ALERT raised warning dropRate: drop rate 50% > 1%")).length, 1, "the default log sink");
  let closed = 0;
  r.monitor.addSink({ name: "closing", send: () => {}, close: () => void closed++ });
  await r.monitor.stop();
  assert.is(closed, 1);
});

test("logSink, emitterSink and the Emitter", () => {
  const event: AlertEvent = {
    type: "escalated", time: 5,
    alert: { name: "ringFill:fanout-0", severity: "critical", message: "ring fanout-0 fill 97% > 95%", value: 0.97, threshold: 0.95, since: 1 },
  };
  assert.is(formatAlertLine(event), "ALERT escalated critical ringFill:fanout-0: ring fanout-0 fill 97% > 95%");
  const lines: string[] = [];
  void logSink((l) => lines.push(l)).send(event);
  assert.equal(lines, [formatAlertLine(event)]);

  const errors: string[] = [];
  const emitter = new Emitter<AlertEvents>((error, name) => errors.push(`${name}: ${(error as Error).message}`));
  const got: string[] = [];
  const offAlert = emitter.on("alert", (e) => void got.push(`alert ${e.type}`));
  emitter.on("escalated", () => { throw new Error("boom"); });
  emitter.on("escalated", (e) => void got.push(`escalated ${e.alert.name}`));
  emitter.once("alert", () => void got.push("once"));
  const sink = emitterSink(emitter);
  void sink.send(event);
  void sink.send(event);
  assert.equal(got, ["alert escalated", "once", "escalated ringFill:fanout-0", "alert escalated", "escalated ringFill:fanout-0"]);
  assert.equal(errors, ["escalated: boom", "escalated: boom"]);
  offAlert();
  offAlert();
  assert.is(emitter.listenerCount("alert"), 0);
  assert.is(emitter.emit("alert", event), 0);
  throwsArgument(() => emitter.on("alert", 5 as never), "listener");
  throwsArgument(() => emitterSink({} as never), "emitter");
  throwsArgument(() => logSink("x" as never), "log");
});

test("activeAlerts keep raise order and the sample carries them", () => {
  const r = rig({ thresholds: { dropRate: 0.01, ringFill: 0.5 } });
  r.step((w) => (w.dropRate = 0.5));
  r.step((w) => (w.rings = [ring("fanout-0", 0.9)]));
  const s = r.step();
  assert.equal(r.monitor.activeAlerts().map((a: AlertSample) => a.name), ["dropRate", "ringFill:fanout-0"]);
  assert.equal(s.map((x) => `${x}`), ["raised ringFill:fanout-0 warning"]);
  assert.equal(r.monitor.latest()!.alerts.map((a) => a.name), ["dropRate", "ringFill:fanout-0"]);
  assert.is(r.monitor.history().length, 3);
});

test.run();
