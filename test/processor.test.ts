import { test } from "uvu";
import * as assert from "uvu/assert";
import { TickwireError, layout as L } from "../src/index.js";
import { ParallelProcessor, resolveProcessorConfig, type ProcessorEvent } from "../src/node/index.js";
import { TickSource, CheckingConsumer, internSymbols } from "./helpers/tick-source.js";

const SYMBOLS = 5000;
const tick = () => new Promise((r) => setTimeout(r, 0));

async function setup(workers: number, maxWorkers = 4, events: ProcessorEvent[] = []) {
  const p = await ParallelProcessor.start(
    { workers, maxWorkers, maxSymbols: 8192, ingestRingBytes: 1 << 18, fanoutRingBytes: 1 << 22, drainTimeoutMs: 20_000 },
    { onEvent: (e) => events.push(e) },
  );
  const ids = internSymbols(p.symbols, SYMBOLS);
  const source = new TickSource(p.mem, ids, 1024, p.symbols);
  const consumer = new CheckingConsumer(p.mem, p.fanoutReaders(), SYMBOLS);
  return { p, source, consumer, events };
}

// Waits until the consumer has read `want` ticks (the workers catch up).
async function settle(consumer: CheckingConsumer, want: number, ms = 20_000) {
  const deadline = Date.now() + ms;
  while (consumer.total < want && Date.now() < deadline) {
    consumer.drain();
    await new Promise((r) => setTimeout(r, 2));
  }
}

// Every tick sent was received exactly once (with the per-ring order checks) and the cache holds each symbol's last.
function assertExactlyOnce(p: ParallelProcessor, source: TickSource, consumer: CheckingConsumer) {
  assert.equal(consumer.errors, []);
  let bad = 0;
  for (let id = 0; id < SYMBOLS; id++) if (consumer.received[id] !== source.sent[id]) bad++;
  assert.is(bad, 0, `${bad} symbols received a different count than sent`);
  const u32 = p.mem.u32;
  const scratch = p.mem.allocate(L.DEPTH_BYTES);
  for (let id = 0; id < SYMBOLS; id += 97) {
    assert.ok(p.cache.readInto(id, scratch) > 0, `symbol ${id} is in the cache`);
    assert.is(u32[(scratch + L.OFF_SEQ) >>> 2], source.sent[id]! - 1, `cache holds symbol ${id}'s last tick`);
  }
}

test("config: every bad field is named", () => {
  const bad = (c: any, re: RegExp) => { try { resolveProcessorConfig(c); assert.unreachable(); } catch (e) { assert.instance(e, TickwireError); assert.match((e as Error).message, re); } };
  bad({ workers: 0 }, /workers must be an integer from 1/);
  bad({ workers: 3, maxWorkers: 2 }, /workers must be an integer from 1 to 2/);
  bad({ workers: 1, ingestRingBytes: 5000 }, /ingestRingBytes must be a power of two/);
  bad({ workers: 1, ingestRingBytes: 1 << 20, fanoutRingBytes: 1 << 21 }, /at least 4 × ingestRingBytes/);
  bad({ workers: 1, cacheMaxKind: 4 }, /cacheMaxKind/);
  bad({ workers: 1, claimTimeoutMs: -1 }, /claimTimeoutMs/);
  bad(null, /expected an object/);
  assert.is(resolveProcessorConfig({ workers: 2 }).maxWorkers, 8);
});

test("routing, cache and fan-out: 400 000 ticks over 5 000 symbols and 2 workers, each received once, in order", async () => {
  const { p, source, consumer } = await setup(2);
  try {
    for (let i = 0; i < 400; i++) {
      await p.route(source.region, source.fill());
      consumer.drain();
      if (i % 20 === 0) await tick();
    }
    await settle(consumer, 400 * 1024);
    assertExactlyOnce(p, source, consumer);
    const stats = p.stats();
    assert.is(stats[0]!.processed + stats[1]!.processed, 400 * 1024);
    assert.ok(stats[0]!.processed > 150_000 && stats[1]!.processed > 150_000, "both workers carry load");
  } finally {
    await p.close();
  }
});

test("a worker killed mid-stream is restarted, takes its partitions back, and nothing committed is lost or doubled", async () => {
  const { p, source, consumer, events } = await setup(2);
  try {
    for (let i = 0; i < 300; i++) {
      await p.route(source.region, source.fill());
      if (i % 50 === 25) void p.workerThread((i / 50) & 1)?.terminate(); // six kills, both workers
      consumer.drain();
      if (i % 10 === 0) await tick();
    }
    await settle(consumer, 300 * 1024);
    assert.equal(events.filter((e) => e.type === "restart").map((e) => e.worker).sort(), [0, 0, 0, 1, 1, 1]);
    assertExactlyOnce(p, source, consumer);
    assert.is(p.stats()[0]!.restarts, 3);
    // Counters stay exact across the kills: a batch replayed by a restarted worker is neither
    // published nor applied to the cache twice, and a batch finished by a dying one is counted.
    assert.is(p.stats()[0]!.processed + p.stats()[1]!.processed, 300 * 1024, "processed counts every tick once");
    let off = 0;
    for (let id = 0; id < SYMBOLS; id++) if (p.cache.updates(id) !== source.sent[id]) off++;
    assert.is(off, 0, `${off} symbols' cache update counts differ from the ticks sent`);
  } finally {
    await p.close();
  }
});

test("resizing 2 → 3 → 1 workers while ticks flow moves the fewest symbols and keeps every tick once, in order", async () => {
  const { p, source, consumer } = await setup(2);
  let routing = true;
  let flow: Promise<void> = Promise.resolve();
  try {
    let batches = 0;
    flow = (async () => {
      while (routing) {
        await p.route(source.region, source.fill());
        batches++;
        consumer.drain();
        await tick();
      }
    })();
    while (batches < 50) await tick();
    const up = await p.resize(3);
    assert.is(p.workers, 3);
    assert.ok(Math.abs(up.movedShare - 1 / 3) < 0.01, `2 → 3 moved ${up.movedShare}`);
    const mark = batches;
    while (batches < mark + 50) await tick();
    const down = await p.resize(1);
    assert.is(p.workers, 1);
    assert.ok(Math.abs(down.movedShare - 2 / 3) < 0.01, `3 → 1 moved ${down.movedShare}`);
    const mark2 = batches;
    while (batches < mark2 + 50) await tick();
    routing = false;
    await flow;
    await settle(consumer, batches * 1024);
    assert.is(consumer.total, batches * 1024);
    assertExactlyOnce(p, source, consumer);
    assert.ok(p.stats()[2]!.processed > 0, `the third worker took a share while it ran: ${JSON.stringify(p.stats())}`);
    assert.is(p.stats()[2]!.running, false);
  } finally {
    routing = false;
    await flow.catch(() => {});
    await p.close();
  }
});

test("a route() waiting for room across a resize is re-routed by the new map: nothing lands on a removed worker after the switch", async () => {
  const p = await ParallelProcessor.start({ workers: 2, maxWorkers: 2, maxSymbols: 1024, ingestRingBytes: 4096, fanoutRingBytes: 1 << 16, claimTimeoutMs: 5000 });
  try {
    const ids = internSymbols(p.symbols, 64);
    const source = new TickSource(p.mem, ids, 16, p.symbols);
    const consumer = new CheckingConsumer(p.mem, p.fanoutReaders(), 64);
    // Stall worker 1's ingest ring with an uncommitted claim (as a slow second router would).
    const blocker = p.pool.get("ingest-1").writer();
    blocker.tryClaim(1024);
    let inflight: Promise<number> | undefined;
    for (let i = 0; i < 50 && !inflight; i++) {
      const routing = p.route(source.region, source.fill());
      if (!(await Promise.race([routing.then(() => true), new Promise((r) => setTimeout(() => r(false), 50))]))) inflight = routing;
    }
    assert.ok(inflight, "a route() is waiting for room in ingest-1");
    const resizing = p.resize(1);
    await new Promise((r) => setTimeout(r, 20));
    const tailAtSwitch = p.pool.get("ingest-1").tail;
    blocker.commit(0);
    await inflight;
    await resizing;
    // What reached the removed worker's ring after the switch is padding only (claims given back), no ticks.
    const ring1 = p.pool.get("ingest-1");
    for (let pos = tailAtSwitch; pos < ring1.tail; ) {
      const at = ring1.offset + 768 + (pos % ring1.capacity);
      assert.is(p.mem.u8[at + L.OFF_KIND], L.KIND_PADDING, `a tick at position ${pos} of the removed worker's ring, after the switch`);
      pos += p.mem.u8[at]! | (p.mem.u8[at + 1]! << 8);
    }
    const sent = source.sent.reduce((a, b) => a + b, 0);
    await settle(consumer, sent, 5000);
    assert.equal(consumer.errors, []);
    assert.is(consumer.total, sent);
  } finally {
    await p.close();
  }
});

test("a router that dies mid-batch (claim never committed) does not block its worker for good: the claim is given up and reported", async () => {
  const events: ProcessorEvent[] = [];
  const p = await ParallelProcessor.start({ workers: 1, maxWorkers: 1, maxSymbols: 1024, ingestRingBytes: 1 << 16, fanoutRingBytes: 1 << 18, unblockAfterMs: 200 }, { onEvent: (e) => events.push(e) });
  try {
    const source = new TickSource(p.mem, internSymbols(p.symbols, 100), 64, p.symbols);
    const consumer = new CheckingConsumer(p.mem, p.fanoutReaders(), 100);
    const dead = p.pool.get("ingest-0").writer();
    dead.tryClaim(640); // a router thread that died after its claim
    await p.route(source.region, source.fill());
    await settle(consumer, 64, 5000);
    assert.is(consumer.total, 64, "the batch routed after the dead claim arrives");
    assert.equal(consumer.errors, []);
    assert.equal(events, [{ type: "unblocked", worker: 0, bytes: 640 }]);
  } finally {
    await p.close();
  }
});

test("a worker that keeps dying is declared failed: routing to its partition is refused at once, never hangs or lands in a ring nobody reads", async () => {
  const events: ProcessorEvent[] = [];
  const p = await ParallelProcessor.start(
    { workers: 1, maxWorkers: 1, maxSymbols: 8192, ingestRingBytes: 1 << 16, fanoutRingBytes: 1 << 18, maxRestarts: 1, claimTimeoutMs: 60_000 },
    { onEvent: (e) => events.push(e) },
  );
  try {
    const source = new TickSource(p.mem, internSymbols(p.symbols, 100), 256, p.symbols);
    await p.workerThread(0)!.terminate();
    while (!p.workerThread(0)) await new Promise((r) => setTimeout(r, 5));
    while (events.length < 1) await tick();
    await new Promise((r) => setTimeout(r, 200)); // let the restarted worker come up
    await p.workerThread(0)?.terminate();
    while (!events.some((e) => e.type === "failed")) await tick();
    assert.equal(events.map((e) => e.type), ["restart", "failed"]);
    assert.ok(p.failed(0));
    assert.ok(p.stats()[0]!.failed);
    const backlog = p.stats()[0]!.backlog;
    const started = Date.now();
    let error: unknown;
    try {
      await p.route(source.region, source.fill());
    } catch (e) {
      error = e;
    }
    assert.ok(Date.now() - started < 5000, "refused at once, not after claimTimeoutMs");
    assert.instance(error, TickwireError);
    assert.is((error as TickwireError).code, "FAILED");
    assert.match((error as Error).message, /worker 0 has failed/);
    assert.is(p.stats()[0]!.backlog, backlog, "nothing of the batch reached the ring");
  } finally {
    await p.close();
  }
});

test("resize 3 → 2 while a route() waits for room in ingest-2, then resize(1): every switch drains (a ring with no worker holds no barrier)", async () => {
  const p = await ParallelProcessor.start({ workers: 3, maxWorkers: 3, maxSymbols: 1024, ingestRingBytes: 4096, fanoutRingBytes: 1 << 16, claimTimeoutMs: 10_000, drainTimeoutMs: 5000 });
  try {
    const ids = internSymbols(p.symbols, 64);
    const source = new TickSource(p.mem, ids, 16, p.symbols);
    const consumer = new CheckingConsumer(p.mem, p.fanoutReaders(), 64);
    // Stall ingest-2 with an uncommitted claim (as a slow second router would), so a route waits there.
    const blocker = p.pool.get("ingest-2").writer();
    blocker.tryClaim(1024);
    let inflight: Promise<number> | undefined;
    for (let i = 0; i < 50 && !inflight; i++) {
      const routing = p.route(source.region, source.fill());
      if (!(await Promise.race([routing.then(() => true), new Promise((r) => setTimeout(() => r(false), 50))]))) inflight = routing;
    }
    assert.ok(inflight, "a route() is waiting for room in ingest-2");
    const shrinking = p.resize(2);
    await new Promise((r) => setTimeout(r, 20));
    blocker.commit(0); // worker 2 drains to the switch; the waiting route's claim then succeeds and is given back (padding after the switch)
    await inflight;
    await shrinking;
    assert.is(p.workers, 2);
    // Worker 2 is gone; a route that waited across the switch gives its claim back there (padding).
    // Whether that happened above before worker 2 stopped is a race: make it happen after, for sure.
    const late = p.pool.get("ingest-2").writer();
    late.tryClaim(64);
    late.commit(0);
    // Before the fix the next switch noted ingest-2's tail — padding nobody would ever read — and never drained.
    const down = await p.resize(1);
    assert.is(down.to, 1);
    for (let i = 0; i < 10; i++) await p.route(source.region, source.fill());
    const sent = source.sent.reduce((a, b) => a + b, 0);
    await settle(consumer, sent, 10_000);
    assert.equal(consumer.errors, []);
    assert.is(consumer.total, sent);
  } finally {
    await p.close();
  }
});

test("a worker that fails during a resize's drain does not stop the healthy ones: the barrier gives up on its ring, the resize ends, routing to it is refused, restartWorker brings it back", async () => {
  const events: ProcessorEvent[] = [];
  const p = await ParallelProcessor.start(
    { workers: 2, maxWorkers: 3, maxSymbols: 8192, ingestRingBytes: 1 << 16, fanoutRingBytes: 1 << 18, maxRestarts: 0, drainTimeoutMs: 10_000 },
    { onEvent: (e) => events.push(e) },
  );
  try {
    const ids = internSymbols(p.symbols, 3000);
    const source = new TickSource(p.mem, ids, 256, p.symbols);
    // Keep worker 1's ring from draining (an uncommitted claim at its head), then resize: the drain waits on it.
    const blocker = p.pool.get("ingest-1").writer();
    blocker.tryClaim(64);
    await p.route(source.region, source.fill());
    const resizing = p.resize(3);
    await new Promise((r) => setTimeout(r, 100));
    await p.workerThread(1)!.terminate(); // and worker 1 dies (maxRestarts 0: failed at once)
    const report = await resizing;
    assert.is(report.to, 3, "the resize finished");
    const failed = events.find((e) => e.type === "failed");
    assert.ok(failed && failed.type === "failed" && failed.worker === 1 && failed.abandonedBytes > 0, JSON.stringify(events.map((e) => ({ ...e, bytes: undefined }))));
    blocker.commit(0);
    // Healthy workers go on: a batch for the other partitions routes; one with ticks of partition 1 is refused at once.
    const healthy = ids.filter((id) => p.partitioner.partitionOfId(id) !== 1);
    const onlyHealthy = new TickSource(p.mem, healthy, 256, p.symbols);
    const before = p.stats()[0]!.processed + p.stats()[2]!.processed;
    assert.is(await p.route(onlyHealthy.region, onlyHealthy.fill()), 256);
    const deadline = Date.now() + 10_000;
    while (p.stats()[0]!.processed + p.stats()[2]!.processed < before + 256 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    assert.is(p.stats()[0]!.processed + p.stats()[2]!.processed, before + 256, "the healthy workers processed it");
    try { await p.route(source.region, source.fill()); assert.unreachable(); } catch (e) { assert.is((e as TickwireError).code, "FAILED"); }
    // Brought back: what its predecessor abandoned is dropped and counted, then its partition routes again.
    await p.restartWorker(1);
    assert.not.ok(p.failed(1));
    await p.route(source.region, source.fill());
    const until = Date.now() + 10_000;
    while (!events.some((e) => e.type === "discarded") && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
    assert.ok(p.stats()[1]!.discarded > 0, "the abandoned ticks were dropped, counted");
    assert.ok(events.some((e) => e.type === "discarded" && e.worker === 1));
    try { await p.restartWorker(0); assert.unreachable(); } catch (e) { assert.match((e as Error).message, /has not failed/); }
  } finally {
    await p.close();
  }
});

test("a poison record in an ingest ring is quarantined: skipped, counted, reported with its bytes; the worker keeps going", async () => {
  const events: ProcessorEvent[] = [];
  const p = await ParallelProcessor.start({ workers: 1, maxWorkers: 1, maxSymbols: 1024, ingestRingBytes: 1 << 16, fanoutRingBytes: 1 << 18, maxRestarts: 2 }, { onEvent: (e) => events.push(e) });
  try {
    const ids = internSymbols(p.symbols, 50);
    const source = new TickSource(p.mem, ids, 32, p.symbols);
    const consumer = new CheckingConsumer(p.mem, p.fanoutReaders(), 50);
    const ring = p.pool.get("ingest-0");
    // A second writer of the ingest ring, holding the head so the worker cannot read yet.
    const gate = ring.writer();
    gate.tryClaim(64);
    // A record the ring accepts (its header is valid) but the worker cannot process: a symbol id past the cache.
    const rogue = ring.writer();
    const at = rogue.tryClaim(128);
    source.fill();
    new Uint8Array(p.mem.buffer, at, 128).set(p.mem.u8.subarray(source.region, source.region + 128));
    p.mem.u32[(at + 64 + L.OFF_SYMBOL_ID) >>> 2] = 5000; // record 1 of the claim
    rogue.commit(128);
    // A claim whose first record's length is then scribbled over (memory corrupted after the commit).
    const bad = ring.writer();
    const at2 = bad.tryClaim(192);
    new Uint8Array(p.mem.buffer, at2, 192).set(p.mem.u8.subarray(source.region, source.region + 192));
    bad.commit(192);
    p.mem.u8[at2] = 7; // length 7: the rest of that claim cannot be walked
    gate.commit(0);
    await p.route(source.region, source.fill());
    const deadline = Date.now() + 10_000;
    while (events.filter((e) => e.type === "quarantined").length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    const q = events.filter((e): e is Extract<ProcessorEvent, { type: "quarantined" }> => e.type === "quarantined");
    assert.is(q.length, 2, JSON.stringify(events.map((e) => e.type)));
    assert.match(q[0]!.reason, /SYMBOL|symbol id|not in the/i);
    assert.is(q[0]!.bytes.length, 64);
    assert.is(new DataView(q[0]!.bytes.buffer).getUint32(L.OFF_SYMBOL_ID, true), 5000);
    assert.is(q[1]!.bytes.length, 192, "a record whose length cannot be trusted: the rest of its claim is skipped");
    assert.equal(events.filter((e) => e.type === "restart" || e.type === "failed"), [], "the worker never died");
    assert.is(p.stats()[0]!.quarantined, 2);
    await settle(consumer, 1 + 32, 5000); // the rogue claim's good record, then the routed batch
    assert.is(consumer.total, 1 + 32);
    const more = await p.route(source.region, source.fill());
    assert.is(more, 32, "routing to the partition still works");
  } finally {
    await p.close();
  }
});

test("bad batches are refused with a clear error and nothing is routed", async () => {
  const { p, source } = await setup(1);
  try {
    source.fill();
    p.mem.u8[source.region + 64 * 5 + L.OFF_VERSION] = 9;
    try { await p.route(source.region, 1024 * 64); assert.unreachable(); } catch (e) { assert.is((e as TickwireError).code, "VERSION"); assert.match((e as Error).message, /record 5/); }
    assert.is(p.stats()[0]!.backlog, 0);
    const big = p.mem.allocate(5000 * 64);
    try { await p.route(big, 5000 * 64); assert.unreachable(); } catch (e) { assert.instance(e, TickwireError); }
    try { await p.resize(9); assert.unreachable(); } catch (e) { assert.match((e as Error).message, /workers \(1 to maxWorkers\) must be an integer from 1 to 4/); }
    for (const bad of [-64, 1.5, NaN, "0", p.mem.byteLength]) {
      try { await p.route(bad as number, 64); assert.unreachable(); } catch (e) { assert.is((e as TickwireError).code, "REGION", String(e)); }
    }
    try { await p.route(source.region, NaN); assert.unreachable(); } catch (e) { assert.is((e as TickwireError).code, "ARGUMENT"); }
  } finally {
    await p.close();
  }
});

test.run();
