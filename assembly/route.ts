// Routing: copies each record of a batch to the region of its destination, in
// one call per batch. The destinations come from partitionBatch (one u16 per tick
// record, padding skipped); the caller claimed one region per destination, sized
// by partitionBatch's per-partition byte counts.

import { KIND_PADDING, OFF_KIND, OFF_LENGTH } from "../src/format/layout";

/**
 * For the k-th tick record of the batch at `src` (`bytes` long), copies it to
 * `cursors[dest[k]]` (u32 offsets, one per destination) and advances that cursor.
 * Returns the number of records copied. The batch must have been validated (e.g.
 * by partitionBatch, which walks it the same way).
 */
export function routeScatter(src: usize, bytes: u32, dest: usize, cursors: usize): i32 {
  const end = src + <usize>bytes;
  let p = src;
  let k: usize = 0;
  while (p < end) {
    const length = <usize>load<u16>(p, OFF_LENGTH);
    if (length == 0) break; // unreachable for a validated batch; never loop forever
    if (load<u8>(p, OFF_KIND) != <u8>KIND_PADDING) {
      const cell = cursors + (<usize>load<u16>(dest + (k << 1)) << 2);
      const at = <usize>load<u32>(cell);
      memory.copy(at, p, length);
      store<u32>(cell, <u32>(at + length));
      k++;
    }
    p += length;
  }
  return <i32>k;
}
