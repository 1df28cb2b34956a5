// Bad input at the public boundary: every call either does its job or throws a
// TickwireError with a code, and nothing it is given makes it write outside the
// caller's own memory or trap inside Wasm. One test per hole the hardening issue found.
import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  TickView, StageView, BatchCodec, JsonRenderer, SymbolTable, TickwireError, TickwireMemory, Kind, Side, layout as L,
  writeMessage, LastValueCache, SymbolPartitioner, RingPool, monotonicNs,
} from "../src/index.js";
import { setup, sampleTick } from "./helpers/fixtures.js";
import { throwsCode } from "./helpers/assertions.js";

const { mem, table } = await setup();
const codec = new BatchCodec(mem);
const recs = mem.allocate(1 << 16);
const out = mem.allocate(1 << 16);
const view = new TickView(mem.buffer);
const sv = new StageView(mem.buffer);
const cache = LastValueCache.create(mem, { capacity: 4096 });
const partitioner = SymbolPartitioner.create(mem, { partitions: 4, symbols: table });
const renderer = new JsonRenderer(mem, table, { broker: "sim", bufferBytes: 8192 });
const pool = RingPool.create(mem, [{ name: "q", type: "spsc", capacity: 4096 }]);

// The module's static tables and the memory header: what every thread's encoding and rendering relies on.
const shared = () => mem.u8.slice(0, mem.base + 64);

function twoQuotes() {
  writeMessage(view.wrap(recs), sampleTick(Kind.QUOTE, 0), table);
  writeMessage(view.wrap(recs + L.QUOTE_BYTES), sampleTick(Kind.QUOTE, 1), table);
}

test("a destination in the module's static data, the memory header or a structure tickwire keeps is refused (REGION), and nothing there changes", () => {
  twoQuotes();
  const id = table.find("NSE", "RELIANCE");
  cache.apply(recs, 2 * L.QUOTE_BYTES);
  const before = shared();
  const tableBytes = mem.u8.slice(table.offset, table.offset + 4096);
  const ring = pool.get("q");
  const ringHeader = mem.u8.slice(ring.offset, ring.offset + 768);
  const theirs = [0, 8, 1024, mem.base - 64, mem.base, table.offset, cache.offset + 64, ring.offset, partitioner.offset];
  for (const dst of theirs) {
    throwsCode(() => codec.decode(recs, L.QUOTE_BYTES, dst), "REGION", /memory you own/);
    throwsCode(() => codec.encode(recs, L.QUOTE_BYTES, dst), "REGION");
    throwsCode(() => cache.readInto(id, dst), "REGION");
    throwsCode(() => cache.snapshotRange(0, 10, dst, 4096), "REGION");
    throwsCode(() => cache.snapshotIds([id], dst, 4096), "REGION");
    throwsCode(() => partitioner.partitionBatch(recs, L.QUOTE_BYTES, dst, 4), "REGION");
    if (dst !== 0) throwsCode(() => partitioner.partitionBatch(recs, L.QUOTE_BYTES, out, 4, dst), "REGION"); // 0: no byte totals
    throwsCode(() => view.wrap(dst).init(Kind.LTP), "REGION");
    view.wrap(dst);
    throwsCode(() => { view.ltp = 1; }, "REGION");
  }
  assert.equal(shared(), before, "static data and header untouched");
  assert.equal(mem.u8.slice(table.offset, table.offset + 4096), tableBytes, "the symbol table untouched");
  assert.equal(mem.u8.slice(ring.offset, ring.offset + 768), ringHeader, "the ring header untouched");
  // And every thread still encodes 2500.05 as 250005.
  sv.wrap(out).init(Kind.LTP);
  sv.exchange = 1;
  sv.priceDecimals = 2;
  sv.ltp = 2500.05;
  codec.encode(out, 64);
  assert.is(view.wrap(out).scaled(L.OFF_LTP), 250005);
  // A region half inside memory you own (`out` is followed by the cache's slots) is not inside it.
  throwsCode(() => codec.decode(recs, L.QUOTE_BYTES, out + (1 << 16) - 64), "REGION");
  // A ring's data area is the caller's: claims are written there.
  const w = ring.writer();
  const at = w.tryClaim(64);
  view.wrap(at).init(Kind.LTP);
  w.commit(0);
});

test("offsets past the end, negative, NaN or not integers are TickwireErrors, never a Wasm memory fault", () => {
  twoQuotes();
  const end = mem.byteLength;
  for (const src of [-64, end, end - 64, NaN, 8.5, "16", null, 2 ** 32 + recs]) {
    throwsCode(() => codec.decode(src as number, L.QUOTE_BYTES, out), "REGION");
    throwsCode(() => renderer.render(src as number, L.QUOTE_BYTES, Kind.LTP), "REGION");
    throwsCode(() => cache.apply(src as number, L.QUOTE_BYTES), "REGION");
    throwsCode(() => partitioner.partitionBatch(src as number, L.QUOTE_BYTES, out, 4), "REGION");
  }
  for (const bytes of [NaN, -64, 1.5, "192", end + 64, 2 ** 32 + 192, 192n]) {
    throwsCode(() => codec.decode(recs, bytes as number, out), "ARGUMENT", /bytes/);
    throwsCode(() => renderer.render(recs, bytes as number, Kind.LTP), "ARGUMENT", /bytes/);
    throwsCode(() => cache.apply(recs, bytes as number), "ARGUMENT", /bytes/);
  }
  for (const mode of [1.5, "2", 0, 4, NaN]) throwsCode(() => renderer.render(recs, L.QUOTE_BYTES, mode as Kind), "KIND", /mode/);
  throwsCode(() => renderer.render(recs, L.QUOTE_BYTES, Kind.LTP, 1.5), "ARGUMENT", /timestampMs/);
});

test("views: wrap takes an 8-aligned integer only; a typed array is a window onto shared memory, not a private copy", () => {
  for (const bad of [NaN, 8.5, "16", null, {}, [], -8, 4, 2 ** 53, mem.byteLength]) {
    throwsCode(() => view.wrap(bad as number), "ARGUMENT", /wrap/);
  }
  const window = new TickView(mem.u8.subarray(out, out + 4096));
  window.wrap(0).init(Kind.LTP);
  window.exchange = 1;
  window.priceDecimals = 2;
  window.ltp = 12.34;
  assert.is(view.wrap(out).ltp, 12.34, "written through to shared memory");
  assert.is(new TickView(mem.u8).wrap(out).ltp, 12.34);
  throwsCode(() => window.wrap(4096 - 32), "ARGUMENT", /room/);
  throwsCode(() => new TickView(mem.u8.subarray(out + 4)), "ARGUMENT", /8-byte boundary/);
  for (const bad of [{}, null, 42, "buffer", mem]) throwsCode(() => new TickView(bad as never), "ARGUMENT");
  // A plain buffer is wholly its holder's.
  const plain = new TickView(new ArrayBuffer(384));
  plain.wrap(0).init(Kind.DEPTH);
  assert.is(plain.length, 384);
  assert.is(plain.offset, 0);
  assert.is(Object.getOwnPropertyDescriptor(Object.getPrototypeOf(Object.getPrototypeOf(plain)), "offset")?.set, undefined, "offset cannot be set from outside");
});

test("views: init refuses an unknown kind; Quote and Depth fields need a record of that kind; setLevel checks side and level", () => {
  view.wrap(recs).init(Kind.LTP);
  view.wrap(recs + 64).init(Kind.LTP);
  view.exchange = 1;
  const next = mem.u8.slice(recs + 64, recs + 128);
  for (const kind of [0, 4, 255, 1.5, "2", NaN]) throwsCode(() => view.wrap(recs).init(kind as Kind), "KIND");
  view.wrap(recs);
  throwsCode(() => { view.open = 1; }, "KIND", /Quote field/);
  throwsCode(() => { view.volume = 1; }, "KIND");
  throwsCode(() => view.setLevel(Side.BUY, 0, 1, 1, 1), "KIND", /Depth field/);
  assert.equal(mem.u8.slice(recs + 64, recs + 128), next, "the next record is untouched");
  view.wrap(recs).init(Kind.DEPTH);
  view.exchange = 1;
  view.priceDecimals = 2;
  for (const side of ["0", 7, -1, 0.5, null]) throwsCode(() => view.setLevel(side as Side, 0, 1, 1, 1), "ARGUMENT", /side/);
  for (const level of [5, -1, 1.5, "0"]) throwsCode(() => view.setLevel(Side.BUY, level as number, 1, 1, 1), "ARGUMENT", /level/);
  throwsCode(() => view.setLevel(Side.SELL, 0, 1, 2 ** 32, 1), "ARGUMENT", /qty/);
  assert.is(view.levelPrice(Side.SELL, 0), 0, "nothing written by the refused call");
  for (const v of [5n, "5", {}, NaN, Infinity]) throwsCode(() => { view.ltp = v as number; }, "PRICE");
  for (const v of [1.5, "5", -1, 2 ** 32]) throwsCode(() => { view.lastQty = v as number; }, "ARGUMENT");
  throwsCode(() => view.setScaled(L.OFF_SEQ, 5), "ARGUMENT", /not a price field/);
  throwsCode(() => view.scaled(3), "ARGUMENT", /not a price field/);
});

test("views: a DEPTH record's best bid/ask are level 0 of its book, whichever side is set", () => {
  view.wrap(recs).init(Kind.DEPTH);
  view.exchange = 1;
  view.priceDecimals = 2;
  view.setLevel(Side.BUY, 0, 2500.05, 10, 2);
  assert.is(view.bid, 2500.05);
  assert.is(view.bidQty, 10);
  view.ask = 2500.1;
  view.askQty = 7;
  assert.is(view.levelPrice(Side.SELL, 0), 2500.1);
  assert.is(view.levelQty(Side.SELL, 0), 7);
  assert.is(codec.decode(recs, L.DEPTH_BYTES, out), 1, "a consistent book passes every check");
  mem.u32[(recs + L.OFF_BID_QTY) >>> 2] = 11; // a writer that went round the view
  throwsCode(() => codec.decode(recs, L.DEPTH_BYTES, out), "ARGUMENT", /level 0/);
  throwsCode(() => renderer.render(recs, L.DEPTH_BYTES, Kind.DEPTH), "ARGUMENT", /level 0/);
});

test("views: 64-bit integers are numbers to read (exact below 2^53), exact() as bigints, or refused; priceDecimals cannot change under a price", () => {
  view.wrap(recs).init(Kind.QUOTE);
  view.exchange = 1;
  for (const field of ["seq", "recvTimeNs", "volume"] as const) {
    view[field] = 2n ** 64n - 1n;
    assert.is(view.exact(field), 2n ** 64n - 1n, field);
    assert.is(view[field], 2 ** 64, `${field}: the nearest number`);
    view[field] = 2 ** 53 - 1;
    assert.is(view[field], 2 ** 53 - 1, field);
    assert.is(view.exact(field), 2n ** 53n - 1n, field);
    throwsCode(() => { view[field] = 2 ** 53; }, "ARGUMENT", new RegExp(field));
    throwsCode(() => { view[field] = 1.5; }, "ARGUMENT");
    throwsCode(() => { view[field] = 2n ** 64n; }, "ARGUMENT");
  }
  view.exchTimeMs = -(2n ** 63n);
  assert.is(view.exact("exchTimeMs"), -(2n ** 63n));
  assert.is(view.exchTimeMs, -(2 ** 63));
  throwsCode(() => view.exact("ltp" as "seq"), "ARGUMENT", /exact: field must be one of/);
  throwsCode(() => view.exact({ toString() { throw new Error("user code ran"); } } as unknown as "seq"), "ARGUMENT", /exact: field must be one of/);
  view.exchTimeMs = -(2 ** 53 - 1);
  assert.is(view.exchTimeMs, -(2 ** 53 - 1));
  throwsCode(() => { view.recvTimeNs = 12.5; }, "ARGUMENT", /recvTimeNs/);
  assert.ok(Number.isInteger(monotonicNs()), "the clock gives whole nanoseconds");
  view.priceDecimals = 2;
  view.ltp = 2500.05;
  throwsCode(() => { view.priceDecimals = 4; }, "DECIMALS", /before any price/);
  assert.is(view.ltp, 2500.05);
  throwsCode(() => { view.changePercent = -1.055; }, "PRECISION");
  view.changePercent = -1.05;
  assert.is(view.changeBp, -105);
});

test("one rule on every read path: an unknown version or kind, a bad exchange or decimals, or a scaled price beyond ±(2^51 - 1) is refused", () => {
  const fresh = () => writeMessage(view.wrap(recs), sampleTick(Kind.QUOTE, 0), table);
  for (const [offset, value, code] of [[L.OFF_VERSION, 7, "VERSION"], [L.OFF_KIND, 9, "KIND"], [L.OFF_EXCHANGE, 99, "EXCHANGE"], [L.OFF_PRICE_DECIMALS, 200, "DECIMALS"]] as const) {
    fresh();
    mem.u8[recs + offset] = value;
    throwsCode(() => view.wrap(recs).ltp, code);
    throwsCode(() => view.wrap(recs).symbolId, code);
    throwsCode(() => codec.decode(recs, L.QUOTE_BYTES, out), code);
    throwsCode(() => renderer.render(recs, L.QUOTE_BYTES, Kind.LTP), code);
    throwsCode(() => cache.apply(recs, L.QUOTE_BYTES), code);
  }
  for (const hi of [0x00080000, 0x00200000, 0xfff7ffff]) { // 2^51, 2^53, below -2^51
    fresh();
    mem.u32[(recs + L.OFF_CLOSE + 4) >>> 2] = hi;
    throwsCode(() => view.wrap(recs).close, "PRICE", /close/);
    throwsCode(() => view.wrap(recs).scaled(L.OFF_CLOSE), "PRICE");
    throwsCode(() => codec.decode(recs, L.QUOTE_BYTES, out), "PRICE", /close/);
    throwsCode(() => renderer.render(recs, L.QUOTE_BYTES, Kind.QUOTE), "PRICE");
  }
  fresh();
  mem.u32[(recs + L.OFF_CLOSE) >>> 2] = 0xffffffff;
  mem.u32[(recs + L.OFF_CLOSE + 4) >>> 2] = 0x7ffff; // 2^51 - 1: the largest in range, exact everywhere
  assert.is(view.wrap(recs).scaled(L.OFF_CLOSE), L.MAX_SCALED_PRICE);
  assert.is(codec.decode(recs, L.QUOTE_BYTES, out), 1);
  renderer.render(recs, L.QUOTE_BYTES, Kind.QUOTE, 0);
  assert.ok(new TextDecoder().decode(renderer.message(0).slice()).includes(`"close":22517998136852.47,`));
});

test("the symbol table is authoritative: a record whose exchange or decimals disagree with its symbol is not rendered", () => {
  writeMessage(view.wrap(recs), sampleTick(Kind.LTP, 0), table); // NSE RELIANCE at 2
  view.exchange = 2; // BSE
  throwsCode(() => renderer.render(recs, L.LTP_BYTES, Kind.LTP), "EXCHANGE", /record 0/);
  view.exchange = 1;
  mem.u8[recs + L.OFF_PRICE_DECIMALS] = 4;
  throwsCode(() => renderer.render(recs, L.LTP_BYTES, Kind.LTP), "DECIMALS", /record 0/);
  mem.u8[recs + L.OFF_PRICE_DECIMALS] = 2;
  assert.is(renderer.render(recs, L.LTP_BYTES, Kind.LTP), 1);
});

test("JsonRenderer.message takes an index of the last render only", () => {
  writeMessage(view.wrap(recs), sampleTick(Kind.LTP, 0), table);
  assert.is(renderer.render(recs, L.LTP_BYTES, Kind.LTP, 0), 1);
  assert.ok(renderer.message(0).length > 0);
  for (const i of [-1, 1, 100, NaN, 0.5, "0"]) throwsCode(() => renderer.message(i as number), "ARGUMENT", /index/);
});

test("memory: bad sizes, exhaustion and bad handles; attach leaves a foreign memory untouched", async () => {
  for (const options of [null, 5, "x", { bytes: 100 }, { bytes: 1.5e6 + 0.5 }, { bytes: 2 ** 31 }, { bytes: "1e6" }, { module: {} }]) {
    try { await TickwireMemory.create(options as never); assert.unreachable(JSON.stringify(options)); } catch (e) { assert.is((e as TickwireError).code, "ARGUMENT", String(e)); }
  }
  for (const handle of [{}, null, 5, { memory: mem.memory }, { module: mem.module }]) {
    try { await TickwireMemory.attach(handle as never); assert.unreachable(); } catch (e) { assert.is((e as TickwireError).code, "HANDLE"); }
  }
  // Someone else's shared memory: refused before the module's data is written into it.
  const foreign = new WebAssembly.Memory({ initial: 2, maximum: 2, shared: true });
  const bytes = new Uint8Array(foreign.buffer as unknown as SharedArrayBuffer);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 31) & 0xff;
  const before = bytes.slice();
  try { await TickwireMemory.attach({ memory: foreign, module: mem.module }); assert.unreachable(); } catch (e) { assert.is((e as TickwireError).code, "HANDLE", String(e)); }
  assert.equal(bytes.slice(), before, "not one byte of it was written");
  const small = await TickwireMemory.create({ bytes: 65536, module: mem.module });
  throwsCode(() => small.allocate(1 << 20), "MEMORY", /do not fit/);
  for (const bad of [0, -1, 1.5, "64", NaN, 64n]) throwsCode(() => small.allocate(bad as number), "ARGUMENT");
  for (const bad of [3, 4, 1.5, "64", 2 ** 31]) throwsCode(() => small.allocate(64, bad as number), "ARGUMENT");
  throwsCode(() => SymbolTable.attach(mem, 64), "HANDLE");
  throwsCode(() => SymbolTable.create(null as never, 8), "ARGUMENT", /TickwireMemory/);
});

test("constructors and factories refuse what they cannot use, with a TickwireError instead of a TypeError", () => {
  throwsCode(() => new BatchCodec({} as never), "ARGUMENT", /TickwireMemory/);
  throwsCode(() => new JsonRenderer(mem, table, undefined as never), "ARGUMENT", /options/);
  throwsCode(() => new JsonRenderer(mem, {} as never, { broker: "x" }), "ARGUMENT", /SymbolTable/);
  for (const broker of ["x".repeat(65), 'a"b', "a\\b", "a\u0085b", "\ufeffx", "a\ud800", 5, null]) {
    throwsCode(() => new JsonRenderer(mem, table, { broker: broker as string }), "BROKER");
  }
  throwsCode(() => new JsonRenderer(mem, table, { broker: "sim", bufferBytes: 100 }), "ARGUMENT");
  throwsCode(() => LastValueCache.create(mem, null as never), "ARGUMENT");
  throwsCode(() => LastValueCache.create(mem, { capacity: 8, writerId: 1024 }), "ARGUMENT", /writerId/);
  throwsCode(() => SymbolPartitioner.create(mem, null as never), "ARGUMENT");
  throwsCode(() => SymbolPartitioner.create(mem, { partitions: [null as never] }), "ARGUMENT");
  throwsCode(() => partitioner.addPartition(null as never), "ARGUMENT");
  throwsCode(() => partitioner.setWeight(10n as never, 1), "ARGUMENT", /10n is not a partition/);
  throwsCode(() => partitioner.balance({ load: 5 } as never), "ARGUMENT", /load/);
  throwsCode(() => partitioner.symbolsMoved({} as never), "ARGUMENT", /Rebalance/);
  for (const id of [2 ** 32, 2 ** 32 + 1, -1, 1.5, "0", NaN]) throwsCode(() => partitioner.partitionOfId(id as number), "SYMBOL");
  for (const h of [-1, 2 ** 32, 1.5]) throwsCode(() => partitioner.slotOfHash(h), "ARGUMENT");
});

test.run();
