// Torn-read test writer: applies batches of pattern records (lvc-pattern.ts) for
// symbols 0..symbols-1 to the cache until the stop flag is set. Counters are
// writer + k * writers, so two writers never write the same counter.
import { parentPort, workerData } from "node:worker_threads";
import { TickwireMemory, type MemoryHandle } from "../../src/index.js";
import { LastValueCache } from "../../src/cache/last-value-cache.js";
import { writeRecord } from "./lvc-pattern.js";

interface Job { handle: MemoryHandle; cache: number; flags: number; writer: number; writers: number; symbols: number; batch: number }
const job = workerData as Job;
const mem = await TickwireMemory.attach(job.handle);
const cache = LastValueCache.attach(mem, job.cache);
const region = mem.allocate(job.batch * 384, 64);
const stop = job.flags >>> 2;
Atomics.add(mem.i32, stop + 1, 1); // ready
let k = 0;
let applied = 0;
let batches = 0;
while (Atomics.load(mem.i32, stop) === 0) {
  let bytes = 0;
  for (let i = 0; i < job.batch; i++, k++) {
    bytes += writeRecord(mem.u32, (region + bytes) >>> 2, k % job.symbols, job.writer + k * job.writers);
  }
  applied += cache.apply(region, bytes);
  batches++;
}
parentPort!.postMessage({ applied, batches });
