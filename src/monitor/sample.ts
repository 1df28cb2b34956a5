// What the performance monitor reads off a running system at each interval: plain data
// (JSON-able, no class instances), so the same object feeds the alert rules, /stats, the
// dashboard and the Prometheus exposition.

/** Latency of ticks from their receive time to a stage, over one interval (ms). */
export interface LatencySummary {
  /** Ticks measured in the interval. */
  readonly count: number;
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly p999Ms: number;
  readonly maxMs: number;
  readonly meanMs: number;
}

/** A latency histogram since start, for Prometheus: cumulative counts at fixed bounds. */
export interface LatencyTotals {
  readonly count: number;
  readonly sumSeconds: number;
  /** [upper bound in seconds, ticks at or below it], ascending; +Inf is `count`. */
  readonly buckets: readonly (readonly [number, number])[];
}

/**
 * The latency stages, each from the tick's receive time: `ring` — its partition worker took it
 * off the ingest ring (routing and the ring's queueing included); `consumer` — handed to an
 * in-process consumer; `client` — made into a client's frames for its socket.
 */
export type LatencyStage = "ring" | "consumer" | "client";

/** Every latency stage, in the order the data flows. */
export const LATENCY_STAGES: readonly LatencyStage[] = ["ring", "consumer", "client"];

/** One ring's fill. */
export interface RingSample {
  readonly name: string;
  readonly kind: "ingest" | "fanout";
  readonly worker: number;
  readonly capacityBytes: number;
  /** Ingest: bytes routed and not yet processed. Fan-out: bytes the slowest consumer holding the feed has not read (0 when none holds it). */
  readonly backlogBytes: number;
  /** backlogBytes / capacityBytes, 0..1. */
  readonly fill: number;
}

/** One thread's responsiveness. */
export interface ThreadSample {
  readonly name: string;
  readonly kind: "main" | "partition" | "consumer";
  /** Event-loop delay over the interval (a partition worker: its longest step without looking at its rings), ms. */
  readonly loopDelayP99Ms: number;
  readonly loopDelayMaxMs: number;
  /** Time since it last reported, ms (a live thread reports every 20–50 ms). */
  readonly lastBeatAgeMs: number;
  readonly alive: boolean;
}

/** One in-process consumer (see the consumer API). */
export interface ConsumerSample {
  readonly id: number;
  readonly name: string;
  readonly policy: "block" | "conflate" | "drop-oldest";
  readonly state: "active" | "detached" | "closed";
  readonly delivered: number;
  readonly dropped: number;
  readonly conflated: number;
  /** Records lost to lapping of the fan-out rings (any symbol's; not under block). */
  readonly lapped: number;
  /** Times its handler threw. */
  readonly errors: number;
  /** Receive → delivery of its latest batch, ms. */
  readonly lagMs: number;
  /** Records waiting for it (queued or pending). */
  readonly backlog: number;
  readonly batchSize: number;
  /** block: how long it has been holding the feed back now, ms (0: not holding). */
  readonly holdingFeedMs: number;
}

/** An alert as the monitor holds it. */
export interface AlertSample {
  /** The threshold's name, e.g. "latencyP99". */
  readonly name: string;
  readonly severity: "warning" | "critical";
  readonly message: string;
  /** The measured value and the threshold it crossed. */
  readonly value: number;
  readonly threshold: number;
  /** ms since the epoch. */
  readonly since: number;
}

/** Everything the monitor samples at one interval. */
export interface MonitorSample {
  /** ms since the epoch. */
  readonly time: number;
  /** ms since the previous sample (0 for the first). */
  readonly intervalMs: number;
  readonly uptimeSeconds: number;
  /** Totals since start (monotonic). */
  readonly counters: {
    readonly ticksIn: number;
    readonly ticksOut: number;
    /** Deliveries: a tick sent to a client or handed to a consumer counts once for each (snapshots included). */
    readonly delivered: number;
    readonly dropped: number;
    readonly conflated: number;
    readonly lapped: number;
    readonly reconnects: number;
    readonly parseErrors: number;
    readonly bytesIn: number;
    readonly bytesOut: number;
  };
  /** Per second over the interval. */
  readonly rates: {
    readonly ticksInPerSecond: number;
    readonly ticksOutPerSecond: number;
    readonly droppedPerSecond: number;
    readonly bytesOutPerSecond: number;
  };
  /** dropped / (delivered + dropped) over the interval, 0..1: the share of deliveries owed that did not happen. */
  readonly dropRate: number;
  readonly latency: { readonly [S in LatencyStage]: LatencySummary };
  readonly latencyTotals: { readonly [S in LatencyStage]: LatencyTotals };
  readonly rings: readonly RingSample[];
  readonly threads: readonly ThreadSample[];
  readonly feed: {
    readonly broker: string;
    readonly state: string;
    readonly connected: boolean;
    /**
     * Time since the last tick came in while something is subscribed (counted from when it
     * was, so a fresh subscription is not stale at once), ms; 0 while nothing is subscribed.
     */
    readonly lastTickAgeMs: number;
  };
  readonly clients: {
    readonly connected: number;
    readonly authenticated: number;
    readonly slow: number;
    readonly subscriptions: number;
  };
  readonly consumers: readonly ConsumerSample[];
  /** Alerts active at this sample (filled in by the monitor). */
  readonly alerts: readonly AlertSample[];
}
