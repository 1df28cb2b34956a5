// The receive-time clock stamped into records: nanoseconds on a monotonic clock
// that every thread of the process shares, so a consumer in one worker can
// subtract a producer's stamp from another worker.
//
// Node: process.hrtime is CLOCK_MONOTONIC, the same for all threads, but it
// allocates an array per call; performance.now() does not allocate but each
// thread counts from its own origin. So each thread learns the offset between
// the two once (the tightest of many bracketed samples: ~0.1 µs here) and then
// reads performance.now() alone. Elsewhere (browsers, Deno) timeOrigin + now()
// is the shared base.

declare const process: { hrtime?: () => [number, number] } | undefined;

function calibrate(): number {
  const hrtime = typeof process !== "undefined" ? process?.hrtime : undefined;
  if (typeof hrtime !== "function") return performance.timeOrigin * 1e6;
  let bestGap = Infinity;
  let offset = 0;
  for (let i = 0; i < 2000; i++) {
    const before = performance.now();
    const [s, ns] = hrtime();
    const after = performance.now();
    if (after - before < bestGap) {
      bestGap = after - before;
      offset = s * 1e9 + ns - ((before + after) / 2) * 1e6;
    }
  }
  return offset;
}

const offsetNs = calibrate();

/**
 * Whole nanoseconds on the process-wide monotonic clock (not wall time): an integer, as
 * a record's u64 recvTimeNs holds it, exact while below 2^53 (104 days of uptime).
 */
export function monotonicNs(): number {
  return Math.round(offsetNs + performance.now() * 1e6);
}
