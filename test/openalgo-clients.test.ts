// OpenAlgo's real clients against tickwire's proxy (createSystem over the simulated feed):
// (a) each client's recorded message sequence (test/fixtures/openalgo/SEQUENCES.md) replayed
//     byte for byte with a raw `ws` socket, asserting the replies and ticks carry what that
//     client reads;
// (b) OpenAlgo's own Python feed client (test/fixtures/openalgo/python-sdk, unchanged) run in
//     a child process by run_feed.py. It needs python3 with websocket-client (Debian:
//     `apt-get install -y python3-websocket`); without it the test fails, it does not skip.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { execFile, spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import WebSocket from "ws";
// A namespace import: until src/node exports createSystem, the tests below fail one by one
// (saying so) instead of the import aborting every other suite in the run.
import * as node from "../src/node/index.js";
import { createUniverse, type SimInstrumentRow } from "../src/feed/sim/universe.js";
import { sleep } from "./helpers/feed-world.js";

type TickwireSystem = Awaited<ReturnType<typeof node.createSystem>>;
type SystemConfig = NonNullable<Parameters<typeof node.createSystem>[0]>;
// Replies and ticks are whatever the server sent; the assertions below check their shape.
type Msg = Record<string, any>;
type Mode = 1 | 2 | 3;

const API_KEY = "test-key";
const FEED = { broker: "simulated", instruments: 200, ticksPerSecond: 2000 } as const;
const driver = fileURLToPath(new URL("./fixtures/openalgo/run_feed.py", import.meta.url));

// Instruments of the simulated universe the adapter builds (createUniverse's default seed is 1).
const universe = createUniverse({ instruments: FEED.instruments, seed: 1 });
function row(pred: (r: SimInstrumentRow) => boolean, what: string): SimInstrumentRow {
  const r = universe.find(pred);
  if (!r) throw new Error(`the simulated universe has no ${what}`);
  return r;
}
const equities = universe.filter((r) => r.exchange === "NSE" && r.segment === "EQ");
const NIFTY = row((r) => r.exchange === "NSE_INDEX" && r.symbol === "NIFTY", "NSE_INDEX NIFTY");
const [EQ_A, EQ_B, EQ_C, EQ_D] = [0, 1, 2, 3].map((i) => equities[i] ?? row(() => false, `NSE equity #${i}`)) as [SimInstrumentRow, SimInstrumentRow, SimInstrumentRow, SimInstrumentRow];
const NFO_FUT = row((r) => r.exchange === "NFO" && r.segment === "FUT", "NFO future");
const MCX_FUT = row((r) => r.exchange === "MCX" && r.segment === "FUT", "MCX future");
const CDS_FUT = row((r) => r.exchange === "CDS" && r.segment === "FUT", "CDS future");
const ins = (r: SimInstrumentRow) => ({ symbol: r.symbol, exchange: r.exchange });
const key = (exchange: string, symbol: string, mode: number) => `${exchange}|${symbol}|${mode}`;

// ---------------------------------------------------------------------------------------
// The system under test: started on first use, stopped after the suite (uvu runs `after`
// hooks in a finally).

const systems: TickwireSystem[] = [];
async function startSystem(proxy: Partial<NonNullable<Exclude<SystemConfig["proxy"], false>>> = {}): Promise<TickwireSystem> {
  if (typeof node.createSystem !== "function") assert.unreachable("src/node/index.ts does not export createSystem yet (the proxy is not in)");
  const system = await node.createSystem({ proxy: { port: 0, apiKeys: [API_KEY], ...proxy }, feed: { ...FEED } } as SystemConfig);
  systems.push(system);
  await system.start();
  assert.match(system.url ?? "", /^ws:\/\/127\.0\.0\.1:\d+$/);
  return system;
}
let shared: Promise<TickwireSystem> | undefined;
const sharedUrl = async (): Promise<string> => (await (shared ??= startSystem())).url!;

test.after(async () => {
  for (const s of systems.splice(0)) await s.stop();
});

// ---------------------------------------------------------------------------------------
// A raw client: sends exactly the bytes a real client sends, and keeps every frame.

interface Frame { at: number; msg: Msg; binary: boolean }

class RawClient {
  readonly frames: Frame[] = [];
  closed: { code: number } | undefined;
  private wake: (() => void)[] = [];

  private constructor(private readonly ws: WebSocket) {
    ws.on("message", (data, binary) => {
      let msg: Msg;
      try {
        msg = JSON.parse(String(data)) as Msg; // as every OpenAlgo client does: JSON.parse / json.loads of the frame
      } catch {
        msg = { unparsable: String(data).slice(0, 200) };
      }
      this.frames.push({ at: Date.now(), msg, binary });
      for (const w of this.wake.splice(0)) w();
    });
    ws.on("close", (code) => {
      this.closed = { code };
      for (const w of this.wake.splice(0)) w();
    });
  }

  static open(url: string, timeoutMs = 5000): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      const timer = setTimeout(() => {
        ws.terminate();
        reject(new Error(`no connection to ${url} within ${timeoutMs} ms`));
      }, timeoutMs);
      ws.once("open", () => {
        clearTimeout(timer);
        resolve(new RawClient(ws));
      });
      ws.once("error", (e) => {
        clearTimeout(timer);
        reject(e);
      });
    });
  }

  /** Sends one text frame of exactly `text`. */
  sendText(text: string): void {
    this.ws.send(text);
  }

  /** Index of the first frame at or after `from` that `pred` accepts, waiting up to `timeoutMs`. */
  async waitFor(pred: (m: Msg) => boolean, what: string, from = 0, timeoutMs = 5000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (let i = from; ; ) {
      for (; i < this.frames.length; i++) if (pred(this.frames[i]!.msg)) return i;
      const left = deadline - Date.now();
      if (left <= 0 || this.closed) {
        const seen = this.frames.slice(from, from + 5).map((f) => JSON.stringify(f.msg).slice(0, 160));
        assert.unreachable(`${what}: not received within ${timeoutMs} ms${this.closed ? ` (closed ${this.closed.code})` : ""}; first frames seen: ${seen.join(" | ") || "none"}`);
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.wake.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** The frame at index `i`, waiting for it. */
  async frame(i: number, what: string, timeoutMs = 5000): Promise<Msg> {
    await this.waitFor(() => true, what, i, timeoutMs);
    return this.frames[i]!.msg;
  }

  ticks(from = 0): Msg[] {
    return this.frames.slice(from).map((f) => f.msg).filter((m) => m.type === "market_data");
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.ws.terminate();
        resolve();
      }, 2000);
      this.ws.once("close", () => {
        clearTimeout(t);
        resolve();
      });
      this.ws.close(1000);
    });
  }
}

async function withClient(url: string, fn: (c: RawClient) => Promise<void>): Promise<void> {
  const c = await RawClient.open(url);
  try {
    await fn(c);
    assert.not.ok(c.frames.some((f) => f.binary), "a JSON client got a binary frame");
  } finally {
    await c.close();
  }
}


/** Python's json.dumps with its default separators (", " and ": "), as the Python clients send. */
function pyDumps(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(pyDumps).join(", ")}]`;
  if (v !== null && typeof v === "object") return `{${Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}: ${pyDumps(x)}`).join(", ")}}`;
  return JSON.stringify(v);
}
const jsDumps = (v: unknown) => JSON.stringify(v);

// ---------------------------------------------------------------------------------------
// What the clients read (SEQUENCES.md, "reads").

const isNum = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);

/** A market_data message as the Python SDK, the Node SDK and the web UI read it for `mode`. */
function assertTick(m: Msg, mode: Mode, who: string): void {
  const at = `${who}: ${m.exchange}:${m.symbol} mode ${m.mode}`;
  assert.is(m.type, "market_data", at);
  assert.type(m.symbol, "string", at);
  assert.type(m.exchange, "string", at);
  assert.is(m.mode, mode, `${at}: mode must be the number ${mode} (the SDKs compare mode == 1/2/3; Node's ===)`);
  const d = m.data as Msg;
  assert.ok(d !== null && typeof d === "object" && !Array.isArray(d), `${at}: data is an object`);
  assert.ok(isNum(d.ltp) && d.ltp > 0, `${at}: ltp ${d.ltp}`);
  assert.ok(Number.isInteger(d.timestamp) && Math.abs(d.timestamp - Date.now()) < 60_000, `${at}: timestamp ${d.timestamp} is wall-clock ms`);
  if (mode >= 2) for (const f of ["open", "high", "low", "close", "volume"]) assert.ok(isNum(d[f]), `${at}: ${f} ${d[f]}`);
  if (mode === 3) {
    const book = d.depth as Msg;
    assert.ok(book && Array.isArray(book.buy) && Array.isArray(book.sell), `${at}: depth.buy/sell`);
    for (const side of ["buy", "sell"] as const) {
      assert.is(book[side].length, 5, `${at}: ${side} levels`);
      for (const lv of book[side] as Msg[]) for (const f of ["price", "quantity", "orders"]) assert.ok(isNum(lv[f]), `${at}: depth.${side}[].${f} ${lv[f]}`);
    }
  }
}

/** Every tick received is of a (symbol, mode) the client holds, and is well formed for that mode. */
function assertOnlySubscribed(c: RawClient, held: Set<string>, who: string, from = 0, until = Infinity): void {
  for (const f of c.frames.slice(from, until)) {
    if (f.msg.type !== "market_data") continue;
    assert.ok(held.has(key(f.msg.exchange, f.msg.symbol, f.msg.mode)), `${who}: a tick for ${f.msg.exchange}:${f.msg.symbol} mode ${f.msg.mode}, not subscribed`);
    assertTick(f.msg, f.msg.mode as Mode, who);
  }
}

async function authenticate(c: RawClient, dumps: (v: unknown) => string, who: string): Promise<void> {
  const from = c.frames.length;
  c.sendText(dumps({ action: "authenticate", api_key: API_KEY }));
  const reply = await c.frame(from, `${who}: auth reply`);
  assertAuthReply(reply, who);
}

function assertAuthReply(reply: Msg, who: string): void {
  // Python SDK: type == "auth" and status == "success", then broker and user_id (logged).
  // Web UI: (type || status) == "auth", status == "success", user_id and broker (shown).
  assert.is(reply.type, "auth", `${who}: the first frame after authenticate is its reply: ${JSON.stringify(reply)}`);
  assert.is(reply.status, "success", who);
  assert.type(reply.broker, "string", who);
  assert.type(reply.user_id, "string", who);
}

function assertSubscribeReply(reply: Msg, want: { symbol: string; exchange: string }[], who: string): void {
  // Python SDK: subscriptions[].symbol / exchange / status / mode (logged). Web UI: type, status, message.
  assert.is(reply.type, "subscribe", who);
  assert.is(reply.status, "success", `${who}: ${JSON.stringify(reply)}`);
  assert.ok(Array.isArray(reply.subscriptions), `${who}: subscriptions`);
  assert.equal(
    (reply.subscriptions as Msg[]).map((s) => `${s.exchange}:${s.symbol}:${s.status}`).sort(),
    want.map((w) => `${w.exchange}:${w.symbol}:success`).sort(),
    `${who}: one entry per symbol`,
  );
  for (const s of reply.subscriptions as Msg[]) assert.ok(s.mode !== undefined, `${who}: entry mode`);
}

/** Waits for a tick of each (instrument, mode) in `want`. */
async function ticksFor(c: RawClient, want: [SimInstrumentRow, Mode][], who: string, from = 0): Promise<void> {
  for (const [r, mode] of want) {
    const i = await c.waitFor((m) => m.type === "market_data" && m.exchange === r.exchange && m.symbol === r.symbol && m.mode === mode, `${who}: a tick of ${r.exchange}:${r.symbol} in mode ${mode}`, from);
    assertTick(c.frames[i]!.msg, mode, who);
  }
}

/**
 * After the reply at index `reply`, lets in-flight ticks pass (200 ms), then watches 800 ms:
 * returns the ticks that arrived in that window.
 */
async function ticksAfter(c: RawClient, reply: number): Promise<Msg[]> {
  const t0 = c.frames[reply]!.at + 200;
  await sleep(Math.max(0, t0 + 800 - Date.now()));
  return c.frames.slice(reply + 1).filter((f) => f.at >= t0 && f.msg.type === "market_data").map((f) => f.msg);
}
const count = (ms: Msg[], r: SimInstrumentRow, mode?: Mode) => ms.filter((m) => m.exchange === r.exchange && m.symbol === r.symbol && (mode === undefined || m.mode === mode)).length;
const isError = (m: Msg) => m.status === "error";

// ---------------------------------------------------------------------------------------
// (a) Recorded sequences, replayed.

test("Python SDK feed.py 2.0.1: bulk subscribe per mode (numeric modes), per-entry-mode unsubscribe", async () => {
  const who = "python-sdk-2.0.1";
  await withClient(await sharedUrl(), async (c) => {
    // connect(): on_open sends authenticate, then connect() waits until the auth reply came.
    await authenticate(c, pyDumps, who);
    // subscribe_ltp / subscribe_quote / subscribe_depth: one bulk message each, sent back to back.
    const subs: [Mode, SimInstrumentRow[]][] = [[1, [NIFTY, EQ_A]], [2, [EQ_A, EQ_B]], [3, [EQ_B, NFO_FUT]]];
    const from = c.frames.length;
    for (const [mode, rows] of subs) c.sendText(pyDumps({ action: "subscribe", symbols: rows.map(ins), mode, depth: 5 }));
    const held = new Set(subs.flatMap(([mode, rows]) => rows.map((r) => key(r.exchange, r.symbol, mode))));
    let at = from;
    for (const [, rows] of subs) {
      at = await c.waitFor((m) => m.type === "subscribe" || isError(m), `${who}: subscribe reply`, at);
      assertSubscribeReply(c.frames[at]!.msg, rows.map(ins), who);
      at++;
    }
    await ticksFor(c, subs.flatMap(([mode, rows]) => rows.map((r) => [r, mode] as [SimInstrumentRow, Mode])), who, from);
    // EQ_A in LTP and Quote: a message per mode, each complete.
    assertOnlySubscribed(c, held, who);
    // unsubscribe_ltp: {"action": "unsubscribe", "symbols": [{symbol, exchange, "mode": 1}, …]}, no top-level mode.
    const u = c.frames.length;
    c.sendText(pyDumps({ action: "unsubscribe", symbols: [NIFTY, EQ_A].map((r) => ({ ...ins(r), mode: 1 })) }));
    const reply = await c.waitFor((m) => m.type === "unsubscribe" || isError(m), `${who}: unsubscribe reply`, u);
    assert.is(c.frames[reply]!.msg.type, "unsubscribe", JSON.stringify(c.frames[reply]!.msg));
    assert.is(c.frames[reply]!.msg.status, "success", JSON.stringify(c.frames[reply]!.msg));
    const after = await ticksAfter(c, reply);
    assert.is(count(after, NIFTY), 0, "NIFTY LTP was unsubscribed");
    assert.is(count(after, EQ_A, 1), 0, "EQ_A LTP was unsubscribed (the entry's mode: 1)");
    assert.ok(count(after, EQ_A, 2) > 0, "EQ_A Quote must go on: the SDK's per-entry mode names only LTP");
    assert.ok(count(after, EQ_B, 3) > 0, "EQ_B Depth goes on");
  });
});

test("Python SDK ≤ 1.0.48 (e.g. 1.0.45): one subscribe per symbol with symbol/exchange/mode/depth, one unsubscribe per symbol", async () => {
  const who = "python-sdk-1.0.45";
  await withClient(await sharedUrl(), async (c) => {
    await authenticate(c, pyDumps, who);
    const subs: [Mode, SimInstrumentRow[]][] = [[1, [EQ_C, CDS_FUT]], [2, [EQ_C, MCX_FUT]], [3, [EQ_D]]];
    const from = c.frames.length;
    for (const [mode, rows] of subs) {
      for (const r of rows) {
        c.sendText(pyDumps({ action: "subscribe", symbol: r.symbol, exchange: r.exchange, mode, depth: 5 }));
        await sleep(100); // the SDK's time.sleep(0.1) between symbols
      }
    }
    let at = from;
    for (const [, rows] of subs) {
      for (const r of rows) {
        at = await c.waitFor((m) => m.type === "subscribe" || isError(m), `${who}: subscribe reply`, at);
        assertSubscribeReply(c.frames[at]!.msg, [ins(r)], who);
        at++;
      }
    }
    await ticksFor(c, subs.flatMap(([mode, rows]) => rows.map((r) => [r, mode] as [SimInstrumentRow, Mode])), who, from);
    assertOnlySubscribed(c, new Set(subs.flatMap(([mode, rows]) => rows.map((r) => key(r.exchange, r.symbol, mode)))), who);
    // unsubscribe_ltp: {"action": "unsubscribe", "symbol", "exchange", "mode": 1} per symbol.
    const u = c.frames.length;
    for (const r of [EQ_C, CDS_FUT]) {
      c.sendText(pyDumps({ action: "unsubscribe", symbol: r.symbol, exchange: r.exchange, mode: 1 }));
      await sleep(100);
    }
    let reply = u;
    for (let k = 0; k < 2; k++) {
      reply = await c.waitFor((m) => m.type === "unsubscribe" || isError(m), `${who}: unsubscribe reply`, reply + (k ? 1 : 0));
      assert.is(c.frames[reply]!.msg.status, "success", JSON.stringify(c.frames[reply]!.msg));
    }
    const after = await ticksAfter(c, reply);
    assert.is(count(after, EQ_C, 1) + count(after, CDS_FUT, 1), 0, "LTP unsubscribed");
    assert.ok(count(after, EQ_C, 2) > 0, "EQ_C Quote goes on");
  });
});

test("the SDK's test/test_websocket.py: auth reply first; the reply right after the first subscribe; {type: unsubscribe_all}", async () => {
  const url = await sharedUrl();
  // test_ltp_subscribe, test_quote_subscribe, test_depth_subscribe: a connection each.
  const runs: [Mode, SimInstrumentRow[]][] = [[1, [EQ_A, NIFTY]], [2, [EQ_A, EQ_B]], [3, [EQ_A]]];
  for (const [mode, rows] of runs) {
    const who = `test_websocket.py mode ${mode}`;
    await withClient(url, async (c) => {
      // connect_and_authenticate: recv() once, and that frame must be the auth reply.
      c.sendText(pyDumps({ action: "authenticate", api_key: API_KEY }));
      assertAuthReply(await c.frame(0, `${who}: auth reply`), who);
      // subscribe_to_data: per symbol, send then recv() once ("Subscription response …").
      const first = c.frames.length;
      c.sendText(pyDumps({ action: "subscribe", symbol: rows[0]!.symbol, exchange: rows[0]!.exchange, mode, depth: 5 }));
      assertSubscribeReply(await c.frame(first, `${who}: first subscribe reply`), [ins(rows[0]!)], `${who} (the frame right after the first subscribe)`);
      for (const r of rows.slice(1)) {
        const from = c.frames.length;
        c.sendText(pyDumps({ action: "subscribe", symbol: r.symbol, exchange: r.exchange, mode, depth: 5 }));
        const i = await c.waitFor((m) => m.type === "subscribe" || isError(m), `${who}: subscribe reply`, from);
        assertSubscribeReply(c.frames[i]!.msg, [ins(r)], who);
      }
      // receive_and_print_data: prints ltp/timestamp (1), open/high/low/close/ltp (2), depth.buy/sell price/quantity/orders (3).
      await ticksFor(c, rows.map((r) => [r, mode] as [SimInstrumentRow, Mode]), who, first);
      assertOnlySubscribed(c, new Set(rows.map((r) => key(r.exchange, r.symbol, mode))), who);
      // finally: {"type": "unsubscribe_all"} (type, not action).
      const u = c.frames.length;
      c.sendText(pyDumps({ type: "unsubscribe_all" }));
      const reply = await c.waitFor((m) => m.type === "unsubscribe" || isError(m), `${who}: unsubscribe_all reply`, u);
      assert.is(c.frames[reply]!.msg.status, "success", JSON.stringify(c.frames[reply]!.msg));
      assert.is((await ticksAfter(c, reply)).length, 0, "no ticks after unsubscribe_all");
    });
  }
});

test("Node SDK (openalgo-node src/websocket.mjs): authenticate and subscribes pipelined, string modes, top-level-mode unsubscribe", async () => {
  const who = "openalgo-node";
  await withClient(await sharedUrl(), async (c) => {
    // connect() resolves on 'open' after sending authenticate; subscribe_ltp / subscribe_quote
    // then send at once, without waiting for the auth reply.
    const sym = [{ exchange: EQ_D.exchange, symbol: EQ_D.symbol }, { exchange: NIFTY.exchange, symbol: NIFTY.symbol }];
    c.sendText(jsDumps({ action: "authenticate", api_key: API_KEY }));
    c.sendText(jsDumps({ action: "subscribe", mode: "LTP", symbols: sym }));
    c.sendText(jsDumps({ action: "subscribe", mode: "Quote", symbols: sym.slice(0, 1) }));
    assertAuthReply(await c.frame(0, `${who}: auth reply`), who);
    let at = 1;
    for (const want of [sym, sym.slice(0, 1)]) {
      at = await c.waitFor((m) => m.type === "subscribe" || isError(m), `${who}: subscribe reply`, at);
      assertSubscribeReply(c.frames[at]!.msg, want, `${who} (subscribe sent before the auth reply came)`);
      at++;
    }
    // _handleMessage: type === 'market_data', then mode === 1/2/3 (numbers), data.ltp; quote data.open…volume.
    await ticksFor(c, [[EQ_D, 1], [NIFTY, 1], [EQ_D, 2]], who);
    assertOnlySubscribed(c, new Set([key(EQ_D.exchange, EQ_D.symbol, 1), key(NIFTY.exchange, NIFTY.symbol, 1), key(EQ_D.exchange, EQ_D.symbol, 2)]), who);
    assert.not.ok(c.frames.some((f) => isError(f.msg)), `${who}: no error frames: ${JSON.stringify(c.frames.find((f) => isError(f.msg))?.msg)}`);
    // unsubscribe_ltp: {action: 'unsubscribe', mode: 'LTP', symbols: [{exchange, symbol}]}: the mode is top-level only.
    const u = c.frames.length;
    c.sendText(jsDumps({ action: "unsubscribe", mode: "LTP", symbols: sym.slice(0, 1) }));
    const reply = await c.waitFor((m) => m.type === "unsubscribe" || isError(m), `${who}: unsubscribe reply`, u);
    assert.is(c.frames[reply]!.msg.status, "success", JSON.stringify(c.frames[reply]!.msg));
    const after = await ticksAfter(c, reply);
    assert.is(count(after, EQ_D, 1), 0, "EQ_D LTP was unsubscribed (top-level mode LTP)");
    assert.ok(count(after, EQ_D, 2) > 0, "EQ_D Quote goes on");
    assert.ok(count(after, NIFTY, 1) > 0, "NIFTY LTP goes on");
  });
});

test("OpenAlgo web UI (MarketDataManager.ts): string modes without depth; mode-less unsubscribe; errors read through status", async () => {
  const who = "web-ui MarketDataManager";
  await withClient(await sharedUrl(), async (c) => {
    await authenticate(c, jsDumps, who);
    // On auth success, resubscribeAll() / subscribe(): {action, symbols, mode} per mode.
    const from = c.frames.length;
    c.sendText(jsDumps({ action: "subscribe", symbols: [ins(EQ_B)], mode: "Quote" }));
    c.sendText(jsDumps({ action: "subscribe", symbols: [ins(EQ_B)], mode: "Depth" }));
    c.sendText(jsDumps({ action: "subscribe", symbols: [ins(NIFTY)], mode: "LTP" }));
    let at = from;
    for (const want of [[ins(EQ_B)], [ins(EQ_B)], [ins(NIFTY)]]) {
      at = await c.waitFor((m) => m.type === "subscribe" || isError(m), `${who}: subscribe reply`, at);
      assertSubscribeReply(c.frames[at]!.msg, want, who);
      at++;
    }
    // handleMessage: (type || status); market_data: symbol/exchange (toUpperCase), data.ltp/open/high/low/close/volume/timestamp/depth.
    await ticksFor(c, [[EQ_B, 2], [EQ_B, 3], [NIFTY, 1]], who, from);
    for (const m of c.ticks(from)) assert.is(m.symbol, String(m.symbol).toUpperCase(), "symbols arrive as subscribed (upper case)");
    // unsubscribe() once no mode needs the symbol: {action: 'unsubscribe', symbols: [{symbol, exchange}]}, no mode anywhere.
    const u = c.frames.length;
    c.sendText(jsDumps({ action: "unsubscribe", symbols: [ins(EQ_B)] }));
    const reply = await c.waitFor((m) => m.type === "unsubscribe" || isError(m), `${who}: unsubscribe reply`, u);
    assert.is(c.frames[reply]!.msg.status, "success", JSON.stringify(c.frames[reply]!.msg));
    const after = await ticksAfter(c, reply);
    assert.is(count(after, EQ_B), 0, "a symbols list without mode leaves every mode (docs/PROTOCOL.md), as the UI means it");
    assert.ok(count(after, NIFTY, 1) > 0, "NIFTY goes on");
    // Errors: the UI switches on (type || status) and shows data.message, so an error carries no other type.
    const e = c.frames.length;
    c.sendText(jsDumps({ action: "subscribe", symbols: [], mode: "Quote" }));
    const err = c.frames[await c.waitFor(isError, `${who}: error reply`, e)]!.msg;
    assert.ok(err.type === undefined || err.type === "error", `error frames are read through status: ${JSON.stringify(err)}`);
    assert.type(err.message, "string");
    assert.type(err.code, "string");
  });
});

test("OpenAlgo web UI (WebSocketTest.tsx, useWebSocketTester.ts): ping with a string _pingId, broker info, unsubscribe with both modes, unsubscribe_all", async () => {
  const who = "web-ui WebSocketTest";
  await withClient(await sharedUrl(), async (c) => {
    // ping(): {_pingId: 'ping-<ms>-<random>', action: 'ping', timestamp: Date.now()}; the pong is matched on _pingId.
    const pingId = `ping-${Date.now()}-k3j5h2x9q`;
    const ts = Date.now();
    c.sendText(jsDumps({ _pingId: pingId, action: "ping", timestamp: ts }));
    const pong = await c.frame(0, `${who}: pong`);
    assert.is(pong.type, "pong");
    assert.is(pong.status, "success");
    assert.is(pong._pingId, pingId, "the string _pingId comes back as sent");
    assert.is(pong.client_timestamp, ts);
    assert.ok(isNum(pong.server_timestamp));
    await authenticate(c, jsDumps, who);
    // The tester's templates (and the Bruno collection): get_broker_info, get_supported_brokers.
    let from = c.frames.length;
    c.sendText(jsDumps({ action: "get_broker_info" }));
    const info = c.frames[await c.waitFor((m) => m.type === "broker_info" || isError(m), `${who}: broker_info`, from)]!.msg;
    assert.is(info.status, "success", JSON.stringify(info));
    assert.type(info.broker, "string");
    assert.type(info.user_id, "string");
    assert.ok(info.adapter_status !== undefined);
    from = c.frames.length;
    c.sendText(jsDumps({ action: "get_supported_brokers" }));
    const brokers = c.frames[await c.waitFor((m) => m.type === "supported_brokers" || isError(m), `${who}: supported_brokers`, from)]!.msg;
    assert.ok(Array.isArray(brokers.brokers) && brokers.brokers.includes("simulated"), JSON.stringify(brokers));
    assert.is(brokers.count, brokers.brokers.length);
    // subscribe(): {action, symbols: [{symbol, exchange}], mode} (depth only when above 5).
    from = c.frames.length;
    c.sendText(jsDumps({ action: "subscribe", symbols: [ins(EQ_C)], mode: "LTP" }));
    c.sendText(jsDumps({ action: "subscribe", symbols: [ins(EQ_C)], mode: "Depth" }));
    for (let k = 0, at = from; k < 2; k++, at++) {
      at = await c.waitFor((m) => m.type === "subscribe" || isError(m), `${who}: subscribe reply`, at);
      assertSubscribeReply(c.frames[at]!.msg, [ins(EQ_C)], who);
    }
    // the page renders ltp/open/high/low/close/volume/change/change_percent/timestamp; depth when mode === 3.
    await ticksFor(c, [[EQ_C, 1], [EQ_C, 3]], who, from);
    // unsubscribe(): the entry's mode as a number AND the top-level mode as a string.
    const u = c.frames.length;
    c.sendText(jsDumps({ action: "unsubscribe", symbols: [{ ...ins(EQ_C), mode: 1 }], mode: "LTP" }));
    const reply = await c.waitFor((m) => m.type === "unsubscribe" || isError(m), `${who}: unsubscribe reply`, u);
    assert.is(c.frames[reply]!.msg.status, "success", JSON.stringify(c.frames[reply]!.msg));
    const after = await ticksAfter(c, reply);
    assert.is(count(after, EQ_C, 1), 0, "LTP unsubscribed");
    assert.ok(count(after, EQ_C, 3) > 0, "Depth goes on");
    // unsubscribeAll(): {action: 'unsubscribe_all'}; the page logs type 'unsubscribe'.
    const ua = c.frames.length;
    c.sendText(jsDumps({ action: "unsubscribe_all" }));
    const r2 = await c.waitFor((m) => m.type === "unsubscribe" || isError(m), `${who}: unsubscribe_all reply`, ua);
    assert.is(c.frames[r2]!.msg.status, "success", JSON.stringify(c.frames[r2]!.msg));
    assert.is((await ticksAfter(c, r2)).length, 0, "no ticks after unsubscribe_all");
  });
});

// ---------------------------------------------------------------------------------------
// (b) OpenAlgo's Python feed client itself.

/** A python3 that has websocket-client (`import websocket` with WebSocketApp), or undefined. */
function findPython(): string | undefined {
  const candidates = [process.env.TICKWIRE_PYTHON, "python3", "/usr/bin/python3"].filter((p): p is string => !!p);
  for (const py of new Set(candidates)) {
    const r = spawnSync(py, ["-c", "import websocket, sys; sys.exit(0 if hasattr(websocket, 'WebSocketApp') else 1)"], { timeout: 10_000 });
    if (r.status === 0) return py;
  }
  return undefined;
}

interface DriverRun { lines: Msg[]; summary: Msg; stderr: string }

function runDriver(url: string, args: string[]): Promise<DriverRun> {
  const python = findPython();
  if (!python) {
    assert.unreachable("no python3 with websocket-client: install it (Debian: apt-get install -y python3-websocket), or set TICKWIRE_PYTHON; OpenAlgo's own client cannot be run without it");
  }
  return new Promise((resolve, reject) => {
    execFile(python!, [driver, url, API_KEY, ...args], { timeout: 30_000, killSignal: "SIGKILL", maxBuffer: 64 << 20, env: { ...process.env, PYTHONDONTWRITEBYTECODE: "1" } }, (err, stdout, stderr) => {
      const lines: Msg[] = [];
      for (const l of stdout.split("\n")) if (l.trim()) lines.push(JSON.parse(l) as Msg);
      const summary = lines.find((l) => l.event === "summary");
      if (!summary) return reject(new Error(`run_feed.py printed no summary (${err?.message ?? "exit 0"}); stderr: ${stderr.slice(-2000)}`));
      resolve({ lines, summary, stderr });
    });
  });
}

const spec = (rows: SimInstrumentRow[]) => rows.map((r) => `${r.exchange}:${r.symbol}`).join(",");

test("OpenAlgo's Python FeedAPI, unchanged, connects, gets LTP, Quote and Depth through its callbacks and polled views, and unsubscribes LTP only", async () => {
  const url = await sharedUrl();
  const ltp = [NIFTY, EQ_A];
  const quote = [EQ_A, EQ_B, MCX_FUT];
  const depth = [EQ_B, NFO_FUT];
  const run = await runDriver(url, ["--ltp", spec(ltp), "--quote", spec(quote), "--depth", spec(depth), "--seconds", "3", "--after", "1.5"]);
  const s = run.summary;
  const ctx = `stderr: ${run.stderr.slice(-1500)}`;
  assert.is(s.connected, true, `FeedAPI.connect() returned False (no auth reply it accepted within 5 s); ${ctx}`);
  assert.equal(s.subscribed, { ltp: true, quote: true, depth: true }, ctx);
  assert.is(s.reconnected, false, `the SDK had to reconnect; ${ctx}`);
  assert.match(run.stderr, /\[AUTH\]\s+Success \| Broker: simulated/);
  assert.not.match(run.stderr, /\[ERROR\]/, "the SDK logged an error");
  const ticks = run.lines.filter((l) => l.event === "tick");
  const by = (kind: string, phase: string) => ticks.filter((t) => t.kind === kind && t.phase === phase).map((t) => t.msg as Msg);
  // Callbacks (FeedAPI._process_message): LTP {ltp, timestamp}; Quote {open, high, low, close, ltp,
  // volume, last_trade_quantity, avg_trade_price, change, change_percent, timestamp}; Depth {ltp, timestamp, depth}.
  for (const [kind, mode, rows] of [["ltp", 1, ltp], ["quote", 2, quote], ["depth", 3, depth]] as const) {
    const got = by(kind, "subscribed");
    for (const r of rows) {
      const mine = got.filter((m) => m.exchange === r.exchange && m.symbol === r.symbol);
      assert.ok(mine.length > 0, `${kind}: no callback for ${r.exchange}:${r.symbol}; counts ${JSON.stringify(s.counts.subscribed)}; ${ctx}`);
      for (const m of mine) {
        assert.is(m.mode, mode);
        assert.ok(isNum(m.data.ltp) && m.data.ltp > 0, `${kind} ltp ${m.data.ltp}`);
        assert.ok(Number.isInteger(m.data.timestamp), `${kind} timestamp ${m.data.timestamp}`);
        if (kind === "quote") for (const f of ["open", "high", "low", "close"]) assert.ok(isNum(m.data[f]) && m.data[f] > 0, `quote ${f} ${m.data[f]}`);
        if (kind === "depth") for (const side of ["buy", "sell"]) assert.is(m.data.depth[side].length, 5);
      }
    }
  }
  // The polled views (get_ltp / get_quotes / get_depth), as the SDK's examples print them.
  const snap = run.lines.find((l) => l.event === "snapshot")!;
  assert.ok(snap, "no snapshot line");
  for (const r of ltp) assert.ok(snap.ltp.ltp[r.exchange]?.[r.symbol]?.ltp > 0, `get_ltp ${r.exchange}:${r.symbol}`);
  for (const r of quote) assert.ok(snap.quote.quote[r.exchange]?.[r.symbol]?.close > 0, `get_quotes ${r.exchange}:${r.symbol}`);
  for (const r of depth) {
    const d = snap.depth.depth[r.exchange]?.[r.symbol];
    assert.ok(d, `get_depth ${r.exchange}:${r.symbol}`);
    for (const book of ["buyBook", "sellBook"]) {
      assert.equal(Object.keys(d[book]), ["1", "2", "3", "4", "5"]);
      assert.ok(d[book]["1"].price > 0 && d[book]["1"].qty > 0, `${book} level 1 of ${r.symbol}: ${JSON.stringify(d[book]["1"])}`);
    }
  }
  // unsubscribe_ltp sends each entry with "mode": 1 and no top-level mode: only LTP may stop.
  const after = s.counts.after_unsubscribe_ltp as Msg;
  assert.equal(after.ltp ?? {}, {}, `LTP still arriving after unsubscribe_ltp: ${JSON.stringify(after.ltp)}`);
  assert.ok((after.quote?.[`${EQ_A.exchange}:${EQ_A.symbol}`] ?? 0) > 0, `Quote of ${EQ_A.symbol} stopped with its LTP: ${JSON.stringify(after)}`);
  assert.ok((after.depth?.[`${EQ_B.exchange}:${EQ_B.symbol}`] ?? 0) > 0, `Depth stopped: ${JSON.stringify(after)}`);
});

test("with sdkAliases, the Python FeedAPI's quote fields last_trade_quantity, avg_trade_price, change, change_percent are filled", async () => {
  const system = await startSystem({ sdkAliases: true });
  const quote = [EQ_A, EQ_B, EQ_C];
  const run = await runDriver(system.url!, ["--quote", spec(quote), "--seconds", "2", "--after", "0"]);
  assert.is(run.summary.connected, true, run.stderr.slice(-1500));
  const got = run.lines.filter((l) => l.event === "tick" && l.kind === "quote").map((l) => l.msg.data as Msg);
  assert.ok(got.length > 0, "no quote callbacks");
  for (const d of got) {
    assert.ok(Math.abs(d.change - (d.ltp - d.close)) < 1e-6 * Math.max(1, d.close) + 0.0051, `change ${d.change} is ltp ${d.ltp} - close ${d.close}`);
    assert.ok(Math.abs(d.change_percent - ((d.ltp - d.close) / d.close) * 100) <= 0.0051 + 1e-9, `change_percent ${d.change_percent} for ltp ${d.ltp} close ${d.close}`);
  }
  assert.ok(got.some((d) => d.last_trade_quantity > 0), "last_trade_quantity always 0");
  assert.ok(got.some((d) => d.avg_trade_price > 0), "avg_trade_price always 0");
  assert.ok(got.some((d) => d.change !== 0), "change always 0");
});

test.run();
