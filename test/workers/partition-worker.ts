// A worker for test/partition.test.ts: attaches to a partition map and the symbol
// table, and on each message partitions the batch it is told about, replying with
// the partitions it found and the map's epoch.
import { parentPort, workerData } from "node:worker_threads";
import { TickwireMemory, SymbolTable, PartitionMap, type MemoryHandle } from "../../src/index.js";

interface Job { handle: MemoryHandle; table: number; map: number }
const job = workerData as Job;
const mem = await TickwireMemory.attach(job.handle);
const map = PartitionMap.attach(mem, job.map, SymbolTable.attach(mem, job.table));
parentPort!.on("message", ({ src, bytes, count }: { src: number; bytes: number; count: number }) => {
  const out = mem.allocate(count * 2, 8);
  const n = map.partitionBatch(src, bytes, out, count);
  parentPort!.postMessage({ epoch: map.epoch, parts: Array.from(new Uint16Array(mem.buffer, out, n)) });
});
parentPort!.postMessage("ready");
