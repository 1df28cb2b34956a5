// A simulated exchange feeding the parallel processor (docs/FEED.md): no account, no network.
import { TickView } from "tickwire";
import { createAdapter, ParallelProcessor } from "tickwire/node";

const processor = await ParallelProcessor.start({ workers: 2 });
const context = {
  mem: processor.mem, symbols: processor.symbols,
  sink: (src: number, bytes: number) => processor.route(src, bytes), maxBatchBytes: processor.maxRouteBytes,
};
// A simulated exchange in process (no account, no network); "flattrade" / "shoonya" take
// { master: SymbolMaster.load(brokerCsv), credentials: () => ({ uid, susertoken }) } instead.
const feed = createAdapter({ broker: "simulated", instruments: 3000, ticksPerSecond: 100_000 }, context);
try {
  await feed.connect();
  const results = await feed.subscribe([
    { exchange: "NSE_INDEX", symbol: "NIFTY", mode: 3 },   // → { ok: true } once streaming
    { exchange: "NSE", symbol: "NO_SUCH", mode: 1 },       // → { ok: false, code: "SYMBOL_NOT_FOUND" }: one instrument, not the batch
  ]);
  for (const r of results) console.log(`${r.exchange}:${r.symbol}`, r.ok ? "subscribed" : `refused: ${r.code}`);
  await new Promise((resolve) => setTimeout(resolve, 500));  // let it stream for half a second
  const nifty = new TickView(processor.cache.snapshot(processor.symbols.find("NSE_INDEX", "NIFTY"))!); // its latest record
  console.log(`NIFTY ${nifty.ltp}, best bid ${nifty.bid} × ${nifty.bidQty}, ask ${nifty.ask} × ${nifty.askQty}`);
  console.log(`ticks processed: ${processor.stats().reduce((sum, w) => sum + w.processed, 0)}`);
} finally {
  await feed.disconnect();
  await processor.close();
}
