// Partition benchmark (issue 5, item 7): tickwire's SymbolPartitioner against npm
// `hashring` (ketama, the de-facto ring) and `consistent-hash`, side by side in one
// run, over 50 000 real-looking NSE/NFO symbol keys (test/helpers/nse-symbols.ts).
//
//   node --import tsx bench/partition.ts
//   PARTITION_BENCH_ROUNDS=3 node --import tsx bench/partition.ts      (quicker)
//
// Tables (also written to bench/results/partition.json):
//   1. lookup speed: ns per lookup cycling over all 50 000 keys in a shuffled order
//      - tickwire partitionBatch: records (64-byte LTP) partitioned 4 096 per Wasm
//        call; each record's hash is read from the symbol table by its symbolId
//      - tickwire partitionOfId: one Wasm call per symbol id
//      - tickwire partitionOf: one call per (exchange, symbol) string: UTF-8 encode +
//        XXH64 in Wasm + slot lookup
//      - hashring.get / consistent-hash get: one call per "EXCHANGE:symbol" string
//   2. balance (max/mean and min/mean keys over 16 partitions), share of keys moved
//      on 16 → 17 (ideal 1/17) and on removing partition 5 of 16 (ideal 1/16), for the
//      three libraries and for the algorithms considered (jump hash, rendezvous,
//      Maglev; bench/lib/consistent-algorithms.ts), all fed the same key hashes
//   3. tickwire's slot count: balance and movement at 2^10..2^16 slots
//   4. the last-value cache next to it: apply (batch merge under the slot's sequence
//      lock) and reads (one symbol, or every symbol as one snapshot batch), ns/record
//   5. the parallel processor's end-to-end throughput (bench/lib/processor-throughput.ts),
//      for the worker counts of --workers 1,2,4 (default 1,2)
//
// Method: each speed figure is the median over ROUNDS rounds (variants alternate
// within a round) of the time for one full pass over the 50 000 keys / 50 000.
// Lookup results are checked against each other before timing.
import HashRing from "hashring";
import ConsistentHash from "consistent-hash";
import * as L from "../src/format/layout.js";
import { TickwireMemory } from "../src/memory/shared-memory.js";
import { SymbolTable } from "../src/memory/symbol-table.js";
import { TickView, Kind } from "../src/format/record.js";
import { SymbolPartitioner } from "../src/partition/symbol-partitioner.js";
import { LastValueCache } from "../src/cache/last-value-cache.js";
import { nseSymbolKeys, type SymbolKey } from "../test/helpers/nse-symbols.js";
import { JumpHash, Maglev, Rendezvous, type Placement } from "./lib/consistent-algorithms.js";
import { report, fmt, ratio, median, type ResultTable } from "./lib/report.js";
import { processorTables as endToEnd } from "./lib/processor-throughput.js";

const KEYS = 50_000;
const PARTITIONS = 16;
const BATCH = 4096;
const ROUNDS = Number(process.env.PARTITION_BENCH_ROUNDS ?? 7);

// ─── data ──────────────────────────────────────────────────────────────────────
const keys: SymbolKey[] = nseSymbolKeys(KEYS);
const keyStrings = keys.map((k) => `${k.exchange}:${k.symbol}`);
const mem = await TickwireMemory.create({ bytes: 1 << 27 });
const symbols = SymbolTable.create(mem, 65_536);
const ids = keys.map((k) => symbols.intern(k.exchange, k.symbol));
const nodes = Array.from({ length: PARTITIONS }, (_, i) => `worker-${i}`);

// A shuffled visiting order, the same for every variant (xorshift, fixed seed).
let seed = 0x2545f491;
function rand(): number {
  seed ^= seed << 13; seed >>>= 0;
  seed ^= seed >>> 17;
  seed ^= seed << 5; seed >>>= 0;
  return seed / 4294967296;
}
const order = Array.from({ length: KEYS }, (_, i) => i);
for (let i = order.length - 1; i > 0; i--) {
  const j = Math.floor(rand() * (i + 1));
  [order[i], order[j]] = [order[j]!, order[i]!];
}
const orderedIds = order.map((i) => ids[i]!);
const orderedStrings = order.map((i) => keyStrings[i]!);
const orderedKeys = order.map((i) => keys[i]!);

// One LTP record per key, in the shuffled order: 50 000 × 64 bytes.
const records = mem.allocate(KEYS * L.LTP_BYTES);
const view = new TickView(mem.buffer);
orderedKeys.forEach((k, i) => {
  view.wrap(records + i * L.LTP_BYTES).init(Kind.LTP);
  view.setSymbol(symbols.get(orderedIds[i]!));
});
const out = mem.allocate(BATCH * 2, 64);
const outView = new Uint16Array(mem.buffer, out, BATCH);

// ─── the implementations ───────────────────────────────────────────────────────
const tickwire = SymbolPartitioner.create(mem, { partitions: PARTITIONS, symbols });
const hashring = new HashRing(nodes);
const chash = new ConsistentHash({ distribution: "uniform" });
for (const n of nodes) chash.add(n);

let sink = 0;
const variants: Record<string, () => void> = {
  "tickwire partitionBatch (Wasm, 4 096 records a call)": () => {
    for (let i = 0; i < KEYS; i += BATCH) {
      const n = Math.min(BATCH, KEYS - i);
      sink += tickwire.partitionBatch(records + i * L.LTP_BYTES, n * L.LTP_BYTES, out, BATCH);
      sink += outView[0]!;
    }
  },
  "tickwire partitionOfId (a Wasm call per id)": () => {
    for (let i = 0; i < KEYS; i++) sink += tickwire.partitionOfId(orderedIds[i]!);
  },
  "tickwire partitionOf (a call per string key)": () => {
    for (let i = 0; i < KEYS; i++) sink += tickwire.partitionOf(orderedKeys[i]!.exchange, orderedKeys[i]!.symbol);
  },
  "hashring get (ketama, md5)": () => {
    for (let i = 0; i < KEYS; i++) sink += hashring.get(orderedStrings[i]!).length;
  },
  "consistent-hash get": () => {
    for (let i = 0; i < KEYS; i++) sink += (chash.get(orderedStrings[i]!) as string).length;
  },
};

// ─── checks before timing ──────────────────────────────────────────────────────
{
  const p = tickwire.partitionBatch(records, BATCH * L.LTP_BYTES, out, BATCH);
  for (let i = 0; i < p; i++) {
    const byId = tickwire.partitionOfId(orderedIds[i]!);
    if (outView[i] !== byId || tickwire.partitionOf(orderedKeys[i]!.exchange, orderedKeys[i]!.symbol) !== byId) {
      throw new Error(`lookup paths disagree on ${orderedStrings[i]}`);
    }
  }
}

// ─── 1. speed ──────────────────────────────────────────────────────────────────
function speedTable(): ResultTable {
  const samples: Record<string, number[]> = {};
  for (const name of Object.keys(variants)) {
    variants[name]!(); // warm up
    samples[name] = [];
  }
  for (let r = 0; r < ROUNDS; r++) {
    for (const [name, run] of Object.entries(variants)) {
      const t0 = process.hrtime.bigint();
      run();
      samples[name]!.push(Number(process.hrtime.bigint() - t0) / KEYS);
    }
  }
  const ns = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)]));
  const base = ns["hashring get (ketama, md5)"]!;
  return {
    title: `Partition lookup: ${fmt(KEYS)} NSE/NFO keys over ${PARTITIONS} partitions, shuffled order`,
    columns: ["implementation", "ns / lookup", "lookups / s", "vs hashring"],
    rows: Object.entries(ns).map(([name, v]) => [name, v, 1e9 / v, ratio(base / v)]),
    note: `Median of ${ROUNDS} full passes over the keys. partitionBatch reads each record's hash32 from the symbol table by symbolId (no rehash); the string paths hash every call.`,
  };
}

// ─── 2. balance and movement ───────────────────────────────────────────────────
interface Quality { name: string; maxMean: number; minMean: number; moved17: number; movedRemove: number; weights: string }

function loads(owner: (i: number) => string): Map<string, number> {
  const counts = new Map<string, number>();
  for (let i = 0; i < KEYS; i++) {
    const o = owner(i);
    counts.set(o, (counts.get(o) ?? 0) + 1);
  }
  return counts;
}

function quality(name: string, weights: string, make: (nodes: string[]) => (i: number) => string, remove?: (nodes: string[]) => (i: number) => string): Quality {
  const at16 = make(nodes);
  const before = Array.from({ length: KEYS }, (_, i) => at16(i));
  const counts = [...loads((i) => before[i]!).values()];
  while (counts.length < PARTITIONS) counts.push(0);
  const mean = KEYS / PARTITIONS;
  const at17 = make([...nodes, `worker-${PARTITIONS}`]);
  let moved17 = 0;
  for (let i = 0; i < KEYS; i++) if (at17(i) !== before[i]) moved17++;
  const without = (remove ?? ((n: string[]) => make(n.filter((x) => x !== "worker-5"))))(nodes);
  let movedRemove = 0;
  for (let i = 0; i < KEYS; i++) if (without(i) !== before[i]) movedRemove++;
  return { name, weights, maxMean: Math.max(...counts) / mean, minMean: Math.min(...counts) / mean, moved17: moved17 / KEYS, movedRemove: movedRemove / KEYS };
}

function hashOf(i: number): number {
  return tickwire.hashOf(keys[i]!.exchange, keys[i]!.symbol);
}
const hashes = Array.from({ length: KEYS }, (_, i) => hashOf(i));

let balanceMoved = 0;
function tickwireQuality(slotBits?: number, balanced = false): Quality {
  // One partitioner changed step by step, as a live system would: 16 → 17 → back to 16 → remove 5.
  const p = SymbolPartitioner.create(mem, { partitions: PARTITIONS, symbols, ...(slotBits ? { slotBits } : {}) });
  if (balanced) balanceMoved = p.balance().movedLoadShare;
  const before = ids.map((id) => p.partitionOfId(id));
  const counts = new Array<number>(PARTITIONS).fill(0);
  for (const x of before) counts[x]!++;
  p.addPartition();
  const moved17 = ids.filter((id, i) => p.partitionOfId(id) !== before[i]).length;
  p.removePartition(PARTITIONS);
  const base = ids.map((id) => p.partitionOfId(id));
  p.removePartition(5);
  const movedRemove = ids.filter((id, i) => p.partitionOfId(id) !== base[i]).length;
  const mean = KEYS / PARTITIONS;
  return {
    name: `tickwire (${1 << (slotBits ?? 14)} slots, exact quotas${balanced ? ", then balance()" : ""})`, weights: "yes",
    maxMean: Math.max(...counts) / mean, minMean: Math.min(...counts) / mean, moved17: moved17 / KEYS, movedRemove: movedRemove / KEYS,
  };
}

function qualityTable(): { table: ResultTable; rows: Quality[] } {
  const rows: Quality[] = [
    tickwireQuality(),
    tickwireQuality(undefined, true),
    quality("hashring (ketama: 160 points a node, md5)", "yes", (n) => { const r = new HashRing(n); return (i) => r.get(keyStrings[i]!); }),
    quality("consistent-hash (40 points a node)", "yes", (n) => {
      const r = new ConsistentHash({ distribution: "uniform" });
      for (const x of n) r.add(x);
      return (i) => r.get(keyStrings[i]!) as string;
    }),
    quality("jump hash (JS)", "no", (n) => { const j = new JumpHash(n); return (i) => j.get(hashes[i]!); },
      (n) => { const j = new JumpHash(JumpHash.without(n, "worker-5")); return (i) => j.get(hashes[i]!); }),
    quality("rendezvous / HRW (JS, O(n) a lookup)", "yes", (n) => { const r = new Rendezvous(n); return (i) => r.get(hashes[i]!); }),
    quality("Maglev, M = 65 537 (JS)", "no*", (n) => { const m = new Maglev(n); return (i) => m.get(hashes[i]!); }),
  ];
  const ideal17 = 1 / 17;
  return {
    rows,
    table: {
      title: `Balance and movement: ${fmt(KEYS)} keys over ${PARTITIONS} partitions`,
      columns: ["algorithm", "max/mean", "min/mean", "moved 16→17", "÷ ideal 1/17", "moved, remove 1 of 16", "÷ ideal 1/16", "weights"],
      rows: rows.map((q) => [q.name, q.maxMean.toFixed(3), q.minMean.toFixed(3), q.moved17.toFixed(4), q.moved17 / ideal17 === 0 ? "0" : (q.moved17 / ideal17).toFixed(3),
        q.movedRemove.toFixed(4), (q.movedRemove / (1 / 16)).toFixed(3), q.weights]),
      note: `balance() swapped slots to even out the 50 000 interned symbols, moving ${(balanceMoved * 100).toFixed(2)}% of them; the moves after it are as minimal as without. `
        + "Jump hash, rendezvous and Maglev get the symbol table's hash32 of each key; hashring and consistent-hash hash the \"EXCHANGE:symbol\" string themselves. "
        + "Jump hash removes a middle node by moving the last node into its bucket. *Maglev weights only by skewing table fill.",
    },
  };
}

function slotTable(): ResultTable {
  const rows = [10, 12, 14, 16].map((bits) => {
    const q = tickwireQuality(bits);
    return [`${1 << bits}`, `${fmt((2 << bits) / 1024)} KiB`, q.maxMean.toFixed(3), q.minMean.toFixed(3), q.moved17.toFixed(4), q.movedRemove.toFixed(4)];
  });
  return {
    title: "tickwire: slot count",
    columns: ["slots", "table", "max/mean", "min/mean", "moved 16→17", "moved, remove 1 of 16"],
    rows,
    note: "Quotas are exact to one slot, so what is left of the imbalance is the keys' own multinomial noise (σ ≈ 1.7% of the mean at 3 125 keys a partition): more slots do not buy balance.",
  };
}

// ─── 4. the last-value cache ───────────────────────────────────────────────────
function cacheTable(): ResultTable {
  const cache = LastValueCache.create(mem, { capacity: 65_536 });
  const rows: (string | number)[][] = [];
  const snapshot = mem.allocate(KEYS * L.DEPTH_BYTES, 64);
  // KEYS records of each kind over all 50 000 symbols in the shuffled order (every
  // slot cold), then over a hot set of 1 000 symbols (slots stay in cache).
  for (const symbolsUsed of [KEYS, 1000]) {
    for (const kind of [Kind.LTP, Kind.QUOTE, Kind.DEPTH]) {
      const size = kind === Kind.LTP ? L.LTP_BYTES : kind === Kind.QUOTE ? L.QUOTE_BYTES : L.DEPTH_BYTES;
      const region = mem.allocate(KEYS * size, 64);
      for (let i = 0; i < KEYS; i++) {
        const k = i % symbolsUsed;
        view.wrap(region + i * size).init(kind);
        view.setSymbol(symbols.get(orderedIds[k]!));
        view.seq = i;
      }
      const apply: number[] = [];
      const read: number[] = [];
      const all: number[] = [];
      cache.apply(region, KEYS * size);
      for (let r = 0; r < ROUNDS; r++) {
        let t0 = process.hrtime.bigint();
        for (let i = 0; i < KEYS; i += BATCH) cache.apply(region + i * size, Math.min(BATCH, KEYS - i) * size);
        apply.push(Number(process.hrtime.bigint() - t0) / KEYS);
        t0 = process.hrtime.bigint();
        for (let i = 0; i < KEYS; i++) sink += cache.readInto(orderedIds[i % symbolsUsed]!, snapshot);
        read.push(Number(process.hrtime.bigint() - t0) / KEYS);
        if (symbolsUsed !== KEYS) continue;
        t0 = process.hrtime.bigint();
        const got = cache.snapshotRange(0, cache.capacity, snapshot, KEYS * L.DEPTH_BYTES);
        all.push(Number(process.hrtime.bigint() - t0) / KEYS);
        if (got.bytes < KEYS * size) throw new Error(`snapshotRange returned ${got.bytes} bytes`);
      }
      rows.push([`${["", "LTP", "QUOTE", "DEPTH"][kind]} over ${fmt(symbolsUsed)} symbols`, median(apply), 1e9 / median(apply), median(read),
        all.length ? median(all) : "–"]);
    }
  }
  return {
    title: "Last-value cache: apply and read, records in shuffled symbol order",
    columns: ["records", "apply ns / record", "applied / s", "readInto ns / symbol", "snapshotRange ns / symbol"],
    rows,
    note: `apply: ${BATCH} records a Wasm call, each merged under its slot's sequence lock (a CAS and a store). readInto: one call per symbol, copied out under the lock. `
      + `snapshotRange: all 50 000 symbols into one batch. Over 50 000 symbols every slot (448 B, 22 MB in all) is a cache miss; the 1 000-symbol hot set stays in cache. Median of ${ROUNDS} passes.`,
  };
}

// ─── 5. the parallel processor ─────────────────────────────────────────────────
// Ticks/s with 1, 2, 4, … workers (--workers 1,2,4), from an in-memory source through
// routing, the owner's ingest ring, the last-value cache and the fan-out ring to a
// reader that checks every tick: bench/lib/processor-throughput.ts.
async function processorTables(): Promise<ResultTable[]> {
  const arg = process.argv.indexOf("--workers");
  const counts = arg > 0 ? process.argv[arg + 1]!.split(",").map(Number) : [1, 2];
  return endToEnd(counts);
}

// ─── main ──────────────────────────────────────────────────────────────────────
const speed = speedTable();
const { table: balance, rows } = qualityTable();
const slots = slotTable();
const lvc = cacheTable();
const summaryRows: (string | number)[][] = [];
{
  const ns = Object.fromEntries(speed.rows.map((r) => [r[0], r[1] as number]));
  const batched = ns["tickwire partitionBatch (Wasm, 4 096 records a call)"]!;
  const ring = ns["hashring get (ketama, md5)"]!;
  const tw = rows[0]!;
  const twb = rows[1]!;
  const hr = rows[2]!;
  summaryRows.push(["batched lookup vs hashring", "≥ 20×", ratio(ring / batched), ring / batched >= 20 ? "met" : "missed"]);
  summaryRows.push(["max/mean load, 16 partitions", "≤ 1.05", tw.maxMean.toFixed(3), tw.maxMean <= 1.05 ? "met" : "missed"]);
  summaryRows.push(["… after balance()", "≤ 1.05", twb.maxMean.toFixed(3), twb.maxMean <= 1.05 ? "met" : "missed"]);
  summaryRows.push(["moved on 16 → 17 ÷ 1/17", "1 ± 0.1", (tw.moved17 * 17).toFixed(3), Math.abs(tw.moved17 * 17 - 1) <= 0.1 ? "met" : "missed"]);
  summaryRows.push(["(hashring, same run: max/mean; moved ÷ 1/17)", "", `${hr.maxMean.toFixed(3)}; ${(hr.moved17 * 17).toFixed(3)}`, ""]);
}
const summary: ResultTable = { title: "Partition targets (issue 5)", columns: ["target", "goal", "measured", ""], rows: summaryRows };
report("partition", [summary, speed, balance, slots, lvc, ...(await processorTables())]);
if (sink === 0.5) console.log(sink);
