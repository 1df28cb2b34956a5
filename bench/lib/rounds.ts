// The micro-benchmarks' method (../shared/NOTES.md): operations of tens of ns saturate tinybench's
// timer, so a sample times `repeat` passes of a task and hands tinybench the duration
// (`overriddenDuration`); the tasks run in several rounds, in a new shuffled order each, and a
// figure is the median over rounds of each round's median sample.
import { Bench } from "tinybench";

/** One timed operation: `op` does one pass; a sample repeats it `repeat` times. */
export interface RoundTask {
  readonly key: string;
  readonly op: () => void;
  readonly repeat: number;
}

export interface RoundsOptions {
  readonly rounds: number;
  /** tinybench's time per task per round, ms. */
  readonly taskTimeMs: number;
  /** [0, 1): the order of each round (the suite's seeded generator, so a run repeats). */
  readonly random: () => number;
  /** Units one pass of a task handles (records, values): figures are ns per unit. */
  readonly units: (key: string) => number;
  /** Run (untimed) before each task, e.g. a full GC. */
  readonly beforeEach?: () => void;
}

/** Runs the rounds; returns, per task key, each round's median ns per unit. */
export async function runRounds(tasks: readonly RoundTask[], o: RoundsOptions): Promise<Map<string, number[]>> {
  const perUnit = new Map<string, number[]>();
  const started = performance.now();
  for (let round = 0; round < o.rounds; round++) {
    const bench = new Bench({ time: o.taskTimeMs, iterations: 16, warmup: round === 0, warmupTime: 20, warmupIterations: 4 });
    const order = tasks.map((t) => [o.random(), t] as const).sort((a, b) => a[0] - b[0]).map(([, t]) => t);
    for (const t of order) {
      bench.add(t.key, () => {
        const t0 = performance.now();
        for (let i = 0; i < t.repeat; i++) t.op();
        const dt = performance.now() - t0;
        return { overriddenDuration: dt / t.repeat, overriddenIterationCost: dt };
      }, o.beforeEach ? { beforeAll: o.beforeEach } : {});
    }
    await bench.run();
    for (const task of bench.tasks) {
      const r = task.result;
      if (r.state !== "completed") throw new Error(`task ${task.name}: ${r.state}${"error" in r ? `: ${r.error}` : ""}`);
      const list = perUnit.get(task.name) ?? [];
      list.push((r.latency.p50 * 1e6) / o.units(task.name));
      perUnit.set(task.name, list);
    }
    process.stderr.write(`round ${round + 1}/${o.rounds} done (${((performance.now() - started) / 1000).toFixed(1)} s)\n`);
  }
  return perUnit;
}
