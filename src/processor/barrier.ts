import type { TickwireMemory } from "../memory/shared-memory.js";
import type { RingPool } from "../rings/pool.js";
import type { Ring } from "../rings/ring.js";
import { ingestRingName } from "./router.js";
import * as P from "./layout.js";

/**
 * The partition-switch barrier (layout in ./layout.ts): each ingest ring's tail at the
 * last switch, and which rings hold the barrier. Shared by the processor, which takes
 * the snapshot, and the workers, which wait until every holding ring has been read past it.
 * A ring holds the barrier only if a live worker reads it: a ring with no worker (a
 * removed slot: padding may still land there) or whose worker failed never holds it up.
 */
export class SwitchBarrier {
  private readonly rings: Ring[];
  private readonly tails: number;
  private readonly holds: number;

  constructor(private readonly mem: TickwireMemory, pool: RingPool, readonly offset: number, slots: number) {
    this.rings = Array.from({ length: slots }, (_, w) => pool.get(ingestRingName(w)));
    this.tails = (offset + P.BARRIER_TAILS) >>> 3;
    this.holds = (offset + P.BARRIER_TAILS + slots * 8) >>> 2;
  }

  /** Bytes the barrier region needs for `slots` worker slots. */
  static bytes(slots: number): number {
    return P.BARRIER_TAILS + slots * 12;
  }

  /** The current switch's epoch. */
  get epoch(): number {
    return Atomics.load(this.mem.i32, (this.offset + P.BARRIER_EPOCH) >>> 2);
  }

  /** Ingest position of slot `w`'s ring at the last switch. */
  tailAtSwitch(w: number): number {
    return this.mem.f64[this.tails + w]!;
  }

  /** Whether slot `w`'s ring holds the current barrier. */
  held(w: number): boolean {
    return Atomics.load(this.mem.i32, this.holds + w) === 1;
  }

  /**
   * Notes every ring's tail and which rings hold the barrier (`live(w)`: a worker reads
   * ring w), applies `change` (the partition map switch), then bumps the epoch; returns
   * the new epoch. No route may run meanwhile (call it from the routing thread).
   */
  switch(live: (w: number) => boolean, change: () => void): number {
    this.rings.forEach((ring, w) => {
      this.mem.f64[this.tails + w] = ring.tail;
      Atomics.store(this.mem.i32, this.holds + w, live(w) ? 1 : 0);
    });
    change();
    return Atomics.add(this.mem.i32, (this.offset + P.BARRIER_EPOCH) >>> 2, 1) + 1;
  }

  /** Stops waiting for slot `w`'s ring (its worker failed: what it had not read is abandoned). */
  giveUp(w: number): void {
    Atomics.store(this.mem.i32, this.holds + w, 0);
  }

  /** Whether every ring holding the barrier has been read past its tail at the last switch. */
  drained(): boolean {
    for (let w = 0; w < this.rings.length; w++) {
      if (this.held(w) && this.rings[w]!.head < this.mem.f64[this.tails + w]!) return false;
    }
    return true;
  }
}
