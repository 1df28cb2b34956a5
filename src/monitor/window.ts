// Interval figures from a cumulative latency histogram: each take() reads every bucket once,
// subtracts the previous reading and gives the percentiles of what was recorded in between
// (so a p99 is over ticks, never an average of averages); the same reading gives the
// cumulative counts at fixed bounds that a Prometheus histogram wants.
import * as H from "./layout.js";
import { LatencyHistogram } from "./histogram.js";
import type { LatencySummary, LatencyTotals } from "./sample.js";
import { checkInstance } from "../validate.js";

/** Upper bounds of the exported latency buckets, seconds: 50 µs to 10 s. */
export const LATENCY_BOUNDS_SECONDS: readonly number[] = [
  0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

const EMPTY: LatencySummary = { count: 0, p50Ms: 0, p90Ms: 0, p99Ms: 0, p999Ms: 0, maxMs: 0, meanMs: 0 };

/** The largest value each bucket holds, ns: worked out once (a sample reads every bucket of three histograms). */
const TOPS = new Float64Array(H.HIST_COUNTS_LEN);
for (let i = 0; i < H.HIST_COUNTS_LEN; i++) {
  if (i < H.HIST_SUB_BUCKET_COUNT) TOPS[i] = i;
  else {
    const b = Math.floor(i / H.HIST_SUB_BUCKET_HALF) - 1;
    TOPS[i] = (i - b * H.HIST_SUB_BUCKET_HALF + 1) * 2 ** b - 1;
  }
}
/** For each exported bound, the first bucket above it. */
const BOUND_END = LATENCY_BOUNDS_SECONDS.map((bound) => {
  let i = 0;
  while (i < H.HIST_COUNTS_LEN && TOPS[i]! <= bound * 1e9) i++;
  return i;
});

export class HistogramWindow {
  private prev = new Float64Array(H.HIST_COUNTS_LEN);
  private cur = new Float64Array(H.HIST_COUNTS_LEN);
  private prevCount = 0;
  private prevSum = 0;
  private prevOverflow = 0;
  private count = 0;
  private sum = 0;
  private overflow = 0;

  constructor(private readonly histogram: LatencyHistogram) {
    checkInstance(histogram, LatencyHistogram, "HistogramWindow: histogram");
  }

  /** What was recorded since the previous take (all of it, the first time). */
  take(): LatencySummary {
    [this.prev, this.cur] = [this.cur, this.prev];
    this.prevCount = this.count;
    this.prevSum = this.sum;
    this.prevOverflow = this.overflow;
    this.read();
    // Ranks against the counts read in the buckets, not the header's count: a recorder bumps its
    // buckets before it adds to the count, so a count read after them may hold values they lack.
    const overflowed = Math.max(0, this.overflow - this.prevOverflow);
    let n = overflowed;
    for (let i = 0; i < H.HIST_COUNTS_LEN; i++) n += Math.max(0, this.cur[i]! - this.prev[i]!);
    if (n <= 0) return EMPTY;
    const ranks = [0.5, 0.9, 0.99, 0.999].map((q) => Math.max(1, Math.ceil(q * n)));
    const values = [0, 0, 0, 0];
    let seen = 0;
    let k = 0;
    let max = 0;
    for (let i = 0; i < H.HIST_COUNTS_LEN; i++) {
      const d = this.cur[i]! - this.prev[i]!;
      if (d <= 0) continue;
      seen += d;
      max = TOPS[i]!;
      while (k < 4 && seen >= ranks[k]!) values[k++] = max;
    }
    // Values past the histogram's range are counted but in no bucket: they are the largest.
    if (overflowed > 0) {
      max = H.HIST_RANGE;
      while (k < 4) values[k++] = max;
    }
    return {
      count: n, p50Ms: values[0]! / 1e6, p90Ms: values[1]! / 1e6, p99Ms: values[2]! / 1e6, p999Ms: values[3]! / 1e6,
      // The mean from the header's sum and count, which are published together.
      maxMs: max / 1e6, meanMs: this.count > this.prevCount ? (this.sum - this.prevSum) / (this.count - this.prevCount) / 1e6 : 0,
    };
  }

  /** Everything recorded up to the last take, at {@link LATENCY_BOUNDS_SECONDS}. */
  totals(): LatencyTotals {
    const buckets: [number, number][] = [];
    let seen = 0;
    let i = 0;
    for (let k = 0; k < LATENCY_BOUNDS_SECONDS.length; k++) {
      for (const end = BOUND_END[k]!; i < end; i++) seen += this.cur[i]!;
      buckets.push([LATENCY_BOUNDS_SECONDS[k]!, seen]);
    }
    return { count: this.count, sumSeconds: this.sum / 1e9, buckets };
  }

  private read(): void {
    const header = this.histogram.readCounts(this.cur);
    this.count = header.count;
    this.sum = header.sum;
    this.overflow = header.overflow;
  }
}
