// How alerts behave: a rule's readings, sample after sample, become raised / cleared /
// escalated / deescalated events. Three guards against noise: a run of samples before raising
// or clearing (one spike is not an incident), hysteresis (a value hovering at the threshold
// does not flap), and a cooldown after a clear (a recurring problem is not an alert storm).

import { TickwireError } from "../errors.js";
import { checkInt, checkObject, checkTimeout, describe } from "../validate.js";
import type { AlertSample } from "./sample.js";
import { checkSink, type AlertSink } from "./sinks.js";
import type { AlertSeverity, RuleReading } from "./thresholds.js";

/** How alerts behave and where they go. Every field is optional. */
export interface AlertConfig {
  /** Samples in a row past a level before the alert is raised (or escalated). Default 2. */
  readonly raiseAfter?: number;
  /** Samples in a row back past the clear level before the alert clears (or deescalates). Default 3. */
  readonly clearAfter?: number;
  /**
   * Hysteresis, in (0, 1]: an "above" alert clears only below level × clearRatio, a floor
   * alert only above level ÷ clearRatio. Default 0.8.
   */
  readonly clearRatio?: number;
  /**
   * After an alert clears, the same alert (same name: rule and subject) is not raised again
   * before this many ms have passed; a raise due meanwhile is counted as suppressed and made
   * at the first sample after the cooldown if the rule is still past its level. Default 60 000.
   */
  readonly cooldownMs?: number;
  /** Where events go. Default: a {@link logSink} on the monitor's `log` when it has one, else none. */
  readonly sinks?: readonly AlertSink[];
}

/** {@link AlertConfig} checked, with its defaults. */
export interface ResolvedAlertConfig {
  readonly raiseAfter: number;
  readonly clearAfter: number;
  readonly clearRatio: number;
  readonly cooldownMs: number;
  /** Undefined: not given (the monitor picks the default). */
  readonly sinks: readonly AlertSink[] | undefined;
}

/** What happened to an alert. */
export type AlertEventType = "raised" | "cleared" | "escalated" | "deescalated";

/**
 * One change of an alert. `alert.name` is the rule's name, or `rule:subject` for the rules
 * that watch each ring, thread or consumer (e.g. "ringFill:fanout-0",
 * "consumerDetached:ticker#3"); `alert.message` says what is measured, in words.
 * A cleared event carries the alert with the value that cleared it.
 */
export interface AlertEvent {
  readonly type: AlertEventType;
  readonly alert: AlertSample;
  /** ms since the epoch (the monitor's clock). */
  readonly time: number;
}

const CONFIG_KEYS: readonly string[] = ["raiseAfter", "clearAfter", "clearRatio", "cooldownMs", "sinks"];
const MAX_RUN = 1_000_000;

/**
 * Checks `config` (undefined: all defaults).
 * @throws TickwireError "ARGUMENT" naming the field at fault (unknown keys included)
 */
export function resolveAlertConfig(config?: AlertConfig): ResolvedAlertConfig {
  const c = config === undefined ? {} : checkObject<Record<string, unknown>>(config, "alerts");
  for (const key of Object.keys(c)) {
    if (!CONFIG_KEYS.includes(key)) throw new TickwireError("ARGUMENT", `alerts: unknown key ${describe(key)} (known: ${CONFIG_KEYS.join(", ")})`);
  }
  const clearRatio = c.clearRatio ?? 0.8;
  if (typeof clearRatio !== "number" || !(clearRatio > 0 && clearRatio <= 1)) {
    throw new TickwireError("ARGUMENT", `alerts.clearRatio must be a number above 0 and at most 1, got ${describe(clearRatio)}`);
  }
  let sinks: AlertSink[] | undefined;
  if (c.sinks !== undefined) {
    if (!Array.isArray(c.sinks)) throw new TickwireError("ARGUMENT", `alerts.sinks must be an array of sinks, got ${describe(c.sinks)}`);
    sinks = c.sinks.map((s, i) => checkSink(s, `alerts.sinks[${i}]`));
  }
  return Object.freeze({
    raiseAfter: checkInt(c.raiseAfter ?? 2, 1, MAX_RUN, "alerts.raiseAfter"),
    clearAfter: checkInt(c.clearAfter ?? 3, 1, MAX_RUN, "alerts.clearAfter"),
    clearRatio,
    cooldownMs: checkTimeout(c.cooldownMs ?? 60_000, "alerts.cooldownMs"),
    sinks,
  });
}

/** One alert name's state between samples. */
interface AlertState {
  /** Samples in a row past a level (while not raised: toward raising). */
  overRun: number;
  /** Samples in a row past the critical level (toward raising as, or escalating to, critical). */
  criticalRun: number;
  /** Samples in a row past the clear level (toward clearing). */
  clearRun: number;
  /** Samples in a row past the critical level's clear level (toward deescalating). */
  belowCriticalRun: number;
  raised: AlertSample | undefined;
  /** When it last cleared, while its cooldown runs. */
  clearedAt: number | undefined;
  /** A raise was suppressed (and counted) in the current run. */
  suppressedThisRun: boolean;
  /** The message of a clear when its subject leaves the sample. */
  goneMessage: string;
}

/**
 * The alert state machine over rule readings: feed it each sample's readings with
 * {@link evaluate}; it returns the events they cause and keeps the active alerts.
 * @internal (the monitor's)
 */
export class AlertTracker {
  private readonly states = new Map<string, AlertState>();
  private readonly activeAlerts = new Map<string, AlertSample>();
  private suppressedCount = 0;

  constructor(private readonly config: ResolvedAlertConfig) {}

  /** Raises suppressed by a cooldown so far. */
  get suppressed(): number {
    return this.suppressedCount;
  }

  /** The alerts raised now, oldest first (values as of the latest sample). */
  active(): AlertSample[] {
    return [...this.activeAlerts.values()];
  }

  /**
   * Applies one sample's readings (from readRules). An alert whose name has no reading in
   * it (its ring, thread or consumer left the sample) clears at once.
   */
  evaluate(readings: readonly RuleReading[], now: number): AlertEvent[] {
    const events: AlertEvent[] = [];
    const seen = new Set<string>();
    for (const reading of readings) {
      seen.add(reading.name);
      if (!reading.hasData) continue; // no data is neither good nor bad: keep the state
      let state = this.states.get(reading.name);
      if (state === undefined && !reading.over) continue; // nothing to remember (most subjects, most samples)
      if (state === undefined) {
        state = { overRun: 0, criticalRun: 0, clearRun: 0, belowCriticalRun: 0, raised: undefined, clearedAt: undefined, suppressedThisRun: false, goneMessage: "" };
        this.states.set(reading.name, state);
      }
      state.goneMessage = reading.goneMessage;
      const event = state.raised ? this.whileRaised(state, reading, now) : this.whileQuiet(state, reading, now);
      if (event) events.push(event);
    }
    for (const [name, state] of this.states) {
      if (!seen.has(name)) {
        if (state.raised) events.push(this.clear(name, state, Object.freeze({ ...state.raised, message: state.goneMessage }), now));
        resetRuns(state);
      }
      // Forget names with nothing to remember, so churning subjects do not grow the map.
      if (isIdle(state, now, this.config.cooldownMs)) this.states.delete(name);
    }
    return events;
  }

  private whileQuiet(state: AlertState, r: RuleReading, now: number): AlertEvent | undefined {
    state.overRun = r.over ? state.overRun + 1 : 0;
    state.criticalRun = r.over === "critical" ? state.criticalRun + 1 : 0;
    if (!r.over) state.suppressedThisRun = false;
    if (state.overRun < this.config.raiseAfter) return undefined;
    if (state.clearedAt !== undefined && now - state.clearedAt < this.config.cooldownMs) {
      if (!state.suppressedThisRun) this.suppressedCount++;
      state.suppressedThisRun = true;
      return undefined;
    }
    // Critical only when the whole run was (a rule with no warning level always is).
    const severity: AlertSeverity = state.criticalRun >= this.config.raiseAfter ? "critical" : "warning";
    const alert = toAlert(r, severity, now);
    state.raised = alert;
    state.clearedAt = undefined;
    state.suppressedThisRun = false;
    state.clearRun = 0;
    state.belowCriticalRun = 0;
    this.activeAlerts.set(r.name, alert);
    return { type: "raised", alert, time: now };
  }

  private whileRaised(state: AlertState, r: RuleReading, now: number): AlertEvent | undefined {
    const raised = state.raised!;
    state.criticalRun = r.over === "critical" ? state.criticalRun + 1 : 0;
    state.clearRun = r.standing === "clear" ? state.clearRun + 1 : 0;
    state.belowCriticalRun = r.standing !== "held" ? state.belowCriticalRun + 1 : 0;
    if (state.clearRun >= this.config.clearAfter) return this.clear(r.name, state, toAlert(r, raised.severity, raised.since), now);
    let severity = raised.severity;
    let type: AlertEventType | undefined;
    if (severity === "warning" && state.criticalRun >= this.config.raiseAfter) {
      severity = "critical";
      type = "escalated";
      state.belowCriticalRun = 0;
    } else if (severity === "critical" && state.belowCriticalRun >= this.config.clearAfter) {
      // Reached only through "belowCritical" readings, which need a warning level below critical.
      severity = "warning";
      type = "deescalated";
      state.criticalRun = 0;
    }
    // The active alert follows the value; only a change of severity is an event.
    const alert = toAlert(r, severity, raised.since);
    state.raised = alert;
    this.activeAlerts.set(r.name, alert);
    return type ? { type, alert, time: now } : undefined;
  }

  private clear(name: string, state: AlertState, alert: AlertSample, now: number): AlertEvent {
    state.raised = undefined;
    state.clearedAt = now;
    resetRuns(state);
    this.activeAlerts.delete(name);
    return { type: "cleared", alert, time: now };
  }
}

function toAlert(r: RuleReading, severity: AlertSeverity, since: number): AlertSample {
  return Object.freeze({ name: r.name, severity, message: r.message(severity), value: r.value, threshold: r.threshold(severity), since });
}

function resetRuns(state: AlertState): void {
  state.overRun = 0;
  state.criticalRun = 0;
  state.clearRun = 0;
  state.belowCriticalRun = 0;
  state.suppressedThisRun = false;
}

function isIdle(state: AlertState, now: number, cooldownMs: number): boolean {
  return state.raised === undefined && state.overRun === 0 && state.criticalRun === 0
    && (state.clearedAt === undefined || now - state.clearedAt >= cooldownMs);
}
