// A synthetic, changing monitor: MonitorSamples that look like a busy system's (counters grow,
// rates and latencies wave and jitter, rings fill and drain, clients come and go), for tests of
// the monitor's HTTP routes and dashboard that need no running system. Deterministic: sample i
// is the same in every run; only its time follows the clock.
import type { AlertSample, LatencyStage, LatencySummary, LatencyTotals, MonitorSample, RingSample, ThreadSample } from "../../src/monitor/sample.js";
import type { MonitorSource } from "../../src/monitor/http.js";
import type { Readiness } from "../../src/monitor/health.js";

/** Bucket bounds of the synthetic latency totals, seconds. */
export const LATENCY_BOUNDS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];

/** A pseudo-random number in [0, 1) from an integer (no state, so sample i never changes). */
function noise(i: number, salt: number): number {
  let h = Math.imul(i ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(salt + 1, 0xc2b2ae35);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 12;
  return (h >>> 0) / 4294967296;
}

interface Totals {
  ticksIn: number; ticksOut: number; dropped: number; conflated: number; bytesIn: number; bytesOut: number;
  latency: Record<LatencyStage, { count: number; sum: number; buckets: number[] }>;
  delivered: number;
}

function emptyTotals(): Totals {
  const stage = () => ({ count: 0, sum: 0, buckets: LATENCY_BOUNDS.map(() => 0) });
  return { ticksIn: 0, ticksOut: 0, dropped: 0, conflated: 0, bytesIn: 0, bytesOut: 0, latency: { ring: stage(), consumer: stage(), client: stage() }, delivered: 0 };
}

/** Builds sample after sample, keeping the running totals. */
export class SampleGenerator {
  private index = 0;
  private readonly totals = emptyTotals();

  constructor(readonly intervalMs = 1000) {}

  /** The next sample, taken at `time`, with `alerts` active. */
  next(time: number, alerts: readonly AlertSample[] = []): MonitorSample {
    const i = this.index++;
    const t = this.totals;
    const seconds = this.intervalMs / 1000;
    const inRate = Math.round(6000 + 2500 * Math.sin(i / 4) + 800 * noise(i, 1));
    const dropRate = i % 7 === 3 ? Math.round(40 * noise(i, 2)) : 0;
    const outRate = inRate * 3 - dropRate;
    const ticksIn = Math.round(inRate * seconds), ticksOut = Math.round(outRate * seconds), dropped = Math.round(dropRate * seconds);
    t.ticksIn += ticksIn; t.ticksOut += ticksOut; t.dropped += dropped; t.conflated += Math.round(ticksIn * 0.01);
    t.bytesIn += ticksIn * 180; t.bytesOut += ticksOut * 120;
    const latency = {
      ring: this.latency(i, "ring", ticksIn, 0.02, 10),
      consumer: this.latency(i, "consumer", ticksIn, 0.15, 20),
      client: this.latency(i, "client", ticksOut, 0.6 + 0.4 * Math.sin(i / 3), 30),
    };
    t.delivered += ticksIn;
    const clientsConnected = 40 + Math.round(10 * Math.sin(i / 6));
    return {
      time,
      intervalMs: i === 0 ? 0 : this.intervalMs,
      uptimeSeconds: 3600 + i * seconds,
      counters: {
        ticksIn: t.ticksIn, ticksOut: t.ticksOut, delivered: t.ticksOut, dropped: t.dropped, conflated: t.conflated, lapped: 0,
        reconnects: 1, parseErrors: 2, bytesIn: t.bytesIn, bytesOut: t.bytesOut,
      },
      rates: { ticksInPerSecond: inRate, ticksOutPerSecond: outRate, droppedPerSecond: dropRate, bytesOutPerSecond: outRate * 120 },
      dropRate: dropRate / (outRate + dropRate),
      latency: { ring: latency.ring.summary, consumer: latency.consumer.summary, client: latency.client.summary },
      latencyTotals: { ring: latency.ring.totals, consumer: latency.consumer.totals, client: latency.client.totals },
      rings: this.rings(i),
      threads: this.threads(i),
      feed: { broker: "simulated", state: "connected", connected: true, lastTickAgeMs: Math.round(50 * noise(i, 3)) },
      clients: { connected: clientsConnected, authenticated: clientsConnected - 2, slow: i % 9 === 4 ? 2 : 0, subscriptions: clientsConnected * 25 },
      consumers: [
        { id: 1, name: "recorder", policy: "block", state: "active", delivered: t.delivered, dropped: 0, conflated: 0, lapped: 0, errors: 0,
          lagMs: 0.3 + noise(i, 4), backlog: Math.round(100 * noise(i, 5)), batchSize: 256, holdingFeedMs: 0 },
        { id: 2, name: "signals", policy: "conflate", state: "active", delivered: Math.round(t.delivered * 0.8), dropped: 0, conflated: t.conflated, lapped: 0,
          errors: 1, lagMs: 1.2 + noise(i, 6), backlog: 0, batchSize: 64, holdingFeedMs: 0 },
      ],
      alerts: alerts.map((a) => ({ ...a })),
    };
  }

  private latency(i: number, stageName: LatencyStage, n: number, medianMs: number, salt: number): { summary: LatencySummary; totals: LatencyTotals } {
    const p50 = medianMs * (0.8 + 0.4 * noise(i, salt));
    const summary = { count: n, p50Ms: p50, p90Ms: p50 * 2, p99Ms: p50 * 4 * (1 + noise(i, salt + 1)), p999Ms: p50 * 10, maxMs: p50 * 25, meanMs: p50 * 1.3 };
    const stage = this.totals.latency[stageName];
    // Spread the interval's ticks over the buckets like a log-normal-ish distribution around p50.
    const center = Math.log10(p50 / 1000);
    LATENCY_BOUNDS.forEach((le, b) => {
      const z = (Math.log10(le) - center) / 0.35;
      stage.buckets[b]! += Math.round(n / (1 + Math.exp(-1.7 * z)));
    });
    stage.count += n;
    stage.sum += n * summary.meanMs / 1000;
    const totals = { count: stage.count, sumSeconds: stage.sum, buckets: LATENCY_BOUNDS.map((le, b) => [le, Math.min(stage.buckets[b]!, stage.count)] as const) };
    return { summary, totals };
  }

  private rings(i: number): RingSample[] {
    return [0, 1].flatMap((worker) => (["ingest", "fanout"] as const).map((kind) => {
      const capacityBytes = 4 << 20;
      const fill = Math.min(0.95, Math.max(0, (kind === "ingest" ? 0.05 : 0.2) + 0.15 * Math.sin(i / 5 + worker) + 0.05 * noise(i, 40 + worker)));
      return { name: `${kind}-${worker}`, kind, worker, capacityBytes, backlogBytes: Math.round(fill * capacityBytes), fill: Math.round(fill * capacityBytes) / capacityBytes };
    }));
  }

  private threads(i: number): ThreadSample[] {
    const thread = (name: string, kind: ThreadSample["kind"], p99: number): ThreadSample =>
      ({ name, kind, loopDelayP99Ms: p99, loopDelayMaxMs: p99 * 3, lastBeatAgeMs: Math.round(40 * noise(i, name.length)), alive: true });
    return [thread("main", "main", 1 + noise(i, 50)), thread("partition-0", "partition", 0.2 + noise(i, 51)), thread("partition-1", "partition", 0.2 + noise(i, 52))];
  }
}

/** One realistic sample (the `index`-th of a run), taken at `time`. */
export function syntheticSample(index = 5, time = Date.now(), alerts: readonly AlertSample[] = []): MonitorSample {
  const g = new SampleGenerator();
  let s: MonitorSample | undefined;
  for (let i = 0; i <= index; i++) s = g.next(time - (index - i) * 1000, i === index ? alerts : []);
  return s!;
}

/** Options of {@link SyntheticMonitorSource}. */
export interface SyntheticSourceOptions {
  /** ms between samples; default 1000. */
  readonly intervalMs?: number;
  /** Samples kept in history(); default 300. */
  readonly keep?: number;
  /** Samples already taken when it starts (back-dated); default 10. */
  readonly backfill?: number;
}

/**
 * A MonitorSource over a {@link SampleGenerator}, sampling on read: latest() and history()
 * first add every sample due by now (one per interval), so no timer keeps a test alive.
 * `alerts`, `readinessFacts` and `failing` can be changed at any time.
 */
export class SyntheticMonitorSource implements MonitorSource {
  /** Alerts put into each new sample. */
  alerts: AlertSample[] = [];
  /** What readiness() answers. */
  readinessFacts: Readiness = { proxyListening: true, workersRunning: 2, workersExpected: 2 };
  /** When set, latest() and history() throw it (a broken monitor). */
  failing: Error | undefined;
  private readonly generator: SampleGenerator;
  private readonly samples: MonitorSample[] = [];
  private readonly keep: number;
  private readonly start: number;
  private taken = 0;

  constructor(options: SyntheticSourceOptions = {}) {
    const intervalMs = options.intervalMs ?? 1000;
    this.keep = options.keep ?? 300;
    this.generator = new SampleGenerator(intervalMs);
    this.start = Date.now() - (options.backfill ?? 10) * intervalMs;
  }

  latest(): MonitorSample | undefined {
    this.catchUp();
    return this.samples[this.samples.length - 1];
  }

  history(): readonly MonitorSample[] {
    this.catchUp();
    return this.samples;
  }

  readiness(): Readiness {
    return this.readinessFacts;
  }

  private catchUp(): void {
    if (this.failing) throw this.failing;
    const interval = this.generator.intervalMs;
    const due = Math.floor((Date.now() - this.start) / interval) + 1;
    for (; this.taken < due; this.taken++) {
      this.samples.push(this.generator.next(this.start + this.taken * interval, this.alerts));
      if (this.samples.length > this.keep) this.samples.shift();
    }
  }
}

/** A source that always answers `sample` (and `readiness`, when given). */
export function fixedSource(sample: MonitorSample | undefined, readiness?: Readiness): MonitorSource {
  return {
    latest: () => sample,
    history: () => (sample === undefined ? [] : [sample]),
    ...(readiness === undefined ? {} : { readiness: () => readiness }),
  };
}
