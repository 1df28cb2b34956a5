// The parallel processor end to end: an in-memory source in the main thread routes
// batches of LTP ticks (each with its symbol's next sequence number) through the
// owners' ingest rings, the partition workers (last-value cache, fan-out ring) to a
// reader worker that checks every tick. Ticks/s for each worker count.
import { ParallelProcessor, startTickwireWorker } from "../../src/node/index.js";
import { TickSource, internSymbols } from "../../test/helpers/tick-source.js";
import { firstMessage } from "../../test/helpers/workers.js";
import { fmt, median, type ResultTable } from "./report.js";

const SYMBOLS = 50_000;
const BATCH = 4096;

async function runOnce(workers: number, ticks: number): Promise<{ perSecond: number; errors: string[] }> {
  const p = await ParallelProcessor.start({
    workers, maxWorkers: workers, maxSymbols: 65_536, ingestRingBytes: 1 << 21, fanoutRingBytes: 1 << 24, maxBatchRecords: BATCH,
  });
  try {
    const source = new TickSource(p.mem, internSymbols(p.symbols, SYMBOLS), BATCH, p.symbols);
    const batches = Math.ceil(ticks / BATCH);
    const go = p.mem.allocate(64);
    const checker = firstMessage(startTickwireWorker(new URL("../workers/fanout-checker.ts", import.meta.url), { mem: p.mem, pool: p.pool },
      { rings: workers, symbols: SYMBOLS, expected: batches * BATCH, go }), 180_000, "checker");
    while (Atomics.load(p.mem.i32, go >>> 2) === 0) await new Promise((r) => setTimeout(r, 1));
    const start = process.hrtime.bigint();
    for (let i = 0; i < batches; i++) await p.route(source.region, source.fill());
    const result = await checker;
    const seconds = (result.endNs - Number(start)) / 1e9;
    return { perSecond: result.total / seconds, errors: result.total === batches * BATCH ? result.errors : [...result.errors, `received ${result.total} of ${batches * BATCH}`] };
  } finally {
    await p.close();
  }
}

/** Ticks/s end to end for each count in `workerCounts` (median of `runs`). */
export async function processorTables(workerCounts: number[], ticks = 4_000_000, runs = 3): Promise<ResultTable[]> {
  const rows: (string | number)[][] = [];
  let base = 0;
  for (const n of workerCounts) {
    const rates: number[] = [];
    for (let r = 0; r < runs; r++) {
      const { perSecond, errors } = await runOnce(n, ticks);
      if (errors.length) throw new Error(`processor bench with ${n} workers: ${errors.join("; ")}`);
      rates.push(perSecond);
    }
    const m = median(rates);
    if (!base) base = m;
    rows.push([`${n} worker${n > 1 ? "s" : ""}`, m / 1e6, `${fmt(m / base)}×`]);
    console.log(`processor, ${n} workers: ${fmt(m / 1e6)} M ticks/s`);
  }
  return [{
    title: "Parallel processor end to end (M ticks/s)",
    columns: ["workers", "M ticks/s", "vs 1 worker"],
    rows,
    note: `${ticks.toLocaleString("en-US")} LTP ticks over ${SYMBOLS.toLocaleString("en-US")} symbols, batches of ${BATCH}: source and router in the main thread → partitionBatch + routeScatter → each owner's MPSC ingest ring → partition worker (last-value cache apply, copy to its broadcast fan-out ring) → one reader worker checking every tick's per-symbol sequence. Median of ${runs} runs. Threads: main + workers + reader, so on a 2-core machine more workers only add contention; run with --workers on a many-core machine to see scaling.`,
  }];
}
