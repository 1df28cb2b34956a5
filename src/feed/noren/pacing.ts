// Upstream request pacing: subscription changes coalesced over a short window into
// messages of at most `perMessage` keys, sent at most `perSecond` messages a second
// (a sliding window), so a re-subscription of thousands of scrips stays inside the
// broker's limits. Wire-agnostic: `send` builds and writes the message.

/** One wire request kind (Noren: t, u, d, ud). */
export type RequestKind = string;

// The broker counts arrivals, which jitter by milliseconds (seen: 11 ms on loopback with the
// event loop busy): pace over a slightly longer window than the second it counts.
const WINDOW_MS = 1050;

export interface PacerOptions {
  /** Keys in one message. */
  perMessage: number;
  /** Messages in any one-second window. */
  perSecond: number;
  /** How long the first change waits for others to join its message, ms. */
  coalesceMs: number;
  /**
   * Kinds that undo each other (Noren: t ↔ u, d ↔ ud): a request withdraws a pending request
   * of its opposite kind for the same key, so the last word on a key is what is sent.
   */
  opposites?: Readonly<Record<RequestKind, RequestKind>>;
}

/**
 * Queues (kind, key) requests and sends them in batches. A key is queued at most once per
 * kind, and a request withdraws a pending opposite one for its key (without that, "u K" then
 * "t K" behind an earlier pending "t" went out as t…K, then u K: the stream the client had
 * just asked for again was cut). Requests of one kind keep their order; kinds are sent in the
 * order their first pending request arrived, so an "unsubscribe touchline" queued after
 * "subscribe depth" goes after it.
 */
export class RequestPacer {
  private readonly queues = new Map<RequestKind, Set<string>>();
  private readonly sentAt: number[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;

  constructor(
    private readonly options: PacerOptions,
    private readonly send: (kind: RequestKind, keys: string[]) => void,
    private readonly now: () => number = Date.now,
  ) {}

  /** Keys waiting to be sent. */
  get pending(): number {
    let n = 0;
    for (const q of this.queues.values()) n += q.size;
    return n;
  }

  /** Queues one request; it goes out within coalesceMs, or later if the rate limit is reached. */
  add(kind: RequestKind, key: string): void {
    if (this.stopped) return;
    const opposite = this.options.opposites?.[kind];
    if (opposite !== undefined) {
      const other = this.queues.get(opposite);
      if (other?.delete(key) && other.size === 0) this.queues.delete(opposite);
    }
    let q = this.queues.get(kind);
    if (q === undefined) this.queues.set(kind, (q = new Set()));
    q.add(key);
    this.arm(this.options.coalesceMs);
  }

  /** Drops every queued request (the connection is gone; it re-queues on reconnect). */
  clear(): void {
    this.queues.clear();
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Stops for good. */
  stop(): void {
    this.stopped = true;
    this.clear();
  }

  private arm(delayMs: number): void {
    if (this.timer === undefined) this.timer = setTimeout(() => this.flush(), delayMs);
  }

  private flush(): void {
    this.timer = undefined;
    const { perMessage, perSecond } = this.options;
    for (const [kind, q] of this.queues) {
      while (q.size > 0) {
        const wait = this.waitForSlot(perSecond);
        if (wait > 0) {
          this.arm(wait);
          return;
        }
        const keys: string[] = [];
        for (const key of q) {
          keys.push(key);
          q.delete(key);
          if (keys.length === perMessage) break;
        }
        this.sentAt.push(this.now());
        this.send(kind, keys);
      }
      this.queues.delete(kind);
    }
  }

  // ms until another message may go out under `perSecond` (0: now).
  private waitForSlot(perSecond: number): number {
    const now = this.now();
    while (this.sentAt.length > 0 && now - this.sentAt[0]! >= WINDOW_MS) this.sentAt.shift();
    return this.sentAt.length < perSecond ? 0 : WINDOW_MS - (now - this.sentAt[0]!) + 1;
  }
}

export interface BackoffOptions {
  /** First delay, ms. */
  initialMs: number;
  /** Largest delay, ms. */
  maxMs: number;
  /** Share of each delay drawn at random, 0..1 (0.5: between 50% and 100% of the delay). */
  jitter: number;
}

/** Delay before reconnect attempt `attempt` (0-based): initial·2^attempt capped at max, with jitter. */
export function backoffDelay(attempt: number, o: BackoffOptions, random: () => number = Math.random): number {
  const base = Math.min(o.maxMs, o.initialMs * 2 ** Math.min(attempt, 30));
  return Math.round(base * (1 - o.jitter * random()));
}
