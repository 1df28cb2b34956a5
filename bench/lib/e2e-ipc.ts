// How bench/e2e.ts talks to its child processes (the server under test and the load clients):
// one JSON object a line. The child's first stdin line is its config; each later line is a
// command, answered by one stdout line, in order. Children log to stderr only. Every child
// exits when its stdin closes (the parent went away) and after a hard time limit, so none
// outlives the benchmark.
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

/** A child's longest life, ms: a full run takes ~5 minutes. */
const MAX_LIFE_MS = 15 * 60_000;

// ─── child side ────────────────────────────────────────────────────────────────────────────

/**
 * Reads the config line, then answers commands with `handle` one at a time. `close` runs when
 * stdin ends or on {"cmd":"exit"}; the process exits after it.
 */
export function serveCommands<C>(
  start: (config: C) => Promise<void>,
  handle: (cmd: Record<string, unknown>) => Promise<unknown> | unknown,
  close: () => Promise<void>,
): void {
  setTimeout(() => {
    process.stderr.write("e2e child: time limit reached, exiting\n");
    process.exit(3);
  }, MAX_LIFE_MS).unref();
  let buffered = "";
  let chain: Promise<void> | undefined;
  let ending = false;
  const end = (): void => {
    if (ending) return;
    ending = true;
    void (chain ?? Promise.resolve()).then(() => Promise.race([close(), new Promise((r) => setTimeout(r, 5000))])).finally(() => process.exit(0));
  };
  process.stdin.setEncoding("utf8");
  process.stdin.on("data", (d: string) => {
    buffered += d;
    for (let nl = buffered.indexOf("\n"); nl >= 0; nl = buffered.indexOf("\n")) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      if (chain === undefined) {
        chain = start(JSON.parse(line) as C).catch((err: Error) => {
          process.stderr.write(`e2e child: start failed: ${err.stack ?? err.message}\n`);
          process.exit(1);
        });
        continue;
      }
      const cmd = JSON.parse(line) as Record<string, unknown>;
      if (cmd.cmd === "exit") {
        end();
        continue;
      }
      chain = chain.then(async () => {
        let reply: unknown;
        try {
          reply = await handle(cmd);
        } catch (err) {
          reply = { error: (err as Error).message };
        }
        process.stdout.write(`${JSON.stringify(reply ?? {})}\n`);
      });
    }
  });
  process.stdin.on("end", end);
}

/** Writes one reply line unprompted (the "ready" line after start). */
export function announce(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

// ─── parent side ───────────────────────────────────────────────────────────────────────────

/** A child process of the benchmark. */
export interface Child {
  /** Its first line (the "ready" announcement). */
  readonly ready: Promise<Record<string, unknown>>;
  /** Sends a command; resolves to its answer (rejects after timeoutMs or if the child died). */
  ask(cmd: Record<string, unknown>, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Asks it to exit, then kills it after `graceMs`; resolves once it is gone. */
  stop(graceMs?: number): Promise<void>;
  readonly process: ChildProcess;
}

const children = new Set<ChildProcess>();
// Whatever happens to the parent, no child stays behind.
process.on("exit", () => {
  for (const c of children) c.kill("SIGKILL");
});

/** Kills every child still running (SIGKILL). */
export function killAll(): void {
  for (const c of children) c.kill("SIGKILL");
}

/**
 * Nothing may hang: the whole run gets `minutes`, then (or on SIGINT/SIGTERM) every child is
 * killed and the process exits non-zero. Returns what lifts the limit once the run is done.
 */
export function limitRun(name: string, minutes: number): () => void {
  const deadline = setTimeout(() => {
    console.error(`${name}: time limit reached; killing the children`);
    killAll();
    process.exit(1);
  }, minutes * 60_000);
  deadline.unref();
  for (const sig of ["SIGINT", "SIGTERM"] as const) process.on(sig, () => { killAll(); process.exit(130); });
  return () => clearTimeout(deadline);
}

/** Starts `bench/workers/<script>` under tsx with `config` as its first line. */
export function spawnChild(script: string, config: unknown, args: string[] = [], startTimeoutMs = 60_000): Child {
  const file = fileURLToPath(new URL(`../workers/${script}`, import.meta.url));
  const child = spawn(process.execPath, [...args, "--import", "tsx", file], { stdio: ["pipe", "pipe", "inherit"] });
  children.add(child);
  const waiting: { resolve: (v: Record<string, unknown>) => void; reject: (e: Error) => void }[] = [];
  let buffered = "";
  let dead: Error | undefined;
  const exited = new Promise<void>((resolve) => child.on("exit", (code, signal) => {
    children.delete(child);
    dead = new Error(`${script} exited (${signal ?? code})`);
    for (const w of waiting.splice(0)) w.reject(dead);
    resolve();
  }));
  child.stdout!.setEncoding("utf8");
  child.stdout!.on("data", (d: string) => {
    buffered += d;
    for (let nl = buffered.indexOf("\n"); nl >= 0; nl = buffered.indexOf("\n")) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      const w = waiting.shift();
      try {
        w?.resolve(JSON.parse(line) as Record<string, unknown>);
      } catch {
        w?.reject(new Error(`${script}: not a JSON line: ${line.slice(0, 200)}`));
      }
    }
  });
  child.stdin!.on("error", () => undefined);
  const next = (timeoutMs: number, what: string): Promise<Record<string, unknown>> => new Promise((resolve, reject) => {
    if (dead) return reject(dead);
    const timer = setTimeout(() => reject(new Error(`${script}: no answer to ${what} within ${timeoutMs} ms`)), timeoutMs);
    waiting.push({
      resolve: (v) => { clearTimeout(timer); resolve(v); },
      reject: (e) => { clearTimeout(timer); reject(e); },
    });
  });
  child.stdin!.write(`${JSON.stringify(config)}\n`);
  const ready = next(startTimeoutMs, "start");
  ready.catch(() => undefined);
  return {
    process: child,
    ready,
    ask: (cmd, timeoutMs = 30_000) => {
      const answer = next(timeoutMs, String(cmd.cmd));
      child.stdin!.write(`${JSON.stringify(cmd)}\n`);
      return answer;
    },
    stop: async (graceMs = 5000) => {
      if (dead) return;
      child.stdin!.end(`${JSON.stringify({ cmd: "exit" })}\n`);
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}
