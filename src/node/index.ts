/**
 * tickwire's Node-only edge: worker threads. The main entry (`tickwire`) stays free
 * of `node:*` imports so that it runs in browsers, Bun and Deno.
 * @packageDocumentation
 */
export { startWorker } from "./start-worker.js";
export { startTickwireWorker, attachTickwire, type TickwireWorkerData } from "./tickwire-worker.js";
