// The proxy's limits and security over real sockets: client cap, subscription cap, rate limit,
// payload limit, origin allowlist, auth timeout, TLS, keys stored hashed and never logged,
// 1 000 concurrent clients, and a graceful shutdown with clients connected.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import WebSocket from "ws";
import { hashApiKey } from "../src/node/index.js";
import { startSystem, instruments, RawClient, KEY } from "./helpers/proxy-world.js";
import { until, sleep } from "./helpers/feed-world.js";

test("the client cap: one more is told MAX_CLIENTS and closed with 1013; a freed place is taken again", async () => {
  const system = await startSystem({ proxy: { maxClients: 2 } });
  const clients: RawClient[] = [];
  try {
    clients.push(await RawClient.auth(system.url!), await RawClient.auth(system.url!));
    const third = await RawClient.open(system.url!);
    clients.push(third);
    assert.equal(await third.waitClosed(), { code: 1013, reason: "server full" });
    assert.equal(third.messages[0], { status: "error", code: "MAX_CLIENTS", message: "Server is at its client limit (2)" });
    clients[0]!.close();
    await until(() => system.stats().proxy!.clients === 1, "a place to free up");
    clients.push(await RawClient.auth(system.url!));
    assert.is(system.stats().proxy!.refused, 1);
  } finally {
    for (const c of clients) c.close();
    await system.stop();
  }
});

test("the subscription cap per client and the subscribe rate limit answer with their codes", async () => {
  const system = await startSystem({ proxy: { maxSubscriptionsPerClient: 3, subscribeRatePerSecond: 2 } });
  const c = await RawClient.auth(system.url!);
  try {
    const syms = instruments(system, 5);
    const reply = await c.request({ action: "subscribe", symbols: syms, mode: 1 });
    assert.is(reply.status, "partial");
    assert.equal(reply.subscriptions.map((s: { status: string; code?: string }) => s.code ?? s.status), ["success", "success", "success", "MAX_SUBSCRIPTIONS", "MAX_SUBSCRIPTIONS"]);
    const second = await c.request({ action: "subscribe", symbols: syms.slice(0, 1), mode: 1 });
    assert.is(second.status, "success", "a pair already held does not count twice");
    const limited = await c.request({ action: "subscribe", symbols: syms.slice(0, 1), mode: 1, request_id: "x" });
    assert.equal([limited.code, limited.request_id], ["RATE_LIMITED", "x"]);
    await sleep(600);
    assert.is((await c.request({ action: "unsubscribe", symbols: syms.slice(0, 1), mode: 1 })).status, "success", "the bucket refills");
  } finally {
    c.close();
    await system.stop();
  }
});

test("a message over maxPayloadBytes closes the client with 1009; other clients are untouched", async () => {
  const system = await startSystem({ proxy: { maxPayloadBytes: 2048 } });
  const big = await RawClient.auth(system.url!);
  const other = await RawClient.auth(system.url!);
  try {
    big.send({ action: "subscribe", symbols: Array.from({ length: 200 }, (_, i) => ({ exchange: "NSE", symbol: `S${i}` })) });
    assert.is((await big.waitClosed()).code, 1009);
    assert.is((await other.request({ action: "ping" })).type, "pong");
  } finally {
    big.close();
    other.close();
    await system.stop();
  }
});

test("origin allowlist: a browser from elsewhere is closed with 4403; an allowed origin and non-browser clients connect", async () => {
  const system = await startSystem({ proxy: { allowedOrigins: ["https://app.example"] } });
  const clients: RawClient[] = [];
  try {
    const evil = await RawClient.open(system.url!, { origin: "https://evil.example" });
    clients.push(evil);
    assert.equal(await evil.waitClosed(), { code: 4403, reason: "origin not allowed" });
    const good = await RawClient.open(system.url!, { origin: "https://app.example" });
    clients.push(good);
    assert.is((await good.request({ action: "authenticate", api_key: KEY })).status, "success");
    clients.push(await RawClient.auth(system.url!));
  } finally {
    for (const c of clients) c.close();
    await system.stop();
  }
});

test("a client that does not authenticate in time is closed with 4401 (auth timeout)", async () => {
  const system = await startSystem({ proxy: { authTimeoutMs: 200 } });
  const c = await RawClient.open(system.url!);
  try {
    assert.equal(await c.waitClosed(), { code: 4401, reason: "auth timeout" });
    assert.is(system.stats().proxy!.clients, 0);
  } finally {
    c.close();
    await system.stop();
  }
});

test("keys: accepted as SHA-256 digests too; never in logs, replies or errors", async () => {
  const logs: string[] = [];
  const other = "another-key-abcdefgh";
  const system = await startSystem({ proxy: { apiKeys: [], apiKeyHashes: [hashApiKey(other)], authTimeoutMs: 300 }, log: (l) => logs.push(l) });
  const clients: RawClient[] = [];
  try {
    const ok = await RawClient.open(system.url!);
    clients.push(ok);
    assert.is((await ok.request({ action: "authenticate", api_key: other })).status, "success");
    const bad = await RawClient.open(system.url!);
    clients.push(bad);
    const refused = await bad.request({ action: "authenticate", api_key: KEY });
    assert.equal([refused.code, refused.message], ["AUTHENTICATION_ERROR", "Invalid API key"]);
    await bad.waitClosed();
    const everything = JSON.stringify([logs, ok.messages, bad.messages, system.clients(), system.stats()]);
    for (const secret of [KEY, other]) assert.not.ok(everything.includes(secret), "a key leaked");
  } finally {
    for (const c of clients) c.close();
    await system.stop();
  }
  try {
    await startSystem({ proxy: { apiKeys: ["short"] } });
    assert.unreachable("a short key is refused");
  } catch (err) {
    assert.match((err as Error).message, /proxy.apiKeys must be/);
    assert.not.match((err as Error).message, /short/);
  }
});

test("TLS: given a certificate and key it serves wss://", async () => {
  const dir = mkdtempSync(join(tmpdir(), "tickwire-tls-"));
  try {
    execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem"),
      "-days", "1", "-subj", "/CN=localhost"], { stdio: "ignore", timeout: 30_000 });
    const cert = readFileSync(join(dir, "cert.pem"), "utf8");
    const system = await startSystem({ proxy: { tls: { cert, key: readFileSync(join(dir, "key.pem"), "utf8") } } });
    try {
      assert.match(system.url!, /^wss:\/\//);
      const c = await RawClient.open(system.url!, { ca: cert, servername: "localhost" } as WebSocket.ClientOptions);
      try {
        assert.is((await c.request({ action: "authenticate", api_key: KEY })).status, "success");
        await c.request({ action: "subscribe", symbols: instruments(system, 3), mode: 1 });
        await c.next((m) => m.type === "market_data", "a tick over TLS", 10_000);
      } finally {
        c.close();
      }
    } finally {
      await system.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("1 000 concurrent clients: each authenticates, subscribes and receives ticks; all counted; all closed cleanly", async () => {
  const system = await startSystem({ feed: { ticksPerSecond: 2000 }, proxy: { maxClients: 1000 } });
  const syms = instruments(system, 50);
  const sockets: WebSocket[] = [];
  const got = new Uint32Array(1000);
  try {
    await Promise.all(Array.from({ length: 1000 }, (_, i) => new Promise<void>((resolve, reject) => {
      const ws = new WebSocket(system.url!);
      sockets.push(ws);
      ws.on("error", reject);
      ws.on("open", () => {
        ws.send(JSON.stringify({ action: "authenticate", api_key: KEY }));
        ws.send(JSON.stringify({ action: "subscribe", symbols: [syms[i % 50]], mode: 1 }));
      });
      ws.on("message", (d) => {
        const m = JSON.parse(d.toString());
        if (m.type === "subscribe" && m.status !== "success") reject(new Error(JSON.stringify(m)));
        if (m.type === "subscribe") resolve();
        if (m.type === "market_data") got[i]!++;
      });
    })));
    assert.is(system.stats().proxy!.clients, 1000);
    assert.is(system.stats().proxy!.authenticated, 1000);
    await until(() => got.every((n) => n > 0), "every client to get a tick", 20_000);
    const delivered = system.clients().reduce((s, c) => s + c.delivered, 0);
    await sleep(100);
    assert.ok(delivered > 1000);
  } finally {
    const closed = sockets.map((ws) => new Promise<void>((r) => { if (ws.readyState === WebSocket.CLOSED) r(); else { ws.once("close", () => r()); ws.close(); } }));
    await Promise.race([Promise.all(closed), sleep(10_000)]);
    await until(() => system.stats().proxy!.clients === 0, "every client to be released", 10_000);
    await system.stop();
  }
});

test("graceful shutdown with clients connected: they are closed with 1001, the feed and workers stop, stop() resolves", async () => {
  const system = await startSystem();
  const clients = await Promise.all([1, 2, 3].map(() => RawClient.auth(system.url!)));
  try {
    await clients[0]!.request({ action: "subscribe", symbols: instruments(system, 10), mode: 3 });
    await clients[0]!.next((m) => m.type === "market_data", "ticks");
    const started = Date.now();
    await system.stop();
    assert.ok(Date.now() - started < 5000, "stop() is quick");
    for (const c of clients) assert.equal(await c.waitClosed(), { code: 1001, reason: "server shutting down" });
    await assert.not.throws(() => system.stop(), "stop twice is fine");
    const refused = new WebSocket(system.url ?? "ws://127.0.0.1:1");
    const err = await new Promise((resolve) => { refused.once("error", resolve); refused.once("open", () => resolve(undefined)); });
    assert.ok(err, "nothing listens any more");
  } finally {
    for (const c of clients) c.close();
  }
});

test("ticks coalesced for a client that goes away before they are written are counted dropped, not lost", async () => {
  const system = await startSystem({ feed: { ticksPerSecond: 2000 }, proxy: { coalesceMs: 1000 } });
  const c = await RawClient.auth(system.url!);
  try {
    await c.request({ action: "subscribe", symbols: instruments(system, 20), mode: 1 });
    await sleep(300); // ticks wait for the 1 s coalescing window
    c.close();
    await until(() => system.stats().proxy!.clients === 0, "the client to be released", 5000);
    const p = system.stats().proxy!;
    assert.ok(p.dropped > 0, `dropped ${p.dropped}`);
    assert.is(p.delivered, c.ticks().length, "what was written is what the client got");
  } finally {
    c.close();
    await system.stop();
  }
});

test("a port in use: start() rejects with a clear error (no crash), cleans up, and the first server goes on", async () => {
  const first = await startSystem();
  try {
    const second = await import("../src/node/index.js").then((m) => m.createSystem({ feed: { broker: "simulated", instruments: 50 }, processor: { workers: 1, maxSymbols: 1024 }, proxy: { port: first.port!, apiKeys: [KEY] } }));
    try {
      await second.start();
      assert.unreachable("the second start must fail");
    } catch (err) {
      assert.match((err as Error).message, /in use/);
    }
    const c = await RawClient.auth(first.url!);
    assert.is((await c.request({ action: "ping" })).type, "pong");
    c.close();
  } finally {
    await first.stop();
  }
});

test.run();
