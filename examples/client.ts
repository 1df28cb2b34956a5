// tickwire/client against a proxy: authenticate, subscribe, `for await` over ticks. It runs in
// Node (pass ws's WebSocket) and in browsers (the global one). A local system stands in for a server.
import WebSocket from "ws";
import { TickwireClient } from "tickwire/client";
import { createSystem } from "tickwire/node";

const system = await createSystem({ feed: { broker: "simulated", instruments: 500 }, proxy: { port: 0, apiKeys: ["my-local-key-123"] } });
await system.start();
try {
  const client = await TickwireClient.connect({ url: system.url!, apiKey: "my-local-key-123", format: "binary", WebSocket });
  const entries = await client.subscribe([{ exchange: "NSE_INDEX", symbol: "NIFTY" }, { exchange: "NSE", symbol: "NO_SUCH" }], 3);
  for (const e of entries) console.log(`${e.exchange}:${e.symbol}`, e.ok ? "subscribed" : `refused: ${e.code}`);
  let n = 0;
  for await (const t of client.ticks()) {
    const best = t.depth ? `bid ${t.depth.buy[0]!.price} × ${t.depth.buy[0]!.quantity}, ask ${t.depth.sell[0]!.price}` : "";
    console.log(`${t.symbol} ${t.ltp} ${best}`);
    if (++n === 3) break;
  }
  console.log(`round trip ${(await client.ping()).toFixed(2)} ms`);
  await client.close();
} finally {
  await system.stop();
}
