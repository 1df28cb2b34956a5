import { workerData, type Worker, type WorkerOptions } from "node:worker_threads";
import { TickwireMemory, type MemoryHandle } from "../memory/shared-memory.js";
import { RingPool, type RingPoolHandle } from "../rings/pool.js";
import { TickwireError } from "../errors.js";
import { startWorker } from "./start-worker.js";

/** What {@link startTickwireWorker} passes to the worker, under `workerData.tickwire`. */
export interface TickwireWorkerData<T = unknown> {
  tickwire: { memory: MemoryHandle; rings?: RingPoolHandle };
  data: T;
}

/**
 * Starts a worker thread that shares `mem` (and `pool`'s rings): the worker calls
 * {@link attachTickwire} to get them. `data` is passed along as is.
 */
export function startTickwireWorker<T>(script: URL, shared: { mem: TickwireMemory; pool?: RingPool }, data: T, options: WorkerOptions = {}): Worker {
  const workerData: TickwireWorkerData<T> = {
    tickwire: { memory: shared.mem.handle(), ...(shared.pool ? { rings: shared.pool.handle() } : {}) },
    data,
  };
  return startWorker(script, { ...options, workerData });
}

/** In a worker started by {@link startTickwireWorker}: attaches to the shared memory and rings. */
export async function attachTickwire<T = unknown>(): Promise<{ mem: TickwireMemory; pool: RingPool | undefined; data: T }> {
  const wd = workerData as Partial<TickwireWorkerData<T>> | undefined;
  if (!wd?.tickwire?.memory) throw new TickwireError("HANDLE", "attachTickwire: this worker was not started by startTickwireWorker");
  const mem = await TickwireMemory.attach(wd.tickwire.memory);
  const pool = wd.tickwire.rings ? RingPool.attach(mem, wd.tickwire.rings) : undefined;
  return { mem, pool, data: wd.data as T };
}
