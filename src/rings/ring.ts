import * as R from "./layout.js";
import * as L from "../format/layout.js";
import { SLOT_BYTES, KIND_PADDING, OFF_KIND } from "../format/layout.js";

import { TickwireError, errorFromStatus } from "../errors.js";
import { TickwireMemory } from "../memory/shared-memory.js";
import { checkInstance, checkInt, checkObject, checkTimeout, describe } from "../validate.js";

/** The three ring kinds. */
export type RingType = "spsc" | "mpsc" | "broadcast";

/** Describes one ring of a {@link RingPool}. */
export interface RingSpec {
  /** Unique within its pool (1 to 256 characters). */
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

const TYPE_CODES: ReadonlyMap<string, number> = new Map([["spsc", R.RING_SPSC], ["mpsc", R.RING_MPSC], ["broadcast", R.RING_BROADCAST]]);
const SPIN_BEFORE_PARK = 200;
/** What a poll step returns when it consumed a batch of padding alone. */
const PADDING_ONLY = -2;
/** Default and largest copy a broadcast poll makes per call. */
const POLL_COPY_BYTES = 64 * 1024; // = READER_COPY_BYTES

/** Bytes a ring of `capacity` takes in shared memory: header, data and per-slot meta. */
export function ringBytes(capacity: number): number {
  checkCapacity(capacity, "ringBytes");
  return R.RING_HEADER_BYTES + capacity + (capacity / SLOT_BYTES) * 8;
}

function checkCapacity(c: unknown, what: string): number {
  if (typeof c !== "number" || !Number.isInteger(c) || c < R.RING_MIN_CAPACITY || c > R.RING_MAX_CAPACITY || (c & (c - 1)) !== 0) {
    throw new TickwireError("ARGUMENT", `${what}: capacity must be a power of two from ${R.RING_MIN_CAPACITY} to ${R.RING_MAX_CAPACITY} bytes, got ${describe(c)}`);
  }
  return c;
}

/** Checks a spec; throws a TickwireError naming what is wrong. */
export function checkRingSpec(spec: RingSpec): void {
  checkObject(spec, "ring spec");
  if (typeof spec.name !== "string" || spec.name === "" || spec.name.length > 256) throw new TickwireError("ARGUMENT", `ring: name must be a string of 1 to 256 characters, got ${describe(spec.name)}`);
  if (!TYPE_CODES.has(spec.type)) throw new TickwireError("ARGUMENT", `ring ${spec.name}: type must be spsc, mpsc or broadcast, got ${describe(spec.type)}`);
  checkCapacity(spec.capacity, `ring ${spec.name}`);
}

/**
 * One ring in shared memory. Get its writer and readers from here; each of those
 * owns a cursor (per-thread state) and must stay in the thread that made it.
 */
export class Ring {
  /** "ring <name>": the prefix of this ring's error messages. @internal */
  readonly label: string;

  private constructor(readonly mem: TickwireMemory, readonly handle: Readonly<RingHandle>) {
    this.label = `ring ${handle.name}`;
  }

  /** Lays out a new ring in `mem`. */
  static create(mem: TickwireMemory, spec: RingSpec): Ring {
    checkInstance(mem, TickwireMemory, "Ring.create: mem");
    checkRingSpec(spec);
    const offset = mem.reserve(ringBytes(spec.capacity), 128);
    const h = offset >>> 2;
    mem.u32[h + R.RH_TYPE / 4] = TYPE_CODES.get(spec.type)!;
    mem.u32[h + R.RH_CAPACITY / 4] = spec.capacity;
    mem.u32[h + R.RH_MASK / 4] = spec.capacity - 1;
    mem.u32[h + R.RH_MAX_CLAIM / 4] = Math.min(spec.capacity / 4, R.MAX_CLAIM_BYTES);
    mem.grant(offset + R.RING_HEADER_BYTES, spec.capacity); // writers fill claims there: memory the caller owns
    Atomics.store(mem.u32, h + R.RH_MAGIC / 4, R.RING_MAGIC);
    return new Ring(mem, { name: spec.name, type: spec.type, capacity: spec.capacity, offset });
  }

  /** Attaches to a ring made elsewhere, checking that the handle matches what is in memory. */
  static attach(mem: TickwireMemory, handle: RingHandle): Ring {
    checkInstance(mem, TickwireMemory, "Ring.attach: mem");
    checkObject(handle, "Ring.attach: handle");
    checkRingSpec(handle);
    const { offset, name } = handle;
    if (!Number.isInteger(offset) || offset < mem.base || offset % 128 !== 0 || offset + ringBytes(handle.capacity) > mem.byteLength) {
      throw new TickwireError("HANDLE", `ring ${name}: offset ${describe(offset)} is not a 128-aligned region inside the memory`);
    }
    const h = offset >>> 2;
    if (Atomics.load(mem.u32, h + R.RH_MAGIC / 4) !== R.RING_MAGIC) throw new TickwireError("HANDLE", `ring ${name}: no ring at offset ${offset}`);
    if (mem.u32[h + R.RH_TYPE / 4] !== TYPE_CODES.get(handle.type) || mem.u32[h + R.RH_CAPACITY / 4] !== handle.capacity) {
      throw new TickwireError("HANDLE", `ring ${name}: the ring at offset ${offset} is not a ${handle.type} ring of ${handle.capacity} bytes`);
    }
    return new Ring(mem, { name, type: handle.type, capacity: handle.capacity, offset });
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

  /** SPSC, MPSC: bytes claimed or written and not yet released, 0 to capacity. */
  get backlog(): number {
    // Head first: the tail read after it is never behind it. Releases and claims between the
    // two reads can make the difference exceed the capacity, which the ring never holds.
    const head = this.head;
    return Math.min(this.tail - head, this.capacity);
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
  return mem.reserve(R.CURSOR_BYTES, 128);
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
  private readonly u32: Uint32Array;

  constructor(readonly ring: Ring) {
    checkInstance(ring, Ring, "RingWriter: ring");
    this.cur = cursor(ring.mem);
    this.r = ring.offset;
    this.core = ring.mem.core;
    this.i32 = ring.mem.i32;
    this.u32 = ring.mem.u32;
  }

  /**
   * Claims `bytes` (a multiple of 64, ≤ ring.maxClaim) of contiguous space. Returns its
   * byte offset in the memory, or -1 when an SPSC/MPSC ring is full (counted in stats).
   * A broadcast ring never refuses: it overwrites what slow readers have not read.
   * A writer holds one claim at a time: commit it (or give it up, `commit(0)`) first.
   */
  tryClaim(bytes: number): number {
    const at = this.attempt(bytes);
    if (at === R.RING_FULL) this.countFull();
    return at;
  }

  /**
   * Claims `bytes`, waiting up to `timeoutMs` (a finite number of ms, default 1000) for
   * room: spins briefly, then parks with Atomics.wait (so call it in a worker, or on a
   * Node main thread that may block). Throws a TIMEOUT error (counted in stats) when the
   * reader does not make room in time — it may be stalled or dead.
   */
  claim(bytes: number, timeoutMs = 1000): number {
    checkTimeout(timeoutMs, "claim timeoutMs", this.ring.label);
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
    checkTimeout(timeoutMs, "claimAsync timeoutMs", this.ring.label);
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
    return this.u32[i]! + this.u32[i + 1]! * 4294967296;
  }

  /** Bytes of the claim held now (0: none). */
  get claimed(): number {
    return this.u32[(this.cur + R.CUR_CLAIM_BYTES) >>> 2]!;
  }

  private attempt(bytes: number): number {
    // One test on the way in ((x | 0) === x: an integer below 2^31), the reasons only when refused.
    const at = typeof bytes === "number" && (bytes | 0) === bytes ? this.core.ringClaim(this.r, this.cur, bytes) : L.ERR_LENGTH;
    if (at >= R.RING_FULL) return at;
    if (this.claimed !== 0) {
      throw new TickwireError("ARGUMENT", `ring ${this.ring.name}: this writer still holds a claim of ${this.claimed} bytes: commit it, or give it up with commit(0), first`);
    }
    throw new TickwireError("LENGTH", `ring ${this.ring.name}: cannot claim ${describe(bytes)} bytes (a multiple of 64 from 64 to ${this.ring.maxClaim})`);
  }

  private countFull(): void {
    Atomics.add(this.ring.mem.u32, (this.r + R.RH_FULL_COUNT) >>> 2, 1);
  }

  /**
   * Publishes the first `bytes` of the current claim (default: all of it; 0 gives the
   * claim up). They must hold whole, valid records (headers checked, padding allowed):
   * else a TickwireError names the record, and the claim stays held — fix it and commit
   * again, or commit(0). Returns the number of tick records published. On an MPSC ring,
   * a GIVEN_UP error says the reader gave this claim up (unblock) before the commit:
   * its records are lost.
   */
  commit(bytes: number = this.claimed): number {
    const ticks = typeof bytes === "number" && (bytes | 0) === bytes ? this.core.ringCommit(this.r, this.cur, bytes) : L.ERR_LENGTH;
    if (ticks >= 0) return ticks;
    const claimed = this.claimed;
    if (ticks === L.ERR_LENGTH) {
      if (claimed === 0) throw new TickwireError("LENGTH", `ring ${this.ring.name}: commit without a claim`);
      if (typeof bytes !== "number" || !Number.isInteger(bytes) || bytes < 0 || bytes > claimed || bytes % SLOT_BYTES !== 0) {
        throw new TickwireError("LENGTH", `ring ${this.ring.name}: commit of ${describe(bytes)} bytes: must be a multiple of 64 up to the claim's ${claimed}`);
      }
    }
    throw errorFromStatus(ticks, `ring ${this.ring.name}: commit`, ticks === L.ERR_GIVEN_UP ? undefined : this.u32[(this.cur + R.CUR_ERROR_INDEX) >>> 2]);
  }
}

/** Memory a {@link RingReader} may be given instead of reserving its own. @internal */
export interface ReaderAreas {
  readonly cursor: number;
  readonly copy: number;
  readonly copyBytes: number;
}

// Areas tickwire laid out for readers itself (a consumer slot's): any others must be memory the caller owns.
const TRUSTED_AREAS = new WeakSet<ReaderAreas>();

/** Marks areas tickwire reserved for a reader (a consumer slot's). @internal */
export function trustedReaderAreas(areas: ReaderAreas): ReaderAreas {
  TRUSTED_AREAS.add(Object.freeze(areas));
  return areas;
}

/** Bytes a broadcast reader's poll copy takes: the most one poll hands over. */
export const READER_COPY_BYTES = 64 * 1024;

/**
 * Reads records from a ring: `poll(cb)` hands each record to `cb` — on a broadcast ring
 * only records proven intact (copied out, then checked against the writer's position).
 * Or `read()` and `release()` for records in place (one Wasm call each per batch).
 */
export class RingReader {
  private readonly cur: number;
  private readonly r: number;
  private readonly core;
  private readonly i32: Int32Array;
  private readonly u32: Uint32Array;
  private readonly u16: Uint16Array;
  private readonly u8: Uint8Array;
  private readonly broadcast: boolean;
  private closed = false;
  // Broadcast poll: a private copy of the last batch read, and what of it is still to deliver.
  private copy = 0;
  private copyBytes = 0;
  private pendingAt = 0;
  private pendingEnd = 0;

  /**
   * @param areas - where to keep this reader's cursor (64 bytes, 128-aligned) and its poll copy
   *   (broadcast), instead of reserving new ones: for a reader made again and again over the
   *   same slot (a consumer). @internal
   */
  constructor(readonly ring: Ring, areas?: ReaderAreas) {
    checkInstance(ring, Ring, "RingReader: ring");
    if (areas !== undefined) {
      checkObject(areas, "RingReader: areas");
      // A reader writes its cursor and copy: into memory the caller owns, or a consumer slot's.
      const check = TRUSTED_AREAS.has(areas) ? ring.mem.checkInside.bind(ring.mem) : ring.mem.checkOwned.bind(ring.mem);
      check(areas.cursor, R.CURSOR_BYTES, 128, "RingReader: areas.cursor");
      checkInt(areas.copyBytes, SLOT_BYTES, POLL_COPY_BYTES, "RingReader: areas.copyBytes");
      check(areas.copy, areas.copyBytes, 64, "RingReader: areas.copy");
      this.copy = areas.copy;
      this.copyBytes = Math.min(areas.copyBytes, ring.capacity);
    }
    this.cur = areas?.cursor ?? cursor(ring.mem);
    this.r = ring.offset;
    this.core = ring.mem.core;
    this.i32 = ring.mem.i32;
    this.u32 = ring.mem.u32;
    this.u8 = ring.mem.u8;
    this.u16 = new Uint16Array(ring.mem.buffer);
    this.broadcast = ring.type === "broadcast";
    if (this.broadcast) this.core.ringJoin(this.r, this.cur);
  }

  /** Byte offset of the batch the last `read()` found. */
  get offset(): number {
    return this.u32[this.cur >>> 2]!;
  }

  /** Broadcast: the ring position (bytes since the ring began) up to which this reader has copied records out. */
  get position(): number {
    const i = (this.cur + R.CUR_POSITION) >>> 2;
    return this.u32[i]! + this.u32[i + 1]! * 4294967296;
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

  /**
   * Bytes ready to read in place at {@link RingReader.offset} (0: none yet). Never crosses
   * the end of the ring. On a broadcast ring the writer may overwrite them while you read:
   * only {@link release}'s answer tells whether what you read was intact.
   */
  read(): number {
    return this.core.ringRead(this.r, this.cur);
  }

  /**
   * Hands back the first `bytes` of the last read (a record boundary within it; the next
   * read starts with the rest). Returns true; on a broadcast ring false when the writer
   * overwrote those bytes while they were read: discard what was made of them (they are
   * counted in `lost`).
   */
  release(bytes: number): boolean {
    const result = typeof bytes === "number" && (bytes | 0) === bytes && bytes >= 0 ? this.core.ringRelease(this.r, this.cur, bytes) : L.ERR_LENGTH;
    if (result >= 0) return result === 0;
    const ready = this.u32[(this.cur + R.CUR_BYTES) >>> 2]!;
    if (typeof bytes !== "number" || !Number.isInteger(bytes) || bytes < 0 || bytes > ready || bytes % SLOT_BYTES !== 0) {
      throw new TickwireError("LENGTH", `ring ${this.ring.name}: cannot release ${describe(bytes)} bytes: the last read returned ${ready} (release a multiple of 64 within it)`);
    }
    throw new TickwireError("LENGTH", `ring ${this.ring.name}: cannot release ${bytes} bytes: they do not end on a record boundary`);
  }

  /**
   * Hands each record of the next batch to `onRecord(offset)` (padding skipped) and
   * releases the batch. Returns the number of records handed over, 0 when there were
   * none, or -1 when a broadcast batch was found overwritten (none of it is handed over;
   * it is counted in `lost`).
   *
   * On a broadcast ring the batch (up to 64 KiB of it) is first copied to a buffer of this
   * reader's and checked intact, and `offset` points into that copy: valid until the next
   * poll. If `onRecord` throws, the error propagates; the records up to and including the
   * one that threw count as handed over, the rest come with the next poll — nothing is
   * lost or handed over twice.
   */
  poll(onRecord: (offset: number) => void): number {
    if (typeof onRecord !== "function") throw new TickwireError("ARGUMENT", `ring ${this.ring.name}: poll needs a function, got ${describe(onRecord)}`);
    for (;;) {
      // A batch of padding alone (at a wrap) is consumed and the next one read: 0 means nothing to read.
      const n = this.broadcast ? this.pollCopy(onRecord) : this.pollInPlace(onRecord);
      if (n !== PADDING_ONLY) return n;
    }
  }

  private pollInPlace(onRecord: (offset: number) => void): number {
    const bytes = this.read();
    if (bytes === 0) return 0;
    const start = this.offset;
    const end = start + bytes;
    let at = start;
    let records = 0;
    try {
      while (at < end) {
        const length = this.u16[at >>> 1]!;
        if (length < SLOT_BYTES || length % SLOT_BYTES !== 0 || at + length > end) {
          throw new TickwireError("LENGTH", `ring ${this.ring.name}: a record of ${length} bytes at offset ${at}: the ring is corrupt`);
        }
        const kind = this.u8[at + OFF_KIND];
        at += length;
        if (kind !== KIND_PADDING) {
          records++;
          onRecord(at - length);
        }
      }
    } finally {
      if (at > start) this.release(at - start);
    }
    return records === 0 ? PADDING_ONLY : records;
  }

  /**
   * Hands the next batch to `onBatch(offset, bytes)` whole: records back to back, padding
   * records among them (kind 255) to be skipped — one call per batch instead of one per
   * record. Returns the bytes handed over, 0 when there were none, or -1 when a broadcast
   * batch was found overwritten (counted in `lost`). On a broadcast ring the batch is a copy
   * proven intact (valid until the next poll), as with {@link RingReader.poll}; on the others
   * it is in place and released after `onBatch` returns. If `onBatch` throws, the batch counts
   * as handed over.
   */
  pollBatch(onBatch: (offset: number, bytes: number) => void): number {
    if (typeof onBatch !== "function") throw new TickwireError("ARGUMENT", `ring ${this.ring.name}: pollBatch needs a function, got ${describe(onBatch)}`);
    if (!this.broadcast) {
      const read = this.read();
      if (read === 0) return 0;
      // In place, the batch is what writers left there: hand over whole records only (a caller
      // walks them by their lengths), as poll does; a broken one is LENGTH, from the next call on.
      const start = this.offset;
      const end = start + read;
      let at = start;
      let length = 0;
      while (at < end && (length = this.u16[at >>> 1]!) >= SLOT_BYTES && length % SLOT_BYTES === 0 && at + length <= end) at += length;
      if (at === start) throw new TickwireError("LENGTH", `ring ${this.ring.name}: a record of ${length} bytes at offset ${start}: the ring is corrupt`);
      const bytes = at - start;
      try {
        onBatch(start, bytes);
      } finally {
        this.release(bytes);
      }
      return bytes;
    }
    if (this.pendingAt >= this.pendingEnd) {
      const copied = this.copyNext();
      if (copied <= 0) return copied;
    }
    const at = this.pendingAt;
    if (this.u8[at + OFF_KIND] === KIND_PADDING && this.u16[at >>> 1]! >= this.pendingEnd - at) {
      // A padding record alone (a wrap; a long one is only partly copied): nothing to hand over.
      this.pendingAt = this.pendingEnd;
      return this.pollBatch(onBatch);
    }
    const bytes = this.pendingEnd - at;
    this.pendingAt = this.pendingEnd;
    onBatch(at, bytes);
    return bytes;
  }

  private pollCopy(onRecord: (offset: number) => void): number {
    if (this.pendingAt < this.pendingEnd) return this.deliver(onRecord);
    const copied = this.copyNext();
    if (copied <= 0) return copied;
    const records = this.deliver(onRecord);
    return records === 0 ? PADDING_ONLY : records;
  }

  /** Copies the next broadcast batch (up to the copy's size) and proves it intact: 1 and the copy pending, 0 nothing to read, -1 overwritten. */
  private copyNext(): number {
    const bytes = this.read();
    if (bytes === 0) return 0;
    if (this.copy === 0) {
      this.copyBytes = Math.min(this.ring.capacity, POLL_COPY_BYTES);
      this.copy = this.ring.mem.reserve(this.copyBytes, 64);
    }
    const take = Math.min(bytes, this.copyBytes);
    const from = this.offset;
    this.u8.copyWithin(this.copy, from, from + take);
    if (take === bytes) {
      // All of it copied: the release walks the records itself, after the copy. Intact means the
      // copy holds whole records (else the ring is corrupt); overwritten means nothing of it is used.
      const result = this.core.ringRelease(this.r, this.cur, bytes);
      if (result === R.RING_LAPPED) return -1;
      if (result < 0) throw new TickwireError("LENGTH", `ring ${this.ring.name}: a broken record in a batch at offset ${from} that was not overwritten: the ring is corrupt`);
      this.pendingAt = this.copy;
      this.pendingEnd = this.copy + bytes;
      return 1;
    }
    // Find the whole records in the copy. A torn copy may show any lengths: the release
    // below rejects it, and then nothing of it is used.
    let whole = 0;
    while (whole < take) {
      const length = this.u16[(this.copy + whole) >>> 1]!;
      if (length < SLOT_BYTES || length % SLOT_BYTES !== 0 || whole + length > bytes) break;
      if (whole + length > take) {
        if (whole === 0 && this.u8[this.copy + OFF_KIND] === KIND_PADDING) whole = length; // a long padding record: nothing to copy
        break;
      }
      whole += length;
    }
    if (whole === 0) {
      // Not even one record: torn by an overwrite (then the release says so), or corrupt.
      if (this.core.ringRelease(this.r, this.cur, bytes) === R.RING_LAPPED) return -1;
      throw new TickwireError("LENGTH", `ring ${this.ring.name}: a broken record at offset ${from} in a batch that was not overwritten: the ring is corrupt`);
    }
    if (!this.release(whole)) return -1;
    this.pendingAt = this.copy;
    this.pendingEnd = this.copy + Math.min(whole, take);
    return 1;
  }

  private deliver(onRecord: (offset: number) => void): number {
    let records = 0;
    while (this.pendingAt < this.pendingEnd) {
      const at = this.pendingAt;
      const length = this.u16[at >>> 1]!;
      this.pendingAt += length;
      if (this.u8[at + OFF_KIND] !== KIND_PADDING) {
        records++;
        onRecord(at);
      }
    }
    return records;
  }

  /**
   * Waits until `read()` would find data: checks `spins` times (about 10 ns each), then
   * parks with Atomics.wait (in a worker; the writer notifies only when a reader may be
   * parked). A wake from a park costs ~10 µs on a small VM, so a latency-sensitive reader
   * of a steady feed spins longer (e.g. 5000 ≈ 50 µs); a reader that may share its core
   * with the writer should park early. `timeoutMs` is a finite number of ms (default
   * 1000). Returns false on timeout.
   */
  wait(timeoutMs = 1000, spins = SPIN_BEFORE_PARK): boolean {
    checkTimeout(timeoutMs, "wait timeoutMs", this.ring.label);
    checkInt(spins, 0, 1e9, "wait spins", "ARGUMENT", this.ring.label);
    if (this.pendingAt < this.pendingEnd) return true;
    for (let i = 0; i < spins; i++) if (this.ready()) return true;
    return parkSync(this.i32, this.r + R.RH_READER_WAITERS, this.r + R.RH_READER_FUTEX, timeoutMs, () => this.ready());
  }

  /** Like {@link RingReader.wait} without blocking the thread: for an event loop (Atomics.waitAsync). */
  waitAsync(timeoutMs = 1000): Promise<boolean> {
    try {
      checkTimeout(timeoutMs, "waitAsync timeoutMs", this.ring.label);
    } catch (e) {
      return Promise.reject(e);
    }
    if (this.pendingAt < this.pendingEnd || this.ready()) return Promise.resolve(true);
    return parkAsync(this.i32, this.r + R.RH_READER_WAITERS, this.r + R.RH_READER_FUTEX, timeoutMs, () => this.ready());
  }

  /**
   * MPSC: gives up a claim that blocks this reader because its writer died between claim
   * and commit (padding it, counted in stats().unblocked), so reading goes on. Returns the
   * bytes given up, 0 if nothing was blocked. Call it only after the reader has found
   * nothing to read, with a backlog, for longer than any live writer takes to commit: a
   * writer still writing there loses its records (its commit fails with GIVEN_UP).
   */
  unblock(): number {
    const bytes = this.core.ringUnblock(this.r, this.cur);
    if (bytes < 0) throw new TickwireError("ARGUMENT", `ring ${this.ring.name}: unblock is for MPSC rings, this one is ${this.ring.type}`);
    return bytes;
  }

  /**
   * MPSC: the offset of the first claim that starts after `offset` in the last read, or
   * the read's end: where to resume past a record that cannot be walked. @internal
   */
  claimStartAfter(offset: number): number {
    const start = this.offset;
    const end = start + this.u32[(this.cur + R.CUR_BYTES) >>> 2]!;
    const head = this.ring.head;
    const capacity = this.ring.capacity;
    const meta = (this.r + R.RING_HEADER_BYTES + capacity) >>> 2;
    for (let o = offset + SLOT_BYTES - ((offset - start) % SLOT_BYTES); o < end; o += SLOT_BYTES) {
      const pos = head + (o - start);
      const stamp = pos / SLOT_BYTES + 1;
      const cell = meta + ((pos % capacity) / SLOT_BYTES) * 2;
      const hi = this.u32[cell + 1]!;
      if (this.u32[cell] === stamp % 4294967296 && (hi & 0xffff) === Math.floor(stamp / 4294967296) % 65536 && hi >>> 16 !== 0) return o;
    }
    return end;
  }

  /** Broadcast: leaves the ring (stats only: a broadcast writer never waits for readers). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.broadcast) Atomics.sub(this.u32, (this.r + R.RH_READERS) >>> 2, 1);
  }

  // read() only looks (it moves nothing but a lapped broadcast cursor), so it is the readiness test.
  private ready(): boolean {
    return this.core.ringRead(this.r, this.cur) > 0;
  }
}

// Parking on a ring's futex. The waiter sets the `waiters` flag before it reads the futex
// and re-checks `ready`; the other side, after making its change, clears the flag, bumps the
// futex and notifies only when it finds the flag set: so either the re-check sees the change
// or the wait returns at once. Only the waker clears the flag (a waiter leaving cannot know
// whether another is parked), so a waiter that dies parked costs one spare notify, not one
// per commit for good.
function parkSync(i32: Int32Array, waitersAt: number, futexAt: number, timeoutMs: number, ready: () => boolean): boolean {
  const waiters = waitersAt >>> 2;
  const futex = futexAt >>> 2;
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    Atomics.store(i32, waiters, 1);
    const seen = Atomics.load(i32, futex);
    if (ready()) return true;
    const left = deadline - performance.now();
    if (left <= 0) return false;
    Atomics.wait(i32, futex, seen, left);
  }
}

async function parkAsync(i32: Int32Array, waitersAt: number, futexAt: number, timeoutMs: number, ready: () => boolean): Promise<boolean> {
  const waiters = waitersAt >>> 2;
  const futex = futexAt >>> 2;
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    Atomics.store(i32, waiters, 1);
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
}
