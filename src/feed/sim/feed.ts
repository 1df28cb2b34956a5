// The simulated feed as a broker adapter, in process: no socket, no JSON. A SimulatedMarket
// trades the subscribed instruments and writes each trade as a tick record of the mode the
// instrument streams at, straight into shared memory, handed to the sink in batches. The same
// SubscriptionManager as the real adapters places subscriptions on in-process links, so
// reference counting, modes and results behave as they do against a broker.
import { monotonicNs } from "../../clock.js";
import { TickwireError } from "../../errors.js";
import { TickwireMemory } from "../../memory/shared-memory.js";
import { SymbolTable } from "../../memory/symbol-table.js";
import { DEPTH_BYTES } from "../../format/layout.js";
import { SubscriptionManager, type ClientId, type SubscriptionReport } from "../../subscriptions/manager.js";
import { checkInt, checkOptions, describe } from "../../validate.js";
import type {
  AdapterContext, BrokerAdapter, BrokerLimits, ConnectionState, FeedEvent, LinkChange, LinkResult, SubscriptionRequest,
  SubscriptionResult, TickSink, UpstreamLink,
} from "../contract.js";
import { SymbolMaster } from "../symbol-master.js";
import { SimulatedMarket } from "./market.js";
import { checkSeed } from "./prng.js";
import { createUniverse, type SimInstrumentRow } from "./universe.js";
import { checkContext, resolveLimits } from "../checks.js";

/** Options of the simulated adapter (`createAdapter({ broker: "simulated", ...these })`). */
export interface SimulatedAdapterOptions {
  /** Instruments of the generated universe, 1..100 000. Default 3000. */
  instruments?: number;
  /** The instruments (createUniverse); replaces `instruments`. */
  universe?: readonly SimInstrumentRow[];
  /** Seed of the universe and the market. Default 1. */
  seed?: number;
  /** Ticks a second over the subscribed instruments while connected; 0: only produce(). Default 100 000. */
  ticksPerSecond?: number;
  /** Most ticks handed to the sink in one call. Default 1024. */
  batchTicks?: number;
  /** Limits the subscription manager places within; all optional. */
  limits?: Partial<BrokerLimits>;
  /** Skew of the tick distribution (SimulatedMarketOptions.skew). Default 7. */
  skew?: number;
}

/** Counters of a {@link SimulatedAdapter}. */
export interface SimulatedFeedStats {
  /** Records written (by the pacing loop and produce()). */
  readonly ticks: number;
  /** Sink calls. */
  readonly batches: number;
  /** Ticks lost: the sink did not take them (fewer taken, or it threw), or the pacing loop fell more than 250 ms behind its rate and shed them. */
  readonly dropped: number;
  /** Instruments streaming now. */
  readonly streaming: number;
}

/** Defaults: an in-process exchange has no real limits; these keep the manager's placement meaningful. */
export const SIMULATED_LIMITS: BrokerLimits = Object.freeze({ symbolsPerConnection: 10_000, connectionsPerAccount: 4, messagesPerSecond: 1000, instrumentsPerMessage: 1000 });

/** One in-process upstream link: sets the streamed mode of the instruments the manager places on it. */
class SimLink implements UpstreamLink {
  state: ConnectionState = "open";
  constructor(readonly index: number, private readonly adapter: SimulatedAdapter) {}

  change(changes: readonly LinkChange[]): Promise<LinkResult[]> {
    return Promise.resolve(changes.map((c) => this.adapter.setMode(c, this)));
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
/** How far behind its schedule the pacing loop may fall before it sheds ticks (counted). */
const MAX_BEHIND_MS = 250;
const yieldTurn = (): Promise<void> => new Promise((r) => setImmediate(r));

/**
 * The simulated exchange as a {@link BrokerAdapter} (broker "simulated"): deterministic from its
 * seed, paced at `ticksPerSecond` while connected, writing LTP/QUOTE/DEPTH records of the
 * subscribed instruments at their mode into a staging region of the context's memory and
 * handing them to the sink one batch at a time. Each record's `seq` counts that symbol's
 * records (1, 2, 3, …). For benchmarks, {@link produce} writes records into caller-owned
 * memory synchronously, without the sink.
 */
export class SimulatedAdapter implements BrokerAdapter {
  readonly broker = "simulated";
  readonly limits: BrokerLimits;
  /** The market behind the feed. */
  readonly market: SimulatedMarket;
  /** Its instruments. */
  readonly universe: readonly SimInstrumentRow[];
  /** A symbol master of the universe. */
  readonly master: SymbolMaster;
  private readonly mem: TickwireMemory;
  private readonly symbols: SymbolTable;
  private readonly sink: TickSink;
  private readonly emit: (e: FeedEvent) => void;
  private readonly manager: SubscriptionManager;
  private readonly links: SimLink[] = [];
  private readonly modes: Uint8Array;
  private readonly symbolIds: Uint32Array;
  private readonly interned: Uint8Array;
  private readonly seqs: Float64Array;
  private readonly stage: number;
  private readonly batchBytes: number;
  private readonly stageBytes: number;
  private readonly tps: number;
  private readonly batchTicks: number;
  private activeDirty = true;
  private streaming = 0;
  private running = false;
  private closed = false;
  private loopDone: Promise<void> | undefined;
  private lastTicks = 0;
  private counters = { ticks: 0, batches: 0, dropped: 0 };

  constructor(options: SimulatedAdapterOptions | undefined, context: AdapterContext) {
    const o = checkOptions<SimulatedAdapterOptions>(options, "simulated: options");
    const ctx = checkContext(context, "simulated: context");
    const seed = checkSeed(o.seed ?? 1, "simulated: options.seed");
    if (o.universe !== undefined && !Array.isArray(o.universe)) throw new TickwireError("ARGUMENT", `simulated: options.universe must be an array of SimInstrumentRow, got ${describe(o.universe)}`);
    if (o.universe !== undefined && o.instruments !== undefined) throw new TickwireError("ARGUMENT", "simulated: give options.universe or options.instruments, not both");
    this.universe = o.universe ?? createUniverse({ instruments: o.instruments ?? 3000, seed });
    this.tps = checkInt(o.ticksPerSecond ?? 100_000, 0, 100_000_000, "simulated: options.ticksPerSecond");
    this.batchTicks = checkInt(o.batchTicks ?? 1024, 1, 65536, "simulated: options.batchTicks");
    this.limits = resolveLimits(o.limits, SIMULATED_LIMITS, "simulated: options.limits");
    this.market = new SimulatedMarket(this.universe, { seed, skew: o.skew ?? 7 });
    this.master = SymbolMaster.fromRows(this.universe);
    if (this.master.errorCount > 0) throw new TickwireError("ARGUMENT", `simulated: universe row ${this.master.errors[0]!.line}: ${this.master.errors[0]!.reason}`);
    const n = this.universe.length;
    this.modes = new Uint8Array(n);
    this.symbolIds = new Uint32Array(n);
    this.interned = new Uint8Array(n);
    this.seqs = new Float64Array(n);
    this.mem = ctx.mem;
    this.symbols = ctx.symbols;
    this.sink = ctx.sink;
    this.emit = ctx.emit;
    this.stageBytes = this.batchTicks * DEPTH_BYTES;
    // Batches the sink can take whole (ParallelProcessor.maxRouteBytes); records are never cut.
    this.batchBytes = Math.min(this.stageBytes, ctx.maxBatchBytes);
    this.stage = ctx.mem.allocate(this.stageBytes);
    this.market.setActive([]);
    this.manager = new SubscriptionManager({
      master: this.master,
      limits: this.limits,
      maxLinks: this.limits.connectionsPerAccount,
      openLink: (index) => (this.links[index] ??= new SimLink(index, this)),
    });
  }

  /** Starts the pacing loop (ticks flow for what is subscribed). */
  async connect(): Promise<void> {
    if (this.closed) throw new TickwireError("ARGUMENT", "simulated: the adapter is disconnected");
    if (this.running) return;
    this.running = true;
    this.emit({ type: "state", connection: 0, state: "open" });
    this.loopDone = this.run();
  }

  /** Stops the pacing loop and the adapter for good; subscriptions are forgotten. */
  async disconnect(): Promise<void> {
    this.manager.close();
    this.closed = true;
    await this.stop();
    for (const link of this.links) if (link) link.state = "closed";
    this.modes.fill(0);
    this.activeDirty = true;
    this.streaming = 0;
    this.emit({ type: "state", connection: 0, state: "closed" });
  }

  /** Stops the pacing loop, keeping subscriptions (connect() starts it again); resolves once the last batch was delivered. */
  async stop(): Promise<void> {
    this.running = false;
    await this.loopDone;
    this.loopDone = undefined;
  }

  /** Adds one reference per request for `client` (default: one shared client). */
  subscribe(requests: readonly SubscriptionRequest[], client: ClientId = 0): Promise<SubscriptionResult[]> {
    return this.manager.subscribe(client, requests);
  }

  /** Drops one reference per request of `client`. */
  unsubscribe(requests: readonly SubscriptionRequest[], client: ClientId = 0): Promise<SubscriptionResult[]> {
    return this.manager.unsubscribe(client, requests);
  }

  /** Drops every reference `client` holds. */
  removeClient(client: ClientId): Promise<void> {
    return this.manager.removeClient(client);
  }

  /** What is subscribed where. */
  report(): SubscriptionReport {
    return this.manager.report();
  }

  /** Counters since creation. */
  get stats(): SimulatedFeedStats {
    return { ...this.counters, streaming: this.streaming };
  }

  /** The mode instrument (exchange, symbol) streams at now (0: not streaming), or -1 if the universe has no such instrument. */
  modeOf(exchange: string, symbol: string): number {
    const i = this.market.indexOfSymbol(exchange, symbol);
    return i < 0 ? -1 : this.modes[i]!;
  }

  /** Records the last {@link produce} wrote. */
  get producedTicks(): number {
    return this.lastTicks;
  }

  /**
   * Writes up to `maxTicks` records of subscribed instruments (each at its mode, seq counting
   * per symbol) back to back into `[dst, dst + dstBytes)` of the context's memory, a region the
   * caller owns (allocate()), without calling the sink. Returns the bytes written;
   * {@link producedTicks} holds the records. Synchronous: for benchmarks and tests.
   */
  produce(maxTicks: number, dst: number, dstBytes: number): number {
    checkInt(maxTicks, 0, 2 ** 31 - 1, "SimulatedAdapter.produce: maxTicks");
    this.mem.checkOwned(dst, dstBytes, 8, "dst", "SimulatedAdapter.produce");
    return this.write(maxTicks, dst, dstBytes);
  }

  private write(maxTicks: number, dst: number, bytes: number, dueNs = monotonicNs(), stepNs = 0): number {
    if (this.activeDirty) this.refreshActive();
    const written = this.market.writeTicks(this.mem.buffer, dst, bytes, maxTicks, this.modes, this.symbolIds, this.seqs, Date.now(), dueNs, stepNs);
    this.lastTicks = this.market.ticksWritten;
    this.counters.ticks += this.lastTicks;
    return written;
  }

  private refreshActive(): void {
    const list: number[] = [];
    for (let i = 0; i < this.modes.length; i++) if (this.modes[i] !== 0) list.push(i);
    this.market.setActive(list);
    this.streaming = list.length;
    this.activeDirty = false;
  }

  /** @internal A link's change: stream instrument `c.row` at `c.to` (0: stop). */
  setMode(c: LinkChange, link: SimLink): LinkResult {
    if (this.closed || link.state !== "open") return { ok: false, code: "BROKER_ERROR", message: "the simulated feed is disconnected" };
    const i = this.market.indexOfToken(c.row.brokerExchange, c.row.token);
    if (i < 0) return { ok: false, code: "SYMBOL_NOT_FOUND", message: `${c.row.brokerExchange}|${c.row.token} is not in the simulated universe` };
    if (c.to !== 0 && c.to !== 1 && c.to !== 2 && c.to !== 3) return { ok: false, code: "INVALID_MODE", message: `mode must be 0..3, got ${describe(c.to)}` };
    if (c.to !== 0 && this.interned[i] === 0) {
      const row = this.universe[i]!;
      try {
        this.symbolIds[i] = this.symbols.intern(row.exchange, row.symbol, row.priceDecimals);
      } catch (e) {
        return { ok: false, code: "BROKER_ERROR", message: e instanceof Error ? e.message : String(e) };
      }
      this.interned[i] = 1;
    }
    if (this.modes[i] !== c.to) {
      this.modes[i] = c.to;
      this.activeDirty = true;
    }
    return { ok: true };
  }

  // The pacing loop: ticks fall due at ticksPerSecond (times the market's burst rate) on a
  // schedule that never waits for the system; each turn writes up to batchTicks of those due,
  // each stamped with the time it fell due (so a slow sink shows in every latency measured from
  // recvTimeNs: no coordinated omission), and awaits the sink before the next. Ticks more than
  // MAX_BEHIND_MS overdue are shed, counted in `dropped` and reported.
  private async run(): Promise<void> {
    if (this.tps === 0) return; // produce() only
    let dueNs = monotonicNs(); // when the next tick to write fell (or falls) due
    while (this.running) {
      const nowNs = monotonicNs();
      const rate = this.tps * this.market.rateAt(Date.now());
      const stepNs = 1e9 / rate;
      if (this.activeDirty) this.refreshActive();
      if (this.streaming === 0) {
        dueNs = nowNs; // nothing streams: nothing is owed
        await sleep(1);
        continue;
      }
      const behindNs = nowNs - dueNs - MAX_BEHIND_MS * 1e6;
      if (behindNs > 0) {
        const shed = Math.ceil(behindNs / stepNs);
        dueNs += shed * stepNs;
        this.counters.dropped += shed;
        this.emit({ type: "dropped", connection: 0, ticks: shed, reason: `the simulated feed fell more than ${MAX_BEHIND_MS} ms behind its rate (the sink is slower than ${Math.round(rate)} ticks/s)` });
      }
      const owed = Math.floor((nowNs - dueNs) / stepNs) + 1;
      if (owed < 1) {
        await sleep(1);
        continue;
      }
      const bytes = this.write(Math.min(owed, this.batchTicks), this.stage, this.batchBytes, Math.round(dueNs), stepNs);
      const ticks = this.lastTicks;
      if (ticks === 0) {
        await sleep(1);
        continue;
      }
      dueNs += ticks * stepNs;
      await this.deliver(bytes, ticks);
      if (monotonicNs() < dueNs) await sleep(1);
      else await yieldTurn();
    }
  }

  private async deliver(bytes: number, ticks: number): Promise<void> {
    this.counters.batches++;
    let taken: unknown;
    let reason: string;
    try {
      taken = await this.sink(this.stage, bytes);
      if (typeof taken === "number" && taken >= ticks) return;
      reason = typeof taken === "number" ? `the sink took ${taken} of ${ticks} ticks` : `the sink answered ${describe(taken)}`;
    } catch (e) {
      taken = 0;
      reason = e instanceof TickwireError ? `${e.code}: ${e.message}` : "the sink threw";
    }
    const lost = ticks - (typeof taken === "number" && taken > 0 ? Math.min(taken, ticks) : 0);
    this.counters.dropped += lost;
    this.emit({ type: "dropped", connection: 0, ticks: lost, reason });
  }


}
