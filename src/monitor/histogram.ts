import * as H from "./layout.js";
import { TickwireError, errorFromStatus } from "../errors.js";
import { TickwireMemory } from "../memory/shared-memory.js";
import type { CoreExports } from "../wasm/exports.js";
import { checkInstance, checkInt, describe } from "../validate.js";

/** What {@link LatencyHistogram.snapshot} returns: plain numbers, ns. */
export interface HistogramSnapshot {
  /** Values recorded (overflowed ones included). */
  readonly count: number;
  /** Smallest and largest value recorded (exact), 0 when empty. */
  readonly min: number;
  readonly max: number;
  /** Exact mean (sum / count), 0 when empty. */
  readonly mean: number;
  /** Percentiles, each within 0.1 % of the exact one (3 significant digits). */
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly p999: number;
  /** Values at or above 2^36 ns (~68.7 s): counted, but in no bucket (a percentile among them is reported as max). */
  readonly overflow: number;
}

/** Options of {@link LatencyHistogram.create} and {@link LatencyHistogram.attach}. */
export interface HistogramOptions {
  /**
   * This object's thread is the only one that records into the histogram: recordLatencies
   * then bumps buckets with plain adds (~1 ns a tick instead of an atomic add's ~5). Another
   * thread recording at the same time would lose counts. Default false.
   */
  readonly singleWriter?: boolean;
}

const TWO_32 = 4294967296;
/** Values copied per Wasm call when recordBatch is given an array outside the shared memory. */
const CHUNK = 1024;

/**
 * A latency histogram in shared memory: log-linear buckets like HdrHistogram with 3
 * significant digits (every percentile within 0.1 %), values 0 to 2^36 − 1 ns (~68.7 s;
 * larger ones are counted as overflow). Any number of threads record into one
 * histogram at once, without locks (every bucket and header field is updated with
 * atomics): create it once, post its {@link offset} and the memory's handle to
 * workers, and {@link attach} there. Layout: src/monitor/layout.ts.
 *
 * Record per batch where you can: {@link recordLatencies} walks a batch of tick records
 * and {@link recordBatch} an array of values in one Wasm call each. One object per
 * thread (it may own a scratch area).
 */
export class LatencyHistogram {
  private readonly core: CoreExports;
  private scratch = 0;

  private readonly singleWriter: boolean;

  private constructor(private readonly mem: TickwireMemory, readonly offset: number, singleWriter: boolean) {
    this.core = mem.core;
    this.singleWriter = singleWriter;
  }

  /** Lays out an empty histogram in `mem` (221 248 bytes). */
  static create(mem: TickwireMemory, options?: HistogramOptions): LatencyHistogram {
    checkInstance(mem, TickwireMemory, "LatencyHistogram.create: mem");
    const single = singleWriter(options, "LatencyHistogram.create"); // before reserving: a refusal takes no memory
    const offset = mem.reserve(H.HIST_BYTES, 64);
    const h = offset >>> 2;
    mem.u32[h + H.HIST_OFF_BUCKET_COUNT / 4] = H.HIST_BUCKET_COUNT;
    mem.u32[h + H.HIST_OFF_MIN / 4] = 0xffffffff; // min starts at 2^64 − 1: any value lowers it
    mem.u32[h + H.HIST_OFF_MIN / 4 + 1] = 0xffffffff;
    Atomics.store(mem.u32, h + H.HIST_OFF_MAGIC / 4, H.HIST_MAGIC);
    return new LatencyHistogram(mem, offset, single);
  }

  /** Attaches to a histogram made by {@link LatencyHistogram.create}, e.g. in a worker given its offset. */
  static attach(mem: TickwireMemory, offset: number, options?: HistogramOptions): LatencyHistogram {
    checkInstance(mem, TickwireMemory, "LatencyHistogram.attach: mem");
    const single = singleWriter(options, "LatencyHistogram.attach");
    if (!Number.isInteger(offset) || offset < mem.base || (offset & 63) !== 0 || offset + H.HIST_BYTES > mem.byteLength
      || Atomics.load(mem.u32, offset >>> 2) !== H.HIST_MAGIC || mem.u32[(offset + H.HIST_OFF_BUCKET_COUNT) >>> 2] !== H.HIST_BUCKET_COUNT) {
      throw new TickwireError("HANDLE", `LatencyHistogram.attach: no latency histogram at offset ${describe(offset)}`);
    }
    return new LatencyHistogram(mem, offset, single);
  }

  /** Records one value: a non-negative integer number of ns. */
  record(ns: number): void {
    if (typeof ns !== "number" || !(ns >= 0) || !Number.isInteger(ns)) badValue(ns, "LatencyHistogram.record: ns");
    this.core.histRecord(this.offset, ns);
  }

  /**
   * Records every value of `values` (non-negative integers, ns) in one Wasm call per
   * 1024 values, none at all when the array lies in this shared memory (a Float64Array
   * over it, 8-aligned: e.g. over a region from allocate()). A bad value throws a
   * TickwireError whose recordIndex is its index; the values before it are recorded.
   */
  recordBatch(values: ArrayLike<number>): void {
    if (values instanceof Float64Array && values.buffer === this.mem.buffer) {
      const done = this.core.histRecordBatch(this.offset, values.byteOffset, values.length);
      if (done !== values.length) badValue(values[done], `LatencyHistogram.recordBatch: values[${done}]`, done);
      return;
    }
    if (!Array.isArray(values) && !(ArrayBuffer.isView(values) && !(values instanceof DataView))) {
      throw new TickwireError("ARGUMENT", `LatencyHistogram.recordBatch: values must be an array or typed array of ns, got ${describe(values)}`);
    }
    if (this.scratch === 0) this.scratch = this.mem.reserve(CHUNK * 8, 64);
    const f64 = this.mem.f64;
    const at = this.scratch >>> 3;
    for (let start = 0; start < values.length; start += CHUNK) {
      const n = Math.min(CHUNK, values.length - start);
      for (let i = 0; i < n; i++) {
        const v = values[start + i];
        // A non-number would become NaN (or a number) in the copy: name it as it was given.
        if (typeof v !== "number") badValue(v, `LatencyHistogram.recordBatch: values[${start + i}]`, start + i);
        f64[at + i] = v;
      }
      const done = this.core.histRecordBatch(this.offset, this.scratch, n);
      if (done !== n) badValue(values[start + done], `LatencyHistogram.recordBatch: values[${start + done}]`, start + done);
    }
  }

  /**
   * Records `nowNs − recvTimeNs` (0 when negative: clocks of two threads can disagree
   * by a little) for every tick record of the batch of `bytes` bytes at offset `src`
   * (padding skipped), in one Wasm call. `nowNs` is a time on the clock of recvTimeNs
   * (monotonicNs()). Returns the ticks recorded. A bad record header throws (the
   * ticks before it are recorded).
   */
  recordLatencies(src: number, bytes: number, nowNs: number): number {
    checkInt(bytes, 0, this.mem.byteLength, "LatencyHistogram.recordLatencies: bytes");
    this.mem.checkInside(src, bytes, 8, "LatencyHistogram.recordLatencies: src");
    checkInt(nowNs, 0, Number.MAX_SAFE_INTEGER, "LatencyHistogram.recordLatencies: nowNs");
    const n = this.singleWriter ? this.core.histRecordLatenciesOwned(this.offset, src, bytes, nowNs) : this.core.histRecordLatencies(this.offset, src, bytes, nowNs);
    if (n < 0) throw errorFromStatus(n, "LatencyHistogram.recordLatencies");
    return n;
  }

  /**
   * Adds every value of `other` (a histogram in the same shared memory, e.g. one
   * per thread) into this one: the result is as if both had been recorded here.
   */
  merge(other: LatencyHistogram): void {
    checkInstance(other, LatencyHistogram, "LatencyHistogram.merge: other");
    if (other.mem.buffer !== this.mem.buffer) {
      throw new TickwireError("ARGUMENT", "LatencyHistogram.merge: other must be a histogram in the same shared memory");
    }
    this.core.histMerge(this.offset, other.offset);
  }

  /** Empties the histogram. Values recorded by other threads while it runs may be lost or half counted. */
  reset(): void {
    this.core.histReset(this.offset);
  }

  /** Values recorded so far (overflowed ones included). */
  get count(): number {
    return this.u64(H.HIST_OFF_COUNT);
  }

  /**
   * The value (ns) at percentile `p` (0..100): the value of rank ceil(p/100 · count) in
   * sorted order, to 3 significant digits (the top of its bucket), clamped to the exact
   * min and max (so 0 gives min and 100 gives max). 0 when empty.
   */
  percentile(p: number): number {
    if (typeof p !== "number" || !(p >= 0 && p <= 100)) {
      throw new TickwireError("ARGUMENT", `LatencyHistogram.percentile: p must be a number from 0 to 100, got ${describe(p)}`);
    }
    return this.core.histValueAtQuantile(this.offset, p / 100);
  }

  /** Count, exact min/max/mean, the usual percentiles and overflow, as plain numbers (ns). */
  snapshot(): HistogramSnapshot {
    const count = this.count;
    const sum = this.u64(H.HIST_OFF_SUM);
    return {
      count,
      min: count === 0 ? 0 : this.u64(H.HIST_OFF_MIN),
      max: this.u64(H.HIST_OFF_MAX),
      mean: count === 0 ? 0 : sum / count,
      p50: this.percentile(50),
      p90: this.percentile(90),
      p99: this.percentile(99),
      p999: this.percentile(99.9),
      overflow: this.u64(H.HIST_OFF_OVERFLOW),
    };
  }

  /**
   * Copies every bucket's count into `into` (HIST_COUNTS_LEN of them, bucket i as the
   * layout numbers it) and returns the header's count, sum and overflow: one reading for
   * interval figures (see HistogramWindow). Counts recorded meanwhile may or may not show.
   */
  readCounts(into: Float64Array): { count: number; sum: number; overflow: number } {
    if (!(into instanceof Float64Array) || into.length < H.HIST_COUNTS_LEN) {
      throw new TickwireError("ARGUMENT", `LatencyHistogram.readCounts: into must be a Float64Array of at least ${H.HIST_COUNTS_LEN}, got ${describe(into)}`);
    }
    // Over the shared memory, only a region the caller owns may be written.
    if (into.buffer === this.mem.buffer) this.mem.checkOwned(into.byteOffset, H.HIST_COUNTS_LEN * 8, 8, "LatencyHistogram.readCounts: into");
    const u32 = this.mem.u32;
    const counts = (this.offset + H.HIST_COUNTS) >>> 2;
    for (let i = 0; i < H.HIST_COUNTS_LEN; i++) into[i] = u32[counts + 2 * i]! + u32[counts + 2 * i + 1]! * TWO_32;
    return { count: this.u64(H.HIST_OFF_COUNT), sum: this.u64(H.HIST_OFF_SUM), overflow: this.u64(H.HIST_OFF_OVERFLOW) };
  }

  // A u64 header field as the nearest number: high word read on both sides of the low one, so a carry between them is never torn.
  private u64(field: number): number {
    const i = (this.offset + field) >>> 2;
    for (;;) {
      const hi = Atomics.load(this.mem.u32, i + 1);
      const lo = Atomics.load(this.mem.u32, i);
      if (Atomics.load(this.mem.u32, i + 1) === hi) return hi * TWO_32 + lo;
    }
  }
}

function singleWriter(options: unknown, what: string): boolean {
  if (options === undefined) return false;
  if (typeof options !== "object" || options === null) throw new TickwireError("ARGUMENT", `${what}: options must be an object, got ${describe(options)}`);
  const single = (options as HistogramOptions).singleWriter ?? false;
  if (typeof single !== "boolean") throw new TickwireError("ARGUMENT", `${what}: options.singleWriter must be true or false, got ${describe(single)}`);
  return single;
}

function badValue(v: unknown, what: string, index?: number): never {
  throw new TickwireError("ARGUMENT", `${what} must be a non-negative integer number of ns, got ${describe(v)}`, index);
}
