// The adapter contract: what every broker feed (Flattrade, Shoonya, the simulated
// exchange, ...) offers the rest of tickwire, and what it is given. Control-plane
// types only: ticks never travel as objects, they are written as records into the
// memory the adapter was given and handed to a TickSink in batches.
import type { ExchangeName } from "../format/exchange.js";
import type { TickwireMemory } from "../memory/shared-memory.js";
import type { SymbolTable } from "../memory/symbol-table.js";

/** Subscription depth of a symbol: LTP ⊂ Quote ⊂ Depth (the client protocol's 1, 2, 3). */
export const Mode = { LTP: 1, QUOTE: 2, DEPTH: 3 } as const;
/** 1 LTP, 2 Quote, 3 Depth. */
export type Mode = (typeof Mode)[keyof typeof Mode];

/** An instrument by tickwire's (OpenAlgo's) names: `{ exchange: "NSE", symbol: "RELIANCE" }`. */
export interface Instrument {
  readonly exchange: ExchangeName;
  readonly symbol: string;
}

/** One instrument to (un)subscribe at a mode. */
export interface SubscriptionRequest extends Instrument {
  readonly mode: Mode;
}

/**
 * Per-instrument outcome of a (un)subscribe call: never a failed batch for one bad symbol.
 * A refused request's `exchange`/`symbol` are "" and its `mode` 0 where the request's were
 * not a string or a Mode, so a result is always plain JSON.
 */
export type SubscriptionResult =
  | { readonly exchange: string; readonly symbol: string; readonly mode: Mode; readonly ok: true }
  | { readonly exchange: string; readonly symbol: string; readonly mode: Mode | 0; readonly ok: false; readonly code: SubscriptionErrorCode; readonly message: string };

/** Why one instrument could not be (un)subscribed. */
export type SubscriptionErrorCode =
  | "SYMBOL_NOT_FOUND" | "NOT_SUBSCRIBED" | "MAX_CAPACITY_REACHED" | "INVALID_MODE" | "BROKER_ERROR" | "TIMEOUT";

/** Limits a broker imposes; every one configurable. */
export interface BrokerLimits {
  /** Symbols one upstream connection carries (Noren: ~1 000 comfortably). */
  readonly symbolsPerConnection: number;
  /** Connections one account (login) may hold open at once (Flattrade: 2). */
  readonly connectionsPerAccount: number;
  /** Subscribe/unsubscribe messages per second per connection. */
  readonly messagesPerSecond: number;
  /** Instruments in one subscribe/unsubscribe message (Noren: 50 is safe). */
  readonly instrumentsPerMessage: number;
}

/** Lifecycle of one upstream connection. */
export type ConnectionState = "idle" | "connecting" | "open" | "reconnecting" | "closed" | "failed";

/** What an adapter reports; never carries credentials. */
export type FeedEvent =
  | { readonly type: "state"; readonly connection: number; readonly state: ConnectionState; readonly reason?: string }
  /** The broker refused the login (not retried beyond the configured fresh-token attempts). */
  | { readonly type: "login-rejected"; readonly connection: number; readonly message: string }
  /** A connection came back and re-subscribed everything it held. */
  | { readonly type: "resubscribed"; readonly connection: number; readonly instruments: number }
  /** Frames skipped as malformed since the last such event, for one reason (BAD_JSON, PRECISION, … docs/NOREN.md). */
  | { readonly type: "malformed"; readonly connection: number; readonly reason: string; readonly count: number }
  /** Ticks the sink refused (TIMEOUT/FAILED from the processor), counted, never silent. */
  | { readonly type: "dropped"; readonly connection: number; readonly ticks: number; readonly reason: string };

/**
 * Where an adapter hands its records: a batch of contiguous records at `src` of the
 * adapter's memory, `bytes` long. Resolves to the ticks taken. The adapter awaits each
 * call before the next (ParallelProcessor.route's rule) and buffers meanwhile.
 * `(src, bytes) => processor.route(src, bytes)` is the usual sink.
 */
export type TickSink = (src: number, bytes: number) => number | Promise<number>;

/** What the registry gives an adapter it creates. */
export interface AdapterContext {
  /** Shared memory the records are written into (the processor's). */
  readonly mem: TickwireMemory;
  /** The symbol table record ids come from. */
  readonly symbols: SymbolTable;
  /** Where batches of records go. */
  readonly sink: TickSink;
  /**
   * The largest batch the sink takes, bytes (ParallelProcessor.maxRouteBytes for
   * `processor.route`): bigger outputs are handed over in pieces, split between records.
   * Default: no limit.
   */
  readonly maxBatchBytes?: number;
  /** Hears connection events (optional). */
  readonly onEvent?: (event: FeedEvent) => void;
}

/**
 * A market-data feed: connects upstream, keeps subscriptions and writes every tick as a
 * record straight into the ingest path. Routing stays on the thread that owns the sink.
 */
export interface BrokerAdapter {
  /** Registry name ("flattrade", "shoonya", "simulated", ...). */
  readonly broker: string;
  readonly limits: BrokerLimits;
  /** Opens the connections the current subscriptions need (at least one) and logs in. */
  connect(): Promise<void>;
  /** Closes every connection; subscriptions are forgotten. */
  disconnect(): Promise<void>;
  /** Adds one reference per request; resolves when the broker acknowledged (per instrument). */
  subscribe(requests: readonly SubscriptionRequest[]): Promise<SubscriptionResult[]>;
  /** Drops one reference per request; the upstream subscription ends with the last one. */
  unsubscribe(requests: readonly SubscriptionRequest[]): Promise<SubscriptionResult[]>;
}

/**
 * One instrument of a broker's symbol master, resolved both ways: tickwire's
 * (exchange, symbol) and the broker's (brokerExchange, token). Tokens are unique only
 * within a broker exchange: (brokerExchange, token) is the key upstream.
 */
export interface InstrumentRow extends Instrument {
  /** The broker's exchange segment code ("NSE" for both NSE and NSE_INDEX on Noren). */
  readonly brokerExchange: string;
  /** The broker's instrument token, decimal digits ("2885", "26000"). */
  readonly token: string;
  /** The broker's trading symbol ("RELIANCE-EQ"). */
  readonly brokerSymbol: string;
  /** Decimals of every price (2 for NSE equities, 4 for currency): the record's priceDecimals. */
  readonly priceDecimals: number;
  /** Minimum price step in price units (0.05). */
  readonly tickSize: number;
  readonly lotSize: number;
  /** Whether a zero or negative last price is legitimate (spreads, some commodities). */
  readonly allowNonPositive?: boolean;
}

/** Upstream subscription of one instrument on a link: 0 none, else the Mode it streams at. */
export type LinkMode = 0 | Mode;

/** One change the subscription manager asks of a link. */
export interface LinkChange {
  readonly row: InstrumentRow;
  readonly from: LinkMode;
  readonly to: LinkMode;
}

/** Outcome of one LinkChange. */
export type LinkResult = { readonly ok: true } | { readonly ok: false; readonly code: SubscriptionErrorCode; readonly message: string };

/**
 * One upstream connection as the subscription manager sees it. The link owns the wire:
 * it maps modes to the broker's streams (Noren: LTP and Quote are touchline, Depth is
 * depth), coalesces changes into messages within the broker's limits, and after a
 * reconnect re-subscribes everything it holds by itself.
 */
export interface UpstreamLink {
  readonly index: number;
  readonly state: ConnectionState;
  /** Applies changes; resolves per change, in order, once the broker acknowledged or refused. */
  change(changes: readonly LinkChange[]): Promise<LinkResult[]>;
}
