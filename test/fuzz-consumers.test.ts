// Property-based fuzzing of the in-process consumers' entry points and the shared-memory metrics
// they report into, with fast-check: the consumer table, the fan-out gate, Consumer and TickBatch,
// the thread gauges and their probes, the histogram window, LatencyHistogram's options and
// readCounts, SystemMetrics, RingReader's areas and position, and TickwireSystem's createConsumer
// and openConsumer.
//
// THE PROPERTY (memory level). Random sequences of calls with hostile arguments run against a small
// world (a fresh one per sequence, so that fast-check can shrink and replay): an 8 MiB
// TickwireMemory holding a SymbolTable (6 symbols interned), a LastValueCache, a RingPool of two
// broadcast fan-out rings (64 KiB, a writer on each, which the "publish" driver fills with records),
// a ConsumerTable (3 slots over the 2 rings, queues of 2048 quotes) with a FanoutGate per ring,
// SystemMetrics (counters, three histograms, 4 thread gauges), a singleWriter LatencyHistogram with a
// HistogramWindow, a user region U of 256 KiB from allocate() (where the "forge" drivers lay out
// hand-made table and gauge headers: memory the caller owns) and a region B of valid tick records.
// After EACH call:
//   1. it returned normally, or threw a TickwireError whose code is a TickwireErrorCode (or, for a
//      call given a callback or an object whose getter throws, that callback's own Sentinel). A
//      TypeError, RangeError, Wasm RuntimeError, or a promise rejected with one, fails, naming the
//      call and its arguments. Where the arguments' validity is cheap to tell (slot and ring
//      indices, stat names, states, finite numbers, policies...), a call given valid ones must not
//      be refused (ARGUMENT/HANDLE/REGION) and a call given invalid ones must be: a getter that
//      reads past the table and returns a neighbour's bytes fails as surely as a write;
//   2. no call took more than HANG_MS: async calls are raced against it; next(), run() and `for
//      await` on a consumer with nothing to read are ended by closing the consumer (40 ms on), which
//      must settle them; waitForRoom is given stopping() functions that say stop at once, on the
//      third call or after 20 ms (or throw), so that a loop that never asks, or asks and ignores
//      the answer, shows;
//   3. every byte of the memory outside what the call may change is unchanged, compared with a
//      copy kept since the previous call (Buffer.compare over the gaps between the ranges allowed,
//      ~1 ms for 8 MiB; the allowed ranges are then copied over). A difference names the call, its
//      arguments and the place: a world structure ("symbols", "cache", "ring0.data", "ctable",
//      "hist", ...) with the offset into it, U, B, static data/header, or free memory.
//   Always allowed: the memory header's next-free word and the bytes a call newly reserved
//   ([next-free before, after)); in the background (timers of LoopDelayProbes, the consumers'
//   own included), the slots of the metrics' thread gauges and of gauges a live probe reports into.
//
// WHAT A CALL MAY CHANGE:
//   - ConsumerTable.create/attach, ThreadGauges/LatencyHistogram/SystemMetrics.create/attach,
//     bytesFor, handle(), getters (state, policy, detachAfterMs, stat, gate, holdingSince, areas,
//     slotOffset, activeBlock), gauges.read, window.take/totals, reader.position, consumer.stats,
//     batchSize, every TickBatch call, new HistogramWindow, new StepProbe, new
//     LoopDelayProbe (its timer: background): nothing but new reserves;  new FanoutGate: the
//     holdingSince of its ring in every slot (a dead predecessor's marks);
//   - table.reserve: the prefix [0, 128 + 16 × rings) of every slot (state, policy, counts, gates,
//     holdingSince) of that table;  transition: the slot's state word and the table header's
//     activeBlock and gate futex (bytes 64..71);  setStat / setGate / setHoldingSince: the 8 bytes
//     named, in the slot and ring named;  wakeWriters: the futex word;
//   - gate.waitForRoom: its table's bytes 64..71 and every slot's prefix;
//   - gauges.claim: the 64 bytes of the slot it returns;  release: the slot's state word;  beat /
//     report: the slot's heartbeat / heartbeat and delay figures;  step.busy/idle: its slot;
//   - hist.readCounts: the array given (when it is a view of the memory, its bytes);
//     recordLatencies: the histogram's own area;
//   - new RingReader(ring, areas): the ring's header (a broadcast reader joins), the cursor area
//     given (or a new one);  pollBatch: the cursor and copy areas;  close: the ring's header;
//   - Consumer.open / attach, next, run, `for await`, close: its table's whole area (the slot's
//     cursors, poll copies and queue are in it), the fan-out rings' headers (reader counts, the
//     waiters flag), the metrics' counters and consumer histogram when the handle names metrics,
//     the scratch areas it reserved when it opened; U when the handle names a table laid out there;
//   - the drivers: publish: a ring's header, data, meta and writer cursor; forge: U.
//   After every call, each table this world made has activeBlock equal to its ACTIVE block slots,
//   and a table or gauges attached are a structure made as such, or lie wholly in memory the
//   caller owns (U and B). Two consumers are open from the start (a block one the gates wait for,
//   detached after 5 ms without progress; a conflating one reporting into the metrics); the fuzz
//   opens more on the third slot, and the consumer calls publish a few records first (mostly).
//
// HOSTILE ARGUMENTS: NaN, ±Infinity, -0, fractions, -1, 2^31, 2^32, 2^53, MAX_VALUE, numeric
// strings, BigInts, null, undefined, booleans, {}, [], [1], functions, symbols, boxed numbers, an
// object whose toString/valueOf/Symbol.toPrimitive throw, fc.anything(); option objects whose
// getter throws; offsets of every structure off by 0, ±1, ±64, ±128, 4096, of U, of the memory's
// base and end; handles with one field wrong (table offset, slot, rings, symbols, cache, filter,
// mode, policy, name, metrics, memory); slots, rings, stat names ("toString", "__proto__", ...),
// states and policies just out of range — next to good values so that the success paths run.
//
// THE PROPERTY (system level, a second test): one running system (simulated feed, one partition
// worker); SYSTEM_RUNS hostile configs (instruments "all", real ones, unknown ones, malformed
// entries; hostile mode, policy, detachAfterMs, name; getters that throw) for createConsumer and
// openConsumer (with hostile options) give a handle or consumer, or a TickwireError ARGUMENT or
// HANDLE — never a TypeError, never a hang; every handle made is opened and closed, every consumer
// closed; afterwards all 8 slots open at once (no refusal kept one) and a valid consumer gets ticks.
//
// REGRESSION TESTS at the end hold the bugs fixed (consumer-table.ts, gate.ts, threads.ts,
// metrics.ts): slots, rings, stat names, positions and times unchecked (slot NaN wrote the
// module's static data, slot 3 of 3 the next structure); transition(ACTIVE → ACTIVE) counting a
// block consumer twice; reserve taking any policy and a NaN detachAfterMs; attach taking any
// header; gauges' beat/report unchecked, claim(…, null) a TypeError, probes on anything (a timer
// that threw uncaught); waitForRoom holding the writer on a NaN tail; bytesFor answering NaN.
//
// KNOWN BUGS in files this test does not own are listed in KNOWN below, each with what it does and
// what the fuzz then leaves out; the regression tests at the end hold them (skipped until fixed).
//
// TICKWIRE_FUZZ_SEED and TICKWIRE_FUZZ_RUNS override seed and run count (e.g. TICKWIRE_FUZZ_RUNS=2000
// for a long local session); TICKWIRE_FUZZ_STATS=1 prints how each entry point ended.
import { test } from "uvu";
import * as assert from "uvu/assert";
import fc from "fast-check";
import {
  TickwireMemory, SymbolTable, LastValueCache, RingPool, RingReader, LatencyHistogram, HistogramWindow, SystemMetrics,
  ThreadGauges, LoopDelayProbe, StepProbe, Consumer, TickBatch, TickwireError, compileCore, monotonicNs, layout as L,
  type TickwireErrorCode, type Ring, type RingWriter, type ConsumerHandle, type MetricsHandle,
} from "../src/index.js";
import { ConsumerTable, ConsumerState, SLOT_STAT, SLOT_GATES, CT_ACTIVE_BLOCK, CONSUMER_TABLE_MAGIC } from "../src/fanout/consumer-table.js";
import { FanoutGate } from "../src/fanout/gate.js";
import { READER_COPY_BYTES } from "../src/rings/ring.js";
import * as H from "../src/monitor/layout.js";
import * as R from "../src/rings/layout.js";
import { createSystem } from "../src/node/index.js";
import type { SimulatedAdapter } from "../src/feed/sim/feed.js";
import { CODES, Sentinel, evil, assertEveryEntryPoint, runSequences } from "./helpers/fuzz-common.js";

const SEED = Number(process.env.TICKWIRE_FUZZ_SEED ?? 0xc0a5);
const RUNS = Number(process.env.TICKWIRE_FUZZ_RUNS ?? 300);
const SYSTEM_RUNS = Math.max(50, Math.round(RUNS * 2 / 3));
const STATS = process.env.TICKWIRE_FUZZ_STATS === "1";
const HANG_MS = 2000;
/** How long an idle next(), run() or `for await` waits before the fuzz closes its consumer. */
const CLOSE_AFTER_MS = 40;
const MEM_BYTES = 8 << 20;
const RING_CAPACITY = 64 * 1024;
const TABLE_SLOTS = 3;
const TABLE_RINGS = 2;
const QUEUE_BYTES = 2048 * L.QUOTE_BYTES; // a block consumer of quotes needs 2048 of them
const GAUGE_SLOTS = 4;
const USER_BYTES = 256 * 1024;
const FORGED_GAUGES = 128 * 1024; // where in U the forged gauges go (the forged table at U + 0)
const SYMBOLS: [string, string, number][] = [["NSE", "RELIANCE", 2], ["NSE", "TCS", 2], ["NFO", "NIFTY", 2], ["BSE", "INFY", 2], ["MCX", "GOLD", 0], ["CDS", "USDINR", 4]];
const STAT_NAMES = Object.keys(SLOT_STAT);
const POLICIES = ["block", "conflate", "drop-oldest"];

/**
 * Bugs in files this test does not own (src/fanout/consumer.ts, src/rings/ring.ts,
 * src/monitor/histogram.ts, src/system/system.ts). Each one's case is left out of the fuzz
 * while its entry is true; the skipped regression tests at the end reproduce them. Set an
 * entry to false (or TICKWIRE_FUZZ_KNOWN=0 for all) once fixed.
 */
const ALL_KNOWN = process.env.TICKWIRE_FUZZ_KNOWN !== "0";
const KNOWN = {
  /** new RingReader(ring, areas) checks that areas lie inside the memory, not that they are the caller's: ringJoin writes the cursor over any structure (a symbol table, a ring header). Left out: areas naming another structure. */
  readerAreasAnywhere: false,
  /** LatencyHistogram.readCounts(into) writes into a Float64Array over the shared memory wherever it lies. Left out: `into` over another structure. */
  readCountsIntoAnywhere: false,
  /** Consumer.open refused after it joined the rings / claimed a thread gauge (a handle with more rings than its table, a bad metrics handle): the readers' counts and the gauge slot (with a live probe timer) leak. Left out: the check that a refused open leaves no trace. */
  openLeaks: false,
  /** Consumer.open takes handle.policy without comparing it with the slot's (reserved as conflate, opened as block: the writers do not wait for it; the reverse: they wait on gates that never move). Left out: the check that the consumer's policy is its slot's. */
  openPolicyMismatch: false,
  /** createConsumer with an instruments entry that is not an object (null, 5) throws a TypeError from i.exchange. Left out: such entries. */
  createConsumerNullInstrument: false,
  /** A Quote/Depth consumer with metrics pads an LTP record's queue slot with a padding record whose version byte is stale; next() then throws VERSION (the latency histogram refuses it). Nothing left out: VERSION is a TickwireError. */
  paddingVersion: false,
  /** Every Consumer.open (a refused one too) reserves 640 bytes of scratch never given back. Nothing left out (new reserves are allowed). */
  openScratchLeak: false,
  /** LatencyHistogram.create reserves and lays out 221 KB before it refuses a bad singleWriter. Nothing left out. */
  histogramCreateLeak: false,
};

const MODULE = await compileCore();


/** The codes that say "your argument is wrong": never for arguments known valid. */
const REFUSALS: ReadonlySet<string> = new Set(["ARGUMENT", "HANDLE", "REGION"]);

// ───────────────────────────── hostile values ─────────────────────────────


const aSymbol = Symbol("hostile");
const HOSTILE: readonly unknown[] = [
  NaN, Infinity, -Infinity, -0, 0.5, 1.5, -1, 2 ** 31, 2 ** 32, 2 ** 53, Number.MAX_VALUE, Number.MIN_VALUE,
  "1", "", " 1", 1n, -1n, null, undefined, true, false, {}, [], [1], () => 1, aSymbol, evil, new Number(1), new Date(0),
];
const hostile = fc.constantFrom(...HOSTILE);
const anyValue = fc.oneof({ weight: 4, arbitrary: hostile }, { weight: 1, arbitrary: fc.anything() });
/** Mostly `good`, sometimes hostile. */
const mostly = <T>(good: fc.Arbitrary<T>, w = 5): fc.Arbitrary<unknown> => fc.oneof({ weight: w, arbitrary: good }, { weight: 1, arbitrary: anyValue });

/** Something made when the call runs (from the world), so that fast-check's values stay plain and printable. */
abstract class Maker {
  abstract make(w: World): unknown;
  abstract [fc.toStringMethod](): string;
}

type RefBase = "ctable" | "gauges" | "symbols" | "cache" | "ring0" | "ring1" | "hist" | "counters" | "user" | "batch" | "base" | "end" | "zero";
/** An offset relative to a structure of the world. */
class Ref extends Maker {
  constructor(readonly base: RefBase, readonly delta: number) { super(); }
  make(w: World): number {
    return w.refBase(this.base) + this.delta;
  }
  [fc.toStringMethod](): string {
    return `<${this.base}${this.delta === 0 ? "" : this.delta > 0 ? `+${this.delta}` : this.delta}>`;
  }
}
const DELTAS = [0, 0, 0, 1, -1, 64, -64, 128, -128, 4096];
const refArb = (bases: readonly RefBase[]): fc.Arbitrary<Ref> =>
  fc.tuple(fc.constantFrom(...bases), fc.constantFrom(...DELTAS)).map(([b, d]) => new Ref(b, d));
const ALL_BASES: RefBase[] = ["ctable", "gauges", "symbols", "cache", "ring0", "ring1", "hist", "counters", "user", "batch", "base", "end", "zero"];
const offsetArb = (own: RefBase): fc.Arbitrary<unknown> => fc.oneof(
  { weight: 3, arbitrary: fc.constant(new Ref(own, 0)) },
  { weight: 4, arbitrary: refArb(ALL_BASES) },
  { weight: 2, arbitrary: hostile },
  { weight: 1, arbitrary: fc.integer() },
);

/** An options object whose getter of `field` throws a Sentinel (the others: `rest`). */
class Getter extends Maker {
  constructor(readonly field: string, readonly rest: Record<string, unknown> = {}) { super(); }
  make(): unknown {
    const o: Record<string, unknown> = { ...this.rest };
    Object.defineProperty(o, this.field, { enumerable: true, get: () => { throw new Sentinel(); } });
    return o;
  }
  [fc.toStringMethod](): string {
    return `{ get ${this.field}() { throw Sentinel }, ...${fc.stringify(this.rest)} }`;
  }
}

/** The world's memory, by name. */
class MemTok extends Maker {
  make(w: World): unknown {
    return w.mem;
  }
  [fc.toStringMethod](): string {
    return "<mem>";
  }
}
const memArb = fc.oneof({ weight: 8, arbitrary: fc.constant(new MemTok()) }, { weight: 1, arbitrary: anyValue });

/**
 * Makers turned into values, in arrays and plain objects too (fc.record's have a null prototype):
 * a container holding a Maker is copied with it made; any other value is passed as it is.
 */
function materialize(w: World, v: unknown): unknown {
  if (v instanceof Maker) return v.make(w);
  if (typeof v !== "object" || v === null || !holdsMaker(v)) return v;
  if (Array.isArray(v)) return v.map((x) => materialize(w, x));
  const out: Record<string, unknown> = Object.create(Object.getPrototypeOf(v));
  for (const k of Object.keys(v)) {
    const d = Object.getOwnPropertyDescriptor(v, k)!;
    if ("value" in d) out[k] = materialize(w, d.value);
    else Object.defineProperty(out, k, d);
  }
  return out;
}

function holdsMaker(v: object, depth = 0): boolean {
  if (depth > 4) return false;
  const proto = Object.getPrototypeOf(v);
  if (!Array.isArray(v) && proto !== Object.prototype && proto !== null) return false;
  for (const k of Object.keys(v)) {
    const d = Object.getOwnPropertyDescriptor(v, k)!;
    if (!("value" in d)) continue;
    if (d.value instanceof Maker || (typeof d.value === "object" && d.value !== null && holdsMaker(d.value, depth + 1))) return true;
  }
  return false;
}

const isInt = (v: unknown, min: number, max: number): v is number => typeof v === "number" && Number.isInteger(v) && v >= min && v <= max;
const isIdx = (v: unknown, n: number): v is number => isInt(v, 0, n - 1);
const isTime = (v: unknown): v is number => typeof v === "number" && v >= 0 && v !== Infinity;

// ───────────────────────────── the world ─────────────────────────────

type Range = readonly [number, number];
interface Area { at: number; end: number; label: string }

interface ReaderEntry { reader: RingReader; ring: number; own: Range[]; ownCursor: boolean }
interface ConsumerEntry { consumer: Consumer; allowed: Range[]; closeTimer?: ReturnType<typeof setTimeout>; closed?: boolean }
interface StepEntry { step: StepProbe; gauges: ThreadGauges; slot: number }

/** The one 8 MiB copy of the memory, reused by every world. */
const SNAP = Buffer.alloc(MEM_BYTES);

class World {
  readonly areas: Area[] = [];
  symbols!: SymbolTable;
  cache!: LastValueCache;
  pool!: RingPool;
  rings: Ring[] = [];
  writers: RingWriter[] = [];
  table!: ConsumerTable;
  metrics!: SystemMetrics;
  hist!: LatencyHistogram;
  user = 0;
  batch = 0;
  batchBytes = 0;
  /** Tables the world or the fuzz made (activeBlock is checked on these), and every table object, attached ones included. */
  readonly realTables: ConsumerTable[] = [];
  readonly tables: ConsumerTable[] = [];
  readonly gates: { gate: FanoutGate; table: ConsumerTable; capacity: number }[] = [];
  readonly realGauges: ThreadGauges[] = [];
  readonly gaugesList: ThreadGauges[] = [];
  readonly probes: { probe: LoopDelayProbe; gauges: ThreadGauges }[] = [];
  readonly steps: StepEntry[] = [];
  readonly hists: LatencyHistogram[] = [];
  readonly windows: HistogramWindow[] = [];
  readonly readers: ReaderEntry[] = [];
  readonly consumers: ConsumerEntry[] = [];
  lastBatch: { batch: TickBatch; consumer: Consumer } | undefined;
  readonly cur: Buffer;
  private seq = 1;

  private constructor(readonly mem: TickwireMemory) {
    this.cur = Buffer.from(mem.buffer as ArrayBuffer, 0, mem.byteLength);
  }

  static async create(): Promise<World> {
    const mem = await TickwireMemory.create({ bytes: MEM_BYTES, module: MODULE });
    const w = new World(mem);
    const as = <T>(label: string, make: () => T): T => {
      const at = w.nextFree();
      const made = make();
      w.areas.push({ at, end: w.nextFree(), label });
      return made;
    };
    w.symbols = as("symbols", () => SymbolTable.create(mem, 64));
    for (const [ex, sym, d] of SYMBOLS) w.symbols.intern(ex as "NSE", sym, d);
    w.cache = as("cache", () => LastValueCache.create(mem, { capacity: 64, busyTimeoutMs: 5 }));
    w.pool = as("pool", () => RingPool.create(mem, [0, 1].map((i) => ({ name: `fan${i}`, type: "broadcast" as const, capacity: RING_CAPACITY }))));
    w.areas.pop();
    w.rings = w.pool.rings();
    w.rings.forEach((ring, i) => {
      const o = ring.offset;
      w.areas.push(
        { at: o, end: o + R.RING_HEADER_BYTES, label: `ring${i}.hdr` },
        { at: o + R.RING_HEADER_BYTES, end: o + R.RING_HEADER_BYTES + ring.capacity, label: `ring${i}.data` },
        { at: o + R.RING_HEADER_BYTES + ring.capacity, end: o + R.RING_HEADER_BYTES + ring.capacity + (ring.capacity / 64) * 8, label: `ring${i}.meta` });
      w.writers.push(as(`ring${i}.w`, () => ring.writer()));
    });
    w.table = as("ctable", () => ConsumerTable.create(mem, { slots: TABLE_SLOTS, rings: TABLE_RINGS, queueBytes: QUEUE_BYTES }));
    w.realTables.push(w.table);
    w.tables.push(w.table);
    for (let r = 0; r < TABLE_RINGS; r++) w.gates.push({ gate: new FanoutGate(w.table, r, RING_CAPACITY), table: w.table, capacity: RING_CAPACITY });
    w.metrics = as("metrics", () => SystemMetrics.create(mem, GAUGE_SLOTS));
    w.areas.pop();
    const m = w.metrics.handle();
    w.areas.push(
      { at: m.counters, end: m.counters + 64 + 16 * 8, label: "counters" },
      { at: m.latency.ring, end: m.latency.ring + H.HIST_BYTES, label: "metrics.ring" },
      { at: m.latency.consumer, end: m.latency.consumer + H.HIST_BYTES, label: "metrics.consumer" },
      { at: m.latency.client, end: m.latency.client + H.HIST_BYTES, label: "metrics.client" },
      { at: m.threads, end: m.threads + ThreadGauges.bytesFor(GAUGE_SLOTS), label: "gauges" });
    w.realGauges.push(w.metrics.threads);
    w.gaugesList.push(w.metrics.threads);
    w.hist = as("hist", () => LatencyHistogram.create(mem, { singleWriter: true }));
    w.hists.push(w.hist, w.metrics.latency.ring, w.metrics.latency.consumer, w.metrics.latency.client);
    w.windows.push(new HistogramWindow(w.hist));
    w.user = mem.allocate(USER_BYTES);
    w.areas.push({ at: w.user, end: w.user + USER_BYTES, label: "U" });
    // B: six LTP records and a quote, valid, received "now".
    w.batchBytes = 6 * L.LTP_BYTES + L.QUOTE_BYTES;
    w.batch = mem.allocate(w.batchBytes);
    w.areas.push({ at: w.batch, end: w.batch + w.batchBytes, label: "B" });
    w.writeRecords(w.batch, [0, 1, 2, 3, 4, 5], 1);
    w.writeRecords(w.batch + 6 * L.LTP_BYTES, [0], 2);
    // Two consumers open from the start (slots 0 and 1; slot 2 is the fuzz's): a block one of quotes, which the
    // gates wait for (and detach after 5 ms without progress), and a conflating one of LTPs reporting into the metrics.
    for (const [slot, policy, mode, metrics] of [[0, "block", 2, false], [1, "conflate", 1, true]] as const) {
      const at = w.nextFree();
      expect(w.table.reserve(policy, 5) === slot, "the world's consumer slots");
      const handle = new HandleRecipe(null, mode, null, metrics, "none", 0).make(w, slot, policy);
      const consumer = Consumer.open(mem, handle, { idleWaitMs: 5 });
      w.consumers.push({ consumer, allowed: consumerAllowed(w, handle, [at, w.nextFree()]) });
    }
    w.areas.sort((a, b) => a.at - b.at);
    SNAP.set(w.cur);
    return w;
  }

  nextFree(): number {
    return Atomics.load(this.mem.u32, (this.mem.base + 8) >>> 2);
  }

  refBase(b: RefBase): number {
    switch (b) {
      case "ctable": return this.table.offset;
      case "gauges": return this.metrics.threads.offset;
      case "symbols": return this.symbols.offset;
      case "cache": return this.cache.offset;
      case "ring0": return this.rings[0]!.offset;
      case "ring1": return this.rings[1]!.offset;
      case "hist": return this.hist.offset;
      case "counters": return this.metrics.counters.offset;
      case "user": return this.user;
      case "batch": return this.batch;
      case "base": return this.mem.base;
      case "end": return this.mem.byteLength;
      case "zero": return 0;
    }
  }

  /** Records of `ids` (kind 1 LTP, 2 quote) at `at`, each with the next sequence number; returns the bytes written. */
  writeRecords(at: number, ids: readonly number[], kind: 1 | 2): number {
    const bytes = kind === 1 ? L.LTP_BYTES : L.QUOTE_BYTES;
    const u8 = this.mem.u8;
    const u32 = this.mem.u32;
    const now = monotonicNs();
    ids.forEach((id, i) => {
      const o = at + i * bytes;
      u8.fill(0, o, o + bytes);
      u32[o >>> 2] = bytes | (kind << 16) | (L.FORMAT_VERSION << 24);
      u32[(o + L.OFF_SYMBOL_ID) >>> 2] = id;
      u32[(o + L.OFF_SEQ) >>> 2] = this.seq++;
      u32[(o + L.OFF_RECV_TIME_NS) >>> 2] = now % 4294967296;
      u32[(o + L.OFF_RECV_TIME_NS + 4) >>> 2] = Math.floor(now / 4294967296);
      u8[o + L.OFF_EXCHANGE] = 1;
      u8[o + L.OFF_PRICE_DECIMALS] = 2;
      u32[(o + L.OFF_LTP) >>> 2] = 100 + id;
    });
    return ids.length * bytes;
  }

  /** Publishes records of `ids` on ring `r` (as a partition worker does); returns the ticks published. */
  publish(r: number, ids: readonly number[], kind: 1 | 2): number {
    const writer = this.writers[r]!;
    const size = kind === 1 ? L.LTP_BYTES : L.QUOTE_BYTES;
    const at = writer.tryClaim(Math.min(ids.length * size, writer.ring.maxClaim - (writer.ring.maxClaim % size)));
    return writer.commit(this.writeRecords(at, ids.slice(0, Math.floor(writer.claimed / size)), kind));
  }

  /** What publishing on ring `r` writes: the ring and its writer's cursor. */
  ringWrites(r: number): Range[] {
    const o = this.rings[r]!.offset;
    return [[o, o + R.RING_HEADER_BYTES + RING_CAPACITY + (RING_CAPACITY / 64) * 8], ...this.areas.filter((a) => a.label === `ring${r}.w`).map((a) => [a.at, a.end] as const)];
  }

  /** The gauges' slot area (what a probe's timer writes). */
  static slotsOf(g: ThreadGauges): Range {
    return [g.offset + 64, g.offset + 64 + g.slots * 64];
  }

  /** Bytes any call may see change: thread gauges reported into by timers. */
  background(): Range[] {
    const out: Range[] = [World.slotsOf(this.metrics.threads)];
    for (const p of this.probes) out.push(World.slotsOf(p.gauges));
    return out;
  }

  place(i: number): string {
    if (i < this.mem.base) return `static data byte ${i}`;
    if (i < this.mem.base + 64) return `memory header byte ${i - this.mem.base}`;
    const a = this.areas.find((x) => i >= x.at && i < x.end);
    if (a) return `${a.label} + ${i - a.at}`;
    for (const t of this.realTables) if (i >= t.offset && i < t.offset + 128 + t.slots * t.slotBytes) return `a table made by the fuzz at ${t.offset} + ${i - t.offset}`;
    return i < this.nextFree() ? `reserved memory (scratch, a cursor, a structure made by the fuzz) at ${i}` : `free memory at ${i}`;
  }

  /** Compares the memory with the copy outside `allowed`, then brings the copy up to date. */
  sync(allowed: Range[], what: () => string): void {
    const len = this.cur.length;
    const ranges = allowed.filter(([a, b]) => Number.isInteger(a) && Number.isInteger(b))
      .map(([a, b]) => [Math.max(0, Math.min(a, len)), Math.max(0, Math.min(b, len))] as const)
      .filter(([a, b]) => b > a).sort((x, y) => x[0] - y[0]);
    let pos = 0;
    const gap = (a: number, b: number) => {
      if (a >= b || this.cur.compare(SNAP, a, b, a, b) === 0) return;
      let i = a;
      while (i < b && this.cur[i] === SNAP[i]) i++;
      throw new Error(`${what()}: changed ${this.place(i)} (byte ${i}: ${SNAP[i]} → ${this.cur[i]}), which it may not`);
    };
    for (const [a, b] of ranges) {
      gap(pos, a);
      pos = Math.max(pos, b);
    }
    gap(pos, len);
    for (const [a, b] of ranges) this.cur.copy(SNAP, a, a, b);
  }

  async dispose(): Promise<void> {
    for (const c of this.consumers) {
      clearTimeout(c.closeTimer);
      c.consumer.close();
    }
    for (const p of this.probes) p.probe.close();
    for (const r of this.readers) r.reader.close();
  }
}

const tableRange = (t: ConsumerTable): Range => [t.offset, t.offset + 128 + t.slots * t.slotBytes];
const slotBase = (t: ConsumerTable, s: number) => t.offset + 128 + s * t.slotBytes;
const slotPrefix = (t: ConsumerTable, s: number): Range => [slotBase(t, s), slotBase(t, s) + SLOT_GATES + t.rings * 16];
const allPrefixes = (t: ConsumerTable): Range[] => Array.from({ length: t.slots }, (_, s) => slotPrefix(t, s));
const tableLive = (t: ConsumerTable): Range => [t.offset + CT_ACTIVE_BLOCK, t.offset + CT_ACTIVE_BLOCK + 8];
const inRange = (inner: Range, outer: Range) => inner[0] >= outer[0] && inner[1] <= outer[1];

// ───────────────────────────── operations ─────────────────────────────

/** What one call keeps for its checks: the reserves it made, whatever its run worked out. */
interface Ctx {
  newRange: Range;
  [k: string]: unknown;
}

interface Op {
  readonly name: string;
  /** How often it is drawn, relative to the others (default 1). */
  readonly weight?: number;
  readonly args: fc.Arbitrary<unknown[]>;
  run(w: World, c: Ctx, ...args: any[]): unknown;
  /** May throw a Sentinel of ours (a callback or getter given). */
  readonly sentinel?: boolean;
  /** true: the arguments are valid (no refusal allowed); false: invalid (must be refused); undefined: not told. */
  valid?(w: World, c: Ctx, args: any[]): boolean | undefined;
  /** Ranges the call may change (besides new reserves and the background). */
  writes?(w: World, c: Ctx, args: any[], threw: boolean): Range[];
  check?(w: World, c: Ctx, result: any, args: any[]): void;
}

const ops: Op[] = [];
const op = (name: string, args: fc.Arbitrary<unknown>[], spec: Omit<Op, "name" | "args">) =>
  ops.push({ name, args: fc.tuple(...args) as fc.Arbitrary<unknown[]>, ...spec });

function expect(cond: unknown, what: string): asserts cond {
  if (!cond) throw new Error(what);
}

// Indices into the world's lists (taken modulo their length), hostile sometimes where a constructor takes the object.
const idx = fc.nat({ max: 7 });
const pick = <T>(list: readonly T[], i: number): T => {
  expect(list.length > 0, "empty list");
  return list[i % list.length]!;
};
const slotArb = fc.oneof({ weight: 8, arbitrary: fc.integer({ min: 0, max: TABLE_SLOTS - 1 }) }, { weight: 4, arbitrary: fc.constantFrom(-1, TABLE_SLOTS) }, { weight: 2, arbitrary: hostile }, { weight: 1, arbitrary: fc.constantFrom(256, 2 ** 31, -(2 ** 31), 4095) });
const ringArb = fc.oneof({ weight: 8, arbitrary: fc.integer({ min: 0, max: TABLE_RINGS - 1 }) }, { weight: 3, arbitrary: fc.constantFrom(-1, TABLE_RINGS) }, { weight: 2, arbitrary: hostile }, { weight: 1, arbitrary: fc.constantFrom(256, 2 ** 31) });
const statArb = fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...STAT_NAMES) }, { weight: 2, arbitrary: fc.constantFrom("toString", "__proto__", "constructor", "hasOwnProperty", "valueOf", "", "Delivered") }, { weight: 1, arbitrary: hostile });
const policyArb = fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...POLICIES) }, { weight: 1, arbitrary: fc.constantFrom("toString", "__proto__", "latest", "") }, { weight: 1, arbitrary: hostile });
const detachArb = fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 1, max: 50 }) }, { weight: 1, arbitrary: fc.constantFrom(3_600_000, 0, 3_600_001) }, { weight: 2, arbitrary: hostile });
const stateArb = fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 0, max: 5 }) }, { weight: 1, arbitrary: fc.constantFrom(6, -1, 255) }, { weight: 1, arbitrary: hostile });
const finiteArb = fc.oneof({ weight: 5, arbitrary: fc.double({ min: 0, max: 1e13, noNaN: true }) }, { weight: 1, arbitrary: fc.double() }, { weight: 2, arbitrary: hostile });
const positionArb = fc.oneof({ weight: 5, arbitrary: fc.integer({ min: 0, max: 1 << 20 }) }, { weight: 1, arbitrary: fc.constantFrom(2 ** 53 - 1, 2 ** 53, 2 ** 64) }, { weight: 2, arbitrary: hostile });

// ── the drivers: records into the rings, hand-made headers in U ──

op("publish (driver)", [fc.integer({ min: 0, max: 1 }), fc.array(fc.integer({ min: 0, max: 7 }), { minLength: 1, maxLength: 300 }), fc.constantFrom(1, 2)], {
  weight: 4,
  run: (w, _c, r: number, ids: number[], kind: 1 | 2) => w.publish(r, ids, kind),
  writes: (w, _c, [r]) => w.ringWrites(r),
});

op("forge a table header in U (driver)", [fc.record({
  slots: fc.oneof(fc.integer({ min: 0, max: 3 }), fc.constantFrom(257, 2 ** 32 - 1)),
  rings: fc.oneof(fc.integer({ min: 0, max: 3 }), fc.constantFrom(257, 2 ** 31)),
  queueBytes: fc.constantFrom(4096, 8192, 0, 2 ** 31, 1 << 28),
  slotBytes: fc.oneof(fc.constant("consistent"), fc.constantFrom(0, 1, 128, 2 ** 31)),
})], {
  run: (w, _c, f: { slots: number; rings: number; queueBytes: number; slotBytes: number | "consistent" }) => {
    const u32 = w.mem.u32;
    const h = w.user >>> 2;
    u32.fill(0, h, h + 32);
    const align = (n: number, a: number) => Math.ceil(n / a) * a;
    const consistent = align(align(SLOT_GATES + f.rings * 16, 128) + f.rings * 128 + f.rings * READER_COPY_BYTES + f.queueBytes, 128);
    u32[h + 1] = f.slots;
    u32[h + 2] = f.rings;
    u32[h + 3] = f.slotBytes === "consistent" ? consistent : f.slotBytes;
    u32[h + 4] = f.queueBytes;
    u32[h] = CONSUMER_TABLE_MAGIC;
  },
  writes: (w) => [[w.user, w.user + 128]],
});

op("forge gauges in U (driver)", [fc.oneof(fc.integer({ min: 1, max: 8 }), fc.constantFrom(0, 4097, 2 ** 32 - 1, 2048))], {
  run: (w, _c, slots: number) => {
    const at = w.user + FORGED_GAUGES;
    w.mem.u32.fill(0, at >>> 2, (at + 64) >>> 2);
    w.mem.u32[(at + 4) >>> 2] = slots;
    w.mem.u32[at >>> 2] = 0x47524854; // "THRG"
  },
  writes: (w) => [[w.user + FORGED_GAUGES, w.user + FORGED_GAUGES + 64]],
});

// ── ConsumerTable ──

const tableOptionsArb = fc.oneof(
  { weight: 5, arbitrary: fc.record({
    slots: fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 0, max: 3 }) }, { weight: 1, arbitrary: fc.constantFrom(257, -1) }, { weight: 1, arbitrary: hostile }),
    rings: fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 1, max: 3 }) }, { weight: 1, arbitrary: fc.constantFrom(0, 257) }, { weight: 1, arbitrary: hostile }),
    queueBytes: fc.oneof({ weight: 4, arbitrary: fc.constantFrom(4096, 8192) }, { weight: 1, arbitrary: fc.constantFrom(4095, 2 ** 28 + 1) }, { weight: 1, arbitrary: hostile }),
  }, { requiredKeys: [] }) },
  { weight: 1, arbitrary: fc.constantFrom(new Getter("slots"), new Getter("queueBytes", { slots: 1, rings: 1 })) },
  { weight: 1, arbitrary: anyValue },
);

/** A table or gauges attached: a structure made as such, or one laid out wholly in memory the caller owns (U, and B after it). */
function checkAttached(w: World, range: Range, made: Range[], what: string): void {
  const ok = made.some((m) => m[0] === range[0] && m[1] === range[1]) || w.mem.owns(range[0], range[1] - range[0]);
  expect(ok, `${what} attached [${range[0]}, ${range[1]}): neither a structure made as such nor inside memory the caller owns`);
}

op("ConsumerTable.create", [memArb, tableOptionsArb], {
  sentinel: true,
  run: (w, _c, mem, o) => {
    const t = ConsumerTable.create(mem, o);
    w.realTables.push(t);
    w.tables.push(t);
    return t;
  },
  valid: (w, _c, [mem, o]) => (mem !== w.mem ? false : typeof o !== "object" || o === null || Array.isArray(o) ? false
    : Object.getOwnPropertyDescriptor(o, "slots")?.get || Object.getOwnPropertyDescriptor(o, "queueBytes")?.get ? undefined
    : isInt(o.slots, 0, 256) && isInt(o.rings, 1, 256) && isInt(o.queueBytes, 4096, 2 ** 28)),
  check: (_w, c, t: ConsumerTable, [, o]) => {
    expect(c.newRange[1] - c.newRange[0] <= ConsumerTable.bytesFor(o.slots, o.rings, o.queueBytes), "reserved more than bytesFor");
    expect(t.slots === o.slots && t.rings === o.rings && t.queueBytes === o.queueBytes, "a new table's shape");
    expect(t.activeBlock === 0 && Array.from({ length: t.slots }, (_, s) => t.state(s)).every((s) => s === ConsumerState.FREE), "a new table's slots are free");
  },
});

op("ConsumerTable.attach", [memArb, offsetArb("ctable")], {
  run: (w, _c, mem, offset) => {
    const t = ConsumerTable.attach(mem, offset);
    checkAttached(w, tableRange(t), w.realTables.map(tableRange), "ConsumerTable");
    w.tables.push(t);
    return t;
  },
  valid: (w, _c, [mem, offset]) => (mem !== w.mem ? false : w.realTables.some((t) => t.offset === offset) ? true : undefined),
});

op("ConsumerTable.bytesFor", [mostly(fc.integer({ min: 0, max: 8 })), mostly(fc.integer({ min: 1, max: 4 })), mostly(fc.constantFrom(4096, 1 << 20))], {
  run: (_w, _c, s, r, q) => ConsumerTable.bytesFor(s, r, q),
  valid: (_w, _c, [s, r, q]) => isInt(s, 0, 256) && isInt(r, 1, 256) && isInt(q, 4096, 2 ** 28),
  check: (_w, _c, n) => expect(Number.isSafeInteger(n) && n > 0, `bytesFor gave ${n}`),
});

op("table.reserve", [idx, policyArb, detachArb], {
  run: (w, c, t, p, d) => {
    const table = pick(w.tables, t);
    c.table = table;
    c.before = Array.from({ length: table.slots }, (_, s) => table.state(s));
    return table.reserve(p, d);
  },
  valid: (_w, _c, [, p, d]) => POLICIES.includes(p) && isInt(d, 1, 3_600_000),
  writes: (_w, c) => allPrefixes(c.table as ConsumerTable),
  check: (_w, c, s: number, [, p, d]) => {
    const t = c.table as ConsumerTable;
    const before = c.before as number[];
    if (s === -1) {
      expect(before.every((x) => x !== ConsumerState.FREE), "reserve gave -1 with a free slot");
      return;
    }
    // Only FREE: a CLOSED slot is freed by its owner once what it held upstream is released.
    expect(isIdx(s, t.slots) && before[s] === ConsumerState.FREE, `reserve took slot ${s} (was ${before[s]})`);
    expect(t.state(s) === ConsumerState.RESERVED && t.policy(s) === p && t.detachAfterMs(s) === d, "reserve's slot is RESERVED with its policy and detachAfterMs");
    expect(STAT_NAMES.every((n) => t.stat(s, n as "delivered") === 0), "reserve zeroes the counts");
  },
});

const tableOp = (name: string, args: fc.Arbitrary<unknown>[], run: (t: ConsumerTable, ...a: any[]) => unknown, spec: {
  valid: (t: ConsumerTable, a: any[]) => boolean;
  writes?: (t: ConsumerTable, a: any[]) => Range[];
  check?: (t: ConsumerTable, result: any, a: any[]) => void;
}) => op(name, [idx, ...args], {
  run: (w, c, t, ...a) => {
    c.table = pick(w.tables, t);
    return run(c.table as ConsumerTable, ...a);
  },
  valid: (_w, c, [, ...a]) => spec.valid(c.table as ConsumerTable, a),
  writes: (_w, c, [, ...a], threw) => (threw || !spec.writes ? [] : spec.writes(c.table as ConsumerTable, a)),
  check: (_w, c, result, [, ...a]) => spec.check?.(c.table as ConsumerTable, result, a),
});

tableOp("table.slotOffset", [slotArb], (t, s) => t.slotOffset(s), {
  valid: (t, [s]) => isIdx(s, t.slots),
  check: (t, at, [s]) => expect(at === slotBase(t, s), "slotOffset"),
});
tableOp("table.state", [slotArb], (t, s) => t.state(s), {
  valid: (t, [s]) => isIdx(s, t.slots),
  check: (_t, v) => expect(isInt(v, 0, 5), `state ${v}`),
});
tableOp("table.transition", [slotArb, stateArb, stateArb], (t, s, from, to) => t.transition(s, from, to), {
  valid: (t, [s, from, to]) => isIdx(s, t.slots) && isInt(from, 0, 5) && isInt(to, 0, 5), // 5: OPENING
  writes: (t, [s]) => [[slotBase(t, s), slotBase(t, s) + 4], tableLive(t)],
  check: (t, moved, [s, , to]) => expect(!moved || t.state(s) === to, "transition"),
});
tableOp("table.policy", [slotArb], (t, s) => t.policy(s), {
  valid: (t, [s]) => isIdx(s, t.slots),
  check: (_t, p) => expect(POLICIES.includes(p), `policy ${p}`),
});
tableOp("table.detachAfterMs", [slotArb], (t, s) => t.detachAfterMs(s), {
  valid: (t, [s]) => isIdx(s, t.slots),
  check: (_t, v) => expect(typeof v === "number", `detachAfterMs ${v}`),
});
tableOp("table.stat", [slotArb, statArb], (t, s, n) => t.stat(s, n), {
  valid: (t, [s, n]) => isIdx(s, t.slots) && STAT_NAMES.includes(n),
  check: (_t, v) => expect(typeof v === "number", `stat ${v}`),
});
tableOp("table.setStat", [slotArb, statArb, finiteArb], (t, s, n, v) => t.setStat(s, n, v), {
  valid: (t, [s, n, v]) => isIdx(s, t.slots) && STAT_NAMES.includes(n) && typeof v === "number" && Number.isFinite(v),
  writes: (t, [s, n]) => [[slotBase(t, s) + SLOT_STAT[n as "delivered"], slotBase(t, s) + SLOT_STAT[n as "delivered"] + 8]],
  check: (t, _r, [s, n, v]) => expect(t.stat(s, n) === v, "setStat then stat"),
});
tableOp("table.gate", [slotArb, ringArb], (t, s, r) => t.gate(s, r), {
  valid: (t, [s, r]) => isIdx(s, t.slots) && isIdx(r, t.rings),
  check: (_t, v) => expect(typeof v === "number" && v >= 0, `gate ${v}`),
});
tableOp("table.setGate", [slotArb, ringArb, positionArb], (t, s, r, p) => t.setGate(s, r, p), {
  valid: (t, [s, r, p]) => isIdx(s, t.slots) && isIdx(r, t.rings) && isInt(p, 0, Number.MAX_SAFE_INTEGER),
  writes: (t, [s, r]) => [[slotBase(t, s) + SLOT_GATES + r * 8, slotBase(t, s) + SLOT_GATES + r * 8 + 8]],
  check: (t, _r, [s, r, p]) => expect(t.gate(s, r) === p, "setGate then gate"),
});
tableOp("table.holdingSince", [slotArb, ringArb], (t, s, r) => t.holdingSince(s, r), {
  valid: (t, [s, r]) => isIdx(s, t.slots) && isIdx(r, t.rings),
  check: (_t, v) => expect(typeof v === "number", `holdingSince ${v}`),
});
tableOp("table.setHoldingSince", [slotArb, ringArb, finiteArb], (t, s, r, ms) => t.setHoldingSince(s, r, ms), {
  valid: (t, [s, r, ms]) => isIdx(s, t.slots) && isIdx(r, t.rings) && isTime(ms),
  writes: (t, [s, r]) => {
    const at = slotBase(t, s) + SLOT_GATES + t.rings * 8 + r * 8;
    return [[at, at + 8]];
  },
  check: (t, _r, [s, r, ms]) => expect(t.holdingSince(s, r) === ms, "setHoldingSince then holdingSince"),
});
tableOp("table.wakeWriters", [], (t) => t.wakeWriters(), { valid: () => true, writes: (t) => [tableLive(t)] });
tableOp("table.areas", [slotArb], (t, s) => t.areas(s), {
  valid: (t, [s]) => isIdx(s, t.slots),
  check: (t, a, [s]) => {
    const slot: Range = [slotBase(t, s), slotBase(t, s) + t.slotBytes];
    expect(a.readers.length === t.rings, "a reader's areas per ring");
    for (const r of a.readers) {
      expect(r.cursor % 128 === 0 && inRange([r.cursor, r.cursor + 64], slot) && inRange([r.copy, r.copy + r.copyBytes], slot), "reader areas inside the slot");
      expect(r.cursor >= slotBase(t, s) + SLOT_GATES + t.rings * 16, "cursors after the gates");
    }
    expect(inRange([a.queue, a.queue + a.queueBytes], slot), "the queue inside the slot");
  },
});

// ── FanoutGate ──

/** A stopping() for waitForRoom: one that always ends the wait. */
class Stop extends Maker {
  constructor(readonly kind: "now" | "third" | "20ms" | "throws") { super(); }
  make(): () => boolean {
    let calls = 0;
    const until = performance.now() + 20;
    switch (this.kind) {
      case "now": return () => true;
      case "third": return () => ++calls >= 3;
      case "20ms": return () => performance.now() >= until;
      case "throws": return () => { throw new Sentinel(); };
    }
  }
  [fc.toStringMethod](): string {
    return `<stopping ${this.kind}>`;
  }
}
const stopArb = fc.oneof({ weight: 10, arbitrary: fc.constantFrom(...(["now", "third", "20ms", "throws"] as const).map((k) => new Stop(k))) }, { weight: 1, arbitrary: hostile });

class TableTok extends Maker {
  constructor(readonly i: number) { super(); }
  make(w: World): unknown {
    return pick(w.tables, this.i);
  }
  [fc.toStringMethod](): string {
    return `<table #${this.i}>`;
  }
}

op("new FanoutGate", [fc.oneof({ weight: 5, arbitrary: idx.map((i) => new TableTok(i)) }, { weight: 1, arbitrary: anyValue }), ringArb,
  fc.oneof({ weight: 5, arbitrary: fc.constantFrom(RING_CAPACITY, 4096) }, { weight: 1, arbitrary: fc.constantFrom(0, 63, 2 ** 31 + 1) }, { weight: 1, arbitrary: hostile })], {
  run: (w, _c, table, r, capacity) => {
    const gate = new FanoutGate(table, r, capacity);
    w.gates.push({ gate, table, capacity });
    return gate;
  },
  valid: (_w, _c, [table, r, cap]) => table instanceof ConsumerTable && isIdx(r, table.rings) && isInt(cap, 64, 2 ** 31),
  // It clears the marks a predecessor writer of its ring left: every slot's holdingSince of that ring.
  writes: (_w, _c, [table, r], threw) => (threw || !(table instanceof ConsumerTable) ? [] : Array.from({ length: table.slots }, (_, s): Range => {
    const at = slotBase(table, s) + SLOT_GATES + table.rings * 8 + (r as number) * 8;
    return [at, at + 8];
  })),
});

op("gate.waitForRoom", [idx,
  fc.oneof({ weight: 8, arbitrary: fc.integer({ min: 0, max: 4 * RING_CAPACITY }) }, { weight: 1, arbitrary: fc.constantFrom(2 ** 53 - 1, 2 ** 53) }, { weight: 1, arbitrary: hostile }),
  fc.oneof({ weight: 8, arbitrary: fc.constantFrom(0, 64, 1024, 16384, RING_CAPACITY) }, { weight: 1, arbitrary: fc.constant(RING_CAPACITY + 64) }, { weight: 1, arbitrary: hostile }),
  stopArb,
  // waiting(): called before each park (the partition worker beats there); may be left out, or throw.
  fc.oneof({ weight: 4, arbitrary: fc.constant(undefined) }, { weight: 3, arbitrary: fc.constant(Object.assign(() => {}, { [fc.toStringMethod]: () => "() => {}" })) },
    { weight: 1, arbitrary: fc.constant(Object.assign(() => { throw new Sentinel(); }, { [fc.toStringMethod]: () => "() => throw" })) }, { weight: 1, arbitrary: hostile })], {
  sentinel: true,
  run: (w, c, g, tail, bytes, stopping, waiting) => {
    const e = pick(w.gates, g);
    c.entry = e;
    return e.gate.waitForRoom(tail, bytes, stopping, waiting);
  },
  valid: (_w, c, [, tail, bytes, stopping, waiting]) =>
    isInt(tail, 0, Number.MAX_SAFE_INTEGER) && isInt(bytes, 0, (c.entry as { capacity: number }).capacity) && typeof stopping === "function"
    && (waiting === undefined || typeof waiting === "function"),
  writes: (_w, c) => {
    const t = (c.entry as { table: ConsumerTable }).table;
    return [tableLive(t), ...allPrefixes(t)];
  },
});

// ── ThreadGauges and the probes ──

const gaugeSlotArb = fc.oneof({ weight: 8, arbitrary: fc.integer({ min: 0, max: GAUGE_SLOTS - 1 }) }, { weight: 3, arbitrary: fc.constantFrom(-1, GAUGE_SLOTS) }, { weight: 2, arbitrary: hostile }, { weight: 1, arbitrary: fc.constantFrom(4096, 2 ** 31) });
class GaugesTok extends Maker {
  constructor(readonly i: number) { super(); }
  make(w: World): unknown {
    return pick(w.gaugesList, this.i);
  }
  [fc.toStringMethod](): string {
    return `<gauges #${this.i}>`;
  }
}
const gaugesArb = fc.oneof({ weight: 6, arbitrary: idx.map((i) => new GaugesTok(i)) }, { weight: 1, arbitrary: anyValue });
const gSlot = (g: ThreadGauges, s: number) => g.offset + 64 + s * 64;

op("ThreadGauges.create", [memArb, fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 1, max: 8 }) }, { weight: 1, arbitrary: fc.constantFrom(0, 4097) }, { weight: 1, arbitrary: hostile })], {
  run: (w, _c, mem, slots) => {
    const g = ThreadGauges.create(mem, slots);
    w.realGauges.push(g);
    w.gaugesList.push(g);
    return g;
  },
  valid: (w, _c, [mem, slots]) => mem === w.mem && isInt(slots, 1, 4096),
  check: (_w, c, g: ThreadGauges, [, slots]) => {
    expect(c.newRange[1] - g.offset <= ThreadGauges.bytesFor(slots) && g.slots === slots && g.read().length === 0, "a new gauges' size and slots");
  },
});
op("ThreadGauges.attach", [memArb, fc.oneof(offsetArb("gauges"), fc.constant(new Ref("user", FORGED_GAUGES)))], {
  run: (w, _c, mem, offset) => {
    const g = ThreadGauges.attach(mem, offset);
    checkAttached(w, [g.offset, g.offset + ThreadGauges.bytesFor(g.slots)], w.realGauges.map((x) => [x.offset, x.offset + ThreadGauges.bytesFor(x.slots)] as const), "ThreadGauges");
    w.gaugesList.push(g);
    return g;
  },
  valid: (w, _c, [mem, offset]) => (mem !== w.mem ? false : w.realGauges.some((g) => g.offset === offset) ? true : undefined),
});
op("ThreadGauges.bytesFor", [mostly(fc.integer({ min: 1, max: 8 }))], {
  run: (_w, _c, s) => ThreadGauges.bytesFor(s),
  valid: (_w, _c, [s]) => isInt(s, 1, 4096),
  check: (_w, _c, n) => expect(Number.isSafeInteger(n) && n > 0, `bytesFor ${n}`),
});

const kindArb = fc.oneof({ weight: 5, arbitrary: fc.constantFrom("main", "partition", "consumer") }, { weight: 1, arbitrary: fc.constantFrom("", "Main", "toString") }, { weight: 1, arbitrary: hostile });
const nameArb = fc.oneof({ weight: 5, arbitrary: fc.string({ maxLength: 40 }) }, { weight: 1, arbitrary: fc.constantFrom("naïve ☃ \u0000\n", "x".repeat(100)) }, { weight: 1, arbitrary: hostile });
const claimOptionsArb = fc.oneof(
  { weight: 3, arbitrary: fc.constant(undefined) },
  { weight: 3, arbitrary: fc.record({ slot: gaugeSlotArb, from: fc.oneof(fc.integer({ min: 0, max: GAUGE_SLOTS + 1 }), hostile) }, { requiredKeys: [] }) },
  { weight: 1, arbitrary: fc.constant(new Getter("slot")) },
  { weight: 1, arbitrary: anyValue },
);
op("gauges.claim", [idx, kindArb, nameArb, claimOptionsArb], {
  sentinel: true,
  run: (w, c, g, kind, name, options) => {
    c.g = pick(w.gaugesList, g);
    return (c.g as ThreadGauges).claim(kind, name, options);
  },
  valid: (_w, c, [, kind, name, o]) => {
    const g = c.g as ThreadGauges;
    if (!["main", "partition", "consumer"].includes(kind) || typeof name !== "string") return false;
    if (o === undefined) return true;
    if (typeof o !== "object" || o === null || Array.isArray(o)) return false;
    if (Object.getOwnPropertyDescriptor(o, "slot")?.get) return undefined;
    if (o.slot !== undefined) return isIdx(o.slot, g.slots);
    return o.from == null || isInt(o.from, 0, g.slots); // `from ?? 0`: null is "not given"
  },
  writes: (_w, c, _a, threw) => (threw ? [] : [[gSlot(c.g as ThreadGauges, 0), gSlot(c.g as ThreadGauges, (c.g as ThreadGauges).slots)]]),
  check: (_w, c, s: number, [, kind, name]) => {
    if (s === -1) return;
    const g = c.g as ThreadGauges;
    const r = g.read().find((x) => x.slot === s);
    expect(r && r.kind === kind && r.name === name.replace(/[^\x20-\x7e]/g, "?").slice(0, 31), `claim's slot ${s} reads back as ${JSON.stringify(r)}`);
  },
});
const gaugesOp = (name: string, args: fc.Arbitrary<unknown>[], run: (g: ThreadGauges, ...a: any[]) => unknown, spec: {
  valid?: (g: ThreadGauges, a: any[]) => boolean;
  writes?: (g: ThreadGauges, a: any[]) => Range[];
  check?: (g: ThreadGauges, result: any, a: any[]) => void;
}) => op(name, [idx, ...args], {
  run: (w, c, g, ...a) => {
    c.g = pick(w.gaugesList, g);
    return run(c.g as ThreadGauges, ...a);
  },
  valid: (_w, c, [, ...a]) => spec.valid?.(c.g as ThreadGauges, a),
  writes: (_w, c, [, ...a], threw) => (threw || !spec.writes ? [] : spec.writes(c.g as ThreadGauges, a)),
  check: (_w, c, result, [, ...a]) => spec.check?.(c.g as ThreadGauges, result, a),
});
const timeArb = fc.oneof({ weight: 3, arbitrary: fc.constant(undefined) }, { weight: 3, arbitrary: fc.double({ min: 0, max: 2e12, noNaN: true }) }, { weight: 2, arbitrary: hostile });
gaugesOp("gauges.release", [gaugeSlotArb], (g, s) => g.release(s), {
  valid: (g, [s]) => isIdx(s, g.slots),
  writes: (g, [s]) => [[gSlot(g, s), gSlot(g, s) + 4]],
});
gaugesOp("gauges.beat", [gaugeSlotArb, timeArb], (g, s, now) => g.beat(s, now), {
  valid: (g, [s, now]) => isIdx(s, g.slots) && (now === undefined || isTime(now)),
  writes: (g, [s]) => [[gSlot(g, s) + 8, gSlot(g, s) + 16]],
});
gaugesOp("gauges.report", [gaugeSlotArb, finiteArb, finiteArb, timeArb], (g, s, p99, max, now) => g.report(s, p99, max, now), {
  valid: (g, [s, p99, max, now]) => isIdx(s, g.slots) && isTime(p99) && isTime(max) && (now === undefined || isTime(now)),
  writes: (g, [s]) => [[gSlot(g, s) + 8, gSlot(g, s) + 32]],
});
gaugesOp("gauges.read", [], (g) => g.read(), {
  valid: () => true,
  check: (g, readings) => {
    for (const r of readings) expect(isIdx(r.slot, g.slots) && r.name.length <= 31 && ["main", "partition", "consumer"].includes(r.kind), `a reading ${JSON.stringify(r)}`);
  },
});

op("new LoopDelayProbe", [gaugesArb, gaugeSlotArb, fc.oneof({ weight: 3, arbitrary: fc.constantFrom(undefined, 1, 5) }, { weight: 1, arbitrary: fc.constantFrom(0, 10_001) }, { weight: 1, arbitrary: hostile })], {
  run: (w, _c, g, s, res) => {
    const probe = new LoopDelayProbe(g, s, res);
    w.probes.push({ probe, gauges: g });
    return probe;
  },
  valid: (_w, _c, [g, s, res]) => g instanceof ThreadGauges && isIdx(s, g.slots) && (res === undefined || isInt(res, 1, 10_000)),
});
op("probe.close", [idx], {
  run: (w, c, i) => {
    if (w.probes.length === 0) return;
    const p = pick(w.probes, i);
    c.p = p;
    return p.probe.close();
  },
  writes: (_w, c) => (c.p ? [World.slotsOf((c.p as { gauges: ThreadGauges }).gauges)] : []),
});
op("new StepProbe", [gaugesArb, gaugeSlotArb], {
  run: (w, _c, g, s) => {
    const step = new StepProbe(g, s);
    w.steps.push({ step, gauges: g, slot: s });
    return step;
  },
  valid: (_w, _c, [g, s]) => g instanceof ThreadGauges && isIdx(s, g.slots),
});
op("step.busy / idle", [idx, fc.boolean()], {
  run: (w, c, i, busy) => {
    if (w.steps.length === 0) return;
    const e = pick(w.steps, i);
    c.e = e;
    return busy ? e.step.busy() : e.step.idle();
  },
  writes: (_w, c) => {
    const e = c.e as StepEntry | undefined;
    return e ? [[gSlot(e.gauges, e.slot) + 8, gSlot(e.gauges, e.slot) + 32]] : [];
  },
});

// ── LatencyHistogram (options, readCounts, recordLatencies), HistogramWindow, SystemMetrics ──

const histOptionsArb = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(undefined, { singleWriter: true }, { singleWriter: false }, {}) },
  { weight: 1, arbitrary: fc.record({ singleWriter: hostile }) },
  { weight: 1, arbitrary: fc.constant(new Getter("singleWriter")) },
  { weight: 1, arbitrary: hostile },
);
/** histogram.ts refuses a bad singleWriter (null and undefined are "not given", as `??` has it everywhere); options that are not an object it ignores (not told either way here). */
const histOptionsValid = (o: unknown): boolean | undefined => (o === undefined ? true : typeof o !== "object" || o === null ? undefined
  : Object.getOwnPropertyDescriptor(o, "singleWriter")?.get ? undefined
  : (o as { singleWriter?: unknown }).singleWriter == null || typeof (o as { singleWriter?: unknown }).singleWriter === "boolean" ? (Array.isArray(o) ? undefined : true) : false);
op("LatencyHistogram.create", [memArb, histOptionsArb], {
  sentinel: true,
  run: (w, _c, mem, o) => {
    const h = LatencyHistogram.create(mem, o);
    w.hists.push(h);
    return h;
  },
  valid: (w, _c, [mem, o]) => (mem !== w.mem ? false : histOptionsValid(o)),
});
op("LatencyHistogram.attach", [memArb, offsetArb("hist"), histOptionsArb], {
  sentinel: true,
  run: (w, _c, mem, offset, o) => {
    const h = LatencyHistogram.attach(mem, offset, o);
    w.hists.push(h);
    return h;
  },
  valid: (w, _c, [mem, offset, o]) => (mem !== w.mem ? false : w.hists.some((h) => h.offset === offset) ? histOptionsValid(o) : undefined),
});

/** The array readCounts is given. */
class Into extends Maker {
  constructor(readonly kind: "fresh" | "short" | "long" | "user" | "structure" | "f32" | "readonly-size") { super(); }
  make(w: World): unknown {
    switch (this.kind) {
      case "fresh": return new Float64Array(H.HIST_COUNTS_LEN);
      case "short": return new Float64Array(H.HIST_COUNTS_LEN - 1);
      case "long": return new Float64Array(H.HIST_COUNTS_LEN + 3);
      case "user": return new Float64Array(w.mem.buffer, w.user, H.HIST_COUNTS_LEN);
      case "structure": return new Float64Array(w.mem.buffer, w.symbols.offset, H.HIST_COUNTS_LEN);
      case "f32": return new Float32Array(H.HIST_COUNTS_LEN);
      case "readonly-size": return new Float64Array(0);
    }
  }
  [fc.toStringMethod](): string {
    return `<into ${this.kind}>`;
  }
}
const INTO_KINDS = (["fresh", "short", "long", "user", "f32", "readonly-size", ...(KNOWN.readCountsIntoAnywhere ? [] : ["structure"])] as const) as readonly Into["kind"][];
op("hist.readCounts", [idx, fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...INTO_KINDS.map((k) => new Into(k))) }, { weight: 1, arbitrary: anyValue })], {
  run: (w, c, h, into) => {
    c.h = pick(w.hists, h);
    return (c.h as LatencyHistogram).readCounts(into);
  },
  valid: (w, _c, [, into]) => {
    if (!(into instanceof Float64Array) || into.length < H.HIST_COUNTS_LEN) return false;
    if (into.buffer !== w.mem.buffer) return true;
    return w.mem.owns(into.byteOffset, into.byteLength);
  },
  writes: (w, _c, [, into], threw) => (!threw && into instanceof Float64Array && into.buffer === w.mem.buffer ? [[into.byteOffset, into.byteOffset + into.byteLength]] : []),
  check: (_w, _c, r, [, into]) => {
    let sum = 0;
    for (let i = 0; i < H.HIST_COUNTS_LEN; i++) sum += into[i];
    expect(r.count === sum + r.overflow, `readCounts: count ${r.count} ≠ buckets ${sum} + overflow ${r.overflow}`);
  },
});
class Now extends Maker {
  make(): number {
    return monotonicNs();
  }
  [fc.toStringMethod](): string {
    return "<monotonicNs()>";
  }
}
op("hist.recordLatencies", [idx,
  fc.oneof({ weight: 5, arbitrary: fc.constant(new Ref("batch", 0)) }, { weight: 2, arbitrary: refArb(ALL_BASES) }, { weight: 1, arbitrary: hostile }),
  fc.oneof({ weight: 5, arbitrary: fc.constantFrom(6 * 64 + 192, 64, 0, 6 * 64) }, { weight: 1, arbitrary: fc.constantFrom(63, 1 << 30) }, { weight: 1, arbitrary: hostile }),
  fc.oneof({ weight: 5, arbitrary: fc.constant(new Now()) }, { weight: 1, arbitrary: fc.constantFrom(0, 2 ** 53) }, { weight: 1, arbitrary: hostile })], {
  run: (w, c, h, src, bytes, now) => {
    const hist = pick(w.hists, h);
    c.h = hist;
    c.before = hist.count;
    return hist.recordLatencies(src, bytes, now);
  },
  writes: (_w, c) => [[(c.h as LatencyHistogram).offset, (c.h as LatencyHistogram).offset + H.HIST_BYTES]],
  check: (_w, c, n) => expect(isInt(n, 0, 1 << 24) && (c.h as LatencyHistogram).count === (c.before as number) + n, "recordLatencies counts what it returns"),
});
op("new HistogramWindow", [fc.oneof({ weight: 5, arbitrary: idx }, { weight: 1, arbitrary: anyValue.map((v) => ({ v })) })], {
  run: (w, _c, h) => {
    const win = new HistogramWindow(typeof h === "number" ? pick(w.hists, h) : (h as { v: never }).v);
    w.windows.push(win);
    return win;
  },
});
op("window.take", [idx], {
  run: (w, _c, i) => pick(w.windows, i).take(),
  check: (_w, _c, s) => {
    expect(Number.isFinite(s.count) && s.count >= 0, `count ${s.count}`);
    if (s.count > 0) expect(s.p50Ms <= s.p90Ms && s.p90Ms <= s.p99Ms && s.p99Ms <= s.p999Ms && s.p999Ms <= s.maxMs && s.meanMs >= 0, `percentiles in order: ${JSON.stringify(s)}`);
  },
});
op("window.totals", [idx], {
  run: (w, _c, i) => pick(w.windows, i).totals(),
  check: (_w, _c, t) => {
    let last = 0;
    for (const [, n] of t.buckets) {
      expect(n >= last, "cumulative buckets");
      last = n;
    }
    expect(last <= t.count && t.sumSeconds >= 0, "buckets within count");
  },
});
op("SystemMetrics.create", [memArb, fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 1, max: 6 }) }, { weight: 1, arbitrary: fc.constantFrom(0, 4097) }, { weight: 1, arbitrary: hostile })], {
  run: (w, _c, mem, slots) => {
    const m = SystemMetrics.create(mem, slots);
    w.hists.push(m.latency.ring, m.latency.consumer, m.latency.client);
    w.realGauges.push(m.threads);
    w.gaugesList.push(m.threads);
    return m;
  },
  valid: (w, _c, [mem, slots]) => mem === w.mem && isInt(slots, 1, 4096),
  check: (_w, c, _m, [, slots]) => expect(c.newRange[1] - c.newRange[0] <= SystemMetrics.bytesFor(slots), "reserved more than bytesFor"),
});
/** The world's metrics handle with one field wrong (or none). */
class MetricsRecipe extends Maker {
  constructor(readonly field: "none" | "counters" | "threads" | "ring" | "consumer" | "client" | "latency", readonly to: unknown) { super(); }
  make(w: World): unknown {
    const h = w.metrics.handle() as { counters: number; threads: number; latency: Record<string, unknown> };
    const to = materialize(w, this.to);
    if (this.field === "counters" || this.field === "threads") return { ...h, [this.field]: to };
    if (this.field === "latency") return { ...h, latency: to };
    if (this.field === "none") return h;
    return { ...h, latency: { ...h.latency, [this.field]: to } };
  }
  [fc.toStringMethod](): string {
    return `<metrics handle${this.field === "none" ? "" : ` with ${this.field} = ${fc.stringify(this.to)}`}>`;
  }
}
const metricsRecipeArb = fc.oneof(
  { weight: 3, arbitrary: fc.constant(new MetricsRecipe("none", 0)) },
  { weight: 4, arbitrary: fc.tuple(fc.constantFrom("counters", "threads", "ring", "consumer", "client", "latency") as fc.Arbitrary<MetricsRecipe["field"]>, fc.oneof(refArb(ALL_BASES), hostile)).map(([f, to]) => new MetricsRecipe(f, to)) },
);
op("SystemMetrics.attach", [memArb, fc.oneof({ weight: 5, arbitrary: metricsRecipeArb }, { weight: 1, arbitrary: anyValue })], {
  run: (_w, _c, mem, handle) => SystemMetrics.attach(mem, handle),
});
op("SystemMetrics.bytesFor", [mostly(fc.integer({ min: 1, max: 16 }))], {
  run: (_w, _c, s) => SystemMetrics.bytesFor(s),
  valid: (_w, _c, [s]) => isInt(s, 1, 4096),
  check: (_w, _c, n) => expect(Number.isSafeInteger(n) && n > 0, `bytesFor ${n}`),
});
op("metrics.handle", [], {
  run: (w) => w.metrics.handle(),
  check: (w, _c, h: MetricsHandle) => {
    const again = SystemMetrics.attach(w.mem, h);
    expect(again.threads.offset === w.metrics.threads.offset && again.latency.client.offset === w.metrics.latency.client.offset, "handle() attaches to the same metrics");
  },
});

// ── RingReader with areas, and its position ──

/** The areas a RingReader is given. */
class Areas extends Maker {
  constructor(readonly kind: "slot" | "user" | "unaligned" | "past-end" | "copy-small" | "copy-big" | "structure" | "none", readonly s = 0, readonly r = 0) { super(); }
  make(w: World): unknown {
    switch (this.kind) {
      case "none": return undefined;
      case "slot": return w.table.areas(this.s % TABLE_SLOTS).readers[this.r % TABLE_RINGS];
      case "user": return { cursor: w.user + 128 * (1 + this.s), copy: w.user + 8192, copyBytes: 8192 };
      case "unaligned": return { cursor: w.user + 64, copy: w.user + 8192, copyBytes: 8192 };
      case "past-end": return { cursor: w.mem.byteLength - 64, copy: w.user, copyBytes: 4096 };
      case "copy-small": return { cursor: w.user + 128, copy: w.user + 8192, copyBytes: 32 };
      case "copy-big": return { cursor: w.user + 128, copy: w.user + 8192, copyBytes: READER_COPY_BYTES + 64 };
      case "structure": return { cursor: Math.ceil((w.symbols.offset + 64) / 128) * 128, copy: w.cache.offset, copyBytes: 4096 };
    }
  }
  [fc.toStringMethod](): string {
    return `<areas ${this.kind}${this.kind === "slot" ? ` ${this.s}/${this.r}` : ""}>`;
  }
}
const AREA_KINDS = ["slot", "slot", "user", "unaligned", "past-end", "copy-small", "copy-big", "none", ...(KNOWN.readerAreasAnywhere ? [] : ["structure"])] as Areas["kind"][];
op("new RingReader(ring, areas)", [fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 0, max: 1 }) }, { weight: 1, arbitrary: anyValue.map((v) => ({ v })) }),
  fc.oneof({ weight: 6, arbitrary: fc.tuple(fc.constantFrom(...AREA_KINDS), fc.nat(5), fc.nat(3)).map(([k, s, r]) => new Areas(k, s, r)) },
    { weight: 1, arbitrary: fc.record({ cursor: fc.oneof(refArb(["user"]), hostile), copy: fc.oneof(refArb(["user"]), hostile), copyBytes: fc.oneof(fc.constantFrom(4096, 64), hostile) }, { requiredKeys: [] }) },
    { weight: 1, arbitrary: anyValue })], {
  run: (w, c, r, areas) => {
    const ring = typeof r === "number" ? w.rings[r]! : (r as { v: never }).v;
    c.ring = typeof r === "number" ? r : -1;
    const reader = new RingReader(ring, areas);
    w.readers.push({ reader, ring: r as number, own: [], ownCursor: areas === undefined });
    c.entry = w.readers[w.readers.length - 1];
    return reader;
  },
  writes: (w, c, [, areas], threw) => {
    if (threw || (c.ring as number) < 0) return [];
    (c.entry as ReaderEntry).own.push(c.newRange);
    const hdr: Range = [w.rings[c.ring as number]!.offset, w.rings[c.ring as number]!.offset + R.RING_HEADER_BYTES];
    const a = areas as { cursor: number; copy: number; copyBytes: number } | undefined;
    if (!a) return [hdr];
    // The areas must be the caller's (U, B) or a consumer slot's (the table): only then may the reader write there.
    const cursor: Range = [a.cursor, a.cursor + 64];
    const mine = (x: Range) => w.mem.owns(x[0], x[1] - x[0]) || w.realTables.some((t) => inRange(x, tableRange(t)));
    (c.entry as ReaderEntry).own.push(...[cursor, [a.copy, a.copy + Math.min(a.copyBytes, RING_CAPACITY)] as Range].filter(mine));
    return mine(cursor) ? [hdr, cursor] : [hdr];
  },
});
const readerOp = (name: string, run: (e: ReaderEntry) => unknown, spec: { ownWrites?: boolean; ringHdr?: boolean; check?: (w: World, e: ReaderEntry, r: any) => void }) => op(name, [idx], {
  run: (w, c, i) => {
    if (w.readers.length === 0) return;
    c.e = pick(w.readers, i);
    return run(c.e as ReaderEntry);
  },
  writes: (w, c) => {
    const e = c.e as ReaderEntry | undefined;
    if (!e) return [];
    const out: Range[] = spec.ownWrites ? [...e.own] : [];
    if (spec.ringHdr && typeof e.ring === "number") out.push([w.rings[e.ring]!.offset, w.rings[e.ring]!.offset + R.RING_HEADER_BYTES]);
    e.own.push(c.newRange);
    return out;
  },
  check: (w, c, r) => c.e && spec.check?.(w, c.e as ReaderEntry, r),
});
readerOp("reader.position", (e) => e.reader.position, {
  // Within the ring's tail when the cursor is the reader's own (areas given may be another's too: a consumer's, another reader's).
  check: (_w, e, p) => expect(Number.isSafeInteger(p) && p >= 0 && (!e.ownCursor || p <= e.reader.ring.tail), `position ${p} (tail ${e.reader.ring.tail})`),
});
readerOp("reader.pollBatch", (e) => e.reader.pollBatch(() => {}), { ownWrites: true, ringHdr: true });
readerOp("reader.close", (e) => e.reader.close(), { ringHdr: true });

// ── Consumer ──

type HandleField = "none" | "table" | "slot" | "rings" | "symbols" | "cache" | "filter" | "mode" | "policy" | "name" | "metrics" | "memory" | "drop";
/** A consumer handle: a slot reserved (or not) on the world's table, with one field wrong (or none). */
class HandleRecipe extends Maker {
  constructor(readonly reserve: string | null, readonly mode: number, readonly filter: readonly number[] | null, readonly metrics: boolean,
    readonly field: HandleField, readonly to: unknown) { super(); }
  make(w: World, fixed?: number, policy?: string): ConsumerHandle {
    const slot = fixed ?? (this.reserve === null ? 0 : w.table.reserve(this.reserve as "block", 20));
    const h: Record<string, unknown> = {
      memory: w.mem.handle(), table: w.table.offset, slot: slot < 0 ? 0 : slot, rings: w.rings.map((r) => r.handle),
      symbols: w.symbols.offset, cache: w.cache.offset, filter: this.filter, mode: this.mode, policy: policy ?? this.reserve ?? "conflate", name: "fuzz",
      ...(this.metrics ? { metrics: w.metrics.handle() } : {}),
    };
    if (this.field === "drop") delete h[this.to as string];
    else if (this.field !== "none") h[this.field] = materialize(w, this.to);
    return h as unknown as ConsumerHandle;
  }
  [fc.toStringMethod](): string {
    return `<handle ${this.reserve === null ? "slot 0 as it is" : `of a slot reserved ${this.reserve}`}, mode ${this.mode}, filter ${fc.stringify(this.filter)}${this.metrics ? ", metrics" : ""}${this.field === "none" ? "" : this.field === "drop" ? `, no ${String(this.to)}` : `, ${this.field} = ${fc.stringify(this.to)}`}>`;
  }
}
class RingHandleTok extends Maker {
  constructor(readonly kind: "r0" | "r1" | "off" | "type" | "name") { super(); }
  make(w: World): unknown {
    const h = w.rings[this.kind === "r1" ? 1 : 0]!.handle;
    if (this.kind === "off") return { ...h, offset: h.offset + 128 };
    if (this.kind === "type") return { ...h, type: "spsc" };
    if (this.kind === "name") return { ...h, name: "other" };
    return h;
  }
  [fc.toStringMethod](): string {
    return `<ring ${this.kind}>`;
  }
}
const ringHandleArb = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(new RingHandleTok("r0"), new RingHandleTok("r1")) }, { weight: 1, arbitrary: fc.constantFrom(new RingHandleTok("off"), new RingHandleTok("type"), new RingHandleTok("name")) }, { weight: 1, arbitrary: hostile });
const handleFieldArb: fc.Arbitrary<[HandleField, unknown]> = fc.oneof(
  { weight: 8, arbitrary: fc.constant(["none", 0] as [HandleField, unknown]) },
  { weight: 1, arbitrary: fc.tuple(fc.constant("table" as HandleField), fc.oneof(refArb(["ctable"]), refArb(ALL_BASES), fc.constant(new Ref("user", 0)), hostile)) },
  { weight: 1, arbitrary: fc.tuple(fc.constant("slot" as HandleField), fc.oneof(fc.integer({ min: -1, max: 4 }), hostile)) },
  { weight: 1, arbitrary: fc.tuple(fc.constant("rings" as HandleField), fc.oneof(fc.array(ringHandleArb, { minLength: 0, maxLength: 4 }), hostile)) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom("symbols", "cache") as fc.Arbitrary<HandleField>, fc.oneof(refArb(ALL_BASES), hostile)) },
  { weight: 1, arbitrary: fc.tuple(fc.constant("filter" as HandleField), fc.oneof(fc.constantFrom(null, [], [0, 1], [63], [64], [-1], [0.5], [2 ** 32], "all", ["1"]), fc.array(hostile, { maxLength: 2 }), hostile)) },
  { weight: 1, arbitrary: fc.tuple(fc.constant("mode" as HandleField), fc.oneof(fc.integer({ min: 0, max: 4 }), hostile)) },
  { weight: 1, arbitrary: fc.tuple(fc.constant("policy" as HandleField), fc.oneof(KNOWN.openPolicyMismatch ? fc.constantFrom("latest", "toString", "") : policyArb, hostile)) },
  { weight: 1, arbitrary: fc.tuple(fc.constant("name" as HandleField), fc.oneof(fc.string({ maxLength: 70 }), hostile)) },
  { weight: 1, arbitrary: fc.tuple(fc.constant("metrics" as HandleField), fc.oneof(metricsRecipeArb, hostile)) },
  { weight: 1, arbitrary: fc.tuple(fc.constant("drop" as HandleField), fc.constantFrom("table", "slot", "rings", "symbols", "cache", "filter", "mode", "policy", "name", "memory")) },
);
const handleArb = fc.tuple(
  fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...POLICIES) }, { weight: 1, arbitrary: fc.constant(null) }),
  fc.constantFrom(1, 2, 2, 3), fc.constantFrom(null, null, [0, 1, 2], [5], [0, 7, 63]), fc.boolean(), handleFieldArb,
).map(([policy, mode, filter, metrics, [field, to]]) => new HandleRecipe(policy, mode, filter, metrics, field, to));

const onErrorArb = fc.oneof(
  fc.constant(Object.assign(() => {}, { [fc.toStringMethod]: () => "() => {}" })),
  fc.constant(Object.assign(() => { throw new Sentinel(); }, { [fc.toStringMethod]: () => "() => throw" })),
  hostile,
);
const consumerOptionsArb = fc.oneof(
  { weight: 3, arbitrary: fc.constant(undefined) },
  // Valid for every policy (queueLimit is drop-oldest's only: the first record below sometimes gives it).
  { weight: 6, arbitrary: fc.record({
    minBatch: fc.integer({ min: 1, max: 4 }), maxBatch: fc.integer({ min: 4, max: 64 }),
    onError: onErrorArb.filter((f) => typeof f === "function"), idleWaitMs: fc.constantFrom(1, 5, 20),
  }, { requiredKeys: [] }) },
  { weight: 2, arbitrary: fc.record({
    minBatch: fc.integer({ min: 1, max: 4 }), maxBatch: fc.integer({ min: 4, max: 64 }), queueLimit: fc.integer({ min: 1, max: 100 }),
    onError: onErrorArb.filter((f) => typeof f === "function"), idleWaitMs: fc.constantFrom(1, 5, 20),
  }, { requiredKeys: [] }) },
  { weight: 6, arbitrary: fc.record({
    minBatch: fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 1, max: 8 }) }, { weight: 1, arbitrary: fc.constantFrom(0, 65537) }, { weight: 1, arbitrary: hostile }),
    maxBatch: fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 1, max: 64 }) }, { weight: 1, arbitrary: fc.constantFrom(0, 65537) }, { weight: 1, arbitrary: hostile }),
    queueLimit: fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 1, max: 100 }) }, { weight: 1, arbitrary: fc.constantFrom(0, 1e9) }, { weight: 1, arbitrary: hostile }),
    onError: onErrorArb,
    // Valid waits stay short: a closed consumer's next() returns within one (the fuzz's hang bound).
    idleWaitMs: fc.oneof({ weight: 4, arbitrary: fc.constantFrom(1, 5, 20) }, { weight: 1, arbitrary: fc.constantFrom(0, 60_001) }, { weight: 1, arbitrary: hostile }),
    extra: anyValue,
  }, { requiredKeys: [] }) },
  { weight: 1, arbitrary: fc.constantFrom(new Getter("minBatch"), new Getter("idleWaitMs", { minBatch: 1 })) },
  { weight: 1, arbitrary: anyValue },
);
/** Only short valid idle waits (the fuzz's close-to-end-a-wait relies on it). */
const shortWaits = (o: unknown) => !(typeof o === "object" && o !== null && "idleWaitMs" in o && isInt((o as { idleWaitMs: unknown }).idleWaitMs, 21, 60_000));

/** What a consumer made from `handle` may write: its table, the rings' headers, the metrics it reports into. */
function consumerAllowed(w: World, handle: ConsumerHandle | undefined, own: Range): Range[] {
  const out: Range[] = [own, ...w.rings.map((r) => [r.offset, r.offset + R.RING_HEADER_BYTES] as Range)];
  const h = handle as Partial<Record<string, unknown>> | undefined;
  const tableAt = typeof h === "object" && h !== null ? h.table : undefined;
  for (const t of w.realTables) if (t.offset === tableAt) out.push(tableRange(t));
  if (typeof tableAt === "number" && tableAt >= w.user && tableAt < w.user + USER_BYTES) out.push([w.user, w.batch + w.batchBytes]); // a table laid out by hand in U (and B)
  const m = typeof h === "object" && h !== null ? h.metrics as Partial<MetricsHandle> | undefined : undefined;
  if (typeof m === "object" && m !== null) {
    if (typeof m.counters === "number") out.push([m.counters, m.counters + 64 + 16 * 8]);
    const c = (m.latency as { consumer?: unknown } | undefined)?.consumer;
    if (typeof c === "number") out.push([c, c + H.HIST_BYTES]);
    for (const g of w.realGauges) if (g.offset === m.threads) out.push(World.slotsOf(g));
  }
  return out;
}

/** Ring readers joined, thread gauges in use: a refused open must leave both as they were. */
const traces = (w: World) => JSON.stringify([w.rings.map((r) => r.stats().readers), w.metrics.threads.read().length]);

function opened(w: World, c: Ctx, consumer: Consumer): Consumer {
  c.entry = { consumer, allowed: [] };
  w.consumers.push(c.entry as ConsumerEntry);
  return consumer;
}

/** A refused open leaves its slot RESERVED: close it, as openConsumer does, so that slots come back. */
function unreserve(w: World, handle: ConsumerHandle): void {
  const slot = (handle as { slot?: unknown }).slot;
  if (isIdx(slot, w.table.slots)) w.table.transition(slot, ConsumerState.RESERVED, ConsumerState.CLOSED);
}

/** What an open may write, and (having succeeded) what its consumer may from now on. */
function openWrites(w: World, c: Ctx, threw: boolean): Range[] {
  const allowed = consumerAllowed(w, c.handle as ConsumerHandle, c.newRange);
  if (threw) allowed.push(tableRange(w.table)); // the recipe's reserve, undone
  else (c.entry as ConsumerEntry).allowed.push(...allowed);
  return allowed;
}

op("Consumer.open", [memArb, handleArb, consumerOptionsArb.filter(shortWaits)], {
  weight: 8,
  sentinel: true,
  run: (w, c, mem, handle: ConsumerHandle, options) => {
    c.handle = handle;
    c.traces = traces(w);
    try {
      return opened(w, c, Consumer.open(mem, handle, options));
    } catch (e) {
      unreserve(w, handle);
      throw e;
    }
  },
  writes: (w, c, _a, threw) => openWrites(w, c, threw),
  check: (w, c, consumer: Consumer) => {
    const h = c.handle as ConsumerHandle;
    const t = ConsumerTable.attach(w.mem, h.table);
    expect(t.state(h.slot) === ConsumerState.ACTIVE, "an open consumer's slot is ACTIVE");
    if (!KNOWN.openPolicyMismatch) expect(t.policy(h.slot) === consumer.policy, `a consumer's policy (${consumer.policy}) is its slot's (${t.policy(h.slot)})`);
    expect(isInt(consumer.batchSize, 1, 65536), "batchSize");
  },
});
// (The no-trace check of a refused open runs in exec: see KNOWN.openLeaks.)

op("Consumer.attach", [handleArb.filter((r) => r.field !== "memory"), fc.oneof({ weight: 6, arbitrary: fc.constant("mem") }, { weight: 1, arbitrary: fc.constantFrom({}, { memory: {} }, { memory: null, module: null }) }, { weight: 1, arbitrary: anyValue }), consumerOptionsArb.filter(shortWaits)], {
  sentinel: true,
  run: async (w, c, handle: ConsumerHandle, memory, options) => {
    const h = memory === "mem" ? handle : { ...handle, memory };
    c.handle = h;
    c.traces = traces(w);
    try {
      return opened(w, c, await Consumer.attach(h as ConsumerHandle, options));
    } catch (e) {
      unreserve(w, handle);
      throw e;
    }
  },
  writes: (w, c, _a, threw) => openWrites(w, c, threw),
});

/** Runs `body` on consumer `i`, closing the consumer if it has not settled after CLOSE_AFTER_MS. */
async function withCloser<T>(e: ConsumerEntry, body: (c: Consumer) => Promise<T>): Promise<T> {
  e.closeTimer = setTimeout(() => {
    e.closed = true;
    e.consumer.close();
  }, CLOSE_AFTER_MS);
  try {
    return await body(e.consumer);
  } finally {
    clearTimeout(e.closeTimer);
  }
}
/** Records published on both rings before a consumer reads (or none): a driver step, so that reads find something. */
const feedArb = fc.oneof({ weight: 1, arbitrary: fc.constant(null) }, { weight: 4, arbitrary: fc.array(fc.integer({ min: 0, max: 7 }), { minLength: 1, maxLength: 40 }) });
const consumerOp = (name: string, args: fc.Arbitrary<unknown>[], run: (w: World, e: ConsumerEntry, ...a: any[]) => unknown, check?: (w: World, e: ConsumerEntry, r: any) => void, weight = 2, feeds = false) => op(name, [idx, feeds ? feedArb : fc.constant(null), ...args], {
  weight,
  run: (w, c, i, feed: number[] | null, ...a) => {
    if (w.consumers.length === 0) return void (c.skipped = true);
    // Mostly a consumer still open (one closed answers everything at once).
    const open = w.consumers.filter((e) => !e.closed);
    c.e = pick(open.length > 0 && i % 4 !== 3 ? open : w.consumers, i);
    if (feed) for (let r = 0; r < TABLE_RINGS; r++) w.publish(r, feed, 1);
    return run(w, c.e as ConsumerEntry, ...a);
  },
  writes: (w, c, [, feed]) => {
    const e = c.e as ConsumerEntry | undefined;
    if (!e) return [];
    const out = [...e.allowed, ...(feed ? [0, 1].flatMap((r) => w.ringWrites(r)) : [])];
    e.allowed.push(c.newRange);
    return out;
  },
  check: (w, c, r) => c.e && check?.(w, c.e as ConsumerEntry, r),
});
let batchesSeen = 0;
function checkBatch(w: World, e: ConsumerEntry, b: TickBatch | null): void {
  if (b === null) return;
  batchesSeen++;
  expect(b instanceof TickBatch && isInt(b.size, 1, 65536) && b.bytes.length === b.size * b.slotBytes, `a batch of ${b?.size}`);
  expect(e.allowed.some((r) => inRange([b.offset, b.offset + b.size * b.slotBytes], r)), "a batch lies in its consumer's table");
  w.lastBatch = { batch: b, consumer: e.consumer };
}
consumerOp("consumer.next", [], (_w, e) => withCloser(e, (c) => c.next()), checkBatch, 6, true);
const handlerArb = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom("close", "throw", "async", "count") },
  { weight: 1, arbitrary: hostile.map((v) => ({ v })) },
);
consumerOp("consumer.run", [handlerArb], (w, e, kind) => withCloser(e, (c) => c.run(typeof kind === "object" ? (kind as { v: never }).v : (batch) => {
  checkBatch(w, e, batch);
  if (kind === "close") c.close();
  else if (kind === "throw") throw new Sentinel();
  else if (kind === "async") return new Promise<void>((resolve) => setTimeout(resolve, 1));
})), undefined, 2, true);
consumerOp("consumer for await", [], (w, e) => withCloser(e, async (c) => {
  for await (const batch of c) {
    checkBatch(w, e, batch);
    break;
  }
}), undefined, 2, true);
consumerOp("consumer.close", [], (_w, e) => {
  e.closed = true;
  return e.consumer.close();
}, undefined, 1);
consumerOp("consumer.stats", [], (_w, e) => e.consumer.stats(), (_w, _e, s) => {
  for (const [k, v] of Object.entries(s)) expect(typeof v === "number" && Number.isFinite(v) && v >= 0, `stats.${k} = ${v}`);
});
consumerOp("consumer.batchSize", [], (_w, e) => e.consumer.batchSize, (_w, _e, n) => expect(isInt(n, 1, 65536), `batchSize ${n}`));

const batchOp = (name: string, args: fc.Arbitrary<unknown>[], run: (b: TickBatch, ...a: any[]) => unknown, spec: { valid?: (b: TickBatch, a: any[]) => boolean; check?: (b: TickBatch, r: any, a: any[]) => void } = {}) =>
  op(name, args, {
    weight: 2,
    run: (w, c, ...a) => {
      if (!w.lastBatch) return;
      c.b = w.lastBatch.batch;
      return run(w.lastBatch.batch, ...a);
    },
    valid: (_w, c, a) => (c.b ? spec.valid?.(c.b as TickBatch, a) : undefined),
    check: (_w, c, r, a) => c.b && spec.check?.(c.b as TickBatch, r, a),
  });
batchOp("batch.at", [fc.oneof({ weight: 5, arbitrary: fc.integer({ min: -1, max: 70 }) }, { weight: 2, arbitrary: hostile })], (b, i) => b.at(i), {
  valid: (b, [i]) => isIdx(i, b.size),
  check: (b, v, [i]) => expect(v.offset === b.offset + i * b.slotBytes, "at(i) points at slot i"),
});
batchOp("batch iterate", [], (b) => [...b].length, { check: (b, n) => expect(n === b.size, "iterates size ticks") });
batchOp("batch.bytes", [], (b) => b.bytes, { check: (b, u8) => expect(u8.length === b.size * b.slotBytes, "bytes") });
batchOp("batch.instrument", [fc.oneof(fc.integer({ min: -1, max: 70 }), hostile)], (b, id) => b.instrument(id), {
  check: (_b, r) => expect(r === undefined || (typeof r.exchange === "string" && typeof r.symbol === "string"), "instrument"),
});
batchOp("batch.ticks", [], (b) => b.ticks(), { check: (b, t) => expect(Array.isArray(t) && t.length <= b.size, "ticks") });

// ───────────────────────────── running a sequence ─────────────────────────────

interface Call {
  readonly op: Op;
  readonly args: unknown[];
}
const callArb: fc.Arbitrary<Call> = fc.oneof(...ops.map((o) => ({ weight: o.weight ?? 1, arbitrary: o.args.map((args) => ({ op: o, args })) })))
  .map((c) => Object.assign(c, { [fc.toStringMethod]: () => `${c.op.name}(${c.args.map((a) => fc.stringify(a)).join(", ")})` }));

const outcomes = new Map<string, Map<string, number>>();
const examples = new Map<string, string>();

function timeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([p, new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(`hang: ${what} not settled after ${ms} ms`)), ms)))])
    .finally(() => clearTimeout(timer));
}

/** A short rendering of a result (fc.stringify of a structure would print the whole memory). */
function brief(v: unknown): string {
  if (typeof v !== "object" || v === null) return fc.stringify(v);
  const name = (v as object).constructor?.name;
  return name && name !== "Object" && name !== "Array" ? `a ${name}` : fc.stringify(v).slice(0, 300);
}

async function exec(w: World, call: Call): Promise<void> {
  const { op: o } = call;
  const describeCall = () => `${o.name}(${call.args.map((a) => fc.stringify(a)).join(", ")})`;
  const c: Ctx = { newRange: [0, 0] };
  const before = w.nextFree();
  const args = call.args.map((a) => materialize(w, a));
  let result: unknown;
  let error: unknown;
  let threw = false;
  const t0 = performance.now();
  try {
    result = o.run(w, c, ...args);
    if (result instanceof Promise) result = await timeout(result, HANG_MS, describeCall());
  } catch (e) {
    threw = true;
    error = e;
  }
  const ms = performance.now() - t0;
  c.newRange = [before, w.nextFree()];
  const outcome = !threw ? (c.skipped ? "skipped" : result === null ? "ok null" : "ok") : error instanceof TickwireError ? error.code : error instanceof Sentinel ? "sentinel" : `!${(error as Error)?.constructor?.name}`;
  let m = outcomes.get(o.name);
  if (!m) outcomes.set(o.name, (m = new Map()));
  m.set(outcome, (m.get(outcome) ?? 0) + 1);
  if (STATS && threw && !examples.has(`${o.name} ${(error as Error)?.message}`.slice(0, 90))) examples.set(`${o.name} ${(error as Error)?.message}`.slice(0, 90), `${o.name}: ${(error as Error)?.message}`);
  // 2. no hang
  if (ms > HANG_MS) throw new Error(`${describeCall()}: took ${ms.toFixed(0)} ms`);
  // 1. a result or a TickwireError
  if (threw) {
    if (error instanceof TickwireError) {
      if (!CODES.has(error.code)) throw new Error(`${describeCall()}: TickwireError with unknown code ${String(error.code)}`);
    } else if (!(o.sentinel && error instanceof Sentinel)) {
      const e = error as Error;
      throw new Error(`${describeCall()}: threw ${e?.constructor?.name ?? typeof e}: ${e?.message}\n${e?.stack?.split("\n").slice(1, 6).join("\n")}`);
    }
  }
  const valid = o.valid?.(w, c, args);
  if (valid === true && threw && error instanceof TickwireError && REFUSALS.has(error.code)) throw new Error(`${describeCall()}: refused valid arguments: ${error.message}`);
  if (valid === false && !threw) throw new Error(`${describeCall()}: accepted invalid arguments (returned ${brief(result)})`);
  if (!threw) {
    try {
      o.check?.(w, c, result, args);
    } catch (e) {
      throw new Error(`${describeCall()}: ${(e as Error).message}`);
    }
  } else if (!KNOWN.openLeaks && c.traces !== undefined && traces(w) !== c.traces) {
    throw new Error(`${describeCall()}: refused, but left ring readers joined or a thread gauge claimed: ${c.traces} → ${traces(w)}`);
  }
  // 3. nothing written outside what the call may change
  const allowed: Range[] = [...(o.writes?.(w, c, args, threw) ?? []), c.newRange, [w.mem.base + 8, w.mem.base + 12], ...w.background()];
  w.sync(allowed, describeCall);
  // Invariant: a table's activeBlock counts its ACTIVE block slots.
  for (const t of w.realTables) {
    let n = 0;
    for (let s = 0; s < t.slots; s++) if (t.state(s) === ConsumerState.ACTIVE && t.policy(s) === "block") n++;
    if (t.activeBlock !== n) throw new Error(`${describeCall()}: the table at ${t.offset} has activeBlock ${t.activeBlock} with ${n} ACTIVE block slots`);
  }
}

// Unhandled rejections (a promise nobody caught) fail the run.
const unhandled: unknown[] = [];
process.on("unhandledRejection", (reason) => void unhandled.push(reason));

test("fuzz: consumer table, gate, consumers, thread gauges, histograms, metrics: hostile calls give a result or a TickwireError, never hang, never write outside what they may", async () => {
  const t0 = performance.now();
  const { sequences, calls } = await runSequences(callArb, () => World.create(), exec, { seed: SEED, runs: RUNS });
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(unhandled.map(String), [], "no unhandled rejections");
  assertEveryEntryPoint(ops.map((o) => o.name), outcomes);
  if (STATS) for (const [n, o] of outcomes) console.log(`  ${n}: ${[...o].map(([k, v]) => `${k} ${v}`).join(", ")}`);
  if (process.env.TICKWIRE_FUZZ_STATS_MESSAGES === "1") for (const m of examples.values()) console.log(`    ${m}`);
  console.log(`fuzz-consumers: ${calls} calls in ${sequences} sequences, ${batchesSeen} batches handed over (${RUNS} runs), ${ops.length} entry points, ${((performance.now() - t0) / 1000).toFixed(1)} s (seed ${SEED})`);
});

// ───────────────────────────── the system level ─────────────────────────────

/** An instrument of the simulated feed's universe (the k-th), made when the call runs. */
class Instrument extends Maker {
  constructor(readonly k: number) { super(); }
  make(w: World | SystemWorld): unknown {
    const row = (w as SystemWorld).universe[this.k]!;
    return { exchange: row.exchange, symbol: row.symbol };
  }
  [fc.toStringMethod](): string {
    return `<instrument ${this.k}>`;
  }
}
interface SystemWorld { universe: readonly { exchange: string; symbol: string }[] }
const instrumentEntryArb = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0, max: 9 }).map((k) => new Instrument(k)) },
  { weight: 1, arbitrary: fc.constantFrom({ exchange: "NSE", symbol: "NO_SUCH" }, { exchange: "XXX", symbol: "RELIANCE" }, { exchange: "NSE" }, {}) },
  { weight: 1, arbitrary: fc.record({ exchange: anyValue, symbol: anyValue }) },
  ...(KNOWN.createConsumerNullInstrument ? [] : [{ weight: 1, arbitrary: hostile }]),
);
const consumerConfigArb = fc.oneof(
  { weight: 4, arbitrary: fc.record({
    instruments: fc.oneof(fc.constant("all"), fc.array(fc.integer({ min: 0, max: 9 }).map((k) => new Instrument(k)), { maxLength: 3 })),
    mode: fc.constantFrom(1, 2, 3, undefined), policy: fc.constantFrom("block", "conflate", "drop-oldest", undefined),
    detachAfterMs: fc.constantFrom(undefined, 1, 50, 3_600_000), name: fc.oneof(fc.constant(undefined), fc.string({ minLength: 1, maxLength: 64 })),
  }, { requiredKeys: ["instruments"] }) },
  { weight: 6, arbitrary: fc.record({
    instruments: fc.oneof({ weight: 3, arbitrary: fc.constant("all") }, { weight: 4, arbitrary: fc.array(instrumentEntryArb, { maxLength: 3 }) }, { weight: 1, arbitrary: fc.constantFrom("ALL", "", {}, null) }),
    mode: fc.oneof({ weight: 4, arbitrary: fc.constantFrom(1, 2, 3, undefined) }, { weight: 1, arbitrary: hostile }),
    policy: fc.oneof({ weight: 4, arbitrary: fc.constantFrom("block", "conflate", "drop-oldest", undefined) }, { weight: 1, arbitrary: fc.constantFrom("latest", "toString") }, { weight: 1, arbitrary: hostile }),
    detachAfterMs: fc.oneof({ weight: 4, arbitrary: fc.constantFrom(undefined, 1, 50, 3_600_000) }, { weight: 1, arbitrary: hostile }),
    name: fc.oneof({ weight: 4, arbitrary: fc.oneof(fc.constant(undefined), fc.string({ minLength: 1, maxLength: 64 })) }, { weight: 1, arbitrary: fc.constantFrom("", "x".repeat(65)) }, { weight: 1, arbitrary: hostile }),
  }, { requiredKeys: ["instruments"] }) },
  { weight: 1, arbitrary: fc.constantFrom(new Getter("instruments"), new Getter("mode", { instruments: "all" }), new Getter("name", { instruments: "all" })) },
  { weight: 1, arbitrary: anyValue },
);

test("fuzz: createConsumer / openConsumer on a running system: hostile configs give a handle or an ARGUMENT/HANDLE TickwireError, never a TypeError or a hang; the system still serves a consumer afterwards", async () => {
  const t0 = performance.now();
  const system = await createSystem({ feed: { broker: "simulated", instruments: 50, ticksPerSecond: 1000 }, processor: { workers: 1, maxSymbols: 1024 }, proxy: false });
  await system.start();
  const seen = new Map<string, number>();
  try {
    const sw: SystemWorld = { universe: (system.feed as SimulatedAdapter).universe };
    const mem = system.parallelProcessor!.mem;
    const freeBefore = mem.bytesFree;
    const note = (k: string): void => void seen.set(k, (seen.get(k) ?? 0) + 1);
    await fc.assert(
      fc.asyncProperty(fc.constantFrom("create", "open"), consumerConfigArb, consumerOptionsArb.filter(shortWaits), async (how, configMaker, optionsMaker) => {
        const config = materialize(sw as unknown as World, configMaker);
        const options = materialize(sw as unknown as World, optionsMaker);
        const what = () => `${how}Consumer(${fc.stringify(configMaker)}${how === "open" ? `, ${fc.stringify(optionsMaker)}` : ""})`;
        let made: ConsumerHandle | Consumer | undefined;
        try {
          made = await timeout(how === "create" ? system.createConsumer(config as never) : system.openConsumer(config as never, options as never), HANG_MS, what());
        } catch (e) {
          if (e instanceof Sentinel) return note("sentinel");
          if (!(e instanceof TickwireError) || !["ARGUMENT", "HANDLE"].includes(e.code)) {
            throw new Error(`${what()}: threw ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}\n${(e as Error)?.stack?.split("\n").slice(1, 5).join("\n")}`);
          }
          if (process.env.TICKWIRE_FUZZ_STATS_MESSAGES === "1") console.log(`    ${what()}: ${e.message}`);
          return note(e.code);
        }
        note(`${how} ok`);
        if (made instanceof Consumer) return made.close();
        // A handle: plain data naming the system's structures; it opens once, and is closed (its slot comes back).
        const h = made as ConsumerHandle;
        expect(typeof h.slot === "number" && h.rings.length > 0 && (h.filter === null || h.filter.every((id) => isInt(id, 0, 1023))), `${what()}: the handle ${fc.stringify({ ...h, memory: undefined })}`);
        structuredClone({ ...h, memory: undefined });
        Consumer.open(mem, h).close();
      }),
      { seed: SEED, numRuns: SYSTEM_RUNS, includeErrorInReport: true },
    );
    // No slot was kept by a refused config: every one of them opens at once.
    const all = [];
    for (let i = 0; i < 8; i++) all.push(await system.openConsumer({ instruments: "all", policy: "drop-oldest" }));
    for (const c of all) c.close();
    // Still serving: a valid consumer of real instruments opens and gets ticks.
    const instruments = sw.universe.slice(0, 3).map((r) => ({ exchange: r.exchange, symbol: r.symbol }));
    const consumer = await system.openConsumer({ instruments, mode: 2, policy: "conflate", name: "after the fuzz" }, { idleWaitMs: 5 });
    try {
      const closer = setTimeout(() => consumer.close(), 10_000);
      const batch = await consumer.next();
      clearTimeout(closer);
      assert.ok(batch !== null && batch.size > 0, "ticks reach a consumer after the fuzz");
      for (const t of batch!.ticks()) assert.ok(instruments.some((i) => i.symbol === t.symbol), `only its instruments (${t.symbol})`);
    } finally {
      consumer.close();
    }
    if (STATS) console.log(`  ${[...seen].map(([k, v]) => `${k} ${v}`).join(", ")}; memory taken by ${SYSTEM_RUNS} consumers made and closed: ${freeBefore - mem.bytesFree} bytes`);
  } finally {
    await system.stop();
  }
  assert.ok((seen.get("create ok") ?? 0) > 0 && (seen.get("open ok") ?? 0) > 0, "some configs were good");
  console.log(`fuzz-consumers (system): ${SYSTEM_RUNS} configs, ${((performance.now() - t0) / 1000).toFixed(1)} s`);
});


// ───────────────────────────── regression tests ─────────────────────────────
// The bugs this fuzzer found, one test each. Fixed: consumer-table.ts, gate.ts, threads.ts, metrics.ts.

/** Runs `fn` on a fresh world, expecting a TickwireError `code` and no byte of the memory changed. */
async function refusedUntouched(what: string, code: TickwireErrorCode, fn: (w: World) => unknown): Promise<void> {
  const w = await World.create();
  try {
    let error: unknown;
    try {
      fn(w);
    } catch (e) {
      error = e;
    }
    assert.ok(error instanceof TickwireError, `${what}: ${error === undefined ? "accepted" : `threw ${(error as Error)?.constructor?.name}: ${(error as Error)?.message}`}`);
    assert.is((error as TickwireError).code, code, `${what}: ${(error as Error).message}`);
    w.sync([], () => what);
  } finally {
    await w.dispose();
  }
}

test("fuzz regression: a consumer table's slot and ring out of range, or not integers, are refused: the gates, counts and holdingSince of slot 3 of 3 lay in the next structure, of slot NaN in the module's static data", async () => {
  for (const [what, fn] of [
    ["setGate(3, 0, 1)", (w: World) => w.table.setGate(3, 0, 1)],
    ["setGate(0, 2, 1)", (w: World) => w.table.setGate(0, 2, 1)],
    ["setGate(0, 0, NaN) (a RangeError from BigInt)", (w: World) => w.table.setGate(0, 0, NaN)],
    ["setGate(0, 0, 0.5)", (w: World) => w.table.setGate(0, 0, 0.5)],
    ["setStat(NaN, delivered, 1)", (w: World) => w.table.setStat(NaN, "delivered", 1)],
    ["setStat(-1, delivered, 1)", (w: World) => w.table.setStat(-1, "delivered", 1)],
    ["setStat(0, toString, 1)", (w: World) => w.table.setStat(0, "toString" as "delivered", 1)],
    ["setStat(0, delivered, evil)", (w: World) => w.table.setStat(0, "delivered", evil as unknown as number)],
    ["setHoldingSince(0, -1, 5)", (w: World) => w.table.setHoldingSince(0, -1, 5)],
    ["setHoldingSince(0, 0, NaN)", (w: World) => w.table.setHoldingSince(0, 0, NaN)],
    ["gate(0, 2)", (w: World) => w.table.gate(0, 2)],
    ["stat(3, delivered)", (w: World) => w.table.stat(3, "delivered")],
    ["stat(0, evil) (its toString ran)", (w: World) => w.table.stat(0, evil as unknown as "delivered")],
    ["holdingSince(1.5, 0)", (w: World) => w.table.holdingSince(1.5, 0)],
    ["policy(3)", (w: World) => w.table.policy(3)],
    ["detachAfterMs(-1)", (w: World) => w.table.detachAfterMs(-1)],
    ["areas(NaN)", (w: World) => w.table.areas(NaN)],
    ["slotOffset(3)", (w: World) => w.table.slotOffset(3)],
    ["transition(0, 2, 9)", (w: World) => w.table.transition(0, 2, 9)],
    ["reserve(toString, 5)", (w: World) => w.table.reserve("toString" as "block", 5)],
    ["reserve(block, NaN) (a writer would never detach it)", (w: World) => w.table.reserve("block", NaN)],
  ] as const) await refusedUntouched(`ConsumerTable.${what}`, "ARGUMENT", fn);
});

test("fuzz regression: transition(s, ACTIVE, ACTIVE) of a block slot leaves activeBlock as it was (it counted one more block consumer each time)", async () => {
  const w = await World.create();
  try {
    assert.is(w.table.activeBlock, 1, "the world's block consumer");
    assert.ok(w.table.transition(0, ConsumerState.ACTIVE, ConsumerState.ACTIVE));
    assert.is(w.table.activeBlock, 1);
    assert.ok(w.table.transition(0, ConsumerState.ACTIVE, ConsumerState.DETACHED));
    assert.is(w.table.activeBlock, 0);
  } finally {
    await w.dispose();
  }
});

test("fuzz regression: ConsumerTable.attach and ThreadGauges.attach refuse a header create never writes, or one laid out in memory the caller owns that runs past it (its slots would be other structures)", async () => {
  const w = await World.create();
  try {
    const forge = (slots: number, rings: number, queueBytes: number, slotBytes?: number) => {
      const h = w.user >>> 2;
      const align = (n: number, a: number) => Math.ceil(n / a) * a;
      w.mem.u32.fill(0, h, h + 32);
      Object.assign(w.mem.u32, { [h + 1]: slots, [h + 2]: rings, [h + 3]: slotBytes ?? align(align(SLOT_GATES + rings * 16, 128) + rings * 128 + rings * READER_COPY_BYTES + queueBytes, 128), [h + 4]: queueBytes, [h]: CONSUMER_TABLE_MAGIC });
    };
    forge(1, 2 ** 31, 4096, 0); // gates of ring r at slot + 128 + 8r: anywhere
    throwsHandle(() => ConsumerTable.attach(w.mem, w.user));
    forge(3, 1, 1 << 20); // consistent, but 3 MiB long in a region of 256 KiB
    throwsHandle(() => ConsumerTable.attach(w.mem, w.user));
    forge(1, 1, 4096); // consistent and inside U: the caller's own table
    const t = ConsumerTable.attach(w.mem, w.user);
    assert.equal([t.slots, t.rings], [1, 1]);
    const g = w.user + FORGED_GAUGES;
    w.mem.u32[(g + 4) >>> 2] = 2 ** 32 - 1; // read() walked 4 billion slots off the memory's end
    w.mem.u32[g >>> 2] = 0x47524854;
    throwsHandle(() => ThreadGauges.attach(w.mem, g));
    w.mem.u32[(g + 4) >>> 2] = 4096; // 256 KiB of slots from U + 128 KiB: past U
    throwsHandle(() => ThreadGauges.attach(w.mem, g));
    w.mem.u32[(g + 4) >>> 2] = 8;
    assert.is(ThreadGauges.attach(w.mem, g).slots, 8);
  } finally {
    await w.dispose();
  }
  function throwsHandle(fn: () => unknown): void {
    try {
      fn();
    } catch (e) {
      assert.instance(e, TickwireError);
      assert.is((e as TickwireError).code, "HANDLE");
      return;
    }
    assert.unreachable("attached");
  }
});

test("fuzz regression: thread gauges refuse a slot out of range (beat and report with slot NaN wrote the module's static data), options that are not an object, and probes on what is not theirs", async () => {
  for (const [what, fn] of [
    ["beat(NaN)", (w: World) => w.metrics.threads.beat(NaN)],
    ["beat(4)", (w: World) => w.metrics.threads.beat(GAUGE_SLOTS)],
    ["beat(0, evil)", (w: World) => w.metrics.threads.beat(0, evil as unknown as number)],
    ["report(-1, 0, 0)", (w: World) => w.metrics.threads.report(-1, 0, 0)],
    ["report(0, NaN, 0)", (w: World) => w.metrics.threads.report(0, NaN, 0)],
    ["claim(main, x, null) (a TypeError)", (w: World) => w.metrics.threads.claim("main", "x", null as never)],
    ["new LoopDelayProbe(gauges, 4) (its timer wrote past the gauges)", (w: World) => new LoopDelayProbe(w.metrics.threads, GAUGE_SLOTS)],
    ["new LoopDelayProbe({}, 0) (its timer threw a TypeError, uncaught)", () => new LoopDelayProbe({} as ThreadGauges, 0)],
    ["new StepProbe(gauges, NaN)", (w: World) => new StepProbe(w.metrics.threads, NaN)],
  ] as const) await refusedUntouched(`ThreadGauges ${what}`, "ARGUMENT", fn);
});

test("fuzz regression: bytesFor refuses what create refuses (it answered NaN or a negative size)", () => {
  for (const fn of [() => ConsumerTable.bytesFor(-1, 1, 4096), () => ConsumerTable.bytesFor(1, 0, 4096), () => ConsumerTable.bytesFor(1, 1, NaN),
    () => ThreadGauges.bytesFor(0), () => ThreadGauges.bytesFor("4" as never), () => SystemMetrics.bytesFor(-3)]) {
    try {
      fn();
      assert.unreachable(`accepted: ${fn}`);
    } catch (e) {
      assert.instance(e, TickwireError, String(fn));
    }
  }
});

test("fuzz regression: FanoutGate checks its table and ring; waitForRoom refuses a NaN tail (it held the writer on every block consumer until stopping() said go), bad bytes and a stopping that is not a function, and returns once stopping() says so", async () => {
  await refusedUntouched("new FanoutGate(table, 2, cap)", "ARGUMENT", (w) => new FanoutGate(w.table, TABLE_RINGS, RING_CAPACITY));
  await refusedUntouched("new FanoutGate({}, 0, cap)", "ARGUMENT", () => new FanoutGate({} as ConsumerTable, 0, RING_CAPACITY));
  await refusedUntouched("new FanoutGate(table, 0, NaN)", "ARGUMENT", (w) => new FanoutGate(w.table, 0, NaN));
  await refusedUntouched("waitForRoom(NaN, 64, stop)", "ARGUMENT", (w) => w.gates[0]!.gate.waitForRoom(NaN, 64, () => true));
  await refusedUntouched("waitForRoom(0, 2 × capacity, stop)", "ARGUMENT", (w) => w.gates[0]!.gate.waitForRoom(0, 2 * RING_CAPACITY, () => true));
  await refusedUntouched("waitForRoom(tail, 64, 5)", "ARGUMENT", (w) => w.gates[0]!.gate.waitForRoom(4 * RING_CAPACITY, 64, 5 as never));
  const w = await World.create();
  try {
    // The world's block consumer (slot 0) has read nothing: a writer far ahead waits on it until stopping() says go
    // (or, on a slow machine, until the consumer's 5 ms without progress detach it).
    let asked = 0;
    const t0 = performance.now();
    w.gates[0]!.gate.waitForRoom(4 * RING_CAPACITY, 64, () => ++asked >= 3);
    assert.ok(asked === 3 || (asked >= 1 && w.table.state(0) === ConsumerState.DETACHED), `asked ${asked} times`);
    assert.ok(performance.now() - t0 < 500);
    assert.is(w.table.holdingSince(0, 0), 0, "holdingSince cleared when the writer goes on");
  } finally {
    await w.dispose();
  }
});

// Bugs in files this test does not own: skipped while KNOWN says so (TICKWIRE_FUZZ_KNOWN=0 runs them).
const known = (flag: boolean) => (flag ? test.skip : test);

known(KNOWN.readerAreasAnywhere)("KNOWN (src/rings/ring.ts): new RingReader(ring, areas) with areas over a symbol table writes its cursor there (areas are checked to be inside the memory, not the caller's or a consumer slot's)", async () => {
  await refusedUntouched("new RingReader(ring, { cursor: in the symbol table, ... })", "REGION", (w) => new RingReader(w.rings[0]!, { cursor: Math.ceil((w.symbols.offset + 64) / 128) * 128, copy: w.user, copyBytes: 4096 }));
});

known(KNOWN.readCountsIntoAnywhere)("KNOWN (src/monitor/histogram.ts): readCounts(into) with `into` a Float64Array over the memory at a symbol table overwrites the table", async () => {
  await refusedUntouched("readCounts(Float64Array over the symbol table)", "REGION", (w) => w.hist.readCounts(new Float64Array(w.mem.buffer, w.symbols.offset, H.HIST_COUNTS_LEN)));
});

known(KNOWN.openLeaks)("KNOWN (src/fanout/consumer.ts): a Consumer.open refused after it joined the rings and claimed a thread gauge (more rings than its table) leaves both taken, with a probe timer running", async () => {
  const w = await World.create();
  try {
    const before = traces(w);
    const slot = w.table.reserve("conflate", 20);
    const handle = { ...new HandleRecipe(null, 1, null, true, "none", 0).make(w, slot, "conflate"), rings: [...w.rings, w.rings[0]!].map((r) => r.handle) };
    assert.throws(() => Consumer.open(w.mem, handle));
    assert.is(traces(w), before, "ring readers joined and thread gauges claimed, after the refusal");
  } finally {
    await w.dispose();
  }
});

known(KNOWN.openPolicyMismatch)("KNOWN (src/fanout/consumer.ts): Consumer.open takes handle.policy without comparing it with its slot's (a slot reserved conflate opens as block: the writers never wait for it)", async () => {
  const w = await World.create();
  try {
    const slot = w.table.reserve("conflate", 20);
    const handle = new HandleRecipe(null, 1, null, false, "none", 0).make(w, slot, "block");
    let consumer: Consumer | undefined;
    try {
      consumer = Consumer.open(w.mem, handle);
    } catch (e) {
      assert.instance(e, TickwireError);
      return;
    }
    assert.is(consumer.policy, w.table.policy(slot), "the consumer's policy is its slot's");
  } finally {
    await w.dispose();
  }
});

known(KNOWN.paddingVersion)("KNOWN (src/fanout/consumer.ts): a Quote consumer with metrics given an LTP record pads its queue slot with a padding record whose version byte is not set, and next() throws VERSION (from the latency histogram) — in a system, whenever an instrument is also subscribed in LTP mode", async () => {
  const w = await World.create();
  try {
    const slot = w.table.reserve("drop-oldest", 20);
    const consumer = Consumer.open(w.mem, new HandleRecipe(null, 2, null, true, "none", 0).make(w, slot, "drop-oldest"), { idleWaitMs: 5 });
    w.publish(0, [0, 1], 1);
    const closer = setTimeout(() => consumer.close(), 1000);
    const batch = await consumer.next();
    clearTimeout(closer);
    assert.ok(batch !== null && batch.size > 0);
    consumer.close();
  } finally {
    await w.dispose();
  }
});

known(KNOWN.openScratchLeak)("KNOWN (src/fanout/consumer.ts): every Consumer.open, refused ones included, reserves 640 bytes of scratch (SymbolTable.attach, LastValueCache.attach) that never come back: a system opening consumers again and again runs out of memory", async () => {
  const w = await World.create();
  try {
    const slot = w.table.reserve("drop-oldest", 20);
    const handle = new HandleRecipe(null, 1, null, false, "none", 0).make(w, slot, "drop-oldest");
    const free = w.mem.bytesFree;
    for (let i = 0; i < 10; i++) {
      Consumer.open(w.mem, handle).close();
      w.table.transition(slot, ConsumerState.CLOSED, ConsumerState.FREE);
      assert.is(w.table.reserve("drop-oldest", 20), slot);
    }
    assert.is(free - w.mem.bytesFree, 0, "bytes taken by ten opens of one slot");
  } finally {
    await w.dispose();
  }
});

known(KNOWN.histogramCreateLeak)("KNOWN (src/monitor/histogram.ts): LatencyHistogram.create refuses a bad singleWriter only after it reserved and laid out 221 KB (each refused call loses them)", async () => {
  const w = await World.create();
  try {
    const free = w.mem.bytesFree;
    assert.throws(() => LatencyHistogram.create(w.mem, { singleWriter: "yes" as never }));
    assert.is(free - w.mem.bytesFree, 0, "bytes taken by a refused create");
  } finally {
    await w.dispose();
  }
});

known(KNOWN.createConsumerNullInstrument)("KNOWN (src/system/system.ts): createConsumer({ instruments: [null] }) throws a TypeError (i.exchange of null), not ARGUMENT", async () => {
  const system = await createSystem({ feed: { broker: "simulated", instruments: 50, ticksPerSecond: 1000 }, processor: { workers: 1, maxSymbols: 1024 }, proxy: false });
  await system.start();
  try {
    for (const entry of [null, 5, "NSE:RELIANCE"]) {
      try {
        await system.createConsumer({ instruments: [entry as never] });
        assert.unreachable("accepted");
      } catch (e) {
        assert.instance(e, TickwireError, `${String(entry)}: ${(e as Error).message}`);
      }
    }
  } finally {
    await system.stop();
  }
});

test.run();
