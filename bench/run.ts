// Runs every benchmark suite, one after another (each in its own process, so they
// do not disturb each other), then regenerates the README's benchmark table.
//   node --import tsx bench/run.ts            the full suites (~15 minutes on 2 cores)
//   node --import tsx bench/run.ts --quick    shorter runs (~4 minutes), results to bench/results/quick/
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const quick = process.argv.includes("--quick");
const root = fileURLToPath(new URL("../", import.meta.url));
const suites: { file: string; args: string[]; env: Record<string, string> }[] = [
  { file: "bench/codec.ts", args: [], env: quick ? { CODEC_BENCH_ROUNDS: "2", CODEC_BENCH_TIME_MS: "40" } : {} },
  { file: "bench/ring.ts", args: quick ? ["--quick"] : [], env: {} },
  { file: "bench/partition.ts", args: quick ? ["--workers", "1"] : ["--workers", "1,2"], env: quick ? { PARTITION_BENCH_ROUNDS: "2" } : {} },
  { file: "bench/ingest.ts", args: quick ? ["--quick"] : [], env: {} },
  { file: "bench/e2e.ts", args: quick ? ["--quick"] : [], env: {} },
  { file: "bench/histogram.ts", args: [], env: {} },
  { file: "bench/monitor-cost.ts", args: quick ? ["--quick"] : [], env: {} },
];

for (const s of suites) {
  console.log(`\n━━ ${s.file} ${s.args.join(" ")}`);
  const out = quick ? { TICKWIRE_BENCH_OUT: `${root}bench/results/quick/` } : {};
  const run = spawnSync(process.execPath, ["--import", "tsx", s.file, ...s.args], { cwd: root, stdio: "inherit", env: { ...process.env, ...s.env, ...out } });
  if (run.status !== 0) {
    console.error(`${s.file} failed (exit ${run.status})`);
    process.exit(1);
  }
}
if (quick) {
  console.log("\nQuick run: results in bench/results/quick/. `npm run bench` runs the full suites and regenerates the README table.");
} else {
  spawnSync(process.execPath, ["--import", "tsx", "scripts/bench-table.ts"], { cwd: root, stdio: "inherit" });
}
