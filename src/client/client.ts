// TickwireClient: one WebSocket session with a tickwire proxy (docs/PROTOCOL.md).
// It owns what a reconnect has to restore — the API key, the format and every
// subscription held, by mode — so that a dropped connection costs the caller a
// "reconnecting" event, not a re-implementation of the session. Requests carry a
// request_id and are matched to their replies by it (by reply type, oldest first,
// when a server does not echo it), each with a timeout.

import * as L from "../format/layout.js";
import { TickwireError } from "../errors.js";
import { describe } from "../validate.js";
import { resolveOptions, type ResolvedOptions } from "./options.js";
import { RecordDecoder, parseMode, tickFromJson, type DecodeCounters } from "./decode.js";
import { TickQueue } from "./tick-queue.js";
import { TickwireServerError } from "./server-error.js";
import type {
  ClientEvent, ClientStats, Instrument, Mode, SubscribeEntry, SubscriptionInfo, Tick, TickwireClientOptions,
  TicksOptions, WebSocketLike,
} from "./types.js";

/** WebSocket readyState OPEN (the same in browsers and ws). */
const OPEN = 1;
/** Instruments per subscribe/unsubscribe request: keeps each message far below the server's payload limit. */
const CHUNK = 1000;
/** Longest piece of a server message copied into an error. */
const MAX_SERVER_TEXT = 200;

type State = "connecting" | "open" | "reconnecting" | "closing" | "closed";
type Reply = Record<string, unknown>;

interface Pending {
  action: string;
  /** The reply `type` that answers it (used when the server does not echo request_id). */
  expect: string;
  resolve(reply: Reply): void;
  reject(error: Error): void;
  timer: ReturnType<typeof setTimeout>;
}

interface Held {
  exchange: string;
  symbol: string;
  modes: Set<Mode>;
}

const now = (): number => (globalThis.performance ? globalThis.performance.now() : Date.now());
const errText = (e: unknown): string => (e instanceof Error ? e.message : String(e));
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const heldKey = (exchange: string, symbol: string): string => `${exchange}\u0000${symbol}`;

/**
 * A client of a tickwire proxy (or any OpenAlgo-compatible market-data WebSocket), for
 * Node and browsers.
 *
 * ```ts
 * import { WebSocket } from "ws"; // Node 20 only; browsers and Node 22 have a global one
 * const client = await TickwireClient.connect({ url: "ws://127.0.0.1:8765", apiKey, WebSocket });
 * await client.subscribe([{ exchange: "NSE", symbol: "RELIANCE" }], 2);
 * for await (const tick of client.ticks()) console.log(tick.symbol, tick.ltp);
 * ```
 *
 * Every request resolves with its reply or rejects with a {@link TickwireError}: "ARGUMENT"
 * for bad arguments (naming the field), "TIMEOUT" when no reply came within
 * `requestTimeoutMs`, "FAILED" when the server refused it (a {@link TickwireServerError},
 * with the server's code) or the connection closed before the reply.
 *
 * After an unexpected close the client reconnects (unless `reconnect: false`) with doubling,
 * jittered delays, authenticates again, sets the format again and subscribes again to every
 * instrument it holds, in every mode; requests made meanwhile wait for that (within their
 * timeout). A refused re-authentication ends the client ("closed" event with the error).
 */
export class TickwireClient {
  private state: State = "connecting";
  private ws: WebSocketLike | undefined;
  private nextId = 1;
  private pingSeq = 0;
  private readonly pending = new Map<string, Pending>();
  private readonly held = new Map<string, Held>();
  private readonly counters: DecodeCounters & { ticks: number; dropped: number; reconnects: number } = {
    ticks: 0, dropped: 0, unknownSymbols: 0, malformed: 0, reconnects: 0,
  };
  private readonly decoder = new RecordDecoder(this.counters);
  private readonly tickListeners = new Set<(tick: Tick) => void>();
  private readonly eventListeners = new Set<(event: ClientEvent) => void>();
  private readonly queues = new Set<TickQueue>();
  private readyWaiters: { action: string; resolve(): void; reject(e: Error): void }[] = [];
  private openWaiter: { resolve(): void; reject(e: Error): void } | undefined;
  private backoff: { timer: ReturnType<typeof setTimeout>; wake(): void } | undefined;
  private closePromise: Promise<void> | undefined;
  private closeResolve: (() => void) | undefined;

  private constructor(private readonly o: ResolvedOptions) {}

  /**
   * Opens a connection, authenticates and (for format "binary") switches the format.
   * Resolves with the connected client. Rejects with TickwireError "ARGUMENT" for bad options
   * (naming the field), "FAILED" when the socket could not be opened or the server refused
   * authentication or the format (a {@link TickwireServerError} carrying the server's code and
   * message, never the API key), "TIMEOUT" when the socket did not open or a reply did not
   * come within `requestTimeoutMs`. The first connection is not retried: reconnecting starts
   * once connected.
   */
  static async connect(options: TickwireClientOptions): Promise<TickwireClient> {
    const client = new TickwireClient(resolveOptions(options));
    try {
      await client.openSession();
    } catch (e) {
      client.abandonSocket("connect failed");
      client.state = "closed";
      throw e;
    }
    client.state = "open";
    return client;
  }

  /** The wire format ticks arrive in. */
  get format(): "json" | "binary" {
    return this.o.format;
  }

  /**
   * Subscribes to `instruments` in `mode` (1 LTP, 2 Quote — the default —, 3 Depth) and resolves
   * with the server's per-instrument results once it has acknowledged them (in binary format the
   * successful ones carry the symbol `id` and `decimals`). Instruments the server took are held
   * and restored after a reconnect. A refused request rejects FAILED (e.g. RATE_LIMITED); a refused
   * instrument is an entry with `ok: false`. More than 1000 instruments go in several requests.
   */
  async subscribe(instruments: readonly Instrument[], mode: Mode = 2): Promise<SubscribeEntry[]> {
    const list = checkInstruments("subscribe", instruments);
    checkMode("subscribe", mode);
    const out: SubscribeEntry[] = [];
    for (let i = 0; i < list.length; i += CHUNK) {
      const chunk = list.slice(i, i + CHUNK);
      const reply = await this.userRequest("subscribe", "subscribe", { symbols: chunk, mode });
      out.push(...this.applySubscribe(reply, mode, false));
    }
    return out;
  }

  /**
   * Unsubscribes `instruments` from `mode`, or from every mode when `mode` is omitted, and
   * resolves with the server's per-instrument results; they are no longer held.
   */
  async unsubscribe(instruments: readonly Instrument[], mode?: Mode): Promise<SubscribeEntry[]> {
    const list = checkInstruments("unsubscribe", instruments);
    if (mode !== undefined) checkMode("unsubscribe", mode);
    const out: SubscribeEntry[] = [];
    for (let i = 0; i < list.length; i += CHUNK) {
      const chunk = list.slice(i, i + CHUNK);
      const reply = await this.userRequest("unsubscribe", "unsubscribe", mode === undefined ? { symbols: chunk } : { symbols: chunk, mode });
      const entries = unsubscribeEntries(reply, mode);
      // A server that lists nothing but says "success" took the whole request.
      const gone = Array.isArray(reply.successful) ? entries.filter((e) => e.ok) : reply.status === "success" ? chunk : [];
      for (const e of gone) this.release(e.exchange, e.symbol, mode);
      out.push(...entries);
    }
    return out;
  }

  /** Unsubscribes everything this client holds; resolves with the server's per-instrument results. */
  async unsubscribeAll(): Promise<SubscribeEntry[]> {
    const reply = await this.userRequest("unsubscribe_all", "unsubscribe", {});
    this.held.clear();
    return unsubscribeEntries(reply, undefined);
  }

  /** The subscriptions the server holds for this connection (symbol × mode). */
  async listSubscriptions(): Promise<SubscriptionInfo[]> {
    const reply = await this.userRequest("list_subscriptions", "subscriptions", {});
    const out: SubscriptionInfo[] = [];
    for (const e of Array.isArray(reply.subscriptions) ? reply.subscriptions : []) {
      if (!isObject(e)) continue;
      const mode = parseMode(e.mode);
      if (typeof e.exchange === "string" && typeof e.symbol === "string" && mode !== undefined) out.push({ exchange: e.exchange, symbol: e.symbol, mode });
    }
    return out;
  }

  /** Sends a protocol ping and resolves with the round trip in ms (to the reply, through the server's queue). */
  async ping(): Promise<number> {
    const deadline = now() + this.o.requestTimeoutMs;
    await this.ready("ping", this.o.requestTimeoutMs);
    const t0 = now();
    await this.request(this.ws, "ping", "pong", { timestamp: Date.now(), _pingId: ++this.pingSeq }, Math.max(1, deadline - t0));
    return now() - t0;
  }

  /**
   * Calls `fn` with every tick, synchronously as it is decoded (keep it quick; treat the tick
   * as read-only, iterators get the same object). Returns a function that removes `fn`.
   * A throwing `fn` is reported as an "error" event and does not stop the others.
   */
  onTick(fn: (tick: Tick) => void): () => void {
    if (typeof fn !== "function") throw new TickwireError("ARGUMENT", `onTick: fn must be a function, got ${describe(fn)}`);
    const listener = (tick: Tick): void => fn(tick);
    this.tickListeners.add(listener);
    return () => {
      this.tickListeners.delete(listener);
    };
  }

  /** Calls `fn` with connection events ({@link ClientEvent}). Returns a function that removes it. */
  onEvent(fn: (event: ClientEvent) => void): () => void {
    if (typeof fn !== "function") throw new TickwireError("ARGUMENT", `onEvent: fn must be a function, got ${describe(fn)}`);
    const listener = (event: ClientEvent): void => fn(event);
    this.eventListeners.add(listener);
    return () => {
      this.eventListeners.delete(listener);
    };
  }

  /**
   * An async iterator over the ticks from now on: `for await (const t of client.ticks())`.
   * Each iterator queues at most `queueLimit` ticks; when its consumer falls further behind,
   * the oldest is dropped (counted in `stats().dropped`). Leaving the loop (`break`, or
   * `options.signal` aborting) detaches it; `close()` ends it after the queued ticks.
   */
  ticks(options: TicksOptions = {}): AsyncIterableIterator<Tick> {
    if (!isObject(options as unknown)) throw new TickwireError("ARGUMENT", `ticks: options must be an object, got ${describe(options)}`);
    const signal: AbortSignal | undefined = options.signal;
    if (signal !== undefined && (typeof signal !== "object" || signal === null || typeof (signal as Partial<AbortSignal>).addEventListener !== "function")) {
      throw new TickwireError("ARGUMENT", `ticks: options.signal must be an AbortSignal, got ${describe(signal)}`);
    }
    const queue = new TickQueue(this.o.queueLimit, {
      dropped: () => {
        this.counters.dropped++;
      },
      detached: (q) => {
        this.queues.delete(q);
      },
    });
    if (this.state === "closed" || this.state === "closing" || signal?.aborted) {
      queue.end();
      return queue;
    }
    this.queues.add(queue);
    signal?.addEventListener("abort", () => void queue.return(), { once: true });
    return queue;
  }

  /** Counters and the connection state, for monitoring. */
  stats(): ClientStats {
    return {
      connected: this.state === "open",
      ticks: this.counters.ticks,
      dropped: this.counters.dropped,
      unknownSymbols: this.counters.unknownSymbols,
      malformed: this.counters.malformed,
      reconnects: this.counters.reconnects,
      iterators: this.queues.size,
      pendingRequests: this.pending.size,
    };
  }

  /**
   * Closes the connection and stops reconnecting; pending requests reject FAILED, iterators end
   * (after their queued ticks), a "closed" event is emitted. Resolves once the socket closed (or
   * after `requestTimeoutMs` if the server never completes the close). Calling it again returns
   * the same promise.
   */
  close(): Promise<void> {
    if (this.closePromise) return this.closePromise;
    this.closePromise = new Promise<void>((resolve) => {
      if (this.state === "closed") {
        resolve();
        return;
      }
      this.state = "closing";
      this.cancelBackoff();
      this.rejectPending("the client was closed");
      this.rejectReady("the client was closed");
      const ws = this.ws;
      if (ws === undefined) {
        this.closeResolve = resolve;
        this.finish(1000, "client closed");
        return;
      }
      const timer = setTimeout(() => {
        if (this.ws === ws) this.ws = undefined;
        this.finish(1006, `the server did not complete the close within ${this.o.requestTimeoutMs} ms`);
      }, this.o.requestTimeoutMs);
      this.closeResolve = () => {
        clearTimeout(timer);
        resolve();
      };
      try {
        ws.close(1000, "client closed");
      } catch {
        this.ws = undefined;
        this.finish(1000, "client closed");
      }
    });
    return this.closePromise;
  }

  // ── the session ──────────────────────────────────────────────────────────

  /** Opens a socket, authenticates, sets the format and restores the held subscriptions; resolves with those refused. */
  private async openSession(): Promise<SubscribeEntry[]> {
    const ws = await this.openSocket();
    this.decoder.symbols.clear(); // ids are the server's: a new connection may be a new server
    const timeout = this.o.requestTimeoutMs;
    await this.request(ws, "authenticate", "auth", { api_key: this.o.apiKey }, timeout);
    if (this.o.format === "binary") {
      const reply = await this.request(ws, "set_format", "set_format", { format: "binary" }, timeout);
      const version = reply.record_version;
      if (version !== undefined && version !== L.FORMAT_VERSION) {
        throw new TickwireError("FAILED", `set_format: the server sends records of version ${describe(version)}; this client reads version ${L.FORMAT_VERSION}`);
      }
    }
    const failed: SubscribeEntry[] = [];
    const byMode = new Map<Mode, Instrument[]>();
    for (const h of this.held.values()) {
      for (const mode of h.modes) {
        let list = byMode.get(mode);
        if (!list) byMode.set(mode, (list = []));
        list.push({ symbol: h.symbol, exchange: h.exchange });
      }
    }
    for (const [mode, list] of byMode) {
      for (let i = 0; i < list.length; i += CHUNK) {
        const reply = await this.request(ws, "subscribe", "subscribe", { symbols: list.slice(i, i + CHUNK), mode }, timeout);
        failed.push(...this.applySubscribe(reply, mode, true).filter((e) => !e.ok));
      }
    }
    if (this.ws !== ws || ws.readyState !== OPEN) throw new TickwireError("FAILED", "the connection closed while it was being set up");
    return failed;
  }

  /** Opens a socket; resolves once it is open. */
  private openSocket(): Promise<WebSocketLike> {
    return new Promise((resolve, reject) => {
      let ws: WebSocketLike;
      try {
        ws = new this.o.WebSocket(this.o.url);
      } catch (e) {
        reject(new TickwireError("FAILED", `could not open a WebSocket to ${safeUrl(this.o.url)}: ${errText(e)}`));
        return;
      }
      ws.binaryType = "arraybuffer";
      this.ws = ws;
      const waiter = {
        resolve: () => {
          clearTimeout(timer);
          resolve(ws);
        },
        reject: (e: Error) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      const timer = setTimeout(() => {
        if (this.openWaiter !== waiter) return;
        this.openWaiter = undefined;
        this.abandonSocket("the socket did not open");
        reject(new TickwireError("TIMEOUT", `could not connect to ${safeUrl(this.o.url)}: the socket did not open within ${this.o.requestTimeoutMs} ms`));
      }, this.o.requestTimeoutMs);
      this.openWaiter = waiter;
      ws.addEventListener("open", () => {
        if (this.openWaiter !== waiter || this.ws !== ws) return;
        this.openWaiter = undefined;
        waiter.resolve();
      });
      ws.addEventListener("message", (event: { data: unknown }) => this.onMessage(ws, event.data));
      ws.addEventListener("close", (event: { code?: number; reason?: string }) => this.onSocketClose(ws, event.code ?? 1006, event.reason ?? ""));
      // A failure is always followed by "close", which is where it is handled; ws needs a listener
      // here or it throws the error.
      ws.addEventListener("error", () => {});
    });
  }

  private onSocketClose(ws: WebSocketLike, code: number, reason: string): void {
    if (ws !== this.ws) return; // a socket already given up
    this.ws = undefined;
    const why = `connection closed (code ${code}${reason ? `, ${reason}` : ""})`;
    if (this.openWaiter) {
      const w = this.openWaiter;
      this.openWaiter = undefined;
      w.reject(new TickwireError("FAILED", `could not connect to ${safeUrl(this.o.url)}: ${why}`));
    }
    this.rejectPending(why);
    if (this.state === "closing") {
      this.finish(code, reason);
    } else if (this.state === "open") {
      if (this.o.reconnect) {
        this.state = "reconnecting";
        void this.reconnectLoop(why);
      } else {
        this.finish(code, reason);
      }
    }
    // "connecting" / "reconnecting": the attempt in progress fails on its own.
  }

  private async reconnectLoop(reason: string): Promise<void> {
    const { initialDelayMs, maxDelayMs } = this.o.reconnect as { initialDelayMs: number; maxDelayMs: number };
    for (let attempt = 1; this.state === "reconnecting"; attempt++) {
      const base = Math.min(maxDelayMs, initialDelayMs * 2 ** Math.min(attempt - 1, 40));
      // Equal jitter: half the delay fixed, half random, so clients dropped together spread out.
      const delayMs = Math.round(base / 2 + (Math.random() * base) / 2);
      this.emit({ type: "reconnecting", attempt, delayMs, reason });
      await this.sleep(delayMs);
      if (this.state !== "reconnecting") return;
      try {
        const failed = await this.openSession();
        if (this.state !== "reconnecting") return; // close() was called: it owns the socket now
        this.state = "open";
        this.counters.reconnects++;
        for (const w of this.readyWaiters.splice(0)) w.resolve();
        this.emit({ type: "reconnected", attempt, failed });
        return;
      } catch (e) {
        if (this.state !== "reconnecting") return;
        this.abandonSocket(errText(e));
        if (e instanceof TickwireServerError && e.serverCode === "AUTHENTICATION_ERROR") {
          this.finish(1000, "authentication refused", e);
          return;
        }
        reason = errText(e);
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.backoff = undefined;
        resolve();
      }, ms);
      this.backoff = { timer, wake: resolve };
    });
  }

  private cancelBackoff(): void {
    const b = this.backoff;
    if (!b) return;
    this.backoff = undefined;
    clearTimeout(b.timer);
    b.wake();
  }

  /** Gives up the current socket (its close event is then ignored) and fails its pending requests. */
  private abandonSocket(why: string): void {
    const ws = this.ws;
    if (ws === undefined) return;
    this.ws = undefined;
    this.openWaiter = undefined;
    this.rejectPending(why);
    try {
      ws.close(1000, "client gave up the connection");
    } catch {
      // already closing or closed
    }
  }

  /** Ends the client for good (once): iterators end, waiters fail, "closed" is emitted, close() resolves. */
  private finish(code: number, reason: string, error?: Error): void {
    if (this.state === "closed") return;
    this.state = "closed";
    this.cancelBackoff();
    this.rejectPending("the client was closed");
    this.rejectReady(error ? `the client was closed: ${error.message}` : "the client was closed");
    for (const q of this.queues) q.end();
    this.queues.clear();
    this.emit(error ? { type: "closed", code, reason, error } : { type: "closed", code, reason });
    const done = this.closeResolve;
    this.closeResolve = undefined;
    done?.();
  }

  // ── requests ─────────────────────────────────────────────────────────────

  /** A caller's request: waits for the connection if it is being restored, then sends; all within requestTimeoutMs. */
  private async userRequest(action: string, expect: string, fields: Record<string, unknown>): Promise<Reply> {
    const deadline = now() + this.o.requestTimeoutMs;
    await this.ready(action, this.o.requestTimeoutMs);
    return this.request(this.ws, action, expect, fields, Math.max(1, deadline - now()));
  }

  /** Resolves when the client is connected; waits while it reconnects (up to `ms`). */
  private ready(action: string, ms: number): Promise<void> {
    if (this.state === "open" && this.ws !== undefined) return Promise.resolve();
    if (this.state !== "reconnecting") return Promise.reject(new TickwireError("FAILED", `${action}: the client is closed`));
    return new Promise((resolve, reject) => {
      const waiter = {
        action,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        reject: (e: Error) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      const timer = setTimeout(() => {
        this.readyWaiters = this.readyWaiters.filter((w) => w !== waiter);
        reject(new TickwireError("TIMEOUT", `${action}: not reconnected within ${ms} ms`));
      }, ms);
      this.readyWaiters.push(waiter);
    });
  }

  private rejectReady(why: string): void {
    for (const w of this.readyWaiters.splice(0)) w.reject(new TickwireError("FAILED", `${w.action}: ${why}`));
  }

  /** Sends one request on `ws` and resolves with its reply; rejects TIMEOUT after `ms`, FAILED if refused or closed. */
  private request(ws: WebSocketLike | undefined, action: string, expect: string, fields: Record<string, unknown>, ms: number): Promise<Reply> {
    return new Promise((resolve, reject) => {
      if (ws === undefined || ws !== this.ws || ws.readyState !== OPEN) {
        reject(new TickwireError("FAILED", `${action}: not connected`));
        return;
      }
      const id = String(this.nextId++);
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new TickwireError("TIMEOUT", `${action}: no reply within ${Math.round(ms)} ms`));
      }, ms);
      this.pending.set(id, { action, expect, resolve, reject, timer });
      try {
        ws.send(JSON.stringify({ action, ...fields, request_id: id }));
      } catch (e) {
        clearTimeout(timer);
        this.pending.delete(id);
        reject(new TickwireError("FAILED", `${action}: could not send: ${errText(e)}`));
      }
    });
  }

  private rejectPending(why: string): void {
    const all = [...this.pending.values()];
    this.pending.clear();
    for (const p of all) {
      clearTimeout(p.timer);
      p.reject(new TickwireError("FAILED", `${p.action}: ${why}`));
    }
  }

  // ── incoming ─────────────────────────────────────────────────────────────

  private onMessage(ws: WebSocketLike, data: unknown): void {
    if (ws !== this.ws) return;
    if (typeof data === "string") {
      this.onText(data);
    } else if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) {
      this.decoder.decodeFrame(data, this.deliver);
    } else {
      this.counters.malformed++; // a Blob or fragments: binaryType was not honoured
    }
  }

  private onText(text: string): void {
    let msg: unknown;
    try {
      msg = JSON.parse(text);
    } catch {
      this.counters.malformed++;
      return;
    }
    if (!isObject(msg)) {
      this.counters.malformed++;
      return;
    }
    if (msg.type === "market_data") {
      const tick = tickFromJson(msg);
      if (tick) this.deliver(tick);
      else this.counters.malformed++;
      return;
    }
    this.settle(msg);
  }

  /** Hands a reply to the request it answers. */
  private settle(msg: Reply): void {
    const rid = msg.request_id;
    let id: string | undefined;
    if (rid !== undefined && rid !== null) {
      id = String(rid);
      if (!this.pending.has(id)) return; // its request timed out or was failed already
    } else {
      // A server that does not echo request_id: the oldest request waiting for this type of reply.
      for (const [k, p] of this.pending) {
        if (p.expect === msg.type || (msg.type === undefined && msg.status === "error")) {
          id = k;
          break;
        }
      }
    }
    if (id === undefined) {
      if (msg.status === "error") this.emit({ type: "error", error: this.serverError("server", msg) });
      return;
    }
    const p = this.pending.get(id)!;
    this.pending.delete(id);
    clearTimeout(p.timer);
    // status "error" with per-instrument lists is an answer (every instrument refused), not a refusal.
    if (msg.status === "error" && !Array.isArray(msg.subscriptions) && !Array.isArray(msg.successful) && !Array.isArray(msg.failed)) {
      p.reject(this.serverError(p.action, msg));
    } else {
      p.resolve(msg);
    }
  }

  private serverError(action: string, msg: Reply): TickwireServerError {
    const code = typeof msg.code === "string" ? msg.code.slice(0, 64) : "UNKNOWN";
    let text = typeof msg.message === "string" ? msg.message.slice(0, MAX_SERVER_TEXT) : "";
    // A server that echoes what it was sent must not put the key into our errors.
    text = text.split(this.o.apiKey).join("***");
    const what = action === "server" ? "the server reported an error" : `${action} refused by the server`;
    return new TickwireServerError(code, `${what}: ${code}${text ? `: ${text}` : ""}`);
  }

  private readonly deliver = (tick: Tick): void => {
    this.counters.ticks++;
    for (const fn of this.tickListeners) {
      try {
        fn(tick);
      } catch (e) {
        this.emit({ type: "error", error: e instanceof Error ? e : new Error(String(e)) });
      }
    }
    for (const q of this.queues) q.push(tick);
  };

  private emit(event: ClientEvent): void {
    for (const fn of this.eventListeners) {
      try {
        fn(event);
      } catch {
        // An event listener that throws has nowhere to be reported: the others still hear.
      }
    }
  }

  // ── subscriptions held ───────────────────────────────────────────────────

  /** The entries of a subscribe reply; records the successful ones as held and their ids (binary). */
  private applySubscribe(reply: Reply, mode: Mode, restoring: boolean): SubscribeEntry[] {
    const entries: SubscribeEntry[] = [];
    for (const e of Array.isArray(reply.subscriptions) ? reply.subscriptions : []) {
      if (!isObject(e) || typeof e.exchange !== "string" || typeof e.symbol !== "string") continue;
      const ok = e.status === "success" || (e.status === undefined && e.code === undefined);
      const entry: SubscribeEntry = { exchange: e.exchange, symbol: e.symbol, ok, mode: parseMode(e.mode) ?? mode };
      if (!ok) {
        if (typeof e.code === "string") entry.code = e.code;
        if (typeof e.message === "string") entry.message = e.message;
      }
      if (typeof e.id === "number" && Number.isInteger(e.id) && e.id >= 0 && e.id <= 0xffffffff) {
        entry.id = e.id;
        if (ok) this.decoder.symbols.set(e.id, { exchange: e.exchange, symbol: e.symbol });
      }
      if (typeof e.decimals === "number") entry.decimals = e.decimals;
      if (ok) this.hold(e.exchange, e.symbol, mode);
      else if (restoring) this.release(e.exchange, e.symbol, mode); // the server no longer has it
      entries.push(entry);
    }
    return entries;
  }

  private hold(exchange: string, symbol: string, mode: Mode): void {
    const key = heldKey(exchange, symbol);
    const h = this.held.get(key);
    if (h) h.modes.add(mode);
    else this.held.set(key, { exchange, symbol, modes: new Set([mode]) });
  }

  private release(exchange: string, symbol: string, mode: Mode | undefined): void {
    const key = heldKey(exchange, symbol);
    const h = this.held.get(key);
    if (!h) return;
    if (mode !== undefined) h.modes.delete(mode);
    if (mode === undefined || h.modes.size === 0) this.held.delete(key);
  }
}

/** The entries of an unsubscribe reply (`successful` and `failed` lists). */
function unsubscribeEntries(reply: Reply, mode: Mode | undefined): SubscribeEntry[] {
  const out: SubscribeEntry[] = [];
  const add = (list: unknown, ok: boolean): void => {
    for (const e of Array.isArray(list) ? list : []) {
      if (!isObject(e) || typeof e.exchange !== "string" || typeof e.symbol !== "string") continue;
      const entry: SubscribeEntry = { exchange: e.exchange, symbol: e.symbol, ok };
      const m = parseMode(e.mode) ?? mode;
      if (m !== undefined) entry.mode = m;
      if (!ok) {
        if (typeof e.code === "string") entry.code = e.code;
        if (typeof e.message === "string") entry.message = e.message;
      }
      out.push(entry);
    }
  };
  add(reply.successful, true);
  add(reply.failed, false);
  return out;
}

function checkInstruments(action: string, instruments: unknown): Instrument[] {
  if (!Array.isArray(instruments) || instruments.length === 0) {
    throw new TickwireError("ARGUMENT", `${action}: instruments must be a non-empty array of { exchange, symbol }, got ${describe(instruments)}`);
  }
  return instruments.map((v: unknown, i) => {
    if (!isObject(v)) throw new TickwireError("ARGUMENT", `${action}: instruments[${i}] must be { exchange, symbol }, got ${describe(v)}`);
    if (typeof v.exchange !== "string" || v.exchange === "") throw new TickwireError("ARGUMENT", `${action}: instruments[${i}].exchange must be a non-empty string, got ${describe(v.exchange)}`);
    if (typeof v.symbol !== "string" || v.symbol === "") throw new TickwireError("ARGUMENT", `${action}: instruments[${i}].symbol must be a non-empty string, got ${describe(v.symbol)}`);
    return { symbol: v.symbol, exchange: v.exchange };
  });
}

function checkMode(action: string, mode: unknown): asserts mode is Mode {
  if (mode !== 1 && mode !== 2 && mode !== 3) throw new TickwireError("ARGUMENT", `${action}: mode must be 1 (LTP), 2 (Quote) or 3 (Depth), got ${describe(mode)}`);
}

/** The URL without credentials or query, for messages. */
function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return "the server";
  }
}
