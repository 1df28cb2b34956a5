// Slow clients, for real: a client whose socket stops reading fills the kernel's buffers and
// then the server's. Each policy is checked with exact counts: every tick of the client's
// symbols since it subscribed is delivered, conflated (superseded by a newer value it got) or
// dropped — by the records' own seq numbers — and a fast client beside it loses nothing.
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { Socket } from "node:net";
import * as L from "../src/format/layout.js";
import type { SimulatedAdapter } from "../src/feed/sim/feed.js";
import type { TickwireSystem, BackpressureConfig } from "../src/node/index.js";
import { startSystem, instruments, RawClient } from "./helpers/proxy-world.js";
import { until, sleep } from "./helpers/feed-world.js";

const SYMBOLS = 40;

/** Per symbol id: the seq of the first record received and how many records came. */
function binaryCounts(c: RawClient): { first: Map<number, number>; count: Map<number, number>; last: Map<number, number> } {
  const first = new Map<number, number>();
  const count = new Map<number, number>();
  const last = new Map<number, number>();
  for (const frame of c.binary) {
    const dv = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
    for (let p = 0; p < frame.length; p += dv.getUint16(p, true)) {
      const id = dv.getUint32(p + L.OFF_SYMBOL_ID, true);
      const seq = Number(dv.getBigUint64(p + L.OFF_SEQ, true));
      if (!first.has(id)) first.set(id, seq);
      const prev = last.get(id) ?? -1;
      if (seq <= prev) throw new Error(`symbol ${id}: seq ${seq} after ${prev}: a stale or repeated value`);
      last.set(id, seq);
      count.set(id, (count.get(id) ?? 0) + 1);
    }
  }
  return { first, count, last };
}

/** The seq of each symbol's latest record in the cache. */
function cacheSeq(system: TickwireSystem, id: number): number {
  const rec = system.parallelProcessor!.cache.snapshot(id)!;
  return Number(new DataView(rec.buffer, rec.byteOffset).getBigUint64(L.OFF_SEQ, true));
}

async function scenario(backpressure: BackpressureConfig) {
  const system = await startSystem({ feed: { ticksPerSecond: 30_000 }, proxy: { backpressure: { highWaterBytes: 64 * 1024, ...backpressure } } });
  const clients: RawClient[] = [];
  try {
    const syms = instruments(system, SYMBOLS);
    // Every symbol has a value first, so each subscription starts with a snapshot.
    const warm = await RawClient.auth(system.url!);
    clients.push(warm);
    await warm.request({ action: "subscribe", symbols: syms, mode: 3 });
    await until(() => syms.every((s) => system.quote(s.exchange, s.symbol) !== undefined), "every symbol to have a value", 10_000);
    const fast = await RawClient.auth(system.url!);
    const slow = await RawClient.auth(system.url!);
    clients.push(fast, slow);
    for (const c of [fast, slow]) {
      await c.request({ action: "set_format", format: "binary" });
      const reply = await c.request({ action: "subscribe", symbols: syms, mode: 3 });
      assert.is(reply.status, "success");
    }
    const slowSocket = (slow.ws as unknown as { _socket: Socket })._socket;
    slowSocket.pause();
    const slowStats = () => system.clients().find((s) => s.id === "c3")!;
    await until(() => slowStats().slow, "the paused client to be found slow", 15_000);
    await sleep(300);
    const sim = system.feed as unknown as SimulatedAdapter;
    await sim.stop();
    await sleep(300); // the workers and the pump drain
    slowSocket.resume();
    return { system, fast, slow, slowStats, fastStats: () => system.clients().find((s) => s.id === "c2")!, syms, clients };
  } catch (err) {
    for (const c of clients) c.close();
    await system.stop();
    throw err;
  }
}

/** Σ over the client's symbols of the ticks since its first (snapshot) record: 1 + seq_end − seq_first. */
function expectedTicks(system: TickwireSystem, first: Map<number, number>): number {
  let n = 0;
  for (const [id, seq] of first) n += 1 + cacheSeq(system, id) - seq;
  return n;
}

test("conflate: a slow client gets the latest value of each symbol, never a backlog; counts are exact; a fast client loses nothing", async () => {
  const s = await scenario({ policy: "conflate" });
  try {
    await until(() => !s.slowStats().slow && s.slowStats().bufferedBytes === 0, "the slow client to recover", 15_000);
    await sleep(200);
    const slow = s.slowStats();
    const fast = s.fastStats();
    const slowSeen = binaryCounts(s.slow);
    const fastSeen = binaryCounts(s.fast);
    const received = [...slowSeen.count.values()].reduce((a, b) => a + b, 0);
    assert.is(slow.delivered, received, "delivered = records the slow client received");
    assert.ok(slow.conflated > 0, "conflation happened");
    assert.is(slow.dropped, 0);
    assert.is(slow.delivered + slow.conflated, expectedTicks(s.system, slowSeen.first), "every tick delivered or conflated");
    // Never stale: each symbol's last record is the cache's latest.
    for (const [id, seq] of slowSeen.last) assert.is(seq, cacheSeq(s.system, id), `symbol ${id} ends at the latest value`);
    const fastReceived = [...fastSeen.count.values()].reduce((a, b) => a + b, 0);
    assert.equal([fast.conflated, fast.dropped, fast.delivered], [0, 0, fastReceived]);
    assert.is(fastReceived, expectedTicks(s.system, fastSeen.first), "the fast client got every tick");
  } finally {
    for (const c of s.clients) c.close();
    await s.system.stop();
  }
});

test("drop-oldest: frames beyond the queue are dropped oldest first, every dropped tick counted", async () => {
  const s = await scenario({ policy: "drop-oldest", maxQueueBytes: 64 * 1024 });
  try {
    await until(() => !s.slowStats().slow && s.slowStats().bufferedBytes === 0, "the slow client to recover", 15_000);
    await sleep(200);
    const slow = s.slowStats();
    const seen = binaryCounts(s.slow);
    const received = [...seen.count.values()].reduce((a, b) => a + b, 0);
    assert.is(slow.delivered, received);
    assert.ok(slow.dropped > 0, "ticks were dropped");
    assert.is(slow.conflated, 0);
    assert.is(slow.delivered + slow.dropped, expectedTicks(s.system, seen.first), "every tick delivered or dropped");
    const fast = s.fastStats();
    const fastSeen = binaryCounts(s.fast);
    assert.equal([fast.conflated, fast.dropped], [0, 0]);
    assert.is(fast.delivered, expectedTicks(s.system, fastSeen.first), "the fast client got every tick");
  } finally {
    for (const c of s.clients) c.close();
    await s.system.stop();
  }
});

test("conflate: a slow client that leaves has its pending latest values counted dropped", async () => {
  const system = await startSystem({ feed: { ticksPerSecond: 30_000 }, proxy: { backpressure: { policy: "conflate", highWaterBytes: 64 * 1024 } } });
  const c = await RawClient.auth(system.url!);
  try {
    await c.request({ action: "subscribe", symbols: instruments(system, SYMBOLS), mode: 3 });
    const socket = (c.ws as unknown as { _socket: Socket })._socket;
    socket.pause();
    await until(() => system.clients()[0]?.slow === true && system.clients()[0]!.conflated > 0, "the client to be slow and conflating", 15_000);
    c.close();
    await until(() => system.stats().proxy!.clients === 0, "the client to be released", 5000);
    const p = system.stats().proxy!;
    assert.ok(p.dropped > 0 && p.dropped <= SYMBOLS, `one pending value per symbol at most: dropped ${p.dropped}`);
  } finally {
    c.close();
    await system.stop();
  }
});

test("disconnect: a client slow for longer than maxLagMs is closed with 4008, its queued ticks counted dropped", async () => {
  const logs: string[] = [];
  const system = await startSystem({ feed: { ticksPerSecond: 30_000 }, proxy: { backpressure: { policy: "disconnect", highWaterBytes: 64 * 1024, maxLagMs: 300 } }, log: (l) => logs.push(l) });
  const c = await RawClient.auth(system.url!);
  try {
    await c.request({ action: "subscribe", symbols: instruments(system, SYMBOLS), mode: 3 });
    const socket = (c.ws as unknown as { _socket: Socket })._socket;
    socket.pause();
    // Once the server gave up on it (its queued ticks counted dropped), the client reads again and finds the close frame.
    await until(() => logs.some((l) => /closed: (slower than the feed|its queue passed)/.test(l)), "the slow client to be given up", 15_000);
    socket.resume();
    const closed = await c.waitClosed();
    assert.equal(closed, { code: 4008, reason: "too slow" });
    await until(() => system.stats().proxy!.clients === 0, "the client to be gone", 5000);
    assert.ok(system.stats().proxy!.dropped > 0);
  } finally {
    c.close();
    await system.stop();
  }
});

test.run();
