// An MPSC ingest ring into a worker, which republishes on a broadcast fan-out ring that the main
// thread reads (docs/RINGS.md). Every record stays in the shared memory: nothing is posted.
import { once } from "node:events";
import { TickwireMemory, SymbolTable, RingPool, TickView, Kind } from "tickwire";
import { startTickwireWorker } from "tickwire/node";

const mem = await TickwireMemory.create({ bytes: 32 << 20 });
const symbols = SymbolTable.create(mem, 1024);
const pool = RingPool.create(mem, [
  { name: "ingest", type: "mpsc", capacity: 1 << 20 },
  { name: "fanout", type: "broadcast", capacity: 1 << 22 },
]);
const n = 1000;
const fanout = pool.get("fanout").reader();  // a broadcast reader sees what is published after it joined
const worker = startTickwireWorker(new URL("./rings-worker.ts", import.meta.url), { mem, pool }, { role: "partition-0", n });

// writer
const tcs = symbols.get(symbols.intern("NSE", "TCS", 2));
const w = pool.get("ingest").writer();
const at = w.claim(n * 64, 1000);    // or tryClaim(bytes): -1 when full
const tick = new TickView(mem.buffer);
for (let i = 0; i < n; i++) {        // write n records at `at` (TickView, or BatchCodec.encode straight into the ring)
  tick.wrap(at + 64 * i).init(Kind.LTP).setSymbol(tcs);
  tick.seq = i;
  tick.ltp = (400_000 + i) / 100;
}
console.log(`committed ${w.commit(n * 64)} ticks to the ingest ring`);  // checks the records; returns how many ticks it published

// reader of the fan-out, on this thread's event loop
let received = 0;
let sum = 0;
while (received < n) {
  if (!(await fanout.waitAsync(5000))) throw new Error("nothing on the fan-out ring within 5 s");
  received += Math.max(0, fanout.poll((offset) => { sum += tick.wrap(offset).ltp; }));  // -1: overwritten (lapped), counted in fanout.lost
}
console.log(`read ${received} ticks back from the fan-out ring (lost ${fanout.lost}), ltp sum ${sum.toFixed(2)}`);
const [code] = await once(worker, "exit", { signal: AbortSignal.timeout(5000) });
console.log(`worker exited with code ${code}`);
