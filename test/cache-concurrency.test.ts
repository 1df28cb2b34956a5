// The torn-read test: writer workers hammer the last-value cache while reader
// workers check every snapshot they get is internally consistent (every word
// derived from one counter per field group, see test/workers/lvc-pattern.ts).
import { test } from "uvu";
import * as assert from "uvu/assert";
import { TickwireMemory } from "../src/index.js";
import { LastValueCache } from "../src/cache/last-value-cache.js";
import { startWorker } from "../src/node/start-worker.js";
import { writeRecord, checkRecord } from "./workers/lvc-pattern.js";
import { firstMessage, WorkerGroup, untilCount } from "./helpers/workers.js";

const SYMBOLS = 24;


async function hammer(writers: number, readers: number, runMs: number) {
  const mem = await TickwireMemory.create({ bytes: 1 << 24 });
  const cache = LastValueCache.create(mem, { capacity: SYMBOLS });
  const flags = mem.allocate(8, 8); // i32 stop, i32 ready count
  const handle = mem.handle();
  const group = new WorkerGroup();
  try {
    const w = Array.from({ length: writers }, (_, writer) => firstMessage(group.add(startWorker(new URL("./workers/lvc-writer.ts", import.meta.url), {
      workerData: { handle, cache: cache.offset, flags, writer, writers, symbols: SYMBOLS, batch: 64 },
    })), runMs + 30_000));
    const r = Array.from({ length: readers }, () => firstMessage(group.add(startWorker(new URL("./workers/lvc-reader.ts", import.meta.url), {
      workerData: { handle, cache: cache.offset, flags, symbols: SYMBOLS, monotonic: writers === 1 },
    })), runMs + 30_000));
    // Start the clock once every worker is running (starting a tsx worker takes a while).
    await untilCount(mem.i32, flags + 4, writers + readers, 60_000, "cache workers ready");
    await new Promise((f) => setTimeout(f, runMs));
    Atomics.store(mem.i32, flags >>> 2, 1);
    return { writers: await Promise.all(w), readers: await Promise.all(r) };
  } finally {
    await group.terminate();
  }
}

test("the pattern checker catches a torn record and a stale field group", () => {
  const u32 = new Uint32Array(96);
  writeRecord(u32, 0, 7, 800, 3);
  assert.is(checkRecord(u32, 0, 7), "");
  const newer = new Uint32Array(96);
  writeRecord(newer, 0, 7, 801, 3);
  const torn = u32.slice();
  torn.set(newer.subarray(0, 8)); // the first 32 bytes of the next write landed, the rest not yet
  assert.match(checkRecord(torn, 0, 7), /torn: word/);
  const stale = newer.slice();
  writeRecord(stale, 0, 7, 900, 1); // an LTP over a DEPTH: slot 0 newer, the rest older: fine
  assert.is(checkRecord(stale, 0, 7), "");
  writeRecord(u32, 0, 7, 700, 1); // slot 0 older than the book: not a merge the cache can produce
  u32[0] = newer[0]!;
  assert.match(checkRecord(u32, 0, 7), /newer/);
  assert.match(checkRecord(newer, 0, 8), /slot of 8/);
});

test("one writer hammering 24 symbols, two readers: no torn or stale snapshot in ~1.5 s", async () => {
  const { writers, readers } = await hammer(1, 2, 1500);
  const applied = writers[0].applied;
  const reads = readers.reduce((n: number, r: any) => n + r.reads + r.rangeRecords, 0);
  const rawTorn = readers.reduce((n: number, r: any) => n + r.rawTorn, 0);
  const rawCopies = readers.reduce((n: number, r: any) => n + r.rawCopies, 0);
  console.log(`  writer applied ${applied} records; readers checked ${reads} snapshots; raw copies without the lock torn: ${rawTorn} of ${rawCopies}`);
  for (const r of readers) assert.equal(r.errors, []);
  assert.ok(applied > 20_000, `writer applied only ${applied}`);
  assert.ok(reads > 5_000, `readers checked only ${reads}`);
});

test("two writers on the same symbols (ownership overlapping, as in a hand-off) serialise: still no torn snapshot", async () => {
  const { writers, readers } = await hammer(2, 1, 1000);
  for (const r of readers) assert.equal(r.errors, []);
  assert.ok(writers.every((w: any) => w.applied > 5_000), JSON.stringify(writers));
  assert.ok(readers[0].reads > 1_000);
});

test.run();
