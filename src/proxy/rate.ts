// A token bucket per client: `perSecond` requests a second on average, bursts up to one
// second's worth. Time comes from the caller so tests can drive it.

export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(private readonly perSecond: number, now: number) {
    this.tokens = perSecond;
    this.last = now;
  }

  /** Takes one token if there is one. */
  take(now: number): boolean {
    this.tokens = Math.min(this.perSecond, this.tokens + ((now - this.last) / 1000) * this.perSecond);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
