// An in-process consumer of the fan-out: application code (a strategy, a recorder) in any
// thread reads every partition worker's fan-out ring for the symbols it asked for, through
// copies proven intact (RingReader.pollBatch), into its own queue in shared memory, and takes
// the ticks in batches — by callback or `for await`. Its policy says what happens when it
// falls behind: `block` holds the feed (lossless; detached after detachAfterMs without
// progress), `conflate` keeps the latest tick per symbol, `drop-oldest` keeps the newest
// queueLimit ticks. Every tick it does not get is counted, in its slot of the consumer table.
import { TickwireError } from "../errors.js";
import * as L from "../format/layout.js";
import { TickView, recordBytes, type Kind } from "../format/record.js";
import { TickwireMemory, type MemoryHandle } from "../memory/shared-memory.js";
import { SymbolTable } from "../memory/symbol-table.js";
import { LastValueCache } from "../cache/last-value-cache.js";
import { Ring, RingReader, type RingHandle } from "../rings/ring.js";
import { RecordDecoder } from "../client/decode.js";
import type { Tick, Instrument } from "../client/types.js";
import { monotonicNs } from "../clock.js";
import { SystemMetrics, type MetricsHandle } from "../monitor/metrics.js";
import { LoopDelayProbe } from "../monitor/threads.js";
import { ConsumerState, ConsumerTable, isConsumerPolicy, type ConsumerPolicy } from "./consumer-table.js";
import { checkInt, checkObject, checkOptions, describe } from "../validate.js";

// One TickwireMemory a thread per shared memory: attaching instantiates the core again.
const attached = new WeakMap<object, Promise<TickwireMemory>>();

/** The most records one poll of a ring can copy out (64 KiB of 64-byte records). */
export const MAX_RECORDS_PER_POLL = 1024;

/** What a consumer needs to attach from any thread: plain data, postMessage-able (make it with `TickwireSystem.createConsumer`). */
export interface ConsumerHandle {
  readonly memory: MemoryHandle;
  readonly table: number;
  readonly slot: number;
  /** The fan-out rings, in gate order. */
  readonly rings: readonly RingHandle[];
  readonly symbols: number;
  readonly cache: number;
  /** Symbol ids it takes; null: every symbol. */
  readonly filter: readonly number[] | null;
  readonly mode: Kind;
  readonly policy: ConsumerPolicy;
  readonly name: string;
  readonly metrics?: MetricsHandle;
}

/** How a consumer takes its ticks. */
export interface ConsumerOptions {
  /** Smallest and largest batch (ticks) handed over at once; the size adapts between them: doubled while the backlog exceeds it, halved when under a quarter of it. Defaults 1 and 1024. */
  minBatch?: number;
  maxBatch?: number;
  /** drop-oldest: the most ticks queued (default: as many as the queue holds). */
  queueLimit?: number;
  /** Hears a handler's error with the batch it failed on (valid during the call). Default: none (the error is counted). */
  onError?: (error: unknown, batch: TickBatch) => void;
  /** Longest wait for ticks before looking at the consumer's state again, ms. Default 20. */
  idleWaitMs?: number;
}

/** A consumer's counts. */
export interface ConsumerStats {
  readonly delivered: number;
  readonly dropped: number;
  readonly conflated: number;
  /** Records lost to lapping of the fan-out rings (any symbol's) while it did not read for a ring's length. */
  readonly lapped: number;
  readonly errors: number;
  readonly batches: number;
  readonly batchSize: number;
  /** Ticks queued now. */
  readonly backlog: number;
  /** Receive → hand-over of its latest batch, ms. */
  readonly lagMs: number;
}

/**
 * Ticks handed over at once: records back to back in shared memory, `size` of them, each in a
 * slot of `slotBytes` (a shorter record is followed by padding). Valid until the handler
 * returns (callback) or the next batch is asked for (`for await`).
 */
export class TickBatch {
  /** Ticks in the batch. */
  size = 0;
  /** Offset of the first slot in `memory`. */
  offset = 0;
  private readonly view: TickView;

  constructor(private readonly consumer: Consumer, readonly memory: TickwireMemory, readonly slotBytes: number) {
    this.view = new TickView(memory.buffer);
  }

  /** The records, padding among them (a view of shared memory: copy what you keep). */
  get bytes(): Uint8Array {
    return this.memory.u8.subarray(this.offset, this.offset + this.size * this.slotBytes);
  }

  /** Tick `i` — one view, re-pointed on every call (no allocation). */
  at(i: number): TickView {
    checkInt(i, 0, this.size - 1, "TickBatch.at: i");
    return this.view.wrap(this.offset + i * this.slotBytes);
  }

  /** Each tick in turn, through one re-pointed view. */
  *[Symbol.iterator](): IterableIterator<TickView> {
    for (let i = 0; i < this.size; i++) yield this.view.wrap(this.offset + i * this.slotBytes);
  }

  /** The exchange and symbol of a symbol id. */
  instrument(symbolId: number): Instrument | undefined {
    return this.consumer.instrument(symbolId);
  }

  /** The ticks as plain objects (allocates: for convenience, not for hot paths). */
  ticks(): Tick[] {
    return this.consumer.decode(this.bytes);
  }
}

/** A consumer of the fan-out; see the file's head. Open with {@link Consumer.open} (or {@link Consumer.attach} in a worker). */
export class Consumer {
  readonly policy: ConsumerPolicy;
  readonly name: string;
  private readonly table: ConsumerTable;
  private readonly slot: number;
  private readonly readers: RingReader[];
  private readonly filter: Uint8Array | null;
  private readonly filterIds: readonly number[] | null;
  private readonly slotBytes: number;
  private readonly queueAt: number;
  private readonly capacity: number;
  private readonly limit: number;
  private readonly u8: Uint8Array;
  private readonly u16: Uint16Array;
  private readonly u32: Uint32Array;
  // Queue of slots [head, tail) (counts that only grow; slot = count % capacity).
  private head = 0;
  private tail = 0;
  // conflate: the queued slot of each symbol id (-1: none), and the seq last queued.
  private readonly pendingSlot: Int32Array | null;
  private readonly lastSeq: Float64Array | null;
  private readonly batch: TickBatch;
  private readonly minBatch: number;
  private readonly maxBatch: number;
  private readonly idleWaitMs: number;
  private readonly onError: ((error: unknown, batch: TickBatch) => void) | undefined;
  private readonly metrics: SystemMetrics | undefined;
  private readonly probe: LoopDelayProbe | undefined = undefined;
  private readonly symbols: SymbolTable;
  private readonly cacheOffset: number;
  private decoder: RecordDecoder | undefined;
  private size: number;
  private lostSeen: number[];
  private inHand = 0;
  private nextRing = 0;
  private closed = false;
  private running = false;
  private readonly counts = { delivered: 0, dropped: 0, conflated: 0, lapped: 0, errors: 0, batches: 0, lagNs: 0 };
  private readonly onCopy = (src: number, bytes: number) => this.take(src, bytes);

  private constructor(readonly mem: TickwireMemory, handle: ConsumerHandle, options: ConsumerOptions) {
    this.table = ConsumerTable.attach(mem, handle.table);
    this.slot = checkInt(handle.slot, 0, this.table.slots - 1, "Consumer: handle.slot");
    if (this.table.state(this.slot) !== ConsumerState.RESERVED) {
      throw new TickwireError("HANDLE", `Consumer: slot ${this.slot} is not waiting for a consumer (a handle opens once; make a new one with createConsumer)`);
    }
    if (handle.policy !== this.table.policy(this.slot)) {
      throw new TickwireError("HANDLE", `Consumer: the handle says ${handle.policy}, slot ${this.slot} was reserved as ${this.table.policy(this.slot)}`);
    }
    if (handle.rings.length !== this.table.rings) throw new TickwireError("HANDLE", `Consumer: the handle has ${handle.rings.length} rings, the consumer table ${this.table.rings}`);
    this.policy = handle.policy;
    this.name = handle.name;
    this.symbols = attachedOnce(mem, "symbols", handle.symbols, SymbolTable.attach);
    this.cacheOffset = handle.cache;
    this.slotBytes = recordBytes(handle.mode);
    const areas = this.table.areas(this.slot);
    this.queueAt = areas.queue;
    this.capacity = Math.floor(areas.queueBytes / this.slotBytes);
    if (options.queueLimit !== undefined && this.policy !== "drop-oldest") throw new TickwireError("ARGUMENT", `Consumer: queueLimit is for drop-oldest consumers; this one is ${this.policy}`);
    this.limit = options.queueLimit === undefined ? this.capacity : checkInt(options.queueLimit, 1, this.capacity, `Consumer: queueLimit (this queue holds ${this.capacity} ticks of mode ${handle.mode})`);
    this.minBatch = checkInt(options.minBatch ?? 1, 1, 65536, "Consumer: minBatch");
    this.maxBatch = checkInt(options.maxBatch ?? 1024, this.minBatch, 65536, "Consumer: maxBatch (≥ minBatch)");
    this.idleWaitMs = checkInt(options.idleWaitMs ?? 20, 1, 60_000, "Consumer: idleWaitMs");
    if (options.onError !== undefined && typeof options.onError !== "function") throw new TickwireError("ARGUMENT", `Consumer: onError must be a function, got ${describe(options.onError)}`);
    this.onError = options.onError;
    this.size = this.minBatch;
    this.u8 = mem.u8;
    this.u16 = new Uint16Array(mem.buffer);
    this.u32 = mem.u32;
    if (handle.filter === null) {
      this.filter = null;
      this.filterIds = null;
    } else {
      this.filter = new Uint8Array(this.symbols.capacity);
      for (const id of handle.filter) this.filter[checkInt(id, 0, this.symbols.capacity - 1, "Consumer: handle.filter id")] = 1;
      this.filterIds = handle.filter;
    }
    const conflating = this.policy === "conflate";
    this.pendingSlot = conflating ? new Int32Array(this.symbols.capacity).fill(-1) : null;
    this.lastSeq = conflating ? new Float64Array(this.symbols.capacity) : null;
    if (this.policy === "block" && this.capacity < 2 * MAX_RECORDS_PER_POLL) {
      throw new TickwireError("ARGUMENT", `Consumer: a block consumer's queue must hold ${2 * MAX_RECORDS_PER_POLL} ticks (one poll copies up to ${MAX_RECORDS_PER_POLL}); it holds ${this.capacity} of mode ${handle.mode} (raise consumerQueueBytes)`);
    }
    if (conflating && (handle.filter?.length ?? this.symbols.capacity) > this.capacity) {
      throw new TickwireError("ARGUMENT", `Consumer: a conflating consumer keeps one tick per symbol: ${handle.filter?.length ?? this.symbols.capacity} symbols do not fit its queue of ${this.capacity} (raise consumerQueueBytes or take fewer symbols)`);
    }
    this.metrics = handle.metrics ? SystemMetrics.attach(mem, handle.metrics) : undefined;
    const rings = handle.rings.map((h) => Ring.attach(mem, h));
    this.batch = new TickBatch(this, mem, this.slotBytes);
    // Everything is checked: claim the slot (one opener a handle, even from two threads at once),
    // then join the rings and claim a gauge — all undone if any of it fails.
    if (!this.table.transition(this.slot, ConsumerState.RESERVED, ConsumerState.OPENING)) {
      throw new TickwireError("HANDLE", `Consumer: slot ${this.slot} is not waiting for a consumer (a handle opens once; make a new one with createConsumer)`);
    }
    const readers: RingReader[] = [];
    let threadSlot = -1;
    try {
      for (let r = 0; r < rings.length; r++) readers.push(new RingReader(rings[r]!, areas.readers[r]));
      threadSlot = this.metrics?.threads.claim("consumer", `consumer ${this.name}`, { from: this.table.rings }) ?? -1;
      this.probe = threadSlot >= 0 ? new LoopDelayProbe(this.metrics!.threads, threadSlot) : undefined;
    } catch (err) {
      for (const reader of readers) reader.close();
      if (threadSlot >= 0) this.metrics!.threads.release(threadSlot);
      this.table.transition(this.slot, ConsumerState.OPENING, ConsumerState.RESERVED);
      throw err;
    }
    this.readers = readers;
    this.lostSeen = this.readers.map((r) => r.lost);
    // From here a block consumer's gates hold the writers: start them where the readers joined.
    for (let r = 0; r < this.readers.length; r++) this.table.setGate(this.slot, r, this.readers[r]!.position);
    this.table.setStat(this.slot, "batchSize", this.size);
    this.table.transition(this.slot, ConsumerState.OPENING, ConsumerState.ACTIVE);
  }

  /** Attaches the consumer a handle describes, in a thread that has `mem` (the handle's memory). */
  static open(mem: TickwireMemory, handle: ConsumerHandle, options: ConsumerOptions = {}): Consumer {
    if (!(mem instanceof TickwireMemory)) throw new TickwireError("ARGUMENT", `Consumer.open: mem must be a TickwireMemory, got ${describe(mem)}`);
    checkHandle(handle);
    return new Consumer(mem, handle, checkOptions<ConsumerOptions>(options, "Consumer.open: options"));
  }

  /**
   * Attaches the consumer a handle describes in any thread — e.g. a worker given the handle in
   * its workerData: attaches to the handle's shared memory (once a thread) and opens it.
   */
  static async attach(handle: ConsumerHandle, options: ConsumerOptions = {}): Promise<Consumer> {
    checkHandle(handle);
    const memory = handle.memory?.memory;
    if (typeof memory !== "object" || memory === null) throw new TickwireError("HANDLE", `Consumer.attach: handle.memory must be the system's memory handle, got ${describe(handle.memory)}`);
    let mem = attached.get(memory);
    if (!mem) {
      mem = TickwireMemory.attach(handle.memory);
      attached.set(memory, mem);
      mem.catch(() => attached.delete(memory)); // a failed attach is tried again next time
    }
    return Consumer.open(await mem, handle, options);
  }

  /** The batch size now (adapts between minBatch and maxBatch). */
  get batchSize(): number {
    return this.size;
  }

  stats(): ConsumerStats {
    const c = this.counts;
    return {
      delivered: c.delivered, dropped: c.dropped, conflated: c.conflated, lapped: c.lapped, errors: c.errors, batches: c.batches,
      batchSize: this.size, backlog: this.tail - this.head, lagMs: c.lagNs / 1e6,
    };
  }

  /**
   * Calls `handler` with each batch (awaiting it when it returns a promise) until {@link close}.
   * A handler that throws is counted and reported to onError with its batch; the next batch follows.
   * Rejects with a DETACHED TickwireError when the feed let go of this (block) consumer.
   */
  async run(handler: (batch: TickBatch) => void | Promise<void>): Promise<void> {
    if (typeof handler !== "function") throw new TickwireError("ARGUMENT", `Consumer.run: handler must be a function, got ${describe(handler)}`);
    for (;;) {
      const batch = await this.next();
      if (batch === null) return;
      try {
        await handler(batch);
      } catch (err) {
        this.failed(err, batch);
      }
    }
  }

  /** Each batch, for `for await`; breaking out of the loop closes the consumer. */
  async *[Symbol.asyncIterator](): AsyncGenerator<TickBatch, void, undefined> {
    try {
      for (;;) {
        const batch = await this.next();
        if (batch === null) return;
        yield batch;
      }
    } finally {
      this.close();
    }
  }

  /**
   * The next batch (the one before it is done with), or null once closed. Waits for ticks.
   * Use `run` or `for await` instead unless you drive the loop yourself.
   */
  async next(): Promise<TickBatch | null> {
    if (this.running) throw new TickwireError("ARGUMENT", `Consumer ${this.name}: next() while another next() waits (one loop a consumer)`);
    this.running = true;
    try {
      this.finishBatch();
      for (;;) {
        if (this.closed) return null;
        const state = this.table.state(this.slot);
        if (state === ConsumerState.CLOSED) {
          this.close(); // the system stopped
          return null;
        }
        if (state === ConsumerState.DETACHED) {
          const since = this.table.stat(this.slot, "detachedAtMs");
          this.close();
          throw new TickwireError("DETACHED", `consumer ${this.name} was detached: it held the feed for longer than its detachAfterMs without reading${since ? ` (at ${new Date(since).toISOString()})` : ""}`);
        }
        this.fill();
        if (this.tail > this.head) return this.startBatch();
        this.table.setStat(this.slot, "heartbeatMs", Date.now());
        await this.waitForTicks();
      }
    } finally {
      this.running = false;
    }
  }

  /** Leaves the fan-out: a block consumer stops holding the feed at once. Safe to call twice. */
  close(): void {
    if (this.closed) return;
    this.publishStats();
    this.closed = true;
    // A writer may detach it meanwhile: retry until it is CLOSED (by this or by the system's stop).
    for (;;) {
      const state = this.table.state(this.slot);
      if (state !== ConsumerState.ACTIVE && state !== ConsumerState.DETACHED) break;
      if (this.table.transition(this.slot, state, ConsumerState.CLOSED)) break;
    }
    for (const r of this.readers) r.close();
    this.probe?.close();
  }

  /** @internal */
  instrument(id: number): Instrument | undefined {
    if (!Number.isInteger(id) || id < 0 || id >= this.symbols.capacity) return undefined;
    try {
      const info = this.symbols.get(id);
      return { exchange: info.exchange, symbol: info.symbol };
    } catch {
      return undefined;
    }
  }

  /** @internal */
  decode(bytes: Uint8Array): Tick[] {
    this.decoder ??= new RecordDecoder({ malformed: 0, unknownSymbols: 0 }, (id) => this.instrument(id));
    const out: Tick[] = [];
    this.decoder.decodeFrame(bytes, (t) => out.push(t));
    return out;
  }

  private failed(err: unknown, batch: TickBatch): void {
    this.counts.errors++;
    if (this.closed) return; // its slot may be someone else's now
    this.table.setStat(this.slot, "errors", this.counts.errors);
    try {
      this.onError?.(err, batch);
    } catch {
      // An onError that throws has nothing left to tell; the count stands.
    }
  }

  // Copies what the rings hold into the queue, under the policy.
  private fill(): void {
    const block = this.policy === "block";
    // Start each round at the next ring: a busy ring does not always go first into a bounded queue.
    const n = this.readers.length;
    const first = this.nextRing;
    this.nextRing = (first + 1) % n;
    for (let k0 = 0; k0 < n; k0++) {
      const r = (first + k0) % n;
      const reader = this.readers[r]!;
      // block: one poll copies at most 64 KiB (1024 records); poll only while they fit.
      for (let k = 0; k < 16; k++) {
        if (block && this.capacity - (this.tail - this.head) < MAX_RECORDS_PER_POLL) break;
        if (reader.pollBatch(this.onCopy) <= 0) break;
      }
      if (block) {
        this.table.setGate(this.slot, r, reader.position);
      }
      const lost = reader.lost;
      if (lost !== this.lostSeen[r]) {
        this.counts.lapped += lost - this.lostSeen[r]!;
        this.metrics?.counters.add("lapped", lost - this.lostSeen[r]!);
        this.lostSeen[r] = lost;
        if (this.policy === "conflate") this.recoverFromCache();
      }
    }
    if (block) this.table.wakeWriters();
  }

  // One proven-intact batch from a ring: its records of our symbols into the queue.
  private take(src: number, bytes: number): void {
    const u8 = this.u8;
    const filter = this.filter;
    for (let at = src, end = src + bytes; at < end; ) {
      const length = this.u16[at >>> 1]!;
      if (u8[at + L.OFF_KIND] !== L.KIND_PADDING && (filter === null || filter[this.u32[(at + L.OFF_SYMBOL_ID) >>> 2]!] === 1)) this.enqueue(at, length);
      at += length;
    }
  }

  private enqueue(at: number, length: number): void {
    const id = this.u32[(at + L.OFF_SYMBOL_ID) >>> 2]!;
    if (this.pendingSlot !== null) {
      const seq = this.u32[(at + L.OFF_SEQ) >>> 2]! + this.u32[(at + L.OFF_SEQ + 4) >>> 2]! * 4294967296;
      if (seq <= this.lastSeq![id]! && this.lastSeq![id]! !== 0) {
        // Older than what it already has (a cache recovery got ahead, or a resize's old ring read late): superseded.
        this.counts.conflated++;
        return;
      }
      this.lastSeq![id] = seq;
      const pending = this.pendingSlot[id]!;
      if (pending >= 0) {
        this.copyInto(pending, at, length); // a newer value of a symbol still queued: replace it in place
        this.counts.conflated++;
        return;
      }
      this.pendingSlot[id] = this.tail % this.capacity;
    } else if (this.policy === "drop-oldest" && this.tail - this.head >= this.limit) {
      this.head++;
      this.counts.dropped++;
    }
    this.copyInto(this.tail % this.capacity, at, length);
    this.tail++;
  }

  // A record into a queue slot, cut to the consumer's mode; a shorter one is followed by padding.
  private copyInto(slot: number, at: number, length: number): void {
    const dst = this.queueAt + slot * this.slotBytes;
    const n = Math.min(length, this.slotBytes);
    this.u8.copyWithin(dst, at, at + n);
    this.fitSlot(dst, n, length);
  }

  // The first `n` bytes of a `length`-byte record were copied to the slot at `dst`: a longer record
  // is cut to the mode (its header says so), a shorter one is followed by padding to the slot's end.
  private fitSlot(dst: number, n: number, length: number): void {
    if (n < length) {
      this.u16[dst >>> 1] = n;
      this.u8[dst + L.OFF_KIND] = n === L.LTP_BYTES ? L.KIND_LTP : L.KIND_QUOTE;
    } else if (n < this.slotBytes) {
      padAfter(this.u8, this.u16, dst + n, this.slotBytes - n);
    }
  }

  // conflate, after a lap: the cache's latest value of every symbol taken, where newer than what was queued.
  private recoverFromCache(): void {
    const ids = this.filterIds ?? Array.from({ length: this.symbols.size }, (_, i) => i);
    const cache = attachedOnce(this.mem, "cache", this.cacheOffset, (m, o) => LastValueCache.attach(m, o));
    for (const id of ids) {
      const rec = cache.snapshot(id);
      if (!rec) continue;
      const seq = rec[L.OFF_SEQ]! + rec[L.OFF_SEQ + 1]! * 256 + rec[L.OFF_SEQ + 2]! * 65536 + rec[L.OFF_SEQ + 3]! * 16777216
        + (rec[L.OFF_SEQ + 4]! + rec[L.OFF_SEQ + 5]! * 256 + rec[L.OFF_SEQ + 6]! * 65536 + rec[L.OFF_SEQ + 7]! * 16777216) * 4294967296;
      if (seq <= this.lastSeq![id]!) continue;
      // Stage it in the slot it will take (or replace), then enqueue from there.
      const pending = this.pendingSlot![id]!;
      const slot = pending >= 0 ? pending : this.tail % this.capacity;
      const dst = this.queueAt + slot * this.slotBytes;
      const n = Math.min(rec.length, this.slotBytes);
      this.u8.set(rec.subarray(0, n), dst);
      this.fitSlot(dst, n, rec.length);
      this.lastSeq![id] = seq;
      if (pending >= 0) {
        this.counts.conflated++;
      } else {
        this.pendingSlot![id] = slot;
        this.tail++;
      }
    }
  }

  private startBatch(): TickBatch {
    const start = this.head % this.capacity;
    // A batch is contiguous slots: it stops at the queue's end.
    const n = Math.min(this.size, this.tail - this.head, this.capacity - start);
    const batch = this.batch;
    batch.offset = this.queueAt + start * this.slotBytes;
    batch.size = n;
    this.inHand = n;
    if (this.pendingSlot !== null) {
      for (let i = 0; i < n; i++) this.pendingSlot[this.u32[(batch.offset + i * this.slotBytes + L.OFF_SYMBOL_ID) >>> 2]!] = -1;
    }
    const now = monotonicNs();
    const last = batch.offset + (n - 1) * this.slotBytes + L.OFF_RECV_TIME_NS;
    this.counts.lagNs = Math.max(0, now - (this.u32[last >>> 2]! + this.u32[(last >>> 2) + 1]! * 4294967296));
    this.metrics?.latency.consumer.recordLatencies(batch.offset, n * this.slotBytes, now);
    this.counts.delivered += n;
    this.counts.batches++;
    return batch;
  }

  // The batch in hand is done: free its slots, adapt the batch size, publish the counts.
  private finishBatch(): void {
    if (this.inHand === 0) return;
    this.head += this.inHand;
    this.inHand = 0;
    const backlog = this.tail - this.head;
    if (backlog > this.size) this.size = Math.min(this.maxBatch, this.size * 2);
    else if (backlog < this.size / 4) this.size = Math.max(this.minBatch, Math.floor(this.size / 2));
    this.publishStats();
  }

  private published = { dropped: 0, conflated: 0, delivered: 0 };

  private publishStats(): void {
    if (this.closed) return; // its slot may be someone else's now
    const t = this.table;
    const s = this.slot;
    const c = this.counts;
    t.setStat(s, "delivered", c.delivered);
    t.setStat(s, "dropped", c.dropped);
    t.setStat(s, "conflated", c.conflated);
    t.setStat(s, "lapped", c.lapped);
    t.setStat(s, "batches", c.batches);
    t.setStat(s, "batchSize", this.size);
    t.setStat(s, "backlog", this.tail - this.head);
    t.setStat(s, "lagNs", c.lagNs);
    t.setStat(s, "heartbeatMs", Date.now());
    const counters = this.metrics?.counters;
    if (counters) {
      if (c.dropped > this.published.dropped) counters.add("dropped", c.dropped - this.published.dropped);
      if (c.conflated > this.published.conflated) counters.add("conflated", c.conflated - this.published.conflated);
      if (c.delivered > this.published.delivered) counters.add("delivered", c.delivered - this.published.delivered);
    }
    this.published.delivered = c.delivered;
    this.published.dropped = c.dropped;
    this.published.conflated = c.conflated;
  }

  private async waitForTicks(): Promise<void> {
    await Promise.race(this.readers.map((r) => r.waitAsync(this.idleWaitMs)));
  }
}

/** A padding record of `bytes` at `at`: the rest of a queue slot, skipped by every reader of records. */
function padAfter(u8: Uint8Array, u16: Uint16Array, at: number, bytes: number): void {
  u16[at >>> 1] = bytes;
  u8[at + L.OFF_KIND] = L.KIND_PADDING;
  u8[at + L.OFF_VERSION] = L.FORMAT_VERSION;
}

// One SymbolTable / LastValueCache a thread per structure: attaching reserves scratch memory, so a
// consumer opened again and again must not attach anew each time.
const attachments = new WeakMap<TickwireMemory, Map<string, unknown>>();
function attachedOnce<T>(mem: TickwireMemory, kind: string, offset: number, attach: (mem: TickwireMemory, offset: number) => T): T {
  if (typeof offset !== "number" || !Number.isSafeInteger(offset)) return attach(mem, offset); // it names what is wrong
  let byOffset = attachments.get(mem);
  if (!byOffset) attachments.set(mem, (byOffset = new Map()));
  const key = `${kind}@${offset}`;
  let made = byOffset.get(key) as T | undefined;
  if (made === undefined) {
    made = attach(mem, offset);
    byOffset.set(key, made);
  }
  return made;
}

function checkHandle(handle: ConsumerHandle): void {
  checkObject(handle, "Consumer.open: handle");
  if (!Array.isArray(handle.rings) || handle.rings.length === 0) throw new TickwireError("HANDLE", `Consumer.open: handle.rings must be the fan-out rings' handles, got ${describe(handle.rings)}`);
  if (handle.filter !== null && !Array.isArray(handle.filter)) throw new TickwireError("HANDLE", `Consumer.open: handle.filter must be an array of symbol ids or null, got ${describe(handle.filter)}`);
  if (!isConsumerPolicy(handle.policy)) throw new TickwireError("HANDLE", `Consumer.open: handle.policy must be block, conflate or drop-oldest, got ${describe(handle.policy)}`);
  checkInt(handle.mode, 1, 3, "Consumer.open: handle.mode");
  if (typeof handle.name !== "string") throw new TickwireError("HANDLE", `Consumer.open: handle.name must be a string, got ${describe(handle.name)}`);
}
