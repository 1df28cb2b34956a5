import type { Worker } from "node:worker_threads";
import { TickwireError } from "../errors.js";
import { TickwireMemory } from "../memory/shared-memory.js";
import "../wasm/webassembly.js"; // the WebAssembly types these declarations name, for projects without lib "dom"
import { SymbolTable } from "../memory/symbol-table.js";
import { LastValueCache } from "../cache/last-value-cache.js";
import { SymbolPartitioner } from "../partition/symbol-partitioner.js";
import { RingPool } from "../rings/pool.js";
import { ringBytes, type RingReader } from "../rings/ring.js";
import { startTickwireWorker } from "../node/tickwire-worker.js";
import { resolveProcessorConfig, type ProcessorConfig, type ResolvedProcessorConfig } from "./config.js";
import { Router, ingestRingName, fanoutRingName } from "./router.js";
import type { PartitionWorkerData, WorkerReport } from "./partition-worker.js";
import * as P from "./layout.js";
import { SLOT_BYTES } from "../format/layout.js";
import { SwitchBarrier } from "./barrier.js";
import { ConsumerTable } from "../fanout/consumer-table.js";
import { SystemMetrics } from "../monitor/metrics.js";
import { checkInt, checkObject } from "../validate.js";

/** Something the supervisor did or saw; pass `onEvent` to {@link ParallelProcessor.start} to hear of it. */
export type ProcessorEvent =
  | { type: "restart"; worker: number; restarts: number; reason: string }
  /**
   * A worker restarted too often and was given up: routes with ticks for its partition are
   * refused (FAILED), what was routed to it and not yet processed (`abandonedBytes`) will be
   * dropped, counted, when it runs again (restartWorker, or a resize that brings its slot back),
   * and a resize no longer waits for it.
   */
  | { type: "failed"; worker: number; reason: string; abandonedBytes: number }
  /** A worker gave up an ingest claim that stayed uncommitted past unblockAfterMs (its router died). */
  | { type: "unblocked"; worker: number; bytes: number }
  /** A worker skipped a record it could not process (malformed: never committed through the API); its bytes (up to 384). */
  | { type: "quarantined"; worker: number; reason: string; bytes: Uint8Array }
  /** A worker brought back after a failure dropped the ticks its predecessor had abandoned. */
  | { type: "discarded"; worker: number; ticks: number };

/** Per-worker numbers from {@link ParallelProcessor.stats}. */
export interface WorkerStats {
  worker: number;
  running: boolean;
  /** Ticks processed (published) by this worker slot, across restarts: exact. */
  processed: number;
  /** Records it skipped as malformed (each reported in a `quarantined` event). */
  quarantined: number;
  /** Ticks it dropped as abandoned by a failed predecessor (reported in `discarded` events). */
  discarded: number;
  restarts: number;
  /** Whether it was given up after too many restarts (see the `failed` event). */
  failed: boolean;
  /** Bytes routed to the worker and not yet processed. */
  backlog: number;
}

/** What {@link ParallelProcessor.resize} did. */
export interface ResizeReport {
  from: number;
  to: number;
  /** Share of hash slots (≈ symbols) that changed owner. */
  movedShare: number;
  epoch: number;
}

/** Options of {@link ParallelProcessor.start} besides the config. */
export interface ProcessorOptions {
  /** Hears restarts and failures of workers. */
  onEvent?: (event: ProcessorEvent) => void;
  /** An already compiled core. */
  module?: WebAssembly.Module;
}

const WORKER_URL = new URL(import.meta.url.endsWith(".ts") ? "./partition-worker.ts" : "./partition-worker.js", import.meta.url);

interface Slot {
  worker?: Worker;
  stopping: boolean;
  /** Times of the restarts within the window. */
  recent: number[];
  restarts: number;
  failed: boolean;
  /** Ingest position up to which records were abandoned when the worker failed (0: none). */
  abandonedAt: number;
}

/**
 * N partition workers sharing the feed load (the seed's ParallelWebSocketProcessor):
 * `route` sends each record to the worker that owns its symbol (consistent hashing),
 * which applies it to the last-value cache and publishes it on its fan-out ring.
 * A worker that dies is restarted and resumes from its ingest ring: nothing committed
 * to it is lost or published twice. `resize` changes N while ticks flow, moving the
 * fewest symbols, with a barrier so a moved symbol's records are never processed out
 * of order. Node only (worker threads).
 *
 * Route from the thread that made the processor (`route` and `resize` coordinate
 * through it).
 */
export class ParallelProcessor {
  private readonly slots: Slot[];
  private readonly router: Router;
  private active: number;
  private resizing = false;
  private closed = false;

  private constructor(
    readonly config: ResolvedProcessorConfig,
    readonly mem: TickwireMemory,
    readonly symbols: SymbolTable,
    readonly cache: LastValueCache,
    readonly partitioner: SymbolPartitioner,
    readonly pool: RingPool,
    private readonly stateBase: number,
    private readonly barrier: SwitchBarrier,
    private readonly onEvent: (e: ProcessorEvent) => void,
    /** Slots for in-process consumers (undefined: consumerSlots 0). */
    readonly consumers: ConsumerTable | undefined,
    /** The shared-memory metrics (undefined: metrics off). */
    readonly metrics: SystemMetrics | undefined,
  ) {
    this.slots = Array.from({ length: config.maxWorkers }, () => ({ stopping: false, recent: [], restarts: 0, failed: false, abandonedAt: 0 }));
    this.router = new Router(mem, partitioner, pool, config.maxWorkers, config.maxBatchRecords, config.claimTimeoutMs, (w) => this.slots[w]!.failed);
    this.active = 0;
  }

  /** Lays out shared memory for `config`, starts its workers and resolves when they are ready. */
  static async start(config: ProcessorConfig, options: ProcessorOptions = {}): Promise<ParallelProcessor> {
    const c = resolveProcessorConfig(config);
    checkObject(options, "ParallelProcessor.start: options");
    if (options.onEvent !== undefined && typeof options.onEvent !== "function") throw new TickwireError("ARGUMENT", "ParallelProcessor.start: onEvent must be a function");
    const rings = Array.from({ length: c.maxWorkers }, (_, w) => [
      { name: ingestRingName(w), type: "mpsc" as const, capacity: c.ingestRingBytes },
      { name: fanoutRingName(w), type: "broadcast" as const, capacity: c.fanoutRingBytes },
    ]).flat();
    const ringTotal = rings.reduce((sum, r) => sum + ringBytes(r.capacity) + 128, 0);
    const threadSlots = c.maxWorkers + 2 + c.consumerSlots;
    const extras = (c.consumerSlots > 0 ? ConsumerTable.bytesFor(c.consumerSlots, c.maxWorkers, c.consumerQueueBytes) : 0)
      + (c.metrics ? SystemMetrics.bytesFor(threadSlots) : 0);
    const bytes = ringTotal + c.maxSymbols * (64 + 8 + 512 + 8) + (4 << 20) + c.feedBytes + extras;
    const mem = await TickwireMemory.create({ bytes, ...(options.module ? { module: options.module } : {}) });
    const symbols = SymbolTable.create(mem, c.maxSymbols);
    const cache = LastValueCache.create(mem, { capacity: c.maxSymbols, maxKind: c.cacheMaxKind });
    const partitioner = SymbolPartitioner.create(mem, { partitions: c.workers, symbols });
    const pool = RingPool.create(mem, rings);
    const stateBase = mem.reserve(c.maxWorkers * P.WORKER_STATE_BYTES, 128);
    const barrier = new SwitchBarrier(mem, pool, mem.reserve(SwitchBarrier.bytes(c.maxWorkers), 128), c.maxWorkers);
    const consumers = c.consumerSlots > 0 ? ConsumerTable.create(mem, { slots: c.consumerSlots, rings: c.maxWorkers, queueBytes: c.consumerQueueBytes }) : undefined;
    const metrics = c.metrics ? SystemMetrics.create(mem, threadSlots) : undefined;
    const processor = new ParallelProcessor(c, mem, symbols, cache, partitioner, pool, stateBase, barrier, options.onEvent ?? (() => {}), consumers, metrics);
    await Promise.all(Array.from({ length: c.workers }, (_, w) => processor.launch(w)));
    processor.active = c.workers;
    return processor;
  }

  /** Workers running now. */
  get workers(): number {
    return this.active;
  }

  /**
   * The largest batch, in bytes, that {@link ParallelProcessor.route} always takes: however
   * its ticks fall over the workers, no share exceeds an ingest ring's largest claim, and it
   * holds at most maxBatchRecords ticks. Producers of bigger batches split them (an adapter
   * does when given it as `AdapterContext.maxBatchBytes`).
   */
  get maxRouteBytes(): number {
    return Math.min(this.pool.get(ingestRingName(0)).maxClaim, this.config.maxBatchRecords * SLOT_BYTES);
  }

  /**
   * Routes a batch of contiguous records at offset `src` of {@link ParallelProcessor.mem}
   * (`bytes` long, at most maxBatchRecords ticks, symbol ids from
   * {@link ParallelProcessor.symbols}). Resolves to the ticks routed. Waits (without
   * blocking the thread) while an owner's ingest ring is full; rejects with TIMEOUT after
   * claimTimeoutMs, delivering nothing; with FAILED at once, delivering nothing, when the
   * batch has ticks for a failed worker's partition. Await each call before the next.
   */
  route(src: number, bytes: number): Promise<number> {
    if (this.closed) return Promise.reject(new TickwireError("ARGUMENT", "route: the processor is closed"));
    const counters = this.metrics?.counters;
    if (!counters) return this.router.route(src, bytes);
    // The ring stage's latency is recorded by the partition workers (off this thread, the busy one).
    return this.router.route(src, bytes).then((ticks) => {
      counters.add("ticksIn", ticks);
      return ticks;
    });
  }

  /**
   * Changes the number of workers to `n`, moving the fewest symbols (≈ |n − N| / max(n, N)).
   * New workers start first; then the partition map switches at once; records routed
   * before the switch finish on their old owners before any worker takes records routed
   * after it; then removed workers stop. Route freely meanwhile.
   */
  async resize(n: number): Promise<ResizeReport> {
    if (this.closed) throw new TickwireError("ARGUMENT", "resize: the processor is closed");
    if (this.resizing) throw new TickwireError("ARGUMENT", "resize: a resize is already under way");
    checkInt(n, 1, this.config.maxWorkers, "resize: workers (1 to maxWorkers)");
    const from = this.active;
    if (n === from) return { from, to: n, movedShare: 0, epoch: this.barrier.epoch };
    this.resizing = true;
    try {
      for (let w = from; w < n; w++) this.stateI32(w, P.WS_SEEN_BARRIER, this.barrier.epoch);
      const launches = await Promise.allSettled(Array.from({ length: Math.max(0, n - from) }, (_, k) => this.launch(from + k)));
      const refused = launches.find((l): l is PromiseRejectedResult => l.status === "rejected");
      if (refused) {
        // Leave no half-started workers behind: the map never switched to them.
        await Promise.all(Array.from({ length: n - from }, (_, k) => this.stop(from + k)));
        throw refused.reason;
      }
      // The switch: no route() runs now (same thread), so every ring's tail is exact. Only
      // rings a live worker reads hold the barrier: a slot with no worker or a failed one never drains.
      let moved = 0;
      const live = Math.max(from, n);
      const epoch = this.barrier.switch((w) => w < live && !this.slots[w]!.failed, () => { moved = this.partitioner.setPartitions(n).movedShare; });
      this.active = n;
      await this.until(() => this.barrier.drained(), "the partition switch to drain");
      for (let w = n; w < from; w++) await this.stop(w);
      return { from, to: n, movedShare: moved, epoch };
    } finally {
      this.resizing = false;
    }
  }

  /**
   * Brings back a worker that was given up (the `failed` event): it first drops, counted,
   * what its predecessor abandoned (its symbols may have moved on meanwhile), then takes
   * its partition back. Resolves once it is ready.
   */
  async restartWorker(w: number): Promise<void> {
    if (this.closed) throw new TickwireError("ARGUMENT", "restartWorker: the processor is closed");
    checkInt(w, 0, this.active - 1, "restartWorker: worker (an active slot)");
    const slot = this.slots[w]!;
    if (!slot.failed) throw new TickwireError("ARGUMENT", `restartWorker: worker ${w} has not failed`);
    slot.recent = [];
    await this.launch(w);
  }

  /**
   * A reader of each worker slot's fan-out ring, for this thread (slots beyond the active
   * workers stay empty until a resize uses them). In another thread, attach to
   * `pool.handle()` and read the `fanout-<w>` rings.
   */
  fanoutReaders(): RingReader[] {
    return Array.from({ length: this.config.maxWorkers }, (_, w) => this.pool.get(fanoutRingName(w)).reader());
  }

  /** The worker thread of slot `w`, if running (for tests and diagnostics). */
  workerThread(w: number): Worker | undefined {
    return this.slots[w]?.worker;
  }

  /** Whether the worker of slot `w` was given up on (too many restarts in the window). */
  failed(w: number): boolean {
    return this.slots[w]?.failed ?? false;
  }

  /** Numbers per worker slot. */
  stats(): WorkerStats[] {
    return this.slots.map((s, w) => {
      const state = (field: number) => this.mem.f64[(this.stateOffset(w) + field) >>> 3]!;
      return {
        worker: w,
        running: s.worker !== undefined,
        processed: state(P.WS_PROCESSED),
        quarantined: state(P.WS_QUARANTINED),
        discarded: state(P.WS_DISCARDED),
        restarts: s.restarts,
        failed: s.failed,
        backlog: this.pool.get(ingestRingName(w)).backlog,
      };
    });
  }

  /** Stops every worker (each finishes the batch in hand) and stops supervising. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.slots.map((_, w) => this.stop(w)));
  }

  private stateOffset(w: number): number {
    return this.stateBase + w * P.WORKER_STATE_BYTES;
  }

  private stateI32(w: number, field: number, value: number): void {
    Atomics.store(this.mem.i32, (this.stateOffset(w) + field) >>> 2, value);
  }

  private async until(done: () => boolean, what: string): Promise<void> {
    const deadline = Date.now() + this.config.drainTimeoutMs;
    while (!done()) {
      if (Date.now() > deadline) throw new TickwireError("TIMEOUT", `processor: waited ${this.config.drainTimeoutMs} ms for ${what}; is a worker stuck or failed?`);
      await new Promise((r) => setTimeout(r, 1));
    }
  }

  // Starts (or restarts) the worker of slot w and resolves once it is ready.
  private launch(w: number): Promise<void> {
    const slot = this.slots[w]!;
    if (slot.worker) return Promise.reject(new TickwireError("ARGUMENT", `processor: worker slot ${w} already has a worker`));
    slot.stopping = false;
    this.stateI32(w, P.WS_STATE, P.STATE_IDLE);
    const data: PartitionWorkerData = {
      worker: w, slots: this.config.maxWorkers, state: this.stateOffset(w), barrier: this.barrier.offset, cache: this.cache.offset,
      unblockAfterMs: this.config.unblockAfterMs, discardUntil: slot.abandonedAt,
      consumers: this.consumers?.offset ?? 0, threads: this.metrics?.threads.offset ?? 0, ringLatency: this.metrics?.latency.ring.offset ?? 0,
    };
    this.metrics?.threads.claim("partition", `partition-${w}`, { slot: w });
    const worker = startTickwireWorker(WORKER_URL, { mem: this.mem, pool: this.pool }, data);
    slot.worker = worker;
    return new Promise((resolve, reject) => {
      let ready = false;
      worker.on("message", (m: { ready?: number } & Partial<Record<string, unknown>>) => {
        if (m.ready === w && !ready) {
          ready = true;
          slot.failed = false;
          resolve();
        }
        this.report(w, m as WorkerReport);
      });
      worker.on("error", (e) => {
        if (!ready) reject(e);
        else this.lastError.set(w, e.message);
      });
      worker.on("exit", (code) => {
        if (slot.worker === worker) slot.worker = undefined;
        // Its thread has ended: a cache slot it died in may be taken over now, and its id reused.
        this.cache.writerExited(w + 1);
        if (slot.stopping || this.closed) return resolve(); // stopped on purpose, ready or not
        if (!ready) return reject(new TickwireError("ARGUMENT", `processor: worker ${w} exited (code ${code}) before it was ready`));
        this.restart(w, this.lastError.get(w) ?? `exit code ${code}`);
      });
    });
  }

  private report(w: number, m: WorkerReport): void {
    if ("unblocked" in m) this.onEvent({ type: "unblocked", worker: w, bytes: m.unblocked });
    else if ("quarantined" in m) this.onEvent({ type: "quarantined", worker: w, reason: m.quarantined.reason, bytes: m.quarantined.bytes });
    else if ("discarded" in m) this.onEvent({ type: "discarded", worker: w, ticks: m.discarded });
  }

  private readonly lastError = new Map<number, string>();

  private restart(w: number, reason: string): void {
    const slot = this.slots[w]!;
    if (this.closed || slot.stopping) return;
    const now = Date.now();
    slot.recent = slot.recent.filter((t) => now - t < this.config.restartWindowMs);
    this.lastError.delete(w);
    if (slot.recent.length >= this.config.maxRestarts) {
      // Given up: routes for its partition are refused from now on, nothing more waits for its
      // ring, and what it had not read is abandoned (dropped, counted, if it ever runs again).
      const ring = this.pool.get(ingestRingName(w));
      slot.failed = true;
      slot.abandonedAt = ring.tail;
      this.barrier.giveUp(w);
      this.onEvent({ type: "failed", worker: w, reason: `${reason}; ${slot.recent.length} restarts within ${this.config.restartWindowMs} ms`, abandonedBytes: ring.backlog });
      return;
    }
    slot.recent.push(now);
    slot.restarts++;
    this.onEvent({ type: "restart", worker: w, restarts: slot.restarts, reason });
    this.launch(w).catch((e: unknown) => this.restart(w, (e as Error).message));
  }

  private async stop(w: number): Promise<void> {
    const slot = this.slots[w]!;
    const worker = slot.worker;
    if (!worker) return;
    slot.stopping = true;
    this.stateI32(w, P.WS_STATE, P.STATE_STOP);
    const exited = new Promise<void>((resolve) => worker.once("exit", () => resolve()));
    const timer = setTimeout(() => void worker.terminate(), this.config.drainTimeoutMs);
    await exited;
    clearTimeout(timer);
    this.metrics?.threads.release(w);
  }
}
