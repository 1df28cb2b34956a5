// A consumer in its own thread, as application code runs one: attaches from the handle in
// workerData and checks every tick it gets (its symbol's seq only grows, the check value the
// TickSource wrote is intact), counting per symbol. Modes: "slow" sleeps `delayMs` a batch;
// "stall" stops reading (blocks its thread) after `stallAfter` ticks until told "resume";
// "throw" throws on every third batch. Posts { ready } once attached, then on "finish"
// (or when the consumer ends) its result.
import { parentPort, workerData } from "node:worker_threads";
import { Consumer, type ConsumerHandle, type ConsumerOptions, type TickBatch } from "../../src/index.js";

interface Data {
  handle: ConsumerHandle;
  options: ConsumerOptions;
  behaviour: "slow" | "stall" | "throw" | "fast";
  delayMs?: number;
  stallAfter?: number;
  /** Shared i32: [0] ticks seen (for the test to watch), [1] set to 1 to end a stall. */
  signal: Int32Array;
}

const d = workerData as Data;
const errorsSeen: { message: string; size: number }[] = [];
const consumer = await Consumer.attach(d.handle, {
  ...d.options,
  onError: (err, batch) => { if (errorsSeen.length < 10) errorsSeen.push({ message: (err as Error).message, size: batch.size }); },
});
const lastSeq = new Map<number, number>();
const received = new Map<number, number>();
const lastLtp = new Map<number, number>();
const problems: string[] = [];
let total = 0;
let batches = 0;
let maxBatchSeen = 0;
let ending: Error | undefined;
parentPort!.postMessage({ ready: true });
parentPort!.on("message", (m) => { if (m === "finish") consumer.close(); });

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function check(batch: TickBatch): void {
  for (const t of batch) {
    const id = t.symbolId;
    const seq = t.seq;
    // TickSource: ltp (scaled, 2 decimals) = seq * 3 + id.
    if (Math.round(t.ltp * 100) !== seq * 3 + id && problems.length < 5) problems.push(`symbol ${id} seq ${seq}: ltp ${t.ltp} is not its check value`);
    const last = lastSeq.get(id);
    if (last !== undefined && seq <= last && problems.length < 5) problems.push(`symbol ${id}: seq ${seq} after ${last}`);
    lastSeq.set(id, seq);
    lastLtp.set(id, t.ltp);
    received.set(id, (received.get(id) ?? 0) + 1);
  }
}

try {
  await consumer.run(async (batch) => {
    batches++;
    maxBatchSeen = Math.max(maxBatchSeen, batch.size);
    if (d.behaviour === "throw" && batches % 3 === 0) throw new Error(`boom at batch ${batches}`);
    check(batch);
    total += batch.size;
    Atomics.store(d.signal, 0, total);
    if (d.behaviour === "slow") await sleep(d.delayMs ?? 1);
    if (d.behaviour === "stall" && total >= (d.stallAfter ?? 0) && Atomics.load(d.signal, 1) === 0) {
      // Stops reading: the thread blocks until the test says resume.
      while (Atomics.load(d.signal, 1) === 0) Atomics.wait(d.signal, 1, 0, 50);
    }
  });
} catch (err) {
  ending = err as Error;
}
parentPort!.postMessage({
  total, batches, maxBatchSeen, problems, errorsSeen, stats: consumer.stats(), batchSizeAtEnd: consumer.batchSize,
  received: [...received], lastSeq: [...lastSeq], ending: ending ? { code: (ending as { code?: string }).code, message: ending.message } : undefined,
});
