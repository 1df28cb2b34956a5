// A Noren adapter against the simulated Noren server over loopback, with a sink that keeps
// every symbol's last record and checks its seq (1, 2, 3, … with no gap or repeat).
import * as L from "../../src/format/layout.js";
import { TickwireMemory } from "../../src/memory/shared-memory.js";
import { SymbolTable } from "../../src/memory/symbol-table.js";
import { NorenSimServer, NOREN_SIM_DEMO_ACCOUNT, type NorenSimServerOptions } from "../../src/feed/sim/noren-server.js";
import { NorenAdapter, type NorenAdapterOptions } from "../../src/feed/noren/adapter.js";
import type { FeedEvent, InstrumentRow, TickSink } from "../../src/feed/contract.js";

/** Polls `cond` every 5 ms; throws naming `what` after `ms`. */
export async function until(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Keeps the last record of each symbol and checks per-symbol seq continuity. */
export class RecordLog {
  readonly last = new Map<number, Uint8Array>();
  readonly count = new Map<number, number>();
  readonly seq = new Map<number, number>();
  readonly errors: string[] = [];
  total = 0;

  constructor(private readonly mem: TickwireMemory) {}

  readonly sink: TickSink = (src, bytes) => {
    const { u8, u32 } = this.mem;
    let n = 0;
    for (let p = src; p < src + bytes;) {
      const length = u8[p + L.OFF_LENGTH]! | (u8[p + L.OFF_LENGTH + 1]! << 8);
      if (length === 0) break;
      const id = u32[(p + L.OFF_SYMBOL_ID) >>> 2]!;
      const seq = u32[(p + L.OFF_SEQ) >>> 2]!;
      const prev = this.seq.get(id) ?? 0;
      if (seq !== prev + 1 && this.errors.length < 10) this.errors.push(`symbol ${id}: seq ${seq} after ${prev}`);
      this.seq.set(id, seq);
      this.last.set(id, u8.slice(p, p + length));
      this.count.set(id, (this.count.get(id) ?? 0) + 1);
      p += length;
      n++;
    }
    this.total += n;
    return n;
  };
}

export interface FeedWorld {
  server: NorenSimServer;
  mem: TickwireMemory;
  symbols: SymbolTable;
  log: RecordLog;
  adapter: NorenAdapter;
  events: FeedEvent[];
  close(): Promise<void>;
}

/** Fast timings for tests; a test overrides what it exercises. */
export const TEST_TIMINGS: Partial<NorenAdapterOptions> = {
  heartbeatMs: 200, silenceMs: 0, loginTimeoutMs: 3000, ackTimeoutMs: 5000, coalesceMs: 5,
  backoff: { initialMs: 20, maxMs: 200, jitter: 0.5 },
};

/** Memory, symbols and sink of the adapter, when not the world's own (a processor's). */
export interface WorldContext {
  mem: TickwireMemory;
  symbols: SymbolTable;
  sink: TickSink;
  maxBatchBytes?: number;
}

export async function feedWorld(server: Partial<NorenSimServerOptions>, adapter: Partial<NorenAdapterOptions> = {}, context?: WorldContext): Promise<FeedWorld> {
  const s = await NorenSimServer.start({ instruments: 400, ticksPerSecond: 0, seed: 5, ...server });
  const mem = context?.mem ?? await TickwireMemory.create({ bytes: 160 << 20 });
  const symbols = context?.symbols ?? SymbolTable.create(mem, 1 << 17);
  const log = new RecordLog(mem);
  const events: FeedEvent[] = [];
  const a = new NorenAdapter("flattrade", {
    url: s.url, credentials: NOREN_SIM_DEMO_ACCOUNT, master: s.master, ...TEST_TIMINGS, ...adapter,
  }, { mem, symbols, sink: context?.sink ?? log.sink, ...(context?.maxBatchBytes ? { maxBatchBytes: context.maxBatchBytes } : {}), onEvent: (e) => events.push(e) });
  return {
    server: s, mem, symbols, log, adapter: a, events,
    async close() {
      await a.disconnect().catch(() => {});
      await s.close();
    },
  };
}

/** The scaled integer of a Noren decimal string at `d` decimals (exact for test values). */
export function scaled(text: string, d: number): number {
  const neg = text.startsWith("-");
  const [i, f = ""] = (neg ? text.slice(1) : text).split(".");
  const v = Number(i! + f.padEnd(d, "0").slice(0, d));
  return neg ? -v : v;
}

const QUOTE_FIELDS: readonly [string, number, "price" | "u64" | "u32"][] = [
  ["lp", L.OFF_LTP, "price"], ["o", L.OFF_OPEN, "price"], ["h", L.OFF_HIGH, "price"], ["l", L.OFF_LOW, "price"],
  ["c", L.OFF_CLOSE, "price"], ["ap", L.OFF_AVG_PRICE, "price"], ["v", L.OFF_VOLUME, "u64"], ["oi", L.OFF_OI, "u64"],
  ["bp1", L.OFF_BID, "price"], ["sp1", L.OFF_ASK, "price"], ["bq1", L.OFF_BID_QTY, "u32"], ["sq1", L.OFF_ASK_QTY, "u32"],
  ["tbq", L.OFF_TOTAL_BUY_QTY, "u64"], ["tsq", L.OFF_TOTAL_SELL_QTY, "u64"], ["uc", L.OFF_UPPER_CIRCUIT, "price"],
  ["lc", L.OFF_LOWER_CIRCUIT, "price"], ["ltq", L.OFF_LAST_QTY, "u32"],
];

/**
 * Differences between a record and the fields the server last rendered for it (every field
 * of the stream, as strings), as "field: got X, want Y" lines; depth levels too for DEPTH.
 */
export function diffRecord(rec: Uint8Array, fields: Readonly<Record<string, string>>, row: InstrumentRow): string[] {
  const dv = new DataView(rec.buffer, rec.byteOffset, rec.byteLength);
  const d = row.priceDecimals;
  const out: string[] = [];
  const check = (name: string, got: number, text: string | undefined, kind: "price" | "u64" | "u32"): void => {
    if (text === undefined || text === "" || text === "-") return;
    const want = kind === "price" ? scaled(text, d) : Number(text);
    if (got !== want) out.push(`${row.exchange}:${row.symbol} ${name}: got ${got}, want ${want} ("${text}")`);
  };
  const read = (off: number, kind: "price" | "u64" | "u32"): number =>
    kind === "u32" ? dv.getUint32(off, true) : kind === "u64" ? Number(dv.getBigUint64(off, true)) : Number(dv.getBigInt64(off, true));
  for (const [name, off, kind] of QUOTE_FIELDS) check(name, read(off, kind), fields[name], kind);
  if (rec[L.OFF_KIND] === L.KIND_DEPTH) {
    for (let k = 0; k < L.DEPTH_LEVELS; k++) {
      const b = L.OFF_DEPTH_BIDS + k * L.LEVEL_BYTES;
      const s = L.OFF_DEPTH_ASKS + k * L.LEVEL_BYTES;
      check(`bp${k + 1}`, read(b + L.LEVEL_OFF_PRICE, "price"), fields[`bp${k + 1}`], "price");
      check(`bq${k + 1}`, read(b + L.LEVEL_OFF_QTY, "u32"), fields[`bq${k + 1}`], "u32");
      check(`bo${k + 1}`, read(b + L.LEVEL_OFF_ORDERS, "u32"), fields[`bo${k + 1}`], "u32");
      check(`sp${k + 1}`, read(s + L.LEVEL_OFF_PRICE, "price"), fields[`sp${k + 1}`], "price");
      check(`sq${k + 1}`, read(s + L.LEVEL_OFF_QTY, "u32"), fields[`sq${k + 1}`], "u32");
      check(`so${k + 1}`, read(s + L.LEVEL_OFF_ORDERS, "u32"), fields[`so${k + 1}`], "u32");
    }
  }
  return out;
}

export { recordSends, overRate, mostInASecond } from "./send-stamps.js";
