// Reads every fan-out ring of a processor and checks every tick (per ring, each symbol's
// seq only grows; counts per symbol), until it has seen `expected` ticks.
import { parentPort } from "node:worker_threads";
import { attachTickwire } from "../../src/node/index.js";
import { CheckingConsumer } from "../../test/helpers/tick-source.js";

interface Job { rings: number; symbols: number; expected: number; go: number }
const { mem, pool, data } = await attachTickwire<Job>();
const readers = Array.from({ length: data.rings }, (_, w) => pool!.get(`fanout-${w}`).reader());
const consumer = new CheckingConsumer(mem, readers, data.symbols);
Atomics.store(mem.i32, data.go >>> 2, 1);
Atomics.notify(mem.i32, data.go >>> 2);
const nap = new Int32Array(new SharedArrayBuffer(4));
const deadline = Date.now() + 120_000;
while (consumer.total < data.expected && Date.now() < deadline) {
  if (consumer.drain() === 0) Atomics.wait(nap, 0, 0, 0.05);
}
parentPort!.postMessage({ total: consumer.total, errors: consumer.errors, endNs: Number(process.hrtime.bigint()) });
