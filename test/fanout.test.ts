// The fan-out gather (assembly/fanout.ts via src/fanout/gather.ts): every client's frames for a
// batch, checked against the renderer and the record format independently of the proxy.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { TickView, JsonRenderer, Kind, layout as L, writeMessage, readMessage, toClientJson, type MarketDataMessage } from "../src/index.js";
import { FanoutGather, ClientFlags } from "../src/fanout/gather.js";
import { FanoutPump } from "../src/fanout/pump.js";
import { setup, sampleTick } from "./helpers/fixtures.js";
import { parseFrames } from "./helpers/ws-frames.js";

const { mem, table } = await setup(1 << 27, 4096);
const recs = mem.allocate(1 << 20);
const view = new TickView(mem.buffer);
const text = (b: Uint8Array) => new TextDecoder().decode(b);
const TS = 1732500000123;
const BROKER = "simulated";

function batch(ticks: MarketDataMessage[]): number {
  let off = 0;
  for (const t of ticks) off += writeMessage(view.wrap(recs + off), t, table);
  return off;
}

function tick(mode: Kind, symbol: string, seq: number): MarketDataMessage {
  return { ...sampleTick(mode, seq % 50, symbol), seq };
}

function readAll(bytes: number): MarketDataMessage[] {
  const out: MarketDataMessage[] = [];
  for (let at = recs; at < recs + bytes; at += mem.u8[at]! | (mem.u8[at + 1]! << 8)) out.push(readMessage(view.wrap(at), table));
  return out;
}

const json = (m: MarketDataMessage, mode: Kind, extra?: object) => toClientJson(m, { broker: BROKER, timestampMs: TS, mode, ...extra });

test("each JSON client gets one text frame per (tick, mode) it subscribed, rendered exactly; others get nothing", () => {
  const g = new FanoutGather(mem, table, { maxClients: 8, maxSubscriptions: 64, broker: BROKER });
  const a = table.intern("NSE", "AAA", 2);
  const b = table.intern("NSE", "BBB", 2);
  const [c1, c2, c3] = [g.openSlot(), g.openSlot(), g.openSlot()];
  for (const s of [c1, c2, c3]) g.setFlags(s, ClientFlags.ACTIVE);
  g.setSubscription(c1, a, 0b001);        // AAA LTP
  g.setSubscription(c2, a, 0b110);        // AAA Quote + Depth
  g.setSubscription(c2, b, 0b010);        // BBB Quote
  // c3 subscribes nothing
  const ticks = [tick(Kind.DEPTH, "AAA", 1), tick(Kind.LTP, "BBB", 1), tick(Kind.QUOTE, "BBB", 2), tick(Kind.QUOTE, "AAA", 2)];
  const bytes = batch(ticks);
  assert.is(g.gather(recs, bytes, TS), bytes);
  assert.is(g.records, 4);
  const touched = Array.from({ length: g.touchedCount }, (_, i) => g.touchedSlot(i)).sort();
  assert.equal(touched, [c1, c2].sort());
  const frames = (slot: number) => parseFrames(g.frames(slot).slice()).map((f) => { assert.is(f.opcode, 1); return text(f.payload); });
  const msgs = readAll(bytes);
  assert.equal(frames(c1), [json(msgs[0]!, Kind.LTP), json(msgs[3]!, Kind.LTP)]);
  assert.is(g.ticks(c1), 2);
  // c2: AAA depth tick as Quote and Depth; BBB's LTP tick cannot serve Quote; BBB quote; AAA quote as Quote only.
  assert.equal(frames(c2), [json(msgs[0]!, Kind.QUOTE), json(msgs[0]!, Kind.DEPTH), json(msgs[2]!, Kind.QUOTE), json(msgs[3]!, Kind.QUOTE)]);
  assert.is(g.ticks(c2), 4);
});

test("a binary client gets one frame per batch: records cut to its highest mode, header patched", () => {
  const g = new FanoutGather(mem, table, { maxClients: 4, maxSubscriptions: 16, broker: BROKER });
  const a = table.intern("NSE", "CCC", 2);
  const s = g.openSlot();
  g.setFlags(s, ClientFlags.ACTIVE | ClientFlags.BINARY);
  g.setSubscription(s, a, 0b011); // LTP + Quote: records at Quote when they have it
  const ticks = [tick(Kind.DEPTH, "CCC", 1), tick(Kind.LTP, "CCC", 2), tick(Kind.QUOTE, "CCC", 3)];
  const bytes = batch(ticks);
  g.gather(recs, bytes, TS);
  const [frame, ...more] = parseFrames(g.frames(s).slice());
  assert.is(more.length, 0);
  assert.is(frame!.opcode, 2);
  const p = frame!.payload;
  assert.is(p.length, L.QUOTE_BYTES + L.LTP_BYTES + L.QUOTE_BYTES);
  const dv = new DataView(p.buffer, p.byteOffset, p.byteLength);
  assert.equal([dv.getUint16(0, true), p[2]], [L.QUOTE_BYTES, Kind.QUOTE]);
  assert.equal([dv.getUint16(192, true), p[194]], [L.LTP_BYTES, Kind.LTP]);
  assert.equal([dv.getUint16(256, true), p[258]], [L.QUOTE_BYTES, Kind.QUOTE]);
  // The cut depth record reads back as the same tick at Quote.
  const own = mem.allocate(4096);
  mem.u8.set(p, own);
  const back = readMessage(view.wrap(own), table);
  const sent = readMessage(view.wrap(recs), table);
  assert.is(back.mode, Kind.QUOTE);
  assert.is(toClientJson(back, { broker: BROKER, timestampMs: TS }), toClientJson(sent, { broker: BROKER, timestampMs: TS, mode: Kind.QUOTE }));
  assert.is(g.ticks(s), 3);
});

test("a conflating client only marks symbols pending; counts are exact; takePending clears", () => {
  const g = new FanoutGather(mem, table, { maxClients: 4, maxSubscriptions: 16, broker: BROKER });
  const x = table.intern("NSE", "XXX", 2);
  const y = table.intern("NSE", "YYY", 2);
  const s = g.openSlot();
  g.setFlags(s, ClientFlags.ACTIVE | ClientFlags.CONFLATING);
  g.setSubscription(s, x, 0b010);
  g.setSubscription(s, y, 0b001);
  const ticks = [tick(Kind.QUOTE, "XXX", 1), tick(Kind.QUOTE, "XXX", 2), tick(Kind.LTP, "YYY", 1), tick(Kind.QUOTE, "XXX", 3)];
  g.gather(recs, batch(ticks), TS);
  assert.is(g.frames(s).length, 0);
  assert.equal([g.pending(s), g.conflated(s)], [2, 2]);
  assert.equal(g.takePending(s), [x, y].sort((p, q) => p - q));
  assert.equal(g.takePending(s), []);
});

test("records not newer than a client's snapshot are skipped for it and counted as superseded", () => {
  const g = new FanoutGather(mem, table, { maxClients: 4, maxSubscriptions: 16, broker: BROKER });
  const z = table.intern("NSE", "ZZZ", 2);
  const s = g.openSlot();
  g.setFlags(s, ClientFlags.ACTIVE);
  g.setSubscription(s, z, 0b001, 5);
  g.gather(recs, batch([4, 5, 6, 7].map((q) => tick(Kind.LTP, "ZZZ", q))), TS);
  assert.is(g.ticks(s), 2);
  assert.is(g.conflated(s), 2, "the two older ticks count as superseded");
});

test("a batch bigger than the output is taken in parts, every frame once", () => {
  const clients = 200;
  const g = new FanoutGather(mem, table, { maxClients: clients, maxSubscriptions: clients, broker: BROKER });
  const d = table.intern("NSE", "DDD", 2);
  for (let i = 0; i < clients; i++) {
    const s = g.openSlot();
    g.setFlags(s, ClientFlags.ACTIVE);
    g.setSubscription(s, d, 0b111);
  }
  const n = 150; // 150 depth ticks × 200 clients × 3 modes ≈ 90 MB of frames: several calls
  const bytes = batch(Array.from({ length: n }, (_, i) => tick(Kind.DEPTH, "DDD", i + 1)));
  let at = 0;
  let calls = 0;
  let messages = 0;
  while (at < bytes) {
    const took = g.gather(recs + at, bytes - at, TS);
    assert.ok(took > 0 && took % L.DEPTH_BYTES === 0);
    for (let i = 0; i < g.touchedCount; i++) messages += parseFrames(g.frames(g.touchedSlot(i)).slice()).length;
    at += took;
    calls++;
  }
  assert.ok(calls > 1, `${calls} calls`);
  assert.is(messages, n * clients * 3);
});

test("a record whose exchange is not its symbol's is refused with its index; a closed slot gets nothing", () => {
  const g = new FanoutGather(mem, table, { maxClients: 2, maxSubscriptions: 4, broker: BROKER });
  const e = table.intern("NSE", "EEE", 2);
  const s = g.openSlot();
  g.setFlags(s, ClientFlags.ACTIVE);
  g.setSubscription(s, e, 0b001);
  const bytes = batch([tick(Kind.LTP, "EEE", 1), tick(Kind.LTP, "EEE", 2)]);
  mem.u8[recs + L.LTP_BYTES + L.OFF_EXCHANGE] = 2; // NFO, while EEE is NSE
  try {
    g.gather(recs, bytes, TS);
    assert.unreachable("should throw");
  } catch (err) {
    assert.is((err as { code: string }).code, "EXCHANGE");
    assert.is((err as { recordIndex: number }).recordIndex, 1);
  }
  g.closeSlot(s);
  assert.is(g.subscriptions, 0);
  g.gather(recs, L.LTP_BYTES, TS);
  assert.is(g.touchedCount, 0);
});

test("a binary client is not sent a record that disagrees with its symbol either (refused with its index, as for JSON)", () => {
  const g = new FanoutGather(mem, table, { maxClients: 2, maxSubscriptions: 4, broker: BROKER });
  const b = table.intern("NSE", "BIN", 2);
  const s = g.openSlot();
  g.setFlags(s, ClientFlags.ACTIVE | ClientFlags.BINARY);
  g.setSubscription(s, b, 0b001);
  const bytes = batch([tick(Kind.LTP, "BIN", 1), tick(Kind.LTP, "BIN", 2)]);
  mem.u8[recs + L.LTP_BYTES + L.OFF_PRICE_DECIMALS] = 3; // BIN has 2
  try {
    g.gather(recs, bytes, TS);
    assert.unreachable("should throw");
  } catch (err) {
    assert.equal([(err as { code: string }).code, (err as { recordIndex: number }).recordIndex], ["DECIMALS", 1]);
  }
  assert.is(g.flags(s), ClientFlags.ACTIVE | ClientFlags.BINARY, "no stray bit left");
});

test("sdkAliases and receiveTime add their fields, as toClientJson does", () => {
  const g = new FanoutGather(mem, table, { maxClients: 2, maxSubscriptions: 4, broker: BROKER, sdkAliases: true, receiveTime: true });
  const f = table.intern("NSE", "FFF", 2);
  const s = g.openSlot();
  g.setFlags(s, ClientFlags.ACTIVE);
  g.setSubscription(s, f, 0b010);
  g.gather(recs, batch([tick(Kind.QUOTE, "FFF", 1)]), TS);
  const msg = readMessage(view.wrap(recs), table);
  const got = text(parseFrames(g.frames(s).slice())[0]!.payload);
  assert.is(got, json(msg, Kind.QUOTE, { sdkAliases: true, receiveTime: true }));
  const data = JSON.parse(got).data;
  assert.is(data.last_trade_quantity, data.last_quantity);
  assert.is(data.avg_trade_price, data.average_price);
  assert.is(data.change_percent, data.percent_change);
  assert.is(data.change, Math.round((data.ltp - data.close) * 100) / 100);
  assert.is(data.recv_time_ns, Number(msg.recvTimeNs));
});

test("a pump whose readers() goes bad keeps running and reports it each round (it used to reject its loop, unhandled)", async () => {
  const refusals: string[] = [];
  let bad = false;
  const pump = new FanoutPump(mem, () => (bad ? ("nope" as unknown as []) : []), undefined, {
    frames: () => undefined, conflated: () => undefined, afterRound: () => undefined, refused: (e) => { refusals.push(e.code); },
  });
  pump.start();
  bad = true;
  await new Promise((r) => setTimeout(r, 60));
  bad = false;
  await pump.stop();
  assert.ok(refusals.length >= 2 && refusals.every((c) => c === "ARGUMENT"), JSON.stringify(refusals));
});

test.run();
