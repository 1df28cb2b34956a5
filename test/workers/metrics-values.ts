// The values worker `w` records in the lock-free metrics test: a spread from 0 ns to
// beyond the histogram's range (so overflow is raced too), the same on both sides.
export function metricsValue(w: number, k: number): number {
  const x = Math.imul(w * 1_000_003 + k, 0x9e3779b1) >>> 0;
  if ((x & 1023) === 7) return 2 ** 36 + x; // overflow
  return (x >>> (x & 15)) + (x & 2047);
}
