// The writer's side of `block` consumers: before a partition worker publishes on its fan-out
// ring, it waits until every attached block consumer has copied out what the claim would
// overwrite — the Disruptor's gating sequences. A consumer whose gate has not moved for its
// detachAfterMs while it holds the writer is detached (counted, seen by the monitor), so a
// consumer that stopped reading never wedges the feed.
import { ConsumerState, ConsumerTable, CT_GATE_FUTEX } from "./consumer-table.js";
import { TickwireError } from "../errors.js";
import { checkInstance, checkInt, describe } from "../validate.js";

/** Longest single park while waiting on a gate: the stop flag and detach deadlines are checked this often. */
const PARK_MS = 1;

export class FanoutGate {
  private readonly lastGate: Float64Array;
  private readonly lastMove: Float64Array;
  private readonly lastBatches: Float64Array;
  private readonly futex: number;

  /**
   * @param ring - the fan-out ring's index (its worker slot)
   * @param capacity - the fan-out ring's capacity, bytes
   */
  constructor(private readonly table: ConsumerTable, private readonly ring: number, private readonly capacity: number) {
    checkInstance(table, ConsumerTable, "FanoutGate: table");
    checkInt(ring, 0, table.rings - 1, "FanoutGate: ring");
    checkInt(capacity, 64, 2 ** 31, "FanoutGate: capacity");
    this.lastGate = new Float64Array(table.slots);
    this.lastBatches = new Float64Array(table.slots);
    this.lastMove = new Float64Array(table.slots);
    this.futex = (table.offset + CT_GATE_FUTEX) >>> 2;
    // A predecessor that died while holding left its marks: this writer is not waiting on anyone yet.
    this.clearMarks();
  }

  /** This ring's "holding since" marks, cleared: the writer waits on no one now. */
  private clearMarks(): void {
    for (let s = 0; s < this.table.slots; s++) if (this.table.holdingSince(s, this.ring) !== 0) this.table.setHoldingSince(s, this.ring, 0);
  }

  /**
   * Returns once `bytes` more on the ring (whose tail is at `tail`; a wrap may pad up to
   * `bytes` more) overwrite nothing an attached block consumer has not copied out, or once
   * `stopping()` says the writer must go on regardless; `waiting()` is called before each park
   * (about every ms). Free while no block consumer is attached.
   */
  waitForRoom(tail: number, bytes: number, stopping: () => boolean, waiting?: () => void): void {
    // Cheap checks (a publish calls this): a NaN tail or bytes would hold the writer until stopping() said go.
    if (typeof tail !== "number" || !Number.isSafeInteger(tail) || tail < 0) badArgument("tail", tail, "an integer from 0");
    if (typeof bytes !== "number" || !Number.isInteger(bytes) || bytes < 0 || bytes > this.capacity) badArgument("bytes", bytes, `an integer from 0 to the ring's ${this.capacity}`);
    if (typeof stopping !== "function") badArgument("stopping", stopping, "a function");
    if (waiting !== undefined && typeof waiting !== "function") badArgument("waiting", waiting, "a function or undefined");
    const t = this.table;
    if (t.activeBlock === 0) return;
    const limit = tail + 2 * bytes - this.capacity;
    if (limit <= 0) return;
    const i32 = t.mem.i32;
    for (;;) {
      const seen = Atomics.load(i32, this.futex);
      const now = Date.now();
      let holding = false;
      for (let s = 0; s < t.slots; s++) {
        if (t.state(s) !== ConsumerState.ACTIVE || t.policy(s) !== "block") {
          // Detached by another ring's writer, or closed: not held by this writer any more.
          if (t.holdingSince(s, this.ring) !== 0) t.setHoldingSince(s, this.ring, 0);
          continue;
        }
        const gate = t.gate(s, this.ring);
        if (gate >= limit) {
          if (t.holdingSince(s, this.ring) !== 0) t.setHoldingSince(s, this.ring, 0);
          continue;
        }
        // Progress: its gate moved, or it finished a batch (a slow consumer works through its queue before it copies more).
        const batches = t.stat(s, "batches");
        if (t.holdingSince(s, this.ring) === 0) {
          t.setHoldingSince(s, this.ring, now);
          this.lastGate[s] = gate;
          this.lastBatches[s] = batches;
          this.lastMove[s] = now;
        } else if (gate !== this.lastGate[s] || batches !== this.lastBatches[s]) {
          this.lastGate[s] = gate;
          this.lastBatches[s] = batches;
          this.lastMove[s] = now;
        } else if (now - this.lastMove[s]! > t.detachAfterMs(s)) {
          // Stopped reading while holding the feed: let it go. Its reader will find itself lapped.
          if (t.transition(s, ConsumerState.ACTIVE, ConsumerState.DETACHED)) t.setStat(s, "detachedAtMs", now);
          t.setHoldingSince(s, this.ring, 0);
          continue;
        }
        holding = true;
      }
      if (!holding) return;
      let stop: boolean;
      try {
        stop = stopping();
        if (!stop) waiting?.(); // e.g. a heartbeat: a writer held by a consumer is alive, not wedged
      } catch (err) {
        this.clearMarks();
        throw err;
      }
      if (stop) {
        this.clearMarks();
        return;
      }
      Atomics.wait(i32, this.futex, seen, PARK_MS);
    }
  }
}

function badArgument(what: string, v: unknown, must: string): never {
  throw new TickwireError("ARGUMENT", `FanoutGate.waitForRoom: ${what} must be ${must}, got ${describe(v)}`);
}
