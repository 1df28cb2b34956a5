// The simulated exchange: the market (determinism, tick grid, monotone volume and OI, an ordered
// book), its records (read back by the library's readers), its Noren frames (accepted by the
// Wasm parser and the reference, merging to exactly the market's state), the Noren server over
// loopback (logins, acks, snapshots then changed fields only, faults, stats) and the in-process
// adapter (subscriptions through the manager, per-symbol seq, the sink's refusals).
import { test } from "uvu";
import * as assert from "uvu/assert";
import WebSocket from "ws";
import * as L from "../src/format/layout.js";
import * as N from "../src/feed/noren/layout.js";
import { TickwireMemory } from "../src/memory/shared-memory.js";
import { SymbolTable } from "../src/memory/symbol-table.js";
import { TickView } from "../src/format/record.js";
import { readMessage, type MarketDataMessage } from "../src/format/message.js";
import { TickwireError } from "../src/errors.js";
import { createUniverse, type SimInstrumentRow } from "../src/feed/sim/universe.js";
import { SimulatedMarket, NOREN_TOUCHLINE_KEYS, NOREN_DEPTH_KEYS, SimChange } from "../src/feed/sim/market.js";
import { NorenSimServer, NOREN_SIM_DEMO_ACCOUNT } from "../src/feed/sim/noren-server.js";
import { SimulatedAdapter } from "../src/feed/sim/feed.js";
import { NorenTokenMap } from "../src/feed/noren/token-map.js";
import { NorenParser } from "../src/feed/noren/parser.js";
import { NorenReference } from "../src/feed/noren/reference.js";
import { createAdapter, supportedBrokers } from "../src/feed/registry.js";
import "../src/feed/brokers.js";
import type { FeedEvent, SubscriptionRequest } from "../src/feed/contract.js";
import { ParallelProcessor } from "../src/processor/processor.js";
import { until, sleep } from "./helpers/feed-world.js";
import { monotonicNs } from "../src/clock.js";
import { throwsCode } from "./helpers/assertions.js";

const mem = await TickwireMemory.create({ bytes: 64 << 20 });
const symbols = SymbolTable.create(mem, 20_000);
const enc = new TextEncoder();
const T0 = Date.UTC(2026, 0, 5, 4, 0, 0); // 09:30 IST

/** Polls `cond`; fails the test (never hangs) after `ms`. */
const waitFor = (cond: () => boolean, ms: number, what: string): Promise<void> => until(cond, what, ms);

function records(at: number, bytes: number): MarketDataMessage[] {
  const out: MarketDataMessage[] = [];
  const view = new TickView(mem.buffer);
  for (const end = at + bytes; at < end; at += mem.u8[at]! | (mem.u8[at + 1]! << 8)) out.push(readMessage(view.wrap(at), symbols));
  return out;
}

const idOf = (r: SimInstrumentRow) => symbols.intern(r.exchange, r.symbol, r.priceDecimals);

// ─── the market ────────────────────────────────────────────────────────────────────────

test("market: the same seed gives the same picks and states; another seed does not", () => {
  const rows = createUniverse({ instruments: 400, seed: 5 });
  const run = (seed: number) => {
    const m = new SimulatedMarket(rows, { seed, startTimeMs: T0 });
    const picks: number[] = [];
    const changes: number[] = [];
    for (let k = 0; k < 4000; k++) {
      const i = m.pick();
      picks.push(i);
      changes.push(m.step(i, T0 + k * 7));
    }
    return { picks, changes, states: rows.map((_, i) => m.quote(i)), frame: m.norenDepth(picks[0]!, true) };
  };
  const a = run(11);
  assert.equal(run(11), a);
  const b = run(12);
  assert.not.equal(b.picks, a.picks);
  assert.not.equal(b.states, a.states);
});

test("market: prices stay on the tick grid, positive and within the circuits; volume and OI never fall; the book is ordered", () => {
  const rows = createUniverse({ instruments: 600, seed: 2 });
  const m = new SimulatedMarket(rows, { seed: 9, startTimeMs: T0 });
  const lastVol = new Float64Array(rows.length);
  const lastOi = new Float64Array(rows.length);
  const check = (i: number) => {
    const q = m.quote(i);
    const t = m.tickOf(i);
    const r = rows[i]!;
    const where = `${r.exchange}:${r.symbol}`;
    for (const [name, p] of [["ltp", q.ltp], ["open", q.open], ["high", q.high], ["low", q.low], ["close", q.close], ["uc", q.upperCircuit], ["lc", q.lowerCircuit]] as const) {
      if (!(p > 0 && p % t === 0 && Number.isSafeInteger(p))) assert.unreachable(`${where}: ${name} ${p} is not a positive multiple of ${t}`);
    }
    assert.is(q.close, r.basePrice);
    assert.ok(q.low <= q.ltp && q.ltp <= q.high, `${where}: low ≤ ltp ≤ high`);
    assert.ok(q.lowerCircuit <= q.low && q.high <= q.upperCircuit, `${where}: within the circuits`);
    assert.ok(q.averagePrice >= q.low - t && q.averagePrice <= q.high + t, `${where}: average price within the day's range`);
    assert.ok(q.volume >= lastVol[i]! && q.oi >= lastOi[i]!, `${where}: volume and OI never fall`);
    if (r.segment === "EQ" || r.segment === "INDEX") assert.is(q.oi, 0, `${where}: no OI for ${r.segment}`);
    else assert.ok(q.oi > 0, `${where}: OI for ${r.segment}`);
    lastVol[i] = q.volume;
    lastOi[i] = q.oi;
    assert.ok(q.lastQuantity > 0 && q.lastQuantity % r.lotSize === 0, `${where}: lastQty in lots`);
    // Bids: best first, strictly descending, positive on the grid; empty levels only at the tail.
    let empty = false;
    for (let k = 0; k < 5; k++) {
      const b = q.bids[k]!;
      if (b.price === 0) {
        assert.equal(b, { price: 0, quantity: 0, orders: 0 });
        empty = true;
        continue;
      }
      assert.not.ok(empty, `${where}: an empty bid level before a full one`);
      assert.ok(b.price % t === 0 && b.quantity > 0 && b.orders > 0 && b.orders <= b.quantity, `${where}: bid level ${k}`);
      if (k > 0) assert.ok(b.price < q.bids[k - 1]!.price, `${where}: bids descend`);
      const a = q.asks[k]!;
      assert.ok(a.price > 0 && a.price % t === 0 && a.quantity > 0 && a.orders > 0, `${where}: ask level ${k}`);
      if (k > 0) assert.ok(a.price > q.asks[k - 1]!.price, `${where}: asks ascend`);
    }
    assert.ok(q.bids[0]!.price < q.asks[0]!.price, `${where}: bid below ask`);
    assert.ok(q.bids[0]!.price <= q.ltp && q.ltp <= q.asks[0]!.price, `${where}: ltp inside the touch`);
    assert.ok(q.asks[0]!.price - q.bids[0]!.price <= 3 * t, `${where}: spread of 1..3 ticks`);
  };
  for (let i = 0; i < rows.length; i++) check(i);
  let sawMoves = 0;
  for (let k = 0; k < 30_000; k++) {
    const i = k % rows.length;
    const changed = m.step(i, T0 + k);
    if (changed & SimChange.LTP) sawMoves++;
    assert.ok((changed & SimChange.VOLUME) !== 0);
    if (k % 7 === 0) check(i);
  }
  for (let i = 0; i < rows.length; i++) check(i);
  assert.ok(sawMoves > 5000, `prices move (${sawMoves} of 30000 trades)`);
});

test("market: pick is skewed to the hot instruments and keeps to the active set", () => {
  const rows = createUniverse({ instruments: 1000, seed: 1 });
  const m = new SimulatedMarket(rows, { seed: 3 });
  const counts = new Float64Array(rows.length);
  for (let k = 0; k < 100_000; k++) counts[m.pick()]!++;
  const sorted = [...counts].sort((a, b) => b - a);
  const top20 = sorted.slice(0, 200).reduce((a, b) => a + b, 0);
  assert.ok(top20 > 70_000, `the hottest 20 % take most ticks (${top20})`);
  m.setActive([3, 7, 7, 9]);
  assert.is(m.activeSize, 3);
  const seen = new Set<number>();
  for (let k = 0; k < 1000; k++) seen.add(m.pick());
  assert.equal([...seen].sort((a, b) => a - b), [3, 7, 9]);
  m.setActive([]);
  assert.is(m.pick(), -1);
  m.burst(10, 1000, 5000);
  assert.is(m.rateAt(5000), 10);
  assert.is(m.rateAt(5500), 5.5);
  assert.is(m.rateAt(6000), 1);
  throwsCode(() => m.setActive([1000]), "ARGUMENT");
  throwsCode(() => m.step(-1, 0), "ARGUMENT");
  throwsCode(() => m.step(0, 1.5), "ARGUMENT");
  throwsCode(() => m.burst(0.5, 10), "ARGUMENT");
  throwsCode(() => new SimulatedMarket([]), "ARGUMENT");
  throwsCode(() => new SimulatedMarket([{ ...rows[0]!, basePrice: rows[0]!.basePrice + 1 }]), "PRICE");
  throwsCode(() => new SimulatedMarket(rows, { seed: -1 }), "ARGUMENT");
});

test("market: records of every kind are valid, carry the state exactly, and zero the reserved bytes", () => {
  const rows = createUniverse({ instruments: 300, seed: 4 });
  const m = new SimulatedMarket(rows, { seed: 4, startTimeMs: T0 });
  const at = mem.allocate(384 * 4);
  for (let k = 0; k < 3000; k++) m.step(k % rows.length, T0 + k * 3);
  for (let i = 0; i < rows.length; i += 7) {
    const id = idOf(rows[i]!);
    const q = m.quote(i);
    const d = rows[i]!.priceDecimals;
    const p = (v: number) => v / 10 ** d;
    for (const kind of [1, 2, 3]) {
      mem.u8.fill(0xee, at, at + 384);
      const bytes = m.writeRecord(i, kind, mem.buffer, at, id, 41 + kind, 123_456_789);
      assert.is(bytes, [0, 64, 192, 384][kind]);
      const msg = readMessage(new TickView(mem.buffer).wrap(at), symbols);
      assert.is(msg.mode, kind);
      assert.is(msg.symbol, rows[i]!.symbol);
      assert.is(msg.seq, 41 + kind);
      assert.is(msg.recvTimeNs, 123_456_789);
      assert.is(msg.ltp, p(q.ltp));
      assert.is(msg.exchangeTimeMs, q.exchangeTimeMs);
      assert.is(msg.lastTradeTimeMs, q.lastTradeTimeMs);
      assert.is(msg.lastQuantity, q.lastQuantity);
      assert.is(msg.percentChange, q.changeBp / 100);
      for (const [off, len] of [[26, 2], [60, 4], [176, 16], [352, 32]] as const) {
        if (off + len > bytes) continue;
        assert.ok(mem.u8.subarray(at + off, at + off + len).every((b) => b === 0), `reserved bytes ${off}..${off + len - 1} of kind ${kind}`);
      }
      if (kind === 1) continue;
      assert.equal([msg.open, msg.high, msg.low, msg.close, msg.averagePrice], [q.open, q.high, q.low, q.close, q.averagePrice].map(p));
      assert.equal([msg.volume, msg.oi, msg.totalBuyQuantity, msg.totalSellQuantity], [q.volume, q.oi, q.totalBuyQuantity, q.totalSellQuantity]);
      assert.equal([msg.upperCircuit, msg.lowerCircuit, msg.bid, msg.ask], [q.upperCircuit, q.lowerCircuit, q.bids[0]!.price, q.asks[0]!.price].map(p));
      assert.equal([msg.bidQuantity, msg.askQuantity], [q.bids[0]!.quantity, q.asks[0]!.quantity]);
      if (kind === 3) {
        assert.equal(msg.depth!.buy, q.bids.map((l) => ({ price: p(l.price), quantity: l.quantity, orders: l.orders })));
        assert.equal(msg.depth!.sell, q.asks.map((l) => ({ price: p(l.price), quantity: l.quantity, orders: l.orders })));
      }
    }
  }
  throwsCode(() => m.writeRecord(0, 4, mem.buffer, at, 0, 1, 1), "KIND");
  throwsCode(() => m.writeRecord(0, 1, mem.buffer, at + 4, 0, 1, 1), "ARGUMENT");
  throwsCode(() => m.writeRecord(0, 3, mem.buffer, mem.byteLength - 64, 0, 1, 1), "ARGUMENT");
  throwsCode(() => m.writeRecord(0, 1, new Uint8Array(64) as unknown as ArrayBuffer, 0, 0, 1, 1), "ARGUMENT");
  throwsCode(() => m.writeRecord(0, 1, mem.buffer, at, -1, 1, 1), "SYMBOL");
  throwsCode(() => m.writeRecord(0, 1, mem.buffer, at, 0, 0.5, 1), "ARGUMENT");
});

test("market: writeTicks writes back-to-back records of each instrument's mode, seq +1 per symbol", () => {
  const rows = createUniverse({ instruments: 200, seed: 6 });
  const m = new SimulatedMarket(rows, { seed: 6, startTimeMs: T0 });
  const n = rows.length;
  const modes = new Uint8Array(n);
  const ids = new Uint32Array(n);
  const seqs = new Float64Array(n);
  const active: number[] = [];
  for (let i = 0; i < n; i += 3) {
    modes[i] = 1 + (i % 3 === 0 ? (i / 3) % 3 : 0);
    ids[i] = idOf(rows[i]!);
    active.push(i);
  }
  m.setActive(active);
  const bytes = 64 * 1024;
  const at = mem.allocate(bytes);
  const last = new Map<string, number>();
  let total = 0;
  for (let round = 0; round < 5; round++) {
    const written = m.writeTicks(mem.buffer, at, bytes, 500, modes, ids, seqs, T0 + round, 77);
    assert.ok(m.ticksWritten === 500 || (m.ticksWritten < 500 && written > bytes - 384), "stops at maxTicks or when the region is full");
    const recs = records(at, written);
    assert.is(recs.length, m.ticksWritten);
    for (const r of recs) {
      const i = m.indexOfSymbol(r.exchange, r.symbol);
      assert.is(r.mode, modes[i], "the instrument's mode");
      const key = `${r.exchange}:${r.symbol}`;
      assert.is(r.seq, (last.get(key) ?? 0) + 1, `${key}: seq +1`);
      last.set(key, r.seq as number);
    }
    total += recs.length;
  }
  assert.ok(total >= 800, `${total} records`);
  // A region too small for the next record stops the batch, never overruns it.
  assert.is(m.writeTicks(mem.buffer, at, 100, 10, modes, ids, seqs, T0, 1) % 64, 0);
  throwsCode(() => m.writeTicks(mem.buffer, at, bytes, 5, new Uint8Array(3), ids, seqs, T0, 1), "ARGUMENT");
});

// ─── Noren frames ──────────────────────────────────────────────────────────────────────

function norenWorld(rows: readonly SimInstrumentRow[]) {
  const map = NorenTokenMap.create(mem, rows.length, symbols);
  const ref = new NorenReference();
  const ids = rows.map((r) => {
    const id = idOf(r);
    map.set(r, id);
    ref.set(r, id);
    return id;
  });
  return { map, ref, parser: NorenParser.create(map), ids };
}

/** A record's message with the fields a Noren frame carries at second resolution, and no seq/recv. */
function comparable(msg: MarketDataMessage): MarketDataMessage {
  return { ...msg, seq: 0, recvTimeNs: 0, exchangeTimeMs: Math.floor(Number(msg.exchangeTimeMs) / 1000) * 1000, lastTradeTimeMs: Math.floor(Number(msg.lastTradeTimeMs) / 1000) * 1000 };
}

test("noren frames: tk then tf (and dk then df) merge, in the Wasm parser and the reference, to exactly the market's state", () => {
  const rows = createUniverse({ instruments: 250, seed: 8 });
  const m = new SimulatedMarket(rows, { seed: 8, startTimeMs: T0 });
  const w = norenWorld(rows);
  const refOut = new Uint8Array(384);
  const at = mem.allocate(384);
  const touchSent = rows.map(() => m.norenSentState());
  const depthSent = rows.map(() => m.norenSentState());
  let frames = 0;
  const feed = (frame: string, i: number, depth: boolean) => {
    frames++;
    assert.ok(w.parser.push(enc.encode(frame)));
    const n = w.parser.parse(5, T0);
    const outcome = w.ref.parse(frame, 5, T0, refOut, 0);
    assert.is(n, 1, `one record from ${frame}`);
    assert.is(outcome, depth ? N.OUTCOME_DEPTH : N.OUTCOME_QUOTE);
    const bytes = depth ? 384 : 192;
    assert.equal(mem.u8.slice(w.parser.out, w.parser.out + bytes), refOut.slice(0, bytes), "Wasm and reference records are byte-identical");
    // The truth: the market's own record of that kind.
    m.writeRecord(i, depth ? 3 : 2, mem.buffer, at, w.ids[i]!, 1, 5);
    const got = comparable(records(w.parser.out, bytes)[0]!);
    const want = comparable(records(at, bytes)[0]!);
    assert.equal(got, want, `${rows[i]!.symbol}: merged state equals the market's after ${frame}`);
  };
  // Snapshots: every field.
  for (let i = 0; i < rows.length; i++) {
    const tk = JSON.parse(m.norenTouchline(i, true, touchSent[i]));
    assert.equal(Object.keys(tk).slice(0, 7), ["t", "e", "tk", "ts", "pp", "ti", "ls"]);
    const fo = rows[i]!.segment === "FUT" || rows[i]!.segment === "OPT";
    assert.equal(Object.keys(tk).slice(7), NOREN_TOUCHLINE_KEYS.filter((k) => fo || !["oi", "poi", "toi"].includes(k)));
    assert.is(tk.pp, String(rows[i]!.priceDecimals));
    for (const v of Object.values(tk)) assert.type(v, "string");
    assert.match(tk.lp, new RegExp(`^\\d+${rows[i]!.priceDecimals ? `\\.\\d{${rows[i]!.priceDecimals}}` : ""}$`));
    assert.match(tk.ltt, /^\d\d:\d\d:\d\d$/);
    feed(m.norenTouchline(i, true, touchSent[i]), i, false);
    if (i % 3 === 0) {
      const dk = JSON.parse(m.norenDepth(i, true, depthSent[i]));
      assert.equal(Object.keys(dk).slice(7), NOREN_DEPTH_KEYS.filter((k) => fo || !["oi", "poi", "toi"].includes(k)));
      feed(m.norenDepth(i, true, depthSent[i]), i, true);
    }
  }
  // Updates: only what changed since this stream's last frame, and never a field that did not.
  let partial = 0;
  for (let k = 0; k < 4000; k++) {
    const i = m.pick();
    m.step(i, T0 + 250 * k);
    if (k % 5 === 4) continue; // some trades unseen: the next frame carries their changes too
    const before = [...touchSent[i]!];
    const tf = m.norenTouchline(i, false, touchSent[i]);
    const obj = JSON.parse(tf);
    assert.is(obj.t, "tf");
    for (const key of Object.keys(obj).slice(3)) {
      const f = NOREN_DEPTH_KEYS.indexOf(key);
      assert.is.not(before[f], obj[key], `${key} resent unchanged`);
    }
    if (Object.keys(obj).length < 3 + NOREN_TOUCHLINE_KEYS.length - 3) partial++;
    feed(tf, i, false);
    if (i % 3 === 0) feed(m.norenDepth(i, false, depthSent[i]), i, true);
  }
  assert.ok(partial > 3000, `tf frames are partial (${partial})`);
  const counters = w.parser.counters();
  assert.is(counters.frames, frames);
  assert.is(counters.ticks, frames);
  assert.is(w.parser.malformedTotal(), 0);
  assert.equal(w.ref.counters(), counters);
});

// ─── the Noren server over loopback ────────────────────────────────────────────────────

interface Client {
  ws: WebSocket;
  frames: string[];
  /** Messages received in all. */
  received: number;
  closed: boolean;
  send(msg: unknown): void;
  /** The first frame (parsed) matching `pred`, removed; waits up to `ms`. */
  take(pred: (f: Record<string, string>) => boolean, ms?: number, what?: string): Promise<Record<string, string>>;
  /** Parsed frames matching `pred` that arrive within `ms`, removed. */
  collect(pred: (f: Record<string, string>) => boolean, ms: number): Promise<Record<string, string>[]>;
}

async function connect(url: string): Promise<Client> {
  const ws = new WebSocket(url, { perMessageDeflate: false });
  const c: Client = {
    ws, frames: [], received: 0, closed: false,
    send: (msg) => ws.send(typeof msg === "string" ? msg : JSON.stringify(msg)),
    async take(pred, ms = 2000, what = "a frame") {
      let found: Record<string, string> | undefined;
      await waitFor(() => {
        const k = c.frames.findIndex((f) => { try { return pred(JSON.parse(f)); } catch { return false; } });
        if (k < 0) return false;
        found = JSON.parse(c.frames.splice(k, 1)[0]!);
        return true;
      }, ms, what);
      return found!;
    },
    async collect(pred, ms) {
      await sleep(ms);
      const out: Record<string, string>[] = [];
      c.frames = c.frames.filter((f) => {
        let o: Record<string, string>;
        try { o = JSON.parse(f); } catch { return true; }
        if (!pred(o)) return true;
        out.push(o);
        return false;
      });
      return out;
    },
  };
  ws.on("message", (d) => {
    c.received++;
    c.frames.push(d.toString());
  });
  ws.on("close", () => (c.closed = true));
  ws.on("error", () => {});
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error("the client could not connect")), 3000);
    ws.once("open", () => { clearTimeout(t); resolve(); });
    ws.once("error", (e) => { clearTimeout(t); reject(e); });
  });
  return c;
}

const DEMO = NOREN_SIM_DEMO_ACCOUNT;
const v1 = (uid: string, token: string | undefined) => ({ t: "c", uid, actid: uid, susertoken: token, source: "API" });
const v2 = (uid: string, token: string | undefined) => ({ t: "a", uid, actid: uid, accesstoken: token, source: "API" });
async function loggedIn(url: string): Promise<Client> {
  const c = await connect(url);
  c.send(v1(DEMO.uid, DEMO.susertoken));
  const ck = await c.take((f) => f.t === "ck", 2000, "ck");
  assert.is(ck.s, "OK");
  return c;
}

/** Quiesces the server and waits until client `c` (connection `id`) has every frame sent to it. */
async function drained(server: NorenSimServer, c: Client, id: number): Promise<void> {
  await server.quiesce();
  await waitFor(() => c.received === server.stats.perConnection[id]!.framesSent, 3000, `client ${id} to receive every frame`);
}

async function withServer(options: Parameters<typeof NorenSimServer.start>[0], body: (s: NorenSimServer, clients: Client[]) => Promise<void>): Promise<void> {
  const server = await NorenSimServer.start(options);
  const clients: Client[] = [];
  try {
    await body(server, clients);
  } finally {
    for (const c of clients) c.ws.terminate();
    await server.close();
  }
}

test("server: V1 and V2 logins are acknowledged; refused ones answered NOT_OK and left open; nothing before login is served", async () => {
  await withServer({ instruments: 50, ticksPerSecond: 0 }, async (server, clients) => {
    assert.match(server.url, /^ws:\/\/127\.0\.0\.1:\d+\/$/);
    const c = await connect(server.url);
    clients.push(c);
    const row = server.universe[0]!;
    c.send({ t: "t", k: `${row.brokerExchange}|${row.token}` });
    c.send({ t: "h" });
    c.send(v1(DEMO.uid, "wrong"));
    const bad = await c.take((f) => f.t === "ck");
    assert.equal(bad, { t: "ck", s: "NOT_OK", emsg: "Invalid Session Key" });
    await sleep(50);
    assert.is(c.ws.readyState, WebSocket.OPEN, "a refused login is not closed by the server");
    assert.is(c.frames.length, 0, "no snapshot or hk before login");
    c.send(v1(DEMO.uid, DEMO.susertoken));
    assert.equal(await c.take((f) => f.t === "ck"), { t: "ck", s: "OK", uid: DEMO.uid });

    const d = await connect(server.url);
    clients.push(d);
    d.send(v2(DEMO.uid, "nope"));
    assert.equal(await d.take((f) => f.t === "ak"), { t: "ak", s: "NOT_OK", emsg: "Invalid Session Key" });
    d.send(v2("NOBODY", DEMO.accesstoken));
    assert.is((await d.take((f) => f.t === "ak")).s, "NOT_OK");
    d.send(v2(DEMO.uid, DEMO.accesstoken));
    assert.equal(await d.take((f) => f.t === "ak"), { t: "ak", s: "OK", uid: DEMO.uid });

    const s = server.stats;
    assert.is(s.loginsOk, 2);
    assert.is(s.loginsRejected, 3);
    assert.is(s.beforeLogin, 2);
    assert.is(s.connections, 2);
  });
});

test("server: tk/dk for every known scrip, then tf/df with only the fields changed for that subscriber; unknown scrips get nothing", async () => {
  await withServer({ instruments: 300, seed: 3, ticksPerSecond: 0 }, async (server, clients) => {
    const c = await loggedIn(server.url);
    const e = await loggedIn(server.url);
    clients.push(c, e);
    const rows = server.universe.slice(0, 6);
    const keys = rows.map((r) => `${r.brokerExchange}|${r.token}`);
    c.send({ t: "t", k: [...keys.slice(0, 4), "NSE|999999999", "BAD"].join("#") });
    c.send({ t: "d", k: keys.slice(3).join("#") });
    e.send({ t: "t", k: keys[0] });
    const merged = new Map<string, Record<string, string>>();
    const apply = (f: Record<string, string>, stream: string) => {
      const key = `${stream}:${f.e}|${f.tk}`;
      const before = merged.get(key);
      if (f.t === "tk" || f.t === "dk") {
        assert.is(before, undefined, "one snapshot per subscription");
        merged.set(key, { ...f });
        return;
      }
      assert.ok(before !== undefined, `a ${f.t} before its snapshot`);
      for (const [k, v] of Object.entries(f)) {
        if (k === "t" || k === "e" || k === "tk") continue;
        assert.is.not(before![k], v, `${f.t} ${key}: ${k} resent unchanged`);
        before![k] = v;
      }
    };
    for (let k = 0; k < 4; k++) apply(await c.take((f) => f.t === "tk" && f.tk === rows[k]!.token && f.e === rows[k]!.brokerExchange), "t");
    for (let k = 3; k < 6; k++) apply(await c.take((f) => f.t === "dk" && f.tk === rows[k]!.token && f.e === rows[k]!.brokerExchange), "d");
    const eMerged = await e.take((f) => f.t === "tk");
    assert.is((await c.collect((f) => f.t === "tk" || f.t === "dk", 60)).length, 0, "no snapshot for unknown scrips");
    assert.is(server.stats.unknownScrips, 2);

    for (let round = 0; round < 10; round++) {
      assert.ok(server.advance(40) === 40);
      await sleep(5);
    }
    await drained(server, c, 0);
    await drained(server, e, 1);
    const updates = await c.collect((f) => f.t === "tf" || f.t === "df", 0);
    assert.ok(updates.length > 20, `updates arrived (${updates.length})`);
    for (const f of updates) apply(f, f.t === "tf" ? "t" : "d");
    for (const [key, state] of merged) {
      const [stream, scrip] = key.split(":") as [string, string];
      const [ex, tk] = scrip.split("|") as [string, string];
      const truth = server.expected(ex, tk)!;
      const want = { ...(stream === "t" ? truth.touchline : truth.depth) };
      const got = { ...state };
      delete got.t;
      assert.equal(got, want, `${key}: the subscriber's merged state is the server's`);
    }
    // The second client has its own "last sent" (it subscribed later): its merged touchline is the truth too.
    const eUpdates = await e.collect((f) => f.t === "tf", 0);
    assert.ok(eUpdates.length > 0);
    for (const f of eUpdates) Object.assign(eMerged, f);
    delete eMerged.t;
    assert.equal(eMerged, server.expected(rows[0]!.brokerExchange, rows[0]!.token)!.touchline);
  });
});

test("server: merged frames through the Wasm parser equal the server's state, over the socket", async () => {
  await withServer({ instruments: 200, seed: 4, ticksPerSecond: 3000, loopMs: 2 }, async (server, clients) => {
    const c = await loggedIn(server.url);
    clients.push(c);
    const rows = server.universe.slice(10, 40);
    const w = norenWorld(rows as SimInstrumentRow[]);
    c.send({ t: "t", k: rows.slice(0, 20).map((r) => `${r.brokerExchange}|${r.token}`).join("#") });
    c.send({ t: "d", k: rows.slice(20).map((r) => `${r.brokerExchange}|${r.token}`).join("#") });
    await sleep(250);
    await drained(server, c, 0);
    const frames = c.frames.splice(0);
    assert.ok(frames.length > 100, `frames streamed (${frames.length})`);
    for (let k = 0; k < frames.length; k += 200) {
      for (const f of frames.slice(k, k + 200)) assert.ok(w.parser.push(enc.encode(f)));
      const n = w.parser.parse(1, Date.now());
      assert.is(records(w.parser.out, w.parser.outBytes).length, n, "every record passes readMessage");
    }
    assert.is(w.parser.malformedTotal(), 0, "every frame parsed");
    const u64 = (at: number) => mem.u32[at >>> 2]! + mem.u32[(at + 4) >>> 2]! * 2 ** 32;
    for (const r of rows) {
      const slot = w.map.slotOf(r.brokerExchange, r.token);
      const state = w.map.stateOffset(slot);
      const truth = server.expected(r.brokerExchange, r.token)!;
      const depth = rows.indexOf(r) >= 20;
      const want = depth ? truth.depth : truth.touchline;
      const d = r.priceDecimals;
      const price = (off: number) => {
        const lo = mem.u32[(state + off) >>> 2]!;
        const hi = mem.i32[(state + off + 4) >>> 2]!;
        return (hi * 2 ** 32 + lo) / 10 ** d;
      };
      assert.is(price(L.OFF_LTP), Number(want.lp), `${r.symbol}: lp`);
      assert.is(price(L.OFF_HIGH), Number(want.h));
      assert.is(price(L.OFF_AVG_PRICE), Number(want.ap));
      assert.is(u64(state + L.OFF_VOLUME), Number(want.v));
      assert.is(u64(state + L.OFF_TOTAL_BUY_QTY), Number(want.tbq));
      assert.is(price(L.OFF_DEPTH_BIDS), Number(want.bp1));
      assert.is(price(L.OFF_DEPTH_ASKS), Number(want.sp1));
      if (depth) assert.is(price(L.OFF_DEPTH_ASKS + 4 * 16), Number(want.sp5));
    }
  });
});

test("server: unsubscribe acks (uk/udk) and stops the stream; heartbeats get hk; requests are logged with times and sizes", async () => {
  await withServer({ instruments: 100, ticksPerSecond: 0 }, async (server, clients) => {
    const c = await loggedIn(server.url);
    clients.push(c);
    const [a, b] = server.universe.slice(0, 2).map((r) => `${r.brokerExchange}|${r.token}`) as [string, string];
    c.send({ t: "t", k: `${a}#${b}` });
    c.send({ t: "d", k: a });
    await c.take((f) => f.t === "tk");
    await c.take((f) => f.t === "tk");
    await c.take((f) => f.t === "dk");
    c.send({ t: "u", k: `${a}#${b}` });
    assert.equal(await c.take((f) => f.t === "uk"), { t: "uk", k: `${a}#${b}` });
    c.send({ t: "h" });
    assert.equal(await c.take((f) => f.t === "hk"), { t: "hk" });
    server.advance(50);
    await sleep(40);
    assert.is((await c.collect((f) => f.t === "tf", 10)).length, 0, "no touchline after uk");
    assert.ok((await c.collect((f) => f.t === "df", 10)).length > 0, "depth still streams");
    c.send({ t: "ud", k: a });
    assert.equal(await c.take((f) => f.t === "udk"), { t: "udk", k: a });
    await sleep(20);
    c.frames.length = 0;
    assert.is(server.advance(10), 0, "nothing subscribed: no ticks");
    const st = server.stats;
    const mine = st.perConnection[0]!;
    assert.equal(mine.requests.map((r) => [r.t, r.scrips]), [["t", 2], ["d", 1], ["u", 2], ["ud", 1]]);
    for (const r of mine.requests) assert.ok(Math.abs(r.atMs - Date.now()) < 5000);
    assert.is(st.subscribeMessages, 2);
    assert.is(st.unsubscribeMessages, 2);
    assert.is(st.heartbeats, 1);
    assert.is(mine.touchline + mine.depth, 0);
  });
});

test("server faults: dropConnections, goSilent, rejectLogins, rotateToken, injectMalformed, slowDown", async () => {
  await withServer({ instruments: 80, ticksPerSecond: 0 }, async (server, clients) => {
    const c = await loggedIn(server.url);
    clients.push(c);
    const row = server.universe[5]!;
    c.send({ t: "t", k: `${row.brokerExchange}|${row.token}` });
    await c.take((f) => f.t === "tk");

    // Malformed: one of each kind, each refused by the parser for its own reason.
    assert.is(server.injectMalformed(4), 4);
    await waitFor(() => c.frames.length >= 4, 2000, "malformed frames");
    const ref = new NorenReference();
    ref.set(row, idOf(row));
    const out = new Uint8Array(384);
    const outcomes = c.frames.splice(0).map((f) => ref.parse(f, 1, Date.now(), out, 0));
    assert.equal(outcomes, [N.REASON_BAD_JSON, N.REASON_UNKNOWN_TYPE, N.REASON_PRECISION, N.REASON_WRONG_TYPE].map((r) => N.OUTCOME_MALFORMED + r));
    assert.is(server.stats.malformedSent, 4);

    // Silence: nothing at all (no hk), then back.
    server.goSilent(400);
    c.send({ t: "h" });
    assert.is(server.advance(5), 0);
    assert.is((await c.collect(() => true, 150)).length, 0, "silent");
    assert.is(c.ws.readyState, WebSocket.OPEN);
    await sleep(300);
    c.send({ t: "h" });
    await c.take((f) => f.t === "hk", 1000, "hk after the silence");
    server.goSilent(Infinity);
    c.send({ t: "h" });
    assert.is((await c.collect(() => true, 60)).length, 0);
    server.resume();
    c.send({ t: "h" });
    await c.take((f) => f.t === "hk");

    // Slow sends: delayed, in order.
    server.slowDown(120);
    const t0 = Date.now();
    c.send({ t: "h" });
    await c.take((f) => f.t === "hk", 2000);
    assert.ok(Date.now() - t0 >= 110, `delayed (${Date.now() - t0} ms)`);
    server.slowDown(0);

    // Refused logins, then the token rollover.
    server.rejectLogins(1);
    const d = await connect(server.url);
    clients.push(d);
    d.send(v1(DEMO.uid, DEMO.susertoken));
    assert.is((await d.take((f) => f.t === "ck")).s, "NOT_OK");
    d.send(v1(DEMO.uid, DEMO.susertoken));
    assert.is((await d.take((f) => f.t === "ck")).s, "OK");
    server.rotateToken(DEMO.uid, "rolled-over", { existing: "silence" });
    assert.is(server.account(DEMO.uid)!.susertoken, "rolled-over");
    const e = await connect(server.url);
    clients.push(e);
    e.send(v1(DEMO.uid, DEMO.susertoken));
    assert.is((await e.take((f) => f.t === "ck")).s, "NOT_OK", "the old token is refused");
    e.send(v2(DEMO.uid, "rolled-over"));
    assert.is((await e.take((f) => f.t === "ak")).s, "OK", "the new one works");
    c.send({ t: "h" });
    assert.is((await c.collect(() => true, 80)).length, 0, "an old session goes silent");
    throwsCode(() => server.rotateToken("NOBODY", "x"), "ARGUMENT");

    // Dropped sockets: every client sees its socket close.
    assert.is(server.dropConnections(), 3);
    await waitFor(() => c.closed && d.closed && e.closed, 2000, "sockets closed");
    await waitFor(() => server.stats.connections === 0, 2000, "server forgot them");
    const f = await connect(server.url);
    clients.push(f);
    f.send(v1(DEMO.uid, "rolled-over"));
    assert.is((await f.take((m) => m.t === "ck")).s, "OK", "the server takes new connections after a drop");
  });
});

test("server: survives whatever a client sends (bad JSON, unknown t, wrong types, binary, oversized) and counts it", async () => {
  await withServer({ instruments: 40, ticksPerSecond: 0, maxPayload: 4096 }, async (server, clients) => {
    const c = await loggedIn(server.url);
    clients.push(c);
    for (const junk of ["not json", "[1,2]", "null", '{"t":5}', '{"t":"zz"}', '{"t":"t","k":5}', '{"t":"t"}', "{\"t\":\"u\",\"k\":[]}", ""]) c.send(junk);
    c.ws.send(Buffer.from('{"t":"h"}'), { binary: true });
    await c.take((f) => f.t === "hk", 2000, "hk to a binary heartbeat");
    assert.is(server.stats.badMessages, 9);
    c.send("x".repeat(10_000));
    await waitFor(() => c.closed, 2000, "the oversized message's socket to close");
    const d = await loggedIn(server.url);
    clients.push(d);
    d.send({ t: "h" });
    await d.take((f) => f.t === "hk");
    assert.ok(server.stats.socketErrors >= 1);
    await throwsAsync(() => NorenSimServer.start({ port: server.port }), "ARGUMENT");
    await throwsAsync(() => NorenSimServer.start({ accounts: [] }), "ARGUMENT");
    await throwsAsync(() => NorenSimServer.start({ ticksPerSecond: -1 }), "ARGUMENT");
  });
});

test("server: the tick loop streams at about ticksPerSecond over the subscribed scrips", async () => {
  await withServer({ instruments: 500, ticksPerSecond: 2000 }, async (server, clients) => {
    const c = await loggedIn(server.url);
    clients.push(c);
    c.send({ t: "t", k: server.universe.slice(0, 50).map((r) => `${r.brokerExchange}|${r.token}`).join("#") });
    await waitFor(() => c.frames.length >= 50, 2000, "snapshots");
    c.frames.length = 0;
    const t0 = Date.now();
    await sleep(400);
    const n = c.frames.length;
    const rate = (n * 1000) / (Date.now() - t0);
    assert.ok(rate > 500 && rate < 3000, `about 2000 frames/s (${rate.toFixed(0)})`);
    for (const f of c.frames) assert.is(JSON.parse(f).t, "tf");
  });
});

test("server: a connection that sends nothing for idleTimeoutMs is closed; one that sends heartbeats is kept", async () => {
  await withServer({ instruments: 20, ticksPerSecond: 0, idleTimeoutMs: 300 }, async (server, clients) => {
    const quiet = await loggedIn(server.url);
    const chatty = await loggedIn(server.url);
    clients.push(quiet, chatty);
    const beat = setInterval(() => chatty.send({ t: "h" }), 50);
    try {
      await waitFor(() => quiet.closed, 2000, "the idle socket to close");
      assert.not.ok(chatty.closed, "a socket sending heartbeats stays");
      await chatty.take((f) => f.t === "hk");
    } finally {
      clearInterval(beat);
    }
    assert.is(server.stats.connections, 1);
  });
});

async function throwsAsync(f: () => Promise<unknown>, code: string): Promise<void> {
  try {
    await f();
  } catch (e) {
    assert.instance(e, TickwireError);
    assert.is((e as TickwireError).code, code);
    return;
  }
  assert.unreachable(`expected a ${code} error`);
}

// ─── the in-process adapter ────────────────────────────────────────────────────────────

test("adapter: registered as \"simulated\"; per-instrument results; records reach the sink at their mode, seq +1 per symbol", async () => {
  assert.ok(supportedBrokers().includes("simulated"));
  const seen: MarketDataMessage[] = [];
  let calls = 0;
  let inside = false;
  const sink = async (src: number, bytes: number) => {
    assert.not.ok(inside, "the sink is never called concurrently");
    inside = true;
    calls++;
    const recs = records(src, bytes);
    seen.push(...recs);
    await sleep(0);
    inside = false;
    return recs.length;
  };
  const events: FeedEvent[] = [];
  const adapter = createAdapter({ broker: "simulated", instruments: 300, seed: 7, ticksPerSecond: 40_000, batchTicks: 256 }, { mem, symbols, sink, onEvent: (e) => events.push(e) }) as SimulatedAdapter;
  try {
    const u = adapter.universe;
    const req: SubscriptionRequest[] = [
      { exchange: u[0]!.exchange, symbol: u[0]!.symbol, mode: 1 },
      { exchange: u[1]!.exchange, symbol: u[1]!.symbol, mode: 2 },
      { exchange: u[2]!.exchange, symbol: u[2]!.symbol, mode: 3 },
      { exchange: "NSE", symbol: "NO_SUCH_THING", mode: 1 },
    ];
    const results = await adapter.subscribe(req);
    assert.equal(results.map((r) => r.ok), [true, true, true, false]);
    assert.is((results[3] as { code: string }).code, "SYMBOL_NOT_FOUND");
    await adapter.connect();
    await waitFor(() => seen.length >= 2000, 5000, "ticks");
    await adapter.stop();
    const modeOf = new Map(req.slice(0, 3).map((r) => [`${r.exchange}:${r.symbol}`, r.mode]));
    const seq = new Map<string, number>();
    for (const m of seen) {
      const key = `${m.exchange}:${m.symbol}`;
      assert.is(m.mode, modeOf.get(key), `${key}: only subscribed symbols, at their mode`);
      assert.is(m.seq, (seq.get(key) ?? 0) + 1, `${key}: seq +1`);
      seq.set(key, m.seq as number);
    }
    assert.is(seq.size, 3);
    assert.ok(calls > 1);
    assert.is(adapter.stats.dropped, 0);
    assert.is(adapter.stats.streaming, 3);

    // Reference counts: a second client's Depth raises the mode; its leaving lowers it again.
    const k0 = { exchange: u[0]!.exchange, symbol: u[0]!.symbol };
    assert.equal((await adapter.subscribe([{ ...k0, mode: 3 }], "b")).map((r) => r.ok), [true]);
    assert.is(adapter.modeOf(k0.exchange, k0.symbol), 3);
    await adapter.removeClient("b");
    assert.is(adapter.modeOf(k0.exchange, k0.symbol), 1);
    const un = await adapter.unsubscribe([{ ...k0, mode: 1 }, { ...k0, mode: 1 }]);
    assert.equal(un.map((r) => r.ok), [true, false]);
    assert.is((un[1] as { code: string }).code, "NOT_SUBSCRIBED");
    assert.is(adapter.modeOf(k0.exchange, k0.symbol), 0);
    assert.is(adapter.report().instruments, 2);

    // produce(): caller-owned memory, no sink.
    const region = mem.allocate(64 * 1024);
    const before = calls;
    const bytes = adapter.produce(100, region, 64 * 1024);
    assert.is(adapter.producedTicks, 100);
    const recs = records(region, bytes);
    assert.is(recs.length, 100);
    for (const m of recs) {
      const key = `${m.exchange}:${m.symbol}`;
      assert.is(m.mode, modeOf.get(key));
      assert.is(m.seq, seq.get(key)! + 1);
      seq.set(key, m.seq as number);
    }
    assert.is(calls, before);
    throwsCode(() => adapter.produce(10, 8, 1024), "REGION");
    throwsCode(() => adapter.produce(-1, region, 1024), "ARGUMENT");
  } finally {
    await adapter.disconnect();
  }
  assert.equal(events.filter((e) => e.type === "state").map((e) => (e as { state: string }).state), ["open", "closed"]);
});

test("adapter: a sink that takes fewer ticks or throws is counted as dropped and reported, never silently", async () => {
  let mode: "short" | "throw" = "short";
  const events: FeedEvent[] = [];
  const adapter = new SimulatedAdapter({ instruments: 50, ticksPerSecond: 20_000, batchTicks: 64 }, {
    mem, symbols, onEvent: (e) => events.push(e),
    sink: (_src, bytes) => {
      if (mode === "throw") throw new TickwireError("TIMEOUT", "the processor is full");
      return Math.floor(bytes / 64 / 2);
    },
  });
  try {
    const u = adapter.universe[3]!;
    await adapter.subscribe([{ exchange: u.exchange, symbol: u.symbol, mode: 1 }]);
    await adapter.connect();
    await waitFor(() => events.some((e) => e.type === "dropped"), 3000, "a dropped event");
    mode = "throw";
    await waitFor(() => events.some((e) => e.type === "dropped" && e.reason.startsWith("TIMEOUT")), 3000, "a dropped event for a throw");
    await adapter.stop();
    const dropped = events.filter((e): e is Extract<FeedEvent, { type: "dropped" }> => e.type === "dropped");
    assert.is(dropped.reduce((a, e) => a + e.ticks, 0), adapter.stats.dropped);
    assert.ok(adapter.stats.dropped > 0);
  } finally {
    await adapter.disconnect();
  }
  throwsCode(() => new SimulatedAdapter({ instruments: 0 }, { mem, symbols, sink: () => 0 }), "ARGUMENT");
  throwsCode(() => new SimulatedAdapter({}, { mem, symbols, sink: 5 as unknown as () => number }), "ARGUMENT");
  await throwsAsync(async () => adapter.connect(), "ARGUMENT");
});

test("adapter: each tick is stamped with when it fell due; a sink that stalls shows in the stamps, and ticks shed past 250 ms behind are counted", async () => {
  const events: FeedEvent[] = [];
  const stamps: number[] = [];
  let stallMs = 0;
  const adapter = new SimulatedAdapter({ instruments: 50, ticksPerSecond: 10_000, batchTicks: 4096 }, {
    mem, symbols, onEvent: (e) => events.push(e),
    sink: async (src, bytes) => {
      const written = monotonicNs();
      for (let at = src; at < src + bytes; at += 64) stamps.push(Number(new DataView(mem.buffer, at).getBigUint64(L.OFF_RECV_TIME_NS, true)) - written);
      if (stallMs > 0) {
        const ms = stallMs;
        stallMs = 0;
        await sleep(ms);
      }
      return bytes / 64;
    },
  });
  try {
    const u = adapter.universe[3]!;
    await adapter.subscribe([{ exchange: u.exchange, symbol: u.symbol, mode: 1 }]);
    await adapter.connect();
    await until(() => stamps.length > 2000, "ticks", 5000);
    // Stamps are due times: never later than the write, 100 µs apart at 10 000/s.
    assert.ok(stamps.every((d) => d <= 0), "a stamp after the tick was written");
    stallMs = 700;
    const before = stamps.length;
    await until(() => stamps.length > before + 3000, "ticks after the stall", 5000);
    await adapter.stop();
    // What fell due during the stall carries its due time: up to 250 ms before it was written (older was shed).
    const after = stamps.slice(before);
    const oldest = Math.min(...after);
    assert.ok(oldest < -240e6 && oldest > -300e6, `the oldest stamp after the stall: ${(oldest / 1e6).toFixed(1)} ms before its write`);
    assert.ok(after.filter((d) => d < -100e6).length > 1000, "ticks that fell due during the stall are stamped then");
    const shed = events.filter((e): e is Extract<FeedEvent, { type: "dropped" }> => e.type === "dropped");
    assert.ok(shed.length > 0 && /behind its rate/.test(shed[0]!.reason), "the shed ticks are reported");
    const shedTicks = shed.reduce((a, e) => a + e.ticks, 0);
    assert.is(shedTicks, adapter.stats.dropped);
    assert.ok(shedTicks > 3000 && shedTicks < 6000, `about 450 ms of ticks shed at 10 000/s, got ${shedTicks}`);
  } finally {
    await adapter.disconnect();
  }
});

test("adapter into a real processor: Depth batches are cut to maxRouteBytes, nothing dropped", async () => {
  const p = await ParallelProcessor.start({ workers: 1, maxWorkers: 1, maxSymbols: 4096 });
  const events: FeedEvent[] = [];
  const feed = new SimulatedAdapter({ instruments: 600, ticksPerSecond: 200_000, seed: 2 }, {
    mem: p.mem, symbols: p.symbols, sink: (src, bytes) => p.route(src, bytes), maxBatchBytes: p.maxRouteBytes, onEvent: (e) => events.push(e),
  });
  try {
    // 1024 Depth records a batch (393 KB) would exceed the ingest ring's largest claim (256 KiB): route refused them all.
    await feed.subscribe(feed.universe.map((r) => ({ exchange: r.exchange, symbol: r.symbol, mode: 3 })));
    await feed.connect();
    const deadline = Date.now() + 10_000;
    while (feed.stats.ticks < 50_000 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    await feed.stop();
    assert.ok(feed.stats.ticks >= 50_000, `ticks ${feed.stats.ticks}`);
    assert.is(feed.stats.dropped, 0, JSON.stringify(events.find((e) => e.type === "dropped")));
  } finally {
    await feed.disconnect();
    await p.close();
  }
});

test.run();
