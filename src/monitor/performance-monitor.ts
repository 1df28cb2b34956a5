// The performance monitor: samples a running system at an interval, keeps a bounded history
// for the dashboard, and turns threshold crossings into alert events for its sinks and
// listeners. It must never take the process down: a sampler, listener or sink that throws is
// reported and counted, and the timer goes on.

import { TickwireError } from "../errors.js";
import { checkInt, checkObject, checkTimeout, describe, MAX_TIMEOUT_MS } from "../validate.js";
import { AlertTracker, resolveAlertConfig, type AlertConfig, type AlertEvent, type AlertEventType } from "./alerts.js";
import { Emitter, type Listener } from "./emitter.js";
import type { AlertSample, MonitorSample } from "./sample.js";
import { errorText, logSink, SinkSet, type AlertSink } from "./sinks.js";
import { readRules, resolveThresholds, type PerformanceThresholds, type ResolvedThresholds } from "./thresholds.js";

/** The time source and timer of a monitor; tests pass a fake one. */
export interface MonitorClock {
  /** ms since the epoch. */
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** The real clock: Date.now and the global timers. */
export const systemClock: MonitorClock = Object.freeze({
  now: () => Date.now(),
  setTimeout: (fn: () => void, ms: number): unknown => setTimeout(fn, ms),
  clearTimeout: (handle: unknown) => clearTimeout(handle as Parameters<typeof clearTimeout>[0]),
});

/** Options of {@link PerformanceMonitor}. */
export interface PerformanceMonitorOptions {
  /** Reads the system (every field of MonitorSample but `alerts`, which the monitor fills in). */
  readonly sample: () => Omit<MonitorSample, "alerts">;
  /** ms between samples, at least 10. Default 1000. */
  readonly intervalMs?: number;
  /** What raises alerts. Default: only the always-on rules (threadDown, consumerDetached). */
  readonly thresholds?: PerformanceThresholds;
  /** How alerts behave and where they go. */
  readonly alerts?: AlertConfig;
  /** Samples kept for {@link PerformanceMonitor.history}. Default 300. */
  readonly historySize?: number;
  /** Default {@link systemClock}. */
  readonly clock?: MonitorClock;
  /** Where the monitor reports its own trouble (and, unless alerts.sinks is given, alert lines). */
  readonly log?: (line: string) => void;
}

/** The monitor's events: every sample, every alert event, and each alert event under its type. */
export type MonitorEvents = { readonly sample: MonitorSample } & { readonly [K in "alert" | AlertEventType]: AlertEvent };

/** What a monitor has done since it was made. */
export interface MonitorStats {
  /** Samples taken. */
  readonly samples: number;
  /** Times sample() threw or gave something unusable. */
  readonly sampleErrors: number;
  /** Alerts raised. */
  readonly alertsRaised: number;
  /** Raises held back by a cooldown. */
  readonly suppressed: number;
  /** Sink sends (and closes) that threw or rejected. */
  readonly sinkErrors: number;
  /** Listeners that threw. */
  readonly listenerErrors: number;
  /** The counters of each sink that has them (a webhook's sent, failed, retried, dropped, queued), by sink name. */
  readonly sinks: Readonly<Record<string, Readonly<Record<string, number>>>>;
}

const OPTION_KEYS: readonly string[] = ["sample", "intervalMs", "thresholds", "alerts", "historySize", "clock", "log"];
const EVENT_NAMES: readonly string[] = ["sample", "alert", "raised", "cleared", "escalated", "deescalated"];

/**
 * Samples a system every `intervalMs`, evaluates the alert rules, and keeps a history.
 *
 * ```ts
 * // createSystem runs one for you (SystemConfig.monitor); your own reads what you give it:
 * const monitor = new PerformanceMonitor({ sample: () => mySampler.sample(), thresholds: { latencyP99Ms: { warning: 10, critical: 50 } }, log: console.log });
 * monitor.addSink(webhookSink({ url: process.env.ALERT_HOOK! }));
 * monitor.start();
 * // … on shutdown:
 * await monitor.stop();
 * ```
 *
 * Alert times (`since`, event `time`, cooldowns) come from the monitor's clock, not from the
 * sample's `time`.
 */
export class PerformanceMonitor {
  private readonly sampler: () => Omit<MonitorSample, "alerts">;
  private readonly intervalMs: number;
  private readonly thresholds: ResolvedThresholds;
  private readonly clearRatio: number;
  private readonly historySize: number;
  private readonly clock: MonitorClock;
  private readonly log: ((line: string) => void) | undefined;
  private readonly tracker: AlertTracker;
  private readonly sinks: SinkSet;
  private readonly events: Emitter<MonitorEvents>;
  private readonly samples: MonitorSample[] = [];
  private timer: unknown;
  private nextDue = 0;
  private state: "idle" | "running" | "stopped" = "idle";
  private stopping: Promise<void> | undefined;
  private counts = { samples: 0, sampleErrors: 0, alertsRaised: 0, listenerErrors: 0 };

  /** @throws TickwireError "ARGUMENT" naming the option at fault (unknown options included) */
  constructor(options: PerformanceMonitorOptions) {
    const o = checkObject<Record<string, unknown>>(options, "PerformanceMonitor: options");
    for (const key of Object.keys(o)) {
      if (!OPTION_KEYS.includes(key)) throw new TickwireError("ARGUMENT", `PerformanceMonitor: unknown option ${describe(key)} (known: ${OPTION_KEYS.join(", ")})`);
    }
    if (typeof o.sample !== "function") throw new TickwireError("ARGUMENT", `PerformanceMonitor: sample must be a function, got ${describe(o.sample)}`);
    if (o.log !== undefined && typeof o.log !== "function") throw new TickwireError("ARGUMENT", `PerformanceMonitor: log must be a function, got ${describe(o.log)}`);
    this.sampler = o.sample as () => Omit<MonitorSample, "alerts">;
    this.log = o.log as ((line: string) => void) | undefined;
    this.intervalMs = checkInt(o.intervalMs ?? 1000, 10, MAX_TIMEOUT_MS, "PerformanceMonitor: intervalMs");
    this.historySize = checkInt(o.historySize ?? 300, 1, 1_000_000, "PerformanceMonitor: historySize");
    this.clock = checkClock(o.clock);
    this.thresholds = resolveThresholds(o.thresholds as PerformanceThresholds | undefined);
    const alerts = resolveAlertConfig(o.alerts as AlertConfig | undefined);
    this.clearRatio = alerts.clearRatio;
    this.tracker = new AlertTracker(alerts);
    this.events = new Emitter<MonitorEvents>((error, event) => {
      this.counts.listenerErrors++;
      this.report(`monitor: a listener of "${event}" threw: ${errorText(error)}`);
    });
    this.sinks = new SinkSet((message) => this.report(message));
    const sinks = alerts.sinks ?? (this.log ? [logSink(this.log)] : []);
    for (const sink of sinks) this.sinks.add(sink);
  }

  /**
   * Starts sampling: the first sample one interval from now. The timer does not keep the
   * process alive by itself. Starting a running monitor does nothing.
   * @throws TickwireError "HANDLE" after {@link stop}: a stopped monitor has closed its sinks
   */
  start(): void {
    if (this.state === "stopped") throw new TickwireError("HANDLE", "PerformanceMonitor.start: the monitor was stopped (its sinks are closed); make a new one");
    if (this.state === "running") return;
    this.state = "running";
    this.nextDue = this.clock.now() + this.intervalMs;
    this.schedule();
  }

  /**
   * Stops sampling and closes the sinks (a webhook delivers what it holds), waiting at most
   * `timeoutMs` (default 5000) for them. Calling it again gives the same promise.
   */
  stop(timeoutMs = 5000): Promise<void> {
    if (this.stopping) return this.stopping;
    const limit = checkTimeout(timeoutMs, "PerformanceMonitor.stop: timeoutMs");
    this.state = "stopped";
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.stopping = this.sinks.close(limit);
    return this.stopping;
  }

  /**
   * Takes one sample now: reads the system, evaluates the rules, sends the alert events,
   * appends the sample (with `alerts` filled in) to the history and emits "sample".
   * @throws TickwireError "FAILED" when sample() throws or returns something that is not a
   *   sample (also reported through `log` and counted in stats().sampleErrors)
   */
  sampleNow(): MonitorSample {
    let events: AlertEvent[];
    let sample: MonitorSample;
    try {
      const now = this.clock.now();
      if (typeof now !== "number" || !Number.isFinite(now)) throw new TickwireError("FAILED", `clock.now() returned ${describe(now)}`);
      const raw = this.sampler();
      if (typeof raw !== "object" || raw === null) throw new TickwireError("FAILED", `sample() returned ${describe(raw)}, not a sample`);
      // Copy, then read the rules: a malformed sample throws here, before any alert state changes.
      const data = { ...raw };
      const readings = readRules(data, this.thresholds, this.clearRatio);
      events = this.tracker.evaluate(readings, now);
      sample = Object.assign(data, { alerts: this.tracker.active() });
    } catch (error) {
      this.counts.sampleErrors++;
      const message = `monitor: sample() failed: ${error instanceof TickwireError ? error.message : errorText(error)}`;
      this.report(message);
      throw new TickwireError("FAILED", message.slice("monitor: ".length));
    }
    this.counts.samples++;
    this.samples.push(sample);
    if (this.samples.length > this.historySize) this.samples.splice(0, this.samples.length - this.historySize);
    for (const event of events) {
      if (event.type === "raised") this.counts.alertsRaised++;
      this.sinks.send(event);
      this.events.emit("alert", event);
      this.events.emit(event.type, event);
    }
    this.events.emit("sample", sample);
    return sample;
  }

  /** The latest sample, if any. */
  latest(): MonitorSample | undefined {
    return this.samples[this.samples.length - 1];
  }

  /** The samples kept, oldest first (at most historySize). */
  history(): readonly MonitorSample[] {
    return this.samples.slice();
  }

  /** The alerts raised now, oldest first. */
  activeAlerts(): readonly AlertSample[] {
    return this.tracker.active();
  }

  /**
   * Listens to "sample" (each sample), "alert" (each alert event) or one alert event type
   * ("raised", "cleared", "escalated", "deescalated"). A listener that throws is reported
   * and counted; the others still run.
   * @returns off: removes the listener
   */
  on<K extends keyof MonitorEvents & string>(name: K, fn: Listener<MonitorEvents[K]>): () => void {
    if (!EVENT_NAMES.includes(name)) throw new TickwireError("ARGUMENT", `PerformanceMonitor.on: unknown event ${describe(name)} (known: ${EVENT_NAMES.join(", ")})`);
    return this.events.on(name, fn);
  }

  /**
   * Adds a sink: every later alert event goes to it too.
   * @throws TickwireError "ARGUMENT": not a sink, or one of that name is already added
   */
  addSink(sink: AlertSink): void {
    this.sinks.add(sink);
  }

  /** Counters since the monitor was made. */
  stats(): MonitorStats {
    return {
      ...this.counts,
      suppressed: this.tracker.suppressed,
      sinkErrors: this.sinks.errors,
      sinks: this.sinks.counters(),
    };
  }

  private schedule(): void {
    const now = this.clock.now();
    // Fixed rate; after a stall (a long GC, a suspended laptop) skip the missed beats rather than burst.
    if (this.nextDue < now) this.nextDue = now;
    this.timer = this.clock.setTimeout(() => this.tick(), this.nextDue - now);
    unref(this.timer);
  }

  private tick(): void {
    this.timer = undefined;
    if (this.state !== "running") return;
    try {
      this.sampleNow();
    } catch {
      // Reported and counted by sampleNow; the timer goes on.
    }
    if (this.state !== "running") return; // a listener stopped the monitor
    this.nextDue += this.intervalMs;
    try {
      this.schedule();
    } catch (error) {
      // Only an injected clock can fail here; a throw from a timer callback would end the process.
      this.state = "idle";
      this.report(`monitor: the clock failed, sampling stopped: ${errorText(error)}`);
    }
  }

  private report(line: string): void {
    try {
      this.log?.(line);
    } catch {
      // A log that throws must not stop the monitor.
    }
  }
}

function checkClock(v: unknown): MonitorClock {
  if (v === undefined) return systemClock;
  const clock = checkObject<Record<string, unknown>>(v, "PerformanceMonitor: clock");
  for (const key of ["now", "setTimeout", "clearTimeout"] as const) {
    if (typeof clock[key] !== "function") throw new TickwireError("ARGUMENT", `PerformanceMonitor: clock.${key} must be a function, got ${describe(clock[key])}`);
  }
  return clock as unknown as MonitorClock;
}

/** Lets the process exit while only this timer is pending (Node, Deno, Bun; a no-op elsewhere). */
function unref(handle: unknown): void {
  if (typeof handle === "object" && handle !== null && typeof (handle as { unref?: unknown }).unref === "function") {
    (handle as { unref(): void }).unref();
  }
}
