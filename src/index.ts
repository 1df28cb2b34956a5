/**
 * tickwire: market-data plumbing for Node.js and other JavaScript runtimes.
 * The public API, re-exported explicitly.
 * @packageDocumentation
 */
export * as layout from "./format/layout.js";
export { TickwireError, type TickwireErrorCode } from "./errors.js";
export { EXCHANGE_NAMES, exchangeCode, exchangeName, type ExchangeName } from "./format/exchange.js";
export { RecordView, TickView, StageView, Kind, Side, recordBytes, scalePrice, type ExactField } from "./format/record.js";
export {
  type MarketDataMessage, type DepthLevel, type ClientJsonOptions,
  readMessage, writeMessage, toClientJson, fromClientJson, formatScaled,
} from "./format/message.js";
export { monotonicNs } from "./clock.js";
export { compileCore, instantiateCore, DEFAULT_WASM_URL, type WasmSource } from "./wasm/load.js";
export type { CoreExports } from "./wasm/exports.js";
export { TickwireMemory, type MemoryHandle, type TickwireMemoryOptions } from "./memory/shared-memory.js";
export { SymbolTable, type SymbolInfo } from "./memory/symbol-table.js";
export { BatchCodec } from "./codec/batch.js";
export { JsonRenderer, type JsonRendererOptions } from "./codec/json-renderer.js";
export { Ring, RingWriter, RingReader, ringBytes, type RingType, type RingSpec, type RingHandle, type RingStats } from "./rings/ring.js";
export { RingPool, type RingPoolHandle } from "./rings/pool.js";
export {
  SymbolPartitioner, type SymbolPartitionerOptions, type PartitionSpec, type PartitionInfo, type Rebalance, type SymbolMove,
} from "./partition/symbol-partitioner.js";
export { PartitionMap } from "./partition/partition-map.js";
export type { SlotMove } from "./partition/slot-assignment.js";
export { LastValueCache, type LastValueCacheOptions, type SnapshotResult } from "./cache/last-value-cache.js";
export type { SymbolBalanceOptions, BalanceReport } from "./partition/symbol-partitioner.js";
export type { DroppedPin } from "./partition/pin-table.js";
// Feeds: the adapter contract, symbol masters, the Noren parser (Wasm), subscriptions, the
// simulated exchange in process. Socket-bound parts (the Noren adapter, the simulated Noren
// server, the broker registry) are in `tickwire/node`.
export {
  Mode, type Instrument, type SubscriptionRequest, type SubscriptionResult, type SubscriptionErrorCode, type BrokerLimits,
  type ConnectionState, type FeedEvent, type TickSink, type AdapterContext, type BrokerAdapter, type InstrumentRow,
  type LinkMode, type LinkChange, type LinkResult, type UpstreamLink,
} from "./feed/contract.js";
export { SymbolMaster, openAlgoSymbol, scripKey, type RowError, type SymbolMasterOptions, type BrokerInstrumentFields } from "./feed/symbol-master.js";
export { ExchangeMap, NOREN_EXCHANGES, NOREN_EXCHANGE_TABLE, isIndexInstrument, type ExchangeMapping } from "./feed/exchanges.js";
export { FeedHealth, HealthField, CONNECTION_STATES, type ConnectionHealth, type FeedHealthHandle } from "./feed/health.js";
export { NorenTokenMap, type NorenSlotInfo } from "./feed/noren/token-map.js";
export {
  NorenParser, NOREN_MALFORMED_REASONS, NOREN_GUARDS, type NorenParserOptions, type NorenCounters, type NorenMalformedReason,
  type NorenGuard, type GuardPolicy,
} from "./feed/noren/parser.js";
export {
  SubscriptionManager, type SubscriptionConfig, type SubscriptionReport, type LinkReport, type Placement, type ClientId,
} from "./subscriptions/manager.js";
export { createUniverse, universeToCsv, UNIVERSE_CSV_HEADER, MAX_UNIVERSE, type SimInstrumentRow, type SimSegment, type UniverseOptions } from "./feed/sim/universe.js";
export { SimulatedAdapter, SIMULATED_LIMITS, type SimulatedAdapterOptions, type SimulatedFeedStats } from "./feed/sim/feed.js";
// In-process consumers of the fan-out (open them from a handle made by TickwireSystem.createConsumer).
export { Consumer, TickBatch, type ConsumerHandle, type ConsumerOptions, type ConsumerStats } from "./fanout/consumer.js";
export type { ConsumerPolicy } from "./fanout/consumer-table.js";
// Monitoring: shared-memory metrics, interval figures, alerts and their sinks (docs/MONITORING.md).
export { LatencyHistogram, type HistogramSnapshot, type HistogramOptions } from "./monitor/histogram.js";
export { MetricCounters, METRIC_COUNTER_NAMES, type MetricCounterName, type MetricCountersSnapshot } from "./monitor/counters.js";
export { SystemMetrics, type MetricsHandle } from "./monitor/metrics.js";
export { HistogramWindow, LATENCY_BOUNDS_SECONDS } from "./monitor/window.js";
export { ThreadGauges, LoopDelayProbe, StepProbe, type ThreadKind, type ThreadReading } from "./monitor/threads.js";
export type {
  MonitorSample, LatencySummary, LatencyTotals, LatencyStage, RingSample, ThreadSample, ConsumerSample, AlertSample,
} from "./monitor/sample.js";
export {
  PerformanceMonitor, systemClock, type PerformanceMonitorOptions, type MonitorClock, type MonitorEvents, type MonitorStats,
} from "./monitor/performance-monitor.js";
export {
  resolveThresholds, type PerformanceThresholds, type ThresholdLevels, type AlertSeverity, type RuleName, type ResolvedThresholds, type ResolvedLevels,
} from "./monitor/thresholds.js";
export { resolveAlertConfig, type AlertConfig, type ResolvedAlertConfig, type AlertEvent, type AlertEventType } from "./monitor/alerts.js";
export { logSink, emitterSink, formatAlertLine, type AlertSink, type AlertEvents } from "./monitor/sinks.js";
export { webhookSink, type WebhookSink, type WebhookSinkOptions, type WebhookCounters, type WebhookFetch } from "./monitor/webhook.js";
export { Emitter, type Listener } from "./monitor/emitter.js";
export { evaluateHealth, type HealthReport, type HealthCheck, type Readiness, type HealthOptions } from "./monitor/health.js";
