import * as R from "./layout.js";
import { SLOT_BYTES, KIND_PADDING, OFF_KIND } from "../format/layout.js";
import { TickwireError } from "../errors.js";
import type { TickwireMemory } from "../memory/shared-memory.js";

/** The three ring kinds. */
export type RingType = "spsc" | "mpsc" | "broadcast";

/** Describes one ring of a {@link RingPool}. */
export interface RingSpec {
  /** Unique within its pool. */
  name: string;
  /** spsc: one writer, one reader, lossless. mpsc: many writers, one reader, lossless. broadcast: one writer, any readers, a lapped reader loses records (counted). */
  type: RingType;
  /** Bytes of the data area: a power of two from 4 KiB to 1 GiB. */
  capacity: number;
}

/** Where a ring lives: what a worker needs to attach to it. Plain data, postMessage-able. */
export interface RingHandle extends RingSpec {
  offset: number;
}

/** Counters of a ring, for monitoring. */
export interface RingStats {
  /** Times a writer found the ring full (a refused tryClaim, or a claim that had to wait). */
  fullCount: number;
  /** claims that gave up waiting for room. */
  timeoutCount: number;
  /** broadcast readers joined. */
  readers: number;
  /** MPSC: claims a reader gave up on because their writer never committed them ({@link RingReader.unblock}). */
  unblocked: number;
}

const TYPE_CODES: Readonly<Record<RingType, number>> = { spsc: R.RING_SPSC, mpsc: R.RING_MPSC, broadcast: R.RING_BROADCAST };
const SPIN_BEFORE_PARK = 200;

/** Bytes a ring of `capacity` takes in shared memory: header, data and per-slot meta. */
export function ringBytes(capacity: number): number {
  return R.RING_HEADER_BYTES + capacity + (capacity / SLOT_BYTES) * 8;
}

/** Checks a spec; throws a TickwireError naming what is wrong. */
export function checkRingSpec(spec: RingSpec): void {
  if (typeof spec?.name !== "string" || spec.name === "") throw new TickwireError("ARGUMENT", "ring: name must be a non-empty string");
  if (!(spec.type in TYPE_CODES)) throw new TickwireError("ARGUMENT", `ring ${spec.name}: type must be spsc, mpsc or broadcast, got ${String(spec.type)}`);
  const c = spec.capacity;
  if (!Number.isInteger(c) || c < R.RING_MIN_CAPACITY || c > R.RING_MAX_CAPACITY || (c & (c - 1)) !== 0) {
    throw new TickwireError("ARGUMENT", `ring ${spec.name}: capacity must be a power of two from ${R.RING_MIN_CAPACITY} to ${R.RING_MAX_CAPACITY} bytes, got ${c}`);
  }
}

/**
 * One ring in shared memory. Get its writer and readers from here; each of those
 * owns a cursor (per-thread state) and must stay in the thread that made it.
 */
export class Ring {
  private constructor(readonly mem: TickwireMemory, readonly handle: Readonly<RingHandle>) {}

  /** Lays out a new ring in `mem`. */
  static create(mem: TickwireMemory, spec: RingSpec): Ring {
    checkRingSpec(spec);
    const offset = mem.allocate(ringBytes(spec.capacity), 128);
    const h = offset >>> 2;
    mem.u32[h + R.RH_TYPE / 4] = TYPE_CODES[spec.type];
    mem.u32[h + R.RH_CAPACITY / 4] = spec.capacity;
    mem.u32[h + R.RH_MASK / 4] = spec.capacity - 1;
    mem.u32[h + R.RH_MAX_CLAIM / 4] = Math.min(spec.capacity / 4, R.MAX_CLAIM_BYTES);
    Atomics.store(mem.u32, h + R.RH_MAGIC / 4, R.RING_MAGIC);
    return new Ring(mem, { name: spec.name, type: spec.type, capacity: spec.capacity, offset });
  }

  /** Attaches to a ring made elsewhere, checking that the handle matches what is in memory. */
  static attach(mem: TickwireMemory, handle: RingHandle): Ring {
    checkRingSpec(handle);
    const { offset, name } = handle;
    if (!Number.isInteger(offset) || offset < mem.base || offset % 128 !== 0 || offset + ringBytes(handle.capacity) > mem.byteLength) {
      throw new TickwireError("HANDLE", `ring ${name}: offset ${offset} is not a 128-aligned region inside the memory`);
    }
    const h = offset >>> 2;
    if (Atomics.load(mem.u32, h + R.RH_MAGIC / 4) !== R.RING_MAGIC) throw new TickwireError("HANDLE", `ring ${name}: no ring at offset ${offset}`);
    if (mem.u32[h + R.RH_TYPE / 4] !== TYPE_CODES[handle.type] || mem.u32[h + R.RH_CAPACITY / 4] !== handle.capacity) {
      throw new TickwireError("HANDLE", `ring ${name}: the ring at offset ${offset} is not a ${handle.type} ring of ${handle.capacity} bytes`);
    }
    return new Ring(mem, { ...handle });
  }

  get name(): string { return this.handle.name; }
  get type(): RingType { return this.handle.type; }
  get capacity(): number { return this.handle.capacity; }
  get offset(): number { return this.handle.offset; }
  /** Largest claim: capacity / 4 (so a wrapping claim always fits beside its padding). */
  get maxClaim(): number { return this.mem.u32[(this.offset + R.RH_MAX_CLAIM) >>> 2]!; }

  /** Writers' position: bytes claimed (MPSC) or published (SPSC, broadcast) since the ring began. */
  get tail(): number {
    return this.u64((this.offset + R.RH_TAIL) >>> 2);
  }

  /** Reader's position (SPSC, MPSC): bytes released since the ring began. */
  get head(): number {
    return this.u64((this.offset + R.RH_HEAD) >>> 2);
  }

  private u64(index: number): number {
    // The high word moves once per 4 GiB: re-read it to get a consistent pair without BigInt.
    for (;;) {
      const hi = Atomics.load(this.mem.u32, index + 1);
      const lo = Atomics.load(this.mem.u32, index);
      if (Atomics.load(this.mem.u32, index + 1) === hi) return hi * 4294967296 + lo;
    }
  }

  /** Counters for monitoring. */
  stats(): RingStats {
    const h = this.offset >>> 2;
    return {
      fullCount: Atomics.load(this.mem.u32, h + R.RH_FULL_COUNT / 4),
      timeoutCount: Atomics.load(this.mem.u32, h + R.RH_TIMEOUT_COUNT / 4),
      readers: Atomics.load(this.mem.u32, h + R.RH_READERS / 4),
      unblocked: Atomics.load(this.mem.u32, h + R.RH_UNBLOCK_COUNT / 4),
    };
  }

  /** A writer. SPSC and broadcast rings must have one writer at a time; MPSC rings any number. */
  writer(): RingWriter {
    return new RingWriter(this);
  }

  /**
   * A reader. SPSC and MPSC rings have one reader at a time; a broadcast ring any number,
   * each joining at the latest published batch.
   */
  reader(): RingReader {
    return new RingReader(this);
  }
}

/** Allocates a cursor: the 64 bytes of per-thread state the Wasm ring functions use. */
function cursor(mem: TickwireMemory): number {
  // 128-aligned: a writer's and a reader's cursor never share an adjacent-line pair.
  return mem.allocate(R.CURSOR_BYTES, 128);
}

/**
 * Writes records into a ring in place: `tryClaim` (or `claim`) space, write the records
 * at the returned offset (e.g. with a TickView, or BatchCodec.encode straight into it),
 * then `commit`. One Wasm call each, whatever the number of records.
 */
export class RingWriter {
  private readonly cur: number;
  private readonly r: number;
  private readonly core;
  private readonly i32: Int32Array;

  constructor(readonly ring: Ring) {
    this.cur = cursor(ring.mem);
    this.r = ring.offset;
    this.core = ring.mem.core;
    this.i32 = ring.mem.i32;
  }

  /**
   * Claims `bytes` (a multiple of 64, ≤ ring.maxClaim) of contiguous space. Returns its
   * byte offset in the memory, or -1 when an SPSC/MPSC ring is full (counted in stats).
   * A broadcast ring never refuses: it overwrites what slow readers have not read.
   */
  tryClaim(bytes: number): number {
    const at = this.attempt(bytes);
    if (at === R.RING_FULL) this.countFull();
    return at;
  }

  /**
   * Claims `bytes`, waiting up to `timeoutMs` for room: spins briefly, then parks with
   * Atomics.wait (so call it in a worker, or on a Node main thread that may block).
   * Throws a TIMEOUT error (counted in stats) when the reader does not make room in
   * time — it may be stalled or dead.
   */
  claim(bytes: number, timeoutMs = 1000): number {
    let at = this.attempt(bytes);
    if (at >= 0) return at;
    this.countFull();
    for (let i = 0; i < SPIN_BEFORE_PARK; i++) if ((at = this.attempt(bytes)) >= 0) return at;
    if (parkSync(this.i32, this.r + R.RH_WRITER_WAITERS, this.r + R.RH_WRITER_FUTEX, timeoutMs, () => (at = this.attempt(bytes)) >= 0)) return at;
    throw this.timedOut(bytes, timeoutMs);
  }

  /**
   * Like {@link RingWriter.claim}, but waits for room without blocking the thread
   * (Atomics.waitAsync), so an event loop — and whatever supervises the reader — keeps running.
   */
  async claimAsync(bytes: number, timeoutMs = 1000): Promise<number> {
    let at = this.attempt(bytes);
    if (at >= 0) return at;
    this.countFull();
    if (await parkAsync(this.i32, this.r + R.RH_WRITER_WAITERS, this.r + R.RH_WRITER_FUTEX, timeoutMs, () => (at = this.attempt(bytes)) >= 0)) return at;
    throw this.timedOut(bytes, timeoutMs);
  }

  private timedOut(bytes: number, timeoutMs: number): TickwireError {
    Atomics.add(this.ring.mem.u32, (this.r + R.RH_TIMEOUT_COUNT) >>> 2, 1);
    return new TickwireError("TIMEOUT", `ring ${this.ring.name}: no room for ${bytes} bytes after ${timeoutMs} ms; its reader may be stalled or dead`);
  }

  /** Position (bytes since the ring began) of the current claim's start: a writer's place in the stream. */
  get position(): number {
    const i = (this.cur + R.CUR_POSITION) >>> 2;
    return this.ring.mem.u32[i]! + this.ring.mem.u32[i + 1]! * 4294967296;
  }

  private attempt(bytes: number): number {
    const at = this.core.ringClaim(this.r, this.cur, bytes);
    if (at < R.RING_FULL) throw new TickwireError("LENGTH", `ring ${this.ring.name}: cannot claim ${bytes} bytes (a multiple of 64 from 64 to ${this.ring.maxClaim})`);
    return at;
  }

  private countFull(): void {
    Atomics.add(this.ring.mem.u32, (this.r + R.RH_FULL_COUNT) >>> 2, 1);
  }

  /**
   * Publishes the first `bytes` of the current claim (default: all of it), which hold
   * `records` records (broadcast rings count what lapped readers lose with it).
   */
  commit(bytes: number, records = 1): void {
    if (this.core.ringCommit(this.r, this.cur, bytes, records) < 0) {
      throw new TickwireError("LENGTH", `ring ${this.ring.name}: commit of ${bytes} bytes without a claim that large`);
    }
  }
}

/**
 * Reads records from a ring in place: `read()` returns how many bytes are ready at
 * `offset` (records back to back, padding records among them to skip), then
 * `release()` what was consumed. One Wasm call each per batch.
 */
export class RingReader {
  private readonly cur: number;
  private readonly r: number;
  private readonly core;
  private readonly i32: Int32Array;
  private readonly u32: Uint32Array;
  private readonly u16: Uint16Array;
  private readonly u8: Uint8Array;
  private closed = false;

  constructor(readonly ring: Ring) {
    this.cur = cursor(ring.mem);
    this.r = ring.offset;
    this.core = ring.mem.core;
    this.i32 = ring.mem.i32;
    this.u32 = ring.mem.u32;
    this.u8 = ring.mem.u8;
    this.u16 = new Uint16Array(ring.mem.buffer);
    if (ring.type === "broadcast") this.core.ringJoin(this.r, this.cur);
  }

  /** Byte offset of the batch the last `read()` found. */
  get offset(): number {
    return this.u32[this.cur >>> 2]!;
  }

  /** Broadcast: records this reader lost to lapping (exact). */
  get lost(): number {
    return this.u32[(this.cur + R.CUR_LOST) >>> 2]! + this.u32[(this.cur + R.CUR_LOST + 4) >>> 2]! * 4294967296;
  }

  /** Broadcast: times this reader was lapped. */
  get laps(): number {
    return this.u32[(this.cur + R.CUR_LAPS) >>> 2]!;
  }

  /** Bytes claimed by writers and not yet released by this reader (broadcast: not yet read). */
  get backlog(): number {
    return this.core.ringBacklog(this.r, this.cur);
  }

  /** Bytes ready to read at {@link RingReader.offset} (0: none yet). Never crosses the end of the ring. */
  read(): number {
    return this.core.ringRead(this.r, this.cur);
  }

  /**
   * Hands back `bytes` of the last read, holding `records` records. SPSC/MPSC: any record
   * boundary of it; broadcast: all of it. Returns false only on a broadcast ring whose
   * writer overwrote those records while they were read: discard what was made of them
   * (they are counted in `lost`).
   */
  release(bytes: number, records = 0): boolean {
    const result = this.core.ringRelease(this.r, this.cur, bytes, records);
    if (result < 0) {
      throw new TickwireError("LENGTH", `ring ${this.ring.name}: cannot release ${bytes} bytes: the last read returned ${this.u32[(this.cur + R.CUR_BYTES) >>> 2]} ${this.ring.type === "broadcast" ? "(a broadcast reader releases whole reads)" : "(release a multiple of 64 within it)"}`);
    }
    return result === 0;
  }

  /**
   * Reads one batch and calls `onRecord(offset)` for each record in it (padding skipped),
   * then releases it. Returns the number of records, or -1 when a broadcast reader found
   * the batch overwritten after the calls (discard their effects; counted in `lost`).
   */
  poll(onRecord: (offset: number) => void): number {
    const bytes = this.read();
    if (bytes === 0) return 0;
    let at = this.offset;
    const end = at + bytes;
    let records = 0;
    while (at < end) {
      const length = this.u16[at >>> 1]!;
      if (length < SLOT_BYTES || length % SLOT_BYTES !== 0 || at + length > end) {
        // A broken length: on a broadcast ring, the batch was overwritten under us.
        if (!this.release(bytes, records)) return -1;
        throw new TickwireError("LENGTH", `ring ${this.ring.name}: a record of ${length} bytes at offset ${at} in a batch that was not overwritten: the ring is corrupt`);
      }
      if (this.u8[at + OFF_KIND] !== KIND_PADDING) {
        onRecord(at);
        records++;
      }
      at += length;
    }
    return this.release(bytes, records) ? records : -1;
  }

  /**
   * Waits until `read()` would find data: checks `spins` times (about 10 ns each), then
   * parks with Atomics.wait (in a worker; the writer notifies only when a reader is
   * parked). A wake from a park costs ~10 µs on a small VM, so a latency-sensitive reader
   * of a steady feed spins longer (e.g. 5000 ≈ 50 µs); a reader that may share its core
   * with the writer should park early. Returns false on timeout.
   */
  wait(timeoutMs = Infinity, spins = SPIN_BEFORE_PARK): boolean {
    for (let i = 0; i < spins; i++) if (this.ready()) return true;
    return parkSync(this.i32, this.r + R.RH_READER_WAITERS, this.r + R.RH_READER_FUTEX, timeoutMs, () => this.ready());
  }

  /** Like {@link RingReader.wait} without blocking the thread: for an event loop (Atomics.waitAsync). */
  waitAsync(timeoutMs = Infinity): Promise<boolean> {
    if (this.ready()) return Promise.resolve(true);
    return parkAsync(this.i32, this.r + R.RH_READER_WAITERS, this.r + R.RH_READER_FUTEX, timeoutMs, () => this.ready());
  }

  /**
   * MPSC: gives up a claim that blocks this reader because its writer died between claim
   * and commit (padding it, counted in stats().unblocked), so reading goes on. Returns the
   * bytes given up, 0 if nothing was blocked. Call it only after the reader has found
   * nothing to read, with a backlog, for longer than any live writer takes to commit: a
   * writer still writing there loses its records.
   */
  unblock(): number {
    const bytes = this.core.ringUnblock(this.r, this.cur);
    if (bytes < 0) throw new TickwireError("ARGUMENT", `ring ${this.ring.name}: unblock is for MPSC rings, this one is ${this.ring.type}`);
    return bytes;
  }

  /** Broadcast: leaves the ring (stats only: a broadcast writer never waits for readers). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.ring.type === "broadcast") Atomics.sub(this.u32, (this.r + R.RH_READERS) >>> 2, 1);
  }

  // read() only looks (it moves nothing but a lapped broadcast cursor), so it is the readiness test.
  private ready(): boolean {
    return this.core.ringRead(this.r, this.cur) > 0;
  }
}

// Parking on a ring's futex. The waiter registers in `waiters` before it reads the futex
// and re-checks `ready`: the other side bumps the futex only when it sees a waiter, after
// making its change, so either the re-check sees the change or the wait returns at once.
function parkSync(i32: Int32Array, waitersAt: number, futexAt: number, timeoutMs: number, ready: () => boolean): boolean {
  const waiters = waitersAt >>> 2;
  const futex = futexAt >>> 2;
  const deadline = performance.now() + timeoutMs;
  Atomics.add(i32, waiters, 1);
  try {
    for (;;) {
      const seen = Atomics.load(i32, futex);
      if (ready()) return true;
      const left = deadline - performance.now();
      if (left <= 0) return false;
      Atomics.wait(i32, futex, seen, left);
    }
  } finally {
    Atomics.sub(i32, waiters, 1);
  }
}

async function parkAsync(i32: Int32Array, waitersAt: number, futexAt: number, timeoutMs: number, ready: () => boolean): Promise<boolean> {
  const waiters = waitersAt >>> 2;
  const futex = futexAt >>> 2;
  const deadline = performance.now() + timeoutMs;
  Atomics.add(i32, waiters, 1);
  try {
    for (;;) {
      const seen = Atomics.load(i32, futex);
      if (ready()) return true;
      const left = deadline - performance.now();
      if (left <= 0) return false;
      const result = Atomics.waitAsync(i32, futex, seen, left);
      if (!result.async) continue;
      // A pending waitAsync does not keep Node's event loop alive; a timer does. It must
      // outlast the wait's own timeout (whose expiry is not a loop event), so add a margin.
      const keepAlive = setTimeout(() => {}, Math.min(left + 1000, 2 ** 31 - 1));
      try {
        await result.value;
      } finally {
        clearTimeout(keepAlive);
      }
    }
  } finally {
    Atomics.sub(i32, waiters, 1);
  }
}
