// The worker of examples/consumer.ts: opens the consumer from its handle and reads batches of
// ticks with `for await` — one view re-pointed at each tick, no object per tick.
import { parentPort, workerData } from "node:worker_threads";
import { Consumer } from "tickwire";

const consumer = await Consumer.attach(workerData.handle, { maxBatch: 256 });
const last = new Map<string, number>();
let ticks = 0;
for await (const batch of consumer) {       // breaking out (or consumer.close()) leaves the fan-out
  for (const tick of batch) {
    last.set(batch.instrument(tick.symbolId)!.symbol, tick.ltp);
    ticks++;
  }
  if (ticks >= workerData.ticks) break;
}
const s = consumer.stats();
parentPort!.postMessage(`worker read ${ticks} ticks in ${s.batches} batches (${s.dropped} dropped); last: ${[...last].map(([k, v]) => `${k} ${v}`).join(", ")}`);
