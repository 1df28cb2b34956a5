// The monitor's dashboard page in a real browser (Debian's headless Chromium, driven by
// playwright-core), served by the monitor's routes over the synthetic changing monitor: it goes
// live, draws, updates, shows alerts (test/helpers/dashboard-check.ts), saves a screenshot to
// test/artifacts/dashboard.png, and rides out a server restart under a path prefix.
import * as assert from "uvu/assert";
import { test } from "uvu";
import { createServer, type Server } from "node:http";
import { existsSync, mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { chromium, type Browser } from "playwright-core";
import { createMonitorRoutes, type MonitorRouteHandler } from "../src/monitor/http.js";
import { SyntheticMonitorSource } from "./helpers/sample-source.js";
import { checkDashboard } from "./helpers/dashboard-check.js";
import { timedTest } from "./helpers/timed.js";

const CHROMIUM = process.env.TICKWIRE_CHROMIUM ?? "/usr/bin/chromium";
const ARTIFACTS = fileURLToPath(new URL("./artifacts/", import.meta.url));

function listen(handler: MonitorRouteHandler, port = 0): Promise<Server> {
  const server = createServer((req, res) => {
    if (!handler(req, res)) res.writeHead(404).end();
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve(server));
  });
}

function close(server: Server | undefined): Promise<void> {
  if (server === undefined || !server.listening) return Promise.resolve();
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

function launch(): Promise<Browser> {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium) or set TICKWIRE_CHROMIUM`);
  return chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"], timeout: 20_000 });
}

timedTest("the dashboard goes live in Chromium: tiles update, charts draw, alerts show, no console error (screenshot in test/artifacts/)", 30_000, async () => {
  const source = new SyntheticMonitorSource({ backfill: 90 });
  source.alerts = [
    { name: "latencyP99", severity: "critical", message: "client p99 12.4 ms above 10 ms", value: 12.4, threshold: 10, since: Date.now() - 12_000 },
    { name: "dropRate", severity: "warning", message: "drop rate 1.8 % above 1 %", value: 0.018, threshold: 0.01, since: Date.now() - 40_000 },
  ];
  let server: Server | undefined;
  let browser: Browser | undefined;
  try {
    server = await listen(createMonitorRoutes(source));
    browser = await launch();
    const page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
    mkdirSync(ARTIFACTS, { recursive: true });
    const { port } = server.address() as { port: number };
    const report = await checkDashboard(page, `http://127.0.0.1:${port}/dashboard`, { expectAlert: "latencyP99", screenshot: `${ARTIFACTS}dashboard.png` });
    assert.ok(report.samplesBefore >= 90, `history loaded first: ${report.samplesBefore} samples`);
    assert.is(report.alerts.length, 2);
    assert.match(report.alerts[0]!, /^CRITICAL\s*latencyP99: client p99 12.4 ms above 10 ms/);
    assert.is(await page.locator("#alerts-list li.warning").count(), 1);
    assert.is(report.tiles.feed, "connected");
    assert.is(await page.locator("#threads tbody tr").count(), 3);
    assert.is(await page.locator("#consumers tbody tr").count(), 2);
    // The latency stage selector redraws with that stage's series.
    await page.selectOption("#latency-stage", "ring");
    assert.is(await page.evaluate(() => (document.getElementById("latency-stage") as HTMLSelectElement).value), "ring");
  } finally {
    await browser?.close();
    await close(server);
  }
});

timedTest("the dashboard under a prefix shows 'disconnected' while the server is down and goes live again after it restarts", 30_000, async () => {
  const source = new SyntheticMonitorSource({ intervalMs: 250, backfill: 8 });
  const handler = createMonitorRoutes(source, { prefix: "/ops" });
  let server: Server | undefined;
  let browser: Browser | undefined;
  try {
    server = await listen(handler);
    const { port } = server.address() as { port: number };
    browser = await launch();
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(`http://127.0.0.1:${port}/ops/dashboard/`);
    await page.waitForFunction(() => document.body.dataset.conn === "live" && Number(document.body.dataset.samples) >= 8, undefined, { timeout: 10_000 });

    await close(server);
    await page.waitForFunction(() => document.body.dataset.conn === "disconnected", undefined, { timeout: 10_000 });
    assert.match(await page.locator("#conn").innerText(), /disconnected/);
    const during = Number(await page.evaluate(() => document.body.dataset.samples));

    server = await listen(handler, port);
    await page.waitForFunction((n) => document.body.dataset.conn === "live" && Number(document.body.dataset.samples) > n + 2, during, { timeout: 10_000 });
    assert.equal(errors, [], "no page error across the outage");
  } finally {
    await browser?.close();
    await close(server);
  }
});

test.run();
