// The WebSocket proxy: accepts clients, speaks the OpenAlgo-compatible protocol
// (docs/PROTOCOL.md) and writes them the frames the fan-out gather made. It runs on the
// thread that owns the feed and the router: Node 20's `net` has no reusePort and a worker
// cannot be handed a socket, so one thread serves a port; the gather keeps its per-tick work
// in one Wasm call per batch, so that thread is not the limit we measured (docs/PROXY.md).
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse, type Server as HttpServer } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { WebSocketServer, type WebSocket, type RawData } from "ws";
import * as L from "../format/layout.js";
import { TickView, recordBytes, type Kind } from "../format/record.js";
import { TickwireError } from "../errors.js";
import type { TickwireMemory } from "../memory/shared-memory.js";
import type { SymbolTable } from "../memory/symbol-table.js";
import type { LastValueCache } from "../cache/last-value-cache.js";
import { JsonRenderer } from "../codec/json-renderer.js";
import type { Mode, SubscriptionRequest, SubscriptionResult } from "../feed/contract.js";
import type { ExchangeName } from "../format/exchange.js";
import { FanoutGather, ClientFlags } from "../fanout/gather.js";
import type { PumpSink } from "../fanout/pump.js";
import { ApiKeys } from "./auth.js";
import { resolveProxyConfig, type ProxyConfig, type ResolvedProxyConfig } from "./config.js";
import {
  parseRequest, errorReply, withId, overallStatus, MODE_NAMES, DEPTH_LEVELS, type Request, type RequestId, type SymbolEntry,
} from "./protocol.js";
import { Session, type HeldSymbol } from "./session.js";
import type { ClientStats } from "./stats.js";

/** The feed as the proxy uses it: per-client reference counts, results per instrument after the upstream answered. */
export interface ProxyUpstream {
  readonly broker: string;
  subscribe(requests: readonly SubscriptionRequest[], client: string): Promise<SubscriptionResult[]>;
  unsubscribe(requests: readonly SubscriptionRequest[], client: string): Promise<SubscriptionResult[]>;
  removeClient(client: string): Promise<void>;
  /** "connected", "connecting", "disconnected", … (broker_info's adapter_status). */
  status(): string;
}

/** What the proxy is given: the processor's memory, symbols and cache, and the upstream. */
export interface ProxyContext {
  readonly mem: TickwireMemory;
  readonly symbols: SymbolTable;
  readonly cache: LastValueCache;
  readonly upstream: ProxyUpstream;
  /** get_supported_brokers' list. */
  readonly brokers: readonly string[];
  /** Hears what an operator should know (never secrets). */
  readonly log?: (line: string) => void;
  /** Answers plain HTTP requests it knows (returns true), e.g. the monitor's /metrics; the rest get 426. */
  readonly http?: (req: IncomingMessage, res: ServerResponse) => boolean;
}

/** Numbers of a {@link ProxyServer}. */
export interface ProxyStats {
  readonly clients: number;
  readonly authenticated: number;
  readonly slowClients: number;
  /** (symbol, mode) pairs the clients connected now hold. */
  readonly subscriptions: number;
  /** Totals over the clients connected now and those gone. */
  readonly delivered: number;
  readonly conflated: number;
  readonly dropped: number;
  /** Bytes written to client sockets (WebSocket frames, headers included). */
  readonly bytesOut: number;
  /** Connections refused: over the client cap, bad origin. */
  readonly refused: number;
  /** Records the fan-out could not render (exchange or decimals not their symbol's). */
  readonly unrenderable: number;
}

const CLOSE_AUTH_TIMEOUT = 4401;
const CLOSE_ORIGIN = 4403;
const CLOSE_TOO_SLOW = 4008;
const CLOSE_FULL = 1013;
const CLOSE_GOING_AWAY = 1001;
/** A client with this much waiting is written at once, whatever coalesceMs says. */
const FLUSH_BYTES = 64 * 1024;

/** The WebSocket proxy. Make it with {@link ProxyServer.start}; feed it with a FanoutPump (it is the pump's sink). */
export class ProxyServer implements PumpSink {
  readonly config: ResolvedProxyConfig;
  readonly gather: FanoutGather;
  private readonly keys: ApiKeys;
  private readonly wss: WebSocketServer;
  private readonly http: HttpServer;
  private readonly sessions: (Session | undefined)[] = [];
  private readonly slowSessions = new Set<Session>();
  private readonly flushable = new Set<Session>();
  private readonly renderer: JsonRenderer;
  private readonly snapshotAt: number;
  private readonly snapshotView: TickView;
  private readonly pingTimer: ReturnType<typeof setInterval>;
  private nextId = 1;
  private boundPort = 0;
  private listening = false;
  private count = 0;
  private closing = false;
  private totals = { delivered: 0, conflated: 0, dropped: 0, refused: 0, unrenderable: 0, bytesOut: 0 };

  private constructor(private readonly ctx: ProxyContext, config: ResolvedProxyConfig, http: HttpServer) {
    this.config = config;
    this.keys = new ApiKeys(config.apiKeys, config.apiKeyHashes);
    const broker = ctx.upstream.broker;
    this.gather = new FanoutGather(ctx.mem, ctx.symbols, {
      maxClients: config.maxClients, maxSubscriptions: config.maxSubscriptions, broker,
      sdkAliases: config.sdkAliases, receiveTime: config.receiveTime,
    });
    this.renderer = new JsonRenderer(ctx.mem, ctx.symbols, { broker, bufferBytes: 16 * 1024, sdkAliases: config.sdkAliases, receiveTime: config.receiveTime });
    this.snapshotAt = ctx.mem.allocate(L.MAX_RECORD_BYTES);
    this.snapshotView = new TickView(ctx.mem.buffer);
    this.http = http;
    // Compression off: frames are written pre-made, and deflate would cost more than it saves on ticks.
    this.wss = new WebSocketServer({ server: http, maxPayload: config.maxPayloadBytes, perMessageDeflate: false, clientTracking: false });
    this.wss.on("connection", (ws, req) => this.accept(ws, req));
    // ws re-emits the HTTP server's errors: listen failures are start()'s to report, later ones are logged, never fatal.
    this.wss.on("error", (err) => { if (this.listening) ctx.log?.(`proxy: ${err.message}`); });
    this.pingTimer = setInterval(() => this.pingAll(), config.pingIntervalMs);
    this.pingTimer.unref?.();
  }

  /** Memory a proxy with this config reserves in the processor's memory, bytes. */
  static bytesFor(config: ProxyConfig | undefined, symbols: number): number {
    const c = resolveProxyConfig(config);
    return FanoutGather.bytesFor(c, symbols) + (1 << 20);
  }

  /** Listens; resolves once it does. */
  static async start(ctx: ProxyContext, config?: ProxyConfig): Promise<ProxyServer> {
    const c = resolveProxyConfig(config);
    const http = c.tls ? createHttpsServer({ cert: c.tls.cert, key: c.tls.key }) : createHttpServer();
    http.on("request", (req, res) => {
      if (ctx.http?.(req, res)) return;
      res.writeHead(426, { "content-type": "text/plain" }).end("tickwire: connect with WebSocket\n");
    });
    const server = new ProxyServer(ctx, c, http);
    try {
      await new Promise<void>((resolve, reject) => {
        http.once("error", reject);
        http.listen(c.port, c.host, () => {
          http.off("error", reject);
          resolve();
        });
      });
    } catch (err) {
      clearInterval(server.pingTimer);
      const e = err as NodeJS.ErrnoException;
      throw new TickwireError("ARGUMENT", `proxy: cannot listen on ${c.host}:${c.port}: ${e.code === "EADDRINUSE" ? "the port is in use (set proxy.port, or --port)" : e.message}`);
    }
    server.listening = true;
    void server.port;
    return server;
  }

  /** The port it listens on (kept after close). */
  get port(): number {
    const address = this.http.address() as AddressInfo | null;
    if (address) this.boundPort = address.port;
    return this.boundPort;
  }

  /** ws://host:port (wss with TLS). */
  get url(): string {
    const host = this.config.host.includes(":") ? `[${this.config.host}]` : this.config.host;
    return `${this.config.tls ? "wss" : "ws"}://${host}:${this.port}`;
  }

  /** Clients connected now. */
  get clientCount(): number {
    return this.count;
  }

  /** Per-client counts of the clients connected now. */
  clients(): ClientStats[] {
    return this.sessions.filter((s): s is Session => s !== undefined).map((s) => s.stats());
  }

  stats(): ProxyStats {
    let delivered = this.totals.delivered;
    let conflated = this.totals.conflated;
    let dropped = this.totals.dropped;
    let bytesOut = this.totals.bytesOut;
    let authenticated = 0;
    let subscriptions = 0;
    for (const s of this.sessions) {
      if (!s) continue;
      delivered += s.delivered;
      conflated += s.conflated;
      dropped += s.dropped;
      bytesOut += s.bytesOut;
      subscriptions += s.pairs;
      if (s.authenticated) authenticated++;
    }
    return {
      clients: this.count, authenticated, slowClients: this.slowSessions.size, subscriptions, delivered, conflated, dropped, bytesOut,
      refused: this.totals.refused, unrenderable: this.totals.unrenderable,
    };
  }

  /**
   * Stops accepting, closes every client with 1001 after what was queued for it is written,
   * and drops their upstream references. Resolves when the listener closed.
   */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    clearInterval(this.pingTimer);
    const closed = new Promise<void>((resolve) => this.http.close(() => resolve()));
    for (const s of this.sessions) if (s) this.flushOne(s);
    const goodbyes = this.sessions.filter((s): s is Session => s !== undefined).map((s) => new Promise<void>((resolve) => {
      s.ws.once("close", () => resolve());
      s.ws.close(CLOSE_GOING_AWAY, "server shutting down");
      setTimeout(() => { s.ws.terminate(); resolve(); }, 2000).unref?.();
    }));
    await Promise.all(goodbyes);
    this.http.closeAllConnections?.();
    this.wss.close();
    await closed;
  }

  // ───────────────────────── the pump's sink ─────────────────────────

  frames(slot: number, frames: Uint8Array, ticks: number): void {
    const s = this.sessions[slot];
    if (!s || s.closed) return;
    if (s.slow) {
      // drop-oldest and disconnect queue while slow (conflate makes no frames then).
      if (this.config.backpressure.policy === "disconnect" && s.queue.bytes + frames.length > this.config.backpressure.maxQueueBytes) {
        s.dropped += ticks;
        this.giveUp(s, `its queue passed ${this.config.backpressure.maxQueueBytes} bytes`);
        return;
      }
      s.dropped += s.queue.push(frames, ticks);
      return;
    }
    if (s.pending.length === 0) s.pendingSince = performance.now();
    s.pending.push(frames);
    s.pendingTicks += ticks;
    s.pendingBytes += frames.length;
    this.flushable.add(s);
  }

  conflated(slot: number, conflated: number): void {
    const s = this.sessions[slot];
    if (s) s.conflated += conflated;
  }

  refused(error: TickwireError): void {
    this.totals.unrenderable++;
    this.ctx.log?.(`fanout: a record was skipped: ${error.message}`);
  }

  afterRound(): void {
    const now = performance.now();
    const wait = this.config.coalesceMs;
    for (const s of this.flushable) {
      if (s.closed || now - s.pendingSince >= wait || s.pendingBytes >= FLUSH_BYTES) {
        this.flushOne(s);
        this.flushable.delete(s);
      }
    }
    if (this.slowSessions.size > 0) this.tendSlow(Date.now());
  }

  /** How soon frames held back must be written, ms (Infinity: none held). */
  nextFlushInMs(): number {
    return this.flushable.size > 0 ? this.config.coalesceMs : Infinity;
  }

  private flushOne(s: Session): void {
    s.flush();
    if (!s.slow && !s.closed && s.buffered > this.config.backpressure.highWaterBytes) this.markSlow(s);
  }

  private markSlow(s: Session): void {
    s.slow = true;
    s.slowSince = Date.now();
    this.slowSessions.add(s);
    if (this.config.backpressure.policy === "conflate") this.gather.setFlags(s.slot, this.flagsOf(s) | ClientFlags.CONFLATING);
  }

  /** Slow clients: back to live once they drained to half the high-water mark; under `disconnect`, closed past the lag. */
  private tendSlow(now: number): void {
    const bp = this.config.backpressure;
    for (const s of this.slowSessions) {
      if (s.closed) {
        this.slowSessions.delete(s);
        continue;
      }
      if (s.buffered <= bp.highWaterBytes / 2) {
        this.slowSessions.delete(s);
        s.slow = false;
        if (bp.policy === "conflate") {
          // Latest values of what changed meanwhile, then live again (newer records only).
          const ids = this.gather.takePending(s.slot);
          this.gather.setFlags(s.slot, this.flagsOf(s));
          for (const id of ids) {
            const held = s.held.get(id);
            if (held) this.sendSnapshot(s, held, false);
          }
        } else {
          s.delivered += s.queue.tickCount;
          const frames = s.queue.drain();
          s.pending.push(...frames);
          this.flushOne(s);
        }
      } else if (bp.policy === "disconnect" && now - s.slowSince > bp.maxLagMs) {
        this.giveUp(s, `slower than the feed for ${bp.maxLagMs} ms`);
      }
    }
  }

  /** Policy `disconnect`: what is queued counts as dropped, no more frames, close 4008 (then cut, if it does not read that either). */
  private giveUp(s: Session, why: string): void {
    if (s.givenUp) return;
    s.givenUp = true;
    s.dropped += s.queue.tickCount;
    s.queue.clear();
    this.slowSessions.delete(s);
    this.gather.setFlags(s.slot, 0);
    this.ctx.log?.(`client ${s.id} (${s.remote}) closed: ${why}`);
    s.ws.close(CLOSE_TOO_SLOW, "too slow");
    setTimeout(() => s.ws.terminate(), 2000).unref?.();
  }

  private flagsOf(s: Session): number {
    return s.authenticated ? ClientFlags.ACTIVE | (s.binary ? ClientFlags.BINARY : 0) : 0;
  }

  // ───────────────────────── connections ─────────────────────────

  private accept(ws: WebSocket, req: IncomingMessage): void {
    const remote = `${req.socket.remoteAddress ?? "?"}:${req.socket.remotePort ?? "?"}`;
    const origin = req.headers.origin;
    if (this.closing) {
      ws.close(CLOSE_GOING_AWAY, "server shutting down");
      return;
    }
    if (this.config.allowedOrigins && origin !== undefined && !this.config.allowedOrigins.includes(origin)) {
      this.totals.refused++;
      ws.close(CLOSE_ORIGIN, "origin not allowed");
      return;
    }
    const slot = this.count < this.config.maxClients ? this.gather.openSlot() : -1;
    if (slot < 0) {
      this.totals.refused++;
      ws.send(JSON.stringify(errorReply("MAX_CLIENTS", `Server is at its client limit (${this.config.maxClients})`)));
      ws.close(CLOSE_FULL, "server full");
      return;
    }
    const s = new Session(`c${this.nextId++}`, slot, ws, remote, this.config.backpressure.maxQueueBytes, this.config.subscribeRatePerSecond);
    this.sessions[slot] = s;
    this.count++;
    s.authTimer = setTimeout(() => {
      if (!s.authenticated) ws.close(CLOSE_AUTH_TIMEOUT, "auth timeout");
    }, this.config.authTimeoutMs);
    ws.on("pong", () => { s.alive = true; });
    ws.on("message", (data, isBinary) => this.receive(s, data, isBinary));
    ws.on("error", () => { /* the close that follows cleans up; nothing a client sends reaches the process */ });
    ws.on("close", () => this.release(s));
  }

  private pingAll(): void {
    for (const s of this.sessions) {
      if (!s || s.closed) continue;
      if (!s.alive) {
        s.ws.terminate();
        continue;
      }
      s.alive = false;
      s.ws.ping();
    }
  }

  private release(s: Session): void {
    if (s.closed) return;
    s.closed = true;
    clearTimeout(s.authTimer);
    this.slowSessions.delete(s);
    this.flushable.delete(s);
    // Never written: frames queued or coalesced, and (conflate) each symbol's pending latest tick.
    s.dropped += s.queue.tickCount + s.pendingTicks + this.gather.takePending(s.slot).length;
    s.queue.clear();
    s.pending.length = 0;
    s.pendingTicks = 0;
    this.totals.delivered += s.delivered;
    this.totals.conflated += s.conflated;
    this.totals.dropped += s.dropped;
    this.totals.bytesOut += s.bytesOut;
    this.gather.closeSlot(s.slot);
    this.sessions[s.slot] = undefined;
    this.count--;
    // Requests still running finish first; then every upstream reference of the client goes.
    s.chain = s.chain.then(() => this.ctx.upstream.removeClient(s.id)).catch((err) => this.ctx.log?.(`client ${s.id}: releasing its subscriptions failed: ${(err as Error).message}`));
  }

  private send(s: Session, reply: Record<string, unknown>): void {
    if (!s.closed) s.ws.send(JSON.stringify(reply));
  }

  private receive(s: Session, data: RawData, isBinary: boolean): void {
    if (s.closed) return;
    if (isBinary) {
      this.send(s, errorReply("INVALID_JSON", "Invalid JSON message (binary frames are not requests)"));
      return;
    }
    const request = parseRequest(data.toString());
    if ("error" in request) {
      this.send(s, errorReply(request.error, request.message, request.requestId));
      return;
    }
    s.chain = s.chain.then(() => this.handle(s, request)).catch((err) => {
      this.ctx.log?.(`client ${s.id}: ${request.action} failed: ${(err as Error).message}`);
      this.send(s, errorReply("SERVER_ERROR", "The server could not process the request", request.requestId));
    });
  }

  private async handle(s: Session, r: Request): Promise<void> {
    if (s.closed) return;
    if (r.action === "ping") {
      this.send(s, withId({
        type: "pong", status: "success", server_timestamp: Date.now(),
        ...(r.timestamp !== undefined ? { client_timestamp: r.timestamp } : {}), ...(r.pingId !== undefined ? { _pingId: r.pingId } : {}),
      }, r.requestId));
      return;
    }
    if (r.action === "authenticate") return this.authenticate(s, r.apiKey, r.requestId);
    if (!s.authenticated) {
      this.send(s, errorReply("NOT_AUTHENTICATED", "You must authenticate first", r.requestId));
      return;
    }
    const broker = this.ctx.upstream.broker;
    switch (r.action) {
      case "subscribe":
      case "unsubscribe":
        if (!s.bucket.take(Date.now())) {
          this.send(s, errorReply("RATE_LIMITED", `More than ${this.config.subscribeRatePerSecond} subscribe/unsubscribe requests a second`, r.requestId));
          return;
        }
        return r.action === "subscribe" ? this.subscribe(s, r.symbols, r.mode ?? 2, r.requestId) : this.unsubscribe(s, r.symbols, r.mode, r.single, r.requestId);
      case "unsubscribe_all":
        return this.unsubscribeAll(s, r.requestId);
      case "list_subscriptions": {
        const subscriptions = s.list().map((e) => ({ symbol: e.symbol, exchange: e.exchange, mode: MODE_NAMES[e.mode] }));
        this.send(s, withId({ type: "subscriptions", status: "success", subscriptions, count: subscriptions.length }, r.requestId));
        return;
      }
      case "get_broker_info":
        this.send(s, withId({ type: "broker_info", status: "success", broker, adapter_status: this.ctx.upstream.status(), user_id: this.config.userId }, r.requestId));
        return;
      case "get_supported_brokers":
        this.send(s, withId({ type: "supported_brokers", status: "success", brokers: [...this.ctx.brokers], count: this.ctx.brokers.length }, r.requestId));
        return;
      case "set_format": {
        if (r.format !== "json" && r.format !== "binary") {
          this.send(s, errorReply("INVALID_FORMAT", `Invalid format: ${JSON.stringify(r.format)?.slice(0, 32)} (use "json" or "binary")`, r.requestId));
          return;
        }
        s.binary = r.format === "binary";
        this.gather.setFlags(s.slot, this.flagsOf(s) | (this.gather.flags(s.slot) & ClientFlags.CONFLATING));
        const symbols = [...s.held.values()].map((h) => ({ id: h.id, symbol: h.symbol, exchange: h.exchange, decimals: h.decimals }));
        this.send(s, withId({ type: "set_format", status: "success", format: r.format, record_version: L.FORMAT_VERSION, symbols }, r.requestId));
        return;
      }
    }
  }

  private authenticate(s: Session, apiKey: unknown, requestId: RequestId): void {
    if (apiKey === undefined || apiKey === null || apiKey === "") {
      this.send(s, errorReply("AUTHENTICATION_ERROR", "API key is required", requestId));
      return;
    }
    if (!this.keys.accepts(apiKey)) {
      this.send(s, errorReply("AUTHENTICATION_ERROR", "Invalid API key", requestId));
      return;
    }
    s.authenticated = true;
    clearTimeout(s.authTimer);
    this.gather.setFlags(s.slot, this.flagsOf(s));
    this.send(s, withId({
      type: "auth", status: "success", message: "Authentication successful", broker: this.ctx.upstream.broker,
      user_id: this.config.userId, supported_features: { ltp: true, quote: true, depth: true },
    }, requestId));
  }

  private async subscribe(s: Session, entries: readonly SymbolEntry[], defaultMode: Mode, requestId: RequestId): Promise<void> {
    const broker = this.ctx.upstream.broker;
    const results: Record<string, unknown>[] = new Array(entries.length);
    const asked: { index: number; request: SubscriptionRequest }[] = [];
    // The same (symbol, mode) twice in one request is asked once (the upstream counts references).
    const repeats: { index: number; of: number }[] = [];
    const askedAt = new Map<string, number>();
    let pairs = s.pairs;
    entries.forEach((e, index) => {
      if (!e.ok) {
        results[index] = { symbol: e.symbol, exchange: e.exchange, status: "error", code: e.code, message: e.message, broker };
        return;
      }
      const mode = e.mode ?? defaultMode;
      const key = `${mode}:${e.exchange}:${e.symbol}`;
      const earlier = askedAt.get(key);
      if (earlier !== undefined) {
        repeats.push({ index, of: earlier });
        return;
      }
      askedAt.set(key, index);
      const id = this.ctx.symbols.find(e.exchange as ExchangeName, e.symbol);
      const held = id >= 0 ? s.held.get(id) : undefined;
      if (held && held.modes & (1 << (mode - 1))) {
        results[index] = this.subscribed(s, held, mode);
        return;
      }
      if (pairs >= this.config.maxSubscriptionsPerClient) {
        results[index] = { symbol: e.symbol, exchange: e.exchange, status: "error", code: "MAX_SUBSCRIPTIONS", message: `Subscription limit reached (${this.config.maxSubscriptionsPerClient} per client)`, broker };
        return;
      }
      pairs++;
      asked.push({ index, request: { exchange: e.exchange as ExchangeName, symbol: e.symbol, mode } });
    });
    const answers = asked.length > 0 ? await this.ctx.upstream.subscribe(asked.map((a) => a.request), s.id) : [];
    if (s.closed) {
      // Gone while the upstream answered: its references go with it.
      await this.ctx.upstream.unsubscribe(asked.filter((_, k) => answers[k]?.ok).map((a) => a.request), s.id);
      return;
    }
    // Per symbol, the modes this request added: their last values follow the reply.
    const snapshots = new Map<HeldSymbol, number>();
    asked.forEach(({ index, request }, k) => {
      const answer = answers[k];
      if (!answer?.ok) {
        results[index] = {
          symbol: request.symbol, exchange: request.exchange, status: "error", code: answer?.code ?? "BROKER_ERROR",
          message: answer?.message ?? "The upstream did not answer", broker,
        };
        return;
      }
      const id = this.ctx.symbols.find(request.exchange, request.symbol);
      if (id < 0) {
        results[index] = { symbol: request.symbol, exchange: request.exchange, status: "error", code: "SYMBOL_NOT_FOUND", message: `Symbol ${request.exchange}:${request.symbol} not found`, broker };
        return;
      }
      let held = s.held.get(id);
      if (!held) {
        held = { exchange: request.exchange, symbol: request.symbol, id, decimals: this.ctx.symbols.get(id).priceDecimals, modes: 0 };
        s.held.set(id, held);
      }
      const bit = 1 << (request.mode - 1);
      if ((held.modes & bit) === 0) {
        if (!this.gather.setSubscription(s.slot, id, held.modes | bit)) {
          results[index] = { symbol: request.symbol, exchange: request.exchange, status: "error", code: "MAX_CAPACITY_REACHED", message: "The server's subscription capacity is reached", broker };
          void this.ctx.upstream.unsubscribe([request], s.id);
          if (held.modes === 0) s.held.delete(id);
          return;
        }
        held.modes |= bit;
        s.pairs++;
        snapshots.set(held, (snapshots.get(held) ?? 0) | bit);
      }
      results[index] = this.subscribed(s, held, request.mode);
    });
    for (const { index, of } of repeats) results[index] = results[of]!;
    const ok = results.filter((r) => r.status === "success").length;
    this.send(s, withId({
      type: "subscribe", status: overallStatus(ok, results.length - ok), subscriptions: results,
      message: "Subscription processing complete", broker,
    }, requestId));
    // The last value at once, then live ticks newer than it.
    for (const [held, modes] of snapshots) this.sendSnapshot(s, held, true, modes);
  }

  private subscribed(s: Session, held: HeldSymbol, mode: Mode): Record<string, unknown> {
    return {
      symbol: held.symbol, exchange: held.exchange, status: "success", mode: MODE_NAMES[mode], depth: DEPTH_LEVELS,
      broker: this.ctx.upstream.broker, ...(s.binary ? { id: held.id, decimals: held.decimals } : {}),
    };
  }

  /**
   * Sends the symbol's last value at the client's modes and moves its live feed past it.
   * `first`: the subscription starts here (older ticks were never the client's); else the
   * value replaces ticks it missed (older ticks still to come count as superseded). `modes`:
   * which of the held modes to send (the ones a subscribe just added).
   */
  private sendSnapshot(s: Session, held: HeldSymbol, first: boolean, modes = held.modes): void {
    const at = this.snapshotAt;
    const bytes = this.ctx.cache.readInto(held.id, at);
    if (bytes === 0) return;
    const view = this.snapshotView.wrap(at);
    this.gather.setSubscription(s.slot, held.id, held.modes, view.seq, first);
    const kind = view.kind;
    if (s.binary) {
      const mode = 32 - Math.clz32(modes & ((1 << kind) - 1));
      if (mode === 0) return;
      const n = recordBytes(mode as Kind);
      const record = this.ctx.mem.u8.slice(at, at + n);
      record[L.OFF_LENGTH] = n & 0xff;
      record[L.OFF_LENGTH + 1] = n >>> 8;
      record[L.OFF_KIND] = mode;
      s.ws.send(record, { binary: true });
      s.delivered++;
      return;
    }
    for (let mode = 1; mode <= kind; mode++) {
      if ((modes & (1 << (mode - 1))) === 0) continue;
      this.renderer.render(at, bytes, mode as Mode);
      s.ws.send(this.renderer.message(0).slice(), { binary: false });
      s.delivered++;
    }
  }

  private async unsubscribe(s: Session, entries: readonly SymbolEntry[], mode: Mode | undefined, single: boolean, requestId: RequestId): Promise<void> {
    const broker = this.ctx.upstream.broker;
    const successful: Record<string, unknown>[] = [];
    const failed: Record<string, unknown>[] = [];
    const leaving: { held: HeldSymbol; mode: Mode }[] = [];
    for (const e of entries) {
      if (!e.ok) {
        failed.push({ symbol: e.symbol, exchange: e.exchange, code: e.code, message: e.message });
        continue;
      }
      const id = this.ctx.symbols.find(e.exchange as ExchangeName, e.symbol);
      const held = id >= 0 ? s.held.get(id) : undefined;
      const wanted = e.mode ?? mode ?? (single ? 2 : undefined);
      const modes = wanted === undefined ? [1, 2, 3] as Mode[] : [wanted];
      const leave = held ? modes.filter((m) => held.modes & (1 << (m - 1))) : [];
      if (!held || leave.length === 0) {
        failed.push({ symbol: e.symbol, exchange: e.exchange, code: "NOT_SUBSCRIBED", message: `Not subscribed to ${e.exchange}:${e.symbol}${wanted ? ` in ${MODE_NAMES[wanted]} mode` : ""}` });
        continue;
      }
      for (const m of leave) leaving.push({ held, mode: m });
    }
    await this.leave(s, leaving, successful, failed);
    this.send(s, withId({
      type: "unsubscribe", status: overallStatus(successful.length, failed.length), message: "Unsubscription processing complete",
      successful, failed, broker,
    }, requestId));
  }

  private async unsubscribeAll(s: Session, requestId: RequestId): Promise<void> {
    const leaving = s.list().map((e) => ({ held: s.held.get(this.ctx.symbols.find(e.exchange as ExchangeName, e.symbol))!, mode: e.mode }));
    const successful: Record<string, unknown>[] = [];
    const failed: Record<string, unknown>[] = [];
    await this.leave(s, leaving, successful, failed);
    this.send(s, withId({
      type: "unsubscribe", status: failed.length === 0 ? "success" : overallStatus(successful.length, failed.length),
      message: "Unsubscription processing complete", successful, failed, broker: this.ctx.upstream.broker,
    }, requestId));
  }

  /** Stops the client's ticks at once, then drops its upstream references. */
  private async leave(s: Session, leaving: { held: HeldSymbol; mode: Mode }[], successful: Record<string, unknown>[], failed: Record<string, unknown>[]): Promise<void> {
    for (const { held, mode } of leaving) {
      held.modes &= ~(1 << (mode - 1));
      s.pairs--;
      this.gather.setSubscription(s.slot, held.id, held.modes);
      if (held.modes === 0) s.held.delete(held.id);
    }
    if (leaving.length === 0) return;
    const answers = await this.ctx.upstream.unsubscribe(leaving.map(({ held, mode }) => ({ exchange: held.exchange as ExchangeName, symbol: held.symbol, mode })), s.id);
    leaving.forEach(({ held, mode }, k) => {
      const a = answers[k];
      // The client no longer gets the symbol either way; an upstream refusal is reported, not hidden.
      if (a?.ok) successful.push({ symbol: held.symbol, exchange: held.exchange, mode: MODE_NAMES[mode] });
      else failed.push({ symbol: held.symbol, exchange: held.exchange, code: a?.code ?? "BROKER_ERROR", message: a?.message ?? "The upstream did not answer" });
    });
  }
}
