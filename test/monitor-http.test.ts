// The monitor's HTTP routes (src/monitor/http.ts) on a real node:http server, over synthetic
// samples: /metrics read back by the reference Python client's parser and linted by
// `promtool check metrics`; /health's status codes and reasons; /stats and its history; HEAD,
// 405, 404 (not ours), 500 on a broken source. Then evaluateHealth's cases without HTTP.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createServer, type Server } from "node:http";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { TickwireError } from "../src/errors.js";
import { createMonitorRoutes, type MonitorRouteHandler, type MonitorSource } from "../src/monitor/http.js";
import { evaluateHealth, type HealthReport } from "../src/monitor/health.js";
import type { AlertSample, MonitorSample } from "../src/monitor/sample.js";
import { fixedSource, syntheticSample, SyntheticMonitorSource, LATENCY_BOUNDS } from "./helpers/sample-source.js";
import { byName, parseWithPython, promtoolCheck, type ParsedFamily } from "./helpers/exposition.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const ALLOWED_LABELS = new Set(["stage", "ring", "kind", "worker", "thread", "consumer", "policy", "severity", "alertname", "le"]);
const WARNING: AlertSample = { name: "dropRate", severity: "warning", message: "drop rate 2.1 % above 1 %", value: 0.021, threshold: 0.01, since: Date.now() - 5000 };
const CRITICAL: AlertSample = { name: "latencyP99", severity: "critical", message: "client p99 250 ms above 100 ms", value: 250, threshold: 100, since: Date.now() - 2000 };

/** A node:http server answering with `handler`, or 404 for what it leaves alone. */
async function serve(handler: MonitorRouteHandler): Promise<{ url: string; server: Server; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    if (!handler(req, res)) res.writeHead(404, { "content-type": "text/plain" }).end("not a monitor path\n");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

/** Serves `source`'s routes for the length of `fn`. */
async function withRoutes(source: MonitorSource, fn: (url: string) => Promise<void>, options?: Parameters<typeof createMonitorRoutes>[1]): Promise<void> {
  const http = await serve(createMonitorRoutes(source, options));
  try {
    await fn(http.url);
  } finally {
    await http.close();
  }
}

async function getText(url: string, init?: RequestInit): Promise<{ status: number; headers: Headers; text: string }> {
  const r = await fetch(url, init);
  return { status: r.status, headers: r.headers, text: await r.text() };
}

async function getJson<T = any>(url: string): Promise<{ status: number; body: T; headers: Headers }> {
  const r = await getText(url);
  assert.match(r.headers.get("content-type") ?? "", /^application\/json/, url);
  return { status: r.status, body: JSON.parse(r.text) as T, headers: r.headers };
}

function family(families: Map<string, ParsedFamily>, name: string, type: string): ParsedFamily {
  const f = families.get(name);
  assert.ok(f, `no family ${name} (have: ${[...families.keys()].join(", ")})`);
  assert.is(f!.type, type, `${name}'s type`);
  return f!;
}

function only(f: ParsedFamily, labels: Record<string, string> = {}): number | string {
  const matches = f.samples.filter((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  assert.is(matches.length, 1, `${f.name}${JSON.stringify(labels)}: ${matches.length} samples`);
  return matches[0]!.value;
}

// ---------------------------------------------------------------------------------------------
// /metrics

test("/metrics: Prometheus text 0.0.4 that the reference Python parser reads back with every tickwire metric, its type, labels and values", async () => {
  const sample = { ...syntheticSample(8, Date.now(), [WARNING, CRITICAL]), feed: { broker: "simulated", state: "connecting", connected: false, lastTickAgeMs: Infinity } };
  await withRoutes(fixedSource(sample), async (url) => {
    const r = await getText(`${url}/metrics`);
    assert.is(r.status, 200);
    assert.is(r.headers.get("content-type"), "text/plain; version=0.0.4; charset=utf-8");
    const [parsed] = await parseWithPython([r.text]);
    assert.is(parsed!.error, undefined, parsed!.error);
    const families = byName(parsed!.families!);

    const counters: [string, number][] = [
      ["tickwire_ticks_in", sample.counters.ticksIn], ["tickwire_ticks_out", sample.counters.ticksOut],
      ["tickwire_ticks_dropped", sample.counters.dropped], ["tickwire_ticks_conflated", sample.counters.conflated],
      ["tickwire_ticks_lapped", sample.counters.lapped], ["tickwire_feed_reconnects", sample.counters.reconnects],
      ["tickwire_feed_parse_errors", sample.counters.parseErrors], ["tickwire_feed_received_bytes", sample.counters.bytesIn],
      ["tickwire_client_sent_bytes", sample.counters.bytesOut],
    ];
    for (const [name, value] of counters) {
      const f = family(families, name, "counter");
      assert.is(f.samples[0]!.name, `${name}_total`);
      assert.is(only(f), value, name);
    }
    assert.not.ok([...families.keys()].some((n) => /per_second|rate/.test(n)), "rates are left to Prometheus");

    // The latency histogram: per stage, le ascending, counts cumulative, +Inf = _count, _sum.
    const latency = family(families, "tickwire_tick_latency_seconds", "histogram");
    for (const stage of ["ring", "consumer", "client"] as const) {
      const totals = sample.latencyTotals[stage];
      const buckets = latency.samples.filter((s) => s.name.endsWith("_bucket") && s.labels.stage === stage);
      assert.equal(buckets.map((b) => b.labels.le), [...LATENCY_BOUNDS.map(String), "+Inf"], `${stage} bounds`);
      for (let i = 1; i < buckets.length; i++) assert.ok((buckets[i]!.value as number) >= (buckets[i - 1]!.value as number), `${stage} bucket ${i} is cumulative`);
      assert.equal(buckets.slice(0, -1).map((b) => b.value), totals.buckets.map(([, n]) => n), `${stage} bucket counts`);
      assert.is(buckets.at(-1)!.value, totals.count, `${stage} +Inf is the count`);
      const count = latency.samples.find((s) => s.name.endsWith("_count") && s.labels.stage === stage);
      const sum = latency.samples.find((s) => s.name.endsWith("_sum") && s.labels.stage === stage);
      assert.is(count?.value, totals.count);
      assert.ok(Math.abs((sum!.value as number) - totals.sumSeconds) < 1e-9, `${stage} _sum`);
    }

    const fill = family(families, "tickwire_ring_fill_ratio", "gauge");
    assert.is(fill.samples.length, sample.rings.length);
    for (const ring of sample.rings) {
      assert.is(only(fill, { ring: ring.name, kind: ring.kind, worker: String(ring.worker) }), ring.fill);
      assert.is(only(family(families, "tickwire_ring_backlog_bytes", "gauge"), { ring: ring.name }), ring.backlogBytes);
    }
    for (const t of sample.threads) {
      assert.ok(Math.abs((only(family(families, "tickwire_thread_loop_delay_p99_seconds", "gauge"), { thread: t.name, kind: t.kind }) as number) - t.loopDelayP99Ms / 1000) < 1e-12);
      assert.ok(Math.abs((only(family(families, "tickwire_thread_loop_delay_max_seconds", "gauge"), { thread: t.name }) as number) - t.loopDelayMaxMs / 1000) < 1e-12);
      assert.is(only(family(families, "tickwire_thread_up", "gauge"), { thread: t.name }), 1);
    }
    assert.is(only(family(families, "tickwire_feed_connected", "gauge")), 0);
    assert.is(only(family(families, "tickwire_feed_last_tick_age_seconds", "gauge")), "inf", "no tick yet: +Inf");
    assert.is(only(family(families, "tickwire_clients_connected", "gauge")), sample.clients.connected);
    assert.is(only(family(families, "tickwire_clients_authenticated", "gauge")), sample.clients.authenticated);
    assert.is(only(family(families, "tickwire_clients_slow", "gauge")), sample.clients.slow);
    assert.is(only(family(families, "tickwire_client_subscriptions", "gauge")), sample.clients.subscriptions);
    for (const k of sample.consumers) {
      const labels = { consumer: k.name, policy: k.policy };
      assert.is(only(family(families, "tickwire_consumer_delivered", "counter"), labels), k.delivered);
      assert.is(only(family(families, "tickwire_consumer_dropped", "counter"), labels), k.dropped);
      assert.is(only(family(families, "tickwire_consumer_conflated", "counter"), labels), k.conflated);
      assert.is(only(family(families, "tickwire_consumer_lapped", "counter"), labels), k.lapped);
      assert.is(only(family(families, "tickwire_consumer_errors", "counter"), labels), k.errors);
      assert.ok(Math.abs((only(family(families, "tickwire_consumer_lag_seconds", "gauge"), labels) as number) - k.lagMs / 1000) < 1e-12);
      assert.is(only(family(families, "tickwire_consumer_backlog_records", "gauge"), labels), k.backlog);
      assert.is(only(family(families, "tickwire_consumer_holding_feed_seconds", "gauge"), labels), 0);
    }
    const alerts = family(families, "tickwire_alert_active", "gauge");
    assert.equal(alerts.samples.map((s) => [s.labels.alertname, s.labels.severity, s.value]), [["dropRate", "warning", 1], ["latencyP99", "critical", 1]]);
    assert.is(only(family(families, "tickwire_uptime_seconds", "gauge")), sample.uptimeSeconds);
    assert.is(only(family(families, "tickwire_monitor_sample_timestamp_seconds", "gauge")), sample.time / 1000);

    // Process metrics, prefixed too; no label outside the allowed set on any tickwire metric.
    for (const name of ["tickwire_process_cpu_seconds", "tickwire_process_resident_memory_bytes", "tickwire_nodejs_eventloop_lag_seconds"]) assert.ok(families.has(name), name);
    for (const f of families.values()) {
      assert.ok(f.name.startsWith("tickwire_"), f.name);
      if (f.name.startsWith("tickwire_process_") || f.name.startsWith("tickwire_nodejs_")) continue;
      for (const s of f.samples) for (const label of Object.keys(s.labels)) assert.ok(ALLOWED_LABELS.has(label), `${s.name} has label ${label}`);
      assert.ok(f.help.length > 10, `${f.name} has help`);
    }
  });
});

test("/metrics: promtool check metrics reports no problem (with samples, before the first sample, and with process metrics)", async () => {
  const source = new SyntheticMonitorSource();
  source.alerts = [WARNING];
  for (const s of [source, fixedSource(undefined)]) {
    await withRoutes(s, async (url) => {
      const { text } = await getText(`${url}/metrics`);
      assert.ok(text.includes("# TYPE tickwire_ticks_in_total counter"), "non-empty exposition");
      const r = await promtoolCheck(text);
      assert.is(r.output, "", `promtool: ${r.output}`);
      assert.is(r.code, 0);
    });
  }
});

test("/metrics before the first sample: 200 with the process metrics and no tickwire sample; /stats 503; /stats/history empty", async () => {
  await withRoutes(fixedSource(undefined), async (url) => {
    const r = await getText(`${url}/metrics`);
    assert.is(r.status, 200);
    const [parsed] = await parseWithPython([r.text]);
    assert.is(parsed!.error, undefined);
    const families = byName(parsed!.families!);
    assert.is(family(families, "tickwire_ticks_in", "counter").samples.length, 0);
    assert.ok(family(families, "tickwire_process_cpu_seconds", "counter").samples.length === 1);
    const stats = await getJson(`${url}/stats`);
    assert.is(stats.status, 503);
    assert.equal(stats.body, { error: "no monitor sample yet" });
    assert.equal((await getJson(`${url}/stats/history`)).body, { samples: [] });
    const health = await getJson<HealthReport>(`${url}/health`);
    assert.is(health.status, 503);
    assert.equal([health.body.status, health.body.live, health.body.ready], ["down", false, false]);
    assert.ok(health.body.reasons.includes("no monitor sample yet"), health.body.reasons.join("; "));
  });
});

test("several route instances in one process: each scrapes on its own registry (no 'already registered'), the synthetic source's counters grow", async () => {
  const a = new SyntheticMonitorSource({ intervalMs: 100 });
  const b = fixedSource(syntheticSample(2));
  const handlers = [createMonitorRoutes(a), createMonitorRoutes(b), createMonitorRoutes(a, { prefix: "/monitor", processMetrics: false })];
  const servers = await Promise.all(handlers.map(serve));
  try {
    const first = await Promise.all(servers.map((s, i) => getText(`${s.url}${i === 2 ? "/monitor" : ""}/metrics`)));
    for (const r of first) assert.is(r.status, 200);
    assert.ok(first[0]!.text.includes("tickwire_process_cpu_seconds_total"));
    assert.not.ok(first[2]!.text.includes("tickwire_process_"), "processMetrics: false");
    const ticks = (text: string) => Number(/^tickwire_ticks_in_total (\d+)$/m.exec(text)?.[1]);
    await new Promise((r) => setTimeout(r, 250));
    const later = await getText(`${servers[0]!.url}/metrics`);
    assert.ok(ticks(later.text) > ticks(first[0]!.text), `${ticks(later.text)} > ${ticks(first[0]!.text)}`);
  } finally {
    await Promise.all(servers.map((s) => s.close()));
  }
});

test("nothing the routes start keeps a process alive: a child that creates routes and scrapes /metrics exits by itself", async () => {
  const script = `
    const { createMonitorRoutes } = await import(${JSON.stringify(new URL("../src/monitor/http.ts", import.meta.url).href)});
    const { createMonitorRegistry } = await import(${JSON.stringify(new URL("../src/monitor/prometheus.ts", import.meta.url).href)});
    for (let i = 0; i < 5; i++) createMonitorRoutes({ latest: () => undefined, history: () => [] });
    const text = await createMonitorRegistry(() => undefined).metrics();
    console.log(text.includes("tickwire_process_cpu_seconds_total") ? "ok" : "missing");`;
  const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => (err += d));
  const code = await new Promise<number | null>((resolve) => {
    const timer = setTimeout(() => { child.kill("SIGKILL"); resolve(-1); }, 15_000);
    child.on("close", (c) => { clearTimeout(timer); resolve(c); });
  });
  assert.is(code, 0, `child did not exit by itself: ${out}${err}`);
  assert.is(out.trim(), "ok", err);
});

// ---------------------------------------------------------------------------------------------
// /health

test("/health: 200 ok when ready; /health/live and /health/ready 200", async () => {
  await withRoutes(new SyntheticMonitorSource(), async (url) => {
    const h = await getJson<HealthReport>(`${url}/health`);
    assert.is(h.status, 200);
    assert.equal([h.body.status, h.body.live, h.body.ready, h.body.reasons], ["ok", true, true, []]);
    assert.equal(Object.keys(h.body.checks), ["sample", "feed", "partitions", "proxy", "workers", "criticalAlerts", "warningAlerts"]);
    assert.is(h.body.checks.workers!.detail, "2 of 2 workers running");
    const live = await getJson(`${url}/health/live`);
    const ready = await getJson(`${url}/health/ready`);
    assert.equal([live.status, live.body], [200, { live: true, reasons: [] }]);
    assert.equal([ready.status, ready.body], [200, { ready: true, reasons: [] }]);
  });
});

test("/health: degraded (200) with a warning alert; down (503) with a critical alert, a dead partition, a disconnected feed, missing workers", async () => {
  const source = new SyntheticMonitorSource();
  await withRoutes(source, async (url) => {
    source.alerts = [WARNING];
    await new Promise((r) => setTimeout(r, 1100)); // the next sample carries the alert
    let h = await getJson<HealthReport>(`${url}/health`);
    assert.is(h.status, 200);
    assert.equal([h.body.status, h.body.ready, h.body.reasons], ["degraded", true, ["warning alert dropRate: drop rate 2.1 % above 1 %"]]);
    assert.is((await getJson(`${url}/health/ready`)).status, 200);

    source.readinessFacts = { proxyListening: false, workersRunning: 1, workersExpected: 2 };
    h = await getJson<HealthReport>(`${url}/health`);
    assert.is(h.status, 503);
    assert.is(h.body.status, "down");
    assert.equal(h.body.reasons, ["proxy not listening", "1 of 2 workers running", "warning alert dropRate: drop rate 2.1 % above 1 %"]);
    const ready = await getJson(`${url}/health/ready`);
    assert.equal([ready.status, ready.body.ready], [503, false]);
    assert.equal([(await getJson(`${url}/health/live`)).status], [200], "not ready is still live");
  });

  const base = syntheticSample(3, Date.now(), [CRITICAL]);
  const sick: MonitorSample = {
    ...base,
    feed: { ...base.feed, state: "reconnecting", connected: false },
    threads: base.threads.map((t) => (t.name === "partition-1" ? { ...t, alive: false, lastBeatAgeMs: 3210 } : t)),
  };
  await withRoutes(fixedSource(sick), async (url) => {
    const h = await getJson<HealthReport>(`${url}/health`);
    assert.is(h.status, 503);
    assert.equal(h.body.reasons, ["feed disconnected (reconnecting)", "partition-1 not alive for 3.2 s", "critical alert latencyP99: client p99 250 ms above 100 ms"]);
    assert.equal([h.body.live, h.body.ready, h.body.checks.proxy], [true, false, undefined], "no readiness(): no proxy check");
  });
});

test("/health/live: 503 when the latest sample is stale (over 3 intervals old), with the age in the reason", async () => {
  const stale = { ...syntheticSample(3, Date.now() - 10_000) };
  await withRoutes(fixedSource(stale), async (url) => {
    const live = await getJson(`${url}/health/live`);
    assert.is(live.status, 503);
    assert.is(live.body.live, false);
    assert.match(live.body.reasons[0], /^monitor sample is 10\.\d s old \(stale after 3\.0 s\)$/);
    assert.is((await getJson(`${url}/health`)).status, 503);
  });
  await withRoutes(fixedSource(stale), async (url) => {
    assert.is((await getJson(`${url}/health/live`)).status, 200, "intervalMs 5000: 10 s is within 3 intervals");
  }, { intervalMs: 5000 });
});

// ---------------------------------------------------------------------------------------------
// /stats, methods, paths, failures

test("/stats: the latest sample as JSON, Infinity as null; /stats/history: oldest first, ?since keeps newer ones, a bad since is 400", async () => {
  const source = new SyntheticMonitorSource({ intervalMs: 100, backfill: 20 });
  await withRoutes(source, async (url) => {
    const stats = await getJson<MonitorSample>(`${url}/stats`);
    assert.is(stats.status, 200);
    assert.is(stats.headers.get("cache-control"), "no-store");
    assert.is(typeof stats.body.counters.ticksIn, "number");
    assert.is(stats.body.threads.length, 3);
    const all = (await getJson<{ samples: MonitorSample[] }>(`${url}/stats/history`)).body.samples;
    assert.ok(all.length >= 20, `${all.length} samples`);
    for (let i = 1; i < all.length; i++) assert.ok(all[i]!.time > all[i - 1]!.time, "oldest first");
    const since = all[all.length - 5]!.time;
    const newer = (await getJson<{ samples: MonitorSample[] }>(`${url}/stats/history?since=${since}`)).body.samples;
    assert.ok(newer.length >= 4 && newer.every((s) => s.time > since), `${newer.length} newer`);
    const bad = await getText(`${url}/stats/history?since=yesterday`);
    assert.is(bad.status, 400);
    assert.match(bad.text, /since/);
  });
  const noTick = { ...syntheticSample(1), feed: { broker: "x", state: "connecting", connected: false, lastTickAgeMs: Infinity } };
  await withRoutes(fixedSource(noTick), async (url) => {
    const r = await getText(`${url}/stats`);
    assert.match(r.text, /"lastTickAgeMs":null/);
    assert.is(JSON.parse(r.text).feed.lastTickAgeMs, null);
  });
});

test("HEAD answers the GET's status and headers without a body; other methods 405 with Allow; other paths are not ours (404 here)", async () => {
  await withRoutes(new SyntheticMonitorSource(), async (url) => {
    for (const path of ["/metrics", "/health", "/health/live", "/health/ready", "/stats", "/stats/history", "/dashboard", "/dashboard/"]) {
      const get = await getText(url + path);
      const head = await getText(url + path, { method: "HEAD" });
      assert.is(head.status, get.status, path);
      assert.is(head.text, "", path);
      assert.is(head.headers.get("content-type"), get.headers.get("content-type"), path);
      assert.ok(Number(head.headers.get("content-length")) > 0, path);
      const post = await getText(url + path, { method: "POST", body: "x" });
      assert.is(post.status, 405, path);
      assert.is(post.headers.get("allow"), "GET, HEAD");
    }
    for (const path of ["/", "/metrics/", "/healthz", "/stats/", "/monitor/metrics", "/dashboardx", "/favicon.ico"]) {
      assert.is((await getText(url + path)).status, 404, path);
    }
    assert.is((await getText(`${url}/metrics?format=whatever`)).status, 200, "a query is ignored");
  });
  await withRoutes(new SyntheticMonitorSource(), async (url) => {
    assert.is((await getText(`${url}/ops/metrics`)).status, 200);
    assert.is((await getText(`${url}/ops/dashboard`)).status, 200);
    assert.is((await getText(`${url}/metrics`)).status, 404, "outside the prefix");
    assert.is((await getText(`${url}/opsmetrics`)).status, 404);
  }, { prefix: "/ops" });
});

test("/dashboard: one self-contained page (inline script and style, no external URL), under a CSP that forbids any other origin", async () => {
  await withRoutes(new SyntheticMonitorSource(), async (url) => {
    const r = await getText(`${url}/dashboard`);
    assert.is(r.status, 200);
    assert.is(r.headers.get("content-type"), "text/html; charset=utf-8");
    assert.match(r.headers.get("content-security-policy") ?? "", /default-src 'none'.*connect-src 'self'/);
    assert.not.match(r.text, /(src|href)\s*=/i, "no linked resource");
    assert.not.match(r.text, /https?:\/\//, "no absolute URL");
    for (const id of ["tile-ticks", "tile-p99", "tile-clients", "tile-feed", "tile-dropped", "tile-uptime", "chart-throughput", "chart-latency", "chart-rings", "chart-clients", "alerts-list", "threads", "consumers"]) {
      assert.ok(r.text.includes(`id="${id}"`), id);
    }
  });
});

test("a source that throws: 500 with a plain message, and the server keeps serving", async () => {
  const source = new SyntheticMonitorSource();
  await withRoutes(source, async (url) => {
    source.failing = new Error("monitor region detached");
    for (const path of ["/metrics", "/health", "/health/live", "/stats", "/stats/history"]) {
      const r = await getText(url + path);
      assert.is(r.status, 500, path);
      assert.is(r.headers.get("content-type"), "text/plain; charset=utf-8", path);
      assert.is(r.text, "monitor failed: monitor region detached\n", path);
    }
    assert.is((await getText(`${url}/dashboard`)).status, 200, "the page needs no sample");
    source.failing = undefined;
    assert.is((await getText(`${url}/metrics`)).status, 200);
    assert.is((await getText(`${url}/health`)).status, 200);
  });
  const throwsString: MonitorSource = { latest: () => { throw "not an Error"; }, history: () => [] };
  await withRoutes(throwsString, async (url) => {
    const r = await getText(`${url}/stats`);
    assert.equal([r.status, r.text], [500, "monitor failed: \"not an Error\"\n"]);
  });
});

test("createMonitorRoutes refuses a malformed source or options with TickwireError ARGUMENT", () => {
  const ok = fixedSource(undefined);
  const cases: [unknown, unknown][] = [
    [undefined, undefined], [null, undefined], [42, undefined], [{}, undefined], [{ latest: () => undefined }, undefined],
    [{ latest: 1, history: () => [] }, undefined], [{ ...ok, readiness: "yes" }, undefined],
    [ok, null], [ok, 5], [ok, { prefix: "monitor" }], [ok, { prefix: "/" }], [ok, { prefix: "/a/" }], [ok, { prefix: "/a?b" }],
    [ok, { prefix: 7 }], [ok, { intervalMs: 0 }], [ok, { intervalMs: NaN }], [ok, { intervalMs: "1000" }], [ok, { processMetrics: "no" }],
  ];
  for (const [source, options] of cases) {
    try {
      createMonitorRoutes(source as MonitorSource, options as never);
      assert.unreachable(`accepted ${JSON.stringify(options)}`);
    } catch (e) {
      assert.instance(e, TickwireError, String(e));
      assert.is((e as TickwireError).code, "ARGUMENT");
    }
  }
  assert.type(createMonitorRoutes(ok, { prefix: "/a/b-c_d.e" }), "function");
});

// ---------------------------------------------------------------------------------------------
// evaluateHealth, without HTTP

const NOW = 1_800_000_000_000;
const healthy = (): MonitorSample => ({ ...syntheticSample(4, NOW - 200), intervalMs: 1000 });
const ALL_UP = { proxyListening: true, workersRunning: 4, workersExpected: 4 };

test("evaluateHealth: a healthy sample is ok/live/ready with every check passed", () => {
  const h = evaluateHealth(healthy(), ALL_UP, NOW);
  assert.equal([h.status, h.live, h.ready, h.reasons], ["ok", true, true, []]);
  assert.ok(Object.values(h.checks).every((c) => c.ok), JSON.stringify(h.checks));
  assert.is(h.checks.partitions.detail, "2 partition threads alive");
  assert.is(h.checks.feed.detail, "feed connected (connected)");
  assert.is(evaluateHealth(healthy(), undefined, NOW).checks.proxy, undefined);
});

test("evaluateHealth: each failure is its own reason; warnings only degrade", () => {
  const s = healthy();
  const cases: [MonitorSample, typeof ALL_UP | undefined, HealthReport["status"], string[]][] = [
    [{ ...s, feed: { ...s.feed, connected: false, state: "disconnected" } }, ALL_UP, "down", ["feed disconnected (disconnected)"]],
    [{ ...s, threads: s.threads.map((t) => ({ ...t, alive: false, lastBeatAgeMs: 3240 })) }, ALL_UP, "down",
      ["partition-0 not alive for 3.2 s", "partition-1 not alive for 3.2 s"]],
    [{ ...s, threads: s.threads.map((t) => (t.kind === "main" ? { ...t, alive: false } : t)) }, ALL_UP, "ok", []],
    [s, { ...ALL_UP, proxyListening: false }, "down", ["proxy not listening"]],
    [s, { ...ALL_UP, workersRunning: 3 }, "down", ["3 of 4 workers running"]],
    [{ ...s, alerts: [CRITICAL] }, ALL_UP, "down", ["critical alert latencyP99: client p99 250 ms above 100 ms"]],
    [{ ...s, alerts: [WARNING] }, ALL_UP, "degraded", ["warning alert dropRate: drop rate 2.1 % above 1 %"]],
    [{ ...s, alerts: [WARNING, CRITICAL] }, undefined, "down", ["critical alert latencyP99: client p99 250 ms above 100 ms", "warning alert dropRate: drop rate 2.1 % above 1 %"]],
  ];
  for (const [sample, readiness, status, reasons] of cases) {
    const h = evaluateHealth(sample, readiness, NOW);
    assert.equal([h.status, h.reasons], [status, reasons]);
    assert.is(h.ready, status !== "down");
    assert.is(h.live, true);
  }
});

test("evaluateHealth: staleness is 3 intervals (the sample's, the option's, or 1 s for a first sample); no sample is neither live nor ready", () => {
  const at = (ageMs: number, intervalMs: number) => ({ ...healthy(), time: NOW - ageMs, intervalMs });
  assert.is(evaluateHealth(at(2900, 1000), undefined, NOW).live, true);
  const stale = evaluateHealth(at(3100, 1000), undefined, NOW);
  assert.equal([stale.live, stale.ready, stale.status, stale.reasons], [false, false, "down", ["monitor sample is 3.1 s old (stale after 3.0 s)"]]);
  assert.is(evaluateHealth(at(14_000, 5000), undefined, NOW).live, true);
  assert.is(evaluateHealth(at(3100, 0), undefined, NOW).live, false, "first sample: 1 s interval assumed");
  assert.is(evaluateHealth(at(3100, 0), undefined, NOW, { intervalMs: 2000 }).live, true);
  assert.is(evaluateHealth(at(-500, 1000), undefined, NOW).live, true, "a sample from the future (clock step) is fresh");
  const none = evaluateHealth(undefined, ALL_UP, NOW);
  assert.equal([none.live, none.ready, none.status], [false, false, "down"]);
  assert.equal(none.reasons, ["no monitor sample yet", "feed state unknown", "partition threads unknown"]);
});

test("evaluateHealth: malformed fields fail their check with a reason; bad arguments are TickwireError ARGUMENT", () => {
  const h = evaluateHealth({ time: NOW, feed: { connected: "yes" }, threads: [null, { kind: "partition", name: 7 }], alerts: "none" } as never, { proxyListening: 1, workersRunning: "2", workersExpected: 2 } as never, NOW);
  assert.equal(h.reasons, ["feed state unknown", "? not alive", "proxy not listening", "\"2\" of 2 workers running"]);
  for (const args of [[42, undefined, NOW], [undefined, "ready", NOW], [undefined, undefined, NaN], [undefined, undefined, "now"], [undefined, undefined, NOW, { intervalMs: -1 }], [undefined, undefined, NOW, 3]] as const) {
    try {
      (evaluateHealth as (...a: unknown[]) => unknown)(...args);
      assert.unreachable(JSON.stringify(args));
    } catch (e) {
      assert.instance(e, TickwireError, String(e));
      assert.is((e as TickwireError).code, "ARGUMENT");
    }
  }
});

test.run();
