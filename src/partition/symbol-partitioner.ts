import * as P from "./layout.js";
import { TickwireError } from "../errors.js";
import type { ExchangeName } from "../format/exchange.js";
import { TickwireMemory } from "../memory/shared-memory.js";
import { SymbolTable } from "../memory/symbol-table.js";
import { checkInstance, checkInt, checkObject, checkOptions, describe } from "../validate.js";
import { PartitionMap } from "./partition-map.js";
import { assignSlots, emptyTable, slotQuotas, type SlotMove } from "./slot-assignment.js";
import { balanceSlots, type BalanceOptions } from "./load-balance.js";
import { writeKey } from "./symbol-key.js";
import { PinTable, type DroppedPin } from "./pin-table.js";

// Why hash slots with exact quotas (numbers: bench/partition.ts, 50 000 NSE/NFO
// keys over 16 partitions, this 2-core machine; docs/PARTITION.md has the table):
//
//   algorithm                     max/mean  moved 16→17 ÷ 1/17  remove 1 of 16 ÷ 1/16  weights  lookup
//   slots + quotas (this)           1.024        0.98               0.97                 exact    one u16 load
//     … then balance()              1.002        0.99               1.00                 exact    same
//   hashring (ketama, 160 points)   1.111        0.89               0.98                 yes      ~2.2 µs (md5, tree walk)
//   consistent-hash (40 points)     1.018        8.0                4.9                  yes      ~160 ns
//   jump hash                       1.025        1.00               1.91 (last-swap)     no       ln n loop
//   rendezvous / HRW                1.026        1.00               0.98                 yes      n hashes
//   Maglev (M = 65 537)             1.039        1.04               1.03                 no       one load
//
// - Lookup is one load from a 32 KiB table (L1/L2) after the hash, which the
//   symbol table already holds per id: partitionBatch runs at ~11 ns a record with
//   cold caches (~5 ns warm) against ~2 100 ns for hashring.get: ~190× (target 20×).
// - Balance: slot quotas are exact to one slot, so the imbalance left is the keys'
//   own multinomial noise (σ ≈ 1.7% of the mean at 3 125 keys a partition), the
//   same floor jump hash and rendezvous sit on; balance() goes below it because the
//   map is data, not a formula: it can be fitted to the symbols actually interned.
// - Movement: a change moves exactly the surplus slots (16 → 17: 964 of 16 384 =
//   1/17, taken evenly from all), and any partition can leave, not just the last
//   (jump hash moves 1.9× the ideal to remove a middle bucket).
// - Weights: quotas in proportion to any non-negative weights (0 drains a partition);
//   Maglev and jump hash have none, rendezvous pays n hashes a lookup for them.
// The cost: the map is state (history-dependent after changes) rather than a pure
// function of the partition list. It lives in shared memory, so every worker reads
// the one table; a fresh map from the same partition list is the same table.

/** A partition and its weight (share of the slots, relative to the others). */
export interface PartitionSpec {
  /** Partition number, 0..4095. Default: the lowest number not in use. */
  readonly partition?: number;
  /** Relative share, finite and ≥ 0 (0 drains the partition: it keeps its pins but owns no slot). Default 1. */
  readonly weight?: number;
}

/** A partition as the map holds it now. */
export interface PartitionInfo {
  readonly partition: number;
  readonly weight: number;
  /** Hash slots it owns: its share of the keys is slots / slotCount. */
  readonly slots: number;
}

/** What one change of the map did. */
export interface Rebalance {
  /** The map's epoch after the change. */
  readonly epoch: number;
  /** Every slot that changed owner. */
  readonly moves: readonly SlotMove[];
  /** moves.length / slotCount: the share of (unpinned) keys that moved. */
  readonly movedShare: number;
  /** Pins dropped because their partition was removed: key "EXCHANGE:symbol" and the partition it was pinned to. */
  readonly unpinned: readonly DroppedPin[];
}

/** Options of {@link SymbolPartitioner.balance}. */
export interface SymbolBalanceOptions extends BalanceOptions {
  /**
   * Load of symbol `id` (≥ 0): e.g. its ticks per second. Default: 1 for every
   * interned symbol, which balances symbol counts.
   */
  load?: (id: number) => number;
}

/** What {@link SymbolPartitioner.balance} did, besides the moves. */
export interface BalanceReport extends Rebalance {
  /** Largest partition load ÷ its weight's share of the total, before and after. */
  readonly loadBefore: number;
  readonly loadAfter: number;
  /** Share of the total load the swaps moved. */
  readonly movedLoadShare: number;
}

/** An interned symbol that changed partition. */
export interface SymbolMove {
  readonly id: number;
  readonly from: number;
  readonly to: number;
}

/** Options of {@link SymbolPartitioner.create}. */
export interface SymbolPartitionerOptions {
  /** The partitions: a count n (numbers 0..n-1, weight 1 each) or a list. Required. */
  partitions: number | readonly PartitionSpec[];
  /** log2 of the hash slot count, 4..16. Default 14 (16384 slots, a 32 KiB table). */
  slotBits?: number;
  /** Most distinct keys that can ever be pinned. Default 1024. */
  maxPins?: number;
  /** The symbol table records' symbol ids refer to; needed for id and batch lookups. */
  symbols?: SymbolTable;
}

/**
 * Consistent hashing of symbols over partitions, in shared memory: the control
 * plane. Keys hash to 2^slotBits slots; each partition owns a number of slots
 * proportional to its weight (exact to one slot), and every change (add, remove,
 * reweigh) moves the fewest slots that reach the new quotas — on n → n+1 equal
 * partitions, exactly 1/(n+1) of the slots, taken evenly from all. Pins override
 * the slots for single keys (a hot symbol on a partition of its own).
 *
 * One SymbolPartitioner writes a map; any thread reads it through
 * {@link PartitionMap.attach}(mem, partitioner.offset). Why slots with quotas and
 * not a ring, jump hash, rendezvous or Maglev, with numbers: docs/PARTITION.md.
 */
export class SymbolPartitioner extends PartitionMap {
  private readonly table: Uint16Array;
  private readonly shared: Uint16Array;
  private readonly weights = new Map<number, number>();
  private readonly pinned: PinTable;

  private constructor(mem: TickwireMemory, offset: number, symbols: SymbolTable | undefined) {
    super(mem, offset, symbols);
    this.table = emptyTable(this.slotCount);
    this.shared = new Uint16Array(mem.buffer, offset + P.PMAP_HEADER_BYTES, this.slotCount);
    this.pinned = new PinTable(mem, offset, this.slotCount);
  }

  /** Lays out a partition map in `mem` and assigns its slots. */
  static create(mem: TickwireMemory, options: SymbolPartitionerOptions): SymbolPartitioner {
    checkInstance(mem, TickwireMemory, "SymbolPartitioner.create: mem");
    checkObject(options, "SymbolPartitioner.create: options");
    if (options.symbols !== undefined) checkInstance(options.symbols, SymbolTable, "SymbolPartitioner.create: symbols");
    const slotBits = checkInt(options.slotBits ?? P.PMAP_DEFAULT_SLOT_BITS, P.PMAP_MIN_SLOT_BITS, P.PMAP_MAX_SLOT_BITS, "SymbolPartitioner: slotBits");
    const maxPins = checkInt(options.maxPins ?? 1024, 1, 1 << 20, "SymbolPartitioner: maxPins");
    const specs = normalise(options.partitions, 1 << slotBits);
    const pinCells = 1 << Math.ceil(Math.log2(maxPins * 2)); // at most half full
    const pinsAt = (P.PMAP_HEADER_BYTES + (2 << slotBits) + 63) & ~63;
    const hashesAt = pinsAt + pinCells * P.PIN_CELL_BYTES;
    const hashCapacity = options.symbols?.capacity ?? 0;
    const offset = mem.reserve(hashesAt + hashCapacity * P.HASH_CELL_BYTES, 64);
    const h = offset >>> 2;
    mem.u32[h + P.PMAP_OFF_SLOT_BITS / 4] = slotBits;
    mem.u32[h + P.PMAP_OFF_PIN_MASK / 4] = pinCells - 1;
    if (options.symbols) {
      mem.u32[h + P.PMAP_OFF_SYMTAB / 4] = options.symbols.offset;
      mem.u32[h + P.PMAP_OFF_HASH_CAPACITY / 4] = hashCapacity;
      mem.u32[h + P.PMAP_OFF_HASHES / 4] = offset + hashesAt;
    }
    const self = new SymbolPartitioner(mem, offset, options.symbols);
    for (const [p, w] of specs) self.weights.set(p, w);
    self.publish(assignSlots(self.table, slotQuotas(self.slotCount, self.weights)));
    Atomics.store(mem.u32, h + P.PMAP_OFF_MAGIC / 4, P.PMAP_MAGIC);
    return self;
  }

  /** The partitions, by number, with their weights and slot counts. */
  get partitions(): readonly PartitionInfo[] {
    const slots = new Map<number, number>();
    for (const p of this.table) slots.set(p, (slots.get(p) ?? 0) + 1);
    return [...this.weights].sort((a, b) => a[0] - b[0])
      .map(([partition, weight]) => ({ partition, weight, slots: slots.get(partition) ?? 0 }));
  }

  /** Adds a partition (default: the lowest free number, weight 1) and moves it its share of slots. */
  addPartition(spec: PartitionSpec = {}): Rebalance & { partition: number } {
    checkObject(spec, "addPartition: spec");
    const [partition, weight] = [...normalise([spec], this.slotCount, this.weights)][0]!;
    slotQuotas(this.slotCount, new Map([...this.weights, [partition, weight]])); // refuse before changing anything
    this.weights.set(partition, weight);
    return { partition, ...this.rebalance([]) };
  }

  /** Removes a partition: its slots go to the others in proportion to their weights; its pins are dropped. */
  removePartition(partition: number): Rebalance {
    this.requirePartition(partition, "removePartition");
    if (this.weights.size === 1) throw new TickwireError("ARGUMENT", `removePartition: partition ${partition} is the last one`);
    const weight = this.weights.get(partition)!;
    this.weights.delete(partition);
    try {
      slotQuotas(this.slotCount, this.weights);
    } catch (e) {
      this.weights.set(partition, weight);
      throw e;
    }
    return this.rebalance(this.pinned.dropPartition(partition));
  }

  /** Changes a partition's weight; slots move to or from it only. */
  setWeight(partition: number, weight: number): Rebalance {
    this.requirePartition(partition, "setWeight");
    checkWeight(weight, `setWeight(${partition})`);
    const old = this.weights.get(partition)!;
    this.weights.set(partition, weight);
    try {
      slotQuotas(this.slotCount, this.weights);
    } catch (e) {
      this.weights.set(partition, old);
      throw e;
    }
    return this.rebalance([]);
  }

  /**
   * Replaces the whole partition set at once (e.g. n → m workers) with one
   * rebalance: partitions not listed are removed (their pins dropped), listed ones
   * added or reweighed.
   */
  setPartitions(partitions: number | readonly PartitionSpec[]): Rebalance {
    const specs = normalise(partitions, this.slotCount);
    slotQuotas(this.slotCount, specs);
    const unpinned: DroppedPin[] = [];
    for (const p of [...this.weights.keys()]) if (!specs.has(p)) unpinned.push(...this.pinned.dropPartition(p));
    this.weights.clear();
    for (const [p, w] of specs) this.weights.set(p, w);
    return this.rebalance(unpinned);
  }

  /**
   * Evens out the load the interned symbols put on the partitions, by swapping hash
   * slots between partitions (each keeps its slot count, so symbols interned later
   * still spread by weight). Hashing alone leaves the keys' own noise — about 2-4%
   * above the mean on the busiest of 16 partitions at 50 000 symbols; this takes it
   * to within `tolerance` (default 0.2%) for a few percent of the keys moved
   * (`maxMovedShare`, default 2% of the load). Pass `load` to balance tick rates
   * instead of symbol counts. Pinned symbols count on their pinned partition. Call it
   * after subscribing a universe, or now and then with measured rates; add, remove
   * and reweigh keep their minimal moves and do not undo it more than they must.
   */
  balance(options: SymbolBalanceOptions = {}): BalanceReport {
    const symbols = this.symbols;
    if (!symbols) throw new TickwireError("ARGUMENT", "balance: this partition map was made without a symbol table");
    const o = checkOptions<SymbolBalanceOptions>(options, "balance: options");
    const load = o.load ?? (() => 1);
    if (typeof load !== "function") throw new TickwireError("ARGUMENT", `balance: load must be a function, got ${describe(load)}`);
    for (const key of ["tolerance", "maxMovedShare"] as const) {
      const v = o[key];
      if (v !== undefined && (typeof v !== "number" || !Number.isFinite(v) || v < 0 || v > 1)) {
        throw new TickwireError("ARGUMENT", `balance: ${key} must be a number from 0 to 1, got ${describe(v)}`);
      }
    }
    const slotLoad = new Float64Array(this.slotCount);
    const fixed = new Map<number, number>();
    const size = symbols.size;
    const anyPins = this.pinned.size > 0;
    for (let id = 0; id < size; id++) {
      const l = load(id);
      if (typeof l !== "number" || !Number.isFinite(l) || l < 0) {
        throw new TickwireError("ARGUMENT", `balance: load of symbol ${id} must be a finite number ≥ 0, got ${describe(l)}`);
      }
      if (anyPins) {
        const info = symbols.get(id);
        const pin = this.pinned.get(`${info.exchange}:${info.symbol}`);
        if (pin !== undefined) {
          fixed.set(pin, (fixed.get(pin) ?? 0) + l);
          continue;
        }
      }
      slotLoad[this.slotOfId(id)]! += l;
    }
    let total = 0;
    for (const l of slotLoad) total += l;
    for (const l of fixed.values()) total += l;
    const result = balanceSlots(this.table, slotLoad, this.weights, fixed, o);
    const epoch = this.publish(result.moves);
    return {
      epoch, moves: result.moves, movedShare: result.moves.length / this.slotCount, unpinned: [],
      loadBefore: result.before, loadAfter: result.after, movedLoadShare: total > 0 ? result.movedLoad / total : 0,
    };
  }

  /**
   * Pins (exchange, symbol) to `partition`, whatever its slot: for a hot symbol
   * that should have a partition to itself, or stay put. The key need not be
   * interned yet. Re-pinning moves the pin. Throws EXCHANGE/SYMBOL for a bad key,
   * ARGUMENT for an unknown partition, TABLE_FULL past maxPins distinct keys.
   */
  pin(exchange: ExchangeName, symbol: string, partition: number): void {
    this.requirePartition(partition, "pin");
    const [code, len] = writeKey(this.mem, this.scratch, exchange, symbol, "pin");
    this.pinned.set(`${exchange}:${symbol}`, this.scratch, code, len, partition);
    this.bumpEpoch();
  }

  /** Removes the pin of (exchange, symbol); returns whether it had one. */
  unpin(exchange: ExchangeName, symbol: string): boolean {
    writeKey(this.mem, this.scratch, exchange, symbol, "unpin");
    if (!this.pinned.delete(`${exchange}:${symbol}`)) return false;
    this.bumpEpoch();
    return true;
  }

  /** The pins in force: "EXCHANGE:symbol" → partition. */
  get pins(): ReadonlyMap<string, number> {
    return this.pinned.entries();
  }

  /**
   * The interned symbols a rebalance moved: those in moved slots (pinned symbols
   * stay where their pins say) and those whose pin was dropped. What a processor
   * hands from one worker to another. Needs the symbol table.
   */
  symbolsMoved(rebalance: Rebalance): SymbolMove[] {
    if (typeof rebalance !== "object" || rebalance === null || !Array.isArray(rebalance.moves) || !Array.isArray(rebalance.unpinned)) {
      throw new TickwireError("ARGUMENT", `symbolsMoved: give a Rebalance (what a change of the map returned), got ${describe(rebalance)}`);
    }
    rebalance.moves.forEach((m, i) => {
      if (typeof m !== "object" || m === null || !Number.isInteger(m.slot) || !Number.isInteger(m.from) || !Number.isInteger(m.to)) {
        throw new TickwireError("ARGUMENT", `symbolsMoved: moves[${i}] is ${describe(m)}, not a slot move`);
      }
    });
    rebalance.unpinned.forEach((u, i) => {
      if (typeof u !== "object" || u === null || typeof u.key !== "string" || u.key.indexOf(":") < 1 || !Number.isInteger(u.partition)) {
        throw new TickwireError("ARGUMENT", `symbolsMoved: unpinned[${i}] is ${describe(u)}, not a dropped pin`);
      }
    });
    const symbols = this.symbols;
    if (!symbols) throw new TickwireError("ARGUMENT", "symbolsMoved: this partition map was made without a symbol table");
    const bySlot = new Map<number, SlotMove>();
    for (const m of rebalance.moves) bySlot.set(m.slot, m);
    const out: SymbolMove[] = [];
    const size = symbols.size;
    const anyPins = this.pinned.size > 0;
    for (let id = 0; id < size && bySlot.size > 0; id++) {
      const m = bySlot.get(this.slotOfId(id));
      if (!m) continue;
      if (anyPins) {
        const info = symbols.get(id);
        if (this.pinned.get(`${info.exchange}:${info.symbol}`) !== undefined) continue;
      }
      out.push({ id, from: m.from, to: m.to });
    }
    for (const { key, partition } of rebalance.unpinned) {
      const colon = key.indexOf(":");
      const id = symbols.find(key.slice(0, colon) as ExchangeName, key.slice(colon + 1));
      if (id < 0) continue;
      const to = this.partitionOfId(id);
      if (to !== partition) out.push({ id, from: partition, to });
    }
    return out;
  }

  private rebalance(unpinned: DroppedPin[]): Rebalance {
    const moves = assignSlots(this.table, slotQuotas(this.slotCount, this.weights));
    const epoch = this.publish(moves);
    return { epoch, moves, movedShare: moves.length / this.slotCount, unpinned };
  }

  // Writes the moved slots to shared memory, then bumps the epoch.
  private publish(moves: readonly SlotMove[]): number {
    for (const m of moves) Atomics.store(this.shared, m.slot, m.to);
    let limit = 0;
    for (const p of this.weights.keys()) limit = Math.max(limit, p + 1);
    const h = this.offset >>> 2;
    Atomics.store(this.mem.u32, h + P.PMAP_OFF_PARTITION_LIMIT / 4, Math.max(limit, Atomics.load(this.mem.u32, h + P.PMAP_OFF_PARTITION_LIMIT / 4)));
    return this.bumpEpoch();
  }

  private bumpEpoch(): number {
    return Atomics.add(this.mem.u32, (this.offset + P.PMAP_OFF_EPOCH) >>> 2, 1) + 1;
  }

  private requirePartition(partition: number, op: string): void {
    if (!this.weights.has(partition)) {
      throw new TickwireError("ARGUMENT", `${op}: ${describe(partition)} is not a partition of this map (have ${[...this.weights.keys()].sort((a, b) => a - b).join(", ")})`);
    }
  }
}

/** Largest weight: slot count × weight, and the sum of 4096 of them, stay far from overflowing. */
const MAX_WEIGHT = 1e9;

function checkWeight(weight: unknown, what: string): asserts weight is number {
  if (typeof weight !== "number" || !Number.isFinite(weight) || weight < 0 || weight > MAX_WEIGHT) {
    throw new TickwireError("ARGUMENT", `${what}: weight must be a number from 0 to ${MAX_WEIGHT}, got ${describe(weight)}`);
  }
}

// Partition list → Map(number → weight), numbering unnumbered entries with the lowest free numbers.
function normalise(partitions: number | readonly PartitionSpec[], slotCount: number, existing: ReadonlyMap<number, number> = new Map()): Map<number, number> {
  const limit = Math.min(P.MAX_PARTITIONS, slotCount);
  if (typeof partitions === "number") {
    checkInt(partitions, 1, limit, "partitions (the slot count caps it)");
    return new Map(Array.from({ length: partitions }, (_, i) => [i, 1]));
  }
  if (!Array.isArray(partitions) || partitions.length === 0) {
    throw new TickwireError("ARGUMENT", "partitions must be a positive count or a non-empty list of { partition?, weight? }");
  }
  const out = new Map<number, number>();
  const taken = (p: number) => out.has(p) || existing.has(p);
  partitions.forEach((spec, i) => checkObject(spec, `partitions[${i}]`));
  for (const spec of partitions) {
    if (spec.partition === undefined) continue;
    const p = checkInt(spec.partition, 0, limit - 1, "partition number");
    if (taken(p)) throw new TickwireError("ARGUMENT", `partition ${p} is listed twice or already exists`);
    checkWeight(spec.weight ?? 1, `partition ${p}`);
    out.set(p, spec.weight ?? 1);
  }
  let next = 0;
  for (const spec of partitions) {
    if (spec.partition !== undefined) continue;
    while (taken(next)) next++;
    if (next >= limit) throw new TickwireError("ARGUMENT", `no partition number left below ${limit}`);
    checkWeight(spec.weight ?? 1, `partition ${next}`);
    out.set(next, spec.weight ?? 1);
  }
  if (existing.size + out.size > limit) throw new TickwireError("ARGUMENT", `more than ${limit} partitions`);
  return out;
}

export type { SlotMove };
