// 50 000 instruments over 50 Noren connections to the simulated server: subscribed within the
// broker's limits, then every connection dropped at once and everything re-subscribed, with
// no instrument missing and no connection over its message rate.
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { SubscriptionRequest } from "../src/feed/contract.js";
import { feedWorld, until, recordSends, overRate } from "./helpers/feed-world.js";

const N = 50_000;
const PER_SECOND = 10;

test("50 000 instruments: subscribed over 50 connections, re-subscribed in full after a drop, within 10 messages/s and 50 scrips a message", async () => {
  const w = await feedWorld({ instruments: N, ticksPerSecond: 0 }, {
    limits: { symbolsPerConnection: 1000, connectionsPerAccount: 50, messagesPerSecond: PER_SECOND, instrumentsPerMessage: 50 },
    coalesceMs: 20, ackTimeoutMs: 60_000,
  });
  const sends = recordSends();
  try {
    const requests: SubscriptionRequest[] = w.server.universe.map((r) => ({ exchange: r.exchange, symbol: r.symbol, mode: 1 }));
    let t = Date.now();
    const results = await w.adapter.subscribe(requests);
    const firstMs = Date.now() - t;
    assert.is(results.filter((r) => r.ok).length, N);
    const report = w.adapter.report();
    assert.is(report.links.length, 50);
    assert.ok(report.links.every((l) => l.instruments === 1000));
    const ids = w.server.universe.map((r) => w.symbols.find(r.exchange, r.symbol));
    const before = ids.map((id) => w.log.count.get(id) ?? 0);
    assert.ok(before.every((c) => c >= 1), "a snapshot for every instrument");

    t = Date.now();
    assert.is(w.server.dropConnections(), 50);
    await until(() => w.events.filter((e) => e.type === "resubscribed").length === 50, "50 re-subscriptions", 30_000);
    await until(() => ids.every((id, i) => (w.log.count.get(id) ?? 0) > before[i]!), "a fresh snapshot of every instrument", 60_000);
    const againMs = Date.now() - t;
    const live = w.server.stats.perConnection.filter((c) => c.open && c.loggedIn);
    assert.is(live.length, 50);
    assert.is(live.reduce((n, c) => n + c.touchline, 0), N);
    for (const c of w.server.stats.perConnection) {
      assert.ok(c.requests.every((q) => q.scrips <= 50), `connection ${c.id}: a message over 50 scrips`);
    }
    assert.equal(overRate(sends.sent, PER_SECOND).slice(0, 3), [], `more than ${PER_SECOND} messages a second`);
    assert.is(sends.sent.size, 100, "50 sockets before the drop, 50 after");
    assert.equal(w.log.errors, []);
    console.log(`  50 000 subscribed in ${firstMs} ms; re-subscribed after a drop in ${againMs} ms`);
  } finally {
    sends.stop();
    await w.close();
  }
});

test.run();
