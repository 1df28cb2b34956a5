// Feed health counters in shared memory, one block per upstream connection, so a
// monitor in any thread reads them without asking the adapter. One writer per block
// (the adapter's thread); readers see each f64 whole (aligned 8-byte stores do not
// tear on the platforms Node runs on), never a consistent snapshot across fields.
import { TickwireError } from "../errors.js";
import { TickwireMemory } from "../memory/shared-memory.js";
import { checkInstance, checkInt } from "../validate.js";
import type { ConnectionState } from "./contract.js";

/** The counters of one connection, by their index in its block. */
export const HealthField = {
  /** ConnectionState as a number (see CONNECTION_STATES). */
  STATE: 0,
  /** WebSocket messages received. */
  MESSAGES: 1,
  /** Bytes of those messages. */
  BYTES: 2,
  /** Records handed to the sink. */
  TICKS: 3,
  /** Frames skipped as malformed (any reason). */
  MALFORMED: 4,
  /** Ticks flagged by a data-quality guard (dropped or passed by policy). */
  FLAGGED: 5,
  /** Ticks the sink refused (counted, never silent). */
  DROPPED: 6,
  /** Connections opened after a loss (not the first). */
  RECONNECTS: 7,
  /** Logins the broker refused. */
  LOGIN_REJECTS: 8,
  /** Times the data watchdog replaced an open but silent connection. */
  SILENT_RESTARTS: 9,
  /** Wall clock (ms since the epoch) of the last message received; 0 never. */
  LAST_MESSAGE_MS: 10,
  /** Subscribe/unsubscribe messages sent upstream. */
  REQUESTS_SENT: 11,
  /** Instruments subscribed on this connection now. */
  INSTRUMENTS: 12,
} as const;

const FIELDS = 16; // room to grow without changing the block size
const BLOCK_BYTES = FIELDS * 8;
const MAGIC = 0x48454c54; // "TLEH"

/** ConnectionState by its number in the STATE counter. */
export const CONNECTION_STATES: readonly ConnectionState[] = ["idle", "connecting", "open", "reconnecting", "closed", "failed"];

/** A readable snapshot of one connection's counters. */
export interface ConnectionHealth {
  connection: number;
  state: ConnectionState;
  messages: number;
  bytes: number;
  ticks: number;
  malformed: number;
  flagged: number;
  dropped: number;
  reconnects: number;
  loginRejects: number;
  silentRestarts: number;
  lastMessageMs: number;
  requestsSent: number;
  instruments: number;
}

/** Where a monitor in another thread finds the counters: post it with the memory. */
export interface FeedHealthHandle {
  offset: number;
  connections: number;
}

/**
 * Per-connection feed counters in shared memory (message rates come from two reads of
 * `messages` over time). Written by the adapter's thread only; read from anywhere.
 */
export class FeedHealth {
  private readonly f64: Float64Array;

  private constructor(readonly mem: TickwireMemory, readonly offset: number, readonly connections: number) {
    this.f64 = new Float64Array(mem.buffer, offset + 64, connections * FIELDS);
  }

  /** Lays out counters for up to `connections` connections. */
  static create(mem: TickwireMemory, connections: number): FeedHealth {
    checkInstance(mem, TickwireMemory, "FeedHealth.create: mem");
    checkInt(connections, 1, 4096, "FeedHealth.create: connections");
    const offset = mem.reserve(64 + connections * BLOCK_BYTES, 64);
    mem.u32[(offset >>> 2) + 1] = connections;
    Atomics.store(mem.u32, offset >>> 2, MAGIC);
    return new FeedHealth(mem, offset, connections);
  }

  /** Attaches to counters made by {@link FeedHealth.create} (e.g. in a monitor worker). */
  static attach(mem: TickwireMemory, handle: FeedHealthHandle): FeedHealth {
    checkInstance(mem, TickwireMemory, "FeedHealth.attach: mem");
    const offset = checkInt(handle?.offset, mem.base, mem.byteLength - 64, "FeedHealth.attach: handle.offset");
    if ((offset & 63) !== 0 || Atomics.load(mem.u32, offset >>> 2) !== MAGIC || mem.u32[(offset >>> 2) + 1] !== handle.connections) {
      throw new TickwireError("HANDLE", `FeedHealth.attach: no feed counters at offset ${offset}`);
    }
    return new FeedHealth(mem, offset, handle.connections);
  }

  handle(): FeedHealthHandle {
    return { offset: this.offset, connections: this.connections };
  }

  /** Adds `n` to a counter of connection `c` (the adapter's thread only). @internal */
  add(c: number, field: number, n: number): void {
    this.f64[c * FIELDS + field]! += n;
  }

  /** Sets a counter of connection `c` (the adapter's thread only). @internal */
  set(c: number, field: number, v: number): void {
    this.f64[c * FIELDS + field] = v;
  }

  /** Records the state of connection `c`. @internal */
  setState(c: number, state: ConnectionState): void {
    this.f64[c * FIELDS + HealthField.STATE] = CONNECTION_STATES.indexOf(state);
  }

  /** One counter of connection `c`. */
  get(c: number, field: number): number {
    checkInt(c, 0, this.connections - 1, "FeedHealth.get: connection");
    checkInt(field, 0, FIELDS - 1, "FeedHealth.get: field");
    return this.f64[c * FIELDS + field]!;
  }

  /** A snapshot of connection `c`'s counters. */
  read(c: number): ConnectionHealth {
    checkInt(c, 0, this.connections - 1, "FeedHealth.read: connection");
    const f = this.f64;
    const at = c * FIELDS;
    const H = HealthField;
    return {
      connection: c,
      state: CONNECTION_STATES[f[at + H.STATE]!] ?? "idle",
      messages: f[at + H.MESSAGES]!,
      bytes: f[at + H.BYTES]!,
      ticks: f[at + H.TICKS]!,
      malformed: f[at + H.MALFORMED]!,
      flagged: f[at + H.FLAGGED]!,
      dropped: f[at + H.DROPPED]!,
      reconnects: f[at + H.RECONNECTS]!,
      loginRejects: f[at + H.LOGIN_REJECTS]!,
      silentRestarts: f[at + H.SILENT_RESTARTS]!,
      lastMessageMs: f[at + H.LAST_MESSAGE_MS]!,
      requestsSent: f[at + H.REQUESTS_SENT]!,
      instruments: f[at + H.INSTRUMENTS]!,
    };
  }
}
