import { test } from "uvu";
import * as assert from "uvu/assert";
import { TickView, Kind, layout as L, writeMessage, readMessage } from "../src/index.js";
import { startWorker } from "../src/node/start-worker.js";
import { setup, sampleTick } from "./helpers/fixtures.js";
import { firstMessage, WorkerGroup } from "./helpers/workers.js";

const WORKERS = 4;


test("workers instantiating the core on one memory keep each other's data, and see each other's writes", async () => {
  const { mem, table } = await setup(1 << 26, 1024);
  // Data the main thread wrote before any worker instantiated: it must survive their instantiation.
  const sentinel = mem.allocate(L.DEPTH_BYTES);
  const view = new TickView(mem.buffer);
  writeMessage(view.wrap(sentinel), sampleTick(Kind.DEPTH, 9), table);
  const before = mem.u8.slice(sentinel, sentinel + L.DEPTH_BYTES);
  const mailbox = mem.allocate(WORKERS * L.QUOTE_BYTES);
  const flags = mem.allocate(WORKERS * 4);

  const group = new WorkerGroup();
  let results: any[];
  try {
    results = await Promise.all(Array.from({ length: WORKERS }, (_, worker) => firstMessage(
      group.add(startWorker(new URL("./workers/core-worker.ts", import.meta.url), {
        workerData: { handle: mem.handle(), table: table.offset, worker, workers: WORKERS, iterations: 300, records: 256, mailbox, flags },
      })), 60_000)));
  } finally {
    await group.terminate();
  }

  results.forEach((r, w) => {
    assert.equal(r.errors, [], `worker ${w}`);
    assert.equal(r.common, results[0].common, `worker ${w} got other ids for the shared symbols`);
    assert.is(r.seen, 424242 + ((w + WORKERS - 1) % WORKERS), `worker ${w} did not see its neighbour's record`);
    assert.is(r.seenSymbol, `W${(w + WORKERS - 1) % WORKERS}S0`);
  });
  // Ids are dense and unique: 64 shared + 64 per worker + the sentinel's symbol.
  const all = new Set(results.flatMap((r) => [...r.common, ...r.own]));
  assert.is(all.size, 64 + 64 * WORKERS);
  assert.is(table.size, 64 + 64 * WORKERS + 1);
  for (const r of results) r.own.forEach((id: number, i: number) => assert.is(table.get(id).symbol, `W${results.indexOf(r)}S${i}`));
  assert.equal(mem.u8.slice(sentinel, sentinel + L.DEPTH_BYTES), before, "a worker's instantiation overwrote host data");
  assert.is(readMessage(view.wrap(sentinel), table).ltp, sampleTick(Kind.DEPTH, 9).ltp);
});

test.run();
