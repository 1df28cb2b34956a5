// Records handed from the main thread to a worker through an SPSC ring, in place (docs/RINGS.md).
import { once } from "node:events";
import { TickwireMemory, SymbolTable, RingPool, TickView, Kind } from "tickwire";
import { startTickwireWorker } from "tickwire/node";

const mem = await TickwireMemory.create({ bytes: 16 << 20 });
const symbols = SymbolTable.create(mem, 1024);
const pool = RingPool.create(mem, [{ name: "ticks", type: "spsc", capacity: 1 << 20 }]);
const n = 1000;
// The worker attaches to the same memory and rings (a .js file once compiled).
const consumer = startTickwireWorker(new URL("./ring-worker.ts", import.meta.url), { mem, pool }, { symbols: symbols.offset, n });

const reliance = symbols.get(symbols.intern("NSE", "RELIANCE", 2));
const writer = pool.get("ticks").writer();
const at = writer.claim(64 * n);          // room for n LTP records (64 bytes each), in the ring itself
const tick = new TickView(mem.buffer);
for (let i = 0; i < n; i++) {
  tick.wrap(at + 64 * i).init(Kind.LTP).setSymbol(reliance);
  tick.seq = i;
  tick.ltp = (250_000 + 5 * i) / 100;     // 2500.00, 2500.05, …: at most the symbol's 2 decimals
}
console.log(`published ${writer.commit(64 * n)} ticks`);  // checks them, publishes them, returns the ticks published

const [summary] = await once(consumer, "message", { signal: AbortSignal.timeout(10_000) });
console.log(summary);
