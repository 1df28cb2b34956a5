// tickwire/client in a real browser (Debian's headless Chromium, driven by playwright-core): the
// published ES modules (dist/client) loaded by a page, against a live proxy, with the browser's
// own WebSocket — JSON and binary ticks decoded in the page. `.ci/run` installs chromium.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createServer, type Server } from "node:http";
import { existsSync, readFileSync } from "node:fs";
import { extname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { startSystem, KEY } from "./helpers/proxy-world.js";

const DIST = fileURLToPath(new URL("../dist/", import.meta.url));
const CHROMIUM = process.env.TICKWIRE_CHROMIUM ?? "/usr/bin/chromium";

const PAGE = `<!doctype html><meta charset="utf-8"><script type="module">
import { TickwireClient } from "/client/index.js";
const params = new URLSearchParams(location.search);
async function run(format) {
  const client = await TickwireClient.connect({ url: params.get("ws"), apiKey: params.get("key"), format });
  const entries = await client.subscribe([{ exchange: "NSE_INDEX", symbol: "NIFTY" }, { exchange: "NSE", symbol: "NO_SUCH" }], 3);
  const ticks = [];
  for await (const t of client.ticks()) { ticks.push(t); if (ticks.length === 5) break; }
  await client.close();
  return { entries: entries.map((e) => [e.symbol, e.ok]), ticks: ticks.map((t) => ({ s: t.symbol, m: t.mode, ltp: t.ltp, levels: t.depth?.buy.length })) };
}
try {
  window.result = { json: await run("json"), binary: await run("binary") };
} catch (e) {
  window.result = { error: String(e && e.stack || e) };
}
</script>`;

function serveDist(): Promise<Server> {
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    if (path === "/") return void res.writeHead(200, { "content-type": "text/html" }).end(PAGE);
    const file = normalize(join(DIST, path));
    if (!file.startsWith(DIST) || !existsSync(file)) return void res.writeHead(404).end();
    res.writeHead(200, { "content-type": extname(file) === ".js" ? "text/javascript" : "application/octet-stream" }).end(readFileSync(file));
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

test("tickwire/client runs in headless Chromium: connects, subscribes, and decodes JSON and binary ticks", async () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium), as .ci/run does`);
  assert.ok(existsSync(join(DIST, "client", "index.js")), "dist/ is not built: npm run build:ts");
  const system = await startSystem({ feed: { ticksPerSecond: 2000 } });
  const http = await serveDist();
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"], timeout: 30_000 });
  try {
    const page = await browser.newPage();
    const port = (http.address() as { port: number }).port;
    await page.goto(`http://127.0.0.1:${port}/?ws=${encodeURIComponent(system.url!)}&key=${KEY}`);
    await page.waitForFunction(() => (window as unknown as { result?: unknown }).result !== undefined, undefined, { timeout: 20_000 });
    const result = await page.evaluate(() => (window as unknown as { result: Record<string, any> }).result);
    assert.is(result.error, undefined, result.error);
    for (const format of ["json", "binary"]) {
      const r = result[format];
      assert.equal(r.entries, [["NIFTY", true], ["NO_SUCH", false]], format);
      assert.is(r.ticks.length, 5, format);
      for (const t of r.ticks) {
        assert.equal([t.s, t.m, t.levels], ["NIFTY", 3, 5], format);
        assert.ok(t.ltp > 1000, `${format}: NIFTY at ${t.ltp}`);
      }
    }
  } finally {
    await browser.close();
    http.close();
    await system.stop();
  }
});

test.run();
