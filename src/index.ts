/**
 * tickwire: market-data plumbing for Node.js and other JavaScript runtimes.
 * The public API, re-exported explicitly.
 * @packageDocumentation
 */
export * as layout from "./format/layout.js";
export { TickwireError, type TickwireErrorCode } from "./errors.js";
export { EXCHANGE_NAMES, exchangeCode, exchangeName, type ExchangeName } from "./format/exchange.js";
export { RecordView, TickView, StageView, Kind, Side, recordBytes, scalePrice } from "./format/record.js";
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
