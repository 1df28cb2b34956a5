// Runs the uvu suite and ends with the one line CI reads: "N passed, N failed, N skipped".
// Exits non-zero when a test failed, when no test ran, or when the suite overran its time.
import { spawn } from "node:child_process";

const TIME_LIMIT_MS = Number(process.env.TICKWIRE_TEST_TIMEOUT_MS ?? 8 * 60 * 1000);
// Only *.test.ts files are suites (test/workers/ holds worker entry points). An argument narrows the run: `ring` runs *ring*.test.ts.
const filter = process.argv[2] ?? "";
const args = ["--import", "tsx", "node_modules/uvu/bin.js", "test", `[^/]*${filter.replace(/[^\w-]/g, "")}[^/]*\\.test\\.ts$`];
const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, NO_COLOR: "1" } });
let output = "";
child.stdout.on("data", (chunk) => {
  output += chunk;
  process.stdout.write(chunk);
});
const timer = setTimeout(() => {
  console.error(`\ntest suite overran ${TIME_LIMIT_MS / 1000} s: killed`);
  child.kill("SIGKILL");
}, TIME_LIMIT_MS);

child.on("close", (code, signal) => {
  clearTimeout(timer);
  const count = (label) => Number(output.match(new RegExp(`^\\s*${label}:\\s+(\\d+)`, "m"))?.[1] ?? 0);
  const total = count("Total");
  const passed = count("Passed");
  const skipped = count("Skipped");
  const failed = Math.max(total - passed - skipped, code === 0 && !signal ? 0 : 1);
  console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
  process.exit(failed > 0 || total === 0 || code !== 0 ? 1 : 0);
});
