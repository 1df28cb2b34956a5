// Health of a running system judged from the monitor's latest sample (and, where the system
// gives them, readiness facts the sample does not carry): pure, so it is tested without HTTP
// and the same answer backs /health, /health/live and /health/ready.
//
//   live  — the monitor is sampling: its latest sample is at most STALE_INTERVALS intervals old.
//   ready — live, the feed is connected, every partition thread is alive, the proxy listens with
//           all its workers, and no critical alert is active.
//   status — "down" when not ready, "degraded" when ready with warnings, else "ok".

import { TickwireError } from "../errors.js";
import { describe } from "../validate.js";
import type { MonitorSample } from "./sample.js";

/** Facts about the system a sample does not carry, from the system itself. */
export interface Readiness {
  readonly proxyListening: boolean;
  readonly workersRunning: number;
  readonly workersExpected: number;
}

/** One check's outcome and a human account of it. */
export interface HealthCheck {
  readonly ok: boolean;
  readonly detail: string;
}

/** What {@link evaluateHealth} answers. */
export interface HealthReport {
  readonly status: "ok" | "degraded" | "down";
  /** The monitor is sampling (latest sample fresh). */
  readonly live: boolean;
  /** Fit to serve: live and every readiness check passed. */
  readonly ready: boolean;
  /** Why it is not "ok": each failed check, then each warning, in words. Empty when ok. */
  readonly reasons: string[];
  /** Each check by name (proxy and workers only when readiness facts were given). */
  readonly checks: {
    readonly sample: HealthCheck;
    readonly feed: HealthCheck;
    readonly partitions: HealthCheck;
    readonly proxy?: HealthCheck;
    readonly workers?: HealthCheck;
    readonly criticalAlerts: HealthCheck;
    readonly warningAlerts: HealthCheck;
  };
}

/** Options of {@link evaluateHealth}. */
export interface HealthOptions {
  /** The monitor's sampling interval, ms. Default: the sample's own intervalMs, or DEFAULT_INTERVAL_MS when that is 0 (the first sample). */
  readonly intervalMs?: number;
}

/** A sample older than this many intervals is stale: the monitor (or the process) is stuck. */
export const STALE_INTERVALS = 3;
/** The interval assumed when neither the options nor the sample give one, ms. */
export const DEFAULT_INTERVAL_MS = 1000;

/**
 * Judges a system's health from its latest monitor sample at time `now`.
 *
 * A malformed sample field (missing, wrong type) fails its check with a reason saying so,
 * rather than throwing: health must answer while the rest of the system misbehaves.
 *
 * @param sample - the latest sample, or undefined before the first (then not live, not ready)
 * @param readiness - facts from the system, or undefined when it gives none (those checks are left out)
 * @param now - the current time, ms since the epoch (Date.now())
 * @param options - see {@link HealthOptions}
 * @throws TickwireError ARGUMENT when `sample` or `readiness` is not an object (or undefined), or `now` is not a finite number
 */
export function evaluateHealth(sample: MonitorSample | undefined, readiness: Readiness | undefined, now: number, options?: HealthOptions): HealthReport {
  if (sample !== undefined && !isRecord(sample)) throw new TickwireError("ARGUMENT", `evaluateHealth: sample must be an object or undefined, got ${describe(sample)}`);
  if (readiness !== undefined && !isRecord(readiness)) throw new TickwireError("ARGUMENT", `evaluateHealth: readiness must be an object or undefined, got ${describe(readiness)}`);
  if (typeof now !== "number" || !Number.isFinite(now)) throw new TickwireError("ARGUMENT", `evaluateHealth: now must be a finite number of ms, got ${describe(now)}`);
  if (options !== undefined && !isRecord(options)) throw new TickwireError("ARGUMENT", `evaluateHealth: options must be an object, got ${describe(options)}`);
  const intervalOption = options?.intervalMs;
  if (intervalOption !== undefined && !(typeof intervalOption === "number" && Number.isFinite(intervalOption) && intervalOption > 0)) {
    throw new TickwireError("ARGUMENT", `evaluateHealth: options.intervalMs must be a finite number of ms above 0, got ${describe(intervalOption)}`);
  }

  const s = sample as Record<string, unknown> | undefined;
  const alerts = records(s?.alerts);
  const outcomes = {
    sample: freshness(s, now, intervalOption),
    feed: feedCheck(s),
    partitions: partitionCheck(s),
    ...(readiness === undefined ? {} : readinessChecks(readiness as unknown as Record<string, unknown>)),
    criticalAlerts: alertCheck(alerts, "critical"),
    warningAlerts: alertCheck(alerts, "warning"),
  };
  const { warningAlerts, ...required } = outcomes;
  const failed = Object.values(required).filter((c) => !c.ok);
  const ready = failed.length === 0;
  const reasons = [...failed, warningAlerts].flatMap((c) => c.problems);
  const checks = Object.fromEntries(Object.entries(outcomes).map(([name, { ok, detail }]) => [name, { ok, detail }]));
  return { status: !ready ? "down" : warningAlerts.ok ? "ok" : "degraded", live: outcomes.sample.ok, ready, reasons, checks: checks as HealthReport["checks"] };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function records(v: unknown): Record<string, unknown>[] {
  return Array.isArray(v) ? v.filter(isRecord) : [];
}

/** A check's outcome with each problem it found, one reason apiece. */
interface Outcome extends HealthCheck {
  readonly problems: string[];
}

const pass = (detail: string): Outcome => ({ ok: true, detail, problems: [] });
const fail = (...problems: string[]): Outcome => ({ ok: false, detail: problems.join("; "), problems });
const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
/** A string field for a message: at most 200 characters, anything else "?". */
const text = (v: unknown): string => typeof v === "string" ? (v.length > 200 ? `${v.slice(0, 200)}…` : v) : "?";

function freshness(s: Record<string, unknown> | undefined, now: number, intervalOption: number | undefined): Outcome {
  if (s === undefined) return fail("no monitor sample yet");
  const time = s.time;
  if (typeof time !== "number" || !Number.isFinite(time)) return fail("monitor sample has no valid time");
  const own = s.intervalMs;
  const interval = intervalOption ?? (typeof own === "number" && Number.isFinite(own) && own > 0 ? own : DEFAULT_INTERVAL_MS);
  const age = Math.max(0, now - time);
  const limit = STALE_INTERVALS * interval;
  return age <= limit ? pass(`monitor sample ${seconds(age)} old`) : fail(`monitor sample is ${seconds(age)} old (stale after ${seconds(limit)})`);
}

function feedCheck(s: Record<string, unknown> | undefined): Outcome {
  const feed = s?.feed;
  if (!isRecord(feed) || typeof feed.connected !== "boolean") return fail("feed state unknown");
  const state = typeof feed.state === "string" ? ` (${text(feed.state)})` : "";
  return feed.connected ? pass(`feed connected${state}`) : fail(`feed disconnected${state}`);
}

function partitionCheck(s: Record<string, unknown> | undefined): Outcome {
  if (s === undefined || !Array.isArray(s.threads)) return fail("partition threads unknown");
  const partitions = records(s.threads).filter((t) => t.kind === "partition");
  const dead = partitions.filter((t) => t.alive !== true).map((t) => {
    const age = t.lastBeatAgeMs;
    return `${text(t.name)} not alive${typeof age === "number" && Number.isFinite(age) && age >= 0 ? ` for ${seconds(age)}` : ""}`;
  });
  return dead.length === 0 ? pass(`${partitions.length} partition thread${partitions.length === 1 ? "" : "s"} alive`) : fail(...dead);
}

function readinessChecks(r: Record<string, unknown>): { proxy: Outcome; workers: Outcome } {
  const proxy = r.proxyListening === true ? pass("proxy listening") : fail("proxy not listening");
  const running = r.workersRunning;
  const expected = r.workersExpected;
  const workers = typeof running === "number" && running === expected
    ? pass(`${running} of ${expected} workers running`)
    : fail(`${describe(running)} of ${describe(expected)} workers running`);
  return { proxy, workers };
}

function alertCheck(alerts: Record<string, unknown>[], severity: "critical" | "warning"): Outcome {
  const active = alerts.filter((a) => a.severity === severity);
  if (active.length === 0) return pass(`no ${severity} alert`);
  return fail(...active.map((a) => `${severity} alert ${text(a.name)}: ${text(a.message)}`));
}
