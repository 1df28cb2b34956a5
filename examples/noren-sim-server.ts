// A Noren (Flattrade/Shoonya) market-data server on a real WebSocket, and tickwire's Flattrade
// adapter logged in to it over loopback (docs/NOREN.md): no account, no network beyond 127.0.0.1.
import { TickwireMemory, SymbolTable, TickView, Mode } from "tickwire";
import { NorenSimServer, NOREN_SIM_DEMO_ACCOUNT, createAdapter } from "tickwire/node";

const server = await NorenSimServer.start({ instruments: 3000, seed: 1, ticksPerSecond: 2000 });
// server.url = "ws://127.0.0.1:PORT/"; log in as NOREN_SIM_DEMO_ACCOUNT (or options.accounts)
const mem = await TickwireMemory.create({ bytes: 64 << 20 });
const symbols = SymbolTable.create(mem, 4096);
const tick = new TickView(mem.buffer);
const last = new Map<number, number>();
let ticks = 0;
const sink = (src: number, bytes: number): number => {   // a batch of records the adapter parsed in Wasm
  let n = 0;
  for (let at = src; at < src + bytes; at += tick.length, n++) {
    tick.wrap(at);
    last.set(tick.symbolId, tick.ltp);
  }
  ticks += n;
  return n;
};
const feed = createAdapter({ broker: "flattrade", url: server.url, credentials: NOREN_SIM_DEMO_ACCOUNT, master: server.master }, { mem, symbols, sink });
try {
  await feed.connect();
  const results = await feed.subscribe(server.universe.slice(0, 5).map((r) => ({ exchange: r.exchange, symbol: r.symbol, mode: Mode.QUOTE })));
  console.log(`subscribed ${results.filter((r) => r.ok).length} of ${results.length} over ${server.url}`);
  await new Promise((resolve) => setTimeout(resolve, 1000));
  console.log(`${ticks} ticks in 1 s; last prices:`);
  for (const [id, ltp] of last) console.log(`  ${symbols.get(id).exchange}:${symbols.get(id).symbol} ${ltp}`);
} finally {
  await feed.disconnect();
  await server.close();
}
