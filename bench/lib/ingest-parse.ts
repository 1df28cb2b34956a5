// Noren frame parsing, ns per message: the Wasm NorenParser (push each frame's bytes,
// one parse call a batch) against JSON.parse + a JavaScript merge writing the same
// records (NorenReference, src/feed/noren/reference.ts), side by side.
//
// The mix is what a Flattrade/Shoonya touchline + depth subscription delivers: mostly `tf`
// updates with a few changed fields (last price, volume, last qty, times, the best bid/ask),
// some `tk` snapshots with every field, some `df` depth updates; frames are Buffers, as ws
// hands them over. Both sides produce byte-identical records (checked before timing).
//
// Method: the variants run in interleaved rounds (a new order each round, so neither always
// runs warm or cold first); a round times each variant over the same frames, in batches,
// with process.hrtime; a figure is the median over rounds. The machine is shared and noisy:
// compare ratios, not absolute numbers across runs.
import * as L from "../../src/format/layout.js";
import { TickwireMemory } from "../../src/memory/shared-memory.js";
import { SymbolTable } from "../../src/memory/symbol-table.js";
import type { InstrumentRow } from "../../src/feed/contract.js";
import type { ExchangeName } from "../../src/format/exchange.js";
import { NorenTokenMap } from "../../src/feed/noren/token-map.js";
import { NorenParser } from "../../src/feed/noren/parser.js";
import { NorenReference } from "../../src/feed/noren/reference.js";
import { fmt, median, ratio, type ResultTable } from "./report.js";

/** Options of {@link benchParse}. */
export interface BenchParseOptions {
  /** Interleaved rounds (the figure is the median). Default 9. */
  rounds?: number;
  /** Frames per parse call. Default 256. */
  batch?: number;
  /** Distinct frames, cycled through (a multiple of batch). Default 16 384. */
  frames?: number;
  /** Instruments the frames are spread over. Default 500. */
  instruments?: number;
  /** Frames timed per variant per round. Default 65 536. */
  perRound?: number;
}

// Deterministic pseudo-random numbers (xorshift32).
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    return s / 4294967296;
  };
}

function instruments(n: number): InstrumentRow[] {
  const segments: [string, ExchangeName, number][] = [["NSE", "NSE", 2], ["NSE", "NSE", 2], ["NFO", "NFO", 2], ["NFO", "NFO", 2], ["BSE", "BSE", 2], ["MCX", "MCX", 2], ["CDS", "CDS", 4]];
  return Array.from({ length: n }, (_, i) => {
    const [broker, exchange, d] = segments[i % segments.length]!;
    return { exchange, symbol: `BENCH${i}`, brokerExchange: broker, token: String(1000 + i), brokerSymbol: `BENCH${i}-EQ`, priceDecimals: d, tickSize: 10 ** -d, lotSize: 1 };
  });
}

/** The frames: 75 % tf (2..7 changed fields), 10 % tk (full), 15 % df (a few depth fields). */
function frames(rows: InstrumentRow[], count: number): Buffer[] {
  const r = rng(0x5eed);
  const pick = (n: number) => Math.floor(r() * n);
  const last = rows.map((row) => Math.round((100 + r() * 3000) * 10 ** row.priceDecimals));
  const fmtPrice = (m: number, d: number) => (d === 0 ? String(m) : `${Math.floor(m / 10 ** d)}.${String(m % 10 ** d).padStart(d, "0")}`);
  let ft = 1733300000;
  let volume = 1000000;
  const out: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const k = pick(rows.length);
    const row = rows[k]!;
    const d = row.priceDecimals;
    last[k] = Math.max(1, last[k]! + pick(11) - 5);
    const lp = last[k]!;
    const p = (off: number) => fmtPrice(lp + off, d);
    if (r() < 0.03) ft++;
    volume += pick(500);
    const head = `"e":"${row.brokerExchange}","tk":"${row.token}"`;
    const kind = r();
    let text: string;
    if (kind < 0.1) {
      text = `{"t":"tk",${head},"ts":"${row.brokerSymbol}","pp":"${d}","ls":"1","ti":"0.05","lp":"${p(0)}","pc":"0.42","v":"${volume}","o":"${p(-20)}","h":"${p(30)}","l":"${p(-40)}","c":"${p(-12)}","ap":"${p(-3)}","oi":"0","poi":"0","toi":"0","ltq":"${1 + pick(50)}","ltt":"10:${String(pick(60)).padStart(2, "0")}:12","ft":"${ft}","bq1":"${pick(900)}","bp1":"${p(-1)}","sq1":"${pick(900)}","sp1":"${p(1)}","tbq":"${pick(99999)}","tsq":"${pick(99999)}","uc":"${p(300)}","lc":"${p(-300)}"}`;
    } else if (kind < 0.85) {
      const fields = [`"lp":"${p(0)}"`];
      if (r() < 0.8) fields.push(`"v":"${volume}"`);
      if (r() < 0.6) fields.push(`"ltq":"${1 + pick(50)}"`);
      if (r() < 0.5) fields.push(`"ft":"${ft}"`);
      if (r() < 0.4) fields.push(`"ltt":"10:${String(pick(60)).padStart(2, "0")}:${String(pick(60)).padStart(2, "0")}"`);
      if (r() < 0.4) fields.push(`"bp1":"${p(-1)}"`, `"bq1":"${pick(900)}"`);
      if (r() < 0.4) fields.push(`"sp1":"${p(1)}"`, `"sq1":"${pick(900)}"`);
      if (r() < 0.3) fields.push(`"ap":"${p(-2)}"`);
      if (r() < 0.2) fields.push(`"pc":"0.${pick(99)}"`);
      text = `{"t":"tf",${head},${fields.join(",")}}`;
    } else {
      const fields = [];
      for (let lvl = 1; lvl <= 5; lvl++) {
        if (r() < 0.4) fields.push(`"bp${lvl}":"${p(-lvl)}"`, `"bq${lvl}":"${pick(5000)}"`, `"bo${lvl}":"${1 + pick(30)}"`);
        if (r() < 0.4) fields.push(`"sp${lvl}":"${p(lvl)}"`, `"sq${lvl}":"${pick(5000)}"`, `"so${lvl}":"${1 + pick(30)}"`);
      }
      if (r() < 0.5) fields.push(`"tbq":"${pick(99999)}"`, `"tsq":"${pick(99999)}"`);
      fields.push(`"ft":"${ft}"`);
      text = `{"t":"df",${head},${fields.join(",")}}`;
    }
    out.push(Buffer.from(text));
  }
  return out;
}

interface Variant {
  name: string;
  /** Runs `n` frames from `start` (cycling) in batches; returns records written (a check the work happened). */
  run(start: number, n: number): number;
}

/** Runs the benchmark; one table, Wasm first. */
export async function benchParse(opts: BenchParseOptions = {}): Promise<ResultTable> {
  const rounds = opts.rounds ?? 9;
  const batch = opts.batch ?? 256;
  const frameCount = Math.ceil((opts.frames ?? 16384) / batch) * batch;
  const perRound = Math.ceil((opts.perRound ?? 65536) / batch) * batch;
  const rows = instruments(opts.instruments ?? 500);
  const list = frames(rows, frameCount);
  const bytes = list.reduce((n, f) => n + f.length, 0);
  const mem = await TickwireMemory.create({ bytes: 64 << 20 });
  const symbols = SymbolTable.create(mem, rows.length);
  const ids = rows.map((row) => symbols.intern(row.exchange, row.symbol, row.priceDecimals));
  const WALL = 1733300000000;
  // Guards on both sides as configured by default (non-positive drop, band and stale pass).
  const make = () => {
    const map = NorenTokenMap.create(mem, rows.length, symbols);
    const ref = new NorenReference();
    rows.forEach((row, i) => {
      map.set(row, ids[i]!);
      ref.set(row, ids[i]!);
    });
    return { parser: NorenParser.create(map, { outputBytes: batch * L.DEPTH_BYTES, frameBufferBytes: 1 << 20 }), ref };
  };

  // Correctness first: both give the same bytes for the whole list.
  {
    const { parser, ref } = make();
    const out = new Uint8Array(batch * L.DEPTH_BYTES);
    for (let b = 0; b < frameCount; b += batch) {
      for (let i = b; i < b + batch; i++) parser.push(list[i]!);
      parser.parse(b, WALL);
      let at = 0;
      for (let i = b; i < b + batch; i++) {
        const o = ref.parse(list[i]!.toString(), b, WALL, out, at);
        if (o === 2) at += L.DEPTH_BYTES;
        else if (o === 1) at += L.QUOTE_BYTES;
        else throw new Error(`bench frame ${i} is not a tick (outcome ${o})`);
      }
      const wasm = mem.u8.subarray(parser.out, parser.out + parser.outBytes);
      if (at !== parser.outBytes || wasm.some((x, j) => x !== out[j])) throw new Error(`Wasm and JS records differ in batch ${b / batch}`);
    }
  }

  const wasm = make().parser;
  const ref = make().ref;
  const jsOut = new Uint8Array(batch * L.DEPTH_BYTES);
  const variants: Variant[] = [
    {
      name: `tickwire Wasm: NorenParser push + parse (${batch} frames a call)`,
      run(start, n) {
        let records = 0;
        for (let b = start; b < start + n; b += batch) {
          const from = b % frameCount;
          for (let i = from; i < from + batch; i++) wasm.push(list[i]!);
          records += wasm.parse(b, WALL);
        }
        return records;
      },
    },
    {
      name: "JSON.parse + JS merge (NorenReference), same records",
      run(start, n) {
        let records = 0;
        for (let b = start; b < start + n; b += batch) {
          const from = b % frameCount;
          let at = 0;
          for (let i = from; i < from + batch; i++) {
            const o = ref.parse(list[i]!.toString(), b, WALL, jsOut, at);
            at += o === 2 ? L.DEPTH_BYTES : L.QUOTE_BYTES;
            records++;
          }
        }
        return records;
      },
    },
    {
      name: "JSON.parse alone (Buffer → string → object; no merge, no record)",
      run(start, n) {
        let keys = 0;
        for (let i = start; i < start + n; i++) {
          const o = JSON.parse(list[i % frameCount]!.toString()) as { t: string };
          keys += o.t.length;
        }
        return keys;
      },
    },
  ];

  // Warm up every variant (JIT tiers, Wasm tier-up).
  for (const v of variants) v.run(0, Math.min(perRound, 8 * batch * 4));
  const samples = variants.map(() => [] as number[]);
  const r = rng(7);
  let start = 0;
  for (let round = 0; round < rounds; round++) {
    const order = variants.map((_, i) => i).sort(() => r() - 0.5);
    for (const i of order) {
      const t0 = process.hrtime.bigint();
      const done = variants[i]!.run(start, perRound);
      const ns = Number(process.hrtime.bigint() - t0);
      if (done <= 0) throw new Error(`${variants[i]!.name} did nothing`);
      samples[i]!.push(ns / perRound);
    }
    start += perRound;
  }
  const med = samples.map(median);
  const base = med[0]!;
  return {
    title: `Noren frame parsing, ns per message (${rows.length} instruments; 75 % tf, 10 % tk, 15 % df; mean frame ${fmt(bytes / frameCount)} bytes)`,
    columns: ["variant", "ns/message (median)", "messages/s", "vs Wasm"],
    rows: variants.map((v, i) => [v.name, fmt(med[i]!), fmt(1e9 / med[i]!), i === 0 ? "1×" : ratio(med[i]! / base)]),
    note: `Median of ${rounds} interleaved rounds of ${perRound} frames a variant; Wasm and JS records checked byte-identical before timing. `
      + "Both sides merge into per-symbol state and write the same QUOTE/DEPTH records; the Wasm side's JavaScript per frame is one copy into its frame buffer.",
  };
}
