// A strategy in its own worker thread, fed by the system's fan-out: createConsumer subscribes its
// instruments and hands back a handle; the worker opens it (examples/consumer-worker.ts) and takes
// ticks in batches. `block` is lossless: the feed waits for it (and lets go of it if it stops).
import { once } from "node:events";
import { createSystem, startWorker } from "tickwire/node";

const system = await createSystem({ feed: { broker: "simulated", instruments: 500, ticksPerSecond: 20_000 }, proxy: false });
await system.start();
try {
  const handle = await system.createConsumer({
    instruments: [{ exchange: "NSE_INDEX", symbol: "NIFTY" }, { exchange: "NSE_INDEX", symbol: "BANKNIFTY" }],
    mode: 2,               // Quote
    policy: "block",       // or "conflate" (latest per symbol), "drop-oldest"
    detachAfterMs: 2000,   // a block consumer that stops reading this long is let go
    name: "momentum",
  });
  const worker = startWorker(new URL("./consumer-worker.ts", import.meta.url), { workerData: { handle, ticks: 500 } });
  const [summary] = await once(worker, "message");
  console.log(summary);
  const seen = system.sample()?.consumers.find((c) => c.name === "momentum");
  if (seen) console.log(`the monitor sees it: ${seen.state}, ${seen.delivered} delivered, lag ${seen.lagMs.toFixed(2)} ms`);
  await worker.terminate();
} finally {
  await system.stop();
}
