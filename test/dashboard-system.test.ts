// The dashboard of a real running system in headless Chromium: `createSystem` with the simulated
// feed, the proxy serving /dashboard on its own port, ticks flowing to a WebSocket client and to an
// in-process consumer — the page goes live, its charts draw and its numbers move. The screenshot
// (test/artifacts/dashboard-system.png) is the one in docs/MONITORING.md.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { existsSync, mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { chromium, type Browser } from "playwright-core";
import { startSystem, instruments, RawClient } from "./helpers/proxy-world.js";
import { checkDashboard } from "./helpers/dashboard-check.js";
import { timedTest } from "./helpers/timed.js";
import { until } from "./helpers/feed-world.js";

const CHROMIUM = process.env.TICKWIRE_CHROMIUM ?? "/usr/bin/chromium";
const ARTIFACTS = fileURLToPath(new URL("./artifacts/", import.meta.url));

timedTest("a running system's dashboard in Chromium: live throughput, latency, rings, clients, threads and a consumer, numbers changing while ticks flow", 45_000, async () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: install Debian's chromium or set TICKWIRE_CHROMIUM`);
  // A ticking rate that changes: the simulated market's activity varies by symbol and over time.
  const system = await startSystem({ feed: { instruments: 400, ticksPerSecond: 20_000 }, processor: { workers: 2 }, monitor: { intervalMs: 250 } });
  let browser: Browser | undefined;
  let client: RawClient | undefined;
  try {
    client = await RawClient.auth(system.url!);
    await client.request({ action: "subscribe", symbols: instruments(system, 200), mode: 2 });
    const consumer = await system.openConsumer({ instruments: instruments(system, 50), policy: "conflate", name: "strategy" });
    const reading = (async () => { for await (const batch of consumer) void batch; })();
    await until(() => (system.sample()?.counters.ticksOut ?? 0) > 0, "ticks flowing", 10_000);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"], timeout: 20_000 });
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    mkdirSync(ARTIFACTS, { recursive: true });
    const report = await checkDashboard(page, `http://127.0.0.1:${system.port}/dashboard`, { screenshot: `${ARTIFACTS}dashboard-system.png`, gapMs: 2000 });
    assert.ok(Number(report.tiles.clients) >= 1 || /1/.test(report.tiles.clients ?? ""), `clients tile shows the client: ${report.tiles.clients}`);
    const text = await page.evaluate(() => document.body.innerText);
    assert.match(text, /partition-0/, "the threads table lists the partition workers");
    assert.match(text, /strategy/, "the consumers table lists the consumer");
    consumer.close();
    await reading;
  } finally {
    await browser?.close();
    client?.ws.terminate();
    await system.stop();
  }
});

test.run();
