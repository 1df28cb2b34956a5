// SymbolPartitioner / PartitionMap: balance and movement over 50 000 real-looking
// keys, weights, pins, the batch API, the slot assignment's minimal moves, bad input.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { TickView, Kind, layout as L, TickwireError, TickwireMemory, SymbolTable } from "../src/index.js";
import { SymbolPartitioner } from "../src/partition/symbol-partitioner.js";
import { PartitionMap } from "../src/partition/partition-map.js";
import { assignSlots, emptyTable, slotQuotas } from "../src/partition/slot-assignment.js";
import { PARTITION_NONE } from "../src/partition/layout.js";
import { nseSymbolKeys } from "./helpers/nse-symbols.js";
import { rng } from "./helpers/fixtures.js";
import { startWorker } from "../src/node/start-worker.js";
import { throwsCode } from "./helpers/assertions.js";

const KEYS = nseSymbolKeys(50_000);
const mem = await TickwireMemory.create({ bytes: 1 << 27 });
const symbols = SymbolTable.create(mem, 65_536);
const ids = KEYS.map((k) => symbols.intern(k.exchange, k.symbol));

function loads(p: PartitionMap, n: number): number[] {
  const counts = new Array<number>(n).fill(0);
  for (const id of ids) counts[p.partitionOfId(id)]!++;
  return counts;
}


test("the key set looks like NSE: 50 000 distinct keys, equities and F&O contracts", () => {
  assert.is(new Set(KEYS.map((k) => `${k.exchange}:${k.symbol}`)).size, 50_000);
  const symbolsOf = new Set(KEYS.map((k) => k.symbol));
  for (const s of ["RELIANCE", "M&M", "NIFTY24DEC24000CE", "BANKNIFTY24DEC51000PE", "NIFTY24DECFUT", "NIFTY24D1924000CE"]) {
    assert.ok(symbolsOf.has(s), s);
  }
  assert.is(symbols.size, 50_000);
});

test("50 000 symbols over 16 partitions: max/mean load ≤ 1.05, and key, id and batch lookups agree", () => {
  const p = SymbolPartitioner.create(mem, { partitions: 16, symbols });
  const counts = loads(p, 16);
  const ratio = Math.max(...counts) / (50_000 / 16);
  assert.ok(ratio <= 1.05, `max/mean ${ratio}`);
  assert.ok(Math.min(...counts) / (50_000 / 16) >= 0.95, `min/mean ${Math.min(...counts) / (50_000 / 16)}`);
  for (let i = 0; i < KEYS.length; i += 97) {
    assert.is(p.partitionOf(KEYS[i]!.exchange, KEYS[i]!.symbol), p.partitionOfId(ids[i]!), KEYS[i]!.symbol);
  }
  assert.equal(p.partitions.map((x) => x.slots), new Array(16).fill(1024));
});

test("16 → 17 moves 1/17 of the keys (within 10%), every one to the new partition; removing it moves back only its keys", () => {
  const p = SymbolPartitioner.create(mem, { partitions: 16, symbols });
  const before = ids.map((id) => p.partitionOfId(id));
  const added = p.addPartition();
  assert.is(added.partition, 16);
  const after = ids.map((id) => p.partitionOfId(id));
  let moved = 0;
  for (let i = 0; i < ids.length; i++) {
    if (before[i] === after[i]) continue;
    moved++;
    assert.is(after[i], 16, `key ${KEYS[i]!.symbol} moved between old partitions`);
  }
  const share = moved / ids.length;
  assert.ok(Math.abs(share - 1 / 17) <= 0.1 / 17, `moved ${share}, ideal ${1 / 17}`);
  assert.ok(Math.abs(added.movedShare - 1 / 17) < 1 / 16384, `slots moved ${added.movedShare}`);
  // Every old partition gave up its surplus, evenly: 963 or 964 slots each left.
  for (const info of p.partitions) assert.ok(info.slots === 963 || info.slots === 964, `partition ${info.partition}: ${info.slots} slots`);
  const moves = p.symbolsMoved(added);
  assert.is(moves.length, moved);
  for (const m of moves) assert.equal([m.from, m.to], [before[m.id], after[m.id]]);

  const removed = p.removePartition(16);
  const back = ids.map((id) => p.partitionOfId(id));
  for (let i = 0; i < ids.length; i++) {
    if (after[i] !== 16) assert.is(back[i], after[i], `key ${KEYS[i]!.symbol} of a kept partition moved`);
    else assert.ok(back[i]! < 16);
  }
  assert.is(removed.moves.length, added.moves.length);
  assert.equal(p.partitions.map((x) => x.slots), new Array(16).fill(1024));
});

test("removing a middle partition moves only its keys, spread over all the others", () => {
  const p = SymbolPartitioner.create(mem, { partitions: 16, symbols });
  const before = ids.map((id) => p.partitionOfId(id));
  p.removePartition(5);
  const after = ids.map((id) => p.partitionOfId(id));
  const receivers = new Set<number>();
  for (let i = 0; i < ids.length; i++) {
    if (before[i] !== 5) assert.is(after[i], before[i]);
    else receivers.add(after[i]!);
  }
  assert.is(receivers.size, 15);
  throwsCode(() => p.partitionOfId(-1), "SYMBOL");
  throwsCode(() => p.removePartition(5), "ARGUMENT", /not a partition/);
});

test("weights are honoured: slots exactly, keys within 4% of their share; reweighing moves keys to or from that partition only", () => {
  const weights = [1, 2, 3, 4];
  const p = SymbolPartitioner.create(mem, { partitions: weights.map((weight) => ({ weight })), symbols });
  const info = p.partitions;
  weights.forEach((w, i) => assert.ok(Math.abs(info[i]!.slots - (16384 * w) / 10) <= 1, `slots of ${i}: ${info[i]!.slots}`));
  const counts = loads(p, 4);
  weights.forEach((w, i) => {
    const share = counts[i]! / ids.length;
    assert.ok(Math.abs(share / (w / 10) - 1) < 0.04, `partition ${i} weight ${w}: share ${share}`);
  });
  const before = ids.map((id) => p.partitionOfId(id));
  p.setWeight(3, 1); // 1,2,3,1: partition 3 gives slots to the others
  const after = ids.map((id) => p.partitionOfId(id));
  for (let i = 0; i < ids.length; i++) if (before[i] !== after[i]) assert.is(before[i], 3);
  const shares = loads(p, 4).map((c) => c / ids.length);
  [1, 2, 3, 1].forEach((w, i) => assert.ok(Math.abs(shares[i]! / (w / 7) - 1) < 0.04, `after reweigh ${i}: ${shares[i]}`));
  // Weight 0 drains a partition of every slot, and it can come back.
  p.setWeight(0, 0);
  assert.is(p.partitions[0]!.slots, 0);
  assert.not.ok(loads(p, 4)[0]);
  p.setWeight(0, 1);
  assert.ok(Math.abs(p.partitions[0]!.slots - 16384 / 7) <= 1);
});

test("pins override the slots for one key, through every lookup, before or after the key is interned", () => {
  const p = SymbolPartitioner.create(mem, { partitions: 8, symbols, maxPins: 4 });
  const id = symbols.find("NFO", "NIFTY24DEC24000CE");
  const home = p.partitionOfId(id);
  const target = (home + 3) % 8;
  const epoch = p.epoch;
  p.pin("NFO", "NIFTY24DEC24000CE", target);
  assert.ok(p.epoch > epoch);
  assert.is(p.partitionOfId(id), target);
  assert.is(p.partitionOf("NFO", "NIFTY24DEC24000CE"), target);
  assert.is(p.partitionOf("NSE", "NIFTY24DEC24000CE"), p.partitionOf("NSE", "NIFTY24DEC24000CE"), "same name, other exchange: not pinned");
  assert.equal([...p.pins], [["NFO:NIFTY24DEC24000CE", target]]);
  // The batch path sees the pin too.
  const batch = mem.allocate(L.LTP_BYTES * 2);
  const view = new TickView(mem.buffer);
  for (const [i, sid] of [id, ids[1]!].entries()) {
    view.wrap(batch + i * L.LTP_BYTES).init(Kind.LTP);
    view.setSymbol(symbols.get(sid));
  }
  const out = mem.allocate(8, 8);
  assert.is(p.partitionBatch(batch, 2 * L.LTP_BYTES, out, 2), 2);
  assert.is(mem.u8[out]! | (mem.u8[out + 1]! << 8), target);
  // Re-pin, unpin.
  p.pin("NFO", "NIFTY24DEC24000CE", home);
  assert.is(p.partitionOfId(id), home);
  assert.ok(p.unpin("NFO", "NIFTY24DEC24000CE"));
  assert.not.ok(p.unpin("NFO", "NIFTY24DEC24000CE"));
  assert.is(p.partitionOfId(id), home);
  // A key pinned before it is interned.
  p.pin("NSE", "NEWLISTING", 6);
  assert.is(p.partitionOf("NSE", "NEWLISTING"), 6);
  assert.is(p.partitionOfId(symbols.intern("NSE", "NEWLISTING")), 6);
  // Removing a partition drops its pins and says so; the symbol then follows its slot.
  const r = p.removePartition(6);
  assert.equal(r.unpinned, [{ key: "NSE:NEWLISTING", partition: 6 }]);
  const moved = p.symbolsMoved(r).find((m) => m.id === symbols.find("NSE", "NEWLISTING"));
  assert.is(moved?.from, 6);
  assert.is.not(p.partitionOf("NSE", "NEWLISTING"), 6);
  // Bad pins.
  throwsCode(() => p.pin("NSE", "RELIANCE", 6), "ARGUMENT", /not a partition/);
  throwsCode(() => p.pin("NSE", 'BAD"NAME', 1), "SYMBOL");
  throwsCode(() => p.pin("XYZ" as "NSE", "RELIANCE", 1), "EXCHANGE");
  p.pin("NSE", "A1", 1);
  p.pin("NSE", "A2", 1);
  throwsCode(() => p.pin("NSE", "A3", 1), "TABLE_FULL", /maxPins/);
});

test("partitionBatch: one call partitions a batch of mixed kinds, skips padding, totals bytes per partition, and agrees with per-id lookups", () => {
  const p = SymbolPartitioner.create(mem, { partitions: 6, symbols });
  const random = rng(11);
  const kinds = [Kind.LTP, Kind.QUOTE, Kind.DEPTH];
  const bytes = 1 << 20;
  const batch = mem.allocate(bytes);
  const view = new TickView(mem.buffer);
  const chosen: number[] = [];
  let off = 0;
  while (off + 2 * L.DEPTH_BYTES <= bytes) {
    if (random() < 0.05) { // a padding record of 1..3 slots
      const len = 64 * (1 + Math.floor(random() * 3));
      mem.u8.fill(0, batch + off, batch + off + len);
      mem.u8[batch + off] = len & 0xff;
      mem.u8[batch + off + 1] = len >> 8;
      mem.u8[batch + off + L.OFF_KIND] = L.KIND_PADDING;
      mem.u8[batch + off + L.OFF_VERSION] = L.FORMAT_VERSION;
      off += len;
      continue;
    }
    const kind = kinds[Math.floor(random() * 3)]!;
    const id = ids[Math.floor(random() * ids.length)]!;
    view.wrap(batch + off).init(kind);
    view.setSymbol(symbols.get(id));
    chosen.push(id);
    off += view.length;
  }
  const out = mem.allocate(chosen.length * 2, 8);
  const partBytes = mem.allocate(p.partitionLimit * 4, 8);
  const n = p.partitionBatch(batch, off, out, chosen.length, partBytes);
  assert.is(n, chosen.length);
  const outView = new Uint16Array(mem.buffer, out, n);
  const totals = new Array<number>(6).fill(0);
  let k = 0;
  for (let o = 0; o < off; o += view.length) {
    view.wrap(batch + o);
    if (view.kind === L.KIND_PADDING) continue;
    assert.is(outView[k], p.partitionOfId(chosen[k]!), `record ${k}`);
    totals[outView[k]!]! += view.length;
    k++;
  }
  assert.equal(Array.from(new Uint32Array(mem.buffer, partBytes, 6)), totals);
});

test("partitionBatch refuses bad batches with the failing record's index", () => {
  const p = SymbolPartitioner.create(mem, { partitions: 2, symbols });
  const batch = mem.allocate(4 * L.LTP_BYTES);
  const view = new TickView(mem.buffer);
  for (let i = 0; i < 4; i++) {
    view.wrap(batch + i * L.LTP_BYTES).init(Kind.LTP);
    view.setSymbol(symbols.get(ids[i]!));
  }
  const out = mem.allocate(64, 8);
  assert.is(p.partitionBatch(batch, 4 * L.LTP_BYTES, out, 4), 4);
  const err = (fn: () => unknown, code: string, index: number) => {
    try {
      fn();
      assert.unreachable("no error");
    } catch (e) {
      assert.is((e as TickwireError).code, code);
      assert.is((e as TickwireError).recordIndex, index, (e as Error).message);
    }
  };
  err(() => p.partitionBatch(batch, 4 * L.LTP_BYTES, out, 3), "OUTPUT_FULL", 3);
  err(() => p.partitionBatch(batch, 4 * L.LTP_BYTES - 8, out, 4), "TRUNCATED", 3);
  view.wrap(batch + 2 * L.LTP_BYTES).symbolId = 60_000; // beyond the table's 50 000-odd ids
  err(() => p.partitionBatch(batch, 4 * L.LTP_BYTES, out, 4), "SYMBOL", 2);
  view.symbolId = ids[2]!;
  view.exchange = symbols.get(ids[2]!).exchange === "NSE" ? 3 : 1; // the table is authoritative: routing refuses a record that disagrees
  err(() => p.partitionBatch(batch, 4 * L.LTP_BYTES, out, 4), "EXCHANGE", 2);
  view.setSymbol(symbols.get(ids[2]!));
  mem.u8[batch + 2 * L.LTP_BYTES + L.OFF_PRICE_DECIMALS] = 4;
  err(() => p.partitionBatch(batch, 4 * L.LTP_BYTES, out, 4), "DECIMALS", 2);
  view.wrap(batch + 2 * L.LTP_BYTES).setSymbol(symbols.get(ids[2]!));
  mem.u8[batch + L.LTP_BYTES] = 0; // record 1: length 0
  err(() => p.partitionBatch(batch, 4 * L.LTP_BYTES, out, 4), "LENGTH", 1);
  throwsCode(() => p.partitionBatch(batch, 64, out + 1, 4), "REGION", /aligned/);
  const bare = SymbolPartitioner.create(mem, { partitions: 2 });
  throwsCode(() => bare.partitionBatch(batch, 64, out, 4), "ARGUMENT", /without a symbol table/);
  throwsCode(() => bare.partitionOfId(0), "ARGUMENT", /without a symbol table/);
});

test("balance() evens out the interned symbols to within 0.5% by swapping a few slots; slot counts and later minimal moves are kept", () => {
  const p = SymbolPartitioner.create(mem, { partitions: 16, symbols });
  const before = ids.map((id) => p.partitionOfId(id));
  const r = p.balance();
  const after = ids.map((id) => p.partitionOfId(id));
  const counts = loads(p, 16);
  assert.ok(Math.max(...counts) / (50_000 / 16) <= 1.005, `max/mean ${Math.max(...counts) / (50_000 / 16)}`);
  assert.ok(Math.min(...counts) / (50_000 / 16) >= 0.995, `min/mean ${Math.min(...counts) / (50_000 / 16)}`);
  assert.ok(r.loadAfter <= 1.005 && r.loadBefore > r.loadAfter, `${r.loadBefore} → ${r.loadAfter}`);
  assert.equal(p.partitions.map((x) => x.slots), new Array(16).fill(1024), "every partition keeps its slot count");
  const moved = ids.filter((_, i) => before[i] !== after[i]).length;
  assert.ok(moved / ids.length <= 0.02, `moved ${moved / ids.length}`);
  assert.is(Math.round(r.movedLoadShare * ids.length), moved);
  const listed = p.symbolsMoved(r);
  assert.is(listed.length, moved);
  for (const m of listed) assert.equal([m.from, m.to], [before[m.id], after[m.id]]);
  // A partition added afterwards still takes 1/17 from all, only to itself.
  const added = p.addPartition();
  const next = ids.map((id) => p.partitionOfId(id));
  const moved17 = ids.filter((_, i) => after[i] !== next[i]);
  assert.ok(Math.abs(moved17.length / ids.length - 1 / 17) <= 0.1 / 17);
  for (const m of p.symbolsMoved(added)) assert.is(m.to, 16);
});

test("balance() with weights, a per-symbol load (tick rates) and pins", () => {
  const p = SymbolPartitioner.create(mem, { partitions: [{ weight: 1 }, { weight: 2 }, { weight: 3 }, { weight: 4 }], symbols });
  p.balance();
  const shares = loads(p, 4).map((c) => c / ids.length);
  [1, 2, 3, 4].forEach((w, i) => assert.ok(Math.abs(shares[i]! / (w / 10) - 1) <= 0.005, `partition ${i}: ${shares[i]}`));
  // Index options tick ten times as often as anything else: balance the ticks, not the symbols.
  const rate = (id: number) => (/^(NIFTY|BANKNIFTY|FINNIFTY)/.test(symbols.get(id).symbol) ? 10 : 1);
  const q = SymbolPartitioner.create(mem, { partitions: 8, symbols });
  const pinnedId = symbols.find("NFO", "BANKNIFTY24DEC51000CE");
  q.pin("NFO", "BANKNIFTY24DEC51000CE", 7);
  const r = q.balance({ load: (id) => (id === pinnedId ? 5000 : rate(id)), maxMovedShare: 0.25 });
  const ticks = new Array<number>(8).fill(0);
  for (const id of ids) ticks[q.partitionOfId(id)] += id === pinnedId ? 5000 : rate(id);
  const mean = ticks.reduce((a, b) => a + b) / 8;
  assert.ok(Math.max(...ticks) / mean <= 1.01, `ticks max/mean ${Math.max(...ticks) / mean} (report ${r.loadBefore} → ${r.loadAfter})`);
  assert.is(q.partitionOfId(pinnedId), 7, "the pin holds");
  assert.ok(ticks[7]! >= 5000);
  const bad = (load: (id: number) => number) => throwsCode(() => q.balance({ load }), "ARGUMENT", /load of symbol/);
  bad(() => -1);
  bad(() => Number.NaN);
  throwsCode(() => SymbolPartitioner.create(mem, { partitions: 2 }).balance(), "ARGUMENT", /without a symbol table/);
});

test("slot assignment: exact quotas and the fewest moves over 300 random changes", () => {
  const random = rng(5);
  const table = emptyTable(1024);
  const weights = new Map<number, number>([[0, 1]]);
  let moves = assignSlots(table, slotQuotas(1024, weights));
  assert.is(moves.length, 1024);
  for (let step = 0; step < 300; step++) {
    const r = random();
    const present = [...weights.keys()];
    if (r < 0.4 && weights.size < 40) {
      let q = 0;
      while (weights.has(q)) q++;
      weights.set(q, 0.5 + random() * 3);
    } else if (r < 0.7 && weights.size > 1) {
      weights.delete(present[Math.floor(random() * present.length)]!);
    } else {
      weights.set(present[Math.floor(random() * present.length)]!, 0.1 + random() * 3);
    }
    const quotas = slotQuotas(1024, weights);
    const owned = new Map<number, number>();
    for (const p of table) owned.set(p, (owned.get(p) ?? 0) + 1);
    let minimal = 0; // slots of removed partitions + every surplus
    for (const [p, n] of owned) minimal += quotas.has(p) ? Math.max(0, n - quotas.get(p)!) : n;
    const before = table.slice();
    moves = assignSlots(table, quotas);
    assert.is(moves.length, minimal, `step ${step}`);
    for (const m of moves) assert.equal([before[m.slot], table[m.slot]], [m.from, m.to]);
    const after = new Map<number, number>();
    for (const p of table) after.set(p, (after.get(p) ?? 0) + 1);
    for (const [p, q] of quotas) assert.is(after.get(p) ?? 0, q, `step ${step} partition ${p}`);
    assert.not.ok(table.includes(PARTITION_NONE));
  }
});

test("slot quotas: largest remainder, within one slot of the exact share, ties to the lower number", () => {
  assert.equal([...slotQuotas(10, new Map([[0, 1], [1, 1], [2, 1]]))], [[0, 4], [1, 3], [2, 3]]);
  assert.equal([...slotQuotas(16, new Map([[3, 1], [1, 3]]))], [[1, 12], [3, 4]]);
  throwsCode(() => slotQuotas(16, new Map([[0, 0]])), "ARGUMENT", /above 0/);
});

test("PartitionMap.attach (a reader, as a worker holds one) sees the same map, and later changes", async () => {
  const p = SymbolPartitioner.create(mem, { partitions: 4, symbols });
  const reader = PartitionMap.attach(mem, p.offset, symbols);
  for (let i = 0; i < ids.length; i += 101) assert.is(reader.partitionOfId(ids[i]!), p.partitionOfId(ids[i]!));
  const epoch = reader.epoch;
  p.addPartition({ weight: 2 });
  assert.is(reader.epoch, epoch + 1);
  assert.is(reader.partitionLimit, 5);
  for (let i = 0; i < ids.length; i += 101) assert.is(reader.partitionOfId(ids[i]!), p.partitionOfId(ids[i]!));
  throwsCode(() => PartitionMap.attach(mem, p.offset + 64), "HANDLE");
});

test("a worker partitions a batch as the main thread does, and follows a rebalance made by the main thread", async () => {
  const p = SymbolPartitioner.create(mem, { partitions: 4, symbols });
  const count = 2000;
  const src = mem.allocate(count * L.LTP_BYTES);
  const view = new TickView(mem.buffer);
  for (let i = 0; i < count; i++) {
    view.wrap(src + i * L.LTP_BYTES).init(Kind.LTP);
    view.setSymbol(symbols.get(ids[(i * 24_989) % ids.length]!));
  }
  const worker = startWorker(new URL("./workers/partition-worker.ts", import.meta.url), {
    workerData: { handle: mem.handle(), table: symbols.offset, map: p.offset },
  });
  const next = () => new Promise<any>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("worker timed out")), 30_000);
    worker.once("message", (m) => { clearTimeout(timer); resolve(m); });
    worker.once("error", (e) => { clearTimeout(timer); reject(e); });
  });
  try {
    assert.is(await next(), "ready");
    const expected = () => Array.from({ length: count }, (_, i) => p.partitionOfId(view.wrap(src + i * L.LTP_BYTES).symbolId));
    worker.postMessage({ src, bytes: count * L.LTP_BYTES, count });
    const first = await next();
    assert.equal(first.parts, expected());
    assert.is(first.epoch, p.epoch);
    p.addPartition();
    p.pin("NSE", "RELIANCE", 4);
    view.wrap(src).symbolId = symbols.find("NSE", "RELIANCE");
    worker.postMessage({ src, bytes: count * L.LTP_BYTES, count });
    const second = await next();
    assert.equal(second.parts, expected());
    assert.is(second.parts[0], 4);
    assert.is(second.epoch, p.epoch);
    assert.ok(second.parts.some((x: number) => x === 4));
  } finally {
    await worker.terminate();
  }
});

test("bad options and keys get clear errors", () => {
  throwsCode(() => SymbolPartitioner.create(mem, { partitions: 0 }), "ARGUMENT", /partitions/);
  throwsCode(() => SymbolPartitioner.create(mem, { partitions: 20, slotBits: 4 }), "ARGUMENT", /1 to 16/);
  throwsCode(() => SymbolPartitioner.create(mem, { partitions: 2, slotBits: 17 }), "ARGUMENT", /slotBits/);
  throwsCode(() => SymbolPartitioner.create(mem, { partitions: [{ weight: -1 }] }), "ARGUMENT", /weight/);
  throwsCode(() => SymbolPartitioner.create(mem, { partitions: [{ weight: 0 }] }), "ARGUMENT", /above 0/);
  throwsCode(() => SymbolPartitioner.create(mem, { partitions: [{ partition: 1 }, { partition: 1 }] }), "ARGUMENT", /twice/);
  throwsCode(() => SymbolPartitioner.create(mem, { partitions: 2, maxPins: 0 }), "ARGUMENT", /maxPins/);
  const p = SymbolPartitioner.create(mem, { partitions: [{ partition: 7 }, { weight: 2 }], symbols });
  assert.equal(p.partitions.map((x) => [x.partition, x.weight]), [[0, 2], [7, 1]]);
  throwsCode(() => p.partitionOf("NSE", ""), "SYMBOL", /empty/);
  throwsCode(() => p.partitionOf("NSE", "X".repeat(57)), "SYMBOL", /longer than 56/);
  throwsCode(() => p.partitionOf("NSE", "TAB\tNAME"), "SYMBOL");
  throwsCode(() => p.partitionOf("NSE", "BACK\\SLASH"), "SYMBOL");
  throwsCode(() => p.partitionOf("NYSE" as "NSE", "IBM"), "EXCHANGE", /NYSE/);
  throwsCode(() => p.removePartition(0) && p.removePartition(7), "ARGUMENT", /last one/);
  throwsCode(() => p.setWeight(7, Number.NaN), "ARGUMENT", /weight/);
  throwsCode(() => p.setWeight(7, 0), "ARGUMENT", /above 0/);
  assert.is(p.partitions[0]!.weight, 1, "a refused change leaves the weights as they were");
  throwsCode(() => p.slotOwner(1 << 14), "ARGUMENT", /slot/);
});

test.run();
