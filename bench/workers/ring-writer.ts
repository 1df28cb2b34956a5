// Writer side of the ring benchmark (bench/ring.ts). One worker per writer; it waits for
// commands from the main thread and answers each with one message. Variants:
//   tickwire     RingWriter.claim(n × 64) · write 16 words per record in place · commit(n × 64)
//   ceiling      a bare SPSC ring over a SharedArrayBuffer: Atomics tail/head, no claim, no padding
//   ringbuf      ringbuf.js RingBuffer<Uint32Array>: records built in a scratch array, push()
//   pm-object    MessagePort.postMessage of one tick object per record
//   pm-transfer  MessagePort.postMessage of an ArrayBuffer of `batch` records, transferred
import { parentPort } from "node:worker_threads";
import { RingBuffer } from "ringbuf.js";
import { attachTickwire } from "../../src/node/index.js";
import { monotonicNs } from "../../src/clock.js";
import type { RingWriter } from "../../src/rings/ring.js";
import {
  fillRecord, tickObject, checkDeadline, WORDS, I_READY, I_DONE, I_CONSUMED, I_PING, I_GO,
  CEIL_HEAD, CEIL_TAIL, CEIL_DATA_BYTE, Samples, type RunCommand, type WorkerJob,
} from "./ring-common.js";

const { mem, pool, data: job } = await attachTickwire<WorkerJob>();
const ctl = new Int32Array(job.ctl);
const id = job.id;
const CLAIM_TIMEOUT_MS = 5000;
/** postMessage variants: records in flight at most (the receiver's queue stays bounded). */
const PM_WINDOW = 65536;

// performance.now() (under monotonicNs) allocates a heap number per call here (Node 20: ~50 ns
// and a scavenge every ~10 ms when called in a busy-wait loop), so the latency writers wait
// out most of each gap in a calibrated plain loop and read the clock only near the deadline.
let sink = 0;
function spin(iterations: number): void {
  let x = sink;
  for (let i = 0; i < iterations; i++) x = (x * 31 + i) | 0;
  sink = x;
}
const SPINS_PER_US = (() => {
  spin(1e5);
  let best = Infinity;
  for (let k = 0; k < 5; k++) {
    const t = performance.now();
    spin(1e5);
    best = Math.min(best, performance.now() - t);
  }
  return 1e5 / (best * 1000);
})();

/** Busy-waits until monotonicNs() ≥ `at`, reading the clock every ~1 µs at most. */
function waitUntil(at: number): void {
  for (;;) {
    const left = at - monotonicNs();
    if (left <= 0) return;
    if (left > 1500) spin(((left - 1000) / 1000) * SPINS_PER_US);
  }
}

interface Result {
  t0: number; t1: number; written: number;
  /** Whether the pair-up found both threads running at once (see pairUp). */
  paired?: boolean;
  /** Latency runs: how late each record went out against its schedule (after the send call), ns. */
  late?: Float64Array;
}

/** Waits until `readers` readers said they are ready (a barrier: all writers start together). */
function awaitReaders(c: RunCommand, deadline: number): void {
  for (;;) {
    const ready = Atomics.load(ctl, I_READY);
    if (ready >= c.readers) break;
    checkDeadline(deadline, ctl, `writer ${id} waiting for readers`);
    Atomics.wait(ctl, I_READY, ready, 5);
  }
  if (c.pair) paired = pairUp();
}

/**
 * Ping-pongs a cache line with the reader until 256 round trips take < 256 µs, i.e. the two
 * threads run at once on cores of their own, for at most ~100 ms. Then GO. Linux on this VM
 * sometimes keeps two busy threads on one core (they then take turns in 4 ms slices) while the
 * other core idles; a thread that sleeps is placed on an idle core when it wakes, so between
 * attempts the writer sleeps 1 ms.
 */
let paired = true;
const nap = new Int32Array(new SharedArrayBuffer(4));
function pairUp(): boolean {
  const end = performance.now() + 100;
  let ok = false;
  outer: while (!ok) {
    const t = performance.now();
    for (let i = 0; i < 256; i++) {
      let spins = 0;
      while ((Atomics.load(ctl, I_PING) & 1) !== 0) if ((++spins & 0xfff) === 0 && performance.now() > end) break outer;
      Atomics.add(ctl, I_PING, 1);
    }
    ok = performance.now() - t < 0.256;
    if (performance.now() > end) break;
    if (!ok) Atomics.wait(nap, 0, 0, 1);
  }
  Atomics.store(ctl, I_GO, 1);
  return ok;
}

function finish(t0: number, written: number): Result {
  const t1 = monotonicNs();
  Atomics.add(ctl, I_DONE, 1);
  Atomics.notify(ctl, I_DONE);
  return { t0, t1, written, paired };
}

// ─── tickwire ────────────────────────────────────────────────────────────────
let twWriter: RingWriter | undefined;
function tickwireRun(c: RunCommand, deadline: number): Result {
  const writer = (twWriter ??= pool!.get(job.ring!).writer());
  const u32 = mem.u32;
  const n = c.n;
  const batch = c.batch;
  awaitReaders(c, deadline);
  const t0 = monotonicNs();
  let seq = 0;
  while (seq < n) {
    const k = n - seq < batch ? n - seq : batch;
    const bytes = k << 6;
    // tryClaim first; on a full ring claim() spins, then parks until the reader makes room.
    let w = writer.claim(bytes, CLAIM_TIMEOUT_MS) >>> 2;
    for (let i = 0; i < k; i++, w += WORDS) fillRecord(u32, w, seq + i, id);
    writer.commit(bytes);
    seq += k;
  }
  return finish(t0, seq);
}

/** Fixed-rate sends for the latency runs: record i is due at start + i × period. */
function tickwireLatency(c: RunCommand, deadline: number): Result {
  const writer = (twWriter ??= pool!.get(job.ring!).writer());
  const u32 = mem.u32;
  const period = c.periodNs!;
  const warm = c.warm ?? 0;
  const late = new Samples(c.n - warm); // how late each send was against its schedule (the writer's own stalls)
  awaitReaders(c, deadline);
  const start = Math.ceil(monotonicNs()) + 1_000_000;
  const t0 = start;
  for (let i = 0; i < c.n; i++) {
    const intended = start + i * period;
    waitUntil(intended);
    const at = writer.claim(64, CLAIM_TIMEOUT_MS);
    const w = at >>> 2;
    fillRecord(u32, w, i, id);
    u32[w + 4] = intended % 4294967296;
    u32[w + 5] = Math.floor(intended / 4294967296);
    writer.commit(64);
    if (i >= warm) late.add(monotonicNs() - intended);
    if ((i & 0xfff) === 0) checkDeadline(deadline, ctl, "tickwire latency writer");
  }
  return { ...finish(t0, c.n), late: late.take() };
}

// ─── ceiling: a bare ring ─────────────────────────────────────────────────────
function ceilingRun(c: RunCommand, deadline: number): Result {
  const sab = job.sab!;
  const ix = new Int32Array(sab, 0, 64);
  const slots = (sab.byteLength - CEIL_DATA_BYTE) / 64;
  const mask = slots - 1;
  const wordMask = slots * WORDS - 1;
  const u32 = new Uint32Array(sab, CEIL_DATA_BYTE);
  const n = c.n;
  const batch = c.batch;
  awaitReaders(c, deadline);
  const t0 = monotonicNs();
  let tail = Atomics.load(ix, CEIL_TAIL);
  let head = Atomics.load(ix, CEIL_HEAD);
  let seq = 0;
  let spins = 0;
  while (seq < n) {
    const k = n - seq < batch ? n - seq : batch;
    while (((tail + k - head) | 0) > slots) {
      head = Atomics.load(ix, CEIL_HEAD);
      if ((++spins & 0xffff) === 0) checkDeadline(deadline, ctl, "ceiling writer");
    }
    let w = (tail & mask) << 4;
    for (let i = 0; i < k; i++, w = (w + WORDS) & wordMask) fillRecord(u32, w, seq + i, id);
    tail = (tail + k) | 0;
    Atomics.store(ix, CEIL_TAIL, tail);
    seq += k;
  }
  return finish(t0, seq);
}

// ─── ringbuf.js ───────────────────────────────────────────────────────────────
let rb: RingBuffer | undefined;
const scratch = new Map<number, Uint32Array>();
function ringbufRun(c: RunCommand, deadline: number): Result {
  rb ??= new RingBuffer(job.sab!, Uint32Array);
  const n = c.n;
  const batch = c.batch;
  let buf = scratch.get(batch);
  if (!buf) scratch.set(batch, (buf = new Uint32Array(batch * WORDS)));
  awaitReaders(c, deadline);
  const t0 = monotonicNs();
  let seq = 0;
  let spins = 0;
  while (seq < n) {
    const k = n - seq < batch ? n - seq : batch;
    for (let i = 0; i < k; i++) fillRecord(buf, i * WORDS, seq + i, id);
    const words = k * WORDS;
    let done = rb.push(buf, words);
    while (done < words) {
      done += rb.push(buf, words - done, done);
      if ((++spins & 0xffff) === 0) checkDeadline(deadline, ctl, "ringbuf writer");
    }
    seq += k;
  }
  return finish(t0, seq);
}

// ─── postMessage ──────────────────────────────────────────────────────────────
function flowControl(sent: number, deadline: number, what: string): void {
  let spins = 0;
  while (sent - Atomics.load(ctl, I_CONSUMED) > PM_WINDOW) {
    if ((++spins & 0xfff) === 0) checkDeadline(deadline, ctl, what);
  }
}

function pmObjectRun(c: RunCommand, deadline: number): Result {
  const port = job.port!;
  const n = c.n;
  awaitReaders(c, deadline);
  const t0 = monotonicNs();
  for (let seq = 0; seq < n; seq++) {
    if ((seq & 255) === 0) flowControl(seq, deadline, "postMessage writer");
    port.postMessage(tickObject(seq, id, seq + 4));
  }
  return finish(t0, n);
}

function pmTransferRun(c: RunCommand, deadline: number): Result {
  const port = job.port!;
  const n = c.n;
  const batch = c.batch;
  awaitReaders(c, deadline);
  const t0 = monotonicNs();
  let seq = 0;
  while (seq < n) {
    const k = n - seq < batch ? n - seq : batch;
    flowControl(seq, deadline, "postMessage (transfer) writer");
    const ab = new ArrayBuffer(k * 64);
    const u32 = new Uint32Array(ab);
    for (let i = 0; i < k; i++) fillRecord(u32, i * WORDS, seq + i, id);
    port.postMessage(ab, [ab]);
    seq += k;
  }
  return finish(t0, seq);
}

function pmObjectLatency(c: RunCommand, deadline: number): Result {
  const port = job.port!;
  const period = c.periodNs!;
  const warm = c.warm ?? 0;
  const late = new Samples(c.n - warm); // how late each send was against its schedule (the writer's own stalls)
  awaitReaders(c, deadline);
  const start = Math.ceil(monotonicNs()) + 1_000_000;
  for (let i = 0; i < c.n; i++) {
    const intended = start + i * period;
    waitUntil(intended);
    port.postMessage(tickObject(i, id, intended));
    if (i >= warm) late.add(monotonicNs() - intended);
    if ((i & 0xfff) === 0) checkDeadline(deadline, ctl, "postMessage latency writer");
  }
  return { ...finish(start, c.n), late: late.take() };
}

/** Cache-line ping-pong with the reader: n round trips of one counter between the two threads. */
function pingpong(c: RunCommand, deadline: number): Result {
  awaitReaders(c, deadline);
  const end = performance.now() + (c.durationMs ?? 20);
  const t0 = monotonicNs();
  let trips = 0;
  // Up to n round trips, for at most durationMs (two threads sharing one core would take a
  // scheduler time slice per trip): then DONE tells the reader to stop.
  outer: for (; trips < c.n; trips++) {
    let spins = 0;
    while ((Atomics.load(ctl, I_PING) & 1) !== 0) if ((++spins & 0x3ff) === 0 && performance.now() > end) break outer;
    Atomics.add(ctl, I_PING, 1);
    if ((trips & 0xff) === 0 && performance.now() > end) { trips++; break; }
  }
  return finish(t0, trips);
}

const RUN: Record<string, (c: RunCommand, deadline: number) => Result> = {
  tickwire: tickwireRun, ceiling: ceilingRun, ringbuf: ringbufRun, "pm-object": pmObjectRun, "pm-transfer": pmTransferRun,
};
const LATENCY: Record<string, (c: RunCommand, deadline: number) => Result> = { tickwire: tickwireLatency, "pm-object": pmObjectLatency };

parentPort!.on("message", (c: RunCommand) => {
  try {
    const fn = c.cmd === "pingpong" ? pingpong : (c.cmd === "latency" ? LATENCY : RUN)[job.variant];
    if (!fn) throw new Error(`writer: no ${c.cmd} for ${job.variant}`);
    paired = true;
    const r = fn(c, performance.now() + c.deadlineMs);
    parentPort!.postMessage({ ok: true, ...r }, r.late ? [r.late.buffer as ArrayBuffer] : []);
  } catch (e) {
    parentPort!.postMessage({ ok: false, error: e instanceof Error ? e.stack ?? e.message : String(e) });
  }
});
parentPort!.postMessage({ ok: true, started: true });
