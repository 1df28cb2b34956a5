// The public shapes of `tickwire/client`, kept apart from the code so that the
// decoder, the queue and the client share them without importing one another.
// Everything here is plain data: the same in Node and in browsers.

/** A subscription mode: 1 LTP, 2 Quote, 3 Depth (Depth ⊇ Quote ⊇ LTP). */
export type Mode = 1 | 2 | 3;

/** One instrument, as the server names it. */
export interface Instrument {
  /** Exchange segment, e.g. "NSE", "NFO", "CDS". */
  exchange: string;
  /** Trading symbol, e.g. "RELIANCE". */
  symbol: string;
}

/** One level of a Depth tick's book. */
export interface DepthLevel {
  /** Price of the level. */
  price: number;
  /** Quantity at the level. */
  quantity: number;
  /** Orders at the level. */
  orders: number;
}

/**
 * One tick, the same shape whatever the wire format (JSON or binary records).
 *
 * Which optional fields are set follows `mode`, as on the JSON wire: LTP ticks carry
 * `ltp` and `timestamp`; Quote adds `volume` … `oi`; Depth adds the book totals,
 * the circuits and `depth`.
 *
 * Precision: prices are the doubles nearest their decimal values (exact: 2500.05 is
 * `2500.05`). u64 quantities (`volume`, `oi`, `totalBuyQuantity`, `totalSellQuantity`)
 * are JavaScript numbers, so values beyond 2^53 are rounded to the nearest double — by
 * `JSON.parse` in JSON format, by the decoder in binary format. Use the binary format
 * and the record views of `tickwire` on the server side when you need them exact.
 */
export interface Tick {
  /** Exchange segment, e.g. "NSE". */
  exchange: string;
  /** Trading symbol. */
  symbol: string;
  /** JSON: the subscription mode of the message. Binary: the record's kind. */
  mode: Mode;
  /** Last traded price. */
  ltp: number;
  /**
   * Milliseconds since the epoch. JSON: the proxy's wall clock when it forwarded the tick.
   * Binary: the record's exchange time when it is set, else the client's clock on arrival.
   */
  timestamp: number;
  /** Cumulative traded volume (u64: rounded beyond 2^53). */
  volume?: number;
  /** Day's open. */
  open?: number;
  /** Day's high. */
  high?: number;
  /** Day's low. */
  low?: number;
  /** Previous close. */
  close?: number;
  /** Average traded price. */
  averagePrice?: number;
  /** Percent change (-1.05 for -1.05 %). */
  percentChange?: number;
  /** Last traded quantity. */
  lastQuantity?: number;
  /** Last trade time, ms since the epoch (the exchange's time). */
  lastTradeTime?: number;
  /** Open interest (u64: rounded beyond 2^53). */
  oi?: number;
  /** Depth: total quantity on the buy side of the book (u64). */
  totalBuyQuantity?: number;
  /** Depth: total quantity on the sell side of the book (u64). */
  totalSellQuantity?: number;
  /** Depth: upper circuit limit. */
  upperCircuit?: number;
  /** Depth: lower circuit limit. */
  lowerCircuit?: number;
  /** Depth ticks: five levels a side, best first. */
  depth?: { buy: DepthLevel[]; sell: DepthLevel[] };
  /**
   * The server's receive time in ns on its own monotonic clock (binary format, and JSON
   * when the server has `receiveTime` on). Only differences between ticks mean anything.
   */
  recvTimeNs?: number;
}

/** The outcome for one instrument of a subscribe or unsubscribe request, from the server's reply. */
export interface SubscribeEntry {
  /** Exchange segment, as the server replied. */
  exchange: string;
  /** Trading symbol, as the server replied. */
  symbol: string;
  /** Whether the server took the request for this instrument. */
  ok: boolean;
  /** The mode the entry is about (the reply's, else the one requested; absent for "every mode"). */
  mode?: Mode;
  /** The server's per-symbol error code when `ok` is false (e.g. "SYMBOL_NOT_FOUND"). */
  code?: string;
  /** The server's per-symbol error message when `ok` is false. */
  message?: string;
  /** Binary format: the symbol id its records carry. */
  id?: number;
  /** Binary format: the symbol's price decimals. */
  decimals?: number;
}

/** One subscription the server holds for this client (`listSubscriptions`). */
export interface SubscriptionInfo extends Instrument {
  /** The mode subscribed. */
  mode: Mode;
}

/** What `onEvent` listeners hear about the connection. */
export type ClientEvent =
  /** The connection was lost (or an attempt failed); the next attempt starts in `delayMs`. */
  | { type: "reconnecting"; attempt: number; delayMs: number; reason: string }
  /**
   * Connected again: authenticated, format set, subscriptions restored. `failed` lists the
   * instruments the server refused this time (they are no longer held).
   */
  | { type: "reconnected"; attempt: number; failed: SubscribeEntry[] }
  /** The client is closed for good: by `close()`, by a lost connection without reconnect, or by a refused re-authentication (`error`). */
  | { type: "closed"; code: number; reason: string; error?: Error }
  /** Something that no call could be told about: an `onTick` listener threw, or the server sent an error no request was waiting for. */
  | { type: "error"; error: Error };

/** Counters of a client, for monitoring. */
export interface ClientStats {
  /** Whether the client is connected and authenticated now. */
  connected: boolean;
  /** Ticks decoded and delivered to listeners and iterators. */
  ticks: number;
  /** Ticks an iterator's full queue dropped (its oldest), all iterators together. */
  dropped: number;
  /** Binary records whose symbol id no subscribe reply of this connection named. */
  unknownSymbols: number;
  /** Messages or records that could not be read (bad JSON, a record of an unknown version or bad length). */
  malformed: number;
  /** Successful reconnections. */
  reconnects: number;
  /** Tick iterators attached now. */
  iterators: number;
  /** Requests waiting for their reply. */
  pendingRequests: number;
}

/**
 * The part of a WebSocket the client uses: the browser's WebSocket and the `ws`
 * package's both have it (messages through `addEventListener`, binaryType "arraybuffer").
 */
export interface WebSocketLike {
  /** Set to "arraybuffer" by the client. */
  binaryType: string;
  /** 0 connecting, 1 open, 2 closing, 3 closed. */
  readonly readyState: number;
  /** Sends a text frame. */
  send(data: string): void;
  /** Starts the closing handshake. */
  close(code?: number, reason?: string): void;
  /** Listens for "open", "message", "close" and "error". */
  addEventListener(type: string, listener: (event: any) => void): void;
}

/** A WebSocket class: `globalThis.WebSocket` in browsers (and Node 22), `WebSocket` from `ws` in Node 20. */
export type WebSocketConstructor = new (url: string) => WebSocketLike;

/** Reconnection timing: the delay doubles from `initialDelayMs` up to `maxDelayMs`, each with jitter. */
export interface ReconnectOptions {
  /** First delay, ms (default 250). */
  initialDelayMs?: number;
  /** Largest delay, ms (default 10 000). */
  maxDelayMs?: number;
}

/** Options of {@link TickwireClient.connect}. */
export interface TickwireClientOptions {
  /** Server URL, `ws://` or `wss://`. */
  url: string;
  /** API key to authenticate with. Never logged nor put into errors. */
  apiKey: string;
  /** Wire format of ticks: "json" (default) or "binary" (records; fewer bytes, exact prices, u64 times). */
  format?: "json" | "binary";
  /** WebSocket class; default `globalThis.WebSocket` (Node 20 has none: pass `ws`'s). */
  WebSocket?: WebSocketConstructor;
  /** Reconnect after an unexpected close (default true), optionally with timings. */
  reconnect?: boolean | ReconnectOptions;
  /** Limit on each request's reply, and on opening the socket, ms (default 10 000). */
  requestTimeoutMs?: number;
  /** Ticks each `ticks()` iterator queues before dropping its oldest (default 10 000). */
  queueLimit?: number;
}

/** Options of {@link TickwireClient.ticks}. */
export interface TicksOptions {
  /** Ends the iterator (as `return()` does) when aborted. */
  signal?: AbortSignal;
}
