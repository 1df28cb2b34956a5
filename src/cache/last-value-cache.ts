import * as L from "../format/layout.js";
import * as C from "./layout.js";
import { TickwireError, errorFromStatus } from "../errors.js";
import { TickView, Kind, isKind } from "../format/record.js";
import { TickwireMemory } from "../memory/shared-memory.js";
import { checkInstance, checkInt, checkOptions, checkTimeout, describe } from "../validate.js";
import { cacheCore, type CacheExports } from "./wasm.js";

/** Options of {@link LastValueCache.create}. */
export interface LastValueCacheOptions {
  /** Symbol ids 0..capacity-1 get a slot (size it like the symbol table). Required. */
  capacity: number;
  /**
   * Largest record kind a slot keeps: Kind.LTP (128-byte slots), Kind.QUOTE (256) or
   * Kind.DEPTH (448, the default). Larger records are cut down to it.
   */
  maxKind?: Kind;
  /** How long a read or an apply waits for a slot held by a live writer before it throws TIMEOUT, ms. Default 1000. */
  busyTimeoutMs?: number;
  /**
   * Who this instance writes as: 1..1023. Give a writer that a supervisor restarts an id
   * of its own, and call {@link LastValueCache.writerExited} with it when its thread has
   * exited (before the restart registers it again): slots it left mid-write are then
   * taken over by the next writer. Default: an id chosen at the first apply.
   */
  writerId?: number;
}

/** How far a snapshot call got. */
export interface SnapshotResult {
  /** Bytes of records written (a valid batch: contiguous records). */
  readonly bytes: number;
  /** Where to resume: for {@link LastValueCache.snapshotIds} the count of ids consumed, for {@link LastValueCache.snapshotRange} the next id. */
  readonly next: number;
  /** Symbols skipped because their slot stayed held by a writer for busyTimeoutMs. */
  readonly busy: number;
}

// Attempts per Wasm call before the host checks the clock: ~a millisecond of spinning at most.
const SPINS = 1 << 14;
const TWO_32 = 4294967296;

/**
 * The last-value cache: the latest record of every symbol id, in shared memory,
 * for snapshots to new subscribers and conflation. The worker that owns a
 * symbol's partition writes its slot ({@link apply}, a whole batch per Wasm call);
 * any thread reads ({@link readInto}, {@link snapshot}, {@link snapshotIds},
 * {@link snapshotRange}, {@link forEach}) without locks and never sees a torn
 * record: each slot has a sequence lock (odd while written), and a reader retries
 * until it copied the record between two equal even sequence numbers.
 *
 * A slot keeps the latest value per field group: the tick fields of slot 0 from
 * the latest record of any kind, OHLC/volume/best bid-ask from the latest QUOTE or
 * DEPTH, the book from the latest DEPTH; its kind is the largest seen. So a DEPTH
 * subscriber gets the book and a fresh LTP even when the last tick was an LTP. A
 * DEPTH slot's best bid/ask stay level 0 of the book it holds.
 *
 * A slot held by a writer is never taken from it while it may be alive: only once the
 * writer is declared exited ({@link writerExited}; the ParallelProcessor does this when
 * a worker's thread exits), and the taker clears the slot first (the dead writer may
 * have torn it). Layout: src/cache/layout.ts. One object per thread (it owns a scratch area).
 */
export class LastValueCache {
  /** Symbol ids 0..capacity-1 have a slot. */
  readonly capacity: number;
  /** Largest kind a slot keeps. */
  readonly maxKind: Kind;
  /** Bytes of the largest record a slot keeps (64, 192 or 384). */
  readonly recordBytes: number;
  private readonly core: CacheExports;
  private readonly scratch: number;
  private readonly status: number;
  private readonly slotBytes: number;
  private readonly busyTimeoutMs: number;
  /** The lock owner word this instance writes with (id | generation << 10); 0 until registered. */
  private owner = 0;

  private constructor(private readonly mem: TickwireMemory, readonly offset: number, busyTimeoutMs: number, writerId: number | undefined) {
    const h = offset >>> 2;
    this.capacity = mem.u32[h + C.LVC_OFF_CAPACITY / 4]!;
    this.maxKind = mem.u32[h + C.LVC_OFF_MAX_KIND / 4]! as Kind;
    this.slotBytes = mem.u32[h + C.LVC_OFF_SLOT_BYTES / 4]!;
    this.recordBytes = this.slotBytes - C.LVC_SLOT_HEADER_BYTES;
    this.core = cacheCore(mem);
    this.scratch = mem.reserve(this.recordBytes + 16, 64);
    this.status = this.scratch + this.recordBytes;
    this.busyTimeoutMs = busyTimeoutMs;
    if (writerId !== undefined) this.register(writerId);
  }

  /** Lays out a cache in `mem`: one slot per symbol id, every slot empty. */
  static create(mem: TickwireMemory, options: LastValueCacheOptions): LastValueCache {
    checkInstance(mem, TickwireMemory, "LastValueCache.create: mem");
    const o = checkOptions<LastValueCacheOptions>(options, "LastValueCache.create: options");
    const capacity = checkInt(o.capacity, 1, 1 << 24, "LastValueCache.create: capacity");
    const maxKind = o.maxKind ?? Kind.DEPTH;
    if (!isKind(maxKind)) throw new TickwireError("KIND", `LastValueCache: maxKind must be Kind.LTP (1), Kind.QUOTE (2) or Kind.DEPTH (3), got ${describe(maxKind)}`);
    const busyTimeoutMs = checkTimeout(o.busyTimeoutMs ?? 1000, "LastValueCache: busyTimeoutMs");
    const writerId = checkWriterId(o.writerId);
    const recordBytes = maxKind === Kind.LTP ? L.LTP_BYTES : maxKind === Kind.QUOTE ? L.QUOTE_BYTES : L.DEPTH_BYTES;
    const slotBytes = C.LVC_SLOT_HEADER_BYTES + recordBytes;
    const offset = mem.reserve(C.LVC_SLOTS + capacity * slotBytes, 64);
    const h = offset >>> 2;
    mem.u32[h + C.LVC_OFF_CAPACITY / 4] = capacity;
    mem.u32[h + C.LVC_OFF_MAX_KIND / 4] = maxKind;
    mem.u32[h + C.LVC_OFF_SLOT_BYTES / 4] = slotBytes;
    Atomics.store(mem.u32, h + C.LVC_OFF_MAGIC / 4, C.LVC_MAGIC);
    return new LastValueCache(mem, offset, busyTimeoutMs, writerId);
  }

  /**
   * Attaches to a cache made by {@link LastValueCache.create}, e.g. in a worker given its offset.
   * A writer that may die and be restarted passes a `writerId` of its own (see LastValueCacheOptions).
   */
  static attach(mem: TickwireMemory, offset: number, options?: { busyTimeoutMs?: number; writerId?: number }): LastValueCache {
    checkInstance(mem, TickwireMemory, "LastValueCache.attach: mem");
    const o = checkOptions<{ busyTimeoutMs: number; writerId: number }>(options, "LastValueCache.attach: options");
    if (!Number.isInteger(offset) || offset < mem.base || (offset & 63) !== 0 || offset + C.LVC_SLOTS > mem.byteLength
      || Atomics.load(mem.u32, offset >>> 2) !== C.LVC_MAGIC) {
      throw new TickwireError("HANDLE", `LastValueCache.attach: no last-value cache at offset ${describe(offset)}`);
    }
    const capacity = mem.u32[(offset + C.LVC_OFF_CAPACITY) >>> 2]!;
    const slotBytes = mem.u32[(offset + C.LVC_OFF_SLOT_BYTES) >>> 2]!;
    if (offset + C.LVC_SLOTS + capacity * slotBytes > mem.byteLength) throw new TickwireError("HANDLE", `LastValueCache.attach: the cache at offset ${offset} is corrupt`);
    return new LastValueCache(mem, offset, checkTimeout(o.busyTimeoutMs ?? 1000, "LastValueCache: busyTimeoutMs"), checkWriterId(o.writerId));
  }

  /** The writer id this instance writes as (0 until its first apply, unless given). */
  get writerId(): number {
    return this.owner & (C.LVC_MAX_WRITERS - 1);
  }

  /**
   * Declares that writer `writerId`'s thread has exited (a supervisor saw it end), so the
   * slots it left mid-write may be taken over and the id registered again. Never call it
   * for a writer that may still run: a slot it is writing could then tear. Returns whether
   * the id was registered as alive.
   */
  writerExited(writerId: number): boolean {
    checkInt(writerId, 1, C.LVC_MAX_WRITERS - 1, "writerExited: writerId");
    const cell = (this.offset + C.LVC_WRITERS) / 4 + writerId;
    for (;;) {
      const e = Atomics.load(this.mem.u32, cell);
      if ((e & 1) === 0) return false;
      if (Atomics.compareExchange(this.mem.u32, cell, e, (e & ~1) >>> 0) === e) return true;
    }
  }

  /** Gives up this instance's writer id (a clean exit: it holds no slot between calls). */
  close(): void {
    if (this.owner === 0) return;
    const id = this.writerId;
    const cell = (this.offset + C.LVC_WRITERS) / 4 + id;
    const e = Atomics.load(this.mem.u32, cell);
    if ((e & 1) === 1 && ((e >>> 1) & C.LVC_GENERATION_MASK) === this.owner >>> C.LVC_WRITER_ID_BITS) {
      Atomics.compareExchange(this.mem.u32, cell, e, (e & ~1) >>> 0);
    }
    this.owner = 0;
  }

  /**
   * Merges every tick record of the batch of `bytes` bytes at offset `src` into
   * its symbol's slot, in one Wasm call (padding records are skipped). Returns the
   * number of ticks applied. Throws a TickwireError naming the record for a bad
   * header, a symbolId ≥ capacity (SYMBOL), or an exchange or priceDecimals that
   * differ from the slot's (EXCHANGE, DECIMALS); records before it are applied. A slot
   * held by a live writer is waited for up to busyTimeoutMs (then TIMEOUT).
   *
   * `streamPosition` (optional): the position of the batch's first byte in the stream
   * it came from (e.g. its ingest ring position). A record is then skipped if this
   * writer id already applied a record at or after its position to that slot, so a
   * batch replayed after a restart neither sends a slot back in time nor counts twice.
   * Call it from the thread that owns the records' symbols.
   */
  apply(src: number, bytes: number, streamPosition?: number): number {
    checkInt(bytes, 0, this.mem.byteLength, "LastValueCache.apply: bytes");
    this.mem.checkInside(src, bytes, 8, "LastValueCache.apply: src");
    const base = streamPosition === undefined ? 0 : checkInt(streamPosition, 0, Number.MAX_SAFE_INTEGER - TWO_32, "LastValueCache.apply: streamPosition") + 1;
    const owner = this.owner || this.register(undefined);
    const st = this.status >>> 2;
    let done = 0;
    let ticks = 0;
    let records = 0;
    let stuckAt = -1;
    let deadline = 0;
    for (;;) {
      const n = this.core.lvcApply(this.offset, src + done, bytes - done, owner, this.status, base === 0 ? 0 : base + done, SPINS);
      if (n >= 0) return ticks + n;
      const index = records + this.mem.u32[st]!;
      const at = done + this.mem.u32[st + 1]!;
      ticks += this.mem.u32[st + 2]!;
      if (n !== C.LVC_BUSY) throw errorFromStatus(n, "LastValueCache.apply", index);
      records = index;
      done = at;
      const now = performance.now();
      if (stuckAt !== at) {
        stuckAt = at;
        deadline = now + this.busyTimeoutMs;
      } else if (now > deadline) {
        const id = this.mem.u32[(src + at + L.OFF_SYMBOL_ID) >>> 2]!;
        const holder = this.mem.u32[(this.slotAt(id) + C.LVC_SLOT_OFF_OWNER) >>> 2]! & (C.LVC_MAX_WRITERS - 1);
        throw new TickwireError("TIMEOUT", `LastValueCache.apply: symbol ${id}'s slot stayed held by writer ${holder} for ${this.busyTimeoutMs} ms (record ${index}); if that writer's thread exited, call writerExited(${holder})`, index);
      }
    }
  }

  /**
   * Copies symbol `id`'s latest record to offset `dst` (8-aligned, {@link recordBytes}
   * of room, in memory you own) and returns its length, or 0 when the symbol has no value yet.
   */
  readInto(id: number, dst: number): number {
    this.checkId(id, "readInto");
    this.mem.checkOwned(dst, this.recordBytes, 8, "LastValueCache.readInto: dst");
    return this.read(id, dst);
  }

  /** A copy of symbol `id`'s latest record (a plain, unshared buffer), or undefined when it has no value yet. */
  snapshot(id: number): Uint8Array | undefined {
    this.checkId(id, "snapshot");
    const n = this.read(id, this.scratch);
    return n === 0 ? undefined : this.mem.u8.slice(this.scratch, this.scratch + n);
  }

  /** Records applied to symbol `id`'s slot so far (a u32 that wraps; replays skipped are not counted): cheap change detection. */
  updates(id: number): number {
    this.checkId(id, "updates");
    return Atomics.load(this.mem.u32, (this.slotAt(id) + C.LVC_SLOT_OFF_UPDATES) >>> 2);
  }

  /**
   * Copies the latest records of `ids` (symbols with no value are skipped) as one
   * contiguous batch to offset `dst` (8-aligned, `capacity` bytes of memory you own):
   * what a new subscriber to those symbols is sent first. Stops early when the next
   * record might not fit: resume with `ids.slice(result.next)`. A slot held by a writer
   * is retried for up to busyTimeoutMs, then skipped and counted in `busy`.
   */
  snapshotIds(ids: ArrayLike<number>, dst: number, capacity: number): SnapshotResult {
    if (!Array.isArray(ids) && !(ArrayBuffer.isView(ids) && !(ids instanceof DataView))) {
      throw new TickwireError("ARGUMENT", `snapshotIds: ids must be an array of symbol ids, got ${describe(ids)}`);
    }
    checkInt(capacity, 0, this.mem.byteLength, "snapshotIds: capacity");
    this.mem.checkOwned(dst, capacity, 8, "LastValueCache.snapshotIds: dst");
    const list = this.idScratch(ids.length);
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (typeof id !== "number" || !Number.isInteger(id) || id < 0 || id >= this.capacity) this.checkId(id as number, `snapshotIds (ids[${i}])`);
      this.mem.u32[(list >>> 2) + i] = id as number;
    }
    return this.gather("snapshotIds", 0, ids.length, dst, capacity,
      (at, out, room) => this.core.lvcSnapshotIds(this.offset, list + 4 * at, ids.length - at, out, room, SPINS, this.status));
  }

  /**
   * Copies the latest records of symbol ids `from..to-1` (ids with no value are
   * skipped) as one contiguous batch to offset `dst` (8-aligned, `capacity` bytes of
   * memory you own). Stops early when the next record might not fit: resume from
   * `result.next`. A slot held by a writer is retried for up to busyTimeoutMs, then
   * skipped and counted in `busy`.
   */
  snapshotRange(from: number, to: number, dst: number, capacity: number): SnapshotResult {
    checkInt(capacity, 0, this.mem.byteLength, "snapshotRange: capacity");
    this.mem.checkOwned(dst, capacity, 8, "LastValueCache.snapshotRange: dst");
    return this.range(from, to, dst, capacity);
  }

  /**
   * Calls `fn` with a view of the latest record of every symbol that has one, in
   * id order (from a consistent copy: the view is valid until `fn` returns; it reads,
   * it does not write). Copies `chunkBytes` at a time through a scratch area of this thread.
   */
  forEach(fn: (record: TickView, id: number) => void, chunkBytes = 64 * 1024): void {
    if (typeof fn !== "function") throw new TickwireError("ARGUMENT", `LastValueCache.forEach: fn must be a function, got ${describe(fn)}`);
    checkInt(chunkBytes, 1, 1 << 30, "LastValueCache.forEach: chunkBytes");
    const bytes = Math.max(chunkBytes, this.recordBytes);
    const chunk = this.chunkScratch(bytes);
    const view = new TickView(this.mem.buffer);
    for (let from = 0; from < this.capacity;) {
      const r = this.range(from, this.capacity, chunk, bytes);
      for (let off = 0; off < r.bytes; off += view.length) fn(view.wrap(chunk + off), view.symbolId);
      from = r.next;
    }
  }

  private range(from: number, to: number, dst: number, capacity: number): SnapshotResult {
    if (!Number.isInteger(from) || !Number.isInteger(to) || from < 0 || to < from || to > 0xffffffff) {
      throw new TickwireError("ARGUMENT", `snapshotRange: need integers 0 ≤ from ≤ to < 2^32, got ${describe(from)}..${describe(to)}`);
    }
    const end = Math.min(to, this.capacity);
    return this.gather("snapshotRange", Math.min(from, end), end, dst, capacity,
      (at, out, room) => this.core.lvcSnapshotRange(this.offset, at, end, out, room, SPINS, this.status));
  }

  // Drives a snapshot export over positions start..end (ids or indexes into an id
  // list), through busy slots: `call(at, out, room)` returns bytes and leaves in
  // status the positions consumed (ids) or the next id (range), and a busy flag.
  private gather(op: string, start: number, end: number, dst: number, capacity: number,
    call: (at: number, out: number, room: number) => number): SnapshotResult {
    const relative = op === "snapshotIds";
    let bytes = 0;
    let at = start;
    let busy = 0;
    let stuck = -1;
    let deadline = 0;
    while (at < end) {
      const n = call(at, dst + bytes, capacity - bytes);
      if (n < 0) {
        if (n === L.ERR_OUTPUT_FULL && bytes > 0) break; // no room for another record
        throw errorFromStatus(n, op);
      }
      bytes += n;
      const s = this.mem.u32[this.status >>> 2]!;
      at = relative ? at + s : s;
      if (this.mem.u32[(this.status + 4) >>> 2] === 0) break; // out of positions or of room
      if (stuck !== at) {
        stuck = at;
        deadline = performance.now() + this.busyTimeoutMs;
      } else if (performance.now() > deadline) {
        busy++; // held by a writer all this time: leave it out
        at++;
      }
    }
    return { bytes, next: at, busy };
  }

  // Registers this instance as writer `id` (or the first free id from the top): returns its owner word.
  private register(id: number | undefined): number {
    const table = (this.offset + C.LVC_WRITERS) / 4;
    const ids = id === undefined ? Array.from({ length: C.LVC_MAX_WRITERS - 1 }, (_, k) => C.LVC_MAX_WRITERS - 1 - k) : [id];
    for (const candidate of ids) {
      for (;;) {
        const e = Atomics.load(this.mem.u32, table + candidate);
        if ((e & 1) === 1) break;
        const generation = ((e >>> 1) + 1) & 0x7fffffff;
        if (Atomics.compareExchange(this.mem.u32, table + candidate, e, (generation * 2 + 1) >>> 0) === e) {
          this.owner = (candidate | ((generation & C.LVC_GENERATION_MASK) << C.LVC_WRITER_ID_BITS)) >>> 0;
          return this.owner;
        }
      }
    }
    throw new TickwireError("ARGUMENT", id === undefined
      ? `LastValueCache: all ${C.LVC_MAX_WRITERS - 1} writer ids are registered (close() writers that are done, or call writerExited for dead ones)`
      : `LastValueCache: writer id ${id} is registered to a live writer (if its thread exited, call writerExited(${id}) first)`);
  }

  private slotAt(id: number): number {
    return this.offset + C.LVC_SLOTS + id * this.slotBytes;
  }

  // Copies a record, retrying a slot held by a writer for at most busyTimeoutMs.
  private read(id: number, dst: number): number {
    const n = this.core.lvcRead(this.offset, id, dst, SPINS);
    if (n !== C.LVC_BUSY) return n;
    const deadline = performance.now() + this.busyTimeoutMs;
    for (;;) {
      const again = this.core.lvcRead(this.offset, id, dst, SPINS);
      if (again !== C.LVC_BUSY) return again;
      if (performance.now() > deadline) {
        throw new TickwireError("TIMEOUT", `LastValueCache: read symbol ${id}: the slot stayed held by a writer for ${this.busyTimeoutMs} ms (if that writer's thread exited, declare it with writerExited; its next write repairs the slot)`);
      }
    }
  }

  private chunk = { offset: 0, bytes: 0 };
  private chunkScratch(bytes: number): number {
    if (this.chunk.bytes < bytes) this.chunk = { offset: this.mem.reserve(bytes, 64), bytes };
    return this.chunk.offset;
  }

  private ids = { offset: 0, count: 0 };
  private idScratch(count: number): number {
    if (this.ids.count < count) this.ids = { offset: this.mem.reserve(Math.max(4, count * 4), 64), count };
    return this.ids.offset;
  }

  private checkId(id: number, op: string): void {
    if (typeof id !== "number" || !Number.isInteger(id) || id < 0 || id >= this.capacity) {
      throw new TickwireError("SYMBOL", `LastValueCache.${op}: symbol id ${describe(id)} is outside the cache (capacity ${this.capacity})`);
    }
  }
}

function checkWriterId(id: unknown): number | undefined {
  return id === undefined ? undefined : checkInt(id, 1, C.LVC_MAX_WRITERS - 1, "LastValueCache: writerId");
}
