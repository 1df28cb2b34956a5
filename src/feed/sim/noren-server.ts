// A simulated Noren (Flattrade, Shoonya) market-data server on a real WebSocket: login V1/V2,
// touchline and depth subscriptions answered with a snapshot (`tk`/`dk`) and then only the
// changed fields (`tf`/`df`), heartbeats, and faults on demand (dropped sockets, silence,
// refused logins, the daily token rollover, malformed frames, slow sends). The market behind it
// is a SimulatedMarket over a universe; the symbol master of the same universe resolves scrips
// on both sides. Node only (it serves sockets). docs/NOREN.md, "The simulated Noren server".
import { WebSocketServer, WebSocket, type RawData } from "ws";
import { TickwireError } from "../../errors.js";
import { checkInt, checkOptions, checkTimeout, describe } from "../../validate.js";
import { SymbolMaster } from "../symbol-master.js";
import { SimulatedMarket, type NorenSentState } from "./market.js";
import { createUniverse, type SimInstrumentRow } from "./universe.js";
import { checkSeed } from "./prng.js";

/** An account the server accepts: a V1 login needs its `susertoken`, a V2 login its `accesstoken`. */
export interface NorenSimAccount {
  readonly uid: string;
  readonly susertoken?: string;
  readonly accesstoken?: string;
}

/** The account a server without `accounts` accepts. */
export const NOREN_SIM_DEMO_ACCOUNT: NorenSimAccount = Object.freeze({ uid: "SIMDEMO", susertoken: "sim-session-token", accesstoken: "sim-access-token" });

/** Options of {@link NorenSimServer.start}; every one has a default. */
export interface NorenSimServerOptions {
  /** TCP port; 0 (default) picks a free one. */
  port?: number;
  /** Interface to listen on. Default "127.0.0.1". */
  host?: string;
  /** The instruments (createUniverse). Default: createUniverse({ instruments, seed }). */
  universe?: readonly SimInstrumentRow[];
  /** Instruments of the default universe, 1..100 000. Default 3000. */
  instruments?: number;
  /** Seed of the universe and the market. Default 1. */
  seed?: number;
  /** Accounts that may log in. Default: [NOREN_SIM_DEMO_ACCOUNT]. */
  accounts?: readonly NorenSimAccount[];
  /** Market ticks a second over the subscribed instruments; each sends one frame per subscribed stream. 0: only {@link NorenSimServer.advance}. Default 2000. */
  ticksPerSecond?: number;
  /** Period of the tick loop, ms (1..1000). Default 5. */
  loopMs?: number;
  /** Largest message accepted from a client, bytes (a bigger one closes that socket, code 1009). Default 65 536. */
  maxPayload?: number;
  /** Close a connection that sent nothing (not even a heartbeat) for this long, ms; 0: never. Default 0. */
  idleTimeoutMs?: number;
  /** A socket with more than this many bytes unsent gets no updates; they coalesce (its next frame carries every field changed meanwhile). Default 4 MiB. */
  maxBufferedBytes?: number;
  /** Skew of the tick distribution (SimulatedMarketOptions.skew). Default 7. */
  skew?: number;
}

/** A subscribe/unsubscribe message as the server received it. */
export interface NorenSimRequest {
  /** "t", "u", "d" or "ud". */
  readonly t: string;
  /** Wall time it arrived, ms. */
  readonly atMs: number;
  /** Scrips in its `k`. */
  readonly scrips: number;
}

/** One connection in {@link NorenSimStats}. */
export interface NorenSimConnectionStats {
  readonly id: number;
  readonly open: boolean;
  readonly loggedIn: boolean;
  readonly uid: string | undefined;
  /** Subscribe/unsubscribe messages, oldest first (the first 10 000). */
  readonly requests: readonly NorenSimRequest[];
  /** Scrips subscribed now on each stream. */
  readonly touchline: number;
  readonly depth: number;
  /** Messages received (any) and frames sent. */
  readonly received: number;
  readonly framesSent: number;
}

/** Counters since start. */
export interface NorenSimStats {
  /** Sockets open now. */
  readonly connections: number;
  /** Sockets accepted since start. */
  readonly accepted: number;
  readonly loginsOk: number;
  readonly loginsRejected: number;
  readonly subscribeMessages: number;
  readonly unsubscribeMessages: number;
  /** Scrips in subscribe messages that the universe does not hold (ignored, no snapshot). */
  readonly unknownScrips: number;
  readonly heartbeats: number;
  /** Messages received before a successful login (ignored). */
  readonly beforeLogin: number;
  /** Messages that were not JSON objects with a known string `t`, or lacked what their type needs (ignored). */
  readonly badMessages: number;
  /** Socket errors (a message beyond maxPayload, a broken frame). */
  readonly socketErrors: number;
  /** Market ticks simulated. */
  readonly ticks: number;
  /** Frames sent (ticks, acks, malformed). */
  readonly framesSent: number;
  /** Frames not sent because the server (or the connection) was silent. */
  readonly framesSuppressed: number;
  readonly malformedSent: number;
  readonly perConnection: readonly NorenSimConnectionStats[];
}

/** Both streams of one scrip as the server renders them now: every field, as sent (strings). */
export interface NorenSimExpected {
  readonly touchline: Readonly<Record<string, string>>;
  readonly depth: Readonly<Record<string, string>>;
}

/** Kinds of malformed frame {@link NorenSimServer.injectMalformed} sends. */
export type NorenMalformedKind = "bad-json" | "unknown-type" | "precision" | "wrong-type";
const MALFORMED_KINDS: readonly NorenMalformedKind[] = ["bad-json", "unknown-type", "precision", "wrong-type"];

/** Options of {@link NorenSimServer.rotateToken}. */
export interface RotateTokenOptions {
  /** Which token changes. Default "both". */
  which?: "susertoken" | "accesstoken" | "both";
  /** What happens to sockets logged in with the account: kept streaming, left open but silent (what the real rollover does), or closed. Default "keep". */
  existing?: "keep" | "silence" | "close";
}

const MAX_REQUESTS_KEPT = 10_000;
const REJECT_TEXT = "Invalid Session Key";

class Conn {
  loggedIn = false;
  uid: string | undefined = undefined;
  /** Sends nothing any more (its token was rotated with existing: "silence"). */
  silent = false;
  readonly touch = new Map<number, NorenSentState>();
  readonly depth = new Map<number, NorenSentState>();
  out: string[] = [];
  readonly requests: NorenSimRequest[] = [];
  received = 0;
  framesSent = 0;
  lastHeardMs = Date.now();

  constructor(readonly id: number, readonly ws: WebSocket) {}
}

/**
 * A Noren market-data server over a {@link SimulatedMarket}, behaving as the brokers' own
 * clients expect (docs/NOREN.md, "The simulated Noren server"). Start it with
 * {@link NorenSimServer.start}, point a client at {@link url}, and {@link close} it when done.
 */
export class NorenSimServer {
  /** The market behind the feed. */
  readonly market: SimulatedMarket;
  /** Its instruments. */
  readonly universe: readonly SimInstrumentRow[];
  /** A symbol master of the universe (what a client of this server loads). */
  readonly master: SymbolMaster;
  private readonly accounts = new Map<string, { susertoken: string | undefined; accesstoken: string | undefined }>();
  private readonly conns = new Set<Conn>();
  private readonly all: Conn[] = [];
  /** Instrument → connections subscribed to it on either stream (an array: no iterator per tick). */
  private readonly subs = new Map<number, Conn[]>();
  private activeDirty = true;
  private readonly dirtyConns = new Set<Conn>();
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();
  private loop: ReturnType<typeof setInterval> | undefined;
  private idleLoop: ReturnType<typeof setInterval> | undefined;
  private lastTurn = performance.now();
  private budget = 0;
  private paused = false;
  private silentUntil = 0;
  private rejectNext = 0;
  private delayMs = 0;
  private closed = false;
  private nextId = 0;
  private readonly c = {
    accepted: 0, loginsOk: 0, loginsRejected: 0, subscribeMessages: 0, unsubscribeMessages: 0, unknownScrips: 0, heartbeats: 0,
    beforeLogin: 0, badMessages: 0, socketErrors: 0, ticks: 0, framesSent: 0, framesSuppressed: 0, malformedSent: 0,
  };

  private constructor(
    private readonly wss: WebSocketServer,
    /** ws://host:port/ of the server. */
    readonly url: string,
    /** The port it listens on. */
    readonly port: number,
    universe: readonly SimInstrumentRow[],
    market: SimulatedMarket,
    master: SymbolMaster,
    accounts: readonly NorenSimAccount[],
    private readonly ticksPerSecond: number,
    private readonly maxBuffered: number,
    private readonly idleTimeoutMs: number,
  ) {
    this.universe = universe;
    this.market = market;
    this.master = master;
    for (const a of accounts) this.accounts.set(a.uid, { susertoken: a.susertoken, accesstoken: a.accesstoken });
  }

  /** Starts a server listening on `options.host`:`options.port`; resolves once it listens. */
  static async start(options?: NorenSimServerOptions): Promise<NorenSimServer> {
    const o = checkOptions<NorenSimServerOptions>(options, "NorenSimServer.start: options");
    const port = checkInt(o.port ?? 0, 0, 65535, "NorenSimServer.start: options.port");
    const host = o.host ?? "127.0.0.1";
    if (typeof host !== "string" || host === "") throw new TickwireError("ARGUMENT", `NorenSimServer.start: options.host must be a non-empty string, got ${describe(host)}`);
    const seed = checkSeed(o.seed ?? 1, "NorenSimServer.start: options.seed");
    let universe: readonly SimInstrumentRow[];
    if (o.universe !== undefined) {
      if (!Array.isArray(o.universe)) throw new TickwireError("ARGUMENT", `NorenSimServer.start: options.universe must be an array of SimInstrumentRow, got ${describe(o.universe)}`);
      universe = o.universe;
    } else {
      universe = createUniverse({ instruments: o.instruments ?? 3000, seed });
    }
    const accounts = checkAccounts(o.accounts);
    const tps = checkInt(o.ticksPerSecond ?? 2000, 0, 10_000_000, "NorenSimServer.start: options.ticksPerSecond");
    const loopMs = checkInt(o.loopMs ?? 5, 1, 1000, "NorenSimServer.start: options.loopMs");
    const maxPayload = checkInt(o.maxPayload ?? 65536, 64, 64 << 20, "NorenSimServer.start: options.maxPayload");
    const idle = checkTimeout(o.idleTimeoutMs ?? 0, "NorenSimServer.start: options.idleTimeoutMs");
    const maxBuffered = checkInt(o.maxBufferedBytes ?? 4 << 20, 0, 2 ** 31 - 1, "NorenSimServer.start: options.maxBufferedBytes");
    const market = new SimulatedMarket(universe, { seed, startTimeMs: Date.now(), skew: o.skew ?? 7 });
    market.setActive([]);
    const master = SymbolMaster.fromRows(universe);
    if (master.errorCount > 0) throw new TickwireError("ARGUMENT", `NorenSimServer.start: universe row ${master.errors[0]!.line}: ${master.errors[0]!.reason}`);

    const wss = new WebSocketServer({ host, port, maxPayload, autoPong: false, perMessageDeflate: false, clientTracking: false });
    await new Promise<void>((resolve, reject) => {
      const fail = (e: Error): void => reject(new TickwireError("ARGUMENT", `NorenSimServer.start: cannot listen on ${host}:${port}: ${e.message}`));
      wss.once("error", fail);
      wss.once("listening", () => {
        wss.off("error", fail);
        resolve();
      });
    });
    const address = wss.address();
    const actual = typeof address === "object" && address !== null ? address.port : port;
    const url = `ws://${host.includes(":") ? `[${host}]` : host}:${actual}/`;
    const server = new NorenSimServer(wss, url, actual, universe, market, master, accounts, tps, maxBuffered, idle);
    server.listen(loopMs);
    return server;
  }

  private listen(loopMs: number): void {
    this.wss.on("error", () => { this.c.socketErrors++; });
    this.wss.on("connection", (ws) => this.accept(ws));
    this.lastTurn = performance.now();
    this.loop = setInterval(() => this.turn(), loopMs);
    this.loop.unref();
    if (this.idleTimeoutMs > 0) {
      this.idleLoop = setInterval(() => this.reapIdle(), Math.max(10, Math.min(1000, this.idleTimeoutMs / 4)));
      this.idleLoop.unref();
    }
  }

  // ─── connections and requests ────────────────────────────────────────────────────────

  private accept(ws: WebSocket): void {
    if (this.closed) {
      ws.terminate();
      return;
    }
    const conn = new Conn(this.nextId++, ws);
    this.conns.add(conn);
    this.all.push(conn);
    this.c.accepted++;
    ws.on("message", (data: RawData) => this.onMessage(conn, data));
    ws.on("ping", (data: Buffer) => {
      conn.lastHeardMs = Date.now();
      if (!this.isSilent() && !conn.silent && ws.readyState === WebSocket.OPEN) ws.pong(data);
    });
    ws.on("error", () => { this.c.socketErrors++; });
    ws.on("close", () => this.forget(conn));
  }

  private forget(conn: Conn): void {
    if (!this.conns.delete(conn)) return;
    this.dropSubscriptions(conn);
    conn.loggedIn = false;
    this.dirtyConns.delete(conn);
  }

  private dropSubscriptions(conn: Conn): void {
    for (const i of [...conn.touch.keys(), ...conn.depth.keys()]) this.unlink(conn, i);
    conn.touch.clear();
    conn.depth.clear();
  }

  private unlink(conn: Conn, i: number): void {
    const list = this.subs.get(i);
    const k = list === undefined ? -1 : list.indexOf(conn);
    if (k < 0) return;
    list!.splice(k, 1);
    if (list!.length === 0) {
      this.subs.delete(i);
      this.activeDirty = true;
    }
  }

  private onMessage(conn: Conn, data: RawData): void {
    conn.received++;
    conn.lastHeardMs = Date.now();
    // Silence: the server hears nothing either (a dead session).
    if (this.isSilent() || this.closed) return;
    let msg: Record<string, unknown>;
    try {
      // Text or binary frames alike: Noren clients send JSON text.
      const text = Array.isArray(data) ? Buffer.concat(data).toString("utf8") : Buffer.isBuffer(data) ? data.toString("utf8") : Buffer.from(data).toString("utf8");
      const v: unknown = JSON.parse(text);
      if (typeof v !== "object" || v === null || Array.isArray(v)) throw new Error("not an object");
      msg = v as Record<string, unknown>;
    } catch {
      this.c.badMessages++;
      return;
    }
    const t = msg["t"];
    if (t === "c" || t === "a") {
      this.login(conn, msg, t === "a");
    } else if (!conn.loggedIn) {
      this.c.beforeLogin++;
      return;
    } else if (t === "t" || t === "d" || t === "u" || t === "ud") {
      this.request(conn, t, msg["k"]);
    } else if (t === "h") {
      this.c.heartbeats++;
      this.queue(conn, '{"t":"hk"}');
    } else if (t === "o") {
      this.queue(conn, '{"t":"ok"}');
    } else if (t === "uo") {
      this.queue(conn, '{"t":"uok"}');
    } else {
      this.c.badMessages++;
      return;
    }
    this.flush();
  }

  private login(conn: Conn, msg: Record<string, unknown>, v2: boolean): void {
    const uid = msg["uid"];
    const token = v2 ? msg["accesstoken"] : msg["susertoken"];
    const account = typeof uid === "string" ? this.accounts.get(uid) : undefined;
    const expected = account === undefined ? undefined : v2 ? account.accesstoken : account.susertoken;
    let ok = typeof token === "string" && token !== "" && token === expected;
    if (this.rejectNext > 0) {
      this.rejectNext--;
      ok = false;
    }
    const ack = v2 ? "ak" : "ck";
    if (ok) {
      this.c.loginsOk++;
      conn.loggedIn = true;
      conn.uid = uid as string;
      conn.silent = false;
      this.queue(conn, `{"t":"${ack}","s":"OK","uid":${JSON.stringify(uid)}}`);
    } else {
      // Refused, and left open: Noren does not close a refused login (the client should).
      this.c.loginsRejected++;
      if (conn.loggedIn) this.dropSubscriptions(conn);
      conn.loggedIn = false;
      this.queue(conn, `{"t":"${ack}","s":"NOT_OK","emsg":"${REJECT_TEXT}"}`);
    }
  }

  private request(conn: Conn, t: "t" | "d" | "u" | "ud", k: unknown): void {
    if (typeof k !== "string") {
      this.c.badMessages++;
      return;
    }
    const scrips = k === "" ? [] : k.split("#");
    if (conn.requests.length < MAX_REQUESTS_KEPT) conn.requests.push(Object.freeze({ t, atMs: Date.now(), scrips: scrips.length }));
    const depth = t === "d" || t === "ud";
    const streams = depth ? conn.depth : conn.touch;
    if (t === "t" || t === "d") {
      this.c.subscribeMessages++;
      for (const s of scrips) {
        const bar = s.indexOf("|");
        const i = bar > 0 ? this.market.indexOfToken(s.slice(0, bar), s.slice(bar + 1)) : -1;
        if (i < 0) {
          this.c.unknownScrips++; // no snapshot: the client times it out
          continue;
        }
        // A repeated subscribe sends the snapshot again and restarts the stream's changes from it.
        const sent = this.market.norenSentState();
        streams.set(i, sent);
        let list = this.subs.get(i);
        if (list === undefined) {
          this.subs.set(i, (list = []));
          this.activeDirty = true;
        }
        if (!list.includes(conn)) list.push(conn);
        this.queue(conn, depth ? this.market.norenDepth(i, true, sent) : this.market.norenTouchline(i, true, sent));
      }
    } else {
      this.c.unsubscribeMessages++;
      const other = depth ? conn.touch : conn.depth;
      for (const s of scrips) {
        const bar = s.indexOf("|");
        const i = bar > 0 ? this.market.indexOfToken(s.slice(0, bar), s.slice(bar + 1)) : -1;
        if (i < 0 || !streams.delete(i)) continue;
        if (!other.has(i)) this.unlink(conn, i);
      }
      this.queue(conn, `{"t":"${depth ? "udk" : "uk"}","k":${JSON.stringify(k)}}`);
    }
  }

  private reapIdle(): void {
    const now = Date.now();
    for (const conn of this.conns) if (now - conn.lastHeardMs > this.idleTimeoutMs) conn.ws.terminate();
  }

  // ─── ticking and sending ──────────────────────────────────────────────────────────────

  private turn(): void {
    const now = performance.now();
    const dt = now - this.lastTurn;
    this.lastTurn = now;
    if (this.paused || this.isSilent() || this.ticksPerSecond === 0) {
      this.budget = 0;
      return;
    }
    this.refreshActive();
    if (this.market.activeSize === 0) {
      this.budget = 0;
      return;
    }
    // Catch up after a late turn, but by at most 200 ms of ticks.
    const rate = this.ticksPerSecond * this.market.rateAt(Date.now());
    this.budget = Math.min(this.budget + (rate * dt) / 1000, rate / 5 + 1);
    const n = Math.floor(this.budget);
    this.budget -= n;
    this.tick(n);
    this.flush();
  }

  private refreshActive(): void {
    if (!this.activeDirty) return;
    this.market.setActive(this.subs.keys());
    this.activeDirty = false;
  }

  private tick(n: number): number {
    const wall = Date.now();
    let done = 0;
    for (; done < n; done++) {
      const i = this.market.pick();
      if (i < 0) break;
      this.market.step(i, wall);
      this.publish(i);
    }
    this.c.ticks += done;
    return done;
  }

  // Every subscriber of instrument i gets what changed since its own last frame of each stream.
  private publish(i: number): void {
    const list = this.subs.get(i);
    if (list === undefined) return;
    const market = this.market;
    for (let k = 0; k < list.length; k++) {
      const conn = list[k]!;
      if (!conn.loggedIn || conn.silent) continue;
      // A backlog: let the changes coalesce into the next frame this socket can take.
      if (conn.ws.bufferedAmount > this.maxBuffered) continue;
      const ts = conn.touch.get(i);
      if (ts !== undefined) {
        const f = market.norenTouchline(i, false, ts);
        if (market.lastFrameFields > 0) this.queue(conn, f);
      }
      const ds = conn.depth.get(i);
      if (ds !== undefined) {
        const f = market.norenDepth(i, false, ds);
        if (market.lastFrameFields > 0) this.queue(conn, f);
      }
    }
  }

  private queue(conn: Conn, frame: string): void {
    conn.out.push(frame);
    this.dirtyConns.add(conn);
  }

  // Sends what each connection collected this turn: one WebSocket message per frame (Noren's
  // protocol), a connection's frames in one go, after the configured delay.
  private flush(): void {
    if (this.dirtyConns.size === 0) return;
    const silent = this.isSilent();
    for (const conn of this.dirtyConns) {
      const frames = conn.out;
      conn.out = [];
      if (silent || conn.silent) {
        this.c.framesSuppressed += frames.length;
        continue;
      }
      if (this.delayMs > 0) {
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          this.write(conn, frames);
        }, this.delayMs);
        this.timers.add(timer);
      } else {
        this.write(conn, frames);
      }
    }
    this.dirtyConns.clear();
  }

  private write(conn: Conn, frames: readonly string[]): void {
    const ws = conn.ws;
    if (ws.readyState !== WebSocket.OPEN) return;
    if (this.isSilent() || conn.silent) {
      this.c.framesSuppressed += frames.length;
      return;
    }
    // One WebSocket message per frame, as Noren sends them; corking the TCP socket around the
    // batch lets them leave in few writes (ws exposes no batch send; _socket is its own field).
    const socket = (ws as unknown as { _socket?: { cork?: () => void; uncork?: () => void } })._socket;
    const cork = frames.length > 1 && typeof socket?.cork === "function" && typeof socket.uncork === "function";
    if (cork) socket!.cork!();
    for (const f of frames) ws.send(f);
    if (cork) socket!.uncork!();
    conn.framesSent += frames.length;
    this.c.framesSent += frames.length;
  }

  private isSilent(): boolean {
    return this.silentUntil > Date.now();
  }

  // ─── control: ticking ─────────────────────────────────────────────────────────────────

  /**
   * Runs `ticks` market ticks now, over the subscribed instruments, and sends their frames
   * (also while paused, or with ticksPerSecond 0). Returns the ticks run (0 when nothing is
   * subscribed, or while silent).
   */
  advance(ticks: number): number {
    checkInt(ticks, 0, 10_000_000, "NorenSimServer.advance: ticks");
    if (this.closed || this.isSilent()) return 0;
    this.refreshActive();
    const done = this.tick(ticks);
    this.flush();
    return done;
  }

  /** Stops the tick loop (requests are still answered). */
  pause(): void {
    this.paused = true;
  }

  /** Restarts the tick loop and ends a {@link goSilent}. */
  resume(): void {
    this.paused = false;
    this.silentUntil = 0;
    this.lastTurn = performance.now();
    this.budget = 0;
  }

  /**
   * Pauses ticking and resolves once every frame is on the wire: no delayed batch pending and
   * every socket's send buffer empty. Then {@link expected} is what every subscriber was sent.
   * Rejects (TIMEOUT) after `timeoutMs` (default 5000).
   */
  async quiesce(timeoutMs = 5000): Promise<void> {
    checkTimeout(timeoutMs, "NorenSimServer.quiesce: timeoutMs");
    this.pause();
    this.flush();
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      let busy = this.timers.size > 0;
      for (const conn of this.conns) if (conn.ws.bufferedAmount > 0) busy = true;
      if (!busy) return;
      if (Date.now() > deadline) throw new TickwireError("TIMEOUT", `NorenSimServer.quiesce: frames still unsent after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 2));
    }
  }

  // ─── control: faults ──────────────────────────────────────────────────────────────────

  /** Terminates every socket at once (no close handshake), as a network failure would. Returns how many. */
  dropConnections(): number {
    let n = 0;
    for (const conn of this.conns) {
      conn.ws.terminate();
      n++;
    }
    return n;
  }

  /**
   * Keeps every socket open but sends nothing — no tick, ack, heartbeat reply or pong — and
   * ignores what clients send, for `ms` (Infinity: until {@link resume}). The market does not
   * tick meanwhile.
   */
  goSilent(ms: number): void {
    if (ms !== Infinity) checkTimeout(ms, "NorenSimServer.goSilent: ms");
    this.silentUntil = Date.now() + ms;
    this.budget = 0;
  }

  /** The next `n` logins are refused (NOT_OK), whatever their credentials. */
  rejectLogins(n: number): void {
    this.rejectNext = checkInt(n, 0, 1_000_000, "NorenSimServer.rejectLogins: n");
  }

  /**
   * The daily rollover: `uid`'s token becomes `newToken`, the old one is refused from now on.
   * Sockets already logged in with the account keep streaming, go silent, or close
   * (`options.existing`).
   */
  rotateToken(uid: string, newToken: string, options?: RotateTokenOptions): void {
    if (typeof uid !== "string" || !this.accounts.has(uid)) throw new TickwireError("ARGUMENT", `NorenSimServer.rotateToken: uid ${describe(uid)} is not an account of this server`);
    if (typeof newToken !== "string" || newToken === "") throw new TickwireError("ARGUMENT", "NorenSimServer.rotateToken: newToken must be a non-empty string");
    const o = checkOptions<RotateTokenOptions>(options, "NorenSimServer.rotateToken: options");
    const which = o.which ?? "both";
    const existing = o.existing ?? "keep";
    if (which !== "susertoken" && which !== "accesstoken" && which !== "both") throw new TickwireError("ARGUMENT", `NorenSimServer.rotateToken: options.which must be "susertoken", "accesstoken" or "both", got ${describe(which)}`);
    if (existing !== "keep" && existing !== "silence" && existing !== "close") throw new TickwireError("ARGUMENT", `NorenSimServer.rotateToken: options.existing must be "keep", "silence" or "close", got ${describe(existing)}`);
    const a = this.accounts.get(uid)!;
    if (which !== "accesstoken") a.susertoken = newToken;
    if (which !== "susertoken") a.accesstoken = newToken;
    if (existing === "keep") return;
    for (const conn of this.conns) {
      if (conn.uid !== uid || !conn.loggedIn) continue;
      if (existing === "close") conn.ws.terminate();
      else conn.silent = true;
    }
  }

  /**
   * Sends `n` malformed frames to every logged-in connection, cycling through `kinds` (default
   * all): `bad-json` (cut short), `unknown-type` (`"t":"zz"`), `precision` (an `lp` with one
   * decimal more than pp, for a scrip the connection holds), `wrong-type` (`lp` as a JSON
   * number). Returns how many were sent in all. They change no state: a correct client skips them.
   */
  injectMalformed(n: number, kinds?: readonly NorenMalformedKind[]): number {
    checkInt(n, 0, 100_000, "NorenSimServer.injectMalformed: n");
    const list = kinds ?? MALFORMED_KINDS;
    if (!Array.isArray(list) || list.length === 0 || list.some((k) => !MALFORMED_KINDS.includes(k))) {
      throw new TickwireError("ARGUMENT", `NorenSimServer.injectMalformed: kinds must be a non-empty array of ${MALFORMED_KINDS.join(", ")}, got ${describe(kinds)}`);
    }
    let sent = 0;
    for (const conn of this.conns) {
      if (!conn.loggedIn || conn.silent) continue;
      const held = conn.touch.keys().next();
      const dheld = conn.depth.keys().next();
      const i = !held.done ? held.value : !dheld.done ? dheld.value : 0;
      const row = this.universe[i]!;
      const head = `{"t":"tf","e":"${row.brokerExchange}","tk":"${row.token}"`;
      const lp = this.market.norenTouchline(i, true, this.market.norenSentState()).match(/"lp":"([^"]*)"/)![1]!;
      for (let k = 0; k < n; k++) {
        const kind = list[k % list.length]!;
        let frame: string;
        switch (kind) {
          case "bad-json": frame = `${head},"lp":"${lp}`; break;
          case "unknown-type": frame = `{"t":"zz","e":"${row.brokerExchange}","tk":"${row.token}"}`; break;
          case "precision": frame = `${head},"lp":"${lp}${row.priceDecimals === 0 ? ".7" : "7"}"}`; break;
          default: frame = `${head},"lp":${lp}}`;
        }
        this.queue(conn, frame);
        sent++;
      }
    }
    this.c.malformedSent += sent;
    this.flush();
    return sent;
  }

  /** Delays every outgoing batch by `delayMs` (order kept); 0 stops delaying. */
  slowDown(delayMs: number): void {
    this.delayMs = checkTimeout(delayMs, "NorenSimServer.slowDown: delayMs");
  }

  // ─── observation ──────────────────────────────────────────────────────────────────────

  /** Counters since start, and per connection (every connection accepted so far). */
  get stats(): NorenSimStats {
    return {
      ...this.c,
      connections: this.conns.size,
      perConnection: this.all.map((conn) => ({
        id: conn.id, open: this.conns.has(conn), loggedIn: conn.loggedIn, uid: conn.uid, requests: conn.requests.slice(),
        touchline: conn.touch.size, depth: conn.depth.size, received: conn.received, framesSent: conn.framesSent,
      })),
    };
  }

  /**
   * The full touchline and depth state of a scrip as the server renders it now (every field,
   * as the strings it sends), or undefined for a scrip the universe does not hold. After
   * {@link quiesce}, each subscriber's merged state of a stream is that stream's fields.
   */
  expected(brokerExchange: string, token: string): NorenSimExpected | undefined {
    if (typeof brokerExchange !== "string" || typeof token !== "string") throw new TickwireError("ARGUMENT", "NorenSimServer.expected: brokerExchange and token must be strings");
    const i = this.market.indexOfToken(brokerExchange, token);
    if (i < 0) return undefined;
    const strip = (text: string): Record<string, string> => {
      const o = JSON.parse(text) as Record<string, string>;
      delete o["t"];
      return o;
    };
    return {
      touchline: strip(this.market.norenTouchline(i, true, this.market.norenSentState())),
      depth: strip(this.market.norenDepth(i, true, this.market.norenSentState())),
    };
  }

  /** The current tokens of account `uid` (they change with {@link rotateToken}), or undefined. */
  account(uid: string): NorenSimAccount | undefined {
    const a = this.accounts.get(uid);
    return a === undefined ? undefined : { uid, susertoken: a.susertoken, accesstoken: a.accesstoken };
  }

  /** Stops ticking, closes every socket and the listener. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.loop !== undefined) clearInterval(this.loop);
    if (this.idleLoop !== undefined) clearInterval(this.idleLoop);
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.dirtyConns.clear();
    for (const conn of this.conns) conn.ws.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }
}

function checkAccounts(accounts: unknown): readonly NorenSimAccount[] {
  if (accounts === undefined) return [NOREN_SIM_DEMO_ACCOUNT];
  if (!Array.isArray(accounts) || accounts.length === 0) throw new TickwireError("ARGUMENT", `NorenSimServer.start: options.accounts must be a non-empty array of { uid, susertoken?, accesstoken? }, got ${describe(accounts)}`);
  const seen = new Set<string>();
  return accounts.map((a: unknown, i) => {
    const what = `NorenSimServer.start: options.accounts[${i}]`;
    if (typeof a !== "object" || a === null) throw new TickwireError("ARGUMENT", `${what} must be an object, got ${describe(a)}`);
    const { uid, susertoken, accesstoken } = a as Record<string, unknown>;
    if (typeof uid !== "string" || uid === "") throw new TickwireError("ARGUMENT", `${what}.uid must be a non-empty string`);
    if (seen.has(uid)) throw new TickwireError("ARGUMENT", `${what}.uid ${describe(uid)} is listed twice`);
    seen.add(uid);
    // Never quote a token in a message.
    if (susertoken !== undefined && (typeof susertoken !== "string" || susertoken === "")) throw new TickwireError("ARGUMENT", `${what}.susertoken must be a non-empty string when given`);
    if (accesstoken !== undefined && (typeof accesstoken !== "string" || accesstoken === "")) throw new TickwireError("ARGUMENT", `${what}.accesstoken must be a non-empty string when given`);
    if (susertoken === undefined && accesstoken === undefined) throw new TickwireError("ARGUMENT", `${what} needs a susertoken or an accesstoken`);
    return { uid, susertoken: susertoken as string | undefined, accesstoken: accesstoken as string | undefined };
  });
}
