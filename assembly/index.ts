// The tickwire Wasm module's exports: its stable ABI (docs/WASM.md). Every
// export takes and returns numbers and pointers only and never allocates:
// regions of the imported shared memory are laid out by the host.

export { xxh64 } from "./hash";
export { symbolIntern, symbolFind, symbolKeyCheck } from "./symbols";
export { encodeBatch, decodeBatch } from "./codec";
export { renderJson } from "./json";

/** First byte past the module's static data: the host lays its regions out above it. */
export function staticEnd(): usize {
  return __heap_base;
}
export { ringClaim, ringCommit, ringRead, ringRelease, ringJoin, ringBacklog, ringUnblock } from "./ring";
export { partitionOfKey, partitionOfSymbol, partitionBatch } from "./partition";
export { lvcApply, lvcRead, lvcSnapshotIds, lvcSnapshotRange } from "./lvc";
export { routeScatter } from "./route";
export { norenParse } from "./noren";
export { fanoutGather } from "./fanout";
export { histRecord, histRecordBatch, histRecordLatencies, histRecordLatenciesOwned, histMerge, histReset, histValueAtQuantile } from "./histogram";
