// Reads a ring with poll() until every writer is done and the ring is drained, checking
// every record it is handed: per-writer sequence numbers in order with no gap or duplicate
// (broadcast: no duplicate and in order; gaps must be accounted for exactly by `lost`), and
// each record's check value. On a broadcast ring poll() hands over only records proven
// intact, so any torn record reaching this callback is an error.
import { parentPort } from "node:worker_threads";
import { attachTickwire } from "../../src/node/index.js";
import { layout as L } from "../../src/index.js";

interface Job { ring: string; writers: number; done: number; ready?: number; slowEveryBatches?: number; stopAfter?: number; signal?: number }
const { mem, pool, data } = await attachTickwire<Job>();
const ring = pool!.get(data.ring);
const reader = ring.reader();
const u32 = mem.u32;
const next = new Array<number>(data.writers).fill(0);
let received = 0;
const errors: string[] = [];
let batches = 0;
let lostSoFar = 0;
let overwritten = 0;
const sleeper = new Int32Array(new SharedArrayBuffer(4));
const lossy = ring.type === "broadcast";

function onRecord(at: number): void {
  const w = at >>> 2;
  const id = u32[w + L.OFF_SYMBOL_ID / 4]!;
  const seq = u32[w + L.OFF_SEQ / 4]!;
  const check = u32[w + L.OFF_LTP / 4]!;
  if (u32[w]! >>> 24 !== L.FORMAT_VERSION || id >= data.writers || check !== seq * 7 + id) {
    if (errors.length < 5) errors.push(`a torn or foreign record reached the callback: header ${u32[w]!.toString(16)}, id ${id}, seq ${seq}, check ${check}`);
    return;
  }
  const want = next[id]!;
  if (lossy ? seq < want : seq !== want) {
    if (errors.length < 5) errors.push(`writer ${id}: got seq ${seq}, expected ${lossy ? "≥ " : ""}${want}`);
  }
  next[id] = seq + 1;
  received++;
}

if (data.ready !== undefined) {
  Atomics.add(mem.i32, data.ready >>> 2, 1);
  Atomics.notify(mem.i32, data.ready >>> 2);
}
for (;;) {
  const got = reader.poll(onRecord);
  if (reader.lost < lostSoFar && errors.length < 5) errors.push(`lost went down from ${lostSoFar} to ${reader.lost}`);
  lostSoFar = reader.lost;
  if (got < 0) {
    overwritten++;
    continue;
  }
  if (got === 0) {
    if (Atomics.load(mem.i32, data.done >>> 2) === data.writers && reader.poll(onRecord) === 0) break;
    reader.wait(50);
    continue;
  }
  batches++;
  if (data.stopAfter !== undefined && received >= data.stopAfter) {
    // Signal first: once the parent has the message it may terminate this worker at once.
    if (data.signal !== undefined) {
      Atomics.store(mem.i32, data.signal >>> 2, 1);
      Atomics.notify(mem.i32, data.signal >>> 2);
    }
    parentPort!.postMessage({ partial: received });
    Atomics.wait(sleeper, 0, 0); // hang here until terminated: a reader that died mid-stream
  }
  if (data.slowEveryBatches && batches % data.slowEveryBatches === 0) Atomics.wait(sleeper, 0, 0, 1);
}
parentPort!.postMessage({ received, errors, lost: reader.lost, laps: reader.laps, next, overwritten });
