// The Noren broker adapter (Flattrade, Shoonya): a pool of NorenConnections placed and
// filled by the subscription manager, each with its own Wasm parser over one shared
// token map, all handing records to one serialized sink.
import { TickwireError } from "../../errors.js";
import { SymbolMaster } from "../symbol-master.js";
import { SubscriptionManager, type SubscriptionReport } from "../../subscriptions/manager.js";
import type {
  AdapterContext, BrokerAdapter, BrokerLimits, FeedEvent, InstrumentRow, SubscriptionRequest, SubscriptionResult,
} from "../contract.js";
import { FeedHealth, type ConnectionHealth } from "../health.js";
import { serialSink } from "../serial-sink.js";
import { NorenConnection, type NorenCredentials, type NorenConnectionSettings } from "./connection.js";
import { NorenParser, type NorenCounters, type NorenParserOptions } from "./parser.js";
import { NorenTokenMap } from "./token-map.js";
import { checkInt, checkObject, checkOptions, checkTimeout, describe } from "../../validate.js";
import { checkContext, resolveLimits } from "../checks.js";

/** Where credentials come from: fixed, or fetched for every login (tokens roll over daily). */
export type CredentialSource = NorenCredentials | (() => NorenCredentials | Promise<NorenCredentials>);

/** Options of a Noren adapter (`createAdapter({ broker: "flattrade", ...these })`). */
export interface NorenAdapterOptions {
  /** WebSocket URL; defaults to the broker's. */
  url?: string;
  /** "v1": `c`/`ck` with a session token (default); "v2": `a`/`ak` with an access token. */
  protocol?: "v1" | "v2";
  /** One source per account; connection i logs in with account ⌊i / connectionsPerAccount⌋. */
  credentials: CredentialSource | readonly CredentialSource[];
  /** The broker's instruments (SymbolMaster.load of its CSV, or fromRows). */
  master: SymbolMaster;
  limits?: Partial<BrokerLimits>;
  /** Heartbeat period, ms. Default 10 000. */
  heartbeatMs?: number;
  /** Replace an open connection that holds instruments and got nothing for this long, ms (0: never). Default 60 000. */
  silenceMs?: number;
  /** Time allowed for the socket to open and the login to be answered, ms. Default 10 000. */
  loginTimeoutMs?: number;
  /** Refused logins in a row (fresh credentials each) before a connection fails for good. Default 3. */
  maxLoginRejects?: number;
  /** Time the broker has to send a subscribed instrument's snapshot, ms. Default 15 000. */
  ackTimeoutMs?: number;
  /** Reconnect backoff: initial·2ⁿ capped at max, minus up to `jitter` of it. Default 1 000 / 60 000 / 0.5. */
  backoff?: { initialMs?: number; maxMs?: number; jitter?: number };
  /** How long subscription changes wait to share a message, ms. Default 100. */
  coalesceMs?: number;
  /** Parser buffers and data-quality guards (docs/NOREN.md). */
  parser?: NorenParserOptions;
  /** Whether the market is open (the silence watchdog and staleness sleep otherwise). Default: always. */
  marketOpen?: () => boolean;
  /** How long connect() waits for the first login, ms; the connection keeps retrying after. Default 30 000. */
  connectTimeoutMs?: number;
}

/** Brokers on the Noren stack and their defaults. */
export const NOREN_BROKERS = {
  flattrade: { url: "wss://piconnect.flattrade.in/PiConnectWSTp/" },
  shoonya: { url: "wss://api.shoonya.com/NorenWSTP/" },
} as const;

const DEFAULT_LIMITS: BrokerLimits = { symbolsPerConnection: 1000, connectionsPerAccount: 2, messagesPerSecond: 10, instrumentsPerMessage: 50 };

/**
 * A Noren feed. Routing stays on the caller's thread (docs/FEED.md): the sink is called
 * from this thread's event loop, one call at a time across every connection.
 */
export class NorenAdapter implements BrokerAdapter {
  readonly limits: BrokerLimits;
  /** Per-connection counters in shared memory. */
  readonly health: FeedHealth;
  readonly map: NorenTokenMap;
  private readonly manager: SubscriptionManager;
  private readonly connections: NorenConnection[] = [];
  private readonly settings: Omit<NorenConnectionSettings, "login">;
  private readonly accounts: (() => NorenCredentials | Promise<NorenCredentials>)[];
  private readonly parserOptions: NorenParserOptions;
  private readonly sink;
  private readonly emit: (e: FeedEvent) => void;
  private closed = false;
  private readonly maxBatchBytes: number;
  private readonly connectTimeoutMs: number;

  constructor(readonly broker: string, options: NorenAdapterOptions, private readonly context: AdapterContext) {
    const o = checkObject<NorenAdapterOptions>(options, `${broker}: options`);
    const ctx = checkContext(context, `${broker}: context`);
    if (!(o.master instanceof SymbolMaster)) throw new TickwireError("ARGUMENT", `${broker}: options.master must be a SymbolMaster`);
    const url = o.url ?? (NOREN_BROKERS as Record<string, { url: string }>)[broker]?.url;
    if (!isSocketUrl(url)) throw new TickwireError("ARGUMENT", `${broker}: options.url must be a ws:// or wss:// URL with a valid host and port and no #fragment`);
    const protocol = o.protocol ?? "v1";
    if (protocol !== "v1" && protocol !== "v2") throw new TickwireError("ARGUMENT", `${broker}: options.protocol must be "v1" or "v2", got ${describe(protocol)}`);
    this.accounts = (Array.isArray(o.credentials) ? o.credentials : [o.credentials]).map((c, i) => credentialSource(c, protocol, `${broker}: options.credentials[${i}]`));
    if (this.accounts.length === 0) throw new TickwireError("ARGUMENT", `${broker}: options.credentials must name at least one account`);
    // Noren: at most 10 000 scrips in one message.
    this.limits = resolveLimits(o.limits, DEFAULT_LIMITS, `${broker}: options.limits`, { instrumentsPerMessage: 10_000 });
    const b = checkOptions<{ initialMs: number; maxMs: number; jitter: number }>(o.backoff, `${broker}: options.backoff`);
    const jitter = b.jitter ?? 0.5;
    if (typeof jitter !== "number" || !(jitter >= 0 && jitter <= 1)) throw new TickwireError("ARGUMENT", `${broker}: options.backoff.jitter must be a number from 0 to 1, got ${describe(jitter)}`);
    // A zero first delay would reconnect in a tight loop; a cap below it would mean nothing.
    const initialMs = checkInt(b.initialMs ?? 1000, 1, 2 ** 31 - 1, "options.backoff.initialMs", "ARGUMENT", broker);
    const maxMs = checkInt(b.maxMs ?? 60_000, initialMs, 2 ** 31 - 1, "options.backoff.maxMs (at least initialMs)", "ARGUMENT", broker);
    this.connectTimeoutMs = checkInt(o.connectTimeoutMs ?? 30_000, 1, 2 ** 31 - 1, "options.connectTimeoutMs", "ARGUMENT", broker);
    const marketOpen = o.marketOpen ?? (() => true);
    if (typeof marketOpen !== "function") throw new TickwireError("ARGUMENT", `${broker}: options.marketOpen must be a function`);
    this.settings = {
      url, protocol, marketOpen,
      heartbeatMs: checkTimeout(o.heartbeatMs ?? 10_000, "options.heartbeatMs", broker) || 1,
      silenceMs: checkTimeout(o.silenceMs ?? 60_000, "options.silenceMs", broker),
      loginTimeoutMs: checkTimeout(o.loginTimeoutMs ?? 10_000, "options.loginTimeoutMs", broker) || 1,
      maxLoginRejects: checkInt(o.maxLoginRejects ?? 3, 1, 1000, "options.maxLoginRejects", "ARGUMENT", broker),
      ackTimeoutMs: checkInt(o.ackTimeoutMs ?? 15_000, 1, 2 ** 31 - 1, "options.ackTimeoutMs", "ARGUMENT", broker),
      backoff: { initialMs, maxMs, jitter },
      pacing: {
        perMessage: this.limits.instrumentsPerMessage,
        perSecond: this.limits.messagesPerSecond,
        coalesceMs: checkTimeout(o.coalesceMs ?? 100, "options.coalesceMs", broker),
      },
    };
    this.parserOptions = checkOptions<NorenParserOptions>(o.parser, `${broker}: options.parser`);
    this.maxBatchBytes = ctx.maxBatchBytes;
    const maxLinks = this.accounts.length * this.limits.connectionsPerAccount;
    // Room for what can be subscribed at once, twice over for the day's churn (entries are never
    // freed), not the whole master: a full broker master is 100 000+ rows, 448 bytes each.
    this.map = NorenTokenMap.create(context.mem, Math.max(1, Math.min(o.master.size, 2 * maxLinks * this.limits.symbolsPerConnection)), context.symbols);
    this.health = FeedHealth.create(context.mem, maxLinks);
    this.sink = serialSink(context.sink);
    this.emit = ctx.emit;
    this.manager = new SubscriptionManager({
      master: o.master,
      limits: this.limits,
      maxLinks,
      openLink: (index: number) => this.openConnection(index),
    });
  }

  /** Opens the first connection and logs in (more open as subscriptions need them). */
  /**
   * Opens the first connection and logs in. Rejects (BROKER) when the login is refused for
   * good, or (TIMEOUT) after `connectTimeoutMs` while the broker cannot be reached — the
   * connection keeps retrying with backoff meanwhile.
   */
  async connect(): Promise<void> {
    this.checkOpen("connect");
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new TickwireError("TIMEOUT", `${this.broker}: no login within ${this.connectTimeoutMs} ms (still retrying)`)), this.connectTimeoutMs);
    });
    try {
      await Promise.race([this.connection(0).open(), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Closes every connection; subscriptions are forgotten. */
  async disconnect(): Promise<void> {
    this.closed = true;
    this.manager.close();
    await Promise.all(this.connections.map((c) => c?.close()));
  }

  /** Adds one reference per request for `client` (default: one shared client). Throws once disconnected. */
  async subscribe(requests: readonly SubscriptionRequest[], client: string | number = 0): Promise<SubscriptionResult[]> {
    this.checkOpen("subscribe");
    return this.manager.subscribe(client, requests);
  }

  private checkOpen(op: string): void {
    if (this.closed) throw new TickwireError("ARGUMENT", `${this.broker}: ${op} after disconnect()`);
  }

  /** Drops one reference per request of `client`. */
  unsubscribe(requests: readonly SubscriptionRequest[], client: string | number = 0): Promise<SubscriptionResult[]> {
    return this.manager.unsubscribe(client, requests);
  }

  /** Drops every reference `client` holds (it disconnected). */
  removeClient(client: string | number): Promise<void> {
    return this.manager.removeClient(client);
  }

  /** What is subscribed where. */
  report(): SubscriptionReport {
    return this.manager.report();
  }

  /** Parser counters of every connection opened so far: malformed frames by reason, guard flags by guard (docs/NOREN.md). */
  parserCounters(): NorenCounters[] {
    return this.connections.map((c) => c.parserCounters());
  }

  /** Counters of every connection opened so far. */
  connectionHealth(): ConnectionHealth[] {
    return this.connections.map((_, i) => this.health.read(i));
  }

  /**
   * Instruments subscribed now that have not ticked for `olderThanMs`: staleness while the
   * market is open. Reads each symbol's sequence counter in the token map and remembers
   * when it last moved, so call it periodically (its resolution is the calling period);
   * an instrument is stale no sooner than `olderThanMs` after it was first seen here.
   */
  staleInstruments(olderThanMs: number): InstrumentRow[] {
    checkTimeout(olderThanMs, "olderThanMs", "staleInstruments");
    if (!this.settings.marketOpen()) return [];
    const now = Date.now();
    const stale: InstrumentRow[] = [];
    const seen = new Set<number>();
    for (const c of this.connections) {
      if (c === undefined || c.state === "failed" || c.state === "closed") continue;
      for (const row of c.instruments()) {
        const slot = this.map.slotOf(row.brokerExchange, row.token);
        if (slot < 0 || seen.has(slot)) continue;
        seen.add(slot);
        if (now - this.map.lastUpdateMs(slot) > olderThanMs) stale.push(row);
      }
    }
    return stale;
  }

  private connection(index: number): NorenConnection {
    return this.connections[index] ?? this.createConnection(index);
  }

  private openConnection(index: number): NorenConnection {
    const c = this.connection(index);
    if (c.state === "idle" || c.state === "closed") c.open().catch(() => { /* reported as a failed state */ });
    return c;
  }

  private createConnection(index: number): NorenConnection {
    const account = this.accounts[Math.floor(index / this.limits.connectionsPerAccount)];
    if (account === undefined) throw new TickwireError("ARGUMENT", `${this.broker}: connection ${index} is beyond the accounts' limit`);
    const parser = NorenParser.create(this.map, this.parserOptions);
    const connection = new NorenConnection(
      index,
      { ...this.settings, login: account },
      { mem: this.context.mem, parser, sink: this.sink, maxBatchBytes: this.maxBatchBytes, health: this.health, emit: (e) => this.onEvent(e) },
      (row) => this.symbolIdOf(row),
    );
    this.connections[index] = connection;
    return connection;
  }

  private onEvent(e: FeedEvent): void {
    this.emit(e);
    if (e.type === "state" && e.state === "failed") {
      this.manager.linkFailed(e.connection).catch((err: unknown) => {
        this.emit({ type: "state", connection: e.connection, state: "failed", reason: `re-homing its instruments failed: ${err instanceof Error ? err.message : String(err)}` });
      });
    }
  }

  private symbolIdOf(row: InstrumentRow): number {
    const id = this.context.symbols.intern(row.exchange, row.symbol, row.priceDecimals);
    this.map.set(row, id);
    return id;
  }
}

function credentialSource(c: unknown, protocol: "v1" | "v2", what: string): () => NorenCredentials | Promise<NorenCredentials> {
  if (typeof c === "function") return c as () => NorenCredentials;
  // Never describe the value: a token passed by mistake would be quoted in the error.
  if (typeof c !== "object" || c === null) throw new TickwireError("ARGUMENT", `${what} must be an object { uid, susertoken | accesstoken } or a function returning one, got a ${c === null ? "null" : typeof c}`);
  const o = c as NorenCredentials;
  if (typeof o.uid !== "string" || o.uid === "") throw new TickwireError("ARGUMENT", `${what}.uid must be a non-empty string`);
  const token = protocol === "v2" ? o.accesstoken : o.susertoken;
  // Never quote the token itself.
  if (typeof token !== "string" || token === "") throw new TickwireError("ARGUMENT", `${what}.${protocol === "v2" ? "accesstoken" : "susertoken"} must be a non-empty string`);
  const fixed = Object.freeze({ ...o });
  return () => fixed;
}

function isSocketUrl(url: unknown): url is string {
  if (typeof url !== "string") return false;
  try {
    const u = new URL(url);
    return (u.protocol === "ws:" || u.protocol === "wss:") && u.hostname !== "" && u.hash === "" && !url.includes("#");
  } catch {
    return false;
  }
}
