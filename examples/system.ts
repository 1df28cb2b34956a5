// The whole system in process: a simulated exchange, the workers, the WebSocket proxy, and the
// application's own ticks (for await) and last-value lookups, as a strategy embedding it would.
import { createSystem } from "tickwire/node";

const system = await createSystem({
  feed: { broker: "simulated", instruments: 500, ticksPerSecond: 20_000 },
  proxy: { port: 0, apiKeys: ["my-local-key-123"] },       // port 0: any free port
});
await system.start();
try {
  console.log(`proxy listening on ${system.url}`);
  const results = await system.subscribe([{ exchange: "NSE_INDEX", symbol: "NIFTY" }, { exchange: "NSE_INDEX", symbol: "BANKNIFTY" }], 2);
  console.log(results.map((r) => `${r.symbol}: ${r.ok ? "subscribed" : r.code}`).join(", "));
  let n = 0;
  for await (const tick of system.ticks()) {                // every tick the system carries
    console.log(`${tick.exchange}:${tick.symbol} ltp ${tick.ltp} volume ${tick.volume}`);
    if (++n === 5) break;                                    // breaking out detaches the iterator
  }
  const q = system.quote("NSE_INDEX", "NIFTY")!;             // from the last-value cache: plain numbers
  console.log(`NIFTY ${q.ltp} (open ${q.open}, ${q.percentChange} %), ltp() says ${system.ltp("NSE_INDEX", "NIFTY")}`);
} finally {
  await system.stop();                                       // graceful: clients closed, feed closed, workers joined
}
