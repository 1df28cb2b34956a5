import { TickwireError } from "../errors.js";
import { TickwireMemory } from "../memory/shared-memory.js";
import { checkInstance, checkObject, describe } from "../validate.js";
import { Ring, ringBytes, checkRingSpec, type RingHandle, type RingSpec } from "./ring.js";

/** What a worker needs to attach to a {@link RingPool}: plain data, postMessage-able. */
export interface RingPoolHandle {
  rings: RingHandle[];
}

/**
 * Many rings carved out of one shared memory from one layout description (the seed's
 * OptimizedRingBufferPool). Create it in the main thread, post `handle()` to workers,
 * `RingPool.attach` there, and look rings up by name.
 */
export class RingPool {
  private readonly byName: Map<string, Ring>;

  private constructor(rings: Ring[]) {
    this.byName = new Map(rings.map((r) => [r.name, r]));
  }

  /** Lays out every ring of `specs` in `mem`. Names must be unique. */
  static create(mem: TickwireMemory, specs: readonly RingSpec[]): RingPool {
    checkInstance(mem, TickwireMemory, "RingPool.create: mem");
    if (!Array.isArray(specs) || specs.length === 0) throw new TickwireError("ARGUMENT", "RingPool: give at least one ring spec");
    specs.forEach(checkRingSpec);
    checkUniqueNames(specs);
    const need = specs.reduce((sum, s) => sum + ringBytes(s.capacity) + 128, 0);
    if (need > mem.bytesFree) {
      throw new TickwireError("MEMORY", `RingPool: the rings need ${need} bytes, the memory has ${mem.bytesFree} free`);
    }
    return new RingPool(specs.map((s) => Ring.create(mem, s)));
  }

  /**
   * Attaches to a pool made elsewhere. Checks every ring (inside the memory, a ring of that
   * type and capacity at that offset) and that no two rings overlap.
   */
  static attach(mem: TickwireMemory, handle: RingPoolHandle): RingPool {
    checkInstance(mem, TickwireMemory, "RingPool.attach: mem");
    if (typeof handle !== "object" || handle === null || !Array.isArray(handle.rings) || handle.rings.length === 0) {
      throw new TickwireError("HANDLE", "RingPool.attach: the handle has no rings");
    }
    handle.rings.forEach((r, i) => {
      if (typeof r !== "object" || r === null) throw new TickwireError("HANDLE", `RingPool.attach: rings[${i}] is ${describe(r)}, not a ring handle`);
      checkObject(r, `RingPool.attach: rings[${i}]`);
      checkRingSpec(r);
      if (!Number.isInteger(r.offset)) throw new TickwireError("HANDLE", `RingPool.attach: rings[${i}].offset is ${describe(r.offset)}`);
    });
    checkUniqueNames(handle.rings);
    const sorted = [...handle.rings].sort((a, b) => a.offset - b.offset);
    for (let i = 1; i < sorted.length; i++) {
      const prev = sorted[i - 1]!;
      if (prev.offset + ringBytes(prev.capacity) > sorted[i]!.offset) {
        throw new TickwireError("HANDLE", `RingPool.attach: ring ${prev.name} overlaps ring ${sorted[i]!.name}`);
      }
    }
    return new RingPool(handle.rings.map((h) => Ring.attach(mem, h)));
  }

  /** The ring named `name`; throws if there is none. */
  get(name: string): Ring {
    const ring = typeof name === "string" ? this.byName.get(name) : undefined;
    if (!ring) throw new TickwireError("ARGUMENT", `RingPool: no ring named ${describe(name)} (have ${[...this.byName.keys()].join(", ")})`);
    return ring;
  }

  /** All rings, in layout order. */
  rings(): Ring[] {
    return [...this.byName.values()];
  }

  /** The handle to post to a worker. */
  handle(): RingPoolHandle {
    return { rings: this.rings().map((r) => ({ ...r.handle })) };
  }
}

function checkUniqueNames(specs: readonly RingSpec[]): void {
  const seen = new Set<string>();
  for (const s of specs) {
    if (seen.has(s.name)) throw new TickwireError("ARGUMENT", `RingPool: two rings are named ${JSON.stringify(s.name)}`);
    seen.add(s.name);
  }
}
