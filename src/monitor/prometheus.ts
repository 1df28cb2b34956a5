// The Prometheus exposition of the monitor's samples: a prom-client Registry whose tickwire_*
// metrics read the latest MonitorSample when scraped, plus prom-client's process metrics.
//
// Every tickwire metric is a small object with the shape prom-client's Registry renders
// (name, help, type, get()) rather than a prom-client Gauge/Counter/Histogram: the values are
// totals and gauges the monitor already computed, so there is nothing to accumulate, and a
// Histogram cannot be loaded with external buckets. get() is pure (it sets no shared state),
// so concurrent scrapes cannot interleave.
//
// A sample may be malformed (a bug upstream, or a fuzzer): a field that is not a number, or a
// counter that is negative or not finite, leaves its series out instead of writing a lie or
// invalid text; label values are escaped by prom-client and capped at LABEL_MAX_CHARS.

import { Registry, collectDefaultMetrics } from "prom-client";
import { TickwireError } from "../errors.js";
import { describe } from "../validate.js";
import { LATENCY_STAGES, type MonitorSample } from "./sample.js";

/** Prefix of every metric name, process metrics included. */
export const METRIC_PREFIX = "tickwire_";
/** Longest label value written (longer ones are cut, then made unique with `#n`). */
export const LABEL_MAX_CHARS = 256;


// prom-client's default metrics that `promtool check metrics` rejects (gauges named *_total);
// the per-type gauges without the suffix carry the same numbers (sum them).
const LINT_REJECTED_PROCESS_METRICS = ["nodejs_active_handles_total", "nodejs_active_requests_total", "nodejs_active_resources_total"];

/** Options of {@link createMonitorRegistry}. */
export interface MonitorRegistryOptions {
  /** Include prom-client's process metrics (CPU, memory, event-loop lag, GC), prefixed `tickwire_`. Default true. */
  readonly processMetrics?: boolean;
}

/**
 * A new prom-client Registry (not the global one) exposing the latest monitor sample as
 * `tickwire_*` metrics: `await registry.metrics()` is the text format 0.0.4 and
 * `registry.contentType` its content type. Before the first sample (`latest()` gives
 * undefined) only the process metrics have values.
 *
 * @param latest - called at each scrape for the sample to expose; an exception it throws rejects `metrics()`
 * @param options - see {@link MonitorRegistryOptions}
 * @throws TickwireError ARGUMENT when `latest` is not a function or `options` is malformed
 */
export function createMonitorRegistry(latest: () => MonitorSample | undefined, options?: MonitorRegistryOptions): Registry {
  if (typeof latest !== "function") throw new TickwireError("ARGUMENT", `createMonitorRegistry: latest must be a function, got ${describe(latest)}`);
  if (options !== undefined && (typeof options !== "object" || options === null || Array.isArray(options))) {
    throw new TickwireError("ARGUMENT", `createMonitorRegistry: options must be an object, got ${describe(options)}`);
  }
  const withProcess = options?.processMetrics ?? true;
  if (typeof withProcess !== "boolean") throw new TickwireError("ARGUMENT", `createMonitorRegistry: options.processMetrics must be a boolean, got ${describe(withProcess)}`);
  const own = new Registry();
  const read = (): Sample | undefined => {
    const s: unknown = latest();
    return isRecord(s) ? (s as Sample) : undefined;
  };
  for (const spec of METRICS) own.registerMetric(new SampleMetric(spec, read) as never);
  return withProcess ? Registry.merge([own, processRegistry()]) : own;
}

let sharedProcessRegistry: Registry | undefined;

// collectDefaultMetrics starts an event-loop delay monitor and a GC observer that are never
// stopped (neither keeps the process alive): made once per process and shared by every
// registry, so creating many route instances leaks nothing.
function processRegistry(): Registry {
  if (sharedProcessRegistry === undefined) {
    const registry = new Registry();
    collectDefaultMetrics({ register: registry, prefix: METRIC_PREFIX });
    for (const name of LINT_REJECTED_PROCESS_METRICS) registry.removeSingleMetric(METRIC_PREFIX + name);
    sharedProcessRegistry = registry;
  }
  return sharedProcessRegistry;
}

// ---------------------------------------------------------------------------------------------
// The metric object prom-client renders.

type Labels = Record<string, string>;
interface Value { readonly value: number; readonly labels: Labels; readonly metricName?: string }
type Sample = { readonly [K in keyof MonitorSample]?: unknown };

interface MetricSpec {
  readonly name: string;
  readonly help: string;
  readonly type: "counter" | "gauge" | "histogram";
  /** The series of one sample; values are already checked (see counter(), gauge()). */
  readonly values: (s: Sample) => Value[];
}

/** One tickwire metric whose values come from the latest sample when scraped. */
class SampleMetric {
  readonly name: string;
  readonly help: string;
  readonly type: MetricSpec["type"];
  readonly aggregator = "sum";

  constructor(private readonly spec: MetricSpec, private readonly read: () => Sample | undefined) {
    this.name = METRIC_PREFIX + spec.name;
    this.help = spec.help;
    this.type = spec.type;
  }

  async get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: Value[] }> {
    const s = this.read();
    const values = s === undefined ? [] : this.spec.values(s);
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  /** Registry.resetMetrics() calls this; there is no state to reset. */
  reset(): void {}
}

// ---------------------------------------------------------------------------------------------
// Reading a sample that may be malformed.

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function field(v: unknown, key: string): unknown {
  return isRecord(v) ? v[key] : undefined;
}

function records(v: unknown): Record<string, unknown>[] {
  return Array.isArray(v) ? v.filter(isRecord) : [];
}

/** A counter's series: a finite total ≥ 0, else none. */
function counter(v: unknown, labels: Labels = {}): Value[] {
  return typeof v === "number" && Number.isFinite(v) && v >= 0 ? [{ value: v, labels }] : [];
}

/** A gauge's series (divided by `unit`): any number but NaN (±Inf is a valid reading, e.g. no tick yet), else none. */
function gauge(v: unknown, labels: Labels = {}, unit = 1): Value[] {
  return typeof v === "number" && !Number.isNaN(v) ? [{ value: v / unit, labels }] : [];
}

/** A boolean as a 0/1 gauge; anything else, none. */
function flag(v: unknown, labels: Labels = {}): Value[] {
  return typeof v === "boolean" ? [{ value: v ? 1 : 0, labels }] : [];
}

/** ms per second: sample fields in ms become seconds. */
const MS = 1000;

/** A label value from a sample field: strings (capped) and finite numbers; anything else "". */
function labelText(v: unknown): string {
  if (typeof v === "number") return Number.isFinite(v) ? String(v) : "";
  if (typeof v !== "string") return "";
  if (v.length <= LABEL_MAX_CHARS) return v;
  const cut = v.slice(0, LABEL_MAX_CHARS);
  // Do not leave half a surrogate pair at the end.
  return /[\uD800-\uDBFF]$/.test(cut) ? cut.slice(0, -1) : cut;
}

/** Each entity's labels, with its identifying label made unique (`name#2`) so no two series collide. */
function labelled<E>(entities: readonly E[], key: string, labels: (e: E) => Labels): [E, Labels][] {
  const seen = new Set<string>();
  return entities.map((e) => {
    const l = labels(e);
    const base = l[key] ?? "";
    let id = base;
    for (let n = 2; seen.has(JSON.stringify({ ...l, [key]: id })); n++) id = `${base}#${n}`;
    l[key] = id;
    seen.add(JSON.stringify(l));
    return [e, l];
  });
}

function rings(s: Sample): [Record<string, unknown>, Labels][] {
  return labelled(records(s.rings), "ring", (r) => ({ ring: labelText(r.name), kind: labelText(r.kind), worker: labelText(r.worker) }));
}

function threads(s: Sample): [Record<string, unknown>, Labels][] {
  return labelled(records(s.threads), "thread", (t) => ({ thread: labelText(t.name), kind: labelText(t.kind) }));
}

function consumers(s: Sample): [Record<string, unknown>, Labels][] {
  return labelled(records(s.consumers), "consumer", (c) => ({ consumer: labelText(c.name), policy: labelText(c.policy) }));
}

/** One series per entity: `pick` gives its series (or none). */
function each(list: [Record<string, unknown>, Labels][], pick: (e: Record<string, unknown>, l: Labels) => Value[]): Value[] {
  return list.flatMap(([e, l]) => pick(e, l));
}

// ---------------------------------------------------------------------------------------------
// The latency histogram, from the sample's cumulative totals.

function latencyHistogram(s: Sample): Value[] {
  const name = `${METRIC_PREFIX}tick_latency_seconds`;
  const out: Value[] = [];
  for (const stage of LATENCY_STAGES) {
    const totals = field(s.latencyTotals, stage);
    const count = field(totals, "count");
    if (typeof count !== "number" || !Number.isFinite(count) || count < 0) continue;
    let cumulative = 0;
    for (const [le, n] of bucketBounds(field(totals, "buckets"))) {
      // Cumulative counts never fall and never pass the total: a malformed input is clamped, not echoed.
      cumulative = Math.min(Math.max(cumulative, n), count);
      out.push({ value: cumulative, labels: { stage, le: String(le) }, metricName: `${name}_bucket` });
    }
    const sum = field(totals, "sumSeconds");
    out.push({ value: count, labels: { stage, le: "+Inf" }, metricName: `${name}_bucket` });
    out.push({ value: typeof sum === "number" && Number.isFinite(sum) && sum >= 0 ? sum : 0, labels: { stage }, metricName: `${name}_sum` });
    out.push({ value: count, labels: { stage }, metricName: `${name}_count` });
  }
  return out;
}

/** Finite, ascending, distinct upper bounds with counts ≥ 0 (anything else dropped). */
function bucketBounds(v: unknown): [number, number][] {
  if (!Array.isArray(v)) return [];
  const pairs = v.filter((b): b is [number, number] =>
    Array.isArray(b) && typeof b[0] === "number" && Number.isFinite(b[0]) && typeof b[1] === "number" && Number.isFinite(b[1]) && b[1] >= 0);
  pairs.sort((a, b) => a[0] - b[0]);
  return pairs.filter((b, i) => i === 0 || b[0] !== pairs[i - 1]![0]).map(([le, n]) => [Object.is(le, -0) ? 0 : le, n]);
}

// ---------------------------------------------------------------------------------------------
// The metrics. Names follow Prometheus' conventions: base units (_seconds, _bytes, _ratio),
// counters end in _total, no per-symbol labels. Rates are not exported: Prometheus computes them.

const c = (s: Sample, key: string): unknown => field(s.counters, key);

const METRICS: readonly MetricSpec[] = [
  { name: "ticks_in_total", type: "counter", help: "Ticks received from the broker feed.", values: (s) => counter(c(s, "ticksIn")) },
  { name: "ticks_out_total", type: "counter", help: "Ticks read off the fan-out rings (each once, whoever it goes to).", values: (s) => counter(c(s, "ticksOut")) },
  { name: "ticks_delivered_total", type: "counter", help: "Deliveries: each tick sent to a client or handed to an in-process consumer, once for each.", values: (s) => counter(c(s, "delivered")) },
  { name: "ticks_dropped_total", type: "counter", help: "Ticks dropped by back-pressure (slow clients, drop-oldest consumers).", values: (s) => counter(c(s, "dropped")) },
  { name: "ticks_conflated_total", type: "counter", help: "Ticks replaced by a newer tick of the same symbol before delivery.", values: (s) => counter(c(s, "conflated")) },
  { name: "ticks_lapped_total", type: "counter", help: "Records overwritten in a fan-out ring before a reader got to them.", values: (s) => counter(c(s, "lapped")) },
  { name: "feed_reconnects_total", type: "counter", help: "Reconnections of the broker feed.", values: (s) => counter(c(s, "reconnects")) },
  { name: "feed_parse_errors_total", type: "counter", help: "Broker messages that could not be parsed.", values: (s) => counter(c(s, "parseErrors")) },
  { name: "feed_received_bytes_total", type: "counter", help: "Bytes received from the broker feed.", values: (s) => counter(c(s, "bytesIn")) },
  { name: "client_sent_bytes_total", type: "counter", help: "Bytes sent to clients.", values: (s) => counter(c(s, "bytesOut")) },
  {
    name: "tick_latency_seconds", type: "histogram",
    help: "Latency of ticks from their receive time to a stage (ring: ingest ring; consumer: in-process consumer; client: client socket), since start.",
    values: latencyHistogram,
  },
  { name: "ring_fill_ratio", type: "gauge", help: "Fill of a ring: backlog over capacity, 0 to 1.", values: (s) => each(rings(s), (r, l) => gauge(r.fill, l)) },
  { name: "ring_backlog_bytes", type: "gauge", help: "Bytes in a ring not yet read (fan-out: by the slowest consumer holding the feed).", values: (s) => each(rings(s), (r, l) => gauge(r.backlogBytes, l)) },
  { name: "ring_capacity_bytes", type: "gauge", help: "Capacity of a ring.", values: (s) => each(rings(s), (r, l) => gauge(r.capacityBytes, l)) },
  { name: "thread_loop_delay_p99_seconds", type: "gauge", help: "99th percentile of a thread's event-loop delay over the last interval.", values: (s) => each(threads(s), (t, l) => gauge(t.loopDelayP99Ms, l, MS)) },
  { name: "thread_loop_delay_max_seconds", type: "gauge", help: "Longest event-loop delay of a thread over the last interval.", values: (s) => each(threads(s), (t, l) => gauge(t.loopDelayMaxMs, l, MS)) },
  { name: "thread_last_beat_age_seconds", type: "gauge", help: "Time since a thread last reported.", values: (s) => each(threads(s), (t, l) => gauge(t.lastBeatAgeMs, l, MS)) },
  { name: "thread_up", type: "gauge", help: "1 when a thread is alive (reporting), else 0.", values: (s) => each(threads(s), (t, l) => flag(t.alive, l)) },
  { name: "feed_connected", type: "gauge", help: "1 when the broker feed is connected, else 0.", values: (s) => flag(field(s.feed, "connected")) },
  { name: "feed_last_tick_age_seconds", type: "gauge", help: "Time since the last tick came in while something is subscribed (0 while nothing is).", values: (s) => gauge(field(s.feed, "lastTickAgeMs"), {}, MS) },
  { name: "clients_connected", type: "gauge", help: "Client WebSocket connections open.", values: (s) => gauge(field(s.clients, "connected")) },
  { name: "clients_authenticated", type: "gauge", help: "Client connections that have authenticated.", values: (s) => gauge(field(s.clients, "authenticated")) },
  { name: "clients_slow", type: "gauge", help: "Client connections currently under back-pressure.", values: (s) => gauge(field(s.clients, "slow")) },
  { name: "client_subscriptions", type: "gauge", help: "Symbol subscriptions held by all clients.", values: (s) => gauge(field(s.clients, "subscriptions")) },
  { name: "consumer_delivered_total", type: "counter", help: "Records delivered to an in-process consumer.", values: (s) => each(consumers(s), (k, l) => counter(k.delivered, l)) },
  { name: "consumer_dropped_total", type: "counter", help: "Records an in-process consumer lost to its drop-oldest policy.", values: (s) => each(consumers(s), (k, l) => counter(k.dropped, l)) },
  { name: "consumer_conflated_total", type: "counter", help: "Records an in-process consumer had replaced by a newer one (conflate policy).", values: (s) => each(consumers(s), (k, l) => counter(k.conflated, l)) },
  { name: "consumer_lapped_total", type: "counter", help: "Records an in-process consumer lost to lapping of the fan-out rings.", values: (s) => each(consumers(s), (k, l) => counter(k.lapped, l)) },
  { name: "consumer_errors_total", type: "counter", help: "Times an in-process consumer's handler threw.", values: (s) => each(consumers(s), (k, l) => counter(k.errors, l)) },
  { name: "consumer_lag_seconds", type: "gauge", help: "Receive-to-delivery latency of a consumer's latest batch.", values: (s) => each(consumers(s), (k, l) => gauge(k.lagMs, l, MS)) },
  { name: "consumer_backlog_records", type: "gauge", help: "Records waiting for an in-process consumer.", values: (s) => each(consumers(s), (k, l) => gauge(k.backlog, l)) },
  { name: "consumer_holding_feed_seconds", type: "gauge", help: "How long a block-policy consumer has been holding the feed back (0: not holding).", values: (s) => each(consumers(s), (k, l) => gauge(k.holdingFeedMs, l, MS)) },
  { name: "consumer_active", type: "gauge", help: "1 while an in-process consumer is attached and active, else 0.", values: (s) => each(consumers(s), (k, l) => typeof k.state === "string" ? [{ value: k.state === "active" ? 1 : 0, labels: l }] : []) },
  { name: "alert_active", type: "gauge", help: "1 for each alert the monitor holds active.", values: activeAlerts },
  { name: "uptime_seconds", type: "gauge", help: "Time since the system started.", values: (s) => gauge(s.uptimeSeconds) },
  { name: "monitor_sample_timestamp_seconds", type: "gauge", help: "When the monitor took the sample exposed (Unix time).", values: (s) => gauge(s.time, {}, MS) },
];

function activeAlerts(s: Sample): Value[] {
  const seen = new Set<string>();
  const out: Value[] = [];
  for (const a of records(s.alerts)) {
    const labels = { alertname: labelText(a.name), severity: labelText(a.severity) };
    const key = JSON.stringify(labels);
    if (!seen.has(key)) out.push({ value: 1, labels });
    seen.add(key);
  }
  return out;
}
