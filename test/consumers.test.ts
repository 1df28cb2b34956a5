// In-process consumers of the fan-out (createConsumer / Consumer): each policy under a slow
// consumer with exact counts, a consumer that stops reading under `block`, adaptive batches,
// a consumer that throws beside one that does not, the symbol filter — with the consumers in
// real worker threads and ticks with known sequence numbers routed through the processor.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { startWorker } from "../src/node/index.js";
import { createSystem, type TickwireSystem, type SystemConfig } from "../src/node/index.js";
import { Consumer, type ConsumerHandle, type ConsumerOptions } from "../src/index.js";
import type { SimulatedAdapter } from "../src/feed/sim/feed.js";
import { TickSource, internSymbols } from "./helpers/tick-source.js";
import { firstMessage, WorkerGroup } from "./helpers/workers.js";
import { until, sleep } from "./helpers/feed-world.js";
import { throwsCode, rejectsCode } from "./helpers/assertions.js";

const WORKER = new URL("./workers/consumer-worker.ts", import.meta.url);
const SYMBOLS = 64;

/** A system whose feed is idle (nothing subscribed): the test routes TickSource batches itself. */
async function world(processor: SystemConfig["processor"] = {}): Promise<{ system: TickwireSystem; source: TickSource }> {
  const system = await createSystem({
    feed: { broker: "simulated", instruments: 50, ticksPerSecond: 1000 },
    processor: { workers: 2, maxWorkers: 2, maxSymbols: 1024, ingestRingBytes: 64 * 1024, fanoutRingBytes: 256 * 1024, consumerQueueBytes: 128 * 1024, consumerSlots: 4, ...processor },
    proxy: false,
    monitor: { intervalMs: 100, alerts: { raiseAfter: 1, clearAfter: 1, sinks: [] } },
  });
  await system.start();
  const p = system.parallelProcessor!;
  const source = new TickSource(p.mem, internSymbols(p.symbols, SYMBOLS), 256, p.symbols);
  return { system, source };
}

async function route(system: TickwireSystem, source: TickSource, ticks: number): Promise<void> {
  const p = system.parallelProcessor!;
  for (let sent = 0; sent < ticks; sent += source.batchRecords) await p.route(source.region, source.fill());
}

type Behaviour = "slow" | "stall" | "throw" | "fast";
interface Result {
  total: number; batches: number; maxBatchSeen: number; problems: string[]; errorsSeen: { message: string; size: number }[];
  stats: ReturnType<Consumer["stats"]>; batchSizeAtEnd: number; received: [number, number][]; lastSeq: [number, number][];
  ending?: { code?: string; message: string };
}

/** A consumer in a worker thread; resolves once it is attached. */
async function consumerWorker(group: WorkerGroup, handle: ConsumerHandle, behaviour: Behaviour, options: ConsumerOptions = {}, extra: { delayMs?: number; stallAfter?: number } = {}) {
  const signal = new Int32Array(new SharedArrayBuffer(8));
  const worker = group.add(startWorker(WORKER, { workerData: { handle, options, behaviour, signal, ...extra } }));
  await firstMessage(worker, 10_000, "consumer worker");
  const result = new Promise<Result>((resolve, reject) => {
    worker.once("message", resolve);
    worker.once("error", reject);
  });
  return { worker, signal, result, seen: () => Atomics.load(signal, 0) };
}

/** Asks a worker's consumer to finish once it has seen `n` ticks (or its counts stopped moving), and returns what it saw. */
async function finish(c: Awaited<ReturnType<typeof consumerWorker>>, n: number, what: string): Promise<Result> {
  await until(() => c.seen() >= n, what, 20_000);
  c.worker.postMessage("finish");
  return withTimeout(c.result, 10_000, `${what}: the result`);
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms))]);
}

function receivedExactly(result: Result, source: TickSource, what: string): void {
  const got = new Map(result.received);
  for (let id = 0; id < source.sent.length; id++) {
    if (source.sent[id] === 0) continue;
    assert.is(got.get(id) ?? 0, source.sent[id], `${what}: symbol ${id} got every tick sent`);
  }
}

test("block: a slow consumer in a worker gets every tick, in order per symbol, exactly once; the feed waits for it and the monitor says so", async () => {
  const { system, source } = await world();
  const group = new WorkerGroup();
  try {
    const handle = await system.createConsumer({ instruments: "all", mode: 1, policy: "block", name: "recorder", detachAfterMs: 4000 });
    const c = await consumerWorker(group, handle, "slow", { maxBatch: 64 }, { delayMs: 4 });
    let held = 0;
    const watch = setInterval(() => {
      for (const s of system.sample()?.consumers ?? []) if (s.name === "recorder") held = Math.max(held, s.holdingFeedMs);
    }, 20);
    const N = 30_720;
    try {
      await route(system, source, N);
    } finally {
      clearInterval(watch);
    }
    const result = await finish(c, N, "the slow block consumer");
    assert.equal(result.problems, []);
    assert.is(result.total, N);
    receivedExactly(result, source, "block");
    assert.equal([result.stats.dropped, result.stats.conflated, result.stats.lapped, result.stats.errors], [0, 0, 0, 0]);
    assert.is(result.stats.delivered, N);
    assert.ok(held > 0, `the monitor saw the consumer holding the feed (${held} ms)`);
    assert.is(system.stats().lapped, 0, "the pump was not lapped either");
  } finally {
    await group.terminate();
    await system.stop();
  }
});

test("block: a consumer that stops reading is detached after detachAfterMs, reported (sample, alert), and the feed goes on; the consumer learns it (DETACHED)", async () => {
  const { system, source } = await world();
  const group = new WorkerGroup();
  try {
    const handle = await system.createConsumer({ instruments: "all", mode: 1, policy: "block", name: "stuck", detachAfterMs: 300 });
    const c = await consumerWorker(group, handle, "stall", {}, { stallAfter: 512 });
    const started = Date.now();
    await withTimeout(route(system, source, 20_480), 15_000, "routing past a stalled block consumer");
    assert.ok(Date.now() - started >= 250, "the feed was held for a while first");
    await until(() => system.sample()?.consumers.some((s) => s.name === "stuck" && s.state === "detached") ?? false, "the sample shows it detached", 5000);
    await until(() => system.sample()?.alerts.some((a) => a.name.startsWith("consumerDetached")) ?? false, "a consumerDetached alert", 5000);
    Atomics.store(c.signal, 1, 1);
    Atomics.notify(c.signal, 1);
    const result = await withTimeout(c.result, 10_000, "the stalled consumer's end");
    assert.is(result.ending?.code, "DETACHED");
    assert.match(result.ending!.message, /stuck was detached/);
    assert.equal(result.problems, [], "what it got before was intact and in order");
    await until(() => !(system.sample()?.consumers.some((s) => s.name === "stuck") ?? true), "the slot closed", 5000);
  } finally {
    await group.terminate();
    await system.stop();
  }
});

test("conflate: a slow consumer gets the latest value of every symbol; delivered + conflated = ticks sent, nothing lapped", async () => {
  const { system, source } = await world({ fanoutRingBytes: 4 << 20 });
  const group = new WorkerGroup();
  try {
    const handle = await system.createConsumer({ instruments: "all", mode: 1, policy: "conflate" });
    const c = await consumerWorker(group, handle, "slow", { maxBatch: 16 }, { delayMs: 10 });
    const N = 20_480;
    await route(system, source, N);
    // Drained: every symbol's last tick handed over.
    await until(() => c.seen() > 0 && system.sample()?.consumers[0]?.backlog === 0 && system.sample()!.consumers[0]!.delivered + system.sample()!.consumers[0]!.conflated === N, "the conflating consumer drained", 20_000);
    c.worker.postMessage("finish");
    const result = await withTimeout(c.result, 10_000, "result");
    assert.equal(result.problems, []);
    assert.is(result.stats.lapped, 0);
    assert.is(result.stats.delivered + result.stats.conflated, N, "every tick delivered or conflated, none lost uncounted");
    assert.ok(result.stats.conflated > N / 2, `most were conflated (${result.stats.conflated})`);
    for (const [id, seq] of result.lastSeq) assert.is(seq, source.sent[id]! - 1, `symbol ${id}: its latest tick was delivered`);
    assert.is(result.lastSeq.length, SYMBOLS);
  } finally {
    await group.terminate();
    await system.stop();
  }
});

test("drop-oldest: a slow consumer keeps the newest queueLimit ticks; delivered + dropped = ticks sent; what it gets is in order", async () => {
  // One worker: one ring, so the order ticks arrive in is the order they were routed in.
  const { system, source } = await world({ workers: 1, fanoutRingBytes: 4 << 20 });
  const group = new WorkerGroup();
  try {
    const handle = await system.createConsumer({ instruments: "all", mode: 1, policy: "drop-oldest" });
    const c = await consumerWorker(group, handle, "slow", { maxBatch: 10, queueLimit: 100 }, { delayMs: 10 });
    const N = 10_240;
    await route(system, source, N);
    await until(() => { const s = system.sample()?.consumers[0]; return s !== undefined && s.backlog === 0 && s.delivered + s.dropped === N; }, "the drop-oldest consumer drained", 20_000);
    c.worker.postMessage("finish");
    const result = await withTimeout(c.result, 10_000, "result");
    assert.equal(result.problems, []);
    assert.is(result.stats.lapped, 0);
    assert.is(result.stats.delivered + result.stats.dropped, N);
    assert.ok(result.stats.dropped > N / 2, `most were dropped (${result.stats.dropped})`);
    // The newest 100 ticks (the last batch routed ends with every symbol's last seq for the last 100 records) reached it.
    const last = new Map(result.lastSeq);
    let newest = 0;
    for (let id = 0; id < SYMBOLS; id++) if (last.get(id) === source.sent[id]! - 1) newest++;
    assert.is(newest, SYMBOLS, "every symbol's newest tick is among the kept ones (100 ≥ 64 symbols)");
  } finally {
    await group.terminate();
    await system.stop();
  }
});

test("adaptive batches: the batch size grows while the consumer is behind and shrinks back once it has caught up (for await, in this thread)", async () => {
  const { system, source } = await world({ fanoutRingBytes: 4 << 20 });
  try {
    const consumer = await system.openConsumer({ instruments: "all", mode: 1, policy: "block" }, { minBatch: 1, maxBatch: 64 });
    const deadline = setTimeout(() => consumer.close(), 15_000); // a hang ends the loop, and the assertions say what was missing
    const routing = route(system, source, 4096);
    const sizes: number[] = [];
    let got = 0;
    let trickle: Promise<void> | undefined;
    for await (const batch of consumer) {
      sizes.push(batch.size);
      got += batch.size;
      if (got >= 4096 && !trickle) {
        // Caught up: now one tick at a time, slowly.
        trickle = (async () => {
          const one = new TickSource(system.parallelProcessor!.mem, [0], 1, system.parallelProcessor!.symbols);
          one.sent[0] = source.sent[0]!;
          for (let i = 0; i < 12; i++) {
            await system.parallelProcessor!.route(one.region, one.fill());
            await sleep(15);
          }
        })();
      }
      if (got >= 4096 + 12) break;
      await sleep(1); // a slow consumer
    }
    clearTimeout(deadline);
    await routing;
    await trickle;
    assert.ok(Math.max(...sizes) === 64, `grew to maxBatch while behind: ${sizes.slice(0, 12).join(",")}`);
    assert.is(consumer.batchSize, 1, "back to minBatch after catching up");
    assert.is(consumer.stats().delivered, 4096 + 12);
    await until(() => system.sample()?.consumers.every((s) => s.state !== "active") ?? false, "breaking out of for-await closed it", 3000);
  } finally {
    await system.stop();
  }
});

test("a consumer that throws does not stop the others: its errors are counted and reported with the batch, it goes on; the other gets everything", async () => {
  const { system, source } = await world();
  const group = new WorkerGroup();
  try {
    const bad = await consumerWorker(group, await system.createConsumer({ instruments: "all", mode: 1, policy: "block", name: "bad" }), "throw", { maxBatch: 32 });
    const good = await consumerWorker(group, await system.createConsumer({ instruments: "all", mode: 1, policy: "block", name: "good" }), "fast", { maxBatch: 32 });
    const N = 10_240;
    await route(system, source, N);
    const goodResult = await finish(good, N, "the good consumer");
    await until(() => system.sample()?.consumers.find((s) => s.name === "bad")?.delivered === N, "the throwing consumer got through", 20_000);
    bad.worker.postMessage("finish");
    const badResult = await withTimeout(bad.result, 10_000, "bad result");
    assert.equal(goodResult.problems, []);
    receivedExactly(goodResult, source, "the good consumer");
    assert.is(badResult.stats.delivered, N, "the throwing one was handed every tick");
    assert.is(badResult.stats.errors, Math.floor(badResult.batches / 3));
    assert.ok(badResult.errorsSeen.length > 0 && badResult.errorsSeen.every((e) => /boom at batch/.test(e.message) && e.size > 0), "onError got the error and its batch");
    assert.equal(badResult.problems, []);
    assert.ok(system.sample()!.consumers.length === 0 || system.sample()!.consumers.every((s) => s.name !== "good" || s.errors === 0));
  } finally {
    await group.terminate();
    await system.stop();
  }
});

test("the symbol filter: a consumer of some instruments gets theirs only (subscribed upstream for it), while other symbols flow", async () => {
  const system = await createSystem({ feed: { broker: "simulated", instruments: 50, ticksPerSecond: 5000 }, processor: { workers: 2, maxSymbols: 1024 }, proxy: false });
  await system.start();
  try {
    const universe = (system.feed as SimulatedAdapter).universe;
    const mine = universe.slice(0, 3).map((r) => ({ exchange: r.exchange, symbol: r.symbol }));
    await system.subscribe(universe.slice(3, 20).map((r) => ({ exchange: r.exchange, symbol: r.symbol })));
    const consumer = await system.openConsumer({ instruments: mine, mode: 2, policy: "conflate" });
    const ids = new Set(mine.map((m) => system.parallelProcessor!.symbols.find(m.exchange as "NSE", m.symbol)));
    const seen = new Set<number>();
    let n = 0;
    for await (const batch of consumer) {
      for (const t of batch) {
        assert.ok(ids.has(t.symbolId), `only its symbols (got ${t.symbolId})`);
        seen.add(t.symbolId);
        n++;
      }
      const ticks = batch.ticks();
      assert.ok(ticks.every((t) => mine.some((m) => m.symbol === t.symbol) && t.mode === 2));
      if (n >= 200) break;
    }
    assert.is(seen.size, 3);
    assert.ok(system.stats().ticksOut > n, "others' ticks flowed meanwhile");
  } finally {
    await system.stop();
  }
});

test("bad input: createConsumer and Consumer.open refuse what they cannot honour, by name; a handle opens once; slots run out and come back", async () => {
  const { system } = await world();
  try {
    await rejectsCode(system.createConsumer({ instruments: "all", policy: "latest" as "block" }), "ARGUMENT", /policy/);
    await rejectsCode(system.createConsumer({ instruments: "all", mode: 4 as 1 }), "ARGUMENT", /mode/);
    await rejectsCode(system.createConsumer({ instruments: "everything" as "all" }), "ARGUMENT", /instruments/);
    await rejectsCode(system.createConsumer({ instruments: [{ exchange: "NSE", symbol: "NO_SUCH" }] }), "ARGUMENT", /could not subscribe NSE:NO_SUCH/);
    await rejectsCode(system.createConsumer({ instruments: "all", detachAfterMs: -1 }), "ARGUMENT", /detachAfterMs/);
    const handle = await system.createConsumer({ instruments: "all", mode: 1 });
    const mem = system.parallelProcessor!.mem;
    throwsCode(() => Consumer.open(mem, handle, { minBatch: 10, maxBatch: 5 }), "ARGUMENT");
    const consumer = Consumer.open(mem, handle);
    throwsCode(() => Consumer.open(mem, handle), "HANDLE");
    throwsCode(() => Consumer.open(mem, { ...handle, policy: "x" as "block" }), "HANDLE");
    // "all" at mode 2 under conflate needs a queue slot per symbol: 1024 do not fit 128 KiB of 192-byte ticks.
    await rejectsCode(system.createConsumer({ instruments: "all" }), "ARGUMENT", /1024 symbols do not fit its queue of 682/);
    await rejectsCode(system.createConsumer({ instruments: "all", detachAfterMs: 5000, policy: "block", mode: 1 }), "ARGUMENT", /below processor\.claimTimeoutMs/);
    const more = [await system.createConsumer({ instruments: "all", mode: 1 }), await system.createConsumer({ instruments: "all", mode: 1 })];
    await system.createConsumer({ instruments: "all", mode: 1 });
    await rejectsCode(system.createConsumer({ instruments: "all", mode: 1 }), "ARGUMENT", /all 4 consumer slots are taken/);
    consumer.close();
    const again = await system.createConsumer({ instruments: "all", mode: 1 });
    assert.is(again.slot, handle.slot, "a closed consumer's slot is taken again");
    void more;
  } finally {
    await system.stop();
  }
});

test("a block consumer refuses queueLimit (it dropped ticks: block must not); two opens of one handle: one consumer, the other HANDLE; stop() ends a consumer's loop", async () => {
  const { system, source } = await world();
  try {
    const mem = system.parallelProcessor!.mem;
    const block = await system.createConsumer({ instruments: "all", mode: 1, policy: "block" });
    throwsCode(() => Consumer.open(mem, block, { queueLimit: 100 }), "ARGUMENT", /queueLimit is for drop-oldest/);
    const first = Consumer.open(mem, block);
    throwsCode(() => Consumer.open(mem, block), "HANDLE", /opens once/);
    await route(system, source, 2048);
    let got = 0;
    for await (const batch of first) {
      got += batch.size;
      if (got >= 2048) break;
    }
    assert.is(got, 2048, "the one consumer got every tick");
    // A consumer waiting for ticks when the system stops: its loop ends (it hung before).
    const waiting = await system.openConsumer({ instruments: "all", mode: 1, policy: "drop-oldest" });
    const ended = (async () => { for await (const batch of waiting) void batch; return "ended"; })();
    await sleep(50);
    await system.stop();
    assert.is(await withTimeout(ended, 3000, "the loop after stop()"), "ended");
  } finally {
    await system.stop();
  }
});

test.run();
