// The Noren adapter (Flattrade/Shoonya) against the simulated Noren server over real
// sockets on loopback: logins, acks, exact merges, faults, and a processor resize while
// it streams.
import { test } from "uvu";
import * as assert from "uvu/assert";
import * as L from "../src/format/layout.js";
import { TickwireError } from "../src/errors.js";
import { HealthField as H } from "../src/feed/health.js";
import type { InstrumentRow, SubscriptionRequest } from "../src/feed/contract.js";
import type { SimInstrumentRow } from "../src/feed/sim/universe.js";
import { ParallelProcessor } from "../src/node/index.js";
import { feedWorld, until, sleep, diffRecord, RecordLog, recordSends, overRate, type FeedWorld } from "./helpers/feed-world.js";

const reqs = (rows: readonly InstrumentRow[], mode: 1 | 2 | 3): SubscriptionRequest[] => rows.map((r) => ({ exchange: r.exchange, symbol: r.symbol, mode }));
const messages = (w: FeedWorld): number => w.adapter.connectionHealth().reduce((n, h) => n + h.messages, 0);

/** Waits until the adapter has taken everything the (quiesced) server sent. */
async function drained(w: FeedWorld): Promise<void> {
  await w.server.quiesce();
  let last = -1;
  let still = 0;
  await until(() => {
    const m = messages(w);
    still = m === last ? still + 1 : 0;
    last = m;
    return still >= 4;
  }, "the adapter to go quiet");
}

/** Every subscribed instrument's last record equals what the server last rendered for its stream. */
function assertMerged(w: FeedWorld, rows: readonly SimInstrumentRow[], stream: "touchline" | "depth"): void {
  const diffs: string[] = [];
  for (const row of rows) {
    const id = w.symbols.find(row.exchange, row.symbol);
    const rec = w.log.last.get(id);
    if (rec === undefined) {
      diffs.push(`${row.exchange}:${row.symbol}: no record`);
      continue;
    }
    assert.is(rec[L.OFF_KIND], stream === "depth" ? L.KIND_DEPTH : L.KIND_QUOTE);
    diffs.push(...diffRecord(rec, w.server.expected(row.brokerExchange, row.token)![stream], row));
  }
  assert.equal(diffs.slice(0, 10), [], `${diffs.length} fields differ`);
}

function assertNoSecrets(w: FeedWorld, secrets: readonly string[]): void {
  const text = JSON.stringify(w.events);
  for (const s of secrets) assert.not.ok(text.includes(s), "a credential appeared in an event");
}

test("V1 login; subscribe at every mode acknowledged per instrument; partial updates merged exactly; unsubscribe keeps the session", async () => {
  const w = await feedWorld({ instruments: 400 });
  try {
    await w.adapter.connect();
    const u = w.server.universe;
    const quote = u.slice(0, 150);
    const depth = u.slice(150, 250);
    const ltp = u.slice(250, 300);
    const results = await w.adapter.subscribe([...reqs(quote, 2), ...reqs(depth, 3), ...reqs(ltp, 1), { exchange: "NSE", symbol: "NO_SUCH_SYMBOL", mode: 1 }]);
    assert.is(results.filter((r) => r.ok).length, 300);
    assert.equal(results.at(-1)!.ok ? "" : results.at(-1)!.code, "SYMBOL_NOT_FOUND");
    const conn = w.server.stats.perConnection[0]!;
    assert.is(conn.touchline, 200);
    assert.is(conn.depth, 100);
    assert.ok(conn.requests.every((r) => r.scrips <= 50), "at most 50 scrips a message");
    // Every instrument's snapshot arrived, then the market moves: only changed fields are sent.
    for (let i = 0; i < 40; i++) {
      w.server.advance(500);
      await sleep(2);
    }
    await drained(w);
    assert.equal(w.log.errors, []);
    assert.ok(w.log.total > 10_000, `records: ${w.log.total}`);
    assertMerged(w, [...quote, ...ltp], "touchline");
    assertMerged(w, depth, "depth");
    // Mode changes move an instrument between streams without a second stream.
    await w.adapter.subscribe(reqs(quote.slice(0, 10), 3));
    assert.is(w.server.stats.perConnection[0]!.depth, 110);
    await until(() => w.server.stats.perConnection[0]!.touchline === 190, "touchline left after the move to depth");
    await w.adapter.unsubscribe(reqs(quote.slice(0, 10), 3));
    await until(() => w.server.stats.perConnection[0]!.depth === 100 && w.server.stats.perConnection[0]!.touchline === 200, "back to touchline");
    // The last client leaving unsubscribes upstream but keeps the session.
    await w.adapter.unsubscribe([...reqs(quote, 2), ...reqs(depth, 3), ...reqs(ltp, 1)]);
    await until(() => w.server.stats.perConnection[0]!.touchline === 0 && w.server.stats.perConnection[0]!.depth === 0, "upstream unsubscribed");
    await sleep(100);
    assert.is(w.server.stats.connections, 1);
    assert.ok(w.server.stats.perConnection[0]!.loggedIn);
    assert.is(w.adapter.report().instruments, 0);
    assert.is(w.adapter.health.get(0, H.RECONNECTS), 0);
    assertNoSecrets(w, ["sim-session-token", "sim-access-token"]);
  } finally {
    await w.close();
  }
});

test("V2 login with an access token; refused logins are reported and retried with fresh credentials", async () => {
  let calls = 0;
  const w = await feedWorld({ instruments: 50 }, {
    protocol: "v2",
    credentials: () => {
      calls++;
      return { uid: "SIMDEMO", accesstoken: "sim-access-token" };
    },
    maxLoginRejects: 3,
  });
  try {
    w.server.rejectLogins(2);
    await w.adapter.connect();
    assert.is(calls, 3, "a fresh credential fetch per attempt");
    assert.is(w.events.filter((e) => e.type === "login-rejected").length, 2);
    assert.is(w.server.stats.loginsOk, 1);
    const r = await w.adapter.subscribe(reqs(w.server.universe.slice(0, 5), 2));
    assert.ok(r.every((x) => x.ok));
    assertNoSecrets(w, ["sim-access-token"]);
  } finally {
    await w.close();
  }
});

test("a login refused maxLoginRejects times fails the connection for good: reported, not retried forever", async () => {
  const w = await feedWorld({ instruments: 50 }, { credentials: { uid: "SIMDEMO", susertoken: "wrong-secret-token" }, maxLoginRejects: 2 });
  try {
    try {
      await w.adapter.connect();
      assert.unreachable("connect should fail");
    } catch (e) {
      assert.instance(e, TickwireError);
      assert.not.match((e as Error).message, /wrong-secret-token/);
    }
    await sleep(300);
    assert.is(w.server.stats.loginsRejected, 2, "no third attempt");
    assert.is(w.adapter.connectionHealth()[0]!.state, "failed");
    assert.ok(w.events.some((e) => e.type === "state" && e.state === "failed"));
    assertNoSecrets(w, ["wrong-secret-token"]);
  } finally {
    await w.close();
  }
});

test("malformed frames are counted and skipped; the connection and the stream go on", async () => {
  const w = await feedWorld({ instruments: 50 });
  try {
    await w.adapter.connect();
    const rows = w.server.universe.slice(0, 20);
    await w.adapter.subscribe(reqs(rows, 2));
    const sent = w.server.injectMalformed(12);
    w.server.advance(300);
    await drained(w);
    assert.is(w.adapter.health.get(0, H.MALFORMED), sent);
    assert.is(w.adapter.health.get(0, H.RECONNECTS), 0);
    // Counted by reason, in the events and the parser's counters alike.
    const byReason: Record<string, number> = {};
    for (const e of w.events) if (e.type === "malformed") byReason[e.reason] = (byReason[e.reason] ?? 0) + e.count;
    assert.equal(byReason, { BAD_JSON: 3, UNKNOWN_TYPE: 3, PRECISION: 3, WRONG_TYPE: 3 });
    const counted = w.adapter.parserCounters()[0]!.malformed;
    assert.equal([counted.BAD_JSON, counted.UNKNOWN_TYPE, counted.PRECISION, counted.WRONG_TYPE], [3, 3, 3, 3]);
    assert.equal(w.log.errors, []);
    assertMerged(w, rows, "touchline");
  } finally {
    await w.close();
  }
});

test("dropped connections reconnect with backoff and re-subscribe everything, on every link, within the limits", async () => {
  const w = await feedWorld({ instruments: 400 }, { limits: { symbolsPerConnection: 100, connectionsPerAccount: 4, messagesPerSecond: 20 } });
  const sends = recordSends();
  try {
    await w.adapter.connect();
    const u = w.server.universe;
    const touch = u.slice(0, 200);
    const depth = u.slice(200, 300);
    const r = await w.adapter.subscribe([...reqs(touch, 2), ...reqs(depth, 3)]);
    assert.equal(r.filter((x) => !x.ok), []);
    assert.is(w.adapter.report().links.length, 3);
    const before = new Map(w.log.count);
    assert.is(w.server.dropConnections(), 3);
    await until(() => w.events.filter((e) => e.type === "resubscribed").length === 3, "three re-subscriptions", 15_000);
    await until(() => {
      const open = w.server.stats.perConnection.filter((c) => c.open && c.loggedIn);
      return open.length === 3 && open.reduce((n, c) => n + c.touchline, 0) === 200 && open.reduce((n, c) => n + c.depth, 0) === 100;
    }, "every instrument subscribed again", 15_000);
    // Each instrument got a fresh snapshot after the drop: none lost.
    await until(() => [...touch, ...depth].every((row) => (w.log.count.get(w.symbols.find(row.exchange, row.symbol)) ?? 0) > (before.get(w.symbols.find(row.exchange, row.symbol)) ?? 0)), "a snapshot for every instrument");
    for (const c of w.server.stats.perConnection) {
      assert.ok(c.requests.every((q) => q.scrips <= 50));
    }
    for (let i = 0; i < 20; i++) {
      w.server.advance(300);
      await sleep(2);
    }
    await drained(w);
    assert.equal(w.log.errors, []);
    assertMerged(w, touch, "touchline");
    assertMerged(w, depth, "depth");
    assert.is(w.adapter.connectionHealth().reduce((n, h) => n + h.reconnects, 0), 3);
    assert.equal(overRate(sends.sent, 20).slice(0, 3), [], "at most 20 messages a second a connection");
  } finally {
    sends.stop();
    await w.close();
  }
});

test("an open but silent connection (the token rollover) is replaced by a fresh login with a fresh token", async () => {
  let current = "sim-session-token";
  const w = await feedWorld({ instruments: 50, ticksPerSecond: 2000 }, {
    credentials: () => ({ uid: "SIMDEMO", susertoken: current }),
    silenceMs: 300,
  });
  try {
    await w.adapter.connect();
    const rows = w.server.universe.slice(0, 30);
    await w.adapter.subscribe(reqs(rows, 2));
    await until(() => w.log.total > 100, "ticks");
    w.server.rotateToken("SIMDEMO", "rolled-token-2", { existing: "silence" });
    current = "rolled-token-2";
    await until(() => w.adapter.health.get(0, H.SILENT_RESTARTS) >= 1, "the watchdog to fire", 5000);
    await until(() => w.server.stats.perConnection.some((c) => c.open && c.loggedIn && c.touchline === 30), "a fresh session holding every instrument", 5000);
    const at = w.log.total;
    await until(() => w.log.total > at + 100, "ticks again");
    assert.equal(w.log.errors, []);
    assertNoSecrets(w, ["sim-session-token", "rolled-token-2"]);
  } finally {
    await w.close();
  }
});

test("ticks a sink refuses are counted as dropped and reported, and the feed goes on", async () => {
  let refuse = 3;
  let taken = 0;
  const w = await feedWorld({ instruments: 50 }, {}, undefined);
  const world = await feedWorld({ instruments: 50 }, {}, {
    mem: w.mem, symbols: w.symbols, sink: (src, bytes) => {
      if (refuse > 0) {
        refuse--;
        throw new TickwireError("TIMEOUT", "the processor is full");
      }
      const n = w.log.sink(src, bytes);
      taken += n;
      return n;
    },
  });
  try {
    await world.adapter.connect();
    await world.adapter.subscribe(reqs(world.server.universe.slice(0, 20), 2));
    for (let i = 0; i < 10; i++) {
      world.server.advance(50);
      await sleep(5);
    }
    await drained(world);
    const h = world.adapter.connectionHealth()[0]!;
    assert.ok(h.dropped > 0);
    assert.is(h.ticks, taken, "ticks counts what the sink took");
    assert.is(h.ticks + h.dropped, world.adapter.parserCounters()[0]!.ticks, "every record parsed was taken or counted dropped");
    const events = world.events.filter((e) => e.type === "dropped");
    assert.is(events.length, 3);
    assert.is(events.reduce((n, e) => n + (e.type === "dropped" ? e.ticks : 0), 0), h.dropped);
    assert.ok(events.every((e) => e.type === "dropped" && /TIMEOUT/.test(e.reason)));
    assert.ok(taken > 0, "the feed went on after the refusals");
  } finally {
    await world.close();
    await w.close();
  }
});

test("a connection whose login is refused for good has its instruments re-placed on the others; none orphaned", async () => {
  const w = await feedWorld({ instruments: 200 }, { limits: { symbolsPerConnection: 50, connectionsPerAccount: 3 }, maxLoginRejects: 1 });
  try {
    await w.adapter.connect();
    const rows = w.server.universe.slice(0, 80);
    assert.ok((await w.adapter.subscribe(reqs(rows, 2))).every((r) => r.ok));
    assert.is(w.adapter.report().links.length, 2);
    w.server.rejectLogins(1);
    w.server.dropConnections();
    await until(() => w.adapter.report().links.some((l) => l.failed), "a link declared failed");
    await until(() => {
      const live = w.server.stats.perConnection.filter((c) => c.open && c.loggedIn);
      return live.reduce((n, c) => n + c.touchline, 0) === 80 && w.adapter.report().pending === 0;
    }, "all 80 streaming again", 15_000);
    const r = w.adapter.report();
    assert.is(r.unplaced, 0);
    assert.is(r.instruments, 80);
    assert.is(r.links.filter((l) => l.failed).length, 1);
    assert.is(r.links.filter((l) => !l.failed).reduce((n, l) => n + l.instruments, 0), 80);
    assert.ok(r.links.every((l) => l.instruments <= 50));
    assert.is(w.events.filter((e) => e.type === "login-rejected").length, 1);
  } finally {
    await w.close();
  }
});

test("staleness: instruments that have not ticked for a while are listed, those that tick are not", async () => {
  const w = await feedWorld({ instruments: 50 });
  try {
    await w.adapter.connect();
    const rows = w.server.universe.slice(0, 10);
    await w.adapter.subscribe(reqs(rows, 1));
    assert.equal(w.adapter.staleInstruments(50), [], "nothing is stale when first seen");
    await sleep(120);
    assert.is(w.adapter.staleInstruments(50).length, 10, "no tick for 120 ms: all stale");
    const before = new Map(rows.map((r) => [r.symbol, w.log.count.get(w.symbols.find(r.exchange, r.symbol)) ?? 0]));
    w.server.advance(200);
    await drained(w);
    w.server.resume();
    const ticked = rows.filter((r) => (w.log.count.get(w.symbols.find(r.exchange, r.symbol)) ?? 0) > before.get(r.symbol)!);
    assert.ok(ticked.length > 0);
    const stale = w.adapter.staleInstruments(50).map((r) => r.symbol);
    for (const r of ticked) assert.not.ok(stale.includes(r.symbol), `${r.symbol} ticked but is listed stale`);
    assert.is(stale.length, 10 - ticked.length);
  } finally {
    await w.close();
  }
});

test("Shoonya is the same Noren stack with its own URL: created by name from the registry", async () => {
  const { createAdapter } = await import("../src/node/index.js");
  const w = await feedWorld({ instruments: 20 });
  const shoonya = createAdapter({ broker: "shoonya", url: w.server.url, credentials: { uid: "SIMDEMO", susertoken: "sim-session-token" }, master: w.server.master, coalesceMs: 5 }, { mem: w.mem, symbols: w.symbols, sink: w.log.sink });
  try {
    await shoonya.connect();
    assert.is(shoonya.broker, "shoonya");
    const r = await shoonya.subscribe(reqs(w.server.universe.slice(0, 5), 3));
    assert.ok(r.every((x) => x.ok));
    assert.is(w.server.stats.perConnection.at(-1)!.depth, 5);
  } finally {
    await shoonya.disconnect();
    await w.close();
  }
});

test("an unsubscribe and a re-subscribe within one coalescing window, behind another pending subscribe, leave the stream on", async () => {
  const w = await feedWorld({ instruments: 50 }, { coalesceMs: 100 });
  try {
    await w.adapter.connect();
    const [k, k2] = w.server.universe;
    assert.ok((await w.adapter.subscribe(reqs([k!], 1), "viewer"))[0]!.ok);
    const other = w.adapter.subscribe(reqs([k2!], 1), "other"); // its "t" waits in the window
    await w.adapter.removeClient("viewer"); // "u k" …
    const again = await w.adapter.subscribe(reqs([k!], 1), "viewer"); // … then "t k"
    assert.ok(again[0]!.ok && (await other)[0]!.ok);
    await sleep(300);
    // Before the fix the wire said t[k2, k] then u[k]: k was cut while the viewer held it.
    assert.is(w.server.stats.perConnection[0]!.touchline, 2);
    const at = w.log.count.get(w.symbols.find(k!.exchange, k!.symbol)) ?? 0;
    w.server.advance(400);
    await drained(w);
    assert.ok((w.log.count.get(w.symbols.find(k!.exchange, k!.symbol)) ?? 0) > at, "k still ticks");
  } finally {
    await w.close();
  }
});

test("hostile login replies are refusals, never a crash", async () => {
  const { WebSocketServer } = await import("ws");
  const replies = ["null", "[]", '"OK"', "5", '{"t":"ck","s":5}', "{not json", '{"t":"ck","s":"NOT_OK","emsg":"bad secret-tok-9"}'];
  const wss = new WebSocketServer({ port: 0, host: "127.0.0.1" });
  let n = 0;
  wss.on("connection", (ws) => ws.on("message", () => ws.send(replies[n++ % replies.length]!)));
  await new Promise((r) => wss.once("listening", r));
  const port = (wss.address() as { port: number }).port;
  const w = await feedWorld({ instruments: 10 }, { url: `ws://127.0.0.1:${port}/`, credentials: { uid: "U", susertoken: "secret-tok-9" }, maxLoginRejects: replies.length });
  try {
    await w.adapter.connect().then(() => assert.unreachable("a refused login must not open"), (e: unknown) => assert.instance(e, TickwireError));
    assert.is(w.events.filter((e) => e.type === "login-rejected").length, replies.length);
    assert.is(w.adapter.connectionHealth()[0]!.state, "failed");
    assertNoSecrets(w, ["secret-tok-9"]);
  } finally {
    await w.close();
    wss.close();
  }
});

test("bad options and misuse are TickwireErrors that name the field and never quote a credential", async () => {
  const w = await feedWorld({ instruments: 10 });
  const ctx = { mem: w.mem, symbols: w.symbols, sink: w.log.sink };
  const ok = { url: w.server.url, credentials: { uid: "U", susertoken: "tok-secret-1" }, master: w.server.master };
  const { NorenAdapter } = await import("../src/feed/noren/adapter.js");
  const refused = (options: object, context: object, field: RegExp): void => {
    try {
      new NorenAdapter("flattrade", options as never, context as never);
      assert.unreachable(`accepted ${field}`);
    } catch (e) {
      assert.instance(e, TickwireError);
      assert.match((e as Error).message, field);
      assert.not.match((e as Error).message, /tok-secret|eyJ-secret/);
    }
  };
  try {
    refused({ ...ok, url: "ws://host:99999/?key=eyJ-secret" }, ctx, /options\.url/);
    refused({ ...ok, url: "ws://[::1" }, ctx, /options\.url/);
    refused({ ...ok, url: "ws://127.0.0.1:1/#frag" }, ctx, /options\.url/);
    refused({ ...ok, credentials: "eyJ-secret-token-value" }, ctx, /credentials\[0\] must be an object/);
    refused({ ...ok, credentials: { uid: "U", susertoken: "" } }, ctx, /susertoken must be a non-empty string/);
    refused({ ...ok, ackTimeoutMs: 0 }, ctx, /ackTimeoutMs/);
    refused({ ...ok, backoff: { initialMs: 0 } }, ctx, /backoff\.initialMs/);
    refused({ ...ok, backoff: { initialMs: 500, maxMs: 100 } }, ctx, /backoff\.maxMs/);
    refused(ok, { ...ctx, sink: undefined }, /context\.sink/);
    refused(ok, { ...ctx, onEvent: 5 }, /context\.onEvent/);
    refused(ok, { ...ctx, maxBatchBytes: 100 }, /maxBatchBytes/);
    // Used after disconnect(): refused, and no socket is opened.
    await w.adapter.connect();
    await w.adapter.disconnect();
    const accepted = w.server.stats.accepted;
    try {
      await w.adapter.subscribe(reqs(w.server.universe.slice(0, 2), 1));
      assert.unreachable("subscribe after disconnect");
    } catch (e) {
      assert.instance(e, TickwireError);
      assert.match((e as Error).message, /after disconnect/);
    }
    await sleep(50);
    assert.is(w.server.stats.accepted, accepted);
  } finally {
    await w.close();
  }
});

test("connect() gives up with TIMEOUT when the broker cannot be reached; a credentials provider that returns nothing usable fails the login for good", async () => {
  const unreachable = await feedWorld({ instruments: 10 }, { url: "ws://127.0.0.1:9/", connectTimeoutMs: 300, backoff: { initialMs: 20, maxMs: 50, jitter: 0 } });
  try {
    await unreachable.adapter.connect().then(() => assert.unreachable(), (e: unknown) => assert.is((e as TickwireError).code, "TIMEOUT"));
    assert.ok(unreachable.adapter.connectionHealth()[0]!.state === "reconnecting" || unreachable.adapter.connectionHealth()[0]!.state === "connecting");
  } finally {
    await unreachable.close();
  }
  const empty = await feedWorld({ instruments: 10 }, { credentials: () => ({}) as never, maxLoginRejects: 2 });
  try {
    await empty.adapter.connect().then(() => assert.unreachable(), (e: unknown) => assert.is((e as TickwireError).code, "BROKER"));
    assert.is(empty.events.filter((e) => e.type === "login-rejected").length, 2);
    assert.ok(empty.events.some((e) => e.type === "login-rejected" && /returned no uid or susertoken/.test(e.message)));
    assert.is(empty.server.stats.accepted, 0, "no socket for unusable credentials");
  } finally {
    await empty.close();
  }
});

test("the watchdog replaces a session that answers pings but says nothing (ws pongs by itself)", async () => {
  const { WebSocketServer } = await import("ws");
  const wss = new WebSocketServer({ port: 0, host: "127.0.0.1" }); // autoPong on, as any ws-based stack
  let logins = 0;
  wss.on("connection", (ws) => ws.on("message", (data) => {
    const m = JSON.parse(String(data)) as { t: string; k?: string };
    if (m.t === "c") {
      logins++;
      ws.send('{"t":"ck","s":"OK"}');
    } else if (m.t === "t" && logins === 1) {
      // The first session acknowledges the subscription, then goes dead but stays open.
      for (const key of m.k!.split("#")) {
        const [e, tk] = key.split("|");
        ws.send(`{"t":"tk","e":"${e}","tk":"${tk}","lp":"1.00","pp":"2"}`);
      }
    }
  }));
  await new Promise((r) => wss.once("listening", r));
  const w = await feedWorld({ instruments: 10 }, { url: `ws://127.0.0.1:${(wss.address() as { port: number }).port}/`, silenceMs: 300, heartbeatMs: 100 });
  try {
    await w.adapter.connect();
    const row = w.server.master.rows.find((r) => r.priceDecimals === 2)!;
    assert.ok((await w.adapter.subscribe([{ exchange: row.exchange, symbol: row.symbol, mode: 1 }]))[0]!.ok);
    await until(() => w.adapter.health.get(0, H.SILENT_RESTARTS) >= 1 && logins >= 2, "the silent session replaced", 5000);
  } finally {
    await w.close();
    wss.close();
  }
});

test("a full-size broker master fits a default processor: the token map holds what can be subscribed, not the whole master", async () => {
  const { createUniverse } = await import("../src/feed/sim/universe.js");
  const { SymbolMaster } = await import("../src/feed/symbol-master.js");
  const { NorenAdapter } = await import("../src/feed/noren/adapter.js");
  const { resolveProcessorConfig } = await import("../src/processor/config.js");
  const master = SymbolMaster.fromRows(createUniverse({ instruments: 100_000, seed: 4 }));
  const p = await ParallelProcessor.start({ workers: 1, maxWorkers: 1 });
  try {
    const before = p.mem.bytesFree;
    const a = new NorenAdapter("flattrade", { url: "ws://127.0.0.1:9/", credentials: { uid: "U", susertoken: "t" }, master }, { mem: p.mem, symbols: p.symbols, sink: (s, b) => p.route(s, b) });
    const used = before - p.mem.bytesFree;
    assert.ok(used < 2 << 20, `the adapter took ${used} bytes (2 links × 1 000 instruments × 2 × 448 B + health)`);
    assert.is(a.map.capacity, 4000);
    await a.disconnect();
  } finally {
    await p.close();
  }
  try {
    resolveProcessorConfig({ workers: 1, feedBytes: -1 });
    assert.unreachable();
  } catch (e) {
    assert.match((e as Error).message, /feedBytes/);
  }
});

test("a processor resize while the adapter streams: every tick routed once, in per-symbol order", async () => {
  const p = await ParallelProcessor.start({ workers: 2, maxWorkers: 4, maxSymbols: 8192, ingestRingBytes: 1 << 18, fanoutRingBytes: 1 << 22, drainTimeoutMs: 20_000 });
  let w: FeedWorld | undefined;
  try {
    const received = new Map<number, number>();
    const seen = new Map<string, number>();
    const errors: string[] = [];
    const readers = p.fanoutReaders();
    const u32 = p.mem.u32;
    const drain = (): void => {
      readers.forEach((reader, r) => {
        for (;;) {
          const got = reader.poll((at) => {
            const id = u32[(at + L.OFF_SYMBOL_ID) >>> 2]!;
            const seq = u32[(at + L.OFF_SEQ) >>> 2]!;
            const k = `${r}:${id}`;
            if (seq <= (seen.get(k) ?? 0) && errors.length < 5) errors.push(`ring ${r}: symbol ${id} seq ${seq} after ${seen.get(k)}`);
            seen.set(k, seq);
            received.set(id, (received.get(id) ?? 0) + 1);
          });
          if (got < 0 && errors.length < 5) errors.push(`ring ${r}: a batch was overwritten while read`);
          if (got <= 0) break;
        }
        if (reader.lost > 0 && errors.length < 5) errors.push(`ring ${r}: lost ${reader.lost}`);
      });
    };
    // The adapter writes into the processor's memory and routes on this thread.
    let routed = 0;
    const checker = new RecordLog(p.mem);
    w = await feedWorld({ instruments: 600, ticksPerSecond: 40_000 }, {}, {
      mem: p.mem, symbols: p.symbols, sink: async (src, bytes) => {
        const counted = checker.sink(src, bytes);
        let n: number;
        try {
          n = await p.route(src, bytes);
        } catch (e) {
          errors.push(`route threw ${(e as Error).message}`);
          throw e;
        }
        if (n !== counted) errors.push(`route took ${n} of ${counted}`);
        routed += n;
        return n;
      },
      maxBatchBytes: p.maxRouteBytes,
    });
    const world = w;
    const adapter = w.adapter;
    try {
      await adapter.connect();
      const rows = world.server.universe.slice(0, 500);
      const r = await adapter.subscribe(reqs(rows, 2));
      assert.ok(r.every((x) => x.ok));
      const timer = setInterval(drain, 2);
      try {
        await until(() => routed > 5_000, "ticks routed");
        const up = await p.resize(3);
        assert.is(p.workers, 3);
        assert.ok(up.movedShare > 0.2);
        const mark = routed;
        await until(() => routed > mark + 5_000, "ticks after the resize");
        await p.resize(1);
        const mark2 = routed;
        await until(() => routed > mark2 + 5_000, "ticks after the second resize");
        await world.server.quiesce();
        let last = -1;
        await until(() => {
          const same = routed === last;
          last = routed;
          return same;
        }, "routing to stop", 10_000);
        await until(() => {
          drain();
          let n = 0;
          for (const c of received.values()) n += c;
          return n === routed;
        }, "every routed tick to come out", 20_000);
      } finally {
        clearInterval(timer);
      }
      assert.equal(checker.errors, [], "the adapter hands every symbol's records in seq order, none skipped");
      assert.equal(errors, []);
      // Per symbol: the highest seq equals the count received, so none lost or doubled.
      let bad = 0;
      for (const row of rows) {
        const id = p.symbols.find(row.exchange, row.symbol);
        let max = 0;
        for (let ring = 0; ring < readers.length; ring++) max = Math.max(max, seen.get(`${ring}:${id}`) ?? 0);
        if ((received.get(id) ?? 0) !== max) bad++;
      }
      assert.is(bad, 0, `${bad} symbols lost or doubled ticks`);
      assert.ok(routed > 15_000);
    } finally {
      await adapter.disconnect();
    }
  } finally {
    await w?.close();
    await p.close();
  }
});

test.run();
