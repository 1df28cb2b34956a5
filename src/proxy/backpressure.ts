// What the proxy does with a client that reads slower than ticks arrive, judged by its
// socket's bufferedAmount. conflate: stop writing, remember which of its symbols changed, send
// their latest values (from the last-value cache) once it drains — never a stale backlog.
// drop-oldest: queue frames up to a bound, dropping the oldest whole frames. disconnect: queue,
// and close the client (4008) once it stayed slow past a lag. Every tick not delivered is counted.
import { TickwireError } from "../errors.js";
import { checkInt, describe } from "../validate.js";

export type BackpressurePolicy = "conflate" | "drop-oldest" | "disconnect";

/** Backpressure settings of the proxy (per client). */
export interface BackpressureConfig {
  /** Default "conflate". */
  policy?: BackpressurePolicy;
  /** A client is slow while its bufferedAmount is above this, bytes. Default 1 MiB. */
  highWaterBytes?: number;
  /** drop-oldest and disconnect: frames queued per slow client, bytes. Default 4 MiB. */
  maxQueueBytes?: number;
  /** disconnect: slow for longer than this closes the client, ms. Default 5000. */
  maxLagMs?: number;
}

export type ResolvedBackpressure = Required<BackpressureConfig>;

const POLICIES: readonly BackpressurePolicy[] = ["conflate", "drop-oldest", "disconnect"];

export function resolveBackpressure(c: BackpressureConfig | undefined, field: string): ResolvedBackpressure {
  if (c !== undefined && (typeof c !== "object" || c === null || Array.isArray(c))) throw new TickwireError("ARGUMENT", `${field} must be an object, got ${describe(c)}`);
  const policy = c?.policy ?? "conflate";
  if (!POLICIES.includes(policy)) throw new TickwireError("ARGUMENT", `${field}.policy must be one of ${POLICIES.join(", ")}, got ${describe(policy)}`);
  return {
    policy,
    highWaterBytes: checkInt(c?.highWaterBytes ?? 1 << 20, 1024, 1 << 30, `${field}.highWaterBytes`),
    maxQueueBytes: checkInt(c?.maxQueueBytes ?? 4 << 20, 1024, 1 << 30, `${field}.maxQueueBytes`),
    maxLagMs: checkInt(c?.maxLagMs ?? 5000, 1, 3_600_000, `${field}.maxLagMs`),
  };
}

/** A bounded queue of frames (each with the ticks it carries) for a slow client. */
export class FrameQueue {
  private readonly frames: Uint8Array[] = [];
  private readonly ticks: number[] = [];
  private head = 0;
  bytes = 0;
  tickCount = 0;

  constructor(private readonly maxBytes: number) {}

  get length(): number {
    return this.frames.length - this.head;
  }

  /** Queues a frame; returns the ticks of older frames dropped to stay within the bound. */
  push(frame: Uint8Array, ticks: number): number {
    this.frames.push(frame);
    this.ticks.push(ticks);
    this.bytes += frame.length;
    this.tickCount += ticks;
    let dropped = 0;
    while (this.bytes > this.maxBytes && this.length > 1) dropped += this.shiftTicks();
    return dropped;
  }

  /** Takes every queued frame, oldest first. */
  drain(): Uint8Array[] {
    const out = this.frames.slice(this.head);
    this.clear();
    return out;
  }

  clear(): void {
    this.frames.length = 0;
    this.ticks.length = 0;
    this.head = 0;
    this.bytes = 0;
    this.tickCount = 0;
  }

  private shiftTicks(): number {
    const f = this.frames[this.head]!;
    const t = this.ticks[this.head]!;
    this.frames[this.head] = EMPTY;
    this.head++;
    this.bytes -= f.length;
    this.tickCount -= t;
    if (this.head > 1024 && this.head * 2 > this.frames.length) {
      this.frames.splice(0, this.head);
      this.ticks.splice(0, this.head);
      this.head = 0;
    }
    return t;
  }
}

const EMPTY = new Uint8Array(0);
