// Which partition owns each hash slot: exact weighted quotas, and the fewest slot
// moves to go from one assignment to another. Plain TypeScript over a local copy
// of the slot table; the SymbolPartitioner publishes the result to shared memory.
// See docs/PARTITION.md for why slots with quotas rather than a ring or jump hash.

import { TickwireError } from "../errors.js";
import { PARTITION_NONE } from "./layout.js";

/** One slot changing hands. `from` is PARTITION_NONE when the slot had no owner (the first assignment). */
export interface SlotMove {
  readonly slot: number;
  readonly from: number;
  readonly to: number;
}

/**
 * Slots per partition for `slots` slots shared by `weights` (partition → weight ≥ 0):
 * the largest-remainder (Hamilton) apportionment, so every quota is within one
 * slot of its exact share. Ties go to the lower partition number, so the result
 * depends on the weights alone.
 */
export function slotQuotas(slots: number, weights: ReadonlyMap<number, number>): Map<number, number> {
  let total = 0;
  for (const w of weights.values()) total += w;
  if (!(total > 0) || !Number.isFinite(total)) {
    throw new TickwireError("ARGUMENT", "partition weights must be finite and at least one must be above 0");
  }
  const quotas = new Map<number, number>();
  const remainders: [number, number][] = [];
  let given = 0;
  for (const [p, w] of [...weights].sort((a, b) => a[0] - b[0])) {
    const exact = (slots * w) / total;
    const q = Math.floor(exact);
    quotas.set(p, q);
    given += q;
    remainders.push([p, exact - q]);
  }
  remainders.sort((a, b) => b[1] - a[1] || a[0] - b[0]);
  for (let i = 0; given < slots; i++, given++) {
    const p = remainders[i]![0];
    quotas.set(p, quotas.get(p)! + 1);
  }
  return quotas;
}

/**
 * Changes `table` (slot → partition, PARTITION_NONE for unowned) in place so that
 * each partition of `quotas` owns exactly its quota, moving as few slots as
 * possible: slots of partitions not in `quotas` and each partition's surplus
 * slots (its lowest-numbered ones) are freed, then dealt round-robin to the
 * partitions short of their quota. Every slot that moved is in the result, once.
 */
export function assignSlots(table: Uint16Array, quotas: ReadonlyMap<number, number>): SlotMove[] {
  let sum = 0;
  for (const q of quotas.values()) sum += q;
  if (sum !== table.length) throw new TickwireError("ARGUMENT", `slot quotas add up to ${sum}, not ${table.length}`);
  const owned = new Map<number, number>();
  for (const p of quotas.keys()) owned.set(p, 0);
  for (let s = 0; s < table.length; s++) {
    const p = table[s]!;
    const n = owned.get(p);
    if (n !== undefined) owned.set(p, n + 1);
  }
  const surplus = new Map<number, number>();
  for (const [p, q] of quotas) if (owned.get(p)! > q) surplus.set(p, owned.get(p)! - q);

  const free: number[] = [];
  const from: number[] = [];
  for (let s = 0; s < table.length; s++) {
    const p = table[s]!;
    if (!quotas.has(p)) {
      free.push(s);
      from.push(p);
      continue;
    }
    const extra = surplus.get(p);
    if (extra) {
      surplus.set(p, extra - 1);
      free.push(s);
      from.push(p);
    }
  }

  // Partitions short of their quota, in number order, each with what it still needs.
  const needy: [number, number][] = [];
  for (const [p, q] of [...quotas].sort((a, b) => a[0] - b[0])) {
    const kept = Math.min(owned.get(p)!, q);
    if (q > kept) needy.push([p, q - kept]);
  }
  const moves: SlotMove[] = [];
  let k = 0;
  for (let i = 0; i < free.length; i++) {
    while (needy[k % needy.length]![1] === 0) k++;
    const entry = needy[k % needy.length]!;
    entry[1]--;
    k++;
    const slot = free[i]!;
    table[slot] = entry[0];
    moves.push({ slot, from: from[i]!, to: entry[0] });
  }
  return moves;
}

/** The owner of every slot of an empty table: PARTITION_NONE. */
export function emptyTable(slots: number): Uint16Array {
  return new Uint16Array(slots).fill(PARTITION_NONE);
}
