// The system's metrics in shared memory, laid out once by the processor and attached by any
// thread: named counters, one latency histogram a stage (receive → ingest ring, → consumer,
// → client socket) and the thread gauges. Plain offsets travel to workers in a handle. The
// client stage is recorded only by the thread that made them (the processor's, where the pump
// runs), so it takes plain adds; the ring stage (partition workers) and the consumer stage
// (consumers), by many threads, atomic ones.
import { TickwireMemory } from "../memory/shared-memory.js";
import { MetricCounters, METRIC_COUNTER_NAMES } from "./counters.js";
import { LatencyHistogram } from "./histogram.js";
import { ThreadGauges } from "./threads.js";
import { HIST_BYTES, COUNTERS_HEADER_BYTES } from "./layout.js";
import { LATENCY_STAGES, type LatencyStage } from "./sample.js";
import { checkInstance, checkInt, checkObject } from "../validate.js";

/** Where a {@link SystemMetrics}' parts are: plain data, postMessage-able. */
export interface MetricsHandle {
  readonly counters: number;
  readonly latency: { readonly [S in LatencyStage]: number };
  readonly threads: number;
}

export { LATENCY_STAGES };

export class SystemMetrics {
  private constructor(
    readonly counters: MetricCounters,
    readonly latency: { readonly [S in LatencyStage]: LatencyHistogram },
    readonly threads: ThreadGauges,
  ) {}

  /** Bytes the metrics take with `threadSlots` thread gauges (alignment included). */
  static bytesFor(threadSlots: number): number {
    checkInt(threadSlots, 1, 4096, "SystemMetrics.bytesFor: threadSlots");
    return COUNTERS_HEADER_BYTES + METRIC_COUNTER_NAMES.length * 8 + 64 + LATENCY_STAGES.length * (HIST_BYTES + 64) + ThreadGauges.bytesFor(threadSlots) + 64;
  }

  static create(mem: TickwireMemory, threadSlots: number): SystemMetrics {
    checkInstance(mem, TickwireMemory, "SystemMetrics.create: mem");
    const threads = ThreadGauges.create(mem, threadSlots);
    // The client stage is recorded by this thread alone (the pump): plain adds. The partition workers
    // record the ring stage and the consumers theirs: atomic adds.
    return new SystemMetrics(MetricCounters.create(mem), {
      ring: LatencyHistogram.create(mem), consumer: LatencyHistogram.create(mem), client: LatencyHistogram.create(mem, { singleWriter: true }),
    }, threads);
  }

  static attach(mem: TickwireMemory, handle: MetricsHandle): SystemMetrics {
    checkInstance(mem, TickwireMemory, "SystemMetrics.attach: mem");
    checkObject(handle, "SystemMetrics.attach: handle");
    checkObject(handle.latency, "SystemMetrics.attach: handle.latency");
    return new SystemMetrics(MetricCounters.attach(mem, handle.counters), {
      ring: LatencyHistogram.attach(mem, handle.latency.ring),
      consumer: LatencyHistogram.attach(mem, handle.latency.consumer),
      client: LatencyHistogram.attach(mem, handle.latency.client),
    }, ThreadGauges.attach(mem, handle.threads));
  }

  handle(): MetricsHandle {
    return {
      counters: this.counters.offset,
      latency: { ring: this.latency.ring.offset, consumer: this.latency.consumer.offset, client: this.latency.client.offset },
      threads: this.threads.offset,
    };
  }
}
