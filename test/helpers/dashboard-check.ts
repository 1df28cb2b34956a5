// What a working dashboard looks like from a browser: checks a page (playwright-core) loaded
// from {prefix}/dashboard, against the synthetic monitor or a real running system.
import * as assert from "uvu/assert";
import type { Page } from "playwright-core";

/** Options of {@link checkDashboard}. */
export interface DashboardCheckOptions {
  /** An alert (by name) that must show in the alerts panel; default: none checked. */
  readonly expectAlert?: string;
  /** Require the ticks/s tile to change between two reads `gapMs` apart (a steady simulated feed may not); default true. */
  readonly expectTicksChange?: boolean;
  /** ms between the two reads; default 2500. */
  readonly gapMs?: number;
  /** Where to save a full-page screenshot; default: none. */
  readonly screenshot?: string;
  /** Longest wait for the page to show data, ms; default 10000. */
  readonly timeoutMs?: number;
}

/** What the check saw. */
export interface DashboardReport {
  readonly samplesBefore: number;
  readonly samplesAfter: number;
  readonly ticksBefore: string;
  readonly ticksAfter: string;
  /** Each tile's shown value, by id. */
  readonly tiles: Record<string, string>;
  /** The alerts panel's lines. */
  readonly alerts: string[];
  /** Per canvas id: pixels that differ from the white background, and colored (series) pixels. */
  readonly canvases: Record<string, { readonly ink: number; readonly colored: number }>;
}

const CANVASES = ["chart-throughput", "chart-latency", "chart-rings", "chart-clients"];
const TILES = ["ticks", "p99", "clients", "feed", "dropped", "uptime"];

/**
 * Loads the dashboard at `url` in `page` and checks it works: no console error or page error,
 * it goes live and keeps counting samples (body[data-samples]), the ticks/s tile changes, every
 * chart has drawn (non-background pixels, and colored series on the time charts), and the alerts
 * panel shows `expectAlert`. Fails with uvu assertions; returns what it saw.
 */
export async function checkDashboard(page: Page, url: string, options: DashboardCheckOptions = {}): Promise<DashboardReport> {
  const { expectAlert, expectTicksChange = true, gapMs = 2500, screenshot, timeoutMs = 10_000 } = options;
  const errors: string[] = [];
  page.on("console", (m) => { if (m.type() === "error") errors.push(`console: ${m.text()}`); });
  page.on("pageerror", (e) => errors.push(`page error: ${e.message}`));

  const response = await page.goto(url, { waitUntil: "load" });
  assert.is(response?.status(), 200, `GET ${url}`);
  await page.waitForFunction(() => Number(document.body.dataset.samples) >= 2 && document.body.dataset.conn === "live", undefined, { timeout: timeoutMs });
  const read = () => page.evaluate(() => ({ samples: Number(document.body.dataset.samples), ticks: document.getElementById("tile-ticks")!.dataset.value ?? "" }));
  const before = await read();
  await page.waitForTimeout(gapMs);
  await page.waitForFunction((n) => Number(document.body.dataset.samples) > n, before.samples, { timeout: timeoutMs });
  const after = await read();
  assert.ok(after.samples > before.samples, `samples ${before.samples} → ${after.samples}`);
  assert.ok(before.ticks !== "" && Number.isFinite(Number(before.ticks)), `ticks/s tile holds a number: ${JSON.stringify(before.ticks)}`);
  if (expectTicksChange) assert.ok(after.ticks !== before.ticks, `ticks/s tile changed: ${before.ticks} → ${after.ticks}`);

  const seen = await page.evaluate(([canvasIds, tileIds]) => {
    const canvases: Record<string, { ink: number; colored: number }> = {};
    for (const id of canvasIds) {
      const c = document.getElementById(id) as HTMLCanvasElement;
      const data = c.getContext("2d")!.getImageData(0, 0, c.width, c.height).data;
      let ink = 0, colored = 0;
      for (let i = 0; i < data.length; i += 4) {
        const r = data[i]!, g = data[i + 1]!, b = data[i + 2]!;
        if (r < 250 || g < 250 || b < 250) ink++;
        // Axes, grid and text are grey; series and bars are saturated.
        if (Math.max(r, g, b) - Math.min(r, g, b) > 80) colored++;
      }
      canvases[id] = { ink, colored };
    }
    const tiles: Record<string, string> = {};
    for (const id of tileIds) tiles[id] = document.querySelector("#tile-" + id + " .value")!.textContent ?? "";
    const alerts = Array.from(document.querySelectorAll("#alerts-list li")).map((li) => li.textContent ?? "");
    return { canvases, tiles, alerts };
  }, [CANVASES, TILES] as const);
  for (const id of CANVASES) {
    assert.ok(seen.canvases[id]!.ink > 500, `${id} is blank (${seen.canvases[id]!.ink} pixels drawn)`);
    if (id !== "chart-rings") assert.ok(seen.canvases[id]!.colored > 50, `${id} has no series drawn (${seen.canvases[id]!.colored} colored pixels)`);
  }
  for (const id of TILES) assert.ok(seen.tiles[id] !== "—" && seen.tiles[id] !== "", `tile ${id} shows a value`);
  if (expectAlert !== undefined) {
    const shown = await page.locator(`#alerts-list li[data-alert="${expectAlert}"]`).count();
    assert.is(shown, 1, `alert ${expectAlert} in the panel: ${seen.alerts.join(" | ")}`);
  } else {
    assert.ok(seen.alerts.length > 0, "the alerts panel says something");
  }
  if (screenshot !== undefined) await page.screenshot({ path: screenshot, fullPage: true });
  assert.equal(errors, [], "console or page errors");
  return { samplesBefore: before.samples, samplesAfter: after.samples, ticksBefore: before.ticks, ticksAfter: after.ticks, ...seen };
}
