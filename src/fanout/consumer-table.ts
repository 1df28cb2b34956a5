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
import { READER_COPY_BYTES, type ReaderAreas } from "../rings/ring.js";
import { checkInstance, checkInt, describe } from "../validate.js";

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
export const ConsumerState = { FREE: 0, RESERVED: 1, ACTIVE: 2, DETACHED: 3, CLOSED: 4 } as const;

/** How a consumer that falls behind is treated. */
export type ConsumerPolicy = "block" | "conflate" | "drop-oldest";
export const POLICY_CODES: Readonly<Record<ConsumerPolicy, number>> = { block: 1, conflate: 2, "drop-oldest": 3 };
const POLICY_NAMES: readonly ConsumerPolicy[] = ["block", "block", "conflate", "drop-oldest"];

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
    return HEADER_BYTES + slots * slotBytesFor(rings, queueBytes) + 128;
  }

  static create(mem: TickwireMemory, options: { slots: number; rings: number; queueBytes: number }): ConsumerTable {
    checkInstance(mem, TickwireMemory, "ConsumerTable.create: mem");
    const slots = checkInt(options?.slots, 0, 256, "ConsumerTable.create: slots");
    const rings = checkInt(options?.rings, 1, 256, "ConsumerTable.create: rings");
    const queueBytes = checkInt(options?.queueBytes, 4096, 1 << 28, "ConsumerTable.create: queueBytes");
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
    if (offset + HEADER_BYTES + table.slots * table.slotBytes > mem.byteLength) throw new TickwireError("HANDLE", `ConsumerTable.attach: the table at ${offset} runs past the memory`);
    return table;
  }

  /** Takes a free (or closed) slot for a consumer: RESERVED, its counts zeroed. Returns the slot, or -1 when all are taken. */
  reserve(policy: ConsumerPolicy, detachAfterMs: number): number {
    for (let s = 0; s < this.slots; s++) {
      const at = this.stateIndex(s);
      const state = Atomics.load(this.i32, at);
      if (state !== ConsumerState.FREE && state !== ConsumerState.CLOSED) continue;
      if (Atomics.compareExchange(this.i32, at, state, ConsumerState.RESERVED) !== state) continue;
      const base = this.slotOffset(s);
      this.mem.u8.fill(0, base + 4, base + SLOT_GATES + this.rings * 16);
      this.mem.u32[(base + SLOT_POLICY) >>> 2] = POLICY_CODES[policy];
      this.f64[(base + SLOT_DETACH_AFTER) >>> 3] = detachAfterMs;
      return s;
    }
    return -1;
  }

  /** Offset of slot `s`. */
  slotOffset(s: number): number {
    return this.offset + HEADER_BYTES + s * this.slotBytes;
  }

  state(s: number): number {
    return Atomics.load(this.i32, this.stateIndex(s));
  }

  /** Moves slot `s` from `from` to `to`; false when it was not in `from` (someone else moved it). Keeps activeBlock right. */
  transition(s: number, from: number, to: number): boolean {
    if (Atomics.compareExchange(this.i32, this.stateIndex(s), from, to) !== from) return false;
    if (this.policy(s) === "block") {
      if (to === ConsumerState.ACTIVE) Atomics.add(this.i32, (this.offset + CT_ACTIVE_BLOCK) >>> 2, 1);
      else if (from === ConsumerState.ACTIVE) Atomics.sub(this.i32, (this.offset + CT_ACTIVE_BLOCK) >>> 2, 1);
      this.wakeWriters();
    }
    return true;
  }

  policy(s: number): ConsumerPolicy {
    return POLICY_NAMES[this.mem.u32[(this.slotOffset(s) + SLOT_POLICY) >>> 2]!] ?? "block";
  }

  detachAfterMs(s: number): number {
    return this.f64[(this.slotOffset(s) + SLOT_DETACH_AFTER) >>> 3]!;
  }

  stat(s: number, name: ConsumerStatName): number {
    return this.f64[(this.slotOffset(s) + SLOT_STAT[name]) >>> 3]!;
  }

  setStat(s: number, name: ConsumerStatName, v: number): void {
    this.f64[(this.slotOffset(s) + SLOT_STAT[name]) >>> 3] = v;
  }

  /** block: the ring position slot `s` has copied ring `r` out to. */
  gate(s: number, r: number): number {
    return Number(Atomics.load(this.u64, (this.slotOffset(s) + SLOT_GATES + r * 8) >>> 3));
  }

  setGate(s: number, r: number, position: number): void {
    Atomics.store(this.u64, (this.slotOffset(s) + SLOT_GATES + r * 8) >>> 3, BigInt(position));
  }

  /** Wakes writers waiting on a gate (after a gate moved, or a consumer left). */
  wakeWriters(): void {
    const at = (this.offset + CT_GATE_FUTEX) >>> 2;
    Atomics.add(this.i32, at, 1);
    Atomics.notify(this.i32, at);
  }

  /** When a writer of ring `r` began waiting on slot `s` (ms since the epoch), 0 when none waits. */
  holdingSince(s: number, r: number): number {
    return this.f64[(this.slotOffset(s) + SLOT_GATES + this.rings * 8 + r * 8) >>> 3]!;
  }

  setHoldingSince(s: number, r: number, ms: number): void {
    this.f64[(this.slotOffset(s) + SLOT_GATES + this.rings * 8 + r * 8) >>> 3] = ms;
  }

  /** Block consumers attached now. */
  get activeBlock(): number {
    return Atomics.load(this.i32, (this.offset + CT_ACTIVE_BLOCK) >>> 2);
  }

  /** The memory slot `s` reads with. */
  areas(s: number): SlotAreas {
    const base = this.slotOffset(s);
    const cursors = align(base + SLOT_GATES + this.rings * 16, 128);
    const copies = cursors + this.rings * 128;
    const readers = Array.from({ length: this.rings }, (_, r) => ({ cursor: cursors + r * 128, copy: copies + r * READER_COPY_BYTES, copyBytes: READER_COPY_BYTES }));
    return { readers, queue: copies + this.rings * READER_COPY_BYTES, queueBytes: this.queueBytes };
  }

  private stateIndex(s: number): number {
    if (!Number.isInteger(s) || s < 0 || s >= this.slots) throw new TickwireError("ARGUMENT", `ConsumerTable: slot must be an integer from 0 to ${this.slots - 1}, got ${describe(s)}`);
    return (this.slotOffset(s) + SLOT_STATE) >>> 2;
  }
}

function slotBytesFor(rings: number, queueBytes: number): number {
  return align(align(SLOT_GATES + rings * 16, 128) + rings * 128 + rings * READER_COPY_BYTES + queueBytes, 128);
}
