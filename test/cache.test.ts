// LastValueCache in one thread: what apply keeps (the merge per field group),
// reads and snapshots, and bad input. The multi-thread torn-read test is
// test/cache-concurrency.test.ts.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { TickView, Kind, layout as L, TickwireError, writeMessage, readMessage } from "../src/index.js";
import { LastValueCache } from "../src/cache/last-value-cache.js";
import { LVC_SLOTS, LVC_SLOT_HEADER_BYTES } from "../src/cache/layout.js";
import { setup, sampleTick } from "./helpers/fixtures.js";
import { throwsCode } from "./helpers/assertions.js";

const { mem, table } = await setup(1 << 25, 4096);
const view = new TickView(mem.buffer);
const batch = mem.allocate(64 * 1024);
const out = mem.allocate(64 * 1024);
const ids = ["RELIANCE", "TCS", "INFY", "SBIN", "ITC"].map((s) => table.intern("NSE", s));

// Writes ticks (kind, symbol index, variant) into the batch region; returns its bytes.
function fill(ticks: [Kind, number, number][]): number {
  let off = 0;
  for (const [kind, s, i] of ticks) {
    writeMessage(view.wrap(batch + off), sampleTick(kind, i, ["RELIANCE", "TCS", "INFY", "SBIN", "ITC"][s]), table);
    off += view.length;
  }
  return off;
}


test("an empty cache has no value for any symbol", () => {
  const cache = LastValueCache.create(mem, { capacity: 4096 });
  assert.is(cache.snapshot(ids[0]!), undefined);
  assert.is(cache.readInto(4095, out), 0);
  assert.is(cache.updates(ids[0]!), 0);
  assert.is(cache.recordBytes, L.DEPTH_BYTES);
});

test("apply keeps the latest record of each symbol, byte for byte", () => {
  const cache = LastValueCache.create(mem, { capacity: 4096 });
  const bytes = fill([[Kind.QUOTE, 0, 1], [Kind.QUOTE, 1, 2], [Kind.QUOTE, 0, 3]]);
  assert.is(cache.apply(batch, bytes), 3);
  const latest = mem.u8.slice(batch + 2 * L.QUOTE_BYTES, batch + 3 * L.QUOTE_BYTES);
  assert.equal(cache.snapshot(ids[0]!), latest);
  assert.is(readMessage(view.wrap(batch + L.QUOTE_BYTES), table).seq, 1002);
  assert.is(cache.readInto(ids[1]!, out), L.QUOTE_BYTES);
  assert.is(readMessage(view.wrap(out), table).seq, 1002);
  assert.is(cache.updates(ids[0]!), 2);
  assert.is(cache.updates(ids[1]!), 1);
  const copy = cache.snapshot(ids[0]!)!;
  assert.not.instance(copy.buffer, SharedArrayBuffer);
});

test("merge per field group: an LTP after a DEPTH refreshes slot 0 and keeps the book; kind stays DEPTH", () => {
  const cache = LastValueCache.create(mem, { capacity: 4096 });
  cache.apply(batch, fill([[Kind.DEPTH, 2, 5]]));
  const depth = mem.u8.slice(batch, batch + L.DEPTH_BYTES);
  cache.apply(batch, fill([[Kind.LTP, 2, 9]]));
  const ltp = mem.u8.slice(batch, batch + L.LTP_BYTES);
  const got = cache.snapshot(ids[2]!)!;
  assert.is(got.length, L.DEPTH_BYTES);
  const v = new TickView(got.buffer);
  assert.is(v.kind, Kind.DEPTH);
  assert.is(v.length, L.DEPTH_BYTES);
  assert.equal(got.slice(4, 64), ltp.slice(4, 64), "slot 0 is the LTP's");
  assert.equal(got.slice(64), depth.slice(64), "slots 1-5 are the DEPTH's");
  assert.is(v.seq, 1009);
  assert.is(v.levelPrice(0, 0), sampleTick(Kind.DEPTH, 5).depth!.buy[0]!.price);
  // A QUOTE then refreshes slots 0-2 and keeps the book — and the best bid/ask that
  // repeat its level 0 (a DEPTH record's top of book is its book's, never another record's).
  cache.apply(batch, fill([[Kind.QUOTE, 2, 11]]));
  const quote = mem.u8.slice(batch, batch + L.QUOTE_BYTES);
  const again = cache.snapshot(ids[2]!)!;
  assert.equal(again.slice(4, L.OFF_BID), quote.slice(4, L.OFF_BID), "slots 0-2 are the QUOTE's...");
  assert.equal(again.slice(L.OFF_ASK_QTY + 4, L.QUOTE_BYTES), quote.slice(L.OFF_ASK_QTY + 4), "...");
  assert.equal(again.slice(L.QUOTE_BYTES), depth.slice(L.QUOTE_BYTES), "the book is the DEPTH's");
  assert.equal(again.slice(L.OFF_BID, L.OFF_ASK_QTY + 4), depth.slice(L.OFF_BID, L.OFF_ASK_QTY + 4), "...and so is the best bid/ask");
  const merged = new TickView(again.buffer);
  assert.is(merged.bid, merged.levelPrice(0, 0));
  assert.is(merged.askQty, merged.levelQty(1, 0));
  // LTP then QUOTE: kind grows to QUOTE.
  cache.apply(batch, fill([[Kind.LTP, 3, 1], [Kind.QUOTE, 3, 2]]));
  assert.is(cache.snapshot(ids[3]!)!.length, L.QUOTE_BYTES);
});

test("a cache of a smaller kind cuts records down to it", () => {
  const cache = LastValueCache.create(mem, { capacity: 64, maxKind: Kind.LTP });
  assert.is(cache.recordBytes, L.LTP_BYTES);
  cache.apply(batch, fill([[Kind.DEPTH, 4, 3]]));
  const got = cache.snapshot(ids[4]!)!;
  assert.is(got.length, L.LTP_BYTES);
  const v = new TickView(got.buffer);
  assert.is(v.kind, Kind.LTP);
  assert.is(v.length, L.LTP_BYTES);
  assert.equal(got.slice(4), mem.u8.slice(batch + 4, batch + L.LTP_BYTES));
  const q = LastValueCache.create(mem, { capacity: 64, maxKind: Kind.QUOTE });
  q.apply(batch, fill([[Kind.DEPTH, 4, 3]]));
  assert.is(q.snapshot(ids[4]!)!.length, L.QUOTE_BYTES);
});

test("apply skips padding records", () => {
  const cache = LastValueCache.create(mem, { capacity: 4096 });
  const bytes = fill([[Kind.LTP, 0, 1]]);
  mem.u8.fill(0, batch + bytes, batch + bytes + 128);
  mem.u8[batch + bytes] = 128;
  mem.u8[batch + bytes + L.OFF_KIND] = L.KIND_PADDING;
  mem.u8[batch + bytes + L.OFF_VERSION] = L.FORMAT_VERSION;
  assert.is(cache.apply(batch, bytes + 128), 1);
});

test("snapshotIds: one batch of the chosen symbols' records, empty ones skipped, resumable when the output fills", () => {
  const cache = LastValueCache.create(mem, { capacity: 4096 });
  cache.apply(batch, fill([[Kind.LTP, 0, 1], [Kind.QUOTE, 1, 2], [Kind.DEPTH, 2, 3], [Kind.LTP, 4, 4]]));
  const r = cache.snapshotIds([ids[4]!, ids[3]!, ids[2]!, ids[0]!], out, 64 * 1024);
  assert.equal(r, { bytes: L.LTP_BYTES + L.DEPTH_BYTES + L.LTP_BYTES, next: 4, busy: 0 });
  const seqs: number[] = [];
  for (let off = 0; off < r.bytes; off += view.length) seqs.push(view.wrap(out + off).seq);
  assert.equal(seqs, [1004, 1003, 1001]);
  // Room for one record of the largest kind: stops after one, says where to resume.
  const part = cache.snapshotIds([ids[2]!, ids[0]!], out, L.DEPTH_BYTES);
  assert.equal(part, { bytes: L.DEPTH_BYTES, next: 1, busy: 0 });
  throwsCode(() => cache.snapshotIds([ids[0]!, 5000], out, 4096), "SYMBOL", /ids\[1\]/);
});

test("snapshotRange and forEach walk every symbol that has a value, in id order", () => {
  const cache = LastValueCache.create(mem, { capacity: 4096 });
  cache.apply(batch, fill([[Kind.DEPTH, 3, 1], [Kind.LTP, 1, 2], [Kind.QUOTE, 0, 3]]));
  const seen: [number, number][] = [];
  cache.forEach((r, id) => seen.push([id, r.seq]), L.DEPTH_BYTES); // a chunk of one record: many calls
  assert.equal(seen, [[ids[0]!, 1003], [ids[1]!, 1002], [ids[3]!, 1001]]);
  const r = cache.snapshotRange(0, 4096, out, 64 * 1024);
  assert.equal(r, { bytes: L.QUOTE_BYTES + L.LTP_BYTES + L.DEPTH_BYTES, next: 4096, busy: 0 });
  throwsCode(() => cache.snapshotRange(0, 10, out, 100), "OUTPUT_FULL");
  throwsCode(() => cache.snapshotRange(5, 2, out, 4096), "ARGUMENT");
});

test("a slot held by a live writer is never taken: reads and writes time out; once the writer is declared exited, the next writer takes it over and clears it", () => {
  const created = LastValueCache.create(mem, { capacity: 16, busyTimeoutMs: 30 });
  const cache = LastValueCache.attach(mem, created.offset, { busyTimeoutMs: 30, writerId: 7 });
  const id = ids[1]!;
  cache.apply(batch, fill([[Kind.QUOTE, 1, 1]]));
  const seq = (cache.offset + LVC_SLOTS + id * (LVC_SLOT_HEADER_BYTES + L.DEPTH_BYTES)) >>> 2;
  const s = Atomics.load(mem.u32, seq);
  assert.is(s, 2);
  assert.is(Atomics.load(mem.u32, seq + 1) & 1023, 7, "the lock records its writer");
  Atomics.store(mem.u32, seq, s + 1); // as writer 7 stalled (or dead, undeclared) inside its write leaves it
  throwsCode(() => cache.snapshot(id), "TIMEOUT", /held by a writer/);
  assert.is(cache.snapshotRange(0, 16, out, 4096).busy, 1);
  const other = LastValueCache.attach(mem, created.offset, { busyTimeoutMs: 30, writerId: 8 });
  throwsCode(() => other.apply(batch, fill([[Kind.LTP, 1, 5]])), "TIMEOUT", /held by writer 7.*writerExited\(7\)/);
  throwsCode(() => LastValueCache.attach(mem, created.offset, { writerId: 7 }), "ARGUMENT", /registered to a live writer/);
  // The supervisor saw writer 7's thread exit: its restart (same id) or any other writer takes the slot over.
  assert.is(cache.writerExited(7), true);
  assert.is(cache.writerExited(7), false);
  const restarted = LastValueCache.attach(mem, created.offset, { busyTimeoutMs: 30, writerId: 7 });
  restarted.apply(batch, fill([[Kind.LTP, 1, 7]]));
  assert.is(Atomics.load(mem.u32, seq) & 1, 0);
  const v = new TickView(cache.snapshot(id)!.buffer);
  assert.is(v.seq, 1007);
  assert.is(v.kind, Kind.LTP, "the slot was cleared before the takeover's write: what the dead writer may have torn is gone");
  // Writer 8 was never blocked for good: it applies now.
  assert.is(other.apply(batch, fill([[Kind.LTP, 1, 8]])), 1);
});

test("bad input gets clear errors", () => {
  throwsCode(() => LastValueCache.create(mem, { capacity: 0 }), "ARGUMENT", /capacity/);
  throwsCode(() => LastValueCache.create(mem, { capacity: 8, maxKind: 4 as Kind }), "KIND", /maxKind/);
  throwsCode(() => LastValueCache.create(mem, { capacity: 8, busyTimeoutMs: -1 }), "ARGUMENT", /busyTimeoutMs/);
  const cache = LastValueCache.create(mem, { capacity: 8 });
  throwsCode(() => LastValueCache.attach(mem, cache.offset + 64), "HANDLE");
  assert.is(LastValueCache.attach(mem, cache.offset).capacity, 8);
  // A record whose symbol id is beyond capacity: SYMBOL, naming the record; the ones before it are applied.
  const bytes = fill([[Kind.LTP, 0, 1], [Kind.LTP, 0, 2]]);
  view.wrap(batch + L.LTP_BYTES).symbolId = 8;
  const e = throwsCode(() => cache.apply(batch, bytes), "SYMBOL", /record 1/);
  assert.is(e.recordIndex, 1);
  assert.is(new TickView(cache.snapshot(ids[0]!)!.buffer).seq, 1001);
  throwsCode(() => cache.apply(batch, 100), "TRUNCATED");
  mem.u8[batch + L.OFF_VERSION] = 9;
  throwsCode(() => cache.apply(batch, bytes), "VERSION", /record 0/);
  throwsCode(() => cache.snapshot(8), "SYMBOL", /capacity 8/);
  throwsCode(() => cache.snapshot(-1), "SYMBOL");
  throwsCode(() => cache.readInto(0, out + 4), "REGION", /aligned/);
  throwsCode(() => cache.updates(1.5), "SYMBOL");
});

test.run();
