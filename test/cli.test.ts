// The `tickwire` command as users run it: real child processes of bin/tickwire.mjs (which
// runs the CLI compiled to dist/: `npm run build:ts` first; `npm test` builds), each with a
// time limit and killed in `finally`. Help, usage mistakes (exit 2, named), config errors
// naming their source, serve + tail end to end, the demo key, graceful SIGTERM, simulate.
import { timedTest } from "./helpers/timed.js";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const BIN = join(ROOT, "bin/tickwire.mjs");
const dir = mkdtempSync(join(tmpdir(), "tickwire-cli-"));
/** How the CLI says to run itself from `dir` (a clone: node and the bin's path from there). */
const HERE = `node ${relative(dir, BIN)}`;
test.after(() => rmSync(dir, { recursive: true, force: true }));

// The CLI under test is the compiled one: say so plainly when it is missing or older than its source.
function checkBuilt(): void {
  const sources = [
    ...readdirSync(join(ROOT, "src/cli")).filter((f) => f.endsWith(".ts")).map((f) => `cli/${f}`),
    "system/config-load.ts", "system/system.ts",
  ];
  for (const src of sources) {
    const out = join(ROOT, "dist", src.replace(/\.ts$/, ".js"));
    if (!existsSync(out)) throw new Error(`test/cli.test.ts runs the built CLI, and dist/${src.replace(/\.ts$/, ".js")} is missing: run \`npm run build:ts\` first`);
    if (statSync(out).mtimeMs < statSync(join(ROOT, "src", src)).mtimeMs) throw new Error(`dist/ is older than src/${src}: run \`npm run build:ts\` first`);
  }
}
checkBuilt();

/** The environment without the caller's TICKWIRE_* and broker settings, plus `extra`. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { NO_COLOR: "1" };
  for (const [k, v] of Object.entries(process.env)) if (!/^(TICKWIRE_|FLATTRADE_|SHOONYA_)/.test(k)) env[k] = v;
  return { ...env, ...extra };
}

interface Proc {
  readonly child: ChildProcess;
  stdout: string;
  stderr: string;
  /** Resolves with the exit code (128 + n for a signal). */
  readonly exited: Promise<number>;
  /** Resolves with the first match of `re` in stdout, or rejects after `ms`. */
  waitFor(re: RegExp, ms?: number): Promise<RegExpMatchArray>;
}

const running = new Set<ChildProcess>();

function start(args: string[], env: Record<string, string> = {}): Proc {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: dir, env: cleanEnv(env), stdio: ["ignore", "pipe", "pipe"] });
  running.add(child);
  const p: Proc = {
    child, stdout: "", stderr: "",
    exited: new Promise<number>((resolve) => {
      child.once("close", (code, signal) => {
        running.delete(child);
        resolve(code ?? 128 + (signal === "SIGKILL" ? 9 : 15));
      });
    }),
    waitFor(re, ms = 15_000) {
      return new Promise((resolve, reject) => {
        const check = (): boolean => {
          const m = p.stdout.match(re);
          if (!m) return false;
          cleanup();
          resolve(m);
          return true;
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`no ${re} within ${ms} ms; stdout: ${p.stdout}\nstderr: ${p.stderr}`));
        }, ms);
        const onData = (): void => void check();
        const onExit = (): void => {
          if (check()) return;
          cleanup();
          reject(new Error(`exited before ${re}; stdout: ${p.stdout}\nstderr: ${p.stderr}`));
        };
        const cleanup = (): void => {
          clearTimeout(timer);
          child.stdout!.off("data", onData);
          child.off("close", onExit);
        };
        child.stdout!.on("data", onData);
        child.once("close", onExit);
        check();
      });
    },
  };
  child.stdout!.on("data", (d) => (p.stdout += d));
  child.stderr!.on("data", (d) => (p.stderr += d));
  return p;
}

/** Runs the command to its end within `ms` (killed and failed after). */
async function run(args: string[], env: Record<string, string> = {}, ms = 15_000): Promise<{ code: number; stdout: string; stderr: string }> {
  const p = start(args, env);
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const code = await Promise.race([
      p.exited,
      new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`tickwire ${args.join(" ")} ran past ${ms} ms; stdout: ${p.stdout}\nstderr: ${p.stderr}`)), ms))),
    ]);
    return { code, stdout: p.stdout, stderr: p.stderr };
  } finally {
    clearTimeout(timer);
    p.child.kill("SIGKILL");
  }
}

/** A test whose child processes are all killed when it ends, and that fails after `ms`. */
function cliTest(name: string, ms: number, fn: () => Promise<void>): void {
  timedTest(name, ms, fn, () => { for (const child of running) child.kill("SIGKILL"); });
}

/** The header's lines up to the last ("try: …"), with the URL and its port. */
const SERVE_URL = /listening on (ws:\/\/127\.0\.0\.1:(\d+))\n[\s\S]*try: .*\n/;

cliTest("--help of the command and of each subcommand; version and layout still work", 30_000, async () => {
  const cases: [string[], RegExp][] = [
    [["--help"], /usage: tickwire <command>[\s\S]*serve[\s\S]*simulate[\s\S]*tail[\s\S]*bench/],
    [[], /usage: tickwire <command>/],
    [["serve", "--help"], /usage: tickwire serve[\s\S]*--port N[\s\S]*TICKWIRE_API_KEYS[\s\S]*tickwire-demo-key/],
    [["simulate", "--help"], /usage: tickwire simulate[\s\S]*--instruments N[\s\S]*--seed N/],
    [["tail", "-h"], /usage: tickwire tail[\s\S]*--symbols LIST[\s\S]*--count N/],
    [["bench", "--help"], /usage: tickwire bench/],
    [["help", "tail"], /usage: tickwire tail/],
    [["version"], /^\d+\.\d+\.\d+\n$/],
    [["layout"], /tickwire record format v\d+[\s\S]*\bltp\b/],
  ];
  const results = await Promise.all(cases.map(([args]) => run(args)));
  results.forEach((r, i) => {
    const [args, re] = cases[i]!;
    assert.is(r.code, 0, `tickwire ${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stdout, re, `tickwire ${args.join(" ")}`);
  });
});

cliTest("an unknown command, flag or value exits 2 naming it", 30_000, async () => {
  const [cmd, flag, top, mode, missing] = await Promise.all([
    run(["frobnicate"]), run(["serve", "--bogus-flag"]), run(["--bogus"]), run(["tail", "--mode", "sideways"]), run(["serve", "--port"]),
  ]);
  assert.is(cmd.code, 2);
  assert.match(cmd.stderr, /unknown command "frobnicate"/);
  assert.is(flag.code, 2);
  assert.match(flag.stderr, /tickwire serve: unknown flag --bogus-flag/);
  assert.is(top.code, 2);
  assert.match(top.stderr, /unknown flag --bogus/);
  assert.is(mode.code, 2);
  assert.match(mode.stderr, /--mode must be ltp, quote or depth, got "sideways"/);
  assert.is(missing.code, 2);
  assert.match(missing.stderr, /--port needs a value/);
});

cliTest("config mistakes name their source: the file's field, the variable, the flag; no key off loopback", 30_000, async () => {
  const path = join(dir, "bad.json");
  writeFileSync(path, JSON.stringify({ proxy: { port: "x" } }));
  const unknown = join(dir, "unknown.json");
  writeFileSync(unknown, JSON.stringify({ proxy: {}, proxies: {} }));
  const [file, env, flag, unk, open] = await Promise.all([
    run(["serve", "--config", path]),
    run(["serve"], { TICKWIRE_PORT: "eighty" }),
    run(["serve", "--workers", "0"]),
    run(["serve"], { TICKWIRE_CONFIG: unknown }),
    run(["serve", "--host", "0.0.0.0", "--port", "0"]),
  ]);
  assert.is(file.code, 2);
  assert.match(file.stderr, `${path}: proxy.port must be an integer from 0 to 65535, got "x"`);
  assert.is(env.code, 2);
  assert.match(env.stderr, /TICKWIRE_PORT: must be an integer from 0 to 65535, got "eighty"/);
  assert.is(flag.code, 2);
  assert.match(flag.stderr, /--workers: must be an integer/);
  assert.is(unk.code, 2);
  assert.match(unk.stderr, /unknown\.json: "proxies" is not a setting/);
  assert.is(open.code, 2);
  assert.match(open.stderr, /refusing to listen on 0\.0\.0\.0 without an API key/);
  assert.is(open.stdout, "", "nothing started");
});

cliTest("serve --port 0 with a key prints its URL (the real port); tail --count 20 gets ticks and exits 0", 60_000, async () => {
  const key = "test-key-12345";
  const server = start(["serve", "--port", "0", "--api-key", key, "--instruments", "200", "--tps", "2000", "--quiet"]);
  const [, url, port] = await server.waitFor(SERVE_URL);
  assert.ok(Number(port) > 0, "the port it got, not 0");
  assert.match(server.stdout, `try: ${HERE} tail --url ${url} --api-key <your key>`, "in a clone, the command that runs it from here");
  const [tail, wrong] = await Promise.all([
    run(["tail", "--url", url!, "--api-key", key, "--count", "20", "--timeout", "20"], {}, 30_000),
    run(["tail", "--url", url!, "--api-key", "not-the-key-000", "--count", "1", "--timeout", "20"], {}, 30_000),
  ]);
  assert.is(tail.code, 0, tail.stderr);
  const lines = tail.stdout.trim().split("\n");
  assert.is(lines.length, 20, "one line a tick, 20 of them");
  for (const line of lines) assert.match(line, /^\d\d:\d\d:\d\d\.\d{3} (NSE_INDEX:NIFTY|NSE_INDEX:BANKNIFTY|NSE:VAYINE) ltp=\d+(\.\d+)? chg=-?\d+(\.\d+)?% vol=\d+$/);
  assert.is(wrong.code, 1);
  assert.match(wrong.stderr, /Invalid API key/);
  assert.not.match(server.stdout + server.stderr + wrong.stderr, new RegExp(key), "keys are never printed");
  assert.not.match(server.stdout, /\| clients/, "--quiet: no status lines");
  server.child.kill("SIGTERM");
  assert.is(await server.exited, 0, server.stderr);
});

cliTest("serve with no key on loopback takes the demo key and says so; SIGTERM stops it gracefully (clients closed, exit 0)", 60_000, async () => {
  const server = start(["serve", "--port", "0", "--instruments", "200", "--tps", "1000"]);
  const [, url] = await server.waitFor(SERVE_URL);
  assert.match(server.stdout, /api key: tickwire-demo-key \(a demo key for local use only/);
  assert.match(server.stdout, `try: ${HERE} tail --url ${url} --api-key tickwire-demo-key`);
  // The dashboard's address, and it answers there.
  const [, dashboard] = await server.waitFor(/dashboard: (http:\/\/127\.0\.0\.1:\d+\/dashboard) \(metrics: /);
  assert.is(dashboard, `${url!.replace(/^ws/, "http")}/dashboard`);
  const page = await fetch(dashboard!);
  assert.is(page.status, 200);
  assert.match(await page.text(), /<canvas/);
  // tail with no key uses the demo key too.
  const tail = start(["tail", "--url", url!, "--symbols", "NSE_INDEX:NIFTY", "--mode", "ltp"]);
  await tail.waitFor(/NSE_INDEX:NIFTY ltp=/);
  await server.waitFor(/clients 1/, 5000); // the plain status line, once a second
  server.child.kill("SIGTERM");
  assert.is(await server.exited, 0, server.stderr);
  assert.match(server.stderr, /SIGTERM: stopping[\s\S]*stopped/);
  // The server closed its clients (1001 going away); tail starts reconnecting.
  const deadline = Date.now() + 5000;
  while (!/code 1001/.test(tail.stderr) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  assert.match(tail.stderr, /code 1001[\s\S]*reconnecting/);
  tail.child.kill("SIGINT");
  assert.is(await tail.exited, 0, tail.stderr);
});

cliTest("simulate prints its URL and the demo account; SIGTERM stops it", 30_000, async () => {
  const sim = start(["simulate", "--port", "0", "--instruments", "100", "--seed", "3", "--quiet", "--master-out", "sim.csv"]);
  await sim.waitFor(/listening on ws:\/\/127\.0\.0\.1:\d+\//);
  await sim.waitFor(new RegExp(`serve it: FLATTRADE_USER_ID=SIMDEMO FLATTRADE_SESSION_TOKEN=sim-session-token ${HERE.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")} serve --broker flattrade --feed-url ws://127\\.0\\.0\\.1:\\d+/ --master sim\\.csv`));
  assert.match(sim.stdout, /account: user id SIMDEMO, session token sim-session-token/);
  assert.ok(existsSync(join(dir, "sim.csv")));
  sim.child.kill("SIGTERM");
  assert.is(await sim.exited, 0, sim.stderr);
});

test.run();
