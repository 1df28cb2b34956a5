// Every code example of README.md and docs/*.md is a file under examples/ that runs: each
// example runs as a child process (`node --import tsx examples/<name>.ts`, importing the package
// by its public names, which resolve to dist/ through the package's "exports") and must exit 0;
// the examples type-check; and every TypeScript/JavaScript block of the docs is marked with its
// file and shows it exactly (scripts/sync-examples.ts rewrites stale blocks).
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { codeBlocks, docFiles, syncMarkdown } from "../scripts/sync-examples.js";

const root = fileURLToPath(new URL("..", import.meta.url)).replace(/\/$/, "");
const examplesDir = join(root, "examples");
const RUN_TIMEOUT_MS = 60_000;
/** Worker entry points (`*-worker.ts`) are started by another example, not run on their own. */
const isWorker = (name: string): boolean => name.endsWith("-worker.ts");
const examples = readdirSync(examplesDir).filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts")).sort();

/** Runs `node --import tsx <file>` from the repository root; kills it after RUN_TIMEOUT_MS. */
function run(file: string): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; ms: number }> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    // uvu sets FORCE_COLOR; with the runner's NO_COLOR beside it Node warns on stderr. Plain output here.
    const { FORCE_COLOR: _forced, ...env } = process.env;
    const child = spawn(process.execPath, ["--import", "tsx", file], { cwd: root, stdio: ["ignore", "pipe", "pipe"], env: { ...env, NO_COLOR: "1" } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), RUN_TIMEOUT_MS);
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: Date.now() - started });
    });
  });
}

test("the package is built (the examples import it by name, which resolves to dist/: `npm test` builds it first)", () => {
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { exports: Record<string, string | { default: string }> };
  for (const subpath of [".", "./node"]) {
    const target = pkg.exports[subpath]!;
    const file = typeof target === "string" ? target : target.default;
    assert.ok(existsSync(join(root, file)), `${file} is missing: run \`npm run build\``);
  }
});

test("every ```ts/```js block of README.md and docs/*.md is marked with its example file and shows it exactly", () => {
  const problems: string[] = [];
  let marked = 0;
  for (const file of docFiles(root)) {
    const name = relative(root, file);
    const text = readFileSync(file, "utf8");
    const { problems: p, stale } = syncMarkdown(text, root);
    problems.push(...p.map((x) => `${name}: ${x}`), ...stale.map((x) => `${name}: ${x} differs from its file (npm run examples:sync)`));
    marked += codeBlocks(text).filter((b) => b.example !== undefined).length;
  }
  assert.equal(problems, []);
  assert.ok(marked >= 8, `found ${marked} marked blocks`);
});

test("every worker example is started by another example", () => {
  const texts = examples.filter((f) => !isWorker(f)).map((f) => readFileSync(join(examplesDir, f), "utf8"));
  for (const worker of examples.filter(isWorker)) {
    assert.ok(texts.some((t) => t.includes(`"./${worker}"`)), `examples/${worker} is started by no example`);
  }
});

test("the examples type-check against the package's declarations (strict, no DOM lib)", () => {
  const r = spawnSync(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "-p", "examples/tsconfig.json", "--pretty", "false"], { cwd: root, encoding: "utf8", timeout: 120_000 });
  assert.is(r.status, 0, `${r.stdout}${r.stderr}`);
});

for (const name of examples.filter((f) => !isWorker(f))) {
  test(`examples/${name} runs and exits 0`, async () => {
    const r = await run(join("examples", name));
    const output = `\n--- stdout\n${r.stdout}--- stderr\n${r.stderr}`;
    assert.ok(r.signal === null, `killed (${r.signal}) after ${r.ms} ms${output}`);
    assert.is(r.code, 0, `exit code ${r.code}${output}`);
    assert.ok(r.stdout.trim().length > 0, `printed nothing${output}`);
    assert.is(r.stderr.trim(), "", `wrote to stderr${output}`);
  });
}

test.run();
