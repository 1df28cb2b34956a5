// Reads a MonitorSample off a running system: the shared-memory metrics (counters, latency
// histograms, thread gauges), the rings, the consumer table, the proxy and the feed. It also
// carries the main thread's own counts (the proxy's, the feed's) into the shared counters, as
// deltas, so that those counters are the one set of totals every thread can read.
import { ParallelProcessor } from "../processor/processor.js";
import { TickwireError } from "../errors.js";
import { checkInstance, checkObject, describe } from "../validate.js";
import type { RingReader } from "../rings/ring.js";
import type { ProxyStats } from "../proxy/server.js";
import { SystemMetrics, LATENCY_STAGES } from "../monitor/metrics.js";
import { HistogramWindow } from "../monitor/window.js";
import { ConsumerState } from "../fanout/consumer-table.js";
import { ingestRingName, fanoutRingName } from "../processor/router.js";
import type { MonitorSample, LatencyStage, LatencySummary, LatencyTotals, RingSample, ThreadSample, ConsumerSample } from "../monitor/sample.js";
import type { MetricCounterName } from "../monitor/counters.js";

/** A thread whose heartbeat is older than this is reported not alive. */
export const THREAD_ALIVE_MS = 5000;

/** What the sampler reads besides the processor. */
export interface SamplerSources {
  readonly processor: ParallelProcessor;
  readonly metrics: SystemMetrics;
  /** The pump's readers of the fan-out rings. */
  readonly readers: () => readonly RingReader[];
  readonly proxy: () => ProxyStats | undefined;
  /** The feed's state and counts; `subscribed`: instruments it streams (undefined: it cannot say). */
  readonly feed: () => { broker: string; state: string; dropped: number; reconnects: number; parseErrors: number; bytesIn: number; subscribed?: number };
  /** A consumer slot's name (given at createConsumer). */
  readonly consumerName: (slot: number) => string;
}

const STATES = ["free", "reserved", "active", "detached", "closed"] as const;

export class SystemSampler {
  private readonly windows: { readonly [S in LatencyStage]: HistogramWindow };
  private readonly started = Date.now();
  private last: { time: number; ticksIn: number; ticksOut: number; dropped: number; delivered: number; bytesOut: number } | undefined;
  private lastTickAt = 0;
  private lastTicksIn = 0;
  /** Since when a tick is expected (something subscribed); 0: nothing is. */
  private expectingSince = 0;
  // Main-thread counts already carried into the shared counters.
  private carried = { proxyDelivered: 0, proxyDropped: 0, proxyConflated: 0, proxyBytesOut: 0, feedDropped: 0, reconnects: 0, parseErrors: 0, bytesIn: 0, pumpLapped: 0 };

  constructor(private readonly src: SamplerSources) {
    checkObject(src, "SystemSampler: sources");
    checkInstance(src.processor, ParallelProcessor, "SystemSampler: sources.processor");
    checkInstance(src.metrics, SystemMetrics, "SystemSampler: sources.metrics");
    for (const name of ["readers", "proxy", "feed", "consumerName"] as const) {
      if (typeof src[name] !== "function") throw new TickwireError("ARGUMENT", `SystemSampler: sources.${name} must be a function, got ${describe(src[name])}`);
    }
    const h = src.metrics.latency;
    this.windows = { ring: new HistogramWindow(h.ring), consumer: new HistogramWindow(h.consumer), client: new HistogramWindow(h.client) };
  }

  sample(): Omit<MonitorSample, "alerts"> {
    const now = Date.now();
    const proxy = this.src.proxy();
    const feed = this.src.feed();
    this.carry(proxy, feed);
    const c = this.src.metrics.counters.snapshot();
    const last = this.last;
    const intervalMs = last ? now - last.time : 0;
    const perSecond = (v: number, was: number | undefined) => (last && intervalMs > 0 ? ((v - (was ?? 0)) * 1000) / intervalMs : 0);
    if (c.ticksIn !== this.lastTicksIn) {
      this.lastTicksIn = c.ticksIn;
      this.lastTickAt = now;
    }
    // Staleness counts only while ticks are expected: an idle feed with nothing subscribed is not stale.
    if (feed.subscribed === 0) this.expectingSince = 0;
    else if (this.expectingSince === 0) this.expectingSince = now;
    const lastTickAgeMs = this.expectingSince === 0 ? 0 : now - Math.max(this.lastTickAt, this.expectingSince);
    const droppedDelta = c.dropped - (last?.dropped ?? 0);
    const deliveredDelta = c.delivered - (last?.delivered ?? 0);
    const latency = {} as Record<LatencyStage, LatencySummary>;
    const latencyTotals = {} as Record<LatencyStage, LatencyTotals>;
    for (const stage of LATENCY_STAGES) {
      latency[stage] = this.windows[stage].take();
      latencyTotals[stage] = this.windows[stage].totals();
    }
    const sample: Omit<MonitorSample, "alerts"> = {
      time: now, intervalMs, uptimeSeconds: (now - this.started) / 1000,
      counters: {
        ticksIn: c.ticksIn, ticksOut: c.ticksOut, delivered: c.delivered, dropped: c.dropped, conflated: c.conflated, lapped: c.lapped,
        reconnects: c.reconnects, parseErrors: c.parseErrors, bytesIn: c.bytesIn, bytesOut: c.bytesOut,
      },
      rates: {
        ticksInPerSecond: perSecond(c.ticksIn, last?.ticksIn), ticksOutPerSecond: perSecond(c.ticksOut, last?.ticksOut),
        droppedPerSecond: perSecond(c.dropped, last?.dropped), bytesOutPerSecond: perSecond(c.bytesOut, last?.bytesOut),
      },
      dropRate: droppedDelta > 0 ? droppedDelta / (Math.max(0, deliveredDelta) + droppedDelta) : 0,
      latency, latencyTotals,
      rings: this.rings(),
      threads: this.threads(now),
      feed: {
        broker: feed.broker, state: feed.state, connected: feed.state === "open",
        lastTickAgeMs,
      },
      clients: {
        connected: proxy?.clients ?? 0, authenticated: proxy?.authenticated ?? 0, slow: proxy?.slowClients ?? 0, subscriptions: proxy?.subscriptions ?? 0,
      },
      consumers: this.consumers(now),
    };
    this.last = { time: now, ticksIn: c.ticksIn, ticksOut: c.ticksOut, dropped: c.dropped, delivered: c.delivered, bytesOut: c.bytesOut };
    return sample;
  }

  private carry(proxy: ProxyStats | undefined, feed: ReturnType<SamplerSources["feed"]>): void {
    const counters = this.src.metrics.counters;
    const add = (name: MetricCounterName, key: keyof SystemSampler["carried"], now: number) => {
      const delta = now - this.carried[key];
      if (delta > 0) counters.add(name, delta);
      this.carried[key] = Math.max(now, this.carried[key]);
    };
    add("delivered", "proxyDelivered", proxy?.delivered ?? 0);
    add("dropped", "proxyDropped", proxy?.dropped ?? 0);
    add("conflated", "proxyConflated", proxy?.conflated ?? 0);
    add("bytesOut", "proxyBytesOut", proxy?.bytesOut ?? 0);
    add("dropped", "feedDropped", feed.dropped);
    add("reconnects", "reconnects", feed.reconnects);
    add("parseErrors", "parseErrors", feed.parseErrors);
    add("bytesIn", "bytesIn", feed.bytesIn);
    add("lapped", "pumpLapped", this.src.readers().reduce((sum, r) => sum + r.lost, 0));
  }

  private rings(): RingSample[] {
    const p = this.src.processor;
    const table = p.consumers;
    const readers = this.src.readers();
    const out: RingSample[] = [];
    const active = Math.max(p.workers, 1);
    for (let w = 0; w < active; w++) {
      const ingest = p.pool.get(ingestRingName(w));
      const backlog = ingest.backlog;
      out.push({ name: ingest.name, kind: "ingest", worker: w, capacityBytes: ingest.capacity, backlogBytes: backlog, fill: backlog / ingest.capacity });
      const fanout = p.pool.get(fanoutRingName(w));
      // What the slowest reader that matters has not read: the proxy's pump, or a block consumer holding the feed.
      let unread = readers[w]?.backlog ?? 0;
      if (table && table.activeBlock > 0) {
        const tail = fanout.tail;
        for (let s = 0; s < table.slots; s++) {
          if (table.state(s) === ConsumerState.ACTIVE && table.policy(s) === "block") unread = Math.max(unread, tail - table.gate(s, w));
        }
      }
      unread = Math.min(unread, fanout.capacity);
      out.push({ name: fanout.name, kind: "fanout", worker: w, capacityBytes: fanout.capacity, backlogBytes: unread, fill: unread / fanout.capacity });
    }
    return out;
  }

  private threads(now: number): ThreadSample[] {
    return this.src.metrics.threads.read().map((t) => ({
      name: t.name, kind: t.kind, loopDelayP99Ms: t.delayP99Ns / 1e6, loopDelayMaxMs: t.delayMaxNs / 1e6,
      lastBeatAgeMs: Math.max(0, now - t.heartbeatMs), alive: now - t.heartbeatMs < THREAD_ALIVE_MS,
    }));
  }

  private consumers(now: number): ConsumerSample[] {
    const table = this.src.processor.consumers;
    if (!table) return [];
    const out: ConsumerSample[] = [];
    for (let s = 0; s < table.slots; s++) {
      const state = table.state(s);
      if (state !== ConsumerState.ACTIVE && state !== ConsumerState.DETACHED) continue;
      let holding = 0;
      // Only an attached consumer holds the feed (a detached one's marks may linger until its writer looks again).
      for (let r = 0; state === ConsumerState.ACTIVE && r < table.rings; r++) {
        const since = table.holdingSince(s, r);
        if (since > 0) holding = Math.max(holding, now - since);
      }
      out.push({
        id: s, name: this.src.consumerName(s), policy: table.policy(s), state: STATES[state] as ConsumerSample["state"],
        delivered: table.stat(s, "delivered"), dropped: table.stat(s, "dropped"), conflated: table.stat(s, "conflated"),
        lapped: table.stat(s, "lapped"), errors: table.stat(s, "errors"), lagMs: table.stat(s, "lagNs") / 1e6,
        backlog: table.stat(s, "backlog"), batchSize: table.stat(s, "batchSize"), holdingFeedMs: holding,
      });
    }
    return out;
  }
}
