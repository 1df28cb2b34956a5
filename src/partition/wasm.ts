// The partitioning exports of the Wasm core (assembly/partition.ts), typed. Pointers are byte offsets into
// the shared memory; negative results are the ERR_* codes of src/format/layout.ts.

import type { TickwireMemory } from "../memory/shared-memory.js";

/** Partition lookups (assembly/partition.ts). */
export interface PartitionExports {
  /** Partition of (exchange, UTF-8 name at ptr/len), pins first; or a negative error for a bad key. */
  partitionOfKey(map: number, exchange: number, ptr: number, len: number): number;
  /** Partition of interned symbol `id` (hash read from the table), pins first; or ERR_SYMBOL. */
  partitionOfSymbol(map: number, table: number, id: number): number;
  /** Partition (u16) of each tick record of a batch into `out`; per-partition byte totals into `partBytes` when not 0. */
  partitionBatch(map: number, table: number, src: number, bytes: number, out: number, outCap: number,
    partBytes: number, partCap: number, status: number): number;
}

/** The core's partition exports on `mem`. */
export function partitionCore(mem: TickwireMemory): PartitionExports {
  return mem.core as unknown as PartitionExports;
}
