// Fixed-rate pacing for the end-to-end benchmark (bench/e2e.ts), shared by the tickwire server
// and the plain baseline so that both see the same market at the same offered rate.
//
// No coordinated omission: tick k of a run is *due* at t0 + k / rate, and its record's
// recvTimeNs is stamped with that due time, not with the time it was written. A pacer that
// falls behind (the system under it is slow, its own turn came late) keeps its schedule: what
// fell due meanwhile is written at once, stamped with when it was due, so the delay counts in
// every latency measured from the stamp. Ticks more than `maxBacklogMs` overdue are shed and
// counted (the offered rate is then above what the system takes).
//
// Wake-ups come from a ticker thread (Atomics.wait with a sub-millisecond timeout, then
// Atomics.notify), which the pacing thread awaits with Atomics.waitAsync: setTimeout's 1 ms
// (in practice 1.1–1.5 ms) granularity would add that much to every latency, and spinning
// would steal a core from the system being measured on a 2-core machine.
import { readFileSync } from "node:fs";
import { Worker } from "node:worker_threads";
import * as hdr from "hdr-histogram-js";
import { monotonicNs } from "../../src/clock.js";
import { OFF_LENGTH, OFF_RECV_TIME_NS } from "../../src/format/layout.js";

/** Where a pacer's ticks come from and go to. */
export interface PacerTarget {
  /**
   * Writes up to `maxTicks` records back to back at `stage` of `u8` (the market's writeTicks or
   * the adapter's produce()); returns the bytes written and sets {@link PacerTarget.ticks}.
   */
  write(maxTicks: number): number;
  /** Records the last write() wrote. */
  readonly ticks: number;
  /** The bytes the records are in (read after write(): it may be a fresh view) and where they start. */
  readonly u8: Uint8Array;
  readonly stage: number;
  /** Hands a stamped batch on; the pacer awaits what it returns before it writes again. */
  deliver(bytes: number, ticks: number): Promise<unknown> | void;
}

/** Counters of a {@link Pacer} since it was made. */
export interface PacerCounts {
  /** Records written and handed on. */
  produced: number;
  /** Ticks that fell due but were shed (more than maxBacklogMs overdue). */
  shed: number;
  /** Batches handed on. */
  batches: number;
  /** Ticks of batches the target refused (deliver threw or rejected). */
  failed: number;
}

const TWO_32 = 4294967296;
/** USER_HZ: 100 on every Linux Node runs on. */
const CLOCK_TICKS_PER_SECOND = 100;
/** Lag samples a batch records at most (each for an equal share of its ticks). */
const LAG_SAMPLES = 16;

/** A latency histogram in microseconds, 3 significant digits, up to 10 minutes. */
export function latencyHistogram(): hdr.Histogram {
  return hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 600e6, numberOfSignificantValueDigits: 3 });
}

/** Wakes its owner every `intervalMs` from a thread of its own (see the file comment). */
export class Ticker {
  private readonly cell = new Int32Array(new SharedArrayBuffer(12));
  private readonly worker: Worker;

  constructor(intervalMs = 0.2) {
    // Plain JS in an eval worker: no loader needed, nothing to import.
    // Cell 0: ticks; 1: stop; 2: the thread's id (Linux), so that its CPU can be told apart.
    this.worker = new Worker(
      `const { workerData } = require("node:worker_threads");
       const cell = new Int32Array(workerData.sab);
       const nap = new Int32Array(new SharedArrayBuffer(4));
       try { Atomics.store(cell, 2, Number(require("node:fs").readlinkSync("/proc/thread-self").split("/").pop())); } catch {}
       while (Atomics.load(cell, 1) === 0) {
         Atomics.wait(nap, 0, 0, workerData.intervalMs);
         Atomics.add(cell, 0, 1);
         Atomics.notify(cell, 0);
       }`,
      { eval: true, workerData: { sab: this.cell.buffer, intervalMs } },
    );
    this.worker.unref();
  }

  /** Resolves at the next tick (at most 50 ms later). */
  next(): Promise<unknown> {
    const seen = Atomics.load(this.cell, 0);
    const wait = (Atomics as unknown as { waitAsync(a: Int32Array, i: number, v: number, t: number): { async: boolean; value: Promise<unknown> | string } })
      .waitAsync(this.cell, 0, seen, 50);
    return wait.async ? (wait.value as Promise<unknown>) : Promise.resolve();
  }

  /**
   * CPU seconds the ticker thread has used (Linux: /proc/self/task/<tid>/stat, in 10 ms clock
   * ticks), so that reports can leave the benchmark's own pacing out; 0 where unknown.
   */
  cpuSeconds(): number {
    const tid = Atomics.load(this.cell, 2);
    if (tid === 0) return 0;
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, "utf8");
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      // Fields 14 and 15 of stat (utime, stime) are 11 and 12 after the ")".
      return (Number(f[11]) + Number(f[12])) / CLOCK_TICKS_PER_SECOND;
    } catch {
      return 0;
    }
  }

  async stop(): Promise<void> {
    Atomics.store(this.cell, 1, 1);
    await this.worker.terminate();
  }
}

const nextTurn = (): Promise<void> => new Promise((r) => setImmediate(r));
/** Nothing offered: look again in 5 ms (no ticker wake-ups while the clients connect). */
const idle = (): Promise<void> => new Promise((r) => setTimeout(r, 5));

/**
 * Writes ticks at a fixed rate (or as fast as they are taken: flood), stamping each record's
 * recvTimeNs with its due time, and hands them on in batches of at most `batchTicks`.
 */
export class Pacer {
  readonly counts: PacerCounts = { produced: 0, shed: 0, batches: 0, failed: 0 };
  /** How late records were written after they fell due (µs), since the last takeLag(). */
  private lag = latencyHistogram();
  private rate = 0;
  private flood = false;
  private t0 = 0;
  private k = 0;
  private running = true;
  private readonly done: Promise<void>;

  constructor(
    private readonly target: PacerTarget,
    private readonly ticker: Ticker,
    private readonly batchTicks = 1024,
    private readonly maxBacklogMs = 1000,
  ) {
    this.done = this.loop();
  }

  /** Offers `ticksPerSecond` from now on (0: nothing); a new schedule starts now. */
  setRate(ticksPerSecond: number): void {
    this.rate = ticksPerSecond;
    this.flood = false;
    this.t0 = monotonicNs();
    this.k = 0;
  }

  /** Offers as much as the target takes: a batch, awaited, then the next; stamped when written. */
  setFlood(): void {
    this.rate = 0;
    this.flood = true;
  }

  /** The lag histogram since the last call (a fresh one starts). */
  takeLag(): hdr.Histogram {
    const h = this.lag;
    this.lag = latencyHistogram();
    return h;
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.done;
  }

  private async loop(): Promise<void> {
    const t = this.target;
    while (this.running) {
      if (this.flood) {
        const bytes = t.write(this.batchTicks);
        if (t.ticks === 0) {
          await this.ticker.next();
          continue;
        }
        this.stampNow(bytes);
        await this.hand(bytes, t.ticks);
        await nextTurn();
        continue;
      }
      if (this.rate === 0) {
        await idle();
        continue;
      }
      const now = monotonicNs();
      const nsPerTick = 1e9 / this.rate;
      const due = Math.floor((now - this.t0) / nsPerTick);
      let owed = due - this.k;
      const backlog = Math.max(this.batchTicks, Math.ceil((this.rate * this.maxBacklogMs) / 1000));
      if (owed > backlog) {
        this.counts.shed += owed - backlog;
        this.k = due - backlog;
        owed = backlog;
      }
      if (owed < 1) {
        await this.ticker.next();
        continue;
      }
      const bytes = t.write(Math.min(owed, this.batchTicks));
      const ticks = t.ticks;
      if (ticks === 0) {
        // Nothing subscribed: the schedule moves on without ticks.
        this.k = due;
        await this.ticker.next();
        continue;
      }
      this.stampDue(bytes, now, nsPerTick);
      this.k += ticks;
      await this.hand(bytes, ticks);
      if (Math.floor((monotonicNs() - this.t0) / nsPerTick) - this.k >= 1) await nextTurn();
      else await this.ticker.next();
    }
  }

  private async hand(bytes: number, ticks: number): Promise<void> {
    this.counts.produced += ticks;
    this.counts.batches++;
    try {
      const r = this.target.deliver(bytes, ticks);
      if (r) await r;
    } catch (err) {
      // A refused batch (say, a route timeout) is counted and reported; pacing goes on.
      this.counts.failed += ticks;
      process.stderr.write(`pacer: a batch of ${ticks} ticks failed: ${(err as Error).message}\n`);
    }
  }

  // Records are back to back, their length a u16 at offset 0; recvTimeNs a u64 at 16 (< 2^53).
  private stampDue(bytes: number, now: number, nsPerTick: number): void {
    const { u8, stage } = this.target;
    const k0 = this.k;
    let k = k0;
    for (let p = stage, end = stage + bytes; p < end; p += u8[p + OFF_LENGTH]! | (u8[p + OFF_LENGTH + 1]! << 8), k++) {
      put64(u8, p + OFF_RECV_TIME_NS, Math.round(this.t0 + k * nsPerTick));
    }
    // The lag falls linearly over a batch: a few evenly spaced samples, weighted, describe it.
    const n = k - k0;
    const step = Math.ceil(n / LAG_SAMPLES);
    for (let j = 0; j < n; j += step) {
      const lagUs = Math.round((now - (this.t0 + (k0 + j) * nsPerTick)) / 1000);
      this.lag.recordValueWithCount(lagUs > 0 ? lagUs : 0, Math.min(step, n - j));
    }
  }

  private stampNow(bytes: number): void {
    const { u8, stage } = this.target;
    const now = monotonicNs();
    for (let p = stage, end = stage + bytes; p < end; p += u8[p + OFF_LENGTH]! | (u8[p + OFF_LENGTH + 1]! << 8)) put64(u8, p + OFF_RECV_TIME_NS, now);
  }
}

function put64(u8: Uint8Array, at: number, v: number): void {
  const lo = v % TWO_32;
  const hi = (v - lo) / TWO_32;
  u8[at] = lo & 0xff; u8[at + 1] = (lo >>> 8) & 0xff; u8[at + 2] = (lo >>> 16) & 0xff; u8[at + 3] = lo >>> 24;
  u8[at + 4] = hi & 0xff; u8[at + 5] = (hi >>> 8) & 0xff; u8[at + 6] = (hi >>> 16) & 0xff; u8[at + 7] = hi >>> 24;
}
