// A worker for test/symbol-table.test.ts: waits for the start flag, then interns
// its list of keys as fast as it can, and returns the ids (or -1 and the error
// code for each key that failed).
import { parentPort, workerData } from "node:worker_threads";
import { TickwireMemory, SymbolTable, TickwireError, type MemoryHandle, type ExchangeName } from "../../src/index.js";

interface Job { handle: MemoryHandle; table: number; start: number; keys: [ExchangeName, string][] }
const job = workerData as Job;
const mem = await TickwireMemory.attach(job.handle);
const table = SymbolTable.attach(mem, job.table);
const start = job.start >>> 2;
Atomics.add(mem.i32, start + 1, 1); // ready
Atomics.wait(mem.i32, start, 0, 30_000);
const ids: number[] = [];
const errors: Record<string, number> = {};
for (const [exchange, symbol] of job.keys) {
  try {
    ids.push(table.intern(exchange, symbol, 2));
  } catch (e) {
    if (!(e instanceof TickwireError)) throw e;
    ids.push(-1);
    errors[e.code] = (errors[e.code] ?? 0) + 1;
  }
}
parentPort!.postMessage({ ids, errors });
