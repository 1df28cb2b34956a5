// Reads every fan-out ring in batches (copies proven intact: RingReader.pollBatch) and hands
// each batch to the gather, then the frames to their clients, and to in-process listeners.
// One loop on one thread: it polls while there is data (yielding to I/O between rounds, so
// sockets drain) and parks on the rings' futexes when there is none.
import { TickwireError } from "../errors.js";
import { OFF_LENGTH, KIND_PADDING } from "../format/layout.js";
import { RingReader } from "../rings/ring.js";
import { FanoutGather } from "./gather.js";
import { TickwireMemory } from "../memory/shared-memory.js";
import { checkInstance, checkObject, describe } from "../validate.js";
import { SystemMetrics } from "../monitor/metrics.js";
import { monotonicNs } from "../clock.js";

/** Where the pump's output goes. */
export interface PumpSink {
  /** A client's frames of one gather call (a view of a copy the sink may keep) and the ticks in them. */
  frames(slot: number, frames: Uint8Array, ticks: number): void;
  /** A conflating client: ticks superseded and symbols newly pending in one gather call. */
  conflated(slot: number, conflated: number, pending: number): void;
  /** After each round over the rings: flush what was coalesced, look after slow clients. */
  afterRound(): void;
  /** How soon afterRound must run again for what it holds back, ms (default: no hurry). */
  nextFlushInMs?(): number;
  /** Each proven-intact batch (records back to back, padding among them), for in-process listeners. */
  batch?(src: number, bytes: number): void;
  /** A record the gather refused (its exchange or decimals not its symbol's): skipped, counted. */
  refused?(error: TickwireError): void;
}

/** Counters of a {@link FanoutPump}. */
export interface PumpStats {
  /** Batches and records read (padding excluded). */
  readonly batches: number;
  readonly records: number;
  /** Records the gather refused. */
  readonly refused: number;
}

const BATCHES_PER_RING = 16;
const EMPTY = new Uint8Array(0);
const IDLE_WAIT_MS = 5;
const nextTurn: (fn: () => void) => void = typeof setImmediate === "function" ? (fn) => setImmediate(fn) : (fn) => setTimeout(fn, 0);

export class FanoutPump {
  private running = false;
  private done: Promise<void> | undefined;
  private counters = { batches: 0, records: 0, refused: 0 };
  private readonly onBatch = (src: number, bytes: number) => this.take(src, bytes);

  /**
   * @param readers - the rings to read, asked each round (a resize adds rings)
   * @param gather - makes client frames; consulted only while `clients()` > 0
   */
  constructor(
    private readonly mem: TickwireMemory,
    private readonly readers: () => readonly RingReader[],
    private readonly gather: FanoutGather | undefined,
    private readonly sink: PumpSink,
    private readonly clients: () => number = () => 1,
    /** Counts ticks out, and times ticks made into client frames (the "client" latency stage). */
    private readonly metrics?: SystemMetrics,
  ) {
    checkInstance(mem, TickwireMemory, "FanoutPump: mem");
    if (metrics !== undefined) checkInstance(metrics, SystemMetrics, "FanoutPump: metrics");
    for (const [f, name] of [[readers, "readers"], [clients, "clients"]] as const) {
      if (typeof f !== "function") throw new TickwireError("ARGUMENT", `FanoutPump: ${name} must be a function, got ${describe(f)}`);
    }
    if (gather !== undefined && !(gather instanceof FanoutGather)) throw new TickwireError("ARGUMENT", `FanoutPump: gather must be a FanoutGather or undefined, got ${describe(gather)}`);
    checkObject(sink, "FanoutPump: sink");
    for (const name of ["frames", "conflated", "afterRound"] as const) {
      if (typeof sink[name] !== "function") throw new TickwireError("ARGUMENT", `FanoutPump: sink.${name} must be a function`);
    }
    for (const name of ["batch", "refused", "nextFlushInMs"] as const) {
      if (sink[name] !== undefined && typeof sink[name] !== "function") throw new TickwireError("ARGUMENT", `FanoutPump: sink.${name} must be a function or undefined, got ${describe(sink[name])}`);
    }
  }

  get stats(): PumpStats {
    return { ...this.counters };
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.done = this.loop();
  }

  /** Stops after the current round. */
  async stop(): Promise<void> {
    this.running = false;
    await this.done;
  }

  /** One round over every ring now (for tests and for a final drain); returns the bytes read. */
  round(): number {
    const readers = this.readers();
    if (!Array.isArray(readers) || !readers.every((r) => r instanceof RingReader)) {
      throw new TickwireError("ARGUMENT", `FanoutPump: readers() must return an array of RingReaders, got ${describe(readers)}`);
    }
    let bytes = 0;
    for (const reader of readers) {
      for (let k = 0; k < BATCHES_PER_RING; k++) {
        const n = reader.pollBatch(this.onBatch);
        if (n <= 0) break;
        bytes += n;
      }
    }
    this.sink.afterRound();
    return bytes;
  }

  private async loop(): Promise<void> {
    while (this.running) {
      let bytes = 0;
      try {
        bytes = this.round();
      } catch (err) {
        // A broken ring is a bug to hear about, not a reason to stop serving the others.
        this.counters.refused++;
        this.sink.refused?.(err instanceof TickwireError ? err : new TickwireError("ARGUMENT", String(err)));
      }
      if (bytes > 0) await new Promise<void>((r) => nextTurn(r));
      else {
        const wait = Math.min(IDLE_WAIT_MS, Math.max(0, this.sink.nextFlushInMs?.() ?? IDLE_WAIT_MS));
        try {
          const readers = this.readers();
          // No rings (or bad ones, which the round reported): a plain wait, so the loop neither spins nor stalls.
          if (readers.length === 0) throw new TickwireError("ARGUMENT", "no rings to wait on");
          await Promise.race(readers.map((r) => r.waitAsync(wait)));
        } catch {
          await new Promise<void>((r) => setTimeout(r, IDLE_WAIT_MS));
        }
      }
    }
  }

  private take(src: number, bytes: number): void {
    this.counters.batches++;
    this.sink.batch?.(src, bytes);
    const gather = this.gather;
    if (!gather || this.clients() === 0) {
      const n = countRecords(this.mem.u8, src, bytes);
      this.counters.records += n;
      this.metrics?.counters.add("ticksOut", n);
      return;
    }
    let at = 0;
    let skipAt = -1;
    let skipEnd = -1;
    while (at < bytes) {
      if (at === skipAt) {
        at = skipEnd;
        skipAt = -1;
        continue;
      }
      let took: number;
      try {
        took = gather.gather(src + at, (skipAt >= 0 ? skipAt : bytes) - at, Date.now());
      } catch (err) {
        if (!(err instanceof TickwireError) || err.recordIndex === undefined) throw err;
        // Deliver the records before the refused one, skip it, go on.
        this.counters.refused++;
        this.sink.refused?.(err);
        skipAt = skipRecords(this.mem.u8, src, at, err.recordIndex);
        skipEnd = skipRecords(this.mem.u8, src, skipAt, 1);
        continue;
      }
      this.counters.records += gather.records;
      if (this.metrics) {
        this.metrics.counters.add("ticksOut", gather.records);
        this.metrics.latency.client.recordLatencies(src + at, took, monotonicNs());
      }
      // One copy of every client's frames per call (not one per client): the sink keeps views of it.
      const out = gather.outputBytes > 0 ? gather.output().slice() : EMPTY;
      for (let i = 0, n = gather.touchedCount; i < n; i++) {
        const slot = gather.touchedSlot(i);
        const bytes = gather.frameBytes(slot);
        if (bytes > 0) {
          const start = gather.frameStart(slot);
          this.sink.frames(slot, out.subarray(start, start + bytes), gather.ticks(slot));
        }
        const conflated = gather.conflated(slot);
        const pending = gather.pending(slot);
        if (conflated > 0 || pending > 0) this.sink.conflated(slot, conflated, pending);
      }
      at += took;
    }
  }
}

/** Offset after `n` records from `at` in the batch at `src`. */
function skipRecords(u8: Uint8Array, src: number, at: number, n: number): number {
  for (let i = 0; i < n; i++) at += u8[src + at + OFF_LENGTH]! | (u8[src + at + OFF_LENGTH + 1]! << 8);
  return at;
}

function countRecords(u8: Uint8Array, src: number, bytes: number): number {
  let n = 0;
  for (let at = src; at < src + bytes; at += u8[at]! | (u8[at + 1]! << 8)) if (u8[at + 2] !== KIND_PADDING) n++;
  return n;
}
