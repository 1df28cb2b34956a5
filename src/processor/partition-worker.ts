// A partition worker of a ParallelProcessor: takes the records routed to its slot
// from its ingest ring, applies them to the last-value cache and publishes them
// on its fan-out ring. Restartable: what it committed to a ring survives it.
import { parentPort } from "node:worker_threads";
import { attachTickwire } from "../node/tickwire-worker.js";
import { LastValueCache } from "../cache/last-value-cache.js";
import { ingestRingName, fanoutRingName } from "./router.js";
import * as P from "./layout.js";
import { SwitchBarrier } from "./barrier.js";

/** What the processor passes to each worker. */
export interface PartitionWorkerData {
  worker: number;
  slots: number;
  state: number;
  barrier: number;
  cache: number;
  unblockAfterMs: number;
}

const { mem, pool, data } = await attachTickwire<PartitionWorkerData>();
const { worker, slots } = data;
const ingestRing = pool!.get(ingestRingName(worker));
const fanoutRing = pool!.get(fanoutRingName(worker));
const ingest = ingestRing.reader();
const fanout = fanoutRing.writer();
// Writer id = slot + 1: a restarted worker takes over at once a slot its predecessor died in.
const cache = LastValueCache.attach(mem, data.cache, { writerId: worker + 1 });
const i32 = mem.i32;
const f64 = mem.f64;
const stateIndex = (data.state + P.WS_STATE) >>> 2;
const seenIndex = (data.state + P.WS_SEEN_BARRIER) >>> 2;
const processedIndex = (data.state + P.WS_PROCESSED) >>> 3;
const pendingIngestIndex = (data.state + P.WS_PENDING_INGEST_END) >>> 3;
const pendingFanoutIndex = (data.state + P.WS_PENDING_FANOUT_END) >>> 3;
const barrier = new SwitchBarrier(mem, pool!, data.barrier, slots);
const nap = new Int32Array(new SharedArrayBuffer(4));

// A batch is published (fan-out commit) before it is released from the ingest ring. If the
// worker before us died between the two, the fan-out ring already has the batch: release
// it without publishing it twice.
function recover(): void {
  const ingestEnd = f64[pendingIngestIndex]!;
  const fanoutEnd = f64[pendingFanoutIndex]!;
  const head = ingestRing.head;
  if (fanoutEnd > 0 && fanoutRing.tail >= fanoutEnd && head < ingestEnd) {
    ingest.read();
    ingest.release(ingestEnd - head);
  }
}

function publish(at: number, bytes: number): void {
  const ticks = cache.apply(at, bytes);
  const out = fanout.tryClaim(bytes); // a broadcast ring never refuses
  mem.u8.copyWithin(out, at, at + bytes);
  // Fan-out end first, ingest end last: recover() acts only on an ingest end past the head,
  // so a death between the two stores reprocesses the batch rather than dropping it.
  f64[pendingFanoutIndex] = fanout.position + bytes;
  f64[pendingIngestIndex] = ingestRing.head + bytes;
  fanout.commit(bytes, ticks);
  ingest.release(bytes);
  f64[processedIndex] = f64[processedIndex]! + ticks;
}

recover();
// A stop requested while this worker was starting stands.
if (Atomics.compareExchange(i32, stateIndex, P.STATE_IDLE, P.STATE_RUNNING) !== P.STATE_IDLE) process.exit(0);
parentPort!.postMessage({ ready: worker });

let blockedSince = 0;
while (Atomics.load(i32, stateIndex) !== P.STATE_STOP) {
  if (!ingest.wait(50)) {
    // Nothing readable though bytes were claimed: a router that died mid-batch leaves an
    // uncommitted claim that would block this ring forever. Give it up after a while.
    if (ingestRing.tail > ingestRing.head) {
      const now = Date.now();
      if (blockedSince === 0) blockedSince = now;
      else if (now - blockedSince > data.unblockAfterMs) {
        const bytes = ingest.unblock();
        if (bytes > 0) parentPort!.postMessage({ unblocked: bytes });
        blockedSince = 0;
      }
    } else {
      blockedSince = 0;
    }
    continue;
  }
  blockedSince = 0;
  let bytes = ingest.read();
  // After a partition switch, records routed before it (up to this ring's tail at the
  // switch) are processed first; records after it wait until every worker has processed
  // its own pre-switch records, so a moved symbol's old owner is done before its new one
  // starts: the cache and the fan-out never go back in time for a symbol.
  const epoch = barrier.epoch;
  if (epoch !== Atomics.load(i32, seenIndex)) {
    const boundary = barrier.tailAtSwitch(worker);
    const head = ingestRing.head;
    if (head < boundary) {
      bytes = Math.min(bytes, boundary - head);
    } else if (barrier.drained()) {
      Atomics.store(i32, seenIndex, epoch);
    } else {
      Atomics.wait(nap, 0, 0, 0.2);
      continue;
    }
  }
  publish(ingest.offset, bytes);
}
parentPort!.postMessage({ stopped: worker });
