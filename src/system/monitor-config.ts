// The system's monitor settings (SystemConfig.monitor): checked in one place, so that
// createSystem and a config file (loadConfig) refuse the same things with the same words, each
// message starting with the field's path ("monitor.thresholds.ringFill …").
import { TickwireError } from "../errors.js";
import { resolveThresholds, type PerformanceThresholds } from "../monitor/thresholds.js";
import { resolveAlertConfig, type AlertConfig } from "../monitor/alerts.js";
import { webhookSink, type WebhookSinkOptions } from "../monitor/webhook.js";
import { checkInt, checkObject, describe } from "../validate.js";

/** A webhook that gets every alert event: its URL, or its options (what a file can hold). */
export type MonitorWebhook = string | Pick<WebhookSinkOptions, "url" | "headers" | "timeoutMs" | "retries" | "backoffMs" | "maxBackoffMs" | "queueLimit">;

/** The system's performance monitor. */
export interface SystemMonitorConfig {
  /** ms between samples. Default 1000. */
  intervalMs?: number;
  /** What raises alerts. Default {@link DEFAULT_THRESHOLDS}. */
  thresholds?: PerformanceThresholds;
  /** Hysteresis, cooldown and sinks (default sinks: alert lines to the system's `log`, and `webhook`). */
  alerts?: AlertConfig;
  /** POST every alert event to this webhook (with retries; its URL and headers are never logged). */
  webhook?: MonitorWebhook;
  /** Samples kept for the dashboard. Default 300. */
  historySize?: number;
  /** Serve /metrics, /health, /stats and /dashboard on the proxy's port. Default true. */
  http?: boolean;
}

/** Thresholds a system alerts on unless told otherwise: the design's p99 < 10 ms to a client, and signs of trouble. */
export const DEFAULT_THRESHOLDS: PerformanceThresholds = Object.freeze({
  latencyP99Ms: { warning: 10, critical: 100 },
  ringFill: { warning: 0.5, critical: 0.9 },
  dropRate: { warning: 0.01, critical: 0.1 },
  stalenessMs: { warning: 5000, critical: 30_000 },
  loopDelayMs: { warning: 50, critical: 500 },
  consumerHoldingMs: { warning: 250, critical: 1000 },
});

const KEYS = ["intervalMs", "thresholds", "alerts", "webhook", "historySize", "http"];

/**
 * Checks `config` (false: no monitor) and fills in defaults.
 * @throws TickwireError "ARGUMENT" whose message starts with the field at fault ("monitor.intervalMs …")
 */
export function resolveMonitorConfig(config: SystemMonitorConfig | false | undefined): Required<Omit<SystemMonitorConfig, "webhook" | "alerts">> & Pick<SystemMonitorConfig, "webhook" | "alerts"> | undefined {
  if (config === false) return undefined;
  const c = config === undefined ? {} : checkObject<Record<string, unknown>>(config, "monitor");
  for (const key of Object.keys(c)) {
    if (!KEYS.includes(key)) throw new TickwireError("ARGUMENT", `monitor.${key} is not a setting (settings: ${KEYS.join(", ")})`);
  }
  const thresholds = (c.thresholds ?? DEFAULT_THRESHOLDS) as PerformanceThresholds;
  prefixed(() => resolveThresholds(thresholds));
  if (c.alerts !== undefined) prefixed(() => resolveAlertConfig(c.alerts as AlertConfig));
  if (c.webhook !== undefined) checkWebhook(c.webhook);
  if (c.http !== undefined && typeof c.http !== "boolean") throw new TickwireError("ARGUMENT", `monitor.http must be true or false, got ${describe(c.http)}`);
  return {
    intervalMs: checkInt(c.intervalMs ?? 1000, 10, 3_600_000, "monitor.intervalMs"),
    historySize: checkInt(c.historySize ?? 300, 1, 1_000_000, "monitor.historySize"),
    http: (c.http as boolean | undefined) ?? true,
    thresholds,
    ...(c.alerts !== undefined ? { alerts: c.alerts as AlertConfig } : {}),
    ...(c.webhook !== undefined ? { webhook: c.webhook as MonitorWebhook } : {}),
  };
}

/** The webhook's sink options (its failures told to `log`). */
export function webhookOptions(webhook: MonitorWebhook, log: ((line: string) => void) | undefined): WebhookSinkOptions {
  const base = typeof webhook === "string" ? { url: webhook } : webhook;
  return { ...base, ...(log ? { onError: log } : {}) };
}

// Validators of the monitor's parts name their own fields ("thresholds.ringFill …"): said under "monitor.".
function prefixed(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    if (e instanceof TickwireError) throw new TickwireError(e.code, `monitor.${e.message}`);
    throw e;
  }
}

function checkWebhook(v: unknown): void {
  if (typeof v !== "string" && (typeof v !== "object" || v === null || Array.isArray(v))) {
    throw new TickwireError("ARGUMENT", `monitor.webhook must be a URL or { url, headers?, timeoutMs?, retries?, backoffMs?, maxBackoffMs?, queueLimit? }, got ${typeof v}`);
  }
  if (typeof v === "object") {
    for (const key of Object.keys(v)) {
      if (!["url", "headers", "timeoutMs", "retries", "backoffMs", "maxBackoffMs", "queueLimit"].includes(key)) throw new TickwireError("ARGUMENT", `monitor.webhook.${key} is not a setting`);
    }
  }
  try {
    webhookSink(webhookOptions(v as MonitorWebhook, undefined)); // checks it; sends nothing until an event
  } catch (e) {
    if (e instanceof TickwireError) throw new TickwireError(e.code, `monitor.webhook: ${e.message.replace(/^webhookSink: /, "")}`);
    throw e;
  }
}
