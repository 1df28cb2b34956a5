// `tickwire bench`: the repository's benchmark harness (bench/run.ts, run with tsx). The
// published package carries no bench/ (nor tsx): there it says a clone is needed.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const BENCH_HELP = `usage: tickwire bench [--quick] [flags of bench/run.ts]

Runs the repository's benchmark suites (node --import tsx bench/run.ts), one process each,
and regenerates the README's benchmark table. Flags are passed through:
  --quick    shorter runs (~3 minutes), results to bench/results/quick/
The full suites take ~10 minutes on 2 cores. Needs a clone of the repository with its
dev dependencies installed (npm install); the published package has no benchmarks.`;

/** The package's root: dist/cli/ (or src/cli/) is two folders down. */
const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** Runs `tickwire bench`; resolves with the harness's exit code. */
export async function bench(argv: readonly string[]): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
    process.stdout.write(`${BENCH_HELP}\n`);
    return 0;
  }
  if (!existsSync(`${ROOT}bench/run.ts`)) {
    process.stderr.write("tickwire bench: the benchmarks need a clone of tickwire's repository (an installed package has no bench/): clone it, run `npm install` there, then `node bin/tickwire.mjs bench` (or `npm run bench`)\n");
    return 1;
  }
  if (!existsSync(`${ROOT}node_modules/tsx`)) {
    process.stderr.write(`tickwire bench: the benchmarks run with tsx, a dev dependency: run \`npm install\` in ${ROOT} first\n`);
    return 1;
  }
  const child = spawn(process.execPath, ["--import", "tsx", "bench/run.ts", ...argv], { cwd: ROOT, stdio: "inherit" });
  // Ctrl+C reaches the child through the terminal; SIGTERM is passed on.
  const forward = (): void => void child.kill("SIGTERM");
  process.on("SIGTERM", forward);
  process.on("SIGINT", () => undefined);
  try {
    return await new Promise<number>((resolve, reject) => {
      child.once("error", reject);
      child.once("close", (code, signal) => resolve(code ?? (signal ? 128 + 15 : 1)));
    });
  } finally {
    process.off("SIGTERM", forward);
  }
}
