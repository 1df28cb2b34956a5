// What the proxy counts, per client and in all: plain types (no socket types), so the
// published declarations need nothing beyond tickwire's own.

/** Per-client counts (exact). */
export interface ClientStats {
  readonly id: string;
  readonly remote: string;
  readonly authenticated: boolean;
  readonly format: "json" | "binary";
  /** (symbol, mode) pairs held. */
  readonly subscriptions: number;
  /** Ticks sent (JSON: messages; binary: records), snapshots included. */
  readonly delivered: number;
  /** Ticks superseded by a newer value of the same symbol that the client was sent instead (while slow under conflate, or older than a snapshot it got). */
  readonly conflated: number;
  /** Ticks dropped (drop-oldest; disconnect: what was queued when it was closed). */
  readonly dropped: number;
  /** Whether it is slow now. */
  readonly slow: boolean;
  /** Bytes its socket holds unsent. */
  readonly bufferedBytes: number;
}
