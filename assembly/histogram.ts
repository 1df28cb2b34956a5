// Latency histogram in a shared region (layout: src/monitor/layout.ts): log-linear
// buckets like HdrHistogram with 3 significant digits, recorded into by any number
// of threads at once without locks.
//
// Every bucket is a u64 bumped with one atomic add (a batch of records: one a run of
// records in the same bucket); count, sum and overflow are
// atomic adds and min/max CAS loops. A batch call tallies count/min/max/sum in
// locals and publishes them once at its end, so a batch costs one atomic RMW per
// value plus a handful per call. A reader racing recorders may see a bucket's add
// before the batch's count: quantiles therefore rank against the counts they sum
// themselves, never against the header's count.
//
// Values arrive as f64 (i64 parameters cross as BigInt: slow); an f64 holds every
// integer below 2^53 exactly, far beyond the 2^36 ns range the buckets cover.

import {
  HIST_OFF_COUNT, HIST_OFF_MIN, HIST_OFF_MAX, HIST_OFF_SUM, HIST_OFF_OVERFLOW, HIST_COUNTS,
  HIST_COUNTS_LEN, HIST_RANGE, HIST_SUB_BUCKET_BITS, HIST_SUB_BUCKET_HALF,
} from "../src/monitor/layout";
import { KIND_PADDING, OFF_KIND, OFF_RECV_TIME_NS } from "../src/format/layout";
import { checkHeader } from "./record";

const TWO_64: f64 = 18446744073709551616.0;

/** The counts index of `v` (< HIST_RANGE): exact below 2048, then 1024 sub-buckets of width 2^b per bucket b. */
// @ts-ignore: decorator
@inline function indexOf(v: u64): usize {
  const b = <u64>64 - clz<u64>(v | <u64>(HIST_SUB_BUCKET_HALF * 2 - 1)) - <u64>HIST_SUB_BUCKET_BITS;
  return <usize>(((b + 1) << 10) + (v >> b) - <u64>HIST_SUB_BUCKET_HALF);
}

/** The largest value that lands in counts index `i`. */
// @ts-ignore: decorator
@inline function highestAt(i: usize): u64 {
  if (i < <usize>(HIST_SUB_BUCKET_HALF * 2)) return <u64>i;
  const b = <u64>((i >> 10) - 1);
  const low = <u64>((i & <usize>(HIST_SUB_BUCKET_HALF - 1)) + <usize>HIST_SUB_BUCKET_HALF) << b;
  return low + (<u64>1 << b) - 1;
}

// @ts-ignore: decorator
@inline function bump(h: usize, v: u64): void {
  if (v < <u64>HIST_RANGE) atomic.add<u64>(h + HIST_COUNTS + (indexOf(v) << 3), 1);
  else atomic.add<u64>(h + HIST_OFF_OVERFLOW, 1);
}

// @ts-ignore: decorator
@inline function lowerMin(p: usize, v: u64): void {
  let cur = atomic.load<u64>(p);
  while (v < cur) {
    const seen = atomic.cmpxchg<u64>(p, cur, v);
    if (seen == cur) break;
    cur = seen;
  }
}

// @ts-ignore: decorator
@inline function raiseMax(p: usize, v: u64): void {
  let cur = atomic.load<u64>(p);
  while (v > cur) {
    const seen = atomic.cmpxchg<u64>(p, cur, v);
    if (seen == cur) break;
    cur = seen;
  }
}

/** Publishes a batch's tallies: one atomic RMW per header field (none for an empty batch). */
// @ts-ignore: decorator
@inline function publish(h: usize, n: u64, lo: u64, hi: u64, sum: u64): void {
  if (n == 0) return;
  atomic.add<u64>(h + HIST_OFF_COUNT, n);
  atomic.add<u64>(h + HIST_OFF_SUM, sum);
  lowerMin(h + HIST_OFF_MIN, lo);
  raiseMax(h + HIST_OFF_MAX, hi);
}

/** `x` (a non-negative integer) as u64, saturating at 2^64 − 1. */
// @ts-ignore: decorator
@inline function toU64(x: f64): u64 {
  return x < TWO_64 ? <u64>x : u64.MAX_VALUE;
}

/**
 * Records `value` (a non-negative integer, ns) into the histogram at `h`. Returns 1,
 * or 0 (nothing recorded) for a value that is negative, NaN, infinite or fractional.
 */
export function histRecord(h: usize, value: f64): i32 {
  if (!(value >= 0 && value < Infinity && floor(value) == value)) return 0;
  const v = toU64(value);
  bump(h, v);
  publish(h, 1, v, v, v);
  return 1;
}

/**
 * Records the `n` f64 values at `values` (8-aligned). Returns how many were recorded:
 * `n`, or the index of the first value that is not a non-negative integer (the values
 * before it are recorded, it and those after it are not).
 */
export function histRecordBatch(h: usize, values: usize, n: u32): u32 {
  let lo = u64.MAX_VALUE;
  let hi: u64 = 0;
  let sum: u64 = 0;
  let i: u32 = 0;
  for (; i < n; i++) {
    const x = load<f64>(values + (<usize>i << 3));
    if (!(x >= 0 && x < Infinity && floor(x) == x)) break;
    const v = toU64(x);
    bump(h, v);
    lo = min<u64>(lo, v);
    hi = max<u64>(hi, v);
    sum += v;
  }
  publish(h, <u64>i, lo, hi, sum);
  return i;
}

/**
 * Records `nowNs − recvTimeNs` (0 when negative) for every tick record of the batch of
 * `bytes` bytes at `src` (8-aligned; padding records skipped). Returns the ticks
 * recorded, or a negative error code for a bad record header (the ticks before it are
 * recorded). `nowNs` is an integer below 2^53 on the clock of the records' recvTimeNs.
 */
export function histRecordLatencies(h: usize, src: usize, bytes: u32, nowNs: f64): i32 {
  return recordLatencies(h, src, bytes, nowNs, false);
}

/**
 * As histRecordLatencies, for a histogram only the calling thread records into: buckets
 * are bumped with plain adds (an atomic add costs ~5 ns a tick here, most of the call).
 * Readers on other threads still see whole counts (aligned 64-bit stores); a second
 * writer would lose counts.
 */
export function histRecordLatenciesOwned(h: usize, src: usize, bytes: u32, nowNs: f64): i32 {
  return recordLatencies(h, src, bytes, nowNs, true);
}

// @ts-ignore: decorator
@inline function addRun(at: usize, run: u64, owned: bool): void {
  if (owned) store<u64>(at, load<u64>(at) + run);
  else atomic.add<u64>(at, run);
}

// @ts-ignore: decorator
@inline function recordLatencies(h: usize, src: usize, bytes: u32, nowNs: f64, owned: bool): i32 {
  const now: u64 = nowNs > 0 ? toU64(nowNs) : 0;
  const end = <usize>bytes;
  let lo = u64.MAX_VALUE;
  let hi: u64 = 0;
  let sum: u64 = 0;
  let ticks: u32 = 0;
  let offset: usize = 0;
  let runAt: usize = 0;
  let run: u64 = 0;
  while (offset < end) {
    const p = src + offset;
    const length = checkHeader(p, end - offset);
    if (length < 0) {
      if (run != 0) addRun(runAt, run, owned);
      publish(h, <u64>ticks, lo, hi, sum);
      return length;
    }
    if (<u32>load<u8>(p, OFF_KIND) != KIND_PADDING) {
      const recv = load<u64>(p, OFF_RECV_TIME_NS);
      const v: u64 = now > recv ? now - recv : 0;
      // Ticks of a batch often share a bucket (received together): one add a run, not a tick.
      const at = v < <u64>HIST_RANGE ? h + HIST_COUNTS + (indexOf(v) << 3) : h + HIST_OFF_OVERFLOW;
      if (at != runAt) {
        if (run != 0) addRun(runAt, run, owned);
        runAt = at;
        run = 0;
      }
      run++;
      lo = min<u64>(lo, v);
      hi = max<u64>(hi, v);
      sum += v;
      ticks++;
    }
    offset += <usize>length;
  }
  if (run != 0) addRun(runAt, run, owned);
  publish(h, <u64>ticks, lo, hi, sum);
  return <i32>ticks;
}

/** Adds the histogram at `src` into the one at `dst` (counts, count, sum, overflow; min and max merged). */
export function histMerge(dst: usize, src: usize): void {
  for (let i: usize = 0; i < <usize>HIST_COUNTS_LEN; i++) {
    const c = atomic.load<u64>(src + HIST_COUNTS + (i << 3));
    if (c != 0) atomic.add<u64>(dst + HIST_COUNTS + (i << 3), c);
  }
  atomic.add<u64>(dst + HIST_OFF_OVERFLOW, atomic.load<u64>(src + HIST_OFF_OVERFLOW));
  publish(dst, atomic.load<u64>(src + HIST_OFF_COUNT), atomic.load<u64>(src + HIST_OFF_MIN),
    atomic.load<u64>(src + HIST_OFF_MAX), atomic.load<u64>(src + HIST_OFF_SUM));
}

/** Empties the histogram at `h` (values recorded while it runs may be lost or half counted). */
export function histReset(h: usize): void {
  for (let i: usize = 0; i < <usize>HIST_COUNTS_LEN; i++) atomic.store<u64>(h + HIST_COUNTS + (i << 3), 0);
  atomic.store<u64>(h + HIST_OFF_OVERFLOW, 0);
  atomic.store<u64>(h + HIST_OFF_COUNT, 0);
  atomic.store<u64>(h + HIST_OFF_SUM, 0);
  atomic.store<u64>(h + HIST_OFF_MAX, 0);
  atomic.store<u64>(h + HIST_OFF_MIN, u64.MAX_VALUE);
}

/**
 * The value at quantile `q` (0..1): the largest value equivalent to the one of rank
 * ceil(q · total) (at least 1) in sorted order, clamped to [min, max], so q = 0 gives
 * the exact min and q = 1 the exact max. A rank among the overflowed values gives max.
 * 0 for an empty histogram. One pass to total the counts, one to find the rank.
 */
export function histValueAtQuantile(h: usize, q: f64): f64 {
  let total: u64 = atomic.load<u64>(h + HIST_OFF_OVERFLOW);
  for (let i: usize = 0; i < <usize>HIST_COUNTS_LEN; i++) total += atomic.load<u64>(h + HIST_COUNTS + (i << 3));
  if (total == 0) return 0;
  const lo = atomic.load<u64>(h + HIST_OFF_MIN);
  const hi = atomic.load<u64>(h + HIST_OFF_MAX);
  const r = ceil(q * <f64>total);
  const rank: u64 = r < 1 ? 1 : <u64>r;
  let seen: u64 = 0;
  for (let i: usize = 0; i < <usize>HIST_COUNTS_LEN; i++) {
    seen += atomic.load<u64>(h + HIST_COUNTS + (i << 3));
    if (seen >= rank) {
      let v = highestAt(i);
      if (v > hi) v = hi;
      if (v < lo) v = lo;
      return <f64>v;
    }
  }
  return <f64>hi;
}
