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
