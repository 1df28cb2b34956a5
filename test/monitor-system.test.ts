// The monitor of a real running system: /metrics of live traffic read by Prometheus's parser and
// linted by promtool, an alert from a threshold reaching a webhook configured as a file would, the
// monitor off when asked, and the ring fill of a block consumer holding the feed.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { startSystem, instruments, RawClient } from "./helpers/proxy-world.js";
import { parseWithPython, promtoolCheck, byName } from "./helpers/exposition.js";
import { until } from "./helpers/feed-world.js";
import { timedTest } from "./helpers/timed.js";

timedTest("/metrics of a live system: Prometheus's parser reads every family, promtool finds nothing to fix, the numbers are the system's", 40_000, async () => {
  const system = await startSystem({ feed: { instruments: 200, ticksPerSecond: 5000 }, processor: { workers: 2 }, monitor: { intervalMs: 100 } });
  let client: RawClient | undefined;
  try {
    client = await RawClient.auth(system.url!);
    await client.request({ action: "subscribe", symbols: instruments(system, 50), mode: 2 });
    const consumer = await system.openConsumer({ instruments: instruments(system, 10), name: "recorder" });
    const reading = (async () => { for await (const batch of consumer) void batch; })();
    await until(() => (system.sample()?.latency.client.count ?? 0) > 0 && (system.sample()?.latency.consumer.count ?? 0) > 0, "ticks through every stage", 10_000);
    const text = await (await fetch(`http://127.0.0.1:${system.port}/metrics`)).text();
    const [parsed] = await parseWithPython([text]);
    assert.ok(parsed!.families, parsed!.error);
    // By sample name (the parser names a counter's family without `_total`, a histogram's without `_count`).
    const samples = parsed!.families!.flatMap((f) => f.samples);
    const value = (name: string, labels: Record<string, string> = {}) => samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value as number | undefined;
    assert.ok(value("tickwire_ticks_in_total")! > 0);
    assert.ok(value("tickwire_ticks_out_total")! > 0);
    for (const stage of ["ring", "consumer", "client"]) assert.ok(value("tickwire_tick_latency_seconds_count", { stage })! > 0, `latency of the ${stage} stage`);
    assert.is(byName(parsed!.families!).get("tickwire_tick_latency_seconds")?.type, "histogram");
    assert.is(value("tickwire_clients_connected"), 1);
    assert.is(value("tickwire_feed_connected"), 1);
    assert.ok(value("tickwire_consumer_delivered_total", { consumer: "recorder" })! > 0);
    assert.is(value("tickwire_thread_up", { thread: "partition-1" }), 1);
    assert.ok(value("tickwire_client_sent_bytes_total")! > 0, "bytes written to the client");
    const lint = await promtoolCheck(text);
    assert.is(lint.code, 0, lint.output);
    assert.is(lint.output.trim(), "");
    consumer.close();
    await reading;
  } finally {
    client?.ws.terminate();
    await system.stop();
  }
});

timedTest("an alert reaches the configured webhook as JSON: raised when a threshold is crossed, with its rule, severity and value", 30_000, async () => {
  const posts: { headers: IncomingMessage["headers"]; body: any }[] = [];
  const hook = createServer((req, res) => {
    let body = "";
    req.on("data", (d) => (body += d));
    req.on("end", () => {
      posts.push({ headers: req.headers, body: JSON.parse(body) });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => hook.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/alerts/SECRETPATH`;
  const lines: string[] = [];
  // A throughput floor no simulated feed reaches: raised after 2 samples.
  const system = await startSystem({
    feed: { instruments: 100, ticksPerSecond: 1000 },
    monitor: { intervalMs: 100, thresholds: { throughputFloorPerSecond: { warning: 1e9 } }, webhook: { url, headers: { authorization: "Bearer SECRET" } } },
    log: (l) => lines.push(l),
  });
  try {
    await system.subscribe(instruments(system, 10));
    await until(() => posts.some((p) => p.body.type === "raised" && p.body.alert.name === "throughputFloor"), "the raised alert at the webhook", 10_000);
    const p = posts.find((x) => x.body.alert.name === "throughputFloor")!;
    assert.is(p.headers["content-type"], "application/json");
    assert.is(p.headers.authorization, "Bearer SECRET");
    assert.is(p.body.source, "tickwire");
    assert.is(p.body.alert.severity, "warning");
    assert.is(p.body.alert.threshold, 1e9);
    assert.ok(p.body.alert.value < 1e9);
    assert.ok(system.sample()!.alerts.some((a) => a.name === "throughputFloor"));
    assert.ok(lines.some((l) => /ALERT raised warning throughputFloor/.test(l)), "and a log line");
    assert.not.ok(lines.some((l) => l.includes("SECRET")), "the webhook's path and token are never logged");
  } finally {
    await system.stop();
    hook.closeAllConnections();
    await new Promise((r) => hook.close(r));
  }
});

timedTest("monitor: false — no sampler, no routes (the proxy answers 426 there), nothing counted in shared memory beyond what is asked", 20_000, async () => {
  const system = await startSystem({ monitor: false });
  try {
    assert.is(system.monitor, undefined);
    assert.is(system.sample(), undefined);
    const res = await fetch(`http://127.0.0.1:${system.port}/metrics`);
    assert.is(res.status, 426);
  } finally {
    await system.stop();
  }
});

timedTest("a block consumer that holds the feed shows in its fan-out ring's fill and in holdingFeedMs; the held worker still beats", 30_000, async () => {
  const system = await startSystem({ feed: { instruments: 100, ticksPerSecond: 20_000 }, processor: { workers: 1, fanoutRingBytes: 4 << 20, ingestRingBytes: 1 << 20, claimTimeoutMs: 120_000 }, monitor: { intervalMs: 100 } });
  try {
    const consumer = await system.openConsumer({ instruments: instruments(system, 100), mode: 1, policy: "block", name: "slow", detachAfterMs: 60_000 });
    // It takes a batch and then sleeps on it: the ring fills behind it and the feed is held.
    const first = await consumer.next();
    assert.ok(first && first.size > 0);
    await until(() => (system.sample()?.consumers.find((c) => c.name === "slow")?.holdingFeedMs ?? 0) > 0, "the consumer holds the feed", 15_000);
    // Held for a while: the worker waits on the consumer, and keeps beating (it is alive, not wedged).
    await new Promise((r) => setTimeout(r, 1500));
    const s = system.sample()!;
    assert.ok(s.consumers.find((c) => c.name === "slow")!.holdingFeedMs > 1000, "still holding");
    const fanout = s.rings.find((r) => r.kind === "fanout" && r.worker === 0)!;
    assert.ok(fanout.fill > 0.5, `the fan-out ring is full behind it: ${fanout.fill}`);
    const worker = s.threads.find((t) => t.name === "partition-0")!;
    assert.ok(worker.alive && worker.lastBeatAgeMs < 500, `the held worker still beats: last beat ${worker.lastBeatAgeMs} ms ago`);
    consumer.close();
    await until(() => (system.sample()?.rings.find((r) => r.kind === "fanout" && r.worker === 0)?.fill ?? 1) < 0.1, "closing it lets the ring drain", 5000);
  } finally {
    await system.stop();
  }
});

test.run();
