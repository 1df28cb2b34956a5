// The monitor's HTTP routes (the Node edge): /metrics, /health, /stats and /dashboard, as a
// handler the proxy's HTTP server tries before answering anything else itself.
//
//   GET {prefix}/metrics          Prometheus text format 0.0.4
//   GET {prefix}/health           HealthReport JSON; 200 when ready, else 503
//   GET {prefix}/health/live      200 while the latest sample is fresh, else 503
//   GET {prefix}/health/ready     200 when ready, else 503
//   GET {prefix}/stats            the latest sample as JSON (503 before the first)
//   GET {prefix}/stats/history    { samples: [...] }, oldest first; ?since=<ms> keeps newer ones
//   GET {prefix}/dashboard[/]     the live dashboard page

import type { IncomingMessage, ServerResponse } from "node:http";
import { TickwireError } from "../errors.js";
import { describe } from "../validate.js";
import { DASHBOARD_HTML } from "./dashboard.js";
import { evaluateHealth, type Readiness } from "./health.js";
import { createMonitorRegistry } from "./prometheus.js";
import type { MonitorSample } from "./sample.js";

/** Where the routes read the monitor's samples; the system implements it. */
export interface MonitorSource {
  /** The most recent sample (alerts filled in), or undefined before the first. */
  latest(): MonitorSample | undefined;
  /** Recent samples, oldest first, bounded (~300). */
  history(): readonly MonitorSample[];
  /** Extra readiness facts the sample doesn't carry. */
  readiness?(): Readiness;
}

/** Options of {@link createMonitorRoutes}. */
export interface MonitorRoutesOptions {
  /** Path the routes sit under, e.g. "/monitor": "" or "/" followed by path characters, no trailing "/". Default "". */
  readonly prefix?: string;
  /** The monitor's sampling interval, ms, for /health's staleness (see evaluateHealth). Default: taken from the samples. */
  readonly intervalMs?: number;
  /** Include the process metrics (CPU, memory, event loop, GC) in /metrics. Default true. */
  readonly processMetrics?: boolean;
}

/** Answers a request and returns true when it is one of the monitor's paths, else returns false and leaves it alone. */
export type MonitorRouteHandler = (req: IncomingMessage, res: ServerResponse) => boolean;

interface Reply {
  readonly status: number;
  readonly type: string;
  readonly body: string;
  readonly headers?: Readonly<Record<string, string>>;
}

type Route = (query: URLSearchParams) => Reply | Promise<Reply>;

const JSON_TYPE = "application/json; charset=utf-8";
const TEXT_TYPE = "text/plain; charset=utf-8";
const ALLOW = "GET, HEAD";
// The page is self-contained: this forbids it any URL but its own origin's (no CDN, offline-safe).
const DASHBOARD_CSP = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'";
const PREFIX = /^(\/[A-Za-z0-9._~!$&'()*+,;=:@%-]+)*$/;

/**
 * The monitor's HTTP routes over `source`, as a handler for a `node:http` server: it answers
 * GET and HEAD on its paths (405 with Allow for other methods) and returns true, or returns
 * false for any other path. An exception from the source becomes a 500 with a plain message;
 * the handler itself never throws.
 *
 * Each call makes its own Prometheus registry: several instances share nothing but the
 * process metrics (made once per process).
 *
 * @param source - where the samples come from
 * @param options - see {@link MonitorRoutesOptions}
 * @throws TickwireError ARGUMENT when `source` lacks latest()/history() (or readiness is not a function) or an option is malformed
 */
export function createMonitorRoutes(source: MonitorSource, options?: MonitorRoutesOptions): MonitorRouteHandler {
  checkSource(source);
  const { prefix, intervalMs, processMetrics } = checkRoutesOptions(options);
  const registry = createMonitorRegistry(() => source.latest(), { processMetrics });
  const healthOptions = intervalMs === undefined ? undefined : { intervalMs };
  const health = () => evaluateHealth(source.latest(), source.readiness?.(), Date.now(), healthOptions);

  const routes = new Map<string, Route>([
    ["/metrics", async () => ({ status: 200, type: registry.contentType, body: await registry.metrics() })],
    ["/health", () => {
      const report = health();
      return json(report.ready ? 200 : 503, report);
    }],
    ["/health/live", () => {
      const { live, reasons } = health();
      return json(live ? 200 : 503, { live, reasons });
    }],
    ["/health/ready", () => {
      const { ready, reasons } = health();
      return json(ready ? 200 : 503, { ready, reasons });
    }],
    ["/stats", () => {
      const sample = source.latest();
      return sample === undefined ? json(503, { error: "no monitor sample yet" }) : json(200, sample);
    }],
    ["/stats/history", (query) => {
      const since = sinceParameter(query.get("since"));
      if (since === "invalid") return { status: 400, type: TEXT_TYPE, body: "since must be a time in ms since the epoch\n" };
      const samples = source.history();
      return json(200, { samples: since === undefined ? samples : samples.filter((s) => typeof s?.time === "number" && s.time > since) });
    }],
    ["/dashboard", () => ({ status: 200, type: "text/html; charset=utf-8", body: DASHBOARD_HTML, headers: { "content-security-policy": DASHBOARD_CSP } })],
  ]);
  routes.set("/dashboard/", routes.get("/dashboard")!);

  return (req, res) => {
    const url = typeof req?.url === "string" ? req.url : "";
    const q = url.indexOf("?");
    const path = q < 0 ? url : url.slice(0, q);
    if (!path.startsWith(prefix)) return false;
    const route = routes.get(path.slice(prefix.length));
    if (route === undefined) return false;
    const head = req.method === "HEAD";
    if (req.method !== "GET" && !head) {
      send(res, { status: 405, type: TEXT_TYPE, body: `${req.method} not allowed: use GET or HEAD\n`, headers: { allow: ALLOW } }, head);
      return true;
    }
    let reply: Reply | Promise<Reply>;
    try {
      reply = route(new URLSearchParams(q < 0 ? "" : url.slice(q + 1)));
    } catch (e) {
      reply = failure(e);
    }
    if (reply instanceof Promise) reply.then((r) => send(res, r, head), (e) => send(res, failure(e), head));
    else send(res, reply, head);
    return true;
  };
}

function checkSource(source: MonitorSource): void {
  const s = source as unknown as Record<string, unknown> | null;
  if (typeof s !== "object" || s === null) throw new TickwireError("ARGUMENT", `createMonitorRoutes: source must be an object, got ${describe(source)}`);
  for (const name of ["latest", "history"]) {
    if (typeof s[name] !== "function") throw new TickwireError("ARGUMENT", `createMonitorRoutes: source.${name} must be a function, got ${describe(s[name])}`);
  }
  if (s.readiness !== undefined && typeof s.readiness !== "function") {
    throw new TickwireError("ARGUMENT", `createMonitorRoutes: source.readiness must be a function or undefined, got ${describe(s.readiness)}`);
  }
}

function checkRoutesOptions(options: MonitorRoutesOptions | undefined): { prefix: string; intervalMs: number | undefined; processMetrics: boolean } {
  if (options !== undefined && (typeof options !== "object" || options === null || Array.isArray(options))) {
    throw new TickwireError("ARGUMENT", `createMonitorRoutes: options must be an object, got ${describe(options)}`);
  }
  const { prefix = "", intervalMs, processMetrics = true } = options ?? {};
  if (typeof prefix !== "string" || !PREFIX.test(prefix)) {
    throw new TickwireError("ARGUMENT", `createMonitorRoutes: options.prefix must be "" or a path like "/monitor" (no trailing "/", no query), got ${describe(prefix)}`);
  }
  if (intervalMs !== undefined && !(typeof intervalMs === "number" && Number.isFinite(intervalMs) && intervalMs > 0)) {
    throw new TickwireError("ARGUMENT", `createMonitorRoutes: options.intervalMs must be a finite number of ms above 0, got ${describe(intervalMs)}`);
  }
  if (typeof processMetrics !== "boolean") {
    throw new TickwireError("ARGUMENT", `createMonitorRoutes: options.processMetrics must be a boolean, got ${describe(processMetrics)}`);
  }
  return { prefix, intervalMs, processMetrics };
}

/** ?since: absent → undefined; a finite number → it; anything else → "invalid". */
function sinceParameter(v: string | null): number | undefined | "invalid" {
  if (v === null) return undefined;
  const n = v.trim() === "" ? NaN : Number(v);
  return Number.isFinite(n) ? n : "invalid";
}

function json(status: number, value: unknown): Reply {
  return { status, type: JSON_TYPE, body: `${JSON.stringify(value, jsonSafe)}\n` };
}

// JSON.stringify already writes Infinity and NaN as null; a bigint (which it refuses) as a number.
function jsonSafe(_key: string, v: unknown): unknown {
  return typeof v === "bigint" ? Number(v) : v;
}

function failure(e: unknown): Reply {
  const message = e instanceof Error ? String(e.message) : describe(e);
  return { status: 500, type: TEXT_TYPE, body: `monitor failed: ${message.slice(0, 500)}\n` };
}

function send(res: ServerResponse, reply: Reply, head: boolean): void {
  if (res.headersSent || res.destroyed) {
    res.end();
    return;
  }
  res.writeHead(reply.status, {
    "content-type": reply.type,
    "content-length": Buffer.byteLength(reply.body),
    "cache-control": "no-store",
    ...reply.headers,
  });
  res.end(head ? undefined : reply.body);
}
