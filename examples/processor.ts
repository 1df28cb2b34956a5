// The parallel processor: records routed by consistent hash to partition workers, which keep the
// last-value cache and publish on their fan-out rings (docs/PROCESSOR.md).
import { TickView, Kind } from "tickwire";
import { ParallelProcessor } from "tickwire/node";

const p = await ParallelProcessor.start({ workers: 2 }, { onEvent: (e) => console.log(e) });
const names = ["RELIANCE", "TCS", "INFY", "HDFCBANK", "SBIN"];
const ids = names.map((name) => p.symbols.intern("NSE", name, 2));

// Write a batch of records with those symbol ids into a region of p.mem, then route it
const n = 1000;
const batch = p.mem.allocate(64 * n);
const tick = new TickView(p.mem.buffer);
for (let i = 0; i < n; i++) {
  tick.wrap(batch + 64 * i).init(Kind.LTP).setSymbol(p.symbols.get(ids[i % ids.length]!));
  tick.seq = i;
  tick.ltp = (100_000 + i) / 100;
}
const processed = () => p.stats().reduce((sum, w) => sum + w.processed, 0);
const settle = async (count: number) => {   // the workers process asynchronously: wait (bounded) for them
  for (const deadline = Date.now() + 5000; processed() < count; await new Promise((r) => setTimeout(r, 5))) {
    if (Date.now() > deadline) throw new Error(`only ${processed()} of ${count} ticks processed after 5 s`);
  }
};
console.log(`routed ${await p.route(batch, 64 * n)} ticks`);
await settle(n);
const resized = await p.resize(3);          // while ticks flow
console.log(`resized ${resized.from} → ${resized.to} workers, ${(100 * resized.movedShare).toFixed(1)} % of the symbols moved`);
await p.route(batch, 64 * n);
await settle(2 * n);
// After a `failed` event (a worker restarting too often), `await p.restartWorker(w)` brings it back.
console.log("ticks per worker:", p.stats().filter((w) => w.running).map((w) => w.processed));
const snapshot = new TickView(p.cache.snapshot(ids[0]!)!); // the latest record of RELIANCE, from any thread
console.log(`RELIANCE: ltp ${snapshot.ltp}, seq ${snapshot.seq}`);
await p.close();
