// The last-value cache: the latest record of every symbol, readable from any thread (docs/PARTITION.md).
import { TickwireMemory, SymbolTable, LastValueCache, TickView, Kind } from "tickwire";

const mem = await TickwireMemory.create({ bytes: 16 << 20 });
const symbols = SymbolTable.create(mem, 1024);
const cache = LastValueCache.create(mem, { capacity: symbols.capacity, maxKind: Kind.DEPTH });
const id = symbols.intern("NSE", "RELIANCE", 2);

// A batch of two records for RELIANCE: a QUOTE, then a newer LTP
const src = mem.allocate(192 + 64);
const tick = new TickView(mem.buffer);
tick.wrap(src).init(Kind.QUOTE).setSymbol(symbols.get(id));
tick.ltp = 2500.05; tick.open = 2490; tick.volume = 1_000_000;
tick.wrap(src + 192).init(Kind.LTP).setSymbol(symbols.get(id));
tick.ltp = 2501.1;

cache.apply(src, 192 + 64);                  // owner: merge a whole batch, one Wasm call
const latest = new TickView(cache.snapshot(id)!); // any thread: a copy, or undefined
console.log(`RELIANCE: ltp ${latest.ltp} (from the LTP), open ${latest.open} and volume ${latest.volume} (from the QUOTE); ${cache.updates(id)} updates`);

const dst = mem.allocate(4096);
console.log(`readInto: ${cache.readInto(id, dst)} bytes`);           // copy into shared memory: bytes, or 0
console.log("snapshotIds:", cache.snapshotIds([id], dst, 4096));      // a subscriber's symbols as one batch
console.log("snapshotRange:", cache.snapshotRange(0, symbols.size, dst, 4096)); // every symbol with a value, resumable
cache.forEach((record, i) => console.log(`forEach: symbol ${i} ${symbols.get(i).symbol} at ${record.ltp}`));

// In a worker: LastValueCache.attach(mem, cache.offset). A writer that a supervisor restarts gets an id
// of its own and stamps batches with their stream position, so a batch replayed after a restart is skipped.
const writer = LastValueCache.attach(mem, cache.offset, { writerId: 3 });
writer.apply(src, 192 + 64, 4096);
const before = cache.updates(id);
writer.apply(src, 192 + 64, 4096);           // the same batch again, as after a restart
console.log(`updates after writer 3's batch: ${before}; after its replay: ${cache.updates(id)} (skipped)`);
// Once writer 3's thread has ended (here: it is not used again), the supervisor says so:
console.log(`writerExited(3): ${cache.writerExited(3)}`);
