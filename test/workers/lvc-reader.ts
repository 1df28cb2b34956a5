// Torn-read test reader: snapshots symbols one by one and whole ranges at a time
// while writers hammer the cache, and checks every record it gets (lvc-pattern.ts):
// never torn, never older than a record it saw before (with one writer). Also
// copies slots raw, without the sequence lock, and counts the torn copies: the
// evidence that the test would catch a cache without it.
import { parentPort, workerData } from "node:worker_threads";
import { TickwireMemory, type MemoryHandle } from "../../src/index.js";
import { LastValueCache } from "../../src/cache/last-value-cache.js";
import { LVC_HEADER_BYTES, LVC_SLOT_HEADER_BYTES } from "../../src/cache/layout.js";
import { checkRecord } from "./lvc-pattern.js";

interface Job { handle: MemoryHandle; cache: number; flags: number; symbols: number; monotonic: boolean }
const job = workerData as Job;
const mem = await TickwireMemory.attach(job.handle);
const cache = LastValueCache.attach(mem, job.cache, { busyTimeoutMs: 10_000 });
const one = mem.allocate(384, 64);
const many = mem.allocate(job.symbols * 384, 64);
const raw = new Uint32Array(96);
const stop = job.flags >>> 2;
const last = new Float64Array(job.symbols).fill(-1);
const errors: string[] = [];
let reads = 0;
let rangeRecords = 0;
let rawCopies = 0;
let rawTorn = 0;
Atomics.add(mem.i32, stop + 1, 1); // ready

function check(w: number, id: number, how: string): void {
  const bad = checkRecord(mem.u32, w, id, job.monotonic);
  if (bad) errors.push(`${how} of symbol ${id}: ${bad}`);
  const v0 = mem.u32[w + 2]!;
  if (job.monotonic && v0 < last[id]!) errors.push(`${how} of symbol ${id}: counter went back from ${last[id]} to ${v0}`);
  last[id] = Math.max(last[id]!, v0);
}

for (let round = 0; Atomics.load(mem.i32, stop) === 0 && errors.length < 5; round++) {
  for (let id = 0; id < job.symbols; id++) {
    if (cache.readInto(id, one) > 0) {
      check(one >>> 2, id, "readInto");
      reads++;
    }
  }
  const r = cache.snapshotRange(0, job.symbols, many, job.symbols * 384);
  if (r.busy !== 0) errors.push(`snapshotRange skipped ${r.busy} busy slots`);
  for (let off = 0; off < r.bytes; off += mem.u32[(many + off) >>> 2]! & 0xffff) {
    check((many + off) >>> 2, mem.u32[((many + off) >>> 2) + 1]!, "snapshotRange");
    rangeRecords++;
  }
  // The control: raw copies of slots, no sequence lock.
  for (let id = 0; id < job.symbols; id++) {
    const rec = cache.offset + LVC_HEADER_BYTES + id * (LVC_SLOT_HEADER_BYTES + 384) + LVC_SLOT_HEADER_BYTES;
    raw.set(mem.u32.subarray(rec >>> 2, (rec >>> 2) + 96));
    rawCopies++;
    if (raw[0] !== 0 && checkRecord(raw, 0, id, false)) rawTorn++;
  }
}
parentPort!.postMessage({ errors, reads, rangeRecords, rawCopies, rawTorn });
