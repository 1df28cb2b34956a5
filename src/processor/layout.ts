// Shared state of a parallel processor, laid out by the main thread.
//
// Worker state, WORKER_STATE_BYTES per worker slot:
//   0 i32 state           0 idle · 1 running · 2 stop requested
//   4 i32 seenBarrier     the barrier epoch this worker has passed
//   8 f64 processed       ticks this worker slot has published (across restarts, exact)
//  16 f64 quarantined     records it skipped as malformed (exact)
//  24 f64 discarded       ticks it dropped as abandoned by a failed predecessor (exact)
//  32 f64 pendingIngestEnd    ingest position the step in flight ends at
//  40 f64 pendingFanoutEnd    fan-out position its batch ends at once committed (0: nothing to publish)
//  48 f64 pendingProcessed    `processed` once the step is done
//  56 f64 pendingQuarantined  `quarantined` once the step is done
//  64 f64 pendingDiscarded    `discarded` once the step is done
//  72 i32 pendingSeq          odd while the pending fields are being written
// A step (publish a batch, skip a malformed record, drop abandoned records) notes where
// the rings and the counters will stand, then acts; a restarted worker that finds the
// step's ingest end passed (or its batch published) finishes it, so every counter is
// exact and nothing is published twice; one that finds pendingSeq odd knows the step
// never began to act, and redoes it.
// Barrier, at the start of the control block:
//   0 i32 epoch           bumped on every partition switch
//   8 f64 tailAtSwitch[maxWorkers]  each ingest ring's tail at the switch
//   then i32 holds[maxWorkers]      1 while ring w holds the barrier (it had a live worker
//                                   at the switch and has not failed since), else 0
export const WS_STATE = 0;
export const WS_SEEN_BARRIER = 4;
export const WS_PROCESSED = 8;
export const WS_QUARANTINED = 16;
export const WS_DISCARDED = 24;
export const WS_PENDING_INGEST_END = 32;
export const WS_PENDING_FANOUT_END = 40;
export const WS_PENDING_PROCESSED = 48;
export const WS_PENDING_QUARANTINED = 56;
export const WS_PENDING_DISCARDED = 64;
export const WS_PENDING_SEQ = 72;
export const WORKER_STATE_BYTES = 128;

export const STATE_IDLE = 0;
export const STATE_RUNNING = 1;
export const STATE_STOP = 2;

export const BARRIER_EPOCH = 0;
export const BARRIER_TAILS = 8;
