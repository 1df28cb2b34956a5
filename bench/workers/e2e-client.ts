// Load clients of bench/e2e.ts: one process holding many WebSocket connections to the server
// under test. Each connection authenticates, sets its format (binary) and subscribes its
// symbols, then counts the ticks it receives and records their latency: monotonicNs() here at
// receipt minus the record's recvTimeNs (the time the tick fell due at the feed, see
// bench/lib/e2e-pacer.ts), read from binary records with the layout's offsets or from JSON's
// `data.recv_time_ns`. Only ticks received inside the window [from, to) (monotonic ns, a clock
// all processes share) count. The first tick of each connection is checked whole (its symbol
// is one it subscribed); the rest are read for their stamp only, so that the clients take as
// little of the machine's CPU as a client can.
//
// Commands (bench/lib/e2e-ipc.ts): window {from, to} | report | exit.
import { performance } from "node:perf_hooks";
import WebSocket from "ws";
import * as hdr from "hdr-histogram-js";
import { announce, serveCommands } from "../lib/e2e-ipc.js";
import { latencyHistogram } from "../lib/e2e-pacer.js";
import { monotonicNs } from "../../src/clock.js";
import { OFF_LENGTH, OFF_RECV_TIME_NS, OFF_SYMBOL_ID } from "../../src/format/layout.js";
import { createUniverse } from "../../src/feed/sim/universe.js";

export interface E2EClientConfig {
  url: string;
  apiKey: string;
  format: "json" | "binary";
  mode: 1 | 2 | 3;
  instruments: number;
  seed: number;
  /** Per connection, the universe rows it subscribes. */
  conns: number[][];
  /** Connections opened at once. */
  concurrency: number;
}

const KEY = Buffer.from('"recv_time_ns":');
const TWO_32 = 4294967296;

let from = Infinity;
let to = -Infinity;
let hist = latencyHistogram();
let count = 0;
let messages = 0;
let bytes = 0;
let wrong = 0;
let closed = 0;
let total = 0;
let cpuAt: { from?: number; to?: number; fromAt?: number; toAt?: number; elu0?: ReturnType<typeof performance.eventLoopUtilization>; elu?: number } = {};
const sockets: WebSocket[] = [];

function record(recvNs: number, now: number): void {
  total++;
  if (now < from || now >= to) return;
  count++;
  const us = Math.round((now - recvNs) / 1000);
  hist.recordValue(us > 0 ? us : 0);
}

function parseDigits(b: Buffer, at: number): number {
  let v = 0;
  for (let c = b[at]!; c >= 48 && c <= 57; c = b[++at]!) v = v * 10 + (c - 48);
  return v;
}

interface Conn {
  ws: WebSocket;
  symbols: Set<string>;
  ids: Set<number>;
  checked: boolean;
  reply: ((m: Record<string, unknown>) => void) | undefined;
}

function onMessage(c: Conn, data: Buffer, isBinary: boolean): void {
  const now = monotonicNs();
  if (isBinary) {
    const inWindow = now >= from && now < to;
    if (inWindow) {
      messages++;
      bytes += data.length;
    }
    for (let p = 0; p + 24 <= data.length;) {
      const len = data.readUInt16LE(p + OFF_LENGTH);
      if (!c.checked) {
        c.checked = true;
        if (!c.ids.has(data.readUInt32LE(p + OFF_SYMBOL_ID))) wrong++;
      }
      record(data.readUInt32LE(p + OFF_RECV_TIME_NS) + data.readUInt32LE(p + OFF_RECV_TIME_NS + 4) * TWO_32, now);
      if (len === 0) break;
      p += len;
    }
    return;
  }
  const at = data.indexOf(KEY);
  if (at >= 0) {
    if (now >= from && now < to) {
      messages++;
      bytes += data.length;
    }
    if (!c.checked) {
      c.checked = true;
      const m = JSON.parse(data.toString()) as { type?: string; symbol?: string; exchange?: string; data?: { ltp?: unknown } };
      if (m.type !== "market_data" || !c.symbols.has(`${m.exchange}:${m.symbol}`) || typeof m.data?.ltp !== "number") wrong++;
    }
    record(parseDigits(data, at + KEY.length), now);
    return;
  }
  const m = JSON.parse(data.toString()) as Record<string, unknown>;
  const r = c.reply;
  c.reply = undefined;
  if (r) r(m);
  else if (m.status === "error") process.stderr.write(`e2e client: ${data.toString().slice(0, 300)}\n`);
}

async function open(cfg: E2EClientConfig, rows: ReturnType<typeof createUniverse>, symbols: number[]): Promise<number> {
  // The server is trusted here: skipping UTF-8 validation keeps the clients' CPU for reading.
  const ws = new WebSocket(cfg.url, { perMessageDeflate: false, skipUTF8Validation: true });
  const c: Conn = { ws, symbols: new Set(symbols.map((i) => `${rows[i]!.exchange}:${rows[i]!.symbol}`)), ids: new Set(), checked: false, reply: undefined };
  sockets.push(ws);
  const ask = (msg: Record<string, unknown>): Promise<Record<string, unknown>> => new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no reply to ${String(msg.action)} within 30 s`)), 30_000);
    c.reply = (m) => { clearTimeout(timer); resolve(m); };
    ws.send(JSON.stringify(msg));
  });
  await new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("error", reject);
  });
  ws.on("error", () => undefined);
  ws.on("close", () => { closed++; });
  ws.on("message", (data: Buffer, isBinary: boolean) => onMessage(c, data, isBinary));
  const auth = await ask({ action: "authenticate", api_key: cfg.apiKey });
  if (auth.status !== "success") throw new Error(`authenticate: ${JSON.stringify(auth)}`);
  if (cfg.format === "binary") {
    const f = await ask({ action: "set_format", format: "binary" });
    if (f.status !== "success") throw new Error(`set_format: ${JSON.stringify(f)}`);
  }
  const sub = await ask({ action: "subscribe", mode: cfg.mode, symbols: symbols.map((i) => ({ symbol: rows[i]!.symbol, exchange: rows[i]!.exchange })) });
  const entries = (sub.subscriptions ?? []) as { status?: string; id?: number }[];
  for (const e of entries) if (typeof e.id === "number") c.ids.add(e.id);
  return entries.filter((e) => e.status === "success").length;
}

async function start(cfg: E2EClientConfig): Promise<void> {
  const rows = createUniverse({ instruments: cfg.instruments, seed: cfg.seed });
  const t0 = performance.now();
  let subscribed = 0;
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < cfg.conns.length) {
      const n = await open(cfg, rows, cfg.conns[next++]!);
      subscribed += n;
    }
  };
  await Promise.all(Array.from({ length: Math.min(cfg.concurrency, cfg.conns.length) }, lane));
  announce({ connections: sockets.length, subscribed, ms: Math.round(performance.now() - t0), pid: process.pid });
}

const sleepUntil = (ns: number): Promise<void> => new Promise((r) => setTimeout(r, Math.max(0, (ns - monotonicNs()) / 1e6)));

async function handle(cmd: Record<string, unknown>): Promise<unknown> {
  switch (cmd.cmd) {
    case "window": {
      from = Number(cmd.from);
      to = Number(cmd.to);
      hist = latencyHistogram();
      count = messages = bytes = wrong = 0;
      const closedBefore = closed;
      cpuAt = {};
      const at = cpuAt;
      void (async () => {
        await sleepUntil(from);
        const u = process.cpuUsage();
        at.from = u.user + u.system;
        at.fromAt = monotonicNs();
        at.elu0 = performance.eventLoopUtilization();
        await sleepUntil(to);
        const v = process.cpuUsage();
        at.to = v.user + v.system;
        at.toAt = monotonicNs();
        at.elu = performance.eventLoopUtilization(at.elu0).utilization;
      })();
      return { ok: true, closed: closed - closedBefore };
    }
    case "report": {
      await sleepUntil(to + 20e6);
      while (cpuAt.to === undefined) await new Promise((r) => setTimeout(r, 5));
      const seconds = (cpuAt.toAt! - cpuAt.fromAt!) / 1e9;
      return {
        count, messages, bytes, wrong, closed, total, hist: hdr.encodeIntoCompressedBase64(hist),
        cores: (cpuAt.to - cpuAt.from!) / 1e6 / seconds, busy: cpuAt.elu,
      };
    }
    default:
      throw new Error(`unknown command ${String(cmd.cmd)}`);
  }
}

async function close(): Promise<void> {
  for (const ws of sockets) ws.terminate();
}

serveCommands<E2EClientConfig>(start, handle, close);
