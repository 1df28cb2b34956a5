import "./webassembly.js"; // the WebAssembly types these declarations name, for projects without lib "dom"

/**
 * The exports of build/tickwire.wasm (assembly/index.ts): the module's ABI,
 * documented in docs/WASM.md. Pointers are byte offsets into the shared memory;
 * negative results are the ERR_* codes of src/format/layout.ts.
 */
export interface CoreExports {
  readonly memory: WebAssembly.Memory;
  /** First byte past the module's static data. */
  staticEnd(): number;
  /** XXH64 of `len` bytes at `ptr` (i64 crosses as a BigInt: not for hot paths). */
  xxh64(ptr: number, len: number, seed: bigint): bigint;
  symbolIntern(table: number, exchange: number, ptr: number, len: number, priceDecimals: number): number;
  symbolFind(table: number, exchange: number, ptr: number, len: number): number;
  symbolKeyCheck(exchange: number, ptr: number, len: number): number;
  encodeBatch(src: number, bytes: number, dst: number, status: number): number;
  decodeBatch(src: number, bytes: number, dst: number, status: number): number;
  renderJson(src: number, bytes: number, mode: number, table: number, broker: number, brokerLen: number,
    timestampMs: number, out: number, outCap: number, ends: number, maxRecords: number, status: number): number;
  ringClaim(ring: number, cursor: number, bytes: number): number;
  ringCommit(ring: number, cursor: number, bytes: number): number;
  ringRead(ring: number, cursor: number): number;
  ringRelease(ring: number, cursor: number, bytes: number): number;
  ringJoin(ring: number, cursor: number): void;
  ringBacklog(ring: number, cursor: number): number;
  ringUnblock(ring: number, cursor: number): number;
  routeScatter(src: number, bytes: number, dest: number, cursors: number): number;
  /** Parses the frames pushed into a Noren parser context (src/feed/noren/layout.ts); returns records written. */
  norenParse(ctx: number): number;
  /** Makes the proxy's frames of one batch for every subscribed client (src/fanout/layout.ts); returns clients touched. */
  fanoutGather(ctx: number): number;
  /** Records one value (f64, a non-negative integer, ns) into the histogram at `h` (src/monitor/layout.ts): 1, or 0 for a bad value. */
  histRecord(h: number, value: number): number;
  /** Records `n` f64 values at `values`: how many were recorded (n, or the index of the first bad value). */
  histRecordBatch(h: number, values: number, n: number): number;
  /** Records nowNs − recvTimeNs (0 when negative) for every tick record of a batch: ticks recorded, or a negative error code. */
  histRecordLatencies(h: number, src: number, bytes: number, nowNs: number): number;
  histRecordLatenciesOwned(h: number, src: number, bytes: number, nowNs: number): number;
  /** Adds the histogram at `src` into the one at `dst`. */
  histMerge(dst: number, src: number): void;
  /** Empties the histogram at `h`. */
  histReset(h: number): void;
  /** The value at quantile `q` (0..1), clamped to [min, max]; 0 when empty. */
  histValueAtQuantile(h: number, q: number): number;
}
