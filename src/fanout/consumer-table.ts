// The consumer table: slots in shared memory for in-process consumers of the fan-out rings.
// A slot carries what the partition workers need to hold the feed for a `block` consumer
// (its gate: how far it has read each ring), what the monitor reads (its counts), and the
// memory the consumer reads into (cursors, poll copies, its queue), reserved once so that a
// consumer opened and closed again and again takes nothing new.
//
// header (128 bytes)
//   0 u32 magic "CTBL"   4 u32 slots   8 u32 rings   12 u32 slotBytes   16 u32 queueBytes
//  64 i32 activeBlock   block consumers attached now (writers skip every gate while 0)
//  68 i32 gateFutex     bumped (and notified) by a block consumer when it moves a gate
// slot (slotBytes each, 128-aligned), after the header
//   0 i32 state   FREE · RESERVED (handle made) · ACTIVE · DETACHED (by a writer) · CLOSED
//   4 u32 policy  1 block · 2 conflate · 3 drop-oldest
//   8 f64 detachAfterMs
//  16.. f64 counts, written by the consumer's thread alone (see SLOT_STAT)
// 128 u64 gate[rings]          block: ring position the consumer has copied out to
//     f64 holdingSince[rings]  ms since the epoch a writer began waiting on this gate (0: not)
//     then cursors (128 bytes a ring), poll copies (READER_COPY_BYTES a ring), the queue.
import { TickwireError } from "../errors.js";
import { TickwireMemory } from "../memory/shared-memory.js";
import { READER_COPY_BYTES, trustedReaderAreas, type ReaderAreas } from "../rings/ring.js";
import { checkInstance, checkInt, checkObject, describe } from "../validate.js";

export const CONSUMER_TABLE_MAGIC = 0x4c425443; // "CTBL"
const H_SLOTS = 4;
const H_RINGS = 8;
const H_SLOT_BYTES = 12;
const H_QUEUE_BYTES = 16;
export const CT_ACTIVE_BLOCK = 64;
export const CT_GATE_FUTEX = 68;
const HEADER_BYTES = 128;

export const SLOT_STATE = 0;
const SLOT_POLICY = 4;
const SLOT_DETACH_AFTER = 8;
export const SLOT_GATES = 128;

/** Slot states. */
export const ConsumerState = { FREE: 0, RESERVED: 1, ACTIVE: 2, DETACHED: 3, CLOSED: 4, OPENING: 5 } as const;

/** How a consumer that falls behind is treated. */
export type ConsumerPolicy = "block" | "conflate" | "drop-oldest";
export const POLICY_CODES: Readonly<Record<ConsumerPolicy, number>> = { block: 1, conflate: 2, "drop-oldest": 3 };

/** Whether `v` is a consumer policy. */
export function isConsumerPolicy(v: unknown): v is ConsumerPolicy {
  return typeof v === "string" && Object.hasOwn(POLICY_CODES, v);
}
// Code 0 is a free slot's: no policy, and never "block" (writers must not gate on it).
const POLICY_NAMES: readonly ConsumerPolicy[] = ["conflate", "block", "conflate", "drop-oldest"];

/** The counts a consumer keeps in its slot (f64, its own thread writes them). */
export const SLOT_STAT = {
  delivered: 16, dropped: 24, conflated: 32, lapped: 40, errors: 48, lagNs: 56, backlog: 64, batchSize: 72,
  batches: 80, heartbeatMs: 88, detachedAtMs: 96,
} as const;
export type ConsumerStatName = keyof typeof SLOT_STAT;

/** Memory of one slot a consumer reads with. */
export interface SlotAreas {
  readonly readers: readonly ReaderAreas[];
  readonly queue: number;
  readonly queueBytes: number;
}

const align = (n: number, a: number) => Math.ceil(n / a) * a;

// Limits of a table's shape (create and attach check them; attach also checks a header against them).
const MAX_SLOTS = 256;
const MAX_RINGS = 256;
const MIN_QUEUE_BYTES = 4096;
const MAX_QUEUE_BYTES = 1 << 28;
const MAX_DETACH_AFTER_MS = 3_600_000;

/** Slots for in-process consumers in shared memory; see the file's head for the layout. */
export class ConsumerTable {
  readonly slots: number;
  readonly rings: number;
  readonly slotBytes: number;
  readonly queueBytes: number;
  private readonly i32: Int32Array;
  private readonly f64: Float64Array;
  private readonly u64: BigUint64Array;

  private constructor(readonly mem: TickwireMemory, readonly offset: number) {
    const u32 = mem.u32;
    this.slots = u32[(offset + H_SLOTS) >>> 2]!;
    this.rings = u32[(offset + H_RINGS) >>> 2]!;
    this.slotBytes = u32[(offset + H_SLOT_BYTES) >>> 2]!;
    this.queueBytes = u32[(offset + H_QUEUE_BYTES) >>> 2]!;
    this.i32 = mem.i32;
    this.f64 = mem.f64;
    this.u64 = new BigUint64Array(mem.buffer);
  }

  /** Bytes a table of `slots` slots over `rings` rings with queues of `queueBytes` takes. */
  static bytesFor(slots: number, rings: number, queueBytes: number): number {
    checkInt(slots, 0, MAX_SLOTS, "ConsumerTable.bytesFor: slots");
    checkInt(rings, 1, MAX_RINGS, "ConsumerTable.bytesFor: rings");
    checkInt(queueBytes, MIN_QUEUE_BYTES, MAX_QUEUE_BYTES, "ConsumerTable.bytesFor: queueBytes");
    return HEADER_BYTES + slots * slotBytesFor(rings, queueBytes) + 128;
  }

  static create(mem: TickwireMemory, options: { slots: number; rings: number; queueBytes: number }): ConsumerTable {
    checkInstance(mem, TickwireMemory, "ConsumerTable.create: mem");
    checkObject(options, "ConsumerTable.create: options");
    const slots = checkInt(options.slots, 0, MAX_SLOTS, "ConsumerTable.create: slots");
    const rings = checkInt(options.rings, 1, MAX_RINGS, "ConsumerTable.create: rings");
    const queueBytes = checkInt(options.queueBytes, MIN_QUEUE_BYTES, MAX_QUEUE_BYTES, "ConsumerTable.create: queueBytes");
    const slotBytes = slotBytesFor(rings, queueBytes);
    const offset = mem.reserve(HEADER_BYTES + slots * slotBytes, 128);
    const u32 = mem.u32;
    u32[(offset + H_SLOTS) >>> 2] = slots;
    u32[(offset + H_RINGS) >>> 2] = rings;
    u32[(offset + H_SLOT_BYTES) >>> 2] = slotBytes;
    u32[(offset + H_QUEUE_BYTES) >>> 2] = queueBytes;
    Atomics.store(u32, offset >>> 2, CONSUMER_TABLE_MAGIC);
    return new ConsumerTable(mem, offset);
  }

  static attach(mem: TickwireMemory, offset: number): ConsumerTable {
    checkInstance(mem, TickwireMemory, "ConsumerTable.attach: mem");
    if (!Number.isInteger(offset) || offset < mem.base || offset % 128 !== 0 || offset + HEADER_BYTES > mem.byteLength
      || Atomics.load(mem.u32, offset >>> 2) !== CONSUMER_TABLE_MAGIC) {
      throw new TickwireError("HANDLE", `ConsumerTable.attach: no consumer table at offset ${describe(offset)}`);
    }
    const table = new ConsumerTable(mem, offset);
    // Every slot and gate offset is worked out from the header: it must be a shape create makes,
    // lying inside the memory; one laid out in memory the caller owns (written there by hand) must lie wholly in it.
    const { slots, rings, slotBytes, queueBytes } = table;
    const bytes = HEADER_BYTES + slots * slotBytes;
    if (slots > MAX_SLOTS || rings < 1 || rings > MAX_RINGS || queueBytes < MIN_QUEUE_BYTES || queueBytes > MAX_QUEUE_BYTES
      || slotBytes !== slotBytesFor(rings, queueBytes) || offset + bytes > mem.byteLength || (mem.owns(offset, 64) && !mem.owns(offset, bytes))) {
      throw new TickwireError("HANDLE", `ConsumerTable.attach: the table at offset ${offset} is corrupt (${slots} slots of ${slotBytes} bytes over ${rings} rings, queues of ${queueBytes} bytes) or runs past its region`);
    }
    return table;
  }

  /** Takes a free (or closed) slot for a consumer: RESERVED, its counts zeroed. Returns the slot, or -1 when all are taken. */
  reserve(policy: ConsumerPolicy, detachAfterMs: number): number {
    if (!isConsumerPolicy(policy)) throw new TickwireError("ARGUMENT", `ConsumerTable.reserve: policy must be block, conflate or drop-oldest, got ${describe(policy)}`);
    checkInt(detachAfterMs, 1, MAX_DETACH_AFTER_MS, "ConsumerTable.reserve: detachAfterMs");
    for (let s = 0; s < this.slots; s++) {
      const at = (this.base(s) + SLOT_STATE) >>> 2;
      const state = Atomics.load(this.i32, at);
      // Only FREE: a CLOSED slot's owner (the system) frees it once it has released what the consumer held upstream.
      if (state !== ConsumerState.FREE) continue;
      if (Atomics.compareExchange(this.i32, at, state, ConsumerState.RESERVED) !== state) continue;
      const base = this.base(s);
      this.mem.u8.fill(0, base + 4, base + SLOT_GATES + this.rings * 16);
      this.mem.u32[(base + SLOT_POLICY) >>> 2] = POLICY_CODES[policy];
      this.f64[(base + SLOT_DETACH_AFTER) >>> 3] = detachAfterMs;
      return s;
    }
    return -1;
  }

  /** Offset of slot `s`. */
  slotOffset(s: number): number {
    return this.slotAt(s);
  }

  state(s: number): number {
    return Atomics.load(this.i32, (this.slotAt(s) + SLOT_STATE) >>> 2);
  }

  /** Moves slot `s` from `from` to `to`; false when it was not in `from` (someone else moved it). Keeps activeBlock right. */
  transition(s: number, from: number, to: number): boolean {
    const at = (this.slotAt(s) + SLOT_STATE) >>> 2;
    checkInt(from, ConsumerState.FREE, ConsumerState.OPENING, "ConsumerTable.transition: from (a ConsumerState)");
    checkInt(to, ConsumerState.FREE, ConsumerState.OPENING, "ConsumerTable.transition: to (a ConsumerState)");
    // The policy before the swap: once a slot is CLOSED, reserve() may rewrite it for its next consumer.
    const block = this.policy(s) === "block";
    if (Atomics.compareExchange(this.i32, at, from, to) !== from) return false;
    if (from !== to && block) {
      if (to === ConsumerState.ACTIVE) Atomics.add(this.i32, (this.offset + CT_ACTIVE_BLOCK) >>> 2, 1);
      else if (from === ConsumerState.ACTIVE) Atomics.sub(this.i32, (this.offset + CT_ACTIVE_BLOCK) >>> 2, 1);
      this.wakeWriters();
    }
    return true;
  }

  policy(s: number): ConsumerPolicy {
    return POLICY_NAMES[this.mem.u32[(this.slotAt(s) + SLOT_POLICY) >>> 2]!] ?? "block";
  }

  detachAfterMs(s: number): number {
    return this.f64[(this.slotAt(s) + SLOT_DETACH_AFTER) >>> 3]!;
  }

  stat(s: number, name: ConsumerStatName): number {
    return this.f64[(this.slotAt(s) + statOffset(name)) >>> 3]!;
  }

  setStat(s: number, name: ConsumerStatName, v: number): void {
    const at = this.slotAt(s) + statOffset(name);
    if (typeof v !== "number" || !Number.isFinite(v)) throw new TickwireError("ARGUMENT", `ConsumerTable.setStat: ${name} must be a finite number, got ${describe(v)}`);
    this.f64[at >>> 3] = v;
  }

  /** block: the ring position slot `s` has copied ring `r` out to. */
  gate(s: number, r: number): number {
    return Number(Atomics.load(this.u64, (this.slotAt(s) + SLOT_GATES + this.ringAt(r) * 8) >>> 3));
  }

  setGate(s: number, r: number, position: number): void {
    const at = this.slotAt(s) + SLOT_GATES + this.ringAt(r) * 8;
    checkInt(position, 0, Number.MAX_SAFE_INTEGER, "ConsumerTable.setGate: position");
    Atomics.store(this.u64, at >>> 3, BigInt(position));
  }

  /** Wakes writers waiting on a gate (after a gate moved, or a consumer left). */
  wakeWriters(): void {
    const at = (this.offset + CT_GATE_FUTEX) >>> 2;
    Atomics.add(this.i32, at, 1);
    Atomics.notify(this.i32, at);
  }

  /** When a writer of ring `r` began waiting on slot `s` (ms since the epoch), 0 when none waits. */
  holdingSince(s: number, r: number): number {
    return this.f64[(this.slotAt(s) + SLOT_GATES + this.rings * 8 + this.ringAt(r) * 8) >>> 3]!;
  }

  setHoldingSince(s: number, r: number, ms: number): void {
    const at = this.slotAt(s) + SLOT_GATES + this.rings * 8 + this.ringAt(r) * 8;
    if (typeof ms !== "number" || !(ms >= 0) || ms === Infinity) throw new TickwireError("ARGUMENT", `ConsumerTable.setHoldingSince: ms must be a finite number from 0, got ${describe(ms)}`);
    this.f64[at >>> 3] = ms;
  }

  /** Block consumers attached now. */
  get activeBlock(): number {
    return Atomics.load(this.i32, (this.offset + CT_ACTIVE_BLOCK) >>> 2);
  }

  /** The memory slot `s` reads with. */
  areas(s: number): SlotAreas {
    const base = this.slotAt(s);
    const cursors = align(base + SLOT_GATES + this.rings * 16, 128);
    const copies = cursors + this.rings * 128;
    const readers = Array.from({ length: this.rings }, (_, r) => trustedReaderAreas({ cursor: cursors + r * 128, copy: copies + r * READER_COPY_BYTES, copyBytes: READER_COPY_BYTES }));
    return { readers, queue: copies + this.rings * READER_COPY_BYTES, queueBytes: this.queueBytes };
  }

  // Offset of slot `s`, unchecked: for loops over 0..slots-1.
  private base(s: number): number {
    return this.offset + HEADER_BYTES + s * this.slotBytes;
  }

  // Offset of slot `s`, checked: every method that takes a slot goes through here (a slot out of range would name memory outside the table).
  private slotAt(s: number): number {
    if (typeof s !== "number" || !Number.isInteger(s) || s < 0 || s >= this.slots) badSlot(s, this.slots);
    return this.offset + HEADER_BYTES + s * this.slotBytes;
  }

  // `r` as a ring index, checked (a gate or holdingSince of a ring out of range lies outside the slot's arrays).
  private ringAt(r: number): number {
    if (typeof r !== "number" || !Number.isInteger(r) || r < 0 || r >= this.rings) badRing(r, this.rings);
    return r;
  }
}

function badSlot(s: unknown, slots: number): never {
  throw new TickwireError("ARGUMENT", `ConsumerTable: slot must be an integer from 0 to ${slots - 1}, got ${describe(s)}`);
}

function badRing(r: unknown, rings: number): never {
  throw new TickwireError("ARGUMENT", `ConsumerTable: ring must be an integer from 0 to ${rings - 1}, got ${describe(r)}`);
}

// A count's offset in a slot; a name that is not one of SLOT_STAT's (an inherited property such as "toString" included) is refused.
function statOffset(name: ConsumerStatName): number {
  const off = typeof name === "string" ? (SLOT_STAT as Record<string, unknown>)[name] : undefined;
  if (typeof off !== "number") throw new TickwireError("ARGUMENT", `ConsumerTable: stat name must be one of ${Object.keys(SLOT_STAT).join(", ")}, got ${describe(name)}`);
  return off;
}

function slotBytesFor(rings: number, queueBytes: number): number {
  return align(align(SLOT_GATES + rings * 16, 128) + rings * 128 + rings * READER_COPY_BYTES + queueBytes, 128);
}
