// Reads a ring until every writer is done and the ring is drained, checking every record:
// per-writer sequence numbers in order with no gap or duplicate (broadcast: no duplicate and
// in order; gaps must be accounted for exactly by `lost`), and each record's check value.
import { parentPort } from "node:worker_threads";
import { attachTickwire } from "../../src/node/index.js";
import { TickView, layout as L } from "../../src/index.js";

interface Job { ring: string; writers: number; done: number; ready?: number; slowEveryBatches?: number; stopAfter?: number; signal?: number }
const { mem, pool, data } = await attachTickwire<Job>();
const ring = pool!.get(data.ring);
const reader = ring.reader();
const v = new TickView(mem.buffer);
const next = new Array<number>(data.writers).fill(0);
let received = 0;
let errors: string[] = [];
let batches = 0;
let lostSoFar = 0;
const sleeper = new Int32Array(new SharedArrayBuffer(4));
if (data.ready !== undefined) {
  Atomics.add(mem.i32, data.ready >>> 2, 1);
  Atomics.notify(mem.i32, data.ready >>> 2);
}
const lossy = ring.type === "broadcast";
for (;;) {
  const bytes = reader.read();
  if (reader.lost < lostSoFar && errors.length < 5) errors.push(`lost went down from ${lostSoFar} to ${reader.lost}`);
  lostSoFar = reader.lost;
  if (bytes === 0) {
    if (Atomics.load(mem.i32, data.done >>> 2) === data.writers && reader.read() === 0) break;
    reader.wait(50);
    continue;
  }
  // Check into a scratch list first: a broadcast batch counts only if it was intact throughout.
  let at = reader.offset;
  const end = at + bytes;
  let records = 0;
  let broken = -1;
  const seen: [number, number][] = [];
  while (at < end) {
    const len = mem.u8[at] | (mem.u8[at + 1] << 8);
    if (mem.u8[at + L.OFF_KIND] !== L.KIND_PADDING) {
      v.wrap(at);
      const id = v.symbolId;
      const seq = v.seq;
      if (v.scaled(L.OFF_LTP) !== seq * 7 + id) seen.push([-1, seq]);
      else seen.push([id, seq]);
      records++;
    }
    if (len === 0) { broken = at; break; }
    at += len;
  }
  if (!reader.release(bytes, records)) continue; // overwritten while read (a torn walk is expected then): counted in reader.lost
  if (data.writers === 1) {
    for (let i = 1; i < seen.length; i++) {
      if (seen[i]![1] !== seen[i - 1]![1] + 1 && errors.length < 5) errors.push(`an intact batch skips from seq ${seen[i - 1]![1]} to ${seen[i]![1]}`);
    }
  }
  if (broken >= 0 && errors.length < 5) errors.push(`zero length at ${broken} in an intact batch`);
  for (const [id, seq] of seen) {
    if (id < 0 || id >= data.writers) { if (errors.length < 5) errors.push(`bad check value or writer id at seq ${seq}`); continue; }
    const want = next[id]!;
    if (lossy ? seq < want : seq !== want) { if (errors.length < 5) errors.push(`writer ${id}: got seq ${seq}, expected ${lossy ? "≥ " : ""}${want} (batch at ${reader.offset} of ${bytes} bytes: ${seen.map((x) => x[1]).join(",")})`); }
    next[id] = seq + 1;
    received++;
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
parentPort!.postMessage({ received, errors, lost: reader.lost, laps: reader.laps, next });
