// The last-value-cache exports of the Wasm core (assembly/lvc.ts), typed. Pointers
// are byte offsets into the shared memory; negative results are the ERR_* codes of
// src/format/layout.ts, or LVC_BUSY of src/cache/layout.ts.

import type { TickwireMemory } from "../memory/shared-memory.js";

/** Last-value cache exports. */
export interface CacheExports {
  /**
   * Merges every tick record of a batch into its symbol's slot as writer `owner`: ticks applied, or a negative
   * code with `status` = u32 record index, u32 its byte offset, u32 ticks applied before it. `stampBase` 0: no replay stamps.
   */
  lvcApply(cache: number, src: number, bytes: number, owner: number, status: number, stampBase: number, spins: number): number;
  /** Symbol `id`'s record to `dst` (8-aligned): its length, 0 for no value, LVC_BUSY or ERR_SYMBOL. */
  lvcRead(cache: number, id: number, dst: number, spins: number): number;
  /** Records of the ids at `ids` (u32 × count) as one batch at `dst`: bytes written, or a negative error. `status`: ids consumed, ids busy. */
  lvcSnapshotIds(cache: number, ids: number, count: number, dst: number, cap: number, spins: number, status: number): number;
  /** Records of ids from..to-1 as one batch at `dst`: bytes written, or a negative error. `status`: next id, ids busy. */
  lvcSnapshotRange(cache: number, from: number, to: number, dst: number, cap: number, spins: number, status: number): number;
}

/** The core's cache exports on `mem`. */
export function cacheCore(mem: TickwireMemory): CacheExports {
  return mem.core as unknown as CacheExports;
}
