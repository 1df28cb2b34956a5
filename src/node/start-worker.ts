import { Worker, type WorkerOptions } from "node:worker_threads";

/**
 * Starts a worker thread running the module at `script`. Published code runs `.js`
 * files; under tsx (tests, development) a `.ts` entry is started through a tiny
 * bootstrap that registers tsx first, because Node 20 refuses `.ts` worker files.
 */
export function startWorker(script: URL, options: WorkerOptions = {}): Worker {
  if (!script.pathname.endsWith(".ts")) return new Worker(script, options);
  const bootstrap = `import("tsx/esm/api").then((tsx) => { tsx.register(); return import(${JSON.stringify(script.href)}); })`;
  return new Worker(bootstrap, { ...options, eval: true });
}
