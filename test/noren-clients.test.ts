// Real Noren clients against the simulated Noren server: Shoonya's own JavaScript client
// (test/fixtures/shoonya-api-js, unchanged), run in a child process.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { NorenSimServer, NOREN_SIM_DEMO_ACCOUNT } from "../src/feed/sim/noren-server.js";

const runner = fileURLToPath(new URL("./fixtures/shoonya-api-js/run.cjs", import.meta.url));

interface ClientRun {
  opened: Record<string, string> | null;
  quotes: Record<string, string>[];
}

function runShoonyaClient(url: string, token: string, keys: string, want: number): Promise<ClientRun> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [runner, url, NOREN_SIM_DEMO_ACCOUNT.uid, token, keys, String(want)], { timeout: 20_000 }, (err, stdout) => {
      try {
        resolve(JSON.parse(stdout) as ClientRun);
      } catch {
        reject(err ?? new Error(`unreadable output: ${stdout.slice(0, 200)}`));
      }
    });
  });
}

test("Shoonya's own client logs in, subscribes touchline and depth, and gets snapshots then changed fields it can merge", async () => {
  const server = await NorenSimServer.start({ instruments: 100, ticksPerSecond: 3000, seed: 11 });
  try {
    const rows = server.universe.slice(0, 6);
    const keys = rows.map((r) => `${r.brokerExchange}|${r.token}`).join("#");
    const run = await runShoonyaClient(server.url, NOREN_SIM_DEMO_ACCOUNT.susertoken!, keys, 200);
    assert.is(run.opened?.t, "ck");
    assert.is(run.opened?.s, "OK");
    assert.is(run.quotes.length, 200);
    // A snapshot of each stream for every scrip, before any update of it.
    for (const [snap, update] of [["tk", "tf"], ["dk", "df"]] as const) {
      for (const r of rows) {
        const mine = run.quotes.filter((q) => q.e === r.brokerExchange && q.tk === r.token && (q.t === snap || q.t === update));
        assert.ok(mine.length > 0, `${snap} for ${r.brokerExchange}|${r.token}`);
        assert.is(mine[0]!.t, snap, "the snapshot comes first");
        assert.ok(mine.slice(1).every((q) => q.t === update), "then only updates");
        assert.is(mine[0]!.pp, String(r.priceDecimals));
        assert.ok(/^\d+(\.\d+)?$/.test(mine[0]!.lp!), `lp is a decimal string: ${mine[0]!.lp}`);
      }
    }
    // Every value is a string, as the real feed sends; updates carry only changed fields.
    for (const q of run.quotes) for (const v of Object.values(q)) assert.type(v, "string");
    const last = new Map<string, Record<string, string>>();
    for (const q of run.quotes) {
      const k = `${q.t![0]}|${q.e}|${q.tk}`;
      const prev = last.get(k) ?? {};
      if (q.t === "tf" || q.t === "df") {
        const changed = Object.keys(q).filter((f) => !["t", "e", "tk"].includes(f));
        assert.ok(changed.length > 0, "an update changes something");
        for (const f of changed) assert.is.not(q[f], prev[f], `${k}: ${f} resent unchanged`);
      }
      last.set(k, { ...prev, ...q });
    }
  } finally {
    await server.close();
  }
});

test("Shoonya's own client sees a refused login as ck NOT_OK (the server does not close it)", async () => {
  const server = await NorenSimServer.start({ instruments: 20, ticksPerSecond: 0 });
  try {
    const run = await runShoonyaClient(server.url, "not-the-token", "NSE|1", 1);
    assert.is(run.opened?.t, "ck");
    assert.is(run.opened?.s, "NOT_OK");
    assert.ok(typeof run.opened?.emsg === "string" && run.opened.emsg.length > 0);
    assert.not.ok(JSON.stringify(run.opened).includes("not-the-token"), "the reply does not echo the token");
  } finally {
    await server.close();
  }
});

test.run();
