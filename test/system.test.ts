// createSystem as an application embeds it: in-process subscriptions, ticks by callback and
// `for await`, last-value lookups, stats, and a stop that ends the iterators.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createSystem, type Tick } from "../src/node/index.js";
import { until } from "./helpers/feed-world.js";
import { throwsCode } from "./helpers/assertions.js";

test("in process: subscribe, onTick and for-await get typed ticks of the subscribed symbols; ltp/quote read the cache; stop ends iterators", async () => {
  const system = await createSystem({ feed: { broker: "simulated", instruments: 100, ticksPerSecond: 5000 }, processor: { workers: 1, maxSymbols: 1024 }, proxy: false });
  await system.start();
  try {
    assert.is(system.url, undefined, "no proxy");
    const results = await system.subscribe([{ exchange: "NSE_INDEX", symbol: "NIFTY" }, { exchange: "NSE", symbol: "NO_SUCH" }], 3);
    assert.equal(results.map((r) => r.ok), [true, false]);
    const seen: Tick[] = [];
    const off = system.onTick((t) => seen.push(t));
    await until(() => seen.length >= 20, "ticks by callback", 10_000);
    off();
    for (const t of seen) {
      assert.equal([t.exchange, t.symbol, t.mode], ["NSE_INDEX", "NIFTY", 3]);
      assert.is(typeof t.volume, "number");
      assert.is(t.depth!.buy.length, 5);
    }
    const n = seen.length;
    await new Promise((r) => setTimeout(r, 100));
    assert.is(seen.length, n, "no ticks after the listener was removed");
    const it = system.ticks();
    let got = 0;
    for await (const t of it) {
      assert.is(t.symbol, "NIFTY");
      if (++got === 5) break;
    }
    const q = system.quote("NSE_INDEX", "NIFTY")!;
    assert.ok(q.ltp > 0 && q.updates > 0 && typeof q.volume === "number");
    assert.is(system.ltp("NSE_INDEX", "NIFTY"), system.quote("NSE_INDEX", "NIFTY")!.ltp);
    assert.is(system.ltp("NSE", "NO_SUCH"), undefined);
    const s = system.stats();
    assert.ok(s.ticksIn > 0 && s.ticksOut > 0 && s.lapped === 0 && s.proxy === undefined);
    throwsCode(() => system.onTick(5 as unknown as () => void), "ARGUMENT");
    const waiting = system.ticks();
    const next = waiting.next();
    await system.stop();
    assert.equal(await Promise.race([next.then((r) => r.done === true || r.value !== undefined), new Promise((r) => setTimeout(() => r("hung"), 3000))]), true, "stop ends a waiting iterator");
    await assert.throws(() => system.subscribe([{ exchange: "NSE_INDEX", symbol: "NIFTY" }]));
  } finally {
    await system.stop();
  }
});

test("bad config is refused by name when the system starts, and nothing is left running", async () => {
  const system = await createSystem({ proxy: { port: 70000 } });
  try {
    await system.start();
    assert.unreachable("start must refuse port 70000");
  } catch (err) {
    assert.match((err as Error).message, /proxy\.port/);
  }
  await system.stop();
});

test.run();
