// Lock-free metrics test worker: waits for the go flag, then records K values into the
// shared histogram (single records and batches mixed) and adds to the shared counters.
import { parentPort, workerData } from "node:worker_threads";
import { TickwireMemory, type MemoryHandle } from "../../src/index.js";
import { LatencyHistogram } from "../../src/monitor/histogram.js";
import { MetricCounters } from "../../src/monitor/counters.js";
import { metricsValue } from "./metrics-values.js";

interface Job { handle: MemoryHandle; hist: number; counters: number; flags: number; worker: number; k: number; bigAdd: number }
const job = workerData as Job;
const mem = await TickwireMemory.attach(job.handle);
const hist = LatencyHistogram.attach(mem, job.hist);
const counters = MetricCounters.attach(mem, job.counters);
const batch = new Float64Array(mem.buffer, mem.allocate(256 * 8, 64), 256);
const flags = job.flags >>> 2;
Atomics.add(mem.i32, flags + 1, 1); // ready
while (Atomics.load(mem.i32, flags) === 0) Atomics.wait(mem.i32, flags, 0, 5);
let k = 0;
while (k < job.k) {
  if ((k & 1023) < 256) { // a stretch of single records, then a batch
    hist.record(metricsValue(job.worker, k));
    counters.add("ticksIn");
    k++;
    continue;
  }
  const n = Math.min(256, job.k - k);
  const view = n === 256 ? batch : batch.subarray(0, n);
  for (let i = 0; i < n; i++) view[i] = metricsValue(job.worker, k + i);
  hist.recordBatch(view);
  counters.add("ticksIn", n);
  counters.add("bytesIn", job.bigAdd); // large adds: the low word carries again and again, racing the others
  counters.add("bytesOut", n * 64);
  k += n;
}
parentPort!.postMessage({ done: k });
