// Shared state of a parallel processor, laid out by the main thread.
//
// Worker state, WORKER_STATE_BYTES per worker slot:
//   0 i32 state           0 idle · 1 running · 2 stop requested
//   4 i32 seenBarrier     the barrier epoch this worker has passed
//   8 f64 processed       ticks this worker slot has processed (written by its worker only)
//  16 f64 pendingIngestEnd  ingest position the batch being published ends at
//  24 f64 pendingFanoutEnd  fan-out position that batch ends at once committed
// Barrier, at the start of the control block:
//   0 i32 epoch           bumped on every partition switch
//   8 f64 tailAtSwitch[maxWorkers]  each ingest ring's tail at the switch
export const WS_STATE = 0;
export const WS_SEEN_BARRIER = 4;
export const WS_PROCESSED = 8;
export const WS_PENDING_INGEST_END = 16;
export const WS_PENDING_FANOUT_END = 24;
export const WORKER_STATE_BYTES = 128;

export const STATE_IDLE = 0;
export const STATE_RUNNING = 1;
export const STATE_STOP = 2;

export const BARRIER_EPOCH = 0;
export const BARRIER_TAILS = 8;
