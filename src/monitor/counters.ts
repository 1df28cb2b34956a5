import * as H from "./layout.js";
import { TickwireError } from "../errors.js";
import { TickwireMemory } from "../memory/shared-memory.js";
import { checkInstance, describe } from "../validate.js";

/**
 * The counters every {@link MetricCounters} holds, in their order in shared memory.
 * Append new names at the end (a region laid out with fewer counters then no longer
 * attaches: every thread must run the same list).
 */
export const METRIC_COUNTER_NAMES = [
  "ticksIn", "ticksOut", "dropped", "conflated", "reconnects", "parseErrors", "bytesIn", "bytesOut", "lapped", "delivered",
] as const;

/** One counter's name. */
export type MetricCounterName = (typeof METRIC_COUNTER_NAMES)[number];

/** Every counter's value. */
export type MetricCountersSnapshot = { readonly [K in MetricCounterName]: number };

const INDEX: Readonly<Record<string, number>> = Object.assign(Object.create(null),
  Object.fromEntries(METRIC_COUNTER_NAMES.map((name, i) => [name, i])));

/**
 * Named u64 counters in shared memory that every thread adds to without locks
 * (ticks in/out, drops, conflations, reconnects, parse errors, bytes): create once,
 * post {@link offset} and the memory's handle to workers, {@link attach} there.
 *
 * A counter is one u64 added to with a 64-bit Atomics.add, so every add is counted exactly
 * however many threads race, and a read never sees half an add. (Two u32 words with a carry
 * cost ~25 ns an add against ~45 ns here, but a read between the carry's two adds came out
 * 2^32 low; counters are added to per batch, not per tick, so exact wins.)
 */
export class MetricCounters {
  private readonly u64: BigUint64Array;
  private readonly base: number;

  private constructor(mem: TickwireMemory, readonly offset: number) {
    this.u64 = new BigUint64Array(mem.buffer);
    this.base = (offset + H.COUNTERS_HEADER_BYTES) / 8;
  }

  /** Lays out every counter of {@link METRIC_COUNTER_NAMES} in `mem`, at 0. */
  static create(mem: TickwireMemory): MetricCounters {
    checkInstance(mem, TickwireMemory, "MetricCounters.create: mem");
    const offset = mem.reserve(H.COUNTERS_HEADER_BYTES + METRIC_COUNTER_NAMES.length * 8, 64);
    mem.u32[(offset + H.COUNTERS_OFF_COUNT) >>> 2] = METRIC_COUNTER_NAMES.length;
    Atomics.store(mem.u32, (offset + H.COUNTERS_OFF_MAGIC) >>> 2, H.COUNTERS_MAGIC);
    return new MetricCounters(mem, offset);
  }

  /** Attaches to counters made by {@link MetricCounters.create}, e.g. in a worker given their offset. */
  static attach(mem: TickwireMemory, offset: number): MetricCounters {
    checkInstance(mem, TickwireMemory, "MetricCounters.attach: mem");
    const bytes = H.COUNTERS_HEADER_BYTES + METRIC_COUNTER_NAMES.length * 8;
    if (!Number.isInteger(offset) || offset < mem.base || (offset & 63) !== 0 || offset + bytes > mem.byteLength
      || Atomics.load(mem.u32, offset >>> 2) !== H.COUNTERS_MAGIC) {
      throw new TickwireError("HANDLE", `MetricCounters.attach: no metric counters at offset ${describe(offset)}`);
    }
    const count = mem.u32[(offset + H.COUNTERS_OFF_COUNT) >>> 2];
    if (count !== METRIC_COUNTER_NAMES.length) {
      throw new TickwireError("HANDLE", `MetricCounters.attach: the counters at offset ${offset} hold ${count} counters, this build knows ${METRIC_COUNTER_NAMES.length}`);
    }
    return new MetricCounters(mem, offset);
  }

  /** Adds `n` (an integer from 0 to 2^53 − 1, default 1) to counter `name`. Safe from any thread at once. */
  add(name: MetricCounterName, n = 1): void {
    const i = this.index(name, "add");
    if (typeof n !== "number" || !(n >= 0) || !Number.isSafeInteger(n)) {
      throw new TickwireError("ARGUMENT", `MetricCounters.add: n must be an integer from 0 to ${Number.MAX_SAFE_INTEGER}, got ${describe(n)}`);
    }
    Atomics.add(this.u64, this.base + i, BigInt(n));
  }

  /** Counter `name`'s value (exact below 2^53). */
  get(name: MetricCounterName): number {
    return this.read(this.index(name, "get"));
  }

  /** Every counter's value. */
  snapshot(): MetricCountersSnapshot {
    const out: Record<string, number> = {};
    for (let i = 0; i < METRIC_COUNTER_NAMES.length; i++) out[METRIC_COUNTER_NAMES[i]!] = this.read(i);
    return out as MetricCountersSnapshot;
  }

  private read(i: number): number {
    return Number(Atomics.load(this.u64, this.base + i));
  }

  private index(name: unknown, op: string): number {
    const i = typeof name === "string" ? INDEX[name] : undefined;
    if (i === undefined) {
      throw new TickwireError("ARGUMENT", `MetricCounters.${op}: name must be one of ${METRIC_COUNTER_NAMES.join(", ")}, got ${describe(name)}`);
    }
    return i;
  }
}
