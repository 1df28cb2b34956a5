/**
 * tickwire's Node-only edge: worker threads. The main entry (`tickwire`) stays free
 * of `node:*` imports so that it runs in browsers, Bun and Deno.
 * @packageDocumentation
 */
export { startWorker } from "./start-worker.js";
export { startTickwireWorker, attachTickwire, type TickwireWorkerData } from "./tickwire-worker.js";
export { ParallelProcessor, type ProcessorEvent, type WorkerStats, type ResizeReport, type ProcessorOptions } from "../processor/processor.js";
export { resolveProcessorConfig, type ProcessorConfig, type ResolvedProcessorConfig } from "../processor/config.js";
export { Router } from "../processor/router.js";
