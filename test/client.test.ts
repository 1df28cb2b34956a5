// tickwire/client against a scripted server (ws's WebSocketServer on port 0) that answers
// per docs/PROTOCOL.md: authentication, request_id echoes, subscribe replies with ids in
// binary format, JSON ticks, binary frames of records written with TickView, server-side
// closes for the reconnect paths, silence for the timeouts.
import { timedTest } from "./helpers/timed.js";
import { until as pollUntil, sleep } from "./helpers/feed-world.js";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readFileSync, readdirSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { WebSocketServer, WebSocket } from "ws";
import * as L from "../src/format/layout.js";
import { TickView, Side } from "../src/format/record.js";
import {
  TickwireClient, TickwireError, TickwireServerError,
  type ClientEvent, type Tick, type TickwireClientOptions, type TickwireErrorCode, type WebSocketConstructor,
} from "../src/client/index.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const KEY = "right-key-0123456789";
const MODE_NAME = { 1: "LTP", 2: "Quote", 3: "Depth" } as const;
// ws's class is a WebSocketConstructor: this line is the type check of that claim.
const WS: WebSocketConstructor = WebSocket;

// ── helpers ────────────────────────────────────────────────────────────────

/** A test that fails after `ms` instead of hanging the suite. */
const timed = timedTest;

/** The shared poll-until, with this file's shorter default limit. */
const until = (cond: () => boolean, what: string, ms = 3000): Promise<void> => pollUntil(cond, what, ms);

/** Awaits `p`, expects a TickwireError with `code` (and a message matching `pattern`), returns it. */
async function rejects(p: Promise<unknown>, code: TickwireErrorCode, pattern?: RegExp): Promise<TickwireError> {
  try {
    await p;
  } catch (e) {
    assert.instance(e, TickwireError, String(e));
    assert.is((e as TickwireError).code, code, (e as Error).message);
    if (pattern) assert.match((e as Error).message, pattern);
    return e as TickwireError;
  }
  assert.unreachable(`expected a ${code} error`);
  throw new Error("unreachable");
}

// ── the scripted server ────────────────────────────────────────────────────

type Msg = Record<string, any>;

interface Conn {
  ws: WebSocket;
  authed: boolean;
  format: "json" | "binary";
  /** "EXCHANGE:SYMBOL" → modes */
  subs: Map<string, Set<number>>;
  received: Msg[];
  closeCode?: number;
}

class ScriptedServer {
  readonly conns: Conn[] = [];
  key = KEY;
  /** Actions that get no reply (for the timeouts). */
  readonly silent = new Set<string>();
  /** Actions refused with an error reply. */
  readonly refuse = new Map<string, { code: string; message: string }>();
  /** Replies without request_id (as a server that does not echo it). */
  noEcho = false;
  /** Connections closed at once (for failed reconnection attempts). */
  rejectConnections = false;
  /** Symbol ids are idBase + the index in the universe: change it to play a restarted server. */
  idBase = 100;
  readonly universe = [
    { exchange: "NSE", symbol: "RELIANCE", decimals: 2 },
    { exchange: "NSE", symbol: "INFY", decimals: 2 },
    { exchange: "CDS", symbol: "USDINR", decimals: 4 },
  ];

  private constructor(private readonly wss: WebSocketServer, readonly url: string) {
    wss.on("connection", (ws) => this.accept(ws));
  }

  static async start(): Promise<ScriptedServer> {
    const wss = new WebSocketServer({ host: "127.0.0.1", port: 0 });
    await new Promise<void>((r, j) => wss.once("listening", () => r()).once("error", j));
    const { port } = wss.address() as { port: number };
    return new ScriptedServer(wss, `ws://127.0.0.1:${port}`);
  }

  get live(): Conn[] {
    return this.conns.filter((c) => c.ws.readyState === WebSocket.OPEN);
  }

  idOf(exchange: string, symbol: string): number {
    return this.idBase + this.universe.findIndex((u) => u.exchange === exchange && u.symbol === symbol);
  }

  sendText(text: string): void {
    for (const c of this.live) c.ws.send(text);
  }

  sendJson(obj: unknown): void {
    this.sendText(JSON.stringify(obj));
  }

  sendBinary(buf: ArrayBuffer): void {
    for (const c of this.live) c.ws.send(new Uint8Array(buf), { binary: true });
  }

  /** Closes every live connection from the server side. */
  drop(code = 1011, reason = "restarting"): void {
    for (const c of this.live) c.ws.close(code, reason);
  }

  async close(): Promise<void> {
    for (const c of this.conns) c.ws.terminate();
    await new Promise<void>((r) => this.wss.close(() => r()));
  }

  private accept(ws: WebSocket): void {
    if (this.rejectConnections) {
      ws.terminate();
      return;
    }
    const conn: Conn = { ws, authed: false, format: "json", subs: new Map(), received: [] };
    this.conns.push(conn);
    ws.on("close", (code) => (conn.closeCode = code));
    ws.on("message", (data) => this.handle(conn, JSON.parse(String(data)) as Msg));
  }

  private handle(c: Conn, m: Msg): void {
    c.received.push(m);
    const action = m.action ?? m.type;
    const reply = (obj: Msg): void => c.ws.send(JSON.stringify(m.request_id === undefined || this.noEcho ? obj : { ...obj, request_id: m.request_id }));
    const error = (code: string, message: string): void => reply({ status: "error", code, message });
    if (this.silent.has(action)) return;
    const refusal = this.refuse.get(action);
    if (refusal) return error(refusal.code, refusal.message);
    if (action === "authenticate") {
      // This server echoes the key it was given: the client must keep it out of its errors.
      if (m.api_key !== this.key) return error("AUTHENTICATION_ERROR", `Invalid API key ${m.api_key}`);
      c.authed = true;
      return reply({ type: "auth", status: "success", message: "Authentication successful", broker: "simulated", user_id: "tickwire" });
    }
    if (action === "ping") return reply({ type: "pong", status: "success", server_timestamp: Date.now(), client_timestamp: m.timestamp, _pingId: m._pingId });
    if (!c.authed) return error("NOT_AUTHENTICATED", "You must authenticate first");
    switch (action) {
      case "set_format":
        c.format = m.format;
        return reply({ type: "set_format", status: "success", format: m.format, record_version: 1 });
      case "subscribe": {
        const mode = m.mode as 1 | 2 | 3;
        const entries = (m.symbols as Msg[]).map((s) => {
          const u = this.universe.find((x) => x.exchange === s.exchange && x.symbol === s.symbol);
          if (!u) return { symbol: s.symbol, exchange: s.exchange, status: "error", code: "SYMBOL_NOT_FOUND", message: `Symbol ${s.exchange}:${s.symbol} not found`, broker: "simulated" };
          const key = `${s.exchange}:${s.symbol}`;
          c.subs.set(key, (c.subs.get(key) ?? new Set()).add(mode));
          const entry: Msg = { symbol: s.symbol, exchange: s.exchange, status: "success", mode: MODE_NAME[mode], depth: 5, broker: "simulated" };
          if (c.format === "binary") Object.assign(entry, { id: this.idOf(u.exchange, u.symbol), decimals: u.decimals });
          return entry;
        });
        const ok = entries.filter((e) => e.status === "success").length;
        return reply({ type: "subscribe", status: ok === entries.length ? "success" : ok ? "partial" : "error", subscriptions: entries, message: "Subscription processing complete", broker: "simulated" });
      }
      case "unsubscribe": {
        const successful: Msg[] = [];
        const failed: Msg[] = [];
        for (const s of m.symbols as Msg[]) {
          const key = `${s.exchange}:${s.symbol}`;
          const modes = c.subs.get(key);
          if (!modes || (m.mode !== undefined && !modes.has(m.mode))) {
            failed.push({ symbol: s.symbol, exchange: s.exchange, status: "error", code: "NOT_SUBSCRIBED", message: `Not subscribed to ${key}` });
            continue;
          }
          for (const mode of m.mode === undefined ? [...modes] : [m.mode]) {
            modes.delete(mode);
            successful.push({ symbol: s.symbol, exchange: s.exchange, mode: MODE_NAME[mode as 1 | 2 | 3] });
          }
          if (modes.size === 0) c.subs.delete(key);
        }
        return reply({ type: "unsubscribe", status: failed.length === 0 ? "success" : successful.length ? "partial" : "error", message: "Unsubscription processing complete", successful, failed, broker: "simulated" });
      }
      case "unsubscribe_all": {
        const successful = this.listed(c);
        c.subs.clear();
        return reply({ type: "unsubscribe", status: "success", message: "Unsubscription processing complete", successful, failed: [], broker: "simulated" });
      }
      case "list_subscriptions": {
        const subscriptions = this.listed(c);
        return reply({ type: "subscriptions", status: "success", subscriptions, count: subscriptions.length });
      }
      default:
        return error("INVALID_ACTION", `Invalid action: ${action}`);
    }
  }

  private listed(c: Conn): Msg[] {
    return [...c.subs].flatMap(([key, modes]) => {
      const [exchange, symbol] = key.split(":");
      return [...modes].map((mode) => ({ symbol, exchange, mode: MODE_NAME[mode as 1 | 2 | 3] }));
    });
  }
}

/** A world: a server and, once connected, clients; all closed by `done`. */
async function world(): Promise<{ server: ScriptedServer; clients: TickwireClient[]; connect(o?: Partial<TickwireClientOptions>): Promise<TickwireClient>; done(): Promise<void> }> {
  const server = await ScriptedServer.start();
  const clients: TickwireClient[] = [];
  return {
    server,
    clients,
    async connect(o = {}) {
      const c = await TickwireClient.connect({ url: server.url, apiKey: KEY, WebSocket: WS, requestTimeoutMs: 2000, ...o });
      clients.push(c);
      return c;
    },
    async done() {
      await Promise.all(clients.map((c) => c.close()));
      await server.close();
    },
  };
}

/** Collects a client's events. */
function events(client: TickwireClient): ClientEvent[] {
  const out: ClientEvent[] = [];
  client.onEvent((e) => out.push(e));
  return out;
}

// ── binary records ─────────────────────────────────────────────────────────

interface RecordSpec {
  kind: 1 | 2 | 3 | 255;
  id?: number;
  exchange?: "NSE" | "CDS";
  decimals?: number;
  fill?: (v: TickView) => void;
}

/** One binary frame: the records of `specs` back to back, written with TickView (padding by hand). */
function frame(specs: RecordSpec[]): ArrayBuffer {
  const size = (k: number): number => (k === 1 ? 64 : k === 2 ? 192 : k === 3 ? 384 : 64);
  const buf = new ArrayBuffer(specs.reduce((n, s) => n + size(s.kind), 0));
  const view = new TickView(buf);
  const dv = new DataView(buf);
  let at = 0;
  for (const s of specs) {
    if (s.kind === 255) {
      dv.setUint16(at + L.OFF_LENGTH, 64, true);
      dv.setUint8(at + L.OFF_KIND, L.KIND_PADDING);
      dv.setUint8(at + L.OFF_VERSION, L.FORMAT_VERSION);
    } else {
      view.wrap(at).init(s.kind).setSymbol({ id: s.id!, exchange: s.exchange ?? "NSE", priceDecimals: s.decimals ?? 2 });
      s.fill?.(view);
    }
    at += size(s.kind);
  }
  return buf;
}

// ── tests ──────────────────────────────────────────────────────────────────

timed("options are checked up front: ARGUMENT naming the field", 5000, async () => {
  const ok: TickwireClientOptions = { url: "ws://127.0.0.1:9", apiKey: "k", WebSocket: WS };
  const bad = async (o: unknown, pattern: RegExp): Promise<void> => {
    await rejects(TickwireClient.connect(o as TickwireClientOptions), "ARGUMENT", pattern);
  };
  await bad(undefined, /options must be an object/);
  await bad({ ...ok, url: undefined }, /options\.url/);
  await bad({ ...ok, url: "http://127.0.0.1:9" }, /options\.url must use ws: or wss:/);
  await bad({ ...ok, url: "not a url" }, /options\.url is not a valid URL/);
  await bad({ ...ok, url: "ws://127.0.0.1:9/#frag" }, /options\.url must not have a #fragment/);
  await bad({ ...ok, apiKey: "" }, /options\.apiKey/);
  await bad({ ...ok, apiKey: 42 }, /options\.apiKey/);
  await bad({ ...ok, format: "xml" }, /options\.format/);
  await bad({ ...ok, WebSocket: "ws" }, /options\.WebSocket/);
  await bad({ ...ok, reconnect: "yes" }, /options\.reconnect/);
  await bad({ ...ok, reconnect: { initialDelayMs: -1 } }, /options\.reconnect\.initialDelayMs/);
  await bad({ ...ok, reconnect: { initialDelayMs: 500, maxDelayMs: 100 } }, /options\.reconnect\.maxDelayMs/);
  await bad({ ...ok, reconnect: { initialDelay: 5 } }, /options\.reconnect\.initialDelay is not an option/);
  await bad({ ...ok, requestTimeoutMs: 0 }, /options\.requestTimeoutMs/);
  await bad({ ...ok, requestTimeoutMs: Number.NaN }, /options\.requestTimeoutMs/);
  await bad({ ...ok, queueLimit: 0 }, /options\.queueLimit/);
  await bad({ ...ok, queueLimit: 1.5 }, /options\.queueLimit/);
  await bad({ ...ok, requestTimeout: 5 }, /options\.requestTimeout is not an option/);
  if ((globalThis as { WebSocket?: unknown }).WebSocket === undefined) {
    // Node 20: no global WebSocket, so one must be passed.
    await bad({ url: ok.url, apiKey: "k" }, /options\.WebSocket is needed/);
  }
  // A URL's query is not echoed (it may carry a token); the key never is.
  const e = await rejects(TickwireClient.connect({ ...ok, url: "http://h/?token=SECRET" }), "ARGUMENT");
  assert.not.match(e.message, /SECRET/);
  // Nothing to connect to: FAILED, naming the server but not the key.
  const refused = await rejects(TickwireClient.connect({ ...ok, apiKey: "SECRET-KEY", requestTimeoutMs: 2000 }), "FAILED", /could not connect to ws:\/\/127\.0\.0\.1:9/);
  assert.not.match(refused.message, /SECRET/);
});

timed("authentication refused: connect rejects FAILED with the server's code and message, never the key, and closes the socket", 5000, async () => {
  const w = await world();
  try {
    const e = await rejects(w.connect({ apiKey: "wrong-SECRET-key" }), "FAILED", /authenticate refused by the server: AUTHENTICATION_ERROR: Invalid API key/);
    assert.instance(e, TickwireServerError);
    assert.is((e as TickwireServerError).serverCode, "AUTHENTICATION_ERROR");
    assert.not.ok(e.message.includes("wrong-SECRET-key"), e.message);
    assert.ok(w.server.conns[0]!.received[0]!.request_id !== undefined, "authenticate carries a request_id");
    await until(() => w.server.live.length === 0, "the refused socket to close");
    assert.is(w.server.conns.length, 1, "the first connection is not retried");
  } finally {
    await w.done();
  }
});

timed("JSON: subscribe replies per symbol, market_data parsed into Ticks for listeners and iterators, list/ping/unsubscribe/unsubscribeAll", 8000, async () => {
  const w = await world();
  try {
    const client = await w.connect();
    assert.is(client.format, "json");
    assert.is(client.stats().connected, true);
    const entries = await client.subscribe([{ exchange: "NSE", symbol: "RELIANCE" }, { exchange: "NSE", symbol: "NOPE" }]);
    assert.equal(entries, [
      { exchange: "NSE", symbol: "RELIANCE", ok: true, mode: 2 },
      { exchange: "NSE", symbol: "NOPE", ok: false, mode: 2, code: "SYMBOL_NOT_FOUND", message: "Symbol NSE:NOPE not found" },
    ]);
    const sent = w.server.conns[0]!.received.filter((m) => m.action === "subscribe");
    assert.equal(sent[0]!.symbols, [{ symbol: "RELIANCE", exchange: "NSE" }, { symbol: "NOPE", exchange: "NSE" }]);
    assert.is(sent[0]!.mode, 2);

    const heard: Tick[] = [];
    const off = client.onTick((t) => heard.push(t));
    const it = client.ticks();
    // The protocol's example, byte for byte: u64s beyond 2^53 round in JSON.parse (documented on Tick).
    w.server.sendText('{"type":"market_data","symbol":"RELIANCE","exchange":"NSE","mode":2,"data":{"ltp":2500.05,"timestamp":1732500000123,"volume":1152921504606846976,"open":2490.00,"high":2510.55,"low":2480.10,"close":2526.60,"average_price":2499.37,"percent_change":-1.05,"last_quantity":25,"last_trade_time":1732499999000,"oi":9007199254740993},"broker":"flattrade"}');
    const level = (price: number, quantity: number, orders: number) => ({ price, quantity, orders });
    const buy = [level(2500, 10, 1), level(2499.95, 20, 2), level(2499.9, 30, 3), level(2499.85, 40, 4), level(2499.8, 50, 5)];
    const sell = [level(2500.05, 11, 1), level(2500.1, 21, 2), level(2500.15, 31, 3), level(2500.2, 41, 4), level(2500.25, 51, 5)];
    w.server.sendJson({ type: "market_data", symbol: "RELIANCE", exchange: "NSE", mode: 3, data: {
      ltp: 2500.05, timestamp: 1732500000200, volume: 5, open: 2490, high: 2510.55, low: 2480.1, close: 2526.6, average_price: 2499.37,
      percent_change: -1.05, last_quantity: 25, last_trade_time: 1732499999000, oi: 0, total_buy_quantity: 150, total_sell_quantity: 155,
      upper_circuit: 2779.25, lower_circuit: 2273.95, depth: { buy, sell }, recv_time_ns: 123456789 }, broker: "simulated" });
    w.server.sendJson({ type: "market_data", symbol: "INFY", exchange: "NSE", mode: 1, data: { ltp: 1500.5, timestamp: 1732500000300 }, broker: "simulated" });
    const expected: Tick[] = [
      { exchange: "NSE", symbol: "RELIANCE", mode: 2, ltp: 2500.05, timestamp: 1732500000123, volume: 2 ** 60, open: 2490, high: 2510.55, low: 2480.1,
        close: 2526.6, averagePrice: 2499.37, percentChange: -1.05, lastQuantity: 25, lastTradeTime: 1732499999000, oi: 9007199254740992 },
      { exchange: "NSE", symbol: "RELIANCE", mode: 3, ltp: 2500.05, timestamp: 1732500000200, volume: 5, open: 2490, high: 2510.55, low: 2480.1,
        close: 2526.6, averagePrice: 2499.37, percentChange: -1.05, lastQuantity: 25, lastTradeTime: 1732499999000, oi: 0, totalBuyQuantity: 150,
        totalSellQuantity: 155, upperCircuit: 2779.25, lowerCircuit: 2273.95, depth: { buy, sell }, recvTimeNs: 123456789 },
      { exchange: "NSE", symbol: "INFY", mode: 1, ltp: 1500.5, timestamp: 1732500000300 },
    ];
    const got: Tick[] = [];
    for (let i = 0; i < 3; i++) got.push((await it.next()).value as Tick);
    assert.equal(got, expected);
    assert.equal(heard, expected);
    off();
    w.server.sendJson({ type: "market_data", symbol: "INFY", exchange: "NSE", mode: 1, data: { ltp: 1501, timestamp: 1 }, broker: "simulated" });
    assert.is(((await it.next()).value as Tick).ltp, 1501);
    assert.is(heard.length, 3, "an onTick listener removed hears nothing more");
    assert.is(client.stats().ticks, 4);

    // A throwing listener is reported as an event and does not stop the others.
    const ev = events(client);
    client.onTick(() => {
      throw new Error("listener bug");
    });
    w.server.sendJson({ type: "market_data", symbol: "INFY", exchange: "NSE", mode: 1, data: { ltp: 1502, timestamp: 2 }, broker: "simulated" });
    assert.is(((await it.next()).value as Tick).ltp, 1502);
    assert.equal(ev.map((e) => (e.type === "error" ? e.error.message : e.type)), ["listener bug"]);
    // Unreadable messages are counted, not thrown; an unsolicited server error is an event.
    w.server.sendText("not json");
    w.server.sendText("[1,2]");
    w.server.sendJson({ type: "market_data", symbol: "INFY", exchange: "NSE", mode: 9, data: { ltp: 1 } });
    w.server.sendJson({ status: "error", code: "MAX_CLIENTS", message: "Server is full" });
    await until(() => client.stats().malformed === 3 && ev.length === 2, "the malformed count and the error event");
    const unsolicited = ev[1]!;
    assert.ok(unsolicited.type === "error" && unsolicited.error instanceof TickwireServerError && unsolicited.error.serverCode === "MAX_CLIENTS");

    assert.equal(await client.listSubscriptions(), [{ exchange: "NSE", symbol: "RELIANCE", mode: 2 }]);
    const rtt = await client.ping();
    assert.ok(rtt >= 0 && rtt < 1000, `round trip ${rtt} ms`);
    const ping = w.server.conns[0]!.received.find((m) => m.action === "ping")!;
    assert.type(ping._pingId, "number");
    assert.type(ping.timestamp, "number");

    assert.equal(await client.subscribe([{ exchange: "NSE", symbol: "INFY" }], 1), [{ exchange: "NSE", symbol: "INFY", ok: true, mode: 1 }]);
    assert.equal(await client.unsubscribe([{ exchange: "NSE", symbol: "RELIANCE" }], 2), [{ exchange: "NSE", symbol: "RELIANCE", ok: true, mode: 2 }]);
    assert.equal(await client.unsubscribe([{ exchange: "NSE", symbol: "RELIANCE" }], 2), [
      { exchange: "NSE", symbol: "RELIANCE", ok: false, mode: 2, code: "NOT_SUBSCRIBED", message: "Not subscribed to NSE:RELIANCE" },
    ]);
    assert.equal(await client.listSubscriptions(), [{ exchange: "NSE", symbol: "INFY", mode: 1 }]);
    assert.equal(await client.unsubscribeAll(), [{ exchange: "NSE", symbol: "INFY", ok: true, mode: 1 }]);
    assert.equal(await client.listSubscriptions(), []);
    // Every request carried its own request_id.
    const ids = w.server.conns[0]!.received.map((m) => m.request_id);
    assert.is(new Set(ids).size, ids.length);

    // A refused request rejects FAILED with the server's code.
    w.server.refuse.set("subscribe", { code: "RATE_LIMITED", message: "Too many subscribe requests" });
    const limited = await rejects(client.subscribe([{ exchange: "NSE", symbol: "INFY" }]), "FAILED", /subscribe refused by the server: RATE_LIMITED: Too many/);
    assert.is((limited as TickwireServerError).serverCode, "RATE_LIMITED");

    // Bad arguments: ARGUMENT naming the field; nothing is sent.
    const before = w.server.conns[0]!.received.length;
    await rejects(client.subscribe([]), "ARGUMENT", /subscribe: instruments must be a non-empty array/);
    await rejects(client.subscribe("NSE:INFY" as never), "ARGUMENT", /subscribe: instruments/);
    await rejects(client.subscribe([{ exchange: "NSE" } as never]), "ARGUMENT", /subscribe: instruments\[0\]\.symbol/);
    await rejects(client.subscribe([{ exchange: "", symbol: "X" }]), "ARGUMENT", /instruments\[0\]\.exchange/);
    await rejects(client.subscribe([{ exchange: "NSE", symbol: "INFY" }], 4 as never), "ARGUMENT", /subscribe: mode must be 1 \(LTP\), 2 \(Quote\) or 3 \(Depth\), got 4/);
    await rejects(client.unsubscribe([{ exchange: "NSE", symbol: "INFY" }], "Quote" as never), "ARGUMENT", /unsubscribe: mode/);
    assert.throws(() => client.onTick("x" as never), (e: unknown) => e instanceof TickwireError && e.code === "ARGUMENT" && /onTick: fn/.test(e.message));
    assert.throws(() => client.onEvent(undefined as never), (e: unknown) => e instanceof TickwireError && /onEvent: fn/.test(e.message));
    assert.throws(() => client.ticks({ signal: 5 as never }), (e: unknown) => e instanceof TickwireError && /ticks: options\.signal/.test(e.message));
    assert.is(w.server.conns[0]!.received.length, before);
  } finally {
    await w.done();
  }
});

timed("binary: set_format after auth, ids from subscribe replies, frames of records decoded into the same Tick shape", 8000, async () => {
  const w = await world();
  try {
    const client = await w.connect({ format: "binary" });
    assert.equal(w.server.conns[0]!.received.map((m) => m.action), ["authenticate", "set_format"]);
    assert.is(w.server.conns[0]!.received[1]!.format, "binary");
    const s = w.server;
    const rel = s.idOf("NSE", "RELIANCE"), infy = s.idOf("NSE", "INFY"), usd = s.idOf("CDS", "USDINR");
    assert.equal(await client.subscribe([{ exchange: "NSE", symbol: "RELIANCE" }], 3), [{ exchange: "NSE", symbol: "RELIANCE", ok: true, mode: 3, id: rel, decimals: 2 }]);
    assert.equal(await client.subscribe([{ exchange: "CDS", symbol: "USDINR" }], 2), [{ exchange: "CDS", symbol: "USDINR", ok: true, mode: 2, id: usd, decimals: 4 }]);
    await client.subscribe([{ exchange: "NSE", symbol: "INFY" }], 1);

    const it = client.ticks();
    const before = Date.now();
    s.sendBinary(frame([
      { kind: 1, id: infy, fill: (v) => { v.ltp = 1500.5; v.recvTimeNs = 77; v.lastQty = 9; } }, // exchTimeMs 0: the client's clock
      { kind: 255 },
      { kind: 2, id: usd, exchange: "CDS", decimals: 4, fill: (v) => {
        v.ltp = 83.1234; v.exchTimeMs = 1732500000500; v.lastTradeTimeMs = 1732500000400; v.recvTimeNs = 2n ** 60n; v.lastQty = 1000;
        v.avgPrice = 83.12; v.open = 83.0001; v.high = 83.2; v.low = 82.9999; v.close = 83.05; v.changePercent = -0.05;
        v.volume = 9007199254740993n; v.oi = 12345; v.bid = 83.1233; v.ask = 83.1235;
      } },
      { kind: 1, id: 999, fill: (v) => { v.ltp = 1; } }, // no subscribe reply named id 999
      { kind: 3, id: rel, fill: (v) => {
        v.ltp = -0.05; v.exchTimeMs = 1732500000600; v.lastTradeTimeMs = 1732500000590; v.recvTimeNs = 5; v.lastQty = 25;
        v.avgPrice = 2499.37; v.open = 2490; v.high = 2510.55; v.low = 2480.1; v.close = 2526.6; v.changePercent = 1.05;
        v.volume = 1000; v.oi = 0; v.totalBuyQty = 150n; v.totalSellQty = 155; v.upperCircuit = 2779.25; v.lowerCircuit = 2273.95;
        for (let i = 0; i < 5; i++) {
          v.setLevel(Side.BUY, i, (250000 - i * 5) / 100, 10 * (i + 1), i + 1);
          v.setLevel(Side.SELL, i, (250005 + i * 5) / 100, 11 + 10 * i, i + 1);
        }
      } },
    ]));
    const got: Tick[] = [];
    for (let i = 0; i < 3; i++) got.push((await it.next()).value as Tick);
    const after = Date.now();
    const ltpTick = got[0]!;
    assert.ok(ltpTick.timestamp >= before && ltpTick.timestamp <= after, "an LTP record without exchange time is stamped on arrival");
    assert.equal(ltpTick, { exchange: "NSE", symbol: "INFY", mode: 1, ltp: 1500.5, timestamp: ltpTick.timestamp, recvTimeNs: 77 });
    assert.equal(got[1], {
      exchange: "CDS", symbol: "USDINR", mode: 2, ltp: 83.1234, timestamp: 1732500000500, volume: 9007199254740992, open: 83.0001, high: 83.2,
      low: 82.9999, close: 83.05, averagePrice: 83.12, percentChange: -0.05, lastQuantity: 1000, lastTradeTime: 1732500000400, oi: 12345,
      recvTimeNs: 2 ** 60,
    });
    const level = (price: number, quantity: number, orders: number) => ({ price, quantity, orders });
    assert.equal(got[2], {
      exchange: "NSE", symbol: "RELIANCE", mode: 3, ltp: -0.05, timestamp: 1732500000600, volume: 1000, open: 2490, high: 2510.55, low: 2480.1,
      close: 2526.6, averagePrice: 2499.37, percentChange: 1.05, lastQuantity: 25, lastTradeTime: 1732500000590, oi: 0,
      totalBuyQuantity: 150, totalSellQuantity: 155, upperCircuit: 2779.25, lowerCircuit: 2273.95,
      depth: {
        buy: [level(2500, 10, 1), level(2499.95, 20, 2), level(2499.9, 30, 3), level(2499.85, 40, 4), level(2499.8, 50, 5)],
        sell: [level(2500.05, 11, 1), level(2500.1, 21, 2), level(2500.15, 31, 3), level(2500.2, 41, 4), level(2500.25, 51, 5)],
      },
      recvTimeNs: 5,
    });
    assert.is(client.stats().unknownSymbols, 1);
    assert.is(client.stats().malformed, 0);
    assert.is(client.stats().ticks, 3);

    // A record of another version is skipped (counted) and the walk goes on; a length that
    // cannot be walked ends the frame.
    const two = frame([{ kind: 1, id: infy, fill: (v) => { v.ltp = 1; } }, { kind: 1, id: infy, fill: (v) => { v.ltp = 2; } }]);
    new DataView(two).setUint8(L.OFF_VERSION, 2);
    s.sendBinary(two);
    assert.is(((await it.next()).value as Tick).ltp, 2);
    const cut = frame([{ kind: 1, id: infy, fill: (v) => { v.ltp = 3; } }, { kind: 1, id: infy, fill: (v) => { v.ltp = 4; } }]);
    new DataView(cut).setUint16(64 + L.OFF_LENGTH, 192, true); // runs past the frame
    s.sendBinary(cut);
    assert.is(((await it.next()).value as Tick).ltp, 3);
    const scaled = frame([{ kind: 1, id: infy }]);
    new DataView(scaled).setInt32(L.OFF_LTP + 4, 0x80000, true); // 2^51: beyond the format's price range
    s.sendBinary(scaled);
    s.sendBinary(frame([{ kind: 1, id: infy, fill: (v) => { v.ltp = 5; } }]));
    assert.is(((await it.next()).value as Tick).ltp, 5);
    assert.is(client.stats().malformed, 3);
  } finally {
    await w.done();
  }
});

timed("reconnect: after a server close it re-authenticates, re-sets the format and re-subscribes everything held by mode; requests made meanwhile wait", 10_000, async () => {
  const w = await world();
  try {
    const client = await w.connect({ format: "binary", reconnect: { initialDelayMs: 30, maxDelayMs: 200 } });
    const ev = events(client);
    await client.subscribe([{ exchange: "NSE", symbol: "RELIANCE" }], 1);
    await client.subscribe([{ exchange: "NSE", symbol: "RELIANCE" }, { exchange: "NSE", symbol: "NOPE" }], 3);
    await client.subscribe([{ exchange: "NSE", symbol: "INFY" }, { exchange: "CDS", symbol: "USDINR" }], 2);
    await client.unsubscribe([{ exchange: "CDS", symbol: "USDINR" }]); // every mode
    const it = client.ticks();
    const oldId = w.server.idOf("NSE", "RELIANCE");

    w.server.idBase = 500; // the "restarted" server numbers its symbols anew
    w.server.drop(1012, "restarting");
    await until(() => ev.some((e) => e.type === "reconnecting"), "the reconnecting event");
    assert.is(client.stats().connected, false);
    const listed = client.listSubscriptions(); // waits for the reconnect
    await until(() => ev.some((e) => e.type === "reconnected"), "the reconnected event");
    const r = ev.find((e) => e.type === "reconnecting")!;
    assert.ok(r.type === "reconnecting" && r.attempt === 1 && r.delayMs >= 15 && r.delayMs <= 30, JSON.stringify(r));
    assert.match((r as { reason: string }).reason, /code 1012, restarting/);
    assert.equal(ev.find((e) => e.type === "reconnected"), { type: "reconnected", attempt: 1, failed: [] });

    const second = w.server.conns[1]!.received;
    assert.equal(second.slice(0, 2).map((m) => [m.action, m.api_key ?? m.format]), [["authenticate", KEY], ["set_format", "binary"]]);
    const resubscribed = second.filter((m) => m.action === "subscribe").map((m) => ({ mode: m.mode, symbols: m.symbols }));
    resubscribed.sort((a, b) => a.mode - b.mode);
    assert.equal(resubscribed, [
      { mode: 1, symbols: [{ symbol: "RELIANCE", exchange: "NSE" }] },
      { mode: 2, symbols: [{ symbol: "INFY", exchange: "NSE" }] },
      { mode: 3, symbols: [{ symbol: "RELIANCE", exchange: "NSE" }] },
    ]);
    const sorted = (await listed).sort((a, b) => a.mode - b.mode || a.symbol.localeCompare(b.symbol));
    assert.equal(sorted, [
      { exchange: "NSE", symbol: "RELIANCE", mode: 1 },
      { exchange: "NSE", symbol: "INFY", mode: 2 },
      { exchange: "NSE", symbol: "RELIANCE", mode: 3 },
    ]);
    assert.is(client.stats().reconnects, 1);
    assert.is(client.stats().connected, true);

    // Records carry the new server's ids; an id of the old connection is unknown now.
    const newId = w.server.idOf("NSE", "RELIANCE");
    assert.is.not(newId, oldId);
    w.server.sendBinary(frame([{ kind: 1, id: oldId, fill: (v) => { v.ltp = 1; } }, { kind: 3, id: newId, fill: (v) => { v.ltp = 2501; } }]));
    const t = (await it.next()).value as Tick;
    assert.equal([t.symbol, t.mode, t.ltp], ["RELIANCE", 3, 2501]);
    assert.is(client.stats().unknownSymbols, 1);
  } finally {
    await w.done();
  }
});

timed("failed attempts back off: delays double from initialDelayMs up to maxDelayMs, with jitter; then it reconnects", 10_000, async () => {
  const w = await world();
  try {
    const client = await w.connect({ reconnect: { initialDelayMs: 20, maxDelayMs: 80 } });
    const ev = events(client);
    await client.subscribe([{ exchange: "NSE", symbol: "INFY" }]);
    w.server.rejectConnections = true;
    w.server.drop();
    await until(() => ev.filter((e) => e.type === "reconnecting").length >= 5, "five attempts");
    w.server.rejectConnections = false;
    await until(() => ev.some((e) => e.type === "reconnected"), "the reconnect");
    const attempts = ev.filter((e): e is Extract<ClientEvent, { type: "reconnecting" }> => e.type === "reconnecting");
    attempts.forEach((a, i) => {
      assert.is(a.attempt, i + 1);
      const base = Math.min(80, 20 * 2 ** i);
      assert.ok(a.delayMs >= base / 2 && a.delayMs <= base, `attempt ${a.attempt}: ${a.delayMs} ms, base ${base}`);
    });
    assert.match(attempts[1]!.reason, /code 1006/, "a failed attempt says why");
    const last = ev.at(-1)!;
    assert.ok(last.type === "reconnected" && last.attempt === attempts.length);
    assert.equal(await client.listSubscriptions(), [{ exchange: "NSE", symbol: "INFY", mode: 2 }]);
  } finally {
    await w.done();
  }
});

timed("close() while reconnecting stops the attempts and resolves; waiting requests fail", 8000, async () => {
  const w = await world();
  try {
    const client = await w.connect({ reconnect: { initialDelayMs: 10, maxDelayMs: 20 } });
    const ev = events(client);
    w.server.rejectConnections = true;
    w.server.drop();
    await until(() => ev.filter((e) => e.type === "reconnecting").length >= 2, "two attempts");
    const waiting = client.listSubscriptions();
    await client.close();
    await rejects(waiting, "FAILED", /list_subscriptions: the client was closed/);
    assert.is(ev.at(-1)!.type, "closed");
    const attempts = ev.filter((e) => e.type === "reconnecting").length;
    await sleep(100);
    assert.is(ev.filter((e) => e.type === "reconnecting").length, attempts, "no attempt after close()");
  } finally {
    await w.done();
  }
});

timed("a server that does not echo request_id: replies go to the oldest request waiting for their type", 5000, async () => {
  const w = await world();
  try {
    w.server.noEcho = true;
    const client = await w.connect({ format: "binary" });
    const [sub, list, rtt] = await Promise.all([
      client.subscribe([{ exchange: "NSE", symbol: "INFY" }], 1),
      client.listSubscriptions(),
      client.ping(),
    ]);
    assert.equal(sub, [{ exchange: "NSE", symbol: "INFY", ok: true, mode: 1, id: w.server.idOf("NSE", "INFY"), decimals: 2 }]);
    assert.equal(list, [{ exchange: "NSE", symbol: "INFY", mode: 1 }]);
    assert.type(rtt, "number");
    w.server.refuse.set("unsubscribe_all", { code: "SERVER_ERROR", message: "boom" });
    await rejects(client.unsubscribeAll(), "FAILED", /unsubscribe_all refused by the server: SERVER_ERROR: boom/);
  } finally {
    await w.done();
  }
});

timed("a refused re-authentication stops reconnecting: a closed event with the error, iterators end, requests fail", 8000, async () => {
  const w = await world();
  try {
    const client = await w.connect({ reconnect: { initialDelayMs: 10, maxDelayMs: 20 } });
    const ev = events(client);
    const seen: Tick[] = [];
    const loop = (async () => {
      for await (const t of client.ticks()) seen.push(t);
    })();
    w.server.key = "rotated-key";
    w.server.drop();
    await loop; // ends: the client gave up
    const closed = ev.at(-1)!;
    assert.is(closed.type, "closed");
    const error = (closed as { error?: Error }).error;
    assert.instance(error, TickwireServerError);
    assert.is((error as TickwireServerError).serverCode, "AUTHENTICATION_ERROR");
    assert.not.ok(error!.message.includes(KEY));
    assert.equal(ev.filter((e) => e.type === "reconnecting").length, 1);
    await sleep(100);
    assert.is(w.server.conns.length, 2, "no attempt after the refusal");
    assert.is(client.stats().connected, false);
    await rejects(client.ping(), "FAILED", /ping: the client is closed/);
    assert.equal(await client.ticks().next(), { value: undefined, done: true });
    await client.close(); // resolves at once
  } finally {
    await w.done();
  }
});

timed("request timeout: a request without a reply rejects TIMEOUT after requestTimeoutMs; so does a silent authentication", 8000, async () => {
  const w = await world();
  try {
    const client = await w.connect({ requestTimeoutMs: 150 });
    w.server.silent.add("ping");
    const t0 = Date.now();
    await rejects(client.ping(), "TIMEOUT", /ping: no reply within 150 ms/);
    assert.ok(Date.now() - t0 >= 140, `${Date.now() - t0} ms`);
    assert.is(client.stats().pendingRequests, 0);
    w.server.silent.delete("ping");
    assert.type(await client.ping(), "number"); // the late reply of the first was ignored
    w.server.silent.add("authenticate");
    await rejects(w.connect({ requestTimeoutMs: 150 }), "TIMEOUT", /authenticate: no reply within 150 ms/);
    await until(() => w.server.live.length === 1, "the timed-out connection to close");
  } finally {
    await w.done();
  }
});

timed("queue limit: a slow iterator keeps the newest queueLimit ticks and counts the dropped ones", 8000, async () => {
  const w = await world();
  try {
    const client = await w.connect({ queueLimit: 5 });
    const slow = client.ticks();
    for (let i = 1; i <= 20; i++) w.server.sendJson({ type: "market_data", symbol: "INFY", exchange: "NSE", mode: 1, data: { ltp: i, timestamp: i } });
    await until(() => client.stats().ticks === 20, "20 ticks");
    assert.is(client.stats().dropped, 15);
    const got: number[] = [];
    for (let i = 0; i < 5; i++) got.push(((await slow.next()).value as Tick).ltp);
    assert.equal(got, [16, 17, 18, 19, 20]);
  } finally {
    await w.done();
  }
});

timed("leaving for-await detaches an iterator; an abort signal too; close() ends the others and resolves once the socket closed", 8000, async () => {
  const w = await world();
  try {
    const client = await w.connect({ queueLimit: 2 });
    const ev = events(client);
    const tick = (ltp: number): void => w.server.sendJson({ type: "market_data", symbol: "INFY", exchange: "NSE", mode: 1, data: { ltp, timestamp: ltp } });
    const all: number[] = [];
    const collector = (async () => {
      for await (const t of client.ticks()) all.push(t.ltp);
    })();
    const abort = new AbortController();
    const aborted = client.ticks({ signal: abort.signal });
    assert.is(client.stats().iterators, 2);
    tick(1);
    for await (const t of client.ticks()) {
      assert.is(t.ltp, 1);
      break;
    }
    assert.is(client.stats().iterators, 2, "the loop that broke is detached");
    abort.abort();
    assert.is(client.stats().iterators, 1, "the aborted one too");
    assert.equal(await aborted.next(), { value: undefined, done: true });
    // One at a time, so the collector never falls behind: a detached iterator still fed would
    // overflow its queue of 2 and count drops.
    for (let i = 2; i <= 6; i++) {
      tick(i);
      await until(() => all.length === i, `the collector to see tick ${i}`);
    }
    assert.is(client.stats().dropped, 0, "detached iterators queue nothing");

    await client.close();
    await collector; // ended by close()
    assert.equal(all, [1, 2, 3, 4, 5, 6]);
    assert.equal(ev.at(-1), { type: "closed", code: 1000, reason: "client closed" });
    await until(() => w.server.conns[0]!.closeCode !== undefined, "the server to see the close");
    assert.is(w.server.conns[0]!.closeCode, 1000);
    assert.is(client.stats().connected, false);
    assert.is(client.stats().iterators, 0);
    await rejects(client.subscribe([{ exchange: "NSE", symbol: "INFY" }]), "FAILED", /closed/);
    assert.equal(await client.ticks().next(), { value: undefined, done: true });
    await client.close(); // again: the same, resolved promise
    assert.is(ev.filter((e) => e.type === "closed").length, 1);
  } finally {
    await w.done();
  }
});

timed("reconnect: false: a server close ends the client with its code and reason; the pending request fails", 5000, async () => {
  const w = await world();
  try {
    const client = await w.connect({ reconnect: false });
    const ev = events(client);
    w.server.silent.add("ping");
    const pending = client.ping();
    await until(() => client.stats().pendingRequests === 1, "the ping to be sent");
    w.server.drop(4008, "too slow");
    await rejects(pending, "FAILED", /ping: connection closed \(code 4008, too slow\)/);
    await until(() => ev.length === 1, "the closed event");
    assert.equal(ev, [{ type: "closed", code: 4008, reason: "too slow" }]);
    assert.is(client.stats().connected, false);
    await sleep(50);
    assert.is(w.server.conns.length, 1, "no reconnect");
  } finally {
    await w.done();
  }
});

timed("src/client imports nothing node-only: only itself, errors, validate and the layout, none of which imports a module", 2000, async () => {
  const allowed = new Set(["src/errors.ts", "src/validate.ts", "src/format/layout.ts"]);
  const clientDir = join(ROOT, "src/client");
  const files = readdirSync(clientDir, { recursive: true }).map(String).filter((f) => f.endsWith(".ts")).map((f) => join(clientDir, f));
  assert.ok(files.length >= 5, `${files.length} files`);
  const importRe = /(?:^|[\s;])(?:import|export)\b[^;'"]*?from\s*["']([^"']+)["']|import\s*\(\s*["']([^"']+)["']\s*\)|require\s*\(\s*["']([^"']+)["']\s*\)/g;
  const seen = new Set<string>();
  const queue = [...files];
  while (queue.length > 0) {
    const file = queue.pop()!;
    const rel = relative(ROOT, file);
    if (seen.has(rel)) continue;
    seen.add(rel);
    assert.ok(rel.startsWith("src/client/") || allowed.has(rel), `${rel} is reached from src/client`);
    const text = readFileSync(file, "utf8");
    assert.not.match(text, /["']node:/, `${rel} names a node: module`);
    // Imports are looked for outside comments (a TSDoc example may show `import … from "ws"`).
    const code = text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
    for (const m of code.matchAll(importRe)) {
      const spec = m[1] ?? m[2] ?? m[3]!;
      assert.ok(spec.startsWith("."), `${rel} imports ${spec}: only relative imports are allowed`);
      queue.push(resolve(dirname(file), spec.replace(/\.js$/, ".ts")));
    }
  }
  assert.ok(seen.has("src/format/layout.ts") && seen.has("src/errors.ts"));
});

test.run();
