// What raises an alert: the thresholds a user sets, checked once at construction, and the
// rules that read a MonitorSample against them. Each rule gives one reading per subject (the
// whole system, a ring, a thread, a consumer) saying how far the value is from its levels;
// alerts.ts turns a run of readings into raised / cleared alerts.

import { TickwireError } from "../errors.js";
import { checkObject, describe } from "../validate.js";
import { LATENCY_STAGES, type LatencyStage, type MonitorSample } from "./sample.js";

/** How bad an alert is. */
export type AlertSeverity = "warning" | "critical";

/** A threshold: a number (the warning level) or both levels (either may be left out). */
export type ThresholdLevels = number | { readonly warning?: number; readonly critical?: number };

/**
 * The thresholds that raise alerts. Every one is optional: left out (or `undefined`), its
 * rule is off. Unknown keys are refused, so a typo never silently disables a rule.
 *
 * "Above" rules alert when the value is above the level (critical ≥ warning); the floor rule
 * (`throughputFloorPerSecond`) when it is below (critical ≤ warning).
 */
export interface PerformanceThresholds {
  /** p99 latency of {@link latencyStage}, ms (rule `latencyP99`). An interval with no ticks at that stage is not evaluated. */
  readonly latencyP99Ms?: ThresholdLevels;
  /** The stage `latencyP99Ms` watches. Default "client". */
  readonly latencyStage?: LatencyStage;
  /** Ticks in per second, a floor (rule `throughputFloor`); evaluated only while the feed is connected. */
  readonly throughputFloorPerSecond?: ThresholdLevels;
  /** Any ring's fill, 0..1 (rule `ringFill:<ring>`, one alert per ring). */
  readonly ringFill?: ThresholdLevels;
  /** The interval's drop rate, 0..1 (rule `dropRate`). */
  readonly dropRate?: ThresholdLevels;
  /** Age of the last tick while something is subscribed, ms (rule `staleness`); evaluated only while the feed is connected. */
  readonly stalenessMs?: ThresholdLevels;
  /** Any live thread's event-loop delay p99, ms (rule `loopDelay:<thread>`). */
  readonly loopDelayMs?: ThresholdLevels;
  /** How long any consumer has held the feed back, ms (rule `consumerHolding:<name>#<id>`). */
  readonly consumerHoldingMs?: ThresholdLevels;
}

/** One rule's levels after checking: at least one is set. */
export interface ResolvedLevels {
  readonly warning: number | undefined;
  readonly critical: number | undefined;
}

/** {@link PerformanceThresholds} checked: rules left out are `undefined`. */
export interface ResolvedThresholds {
  readonly latencyStage: LatencyStage;
  readonly latencyP99Ms: ResolvedLevels | undefined;
  readonly throughputFloorPerSecond: ResolvedLevels | undefined;
  readonly ringFill: ResolvedLevels | undefined;
  readonly dropRate: ResolvedLevels | undefined;
  readonly stalenessMs: ResolvedLevels | undefined;
  readonly loopDelayMs: ResolvedLevels | undefined;
  readonly consumerHoldingMs: ResolvedLevels | undefined;
}

/** Every rule's name (the part of an alert name before any `:subject`). */
export type RuleName =
  | "latencyP99" | "throughputFloor" | "ringFill" | "dropRate" | "staleness"
  | "loopDelay" | "threadDown" | "consumerHolding" | "consumerDetached";

type LevelKey = Exclude<keyof PerformanceThresholds, "latencyStage">;

/** The numeric thresholds, with their range and direction. */
const LEVEL_RULES: Readonly<Record<LevelKey, { readonly max: number; readonly floor: boolean }>> = {
  latencyP99Ms: { max: Infinity, floor: false },
  throughputFloorPerSecond: { max: Infinity, floor: true },
  ringFill: { max: 1, floor: false },
  dropRate: { max: 1, floor: false },
  stalenessMs: { max: Infinity, floor: false },
  loopDelayMs: { max: Infinity, floor: false },
  consumerHoldingMs: { max: Infinity, floor: false },
};

/**
 * Checks `thresholds` (undefined: every rule off) and resolves each level.
 * @throws TickwireError "ARGUMENT" naming the key at fault: an unknown key, a level that is
 *   not a finite number ≥ 0 (fractions: 0..1), critical on the wrong side of warning.
 */
export function resolveThresholds(thresholds?: PerformanceThresholds): ResolvedThresholds {
  const t = thresholds === undefined ? {} : checkObject<Record<string, unknown>>(thresholds, "thresholds");
  for (const key of Object.keys(t)) {
    if (key !== "latencyStage" && !Object.hasOwn(LEVEL_RULES, key)) {
      throw new TickwireError("ARGUMENT", `thresholds: unknown key ${describe(key)} (known: latencyStage, ${Object.keys(LEVEL_RULES).join(", ")})`);
    }
  }
  const stage = t.latencyStage ?? "client";
  if (!LATENCY_STAGES.includes(stage as LatencyStage)) {
    throw new TickwireError("ARGUMENT", `thresholds.latencyStage must be "ring", "consumer" or "client", got ${describe(stage)}`);
  }
  const levels = (key: LevelKey): ResolvedLevels | undefined => resolveLevels(t[key], key, LEVEL_RULES[key].max, LEVEL_RULES[key].floor);
  return Object.freeze({
    latencyStage: stage as LatencyStage,
    latencyP99Ms: levels("latencyP99Ms"),
    throughputFloorPerSecond: levels("throughputFloorPerSecond"),
    ringFill: levels("ringFill"),
    dropRate: levels("dropRate"),
    stalenessMs: levels("stalenessMs"),
    loopDelayMs: levels("loopDelayMs"),
    consumerHoldingMs: levels("consumerHoldingMs"),
  });
}

function resolveLevels(v: unknown, key: string, max: number, floor: boolean): ResolvedLevels | undefined {
  if (v === undefined) return undefined;
  if (typeof v === "number") return Object.freeze({ warning: checkLevel(v, `thresholds.${key}`, max), critical: undefined });
  const o = checkObject<Record<string, unknown>>(v, `thresholds.${key}`);
  for (const k of Object.keys(o)) {
    if (k !== "warning" && k !== "critical") throw new TickwireError("ARGUMENT", `thresholds.${key}: unknown key ${describe(k)} (known: warning, critical)`);
  }
  const warning = o.warning === undefined ? undefined : checkLevel(o.warning, `thresholds.${key}.warning`, max);
  const critical = o.critical === undefined ? undefined : checkLevel(o.critical, `thresholds.${key}.critical`, max);
  if (warning === undefined && critical === undefined) throw new TickwireError("ARGUMENT", `thresholds.${key} must give warning, critical or both`);
  if (warning !== undefined && critical !== undefined && (floor ? critical > warning : critical < warning)) {
    throw new TickwireError("ARGUMENT", `thresholds.${key}: critical (${critical}) must be ${floor ? "at or below" : "at or above"} warning (${warning})`);
  }
  return Object.freeze({ warning, critical });
}

function checkLevel(v: unknown, what: string, max: number): number {
  if (typeof v !== "number" || !Number.isFinite(v) || v < 0 || v > max) {
    throw new TickwireError("ARGUMENT", `${what} must be a finite number from 0${max === Infinity ? "" : ` to ${max}`}, got ${describe(v)}`);
  }
  return v;
}

// ───────────────────────────── readings ─────────────────────────────

/** Where a reading's value stands against its clear levels (hysteresis). */
export type ClearStanding =
  /** Past the clear level of the lowest level set: the alert may clear. */
  | "clear"
  /** Past the critical level's clear level only: a critical alert may drop back to warning. */
  | "belowCritical"
  /** Between a clear level and its level: keeps the alert as it is. */
  | "held";

/** One rule's verdict on one subject in one sample. */
export interface RuleReading {
  readonly rule: RuleName;
  /** The alert's name: `rule`, or `rule:subject` for rules per ring, thread or consumer. */
  readonly name: string;
  /** False when the sample has nothing to judge by (no ticks at the stage, feed disconnected, thread down): the alert keeps its state. */
  readonly hasData: boolean;
  readonly value: number;
  /** The highest level the value is past (undefined: none). */
  readonly over: AlertSeverity | undefined;
  readonly standing: ClearStanding;
  /** The level of `severity` (flag rules: 1). */
  threshold(severity: AlertSeverity): number;
  /** A human line for an alert of `severity` at this value (without the name). */
  message(severity: AlertSeverity): string;
  /** The line for an alert whose subject left the sample. */
  readonly goneMessage: string;
}

/**
 * Reads every enabled rule off `sample` (its `alerts` field is ignored), one reading per
 * subject; several subjects with one name give the worst of them. @internal (the monitor's)
 * @param clearRatio - the hysteresis ratio (see AlertConfig.clearRatio)
 * @throws TickwireError "FAILED" when a list is not an array, TypeError when `sample` lacks a
 *   field an enabled rule reads (the monitor reports either as a failed sample)
 */
export function readRules(sample: Omit<MonitorSample, "alerts">, t: ResolvedThresholds, clearRatio: number): RuleReading[] {
  const out = new Map<string, RuleReading>();
  const put = (r: RuleReading): void => {
    const prev = out.get(r.name);
    if (prev === undefined || worse(r, prev)) out.set(r.name, r);
  };
  const connected = sample.feed.connected === true;

  if (t.latencyP99Ms) {
    const stage = t.latencyStage;
    const l = sample.latency[stage];
    put(levelReading("latencyP99", "latencyP99", t.latencyP99Ms, false, clearRatio, l.p99Ms, l.count > 0,
      (v, th) => `${stage} p99 ${ms(v)} ${compare(v, th)} ${ms(th)}`, ""));
  }
  if (t.throughputFloorPerSecond) {
    put(levelReading("throughputFloor", "throughputFloor", t.throughputFloorPerSecond, true, clearRatio, sample.rates.ticksInPerSecond, connected,
      (v, th) => `ticks in ${num(v)}/s ${compare(v, th)} floor ${num(th)}/s`, ""));
  }
  if (t.ringFill) {
    for (const ring of list(sample.rings, "rings")) {
      put(levelReading("ringFill", `ringFill:${ring.name}`, t.ringFill, false, clearRatio, ring.fill, true,
        (v, th) => `ring ${ring.name} fill ${percent(v)} ${compare(v, th)} ${percent(th)}`, `ring ${ring.name} is gone`));
    }
  }
  if (t.dropRate) {
    put(levelReading("dropRate", "dropRate", t.dropRate, false, clearRatio, sample.dropRate, true,
      (v, th) => `drop rate ${percent(v)} ${compare(v, th)} ${percent(th)}`, ""));
  }
  if (t.stalenessMs) {
    put(levelReading("staleness", "staleness", t.stalenessMs, false, clearRatio, sample.feed.lastTickAgeMs, connected,
      (v, th) => v === Infinity ? `no tick since something was subscribed (limit ${ms(th)})` : `last tick ${ms(v)} ago ${compare(v, th)} ${ms(th)}`, ""));
  }
  for (const thread of list(sample.threads, "threads")) {
    if (t.loopDelayMs) {
      // A dead thread's loop delay is stale: threadDown speaks for it.
      put(levelReading("loopDelay", `loopDelay:${thread.name}`, t.loopDelayMs, false, clearRatio, thread.loopDelayP99Ms, thread.alive !== false,
        (v, th) => `thread ${thread.name} loop delay p99 ${ms(v)} ${compare(v, th)} ${ms(th)}`, `thread ${thread.name} is gone`));
    }
    put(flagReading("threadDown", `threadDown:${thread.name}`, "critical", thread.alive === false,
      `thread ${thread.name} is down (last beat ${ms(thread.lastBeatAgeMs)} ago)`, `thread ${thread.name} is alive`, `thread ${thread.name} is gone`));
  }
  for (const consumer of list(sample.consumers, "consumers")) {
    if (consumer.state === "closed") continue; // as good as gone: its alerts clear
    const label = `${consumer.name}#${consumer.id}`;
    if (t.consumerHoldingMs) {
      put(levelReading("consumerHolding", `consumerHolding:${label}`, t.consumerHoldingMs, false, clearRatio, consumer.holdingFeedMs, true,
        (v, th) => `consumer ${label} holding the feed ${ms(v)} ${compare(v, th)} ${ms(th)}`, `consumer ${label} is closed or gone`));
    }
    put(flagReading("consumerDetached", `consumerDetached:${label}`, "warning", consumer.state === "detached",
      `consumer ${label} is detached`, `consumer ${label} is ${consumer.state}`, `consumer ${label} is closed or gone`));
  }
  return [...out.values()];
}

/** `v` if it is an array: a string or a Map would iterate without error, into nonsense. */
function list<T>(v: readonly T[], what: string): readonly T[] {
  if (!Array.isArray(v)) throw new TickwireError("FAILED", `sample.${what} is ${describe(v)}, not an array`);
  return v;
}

/** Of two readings with one name: the one with data, then the one further past its levels. */
function worse(a: RuleReading, b: RuleReading): boolean {
  if (a.hasData !== b.hasData) return a.hasData;
  return a.rule === "throughputFloor" ? a.value < b.value : a.value > b.value;
}

/** A reading of a numeric rule; `floor` rules alert below their levels. NaN counts as no data. */
function levelReading(
  rule: RuleName, name: string, levels: ResolvedLevels, floor: boolean, clearRatio: number, raw: unknown, hasData: boolean,
  text: (value: number, threshold: number) => string, goneMessage: string,
): RuleReading {
  const value = typeof raw === "number" ? raw : NaN;
  const data = hasData && !Number.isNaN(value);
  const past = (level: number | undefined): boolean => level !== undefined && (floor ? value < level : value > level);
  // Hysteresis: back only once past the level scaled by clearRatio (below for "above" rules, above for floors).
  // (A level of 0 clears at 0, or an "any drop" alert could never clear.)
  const back = (level: number | undefined): boolean =>
    level === undefined || (floor ? value > level / clearRatio : value < level * clearRatio || (level === 0 && value <= 0));
  const lowest = levels.warning ?? (levels.critical as number);
  const threshold = (severity: AlertSeverity): number => (severity === "critical" ? levels.critical : levels.warning) ?? lowest;
  return {
    rule, name, hasData: data, value,
    over: !data ? undefined : past(levels.critical) ? "critical" : past(levels.warning) ? "warning" : undefined,
    standing: !data ? "held" : back(lowest) ? "clear" : back(levels.critical) ? "belowCritical" : "held",
    threshold,
    message: (severity) => text(value, threshold(severity)),
    goneMessage,
  };
}

/** A reading of an on/off rule: value 1 while its condition holds, 0 once not; threshold 1. */
function flagReading(rule: RuleName, name: string, severity: AlertSeverity, on: boolean, onText: string, offText: string, goneMessage: string): RuleReading {
  return {
    rule, name, hasData: true, value: on ? 1 : 0,
    over: on ? severity : undefined,
    standing: on ? "held" : "clear",
    threshold: () => 1,
    message: () => (on ? onText : offText),
    goneMessage,
  };
}

// Numbers in messages: a few significant digits, no trailing zeros.
function num(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const digits = Math.abs(v) >= 100 ? 0 : Math.abs(v) >= 10 ? 1 : 2;
  return String(Number(v.toFixed(digits)));
}
const ms = (v: number): string => `${num(v)} ms`;
const percent = (v: number): string => `${num(v * 100)}%`;
const compare = (v: number, threshold: number): string => (v > threshold ? ">" : v < threshold ? "<" : "=");
