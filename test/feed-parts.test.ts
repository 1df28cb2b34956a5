// The small parts of the feed layer: request pacing, backoff, the serial sink, the
// registry and the health counters.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { RequestPacer, backoffDelay } from "../src/feed/noren/pacing.js";
import { serialSink } from "../src/feed/serial-sink.js";
import { createAdapter, registerBroker, supportedBrokers } from "../src/feed/registry.js";
import { FeedHealth, HealthField } from "../src/feed/health.js";
import { TickwireMemory } from "../src/memory/shared-memory.js";
import { TickwireError } from "../src/errors.js";
import type { BrokerAdapter } from "../src/feed/contract.js";
import { sleep } from "./helpers/feed-world.js";


const OPPOSITES = { t: "u", u: "t", d: "ud", ud: "d" };

test("pacer: coalesces into messages of at most perMessage keys, kinds in arrival order", async () => {
  const sent: [string, string[]][] = [];
  const pacer = new RequestPacer({ perMessage: 3, perSecond: 100, coalesceMs: 5, opposites: OPPOSITES }, (k, keys) => sent.push([k, keys]));
  for (let i = 0; i < 7; i++) pacer.add("t", `NSE|${i}`);
  pacer.add("ud", "NSE|0");
  pacer.add("t", "NSE|7");
  pacer.add("t", "NSE|3"); // a repeat is queued once
  assert.is(sent.length, 0, "nothing before the coalescing window ends");
  assert.is(pacer.pending, 9);
  await sleep(40);
  assert.equal(sent, [
    ["t", ["NSE|0", "NSE|1", "NSE|2"]], ["t", ["NSE|3", "NSE|4", "NSE|5"]], ["t", ["NSE|6", "NSE|7"]],
    ["ud", ["NSE|0"]],
  ]);
  assert.is(pacer.pending, 0);
  pacer.stop();
});

test("pacer: the last word on a key wins: an unsubscribe then a subscribe behind a pending subscribe is one subscribe", async () => {
  const sent: [string, string[]][] = [];
  const pacer = new RequestPacer({ perMessage: 50, perSecond: 100, coalesceMs: 5, opposites: OPPOSITES }, (k, keys) => sent.push([k, keys]));
  pacer.add("t", "NSE|1"); // another client's subscribe, pending
  pacer.add("u", "NSE|9"); // the last viewer of 9 leaves …
  pacer.add("t", "NSE|9"); // … and comes back within the window
  pacer.add("t", "NSE|5");
  pacer.add("u", "NSE|5"); // subscribed and left within the window
  await sleep(40);
  // Before: t[1, 9] then u[9] — the broker's stream of 9 was cut while the client held it.
  assert.equal(sent, [["t", ["NSE|1", "NSE|9"]], ["u", ["NSE|5"]]]);
  pacer.stop();
});

test("pacer: never more than perSecond messages in any second, nothing lost", async () => {
  let now = 0;
  const times: number[] = [];
  const keys: string[] = [];
  const pacer = new RequestPacer({ perMessage: 2, perSecond: 4, coalesceMs: 0 }, (_k, batch) => { times.push(now); keys.push(...batch); }, () => now);
  for (let i = 0; i < 20; i++) pacer.add("t", String(i));
  // Drive a fake clock; the pacer's timers still run on real time, so step both.
  for (let step = 0; step < 60 && keys.length < 20; step++) {
    await sleep(2);
    now += 100;
    await sleep(2);
  }
  // Timers armed with real delays up to 1 s: wait for them with the fake clock far ahead.
  const deadline = Date.now() + 5000;
  while (keys.length < 20 && Date.now() < deadline) { now += 1000; await sleep(20); }
  assert.equal(keys, Array.from({ length: 20 }, (_, i) => String(i)));
  for (let i = 4; i < times.length; i++) assert.ok(times[i]! - times[i - 4]! >= 1000, `message ${i} within a second of message ${i - 4}`);
  pacer.stop();
});

test("pacer: clear drops queued requests; stop ignores later ones", async () => {
  const sent: string[][] = [];
  const pacer = new RequestPacer({ perMessage: 50, perSecond: 10, coalesceMs: 5 }, (_k, k) => sent.push(k));
  pacer.add("t", "a");
  pacer.clear();
  pacer.add("t", "b");
  await sleep(30);
  assert.equal(sent, [["b"]]);
  pacer.stop();
  pacer.add("t", "c");
  await sleep(30);
  assert.equal(sent, [["b"]]);
});

test("backoff: doubles from initial, capped, jitter takes at most its share", () => {
  const o = { initialMs: 5000, maxMs: 60000, jitter: 0.5 };
  assert.equal([0, 1, 2, 3, 4, 10].map((a) => backoffDelay(a, o, () => 0)), [5000, 10000, 20000, 40000, 60000, 60000]);
  assert.is(backoffDelay(1, o, () => 1), 5000);
  assert.is(backoffDelay(1000, o, () => 0), 60000);
});

test("serialSink: overlapping calls run one at a time, in call order", async () => {
  const log: string[] = [];
  let running = 0;
  const sink = serialSink(async (src, bytes) => {
    running++;
    assert.is(running, 1, "two calls at once");
    log.push(`start ${src}`);
    await sleep(src === 1 ? 20 : 1);
    log.push(`end ${src}`);
    running--;
    if (src === 2) throw new TickwireError("TIMEOUT", "full");
    return bytes;
  });
  const results = await Promise.allSettled([sink(1, 10), sink(2, 20), sink(3, 30)]);
  assert.equal(log, ["start 1", "end 1", "start 2", "end 2", "start 3", "end 3"]);
  assert.equal(results.map((r) => r.status), ["fulfilled", "rejected", "fulfilled"]);
  assert.is((results[2] as PromiseFulfilledResult<number>).value, 30);
  assert.is(sink(4, 4) instanceof Promise, true);
  const direct = serialSink((_s, b) => b);
  assert.is(direct(0, 7), 7, "a synchronous sink is called straight through");
});

test("registry: creates by name, refuses unknown and duplicate names", () => {
  const made: unknown[] = [];
  const fake = { broker: "fake-one" } as unknown as BrokerAdapter;
  registerBroker("fake-one", (options, context) => { made.push(options, context); return fake; });
  assert.ok(supportedBrokers().includes("fake-one"));
  const ctx = { mem: {}, symbols: {}, sink: () => 0 } as never;
  assert.is(createAdapter({ broker: "fake-one", url: "x" }, ctx), fake);
  assert.equal(made[0], { url: "x" }, "options without the broker key");
  assert.throws(() => registerBroker("fake-one", () => fake), (e: unknown) => e instanceof TickwireError && e.code === "ARGUMENT");
  assert.throws(() => registerBroker("Bad Name", () => fake), (e: unknown) => e instanceof TickwireError && e.code === "ARGUMENT");
  assert.throws(() => createAdapter({ broker: "nope" }, ctx), (e: unknown) => e instanceof TickwireError && e.code === "BROKER" && /nope/.test(e.message));
  assert.throws(() => createAdapter({ broker: "toString" }, ctx), (e: unknown) => e instanceof TickwireError && e.code === "BROKER");
  assert.throws(() => createAdapter(null as never, ctx), (e: unknown) => e instanceof TickwireError && e.code === "ARGUMENT");
});

test("health: counters written by one side are read through attach", async () => {
  const mem = await TickwireMemory.create({ bytes: 1 << 20 });
  const h = FeedHealth.create(mem, 3);
  h.setState(1, "open");
  h.add(1, HealthField.MESSAGES, 5);
  h.add(1, HealthField.MESSAGES, 2);
  h.set(1, HealthField.LAST_MESSAGE_MS, 1234);
  const other = FeedHealth.attach(mem, h.handle());
  const r = other.read(1);
  assert.is(r.state, "open");
  assert.is(r.messages, 7);
  assert.is(r.lastMessageMs, 1234);
  assert.is(other.read(0).state, "idle");
  assert.throws(() => other.read(3), (e: unknown) => e instanceof TickwireError && e.code === "ARGUMENT");
  assert.throws(() => FeedHealth.attach(mem, { offset: h.offset, connections: 4 }), (e: unknown) => e instanceof TickwireError && e.code === "HANDLE");
  assert.throws(() => FeedHealth.create(mem, 0), (e: unknown) => e instanceof TickwireError && e.code === "ARGUMENT");
});

test.run();
