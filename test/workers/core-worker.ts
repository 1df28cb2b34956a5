// A worker for test/workers.test.ts: attaches to the shared memory, hammers the
// codec, the symbol table and the renderer in its own regions, and passes a record
// to the next worker through a shared mailbox.
import { parentPort, workerData } from "node:worker_threads";
import {
  TickwireMemory, SymbolTable, BatchCodec, JsonRenderer, StageView, TickView, Kind, layout as L,
  readMessage, toClientJson, type MemoryHandle,
} from "../../src/index.js";

interface Job {
  handle: MemoryHandle; table: number; worker: number; workers: number; iterations: number; records: number;
  mailbox: number; flags: number;
}
const job = workerData as Job;
const mem = await TickwireMemory.attach(job.handle);
const table = SymbolTable.attach(mem, job.table);
const codec = new BatchCodec(mem);
const renderer = new JsonRenderer(mem, table, { broker: `w${job.worker}`, bufferBytes: 1 << 18 });
const bytes = job.records * L.QUOTE_BYTES;
const stage = mem.allocate(bytes);
const recs = mem.allocate(bytes);
const back = mem.allocate(bytes);
const sv = new StageView(mem.buffer);
const tv = new TickView(mem.buffer);
const errors: string[] = [];

const common: number[] = [];
for (let i = 0; i < 64; i++) common.push(table.intern("NFO", `COMMON${i}`, 2));
const own: number[] = [];
for (let i = 0; i < 64; i++) own.push(table.intern("NSE", `W${job.worker}S${i}`, 2));

for (let it = 0; it < job.iterations && errors.length === 0; it++) {
  for (let i = 0; i < job.records; i++) {
    const v = job.worker * 1e6 + it * 1000 + i;
    sv.wrap(stage + i * L.QUOTE_BYTES).init(Kind.QUOTE);
    sv.symbolId = own[i % own.length]!;
    sv.exchange = 1;
    sv.priceDecimals = 2;
    sv.seq = v;
    sv.ltp = v / 100;
    sv.close = -v / 100;
    sv.volume = v * 3;
  }
  codec.encode(stage, bytes, recs);
  codec.decode(recs, bytes, back);
  for (let i = 0; i < job.records; i++) {
    const v = job.worker * 1e6 + it * 1000 + i;
    tv.wrap(recs + i * L.QUOTE_BYTES);
    sv.wrap(back + i * L.QUOTE_BYTES);
    if (tv.scaled(L.OFF_LTP) !== v || tv.seq !== v || sv.ltp !== v / 100 || sv.close !== -v / 100 || sv.volume !== v * 3) {
      errors.push(`iteration ${it} record ${i}: ltp ${tv.scaled(L.OFF_LTP)} seq ${tv.seq} != ${v}`);
      break;
    }
  }
  const n = renderer.render(recs, Math.min(bytes, 16 * L.QUOTE_BYTES), Kind.QUOTE, 1);
  for (let i = 0; i < n; i++) {
    const want = toClientJson(readMessage(tv.wrap(recs + i * L.QUOTE_BYTES), table), { broker: `w${job.worker}`, timestampMs: 1 });
    const got = new TextDecoder().decode(renderer.message(i).slice());
    if (got !== want) errors.push(`iteration ${it}: rendered ${got} != ${want}`);
  }
}

// Mailbox: write a record for the next worker, then read the one the previous worker wrote.
const slot = (w: number) => job.mailbox + w * L.QUOTE_BYTES;
tv.wrap(slot(job.worker)).init(Kind.QUOTE);
tv.exchange = 2;
tv.seq = 424242 + job.worker;
tv.symbolId = own[0]!;
Atomics.store(mem.i32, (job.flags >>> 2) + job.worker, 1);
Atomics.notify(mem.i32, (job.flags >>> 2) + job.worker);
const prev = (job.worker + job.workers - 1) % job.workers;
if (Atomics.wait(mem.i32, (job.flags >>> 2) + prev, 0, 10_000) === "timed-out") errors.push(`worker ${prev}'s mailbox flag never came`);
const seen = tv.wrap(slot(prev)).seq;
const seenSymbol = table.get(tv.symbolId).symbol;
parentPort!.postMessage({ errors, common, own, seen, seenSymbol });
