// Joins a ring as its reader, says so, and parks in wait() on the empty ring until it is
// terminated: a reader that dies while parked.
import { parentPort } from "node:worker_threads";
import { attachTickwire } from "../../src/node/index.js";

const { pool, data } = await attachTickwire<{ ring: string }>();
const reader = pool!.get(data.ring).reader();
parentPort!.postMessage({ parked: true });
for (;;) reader.wait(60_000, 0);
