// Writes `total` records into a ring, in batches of mixed sizes and kinds, for the ring tests.
// Every record carries the writer's id (symbolId), its per-writer sequence number (seq) and
// a check value derived from both (ltp scaled = seq * 7 + id), so readers can verify each one.
import { parentPort } from "node:worker_threads";
import { attachTickwire } from "../../src/node/index.js";
import { TickView, Kind, layout as L } from "../../src/index.js";

interface Job { ring: string; id: number; total: number; maxBatch: number; kinds: number[]; start?: number; done?: number; gate?: { at: number; flag: number } }
const { mem, pool, data } = await attachTickwire<Job>();
const ring = pool!.get(data.ring);
const writer = ring.writer();
const v = new TickView(mem.buffer);
const sizes = [0, L.LTP_BYTES, L.QUOTE_BYTES, L.DEPTH_BYTES];
// Wait for the readers to be in place when asked to.
if (data.start !== undefined) while (Atomics.load(mem.i32, data.start >>> 2) === 0) Atomics.wait(mem.i32, data.start >>> 2, 0, 100);

let seq = 0;
let x = data.id * 7919 + 1;
while (seq < data.total) {
  // Hold at a point until a reader says so (a test's reader must get that far before the rest).
  if (data.gate && seq >= data.gate.at) {
    while (Atomics.load(mem.i32, data.gate.flag >>> 2) === 0) Atomics.wait(mem.i32, data.gate.flag >>> 2, 0, 100);
  }
  x = (x * 1103515245 + 12345) >>> 0;
  const kind = data.kinds[x % data.kinds.length]!;
  const size = sizes[kind]!;
  const n = Math.min(1 + ((x >>> 8) % data.maxBatch), data.total - seq, Math.floor(ring.maxClaim / size));
  const at = writer.claim(n * size, 10_000);
  for (let i = 0; i < n; i++) {
    v.wrap(at + i * size).init(kind as Kind);
    v.exchange = 1;
    v.symbolId = data.id;
    v.seq = seq;
    v.setScaled(L.OFF_LTP, seq * 7 + data.id);
    seq++;
  }
  writer.commit(n * size);
}
if (data.done !== undefined) {
  Atomics.add(mem.i32, data.done >>> 2, 1);
  Atomics.notify(mem.i32, data.done >>> 2);
}
parentPort!.postMessage({ written: seq });
