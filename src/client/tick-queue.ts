// One `ticks()` iterator: a bounded queue between the socket (which never waits)
// and a consumer (which may be slow). When the consumer falls `limit` ticks behind,
// the oldest is dropped and counted: a market-data consumer wants the newest
// prices, and memory must not grow with a stalled loop.

import type { Tick } from "./types.js";

/** How an iterator reports to its client. */
export interface TickQueueHooks {
  /** One tick was dropped because the queue was full. */
  dropped(): void;
  /** The iterator ended by `return()` (or its abort signal): stop feeding it. */
  detached(queue: TickQueue): void;
}

/** An async iterator over ticks with a bounded queue. Made by TickwireClient.ticks(). */
export class TickQueue implements AsyncIterableIterator<Tick> {
  private items: Tick[] = [];
  private head = 0;
  private waiters: ((r: IteratorResult<Tick>) => void)[] = [];
  /** No more ticks will be pushed; what is queued is still handed out. */
  private ended = false;
  /** Detached by the consumer: nothing more is handed out. */
  private finished = false;

  constructor(private readonly limit: number, private readonly hooks: TickQueueHooks) {}

  /** Ticks queued now. */
  get size(): number {
    return this.items.length - this.head;
  }

  /** Hands `tick` to a waiting consumer, or queues it (dropping the oldest when full). */
  push(tick: Tick): void {
    if (this.ended) return;
    const waiter = this.waiters.shift();
    if (waiter) {
      waiter({ value: tick, done: false });
      return;
    }
    if (this.size >= this.limit) {
      this.head++;
      this.hooks.dropped();
    }
    this.items.push(tick);
    // Compact now and then: the array stays within about twice the limit.
    if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }

  /** No more ticks (the client closed): the queued ones are still handed out, then the iterator is done. */
  end(): void {
    this.ended = true;
    for (const w of this.waiters.splice(0)) w({ value: undefined, done: true });
  }

  /** The next tick; waits for one. Done once the client closed and the queue is empty, or after `return()`. */
  next(): Promise<IteratorResult<Tick>> {
    if (!this.finished && this.head < this.items.length) {
      const value = this.items[this.head]!;
      this.items[this.head++] = undefined as unknown as Tick; // let it be collected
      if (this.head === this.items.length) {
        this.items = [];
        this.head = 0;
      }
      return Promise.resolve({ value, done: false });
    }
    if (this.ended || this.finished) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Detaches the iterator (what `break` in `for await` calls): queued ticks are discarded. */
  return(): Promise<IteratorResult<Tick>> {
    if (!this.finished) {
      this.finished = true;
      this.items = [];
      this.head = 0;
      this.end();
      this.hooks.detached(this);
    }
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
