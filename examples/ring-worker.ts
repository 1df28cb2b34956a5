// The worker of examples/ring.ts: reads the ring's records where they lie.
import { parentPort } from "node:worker_threads";
import { SymbolTable, TickView } from "tickwire";
import { attachTickwire } from "tickwire/node";

const { mem, pool, data } = await attachTickwire<{ symbols: number; n: number }>();
const symbols = SymbolTable.attach(mem, data.symbols);
const reader = pool!.get("ticks").reader();
const tick = new TickView(mem.buffer);
let count = 0;
let last = "";
while (count < data.n) {
  if (!reader.wait(5000)) throw new Error("no records within 5 s");  // spins, then parks (Atomics.wait)
  count += reader.poll((offset) => {
    tick.wrap(offset);
    last = `${symbols.get(tick.symbolId).symbol} #${tick.seq} at ${tick.ltp}`;
  });
}
parentPort!.postMessage(`worker read ${count} ticks; the last: ${last}`);
