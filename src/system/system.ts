// The whole system wired up (the seed's ProductionMarketDataSystem): a feed adapter writing
// records into the processor's memory, the processor's workers (last-value cache, fan-out
// rings), the fan-out pump reading those rings, the WebSocket proxy, and in-process listeners.
import { TickwireError } from "../errors.js";
import * as L from "../format/layout.js";
import type { ExchangeName } from "../format/exchange.js";
import { TickView, recordBytes, type Kind } from "../format/record.js";
import { ParallelProcessor } from "../processor/processor.js";
import type { ProcessorConfig } from "../processor/config.js";
import { createAdapter, supportedBrokers, type FeedConfig } from "../feed/registry.js";
import "../feed/brokers.js";
import type { BrokerAdapter, ConnectionState, FeedEvent, Mode, SubscriptionRequest, SubscriptionResult } from "../feed/contract.js";
import type { RingReader } from "../rings/ring.js";
import { FanoutPump, type PumpSink } from "../fanout/pump.js";
import { ProxyServer, type ProxyStats, type ProxyUpstream } from "../proxy/server.js";
import type { ProxyConfig } from "../proxy/config.js";
import type { ClientStats } from "../proxy/stats.js";
import { RecordDecoder } from "../client/decode.js";
import type { Tick, Instrument } from "../client/types.js";
import { TickQueue } from "../client/tick-queue.js";
import { checkInt, checkOptions, describe } from "../validate.js";
import { PerformanceMonitor } from "../monitor/performance-monitor.js";
import type { MonitorSample } from "../monitor/sample.js";
import { LoopDelayProbe } from "../monitor/threads.js";
import { createMonitorRoutes } from "../monitor/http.js";
import { SystemSampler } from "./sampler.js";
import { resolveMonitorConfig, webhookOptions, type SystemMonitorConfig } from "./monitor-config.js";
import { logSink } from "../monitor/sinks.js";
import { webhookSink } from "../monitor/webhook.js";
export { DEFAULT_THRESHOLDS, type SystemMonitorConfig, type MonitorWebhook } from "./monitor-config.js";
import { FeedHealth, HealthField } from "../feed/health.js";
import { Consumer, MAX_RECORDS_PER_POLL, type ConsumerHandle, type ConsumerOptions } from "../fanout/consumer.js";
import { ConsumerState, isConsumerPolicy, type ConsumerPolicy } from "../fanout/consumer-table.js";
import { fanoutRingName } from "../processor/router.js";


/** Everything the system runs; every part has defaults (a simulated exchange, one worker, the proxy on 127.0.0.1:8765). */
export interface SystemConfig {
  /** The feed: `createAdapter`'s config. Default `{ broker: "simulated" }`. */
  feed?: FeedConfig;
  /** The processor. Default `{ workers: 1 }`. */
  processor?: ProcessorConfig;
  /** The WebSocket proxy, or false for none (ticks in process only). */
  proxy?: ProxyConfig | false;
  /** Hears operational lines (connections refused, feed events); never secrets. */
  log?: (line: string) => void;
  /** The performance monitor (metrics, alerts, /metrics, /health, /stats, /dashboard), or false for none. Default on. */
  monitor?: SystemMonitorConfig | false;
}

/** An in-process consumer of the system's ticks: which, how many at most, and what happens when it falls behind. */
export interface ConsumerConfig {
  /** The instruments it takes (subscribed upstream for it), or "all": every tick the system carries. */
  instruments: readonly { exchange: string; symbol: string }[] | "all";
  /** 1 LTP, 2 Quote (default), 3 Depth: records are cut to it. */
  mode?: Mode;
  /** block (lossless, holds the feed), conflate (default: latest per symbol) or drop-oldest. */
  policy?: ConsumerPolicy;
  /** block: how long it may hold the feed without reading before it is detached, ms. Default 2000. */
  detachAfterMs?: number;
  /** Its name in metrics and the dashboard. Default "consumer-<slot>". */
  name?: string;
}

/** A symbol's latest quote from the last-value cache: plain numbers. */
export interface Quote {
  readonly exchange: string;
  readonly symbol: string;
  readonly ltp: number;
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
  readonly averagePrice: number;
  readonly percentChange: number;
  /** u64 quantities as numbers (exact below 2^53). */
  readonly volume: number;
  readonly oi: number;
  readonly bid: number;
  readonly ask: number;
  readonly bidQuantity: number;
  readonly askQuantity: number;
  readonly lastQuantity: number;
  /** ms since the epoch. */
  readonly lastTradeTime: number;
  /** Updates the cache applied for the symbol. */
  readonly updates: number;
}

/** Numbers of a running system. */
export interface SystemStats {
  /** Ticks the feed handed to the processor. */
  readonly ticksIn: number;
  /** Ticks read off the fan-out rings. */
  readonly ticksOut: number;
  /** ticksOut per second over the last stats() interval. */
  readonly ticksPerSecond: number;
  readonly feed: { readonly broker: string; readonly state: ConnectionState | "stopped"; readonly dropped: number };
  readonly proxy: ProxyStats | undefined;
  /** Records lost to lapping on the fan-out rings (the pump fell a whole ring behind). */
  readonly lapped: number;
}

/** Adapters that count references per client (the shipped ones do). */
interface ClientAwareAdapter extends BrokerAdapter {
  subscribe(requests: readonly SubscriptionRequest[], client?: string | number): Promise<SubscriptionResult[]>;
  unsubscribe(requests: readonly SubscriptionRequest[], client?: string | number): Promise<SubscriptionResult[]>;
  removeClient(client: string | number): Promise<void>;
}

const APP_CLIENT = "app";

/**
 * The system. `await system.start()` brings it up; `await system.stop()` takes it down
 * gracefully (stop accepting, close clients with 1001, close the feed, join the workers).
 */
export class TickwireSystem {
  private processor: ParallelProcessor | undefined;
  private adapter: ClientAwareAdapter | undefined;
  private proxy: ProxyServer | undefined;
  private pump: FanoutPump | undefined;
  private readers: RingReader[] = [];
  private readonly listeners = new Set<(tick: Tick) => void>();
  private readonly decodeCounters = { malformed: 0, unknownSymbols: 0 };
  private feedState: ConnectionState | "stopped" = "stopped";
  private feedDropped = 0;
  private state: "new" | "starting" | "running" | "stopping" | "stopped" = "new";
  private rate = { at: 0, ticks: 0, perSecond: 0 };
  private ticksIn = 0;
  private feedCounts = { reconnects: 0, parseErrors: 0 };
  private perfMonitor: PerformanceMonitor | undefined;
  private mainProbe: LoopDelayProbe | undefined;
  private readonly consumerNames = new Map<number, string>();
  /** Consumer slots the system made, and the upstream client id each holds its subscriptions under. */
  private readonly consumerClients = new Map<number, string>();
  private consumerSerial = 0;
  private consumerReaper: ReturnType<typeof setInterval> | undefined;

  constructor(private readonly config: SystemConfig) {}

  /** The proxy's ws:// URL once started (undefined without a proxy). */
  get url(): string | undefined {
    return this.proxy?.url;
  }

  get port(): number | undefined {
    return this.proxy?.port;
  }

  /** The broker the feed is. */
  get broker(): string | undefined {
    return this.adapter?.broker;
  }

  /** The processor (its memory, symbols, cache), once started. */
  get parallelProcessor(): ParallelProcessor | undefined {
    return this.processor;
  }

  /** The adapter, once started. */
  get feed(): BrokerAdapter | undefined {
    return this.adapter;
  }

  /** Starts workers, feed and proxy; resolves once the proxy listens and the feed is connected. */
  async start(): Promise<void> {
    if (this.state !== "new") throw new TickwireError("ARGUMENT", `start: the system is ${this.state}; make a new one`);
    this.state = "starting";
    try {
      await this.bringUp();
      this.state = "running";
    } catch (err) {
      await this.tearDown();
      this.state = "stopped";
      throw err;
    }
  }

  private async bringUp(): Promise<void> {
    const c = this.config;
    const proxyConfig = c.proxy === false ? undefined : (c.proxy ?? {});
    const processorConfig: ProcessorConfig = { workers: 1, ...c.processor };
    const maxSymbols = processorConfig.maxSymbols ?? 65536;
    const proxyBytes = proxyConfig ? ProxyServer.bytesFor(proxyConfig, maxSymbols) : 0;
    const processor = await ParallelProcessor.start({ ...processorConfig, feedBytes: (processorConfig.feedBytes ?? 16 << 20) + proxyBytes }, {
      onEvent: (e) => c.log?.(`processor: ${e.type}${"worker" in e ? ` worker ${e.worker}` : ""}`),
    });
    this.processor = processor;
    this.readers = processor.fanoutReaders();
    const onEvent = (e: FeedEvent) => this.onFeedEvent(e);
    const adapter = createAdapter(c.feed ?? { broker: "simulated" }, {
      mem: processor.mem, symbols: processor.symbols, maxBatchBytes: processor.maxRouteBytes, onEvent,
      sink: async (src, bytes) => {
        const n = await processor.route(src, bytes);
        this.ticksIn += n;
        return n;
      },
    }) as ClientAwareAdapter;
    if (typeof adapter.removeClient !== "function") throw new TickwireError("BROKER", `the ${adapter.broker} adapter does not count references per client (removeClient), which the proxy needs`);
    this.adapter = adapter;
    const upstream: ProxyUpstream = {
      broker: adapter.broker,
      subscribe: (requests, client) => adapter.subscribe(requests, client),
      unsubscribe: (requests, client) => adapter.unsubscribe(requests, client),
      removeClient: (client) => adapter.removeClient(client),
      status: () => (this.feedState === "open" ? "connected" : this.feedState),
    };
    const monitorConfig = resolveMonitorConfig(c.monitor);
    if (monitorConfig && processor.metrics) {
      const metrics = processor.metrics;
      const slot = metrics.threads.claim("main", "main", { from: processor.config.maxWorkers });
      if (slot >= 0) this.mainProbe = new LoopDelayProbe(metrics.threads, slot);
      const sampler = new SystemSampler({
        processor, metrics, readers: () => this.readers, proxy: () => this.proxy?.stats(),
        feed: () => ({
          broker: this.adapter?.broker ?? "", state: this.feedState, dropped: this.feedDropped, ...this.feedCounts, bytesIn: this.feedBytesIn(),
          subscribed: (this.adapter as { report?: () => { instruments: number } } | undefined)?.report?.().instruments,
        }),
        consumerName: (s) => this.consumerNames.get(s) ?? `consumer-${s}`,
      });
      this.perfMonitor = new PerformanceMonitor({
        sample: () => sampler.sample(),
        thresholds: monitorConfig.thresholds, intervalMs: monitorConfig.intervalMs, historySize: monitorConfig.historySize,
        // Sinks: the given ones, else alert lines to the log and the webhook, if any.
        // Sinks: the given ones (else alert lines to the log), and the webhook, if any.
        alerts: { ...monitorConfig.alerts, sinks: [
          ...(monitorConfig.alerts?.sinks ?? (c.log ? [logSink(c.log)] : [])),
          ...(monitorConfig.webhook !== undefined ? [webhookSink(webhookOptions(monitorConfig.webhook, c.log))] : []),
        ] },
        ...(c.log ? { log: c.log } : {}),
      });
    }
    const monitor = this.perfMonitor;
    if (proxyConfig) {
      const routes = monitor && monitorConfig?.http ? createMonitorRoutes({
        latest: () => monitor.latest(),
        history: () => monitor.history(),
        readiness: () => ({
          proxyListening: this.proxy !== undefined && this.state === "running",
          workersRunning: processor.stats().filter((w) => w.running).length,
          workersExpected: processor.workers,
        }),
      }, { intervalMs: monitorConfig!.intervalMs }) : undefined;
      this.proxy = await ProxyServer.start({
        mem: processor.mem, symbols: processor.symbols, cache: processor.cache, upstream, brokers: supportedBrokers(),
        ...(c.log ? { log: c.log } : {}),
        ...(routes ? { http: routes } : {}),
      }, proxyConfig);
    }
    const decoder = new RecordDecoder(this.decodeCounters, (id) => this.instrument(id));
    const proxy = this.proxy;
    const sink: PumpSink = {
      frames: (slot, frames, ticks) => proxy?.frames(slot, frames, ticks),
      conflated: (slot, conflated) => proxy?.conflated(slot, conflated),
      afterRound: () => proxy?.afterRound(),
      nextFlushInMs: () => proxy?.nextFlushInMs() ?? Infinity,
      refused: (e) => proxy ? proxy.refused(e) : c.log?.(`fanout: ${e.message}`),
      batch: (src, bytes) => {
        if (this.listeners.size === 0) return;
        decoder.decodeFrame(processor.mem.u8.subarray(src, src + bytes), (tick) => {
          for (const fn of this.listeners) {
            try {
              fn(tick);
            } catch (err) {
              c.log?.(`a tick listener threw: ${(err as Error).message}`);
            }
          }
        });
      },
    };
    // Every fan-out ring a worker has written: a resize moves symbols between them.
    this.pump = new FanoutPump(processor.mem, () => this.readers.slice(0, Math.max(processor.workers, 1)), proxy?.gather, sink, () => proxy?.clientCount ?? 0, processor.metrics);
    this.pump.start();
    await adapter.connect();
    this.rate = { at: Date.now(), ticks: 0, perSecond: 0 };
    this.perfMonitor?.start();
    // Closed consumers' upstream references and slots are given back within a second, monitor or not.
    this.consumerReaper = setInterval(() => void this.releaseClosedConsumers(), 1000);
    this.consumerReaper.unref?.();
  }

  /** Bytes the feed's sockets received (a Noren adapter counts them per connection; the simulated feed has none). */
  private feedBytesIn(): number {
    const health = (this.adapter as { health?: unknown } | undefined)?.health;
    if (!(health instanceof FeedHealth)) return 0;
    let bytes = 0;
    for (let c = 0; c < health.connections; c++) bytes += health.get(c, HealthField.BYTES);
    return bytes;
  }

  private onFeedEvent(e: FeedEvent): void {
    if (e.type === "state") this.feedState = e.state;
    if (e.type === "dropped") this.feedDropped += e.ticks;
    if (e.type === "state" && e.state === "reconnecting") this.feedCounts.reconnects++;
    if (e.type === "malformed") this.feedCounts.parseErrors += e.count;
    if (e.type !== "state") this.config.log?.(`feed: ${e.type}${"connection" in e ? ` (connection ${e.connection})` : ""}${"reason" in e && e.reason ? `: ${e.reason}` : ""}${"message" in e ? `: ${e.message}` : ""}`);
  }

  private instrument(id: number): Instrument | undefined {
    const symbols = this.processor?.symbols;
    if (!symbols || id >= symbols.capacity) return undefined;
    try {
      const info = symbols.get(id);
      return { exchange: info.exchange, symbol: info.symbol };
    } catch {
      return undefined;
    }
  }

  /** Takes everything down, gracefully; safe to call twice. */
  async stop(): Promise<void> {
    if (this.state === "stopped" || this.state === "stopping") return;
    this.state = "stopping";
    await this.tearDown();
    this.state = "stopped";
  }

  private async tearDown(): Promise<void> {
    clearInterval(this.consumerReaper);
    this.closeConsumers();
    await this.perfMonitor?.stop();
    this.mainProbe?.close();
    await this.proxy?.close();
    await this.adapter?.disconnect().catch(() => undefined);
    // Drain what the workers still publish, then stop the pump and the workers.
    this.pump?.round();
    await this.pump?.stop();
    for (const q of this.queues) q.end();
    await this.processor?.close();
  }

  private readonly queues = new Set<TickQueue>();

  /** Subscribes the application itself (in process): ticks come to onTick/ticks(). */
  subscribe(instruments: readonly { exchange: string; symbol: string }[], mode: Mode = 2): Promise<SubscriptionResult[]> {
    const adapter = this.running("subscribe");
    checkInstruments(instruments, "subscribe");
    checkInt(mode, 1, 3, "subscribe: mode (1 LTP, 2 Quote, 3 Depth)");
    return adapter.subscribe(instruments.map((i) => ({ exchange: i.exchange as ExchangeName, symbol: i.symbol, mode })), APP_CLIENT);
  }

  /** Drops the application's subscriptions to `instruments` at `mode`. */
  unsubscribe(instruments: readonly { exchange: string; symbol: string }[], mode: Mode = 2): Promise<SubscriptionResult[]> {
    const adapter = this.running("unsubscribe");
    checkInstruments(instruments, "unsubscribe");
    checkInt(mode, 1, 3, "unsubscribe: mode (1 LTP, 2 Quote, 3 Depth)");
    return adapter.unsubscribe(instruments.map((i) => ({ exchange: i.exchange as ExchangeName, symbol: i.symbol, mode })), APP_CLIENT);
  }

  /** Calls `fn` with every tick the system carries (any client's or the application's symbols). Returns a function that stops it. */
  onTick(fn: (tick: Tick) => void): () => void {
    if (typeof fn !== "function") throw new TickwireError("ARGUMENT", `onTick: fn must be a function, got ${describe(fn)}`);
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /**
   * Every tick the system carries, for `for await`. A bounded queue (queueLimit, default
   * 10 000): when the loop falls behind, the oldest ticks are dropped and counted
   * (`iterator.dropped`). Breaking out of the loop detaches it; stop() ends it.
   */
  ticks(options: { queueLimit?: number } = {}): AsyncIterableIterator<Tick> & { readonly dropped: number } {
    const limit = checkInt(options.queueLimit ?? 10_000, 1, 10_000_000, "ticks: queueLimit");
    const counts = { dropped: 0 };
    let off: () => void = () => undefined;
    const queue = new TickQueue(limit, {
      dropped: () => { counts.dropped++; },
      detached: (q) => { off(); this.queues.delete(q); },
    });
    off = this.onTick((t) => queue.push(t));
    this.queues.add(queue);
    return Object.defineProperty(queue, "dropped", { get: () => counts.dropped }) as unknown as AsyncIterableIterator<Tick> & { readonly dropped: number };
  }

  /** The symbol's last traded price from the last-value cache, or undefined when it has none. */
  ltp(exchange: string, symbol: string): number | undefined {
    return this.quote(exchange, symbol)?.ltp;
  }

  /** The symbol's latest quote from the last-value cache, or undefined when it has none. */
  quote(exchange: string, symbol: string): Quote | undefined {
    const p = this.processor;
    if (!p) throw new TickwireError("ARGUMENT", "quote: the system is not started");
    const id = p.symbols.find(exchange as ExchangeName, symbol);
    if (id < 0) return undefined;
    const rec = p.cache.snapshot(id);
    if (!rec) return undefined;
    const v = new TickView(rec);
    // An LTP-only symbol has no quote fields: they read 0.
    const q = v.kind >= L.KIND_QUOTE;
    return {
      exchange, symbol, ltp: v.ltp,
      open: q ? v.open : 0, high: q ? v.high : 0, low: q ? v.low : 0, close: q ? v.close : 0,
      averagePrice: q ? v.avgPrice : 0, percentChange: v.changePercent,
      volume: q ? v.volume : 0, oi: q ? v.oi : 0, bid: q ? v.bid : 0, ask: q ? v.ask : 0,
      bidQuantity: q ? v.bidQty : 0, askQuantity: q ? v.askQty : 0,
      lastQuantity: v.lastQty, lastTradeTime: v.lastTradeTimeMs, updates: p.cache.updates(id),
    };
  }

  /** The performance monitor (undefined with `monitor: false`, or before start). */
  get monitor(): PerformanceMonitor | undefined {
    return this.perfMonitor;
  }

  /** The monitor's latest sample: throughput, latency percentiles, rings, threads, consumers, alerts. */
  sample(): MonitorSample | undefined {
    return this.perfMonitor?.latest();
  }

  /**
   * Makes a consumer of the system's ticks for any thread: subscribes its instruments upstream,
   * takes a slot of the consumer table and returns the handle to open it with — in this thread
   * with {@link openConsumer}, in a worker with `Consumer.attach(handle)` from `tickwire` (post
   * the handle in workerData). Once it closes, its upstream subscriptions are released and its
   * slot freed (within a second); stop() closes every consumer.
   */
  async createConsumer(config: ConsumerConfig): Promise<ConsumerHandle> {
    const adapter = this.running("createConsumer");
    const p = this.processor!;
    const o = checkOptions<ConsumerConfig>(config, "createConsumer: config");
    const mode = checkInt(o.mode ?? 2, 1, 3, "createConsumer: mode (1 LTP, 2 Quote, 3 Depth)") as Mode;
    const policy = o.policy ?? "conflate";
    if (!isConsumerPolicy(policy)) throw new TickwireError("ARGUMENT", `createConsumer: policy must be block, conflate or drop-oldest, got ${describe(policy)}`);
    // Held longer than the router waits for room, the feed would drop what it cannot route: no longer lossless.
    const detachLimit = Math.max(1, p.config.claimTimeoutMs - 1);
    const detachAfterMs = checkInt(o.detachAfterMs ?? Math.min(2000, detachLimit), 1, detachLimit, "createConsumer: detachAfterMs (below processor.claimTimeoutMs)");
    if (o.name !== undefined && (typeof o.name !== "string" || o.name.length === 0 || o.name.length > 64)) throw new TickwireError("ARGUMENT", `createConsumer: name must be a string of 1 to 64 characters, got ${describe(o.name)}`);
    const instruments = o.instruments;
    if (instruments !== "all") checkInstruments(instruments, "createConsumer", ` or "all"`);
    const table = p.consumers;
    if (!table) throw new TickwireError("ARGUMENT", "createConsumer: the processor has no consumer slots (processor.consumerSlots is 0)");
    checkQueueFits(table.queueBytes, mode, policy, instruments === "all" ? p.symbols.capacity : instruments.length);
    await this.releaseClosedConsumers();
    const slot = table.reserve(policy, detachAfterMs);
    if (slot < 0) throw new TickwireError("ARGUMENT", `createConsumer: all ${table.slots} consumer slots are taken (raise processor.consumerSlots)`);
    // A client id of its own (not the slot's): a slot is reused, its predecessor's references must not be.
    const client = `consumer:${slot}:${++this.consumerSerial}`;
    this.consumerClients.set(slot, client);
    let filter: number[] | null = null;
    try {
      if (instruments !== "all") {
        const results = await adapter.subscribe(instruments.map((i) => ({ exchange: i.exchange as ExchangeName, symbol: i.symbol, mode })), client);
        const failed = results.filter((r) => !r.ok);
        if (failed.length > 0) throw new TickwireError("ARGUMENT", `createConsumer: could not subscribe ${failed.slice(0, 5).map((r) => `${r.exchange}:${r.symbol} (${"message" in r ? r.message : "refused"})`).join(", ")}${failed.length > 5 ? ` and ${failed.length - 5} more` : ""}`);
        filter = [...new Set(instruments.map((i) => p.symbols.find(i.exchange as ExchangeName, i.symbol)))].filter((id) => id >= 0);
      }
    } catch (err) {
      table.transition(slot, ConsumerState.RESERVED, ConsumerState.CLOSED);
      await this.releaseConsumer(slot);
      throw err;
    }
    const name = o.name ?? `consumer-${slot}`;
    this.consumerNames.set(slot, name);
    return {
      memory: p.mem.handle(), table: table.offset, slot, rings: Array.from({ length: p.config.maxWorkers }, (_, w) => p.pool.get(fanoutRingName(w)).handle),
      symbols: p.symbols.offset, cache: p.cache.offset, filter, mode: mode as ConsumerHandle["mode"], policy, name,
      ...(p.metrics ? { metrics: p.metrics.handle() } : {}),
    };
  }

  /** {@link createConsumer} and open it in this thread. */
  async openConsumer(config: ConsumerConfig, options: ConsumerOptions = {}): Promise<Consumer> {
    const handle = await this.createConsumer(config);
    try {
      return Consumer.open(this.processor!.mem, handle, options);
    } catch (err) {
      this.processor?.consumers?.transition(handle.slot, ConsumerState.RESERVED, ConsumerState.CLOSED);
      await this.releaseConsumer(handle.slot);
      throw err;
    }
  }

  // Consumers that closed (or were detached, then closed): their upstream references go, their slots are freed.
  private async releaseClosedConsumers(): Promise<void> {
    const table = this.processor?.consumers;
    if (!table) return;
    for (const slot of [...this.consumerClients.keys()]) {
      if (table.state(slot) === ConsumerState.CLOSED) await this.releaseConsumer(slot);
    }
  }

  private async releaseConsumer(slot: number): Promise<void> {
    const client = this.consumerClients.get(slot);
    if (client === undefined) return;
    this.consumerClients.delete(slot);
    await this.adapter?.removeClient(client).catch((err) => this.config.log?.(`consumer ${slot}: releasing its subscriptions failed: ${(err as Error).message}`));
    this.processor?.consumers?.transition(slot, ConsumerState.CLOSED, ConsumerState.FREE);
  }

  // stop(): every consumer, wherever it runs, finds its slot CLOSED and ends (next() gives null).
  private closeConsumers(): void {
    const table = this.processor?.consumers;
    if (!table) return;
    for (const slot of this.consumerClients.keys()) {
      for (const from of [ConsumerState.ACTIVE, ConsumerState.DETACHED, ConsumerState.RESERVED, ConsumerState.OPENING]) {
        if (table.transition(slot, from, ConsumerState.CLOSED)) break;
      }
    }
  }

  /** Per-client counts of the proxy's clients. */
  clients(): ClientStats[] {
    return this.proxy?.clients() ?? [];
  }

  stats(): SystemStats {
    const pumped = this.pump?.stats.records ?? 0;
    const now = Date.now();
    if (now - this.rate.at >= 250) {
      this.rate = { at: now, ticks: pumped, perSecond: ((pumped - this.rate.ticks) * 1000) / Math.max(1, now - this.rate.at) };
    }
    return {
      ticksIn: this.ticksIn, ticksOut: pumped, ticksPerSecond: Math.round(this.rate.perSecond),
      feed: { broker: this.adapter?.broker ?? this.config.feed?.broker ?? "simulated", state: this.feedState, dropped: this.feedDropped },
      proxy: this.proxy?.stats(), lapped: this.readers.reduce((sum, r) => sum + r.lost, 0),
    };
  }

  private running(op: string): ClientAwareAdapter {
    if (this.state !== "running" || !this.adapter) throw new TickwireError("ARGUMENT", `${op}: the system is not running`);
    return this.adapter;
  }
}

/** A consumer's queue must hold what its policy needs (checked here, before anything is reserved or subscribed). */
function checkQueueFits(queueBytes: number, mode: Mode, policy: ConsumerPolicy, symbols: number): void {
  const capacity = Math.floor(queueBytes / recordBytes(mode as Kind));
  if (policy === "block" && capacity < 2 * MAX_RECORDS_PER_POLL) {
    throw new TickwireError("ARGUMENT", `createConsumer: a block consumer's queue must hold ${2 * MAX_RECORDS_PER_POLL} ticks; processor.consumerQueueBytes holds ${capacity} of mode ${mode}`);
  }
  if (policy === "conflate" && symbols > capacity) {
    throw new TickwireError("ARGUMENT", `createConsumer: a conflating consumer keeps one tick per symbol: ${symbols} symbols do not fit its queue of ${capacity} (raise processor.consumerQueueBytes or take fewer instruments)`);
  }
}

/** Checks a list of { exchange, symbol } (the adapter judges the names themselves). */
function checkInstruments(v: unknown, op: string, or = ""): asserts v is readonly { exchange: string; symbol: string }[] {
  if (!Array.isArray(v)) throw new TickwireError("ARGUMENT", `${op}: instruments must be an array of { exchange, symbol }${or}, got ${describe(v)}`);
  for (let i = 0; i < v.length; i++) {
    const x = v[i] as { exchange?: unknown; symbol?: unknown } | null;
    if (typeof x !== "object" || x === null || typeof x.exchange !== "string" || typeof x.symbol !== "string") {
      throw new TickwireError("ARGUMENT", `${op}: instruments[${i}] must be { exchange: string, symbol: string }, got ${describe(x)}`);
    }
  }
}

/** Makes a system from `config` (checked when it starts). */
export async function createSystem(config: SystemConfig = {}): Promise<TickwireSystem> {
  if (typeof config !== "object" || config === null || Array.isArray(config)) throw new TickwireError("ARGUMENT", `createSystem: config must be an object, got ${describe(config)}`);
  return new TickwireSystem(config);
}
