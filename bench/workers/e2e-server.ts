// The server under test in bench/e2e.ts, in a process of its own: either the tickwire system
// (createSystem: the simulated feed in process, the processor's workers, the fan-out pump and
// the WebSocket proxy) or the plain baseline (bench/lib/plain-proxy.ts). Both take their ticks
// from the same seeded SimulatedMarket through the same Pacer (bench/lib/e2e-pacer.ts).
//
// Commands (bench/lib/e2e-ipc.ts): rate {rate} | flood | stream-all | window {from, to} |
// report | exit. `window` snapshots the counters at the monotonic times `from` and `to`;
// `report` answers their difference once `to` has passed.
import { performance, PerformanceObserver } from "node:perf_hooks";
import { cpus } from "node:os";
import * as hdr from "hdr-histogram-js";
import { announce, serveCommands } from "../lib/e2e-ipc.js";
import { Pacer, Ticker, type PacerTarget } from "../lib/e2e-pacer.js";
import { PlainProxy } from "../lib/plain-proxy.js";
import { monotonicNs } from "../../src/clock.js";
import { DEPTH_BYTES } from "../../src/format/layout.js";
import { createSystem, type TickwireSystem } from "../../src/system/system.js";
import type { SimulatedAdapter } from "../../src/feed/sim/feed.js";
import { SimulatedMarket } from "../../src/feed/sim/market.js";
import { createUniverse } from "../../src/feed/sim/universe.js";

export interface E2EServerConfig {
  kind: "tickwire" | "plain";
  instruments: number;
  seed: number;
  skew: number;
  apiKey: string;
  /** Processor workers (tickwire). */
  workers: number;
  batchTicks: number;
  tickerMs: number;
  maxClients: number;
  /** proxy.coalesceMs (tickwire); else TICKWIRE_COALESCE_MS from the environment; else the proxy's default. */
  coalesceMs?: number;
}

interface Counters {
  at: number;
  produced: number;
  shed: number;
  batches: number;
  failed: number;
  taken: number;
  cpuUs: number;
  tickerUs: number;
  elu: ReturnType<typeof performance.eventLoopUtilization>;
  system: Record<string, number>;
}

let pacer: Pacer | undefined;
let ticker: Ticker | undefined;
let system: TickwireSystem | undefined;
let plain: PlainProxy | undefined;
let taken = 0;
let streamAll: () => Promise<unknown> = async () => undefined;
// Garbage collection on the main thread: pauses there delay the feed and the proxy alike.
const gc = { count: 0, ms: 0, maxMs: 0 };
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    gc.count++;
    gc.ms += e.duration;
    if (e.duration > gc.maxMs) gc.maxMs = e.duration;
  }
}).observe({ entryTypes: ["gc"] });
let window: { from?: Counters; to?: Counters; lag?: hdr.Histogram; gc?: typeof gc; done: Promise<void> } | undefined;

async function start(c: E2EServerConfig): Promise<void> {
  ticker = new Ticker(c.tickerMs);
  let target: PacerTarget;
  let url: string;
  if (c.kind === "tickwire") {
    const coalesceMs = c.coalesceMs ?? (process.env.TICKWIRE_COALESCE_MS ? Number(process.env.TICKWIRE_COALESCE_MS) : undefined);
    const sys = await createSystem({
      feed: {
        broker: "simulated", instruments: c.instruments, seed: c.seed, skew: c.skew, ticksPerSecond: 0,
        // The load clients subscribe thousands of symbols in a second: no broker pacing in the way.
        limits: { symbolsPerConnection: Math.max(10_000, c.instruments), messagesPerSecond: 100_000, instrumentsPerMessage: 10_000 },
      },
      processor: { workers: c.workers },
      proxy: { port: 0, apiKeys: [c.apiKey], receiveTime: true, maxClients: c.maxClients, subscribeRatePerSecond: 1000, ...(coalesceMs !== undefined ? { coalesceMs } : {}) },
      log: (line) => process.stderr.write(`tickwire: ${line}\n`),
    });
    system = sys;
    await sys.start();
    const adapter = sys.feed as SimulatedAdapter;
    const processor = sys.parallelProcessor!;
    // The feed's own pacing loop is off (ticksPerSecond 0): the Pacer calls produce() into a
    // staging region and routes it, as the adapter's loop does with its sink.
    const stageBytes = Math.min(c.batchTicks * DEPTH_BYTES, processor.maxRouteBytes);
    const stage = processor.mem.allocate(stageBytes);
    target = {
      ticks: 0,
      stage,
      get u8() { return processor.mem.u8; },
      write(maxTicks) {
        const bytes = adapter.produce(maxTicks, stage, stageBytes);
        this.ticks = adapter.producedTicks;
        return bytes;
      },
      deliver: (bytes) => processor.route(stage, bytes).then((n) => { taken += n; }),
    } as PacerTarget & { ticks: number };
    const rows = adapter.universe;
    streamAll = () => sys.subscribe(rows.map((r) => ({ exchange: r.exchange, symbol: r.symbol })), 2);
    url = sys.url!;
  } else {
    const rows = createUniverse({ instruments: c.instruments, seed: c.seed });
    const market = new SimulatedMarket(rows, { seed: c.seed, skew: c.skew });
    const p = new PlainProxy(rows, market);
    plain = p;
    url = await p.listen(0);
    target = {
      get ticks() { return p.ticks; },
      u8: p.u8,
      stage: p.stage,
      write: (maxTicks) => p.write(maxTicks),
      deliver: (bytes, ticks) => {
        p.deliver(bytes);
        taken += ticks;
      },
    };
    streamAll = async () => p.streamAll(2);
  }
  pacer = new Pacer(target, ticker, c.batchTicks);
  announce({ url, pid: process.pid, cpus: cpus().length });
}

function counters(): Counters {
  const cpu = process.cpuUsage();
  let sys: Record<string, number> = {};
  if (system) {
    const s = system.stats();
    sys = {
      ticksOut: s.ticksOut, lapped: s.lapped, clients: s.proxy?.clients ?? 0, delivered: s.proxy?.delivered ?? 0,
      conflated: s.proxy?.conflated ?? 0, dropped: s.proxy?.dropped ?? 0, slowClients: s.proxy?.slowClients ?? 0,
    };
  } else if (plain) {
    sys = { delivered: plain.sent };
  }
  return {
    at: monotonicNs(), produced: pacer!.counts.produced, shed: pacer!.counts.shed, batches: pacer!.counts.batches, failed: pacer!.counts.failed, taken,
    cpuUs: cpu.user + cpu.system, tickerUs: ticker!.cpuSeconds() * 1e6, elu: performance.eventLoopUtilization(), system: sys,
  };
}

const sleepUntil = (ns: number): Promise<void> => new Promise((r) => setTimeout(r, Math.max(0, (ns - monotonicNs()) / 1e6)));

async function handle(cmd: Record<string, unknown>): Promise<unknown> {
  switch (cmd.cmd) {
    case "rate":
      pacer!.setRate(Number(cmd.rate));
      return { ok: true };
    case "flood":
      pacer!.setFlood();
      return { ok: true };
    case "stream-all":
      await streamAll();
      return { ok: true };
    case "window": {
      const from = Number(cmd.from);
      const to = Number(cmd.to);
      const w: NonNullable<typeof window> = { done: Promise.resolve() };
      w.done = (async () => {
        await sleepUntil(from);
        pacer!.takeLag();
        gc.count = gc.ms = gc.maxMs = 0;
        w.from = counters();
        await sleepUntil(to);
        w.lag = pacer!.takeLag();
        w.to = counters();
        w.gc = { ...gc };
      })();
      window = w;
      return { ok: true };
    }
    case "report": {
      const w = window;
      if (!w) throw new Error("report: no window");
      await w.done;
      const a = w.from!;
      const b = w.to!;
      const seconds = (b.at - a.at) / 1e9;
      const elu = performance.eventLoopUtilization(b.elu, a.elu);
      const system: Record<string, number> = {};
      for (const k of Object.keys(b.system)) system[k] = k === "clients" || k === "slowClients" ? b.system[k]! : b.system[k]! - (a.system[k] ?? 0);
      return {
        seconds, produced: b.produced - a.produced, shed: b.shed - a.shed, batches: b.batches - a.batches, failed: b.failed - a.failed, taken: b.taken - a.taken,
        cores: (b.cpuUs - a.cpuUs - (b.tickerUs - a.tickerUs)) / 1e6 / seconds, tickerCores: (b.tickerUs - a.tickerUs) / 1e6 / seconds, mainBusy: elu.utilization,
        lag: hdr.encodeIntoCompressedBase64(w.lag!), gc: w.gc, system, rssMiB: process.memoryUsage().rss / 2 ** 20,
      };
    }
    default:
      throw new Error(`unknown command ${String(cmd.cmd)}`);
  }
}

async function close(): Promise<void> {
  await pacer?.stop();
  await system?.stop();
  await plain?.close();
  await ticker?.stop();
}

serveCommands<E2EServerConfig>(start, handle, close);
