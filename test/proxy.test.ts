// The proxy end to end over real sockets with raw `ws` clients: every request, reply and
// error of docs/PROTOCOL.md, ticks per mode, snapshots, the binary format decoded here
// independently of the server code, and shutdown.
import { test } from "uvu";
import * as assert from "uvu/assert";
import * as L from "../src/format/layout.js";
import { startSystem, instruments, RawClient, KEY } from "./helpers/proxy-world.js";
import { until, sleep } from "./helpers/feed-world.js";
import type { TickwireSystem } from "../src/node/index.js";

const system: TickwireSystem = await startSystem({ proxy: { sdkAliases: false } });
const url = system.url!;
const [NIFTY, BANKNIFTY, EQ1, EQ2, EQ3] = instruments(system, 5) as [{ exchange: string; symbol: string }, ...{ exchange: string; symbol: string }[]];
const open: RawClient[] = [];
const client = async () => { const c = await RawClient.open(url); open.push(c); return c; };
const authed = async () => { const c = await RawClient.auth(url); open.push(c); return c; };

test.after.each(() => { for (const c of open.splice(0)) c.close(); });
test.after(async () => { await system.stop(); });

test("before authenticating: only ping and authenticate are answered; bad keys are refused without echoing them", async () => {
  const c = await client();
  const pong = await c.request({ action: "ping", timestamp: 123, _pingId: 7 });
  assert.equal([pong.type, pong.status, pong.client_timestamp, pong._pingId], ["pong", "success", 123, 7]);
  assert.ok(Math.abs(pong.server_timestamp - Date.now()) < 5000);
  const early = await c.request({ action: "subscribe", symbol: NIFTY.symbol, exchange: NIFTY.exchange, request_id: "e1" });
  assert.equal(early, { status: "error", code: "NOT_AUTHENTICATED", message: "You must authenticate first", request_id: "e1" });
  assert.equal(await c.request({ action: "authenticate" }), { status: "error", code: "AUTHENTICATION_ERROR", message: "API key is required" });
  const wrong = await c.request({ action: "authenticate", api_key: "not-the-key-at-all" });
  assert.equal(wrong, { status: "error", code: "AUTHENTICATION_ERROR", message: "Invalid API key" });
  assert.not.ok(JSON.stringify(c.messages).includes("not-the-key-at-all"));
  // `type` is a synonym of `action`, `auth` of `authenticate`, `apikey` of `api_key`.
  const ok = await c.request({ type: "auth", apikey: KEY, request_id: 9 });
  assert.equal(ok, {
    type: "auth", status: "success", message: "Authentication successful", broker: "simulated", user_id: "tickwire",
    supported_features: { ltp: true, quote: true, depth: true }, request_id: 9,
  });
});

test("malformed, unknown and invalid requests get the documented errors and the connection stays up", async () => {
  const c = await authed();
  assert.equal(await c.request("{nope"), { status: "error", code: "INVALID_JSON", message: "Invalid JSON message" });
  assert.equal(await c.request("[1,2]"), { status: "error", code: "INVALID_JSON", message: "Invalid JSON message" });
  assert.equal(await c.request({ action: "dance" }), { status: "error", code: "INVALID_ACTION", message: "Invalid action: dance" });
  const mode = await c.request({ action: "subscribe", symbol: NIFTY.symbol, exchange: NIFTY.exchange, mode: "Full" });
  assert.is(mode.code, "INVALID_MODE");
  assert.equal(await c.request({ action: "subscribe", symbols: [] }), { status: "error", code: "INVALID_PARAMETERS", message: "At least one symbol must be specified" });
  const fmt = await c.request({ action: "set_format", format: "xml" });
  assert.is(fmt.code, "INVALID_FORMAT");
  c.ws.send(Buffer.from([1, 2, 3]), { binary: true });
  assert.is((await c.next((m) => m.code === "INVALID_JSON" && /binary/.test(m.message), "binary refusal")).status, "error");
  const pong = await c.request({ action: "ping" });
  assert.is(pong.type, "pong");
  assert.is(c.closed, undefined);
});

test("subscribe: per-symbol results after the upstream answered, modes by name or number, request_id echoed", async () => {
  const c = await authed();
  const reply = await c.request({
    action: "subscribe", request_id: "r1", mode: "ltp",
    symbols: [NIFTY, { ...BANKNIFTY, mode: 3 }, { exchange: "NSE", symbol: "NO_SUCH" }, { exchange: "MARS", symbol: "X" }, { symbol: 5 }],
  });
  assert.is(reply.type, "subscribe");
  assert.is(reply.status, "partial");
  assert.is(reply.request_id, "r1");
  assert.is(reply.message, "Subscription processing complete");
  const [a, b, c3, d, e] = reply.subscriptions;
  assert.equal(a, { symbol: NIFTY.symbol, exchange: NIFTY.exchange, status: "success", mode: "LTP", depth: 5, broker: "simulated" });
  assert.equal([b.status, b.mode], ["success", "Depth"]);
  assert.equal([c3.status, c3.code], ["error", "SYMBOL_NOT_FOUND"]);
  assert.equal([d.status, d.code], ["error", "SYMBOL_NOT_FOUND"]);
  assert.equal([e.status, e.code], ["error", "INVALID_PARAMETERS"]);
  const list = await c.request({ action: "list_subscriptions" });
  assert.equal(list, {
    type: "subscriptions", status: "success", count: 2,
    subscriptions: [{ ...NIFTY, mode: "LTP" }, { ...BANKNIFTY, mode: "Depth" }].map((s) => ({ symbol: s.symbol, exchange: s.exchange, mode: s.mode })),
  });
  const info = await c.request({ action: "get_broker_info" });
  assert.equal(info, { type: "broker_info", status: "success", broker: "simulated", adapter_status: "connected", user_id: "tickwire" });
  const brokers = await c.request({ action: "get_supported_brokers" });
  assert.equal([brokers.type, brokers.status, brokers.count], ["supported_brokers", "success", brokers.brokers.length]);
  assert.ok(brokers.brokers.includes("flattrade") && brokers.brokers.includes("simulated"));
});

test("ticks: each client gets its own mode, complete; a Depth stream serves LTP and Quote subscribers; two modes give two messages", async () => {
  const ltp = await authed();
  const both = await authed();
  await ltp.request({ action: "subscribe", symbol: EQ1!.symbol, exchange: EQ1!.exchange, mode: 1 });
  await both.request({ action: "subscribe", symbol: EQ1!.symbol, exchange: EQ1!.exchange, mode: "Depth" });
  await both.request({ action: "subscribe", symbol: EQ1!.symbol, exchange: EQ1!.exchange, mode: "Quote" });
  await until(() => ltp.ticks().length >= 5 && both.ticks().filter((m) => m.mode === 2).length >= 5, "ticks of EQ1", 10_000);
  for (const m of ltp.ticks()) {
    assert.equal([m.symbol, m.exchange, m.mode, m.broker], [EQ1!.symbol, EQ1!.exchange, 1, "simulated"]);
    assert.equal(Object.keys(m.data), ["ltp", "timestamp"]);
  }
  const quote = both.ticks().filter((m) => m.mode === 2);
  const depth = both.ticks().filter((m) => m.mode === 3);
  assert.ok(depth.length >= 5);
  for (const m of quote) assert.equal(Object.keys(m.data), ["ltp", "timestamp", "volume", "open", "high", "low", "close", "average_price", "percent_change", "last_quantity", "last_trade_time", "oi"]);
  for (const m of depth) {
    assert.equal(m.data.depth.buy.length, 5);
    assert.equal(m.data.depth.sell.length, 5);
    assert.ok("total_buy_quantity" in m.data && "upper_circuit" in m.data);
  }
  // Every depth tick came with its quote twin (same ltp, same volume), in order.
  const pairs = both.ticks().filter((m) => m.mode >= 2);
  const firstDepth = pairs.findIndex((m) => m.mode === 3);
  const after = pairs.slice(firstDepth);
  for (let i = 0; i + 1 < after.length; i += 2) {
    if (after[i + 1]!.mode !== 2) break;
    assert.equal([after[i + 1]!.data.ltp, after[i + 1]!.data.volume], [after[i]!.data.ltp, after[i]!.data.volume]);
  }
});

test("a new subscription gets the symbol's last value at once, then only newer ticks (binary: seq checked)", async () => {
  await until(() => system.quote(NIFTY.exchange, NIFTY.symbol) !== undefined, "NIFTY to have a value", 10_000).catch(async () => {
    const warm = await authed();
    await warm.request({ action: "subscribe", ...NIFTY, mode: 1 });
    await until(() => system.quote(NIFTY.exchange, NIFTY.symbol) !== undefined, "NIFTY to have a value", 10_000);
  });
  const c = await authed();
  const fmt = await c.request({ action: "set_format", format: "binary" });
  assert.equal([fmt.status, fmt.format, fmt.record_version], ["success", "binary", L.FORMAT_VERSION]);
  const reply = await c.request({ action: "subscribe", symbols: [NIFTY], mode: "Quote" });
  const entry = reply.subscriptions[0];
  assert.is(typeof entry.id, "number");
  assert.is(typeof entry.decimals, "number");
  await until(() => c.binary.length >= 3, "binary frames", 10_000);
  let lastSeq = -1;
  let records = 0;
  for (const frame of c.binary) {
    const dv = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
    for (let p = 0; p < frame.length;) {
      const length = dv.getUint16(p + L.OFF_LENGTH, true);
      const kind = dv.getUint8(p + L.OFF_KIND);
      assert.equal([length, kind, dv.getUint8(p + L.OFF_VERSION)], [L.QUOTE_BYTES, 2, L.FORMAT_VERSION], "records cut to Quote");
      assert.is(dv.getUint32(p + L.OFF_SYMBOL_ID, true), entry.id);
      assert.is(dv.getUint8(p + L.OFF_PRICE_DECIMALS), entry.decimals);
      const seq = Number(dv.getBigUint64(p + L.OFF_SEQ, true));
      assert.ok(seq > lastSeq, `seq ${seq} after ${lastSeq}`);
      lastSeq = seq;
      const ltp = Number(dv.getBigInt64(p + L.OFF_LTP, true)) / 10 ** entry.decimals;
      assert.ok(ltp > 1000 && ltp < 100000, `NIFTY ltp ${ltp}`);
      records++;
      p += length;
    }
  }
  assert.ok(records >= 3);
});

test("the snapshot arrives right after the reply even when the symbol is quiet (JSON)", async () => {
  await until(() => system.quote(BANKNIFTY.exchange, BANKNIFTY.symbol) !== undefined, "BANKNIFTY to have a value", 10_000);
  const c = await authed();
  const from = c.messages.length;
  c.send({ action: "subscribe", ...BANKNIFTY, mode: 1 });
  await c.next((m) => m.type === "market_data", "the snapshot", 2000, from);
  const i = c.messages.findIndex((m, k) => k >= from && m.type === "subscribe");
  assert.is(c.messages[i + 1]!.type, "market_data");
  assert.is(c.messages[i + 1]!.symbol, BANKNIFTY.symbol);
});

test("unsubscribe: successful and failed lists; the ticks stop; unsubscribe_all", async () => {
  const c = await authed();
  await c.request({ action: "subscribe", symbols: [EQ2!, EQ3!], mode: 2 });
  const un = await c.request({ action: "unsubscribe", symbols: [EQ2!, { exchange: "NSE", symbol: "NO_SUCH" }], mode: 2, request_id: "u1" });
  assert.equal([un.type, un.status, un.message, un.request_id], ["unsubscribe", "partial", "Unsubscription processing complete", "u1"]);
  assert.equal(un.successful, [{ symbol: EQ2!.symbol, exchange: EQ2!.exchange, mode: "Quote" }]);
  assert.is(un.failed[0].code, "NOT_SUBSCRIBED");
  const notHeld = await c.request({ action: "unsubscribe", symbol: EQ2!.symbol, exchange: EQ2!.exchange });
  assert.equal([notHeld.status, notHeld.failed[0].code], ["error", "NOT_SUBSCRIBED"]);
  const all = await c.request({ action: "unsubscribe_all" });
  assert.equal([all.status, all.successful.length], ["success", 1]);
  await sleep(100);
  const before = c.ticks().length;
  await sleep(400);
  assert.is(c.ticks().length, before, "no ticks after unsubscribe_all");
  assert.is((await c.request({ action: "list_subscriptions" })).count, 0);
});

test("a client that leaves drops its upstream references; the feed stops streaming what nobody holds", async () => {
  const sim = system.feed as unknown as { modeOf(e: string, s: string): number };
  const pick = instruments(system, 40)[39]!;
  const c = await authed();
  await c.request({ action: "subscribe", ...pick, mode: 3 });
  assert.is(sim.modeOf(pick.exchange, pick.symbol), 3);
  c.close();
  await until(() => sim.modeOf(pick.exchange, pick.symbol) === 0, "the instrument to stop streaming", 5000);
});

test("stats and per-client counts are exact: delivered equals what the client received", async () => {
  const c = await authed();
  await c.request({ action: "subscribe", symbols: instruments(system, 12).slice(5), mode: 2 });
  await until(() => c.ticks().length >= 50, "ticks", 10_000);
  await c.request({ action: "unsubscribe_all" });
  await sleep(200);
  const mine = system.clients().find((s) => s.subscriptions === 0 && s.delivered === c.ticks().length);
  assert.ok(mine, `a client with delivered = ${c.ticks().length}: ${JSON.stringify(system.clients())}`);
  assert.equal([mine!.conflated, mine!.dropped, mine!.slow], [0, 0, false]);
});

test("the same symbol twice in a request, or at a second mode: one upstream reference each, one snapshot per new mode", async () => {
  const sim = system.feed as unknown as { modeOf(e: string, s: string): number };
  const pick = instruments(system, 60)[59]!;
  const c = await authed();
  const twice = await c.request({ action: "subscribe", symbols: [pick, pick], mode: 1 });
  assert.equal(twice.subscriptions.map((e: { status: string }) => e.status), ["success", "success"]);
  assert.is(sim.modeOf(pick.exchange, pick.symbol), 1);
  await c.request({ action: "subscribe", symbols: [pick], mode: 2 });
  assert.is((await c.request({ action: "list_subscriptions" })).count, 2);
  // One unsubscribe per mode ends the upstream subscription: no reference was left behind.
  await c.request({ action: "unsubscribe", symbols: [pick], mode: 1 });
  await c.request({ action: "unsubscribe", symbols: [pick], mode: 2 });
  await until(() => sim.modeOf(pick.exchange, pick.symbol) === 0, "the instrument to stop streaming", 5000);
});

test.run();
