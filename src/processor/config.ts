import { TickwireError } from "../errors.js";
import { Kind } from "../format/record.js";

/** Configuration of a {@link ParallelProcessor} (the seed's ProcessorConfig). Every field but `workers` has a default. */
export interface ProcessorConfig {
  /** Worker threads to start with, 1..maxWorkers. */
  workers: number;
  /** Most workers `resize` may reach; rings for all of them are laid out up front. Default max(workers, 8). */
  maxWorkers?: number;
  /** Symbols the symbol table and last-value cache hold. Default 65536. */
  maxSymbols?: number;
  /** Largest kind the last-value cache keeps (Kind.DEPTH: everything). Default Kind.DEPTH. */
  cacheMaxKind?: Kind;
  /** Bytes of each worker's ingest ring (MPSC, a power of two, 4 KiB to 2 MiB). Default 1 MiB. */
  ingestRingBytes?: number;
  /** Bytes of each worker's fan-out ring (broadcast, a power of two, ≥ 4 × ingestRingBytes). Default 8 MiB. */
  fanoutRingBytes?: number;
  /** Most tick records one `route` call takes. Default 4096. */
  maxBatchRecords?: number;
  /** How long `route` waits for room in a full ingest ring before it throws TIMEOUT, ms. Default 5000. */
  claimTimeoutMs?: number;
  /** Restarts of one worker allowed within `restartWindowMs` before it is declared failed. Default 5. */
  maxRestarts?: number;
  /** Window for `maxRestarts`, ms. Default 60000. */
  restartWindowMs?: number;
  /** How long `resize` and `close` wait for workers to drain or stop, ms. Default 10000. */
  drainTimeoutMs?: number;
  /**
   * How long a worker lets an uncommitted claim block its ingest ring before it gives the
   * claim up (its router thread died mid-batch), ms. Default 10000.
   */
  unblockAfterMs?: number;
  /**
   * Bytes of the shared memory kept for the feeds that write into it (a Noren adapter's token
   * map, 448 bytes an instrument it may subscribe, and per connection its parser's buffers,
   * about 360 KiB by default; docs/FEED.md). Default 16 MiB.
   */
  feedBytes?: number;
  /** Slots for in-process consumers of the fan-out (`TickwireSystem.createConsumer`), 0 to 256. Default 8. */
  consumerSlots?: number;
  /** Bytes of each consumer's queue (records waiting for its handler), 64 KiB to 256 MiB. Default 1 MiB. */
  consumerQueueBytes?: number;
  /** Keep metrics (counters, latency histograms, thread gauges) in shared memory. Default true. */
  metrics?: boolean;
}

/** A config with every default filled in. */
export type ResolvedProcessorConfig = Required<ProcessorConfig>;

const MIB = 1 << 20;

/** Fills in defaults and validates; throws a TickwireError naming the field at fault. */
export function resolveProcessorConfig(config: ProcessorConfig): ResolvedProcessorConfig {
  if (typeof config !== "object" || config === null) throw new TickwireError("ARGUMENT", "ProcessorConfig: expected an object");
  const c: ResolvedProcessorConfig = {
    workers: config.workers,
    maxWorkers: config.maxWorkers ?? Math.max(config.workers, 8),
    maxSymbols: config.maxSymbols ?? 65536,
    cacheMaxKind: config.cacheMaxKind ?? Kind.DEPTH,
    ingestRingBytes: config.ingestRingBytes ?? MIB,
    fanoutRingBytes: config.fanoutRingBytes ?? 8 * MIB,
    maxBatchRecords: config.maxBatchRecords ?? 4096,
    claimTimeoutMs: config.claimTimeoutMs ?? 5000,
    maxRestarts: config.maxRestarts ?? 5,
    restartWindowMs: config.restartWindowMs ?? 60_000,
    drainTimeoutMs: config.drainTimeoutMs ?? 10_000,
    unblockAfterMs: config.unblockAfterMs ?? 10_000,
    feedBytes: config.feedBytes ?? 16 * MIB,
    consumerSlots: config.consumerSlots ?? 8,
    consumerQueueBytes: config.consumerQueueBytes ?? MIB,
    metrics: config.metrics ?? true,
  };
  int("maxWorkers", c.maxWorkers, 1, 256);
  int("workers", c.workers, 1, c.maxWorkers);
  int("maxSymbols", c.maxSymbols, 1, 1 << 24);
  if (c.cacheMaxKind !== Kind.LTP && c.cacheMaxKind !== Kind.QUOTE && c.cacheMaxKind !== Kind.DEPTH) {
    throw new TickwireError("ARGUMENT", `ProcessorConfig.cacheMaxKind must be 1, 2 or 3, got ${c.cacheMaxKind}`);
  }
  pow2("ingestRingBytes", c.ingestRingBytes);
  pow2("fanoutRingBytes", c.fanoutRingBytes);
  if (c.ingestRingBytes > 2 * MIB) {
    throw new TickwireError("ARGUMENT", `ProcessorConfig.ingestRingBytes must be at most 2 MiB (a worker publishes what it reads from its ingest ring as one fan-out claim, and claims stop at 4 MiB), got ${c.ingestRingBytes}`);
  }
  if (c.fanoutRingBytes < 4 * c.ingestRingBytes) {
    throw new TickwireError("ARGUMENT", `ProcessorConfig.fanoutRingBytes (${c.fanoutRingBytes}) must be at least 4 × ingestRingBytes (${c.ingestRingBytes}), so any ingest batch fits one fan-out claim`);
  }
  int("maxBatchRecords", c.maxBatchRecords, 1, 1 << 16);
  int("claimTimeoutMs", c.claimTimeoutMs, 0, 3_600_000);
  int("maxRestarts", c.maxRestarts, 0, 1000);
  int("restartWindowMs", c.restartWindowMs, 1, 86_400_000);
  int("drainTimeoutMs", c.drainTimeoutMs, 1, 3_600_000);
  int("feedBytes", c.feedBytes, 0, 1 << 30);
  int("unblockAfterMs", c.unblockAfterMs, 1, 3_600_000);
  int("consumerSlots", c.consumerSlots, 0, 256);
  int("consumerQueueBytes", c.consumerQueueBytes, 64 * 1024, 1 << 28);
  if (typeof c.metrics !== "boolean") throw new TickwireError("ARGUMENT", `ProcessorConfig.metrics must be true or false, got ${String(c.metrics)}`);
  return c;
}

function int(name: string, v: unknown, min: number, max: number): void {
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
    throw new TickwireError("ARGUMENT", `ProcessorConfig.${name} must be an integer from ${min} to ${max}, got ${String(v)}`);
  }
}

function pow2(name: string, v: number): void {
  if (!Number.isInteger(v) || v < 4096 || v > 1 << 30 || (v & (v - 1)) !== 0) {
    throw new TickwireError("ARGUMENT", `ProcessorConfig.${name} must be a power of two from 4096 to 2^30, got ${v}`);
  }
}
