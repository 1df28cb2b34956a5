// Evening out the load the known symbols put on each partition, by swapping hash
// slots between partitions: a swap keeps every partition's slot count (so symbols
// not seen yet still spread by weight), and moves load from a heavy partition to a
// light one. Greedy, with a budget on the load moved. Plain TypeScript over a local
// copy of the slot table, like slot-assignment.ts.

import type { SlotMove } from "./slot-assignment.js";

/** Options of {@link balanceSlots}. */
export interface BalanceOptions {
  /** Stop once every partition's load is within this fraction of its target. Default 0.002. */
  tolerance?: number;
  /** Most load the swaps may move, as a share of the total (a swap moves both slots' load). Default 0.02. */
  maxMovedShare?: number;
}

/** What {@link balanceSlots} did. */
export interface BalanceResult {
  readonly moves: SlotMove[];
  /** Load moved by the swaps (both directions). */
  readonly movedLoad: number;
  /** Largest load ÷ target over the partitions with a target above 0, before and after. */
  readonly before: number;
  readonly after: number;
}

/**
 * Swaps slots of `table` (in place) between partitions until each partition's
 * load — the load of its slots (`slotLoad[slot]`) plus `fixedLoad` (pinned
 * symbols) — is within `tolerance` of its weight's share, or no swap helps, or the
 * budget is spent. Each round takes the partition furthest above its target and the
 * one furthest below (relative to their targets), and swaps the pair of their slots whose load difference
 * comes closest to what the two need, preferring light slots (less moved).
 */
export function balanceSlots(table: Uint16Array, slotLoad: Float64Array, weights: ReadonlyMap<number, number>,
  fixedLoad: ReadonlyMap<number, number>, options: BalanceOptions = {}): BalanceResult {
  const tolerance = options.tolerance ?? 0.002;
  const maxMovedShare = options.maxMovedShare ?? 0.02;
  const parts = [...weights.keys()].sort((a, b) => a - b);
  const load = new Map<number, number>(parts.map((p) => [p, fixedLoad.get(p) ?? 0]));
  const slotsOf = new Map<number, number[]>(parts.map((p) => [p, []]));
  let total = 0;
  for (const p of parts) total += load.get(p)!;
  for (let s = 0; s < table.length; s++) {
    const p = table[s]!;
    load.set(p, load.get(p)! + slotLoad[s]!);
    slotsOf.get(p)!.push(s);
    total += slotLoad[s]!;
  }
  let weightSum = 0;
  for (const w of weights.values()) weightSum += w;
  const target = new Map(parts.map((p) => [p, (total * weights.get(p)!) / weightSum]));
  const excess = (p: number) => load.get(p)! - target.get(p)!;
  const relative = (p: number) => excess(p) / target.get(p)!;
  const worst = () => Math.max(...parts.filter((p) => target.get(p)! > 0).map((p) => load.get(p)! / target.get(p)!));
  const before = worst();
  const moves: SlotMove[] = [];
  let movedLoad = 0;
  const budget = total * maxMovedShare;
  const byLoad = (p: number) => slotsOf.get(p)!.sort((a, b) => slotLoad[a]! - slotLoad[b]! || a - b);

  for (let round = 0; round < table.length && total > 0; round++) {
    // The partitions furthest above and below their targets, relatively (weight-0 ones own no slot: left out).
    let heavy = -1;
    let light = -1;
    for (const p of parts) {
      if (!(target.get(p)! > 0)) continue;
      if (heavy < 0 || relative(p) > relative(heavy)) heavy = p;
      if (light < 0 || relative(p) < relative(light)) light = p;
    }
    if (heavy < 0 || heavy === light || (relative(heavy) <= tolerance && relative(light) >= -tolerance)) break;
    const need = Math.min(excess(heavy), -excess(light));
    if (!(need > 0)) break;
    // Best pair: a heavy slot a and a light slot b with 0 < load(a) - load(b) < 2 need,
    // closest to need; ties to the lighter pair.
    const hs = byLoad(heavy);
    const ls = byLoad(light);
    let best: [number, number] | undefined;
    let bestScore = Infinity;
    let bestCost = Infinity;
    let lastB = Number.NaN;
    for (const b of ls) {
      const lb = slotLoad[b]!;
      if (lb === lastB) continue; // same load, same answer: the first such slot will do
      lastB = lb;
      // Heavy slot whose load is closest to lb + need (binary search over the sorted loads).
      let lo = 0;
      let hi = hs.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (slotLoad[hs[mid]!]! < lb + need) lo = mid + 1;
        else hi = mid;
      }
      for (const i of [lo - 1, lo]) {
        const a = hs[i];
        if (a === undefined) continue;
        const d = slotLoad[a]! - lb;
        if (!(d > 0 && d < 2 * need)) continue;
        const score = Math.abs(need - d);
        const cost = slotLoad[a]! + lb;
        if (score < bestScore - 1e-12 || (Math.abs(score - bestScore) <= 1e-12 && cost < bestCost)) {
          best = [a, b];
          bestScore = score;
          bestCost = cost;
        }
      }
    }
    if (!best || movedLoad + bestCost > budget) break;
    const [a, b] = best;
    const d = slotLoad[a]! - slotLoad[b]!;
    table[a] = light;
    table[b] = heavy;
    hs.splice(hs.indexOf(a), 1, b);
    ls.splice(ls.indexOf(b), 1, a);
    load.set(heavy, load.get(heavy)! - d);
    load.set(light, load.get(light)! + d);
    moves.push({ slot: a, from: heavy, to: light }, { slot: b, from: light, to: heavy });
    movedLoad += bestCost;
  }
  return { moves: consolidate(moves), movedLoad, before, after: worst() };
}

// One move per slot (first owner → last owner); slots that came back are dropped.
function consolidate(moves: SlotMove[]): SlotMove[] {
  const bySlot = new Map<number, SlotMove>();
  for (const m of moves) {
    const first = bySlot.get(m.slot);
    bySlot.set(m.slot, { slot: m.slot, from: first ? first.from : m.from, to: m.to });
  }
  return [...bySlot.values()].filter((m) => m.from !== m.to);
}
