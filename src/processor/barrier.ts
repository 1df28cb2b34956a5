import type { TickwireMemory } from "../memory/shared-memory.js";
import type { RingPool } from "../rings/pool.js";
import type { Ring } from "../rings/ring.js";
import { ingestRingName } from "./router.js";
import * as P from "./layout.js";

/**
 * The partition-switch barrier (layout in ./layout.ts): each ingest ring's tail at the
 * last switch. Shared by the processor, which takes the snapshot, and the workers, which
 * wait until every ring has been read past it.
 */
export class SwitchBarrier {
  private readonly rings: Ring[];
  private readonly tails: number;

  constructor(private readonly mem: TickwireMemory, pool: RingPool, readonly offset: number, slots: number) {
    this.rings = Array.from({ length: slots }, (_, w) => pool.get(ingestRingName(w)));
    this.tails = (offset + P.BARRIER_TAILS) >>> 3;
  }

  /** Bytes the barrier region needs for `slots` worker slots. */
  static bytes(slots: number): number {
    return P.BARRIER_TAILS + slots * 8;
  }

  /** The current switch's epoch. */
  get epoch(): number {
    return Atomics.load(this.mem.i32, (this.offset + P.BARRIER_EPOCH) >>> 2);
  }

  /** Ingest position of slot `w`'s ring at the last switch. */
  tailAtSwitch(w: number): number {
    return this.mem.f64[this.tails + w]!;
  }

  /**
   * Notes every ring's tail, applies `change` (the partition map switch), then bumps the epoch;
   * returns the new epoch. No route may run meanwhile (call it from the routing thread).
   */
  switch(change: () => void): number {
    this.rings.forEach((ring, w) => { this.mem.f64[this.tails + w] = ring.tail; });
    change();
    return Atomics.add(this.mem.i32, (this.offset + P.BARRIER_EPOCH) >>> 2, 1) + 1;
  }

  /** Whether every ingest ring has been read past its tail at the last switch. */
  drained(): boolean {
    for (let w = 0; w < this.rings.length; w++) {
      if (this.rings[w]!.head < this.mem.f64[this.tails + w]!) return false;
    }
    return true;
  }
}

