// Consistent hashing of symbols over partitions, in shared memory (docs/PARTITION.md).
import { TickwireMemory, SymbolTable, SymbolPartitioner, PartitionMap, TickView, Kind } from "tickwire";

const mem = await TickwireMemory.create({ bytes: 16 << 20 });
const symbols = SymbolTable.create(mem, 65_536);
const partitioner = SymbolPartitioner.create(mem, { partitions: 4, symbols });      // or [{ weight }, …]
for (let i = 0; i < 10_000; i++) symbols.intern("NSE", `STOCK${i}`, 2);
const id = symbols.intern("NFO", "NIFTY24DEC24000CE", 2);
console.log("NFO:NIFTY24DEC24000CE is on partition", partitioner.partitionOf("NFO", "NIFTY24DEC24000CE"));  // any key, interned or not
console.log("and by its id too:", partitioner.partitionOfId(id));                                            // an interned id

// The partition of every record of a batch, in one Wasm call
const n = 4, src = mem.allocate(64 * n), out = mem.allocate(2 * n);
const tick = new TickView(mem.buffer);
for (let i = 0; i < n; i++) tick.wrap(src + 64 * i).init(Kind.LTP).setSymbol(symbols.get(i)).ltp = 100 + i;
const count = partitioner.partitionBatch(src, 64 * n, out, n);
console.log(`partitionBatch: ${count} records → partitions`, [...new Uint16Array(mem.buffer, out, count)]);

const r = partitioner.addPartition({ weight: 1 });       // → { partition, epoch, moves, movedShare, unpinned }
const moved = partitioner.symbolsMoved(r);               // → [{ id, from, to }]: what to hand over
console.log(`added partition ${r.partition}: ${(100 * r.movedShare).toFixed(1)} % of the slots and ${moved.length} of ${symbols.size} symbols moved`);
partitioner.removePartition(2); partitioner.setWeight(1, 3); partitioner.setPartitions(8);
partitioner.pin("NFO", "BANKNIFTY24DEC51000CE", 3);
console.log("pinned BANKNIFTY24DEC51000CE to", partitioner.partitionOf("NFO", "BANKNIFTY24DEC51000CE"));
partitioner.unpin("NFO", "BANKNIFTY24DEC51000CE");
const ticksPerSecond = Array.from({ length: symbols.size }, (_, i) => (i % 100 === 0 ? 40 : 1)); // a few hot symbols
const b = partitioner.balance({ load: (i) => ticksPerSecond[i]! });
console.log(`balance: busiest partition at ${b.loadBefore.toFixed(3)}× its share, then ${b.loadAfter.toFixed(3)}×`);

// In a worker: the same map, read-only, from its offsets (done here in one thread)
const map = PartitionMap.attach(mem, partitioner.offset, SymbolTable.attach(mem, symbols.offset));
map.partitionBatch(src, 64 * n, out, n);
console.log(`a reader sees epoch ${map.epoch}; symbol ${id} is in slot ${map.slotOfId(id)}, partition ${map.partitionOfId(id)}`);
