// One client connection: its authentication, format, subscriptions, rate limit, counters,
// and the bytes coalesced for it in the current pump round. The server owns the sockets and
// the upstream; a session answers one request at a time, in order.
import type { Socket } from "node:net";
import type { WebSocket } from "ws";
import type { Mode } from "../feed/contract.js";
import { FrameQueue } from "./backpressure.js";
import { TokenBucket } from "./rate.js";
import type { ClientStats } from "./stats.js";

/** One symbol a client holds: its id in records and the modes (bits) it subscribed. */
export interface HeldSymbol {
  readonly exchange: string;
  readonly symbol: string;
  readonly id: number;
  readonly decimals: number;
  modes: number;
}

export class Session {
  authenticated = false;
  binary = false;
  closed = false;
  readonly held = new Map<number, HeldSymbol>();
  pairs = 0;
  delivered = 0;
  conflated = 0;
  dropped = 0;
  /** Bytes written to its socket (frames: headers included). */
  bytesOut = 0;
  slow = false;
  slowSince = 0;
  /** Closed for being too slow (policy disconnect): gets nothing more. */
  givenUp = false;
  /** Frames waiting to be written together (coalesceMs), the ticks and bytes in them, and since when (performance.now()). */
  readonly pending: Uint8Array[] = [];
  pendingTicks = 0;
  pendingBytes = 0;
  pendingSince = 0;
  readonly queue: FrameQueue;
  readonly bucket: TokenBucket;
  /** Requests run one after another, in arrival order. */
  chain: Promise<void> = Promise.resolve();
  authTimer: ReturnType<typeof setTimeout> | undefined;
  alive = true;

  constructor(
    readonly id: string,
    readonly slot: number,
    readonly ws: WebSocket,
    readonly remote: string,
    maxQueueBytes: number,
    ratePerSecond: number,
  ) {
    this.queue = new FrameQueue(maxQueueBytes);
    this.bucket = new TokenBucket(ratePerSecond, Date.now());
  }

  /**
   * The raw socket under ws. Frames the gather made are complete WebSocket frames, written
   * straight to it: ws writes its own frames (replies, pings) whole and synchronously when
   * compression is off (it is), so the two never interleave inside a frame.
   */
  get socket(): Socket | undefined {
    return (this.ws as unknown as { _socket?: Socket })._socket;
  }

  /** Bytes the socket (and ws's sender) hold unsent. */
  get buffered(): number {
    return this.ws.bufferedAmount;
  }

  /** Writes this round's frames in one go. */
  flush(): void {
    const socket = this.socket;
    if (this.pending.length === 0) return;
    if (!socket || socket.destroyed || this.closed) {
      // The connection is gone: what waited for it is lost, and counted.
      this.dropped += this.pendingTicks;
      this.pending.length = 0;
      this.pendingTicks = 0;
      this.pendingBytes = 0;
      return;
    }
    if (this.pending.length === 1) {
      this.bytesOut += this.pending[0]!.length;
      socket.write(this.pending[0]!);
    } else {
      socket.cork();
      for (const frame of this.pending) {
        this.bytesOut += frame.length;
        socket.write(frame);
      }
      socket.uncork();
    }
    this.delivered += this.pendingTicks;
    this.pending.length = 0;
    this.pendingTicks = 0;
    this.pendingBytes = 0;
  }

  stats(): ClientStats {
    return {
      id: this.id, remote: this.remote, authenticated: this.authenticated, format: this.binary ? "binary" : "json",
      subscriptions: this.pairs, delivered: this.delivered, conflated: this.conflated, dropped: this.dropped,
      slow: this.slow, bufferedBytes: this.closed ? 0 : this.buffered,
    };
  }

  /** The (symbol, mode) pairs held, for list_subscriptions. */
  list(): { symbol: string; exchange: string; mode: Mode }[] {
    const out: { symbol: string; exchange: string; mode: Mode }[] = [];
    for (const h of this.held.values()) for (let m = 1; m <= 3; m++) if (h.modes & (1 << (m - 1))) out.push({ symbol: h.symbol, exchange: h.exchange, mode: m as Mode });
    return out;
  }
}
