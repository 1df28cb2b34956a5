// Property-based fuzzing (fast-check) of the monitor's exposition: createMonitorRegistry's
// Prometheus text, evaluateHealth and createMonitorRoutes, given hostile arguments and hostile
// samples (NaN, ±Infinity, negatives, wrong types, missing fields, nulls in arrays, huge label
// strings, label values with quotes, new-lines, backslashes and lone surrogates).
//
// THE PROPERTY: each call returns normally or throws a TickwireError (never a TypeError or
// anything else); an HTTP route answers 200/400/503/500 and the server keeps serving; and every
// Prometheus text produced is valid — read back by the reference Python parser (all of them, in
// one batch) and by promtool (a sample of them), with label values surviving the escaping intact.
//
// Seed and run count: TICKWIRE_FUZZ_SEED, TICKWIRE_FUZZ_RUNS (as test/fuzz.test.ts).
import { test } from "uvu";
import * as assert from "uvu/assert";
import fc from "fast-check";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { TickwireError } from "../src/errors.js";
import { createMonitorRegistry, LABEL_MAX_CHARS } from "../src/monitor/prometheus.js";
import { evaluateHealth } from "../src/monitor/health.js";
import { createMonitorRoutes, type MonitorRouteHandler, type MonitorSource } from "../src/monitor/http.js";
import type { MonitorSample } from "../src/monitor/sample.js";
import { syntheticSample } from "./helpers/sample-source.js";
import { byName, parseWithPython, promtoolCheck } from "./helpers/exposition.js";

const SEED = Number(process.env.TICKWIRE_FUZZ_SEED ?? 0x6d6f6e);
const RUNS = Number(process.env.TICKWIRE_FUZZ_RUNS ?? 150);
const PROMTOOL_CHECKS = 12;

// ---------------------------------------------------------------------------------------------
// Hostile values

const nastyChar = fc.oneof(
  fc.constantFrom('"', "\\", "\n", "\r", "\t", "\0", "{", "}", ",", "=", "#", " ", "\u2028", "\uFEFF", "\uD800", "\uDC00", "é", "😀"),
  fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)),
);
const nastyString = fc.oneof(
  fc.string({ unit: nastyChar, maxLength: 24 }),
  fc.constantFrom('a"b', "a\nb", "back\\slash", '\\"\n', '{x="y"}', "le", "+Inf", "", " "),
  fc.string({ unit: nastyChar, minLength: LABEL_MAX_CHARS - 2, maxLength: LABEL_MAX_CHARS * 3 }),
);
const nastyNumber = fc.oneof(
  fc.double(),
  fc.integer({ min: -1e6, max: 1e9 }),
  fc.constantFrom(NaN, Infinity, -Infinity, -0, -1, 0, 1, 2 ** 53, -(2 ** 53), 1e308, 5e-324),
);
const junk = fc.oneof(fc.constant(undefined), fc.constant(null), fc.boolean(), nastyString, nastyNumber, fc.bigInt(), fc.constant([]), fc.constant({}));
/** Usually `good`, sometimes anything else of the wrong type. */
const or = <T>(good: fc.Arbitrary<T>): fc.Arbitrary<unknown> => fc.oneof({ weight: 4, arbitrary: good }, { weight: 1, arbitrary: junk });
/** A record whose every key may be missing. */
const loose = <T extends Record<string, fc.Arbitrary<unknown>>>(fields: T) => fc.record(fields, { requiredKeys: [] });
/** An array that may hold junk entries. */
const list = (item: fc.Arbitrary<unknown>, maxLength = 5) => fc.array(fc.oneof({ weight: 5, arbitrary: item }, { weight: 1, arbitrary: junk }), { maxLength });

const num = or(nastyNumber);
const str = or(nastyString);
const bool = or(fc.boolean());
const latencySummary = loose({ count: num, p50Ms: num, p90Ms: num, p99Ms: num, p999Ms: num, maxMs: num, meanMs: num });
const latencyTotals = loose({ count: num, sumSeconds: num, buckets: or(list(fc.oneof(fc.tuple(nastyNumber, nastyNumber), junk), 8)) });
const stages = <T>(a: fc.Arbitrary<T>) => or(loose({ ring: a, consumer: a, client: a }));

const hostileSample: fc.Arbitrary<unknown> = loose({
  time: num, intervalMs: num, uptimeSeconds: num,
  counters: or(loose({ ticksIn: num, ticksOut: num, dropped: num, conflated: num, lapped: num, reconnects: num, parseErrors: num, bytesIn: num, bytesOut: num })),
  rates: or(loose({ ticksInPerSecond: num, ticksOutPerSecond: num, droppedPerSecond: num, bytesOutPerSecond: num })),
  dropRate: num,
  latency: stages(latencySummary),
  latencyTotals: stages(latencyTotals),
  rings: or(list(loose({ name: str, kind: or(fc.constantFrom("ingest", "fanout")), worker: num, capacityBytes: num, backlogBytes: num, fill: num }))),
  threads: or(list(loose({ name: str, kind: or(fc.constantFrom("main", "partition", "consumer")), loopDelayP99Ms: num, loopDelayMaxMs: num, lastBeatAgeMs: num, alive: bool }))),
  feed: or(loose({ broker: str, state: str, connected: bool, lastTickAgeMs: num })),
  clients: or(loose({ connected: num, authenticated: num, slow: num, subscriptions: num })),
  consumers: or(list(loose({
    id: num, name: str, policy: or(fc.constantFrom("block", "conflate", "drop-oldest")), state: or(fc.constantFrom("active", "detached", "closed")),
    delivered: num, dropped: num, conflated: num, lapped: num, errors: num, lagMs: num, backlog: num, batchSize: num, holdingFeedMs: num,
  }))),
  alerts: or(list(loose({ name: str, severity: or(fc.constantFrom("warning", "critical")), message: str, value: num, threshold: num, since: num }))),
});
/** Mostly hostile samples, sometimes something that is not a sample at all. */
const anySample = fc.oneof({ weight: 6, arbitrary: hostileSample }, { weight: 1, arbitrary: fc.oneof(junk, fc.anything()) });
const hostileReadiness = fc.oneof(loose({ proxyListening: bool, workersRunning: num, workersExpected: num }), junk);

function checkThrown(e: unknown, what: string): void {
  if (!(e instanceof TickwireError)) assert.unreachable(`${what} threw ${e instanceof Error ? `${e.name}: ${e.message}\n${e.stack}` : String(e)}`);
  assert.is((e as TickwireError).code, "ARGUMENT", what);
}

/** JSON for a failure report (bigint and non-finite numbers survive as strings). */
function show(v: unknown): string {
  try {
    return JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? `${x}n` : typeof x === "number" && !Number.isFinite(x) ? String(x) : x))?.slice(0, 3000) ?? String(v);
  } catch {
    return String(v);
  }
}

// ---------------------------------------------------------------------------------------------
// Properties

test("createMonitorRegistry over hostile samples: metrics() resolves to text the Python parser and promtool accept", async () => {
  const outputs: { sample: unknown; text: string }[] = [];
  await fc.assert(fc.asyncProperty(anySample, async (sample) => {
    let text: string;
    try {
      text = await createMonitorRegistry(() => sample as MonitorSample, { processMetrics: false }).metrics();
    } catch (e) {
      checkThrown(e, `metrics() of ${show(sample)}`);
      return;
    }
    assert.type(text, "string");
    outputs.push({ sample, text });
  }), { seed: SEED, numRuns: RUNS, includeErrorInReport: true });

  // The generators did reach the escaping (a quote, a new-line and a backslash in some label value).
  for (const escaped of ['\\"', "\\n", "\\\\"]) assert.ok(outputs.some((o) => o.text.includes(escaped)), `no output holds ${escaped}`);
  const parsed = await parseWithPython(outputs.map((o) => o.text));
  parsed.forEach((p, i) => {
    assert.is(p.error, undefined, `Python parser: ${p.error}\nsample: ${show(outputs[i]!.sample)}\ntext:\n${outputs[i]!.text.slice(0, 3000)}`);
    for (const f of p.families!) {
      if (f.type !== "histogram") continue;
      // Whatever came in, each stage's buckets are cumulative and end at +Inf = _count.
      for (const stage of new Set(f.samples.map((s) => s.labels.stage))) {
        const buckets = f.samples.filter((s) => s.name.endsWith("_bucket") && s.labels.stage === stage);
        for (let b = 1; b < buckets.length; b++) assert.ok((buckets[b]!.value as number) >= (buckets[b - 1]!.value as number), `cumulative: ${show(outputs[i]!.sample)}`);
        assert.is(buckets.at(-1)?.labels.le, "+Inf");
        assert.is(buckets.at(-1)?.value, f.samples.find((s) => s.name.endsWith("_count") && s.labels.stage === stage)?.value);
      }
    }
  });
  // promtool (Go's parser and the linter) on the samples with the most label text.
  const heaviest = [...outputs].sort((a, b) => b.text.length - a.text.length).slice(0, PROMTOOL_CHECKS);
  for (const { sample, text } of heaviest) {
    const r = await promtoolCheck(text);
    assert.is(r.code, 0, `promtool: ${r.output}\nsample: ${show(sample)}`);
    assert.is(r.output, "", `promtool: ${r.output}`);
  }
});

test("label values with quotes, new-lines, backslashes and lone surrogates come back from the Python parser exactly (long ones cut at LABEL_MAX_CHARS)", async () => {
  const base = syntheticSample(3);
  const cases: { names: string[]; text: string }[] = [];
  await fc.assert(fc.asyncProperty(fc.uniqueArray(nastyString, { minLength: 1, maxLength: 6, selector: (s) => s.slice(0, LABEL_MAX_CHARS) }), async (names) => {
    const sample: MonitorSample = {
      ...base,
      consumers: names.map((name, id) => ({ ...base.consumers[0]!, id, name })),
      alerts: names.map((name) => ({ name, severity: "warning", message: "m", value: 1, threshold: 0, since: 0 })),
    };
    cases.push({ names, text: await createMonitorRegistry(() => sample, { processMetrics: false }).metrics() });
  }), { seed: SEED, numRuns: Math.min(RUNS, 100) });
  const parsed = await parseWithPython(cases.map((c) => c.text));
  parsed.forEach((p, i) => {
    assert.is(p.error, undefined, p.error);
    const expected = cases[i]!.names.map((n) => {
      const cut = n.slice(0, LABEL_MAX_CHARS);
      return /[\uD800-\uDBFF]$/.test(cut) && n.length > LABEL_MAX_CHARS ? cut.slice(0, -1) : cut;
    });
    const families = byName(p.families!);
    assert.equal(families.get("tickwire_consumer_delivered")!.samples.map((s) => s.labels.consumer), expected, show(cases[i]!.names));
    assert.equal(families.get("tickwire_alert_active")!.samples.map((s) => s.labels.alertname), expected, show(cases[i]!.names));
  });
});

test("consumers (rings, threads) sharing a name get distinct series (name#2), so no series repeats", async () => {
  const base = syntheticSample(3);
  const sample: MonitorSample = {
    ...base,
    consumers: [base.consumers[0]!, { ...base.consumers[0]!, id: 9 }, { ...base.consumers[0]!, id: 10, name: "recorder#2" }],
    rings: [base.rings[0]!, base.rings[0]!],
  };
  const text = await createMonitorRegistry(() => sample, { processMetrics: false }).metrics();
  const [p] = await parseWithPython([text]);
  const families = byName(p!.families!);
  assert.equal(families.get("tickwire_consumer_delivered")!.samples.map((s) => s.labels.consumer), ["recorder", "recorder#2", "recorder#2#2"]);
  assert.equal(families.get("tickwire_ring_fill_ratio")!.samples.map((s) => s.labels.ring), ["ingest-0", "ingest-0#2"]);
  assert.is((await promtoolCheck(text)).code, 0);
});

test("evaluateHealth with hostile samples, readiness, times and options: a well-formed report or TickwireError ARGUMENT", () => {
  fc.assert(fc.property(anySample, hostileReadiness, fc.oneof(nastyNumber, junk), fc.oneof(fc.constant(undefined), loose({ intervalMs: num }), junk), (sample, readiness, now, options) => {
    let h: ReturnType<typeof evaluateHealth>;
    try {
      h = evaluateHealth(sample as MonitorSample, readiness as never, now as number, options as never);
    } catch (e) {
      checkThrown(e, `evaluateHealth(${show([sample, readiness, now, options])})`);
      return;
    }
    assert.ok(["ok", "degraded", "down"].includes(h.status), h.status);
    assert.type(h.live, "boolean");
    assert.is(h.ready, h.status !== "down");
    assert.ok(!h.live ? !h.ready : true, "not live implies not ready");
    assert.ok(Array.isArray(h.reasons) && h.reasons.every((r) => typeof r === "string" && r.length > 0 && r.length < 5000));
    assert.is(h.reasons.length === 0, h.status === "ok", "reasons exactly when not ok");
    for (const c of Object.values(h.checks)) assert.ok(typeof c.ok === "boolean" && typeof c.detail === "string");
    JSON.stringify(h); // serialisable as /health's body
  }), { seed: SEED, numRuns: RUNS * 4, includeErrorInReport: true });
});

test("createMonitorRoutes with hostile sources and options: a handler or TickwireError ARGUMENT", () => {
  const fn = fc.oneof(fc.constant(() => undefined), fc.constant(() => [])); // functions that return
  const source = fc.oneof(loose({ latest: or(fn), history: or(fn), readiness: or(fn) }), junk);
  const options = fc.oneof(fc.constant(undefined), loose({ prefix: or(fc.oneof(fc.constantFrom("", "/m", "/a/b"), nastyString)), intervalMs: num, processMetrics: bool }), junk);
  fc.assert(fc.property(source, options, (s, o) => {
    try {
      assert.type(createMonitorRoutes(s as MonitorSource, o as never), "function");
    } catch (e) {
      checkThrown(e, `createMonitorRoutes(${show([s, o])})`);
    }
  }), { seed: SEED, numRuns: RUNS * 4, includeErrorInReport: true });
});

/** A fake request/response pair for URLs and methods a real client would not send. */
function fakeExchange(method: unknown, url: unknown): { req: IncomingMessage; res: ServerResponse; done: Promise<{ status: number; body: string }> } {
  let resolve!: (r: { status: number; body: string }) => void;
  const done = new Promise<{ status: number; body: string }>((r) => (resolve = r));
  let status = 0;
  const res = {
    headersSent: false,
    destroyed: false,
    writeHead(code: number) { status = code; this.headersSent = true; return this; },
    end(body?: string) { resolve({ status, body: body ?? "" }); return this; },
  };
  return { req: { method, url } as unknown as IncomingMessage, res: res as unknown as ServerResponse, done };
}

test("a handler given hostile URLs and methods: returns a boolean, never throws, and answers what it claims", async () => {
  const handler = createMonitorRoutes({ latest: () => syntheticSample(2), history: () => [syntheticSample(2)] }, { prefix: "/m" });
  const path = fc.oneof(fc.constantFrom("/m/metrics", "/m/health", "/m/health/live", "/m/health/ready", "/m/stats", "/m/stats/history", "/m/dashboard", "/m/dashboard/"), nastyString);
  const query = fc.oneof(fc.constant(""), fc.string({ unit: nastyChar }).map((q) => `?${q}`), nastyNumber.map((n) => `?since=${n}`), nastyString.map((s) => `?since=${s}`));
  const url = fc.oneof(fc.tuple(path, query).map(([p, q]) => p + q), junk);
  const method = fc.oneof(fc.constantFrom("GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "get"), junk);
  await fc.assert(fc.asyncProperty(method, url, async (m, u) => {
    const { req, res, done } = fakeExchange(m, u);
    const ours = handler(req, res);
    assert.type(ours, "boolean");
    if (!ours) return;
    const { status } = await done;
    assert.ok([200, 400, 405].includes(status), `${show(m)} ${show(u)} → ${status}`);
    if (m !== "GET" && m !== "HEAD") assert.is(status, 405);
  }), { seed: SEED, numRuns: RUNS * 4, includeErrorInReport: true });
});

test("routes over hostile samples on a real server: every path answers 200/400/500/503, /metrics text parses, and the server keeps serving", async () => {
  let current: MonitorRouteHandler = () => false;
  const server: Server = createServer((req, res) => {
    if (!current(req, res)) res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  const texts: { sample: unknown; text: string }[] = [];
  try {
    await fc.assert(fc.asyncProperty(anySample, fc.array(anySample, { maxLength: 3 }), hostileReadiness, async (latest, history, readiness) => {
      current = createMonitorRoutes({ latest: () => latest as MonitorSample, history: () => history as MonitorSample[], readiness: () => readiness as never }, { processMetrics: false });
      for (const path of ["/metrics", "/health", "/health/live", "/health/ready", "/stats", "/stats/history", "/stats/history?since=5"]) {
        const r = await fetch(base + path);
        const body = await r.text();
        assert.ok([200, 500, 503].includes(r.status), `${path} → ${r.status} ${body.slice(0, 300)} for ${show(latest)}`);
        if (r.status === 500) assert.match(body, /^monitor failed: /);
        if (path === "/metrics") {
          if (r.status === 200) texts.push({ sample: latest, text: body });
          continue;
        }
        if (r.status !== 500) JSON.parse(body); // (/metrics' text is checked below)
      }
    }), { seed: SEED, numRuns: Math.min(RUNS, 80), includeErrorInReport: true });
    current = createMonitorRoutes({ latest: () => syntheticSample(1), history: () => [] });
    assert.is((await fetch(`${base}/metrics`)).status, 200, "still serving");
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
  assert.ok(texts.length > Math.min(RUNS, 80) / 2, `${texts.length} /metrics answers were 200`);
  const parsed = await parseWithPython(texts.map((t) => t.text));
  parsed.forEach((p, i) => assert.is(p.error, undefined, `${p.error}\nsample: ${show(texts[i]!.sample)}`));
});

test.run();
