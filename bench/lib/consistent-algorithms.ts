// Consistent-hashing algorithms from the literature, in plain JS, for the
// "algorithms considered" table of bench/partition.ts: the same key hashes (the
// symbol table's hash32) go through each, so the table compares the algorithms,
// not the hash functions. Written for clarity, not speed; not part of the package.

/** Maps a key's hash32 to one of its nodes (by name). */
export interface Placement {
  readonly name: string;
  /** The node owning a key. */
  get(hash32: number): string;
}

/** murmur3's 32-bit finaliser: a bijective mix. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** FNV-1a of a string's UTF-16 units, mixed: hashes node names. */
export function nameHash(s: string, seed = 0): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return fmix32(h >>> 0);
}

/**
 * Jump consistent hash (Lamping & Veach 2014), exact 64-bit LCG via BigInt. Nodes
 * are bucket numbers: only the last can be removed without renumbering; removing
 * another swaps the last node into its bucket (what a name → bucket map must do).
 */
export class JumpHash implements Placement {
  readonly name = "jump hash";
  constructor(private readonly nodes: string[]) {}
  get(hash32: number): string {
    let key = BigInt(hash32 >>> 0) * 0x9e3779b97f4a7c15n;
    let b = -1;
    let j = 0;
    const n = this.nodes.length;
    while (j < n) {
      b = j;
      key = BigInt.asUintN(64, key * 2862933555777941757n + 1n);
      j = Math.floor((b + 1) * (2147483648 / (Number(key >> 33n) + 1)));
    }
    return this.nodes[b]!;
  }
  /** The nodes after removing `node` the jump-hash way: the last node takes its bucket. */
  static without(nodes: string[], node: string): string[] {
    const out = nodes.slice();
    const i = out.indexOf(node);
    out[i] = out[out.length - 1]!;
    out.pop();
    return out;
  }
}

/** Rendezvous (highest random weight) hashing: each key goes to the node with the highest score; O(nodes) per lookup. */
export class Rendezvous implements Placement {
  readonly name = "rendezvous (HRW)";
  private readonly seeds: number[];
  constructor(private readonly nodes: string[]) {
    this.seeds = nodes.map((n) => nameHash(n));
  }
  get(hash32: number): string {
    let best = -1;
    let owner = 0;
    for (let i = 0; i < this.seeds.length; i++) {
      const score = fmix32((hash32 ^ this.seeds[i]!) >>> 0);
      if (score > best) {
        best = score;
        owner = i;
      }
    }
    return this.nodes[owner]!;
  }
}

/** Maglev hashing (Eisenbud et al. 2016): a prime-sized lookup table filled from per-node permutations. */
export class Maglev implements Placement {
  readonly name: string;
  private readonly table: Int32Array;
  constructor(private readonly nodes: string[], readonly size = 65537) {
    this.name = `Maglev (M = ${size})`;
    const m = size;
    const offset = nodes.map((n) => nameHash(n, 1) % m);
    const skip = nodes.map((n) => (nameHash(n, 2) % (m - 1)) + 1);
    const next = new Array<number>(nodes.length).fill(0);
    const table = new Int32Array(m).fill(-1);
    let filled = 0;
    while (filled < m) {
      for (let i = 0; i < nodes.length && filled < m; i++) {
        let c = (offset[i]! + next[i]! * skip[i]!) % m;
        while (table[c]! >= 0) {
          next[i]!++;
          c = (offset[i]! + next[i]! * skip[i]!) % m;
        }
        table[c] = i;
        next[i]!++;
        filled++;
      }
    }
    this.table = table;
  }
  get(hash32: number): string {
    return this.nodes[this.table[(hash32 >>> 0) % this.size]!]!;
  }
}
