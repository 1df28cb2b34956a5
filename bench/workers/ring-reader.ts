// Reader side of the ring benchmark (bench/ring.ts): reads every record the writers of
// its group send, reads all 16 words of each (checksum) and checks the sequence numbers.
// Ring variants spin (or spin, then park with reader.wait when the command says so);
// postMessage variants receive on their event loop. Latency runs record
// now − intended send time of every record in an HDR histogram (nanoseconds).
import { parentPort } from "node:worker_threads";
import { RingBuffer } from "ringbuf.js";
import { attachTickwire } from "../../src/node/index.js";
import { monotonicNs } from "../../src/clock.js";
import * as L from "../../src/format/layout.js";
import type { RingReader } from "../../src/rings/ring.js";
import {
  sumRecord, sumObject, checkDeadline, WORDS, I_READY, I_DONE, I_CONSUMED, I_PING, I_GO,
  CEIL_HEAD, CEIL_TAIL, CEIL_DATA_BYTE, Samples, type RunCommand, type WorkerJob, type TickObject,
} from "./ring-common.js";

const { mem, pool, data: job } = await attachTickwire<WorkerJob>();
const ctl = new Int32Array(job.ctl);
const PARK_MS = 20;
const STALL_NS = 100_000;

interface Result {
  t1: number; received: number; checksum: number; bad: number; lost?: number; laps?: number;
  /** Broadcast: records read in full, then discarded because release() found them overwritten (part of `lost`). */
  discarded?: number;
  /** Latency runs, tickwire: times the reader thread did not run for over STALL_NS outside reader.wait(), and how long in all. */
  stalls?: number;
  stallNs?: number;
  /** Latency runs: now − intended send time of every record after the warm-up, ns. */
  latency?: Float64Array;
}

/** Tells the writers this reader is in place; then, when asked, plays its side of the writer's pair-up. */
function ready(c?: RunCommand, deadline = Infinity): void {
  Atomics.add(ctl, I_READY, 1);
  Atomics.notify(ctl, I_READY);
  if (!c?.pair) return;
  let spins = 0;
  while (Atomics.load(ctl, I_GO) === 0) {
    if ((Atomics.load(ctl, I_PING) & 1) === 1) Atomics.add(ctl, I_PING, 1);
    else if ((++spins & 0xfffff) === 0) checkDeadline(deadline, ctl, "reader pair-up");
  }
}

function writersDone(c: RunCommand): boolean {
  return Atomics.load(ctl, I_DONE) >= c.writers;
}

// ─── tickwire ────────────────────────────────────────────────────────────────
// The reader joins (broadcast) when it is made: at start-up, before any run.
const twReader: RingReader | undefined = job.variant === "tickwire" ? pool!.get(job.ring!).reader() : undefined;
const twType = twReader?.ring.type;

/** SPSC and MPSC: lossless; a sequence per writer (SPSC: one writer). */
function tickwireRun(c: RunCommand, deadline: number): Result {
  if (twType === "broadcast") return broadcastRun(c, deadline);
  const reader = twReader!;
  const u32 = mem.u32;
  const n = c.n * c.writers;
  const next = new Float64Array(c.writers);
  const maxId = c.writers;
  let sum = 0;
  let bad = 0;
  let got = 0;
  let spins = 0;
  ready(c, deadline);
  while (got < n) {
    const bytes = reader.read();
    if (bytes === 0) {
      if (c.park ? !reader.wait(PARK_MS) : (++spins & 0x3fff) === 0) checkDeadline(deadline, ctl, "tickwire reader");
      continue;
    }
    let w = reader.offset >>> 2;
    const end = w + (bytes >>> 2);
    let records = 0;
    while (w < end) {
      const w0 = u32[w]!;
      const len = w0 & 0xffff;
      if (((w0 >>> 16) & 0xff) !== L.KIND_PADDING) {
        const id = u32[w + 1]!;
        if (id < maxId && u32[w + 2] === next[id]) next[id]!++;
        else bad++;
        sum = (sum + sumRecord(u32, w)) | 0;
        records++;
      }
      if (len < 64 || (len & 63) !== 0) throw new Error(`tickwire reader: bad record length ${len} at ${w << 2}`);
      w += len >>> 2;
    }
    reader.release(bytes);
    got += records;
  }
  return { t1: monotonicNs(), received: got, checksum: sum >>> 0, bad };
}

/** Broadcast: reads until the writer is done and the ring drained; loss is counted by the ring. */
function broadcastRun(c: RunCommand, deadline: number): Result {
  const reader = twReader!;
  const u32 = mem.u32;
  const lost0 = reader.lost;
  const laps0 = reader.laps;
  let expect = 0;
  let sum = 0;
  let bad = 0;
  let got = 0;
  let spins = 0;
  let discarded = 0;
  ready(c, deadline);
  for (;;) {
    const bytes = reader.read();
    if (bytes === 0) {
      if (writersDone(c) && reader.read() === 0) break;
      if (c.park ? !reader.wait(PARK_MS) : (++spins & 0x3fff) === 0) checkDeadline(deadline, ctl, "broadcast reader");
      continue;
    }
    // A broadcast reader releases whole reads (the ring validates them as a unit).
    let w = reader.offset >>> 2;
    const end = w + (bytes >>> 2);
    let records = 0;
    let batchSum = 0;
    let batchBad = 0;
    let next = expect;
    while (w < end) {
      const w0 = u32[w]!;
      const len = w0 & 0xffff;
      if (((w0 >>> 16) & 0xff) !== L.KIND_PADDING) {
        const s = u32[w + 2]!;
        if (s < next) batchBad++; // never backwards or repeated; gaps are what `lost` counts
        next = s + 1;
        batchSum = (batchSum + sumRecord(u32, w)) | 0;
        records++;
      }
      if (len < 64) break; // torn by an overwrite: release() says so below
      w += len >>> 2;
    }
    if (!reader.release(bytes)) { discarded += records; continue; } // overwritten while read: counted in reader.lost
    expect = next;
    sum = (sum + batchSum) | 0;
    bad += batchBad;
    got += records;
  }
  return { t1: monotonicNs(), received: got, checksum: sum >>> 0, bad, lost: reader.lost - lost0, laps: reader.laps - laps0, discarded };
}

function tickwireLatency(c: RunCommand, deadline: number): Result {
  const reader = twReader!;
  const u32 = mem.u32;
  const h = new Samples(c.n - (c.warm ?? 0));
  const warm = c.warm ?? 0;
  const spinNs = c.spinNs ?? 0;
  let expect = 0;
  let bad = 0;
  let spins = 0;
  let last = monotonicNs();
  // Stall detector: the clock is read every 1024 empty reads (~15 µs) and at every record; a gap
  // above STALL_NS between two readings outside reader.wait() is time this thread did not run.
  let tick = last;
  let stalls = 0;
  let stallNs = 0;
  ready(c, deadline);
  while (expect < c.n) {
    const bytes = reader.read();
    if (bytes === 0) {
      if ((++spins & 0x3ff) === 0) {
        const t = monotonicNs();
        if (t - tick > STALL_NS && expect > warm) { stalls++; stallNs += t - tick; }
        tick = t;
        checkDeadline(deadline, ctl, "tickwire latency reader");
      }
      // Parked: park at once (reader.wait spins briefly first), or only after spinning spinNs since the last record.
      // (The clock allocates, so the spin budget is checked every 256 empty reads, ~3 µs.)
      if (c.park && (spinNs === 0 || ((spins & 0xff) === 0 && monotonicNs() - last > spinNs))) {
        if (!reader.wait(PARK_MS)) checkDeadline(deadline, ctl, "tickwire latency reader");
        tick = monotonicNs(); // time parked is not a stall
      }
      continue;
    }
    const now = monotonicNs();
    if (now - tick > STALL_NS && expect > warm) { stalls++; stallNs += now - tick; }
    tick = now;
    last = now;
    let w = reader.offset >>> 2;
    const end = w + (bytes >>> 2);
    let records = 0;
    while (w < end) {
      const w0 = u32[w]!;
      if (((w0 >>> 16) & 0xff) !== L.KIND_PADDING) {
        const s = u32[w + 2]!;
        if (s !== expect) bad++;
        expect = s + 1;
        if (s >= warm) {
          const intended = u32[w + 4]! + u32[w + 5]! * 4294967296;
          h.add(now - intended);
        }
        records++;
      }
      const len = w0 & 0xffff;
      if (len < 64 || (len & 63) !== 0) throw new Error(`tickwire latency reader: bad record length ${len} at ${w << 2}`);
      w += len >>> 2;
    }
    reader.release(bytes);
  }
  return { t1: monotonicNs(), received: expect, checksum: 0, bad, latency: h.take(), stalls, stallNs };
}

// ─── ceiling: a bare ring ─────────────────────────────────────────────────────
function ceilingRun(c: RunCommand, deadline: number): Result {
  const sab = job.sab!;
  const ix = new Int32Array(sab, 0, 64);
  const mask = (sab.byteLength - CEIL_DATA_BYTE) / 64 - 1;
  const u32 = new Uint32Array(sab, CEIL_DATA_BYTE);
  const n = c.n;
  let head = Atomics.load(ix, CEIL_HEAD);
  let expect = 0;
  let sum = 0;
  let bad = 0;
  let spins = 0;
  ready(c, deadline);
  while (expect < n) {
    const avail = (Atomics.load(ix, CEIL_TAIL) - head) | 0;
    if (avail === 0) {
      if ((++spins & 0xffff) === 0) checkDeadline(deadline, ctl, "ceiling reader");
      continue;
    }
    // The records up to the end of the array (the rest on the next pass), like tickwire's read().
    const from = head & mask;
    const k = avail < mask + 1 - from ? avail : mask + 1 - from;
    const end = (from + k) << 4;
    for (let w = from << 4; w < end; w += WORDS) {
      if (u32[w + 2] !== expect) bad++;
      expect++;
      sum = (sum + sumRecord(u32, w)) | 0;
    }
    head = (head + k) | 0;
    Atomics.store(ix, CEIL_HEAD, head);
  }
  return { t1: monotonicNs(), received: expect, checksum: sum >>> 0, bad };
}

// ─── ringbuf.js ───────────────────────────────────────────────────────────────
let rb: RingBuffer | undefined;
const popBuf = new Uint32Array(1024 * WORDS);
function ringbufRun(c: RunCommand, deadline: number): Result {
  rb ??= new RingBuffer(job.sab!, Uint32Array);
  const n = c.n;
  let expect = 0;
  let sum = 0;
  let bad = 0;
  let spins = 0;
  ready(c, deadline);
  while (expect < n) {
    const words = rb.pop(popBuf);
    if (words === 0) {
      if ((++spins & 0xffff) === 0) checkDeadline(deadline, ctl, "ringbuf reader");
      continue;
    }
    for (let w = 0; w < words; w += WORDS) {
      if (popBuf[w + 2] !== expect) bad++;
      expect++;
      sum = (sum + sumRecord(popBuf, w)) | 0;
    }
  }
  return { t1: monotonicNs(), received: expect, checksum: sum >>> 0, bad };
}

// ─── postMessage: handled on the event loop ───────────────────────────────────
type Pending = { c: RunCommand; resolve: (r: Result) => void; reject: (e: Error) => void; timer: NodeJS.Timeout };
let pending: Pending | undefined;
let pmGot = 0;
let pmSum = 0;
let pmBad = 0;
let pmHist: Samples | undefined;

function pmStart(c: RunCommand, deadline: number): Promise<Result> {
  pmGot = 0; pmSum = 0; pmBad = 0;
  pmHist = c.cmd === "latency" ? new Samples(c.n - (c.warm ?? 0)) : undefined;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { pending = undefined; reject(new Error("postMessage reader: deadline passed")); }, deadline - performance.now());
    pending = { c, resolve, reject, timer };
    ready();
  });
}

function pmEnd(): void {
  const p = pending!;
  pending = undefined;
  clearTimeout(p.timer);
  p.resolve({ t1: monotonicNs(), received: pmGot, checksum: pmSum >>> 0, bad: pmBad, ...(pmHist ? { latency: pmHist.take() } : {}) });
}

if (job.variant === "pm-object") {
  job.port!.on("message", (t: TickObject) => {
    const p = pending;
    if (!p) return;
    if (t.seq !== pmGot) pmBad++;
    if (pmHist) {
      const now = monotonicNs();
      if (t.seq >= (p.c.warm ?? 0)) pmHist.add(now - t.recvTimeNs);
    } else {
      pmSum = (pmSum + sumObject(t)) | 0;
    }
    pmGot++;
    Atomics.store(ctl, I_CONSUMED, pmGot);
    if (pmGot === p.c.n) pmEnd();
  });
}
if (job.variant === "pm-transfer") {
  job.port!.on("message", (ab: ArrayBuffer) => {
    const p = pending;
    if (!p) return;
    const u32 = new Uint32Array(ab);
    for (let w = 0; w < u32.length; w += WORDS) {
      if (u32[w + 2] !== pmGot) pmBad++;
      pmGot++;
      pmSum = (pmSum + sumRecord(u32, w)) | 0;
    }
    Atomics.store(ctl, I_CONSUMED, pmGot);
    if (pmGot === p.c.n) pmEnd();
  });
}

function pingpong(c: RunCommand, deadline: number): Result {
  ready();
  let spins = 0;
  for (;;) {
    while ((Atomics.load(ctl, I_PING) & 1) !== 1) {
      if (Atomics.load(ctl, I_DONE) !== 0) return { t1: monotonicNs(), received: 0, checksum: 0, bad: 0 };
      if ((++spins & 0xfffff) === 0) checkDeadline(deadline, ctl, "ping-pong reader");
    }
    Atomics.add(ctl, I_PING, 1);
  }
}

const RUN: Record<string, (c: RunCommand, deadline: number) => Result | Promise<Result>> = {
  tickwire: tickwireRun, ceiling: ceilingRun, ringbuf: ringbufRun, "pm-object": pmStart, "pm-transfer": pmStart,
};
const LATENCY: Record<string, (c: RunCommand, deadline: number) => Result | Promise<Result>> = { tickwire: tickwireLatency, "pm-object": pmStart };

parentPort!.on("message", async (c: RunCommand) => {
  try {
    const fn = c.cmd === "pingpong" ? pingpong : (c.cmd === "latency" ? LATENCY : RUN)[job.variant];
    if (!fn) throw new Error(`reader: no ${c.cmd} for ${job.variant}`);
    const r = await fn(c, performance.now() + c.deadlineMs);
    parentPort!.postMessage({ ok: true, ...r }, r.latency ? [r.latency.buffer as ArrayBuffer] : []);
  } catch (e) {
    parentPort!.postMessage({ ok: false, error: e instanceof Error ? e.stack ?? e.message : String(e) });
  }
});
parentPort!.postMessage({ ok: true, started: true });
