import { test } from "uvu";
import * as assert from "uvu/assert";
import { TickwireMemory, RingPool, Ring, TickwireError, layout as L } from "../src/index.js";
import { startTickwireWorker } from "../src/node/index.js";
import { firstMessage } from "./helpers/workers.js";

const WRITER = new URL("./workers/ring-writer.ts", import.meta.url);
const READER = new URL("./workers/ring-reader.ts", import.meta.url);
const LTP = [1];
const MIXED = [1, 1, 1, 2, 2, 3];

async function world(rings: { name: string; type: "spsc" | "mpsc" | "broadcast"; capacity: number }[]) {
  const mem = await TickwireMemory.create({ bytes: 1 << 25 });
  const pool = RingPool.create(mem, rings);
  const flags = mem.allocate(64);
  return { mem, pool, done: flags, ready: flags + 4, start: flags + 8 };
}

test("SPSC: 10 million records between two workers, every one checked: no loss, no duplicate, in order", async () => {
  const w = await world([{ name: "q", type: "spsc", capacity: 1 << 20 }]);
  const reader = firstMessage(startTickwireWorker(READER, w, { ring: "q", writers: 1, done: w.done }), 120_000, "reader");
  const writer = firstMessage(startTickwireWorker(WRITER, w, { ring: "q", id: 0, total: 10_000_000, maxBatch: 64, kinds: LTP, done: w.done }), 120_000, "writer");
  const [wr, rd] = await Promise.all([writer, reader]);
  assert.is(wr.written, 10_000_000);
  assert.equal(rd.errors, []);
  assert.is(rd.received, 10_000_000);
  assert.equal(rd.next, [10_000_000]);
});

test("MPSC: 4 writers × 2.5 million records into one reader: none lost or duplicated, each writer's order kept", async () => {
  const w = await world([{ name: "q", type: "mpsc", capacity: 1 << 20 }]);
  const reader = firstMessage(startTickwireWorker(READER, w, { ring: "q", writers: 4, done: w.done }), 180_000, "reader");
  const writers = [0, 1, 2, 3].map((id) => firstMessage(startTickwireWorker(WRITER, w, { ring: "q", id, total: 2_500_000, maxBatch: 32, kinds: LTP, done: w.done }), 180_000, `writer ${id}`));
  const [rd, ...wr] = await Promise.all([reader, ...writers]);
  wr.forEach((x) => assert.is(x.written, 2_500_000));
  assert.equal(rd.errors, []);
  assert.is(rd.received, 10_000_000);
  assert.equal(rd.next, [2_500_000, 2_500_000, 2_500_000, 2_500_000]);
});

for (const type of ["spsc", "mpsc"] as const) {
  test(`${type.toUpperCase()}: wrap-around with LTP, Quote and Depth records in a small ring (padding, contiguity)`, async () => {
    const w = await world([{ name: "q", type, capacity: 8192 }]);
    const writers = type === "mpsc" ? 3 : 1;
    const reader = firstMessage(startTickwireWorker(READER, w, { ring: "q", writers, done: w.done }), 60_000, "reader");
    const ws = Array.from({ length: writers }, (_, id) => firstMessage(startTickwireWorker(WRITER, w, { ring: "q", id, total: 100_000, maxBatch: 5, kinds: MIXED, done: w.done }), 60_000));
    const [rd] = await Promise.all([reader, ...ws]);
    assert.equal(rd.errors, []);
    assert.is(rd.received, 100_000 * writers);
  });
}

test("a full ring: tryClaim refuses (counted), claim waits with a timeout (counted), a release makes room and wakes the writer", async () => {
  const mem = await TickwireMemory.create({ bytes: 1 << 22 });
  for (const type of ["spsc", "mpsc"] as const) {
    const ring = Ring.create(mem, { name: type, type, capacity: 4096 });
    const writer = ring.writer();
    const reader = ring.reader();
    for (let i = 0; i < 4; i++) {
      assert.ok(writer.tryClaim(1024) >= 0);
      writer.commit(1024, 16);
    }
    assert.is(writer.tryClaim(64), -1);
    assert.is(ring.stats().fullCount, 1);
    try {
      writer.claim(64, 30);
      assert.unreachable("claim should time out");
    } catch (e) {
      assert.instance(e, TickwireError);
      assert.is((e as TickwireError).code, "TIMEOUT");
      assert.match((e as TickwireError).message, /reader may be stalled or dead/);
    }
    assert.is(ring.stats().timeoutCount, 1);
    assert.is(reader.read(), 4096);
    reader.release(1024);
    assert.ok(writer.tryClaim(1024) >= 0, "room after a release");
    writer.commit(1024);
  }
});

test("a writer parked on a full ring is woken by a reader in another thread", async () => {
  const w = await world([{ name: "q", type: "spsc", capacity: 4096 }]);
  // The writer (this thread) fills the ring; the reader starts later and drains it.
  const writer = w.pool.get("q").writer();
  let seq = 0;
  const fill = (at: number) => {
    for (let i = 0; i < 16; i++, seq++) {
      const p = at + i * 64;
      w.mem.u32[p >>> 2] = 64 | (1 << 16) | (L.FORMAT_VERSION << 24);
      w.mem.u32.fill(0, (p + 4) >>> 2, (p + 40) >>> 2); // writer 0
      w.mem.u32[(p + L.OFF_SEQ) >>> 2] = seq;
      w.mem.u32[(p + L.OFF_LTP) >>> 2] = seq * 7;
    }
  };
  for (let i = 0; i < 4; i++) { fill(writer.claim(1024)); writer.commit(1024, 16); }
  assert.is(writer.tryClaim(1024), -1, "full");
  const reader = firstMessage(startTickwireWorker(READER, w, { ring: "q", writers: 1, done: w.done }), 20_000, "reader");
  fill(writer.claim(1024, 10_000)); // parks until the reader releases
  writer.commit(1024, 16);
  Atomics.store(w.mem.i32, w.done >>> 2, 1);
  const rd = await reader;
  assert.equal(rd.errors, []);
  assert.is(rd.received, 80);
});

test("broadcast: a fast and a deliberately slow reader; the slow one is lapped, skips ahead, and its loss is counted exactly", async () => {
  const w = await world([{ name: "fan", type: "broadcast", capacity: 1 << 16 }]);
  const TOTAL = 2_000_000;
  const readers = [undefined, 5].map((slowEveryBatches, i) => firstMessage(
    startTickwireWorker(READER, w, { ring: "fan", writers: 1, done: w.done, ready: w.ready, slowEveryBatches }), 120_000, `reader ${i}`));
  while (Atomics.load(w.mem.i32, w.ready >>> 2) < 2) await new Promise((r) => setTimeout(r, 5));
  Atomics.store(w.mem.i32, w.start >>> 2, 1);
  const writer = firstMessage(startTickwireWorker(WRITER, w, { ring: "fan", id: 0, total: TOTAL, maxBatch: 64, kinds: MIXED, done: w.done, start: w.start }), 120_000, "writer");
  const [wr, fast, slow] = await Promise.all([writer, ...readers]);
  assert.is(wr.written, TOTAL);
  for (const r of [fast, slow]) {
    assert.equal(r.errors, [], `every record received was intact and in order: ${r.errors.join("; ")}`);
    assert.is(r.received + r.lost, TOTAL, `received ${r.received} + lost ${r.lost}`);
  }
  assert.ok(slow.laps > 0 && slow.lost > 0, `the slow reader was lapped (laps ${slow.laps}, lost ${slow.lost})`);
  assert.ok(slow.received > 0, "and still received live data");
  assert.is(w.pool.get("fan").stats().readers, 2);
});

test("broadcast: a reader worker terminated mid-stream does not slow or stop the writer or the other reader", async () => {
  const w = await world([{ name: "fan", type: "broadcast", capacity: 1 << 20 }]);
  const TOTAL = 1_000_000;
  const signal = w.start + 4;
  const doomedWorker = startTickwireWorker(READER, w, { ring: "fan", writers: 1, done: w.done, ready: w.ready, stopAfter: 1000, signal });
  const doomed = firstMessage(doomedWorker, 60_000, "doomed reader");
  const survivor = firstMessage(startTickwireWorker(READER, w, { ring: "fan", writers: 1, done: w.done, ready: w.ready }), 60_000, "reader");
  while (Atomics.load(w.mem.i32, w.ready >>> 2) < 2) await new Promise((r) => setTimeout(r, 5));
  Atomics.store(w.mem.i32, w.start >>> 2, 1);
  const writer = firstMessage(startTickwireWorker(WRITER, w, { ring: "fan", id: 0, total: TOTAL, maxBatch: 64, kinds: LTP, done: w.done, start: w.start, gate: { at: 5000, flag: signal } }), 60_000, "writer");
  assert.ok((await doomed).partial >= 1000);
  await doomedWorker.terminate();
  const [wr, rd] = await Promise.all([writer, survivor]);
  assert.is(wr.written, TOTAL);
  assert.equal(rd.errors, []);
  assert.is(rd.received + rd.lost, TOTAL);
});

test("SPSC: when the reader worker dies mid-stream, the writer's claim times out and says so instead of hanging", async () => {
  const w = await world([{ name: "q", type: "spsc", capacity: 1 << 16 }]);
  const readerWorker = startTickwireWorker(READER, w, { ring: "q", writers: 1, done: w.done, stopAfter: 500 });
  const partial = firstMessage(readerWorker, 30_000, "reader");
  const writer = w.pool.get("q").writer();
  let written = 0;
  let error: unknown;
  try {
    for (let i = 0; i < 100_000; i++) {
      const at = writer.claim(640, 500);
      for (let k = 0; k < 10; k++, written++) {
        const p = at + k * 64;
        w.mem.u32[p >>> 2] = 64 | (1 << 16) | (L.FORMAT_VERSION << 24);
        w.mem.u32.fill(0, (p + 4) >>> 2, (p + 40) >>> 2);
        w.mem.u32[(p + L.OFF_SEQ) >>> 2] = written;
        w.mem.u32[(p + L.OFF_LTP) >>> 2] = written * 7;
      }
      writer.commit(640, 10);
      if (written === 2000) { assert.ok((await partial).partial >= 500); await readerWorker.terminate(); }
    }
  } catch (e) {
    error = e;
  }
  assert.instance(error, TickwireError);
  assert.is((error as TickwireError).code, "TIMEOUT");
  assert.is(w.pool.get("q").stats().timeoutCount, 1);
  assert.ok(written < 100_000 * 10 && written >= 2000);
});

test("an event-loop reader parks with waitAsync (the thread stays free) and is woken by a writer worker", async () => {
  const w = await world([{ name: "q", type: "spsc", capacity: 1 << 16 }]);
  const reader = w.pool.get("q").reader();
  assert.is(await reader.waitAsync(20), false, "times out while nothing is written");
  const writer = firstMessage(startTickwireWorker(WRITER, w, { ring: "q", id: 0, total: 50_000, maxBatch: 16, kinds: MIXED, start: w.start }), 30_000, "writer");
  let ticks = 0;
  const timer = setInterval(() => ticks++, 1);
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
  clearInterval(timer);
  assert.is(next, 50_000);
  assert.is((await writer).written, 50_000);
  assert.ok(ticks > 0, "the event loop kept running while the reader waited");
});

test("broadcast: a batch overwritten while it was read is discarded and counted exactly, whatever its torn walk counted", async () => {
  const mem = await TickwireMemory.create({ bytes: 1 << 20 });
  const ring = Ring.create(mem, { name: "fan", type: "broadcast", capacity: 4096 });
  const writer = ring.writer();
  const reader = ring.reader();
  const publish = () => {
    const at = writer.tryClaim(1024);
    for (let i = 0; i < 16; i++) mem.u32[(at + i * 64) >>> 2] = 64 | (1 << 16) | (L.FORMAT_VERSION << 24);
    writer.commit(1024, 16);
  };
  publish();
  assert.is(reader.read(), 1024);
  for (let i = 0; i < 4; i++) publish(); // overwrites the batch the reader holds, and only that one
  assert.is(reader.release(1024, 999), false, "the held batch was overwritten"); // 999: what a walk over torn lengths might count
  let received = 0;
  for (let got; (got = reader.poll(() => {})) !== 0; ) if (got > 0) received += got;
  assert.is(reader.lost, 16, "exactly the overwritten batch is lost");
  assert.is(received, 4 * 16, "the batches after it are still read");
  assert.is(reader.laps, 1);
});

// Fills a claim of LTP records with consecutive seqs; returns the next seq.
function fillLtp(mem: TickwireMemory, at: number, bytes: number, seq: number): number {
  for (let p = at; p < at + bytes; p += 64, seq++) {
    mem.u32.fill(0, p >>> 2, (p + 64) >>> 2);
    mem.u32[p >>> 2] = 64 | (1 << 16) | (L.FORMAT_VERSION << 24);
    mem.u32[(p + L.OFF_SEQ) >>> 2] = seq;
  }
  return seq;
}

test("broadcast: a reader that looks while a commit is half done (latest moved, tail not yet) reads nothing, never the whole ring", async () => {
  const mem = await TickwireMemory.create({ bytes: 1 << 20 });
  const ring = Ring.create(mem, { name: "fan", type: "broadcast", capacity: 4096 });
  const writer = ring.writer();
  const reader = ring.reader();
  let seq = 0;
  for (let i = 0; i < 6; i++) { seq = fillLtp(mem, writer.tryClaim(1024), 1024, seq); writer.commit(1024, 16); } // the reader is lapped
  for (let i = 0; i < 2; i++) { seq = fillLtp(mem, writer.tryClaim(960), 960, seq); writer.commit(960, 15); }
  const tailBefore = ring.tail;
  seq = fillLtp(mem, writer.tryClaim(1024), 1024, seq); // does not fit before the end: padding, then index 0
  assert.ok(writer.position > tailBefore, "the claim starts after padding");
  // The commit in progress: latest already names the claim, tail does not cover it yet.
  const latestAt = (ring.offset + 144) >>> 2;
  const saved = [mem.u32[latestAt]!, mem.u32[latestAt + 1]!];
  mem.u32[latestAt] = writer.position % 4294967296;
  mem.u32[latestAt + 1] = Math.floor(writer.position / 4294967296);
  assert.is(reader.read(), 0, "nothing is readable at a claim not yet published");
  assert.is(ring.reader().read(), 0, "nor for a reader joining then");
  mem.u32[latestAt] = saved[0]!;
  mem.u32[latestAt + 1] = saved[1]!;
  writer.commit(1024, 16);
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

test("broadcast: poll stops on a record length broken by an overwrite mid-walk (no endless loop) and counts the batch lost", async () => {
  const mem = await TickwireMemory.create({ bytes: 1 << 20 });
  const ring = Ring.create(mem, { name: "fan", type: "broadcast", capacity: 4096 });
  const writer = ring.writer();
  const reader = ring.reader();
  fillLtp(mem, writer.tryClaim(1024), 1024, 0);
  writer.commit(1024, 16);
  let calls = 0;
  const got = reader.poll(() => {
    if (calls++ > 0) return;
    // While the reader is on its first record, the writer laps it with 192-byte records, so
    // the reader's next header position (64) lands inside a Quote, on a zero.
    for (let i = 0; i < 6; i++) {
      const at = writer.tryClaim(960);
      mem.u8.fill(0, at, at + 960);
      for (let k = 0; k < 5; k++) mem.u32[(at + k * 192) >>> 2] = 192 | (2 << 16) | (L.FORMAT_VERSION << 24);
      writer.commit(960, 5);
    }
  });
  assert.is(got, -1, "the batch is reported overwritten");
  assert.ok(calls < 16, `onRecord was called ${calls} times`);
});

test("broadcast: an abandoned claim that wrote over a reader's batch still makes that batch invalid (tailIntent never goes back)", async () => {
  const mem = await TickwireMemory.create({ bytes: 1 << 20 });
  const ring = Ring.create(mem, { name: "fan", type: "broadcast", capacity: 8192 });
  const writer = ring.writer();
  const reader = ring.reader();
  let seq = fillLtp(mem, writer.tryClaim(1024), 1024, 0);
  writer.commit(1024, 16);
  assert.is(reader.poll(() => {}), 16);
  for (let i = 0; i < 6; i++) { seq = fillLtp(mem, writer.tryClaim(1024), 1024, seq); writer.commit(1024, 16); }
  assert.is(reader.read(), 6144); // positions 1024..7168
  const at = writer.tryClaim(2048); // wraps: positions 8192.. = the reader's 0..2047
  mem.u8.fill(0xee, at, at + 2048);
  writer.commit(0); // abandoned
  fillLtp(mem, writer.tryClaim(64), 64, seq);
  writer.commit(64, 1);
  assert.is(reader.release(6144, 96), false, "the batch at 1024..2047 was overwritten");
});

test("MPSC: after a partial release the reader gets the rest of the batch, then what follows", async () => {
  const mem = await TickwireMemory.create({ bytes: 1 << 20 });
  const ring = Ring.create(mem, { name: "q", type: "mpsc", capacity: 4096 });
  const writer = ring.writer();
  const reader = ring.reader();
  for (let i = 0; i < 2; i++) { fillLtp(mem, writer.tryClaim(128), 128, i * 2); writer.commit(128, 2); }
  assert.is(reader.read(), 256);
  reader.release(64);
  assert.is(reader.read(), 192, "the rest of the last read");
  fillLtp(mem, writer.tryClaim(128), 128, 4);
  writer.commit(128, 2);
  assert.is(reader.read(), 320, "and the new claim after it");
  const seqs: number[] = [];
  assert.is(reader.poll((at) => seqs.push(mem.u32[(at + L.OFF_SEQ) >>> 2]!)), 5);
  assert.equal(seqs, [1, 2, 3, 4, 5]);
});

test("MPSC: a writer worker that dies between claim and commit is unblocked by the reader; later claims still arrive", async () => {
  const w = await world([{ name: "q", type: "mpsc", capacity: 8192 }]);
  const ring = w.pool.get("q");
  const reader = ring.reader();
  const dying = startTickwireWorker(new URL("./workers/claim-and-hang.ts", import.meta.url), w, { ring: "q", bytes: 192 });
  await firstMessage(dying, 20_000, "dying writer");
  await dying.terminate();
  const writer = ring.writer();
  fillLtp(w.mem, writer.tryClaim(128), 128, 0);
  writer.commit(128, 2);
  assert.is(reader.read(), 0, "blocked behind the dead writer's claim");
  assert.is(reader.unblock(), 192);
  assert.is(reader.unblock(), 0, "nothing blocks now");
  const seqs: number[] = [];
  assert.is(reader.poll((at) => seqs.push(w.mem.u32[(at + L.OFF_SEQ) >>> 2]!)), 2);
  assert.equal(seqs, [0, 1]);
  assert.is(ring.stats().unblocked, 1);
  try { Ring.create(w.mem, { name: "s", type: "spsc", capacity: 4096 }).reader().unblock(); assert.unreachable(); } catch (e) { assert.match((e as Error).message, /unblock is for MPSC rings/); }
});

test("MPSC: unblock leaves committed bytes alone (after a partial release) and an unblocked head reads on", async () => {
  const mem = await TickwireMemory.create({ bytes: 1 << 20 });
  const ring = Ring.create(mem, { name: "q", type: "mpsc", capacity: 4096 });
  const writer = ring.writer();
  const reader = ring.reader();
  fillLtp(mem, writer.tryClaim(256), 256, 0);
  writer.commit(256, 4);
  assert.is(reader.read(), 256);
  reader.release(64);
  assert.is(reader.unblock(), 0, "the rest of the read is committed data, not a dead claim");
  assert.is(reader.poll(() => {}), 3);
});

test("bad sizes and bad handles get clear errors", async () => {
  const mem = await TickwireMemory.create({ bytes: 1 << 22 });
  const code = (fn: () => unknown) => { try { fn(); } catch (e) { assert.instance(e, TickwireError); return (e as TickwireError); } assert.unreachable("no error"); throw 0; };
  assert.match(code(() => RingPool.create(mem, [{ name: "a", type: "spsc", capacity: 5000 }])).message, /power of two/);
  assert.match(code(() => RingPool.create(mem, [{ name: "a", type: "spsc", capacity: 1024 }])).message, /power of two from 4096/);
  assert.match(code(() => RingPool.create(mem, [{ name: "a", type: "fifo" as any, capacity: 4096 }])).message, /spsc, mpsc or broadcast/);
  assert.match(code(() => RingPool.create(mem, [{ name: "a", type: "spsc", capacity: 4096 }, { name: "a", type: "mpsc", capacity: 4096 }])).message, /two rings are named "a"/);
  assert.is(code(() => RingPool.create(mem, [{ name: "big", type: "spsc", capacity: 1 << 23 }])).code, "MEMORY");
  const pool = RingPool.create(mem, [{ name: "a", type: "spsc", capacity: 4096 }, { name: "b", type: "mpsc", capacity: 8192 }]);
  const h = pool.handle();
  assert.match(code(() => RingPool.attach(mem, { rings: [h.rings[0]!, { ...h.rings[1]!, offset: h.rings[0]!.offset + 1024 }] })).message, /ring a overlaps ring b/);
  assert.match(code(() => RingPool.attach(mem, { rings: [{ ...h.rings[0]!, type: "mpsc" }] })).message, /is not a mpsc ring/);
  assert.match(code(() => RingPool.attach(mem, { rings: [{ ...h.rings[0]!, offset: h.rings[0]!.offset + 128 * 64 }] })).message, /no ring at offset/);
  assert.match(code(() => RingPool.attach(mem, { rings: [{ ...h.rings[0]!, offset: mem.byteLength }] })).message, /inside the memory/);
  assert.is(code(() => RingPool.attach(mem, { rings: [] })).code, "HANDLE");
  assert.match(code(() => pool.get("nope")).message, /no ring named "nope"/);
  const writer = pool.get("a").writer();
  assert.match(code(() => writer.tryClaim(100)).message, /multiple of 64/);
  assert.match(code(() => writer.tryClaim(2048)).message, /from 64 to 1024/);
  assert.match(code(() => writer.commit(64)).message, /without a claim/);
  writer.tryClaim(128);
  assert.match(code(() => writer.commit(192)).message, /without a claim that large/);
  writer.commit(128, 2);
  const reader = pool.get("a").reader();
  assert.is(reader.read(), 128);
  assert.match(code(() => reader.release(192)).message, /cannot release 192 bytes: the last read returned 128/);
  assert.ok(reader.release(64));
  assert.match(code(() => reader.release(128)).message, /the last read returned 64/);
  const fan = RingPool.create(mem, [{ name: "f", type: "broadcast", capacity: 4096 }]).get("f");
  const fanWriter = fan.writer();
  fanWriter.tryClaim(128);
  fanWriter.commit(128, 2);
  const fanReader = fan.reader();
  assert.is(fanReader.read(), 128);
  assert.match(code(() => fanReader.release(64)).message, /broadcast reader releases whole reads/);
});

test.run();
