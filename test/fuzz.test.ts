// Property-based fuzzing of the public API (src/index.ts) with fast-check.
//
// THE PROPERTY. Random sequences of calls with hostile arguments run against a small world
// (a fresh one per sequence, so that fast-check can shrink and replay): a 1 MiB TickwireMemory holding a SymbolTable (6 symbols interned), a LastValueCache, a
// SymbolPartitioner, a RingPool with an spsc, an mpsc and a broadcast ring (a writer and a
// reader of each), a BatchCodec, two JsonRenderers (plain; with sdkAliases and receiveTime),
// a FanoutPump over the three readers (no gather), views over the memory, and three user regions
// from allocate() (A: six valid records, B: the same batch in the stage form, C: empty). After
// EACH call:
//   1. it returned normally (and the result passes a cheap check of its documented job: an
//      id that find() gives back, an offset inside the ring, JSON that parses, ...), or it
//      threw a TickwireError whose `code` is one of TickwireErrorCode (or, for calls that run
//      a callback we pass, the callback's own error). Anything else (TypeError, RangeError,
//      a Wasm RuntimeError, a promise rejected with one) fails, naming the call and arguments;
//   2. no call took more than HANG_MS;
//   3. every byte of the memory outside what the call may change is unchanged — compared
//      byte for byte with a copy kept since the previous call (Buffer.compare is a memcmp:
//      measured here ~0.1 ms for 4 MiB against ~0.3 ms to hash it with the core's xxh64
//      export; what costs is touching a fresh memory's pages, ~3 ms a MiB once per world,
//      hence 1 MiB). A difference is reported with its place: static data, header byte,
//      region-map byte, "<label> + n", a user region, or free memory.
//
// WHAT A CALL MAY CHANGE (the precise variant, not the coarse fallback the issue allows):
// mem.reserve() is wrapped, so every area tickwire reserves is known and labelled by the
// object that reserved it ("table" = the symbol table, "table.scratch" = its key scratch;
// "cache" / "cache.scratch" (status, record, chunk and id scratch); "part" / "part.scratch";
// "<ring>.hdr" / ".data" / ".meta" (one ring's header, data area and meta area);
// "<ring>.w" / "<ring>.r" (the writer's and reader's cursors, and the broadcast reader's
// poll copy); "codec" (its status block); "renderer" (broker, output buffer, ends, status)).
// Each call names the labels it may change plus its destination ranges:
//   - memory header, static data (bytes [0, mem.base + 64)) and the region map: never,
//     except that calls that may reserve (constructors, attach, lazily made scratch) may
//     raise the header's next-free word, and the newly reserved bytes are then theirs;
//     allocate(), Ring.create and RingPool.create may also set region-map bits, checked
//     bit by bit to lie inside the newly reserved range;
//   - view setters, init, setSymbol, setLevel, setScaled: the record the view points at,
//     [offset, offset + length), the length its header gives (64 if invalid; init: that of
//     the kind asked for); nothing at all when they throw — not even bytes past that end
//     which the view proved writable for a larger record earlier on the same wrap;
//   - writeMessage: [offset, offset + recordBytes(mode)) and "table", "table.scratch";
//     on a throw only the table (a full table counts the attempt; no record byte);
//   - codec encode/decode: [dst, dst + bytes) and "codec";  render: "renderer";
//   - intern: "table", "table.scratch";  find: "table.scratch";  get: nothing;
//   - cache.apply: "cache", "cache.scratch";  readInto: [dst, dst + recordBytes);
//     snapshotIds / snapshotRange: [dst, dst + capacity) and "cache.scratch";
//     snapshot / forEach: "cache.scratch";  writerExited / close: "cache";
//   - partitionOf / hashOf: "part.scratch";  partitionOfId: "part" (hash column) and
//     "part.scratch";  partitionBatch: "part", "part.scratch", [out, out + 2 × outCapacity)
//     and [partBytes, partBytes + 4 × partitionLimit);  pin, unpin, setWeight, add/remove/
//     setPartitions, balance: "part", "part.scratch" — and when they throw only
//     "part.scratch", with the map's partitions, pins and epoch (JS side) unchanged too;
//   - tryClaim / claim / claimAsync: the ring's hdr, data (wrap padding), meta and writer
//     cursor;  commit: hdr, meta, the writer cursor and the claim's own bytes;  read: the
//     reader cursor;  release / poll / wait / waitAsync: hdr and the reader's areas (poll
//     and forEach also what our re-entrant callback touches: the spsc reader's);
//     unblock: hdr, meta, data, reader cursor;  ring.writer()/reader(): hdr (a broadcast
//     reader joins) and a new cursor;  LastValueCache.attach with a writerId: the writer
//     table of the cache at that offset;  getters, get, owns, attach (new scratch only),
//     pure functions (scalePrice, formatScaled, to/fromClientJson, readMessage, ...): nothing.
//   - pollBatch: as poll;  pump.round: every ring's hdr and reader areas (a broadcast poll copy
//     made lazily), and in the fan-out world the gather's areas (below);  render: that
//     renderer's own areas ("renderer", "renderer.x", or "renderer#n" for one the fuzz made);
//     resolveProxyConfig, hashApiKey, TickwireClient.connect, FanoutGather.bytesFor: nothing.
//   - Noren (src/feed/noren/): map.set: "noren.map" (its index and entries);  parser.push and
//     clear: "noren.parser" (context, scratch, frame buffer);  parser.parse: "noren.parser",
//     "noren.map" (merged states, seqs) and the parser's output region;  slotOf, info,
//     stateOffset, control, controlJson, outcomes, counters, getters: nothing.
//
// HOSTILE ARGUMENTS: in- and out-of-range integers, negatives, NaN, ±Infinity, -0, fractions,
// 2^32 + x, 2^53, numeric strings, BigInts, null, undefined, {}, [], functions, symbols, an
// object whose toString/valueOf/Symbol.toPrimitive throw; offsets into the static data, the
// header, the region map, every tickwire structure and scratch area, free memory, past the
// end, unaligned; next to good values (the user regions, a ring's current claim) so that the
// success paths run too. Timeouts are 0..2 ms or invalid, never a valid long one. An option
// documented as a boolean (sdkAliases, receiveTime, since) given anything else must be refused,
// not coerced. Messages never hold a string given as an API key (resolveProxyConfig, hashApiKey,
// TickwireClient.connect); a config with one bad field is refused naming that field; connect
// refuses bad options before it makes a socket (the WebSocket class given counts and throws).
// "fn:batch", the pump's sink and the world's rings' readers check that every batch pollBatch
// hands over is whole records (a batch walked by its lengths could otherwise loop).
//
// THE FAN-OUT WORLD (a second property, FANOUT_RUNS sequences): the same world in 12 MiB plus a
// FanoutGather (4 slots, 16 subscriptions; two slots open, JSON and binary, at the start; extra
// fields drawn per world) that the pump feeds. Its ten areas are labelled from its context
// ("gather.ctx", ".clients", ".touched", ".out", ".index", ".entries", ".dirty", ".scratch",
// ".msgIndex", ".broker"). A model in plain JS (open slots, flags, subscriptions by symbol,
// pending sets) checks every gather, the fuzz's and the pump's: the records taken, the clients
// touched, each one's frames byte for byte (JSON: toClientJson's text with the gather's
// options; binary: one frame of the records cut to its mode), ticks, conflated and pending
// counts, frames() inside the output area and equal to output() at frameStart/frameBytes,
// the batch unchanged (also when it throws), and the pump handing each sink those bytes.
// After every call each slot's flags word is the model's (no GF_TOUCHED left by a refused
// gather). Writes: gather: its areas except ".broker";  setFlags: the slot's flags word;
// closeSlot: ".clients" and ".dirty";  takePending: ".dirty";  the rest: nothing.
//
// TWO MORE PROPERTIES, over random valid messages (every mode, prices m / 10^d with |m| < 2^51
// at random decimals, u64/i64 fields up to their limits, optional fields absent or present):
// fromClientJson(toClientJson(m)) gives back every field on the wire (at any client mode up to
// m's), and writeMessage → readMessage gives back m exactly, the record decodes to the stage
// form and encodes back to the same bytes, and JsonRenderer renders it byte for byte as
// toClientJson does.
//
// The bugs found when pollBatch, the renderer's options, the fan-out and the proxy and client
// entry points were added (pollBatch handing a scribbled-on ring's broken lengths, on which the
// pump looped forever; FanoutPump taking readers() that are not RingReaders and a sink's
// optional callbacks that are not functions; a slot closed twice handed to two clients;
// setSubscription's afterSeq/since unchecked; boolean options coerced; bytesFor unchecked;
// hashApiKey and lone surrogates; a backpressure typo ignored; a gather over its own memory,
// which could loop forever in Wasm) have regression tests too.
//
// The six bugs this fuzzer found when it was written (exchangeName coercing its argument,
// symbolsMoved walking unchecked entries, the loader passing bad input to WebAssembly, the
// abstract RecordView constructible from JS, overflowing partition weights leaving the map
// half-changed, a view writing past a record another view had re-made smaller) each have a
// regression test at the end of this file.
//
// Reproducing and scaling: the seed is fixed (SEED); TICKWIRE_FUZZ_SEED and TICKWIRE_FUZZ_RUNS
// override seed and run count (e.g. TICKWIRE_FUZZ_RUNS=5000 for a long local session);
// TICKWIRE_FUZZ_STATS=1 prints how often each entry point ran and how it ended.
import { test } from "uvu";
import * as assert from "uvu/assert";
import fc from "fast-check";
import {
  TickwireMemory, SymbolTable, RecordView, TickView, StageView, Kind, Side, recordBytes, scalePrice, formatScaled,
  readMessage, writeMessage, toClientJson, fromClientJson, BatchCodec, JsonRenderer, Ring, RingWriter, RingReader,
  RingPool, ringBytes, LastValueCache, SymbolPartitioner, PartitionMap, exchangeCode, exchangeName, EXCHANGE_NAMES,
  TickwireError, compileCore, instantiateCore, monotonicNs, layout as L,
  type MarketDataMessage, type TickwireErrorCode, type ExchangeName, type SymbolInfo,
} from "../src/index.js";
import * as C from "../src/cache/layout.js";
import * as R from "../src/rings/layout.js";
import { NorenTokenMap } from "../src/feed/noren/token-map.js";
import { NorenParser } from "../src/feed/noren/parser.js";
import type { InstrumentRow, LinkChange, LinkResult, UpstreamLink } from "../src/feed/contract.js";
import { SimulatedAdapter, SymbolMaster, SubscriptionManager, FeedHealth, createUniverse, universeToCsv, scripKey, openAlgoSymbol } from "../src/index.js";
import { FanoutGather, FanoutPump, ClientFlags, resolveProxyConfig, hashApiKey, type PumpSink } from "../src/node/index.js";
import * as G from "../src/fanout/layout.js";
import { TickwireClient } from "../src/client/index.js";
import { parseFrames } from "./helpers/ws-frames.js";
import { createHash } from "node:crypto";
import { ApiKeys } from "../src/proxy/auth.js";
import { CODES, Sentinel, evil } from "./helpers/fuzz-common.js";

const SEED = Number(process.env.TICKWIRE_FUZZ_SEED ?? 0x71c4);
const RUNS = Number(process.env.TICKWIRE_FUZZ_RUNS ?? 300);
const ROUND_TRIP_RUNS = Math.max(100, Math.round(RUNS * 4 / 3));
const STATS = process.env.TICKWIRE_FUZZ_STATS === "1";
const MEM_BYTES = 1 << 20;
const REGION_BYTES = 16384;
const RING_CAPACITY = 8192;
const HANG_MS = 500;
const MODULE = await compileCore();



// ───────────────────────────── hostile values ─────────────────────────────


const aFunction = Object.assign(() => 64, { [fc.toStringMethod]: () => "() => 64" });
const aSymbol = Symbol("hostile");

const HOSTILE: readonly unknown[] = [
  NaN, Infinity, -Infinity, -0, 0.5, 1.5, -1, -64, 2 ** 31, 2 ** 32, 2 ** 32 + 64, 2 ** 53, 2 ** 53 + 2, -(2 ** 53),
  Number.MAX_VALUE, Number.MIN_VALUE, "64", "", "0x40", " 1", 64n, -1n, 2n ** 64n, null, undefined, true, false,
  {}, [], [64], aFunction, aSymbol, evil, new Number(64), new String("NSE"), new Date(0),
];
const hostile = fc.constantFrom(...HOSTILE);
const anyNumber = fc.oneof(fc.integer({ min: -(2 ** 31), max: 2 ** 32 + 64 }), fc.double(), hostile);

/** A symbolic offset, resolved against the world when the call runs (so shrinking replays). */
class Ref {
  constructor(readonly base: string, readonly plus: number) {}
  [fc.toStringMethod](): string {
    return `@${this.base}${this.plus === 0 ? "" : this.plus > 0 ? `+${this.plus}` : this.plus}`;
  }
}
/** A value built from the world when the call runs (a real SymbolInfo, a ring handle, a callback, ...). */
class Make {
  constructor(readonly what: string) {}
  [fc.toStringMethod](): string {
    return `<${this.what}>`;
  }
}

/** One of the world's views, first re-pointed at `at` when given (a good record, so that field calls succeed). */
class Aim {
  constructor(readonly index: number, readonly at: Ref | null) {}
  [fc.toStringMethod](): string {
    return `view${this.index}${this.at ? `→${this.at[fc.toStringMethod]()}` : ""}`;
  }
}

const RING_NAMES = ["spsc", "mpsc", "bcast"] as const;
type RingName = (typeof RING_NAMES)[number];
const GOOD_BASES = ["A", "A", "A", "B", "B", "C", "C", "alloc", ...RING_NAMES.flatMap((r) => [`claim.${r}`, `read.${r}`, `data.${r}`])];
const BAD_BASES = [
  "zero", "static", "base-64", "base", "map", "next", "end", "table", "table.scratch", "cache", "cache.slot0",
  "cache.scratch", "part", "part.scratch", "renderer.out", "codec", ...RING_NAMES.flatMap((r) => [`ring.${r}`, `meta.${r}`, `cursor.${r}`]),
];
const PLUS = [0, 0, 0, 0, 8, 64, 256, 640, 704, 896, 1280, 192, 384, -64, -8, 1, 4, 7, 4096, REGION_BYTES - 64, REGION_BYTES, 2 ** 32];
const refArb = fc.tuple(fc.constantFrom(...GOOD_BASES, ...GOOD_BASES, ...BAD_BASES), fc.constantFrom(...PLUS)).map(([b, p]) => new Ref(b, p));
const offsetArb = fc.oneof(
  { weight: 8, arbitrary: refArb },
  { weight: 1, arbitrary: hostile },
  { weight: 1, arbitrary: fc.integer({ min: -128, max: MEM_BYTES + 128 }) },
);
// Good values, weighted in next to the hostile ones so that the success paths run too: the
// batch in A (records) and B (stage form) starts records at RECORD_AT; C is free room.
const RECORD_AT = [0, 64, 256, 640, 704, 896];
const goodRecordArb = fc.tuple(fc.constantFrom("A", "A", "B"), fc.constantFrom(...RECORD_AT)).map(([b, p]) => new Ref(b, p));
const goodSrcArb = fc.constantFrom(new Ref("A", 0), new Ref("A", 0), new Ref("B", 0), new Ref("A", 640), new Ref("B", 640), new Ref("C", 0), ...RING_NAMES.map((r) => new Ref(`read.${r}`, 0)));
const goodBytesArb = fc.constantFrom(64, 256, 640, 1280, ...RING_NAMES.map((r) => new Ref(`ready.${r}`, 0)));
const goodDstArb = fc.constantFrom(new Ref("C", 0), new Ref("C", 0), new Ref("C", 2048), new Ref("alloc", 0), new Ref("A", 4096), new Ref("B", 8192));
const bytesArb = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(0, 64, 128, 192, 256, 384, 448, 640, 1024, 1280, 4096, REGION_BYTES) },
  { weight: 1, arbitrary: fc.constantFrom(63, 65, 1, -64, REGION_BYTES + 64, MEM_BYTES, MEM_BYTES + 64, 2 ** 32 + 192) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 20000 }).map((x) => x & ~63) },
  { weight: 1, arbitrary: fc.integer({ min: -100, max: 5000 }) },
  { weight: 1, arbitrary: hostile },
);
const srcArb = fc.oneof({ weight: 2, arbitrary: goodSrcArb }, { weight: 3, arbitrary: offsetArb });
const dstArb = fc.oneof({ weight: 2, arbitrary: goodDstArb }, { weight: 3, arbitrary: offsetArb });
const batchBytesArb = fc.oneof({ weight: 2, arbitrary: goodBytesArb }, { weight: 3, arbitrary: bytesArb });
const idArb = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 7 }) },
  { weight: 1, arbitrary: fc.constantFrom(63, 64, 65, -1, 2 ** 32 - 1, 2 ** 32, 0.5, -0, 2 ** 24) },
  { weight: 1, arbitrary: hostile },
);
const kindArb = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(1, 2, 3) },
  { weight: 1, arbitrary: fc.constantFrom(0, 4, 255, 1.5, "2", 2n, NaN) },
  { weight: 1, arbitrary: hostile },
);
const exchangeArb = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom("NSE", "NSE", "NFO", "CDS", "CRYPTO", "BSE", "MCX") },
  { weight: 1, arbitrary: fc.constantFrom("", "nse", "NSE ", "XYZ", "__proto__", "constructor", "toString") },
  { weight: 1, arbitrary: hostile },
);
const KNOWN_NAMES = ["RELIANCE", "INFY", "NIFTY24DECFUT", "USDINR", "BTCUSDT", "SENSEX"];
const symbolArb = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...KNOWN_NAMES) },
  {
    weight: 2, arbitrary: fc.constantFrom(
      "", "a", "NEW1", "x".repeat(56), "x".repeat(57), "€".repeat(18), "€".repeat(19), "😀".repeat(14), "😀".repeat(15),
      '"', "\\", "a\u0000b", "\u007f", "\u0085", "\ufeff", "\ud800", "a\udc00b", "NIFTY 50", "é", "</script>",
    ),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 60 }) },
  { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 20 }) },
  { weight: 1, arbitrary: hostile },
);
const decimalsArb = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 9 }) },
  { weight: 1, arbitrary: fc.constantFrom(10, -1, 1.5, "2", NaN, 2n, 255) },
  { weight: 1, arbitrary: hostile },
);
// Never a valid long timeout (or undefined, which means 1000 ms): the fuzz must stay fast.
const timeoutArb = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(0, 0.5, 1, 2, -0) },
  { weight: 1, arbitrary: fc.constantFrom(NaN, -1, Infinity, -Infinity, 2 ** 31, 2 ** 53, "1", 1n, null, {}, evil, aSymbol) },
);
const spinsArb = fc.oneof(fc.integer({ min: 0, max: 300 }), fc.constantFrom(undefined, -1, 1.5, 1e9 + 1, NaN, "5", 5n, null, evil));
const priceArb = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(2500.05, 0, -0, 1.005, 0.1 + 0.2, 1e15, 2 ** 51, 2251799.813685247, -2500.05, 1e-10, 12.5, 97000.12345678) },
  { weight: 1, arbitrary: fc.double() },
  { weight: 2, arbitrary: fc.integer({ min: -1e6, max: 1e6 }).map((m) => m / 100) },
  { weight: 1, arbitrary: hostile },
);
const u64Arb = fc.oneof(
  fc.constantFrom(0, 1, 2 ** 53 - 1, 2 ** 53, -1, 2n ** 64n - 1n, 2n ** 64n, -1n, 2n ** 63n, -(2n ** 63n), -(2n ** 63n) - 1n),
  fc.bigInt({ min: -(2n ** 65n), max: 2n ** 65n }),
  fc.integer(),
  hostile,
);
const fieldOffsetArb = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom(L.OFF_LTP, L.OFF_AVG_PRICE, L.OFF_OPEN, L.OFF_HIGH, L.OFF_LOW, L.OFF_CLOSE, L.OFF_BID, L.OFF_ASK, L.OFF_UPPER_CIRCUIT, L.OFF_LOWER_CIRCUIT, L.OFF_DEPTH_BIDS, L.OFF_DEPTH_ASKS + 64) },
  { weight: 1, arbitrary: fc.constantFrom(0, 3, L.OFF_SEQ, 33, 384, -32, 1e9, "32", NaN, L.OFF_DEPTH_BIDS + 8) },
  { weight: 1, arbitrary: hostile },
);
/** Mostly `valid`, sometimes `invalid`, sometimes anything hostile. */
function mix<T>(valid: fc.Arbitrary<T>, invalid: fc.Arbitrary<unknown>, validWeight = 6): fc.Arbitrary<unknown> {
  return fc.oneof({ weight: validWeight, arbitrary: valid }, { weight: 1, arbitrary: invalid }, { weight: 1, arbitrary: hostile });
}
const sideArb = mix(fc.constantFrom(Side.BUY, Side.SELL), fc.constantFrom(2, -1, 0.5, "0", -0));
const levelArb = mix(fc.integer({ min: 0, max: 4 }), fc.constantFrom(5, -1, 1.5, "0", 2 ** 32));
const u32Arb = mix(fc.integer({ min: 0, max: 1000 }), fc.constantFrom(0xffffffff, 2 ** 32, -1, 1.5));
const partArb = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: 0, max: 6 }) },
  { weight: 1, arbitrary: fc.constantFrom(255, 256, 4095, 4096, 65535, -1, 1.5, "1", NaN) },
  { weight: 1, arbitrary: hostile },
);
// Weights past the largest accepted (1e9), up to those whose product with the slot count overflows:
const weightArb = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(0, 1, 1, 2, 0.5, 3, Number.MIN_VALUE, 1e-300) },
  { weight: 1, arbitrary: fc.constantFrom(1e306, Number.MAX_VALUE, 1e300, 1e9, 1e12) },
  { weight: 1, arbitrary: fc.double({ min: 0, max: 10, noNaN: true }) },
  { weight: 1, arbitrary: hostile },
);
// DEPTH records of the batch (A and B), for the level calls.
const depthViews = fc.tuple(fc.integer({ min: 0, max: 4 }), fc.option(fc.constantFrom(new Ref("A", 256), new Ref("A", 896), new Ref("B", 256), new Ref("B", 896)), { freq: 4 }))
  .map(([i, at]) => new Aim(i, at));
const viewArb = fc.tuple(fc.integer({ min: 0, max: 4 }), fc.option(goodRecordArb, { freq: 2 })).map(([i, at]) => new Aim(i, at));
const ringArb = fc.constantFrom(...RING_NAMES);
/** A ring whose writer holds a claim now, if any (so that fill and commit meet their claim). */
const heldRingArb = fc.oneof(ringArb, fc.constant(new Make("held")), fc.constant(new Make("held")));

// ───────────────────────────── valid messages ─────────────────────────────

const NAME_UNITS = [..."ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_&. ", "é", "€", "日", "😀", "\u00a0", "ß"];
const utf8 = new TextEncoder();
const cleanSymbolArb = fc.string({ unit: fc.constantFrom(...NAME_UNITS), minLength: 1, maxLength: 30 })
  .filter((s) => { const n = utf8.encode(s).length; return n >= 1 && n <= L.SYMBOL_MAX_BYTES; });
const VALID_EXCHANGES = EXCHANGE_NAMES.filter((n): n is ExchangeName => n !== "");
const MAX_SCALED = BigInt(L.MAX_SCALED_PRICE);
const POW10 = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9];

/** A u64 or i64 in the object form's canonical shape: a number when safe, else a bigint. */
function canonical(n: bigint): number | bigint {
  return n >= -BigInt(Number.MAX_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
}
const u64Valid = fc.oneof(fc.integer({ min: 0, max: 2 ** 31 }).map(BigInt), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n })).map(canonical);
const i64Valid = fc.oneof(fc.integer({ min: -(2 ** 31), max: 2 ** 31 }).map(BigInt), fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n })).map(canonical);
const u32Valid = fc.oneof(fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 0, max: 0xffffffff }));
const scaledArb = fc.oneof(fc.integer({ min: -1e6, max: 1e6 }), fc.bigInt({ min: -MAX_SCALED, max: MAX_SCALED }).map(Number));
const priceAt = (d: number) => scaledArb.map((m) => (m === 0 ? 0 : m / POW10[d]!));
const levelAt = (d: number) => fc.record({ price: priceAt(d), quantity: u32Valid, orders: u32Valid });

/** Valid MarketDataMessages: every mode, fields at random decimals, optional fields sometimes absent. */
const validMessageArb: fc.Arbitrary<MarketDataMessage> = fc.tuple(fc.constantFrom(1, 2, 3), fc.integer({ min: 0, max: 9 }))
  .chain(([mode, d]) => {
    const base = {
      mode: fc.constant(mode as Kind), symbol: cleanSymbolArb, exchange: fc.constantFrom(...VALID_EXCHANGES),
      priceDecimals: fc.constant(d), seq: u64Valid, recvTimeNs: u64Valid, ltp: priceAt(d), exchangeTimeMs: i64Valid,
      lastTradeTimeMs: i64Valid, lastQuantity: u32Valid,
      percentChange: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }).map((bp) => (bp === 0 ? 0 : bp / 100)),
    };
    if (mode === 1) return fc.record(base);
    const quote = {
      ...base, averagePrice: priceAt(d), open: priceAt(d), high: priceAt(d), low: priceAt(d), close: priceAt(d),
      volume: u64Valid, oi: u64Valid, totalBuyQuantity: u64Valid, totalSellQuantity: u64Valid,
      upperCircuit: priceAt(d), lowerCircuit: priceAt(d),
    };
    if (mode === 2) {
      return fc.record({ ...quote, bid: priceAt(d), ask: priceAt(d), bidQuantity: u32Valid, askQuantity: u32Valid },
        { requiredKeys: Object.keys(base) as (keyof typeof base)[] });
    }
    return fc.tuple(
      fc.record(quote, { requiredKeys: Object.keys(base) as (keyof typeof base)[] }),
      fc.array(levelAt(d), { maxLength: 5 }), fc.array(levelAt(d), { maxLength: 5 }), fc.boolean(),
    ).map(([m, buy, sell, topGiven]) => {
      const msg: MarketDataMessage = { ...m, depth: { buy, sell } };
      if (topGiven) {
        msg.bid = buy[0]?.price ?? 0;
        msg.ask = sell[0]?.price ?? 0;
        msg.bidQuantity = buy[0]?.quantity ?? 0;
        msg.askQuantity = sell[0]?.quantity ?? 0;
      }
      return msg;
    });
  });

const MSG_FIELDS = [
  "mode", "symbol", "exchange", "priceDecimals", "seq", "recvTimeNs", "ltp", "exchangeTimeMs", "lastTradeTimeMs",
  "lastQuantity", "percentChange", "averagePrice", "volume", "bid", "bidQuantity", "totalSellQuantity", "depth", "unknownField",
];
/** Messages: valid, valid with one field made hostile, or not a message at all. */
const messageArb = fc.oneof(
  { weight: 3, arbitrary: validMessageArb },
  {
    weight: 3, arbitrary: fc.tuple(validMessageArb, fc.constantFrom(...MSG_FIELDS), fc.oneof(hostile, priceArb, u64Arb, symbolArb, kindArb))
      .map(([m, k, v]) => ({ ...m, [k]: v }) as MarketDataMessage),
  },
  {
    weight: 1, arbitrary: fc.tuple(validMessageArb, fc.oneof(hostile, fc.constant([null]), fc.constant([{ price: 1, quantity: 1, orders: 1, x: 1 }]),
      fc.array(levelArbLoose(), { maxLength: 7 }))).map(([m, side]) => ({ ...m, mode: 3, depth: { buy: side, sell: [] } }) as unknown as MarketDataMessage),
  },
  { weight: 1, arbitrary: hostile },
);
function levelArbLoose() {
  return fc.record({ price: priceArb, quantity: u32Arb, orders: u32Arb }, { requiredKeys: [] });
}
const brokerArb = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom("sim", "zerodha", "", "b".repeat(64)) },
  { weight: 1, arbitrary: fc.constantFrom("b".repeat(65), '"', "\\", "\u0001", "\ud800", "é".repeat(33)) },
  { weight: 1, arbitrary: fc.string({ maxLength: 70 }) },
  { weight: 1, arbitrary: hostile },
);
/** A boolean option: true, false, absent, or something else (which must be refused, not coerced). */
const boolOptionArb = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(true, false, undefined) },
  { weight: 1, arbitrary: fc.constantFrom(0, 1, "true", "false", "", null, new Boolean(false)) },
  { weight: 1, arbitrary: hostile },
);
const clientOptionsArb = fc.oneof(
  { weight: 3, arbitrary: fc.record({ broker: brokerArb, timestampMs: fc.oneof(fc.integer(), fc.constantFrom(2 ** 53, -0, 1.5, "1", 1n)) }) },
  { weight: 1, arbitrary: fc.record({ broker: brokerArb, timestampMs: fc.integer(), mode: kindArb, other: fc.constantFrom(undefined, 1) }, { requiredKeys: ["broker", "timestampMs"] }) },
  {
    weight: 3, arbitrary: fc.record({ broker: fc.constantFrom("sim", ""), timestampMs: fc.integer(), mode: fc.constantFrom(undefined, 1, 2, 3), sdkAliases: boolOptionArb, receiveTime: boolOptionArb },
      { requiredKeys: ["broker", "timestampMs"] }),
  },
  { weight: 1, arbitrary: hostile },
);

// Client JSON text: valid renderings, mutated ones, and arbitrary strings.
const JSON_INSERTS = [",", '"', "}", "]", "{", "1e999", "-0", ".5", "\\u0000", "\ud800", "\u0000", "00", " ", "null", "true", '"x":1,'];
const NUMBER_SWAPS = ["1e400", "-0", "00", "0.1234567891", "18446744073709551616", "9007199254740993", "1E2", "-", "1.", ".1", "2.50", "1e-2", "-1", "4294967296"];
const jsonTextArb = fc.oneof(
  { weight: 2, arbitrary: fc.tuple(validMessageArb, fc.integer({ min: -(2 ** 40), max: 2 ** 40 })).map(([m, ts]) => toClientJson(m, { broker: "sim", timestampMs: ts })) },
  {
    weight: 3, arbitrary: fc.tuple(validMessageArb, fc.nat(), fc.nat({ max: 8 }), fc.constantFrom(...JSON_INSERTS), fc.constantFrom("replace", "insert", "delete", "number", "dupkey", "mode"))
      .map(([m, at, len, text, how]) => {
        const s = toClientJson(m, { broker: "sim", timestampMs: 1 });
        const i = at % (s.length + 1);
        switch (how) {
          case "replace": return s.slice(0, i) + text + s.slice(i + 1);
          case "insert": return s.slice(0, i) + text + s.slice(i);
          case "delete": return s.slice(0, i) + s.slice(i + len + 1);
          case "dupkey": return s.replace(/"ltp":/, `"ltp":1,"ltp":`);
          case "mode": return s.replace(/"mode":\d/, `"mode":${text}`);
          default: {
            let n = 0;
            const k = at % 20;
            return s.replace(/-?\d+(\.\d+)?/g, (x) => (n++ === k ? NUMBER_SWAPS[len % NUMBER_SWAPS.length]! : x));
          }
        }
      }),
  },
  {
    weight: 1, arbitrary: fc.constantFrom(
      "", " ", "null", "[]", "{}", '{"type":"market_data"}', "[".repeat(100000), '{"a":'.repeat(1000), '"\\u12"', "1e99999999999",
      '{"type":"market_data","symbol":"X","exchange":"NSE","mode":1,"data":{"ltp":1e999999999,"timestamp":0},"broker":""}',
      '{"type":"market_data","symbol":"X","exchange":"NSE","mode":1,"data":{"ltp":0.0000000001,"timestamp":0},"broker":""}',
      '{"type":"market_data","symbol":"X","exchange":"NSE","mode":1,"data":{"ltp":1,"timestamp":9007199254740993},"broker":""}',
    ),
  },
  { weight: 1, arbitrary: fc.json() },
  { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 40 }) },
  { weight: 1, arbitrary: hostile },
);

// ───────────────────────────── the fan-out world: a model of the gather ─────────────────────────────

// The gather's 8 MiB output minimum needs a larger memory than the core world's: the fan-out
// property runs in its own world of FANOUT_MEM_BYTES (the whole core world plus a gather).
const FANOUT_MEM_BYTES = 12 << 20;
const GATHER_CLIENTS = 4;
const GATHER_SUBSCRIPTIONS = 16;
const GATHER_BROKER = "fuzz-fanout";
const FANOUT_RUNS = Math.max(20, Math.round(RUNS / 2));
const decoder = new TextDecoder();
type RendererOptions = { broker: string; sdkAliases?: unknown; receiveTime?: unknown };

const snapBuffers = new Map<number, Buffer>();
function snapBuffer(bytes: number): Buffer {
  let b = snapBuffers.get(bytes);
  if (!b) snapBuffers.set(bytes, (b = Buffer.allocUnsafe(bytes)));
  return b;
}

interface SubModel { modes: number; afterSeq: bigint; sinceSeq: bigint }
/** What one gather call should give one client. */
interface SlotOut { json: string[]; binary: Uint8Array[]; ticks: number; conflated: number; pending: number }

/**
 * The gather's documented behaviour, in plain JS: open slots, flags, subscriptions (by symbol,
 * as setSubscription keeps them) and each conflating slot's pending symbols.
 */
class GatherModel {
  readonly open = new Set<number>();
  readonly flags = new Map<number, number>();
  readonly bySymbol = new Map<number, Map<number, SubModel>>();
  readonly pending = new Map<number, Set<number>>();
  entries = 0;

  flagsOf(slot: number): number {
    return this.flags.get(slot) ?? 0;
  }

  /** setSubscription's answer, applied. */
  subscribe(slot: number, id: number, modes: number, afterSeq: number, since: boolean): boolean {
    let subs = this.bySymbol.get(id);
    const had = subs?.get(slot);
    if (modes === 0) {
      if (had && subs) {
        subs.delete(slot);
        if (subs.size === 0) this.bySymbol.delete(id);
        this.entries--;
      }
      return true;
    }
    if (!had && this.entries >= GATHER_SUBSCRIPTIONS) return false;
    if (!subs) this.bySymbol.set(id, (subs = new Map()));
    if (!had) this.entries++;
    subs.set(slot, { modes, afterSeq: BigInt(afterSeq), sinceSeq: since ? BigInt(afterSeq) : had?.sinceSeq ?? 0n });
    return true;
  }

  close(slot: number): void {
    for (const [id, subs] of [...this.bySymbol]) if (subs.has(slot)) this.subscribe(slot, id, 0, 0, false);
    this.flags.delete(slot);
    this.pending.delete(slot);
    this.open.delete(slot);
  }

  takePending(slot: number): number[] {
    const ids = [...(this.pending.get(slot) ?? [])].sort((a, b) => a - b);
    this.pending.delete(slot);
    return ids;
  }

  /**
   * What the records of `batch` (a copy of the batch as it was before the call) give each client
   * (the records before `stopAt`, when given, for a refused call: only the conflating clients'
   * pending marks of those stay). Updates the pending sets; renders the JSON messages with
   * toClientJson when `render`.
   */
  simulate(w: World, batch: Uint8Array, ts: number, stopAt = Infinity, render = true): Map<number, SlotOut> {
    const out = new Map<number, SlotOut>();
    const u8 = batch;
    const dv = new DataView(batch.buffer, batch.byteOffset, batch.byteLength);
    const options = w.gather!.options;
    let index = 0;
    for (let at = 0; at < batch.length && index < stopAt; index++) {
      const length = dv.getUint16(at + L.OFF_LENGTH, true);
      const kind = u8[at + L.OFF_KIND]!;
      const id = dv.getUint32(at + L.OFF_SYMBOL_ID, true);
      const seq = dv.getBigUint64(at + L.OFF_SEQ, true);
      const rec = at;
      at += length;
      expect(length >= 64 && length % 64 === 0, `model: a record of ${length} bytes at ${rec} was taken`);
      if (kind === L.KIND_PADDING) continue;
      const subs = this.bySymbol.get(id);
      if (!subs) continue;
      for (const [slot, sub] of subs) {
        const flags = this.flagsOf(slot);
        if ((flags & ClientFlags.ACTIVE) === 0 || (sub.modes & ((1 << kind) - 1)) === 0) continue;
        let o = out.get(slot);
        if (!o) out.set(slot, (o = { json: [], binary: [], ticks: 0, conflated: 0, pending: 0 }));
        if (seq <= sub.afterSeq) {
          if (seq > sub.sinceSeq) o.conflated++;
          continue;
        }
        if (flags & ClientFlags.CONFLATING) {
          let set = this.pending.get(slot);
          if (!set) this.pending.set(slot, (set = new Set()));
          if (set.has(id)) o.conflated++;
          else {
            set.add(id);
            o.pending++;
          }
          continue;
        }
        if (!render) continue;
        if (flags & ClientFlags.BINARY) {
          const m = 32 - Math.clz32(sub.modes & ((1 << kind) - 1));
          const cut = u8.slice(rec, rec + recordBytes(m as Kind));
          cut[L.OFF_LENGTH] = cut.length & 0xff;
          cut[L.OFF_LENGTH + 1] = cut.length >>> 8;
          cut[L.OFF_KIND] = m;
          o.binary.push(cut);
          o.ticks++;
          continue;
        }
        for (let m = 1; m <= kind; m++) {
          if ((sub.modes & (1 << (m - 1))) === 0) continue;
          o.json.push(toClientJson(printedMessage(batch, rec, m as Kind, w.table), { broker: options.broker, timestampMs: ts, mode: m as Kind, sdkAliases: options.sdkAliases === true, receiveTime: options.receiveTime === true }));
          o.ticks++;
        }
      }
    }
    return out;
  }
}

/**
 * The fan-out world's gather: every gather call (the fuzz's own and the pump's) is checked
 * against the model — the records taken, the clients touched, each one's frames byte for byte
 * (JSON: toClientJson's text; binary: the records cut to the client's mode) and its counts.
 * A mismatch throws a plain Error: a finding, reported with the call.
 */
class OracleGather extends FanoutGather {
  readonly model = new GatherModel();
  constructor(private readonly w: World, readonly options: { maxClients: number; maxSubscriptions: number; broker: string; sdkAliases?: boolean; receiveTime?: boolean }) {
    super(w.mem, w.table, options);
  }

  override gather(src: number, bytes: number, timestampMs: number): number {
    // The batch as it is now: the gather must not change it (nor read it changed, were it to overlap its output).
    const batch = isInt(src, 0, this.w.mem.byteLength) && isInt(bytes, 0, this.w.mem.byteLength - src) ? this.w.mem.u8.slice(src, src + bytes) : new Uint8Array(0);
    const unchanged = () => {
      if (batch.length > 0 && !Buffer.from(batch).equals(this.w.mem.u8.subarray(src, src + batch.length))) throw new Error(`the gather changed the batch it reads, [${src}, +${batch.length}) (${this.w.where(src)})`);
    };
    let took: number;
    try {
      took = super.gather(src, bytes, timestampMs);
    } catch (e) {
      unchanged();
      // The records before a refused one were taken: their pending marks stay (nothing else does).
      if (e instanceof TickwireError && e.recordIndex !== undefined) {
        expect(isInt(e.recordIndex, 0, bytes / 64), `refused with recordIndex ${e.recordIndex} in a batch of ${bytes} bytes`);
        this.model.simulate(this.w, batch, timestampMs, e.recordIndex, false);
      }
      throw e;
    }
    unchanged();
    const want = this.model.simulate(this.w, batch.subarray(0, took), timestampMs);
    expect(isInt(took, bytes > 0 ? 64 : 0, bytes) && took % 64 === 0, `gather took ${took} of ${bytes} bytes`);
    let records = 0;
    for (let at = 0; at < took; at += batch[at]! | (batch[at + 1]! << 8)) if (batch[at + L.OFF_KIND] !== L.KIND_PADDING) records++;
    expect(this.records === records, `gather says it took ${this.records} records, the batch's ${took} bytes hold ${records}`);
    const touched = Array.from({ length: this.touchedCount }, (_, i) => this.touchedSlot(i)).sort();
    expect(JSON.stringify(touched) === JSON.stringify([...want.keys()].sort()), `touched slots ${JSON.stringify(touched)}, the model says ${JSON.stringify([...want.keys()].sort())}`);
    if (STATS) {
      for (const o of want.values()) {
        count("gather.gather", "(json frames checked)", o.json.length);
        count("gather.gather", "(binary records checked)", o.binary.length);
        count("gather.gather", "(conflated/pending checked)", o.conflated + o.pending);
      }
    }
    const all = this.output();
    const [out, outEnd] = this.w.gatherArea("out");
    expect(all.byteOffset === out && all.length === this.outputBytes && out + all.length <= outEnd, `output() is [${all.byteOffset}, +${all.length}), outputBytes ${this.outputBytes}, the output area [${out}, ${outEnd})`);
    for (const [slot, o] of want) {
      const frames = this.checkedFrames(slot);
      const start = this.frameStart(slot);
      expect(start + this.frameBytes(slot) <= all.length && Buffer.from(all.subarray(start, start + this.frameBytes(slot))).equals(frames), `slot ${slot}: output() at frameStart ${start}, frameBytes ${this.frameBytes(slot)} is not frames(${slot})`);
      const got = { ticks: this.ticks(slot), conflated: this.conflated(slot), pending: this.pending(slot) };
      const counts = { ticks: o.ticks, conflated: o.conflated, pending: o.pending };
      expect(JSON.stringify(got) === JSON.stringify(counts), `slot ${slot}: counts ${JSON.stringify(got)}, the model says ${JSON.stringify(counts)}`);
      const parsed = parseFrames(frames.slice());
      if (this.model.flagsOf(slot) & ClientFlags.BINARY) {
        const payload = Buffer.concat(o.binary);
        expect(o.binary.length === 0 ? parsed.length === 0 : parsed.length === 1 && parsed[0]!.fin && parsed[0]!.opcode === 2 && Buffer.from(parsed[0]!.payload).equals(payload),
          `slot ${slot} (binary): ${parsed.length} frame(s), not one binary frame of its ${o.binary.length} record(s) cut to its mode`);
      } else {
        const texts = parsed.map((f) => (f.fin && f.opcode === 1 ? decoder.decode(f.payload) : `<frame opcode ${f.opcode}>`));
        for (let i = 0; i < Math.max(texts.length, o.json.length); i++) {
          expect(texts[i] === o.json[i], `slot ${slot}: frame ${i} is ${texts[i]?.slice(0, 400)},\n  toClientJson gives ${o.json[i]?.slice(0, 400)}`);
        }
      }
    }
    return took;
  }

  /** frames(slot), checked to lie inside the gather's output area. */
  checkedFrames(slot: number): Uint8Array {
    const f = this.frames(slot);
    const [out, end] = this.w.gatherArea("out");
    expect(f.buffer === this.w.mem.buffer && f.byteOffset >= out && f.byteOffset + f.length <= end, `frames(${slot}) is [${f.byteOffset}, +${f.length}), not inside the output area [${out}, ${end})`);
    return f;
  }

  /** The invariant after every call: each slot's flags word holds the model's flags, no stray bit. */
  strayFlags(): string | undefined {
    const [clients] = this.w.gatherArea("clients");
    for (let slot = 0; slot < GATHER_CLIENTS; slot++) {
      const raw = this.w.mem.u32[(clients + slot * G.GC_BYTES + G.GC_FLAGS) >>> 2]!;
      if (raw !== this.model.flagsOf(slot)) return `slot ${slot}'s flags word is ${raw}${raw & G.GF_TOUCHED ? " (a stray GF_TOUCHED bit)" : ""}, the model says ${this.model.flagsOf(slot)}`;
    }
    return undefined;
  }
}

/** The pump's sink: checks what it is handed; counts refusals (a loop would refuse forever). */
class PumpLog {
  /** What the pump's clients() answers. */
  clients: unknown = 1;
  refused = 0;
  sink(w: World): PumpSink {
    return {
      frames: (slot, frames, ticks) => {
        const g = w.gather!;
        expect(g.model.open.has(slot) && (g.model.flagsOf(slot) & ClientFlags.ACTIVE) !== 0, `the pump sent frames to slot ${slot}, which is not an open, active slot`);
        // (The pump may hand a view of the gather's output or of a copy of it.)
        const f = g.checkedFrames(slot);
        expect(Buffer.from(f).equals(frames) && ticks === g.ticks(slot), `the pump sent slot ${slot} ${frames.length} bytes with ${ticks} ticks, not the gather's ${f.length} with ${g.ticks(slot)}`);
      },
      conflated: (slot) => expect(w.gather!.model.open.has(slot), `the pump reported conflation for slot ${slot}, which is not open`),
      afterRound: () => {},
      batch: (src, bytes) => w.checkBatch("the pump's batch", src, bytes),
      refused: (e) => {
        expect(e instanceof TickwireError, "the pump reported a refusal that is not a TickwireError");
        if (++this.refused > 1000) throw new Error("the pump refused more than 1000 records in one round: it loops");
      },
    };
  }
}

/**
 * Checks client JSON `text` rendered from `msg` with `options`: the extra fields (recv_time_ns
 * right after timestamp; last_trade_quantity, avg_trade_price, change = ltp − close and
 * change_percent right after oi) hold the right values, and without them the text is the plain
 * rendering, which fromClientJson reads back.
 */
function checkClientJson(text: string, msg: MarketDataMessage, options: { broker: string; timestampMs: number; mode?: unknown; sdkAliases?: unknown; receiveTime?: unknown }): void {
  JSON.parse(text);
  const mode = (options.mode ?? msg.mode) as Kind;
  let plain = text;
  const ts = `"timestamp":${options.timestampMs === 0 ? 0 : options.timestampMs}`;
  if (options.receiveTime === true) {
    const extra = `,"recv_time_ns":${BigInt(msg.recvTimeNs ?? 0)}`;
    expect(plain.includes(ts + extra), `no ${extra} after ${ts} in ${text}`);
    plain = plain.replace(ts + extra, ts);
  }
  if (options.sdkAliases === true && mode >= Kind.QUOTE) {
    const field = (name: string) => new RegExp(`"${name}":(-?[0-9.]+)`).exec(plain)?.[1];
    const d = msg.priceDecimals;
    const change = formatScaled(scalePrice(msg.ltp, d) - scalePrice(msg.close ?? 0, d), d);
    const oi = `,"oi":${field("oi")}`;
    const extra = `,"last_trade_quantity":${field("last_quantity")},"avg_trade_price":${field("average_price")},"change":${change},"change_percent":${field("percent_change")}`;
    expect(plain.includes(oi + extra), `no ${extra} after ${oi} in ${text}`);
    plain = plain.replace(oi + extra, oi);
  }
  const want = toClientJson(msg, { broker: options.broker, timestampMs: options.timestampMs, mode });
  expect(plain === want, `without its extra fields the text is ${plain},\n  the plain rendering is ${want}`);
  fromClientJson(plain);
}

/**
 * The message a `mode` rendering of the record at `at` of `u8` prints, as readMessage reads it:
 * the record cut to `mode`, with the fields no `mode` message prints made plain (the renderers
 * check only what they print: a Quote's bid, a Depth's top of book may be anything there).
 */
function printedMessage(u8: Uint8Array, at: number, mode: Kind, table: SymbolTable): MarketDataMessage {
  const n = recordBytes(mode);
  const copy = u8.slice(at, at + n);
  const dv = new DataView(copy.buffer);
  dv.setUint16(L.OFF_LENGTH, n, true);
  copy[L.OFF_KIND] = mode;
  if (mode === Kind.QUOTE) for (const off of [L.OFF_BID, L.OFF_ASK, L.OFF_UPPER_CIRCUIT, L.OFF_LOWER_CIRCUIT]) dv.setBigInt64(off, 0n, true);
  if (mode === Kind.DEPTH) {
    dv.setBigInt64(L.OFF_BID, dv.getBigInt64(L.OFF_DEPTH_BIDS + L.LEVEL_OFF_PRICE, true), true);
    dv.setBigInt64(L.OFF_ASK, dv.getBigInt64(L.OFF_DEPTH_ASKS + L.LEVEL_OFF_PRICE, true), true);
    dv.setUint32(L.OFF_BID_QTY, dv.getUint32(L.OFF_DEPTH_BIDS + L.LEVEL_OFF_QTY, true), true);
    dv.setUint32(L.OFF_ASK_QTY, dv.getUint32(L.OFF_DEPTH_ASKS + L.LEVEL_OFF_QTY, true), true);
  }
  return readMessage(new TickView(copy).wrap(0), table);
}

/** Whether an option documented as a boolean was given as something else (to be refused, not coerced). */
const notBoolean = (v: unknown) => v !== undefined && typeof v !== "boolean";

// ───────────────────────────── the world ─────────────────────────────

interface Area { at: number; end: number; label: string }
type Range = [number, number];
interface Writes {
  ranges?: readonly Range[];
  /** May raise the next-free word (and own the newly reserved bytes). */
  reserve?: boolean;
  /** May set region-map bits for the newly reserved bytes. */
  grant?: boolean;
}
interface RingSet { ring: Ring; w: RingWriter; r: RingReader; claimAt: number; lastRead: number }

const SYMBOLS: [ExchangeName, string, number][] = [
  ["NSE", "RELIANCE", 2], ["NSE", "INFY", 2], ["NFO", "NIFTY24DECFUT", 2], ["CDS", "USDINR", 4], ["CRYPTO", "BTCUSDT", 8], ["BSE", "SENSEX", 0],
];
/** Rows of the world's NorenTokenMap, row i mapped to symbol id i (SYMBOLS[i]). */
const NOREN_ROWS: InstrumentRow[] = [
  { exchange: "NSE", symbol: "RELIANCE", brokerExchange: "NSE", token: "2885", brokerSymbol: "RELIANCE-EQ", priceDecimals: 2, tickSize: 0.05, lotSize: 1 },
  { exchange: "NSE", symbol: "INFY", brokerExchange: "NSE", token: "1594", brokerSymbol: "INFY-EQ", priceDecimals: 2, tickSize: 0.05, lotSize: 1 },
  { exchange: "NFO", symbol: "NIFTY24DECFUT", brokerExchange: "NFO", token: "35001", brokerSymbol: "NIFTY24DECFUT", priceDecimals: 2, tickSize: 0.05, lotSize: 25 },
  { exchange: "CDS", symbol: "USDINR", brokerExchange: "CDS", token: "1", brokerSymbol: "USDINR", priceDecimals: 4, tickSize: 0.0025, lotSize: 1000 },
];
/** The simulated feed's instruments (interned into the world's table at setup). */
const SIM_UNIVERSE = createUniverse({ instruments: 8, seed: 5 });
const SIM_MASTER = SymbolMaster.fromRows(SIM_UNIVERSE);
/** A link that acknowledges every change at once (the manager's control plane is what is fuzzed). */
class InstantLink implements UpstreamLink {
  readonly state = "open" as const;
  constructor(readonly index: number) {}
  async change(changes: readonly LinkChange[]): Promise<LinkResult[]> {
    return changes.map(() => ({ ok: true }));
  }
}
const BATCH_KINDS: Kind[] = [Kind.LTP, Kind.QUOTE, Kind.DEPTH, Kind.LTP, Kind.QUOTE, Kind.DEPTH];
const BATCH_BYTES = BATCH_KINDS.reduce((n, k) => n + recordBytes(k), 0); // 1280

/** A full, valid message of `mode` for a symbol of the table. */
function sampleMessage(info: SymbolInfo, mode: Kind, i = 0): MarketDataMessage {
  const d = info.priceDecimals;
  const p = (m: number) => (m + i) / POW10[d]!;
  const msg: MarketDataMessage = {
    mode, symbol: info.symbol, exchange: info.exchange, priceDecimals: d, seq: 1000 + i, recvTimeNs: 123456789,
    ltp: p(250005), exchangeTimeMs: 1732500000000, lastTradeTimeMs: 1732499999000, lastQuantity: 25, percentChange: -1.05,
  };
  if (mode >= Kind.QUOTE) {
    Object.assign(msg, {
      averagePrice: p(249937), open: p(249000), high: p(251055), low: p(248010), close: p(252660), volume: 2n ** 60n, oi: 77,
      bid: p(250000), ask: p(250010), bidQuantity: 10, askQuantity: 11, totalBuyQuantity: 5, totalSellQuantity: 2n ** 63n,
      upperCircuit: p(277925), lowerCircuit: p(227385),
    });
  }
  if (mode === Kind.DEPTH) {
    const lv = (k: number, s: number) => ({ price: p(250000 + s * k * 5), quantity: 100 + k, orders: 1 + k });
    const buy = [0, 1, 2, 3, 4].map((k) => lv(k, -1));
    const sell = [0, 1, 2, 3, 4].map((k) => lv(k + 2, 1));
    Object.assign(msg, { depth: { buy, sell }, bid: buy[0]!.price, ask: sell[0]!.price, bidQuantity: buy[0]!.quantity, askQuantity: sell[0]!.quantity });
  }
  return msg;
}

/** Keeps a copy of the memory and compares it with the live bytes outside what a call may change. */
class Guard {
  private readonly live: Buffer;
  private readonly snap: Buffer;
  constructor(private readonly w: World, reuse = false) {
    this.live = Buffer.from(w.mem.buffer, 0, w.mem.byteLength);
    // (Buffer.from(live) copies a shared buffer ~100× slower.) The fan-out world's 12 MiB copy is
    // kept from world to world (runs are sequential): touching a fresh one's pages costs ~40 ms.
    this.snap = reuse ? snapBuffer(w.mem.byteLength) : Buffer.allocUnsafe(w.mem.byteLength);
    this.snap.set(this.live);
  }

  /** Checks the memory after a call; returns what is wrong, or undefined. Re-syncs the copy. */
  verify(ranges: Range[], writes: Writes, nextBefore: number): string | undefined {
    const { mem } = this.w;
    const nextAfter = this.w.next();
    const all: Range[] = [...ranges];
    let problem: string | undefined;
    let mapRange: Range | undefined;
    if (nextAfter !== nextBefore) {
      if (!writes.reserve) problem = `the header's next-free word moved from ${nextBefore} to ${nextAfter} (this call may not reserve memory)`;
      else if (nextAfter < nextBefore) problem = `the header's next-free word moved back from ${nextBefore} to ${nextAfter}`;
      all.push([mem.base + 8, mem.base + 12], [nextBefore, nextAfter]);
      if (writes.grant) {
        mapRange = [this.w.mapStart + (nextBefore >>> 9), this.w.mapStart + ((nextAfter + 511) >>> 9)];
        all.push(mapRange);
      }
    }
    const merged = mergeRanges(all, mem.byteLength);
    let at = 0;
    for (const [a, b] of [...merged, [mem.byteLength, mem.byteLength] as Range]) {
      if (!problem && at < a && this.live.compare(this.snap, at, a, at, a) !== 0) problem = this.describeDiff(at, a);
      at = Math.max(at, b);
    }
    if (!problem && mapRange) {
      for (let i = mapRange[0]; i < mapRange[1] && !problem; i++) {
        const changed = this.live[i]! ^ this.snap[i]!;
        for (let bit = 0; bit < 8; bit++) {
          if (!(changed & (1 << bit))) continue;
          const granule = ((i - this.w.mapStart) << 3) + bit;
          if (granule * 64 < nextBefore || granule * 64 >= nextAfter) problem = `region-map bit of granule ${granule} (offset ${granule * 64}) changed, outside the newly reserved [${nextBefore}, ${nextAfter})`;
        }
      }
    }
    if (problem) {
      this.snap.set(this.live);
      return problem;
    }
    for (const [a, b] of merged) this.live.copy(this.snap, a, a, b);
    return undefined;
  }

  private describeDiff(from: number, to: number): string {
    let first = -1;
    let last = -1;
    let count = 0;
    for (let i = from; i < to; i++) {
      if (this.live[i] !== this.snap[i]) {
        if (first < 0) first = i;
        last = i;
        count++;
      }
    }
    return `${count} byte(s) changed in [${first}, ${last}] — ${this.w.where(first)}${last !== first ? ` … ${this.w.where(last)}` : ""} — outside what this call may change (first: ${this.snap[first]} → ${this.live[first]})`;
  }
}

function mergeRanges(ranges: readonly Range[], limit: number): Range[] {
  const clean = ranges
    .map(([a, b]): Range => [Math.max(0, Math.floor(a)), Math.min(limit, Math.ceil(b))])
    .filter(([a, b]) => Number.isFinite(a) && Number.isFinite(b) && b > a)
    .sort((x, y) => x[0] - y[0]);
  const out: Range[] = [];
  for (const r of clean) {
    const last = out[out.length - 1];
    if (last && r[0] <= last[1]) last[1] = Math.max(last[1], r[1]);
    else out.push([r[0], r[1]]);
  }
  return out;
}

class World {
  readonly areas: Area[] = [];
  label = "setup";
  regions: Area[] = [];
  lastAlloc = 0;
  lastRebalance: unknown = undefined;
  guard!: Guard;
  mapStart = 0;
  mapEnd = 0;
  staticEnd = 0;
  table!: SymbolTable;
  cache!: LastValueCache;
  part!: SymbolPartitioner;
  pool!: RingPool;
  rings!: Record<RingName, RingSet>;
  codec!: BatchCodec;
  renderer!: JsonRenderer;
  /** Every JsonRenderer made (the world's two and those the fuzz made), with the options it was given. */
  renderers: { r: JsonRenderer; options: RendererOptions; label: string }[] = [];
  /** The fan-out world only (FANOUT_MEM_BYTES): a gather checked against a model on every call. */
  gather: OracleGather | undefined;
  pump!: FanoutPump;
  readonly pumpLog = new PumpLog();
  nmap!: NorenTokenMap;
  nparser!: NorenParser;
  sim!: SimulatedAdapter;
  subs!: SubscriptionManager;
  views!: RecordView[];
  viewBases!: (number | undefined)[];
  /** A view of our own for reading inside callbacks (never handed to the fuzz). */
  readonly probe: TickView;
  A = 0;
  B = 0;
  C = 0;

  private constructor(readonly mem: TickwireMemory) {
    const reserve = mem.reserve.bind(mem);
    // Instrumentation: learn every area tickwire reserves, and who reserved it.
    (mem as unknown as { reserve: typeof reserve }).reserve = (bytes: number, align?: number) => {
      const at = reserve(bytes, align);
      this.areas.push({ at, end: at + bytes, label: this.label });
      return at;
    };
    this.probe = new TickView(mem.buffer);
  }

  /** A fresh world; `fanout` (the gather's extra-field options) makes the fan-out world. */
  static async create(fanout?: { sdkAliases: boolean; receiveTime: boolean }): Promise<World> {
    const mem = await TickwireMemory.create({ bytes: fanout ? FANOUT_MEM_BYTES : MEM_BYTES, module: MODULE });
    const w = new World(mem);
    w.staticEnd = mem.core.staticEnd();
    w.mapStart = mem.base + 64;
    w.mapEnd = mem.byteLength - mem.bytesFree;
    const as = <T extends { offset?: number }>(label: string, make: () => T): T => {
      w.label = label;
      const made = make();
      for (const a of w.areas) if (a.label === label && a.at !== made.offset) a.label = `${label}.scratch`;
      return made;
    };
    w.table = as("table", () => SymbolTable.create(mem, 64));
    for (const [ex, sym, d] of SYMBOLS) w.table.intern(ex, sym, d);
    w.cache = as("cache", () => LastValueCache.create(mem, { capacity: 64, busyTimeoutMs: 5 }));
    w.part = as("part", () => SymbolPartitioner.create(mem, { partitions: 4, symbols: w.table, slotBits: 8, maxPins: 8 }));
    w.label = "rings";
    w.pool = RingPool.create(mem, RING_NAMES.map((name) => ({ name, type: name === "bcast" ? "broadcast" as const : name, capacity: RING_CAPACITY })));
    for (const ring of w.pool.rings()) {
      const i = w.areas.findIndex((a) => a.at === ring.offset);
      const o = ring.offset;
      w.areas.splice(i, 1,
        { at: o, end: o + R.RING_HEADER_BYTES, label: `${ring.name}.hdr` },
        { at: o + R.RING_HEADER_BYTES, end: o + R.RING_HEADER_BYTES + ring.capacity, label: `${ring.name}.data` },
        { at: o + R.RING_HEADER_BYTES + ring.capacity, end: o + ringBytes(ring.capacity), label: `${ring.name}.meta` });
    }
    const sets = {} as Record<RingName, RingSet>;
    for (const name of RING_NAMES) {
      const ring = w.pool.get(name);
      w.label = `${name}.w`;
      const writer = ring.writer();
      w.label = `${name}.r`;
      const reader = ring.reader();
      sets[name] = { ring, w: writer, r: reader, claimAt: 0, lastRead: 0 };
    }
    w.rings = sets;
    w.label = "codec";
    w.codec = new BatchCodec(mem);
    w.label = "renderer";
    w.renderer = new JsonRenderer(mem, w.table, { broker: "fuzz", bufferBytes: 8192 });
    w.renderers.push({ r: w.renderer, options: { broker: "fuzz" }, label: "renderer" });
    // A second renderer with both extra fields, so that their rendering is always in play.
    w.label = "renderer.x";
    const xOptions = { broker: "fuzz-x", bufferBytes: 8192, sdkAliases: true, receiveTime: true };
    w.renderers.push({ r: new JsonRenderer(mem, w.table, xOptions), options: xOptions, label: "renderer.x" });
    w.label = "noren.map";
    w.nmap = NorenTokenMap.create(mem, 8, w.table);
    NOREN_ROWS.forEach((row, id) => w.nmap.set(row, id));
    w.label = "noren.parser";
    w.nparser = NorenParser.create(w.nmap, { frameBufferBytes: 4096, maxFrameBytes: 2048, outputBytes: 1536, maxControlFrames: 4 });
    // The in-process simulated feed: its staging region is the caller's (allocate()), its
    // symbols interned at setup, every instrument streaming (modes 1, 2, 3 in turn).
    w.label = "sim";
    const stageAt = w.next();
    w.sim = new SimulatedAdapter({ universe: SIM_UNIVERSE, ticksPerSecond: 0, batchTicks: 4 }, { mem, symbols: w.table, sink: () => 0 });
    await w.sim.subscribe(SIM_UNIVERSE.map((r, i) => ({ exchange: r.exchange, symbol: r.symbol, mode: ((i % 3) + 1) as 1 | 2 | 3 })));
    const stage: Area = { at: stageAt, end: w.next(), label: "simulated feed's staging region" };
    w.subs = new SubscriptionManager({ master: SIM_MASTER, limits: { symbolsPerConnection: 3, connectionsPerAccount: 2, messagesPerSecond: 10, instrumentsPerMessage: 50 }, maxLinks: 2, openLink: (i) => new InstantLink(i) });
    if (fanout) {
      // The gather reserves ten areas; each is labelled by what the gather's context says it is.
      w.label = "gather";
      w.gather = new OracleGather(w, { maxClients: GATHER_CLIENTS, maxSubscriptions: GATHER_SUBSCRIPTIONS, broker: GATHER_BROKER, ...fanout });
      w.labelGather();
      // Two clients to start with (the fuzz opens, closes and changes them): JSON and binary.
      for (const [flags, subs] of [[ClientFlags.ACTIVE, [[0, 0b111], [2, 0b011], [4, 0b010]]], [ClientFlags.ACTIVE | ClientFlags.BINARY, [[1, 0b110], [5, 0b001], [0, 0b010]]]] as const) {
        const slot = w.gather.openSlot();
        w.gather.setFlags(slot, flags);
        w.gather.model.open.add(slot);
        w.gather.model.flags.set(slot, flags);
        for (const [id, modes] of subs) {
          w.gather.setSubscription(slot, id, modes);
          w.gather.model.subscribe(slot, id, modes, 0, false);
        }
      }
    }
    w.label = "pump";
    w.pump = new FanoutPump(mem, () => RING_NAMES.map((r) => w.rings[r].r), w.gather, w.pumpLog.sink(w), () => w.pumpLog.clients as number);
    w.label = "setup";
    w.A = mem.allocate(REGION_BYTES);
    w.B = mem.allocate(REGION_BYTES);
    w.C = mem.allocate(REGION_BYTES);
    w.lastAlloc = w.C;
    w.regions = [{ at: w.A, end: w.A + REGION_BYTES, label: "user region A" }, { at: w.B, end: w.B + REGION_BYTES, label: "user region B" }, { at: w.C, end: w.C + REGION_BYTES, label: "user region C" }];
    w.regions.push({ at: w.nparser.out, end: w.nparser.out + w.nparser.outputBytes, label: "noren output region" }, stage);
    // A: six valid records; B: the same batch in the stage form; the cache holds them; each ring one batch.
    const tv = new TickView(mem.buffer);
    let at = w.A;
    BATCH_KINDS.forEach((kind, id) => { at += writeMessage(tv.wrap(at), sampleMessage(w.table.get(id), kind), w.table); });
    w.codec.decode(w.A, BATCH_BYTES, w.B);
    w.cache.apply(w.A, BATCH_BYTES);
    for (const name of RING_NAMES) {
      const set = w.rings[name];
      const claim = set.w.tryClaim(BATCH_BYTES);
      mem.u8.copyWithin(claim, w.A, w.A + BATCH_BYTES);
      set.w.commit();
    }
    w.views = [
      new TickView(mem.buffer), new StageView(mem.buffer), new TickView(mem.u8.subarray(w.A, w.A + 8192)),
      new TickView(new ArrayBuffer(1024)), new StageView(new DataView(mem.buffer, w.B, 4096)),
    ];
    w.viewBases = [0, 0, w.A, undefined, w.B];
    w.views[0]!.wrap(w.A);
    w.views[1]!.wrap(w.B);
    w.views[4]!.wrap(0);
    w.label = "discarded";
    w.guard = new Guard(w, fanout !== undefined);
    return w;
  }

  next(): number {
    return this.mem.byteLength - this.mem.bytesFree;
  }

  labels(...labels: string[]): Range[] {
    const want = new Set(labels);
    return this.areas.filter((a) => want.has(a.label)).map((a): Range => [a.at, a.end]);
  }

  ref(name: string): number {
    const { mem } = this;
    const first = (label: string) => this.areas.find((a) => a.label === label)?.at ?? 0;
    switch (name) {
      case "A": return this.A;
      case "B": return this.B;
      case "C": return this.C;
      case "alloc": return this.lastAlloc;
      case "zero": return 0;
      case "static": return Math.min(1024, mem.base);
      case "base-64": return mem.base - 64;
      case "base": return mem.base;
      case "map": return this.mapStart;
      case "next": return this.next();
      case "end": return mem.byteLength;
      case "table": return this.table.offset;
      case "cache": return this.cache.offset;
      case "cache.slot0": return this.cache.offset + C.LVC_SLOTS + 64;
      case "part": return this.part.offset;
      case "renderer.out": return this.renderer.out.byteOffset;
      case "table.scratch": case "cache.scratch": case "part.scratch": case "codec": return first(name);
    }
    if (name.startsWith("gather.")) return first(name);
    const [kind, ringName] = name.split(".") as [string, RingName];
    const set = this.rings[ringName];
    const o = set.ring.offset;
    switch (kind) {
      case "ring": return o;
      case "data": return o + R.RING_HEADER_BYTES;
      case "meta": return o + R.RING_HEADER_BYTES + set.ring.capacity;
      case "cursor": return first(`${ringName}.w`);
      case "claim": return set.w.claimed > 0 ? set.claimAt : o + R.RING_HEADER_BYTES;
      case "read": return set.r.offset;
      case "ready": return set.lastRead;
    }
    throw new Error(`harness: unknown ref ${name}`);
  }

  resolve(v: unknown): unknown {
    if (v instanceof Ref) return this.ref(v.base) + v.plus;
    if (v instanceof Make) return this.make(v.what);
    if (v instanceof Aim) {
      const base = this.viewBases[v.index];
      if (v.at && base !== undefined) {
        try {
          this.views[v.index]!.wrap(this.ref(v.at.base) + v.at.plus - base);
        } catch {
          // out of this view's window: it stays where it was
        }
      }
      return v.index;
    }
    // One level down (an options object holding a class or a callback): a copy, resolved.
    if (typeof v === "object" && v !== null && (Array.isArray(v) || Object.getPrototypeOf(v) === Object.prototype)
      && Object.values(v).some((x) => x instanceof Ref || x instanceof Make)) {
      return Array.isArray(v) ? v.map((x) => this.resolve(x)) : Object.fromEntries(Object.entries(v).map(([k, x]) => [k, this.resolve(x)]));
    }
    return v;
  }

  private make(what: string): unknown {
    const [kind, arg] = what.split(":") as [string, string];
    switch (kind) {
      case "info": return this.table.get(Number(arg) % this.table.size);
      case "held": return RING_NAMES.find((r) => this.rings[r].w.claimed > 0) ?? "spsc";
      case "table": return this.table;
      case "mem": return this.mem;
      case "nmap": return this.nmap;
      case "ring": return this.rings[arg as RingName].ring;
      case "view": return this.views[Number(arg)];
      case "fn": return this.callback(arg);
      case "handle": return this.handle(arg);
      case "poolHandle": return this.poolHandle(arg);
      case "memHandle": return this.memHandle(arg);
      case "rebalance": return this.lastRebalance;
      case "module": return MODULE;
      case "memory": return this.mem.memory;
      case "source": return this.source(arg);
      case "url": return new URL("file:///nonexistent/tickwire.wasm");
      case "readers": return () => RING_NAMES.map((r) => this.rings[r].r);
      case "readersMixed": return [this.rings.spsc.r, null];
      case "gather": return this.gather;
      case "sink": return this.pumpLog.sink(this);
      case "socketClass": return CountingSocket;
      case "outRecord": return this.recordInOutput();
      case "openSlot": return [...(this.gather?.model.open ?? [])][0] ?? 0;
      case "freeSlot": return Array.from({ length: GATHER_CLIENTS }, (_, i) => i).find((i) => !this.gather?.model.open.has(i)) ?? GATHER_CLIENTS - 1;
    }
    throw new Error(`harness: cannot make ${what}`);
  }

  private source(kind: string): unknown {
    const { mem } = this;
    switch (kind) {
      case "buffer": return mem.buffer;
      case "u8": return mem.u8;
      case "windowA": return mem.u8.subarray(this.A, this.A + 1024);
      case "windowTable": return mem.u8.subarray(this.table.offset, this.table.offset + 1024);
      case "windowHeader": return mem.u8.subarray(mem.base, mem.base + 1024);
      case "windowRing": return mem.u8.subarray(this.ref("data.spsc"), this.ref("data.spsc") + 4096);
      case "unaligned": return mem.u8.subarray(this.A + 4, this.A + 1024);
      case "dataview": return new DataView(mem.buffer, this.A, 1024);
      case "f64": return mem.f64.subarray(this.B / 8, this.B / 8 + 128);
      case "plain": return new ArrayBuffer(100);
      default: return new Uint8Array(mem.buffer, this.A, 60);
    }
  }

  private callback(kind: string): unknown {
    switch (kind) {
      case "read": return (offset: number | TickView) => { if (typeof offset === "number") this.probe.wrap(offset); else void offset.ltp; void this.probe.symbolId; };
      case "readMessage": return (offset: number | TickView) => { readMessage(offset instanceof TickView ? offset : this.probe.wrap(offset), this.table); };
      case "throw": return () => { throw new Sentinel(); };
      case "reenter": return () => { this.rings.spsc.r.poll(() => {}); };
      case "reenterBatch": return () => { this.rings.spsc.r.pollBatch(() => {}); };
      case "batch": return (offset: number, bytes: number) => { this.batchSeen = [offset, bytes]; this.checkBatch("pollBatch", offset, bytes); };
      case "load1": return () => 1;
      case "loadId": return (id: number) => id;
      case "loadNaN": return () => NaN;
      case "loadNeg": return () => -1;
      case "loadHuge": return () => 1e308;
      case "loadString": return () => "1";
      default: return () => {};
    }
  }

  private handle(how: string): unknown {
    const h = { ...this.rings.spsc.ring.handle };
    switch (how) {
      case "ok": return h;
      case "bcast": return { ...this.rings.bcast.ring.handle };
      case "shift": return { ...h, offset: h.offset + 128 };
      case "back": return { ...h, offset: h.offset - 128 };
      case "odd": return { ...h, offset: h.offset + 1 };
      case "table": return { ...h, offset: this.table.offset };
      case "end": return { ...h, offset: this.mem.byteLength - 128 };
      case "wrap32": return { ...h, offset: h.offset + 2 ** 32 };
      case "nan": return { ...h, offset: NaN };
      case "string": return { ...h, offset: String(h.offset) };
      case "type": return { ...h, type: "mpsc" };
      case "capacity": return { ...h, capacity: 8192 };
      case "capacity3000": return { ...h, capacity: 3000 };
      case "name": return { ...h, name: "" };
      case "evil": return { ...h, offset: evil };
      default: return null;
    }
  }

  private poolHandle(how: string): unknown {
    const h = this.pool.handle();
    switch (how) {
      case "ok": return h;
      case "empty": return { rings: [] };
      case "null": return { rings: [null] };
      case "overlap": return { rings: [h.rings[0], { ...h.rings[1]!, offset: h.rings[0]!.offset }] };
      case "dup": return { rings: [h.rings[0], h.rings[0]] };
      case "shifted": return { rings: h.rings.map((r) => ({ ...r, offset: r.offset + 128 })) };
      case "notArray": return { rings: "spsc" };
      default: return { rings: [this.handle(how)] };
    }
  }

  private memHandle(how: string): unknown {
    switch (how) {
      case "ok": return this.mem.handle();
      case "bare": return { memory: new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true }), module: MODULE };
      case "unshared": return { memory: new WebAssembly.Memory({ initial: 1 }), module: MODULE };
      case "module": return { memory: this.mem.memory, module: {} };
      default: return { memory: this.mem.memory };
    }
  }

  /** The batch the last "fn:batch" callback was handed. */
  batchSeen: [number, number] | undefined;

  /**
   * Throws (a plain Error: a finding) unless [offset, offset + bytes) is whole records back to back
   * (padding among them) inside a ring's data area or a reader's poll copy: what pollBatch promises.
   */
  checkBatch(who: string, offset: number, bytes: number): void {
    expect(isInt(offset, 0, this.mem.byteLength) && isInt(bytes, 1, this.mem.byteLength), `${who} handed [${describeValue(offset)}, +${describeValue(bytes)})`);
    const inside = this.areas.some((a) => (a.label.endsWith(".data") || a.label.endsWith(".r")) && offset >= a.at && offset + bytes <= a.end);
    expect(inside, `${who} handed [${offset}, +${bytes}) (${this.where(offset)}), not inside a ring's data area or a reader's copy`);
    const u8 = this.mem.u8;
    for (let at = offset; at < offset + bytes;) {
      const length = u8[at]! | (u8[at + 1]! << 8);
      expect(length >= 64 && length % 64 === 0 && at + length <= offset + bytes, `${who} handed a batch of ${bytes} bytes that is not whole records: a record of ${length} bytes at +${at - offset}`);
      at += length;
    }
  }

  /** Names the gather's areas from its context (the area that points at the others). */
  labelGather(): void {
    const mine = this.areas.filter((a) => a.label === "gather");
    const u32 = this.mem.u32;
    const field = (at: number, f: number) => u32[(at + f) >>> 2]!;
    const ctx = mine.find((a) => field(a.at, G.GX_SYMTAB) === this.table.offset && mine.some((b) => b.at === field(a.at, G.GX_CLIENTS)));
    if (!ctx) throw new Error("harness: the gather's context was not found");
    const names = new Map<number, string>([
      [ctx.at, "gather.ctx"], [field(ctx.at, G.GX_CLIENTS), "gather.clients"], [field(ctx.at, G.GX_TOUCHED), "gather.touched"],
      [field(ctx.at, G.GX_OUT), "gather.out"], [field(ctx.at, G.GX_SUB_INDEX), "gather.index"], [field(ctx.at, G.GX_SUB_ENTRIES), "gather.entries"],
      [field(ctx.at, G.GX_SCRATCH), "gather.scratch"], [field(ctx.at, G.GX_MSG_INDEX), "gather.msgIndex"], [field(ctx.at, G.GX_BROKER), "gather.broker"],
      [field(field(ctx.at, G.GX_CLIENTS), G.GC_DIRTY), "gather.dirty"],
    ]);
    for (const a of mine) a.label = names.get(a.at) ?? "gather.unknown";
  }

  /** An 8-aligned offset in the gather's output where a binary frame left a whole record (else the output's start). */
  recordInOutput(): number {
    const [out] = this.gatherArea("out");
    const dv = new DataView(this.mem.buffer);
    for (let at = out; at < out + 65536; at += 8) {
      const length = dv.getUint16(at, true);
      if ([0, 64, 192, 384][this.mem.u8[at + L.OFF_KIND]!] === length && this.mem.u8[at + L.OFF_VERSION] === L.FORMAT_VERSION) return at;
    }
    return out;
  }

  /** The gather's area `name` ("out", "clients", ...) as [start, end). */
  gatherArea(name: string): Range {
    const a = this.areas.find((x) => x.label === `gather.${name}`);
    if (!a) throw new Error(`harness: no gather area ${name}`);
    return [a.at, a.end];
  }

  /** Where `offset` is, in words. */
  where(offset: number): string {
    const { mem } = this;
    if (offset < this.staticEnd) return `static data at ${offset}`;
    if (offset < mem.base) return `static padding at ${offset}`;
    if (offset < mem.base + 64) return `memory header byte ${offset - mem.base}`;
    if (offset < this.mapEnd) return `region map byte ${offset - this.mapStart}`;
    for (const a of [...this.areas, ...this.regions]) if (offset >= a.at && offset < a.end) return `${a.label} + ${offset - a.at}`;
    if (offset >= this.next()) return `free memory at ${offset}`;
    return `unlabelled byte ${offset}`;
  }

  /** The record a view points at, as the bytes a write through it may touch: see the header comment. */
  viewSpan(index: number, kindOverride?: unknown): Range | undefined {
    const v = this.views[index]!;
    const base = this.viewBases[index];
    if (base === undefined) return undefined;
    const at = base + v.offset;
    if (kindOverride !== undefined) return isKind(kindOverride) ? [at, at + recordBytes(kindOverride)] : undefined;
    const u8 = this.mem.u8;
    const kind = u8[at + L.OFF_KIND]!;
    const length = u8[at]! | (u8[at + 1]! << 8);
    const bytes = isKind(kind) && u8[at + L.OFF_VERSION] === L.FORMAT_VERSION && length === recordBytes(kind) ? length : 64;
    return [at, at + bytes];
  }

  /** Whether [offset, offset + bytes) lies in memory a caller owns, by our own bookkeeping. */
  userOwned(offset: number, bytes: number): boolean {
    const owned = [...this.regions, ...this.areas.filter((a) => a.label.endsWith(".data"))];
    for (let g = Math.floor(offset / 64); g * 64 < offset + bytes; g++) {
      if (!owned.some((a) => g * 64 >= a.at && g * 64 < a.end)) return false;
    }
    return true;
  }
}

function isKind(v: unknown): v is Kind {
  return v === 1 || v === 2 || v === 3;
}
const num = (v: unknown): number => (typeof v === "number" && Number.isFinite(v) ? v : NaN);
const span = (at: unknown, bytes: unknown): Range => [num(at), num(at) + num(bytes)];

// ───────────────────────────── the calls ─────────────────────────────

interface Op {
  readonly name: string;
  readonly args: fc.Arbitrary<unknown[]>;
  run(w: World, ...args: any[]): unknown;
  /** What the call may change, computed before it runs (default: nothing). */
  writes?(w: World, ...args: any[]): Writes;
  /** What it may change when it throws (default: as `writes`). */
  onError?(w: World, ...args: any[]): Writes;
  /** JS-side state that a throwing call must leave as it was. */
  state?(w: World): string;
  /** Label for areas the call reserves lazily (they become its owner's). */
  scratch?: string | ((...args: any[]) => string);
  /** The call runs a callback of ours: its Sentinel may come back. */
  callbacks?: boolean;
  /** Checks a normal return against the documented job; throws what is wrong. */
  check?(w: World, result: any, ...args: any[]): void;
  /** Checks a TickwireError it threw (its code, its message); throws what is wrong. */
  error?(w: World, error: TickwireError, ...args: any[]): void;
  /** How often it is picked, relative to the default 4 (the loader's calls cost milliseconds). */
  weight?: number;
}

const ops: Op[] = [];
function op(name: string, args: fc.Arbitrary<unknown>[], spec: Omit<Op, "name" | "args">): void {
  ops.push({ name, args: args.length === 0 ? fc.constant([]) : fc.tuple(...args), ...spec });
}
function expect(ok: unknown, what: string): void {
  if (!ok) throw new Error(what);
}
const isInt = (v: unknown, min: number, max: number) => typeof v === "number" && Number.isInteger(v) && v >= min && v <= max;
const makeArb = (...what: string[]) => fc.constantFrom(...what.map((s) => new Make(s)));
const memArb = fc.oneof({ weight: 4, arbitrary: makeArb("mem") }, { weight: 1, arbitrary: hostile });
const tableArb = fc.oneof({ weight: 4, arbitrary: makeArb("table") }, { weight: 1, arbitrary: fc.oneof(hostile, makeArb("mem")) });
const NOTHING: Writes = {};

// TickwireMemory
op("mem.allocate", [fc.oneof(fc.integer({ min: 1, max: 2048 }), bytesArb), fc.oneof(fc.constantFrom(undefined, 8, 16, 64, 128, 4096, 2 ** 20, 2 ** 30, 2 ** 31), fc.constantFrom(0, 3, 7, 12, 96, -64), hostile)], {
  run: (w, bytes, align) => w.mem.allocate(bytes, align),
  writes: () => ({ reserve: true, grant: true }),
  check: (w, at: number, bytes: number, align = 64) => {
    expect(isInt(at, 0, w.mem.byteLength) && at % Math.max(64, align) === 0, `offset ${at} is not ${Math.max(64, align)}-aligned`);
    expect(w.mem.owns(at, bytes), "the region is not owned");
    expect(w.mem.u8.subarray(at, at + bytes).every((b) => b === 0), "the region is not zeroed");
    w.regions.push({ at, end: at + Math.ceil(bytes / 64) * 64, label: `allocated region ${w.regions.length}` });
    w.lastAlloc = at;
  },
});
op("mem.owns", [offsetArb, bytesArb], {
  run: (w, o, b) => w.mem.owns(o, b),
  check: (w, r, o, b) => {
    expect(typeof r === "boolean", "not a boolean");
    if (r && b > 0) expect(w.userOwned(o, b), `says [${o}, +${b}) is owned, but it is not a user region or ring data area`);
    if (!r && isInt(o, 0, w.mem.byteLength) && isInt(b, 1, w.mem.byteLength)) expect(!w.userOwned(o, b) || o + b > w.mem.byteLength, `says [${o}, +${b}) is not owned, but it is`);
  },
});
op("mem.bytesFree", [], { run: (w) => w.mem.bytesFree, check: (w, r) => expect(isInt(r, 0, w.mem.byteLength), `bytesFree ${r}`) });
op("mem.byteLength/base/handle", [], { run: (w) => [w.mem.byteLength, w.mem.base, w.mem.handle()] });
// (Valid sizes stay at one page, and the default 64 MiB is never asked for: the fuzz must stay light.)
op("TickwireMemory.create", [fc.oneof(
  fc.record({ bytes: fc.constantFrom(NaN, 0, 65535, -65536, 2 ** 31, 2 ** 32, 1.5, "65536", 65536n, 65536), module: fc.constantFrom(MODULE, MODULE, {}, null, "x") }),
  fc.record({ bytes: fc.constant(65536), wasm: fc.oneof(hostile, makeArb("url:missing"), fc.constant(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]))) }),
  fc.constantFrom(null, 5, "64", [], aFunction, aSymbol, evil),
)], {
  run: (_w, options) => TickwireMemory.create(options),
  weight: 1,
});
op("TickwireMemory.attach", [makeArb("memHandle:ok", "memHandle:bare", "memHandle:unshared", "memHandle:module", "memHandle:none")], {
  run: (_w, handle) => TickwireMemory.attach(handle),
  weight: 1,
});

// Loader
op("compileCore", [fc.oneof(makeArb("url:missing"), fc.constantFrom("x", 42, null, new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]), new Uint8Array(3), new URL("data:,x")), hostile)], {
  run: (_w, source) => compileCore(source),
  weight: 1,
});
op("instantiateCore", [fc.oneof(makeArb("module"), hostile), fc.oneof(makeArb("memory"), hostile)], {
  run: (_w, module, memory) => instantiateCore(module, memory),
  weight: 1,
});
op("monotonicNs", [], { run: () => monotonicNs(), check: (_w, r) => expect(Number.isSafeInteger(r) && r > 0, `${r}`) });

// SymbolTable
op("table.intern", [exchangeArb, symbolArb, fc.oneof(decimalsArb, fc.constant(undefined))], {
  run: (w, ex, sym, d) => w.table.intern(ex, sym, d),
  writes: (w) => ({ ranges: w.labels("table", "table.scratch") }),
  check: (w, id, ex, sym, d = 2) => {
    expect(isInt(id, 0, w.table.size - 1), `id ${id} outside 0..size-1 (${w.table.size})`);
    const info = w.table.get(id);
    expect(info.exchange === ex && info.symbol === sym && info.priceDecimals === d, `get(${id}) is ${JSON.stringify(info)}`);
    expect(w.table.find(ex, sym) === id, "find gives another id");
  },
});
op("table.find", [exchangeArb, symbolArb], {
  run: (w, ex, sym) => w.table.find(ex, sym),
  writes: (w) => ({ ranges: w.labels("table.scratch") }),
  check: (w, id, ex, sym) => {
    expect(id === -1 || isInt(id, 0, w.table.size - 1), `id ${id}`);
    if (id >= 0) { const info = w.table.get(id); expect(info.exchange === ex && info.symbol === sym, `get(${id}) is ${info.exchange}:${info.symbol}`); }
  },
});
op("table.get", [idArb], { run: (w, id) => w.table.get(id), check: (_w, info, id) => expect(info.id === id && exchangeCode(info.exchange) > 0, JSON.stringify(info)) });
op("table.size/capacity", [], { run: (w) => [w.table.size, w.table.capacity] });
op("SymbolTable.create", [memArb, fc.oneof(fc.integer({ min: 1, max: 8 }), fc.constantFrom(0, -1, 2 ** 24 + 1, 2 ** 24, 1.5, NaN), hostile)], {
  run: (_w, mem, cap) => SymbolTable.create(mem, cap), writes: () => ({ reserve: true }),
});
op("SymbolTable.attach", [memArb, fc.oneof(fc.constant(new Ref("table", 0)), offsetArb)], { run: (_w, mem, o) => SymbolTable.attach(mem, o), writes: () => ({ reserve: true }) });

// Exchanges and pure helpers
op("exchangeCode", [fc.oneof(exchangeArb, fc.integer({ min: 0, max: 15 }))], {
  run: (_w, name) => exchangeCode(name),
  check: (_w, code, name) => expect(isInt(code, 0, 14) && (code === 0 || EXCHANGE_NAMES[code] === name), `${code}`),
});
op("exchangeName", [fc.oneof(fc.integer({ min: -1, max: 16 }), hostile, exchangeArb)], {
  run: (_w, code) => exchangeName(code),
  check: (_w, name, code) => expect(name === undefined ? !isInt(code, 1, 14) : isInt(code, 1, 14) && exchangeCode(name) === code, `exchangeName(${describeValue(code)}) is ${describeValue(name)}: not the name of a code 1..14`),
});
op("recordBytes", [kindArb], { run: (_w, k) => recordBytes(k), check: (_w, n, k) => expect(n === [0, 64, 192, 384][k], `${n}`) });
op("scalePrice", [priceArb, decimalsArb, fc.constantFrom(undefined, "p", 5, null)], {
  run: (_w, v, d, name) => scalePrice(v, d, name),
  check: (_w, m, v, d) => expect(Number.isInteger(m) && Math.abs(m) <= L.MAX_SCALED_PRICE && m / POW10[d]! === v && !Object.is(m, -0), `${m}`),
});
op("formatScaled", [fc.oneof(fc.integer(), fc.constantFrom(2 ** 53 - 1, -(2 ** 53) + 1, 2 ** 53, -5, 0, -0)), decimalsArb], {
  run: (_w, m, d) => formatScaled(m, d),
  check: (_w, s, m, d) => {
    expect(new RegExp(`^-?\\d+${d > 0 ? `\\.\\d{${d}}` : ""}$`).test(s), `"${s}" is not a decimal with ${d} digits`);
    expect(BigInt(s.replace(".", "")) === BigInt(m), `"${s}" is not ${m} at ${d} decimals`);
  },
});

// Views
const VIEW_GETTERS = [
  "offset", "length", "kind", "version", "symbolId", "seq", "recvTimeNs", "exchange", "priceDecimals", "lastQty", "exchTimeMs",
  "lastTradeTimeMs", "changeBp", "changePercent", "volume", "oi", "bidQty", "askQty", "totalBuyQty", "totalSellQty", "ltp",
  "avgPrice", "open", "high", "low", "close", "bid", "ask", "upperCircuit", "lowerCircuit",
] as const;
const VIEW_SETTERS = VIEW_GETTERS.filter((g) => !["offset", "length", "kind", "version"].includes(g));
const valueArb = fc.oneof(priceArb, u64Arb, idArb, decimalsArb, fc.integer({ min: 1, max: 14 }));
const viewWrites = (w: World, v: number): Writes => { const s = w.viewSpan(v); return { ranges: s ? [s] : [] }; };
const viewAtomic = () => NOTHING;
// Constructs a view over a source (a window onto a user region, a structure, the header, ...),
// then wraps 8 and inits an LTP record there: allowed only where that lands in a user region.
const SOURCES = ["buffer", "u8", "windowA", "windowTable", "windowHeader", "windowRing", "unaligned", "dataview", "f64", "plain", "small"];
op("new TickView/StageView", [fc.constantFrom("TickView", "StageView"), fc.oneof(makeArb(...SOURCES.map((s) => `source:${s}`)), makeArb("mem"), hostile)], {
  run: (_w, cls, source) => new (cls === "TickView" ? TickView : StageView)(source).wrap(8).init(Kind.LTP),
  writes: (w, _cls, source) => {
    const base = source === w.mem.buffer ? 0 : ArrayBuffer.isView(source) && source.buffer === w.mem.buffer ? source.byteOffset : undefined;
    return { ranges: base !== undefined && w.userOwned(base + 8, 64) ? [[base + 8, base + 72]] : [] };
  },
});
op("new RecordView (the abstract base)", [fc.constantFrom("buffer")], {
  run: (w) => { const v = new (RecordView as unknown as new (b: ArrayBufferLike) => TickView)(w.mem.buffer); v.wrap(w.A); return [v.ltp, v.bid]; },
});
op("view.wrap", [viewArb, fc.oneof(goodRecordArb, goodRecordArb, fc.constantFrom(...RECORD_AT), offsetArb, fc.integer({ min: 0, max: 1100 }).map((x) => x & ~7), fc.integer({ min: 0, max: 1100 }))], {
  run: (w, v, o) => w.views[v]!.wrap(o),
  check: (w, r, v, o) => expect(r === w.views[v] && w.views[v]!.offset === o, "wrap did not move the view"),
});
op("view.init", [viewArb, kindArb], {
  run: (w, v, k) => w.views[v]!.init(k),
  writes: (w, v, k) => { const s = w.viewSpan(v, k); return { ranges: s ? [s] : [] }; },
  onError: viewAtomic,
  check: (w, _r, v, k) => expect(w.views[v]!.length === recordBytes(k) && w.views[v]!.kind === k, "init did not write the header"),
});
op("view.checkRoom", [viewArb, kindArb], { run: (w, v, k) => w.views[v]!.checkRoom(k) });
op("view.setSymbol", [viewArb, fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: 0, max: 5 }).map((i) => new Make(`info:${i}`)) },
  { weight: 1, arbitrary: fc.record({ id: idArb, exchange: exchangeArb, priceDecimals: decimalsArb }, { requiredKeys: [] }) },
  { weight: 1, arbitrary: hostile },
)], {
  run: (w, v, info) => w.views[v]!.setSymbol(info),
  writes: viewWrites, onError: viewAtomic,
});
op("view.get", [viewArb, fc.constantFrom(...VIEW_GETTERS)], {
  run: (w, v, name) => (w.views[v] as unknown as Record<string, unknown>)[name],
  check: (_w, r) => expect(typeof r === "number" || typeof r === "bigint", `a ${typeof r}`),
});
const EXACT_FIELDS = ["seq", "recvTimeNs", "exchTimeMs", "lastTradeTimeMs", "volume", "oi", "totalBuyQty", "totalSellQty"] as const;
op("view.exact", [viewArb, fc.oneof(fc.constantFrom(...EXACT_FIELDS), fc.constantFrom("ltp", "exact", "__proto__", "toString"), hostile)], {
  run: (w, v, field) => {
    const view = w.views[v] as unknown as Record<string, unknown> & { exact(f: unknown): bigint };
    const exact = view.exact(field);
    return { exact, getter: view[field as string] };
  },
  // The getter is the nearest number to the exact value.
  check: (_w, r) => expect(typeof r.exact === "bigint" && r.getter === Number(r.exact), `exact ${r.exact} vs getter ${String(r.getter)}`),
});
op("view.set", [viewArb, fc.constantFrom(...VIEW_SETTERS), valueArb], {
  run: (w, v, name, value) => { (w.views[v] as unknown as Record<string, unknown>)[name] = value; },
  writes: viewWrites, onError: viewAtomic,
});
op("view.levelPrice/Qty/Orders", [depthViews, fc.constantFrom("levelPrice", "levelQty", "levelOrders"), sideArb, levelArb], {
  run: (w, v, m, side, level) => (w.views[v] as unknown as Record<string, (s: unknown, l: unknown) => number>)[m]!(side, level),
  // A TickView's values are checked integers; a StageView reads whatever f64 is there (NaN, if the bytes are a record's).
  check: (w, r, v) => expect(typeof r === "number" && (w.views[v] instanceof StageView || Number.isFinite(r)), `${r}`),
});
op("view.setLevel", [depthViews, sideArb, levelArb, priceArb, u32Arb, u32Arb], {
  run: (w, v, side, level, price, qty, orders) => w.views[v]!.setLevel(side, level, price, qty, orders),
  writes: viewWrites, onError: viewAtomic,
});
const tickViews = fc.tuple(fc.constantFrom(0, 2, 3), fc.option(goodRecordArb, { freq: 2 })).map(([i, at]) => new Aim(i, at));
op("view.scaled", [tickViews, fieldOffsetArb], {
  run: (w, v, f) => (w.views[v] as TickView).scaled(f),
  check: (_w, m) => expect(Number.isSafeInteger(m) && Math.abs(m) <= L.MAX_SCALED_PRICE, `${m}`),
});
op("view.setScaled", [tickViews, fieldOffsetArb, fc.oneof(fc.integer(), fc.constantFrom(L.MAX_SCALED_PRICE, L.MAX_SCALED_PRICE + 1, -L.MAX_SCALED_PRICE - 1), hostile)], {
  run: (w, v, f, m) => (w.views[v] as TickView).setScaled(f, m),
  writes: viewWrites, onError: viewAtomic,
});

// Messages
op("readMessage", [fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 0, max: 4 }).map((i) => new Make(`view:${i}`)) }, { weight: 1, arbitrary: hostile }), tableArb], {
  run: (_w, view, table) => readMessage(view, table),
  check: (_w, msg) => { toClientJson(msg, { broker: "sim", timestampMs: 0 }); },
});
op("writeMessage", [viewArb, messageArb, tableArb], {
  run: (w, v, msg, table) => writeMessage(w.views[v] as TickView, msg, table),
  writes: (w, v, msg) => {
    const mode = typeof msg === "object" && msg !== null ? (msg as { mode?: unknown }).mode : undefined;
    const s = w.viewSpan(v, isKind(mode) ? mode : 0);
    return { ranges: [...(s ? [s] : []), ...w.labels("table", "table.scratch")] };
  },
  onError: (w) => ({ ranges: w.labels("table", "table.scratch") }),
  check: (_w, n, _v, msg) => expect(n === recordBytes(msg.mode), `${n}`),
});
op("toClientJson", [messageArb, clientOptionsArb], {
  run: (_w, msg, options) => toClientJson(msg, options),
  check: (_w, s, msg, options) => {
    expect(!notBoolean(options.sdkAliases) && !notBoolean(options.receiveTime), `accepted sdkAliases ${describeValue(options.sdkAliases)}, receiveTime ${describeValue(options.receiveTime)}: not booleans`);
    checkClientJson(s, msg, options);
  },
});
op("toClientJson (extra fields)", [validMessageArb, fc.record({ broker: fc.constantFrom("sim", "b".repeat(64)), timestampMs: fc.integer(), mode: fc.constantFrom(undefined, 1, 2, 3), sdkAliases: boolOptionArb, receiveTime: boolOptionArb }, { requiredKeys: ["broker", "timestampMs"] })], {
  run: (_w, msg, options) => toClientJson(msg, options),
  check: (_w, s, msg, options) => {
    expect(!notBoolean(options.sdkAliases) && !notBoolean(options.receiveTime), `accepted sdkAliases ${describeValue(options.sdkAliases)}, receiveTime ${describeValue(options.receiveTime)}: not booleans`);
    checkClientJson(s, msg, options);
  },
});
op("fromClientJson", [jsonTextArb], {
  run: (_w, text) => fromClientJson(text),
  check: (_w, r) => {
    const again = toClientJson(r.message, { broker: r.broker, timestampMs: r.timestampMs });
    assert.equal(fromClientJson(again), r, "fromClientJson(toClientJson(parsed)) differs from parsed");
  },
});

// BatchCodec
for (const dir of ["encode", "decode"] as const) {
  op(`codec.${dir}`, [srcArb, batchBytesArb, fc.oneof({ weight: 3, arbitrary: dstArb }, { weight: 1, arbitrary: fc.constant(undefined) })], {
    run: (w, src, bytes, dst) => w.codec[dir](src, bytes, dst),
    writes: (w, src, bytes, dst) => ({ ranges: [span(dst === undefined ? src : dst, bytes), ...w.labels("codec")] }),
    check: (_w, n, _src, bytes) => expect(isInt(n, 0, bytes / 64), `${n}`),
  });
}
op("new BatchCodec", [memArb], { run: (_w, mem) => new BatchCodec(mem), writes: () => ({ reserve: true }) });

// JsonRenderer
// Renderer i (of the world's two — plain, and with both extra fields — and those made since):
// every message equals toClientJson's text for the record with the renderer's options.
const rendererOf = (w: World, i: number) => w.renderers[i % w.renderers.length]!;
const renderSrcArb = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(new Ref("A", 0), new Ref("A", 0), new Ref("A", 640)) }, { weight: 1, arbitrary: goodSrcArb }, { weight: 1, arbitrary: srcArb });
const renderBytesArb = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(BATCH_BYTES, 640, 64, 256) }, { weight: 1, arbitrary: goodBytesArb }, { weight: 1, arbitrary: batchBytesArb });
op("renderer.render", [fc.nat(), renderSrcArb, renderBytesArb, fc.oneof({ weight: 4, arbitrary: fc.constantFrom(1, 2, 3) }, { weight: 1, arbitrary: kindArb }), fc.oneof(fc.constantFrom(undefined, 0, 1732500000000, -1), fc.integer(), hostile, fc.constantFrom(2 ** 53, -(2 ** 53)))], {
  run: (w, i, src, bytes, mode, ts) => rendererOf(w, i).r.render(src, bytes, mode, ts),
  writes: (w, i) => ({ ranges: w.labels(rendererOf(w, i).label) }),
  check: (w, n, i, src, bytes, mode, ts) => {
    const { r, options } = rendererOf(w, i);
    expect(isInt(n, 0, Math.max(0, bytes / 64)), `${n} records`);
    for (let k = 0, at = src; k < n; k++) {
      const m = r.message(k);
      if (STATS && m.length > 0) count("renderer.render", options.sdkAliases || options.receiveTime ? "(messages with extra fields checked)" : "(plain messages checked)");
      const kind = w.mem.u8[at + L.OFF_KIND]!;
      const length = w.mem.u8[at]! | (w.mem.u8[at + 1]! << 8);
      if (kind === L.KIND_PADDING || kind < mode) expect(m.length === 0, `message ${k} (a record of kind ${kind}) is not empty`);
      else {
        const text = decoder.decode(m);
        const timestampMs = ts ?? Number(/"timestamp":(-?\d+)/.exec(text)?.[1]);
        const msg = printedMessage(w.mem.u8, at, mode, w.table);
        const want = toClientJson(msg, { broker: options.broker, timestampMs, mode, sdkAliases: options.sdkAliases === true, receiveTime: options.receiveTime === true });
        expect(text === want, `message ${k} is ${text},\n  toClientJson gives ${want}`);
        checkClientJson(text, msg, { broker: options.broker, timestampMs, mode, sdkAliases: options.sdkAliases, receiveTime: options.receiveTime });
      }
      at += length;
    }
  },
  weight: 8,
});
op("renderer.message", [fc.nat(), mix(fc.integer({ min: 0, max: 3 }), fc.constantFrom(-1, 8, 1.5))], { run: (w, r, i) => rendererOf(w, r).r.message(i), check: (_w, m) => expect(m instanceof Uint8Array, "not bytes") });
op("new JsonRenderer", [memArb, tableArb, fc.oneof(
  {
    weight: 4, arbitrary: fc.record({
      broker: fc.oneof({ weight: 3, arbitrary: fc.constantFrom("sim", "fuzz-new") }, { weight: 2, arbitrary: brokerArb }),
      bufferBytes: fc.oneof({ weight: 3, arbitrary: fc.integer({ min: 2112, max: 20000 }) }, { weight: 1, arbitrary: fc.constantFrom(2111, 0, -1, NaN, 2 ** 30, 2 ** 30 + 1, "8192", undefined) }, { weight: 1, arbitrary: hostile }),
      sdkAliases: boolOptionArb, receiveTime: boolOptionArb,
    }, { requiredKeys: ["broker"] }),
  },
  { weight: 1, arbitrary: hostile },
)], {
  run: (_w, mem, table, options) => new JsonRenderer(mem, table, options), writes: () => ({ reserve: true }),
  scratch: "renderer.new",
  check: (w, made: JsonRenderer, _mem, table, options) => {
    expect(!notBoolean(options.sdkAliases) && !notBoolean(options.receiveTime), `accepted sdkAliases ${describeValue(options.sdkAliases)}, receiveTime ${describeValue(options.receiveTime)}: not booleans`);
    if (table !== w.table) return;
    // Its areas become its own, and it renders with the others from now on.
    const label = `renderer#${w.renderers.length}`;
    for (const a of w.areas) if (a.label === "renderer.new") a.label = label;
    w.renderers.push({ r: made, options, label });
  },
  weight: 6,
});

// Rings
const ringHandleArb = makeArb(...["ok", "bcast", "shift", "back", "odd", "table", "end", "wrap32", "nan", "string", "type", "capacity", "capacity3000", "name", "evil", "null"].map((h) => `handle:${h}`));
const ringLabels = (w: World, r: RingName, ...parts: string[]) => w.labels(...parts.map((p) => `${r}.${p}`));
op("pool.get", [fc.oneof(ringArb, fc.constantFrom("", "SPSC", "toString", "__proto__"), hostile)], {
  run: (w, name) => w.pool.get(name), check: (w, ring, name) => expect(ring.name === name, "another ring"),
});
op("pool.rings/handle", [], { run: (w) => [w.pool.rings(), w.pool.handle()] });
op("RingPool.attach", [memArb, fc.oneof(makeArb(...["ok", "empty", "null", "overlap", "dup", "shifted", "notArray", "shift", "type", "capacity"].map((h) => `poolHandle:${h}`)), hostile)], {
  run: (_w, mem, handle) => RingPool.attach(mem, handle),
});
op("Ring.attach", [memArb, fc.oneof(ringHandleArb, hostile)], { run: (_w, mem, handle) => Ring.attach(mem, handle) });
op("RingPool.create / Ring.create", [memArb, fc.constantFrom("pool", "ring"), fc.oneof(
  fc.record({
    name: mix(fc.constantFrom("extra", "x".repeat(256)), fc.constantFrom("", "x".repeat(257), 5), 3),
    type: mix(fc.constantFrom("spsc", "mpsc", "broadcast"), fc.constantFrom("SPSC", 1), 3),
    capacity: mix(fc.constant(4096), fc.constantFrom(4095, 2048, 6144, 2 ** 31, 2 ** 30 * 2, "4096", NaN), 3),
  }),
  hostile,
)], {
  run: (_w, mem, kind, spec) => (kind === "pool" ? RingPool.create(mem, spec === undefined ? spec : [spec]) : Ring.create(mem, spec)),
  writes: () => ({ reserve: true, grant: true }),
  check: (w, made: Ring | RingPool) => {
    for (const ring of made instanceof RingPool ? made.rings() : [made]) {
      const data = ring.offset + R.RING_HEADER_BYTES;
      expect(w.mem.owns(data, ring.capacity) && !w.mem.owns(ring.offset, 64), "the new ring's data area is not owned, or its header is");
      w.regions.push({ at: data, end: data + ring.capacity, label: `data area of a new ring ${ring.name}` });
    }
  },
});
op("ring.writer()/reader()", [ringArb, fc.constantFrom("writer", "reader", "new RingWriter", "new RingReader")], {
  run: (w, r, how) => {
    const ring = w.rings[r as RingName].ring;
    return how === "writer" ? ring.writer() : how === "reader" ? ring.reader() : how === "new RingWriter" ? new RingWriter(ring) : new RingReader(ring);
  },
  writes: (w, r) => ({ reserve: true, ranges: ringLabels(w, r, "hdr") }),
});
op("new RingWriter/RingReader (hostile)", [fc.constantFrom("w", "r"), fc.oneof(hostile, makeArb("mem", "table"))], {
  run: (_w, which, ring) => (which === "w" ? new RingWriter(ring) : new RingReader(ring)),
});
op("ring getters", [ringArb, fc.constantFrom("tail", "head", "backlog", "maxClaim", "stats", "name", "type", "capacity", "offset", "handle")], {
  run: (w, r, g) => { const ring = w.rings[r as RingName].ring; return g === "stats" ? ring.stats() : (ring as unknown as Record<string, unknown>)[g]; },
});
const claimWrites = (w: World, r: RingName): Writes => ({ ranges: ringLabels(w, r, "hdr", "data", "meta", "w") });
const claimCheck = (w: World, at: number, r: RingName, bytes: number) => {
  const set = w.rings[r];
  if (at === -1) return;
  const data = set.ring.offset + R.RING_HEADER_BYTES;
  expect(isInt(at, data, data + set.ring.capacity - bytes) && at % 64 === 0, `claim at ${at} outside the data area`);
  expect(w.mem.owns(at, bytes) && set.w.claimed === bytes, "the claim is not owned, or not held");
  set.claimAt = at;
};
op("writer.tryClaim", [ringArb, bytesArb], { run: (w, r, b) => w.rings[r as RingName].w.tryClaim(b), writes: claimWrites, check: claimCheck, weight: 8 });
op("writer.claim", [ringArb, bytesArb, timeoutArb], { run: (w, r, b, t) => w.rings[r as RingName].w.claim(b, t), writes: claimWrites, check: claimCheck, weight: 6 });
op("writer.claimAsync", [ringArb, bytesArb, timeoutArb], { run: (w, r, b, t) => w.rings[r as RingName].w.claimAsync(b, t), writes: claimWrites, check: claimCheck, weight: 6 });
op("writer.commit", [heldRingArb, fc.oneof({ weight: 4, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: bytesArb })], {
  run: (w, r, b) => w.rings[r as RingName].w.commit(b),
  writes: (w, r) => { const set = w.rings[r as RingName]; return { ranges: [...ringLabels(w, r, "hdr", "meta", "w"), ...(set.w.claimed > 0 ? [span(set.claimAt, set.w.claimed)] : [])] }; },
  check: (_w, n) => expect(isInt(n, 0, 1 << 16), `${n}`),
  weight: 8,
});
op("writer.position/claimed", [ringArb], { run: (w, r) => [w.rings[r as RingName].w.position, w.rings[r as RingName].w.claimed] });
// Not an entry point: fills the current claim with valid LTP records (writeMessage), one of them
// sometimes broken, so that commits and reads succeed often enough to reach the paths behind them.
op("helper: fill the claim", [heldRingArb, fc.integer({ min: -1, max: 20 })], {
  run: (w, r, broken) => {
    const set = w.rings[r as RingName];
    const bytes = set.w.claimed;
    for (let off = 0; off < bytes; off += 64) writeMessage(w.probe.wrap(set.claimAt + off), sampleMessage(w.table.get(off % 6), Kind.LTP, off), w.table);
    if (broken >= 0 && broken * 64 < bytes) w.mem.u8[set.claimAt + broken * 64 + L.OFF_KIND] = 9;
  },
  weight: 8,
  writes: (w, r) => { const set = w.rings[r as RingName]; return { ranges: [span(set.claimAt, set.w.claimed), ...w.labels("table", "table.scratch")] }; },
});
// Not an entry point either: claim, fill and commit in one go, so that rings fill, wrap and lap.
op("helper: publish", [ringArb, fc.integer({ min: 1, max: 32 })], {
  run: (w, r, n) => {
    const set = w.rings[r as RingName];
    const at = set.w.tryClaim(Math.min(n * 64, set.ring.maxClaim));
    if (at < 0) return at;
    set.claimAt = at;
    for (let off = 0; off < set.w.claimed; off += 64) writeMessage(w.probe.wrap(at + off), sampleMessage(w.table.get(off % 6), Kind.LTP, off), w.table);
    return set.w.commit();
  },
  writes: (w, r) => ({ ranges: [...ringLabels(w, r, "hdr", "data", "meta", "w"), ...w.labels("table", "table.scratch")] }),
  weight: 8,
});
// Not an entry point: what a writer that scribbles on its ring after commit leaves (the data area
// is the caller's): the length of the next unread record broken, so that readers meet it.
op("helper: break the next unread record's length", [ringArb, fc.constantFrom(0, 1, 63, 65, 4096, 65535)], {
  run: (w, r, length) => {
    const set = w.rings[r as RingName];
    if (set.r.read() === 0) return;
    w.mem.u8[set.r.offset] = length & 0xff;
    w.mem.u8[set.r.offset + 1] = length >>> 8;
  },
  writes: (w, r) => ({ ranges: ringLabels(w, r, "data", "r") }),
  weight: 2,
});
op("reader.read", [ringArb], {
  run: (w, r) => w.rings[r as RingName].r.read(),
  writes: (w, r) => ({ ranges: ringLabels(w, r, "r") }),
  check: (w, n, r) => {
    const set = w.rings[r as RingName];
    set.lastRead = n;
    expect(isInt(n, 0, set.ring.capacity), `${n}`);
    const data = set.ring.offset + R.RING_HEADER_BYTES;
    if (n > 0) expect(set.r.offset >= data && set.r.offset + n <= data + set.ring.capacity, `read [${set.r.offset}, +${n}) outside the data area`);
  },
});
op("reader.release", [ringArb, fc.oneof(fc.constantFrom(...RING_NAMES.map((r) => new Ref(`ready.${r}`, 0))), bytesArb)], {
  run: (w, r, b) => w.rings[r as RingName].r.release(b),
  writes: (w, r) => ({ ranges: ringLabels(w, r, "hdr", "r") }),
  check: (_w, ok) => expect(typeof ok === "boolean", "not a boolean"),
});
const cbArb = fc.oneof({ weight: 4, arbitrary: makeArb("fn:read", "fn:readMessage", "fn:throw", "fn:nothing", "fn:reenter") }, { weight: 1, arbitrary: hostile });
op("reader.poll", [ringArb, cbArb], {
  run: (w, r, cb) => w.rings[r as RingName].r.poll(cb),
  writes: (w, r) => ({ ranges: [...ringLabels(w, r, "hdr", "r"), ...(r !== "spsc" ? ringLabels(w, "spsc", "hdr", "r") : [])], reserve: true }),
  scratch: (r: RingName) => `${r}.r`, callbacks: true,
  check: (_w, n) => expect(isInt(n, -1, 1 << 16), `${n}`),
});
op("reader.wait", [ringArb, timeoutArb, spinsArb], {
  run: (w, r, t, s) => w.rings[r as RingName].r.wait(t, s),
  writes: (w, r) => ({ ranges: ringLabels(w, r, "hdr", "r") }),
  check: (_w, ok) => expect(typeof ok === "boolean", "not a boolean"),
});
op("reader.waitAsync", [ringArb, timeoutArb], {
  run: (w, r, t) => w.rings[r as RingName].r.waitAsync(t),
  writes: (w, r) => ({ ranges: ringLabels(w, r, "hdr", "r") }),
  check: (_w, ok) => expect(typeof ok === "boolean", "not a boolean"),
});
op("reader.unblock", [ringArb], {
  run: (w, r) => w.rings[r as RingName].r.unblock(),
  writes: (w, r) => ({ ranges: ringLabels(w, r, "hdr", "meta", "data", "r") }),
  check: (_w, n) => expect(isInt(n, 0, RING_CAPACITY), `${n}`),
});
op("reader getters", [ringArb, fc.constantFrom("offset", "lost", "laps", "backlog")], {
  run: (w, r, g) => (w.rings[r as RingName].r as unknown as Record<string, number>)[g],
  check: (_w, n) => expect(isInt(n, 0, 2 ** 53), `${n}`),
});
op("reader.close", [ringArb], { run: (w, r) => w.rings[r as RingName].r.close(), writes: (w, r) => ({ ranges: ringLabels(w, r, "hdr") }) });
op("ringBytes", [fc.oneof(fc.constantFrom(4096, 8192, 2 ** 30, 4095, 2 ** 31, 6144, 0), hostile)], {
  run: (_w, c) => ringBytes(c), check: (_w, n, c) => expect(n === 768 + c + c / 8, `${n}`),
});

// LastValueCache
const cacheScratch = (w: World) => w.labels("cache.scratch");
op("cache.apply", [srcArb, batchBytesArb, fc.oneof({ weight: 2, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 1e6 }) }, { weight: 1, arbitrary: fc.constantFrom(-1, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER - 2 ** 32, 1.5, NaN) }, { weight: 1, arbitrary: hostile })], {
  run: (w, src, bytes, pos) => w.cache.apply(src, bytes, pos),
  writes: (w) => ({ ranges: w.labels("cache", "cache.scratch") }),
  check: (_w, n, _s, bytes) => expect(isInt(n, 0, bytes / 64), `${n}`),
});
op("cache.readInto", [idArb, dstArb], {
  run: (w, id, dst) => w.cache.readInto(id, dst),
  writes: (w, _id, dst) => ({ ranges: [span(dst, w.cache.recordBytes)] }),
  check: (w, n) => expect(n === 0 || (n % 64 === 0 && n <= w.cache.recordBytes), `${n}`),
});
op("cache.snapshot", [idArb], {
  run: (w, id) => w.cache.snapshot(id), writes: (w) => ({ ranges: cacheScratch(w) }),
  check: (_w, r) => expect(r === undefined || (r instanceof Uint8Array && r.buffer instanceof ArrayBuffer && [64, 192, 384].includes(r.length)), "not a record copy"),
});
const snapCheck = (_w: World, r: { bytes: number; next: number; busy: number }, cap: number) => expect(isInt(r.bytes, 0, cap) && r.bytes % 64 === 0 && r.busy === 0, JSON.stringify(r));
op("cache.snapshotIds", [fc.oneof(
  { weight: 3, arbitrary: fc.array(idArb, { maxLength: 10 }) },
  { weight: 1, arbitrary: fc.constantFrom(new Uint32Array([0, 1, 2]), new Float64Array([0, 0.5]), new Int8Array([-1]), new BigInt64Array([1n]), new DataView(new ArrayBuffer(8)), "012", { length: 3 }, { length: -1 }, Array.from({ length: 1000 }, (_, i) => i % 6)) },
  { weight: 1, arbitrary: hostile },
), dstArb, batchBytesArb], {
  run: (w, ids, dst, cap) => w.cache.snapshotIds(ids, dst, cap),
  writes: (w, _ids, dst, cap) => ({ ranges: [span(dst, cap), ...cacheScratch(w)], reserve: true }),
  scratch: "cache.scratch",
  check: (w, r, _ids, _dst, cap) => snapCheck(w, r, cap),
});
op("cache.snapshotRange", [idArb, fc.oneof(idArb, fc.constant(64)), dstArb, batchBytesArb], {
  run: (w, from, to, dst, cap) => w.cache.snapshotRange(from, to, dst, cap),
  writes: (w, _f, _t, dst, cap) => ({ ranges: [span(dst, cap), ...cacheScratch(w)] }),
  check: (w, r, _f, _t, _d, cap) => snapCheck(w, r, cap),
});
op("cache.forEach", [cbArb, fc.oneof(fc.constantFrom(undefined, 1, 64, 448, 4096, 65536), fc.constantFrom(0, -1, 2 ** 30, 2 ** 30 + 1, 1.5), hostile)], {
  run: (w, fn, chunk) => w.cache.forEach(fn, chunk),
  writes: (w) => ({ ranges: [...cacheScratch(w), ...ringLabels(w, "spsc", "hdr", "r")], reserve: true }),
  scratch: "cache.scratch", callbacks: true,
});
op("cache.updates", [idArb], { run: (w, id) => w.cache.updates(id), check: (_w, n) => expect(isInt(n, 0, 0xffffffff), `${n}`) });
op("cache.writerExited", [fc.oneof(fc.integer({ min: 0, max: 1025 }), hostile)], {
  run: (w, id) => w.cache.writerExited(id), writes: (w) => ({ ranges: w.labels("cache") }),
  check: (_w, r) => expect(typeof r === "boolean", "not a boolean"),
});
op("cache.close", [], { run: (w) => w.cache.close(), writes: (w) => ({ ranges: w.labels("cache") }) });
op("cache getters", [], { run: (w) => [w.cache.writerId, w.cache.capacity, w.cache.maxKind, w.cache.recordBytes, w.cache.offset] });
const lvcOptionsArb = fc.oneof(
  fc.record({ capacity: fc.oneof(fc.integer({ min: 1, max: 16 }), fc.constantFrom(0, 2 ** 24 + 1, 1.5), hostile), maxKind: kindArb, busyTimeoutMs: timeoutArb, writerId: fc.oneof(fc.integer({ min: 0, max: 1024 }), hostile) }, { requiredKeys: [] }),
  hostile,
);
op("LastValueCache.create", [memArb, lvcOptionsArb], { run: (_w, mem, o) => LastValueCache.create(mem, o), writes: () => ({ reserve: true }) });
op("LastValueCache.attach", [memArb, fc.oneof(fc.constant(new Ref("cache", 0)), offsetArb), fc.oneof(fc.constantFrom(undefined, { busyTimeoutMs: 1 }, { writerId: 7 }), lvcOptionsArb)], {
  run: (_w, mem, offset, o) => LastValueCache.attach(mem, offset, o),
  // A writerId registers the new instance: the writer table of the cache at `offset` is written.
  writes: (_w, _mem, offset) => ({ reserve: true, ranges: [span(num(offset) + C.LVC_WRITERS, 4 * C.LVC_MAX_WRITERS)] }),
  onError: () => ({ reserve: true }),
});

// SymbolPartitioner / PartitionMap
const partState = (w: World) => JSON.stringify([w.part.partitions, [...w.part.pins], w.part.epoch, w.part.partitionLimit]);
const partWrites = (w: World): Writes => ({ ranges: w.labels("part", "part.scratch") });
const partOnError = (w: World): Writes => ({ ranges: w.labels("part.scratch") });
const mapChange = {
  writes: partWrites, onError: partOnError, state: partState,
  check: (w: World, r: { moves?: unknown[] }) => {
    const total = w.part.partitions.reduce((n, p) => n + p.slots, 0);
    expect(total === w.part.slotCount, `the partitions own ${total} slots of ${w.part.slotCount}`);
    for (let s = 0; s < w.part.slotCount; s++) expect(w.part.partitions.some((p) => p.partition === w.part.slotOwner(s)), `slot ${s} is owned by ${w.part.slotOwner(s)}, not a partition`);
    if (r && Array.isArray(r.moves)) w.lastRebalance = r;
  },
};
const isPartition = (w: World, p: unknown) => w.part.partitions.some((x) => x.partition === p);
op("part.partitionOf", [exchangeArb, symbolArb], {
  run: (w, ex, sym) => w.part.partitionOf(ex, sym), writes: (w) => ({ ranges: w.labels("part.scratch") }),
  check: (w, p) => expect(isPartition(w, p), `partition ${p} is not in the map`),
});
op("part.partitionOfId", [idArb], {
  run: (w, id) => w.part.partitionOfId(id), writes: partWrites, check: (w, p) => expect(isPartition(w, p), `partition ${p} is not in the map`),
});
op("part.slotOfId", [idArb], { run: (w, id) => w.part.slotOfId(id), check: (w, s) => expect(isInt(s, 0, w.part.slotCount - 1), `${s}`) });
op("part.slotOfHash", [fc.oneof(fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.constantFrom(2 ** 32, -1, 1.5), hostile)], {
  run: (w, h) => w.part.slotOfHash(h), check: (w, s) => expect(isInt(s, 0, w.part.slotCount - 1), `${s}`),
});
op("part.slotOwner", [fc.oneof(fc.integer({ min: -2, max: 300 }), hostile)], {
  run: (w, s) => w.part.slotOwner(s), check: (w, p) => expect(isPartition(w, p), `partition ${p} is not in the map`),
});
op("part.hashOf", [exchangeArb, symbolArb], {
  run: (w, ex, sym) => w.part.hashOf(ex, sym), writes: (w) => ({ ranges: w.labels("part.scratch") }),
  check: (_w, h) => expect(isInt(h, 0, 0xffffffff), `${h}`),
});
op("part.partitionBatch", [srcArb, batchBytesArb, dstArb, mix(fc.integer({ min: 0, max: 64 }), fc.constantFrom(2 ** 20, -1, 1.5), 4), fc.oneof(fc.constantFrom(0, undefined, new Ref("C", 4096)), offsetArb)], {
  run: (w, src, bytes, out, cap, pb) => w.part.partitionBatch(src, bytes, out, cap, pb),
  writes: (w, _src, _bytes, out, cap, pb) => ({
    ranges: [span(out, num(cap) * 2), ...(pb === 0 || pb === undefined ? [] : [span(pb, w.part.partitionLimit * 4)]), ...w.labels("part", "part.scratch")],
  }),
  check: (_w, n, _s, _b, _o, cap) => expect(isInt(n, 0, cap), `${n}`),
});
op("part.pin", [exchangeArb, symbolArb, partArb], { run: (w, ex, sym, p) => w.part.pin(ex, sym, p), ...mapChange, check: undefined });
op("part.unpin", [exchangeArb, symbolArb], { run: (w, ex, sym) => w.part.unpin(ex, sym), ...mapChange, check: undefined });
op("part.setWeight", [partArb, weightArb], { run: (w, p, wt) => w.part.setWeight(p, wt), ...mapChange });
op("part.addPartition", [fc.oneof(fc.record({ partition: partArb, weight: weightArb }, { requiredKeys: [] }), fc.constant(undefined), hostile)], {
  run: (w, spec) => w.part.addPartition(spec), ...mapChange,
});
op("part.removePartition", [partArb], { run: (w, p) => w.part.removePartition(p), ...mapChange });
op("part.setPartitions", [fc.oneof(fc.integer({ min: 1, max: 8 }), fc.array(fc.oneof(fc.record({ partition: partArb, weight: weightArb }, { requiredKeys: [] }), hostile), { maxLength: 5 }), fc.constantFrom(0, 257, 4097), hostile)], {
  run: (w, parts) => w.part.setPartitions(parts), ...mapChange,
});
op("part.balance", [fc.oneof(
  fc.constant(undefined),
  fc.record({
    tolerance: fc.oneof(fc.double({ min: 0, max: 1, noNaN: true }), hostile), maxMovedShare: fc.oneof(fc.double({ min: 0, max: 1, noNaN: true }), hostile),
    load: fc.oneof(makeArb("fn:load1", "fn:loadId", "fn:loadNaN", "fn:loadNeg", "fn:loadHuge", "fn:loadString", "fn:throw"), hostile),
  }, { requiredKeys: [] }),
  hostile,
)], {
  run: (w, o) => w.part.balance(o), ...mapChange, callbacks: true,
});
op("part.symbolsMoved", [fc.oneof(
  makeArb("rebalance"),
  fc.record({ moves: fc.array(fc.record({ slot: anyNumber, from: anyNumber, to: anyNumber }), { maxLength: 4 }), unpinned: fc.array(fc.record({ key: fc.oneof(fc.constantFrom("NSE:RELIANCE", "NSE", ":", "XYZ:A"), fc.string()), partition: anyNumber }), { maxLength: 3 }) }),
  fc.record({ moves: fc.oneof(fc.constant([]), fc.array(hostile, { minLength: 1, maxLength: 2 })), unpinned: fc.oneof(fc.constant([]), fc.array(hostile, { minLength: 1, maxLength: 2 }), fc.constant([{ key: 5, partition: 0 }])) }),
  hostile,
)], {
  run: (w, r) => w.part.symbolsMoved(r),
  writes: (w) => ({ ranges: w.labels("part", "part.scratch", "table.scratch") }),
  check: (_w, moves) => expect(Array.isArray(moves), "not an array"),
});
op("part getters", [], { run: (w) => [w.part.partitions, w.part.pins, w.part.epoch, w.part.partitionLimit, w.part.slotCount, w.part.offset] });
op("PartitionMap.attach", [memArb, fc.oneof(fc.constant(new Ref("part", 0)), offsetArb), fc.oneof(tableArb, fc.constant(undefined))], { run: (_w, mem, o, t) => PartitionMap.attach(mem, o, t), writes: () => ({ reserve: true }) });
op("SymbolPartitioner.create", [memArb, fc.oneof(
  fc.record({
    partitions: mix(fc.oneof(fc.integer({ min: 1, max: 4 }), fc.array(fc.record({ partition: partArb, weight: weightArb }, { requiredKeys: [] }), { maxLength: 3 })), fc.constantFrom(0, 17, 65537), 3),
    slotBits: mix(fc.constantFrom(4, 8, undefined), fc.constantFrom(3, 17, 4.5), 3),
    maxPins: mix(fc.constantFrom(1, 8, undefined), fc.constantFrom(0, 2 ** 20 + 1), 3),
    symbols: fc.oneof(tableArb, fc.constant(undefined)),
  }, { requiredKeys: ["partitions"] }),
  hostile,
)], { run: (_w, mem, o) => SymbolPartitioner.create(mem, o), writes: () => ({ reserve: true }) });

// Noren token map and parser (src/feed/noren/)
const nmapWrites = (w: World): Writes => ({ ranges: w.labels("noren.map") });
const nparserWrites = (w: World): Writes => ({ ranges: w.labels("noren.parser") });
const rowArb = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...NOREN_ROWS.map((r, id) => [r, id] as const)) },
  {
    weight: 4, arbitrary: fc.tuple(fc.integer({ min: 0, max: NOREN_ROWS.length - 1 }), fc.constantFrom("brokerExchange", "token", "exchange", "priceDecimals", "allowNonPositive", "symbol"),
      fc.oneof(hostile, fc.constantFrom("NSE", "nse", "NSEXX", "", "0", "022", "4294967295", "4294967296", "99", 4, 10, -1, true, "CDS", "INFY"))).map(([i, k, v]) => [{ ...NOREN_ROWS[i]!, [k]: v }, i] as const),
  },
  { weight: 1, arbitrary: fc.tuple(hostile, idArb) },
).chain(([row, id]) => fc.tuple(fc.constant(row), fc.oneof({ weight: 4, arbitrary: fc.constant(id) }, { weight: 1, arbitrary: idArb })));
const TOKENS = NOREN_ROWS.map((r) => [r.brokerExchange, r.token] as const);
const FRAME_VALUES = ["2500.05", "2500.050", "2500.055", "0", "-1.5", "", "-", "1e5", "99999999999999999999", "4294967296", "12:00:00", "25-09-2026 10:15:29", "1700000000", "NA", "\\u0031", "é"];
const FRAME_KEYS = ["lp", "o", "h", "l", "c", "ap", "pc", "v", "oi", "ltq", "ltt", "ft", "bp1", "sq5", "bo3", "uc", "tbq", "pp", "ts", "x"];
/** A Noren frame's text: a tick for a mapped token (fields from lists), a control frame, or junk. */
const frameTextArb = fc.oneof(
  {
    weight: 6, arbitrary: fc.tuple(fc.constantFrom("tk", "tf", "dk", "df", "ck", "om", "zz"), fc.constantFrom(...TOKENS, ["NSE", "999"], ["nse", "2885"]),
      fc.array(fc.tuple(fc.constantFrom(...FRAME_KEYS), fc.oneof(fc.constantFrom(...FRAME_VALUES), fc.constantFrom(5, null, [1], { a: 1 }))), { maxLength: 8 }))
      .map(([t, [e, tk], fields]) => `{"t":"${t}","e":"${e}","tk":"${tk}"${fields.map(([k, v]) => `,"${k}":${typeof v === "string" ? `"${v}"` : JSON.stringify(v)}`).join("")}}`),
  },
  { weight: 1, arbitrary: fc.json() },
  { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 60 }) },
  { weight: 1, arbitrary: fc.constantFrom("", "{", "[".repeat(3000), `{"t":"tf","x":${"[".repeat(1000)}${"]".repeat(1000)}}`, `{"t":"tf","x":"${"y".repeat(3000)}"}`) },
);
const frameArb = fc.oneof(
  { weight: 6, arbitrary: frameTextArb.map((t) => utf8.encode(t)) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 80 }) },
  { weight: 1, arbitrary: fc.oneof(makeArb("source:windowTable", "source:windowA", "source:u8", "source:small", "source:dataview", "source:buffer"), hostile) },
);
op("noren.map.set", [rowArb], {
  run: (w, [row, id]) => w.nmap.set(row, id),
  writes: nmapWrites,
  onError: () => NOTHING,
  check: (w, slot, [row]) => expect(isInt(slot, 0, w.nmap.size - 1) && w.nmap.slotOf(row.brokerExchange, row.token) === slot, `slot ${slot} is not found again`),
});
op("noren.map.slotOf", [fc.oneof(fc.constantFrom("NSE", "NFO", "CDS", "BSE", "nse", ""), hostile), fc.oneof(fc.constantFrom("2885", "1594", "1", "0", "02885", "4294967296", ""), hostile)], {
  run: (w, e, tk) => w.nmap.slotOf(e, tk),
  check: (w, slot) => expect(slot === -1 || isInt(slot, 0, w.nmap.size - 1), `${slot}`),
});
op("noren.map.info/stateOffset/size/capacity", [fc.constantFrom("info", "stateOffset"), fc.oneof(fc.integer({ min: -1, max: 9 }), hostile)], {
  run: (w, which, slot) => [which === "info" ? w.nmap.info(slot) : w.nmap.stateOffset(slot), w.nmap.size, w.nmap.capacity],
});
op("NorenTokenMap.create", [memArb, fc.oneof(fc.integer({ min: 1, max: 8 }), fc.constantFrom(0, -1, 1.5, 2 ** 22 + 1, NaN), hostile), fc.oneof(fc.constant(undefined), tableArb)], {
  run: (_w, mem, cap, table) => NorenTokenMap.create(mem, cap, table), writes: () => ({ reserve: true }),
});
op("noren.parser.push", [frameArb], {
  run: (w, frame) => w.nparser.push(frame),
  writes: nparserWrites,
  check: (_w, r) => expect(typeof r === "boolean", "not a boolean"),
  weight: 8,
});
op("noren.parser.parse", [
  fc.oneof({ weight: 4, arbitrary: fc.constantFrom(0, 123456789, 2 ** 53 - 1) }, { weight: 1, arbitrary: fc.constantFrom(-1, 1.5, 2 ** 53, NaN, "1", 1n) }, { weight: 1, arbitrary: hostile }),
  fc.oneof({ weight: 4, arbitrary: fc.constantFrom(0, 1700000000000, 8.64e15) }, { weight: 1, arbitrary: fc.constantFrom(-1, 8.64e15 + 1, 0.5, Infinity) }, { weight: 1, arbitrary: hostile }),
], {
  run: (w, recv, wall) => w.nparser.parse(recv, wall),
  writes: (w) => ({ ranges: [...w.labels("noren.parser", "noren.map"), [w.nparser.out, w.nparser.out + w.nparser.outputBytes]] }),
  onError: () => NOTHING,
  check: (w, n) => {
    const p = w.nparser;
    expect(isInt(n, 0, p.outputBytes / 192) && isInt(p.outBytes, 0, p.outputBytes) && isInt(p.controlCount, 0, 4) && p.outcomes().length === p.framesParsed, `${n} records, ${p.outBytes} bytes`);
    let at = p.out;
    for (let i = 0; i < n; i++) at += recordAt(w, at);
    expect(at === p.out + p.outBytes, `${n} records do not fill outBytes ${p.outBytes}`);
    for (let i = 0; i < p.controlCount; i++) p.controlJson(i);
  },
  weight: 6,
});
op("noren.parser.control/controlJson", [fc.constantFrom("control", "controlJson"), fc.oneof(fc.integer({ min: -1, max: 4 }), hostile)], {
  run: (w, which, i) => (which === "control" ? w.nparser.control(i) : w.nparser.controlJson(i)),
});
// Not an entry point: a control frame pushed and parsed, then read back, so that control's success path runs.
op("helper: noren control frame round trip", [fc.constantFrom(`{"t":"ck","s":"OK","uid":"U"}`, `{"t":"om","qty":1,"x":[null]}`, ` {"t" : "hk"} `)], {
  run: (w, text) => {
    if (!w.nparser.push(utf8.encode(text))) return undefined;
    w.nparser.parse(0, 0);
    return w.nparser.controlCount > 0 ? w.nparser.controlJson(w.nparser.controlCount - 1) : undefined;
  },
  writes: (w) => ({ ranges: [...w.labels("noren.parser", "noren.map"), [w.nparser.out, w.nparser.out + w.nparser.outputBytes]] }),
  check: (_w, json, text) => expect(json === undefined || JSON.stringify(json) === JSON.stringify(JSON.parse(text)), `read back ${JSON.stringify(json)}`),
});
op("noren.parser.outcomes/counters/getters", [], {
  run: (w) => [w.nparser.outcomes(), w.nparser.counters(), w.nparser.outBytes, w.nparser.framesParsed, w.nparser.pendingBytes, w.nparser.pendingFrames,
    w.nparser.controlCount, w.nparser.malformedTotal(), w.nparser.flaggedTotal()],
  check: (w, r: unknown[]) => expect((r[4] === 0) === (r[5] === 0) && isInt(r[5], 0, 4096), `pendingBytes ${r[4]}, pendingFrames ${r[5]}`),
});
op("noren.parser.clear", [], { run: (w) => w.nparser.clear(), writes: nparserWrites });
op("NorenParser.create", [fc.oneof(makeArb("nmap"), hostile), fc.oneof(
  fc.record({
    frameBufferBytes: mix(fc.constantFrom(64, 1024, undefined), fc.constantFrom(63, 0, 2 ** 31, 1.5)),
    maxFrameBytes: mix(fc.constantFrom(1, 60, undefined), fc.constantFrom(0, 1021, 2 ** 31)),
    outputBytes: mix(fc.constantFrom(384, 1000), fc.constantFrom(383, -1, 2 ** 31)),
    maxControlFrames: mix(fc.constantFrom(1, 4), fc.constantFrom(0, 2 ** 21)),
    band: mix(fc.constantFrom("drop", "pass", "off", undefined), fc.constantFrom("DROP", 1)),
    bandPercent: mix(fc.constantFrom(0.5, 20, undefined), fc.constantFrom(0, -1, Infinity, NaN)),
    maxAgeMs: mix(fc.constantFrom(0, 60000, undefined), fc.constantFrom(-1, Infinity)),
  }, { requiredKeys: [] }),
  fc.constantFrom(undefined),
  hostile,
)], {
  run: (_w, map, options) => NorenParser.create(map, options),
  writes: () => ({ reserve: true, grant: true }),
  check: (w, made: NorenParser) => { w.regions.push({ at: made.out, end: made.out + made.outputBytes, label: "output region of a new NorenParser" }); },
});

// The simulated feed (in process) and the control plane of feeds: symbol masters, the
// subscription manager, the universe, feed health.
op("sim.produce", [
  fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 0, max: 40 }) }, { weight: 1, arbitrary: fc.constantFrom(-1, 1.5, 2 ** 31, NaN, "4") }, { weight: 1, arbitrary: hostile }),
  dstArb, batchBytesArb,
], {
  run: (w, maxTicks, dst, bytes) => w.sim.produce(maxTicks, dst, bytes),
  writes: (_w, _n, dst, bytes) => ({ ranges: [span(dst, bytes)] }),
  onError: () => NOTHING,
  check: (w, written, maxTicks, dst, bytes) => {
    expect(isInt(written, 0, bytes) && written % 64 === 0, `wrote ${written} of ${bytes} bytes`);
    let at = dst;
    let n = 0;
    while (at < dst + written) {
      const m = readMessage(w.probe.wrap(at), w.table);
      at += recordBytes(m.mode);
      n++;
    }
    expect(at === dst + written && n === w.sim.producedTicks && n <= maxTicks, `${n} records in ${written} bytes, producedTicks ${w.sim.producedTicks}`);
  },
});
const csvLineArb = fc.oneof(
  fc.constantFrom("NSE,2885,1,RELIANCE,RELIANCE-EQ,,EQ,,,0.05", "NFO,35001,75,NIFTY,NIFTY30DEC26F,30-DEC-2026,FUTIDX,XX,0,0.05", "CDS,1,1,USDINR,USDINR,27-DEC-2024,OPTCUR,CE,84.25,0.0025",
    "NSE,26000,1,NIFTY,Nifty 50,,INDEX,,,0.05", "XYZ,1,1,A,A,,EQ,,,0.05", "NSE,abc,1,A,A,,EQ,,,0.05", "NSE,1,1,\"A,B\",\"A\"\"B\",,EQ,,,0.05", "NSE,2,1,\"unclosed", ",,,,,,,,,", "NSE,3,0,B,B,,EQ,,,0"),
  fc.string({ maxLength: 40 }),
);
op("SymbolMaster.load", [fc.oneof(
  { weight: 4, arbitrary: fc.array(csvLineArb, { maxLength: 6 }).map((lines) => ["Exchange,Token,LotSize,Symbol,TradingSymbol,Expiry,Instrument,OptionType,StrikePrice,TickSize", ...lines].join(fc.sample(fc.constantFrom("\n", "\r\n"), 1)[0])) },
  { weight: 1, arbitrary: fc.oneof(fc.string({ maxLength: 60 }), fc.uint8Array({ maxLength: 60 }), hostile) },
), fc.oneof(fc.constant(undefined), fc.record({ maxErrors: fc.constantFrom(0, 2, -1, 1.5) }), hostile)], {
  run: (_w, csv, options) => SymbolMaster.load(csv, options),
  check: (_w, m: SymbolMaster) => {
    expect(m instanceof SymbolMaster, "not a SymbolMaster");
    for (const row of m.rows) expect(m.byToken(row.brokerExchange, row.token) === row && m.byInstrument(row.exchange, row.symbol) === row, `${row.symbol} does not resolve both ways`);
  },
  weight: 2,
});
op("SymbolMaster.fromRows/createUniverse/universeToCsv", [fc.oneof(fc.integer({ min: 1, max: 30 }), fc.constantFrom(0, -1, 1.5, 100_001, NaN, "5"), hostile), fc.oneof(fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.constantFrom(-1, 2 ** 32, 0.5), hostile)], {
  run: (_w, instruments, seed) => {
    const rows = createUniverse({ instruments, seed });
    const master = SymbolMaster.fromRows(rows);
    const again = SymbolMaster.load(universeToCsv(rows));
    return [rows, master, again];
  },
  check: (_w, [rows, master, again], given) => {
    const instruments = given ?? 3000;
    expect(rows.length === instruments && master.size === instruments && again.size === instruments && master.errorCount === 0 && again.errorCount === 0, `${rows.length} rows, ${master.size} and ${again.size} loaded`);
  },
  weight: 1,
});
op("scripKey/openAlgoSymbol", [fc.oneof(fc.constantFrom({ brokerExchange: "NSE", token: "22" }, { exchange: "NFO", brokerExchange: "NFO", tradingSymbol: "X", name: "NIFTY", expiry: "30-DEC-2026", optionType: "CE", strike: "24000" }), fc.record({ brokerExchange: fc.oneof(fc.string({ maxLength: 4 }), hostile), token: fc.oneof(fc.string({ maxLength: 4 }), hostile), tradingSymbol: fc.oneof(fc.string({ maxLength: 6 }), hostile), optionType: fc.oneof(fc.constantFrom("XX", "CE", "ZZ"), hostile), expiry: fc.oneof(fc.constantFrom("30-DEC-2026", "2026-12-30", "x"), hostile) }), hostile)], {
  run: (_w, row) => [scripKey(row), openAlgoSymbol(row)],
});
const subReqArb = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(fc.integer({ min: 0, max: SIM_UNIVERSE.length - 1 }), fc.constantFrom(1, 2, 3)).map(([i, mode]) => ({ exchange: SIM_UNIVERSE[i]!.exchange, symbol: SIM_UNIVERSE[i]!.symbol, mode })) },
  { weight: 1, arbitrary: fc.record({ exchange: fc.oneof(fc.constantFrom("NSE", "NFO"), hostile), symbol: fc.oneof(fc.constantFrom("RELIANCE", SIM_UNIVERSE[0]!.symbol), hostile), mode: fc.oneof(fc.constantFrom(0, 4, 1.5, "1"), hostile) }) },
  { weight: 1, arbitrary: hostile },
);
op("subscriptions.subscribe/unsubscribe/removeClient", [fc.constantFrom("subscribe", "unsubscribe", "removeClient"), fc.oneof(fc.constantFrom("a", "b", 7), hostile), fc.oneof({ weight: 5, arbitrary: fc.array(subReqArb, { maxLength: 5 }) }, { weight: 1, arbitrary: hostile })], {
  run: (w, which, client, reqs) => which === "removeClient" ? w.subs.removeClient(client) : w.subs[which as "subscribe"](client, reqs),
  check: (w, results, which, _c, reqs) => {
    if (which === "removeClient") return;
    expect(Array.isArray(results) && results.length === reqs.length, "one result per request");
    for (const r of results as { ok: boolean; code?: string }[]) expect((r.ok === true || ["SYMBOL_NOT_FOUND", "NOT_SUBSCRIBED", "MAX_CAPACITY_REACHED", "INVALID_MODE"].includes(r.code!)) && JSON.parse(JSON.stringify(r)).mode === (r as { mode: unknown }).mode, `result ${describeValue(r)} is not plain JSON with a code`);
    const report = w.subs.report();
    expect(report.links.every((l) => l.instruments <= 3) && report.pending === 0, `report ${JSON.stringify(report)}`);
  },
});
op("FeedHealth.create", [memArb, fc.oneof(fc.integer({ min: 1, max: 4 }), fc.constantFrom(0, -1, 1.5, 2 ** 20, NaN), hostile)], {
  run: (_w, mem, n) => FeedHealth.create(mem, n), writes: () => ({ reserve: true }), weight: 1,
});

// RingReader.pollBatch: what poll may change (the ring's header and the reader's cursor and poll
// copy; a re-entrant callback, the spsc reader's too). "fn:batch" checks what it is handed: whole
// records back to back inside the ring's data area (spsc, mpsc) or the reader's copy (broadcast).
const batchCbArb = fc.oneof({ weight: 5, arbitrary: makeArb("fn:batch", "fn:batch", "fn:batch", "fn:throw", "fn:nothing", "fn:reenter", "fn:reenterBatch") }, { weight: 1, arbitrary: hostile });
op("reader.pollBatch", [ringArb, batchCbArb], {
  run: (w, r, cb) => {
    w.batchSeen = undefined;
    return w.rings[r as RingName].r.pollBatch(cb);
  },
  writes: (w, r) => ({ ranges: [...ringLabels(w, r, "hdr", "r"), ...(r !== "spsc" ? ringLabels(w, "spsc", "hdr", "r") : [])], reserve: true }),
  scratch: (r: RingName) => `${r}.r`, callbacks: true,
  check: (w, n, r) => {
    expect(isInt(n, -1, w.rings[r as RingName].ring.capacity), `${n}`);
    if (w.batchSeen) expect(w.batchSeen[1] === n, `returned ${n}, but handed a batch of ${w.batchSeen[1]} bytes`);
  },
  weight: 6,
});

// The fan-out gather (src/fanout/gather.ts), hostile construction: the core world's 1 MiB
// holds no gather (its output alone is 8 MiB), so a valid one ends in MEMORY here; the
// fan-out property below runs a real one.
const gatherOptionsArb = fc.oneof(
  {
    weight: 4, arbitrary: fc.record({
      maxClients: mix(fc.integer({ min: 1, max: 8 }), fc.constantFrom(0, 1_000_001, 1e6, 2 ** 32)), maxSubscriptions: mix(fc.integer({ min: 1, max: 64 }), fc.constantFrom(0, 64_000_001, 64e6)),
      broker: brokerArb, sdkAliases: boolOptionArb, receiveTime: boolOptionArb,
    }, { requiredKeys: [] }),
  },
  { weight: 1, arbitrary: hostile },
);
op("new FanoutGather", [memArb, tableArb, gatherOptionsArb], {
  run: (_w, mem, table, options) => new FanoutGather(mem, table, options),
  writes: () => ({ reserve: true }),
  check: (_w, _g, _m, _t, options) => expect(!notBoolean(options.sdkAliases) && !notBoolean(options.receiveTime), `accepted sdkAliases ${describeValue(options.sdkAliases)}, receiveTime ${describeValue(options.receiveTime)}: not booleans`),
  weight: 2,
});
op("FanoutGather.bytesFor", [gatherOptionsArb, fc.oneof(fc.integer({ min: 1, max: 1 << 20 }), fc.constantFrom(0, -1, 1.5, 2 ** 24 + 1), hostile)], {
  run: (_w, options, symbols) => FanoutGather.bytesFor(options, symbols),
  check: (_w, n) => expect(Number.isSafeInteger(n) && n > 8 << 20, `${n} bytes`),
});

// The fan-out pump (src/fanout/pump.ts). Its construction refuses what is not what it documents;
// a round reads the world's three rings (batch by batch, with pollBatch) into its gather — none
// in the core world (then it only counts records), the checked one in the fan-out world — and
// may change what pollBatch and gather may.
const fnOr = (make: string) => fc.oneof({ weight: 4, arbitrary: makeArb(make) }, { weight: 1, arbitrary: hostile });
const sinkArb = fc.oneof(
  { weight: 3, arbitrary: makeArb("sink") },
  {
    weight: 2, arbitrary: fc.record({
      frames: fnOr("fn:nothing"), conflated: fnOr("fn:nothing"), afterRound: fnOr("fn:nothing"), batch: fc.oneof(fc.constant(undefined), fnOr("fn:nothing")),
      refused: fc.oneof(fc.constant(undefined), fnOr("fn:nothing")), nextFlushInMs: fc.oneof(fc.constant(undefined), fnOr("fn:load1")),
    }, { requiredKeys: [] }),
  },
  { weight: 1, arbitrary: hostile },
);
// (A pump it makes runs a round at once: what its constructor let through must work.)
op("new FanoutPump + round()", [memArb, fc.oneof(fnOr("readers"), fc.constant(undefined)), fc.oneof(fc.constant(undefined), makeArb("gather"), hostile), sinkArb, fc.oneof(fc.constant(undefined), fnOr("fn:load1"))], {
  run: (_w, mem, readers, gather, sink, clients) => new FanoutPump(mem, readers, gather, sink, clients).round(),
  writes: (w) => ({ ranges: [...allRingAreas(w), ...gatherWrites(w)], reserve: true }),
  scratch: "bcast.r",
  check: (_w, bytes) => expect(isInt(bytes, 0, 3 * 16 * RING_CAPACITY), `${bytes} bytes`),
});
const allRingAreas = (w: World): Range[] => RING_NAMES.flatMap((r) => ringLabels(w, r, "hdr", "r"));
const gatherWrites = (w: World): Range[] => (w.gather ? ["ctx", "clients", "touched", "out", "index", "entries", "scratch", "msgIndex", "dirty"].map((a) => w.gatherArea(a)) : []);
op("pump.round", [fc.oneof({ weight: 4, arbitrary: fc.constantFrom(1, 1, 3) }, { weight: 1, arbitrary: fc.constantFrom(0, NaN, -1) }, { weight: 1, arbitrary: hostile })], {
  run: (w, clients) => {
    w.pumpLog.clients = clients;
    w.pumpLog.refused = 0;
    return w.pump.round();
  },
  writes: (w) => ({ ranges: [...allRingAreas(w), ...gatherWrites(w)], reserve: true }),
  scratch: "bcast.r",
  check: (w, bytes) => expect(isInt(bytes, 0, 3 * 16 * RING_CAPACITY), `${bytes} bytes`),
  weight: 6,
});
op("pump.round (readers() hostile)", [fc.oneof(hostile, fc.constantFrom([null], [5], ["spsc"], [{}], [[]]), makeArb("readersMixed", "mem"))], {
  run: (w, readers) => new FanoutPump(w.mem, () => readers, undefined, w.pumpLog.sink(w)).round(),
  writes: (w) => ({ ranges: allRingAreas(w), reserve: true }),
  scratch: "bcast.r",
});

// The proxy's settings (src/proxy/config.ts) and API key hashing (src/proxy/auth.ts): a bad field is
// an ARGUMENT error that names it, and no message ever holds a string given as an API key.
// Keys of 8 to 256 characters are valid (apiKeys); the others must be refused, unquoted.
const keyArb = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: fc.constantFrom(..."abcdefghijklmnopqrstuvwxyz0123456789_-"), minLength: 8, maxLength: 24 }).map((s) => `sk_${s}`) },
  { weight: 1, arbitrary: fc.constantFrom("sk_short", `sk_${"x".repeat(253)}`, "sk_é€😀 key", 'sk_"quoted\\key"', "sk_\u0000nul-key") },
);
const badKeyArb = fc.constantFrom("sk_1234", `sk_${"x".repeat(254)}`, "sk_\ud800lone", "sk_lone\udc00");
const hexDigestArb = keyArb.map((k) => createHash("sha256").update(k).digest("hex"));
const PROXY_FIELDS: Record<string, [valid: fc.Arbitrary<unknown>, invalid: fc.Arbitrary<unknown>]> = {
  host: [fc.constantFrom("127.0.0.1", "0.0.0.0", "::1", "localhost"), fc.constantFrom("", 5, [])],
  port: [fc.constantFrom(0, 8765, 65535), fc.constantFrom(-1, 65536, 1.5, "8765", NaN)],
  apiKeys: [fc.array(keyArb, { maxLength: 3 }), fc.oneof(keyArb.map((k) => [k, 5]), keyArb.map((k) => [null, k]), fc.tuple(keyArb, badKeyArb), keyArb, fc.constant({ 0: "sk_not_an_array_0" }))],
  apiKeyHashes: [fc.array(hexDigestArb, { maxLength: 2 }), fc.oneof(keyArb.map((k) => [k, {}]), keyArb, hexDigestArb.map((h) => [h.toUpperCase()]), hexDigestArb.map((h) => [`${h}0`]))],
  userId: [fc.constantFrom("tickwire", "u", "x".repeat(64)), fc.constantFrom("", "x".repeat(65), 7)],
  maxClients: [fc.constantFrom(1, 1000, 100_000), fc.constantFrom(0, 100_001, 2.5, "10")],
  maxSubscriptionsPerClient: [fc.constantFrom(1, 10_000), fc.constantFrom(0, 1_000_001, -5)],
  maxSubscriptions: [fc.constantFrom(1, 16_000_000), fc.constantFrom(0, 16_000_001, Infinity)],
  subscribeRatePerSecond: [fc.constantFrom(1, 50), fc.constantFrom(0, 1_000_001, 0.5)],
  maxPayloadBytes: [fc.constantFrom(1024, 64 << 20), fc.constantFrom(1023, (64 << 20) + 1)],
  authTimeoutMs: [fc.constantFrom(1, 15_000), fc.constantFrom(0, 3_600_001, -1)],
  pingIntervalMs: [fc.constantFrom(10, 20_000), fc.constantFrom(9, 3_600_001)],
  allowedOrigins: [fc.constantFrom(["https://a.example"], []), fc.constantFrom("https://a.example", [5], [null])],
  tls: [fc.constant({ cert: "-----BEGIN CERTIFICATE-----", key: "-----BEGIN PRIVATE KEY-----" }), fc.constantFrom({ cert: 1, key: "k" }, { cert: "c" }, "pem", null, [])],
  backpressure: [
    fc.record({ policy: fc.constantFrom("conflate", "drop-oldest", "disconnect"), highWaterBytes: fc.constantFrom(1024, 1 << 20), maxQueueBytes: fc.constantFrom(1024, 1 << 30), maxLagMs: fc.constantFrom(1, 5000) }, { requiredKeys: [] }),
    fc.oneof(
      fc.constantFrom("conflate", null, [], 5),
      fc.record({ policy: fc.constantFrom("CONFLATE", "drop", 1, null) }),
      fc.record({ highWaterBytes: fc.constantFrom(1023, 2 ** 30 + 1, "1024") }),
      fc.record({ maxQueueBytes: fc.constantFrom(0, 1.5) }),
      fc.record({ maxLagMs: fc.constantFrom(0, 3_600_001) }),
      fc.constant({ polcy: "drop-oldest" }),
    ),
  ],
  coalesceMs: [fc.constantFrom(0, 1, 0.5, 1000), fc.constantFrom(-1, 1001, NaN, Infinity, "1")],
  sdkAliases: [fc.constantFrom(true, false), fc.constantFrom(1, "true", null)],
  receiveTime: [fc.constantFrom(true, false), fc.constantFrom(0, "false")],
};
const PROXY_FIELD_NAMES = Object.keys(PROXY_FIELDS);
/**
 * A valid config (some fields set) with at most one field made bad — from the field's list of
 * invalid values (`strict`: it must be refused) or any hostile value (it may happen to be valid) —
 * and the bad field's name ("" when the whole config is hostile).
 */
interface ProxyCase { config: unknown; bad: string | undefined; strict: boolean }
const proxyConfigArb: fc.Arbitrary<ProxyCase> = fc.oneof(
  {
    weight: 6, arbitrary: fc.tuple(
      fc.record(Object.fromEntries(PROXY_FIELD_NAMES.map((k) => [k, PROXY_FIELDS[k]![0]])), { requiredKeys: [] }),
      fc.oneof(fc.constant(undefined), fc.constantFrom(...PROXY_FIELD_NAMES), fc.constantFrom("apikeys", "port ", "__proto__", "tlsKey")),
      fc.oneof({ weight: 3, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
    ).chain(([config, bad, useHostile]): fc.Arbitrary<ProxyCase> => {
      if (bad === undefined) return fc.constant({ config, bad, strict: false });
      const invalid = PROXY_FIELDS[bad]?.[1] ?? fc.constant(1);
      return (useHostile ? hostile : invalid).map((v) => ({ config: { ...config, [bad]: v }, bad, strict: !useHostile }));
    }),
  },
  { weight: 1, arbitrary: fc.oneof(hostile, fc.constantFrom([], [{ port: 1 }], "port=1")).map((config) => ({ config, bad: "", strict: false })) },
).map((c) => Object.assign(c, { [fc.toStringMethod]: () => `${describeValue(c.config)} (bad: ${c.bad === undefined ? "none" : c.bad || "all"})` }));
/** Every string given as an API key (plain) or its hash, in a config. */
function keysIn(config: unknown): string[] {
  if (typeof config !== "object" || config === null) return [];
  const c = config as { apiKeys?: unknown; apiKeyHashes?: unknown };
  return [c.apiKeys, c.apiKeyHashes].flatMap((list) => (Array.isArray(list) ? list : typeof list === "string" ? [list] : typeof list === "object" && list !== null ? Object.values(list) : []))
    .filter((k): k is string => typeof k === "string" && k.length > 0);
}
op("resolveProxyConfig", [proxyConfigArb, fc.constantFrom(undefined, "proxy", "system.proxy")], {
  run: (_w, { config }, field) => (field === undefined ? resolveProxyConfig(config) : resolveProxyConfig(config, field)),
  error: (_w, e: TickwireError, { config, bad }, field = "proxy") => {
    expect(e.code === "ARGUMENT", `code ${e.code}, not ARGUMENT`);
    for (const key of keysIn(config)) expect(!e.message.includes(key), `the message echoes an API key: ${e.message}`);
    if (bad === "") expect(e.message.startsWith(field), `the message does not name ${field}: ${e.message}`);
    else if (bad !== undefined) expect(e.message.includes(`${field}.${bad}`), `the message does not name ${field}.${bad}: ${e.message}`);
  },
  check: (_w, r, { config, bad, strict }: ProxyCase) => {
    expect(!strict, `accepted ${describeValue(config)}: its ${bad} is not valid`);
    expect(isInt(r.port, 0, 65535) && Array.isArray(r.apiKeys) && typeof r.sdkAliases === "boolean" && typeof r.receiveTime === "boolean", `resolved to ${describeValue(r)}`);
  },
});
op("hashApiKey", [fc.oneof({ weight: 4, arbitrary: keyArb }, { weight: 1, arbitrary: fc.oneof(badKeyArb, fc.string({ maxLength: 20 }), fc.constantFrom("", "\ud800", "a\udc00", "\ufffd", new Uint8Array([1, 2]))) }, { weight: 1, arbitrary: hostile })], {
  run: (_w, key) => hashApiKey(key),
  error: (_w, e: TickwireError, key) => {
    expect(e.code === "ARGUMENT", `code ${e.code}, not ARGUMENT`);
    if (typeof key === "string" && key.length > 0) expect(!e.message.includes(key), `the message echoes the key: ${e.message}`);
  },
  check: (_w, h, key) => {
    expect(typeof key === "string" && key.isWellFormed(), `hashed ${describeValue(key)}: not a string that round-trips through UTF-8`);
    expect(h === createHash("sha256").update(key, "utf8").digest("hex"), `${h} is not the key's SHA-256`);
  },
});

// TickwireClient.connect (src/client/): options are checked before any socket is made (the
// WebSocket class given counts its constructions and throws, so a valid call fails FAILED at
// once); no message holds the apiKey.
class CountingSocket {
  static made = 0;
  constructor() {
    CountingSocket.made++;
    throw new Sentinel();
  }
}
const clientConnectArb = fc.oneof(
  {
    weight: 6, arbitrary: fc.record({
      url: mix(fc.constantFrom("ws://127.0.0.1:1/", "wss://example.invalid/feed?token=t0k", "ws://[::1]:8765"), fc.constantFrom("", "http://x/", "ws://x/#frag", "not a url", "ws://", "//x")),
      apiKey: mix(keyArb, fc.constantFrom("", "sk_" as unknown)),
      format: mix(fc.constantFrom("json", "binary", undefined), fc.constantFrom("JSON", "xml", 1)),
      WebSocket: mix(makeArb("socketClass"), fc.constantFrom(undefined, "ws", {}), 8),
      reconnect: mix(fc.constantFrom(true, false, undefined, { initialDelayMs: 10, maxDelayMs: 100 }, {}), fc.constantFrom({ initialDelayMs: 0 }, { initialDelayMs: 50, maxDelayMs: 10 }, { bogus: 1 }, "yes", 1, { maxDelayMs: NaN })),
      requestTimeoutMs: mix(fc.constantFrom(undefined, 1, 50, 2 ** 31 - 1), fc.constantFrom(0, -1, NaN, Infinity, 2 ** 31, "100")),
      queueLimit: mix(fc.constantFrom(undefined, 1, 10_000_000), fc.constantFrom(0, 10_000_001, 1.5)),
      extra: fc.constantFrom(undefined, undefined, undefined, "sk_typo_field"),
    }, { requiredKeys: ["url", "apiKey", "WebSocket"] }).map(({ extra, ...o }) => (extra === undefined ? o : { ...o, apikey: extra })),
  },
  { weight: 1, arbitrary: hostile },
);
op("TickwireClient.connect", [clientConnectArb], {
  run: (_w, options) => {
    const made = CountingSocket.made;
    return TickwireClient.connect(options).then((c) => c, (e) => {
      if (e instanceof TickwireError && e.code === "ARGUMENT" && CountingSocket.made !== made) throw new Error(`refused its options (${e.message}) after making a socket`);
      throw e;
    });
  },
  error: (_w, e: TickwireError, options) => {
    const key = typeof options === "object" && options !== null ? (options as { apiKey?: unknown }).apiKey : undefined;
    if (typeof key === "string" && key.length > 0) expect(!e.message.includes(key), `the message echoes the apiKey: ${e.message}`);
    expect(e.code === "ARGUMENT" || e.code === "FAILED", `code ${e.code}`);
  },
  check: () => expect(false, "connected with a WebSocket class that cannot be constructed"),
});

// ───────────────────────────── the fan-out world's calls ─────────────────────────────

// FanoutGather (src/fanout/gather.ts, assembly/fanout.ts) in the fan-out world: every gather is
// checked against the model (OracleGather); after every call each slot's flags word holds the
// model's flags (no GF_TOUCHED left behind, not even by a refused gather). What each may change:
// openSlot, flags, setSubscription (kept in JS until the next gather), the getters: nothing;
// setFlags: the slot's flags word; closeSlot: the client table and the pending bitmaps;
// takePending: the pending bitmaps; gather: its own areas (context, client table, touched list,
// output, subscriber index and entries, render scratch, message index, pending bitmaps) — never
// the broker name, the symbol table, the batch it reads or anything else.
const fanoutOps: Op[] = [];
function fop(name: string, args: fc.Arbitrary<unknown>[], spec: Omit<Op, "name" | "args">): void {
  fanoutOps.push({ name, args: args.length === 0 ? fc.constant([]) : fc.tuple(...args), ...spec });
}
const slotArb = fc.oneof(
  { weight: 10, arbitrary: makeArb("openSlot", "openSlot", "openSlot", "freeSlot") },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: GATHER_CLIENTS - 1 }) },
  { weight: 1, arbitrary: fc.constantFrom(GATHER_CLIENTS, -1, 1.5, 2 ** 32, "0", NaN, -0) },
  { weight: 1, arbitrary: hostile },
);
const gatherIdArb = fc.oneof(
  { weight: 10, arbitrary: fc.integer({ min: 0, max: 5 }) },
  { weight: 1, arbitrary: fc.constantFrom(6, 31, 32, 63) },
  { weight: 1, arbitrary: fc.constantFrom(64, -1, 2 ** 32 - 1, 0.5, "1") },
  { weight: 1, arbitrary: hostile },
);
const modesArb = mix(fc.integer({ min: 0, max: 7 }), fc.constantFrom(8, 255, -1, 1.5, "3", 3n), 12);
const afterSeqArb = fc.oneof(
  { weight: 12, arbitrary: fc.constantFrom(undefined, undefined, 0, 999, 1000, 1002, 1005, 1500, 5000, 2 ** 53 - 1) },
  { weight: 1, arbitrary: fc.constantFrom(2 ** 53, 2 ** 64 - 2048, 2 ** 64, -1, 1.5, NaN, Infinity, "5", 5n, null) },
  { weight: 1, arbitrary: hostile },
);
const flagsArb = mix(fc.constantFrom(0, 1, 1, 3, 3, 5, 5, 7, 2, 4), fc.constantFrom(8, 9, 15, -1, 1.5, 2 ** 32 + 1, "1"), 10);
const gatherSrcArb = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom(new Ref("A", 0), new Ref("A", 0), new Ref("C", 0), new Ref("C", 0), new Ref("A", 640), new Ref("A", 64), new Ref("B", 0)) },
  { weight: 1, arbitrary: fc.constantFrom(...RING_NAMES.map((r) => new Ref(`read.${r}`, 0)), ...RING_NAMES.map((r) => new Ref(`data.${r}`, 0))) },
  { weight: 1, arbitrary: fc.constantFrom(...["ctx", "clients", "out", "scratch", "entries", "index", "broker", "msgIndex"].map((a) => new Ref(`gather.${a}`, 0))) },
  { weight: 2, arbitrary: makeArb("outRecord") },
  { weight: 2, arbitrary: srcArb },
);
const gatherBytesArb = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(BATCH_BYTES, BATCH_BYTES, 640, 64, 256, 896, 0) }, { weight: 2, arbitrary: batchBytesArb });
const timestampArb = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(0, 1732500000000, -1, 2 ** 53 - 1, -(2 ** 53 - 1)) },
  { weight: 1, arbitrary: fc.constantFrom(2 ** 53, 1.5, NaN, -0, "1", 1n, undefined) },
  { weight: 1, arbitrary: hostile },
);
const gw = (w: World) => w.gather!;
const gmodel = (w: World) => w.gather!.model;
const slotWord = (w: World, slot: unknown): Range[] => (isInt(slot, 0, GATHER_CLIENTS - 1) ? [[w.gatherArea("clients")[0] + (slot as number) * G.GC_BYTES, w.gatherArea("clients")[0] + (slot as number) * G.GC_BYTES + 4]] : []);

fop("gather.openSlot", [], {
  run: (w) => gw(w).openSlot(),
  check: (w, slot) => {
    const m = gmodel(w);
    if (slot === -1) return expect(m.open.size === GATHER_CLIENTS, `-1 with ${m.open.size} of ${GATHER_CLIENTS} slots open`);
    expect(isInt(slot, 0, GATHER_CLIENTS - 1) && !m.open.has(slot), `slot ${slot}, which is ${m.open.has(slot) ? "open already: two clients would share it" : "not a slot"}`);
    expect(gw(w).flags(slot) === 0 && ![...m.bySymbol.values()].some((s) => s.has(slot)) && gw(w).takePending(slot).length === 0, `slot ${slot} comes with flags, subscriptions or pending symbols`);
    m.open.add(slot);
  },
  weight: 3,
});
fop("gather.closeSlot", [slotArb], {
  run: (w, slot) => gw(w).closeSlot(slot),
  writes: (w) => ({ ranges: [w.gatherArea("clients"), w.gatherArea("dirty")] }),
  check: (w, _r, slot) => {
    expect(gmodel(w).open.has(slot), `closed slot ${slot}, which is not open`);
    gmodel(w).close(slot);
    expect(gw(w).subscriptions === gmodel(w).entries, `${gw(w).subscriptions} subscriptions, the model has ${gmodel(w).entries}`);
  },
  weight: 2,
});
fop("gather.setFlags", [slotArb, flagsArb], {
  run: (w, slot, flags) => gw(w).setFlags(slot, flags),
  writes: (w, slot) => ({ ranges: slotWord(w, slot) }),
  check: (w, _r, slot, flags) => {
    expect(gmodel(w).open.has(slot), `set the flags of slot ${slot}, which is not open`);
    gmodel(w).flags.set(slot, flags);
  },
  weight: 6,
});
fop("gather.flags", [slotArb], { run: (w, slot) => gw(w).flags(slot), check: (w, f, slot) => expect(f === gmodel(w).flagsOf(slot), `${f}, the model says ${gmodel(w).flagsOf(slot)}`) });
fop("gather.setSubscription", [slotArb, gatherIdArb, modesArb, afterSeqArb, fc.oneof({ weight: 10, arbitrary: fc.constantFrom(undefined, true, false) }, { weight: 1, arbitrary: fc.constantFrom(0, 1, "true", null) }, { weight: 1, arbitrary: hostile })], {
  run: (w, slot, id, modes, afterSeq, since) => gw(w).setSubscription(slot, id, modes, afterSeq, since),
  check: (w, ok, slot, id, modes, afterSeq = 0, since = false) => {
    expect(gmodel(w).open.has(slot), `subscribed slot ${slot}, which is not open`);
    expect(Number.isInteger(afterSeq) && afterSeq >= 0 && afterSeq < 2 ** 64 && typeof since === "boolean", `accepted afterSeq ${describeValue(afterSeq)}, since ${describeValue(since)}`);
    const want = gmodel(w).subscribe(slot, id, modes, afterSeq, since);
    expect(ok === want, `answered ${ok}, the model says ${want}`);
    expect(gw(w).subscriptions === gmodel(w).entries, `${gw(w).subscriptions} subscriptions, the model has ${gmodel(w).entries}`);
  },
  weight: 8,
});
fop("gather.gather", [gatherSrcArb, gatherBytesArb, timestampArb], {
  run: (w, src, bytes, ts) => gw(w).gather(src, bytes, ts),
  writes: (w) => ({ ranges: gatherWrites(w) }),
  weight: 10,
});
fop("gather.touchedSlot/frames/ticks/conflated/pending", [fc.constantFrom("touchedSlot", "frames", "ticks", "conflated", "pending"), fc.oneof(slotArb, fc.integer({ min: 0, max: GATHER_CLIENTS }))], {
  run: (w, which, i) => (which === "frames" ? gw(w).checkedFrames(i) : (gw(w) as unknown as Record<string, (i: unknown) => number>)[which]!(i)),
  check: (w, r, which, i) => {
    if (which === "touchedSlot") expect(i < gw(w).touchedCount && isInt(r, 0, GATHER_CLIENTS - 1), `touchedSlot(${i}) is ${r} (touchedCount ${gw(w).touchedCount})`);
    else if (which !== "frames") expect(isInt(r, 0, 0xffffffff), `${r}`);
  },
  weight: 3,
});
fop("gather.frameStart/frameBytes/output", [fc.constantFrom("frameStart", "frameBytes", "output"), slotArb], {
  run: (w, which, slot) => (which === "output" ? gw(w).output() : (gw(w) as unknown as Record<string, (s: unknown) => number>)[which]!(slot)),
  check: (w, r, which) => {
    if (which === "output") expect(r instanceof Uint8Array && r.byteOffset === w.gatherArea("out")[0] && r.length === gw(w).outputBytes, "not the output area's used part");
    else expect(isInt(r, 0, w.gatherArea("out")[1] - w.gatherArea("out")[0]), `${r}`);
  },
});
fop("gather.takePending", [slotArb], {
  run: (w, slot) => gw(w).takePending(slot),
  writes: (w) => ({ ranges: [w.gatherArea("dirty")] }),
  check: (w, ids, slot) => {
    const want = gmodel(w).takePending(slot);
    expect(JSON.stringify(ids) === JSON.stringify(want), `${JSON.stringify(ids)}, the model says ${JSON.stringify(want)}`);
  },
  weight: 2,
});
fop("gather getters", [], {
  run: (w) => [gw(w).touchedCount, gw(w).records, gw(w).subscriptions, gw(w).memory === w.mem, gw(w).maxClients, gw(w).maxSubscriptions],
  check: (w, [touched, records, subs]) => expect(isInt(touched, 0, GATHER_CLIENTS) && isInt(records, 0, 1024) && subs === gmodel(w).entries, `touchedCount ${touched}, records ${records}, subscriptions ${subs}`),
});
// Not an entry point: the batch of A copied to C with one record broken (a symbol id past the
// table or not interned, another exchange or decimals, a bad kind, length or version, a price
// beyond ±(2^51 − 1), a lower seq), so that the gather meets records it must refuse or skip.
const BREAKS = ["symbolId:6", "symbolId:63", "symbolId:64", "symbolId:4294967295", "exchange", "decimals", "kind", "length:0", "length:128", "length:4096", "version", "price", "seq", "none"] as const;
fop("helper: the batch in C, one record broken", [fc.integer({ min: 0, max: 5 }), fc.constantFrom(...BREAKS)], {
  run: (w, k, how: (typeof BREAKS)[number]) => {
    const { u8 } = w.mem;
    u8.copyWithin(w.C, w.A, w.A + BATCH_BYTES);
    const at = w.C + RECORD_AT[k]!;
    const dv = new DataView(w.mem.buffer);
    const [what, n] = how.split(":") as [string, string | undefined];
    switch (what) {
      case "symbolId": dv.setUint32(at + L.OFF_SYMBOL_ID, Number(n), true); break;
      case "exchange": u8[at + L.OFF_EXCHANGE] = u8[at + L.OFF_EXCHANGE] === 1 ? 2 : 1; break;
      case "decimals": u8[at + L.OFF_PRICE_DECIMALS] = (u8[at + L.OFF_PRICE_DECIMALS]! + 1) % 10; break;
      case "kind": u8[at + L.OFF_KIND] = 9; break;
      case "length": dv.setUint16(at + L.OFF_LENGTH, Number(n), true); break;
      case "version": u8[at + L.OFF_VERSION] = 7; break;
      case "price": dv.setBigInt64(at + L.OFF_LTP, 2n ** 52n, true); break;
      case "seq": dv.setBigUint64(at + L.OFF_SEQ, 1n, true); break;
    }
  },
  writes: (w) => ({ ranges: [[w.C, w.C + BATCH_BYTES]] }),
  weight: 4,
});

/** Checks the record at `at` with readMessage (the core's validation); returns its length. */
function recordAt(w: World, at: number): number {
  const m = readMessage(w.probe.wrap(at), w.table);
  expect(m.mode === Kind.QUOTE || m.mode === Kind.DEPTH, `a record of mode ${m.mode}`);
  return recordBytes(m.mode);
}

// ───────────────────────────── running calls ─────────────────────────────

class Call {
  constructor(readonly op: Op, readonly args: unknown[]) {}
  [fc.toStringMethod](): string {
    return describeCall(this);
  }
}
const callsOf = (list: readonly Op[]): fc.Arbitrary<Call> => fc.oneof(...list.map((o) => ({ weight: o.weight ?? 4, arbitrary: o.args.map((args) => new Call(o, args)) })));
const callArb = callsOf(ops);
// The fan-out world runs the gather's calls and the pump among the core calls that feed them:
// rings filled, read and corrupted, records made, broken and moved, symbols interned.
const FANOUT_ALSO = new Set([
  "writer.tryClaim", "writer.commit", "helper: fill the claim", "helper: publish", "reader.read", "reader.release", "reader.poll", "reader.pollBatch",
  "reader.unblock", "pump.round", "helper: break the next unread record's length", "view.set", "view.init", "view.setSymbol", "codec.decode", "codec.encode", "table.intern", "writeMessage",
]);
const fanoutCallArb = callsOf([...fanoutOps, ...ops.filter((o) => FANOUT_ALSO.has(o.name))]);

/** A short rendering of any value (never dumps a memory's bytes). */
function describeValue(v: unknown): string {
  if (typeof v === "object" && v !== null && !Array.isArray(v) && !(fc.toStringMethod in v)) {
    if (ArrayBuffer.isView(v)) return `${v.constructor.name}(${v.byteLength} bytes at ${v.byteOffset}${v.buffer instanceof SharedArrayBuffer ? " of the memory" : ""})`;
    if (v instanceof ArrayBuffer || v instanceof SharedArrayBuffer) return `${v.constructor.name}(${v.byteLength})`;
    const proto = Object.getPrototypeOf(v);
    if (proto !== Object.prototype && proto !== null) return `<${(v as object).constructor?.name ?? "object"}>`;
    return `{${Object.entries(v).map(([k, x]) => `${k}: ${describeValue(x)}`).join(", ")}}`.slice(0, 300);
  }
  if (Array.isArray(v) && v.length > 0) return `[${v.slice(0, 12).map(describeValue).join(", ")}${v.length > 12 ? `, … (${v.length})` : ""}]`;
  return fc.stringify(v).slice(0, 300);
}
function describeCall(call: Call, resolved?: unknown[]): string {
  const shown = call.args.map(describeValue).join(", ");
  const res = resolved && resolved.some((v, i) => v !== call.args[i]) ? `  [resolved: ${resolved.map(describeValue).join(", ")}]` : "";
  return `${call.op.name}(${shown})${res}`;
}

type Verdict = "threw" | "job" | "memory" | "state" | "hang";

/** TICKWIRE_FUZZ_STATS=1: how often each entry point of `list` ran and how it ended (then forgets them). */
function printStats(list: readonly Op[]): void {
  const names = new Set(list.map((o) => o.name));
  for (const [name, outcomes] of [...stats].sort()) {
    if (!names.has(name)) continue;
    if (STATS) console.log(`  ${name}: ${[...outcomes].map(([k, n]) => `${k} ${k === "ms" ? n.toFixed(1) : n}`).join(", ")}`);
    stats.delete(name);
  }
}

const stats = new Map<string, Map<string, number>>();
function count(op: string, outcome: string, n = 1): void {
  let m = stats.get(op);
  if (!m) stats.set(op, (m = new Map()));
  m.set(outcome, (m.get(outcome) ?? 0) + n);
}

async function exec(w: World, call: Call): Promise<void> {
  const { op } = call;
  const args = call.args.map((a) => w.resolve(a));
  const nextBefore = w.next();
  const stateBefore = op.state?.(w);
  const success = op.writes?.(w, ...args) ?? NOTHING;
  const failure = op.onError ? op.onError(w, ...args) : success;
  w.label = typeof op.scratch === "function" ? op.scratch(...args) : op.scratch ?? "discarded";
  const t0 = performance.now();
  let result: unknown;
  let error: unknown;
  let threw = false;
  try {
    result = op.run(w, ...args);
    if (result instanceof Promise) result = await result;
  } catch (e) {
    threw = true;
    error = e;
  }
  w.label = "discarded";
  const ms = performance.now() - t0;
  const outcome = !threw ? "ok" : error instanceof TickwireError ? error.code : error instanceof Sentinel ? "sentinel" : `!${(error as Error)?.constructor?.name ?? typeof error}`;
  count(op.name, outcome);
  count(op.name, "ms", ms);

  const violations: [Verdict, string][] = [];
  if (ms > HANG_MS) violations.push(["hang", `took ${ms.toFixed(0)} ms`]);
  if (threw) {
    if (error instanceof TickwireError) {
      if (!CODES.has(error.code)) violations.push(["threw", `threw a TickwireError with code ${describeValue(error.code)}`]);
      else if (op.error) {
        try {
          op.error(w, error, ...args);
        } catch (e) {
          violations.push(["job", `threw ${error.code} (${error.message}), but ${(e as Error).message}`]);
        }
      }
    } else if (!(op.callbacks && error instanceof Sentinel)) {
      const e = error as Error;
      violations.push(["threw", `threw ${e?.constructor?.name ?? typeof e}: ${e?.message ?? String(e)}\n${e?.stack?.split("\n").slice(1, 4).join("\n") ?? ""}`]);
    }
    if (stateBefore !== undefined && op.state!(w) !== stateBefore) violations.push(["state", `threw (${(error as Error)?.message}) yet changed the map: ${stateBefore} → ${op.state!(w)}`]);
  } else if (op.check) {
    try {
      op.check(w, result, ...args);
    } catch (e) {
      violations.push(["job", `returned ${describeValue(result)}, but ${(e as Error).message}`]);
    }
  }
  const writes = threw ? failure : success;
  const memory = w.guard.verify(writes.ranges ?? [], writes, nextBefore);
  if (memory) violations.push(["memory", memory]);
  const stray = w.gather?.strayFlags();
  if (stray) violations.push(["state", stray]);

  for (const [kind, text] of violations) throw new Error(`${describeCall(call, args)}: ${kind}: ${text}`);
}

// ───────────────────────────── tests ─────────────────────────────

test("fuzz: every public call, hostile arguments: a result or a TickwireError, and nothing written outside what the call may change", async () => {
  const t0 = performance.now();
  let calls = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(callArb, { minLength: 1, maxLength: 60, size: "max" }), async (seq) => {
      const w = await World.create();
      for (const call of seq) {
        calls++;
        await exec(w, call);
      }
    }),
    { seed: SEED, numRuns: RUNS, includeErrorInReport: true },
  );
  const ms = performance.now() - t0;
  const never = ops.filter((o) => !stats.has(o.name)).map((o) => o.name);
  assert.equal(never, [], "every entry point was called");
  printStats(ops);
  console.log(`fuzz: ${calls} calls over ${RUNS} runs, ${ops.length} entry points, ${(ms / 1000).toFixed(1)} s (seed ${SEED})`);
});

test("fuzz: the fan-out gather and pump in a world of their own: every gather matches the model, nothing written outside what the call may change", async () => {
  const t0 = performance.now();
  let calls = 0;
  await fc.assert(
    fc.asyncProperty(fc.record({ sdkAliases: fc.boolean(), receiveTime: fc.boolean() }), fc.array(fanoutCallArb, { minLength: 1, maxLength: 50, size: "max" }), async (extras, seq) => {
      const w = await World.create(extras);
      for (const call of seq) {
        calls++;
        await exec(w, call);
      }
    }),
    { seed: SEED, numRuns: FANOUT_RUNS, includeErrorInReport: true },
  );
  const list = [...fanoutOps, ...ops.filter((o) => FANOUT_ALSO.has(o.name))];
  const never = list.filter((o) => !stats.has(o.name)).map((o) => o.name);
  assert.equal(never, [], "every fan-out entry point was called");
  printStats(list);
  console.log(`fuzz (fan-out): ${calls} calls over ${FANOUT_RUNS} runs, ${fanoutOps.length} entry points, ${((performance.now() - t0) / 1000).toFixed(1)} s (seed ${SEED})`);
});

test("fromClientJson(toClientJson(m)) gives back every field on the wire, for random valid messages", () => {
  fc.assert(
    fc.property(validMessageArb, fc.oneof(fc.constant(undefined), fc.constantFrom(1, 2, 3)), fc.integer({ min: -(2 ** 45), max: 2 ** 45 }), cleanSymbolArb, (m, askMode, ts, broker) => {
      const mode = (askMode === undefined || askMode > m.mode ? m.mode : askMode) as Kind;
      const text = toClientJson(m, { broker, timestampMs: ts, mode });
      const back = fromClientJson(text);
      assert.equal(back.broker, broker);
      assert.equal(back.timestampMs, ts === 0 ? 0 : ts);
      assert.equal(back.message, onTheWire(m, mode), text);
    }),
    { seed: SEED, numRuns: ROUND_TRIP_RUNS, includeErrorInReport: true },
  );
});

test("writeMessage → readMessage round-trips exactly; the record decodes/encodes back to itself and renders as toClientJson does", async () => {
  const mem = await TickwireMemory.create({ bytes: 1 << 22, module: MODULE });
  const table = SymbolTable.create(mem, 4096);
  const codec = new BatchCodec(mem);
  const renderer = new JsonRenderer(mem, table, { broker: "fuzz", bufferBytes: 8192 });
  const at = mem.allocate(L.DEPTH_BYTES);
  const stage = mem.allocate(L.DEPTH_BYTES);
  const back = mem.allocate(L.DEPTH_BYTES);
  const view = new TickView(mem.buffer).wrap(at);
  const decoder = new TextDecoder();
  fc.assert(
    fc.property(validMessageArb, fc.integer({ min: -(2 ** 45), max: 2 ** 45 }), (m, ts) => {
      const known = table.find(m.exchange, m.symbol);
      if (known >= 0 && table.get(known).priceDecimals !== m.priceDecimals) {
        assert.is(throwsCode(() => writeMessage(view, m, table)), "DECIMALS");
        return;
      }
      const n = writeMessage(view, m, table);
      assert.is(n, recordBytes(m.mode));
      assert.equal(readMessage(view, table), normalised(m));
      assert.is(codec.decode(at, n, stage), 1);
      assert.is(codec.encode(stage, n, back), 1);
      assert.equal(mem.u8.slice(back, back + n), mem.u8.slice(at, at + n), "decode then encode gives the record back");
      assert.is(renderer.render(at, n, m.mode, ts), 1);
      assert.is(decoder.decode(renderer.message(0).slice()), toClientJson(m, { broker: "fuzz", timestampMs: ts }));
    }),
    { seed: SEED, numRuns: ROUND_TRIP_RUNS, includeErrorInReport: true },
  );
});

/** The message fromClientJson gives for `m` rendered at `mode`: fields not on the wire are 0 (see its doc). */
function onTheWire(m: MarketDataMessage, mode: Kind): MarketDataMessage {
  const n = normalised(m);
  const out: MarketDataMessage = {
    mode, symbol: n.symbol, exchange: n.exchange, priceDecimals: n.priceDecimals, seq: 0, recvTimeNs: 0, ltp: n.ltp,
    exchangeTimeMs: 0, lastTradeTimeMs: 0, lastQuantity: 0, percentChange: 0,
  };
  if (mode === Kind.LTP) return out;
  Object.assign(out, {
    averagePrice: n.averagePrice, open: n.open, high: n.high, low: n.low, close: n.close, volume: n.volume, oi: n.oi,
    bid: 0, ask: 0, bidQuantity: 0, askQuantity: 0, totalBuyQuantity: 0, totalSellQuantity: 0, upperCircuit: 0, lowerCircuit: 0,
    lastQuantity: n.lastQuantity, lastTradeTimeMs: n.lastTradeTimeMs, percentChange: n.percentChange,
  });
  if (mode === Kind.QUOTE) return out;
  Object.assign(out, {
    bid: n.bid, ask: n.ask, bidQuantity: n.bidQuantity, askQuantity: n.askQuantity, totalBuyQuantity: n.totalBuyQuantity,
    totalSellQuantity: n.totalSellQuantity, upperCircuit: n.upperCircuit, lowerCircuit: n.lowerCircuit, depth: n.depth,
  });
  return out;
}

/** `m` as readMessage returns it: every field of its mode, absent ones 0, 5 levels a side, top of book from level 0. */
function normalised(m: MarketDataMessage): MarketDataMessage {
  const z = (v: number | undefined) => (v === undefined || v === 0 ? 0 : v);
  const big = (v: number | bigint | undefined) => (v === undefined ? 0 : canonical(BigInt(v)));
  const out: MarketDataMessage = {
    mode: m.mode, symbol: m.symbol, exchange: m.exchange, priceDecimals: m.priceDecimals, seq: big(m.seq), recvTimeNs: big(m.recvTimeNs),
    ltp: z(m.ltp), exchangeTimeMs: big(m.exchangeTimeMs), lastTradeTimeMs: big(m.lastTradeTimeMs), lastQuantity: m.lastQuantity,
    percentChange: z(m.percentChange),
  };
  if (m.mode === Kind.LTP) return out;
  Object.assign(out, {
    averagePrice: z(m.averagePrice), open: z(m.open), high: z(m.high), low: z(m.low), close: z(m.close), volume: big(m.volume), oi: big(m.oi),
    bid: z(m.bid), ask: z(m.ask), bidQuantity: m.bidQuantity ?? 0, askQuantity: m.askQuantity ?? 0,
    totalBuyQuantity: big(m.totalBuyQuantity), totalSellQuantity: big(m.totalSellQuantity), upperCircuit: z(m.upperCircuit), lowerCircuit: z(m.lowerCircuit),
  });
  if (m.mode === Kind.QUOTE) return out;
  const pad = (levels: { price: number; quantity: number; orders: number }[] = []) =>
    Array.from({ length: L.DEPTH_LEVELS }, (_, i) => ({ price: z(levels[i]?.price), quantity: levels[i]?.quantity ?? 0, orders: levels[i]?.orders ?? 0 }));
  const depth = { buy: pad(m.depth?.buy), sell: pad(m.depth?.sell) };
  Object.assign(out, { depth, bid: depth.buy[0]!.price, ask: depth.sell[0]!.price, bidQuantity: depth.buy[0]!.quantity, askQuantity: depth.sell[0]!.quantity });
  return out;
}

function throwsCode(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.instance(e, TickwireError);
    return (e as TickwireError).code;
  }
  return assert.unreachable("expected a TickwireError") as never;
}

// ───────────────────────────── what the fuzzer found: regression tests ─────────────────────────────

/** Runs `fn` (awaiting it); fails unless it throws a TickwireError, naming what it did instead. */
async function mustRefuse(name: string, fn: () => unknown): Promise<TickwireError> {
  let r: unknown;
  try {
    r = await fn();
  } catch (e) {
    if (e instanceof TickwireError) return e;
    return assert.unreachable(`${name} threw ${(e as Error)?.constructor?.name ?? typeof e}: ${(e as Error)?.message}, not a TickwireError`) as never;
  }
  return assert.unreachable(`${name} returned ${describeValue(r)} instead of throwing a TickwireError`) as never;
}

test("exchangeName(a non-number) answers undefined, not a TypeError, a call into user code or a coerced name", () => {
  for (const v of [Symbol("x"), evil, "5", 5n, new Number(5), [5]]) {
    let r: unknown;
    try {
      r = exchangeName(v as number);
    } catch (e) {
      assert.instance(e, TickwireError, `exchangeName(${describeValue(v)}) threw ${(e as Error).constructor.name}: ${(e as Error).message}`);
      continue;
    }
    assert.is(r, undefined, `exchangeName(${describeValue(v)}) is ${describeValue(r)}`);
  }
});

test("symbolsMoved with malformed moves/unpinned entries throws a TickwireError", async () => {
  const w = await World.create();
  for (const r of [{ moves: [null], unpinned: [] }, { moves: [], unpinned: [null] }, { moves: [], unpinned: [{ key: 5, partition: 0 }] }, { moves: [], unpinned: ["NSE:INFY"] }]) {
    await mustRefuse(`symbolsMoved(${describeValue(r)})`, () => w.part.symbolsMoved(r as never));
  }
});

test("the loader entry points answer bad input with a TickwireError", async () => {
  const w = await World.create();
  await mustRefuse("compileCore(\"x\")", () => compileCore("x" as never));
  await mustRefuse("compileCore(3 bytes)", () => compileCore(new Uint8Array(3)));
  await mustRefuse("compileCore(a missing file)", () => compileCore(new URL("file:///nonexistent/tickwire.wasm")));
  await mustRefuse("instantiateCore(null, memory)", () => instantiateCore(null as never, w.mem.memory));
  await mustRefuse("instantiateCore(module, null)", () => instantiateCore(MODULE, null as never));
  await mustRefuse("TickwireMemory.create({ bytes: 65536, wasm: \"x\" })", () => TickwireMemory.create({ bytes: 65536, wasm: "x" as never }));
});

test("the abstract RecordView cannot be used from JS: constructing it (or reading a price) is a TickwireError", async () => {
  const w = await World.create();
  await mustRefuse("new RecordView(mem.buffer).wrap(A).ltp", () => new (RecordView as unknown as new (b: ArrayBufferLike) => TickView)(w.mem.buffer).wrap(w.A).ltp);
});

test("a weight whose share of the slots overflows is refused before the map changes, and the map keeps working", async () => {
  for (const [name, change] of [
    ["addPartition({ weight: 1e306 })", (w: World) => w.part.addPartition({ weight: 1e306 })],
    ["setWeight(0, Number.MAX_VALUE)", (w: World) => w.part.setWeight(0, Number.MAX_VALUE)],
    ["setPartitions([{ weight: 1 }, { weight: 1e306 }])", (w: World) => w.part.setPartitions([{ weight: 1 }, { weight: 1e306 }])],
  ] as const) {
    const w = await World.create();
    const before = partState(w);
    await mustRefuse(name, () => change(w));
    assert.is(partState(w), before, `the throwing ${name} changed the map's partitions`);
    w.part.setWeight(1, 2); // and the map still takes changes
  }
});

test("a Quote/Depth setter refuses a record that was re-made smaller through another view (KIND), as a fresh view does", async () => {
  const w = await World.create();
  const depth = new TickView(w.mem.buffer).wrap(w.C).init(Kind.DEPTH);
  new TickView(w.mem.buffer).wrap(w.C).init(Kind.LTP); // the record is now a 64-byte LTP
  const past = w.mem.u8.slice(w.C + 64, w.C + 384);
  assert.is((await mustRefuse("depth.open = 5", () => { depth.open = 5; })).code, "KIND");
  assert.is((await mustRefuse("depth.setLevel(BUY, 2, 5, 7, 1)", () => depth.setLevel(Side.BUY, 2, 5, 7, 1))).code, "KIND");
  assert.equal(w.mem.u8.slice(w.C + 64, w.C + 384), past, "nothing written past the LTP record");
});

// ─────────── what the fuzzer found in the fan-out, proxy and client entry points: regression tests ───────────

/** A memory with a 64-symbol table (RELIANCE interned), a FanoutGather, and one Quote record of RELIANCE. */
async function gatherWorld(options: Partial<ConstructorParameters<typeof FanoutGather>[2]> = {}) {
  const mem = await TickwireMemory.create({ bytes: FANOUT_MEM_BYTES, module: MODULE });
  const table = SymbolTable.create(mem, 64);
  const id = table.intern("NSE", "RELIANCE", 2);
  const g = new FanoutGather(mem, table, { maxClients: 2, maxSubscriptions: 8, broker: "fuzz", ...options });
  const at = mem.allocate(1024);
  const bytes = writeMessage(new TickView(mem.buffer).wrap(at), sampleMessage(table.get(id), Kind.QUOTE), table);
  return { mem, table, g, id, at, bytes };
}

test("pollBatch hands whole records only: a ring scribbled on after commit is LENGTH, and the pump stops on it instead of looping", async () => {
  const w = await World.create();
  const { r } = w.rings.spsc;
  const at = w.rings.spsc.ring.offset + R.RING_HEADER_BYTES; // the setup's batch: LTP, QUOTE, DEPTH, ...
  w.mem.u8[at + 64] = 0; // the second record's length: 0
  w.mem.u8[at + 65] = 0;
  let handed: number[] = [];
  assert.is(r.pollBatch((offset, bytes) => { handed = [offset, bytes]; }), 64, "the whole record before the broken one");
  assert.equal(handed, [at, 64]);
  assert.is((await mustRefuse("pollBatch over a zero length", () => r.pollBatch(() => {}))).code, "LENGTH");
  // The pump walks a batch by its lengths: a zero one looped forever. (Its sink here walks the
  // batch first and throws a plain Error on a broken one, so a regression fails instead of hanging.)
  assert.is((await mustRefuse("pump.round over a zero length", () => w.pump.round())).code, "LENGTH");
});

test("FanoutPump refuses readers() that are not RingReaders, and a sink's optional callbacks that are not functions (ARGUMENT, not a TypeError in round)", async () => {
  const w = await World.create();
  for (const readers of [NaN, null, [null], ["spsc"], w.mem]) {
    const pump = new FanoutPump(w.mem, () => readers as never, undefined, w.pumpLog.sink(w));
    assert.is((await mustRefuse(`round() with readers() = ${describeValue(readers)}`, () => pump.round())).code, "ARGUMENT");
  }
  const readers = () => RING_NAMES.map((r) => w.rings[r].r);
  for (const name of ["batch", "refused", "nextFlushInMs"]) {
    const sink = { ...w.pumpLog.sink(w), [name]: NaN };
    assert.is((await mustRefuse(`new FanoutPump with sink.${name} NaN, then round()`, () => new FanoutPump(w.mem, readers, undefined, sink).round())).code, "ARGUMENT");
  }
});

test("FanoutGather: a slot is used only while open — closed twice it was handed to two clients; a free slot took flags and subscriptions", async () => {
  const { g, id } = await gatherWorld();
  const s = g.openSlot();
  g.closeSlot(s);
  assert.is((await mustRefuse("closeSlot of a closed slot", () => g.closeSlot(s))).code, "HANDLE");
  assert.is((await mustRefuse("setFlags of a free slot", () => g.setFlags(s, ClientFlags.ACTIVE))).code, "HANDLE");
  assert.is((await mustRefuse("setSubscription of a free slot", () => g.setSubscription(s, id, 1))).code, "HANDLE");
  const slots = [g.openSlot(), g.openSlot(), g.openSlot()];
  assert.equal(slots.sort(), [-1, 0, 1], "two slots, each handed out once");
  assert.equal([g.flags(0), g.flags(1), g.subscriptions], [0, 0, 0], "they come clean");
});

test("FanoutGather.setSubscription refuses an afterSeq or since it cannot keep (a bigint afterSeq made the next gather throw a TypeError; -1 silenced the client)", async () => {
  const { g, id, at, bytes } = await gatherWorld();
  const s = g.openSlot();
  g.setFlags(s, ClientFlags.ACTIVE);
  for (const [afterSeq, since] of [[5n, false], [-1, false], [NaN, false], [2 ** 64, false], ["5", false], [evil, false], [5, "yes"], [5, 1]]) {
    assert.is((await mustRefuse(`setSubscription(slot, id, 1, ${describeValue(afterSeq)}, ${describeValue(since)})`, () => g.setSubscription(s, id, 1, afterSeq as never, since as never))).code, "ARGUMENT");
  }
  assert.is(g.setSubscription(s, id, 0b010, 2 ** 64 - 2048, false), true, "the largest u64 seq a number holds");
  assert.is(g.setSubscription(s, id, 0b010, 999, true), true);
  assert.is(g.gather(at, bytes, 0), bytes);
  assert.is(g.ticks(s), 1, "the record (seq 1000) is newer than 999");
});

test("after a refused gather (EXCHANGE, with its record's index) no slot keeps GF_TOUCHED and the next gather is whole", async () => {
  const w = await World.create({ sdkAliases: true, receiveTime: true });
  const g = w.gather!;
  w.mem.u8.copyWithin(w.C, w.A, w.A + BATCH_BYTES);
  w.mem.u8[w.C + RECORD_AT[2]! + L.OFF_EXCHANGE] = 1; // record 2 (NFO:NIFTY24DECFUT, a JSON client's) says NSE
  const e = await mustRefuse("gather over a record with another exchange", () => g.gather(w.C, BATCH_BYTES, 0));
  assert.equal([e.code, e.recordIndex], ["EXCHANGE", 2]);
  assert.is(g.strayFlags(), undefined, "both clients were touched by records 0 and 1, and are no longer marked");
  assert.is(g.gather(w.A, BATCH_BYTES, 1732500000000), BATCH_BYTES); // checked against the model
  assert.is(g.touchedCount, 2);
  assert.is(g.strayFlags(), undefined);
});

test("FanoutGather.gather refuses a batch in its own memory (REGION): it wrote its context over the batch it was reading", async () => {
  // (Over its output — whose place frames() shows — it overwrote records while reading them, and
  // a record's length overwritten with 0 looped forever inside the Wasm call.)
  const w = await World.create({ sdkAliases: false, receiveTime: false });
  for (const area of ["ctx", "out", "clients", "scratch", "entries"]) {
    const [at] = w.gatherArea(area);
    const before = w.mem.u8.slice(at, at + BATCH_BYTES);
    assert.is((await mustRefuse(`gather over its own ${area}`, () => w.gather!.gather(at, BATCH_BYTES, 0))).code, "REGION");
    assert.equal(w.mem.u8.slice(at, at + BATCH_BYTES), before, `its ${area} is as it was`);
  }
  assert.is(w.gather!.gather(w.A, BATCH_BYTES, 0), BATCH_BYTES, "and a batch of the caller's is taken (checked against the model)");
});

test("sdkAliases/receiveTime must be booleans: the string 'false' turned the gather's fields on; the renderer and toClientJson ignored non-booleans", async () => {
  const { mem, table } = await gatherWorld();
  for (const bad of ["false", 1, null, new Boolean(true)]) {
    for (const name of ["sdkAliases", "receiveTime"]) {
      assert.is((await mustRefuse(`new FanoutGather({ ${name}: ${describeValue(bad)} })`, () => new FanoutGather(mem, table, { maxClients: 1, maxSubscriptions: 1, broker: "b", [name]: bad }))).code, "ARGUMENT");
      assert.is((await mustRefuse(`new JsonRenderer({ ${name}: ${describeValue(bad)} })`, () => new JsonRenderer(mem, table, { broker: "b", [name]: bad }))).code, "ARGUMENT");
      assert.is((await mustRefuse(`toClientJson({ ${name}: ${describeValue(bad)} })`, () => toClientJson(sampleMessage(table.get(0), Kind.QUOTE), { broker: "b", timestampMs: 0, [name]: bad }))).code, "ARGUMENT");
    }
  }
});

test("FanoutGather.bytesFor refuses options it cannot size (was NaN, or a TypeError)", async () => {
  for (const [options, symbols] of [[{}, 64], [null, 64], [{ maxClients: 1, maxSubscriptions: 1 }, NaN], [{ maxClients: "1", maxSubscriptions: 1 }, 64]] as const) {
    assert.is((await mustRefuse(`bytesFor(${describeValue(options)}, ${symbols})`, () => FanoutGather.bytesFor(options as never, symbols))).code, "ARGUMENT");
  }
  assert.ok(FanoutGather.bytesFor({ maxClients: 4, maxSubscriptions: 16 }, 64) > 8 << 20);
});

test("hashApiKey refuses a non-string or a lone surrogate (two keys had one digest), never quoting the key; so do the proxy's apiKeys, and ApiKeys.accepts a client's key", async () => {
  // (A lone surrogate was hashed as U+FFFD: "sk_lone\ud800surrogate" and "sk_lone\ufffdsurrogate" had one digest.)
  for (const key of [5, null, new Uint8Array(8), "sk_lone\ud800surrogate"]) {
    const e = await mustRefuse(`hashApiKey(${describeValue(key)})`, () => hashApiKey(key as never));
    assert.is(e.code, "ARGUMENT");
    assert.not.match(e.message, "sk_lone");
  }
  const e = await mustRefuse("resolveProxyConfig({ apiKeys: [a lone surrogate] })", () => resolveProxyConfig({ apiKeys: ["sk_lone\udc00surrogate"] }));
  assert.match(e.message, "proxy.apiKeys");
  assert.not.match(e.message, "sk_lone");
  // And a client's key with a lone surrogate does not pass for a configured key with U+FFFD there.
  const keys = new ApiKeys(["sk_lone\ufffdsurrogate"]);
  assert.equal([keys.accepts("sk_lone\ufffdsurrogate"), keys.accepts("sk_lone\ud800surrogate")], [true, false]);
});

test("resolveProxyConfig names a backpressure setting it does not know (a typo silently kept the default policy)", async () => {
  const e = await mustRefuse("resolveProxyConfig({ backpressure: { polcy } })", () => resolveProxyConfig({ backpressure: { polcy: "drop-oldest" } as never }));
  assert.is(e.code, "ARGUMENT");
  assert.match(e.message, "proxy.backpressure.polcy");
  assert.is(resolveProxyConfig({ backpressure: { policy: "drop-oldest" } }).backpressure.policy, "drop-oldest");
});

test.run();
