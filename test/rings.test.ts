import { test } from "uvu";
import * as assert from "uvu/assert";
import { TickwireMemory, RingPool, Ring, TickwireError, layout as L } from "../src/index.js";
import * as R from "../src/rings/layout.js";
import { startTickwireWorker } from "../src/node/index.js";
import { firstMessage, WorkerGroup, untilCount } from "./helpers/workers.js";
import { throwsCode } from "./helpers/assertions.js";

const WRITER = new URL("./workers/ring-writer.ts", import.meta.url);
const READER = new URL("./workers/ring-reader.ts", import.meta.url);
const LTP = [1];
const MIXED = [1, 1, 1, 2, 2, 3];

async function world(rings: { name: string; type: "spsc" | "mpsc" | "broadcast"; capacity: number }[]) {
  const mem = await TickwireMemory.create({ bytes: 1 << 25 });
  const pool = RingPool.create(mem, rings);
  const flags = mem.allocate(64);
  return { mem, pool, done: flags, ready: flags + 4, start: flags + 8, signal: flags + 12 };
}

// Fills a claim of valid LTP records (exchange NSE) with consecutive seqs; returns the next seq.
function fillLtp(mem: TickwireMemory, at: number, bytes: number, seq: number): number {
  for (let p = at; p < at + bytes; p += 64, seq++) {
    mem.u32.fill(0, p >>> 2, (p + 64) >>> 2);
    mem.u32[p >>> 2] = 64 | (1 << 16) | (L.FORMAT_VERSION << 24);
    mem.u8[p + L.OFF_EXCHANGE] = 1;
    mem.u32[(p + L.OFF_SEQ) >>> 2] = seq;
    mem.u32[(p + L.OFF_LTP) >>> 2] = seq * 7; // the check value of the ring-reader worker (writer id 0)
  }
  return seq;
}

test("SPSC: 10 million records between two workers, every one checked: no loss, no duplicate, in order", async () => {
  const w = await world([{ name: "q", type: "spsc", capacity: 1 << 20 }]);
  const group = new WorkerGroup();
  try {
    const reader = firstMessage(group.add(startTickwireWorker(READER, w, { ring: "q", writers: 1, done: w.done })), 120_000, "reader");
    const writer = firstMessage(group.add(startTickwireWorker(WRITER, w, { ring: "q", id: 0, total: 10_000_000, maxBatch: 64, kinds: LTP, done: w.done })), 120_000, "writer");
    const [wr, rd] = await Promise.all([writer, reader]);
    assert.is(wr.written, 10_000_000);
    assert.equal(rd.errors, []);
    assert.is(rd.received, 10_000_000);
    assert.equal(rd.next, [10_000_000]);
  } finally {
    await group.terminate();
  }
});

test("MPSC: 4 writers × 2.5 million records into one reader: none lost or duplicated, each writer's order kept; the backlog seen meanwhile is never negative or above capacity", async () => {
  const w = await world([{ name: "q", type: "mpsc", capacity: 1 << 20 }]);
  const group = new WorkerGroup();
  try {
    const reader = firstMessage(group.add(startTickwireWorker(READER, w, { ring: "q", writers: 4, done: w.done })), 180_000, "reader");
    const writers = [0, 1, 2, 3].map((id) => firstMessage(group.add(startTickwireWorker(WRITER, w, { ring: "q", id, total: 2_500_000, maxBatch: 32, kinds: LTP, done: w.done })), 180_000, `writer ${id}`));
    // Head read before tail: a backlog is never a stale tail minus a newer head.
    const ring = w.pool.get("q");
    let done = false;
    let worst = 0;
    let samples = 0;
    const watch = (async () => {
      while (!done) {
        for (let i = 0; i < 2000; i++, samples++) {
          const b = ring.backlog;
          if (b < 0 || b > ring.capacity) worst = b;
        }
        await new Promise((r) => setImmediate(r));
      }
    })();
    const [rd, ...wr] = await Promise.all([reader, ...writers]);
    done = true;
    await watch;
    wr.forEach((x) => assert.is(x.written, 2_500_000));
    assert.equal(rd.errors, []);
    assert.is(rd.received, 10_000_000);
    assert.equal(rd.next, [2_500_000, 2_500_000, 2_500_000, 2_500_000]);
    assert.is(worst, 0, `a backlog of ${worst} bytes in ${samples} samples`);
  } finally {
    await group.terminate();
  }
});

for (const type of ["spsc", "mpsc"] as const) {
  test(`${type.toUpperCase()}: wrap-around with LTP, Quote and Depth records in a small ring (padding, contiguity)`, async () => {
    const w = await world([{ name: "q", type, capacity: 8192 }]);
    const group = new WorkerGroup();
    try {
      const writers = type === "mpsc" ? 3 : 1;
      const reader = firstMessage(group.add(startTickwireWorker(READER, w, { ring: "q", writers, done: w.done })), 60_000, "reader");
      const ws = Array.from({ length: writers }, (_, id) => firstMessage(group.add(startTickwireWorker(WRITER, w, { ring: "q", id, total: 100_000, maxBatch: 5, kinds: MIXED, done: w.done })), 60_000));
      const [rd] = await Promise.all([reader, ...ws]);
      assert.equal(rd.errors, []);
      assert.is(rd.received, 100_000 * writers);
    } finally {
      await group.terminate();
    }
  });
}

test("a full ring: tryClaim refuses (counted), claim waits with a timeout (counted), a release makes room and wakes the writer", async () => {
  const mem = await TickwireMemory.create({ bytes: 1 << 22 });
  for (const type of ["spsc", "mpsc"] as const) {
    const ring = Ring.create(mem, { name: type, type, capacity: 4096 });
    const writer = ring.writer();
    const reader = ring.reader();
    for (let i = 0; i < 4; i++) {
      const at = writer.tryClaim(1024);
      assert.ok(at >= 0);
      fillLtp(mem, at, 1024, i * 16);
      assert.is(writer.commit(1024), 16, "commit says how many ticks it published");
    }
    assert.is(writer.tryClaim(64), -1);
    assert.is(ring.stats().fullCount, 1);
    const e = throwsCode(() => writer.claim(64, 30), "TIMEOUT", /reader may be stalled or dead/);
    assert.instance(e, TickwireError);
    assert.is(ring.stats().timeoutCount, 1);
    assert.is(reader.read(), 4096);
    reader.release(1024);
    const at = writer.tryClaim(1024);
    assert.ok(at >= 0, "room after a release");
    fillLtp(mem, at, 1024, 64);
    writer.commit(1024);
  }
});

test("a writer parked on a full ring is woken by a reader in another thread", async () => {
  const w = await world([{ name: "q", type: "spsc", capacity: 4096 }]);
  const group = new WorkerGroup();
  try {
    // The writer (this thread) fills the ring; the reader starts later and drains it.
    const writer = w.pool.get("q").writer();
    let seq = 0;
    for (let i = 0; i < 4; i++) { seq = fillLtp(w.mem, writer.claim(1024), 1024, seq); writer.commit(1024); }
    assert.is(writer.tryClaim(1024), -1, "full");
    const reader = firstMessage(group.add(startTickwireWorker(READER, w, { ring: "q", writers: 1, done: w.done })), 20_000, "reader");
    seq = fillLtp(w.mem, writer.claim(1024, 10_000), 1024, seq); // parks until the reader releases
    writer.commit(1024);
    Atomics.store(w.mem.i32, w.done >>> 2, 1);
    const rd = await reader;
    assert.equal(rd.errors, []);
    assert.is(rd.received, 80);
  } finally {
    await group.terminate();
  }
});

test("broadcast: a fast and a deliberately slow reader; the slow one is lapped, skips ahead, its loss is counted exactly, and poll() hands neither a torn record", async () => {
  const w = await world([{ name: "fan", type: "broadcast", capacity: 1 << 16 }]);
  const group = new WorkerGroup();
  try {
    const TOTAL = 2_000_000;
    const readers = [undefined, 5].map((slowEveryBatches, i) => firstMessage(
      group.add(startTickwireWorker(READER, w, { ring: "fan", writers: 1, done: w.done, ready: w.ready, slowEveryBatches })), 120_000, `reader ${i}`));
    await untilCount(w.mem.i32, w.ready, 2, 60_000, "readers ready");
    Atomics.store(w.mem.i32, w.start >>> 2, 1);
    const writer = firstMessage(group.add(startTickwireWorker(WRITER, w, { ring: "fan", id: 0, total: TOTAL, maxBatch: 64, kinds: MIXED, done: w.done, start: w.start })), 120_000, "writer");
    const [wr, fast, slow] = await Promise.all([writer, ...readers]);
    assert.is(wr.written, TOTAL);
    for (const r of [fast, slow]) {
      assert.equal(r.errors, [], `every record handed over was intact and in order: ${r.errors.join("; ")}`);
      assert.is(r.received + r.lost, TOTAL, `received ${r.received} + lost ${r.lost}`);
    }
    assert.ok(slow.laps > 0 && slow.lost > 0, `the slow reader was lapped (laps ${slow.laps}, lost ${slow.lost})`);
    assert.ok(slow.received > 0, "and still received live data");
    assert.is(w.pool.get("fan").stats().readers, 2);
  } finally {
    await group.terminate();
  }
});

test("broadcast: a reader worker terminated mid-stream does not slow or stop the writer or the other reader", async () => {
  const w = await world([{ name: "fan", type: "broadcast", capacity: 1 << 20 }]);
  const group = new WorkerGroup();
  try {
    const TOTAL = 1_000_000;
    const doomedWorker = group.add(startTickwireWorker(READER, w, { ring: "fan", writers: 1, done: w.done, ready: w.ready, stopAfter: 1000, signal: w.signal }));
    const doomed = firstMessage(doomedWorker, 60_000, "doomed reader");
    const survivor = firstMessage(group.add(startTickwireWorker(READER, w, { ring: "fan", writers: 1, done: w.done, ready: w.ready })), 60_000, "reader");
    await untilCount(w.mem.i32, w.ready, 2, 60_000, "readers ready");
    Atomics.store(w.mem.i32, w.start >>> 2, 1);
    const writer = firstMessage(group.add(startTickwireWorker(WRITER, w, { ring: "fan", id: 0, total: TOTAL, maxBatch: 64, kinds: LTP, done: w.done, start: w.start, gate: { at: 5000, flag: w.signal } })), 60_000, "writer");
    assert.ok((await doomed).partial >= 1000);
    await doomedWorker.terminate();
    const [wr, rd] = await Promise.all([writer, survivor]);
    assert.is(wr.written, TOTAL);
    assert.equal(rd.errors, []);
    assert.is(rd.received + rd.lost, TOTAL);
  } finally {
    await group.terminate();
  }
});

test("SPSC: when the reader worker dies mid-stream, the writer's claim times out and says so instead of hanging", async () => {
  const w = await world([{ name: "q", type: "spsc", capacity: 1 << 16 }]);
  const group = new WorkerGroup();
  try {
    const readerWorker = group.add(startTickwireWorker(READER, w, { ring: "q", writers: 1, done: w.done, ready: w.ready, stopAfter: 500 }));
    const partial = firstMessage(readerWorker, 60_000, "reader");
    // Nothing is written before the reader is attached and reading: a busy machine may take
    // seconds to start a worker, and the claims below must not time out on that.
    await untilCount(w.mem.i32, w.ready, 1, 60_000, "reader ready");
    const writer = w.pool.get("q").writer();
    // 500 records, which fit the ring: the reader takes them all, says so, and hangs.
    let written = 0;
    while (written < 500) { written = fillLtp(w.mem, writer.claim(640, 30_000), 640, written); writer.commit(640); }
    assert.ok((await partial).partial >= 500);
    await readerWorker.terminate();
    // Now nobody reads: the ring fills (1024 records) and the next claim times out.
    let error: unknown;
    try {
      for (let i = 0; i < 100_000; i++) {
        written = fillLtp(w.mem, writer.claim(640, 500), 640, written);
        writer.commit(640);
      }
    } catch (e) {
      error = e;
    }
    assert.instance(error, TickwireError);
    assert.is((error as TickwireError).code, "TIMEOUT", String(error));
    assert.is(w.pool.get("q").stats().timeoutCount, 1);
    assert.ok(written > 500 + 1024 - 10 - 4 && written <= 500 + 1024, `the ring filled up (${written - 500} of 1024 records), then the claim timed out`);
  } finally {
    await group.terminate();
  }
});

test("an event-loop reader parks with waitAsync (the thread stays free) and is woken by a writer worker", async () => {
  const w = await world([{ name: "q", type: "spsc", capacity: 1 << 16 }]);
  const group = new WorkerGroup();
  const timer = setInterval(() => ticks++, 1);
  let ticks = 0;
  try {
    const reader = w.pool.get("q").reader();
    assert.is(await reader.waitAsync(20), false, "times out while nothing is written");
    const writer = firstMessage(group.add(startTickwireWorker(WRITER, w, { ring: "q", id: 0, total: 50_000, maxBatch: 16, kinds: MIXED, start: w.start })), 30_000, "writer");
    Atomics.store(w.mem.i32, w.start >>> 2, 1);
    let next = 0;
    const deadline = Date.now() + 30_000;
    while (next < 50_000 && Date.now() < deadline) {
      if (!(await reader.waitAsync(1000))) continue;
      reader.poll((at) => {
        const seq = w.mem.u32[(at + L.OFF_SEQ) >>> 2]!;
        if (seq !== next) assert.unreachable(`got seq ${seq}, expected ${next}`);
        next++;
      });
    }
    assert.is(next, 50_000);
    assert.is((await writer).written, 50_000);
    assert.ok(ticks > 0, "the event loop kept running while the reader waited");
  } finally {
    clearInterval(timer);
    await group.terminate();
  }
});

test("broadcast: a batch overwritten while it was read is discarded and counted exactly, from the ring's own counts", async () => {
  const mem = await TickwireMemory.create({ bytes: 1 << 20 });
  const ring = Ring.create(mem, { name: "fan", type: "broadcast", capacity: 4096 });
  const writer = ring.writer();
  const reader = ring.reader();
  let seq = 0;
  const publish = () => { seq = fillLtp(mem, writer.tryClaim(1024), 1024, seq); writer.commit(1024); };
  publish();
  assert.is(reader.read(), 1024);
  for (let i = 0; i < 4; i++) publish(); // overwrites the batch the reader holds, and only that one
  assert.is(reader.release(1024), false, "the held batch was overwritten");
  let received = 0;
  for (let got; (got = reader.poll(() => {})) !== 0; ) if (got > 0) received += got;
  assert.is(reader.lost, 16, "exactly the overwritten batch is lost");
  assert.is(received, 4 * 16, "the batches after it are still read");
  assert.is(reader.laps, 1);
});

test("broadcast: lost is exact with batches of every size and padding, and no count is asked of the caller", async () => {
  const mem = await TickwireMemory.create({ bytes: 1 << 20 });
  const ring = Ring.create(mem, { name: "fan", type: "broadcast", capacity: 8192 });
  const writer = ring.writer();
  const reader = ring.reader();
  let seq = 0;
  let published = 0;
  let received = 0;
  for (let round = 0; round < 400; round++) {
    const records = 1 + ((round * 7) % 20);
    seq = fillLtp(mem, writer.tryClaim(records * 64), records * 64, seq);
    published += writer.commit(records * 64);
    if (round % 9 === 0) { // read in place now and then: partial releases at record boundaries
      const bytes = reader.read();
      const at = reader.offset;
      const first = mem.u8[at]! | (mem.u8[at + 1]! << 8);
      if (bytes > first && reader.release(first) && mem.u8[at + L.OFF_KIND] !== L.KIND_PADDING) received++;
    }
    if (round % 13 === 0) for (let got; (got = reader.poll(() => {})) !== 0; ) if (got > 0) received += got;
  }
  for (let got; (got = reader.poll(() => {})) !== 0; ) if (got > 0) received += got;
  assert.is(received + reader.lost, published, `received ${received} + lost ${reader.lost} = published ${published}`);
  assert.ok(reader.lost > 0, "the reader was lapped");
});

test("broadcast: a reader that looks while a commit is half done (latest moved, tail not yet) reads nothing, never the whole ring", async () => {
  const mem = await TickwireMemory.create({ bytes: 1 << 20 });
  const ring = Ring.create(mem, { name: "fan", type: "broadcast", capacity: 4096 });
  const writer = ring.writer();
  const reader = ring.reader();
  let seq = 0;
  for (let i = 0; i < 6; i++) { seq = fillLtp(mem, writer.tryClaim(1024), 1024, seq); writer.commit(1024); } // the reader is lapped
  for (let i = 0; i < 2; i++) { seq = fillLtp(mem, writer.tryClaim(960), 960, seq); writer.commit(960); }
  const tailBefore = ring.tail;
  seq = fillLtp(mem, writer.tryClaim(1024), 1024, seq); // does not fit before the end: padding, then index 0
  assert.ok(writer.position > tailBefore, "the claim starts after padding");
  // The commit in progress: latest already names the claim, tail does not cover it yet.
  const latestAt = (ring.offset + R.RH_LATEST) >>> 2;
  const saved = [mem.u32[latestAt]!, mem.u32[latestAt + 1]!];
  mem.u32[latestAt] = writer.position % 4294967296;
  mem.u32[latestAt + 1] = Math.floor(writer.position / 4294967296);
  assert.is(reader.read(), 0, "nothing is readable at a claim not yet published");
  assert.is(ring.reader().read(), 0, "nor for a reader joining then");
  mem.u32[latestAt] = saved[0]!;
  mem.u32[latestAt + 1] = saved[1]!;
  writer.commit(1024);
  let received = 0;
  let last = -1;
  let lostBefore = reader.lost;
  for (let got; (got = reader.poll((at) => {
    const s = mem.u32[(at + L.OFF_SEQ) >>> 2]!;
    assert.ok(s > last, `seq ${s} after ${last}`);
    last = s;
  })) !== 0; ) {
    if (got > 0) received += got;
    assert.ok(reader.lost >= lostBefore, "lost never goes down");
    lostBefore = reader.lost;
  }
  assert.is(received + reader.lost, 7 * 16 + 2 * 15);
});

test("broadcast poll: records are handed over from a copy proven intact, so a writer overwriting the ring meanwhile cannot tear them", async () => {
  const mem = await TickwireMemory.create({ bytes: 1 << 20 });
  const ring = Ring.create(mem, { name: "fan", type: "broadcast", capacity: 4096 });
  const writer = ring.writer();
  const reader = ring.reader();
  fillLtp(mem, writer.tryClaim(1024), 1024, 0);
  writer.commit(1024);
  const seqs: number[] = [];
  const got = reader.poll((at) => {
    seqs.push(mem.u32[(at + L.OFF_SEQ) >>> 2]!);
    assert.ok(at < ring.offset || at >= ring.offset + R.RING_HEADER_BYTES + ring.capacity, "the offset is the reader's copy, not the ring");
    if (seqs.length > 1) return;
    // While the callback holds its first record, the writer laps the ring with Quotes.
    for (let i = 0; i < 6; i++) {
      const q = writer.tryClaim(960);
      mem.u8.fill(0, q, q + 960);
      for (let k = 0; k < 5; k++) { mem.u32[(q + k * 192) >>> 2] = 192 | (2 << 16) | (L.FORMAT_VERSION << 24); mem.u8[q + k * 192 + L.OFF_EXCHANGE] = 1; }
      writer.commit(960);
    }
  });
  assert.is(got, 16, "the whole intact batch is handed over");
  assert.equal(seqs, Array.from({ length: 16 }, (_, i) => i));
  // A callback that throws: the error propagates, the record that threw counts as handed
  // over, and the rest of the batch comes with the next poll — none lost, none twice.
  const ring2 = Ring.create(mem, { name: "fan2", type: "broadcast", capacity: 4096 });
  const writer2 = ring2.writer();
  const later = ring2.reader();
  fillLtp(mem, writer2.tryClaim(512), 512, 200);
  writer2.commit(512);
  const seen: number[] = [];
  try {
    later.poll((at) => { seen.push(mem.u32[(at + L.OFF_SEQ) >>> 2]!); if (seen.length === 3) throw new Error("consumer bug"); });
    assert.unreachable("the callback's error propagates");
  } catch (e) {
    assert.is((e as Error).message, "consumer bug");
  }
  later.poll((at) => { seen.push(mem.u32[(at + L.OFF_SEQ) >>> 2]!); });
  assert.equal(seen, [200, 201, 202, 203, 204, 205, 206, 207]);
});

test("broadcast: an abandoned claim that wrote over a reader's batch still makes that batch invalid (tailIntent never goes back)", async () => {
  const mem = await TickwireMemory.create({ bytes: 1 << 20 });
  const ring = Ring.create(mem, { name: "fan", type: "broadcast", capacity: 8192 });
  const writer = ring.writer();
  const reader = ring.reader();
  let seq = fillLtp(mem, writer.tryClaim(1024), 1024, 0);
  writer.commit(1024);
  assert.is(reader.poll(() => {}), 16);
  for (let i = 0; i < 6; i++) { seq = fillLtp(mem, writer.tryClaim(1024), 1024, seq); writer.commit(1024); }
  assert.is(reader.read(), 6144); // positions 1024..7168
  const at = writer.tryClaim(2048); // wraps: positions 8192.. = the reader's 0..2047
  mem.u8.fill(0xee, at, at + 2048);
  writer.commit(0); // abandoned
  fillLtp(mem, writer.tryClaim(64), 64, seq);
  writer.commit(64);
  assert.is(reader.release(6144), false, "the batch at 1024..2047 was overwritten");
});

test("commit checks every record it publishes: a bad one is named, the claim stays held; commit(0) gives it up; one claim at a time", async () => {
  const mem = await TickwireMemory.create({ bytes: 1 << 20 });
  for (const type of ["spsc", "mpsc", "broadcast"] as const) {
    const ring = Ring.create(mem, { name: type, type, capacity: 4096 });
    const writer = ring.writer();
    const reader = ring.reader();
    const at = writer.tryClaim(256);
    fillLtp(mem, at, 256, 0);
    mem.u8[at + 128 + L.OFF_EXCHANGE] = 99; // record 2
    const e = throwsCode(() => writer.commit(256), "EXCHANGE", /record 2/);
    assert.is(e.recordIndex, 2);
    assert.is(writer.claimed, 256, "the claim is still held");
    throwsCode(() => writer.tryClaim(64), "ARGUMENT", /still holds a claim/);
    mem.u8[at + 128 + L.OFF_EXCHANGE] = 1;
    mem.u8[at + 192 + L.OFF_VERSION] = 7;
    throwsCode(() => writer.commit(256), "VERSION", /record 3/);
    assert.is(writer.commit(192), 3, "the valid prefix can be committed");
    assert.is(writer.claimed, 0);
    const at2 = writer.tryClaim(128);
    mem.u8.fill(0xee, at2, at2 + 128);
    assert.is(writer.commit(0), 0, "given up");
    let n = 0;
    for (let got; (got = reader.poll(() => n++)) !== 0; );
    assert.is(n, 3, `${type}: the reader saw only what was committed`);
    throwsCode(() => writer.commit(64), "LENGTH", /without a claim/);
  }
});

test("numbers are checked, never truncated on their way into Wasm; a timeout is a finite number of ms", async () => {
  const mem = await TickwireMemory.create({ bytes: 1 << 20 });
  const ring = Ring.create(mem, { name: "q", type: "spsc", capacity: 4096 });
  const writer = ring.writer();
  const reader = ring.reader();
  for (const bad of [64.5, "64", 2 ** 32 + 64, NaN, -64, 0, 64n, null]) {
    throwsCode(() => writer.tryClaim(bad as number), "LENGTH", /cannot claim/);
  }
  assert.is(writer.claimed, 0, "nothing was claimed");
  const at = writer.tryClaim(128);
  fillLtp(mem, at, 128, 0);
  for (const bad of [NaN, 64.5, "64", 2 ** 32 + 64, -64, 192]) throwsCode(() => writer.commit(bad as number), "LENGTH");
  writer.commit(128);
  assert.is(reader.read(), 128);
  for (const bad of [NaN, 2 ** 32 + 64, "64", 32, -64, 192]) throwsCode(() => reader.release(bad as number), "LENGTH");
  assert.ok(reader.release(64));
  for (const bad of [NaN, "100", -1, Infinity, 2 ** 31, null]) {
    throwsCode(() => writer.claim(64, bad as number), "ARGUMENT", /timeoutMs/);
    throwsCode(() => reader.wait(bad as number), "ARGUMENT", /timeoutMs/);
    await writer.claimAsync(64, bad as number).then(() => assert.unreachable(), (e) => assert.is((e as TickwireError).code, "ARGUMENT"));
    await reader.waitAsync(bad as number).then(() => assert.unreachable(), (e) => assert.is((e as TickwireError).code, "ARGUMENT"));
  }
  throwsCode(() => reader.wait(10, 1.5), "ARGUMENT", /spins/);
  throwsCode(() => reader.poll("f" as never), "ARGUMENT", /function/);
});

test("MPSC: a writer that commits after the reader gave its claim up fails (GIVEN_UP) and leaves the healthy writer's record at that index intact", async () => {
  const mem = await TickwireMemory.create({ bytes: 1 << 20 });
  const ring = Ring.create(mem, { name: "q", type: "mpsc", capacity: 4096 });
  const late = ring.writer();
  const healthy = ring.writer();
  const reader = ring.reader();
  const a = late.tryClaim(64); // position 0
  fillLtp(mem, a, 64, 999); // written, then the writer stalls before its commit
  fillLtp(mem, healthy.tryClaim(64), 64, 0); // position 64
  healthy.commit(64);
  assert.is(reader.read(), 0, "blocked behind the stalled claim");
  assert.is(reader.unblock(), 64);
  const seqs: number[] = [];
  const take = () => { for (let got; (got = reader.poll((at) => seqs.push(mem.u32[(at + L.OFF_SEQ) >>> 2]!))) !== 0; ); };
  take();
  assert.equal(seqs, [0]);
  // The healthy writer goes round: its record lands at index 0 again (position 4096).
  let seq = 1;
  while (ring.tail < 4096 + 64) {
    const bytes = ring.tail < 4096 ? Math.min(1024, 4096 - ring.tail) : 64;
    seq = fillLtp(mem, healthy.tryClaim(bytes), bytes, seq);
    healthy.commit(bytes);
    take();
  }
  const before = seqs.length;
  // The stalled writer wakes and commits its claim at position 0: refused, nothing stored.
  throwsCode(() => late.commit(64), "GIVEN_UP", /given up/);
  fillLtp(mem, healthy.tryClaim(64), 64, seq);
  healthy.commit(64);
  take();
  assert.equal(seqs.slice(before - 1), [seq - 1, seq], "the healthy writer's record at index 0 and the one after arrive intact");
  assert.equal(seqs, Array.from({ length: seq + 1 }, (_, i) => i));
});

test("a reader terminated while parked costs one spare notify, not one per commit for good", async () => {
  const w = await world([{ name: "q", type: "spsc", capacity: 1 << 16 }]);
  const group = new WorkerGroup();
  try {
    const parked = group.add(startTickwireWorker(new URL("./workers/park-reader.ts", import.meta.url), w, { ring: "q" }));
    await firstMessage(parked, 60_000, "parked reader");
    const flag = (w.pool.get("q").offset + R.RH_READER_WAITERS) >>> 2;
    const futex = (w.pool.get("q").offset + R.RH_READER_FUTEX) >>> 2;
    const deadline = Date.now() + 30_000;
    while (Atomics.load(w.mem.i32, flag) === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    assert.is(Atomics.load(w.mem.i32, flag), 1, "the reader is parked");
    await parked.terminate();
    const writer = w.pool.get("q").writer();
    let seq = 0;
    seq = fillLtp(w.mem, writer.tryClaim(64), 64, seq);
    writer.commit(64);
    const bumps = Atomics.load(w.mem.i32, futex);
    assert.is(Atomics.load(w.mem.i32, flag), 0, "the commit that woke nobody cleared the flag");
    for (let i = 0; i < 500; i++) { seq = fillLtp(w.mem, writer.tryClaim(64), 64, seq); writer.commit(64); }
    assert.is(Atomics.load(w.mem.i32, futex), bumps, "no notify for the 500 commits after it");
  } finally {
    await group.terminate();
  }
});

test("MPSC: after a partial release the reader gets the rest of the batch, then what follows", async () => {
  const mem = await TickwireMemory.create({ bytes: 1 << 20 });
  const ring = Ring.create(mem, { name: "q", type: "mpsc", capacity: 4096 });
  const writer = ring.writer();
  const reader = ring.reader();
  for (let i = 0; i < 2; i++) { fillLtp(mem, writer.tryClaim(128), 128, i * 2); writer.commit(128); }
  assert.is(reader.read(), 256);
  reader.release(64);
  assert.is(reader.read(), 192, "the rest of the last read");
  fillLtp(mem, writer.tryClaim(128), 128, 4);
  writer.commit(128);
  assert.is(reader.read(), 320, "and the new claim after it");
  const seqs: number[] = [];
  assert.is(reader.poll((at) => seqs.push(mem.u32[(at + L.OFF_SEQ) >>> 2]!)), 5);
  assert.equal(seqs, [1, 2, 3, 4, 5]);
});

test("MPSC: a writer worker that dies between claim and commit is unblocked by the reader; later claims still arrive", async () => {
  const w = await world([{ name: "q", type: "mpsc", capacity: 8192 }]);
  const group = new WorkerGroup();
  try {
    const ring = w.pool.get("q");
    const reader = ring.reader();
    const dying = group.add(startTickwireWorker(new URL("./workers/claim-and-hang.ts", import.meta.url), w, { ring: "q", bytes: 192 }));
    await firstMessage(dying, 60_000, "dying writer");
    await dying.terminate();
    const writer = ring.writer();
    fillLtp(w.mem, writer.tryClaim(128), 128, 0);
    writer.commit(128);
    assert.is(reader.read(), 0, "blocked behind the dead writer's claim");
    assert.is(reader.unblock(), 192);
    assert.is(reader.unblock(), 0, "nothing blocks now");
    const seqs: number[] = [];
    assert.is(reader.poll((at) => seqs.push(w.mem.u32[(at + L.OFF_SEQ) >>> 2]!)), 2);
    assert.equal(seqs, [0, 1]);
    assert.is(ring.stats().unblocked, 1);
    throwsCode(() => Ring.create(w.mem, { name: "s", type: "spsc", capacity: 4096 }).reader().unblock(), "ARGUMENT", /unblock is for MPSC rings/);
  } finally {
    await group.terminate();
  }
});

test("MPSC: unblock leaves committed bytes alone (after a partial release) and an unblocked head reads on", async () => {
  const mem = await TickwireMemory.create({ bytes: 1 << 20 });
  const ring = Ring.create(mem, { name: "q", type: "mpsc", capacity: 4096 });
  const writer = ring.writer();
  const reader = ring.reader();
  fillLtp(mem, writer.tryClaim(256), 256, 0);
  writer.commit(256);
  assert.is(reader.read(), 256);
  reader.release(64);
  assert.is(reader.unblock(), 0, "the rest of the read is committed data, not a dead claim");
  assert.is(reader.poll(() => {}), 3);
});

test("bad sizes, specs and handles get clear errors", async () => {
  const mem = await TickwireMemory.create({ bytes: 1 << 22 });
  throwsCode(() => RingPool.create(mem, [{ name: "a", type: "spsc", capacity: 5000 }]), "ARGUMENT", /power of two/);
  throwsCode(() => RingPool.create(mem, [{ name: "a", type: "spsc", capacity: 1024 }]), "ARGUMENT", /power of two from 4096/);
  throwsCode(() => RingPool.create(mem, [{ name: "a", type: "fifo" as never, capacity: 4096 }]), "ARGUMENT", /spsc, mpsc or broadcast/);
  for (const inherited of ["toString", "constructor", "__proto__", "hasOwnProperty"]) {
    throwsCode(() => RingPool.create(mem, [{ name: "a", type: inherited as never, capacity: 4096 }]), "ARGUMENT", /spsc, mpsc or broadcast/);
  }
  throwsCode(() => RingPool.create(mem, [null as never]), "ARGUMENT");
  throwsCode(() => RingPool.create({} as never, [{ name: "a", type: "spsc", capacity: 4096 }]), "ARGUMENT", /TickwireMemory/);
  throwsCode(() => RingPool.create(mem, [{ name: "a", type: "spsc", capacity: 4096 }, { name: "a", type: "mpsc", capacity: 4096 }]), "ARGUMENT", /two rings are named "a"/);
  throwsCode(() => RingPool.create(mem, [{ name: "big", type: "spsc", capacity: 1 << 23 }]), "MEMORY");
  const pool = RingPool.create(mem, [{ name: "a", type: "spsc", capacity: 4096 }, { name: "b", type: "mpsc", capacity: 8192 }]);
  const h = pool.handle();
  throwsCode(() => RingPool.attach(mem, { rings: [h.rings[0]!, { ...h.rings[1]!, offset: h.rings[0]!.offset + 1024 }] }), "HANDLE", /ring a overlaps ring b/);
  throwsCode(() => RingPool.attach(mem, { rings: [{ ...h.rings[0]!, type: "mpsc" }] }), "HANDLE", /is not a mpsc ring/);
  throwsCode(() => RingPool.attach(mem, { rings: [{ ...h.rings[0]!, offset: h.rings[0]!.offset + 128 * 64 }] }), "HANDLE", /no ring at offset/);
  throwsCode(() => RingPool.attach(mem, { rings: [{ ...h.rings[0]!, offset: mem.byteLength }] }), "HANDLE", /inside the memory/);
  throwsCode(() => RingPool.attach(mem, { rings: [] }), "HANDLE");
  throwsCode(() => RingPool.attach(mem, { rings: [null as never] }), "HANDLE", /rings\[0\]/);
  throwsCode(() => pool.get("nope"), "ARGUMENT", /no ring named "nope"/);
  const writer = pool.get("a").writer();
  throwsCode(() => writer.tryClaim(100), "LENGTH", /multiple of 64/);
  throwsCode(() => writer.tryClaim(2048), "LENGTH", /from 64 to 1024/);
  throwsCode(() => writer.commit(64), "LENGTH", /without a claim/);
  fillLtp(mem, writer.tryClaim(128), 128, 0);
  throwsCode(() => writer.commit(192), "LENGTH", /up to the claim's 128/);
  writer.commit(128);
  const reader = pool.get("a").reader();
  assert.is(reader.read(), 128);
  throwsCode(() => reader.release(192), "LENGTH", /cannot release 192 bytes: the last read returned 128/);
  assert.ok(reader.release(64));
  throwsCode(() => reader.release(128), "LENGTH", /the last read returned 64/);
  const fan = RingPool.create(mem, [{ name: "f", type: "broadcast", capacity: 4096 }]).get("f");
  const fanWriter = fan.writer();
  fillLtp(mem, fanWriter.tryClaim(128), 128, 0);
  fanWriter.commit(128);
  const fanReader = fan.reader();
  assert.is(fanReader.read(), 128);
  assert.ok(fanReader.release(64), "a broadcast reader may release part of a read, at a record boundary");
  assert.is(fanReader.read(), 64);
});

test.run();
