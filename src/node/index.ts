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
// Feeds over sockets. Importing this entry registers the shipped brokers (flattrade, shoonya, simulated).
import "../feed/brokers.js";
export { createAdapter, registerBroker, supportedBrokers, type AdapterFactory, type FeedConfig } from "../feed/registry.js";
export { NorenAdapter, NOREN_BROKERS, type NorenAdapterOptions, type CredentialSource } from "../feed/noren/adapter.js";
export type { NorenCredentials } from "../feed/noren/connection.js";
export {
  NorenSimServer, NOREN_SIM_DEMO_ACCOUNT, type NorenSimServerOptions, type NorenSimAccount, type NorenSimStats,
  type NorenSimConnectionStats, type NorenSimRequest, type NorenSimExpected, type NorenMalformedKind, type RotateTokenOptions,
} from "../feed/sim/noren-server.js";
