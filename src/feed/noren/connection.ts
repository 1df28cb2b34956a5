// One upstream Noren WebSocket (Flattrade, Shoonya): login (V1 susertoken or V2
// accesstoken), touchline/depth subscriptions paced within the broker's limits,
// heartbeats, a data watchdog, reconnect with backoff and full re-subscription.
// Frames go straight from the socket's buffers into the Wasm parser and out as
// records to the sink: no per-tick objects.
import WebSocket from "ws";
import { monotonicNs } from "../../clock.js";
import { TickwireError } from "../../errors.js";
import type { FeedEvent, ConnectionState, InstrumentRow, LinkChange, LinkResult, LinkMode, TickSink, UpstreamLink } from "../contract.js";
import { FeedHealth, HealthField as H } from "../health.js";
import { RequestPacer, backoffDelay, type BackoffOptions } from "./pacing.js";
import { OFF_KIND, OFF_LENGTH, OFF_SYMBOL_ID } from "../../format/layout.js";
import type { TickwireMemory } from "../../memory/shared-memory.js";
import type { NorenCounters } from "./parser.js";

/** What a Noren login sends; `login()` is called for every attempt, so it may fetch a fresh token. */
export interface NorenCredentials {
  readonly uid: string;
  /** Account id; defaults to uid. */
  readonly actid?: string;
  /** V1 session token (`susertoken`). */
  readonly susertoken?: string;
  /** V2 access token (`accesstoken`). */
  readonly accesstoken?: string;
}

/** The parser a connection feeds (NorenParser). */
export interface FrameParser {
  push(frame: Uint8Array): boolean;
  parse(recvTimeNs: number, wallClockMs: number): number;
  readonly out: number;
  readonly outBytes: number;
  readonly pendingFrames: number;
  readonly controlCount: number;
  controlJson(i: number): unknown;
  malformedTotal(): number;
  flaggedTotal(): number;
  counters(): NorenCounters;
}

/** Settings of one connection (the adapter fills them from its validated options). */
export interface NorenConnectionSettings {
  url: string;
  protocol: "v1" | "v2";
  login: () => NorenCredentials | Promise<NorenCredentials>;
  heartbeatMs: number;
  /** An open connection with subscriptions and no data for this long is replaced (0: never). */
  silenceMs: number;
  loginTimeoutMs: number;
  /** Consecutive refused logins (each with credentials fetched anew) before the connection fails for good. */
  maxLoginRejects: number;
  /** How long a subscribe waits for the broker's snapshot before it is reported TIMEOUT. */
  ackTimeoutMs: number;
  backoff: BackoffOptions;
  pacing: { perMessage: number; perSecond: number; coalesceMs: number };
  /** Whether the market is open now (the watchdog sleeps while it is closed). */
  marketOpen: () => boolean;
}

/** What the adapter gives each connection. */
export interface ConnectionContext {
  readonly mem: TickwireMemory;
  readonly parser: FrameParser;
  readonly sink: TickSink;
  /** Largest batch the sink takes, bytes (at least one record: MAX_RECORD_BYTES). */
  readonly maxBatchBytes: number;
  readonly health: FeedHealth;
  readonly emit: (e: FeedEvent) => void;
}

// Subscribe and unsubscribe of one stream undo each other in the pacer's queue.
const NOREN_OPPOSITES = Object.freeze({ t: "u", u: "t", d: "ud", ud: "d" });
const STREAM_TOUCHLINE = 1;
const STREAM_DEPTH = 3;
// Noren has two streams: touchline carries LTP and Quote, depth carries everything.
const streamOf = (mode: LinkMode): number => (mode === 0 ? 0 : mode === 3 ? STREAM_DEPTH : STREAM_TOUCHLINE);

interface Held {
  row: InstrumentRow;
  key: string;
  symbolId: number;
  stream: number;
}

interface PendingAck {
  key: string;
  stream: number;
  resolve: (r: LinkResult) => void;
  timer?: ReturnType<typeof setTimeout>;
}

/**
 * One Noren WebSocket connection. It holds a set of instruments, each on touchline or
 * depth, and keeps the broker in step with it across reconnects: after every login it
 * re-subscribes everything, in paced batches. Use through NorenAdapter.
 */
export class NorenConnection implements UpstreamLink {
  private ws: WebSocket | undefined;
  private _state: ConnectionState = "idle";
  private readonly held = new Map<string, Held>();
  /** Subscribes waiting for their snapshot, by symbol id. */
  private readonly acks = new Map<number, PendingAck[]>();
  private readonly pacer: RequestPacer;
  private loggedIn = false;
  private everOpened = false;
  private attempt = 0;
  private loginRejects = 0;
  private closing = false;
  private flushing = false;
  /** Frames that did not fit the parser's buffer while the sink was busy (the socket is paused meanwhile). */
  private readonly stalled: Uint8Array[] = [];
  private heartbeat: ReturnType<typeof setInterval> | undefined;
  private retry: ReturnType<typeof setTimeout> | undefined;
  private lastDataMs = 0;
  private reportedMalformed = 0;
  private readonly reportedByReason: Record<string, number> = {};
  private reportedFlagged = 0;
  private openWaiters: { resolve: () => void; reject: (e: Error) => void }[] = [];
  private secrets: string[] = [];

  constructor(
    readonly index: number,
    private readonly settings: NorenConnectionSettings,
    private readonly ctx: ConnectionContext,
    private readonly symbolIdOf: (row: InstrumentRow) => number,
  ) {
    this.pacer = new RequestPacer({ ...settings.pacing, opposites: NOREN_OPPOSITES }, (kind, keys) => this.sendRequest(kind, keys));
    ctx.health.setState(index, "idle");
  }

  get state(): ConnectionState {
    return this._state;
  }

  /** Instruments held (subscribed or being subscribed). */
  get size(): number {
    return this.held.size;
  }

  /** Opens the socket and logs in; resolves once logged in, rejects if the connection fails for good. */
  open(): Promise<void> {
    if (this._state === "open") return Promise.resolve();
    if (this._state === "failed") return Promise.reject(new TickwireError("BROKER", `connection ${this.index}: failed (login refused)`));
    if (this.closing) return Promise.reject(new TickwireError("BROKER", `connection ${this.index}: closed`));
    const p = new Promise<void>((resolve, reject) => this.openWaiters.push({ resolve, reject }));
    if (this._state === "idle") void this.connect();
    return p;
  }

  /** Closes for good: pending changes are refused, nothing reconnects. */
  async close(): Promise<void> {
    this.closing = true;
    this.pacer.stop();
    if (this.retry !== undefined) clearTimeout(this.retry);
    this.stopHeartbeat();
    this.failAcks("BROKER_ERROR", "the connection was closed");
    const ws = this.ws;
    this.ws = undefined;
    if (ws !== undefined && ws.readyState !== WebSocket.CLOSED) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => { ws.terminate(); resolve(); }, 1000);
        ws.once("close", () => { clearTimeout(t); resolve(); });
        ws.close();
      });
    }
    this.setState("closed");
    this.rejectOpenWaiters(new TickwireError("BROKER", `connection ${this.index}: closed`));
  }

  /** Applies subscription changes; each resolves when the broker sent the instrument's snapshot (or at once, for an unsubscribe). */
  change(changes: readonly LinkChange[]): Promise<LinkResult[]> {
    return Promise.all(changes.map((c) => this.changeOne(c)));
  }

  private changeOne(c: LinkChange): Promise<LinkResult> {
    if (this._state === "failed" || this.closing) {
      return Promise.resolve({ ok: false, code: "BROKER_ERROR", message: `connection ${this.index} is ${this._state === "failed" ? "failed" : "closed"}` });
    }
    const key = `${c.row.brokerExchange}|${c.row.token}`;
    const from = this.held.get(key)?.stream ?? 0;
    const to = streamOf(c.to);
    if (to === from) return Promise.resolve({ ok: true });
    if (to === 0) {
      this.held.delete(key);
      this.ctx.health.set(this.index, H.INSTRUMENTS, this.held.size);
      if (this.loggedIn) this.pacer.add(from === STREAM_DEPTH ? "ud" : "u", key);
      return Promise.resolve({ ok: true });
    }
    let symbolId: number;
    try {
      symbolId = this.symbolIdOf(c.row);
    } catch (e) {
      // The symbol table or the token map is full: this instrument cannot stream; the others go on.
      return Promise.resolve({ ok: false, code: "MAX_CAPACITY_REACHED", message: e instanceof Error ? e.message : String(e) });
    }
    this.held.set(key, { row: c.row, key, symbolId, stream: to });
    this.ctx.health.set(this.index, H.INSTRUMENTS, this.held.size);
    const ack = new Promise<LinkResult>((resolve) => this.awaitAck(symbolId, { key, stream: to, resolve }));
    if (this.loggedIn) {
      // Subscribe the new stream before leaving the old one: no gap, and one stream after.
      this.pacer.add(to === STREAM_DEPTH ? "d" : "t", key);
      if (from !== 0) this.pacer.add(from === STREAM_DEPTH ? "ud" : "u", key);
    }
    return ack;
  }

  private awaitAck(symbolId: number, a: PendingAck): void {
    let list = this.acks.get(symbolId);
    if (list === undefined) this.acks.set(symbolId, (list = []));
    list.push(a);
    a.timer = setTimeout(() => {
      const l = this.acks.get(symbolId);
      const i = l?.indexOf(a) ?? -1;
      if (i < 0) return;
      l!.splice(i, 1);
      if (l!.length === 0) this.acks.delete(symbolId);
      // The broker never confirmed: forget it, so a retry subscribes afresh.
      const h = this.held.get(a.key);
      if (h !== undefined && h.stream === a.stream) {
        this.held.delete(a.key);
        this.ctx.health.set(this.index, H.INSTRUMENTS, this.held.size);
        if (this.loggedIn) this.pacer.add(a.stream === STREAM_DEPTH ? "ud" : "u", a.key);
      }
      a.resolve({ ok: false, code: "TIMEOUT", message: `no snapshot from the broker within ${this.settings.ackTimeoutMs} ms` });
    }, this.settings.ackTimeoutMs);
  }

  private failAcks(code: "BROKER_ERROR", message: string): void {
    for (const list of this.acks.values()) {
      for (const a of list) {
        clearTimeout(a.timer);
        a.resolve({ ok: false, code, message });
      }
    }
    this.acks.clear();
  }

  private async connect(): Promise<void> {
    if (this.closing) return;
    this.setState(this.everOpened ? "reconnecting" : "connecting");
    let creds: NorenCredentials;
    try {
      creds = await this.settings.login();
    } catch {
      if (!this.closing) this.scheduleReconnect("the login provider failed");
      return;
    }
    if (this.closing) return;
    const token = this.settings.protocol === "v2" ? creds?.accesstoken : creds?.susertoken;
    if (typeof creds !== "object" || creds === null || typeof creds.uid !== "string" || creds.uid === "" || typeof token !== "string" || token === "") {
      // Nothing a retry can fix: counted like a refused login, so it fails for good (never echoed).
      this.refused(`the credentials provider returned no uid or ${this.settings.protocol === "v2" ? "accesstoken" : "susertoken"}`);
      if (this._state !== "failed") this.scheduleReconnect("unusable credentials");
      return;
    }
    this.secrets = [creds.susertoken, creds.accesstoken].filter((s): s is string => typeof s === "string" && s.length > 0);
    let ws: WebSocket;
    try {
      ws = new WebSocket(this.settings.url, { perMessageDeflate: false, handshakeTimeout: this.settings.loginTimeoutMs });
    } catch {
      // The URL was checked when the adapter was made; anything ws still refuses will refuse again.
      this.fail("the socket could not be created for this URL");
      return;
    }
    this.ws = ws;
    ws.binaryType = "nodebuffer";
    let loginTimer: ReturnType<typeof setTimeout> | undefined;
    ws.on("open", () => {
      const { protocol } = this.settings;
      const msg = protocol === "v2"
        ? { t: "a", uid: creds.uid, actid: creds.actid ?? creds.uid, accesstoken: creds.accesstoken ?? "", source: "API" }
        : { t: "c", uid: creds.uid, actid: creds.actid ?? creds.uid, susertoken: creds.susertoken ?? "", source: "API" };
      ws.send(JSON.stringify(msg));
      loginTimer = setTimeout(() => ws.terminate(), this.settings.loginTimeoutMs);
    });
    ws.on("message", (data: Buffer) => {
      if (ws !== this.ws) return;
      const now = Date.now();
      const h = this.ctx.health;
      h.add(this.index, H.MESSAGES, 1);
      h.add(this.index, H.BYTES, data.length);
      h.set(this.index, H.LAST_MESSAGE_MS, now);
      if (!this.loggedIn) {
        clearTimeout(loginTimer);
        this.onLoginReply(ws, data);
        return;
      }
      // Anything the session says (ticks, heartbeat acks) shows it alive: the watchdog looks for a
      // session that says nothing at all, and leaves a quiet set of illiquid instruments alone.
      // Pongs do not count: ws answers pings by itself, so a dead session's socket still pongs.
      this.lastDataMs = now;
      if (this.stalled.length > 0 || !this.ctx.parser.push(data)) {
        // The frame buffer is full while the sink is busy: hold the frame and stop reading.
        this.stalled.push(data);
        ws.pause();
      }
      this.scheduleFlush();
    });
    ws.on("error", () => {
      // "close" follows; errors may quote the URL's query (a token): never surface them raw.
    });
    ws.on("close", () => {
      clearTimeout(loginTimer);
      if (ws !== this.ws) return;
      this.ws = undefined;
      this.onLost("the connection closed");
    });
  }

  private onLoginReply(ws: WebSocket, data: Buffer): void {
    let reply: { t?: unknown; s?: unknown; emsg?: unknown } = {};
    try {
      const parsed: unknown = JSON.parse(data.toString("utf8"));
      if (typeof parsed === "object" && parsed !== null) reply = parsed;
    } catch {
      // not JSON: a refusal like any other
    }
    // Flattrade's docs write "Ok", the live server "OK": compare without case.
    if ((reply.t === "ck" || reply.t === "ak") && typeof reply.s === "string" && reply.s.toUpperCase() === "OK") {
      this.loggedIn = true;
      this.loginRejects = 0;
      this.attempt = 0;
      if (this.everOpened) this.ctx.health.add(this.index, H.RECONNECTS, 1);
      this.everOpened = true;
      this.lastDataMs = Date.now();
      this.setState("open");
      this.startHeartbeat(ws);
      this.resubscribeAll();
      for (const w of this.openWaiters.splice(0)) w.resolve();
      return;
    }
    // Refused (or nonsense before login): count, close, and try again with fresh credentials.
    const why = typeof reply.emsg === "string" ? this.redact(reply.emsg).slice(0, 200) : `reply ${reply.t === undefined ? "unreadable" : `"${this.redact(String(reply.t)).slice(0, 8)}"`}`;
    this.refused(why);
    ws.terminate();
  }

  // A refused login: counted, reported, and the connection fails for good after maxLoginRejects in a row.
  private refused(why: string): void {
    this.loginRejects++;
    this.ctx.health.add(this.index, H.LOGIN_REJECTS, 1);
    this.ctx.emit({ type: "login-rejected", connection: this.index, message: why });
    if (this.loginRejects >= this.settings.maxLoginRejects) this.fail(`login refused ${this.loginRejects} times: ${why}`);
  }

  private resubscribeAll(): void {
    this.pacer.clear();
    let n = 0;
    for (const h of this.held.values()) {
      this.pacer.add(h.stream === STREAM_DEPTH ? "d" : "t", h.key);
      n++;
    }
    if (n > 0 && this.ctx.health.get(this.index, H.RECONNECTS) > 0) this.ctx.emit({ type: "resubscribed", connection: this.index, instruments: n });
  }

  private sendRequest(kind: string, keys: string[]): void {
    const ws = this.ws;
    if (ws === undefined || !this.loggedIn || ws.readyState !== WebSocket.OPEN) return; // re-sent after the next login
    ws.send(`{"t":"${kind}","k":"${keys.join("#")}"}`);
    this.ctx.health.add(this.index, H.REQUESTS_SENT, 1);
  }

  private scheduleFlush(): void {
    if (this.flushing) return;
    this.flushing = true;
    setImmediate(() => void this.flush());
  }

  // Parses what arrived, hands the records to the sink, and repeats until the parser is
  // empty. One flush at a time: the parser's output stays untouched until the sink is done.
  private async flush(): Promise<void> {
    const { parser } = this.ctx;
    try {
      for (;;) {
        const records = parser.parse(monotonicNs(), Date.now());
        this.afterParse(records);
        if (records > 0) await this.deliver(parser.out, parser.outBytes, records);
        let taken = 0;
        while (taken < this.stalled.length && parser.push(this.stalled[taken]!)) taken++;
        if (taken > 0) this.stalled.splice(0, taken);
        if (this.stalled.length === 0 && this.ws?.isPaused) this.ws.resume();
        if (parser.pendingFrames === 0 && this.stalled.length === 0) break;
      }
    } finally {
      this.flushing = false;
    }
  }

  private afterParse(records: number): void {
    const { parser, health } = this.ctx;
    for (let i = 0; i < parser.controlCount; i++) this.onControl(parser.controlJson(i));
    const malformed = parser.malformedTotal();
    if (malformed !== this.reportedMalformed) {
      // Rare: then the counters by reason, and one event per reason that moved.
      health.add(this.index, H.MALFORMED, malformed - this.reportedMalformed);
      this.reportedMalformed = malformed;
      const byReason = parser.counters().malformed;
      for (const [reason, count] of Object.entries(byReason)) {
        const before = this.reportedByReason[reason] ?? 0;
        if (count !== before) this.ctx.emit({ type: "malformed", connection: this.index, reason, count: count - before });
        this.reportedByReason[reason] = count;
      }
    }
    const flagged = parser.flaggedTotal();
    if (flagged !== this.reportedFlagged) {
      health.add(this.index, H.FLAGGED, flagged - this.reportedFlagged);
      this.reportedFlagged = flagged;
    }
    if (records > 0 && this.acks.size > 0) this.confirmAcks(parser.out, parser.outBytes);
  }

  // A record of the subscribed stream's kind for a pending symbol is its acknowledgement.
  private confirmAcks(out: number, bytes: number): void {
    const { u8, u32 } = this.ctx.mem;
    for (let p = out, length = 0; p < out + bytes; p += length) {
      length = u8[p + OFF_LENGTH]! | (u8[p + OFF_LENGTH + 1]! << 8);
      if (length === 0) break;
      const list = this.acks.get(u32[(p + OFF_SYMBOL_ID) >>> 2]!);
      if (list === undefined) continue;
      const kind = u8[p + OFF_KIND]!;
      for (let i = list.length - 1; i >= 0; i--) {
        const a = list[i]!;
        if (a.stream === STREAM_DEPTH ? kind === 3 : kind !== 3) {
          clearTimeout(a.timer);
          list.splice(i, 1);
          a.resolve({ ok: true });
        }
      }
      if (list.length === 0) this.acks.delete(u32[(p + OFF_SYMBOL_ID) >>> 2]!);
      if (this.acks.size === 0) break;
    }
  }

  private onControl(frame: unknown): void {
    // Acks of unsubscribes and anything else the broker says outside ticks: nothing to do but
    // a re-login reply, which can arrive if the server restarts the session.
    if (typeof frame !== "object" || frame === null) return;
    const m = frame as { t?: unknown; s?: unknown };
    if ((m.t === "ck" || m.t === "ak") && !(typeof m.s === "string" && m.s.toUpperCase() === "OK")) this.ws?.terminate();
  }

  // Hands the parser's output to the sink in pieces of at most maxBatchBytes, cut between records.
  private async deliver(src: number, bytes: number, records: number): Promise<void> {
    const { u8 } = this.ctx.mem;
    const limit = this.ctx.maxBatchBytes;
    let left = records;
    for (let at = src, end = src + bytes; at < end;) {
      // The common case, the rest fits the sink: handed over whole, without a walk over its records.
      let cut = end;
      let n = left;
      if (end - at > limit) {
        cut = at;
        n = 0;
        while (cut < end) {
          const length = u8[cut + OFF_LENGTH]! | (u8[cut + OFF_LENGTH + 1]! << 8);
          if (length === 0 || cut + length - at > limit) break;
          cut += length;
          n++;
        }
        if (n === 0) break; // cannot happen: limit ≥ MAX_RECORD_BYTES and records are well formed
      }
      try {
        const taken = await this.ctx.sink(at, cut - at);
        this.ctx.health.add(this.index, H.TICKS, taken);
      } catch (e) {
        this.ctx.health.add(this.index, H.DROPPED, n);
        const reason = e instanceof TickwireError ? `${e.code}: ${e.message}` : "the sink threw";
        this.ctx.emit({ type: "dropped", connection: this.index, ticks: n, reason });
      }
      left -= n;
      at = cut;
    }
    if (left > 0) {
      this.ctx.health.add(this.index, H.DROPPED, left);
      this.ctx.emit({ type: "dropped", connection: this.index, ticks: left, reason: "unreadable record lengths in the parser's output" });
    }
  }

  private startHeartbeat(ws: WebSocket): void {
    this.stopHeartbeat();
    const { heartbeatMs, silenceMs } = this.settings;
    this.heartbeat = setInterval(() => {
      if (ws.readyState !== WebSocket.OPEN) return;
      ws.send('{"t":"h"}');
      ws.ping();
      // Open but silent (the known failure after the daily token rollover): replace it.
      if (silenceMs > 0 && this.held.size > 0 && this.settings.marketOpen() && Date.now() - this.lastDataMs > silenceMs) {
        this.ctx.health.add(this.index, H.SILENT_RESTARTS, 1);
        ws.terminate();
      }
    }, Math.min(heartbeatMs, silenceMs > 0 ? Math.max(10, silenceMs / 2) : heartbeatMs));
  }

  private stopHeartbeat(): void {
    if (this.heartbeat !== undefined) clearInterval(this.heartbeat);
    this.heartbeat = undefined;
  }

  private onLost(reason: string): void {
    this.loggedIn = false;
    this.stopHeartbeat();
    this.pacer.clear();
    this.stalled.length = 0; // frames of a lost session: their symbols get fresh snapshots on re-subscription
    if (this.closing || this._state === "failed") return;
    this.scheduleReconnect(reason);
  }

  private scheduleReconnect(reason: string): void {
    if (this.closing || this._state === "failed") return;
    this.setState("reconnecting", reason);
    const delay = backoffDelay(this.attempt++, this.settings.backoff);
    this.retry = setTimeout(() => {
      this.retry = undefined;
      if (!this.closing) void this.connect();
    }, delay);
  }

  private fail(reason: string): void {
    this.setState("failed", reason);
    this.pacer.stop();
    this.failAcks("BROKER_ERROR", reason);
    this.rejectOpenWaiters(new TickwireError("BROKER", `connection ${this.index}: ${reason}`));
  }

  private rejectOpenWaiters(e: Error): void {
    for (const w of this.openWaiters.splice(0)) w.reject(e);
  }

  private setState(state: ConnectionState, reason?: string): void {
    this._state = state;
    this.ctx.health.setState(this.index, state);
    this.ctx.emit(reason === undefined ? { type: "state", connection: this.index, state } : { type: "state", connection: this.index, state, reason });
  }

  private redact(text: string): string {
    let out = text;
    for (const s of this.secrets) out = out.split(s).join("***");
    return out;
  }

  /** The parser's counters since this connection was made: frames, ticks, malformed by reason, guard flags by guard. */
  parserCounters(): NorenCounters {
    return this.ctx.parser.counters();
  }

  /** Instruments held, for reports and re-homing. */
  instruments(): InstrumentRow[] {
    return [...this.held.values()].map((h) => h.row);
  }
}
