import { TickwireError } from "../errors.js";
import type { TickwireMemory } from "../memory/shared-memory.js";
import type { PartitionMap } from "../partition/partition-map.js";
import type { RingPool } from "../rings/pool.js";
import type { RingWriter } from "../rings/ring.js";
import { checkInt } from "../validate.js";

/** The name of worker slot `w`'s ingest ring. */
export const ingestRingName = (w: number): string => `ingest-${w}`;
/** The name of worker slot `w`'s fan-out ring. */
export const fanoutRingName = (w: number): string => `fanout-${w}`;

/**
 * Routes batches of records to the ingest rings of the workers that own their symbols:
 * one Wasm call partitions the batch (and sums each owner's bytes), one claim per
 * owner's ring, one Wasm call copies every record into place, one commit per owner.
 * Lossless: a full ring makes `route` wait, up to a timeout. Use one Router per thread.
 */
export class Router {
  private readonly writers: (RingWriter | undefined)[];
  private readonly out: number;
  private readonly partBytes: number;
  private readonly cursors: number;
  private readonly held: boolean[];

  /** `failed(w)`: whether worker slot w has failed (its partition rejects routes at once). */
  constructor(
    private readonly mem: TickwireMemory,
    private readonly map: PartitionMap,
    private readonly pool: RingPool,
    private readonly slots: number,
    private readonly maxBatchRecords: number,
    private readonly claimTimeoutMs: number,
    private readonly failed: (w: number) => boolean = () => false,
  ) {
    this.writers = new Array(slots).fill(undefined);
    this.held = new Array(slots).fill(false);
    this.out = mem.reserve(maxBatchRecords * 2, 64);
    this.partBytes = mem.reserve(slots * 4, 64);
    this.cursors = mem.reserve(slots * 4, 64);
  }

  /**
   * Routes the batch of contiguous records at offset `src` (`bytes` long, 8-aligned, at
   * most maxBatchRecords ticks). Resolves to the number of ticks routed. When an owner's
   * ring is full it lets go of the others and waits for room without blocking the thread
   * (so supervision carries on), up to claimTimeoutMs; on a TIMEOUT nothing of the batch
   * is delivered and the error names the ring. A batch with ticks for a failed worker's
   * partition is refused at once (FAILED), nothing of it delivered. Await each call before the next.
   */
  async route(src: number, bytes: number): Promise<number> {
    if (this.busy) throw new TickwireError("ARGUMENT", "route: the previous route() on this router has not finished; await it first");
    checkInt(bytes, 0, this.mem.byteLength, "route: bytes");
    this.mem.checkInside(src, bytes, 8, "route: src");
    this.busy = true;
    try {
      return await this.routeBatch(src, bytes);
    } finally {
      this.busy = false;
    }
  }

  private busy = false;

  private partition(src: number, bytes: number): number {
    const pb = this.partBytes >>> 2;
    this.mem.u32.fill(0, pb, pb + this.slots);
    const ticks = this.map.partitionInto(src, bytes, this.out, this.maxBatchRecords, this.partBytes, this.slots);
    for (let w = 0; w < this.slots; w++) {
      if (this.mem.u32[pb + w]! > 0 && this.failed(w)) {
        throw new TickwireError("FAILED", `route: worker ${w} has failed, and ${this.mem.u32[pb + w]} bytes of this batch belong to its partition; nothing of the batch was routed (restartWorker(${w}) or resize to move its symbols)`);
      }
    }
    return ticks;
  }

  private async routeBatch(src: number, bytes: number): Promise<number> {
    const { u32 } = this.mem;
    const pb = this.partBytes >>> 2;
    const cur = this.cursors >>> 2;
    let ticks = this.partition(src, bytes);
    let epoch = this.map.epoch;
    const held = this.held;
    held.fill(false);
    try {
      for (let w = 0; w < this.slots; ) {
        const b = u32[pb + w]!;
        if (b === 0 || held[w]) { w++; continue; }
        const writer = this.writers[w] ?? this.writerFor(w);
        if (b > writer.ring.maxClaim) {
          throw new TickwireError("ARGUMENT", `route: ${b} bytes for worker ${w} exceed its ingest ring's largest claim (${writer.ring.maxClaim}); route smaller batches or make ingestRingBytes larger`);
        }
        const at = writer.tryClaim(b);
        if (at >= 0) {
          u32[cur + w] = at;
          held[w] = true;
          w++;
          continue;
        }
        // Full: let the other owners go on while this one makes room, then go round again.
        this.releaseHeld();
        u32[cur + w] = await writer.claimAsync(b, this.claimTimeoutMs);
        held[w] = true;
        if (this.map.epoch !== epoch || this.anyFailed()) {
          // The partition map switched (or a worker failed) while we waited: route afresh.
          this.releaseHeld();
          ticks = this.partition(src, bytes);
          epoch = this.map.epoch;
        }
        w = 0;
      }
    } catch (e) {
      this.releaseHeld();
      throw e;
    }
    this.mem.core.routeScatter(src, bytes, this.out, this.cursors);
    for (let w = 0; w < this.slots; w++) {
      if (held[w]) {
        held[w] = false;
        this.writers[w]!.commit(u32[pb + w]!);
      }
    }
    return ticks;
  }

  private anyFailed(): boolean {
    for (let w = 0; w < this.slots; w++) if (this.failed(w)) return true;
    return false;
  }

  // Gives up the claims held (commit of 0 bytes pads them: their reader skips them).
  private releaseHeld(): void {
    for (let w = 0; w < this.slots; w++) {
      if (this.held[w]) {
        this.writers[w]!.commit(0);
        this.held[w] = false;
      }
    }
  }

  private writerFor(w: number): RingWriter {
    return (this.writers[w] = this.pool.get(ingestRingName(w)).writer());
  }
}
