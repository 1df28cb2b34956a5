// The simulated Noren server in a process of its own (so the client being measured has its
// core to itself, and the server's clock stamps arrivals without waiting on the client's work):
//   node --import tsx bench/workers/noren-sim.ts INSTRUMENTS TICKS_PER_SECOND [SEED]
// prints its URL on stdout, then answers lines on stdin: "drop" (terminate every socket),
// "requests" (one JSON line: each connection's subscribe/unsubscribe arrival times, ms), and
// serves until stdin closes.
import { createInterface } from "node:readline";
import { NorenSimServer } from "../../src/feed/sim/noren-server.js";

const [instruments = "3000", ticksPerSecond = "100000", seed = "7"] = process.argv.slice(2);
const server = await NorenSimServer.start({ instruments: Number(instruments), ticksPerSecond: Number(ticksPerSecond), seed: Number(seed) });
process.stdout.write(`${server.url}\n`);
const lines = createInterface({ input: process.stdin });
lines.on("line", (line) => {
  if (line === "drop") process.stdout.write(`${JSON.stringify({ dropped: server.dropConnections() })}\n`);
  if (line === "requests") process.stdout.write(`${JSON.stringify(server.stats.perConnection.map((c) => ({ open: c.open && c.loggedIn, touchline: c.touchline, at: c.requests.map((r) => r.atMs), scrips: c.requests.map((r) => r.scrips) })))}\n`);
});
lines.on("close", () => {
  setTimeout(() => process.exit(0), 500).unref(); // never outlive the bench
  void server.close().then(() => process.exit(0));
});
