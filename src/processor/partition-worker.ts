// A partition worker of a ParallelProcessor: takes the records routed to its slot
// from its ingest ring, applies them to the last-value cache and publishes them
// on its fan-out ring. Restartable: what it committed to a ring survives it, and
// every step notes where rings and counters will stand before it acts (./layout.ts).
import { parentPort } from "node:worker_threads";
import { attachTickwire } from "../node/tickwire-worker.js";
import { LastValueCache } from "../cache/last-value-cache.js";
import { TickwireError } from "../errors.js";
import { SLOT_BYTES, KIND_PADDING, OFF_KIND, MAX_RECORD_BYTES } from "../format/layout.js";
import { ingestRingName, fanoutRingName } from "./router.js";
import * as P from "./layout.js";
import { SwitchBarrier } from "./barrier.js";
import { ConsumerTable } from "../fanout/consumer-table.js";
import { FanoutGate } from "../fanout/gate.js";
import { ThreadGauges, StepProbe } from "../monitor/threads.js";
import { LatencyHistogram } from "../monitor/histogram.js";
import { monotonicNs } from "../clock.js";

/** What the processor passes to each worker. */
export interface PartitionWorkerData {
  worker: number;
  slots: number;
  state: number;
  barrier: number;
  cache: number;
  unblockAfterMs: number;
  /** Ingest position up to which records were abandoned by a failed predecessor: dropped (counted), not processed. */
  discardUntil: number;
  /** The consumer table (block consumers gate the fan-out ring); 0: none. */
  consumers: number;
  /** The thread gauges this worker reports its loop delay to (its slot: `worker`); 0: none. */
  threads: number;
  /** The latency histogram of the "ring" stage (receive → taken off the ingest ring); 0: none. */
  ringLatency: number;
}

/** What a worker tells the processor, besides `ready` and `stopped`. */
export type WorkerReport =
  | { unblocked: number }
  | { quarantined: { reason: string; bytes: Uint8Array } }
  | { discarded: number };

const { mem, pool, data } = await attachTickwire<PartitionWorkerData>();
const { worker, slots } = data;
const ingestRing = pool!.get(ingestRingName(worker));
const fanoutRing = pool!.get(fanoutRingName(worker));
const ingest = ingestRing.reader();
const fanout = fanoutRing.writer();
// Writer id = slot + 1: the processor declares it exited when this thread ends, so a slot
// it dies in is taken over (cleared) by whoever writes that symbol next.
const cache = LastValueCache.attach(mem, data.cache, { writerId: worker + 1 });
const i32 = mem.i32;
const f64 = mem.f64;
const at8 = (field: number) => (data.state + field) >>> 3;
const stateIndex = (data.state + P.WS_STATE) >>> 2;
const seenIndex = (data.state + P.WS_SEEN_BARRIER) >>> 2;
const seqIndex = (data.state + P.WS_PENDING_SEQ) >>> 2;
const COUNTERS = [[P.WS_PROCESSED, P.WS_PENDING_PROCESSED], [P.WS_QUARANTINED, P.WS_PENDING_QUARANTINED], [P.WS_DISCARDED, P.WS_PENDING_DISCARDED]] as const;
const barrier = new SwitchBarrier(mem, pool!, data.barrier, slots);
const nap = new Int32Array(new SharedArrayBuffer(4));
const gate = data.consumers ? new FanoutGate(ConsumerTable.attach(mem, data.consumers), worker, fanoutRing.capacity) : undefined;
const stopping = () => Atomics.load(i32, stateIndex) === P.STATE_STOP;
const probe = data.threads ? new StepProbe(ThreadGauges.attach(mem, data.threads), worker) : undefined;
const beat = probe ? () => probe.beat() : undefined;
const ringLatency = data.ringLatency ? LatencyHistogram.attach(mem, data.ringLatency) : undefined;

// Notes the step about to act: where the ingest ring (and the fan-out ring, 0: not
// published) will stand, and the counters after it. A seqlock: a death mid-note leaves it odd.
function begin(ingestBytes: number, fanoutEnd: number, processed: number, quarantined: number, discarded: number): void {
  Atomics.add(i32, seqIndex, 1);
  f64[at8(P.WS_PENDING_FANOUT_END)] = fanoutEnd;
  f64[at8(P.WS_PENDING_PROCESSED)] = f64[at8(P.WS_PROCESSED)]! + processed;
  f64[at8(P.WS_PENDING_QUARANTINED)] = f64[at8(P.WS_QUARANTINED)]! + quarantined;
  f64[at8(P.WS_PENDING_DISCARDED)] = f64[at8(P.WS_DISCARDED)]! + discarded;
  f64[at8(P.WS_PENDING_INGEST_END)] = ingestRing.head + ingestBytes;
  Atomics.add(i32, seqIndex, 1);
}

function finish(): void {
  for (const [counter, pending] of COUNTERS) f64[at8(counter)] = f64[at8(pending)]!;
}

// A step whose release happened is finished (its counters set); one that published but
// was not released is released without publishing again; any other is redone.
function recover(): void {
  if (Atomics.load(i32, seqIndex) % 2 === 1) {
    Atomics.add(i32, seqIndex, 1); // died while noting the step: it never acted
    return;
  }
  const ingestEnd = f64[at8(P.WS_PENDING_INGEST_END)]!;
  const fanoutEnd = f64[at8(P.WS_PENDING_FANOUT_END)]!;
  const head = ingestRing.head;
  if (head < ingestEnd && fanoutEnd > 0 && fanoutRing.tail >= fanoutEnd) {
    ingest.read();
    ingest.release(ingestEnd - head);
  }
  if (ingestRing.head >= ingestEnd) finish();
}

function publish(at: number, bytes: number, position: number): void {
  const ticks = cache.apply(at, bytes, position); // a replay skips what this writer id already applied
  // After apply: it refuses a batch with a bad record (quarantined, below) before anything is timed.
  ringLatency?.recordLatencies(at, bytes, monotonicNs());
  gate?.waitForRoom(fanoutRing.tail, bytes, stopping, beat);
  const out = fanout.tryClaim(bytes); // a broadcast ring never refuses
  mem.u8.copyWithin(out, at, at + bytes);
  begin(bytes, fanout.position + bytes, ticks, 0, 0);
  fanout.commit(bytes);
  ingest.release(bytes);
  finish();
}

// Walks `bytes` of valid records from `at`: the offset of record `index` (or the end).
function recordOffset(at: number, bytes: number, index: number): number {
  let off = 0;
  for (let i = 0; i < index && off < bytes; i++) off += mem.u8[at + off]! | (mem.u8[at + off + 1]! << 8);
  return off;
}

// A record the cache refused (one that should never have been committed: a writer that
// bypassed validation, or memory scribbled on): publish what is before it, then skip it —
// just it when its length can be trusted, else to the next claim — count it and report it.
function quarantine(at: number, bytes: number, position: number, error: TickwireError): void {
  const before = recordOffset(at, bytes, error.recordIndex ?? 0);
  if (before > 0) return publish(at, before, position);
  const length = mem.u8[at]! | (mem.u8[at + 1]! << 8);
  const skip = length >= SLOT_BYTES && length % SLOT_BYTES === 0 && length <= bytes ? length : ingest.claimStartAfter(at) - at;
  parentPort!.postMessage({ quarantined: { reason: error.message, bytes: mem.u8.slice(at, at + Math.min(skip, MAX_RECORD_BYTES)) } } satisfies WorkerReport);
  begin(skip, 0, 0, 1, 0);
  ingest.release(skip);
  finish();
}

// Drops records a failed predecessor left behind (their symbols may have moved on), counted.
function discard(at: number, bytes: number): void {
  let ticks = 0;
  for (let off = 0; off < bytes; ) {
    const length = mem.u8[at + off]! | (mem.u8[at + off + 1]! << 8);
    if (length < SLOT_BYTES || length % SLOT_BYTES !== 0) break;
    if (mem.u8[at + off + OFF_KIND] !== KIND_PADDING) ticks++;
    off += length;
  }
  begin(bytes, 0, 0, 0, ticks);
  ingest.release(bytes);
  finish();
  if (ticks > 0) parentPort!.postMessage({ discarded: ticks } satisfies WorkerReport);
}

recover();
// A stop requested while this worker was starting stands.
if (Atomics.compareExchange(i32, stateIndex, P.STATE_IDLE, P.STATE_RUNNING) !== P.STATE_IDLE) process.exit(0);
parentPort!.postMessage({ ready: worker });

let blockedSince = 0;
while (Atomics.load(i32, stateIndex) !== P.STATE_STOP) {
  probe?.idle();
  if (!ingest.wait(50)) {
    // Nothing readable though bytes were claimed: a router that died mid-batch leaves an
    // uncommitted claim that would block this ring forever. Give it up after a while.
    if (ingestRing.backlog > 0) {
      const now = Date.now();
      if (blockedSince === 0) blockedSince = now;
      else if (now - blockedSince > data.unblockAfterMs) {
        const bytes = ingest.unblock();
        if (bytes > 0) parentPort!.postMessage({ unblocked: bytes } satisfies WorkerReport);
        blockedSince = 0;
      }
    } else {
      blockedSince = 0;
    }
    continue;
  }
  blockedSince = 0;
  probe?.busy();
  let bytes = ingest.read();
  const at = ingest.offset;
  const head = ingestRing.head;
  if (head < data.discardUntil) {
    discard(at, Math.min(bytes, data.discardUntil - head));
    continue;
  }
  // After a partition switch, records routed before it (up to this ring's tail at the
  // switch) are processed first; records after it wait until every worker has processed
  // its own pre-switch records, so a moved symbol's old owner is done before its new one
  // starts: the cache and the fan-out never go back in time for a symbol.
  const epoch = barrier.epoch;
  if (epoch !== Atomics.load(i32, seenIndex)) {
    const boundary = barrier.held(worker) ? barrier.tailAtSwitch(worker) : 0;
    if (head < boundary) {
      bytes = Math.min(bytes, boundary - head);
    } else if (barrier.drained()) {
      Atomics.store(i32, seenIndex, epoch);
    } else {
      Atomics.wait(nap, 0, 0, 0.2);
      continue;
    }
  }
  try {
    publish(at, bytes, head);
  } catch (e) {
    const poison = e instanceof TickwireError && e.recordIndex !== undefined && e.code !== "TIMEOUT" && e.code !== "GIVEN_UP";
    if (!poison || fanout.claimed !== 0) throw e;
    quarantine(at, bytes, head, e);
  }
}
parentPort!.postMessage({ stopped: worker });
