import type { Worker } from "node:worker_threads";

/** The first message of `worker`, or a rejection on error, early exit or timeout (the worker is then terminated). */
export function firstMessage<T = any>(worker: Worker, timeoutMs: number, what = "worker"): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { void worker.terminate(); reject(new Error(`${what} timed out after ${timeoutMs} ms`)); }, timeoutMs);
    worker.once("message", (m) => { clearTimeout(timer); resolve(m); });
    worker.once("error", (e) => { clearTimeout(timer); reject(e); });
    worker.once("exit", (code) => { clearTimeout(timer); reject(new Error(`${what} exited with code ${code} before answering`)); });
  });
}

/** Workers a test started: terminate them all in `finally`, whatever happened. */
export class WorkerGroup {
  private readonly workers: Worker[] = [];
  add(worker: Worker): Worker {
    this.workers.push(worker);
    return worker;
  }
  async terminate(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

/** Resolves once the i32 at byte offset `at` of `i32` reaches `n`; rejects after `timeoutMs` (workers still starting, say). */
export async function untilCount(i32: Int32Array, at: number, n: number, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Atomics.load(i32, at >>> 2) < n) {
    if (Date.now() > deadline) throw new Error(`${what}: waited ${timeoutMs} ms for ${n}, have ${Atomics.load(i32, at >>> 2)}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
