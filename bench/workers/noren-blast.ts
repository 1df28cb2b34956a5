// A Noren feed that sends as fast as the socket drains, for measuring clients: after the login
// (V1 or V2, any token) and a touchline subscribe, it sends each subscribed scrip's `tk`, then
// cycles through frames rendered once in advance by the simulated market (`tf`s of changed
// fields, as the simulated server renders them), keeping about 1 MiB in flight.
//   node --import tsx bench/workers/noren-blast.ts INSTRUMENTS
// prints its URL on stdout and serves until stdin closes.
import { WebSocketServer, type WebSocket } from "ws";
import { createUniverse } from "../../src/feed/sim/universe.js";
import { SimulatedMarket } from "../../src/feed/sim/market.js";

const instruments = Number(process.argv[2] ?? 2000);
const universe = createUniverse({ instruments, seed: 7 });
const market = new SimulatedMarket(universe, { seed: 7 });
market.setActive(universe.map((_, i) => i));
const sent = universe.map(() => market.norenSentState());
const snapshots = universe.map((_, i) => Buffer.from(market.norenTouchline(i, true, sent[i])));
const updates: Buffer[] = [];
const t0 = Date.now();
while (updates.length < 200_000) {
  const i = market.pick();
  market.step(i, t0 + updates.length);
  const f = market.norenTouchline(i, false, sent[i]);
  if (market.lastFrameFields > 0) updates.push(Buffer.from(f));
}

function blast(ws: WebSocket): void {
  let k = 0;
  const pump = (): void => {
    if (ws.readyState !== ws.OPEN) return;
    // Bounded per turn: once the peer is gone, sends stop adding to bufferedAmount, and an
    // unbounded loop would never yield (nor see the close, nor stdin's end).
    for (let n = 0; n < 2048 && ws.bufferedAmount < 1 << 20; n++) ws.send(updates[k++ % updates.length]!);
    setImmediate(pump);
  };
  for (const s of snapshots) ws.send(s);
  pump();
}

const wss = new WebSocketServer({ host: "127.0.0.1", port: 0, perMessageDeflate: false });
wss.on("connection", (ws) => {
  let started = false;
  ws.on("message", (data) => {
    const m = JSON.parse(data.toString()) as { t?: string };
    if (m.t === "c" || m.t === "a") ws.send(`{"t":"${m.t}k","s":"OK"}`);
    else if (m.t === "h") ws.send('{"t":"hk"}');
    else if (m.t === "t" && !started) {
      started = true;
      setTimeout(() => blast(ws), 200); // let the client's other subscribe messages arrive first
    }
  });
});
wss.on("listening", () => process.stdout.write(`ws://127.0.0.1:${(wss.address() as { port: number }).port}/\n`));
process.stdin.resume();
// Exit at once when the bench is done with us: a pump still writing to a socket the client
// left must not go on burning a core under the next suite.
process.stdin.on("end", () => process.exit(0));
