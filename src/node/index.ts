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
// The whole system and the WebSocket proxy (docs/PROXY.md, docs/PROTOCOL.md).
export {
  createSystem, TickwireSystem, DEFAULT_THRESHOLDS, type SystemConfig, type SystemStats, type Quote, type ConsumerConfig, type SystemMonitorConfig,
  type MonitorWebhook,
} from "../system/system.js";
export { resolveMonitorConfig } from "../system/monitor-config.js";
export { SystemSampler, type SamplerSources } from "../system/sampler.js";
// The monitor's HTTP routes (Prometheus /metrics via prom-client, /health, /stats, /dashboard): docs/MONITORING.md.
export { createMonitorRoutes, type MonitorSource, type MonitorRoutesOptions, type MonitorRouteHandler } from "../monitor/http.js";
export { createMonitorRegistry, type MonitorRegistryOptions } from "../monitor/prometheus.js";
export { ProxyServer, type ProxyContext, type ProxyUpstream, type ProxyStats } from "../proxy/server.js";
export { resolveProxyConfig, type ProxyConfig, type ResolvedProxyConfig } from "../proxy/config.js";
export type { BackpressureConfig, BackpressurePolicy } from "../proxy/backpressure.js";
export type { ClientStats } from "../proxy/stats.js";
export { hashApiKey } from "../proxy/auth.js";
export { FanoutPump, type PumpSink, type PumpStats } from "../fanout/pump.js";
export { FanoutGather, ClientFlags, type FanoutGatherOptions } from "../fanout/gather.js";
export type { Tick } from "../client/types.js";
