import * as L from "../format/layout.js";
import * as C from "./layout.js";
import { TickwireError, errorFromStatus } from "../errors.js";
import { TickView, Kind } from "../format/record.js";
import type { TickwireMemory } from "../memory/shared-memory.js";
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
  /** How long a read waits for a slot that stays mid-write before it throws TIMEOUT, ms. Default 1000. */
  busyTimeoutMs?: number;
  /**
   * Who this instance writes as (1..2^32-1). A slot left mid-write by a dead writer of the
   * same id is taken over at once (give a restarted worker its predecessor's id); one left
   * by another id, or by an anonymous writer (the default), after about a second of waiting.
   */
  writerId?: number;
}

/** How far a snapshot call got. */
export interface SnapshotResult {
  /** Bytes of records written (a valid batch: contiguous records). */
  readonly bytes: number;
  /** Where to resume: for {@link LastValueCache.snapshotIds} the count of ids consumed, for {@link LastValueCache.snapshotRange} the next id. */
  readonly next: number;
  /** Symbols skipped because their slot stayed mid-write (a writer that died there). */
  readonly busy: number;
}

// Attempts per Wasm call before the host checks the clock: ~a millisecond of spinning at most.
const SPINS = 1 << 14;

/**
 * The last-value cache: the latest record of every symbol id, in shared memory,
 * for snapshots to new subscribers and conflation. The worker that owns a
 * symbol's partition writes its slot ({@link apply}, a whole batch per Wasm call);
 * any thread reads ({@link read}, {@link snapshot}, {@link snapshotIds},
 * {@link snapshotRange}, {@link forEach}) without locks and never sees a torn
 * record: each slot has a sequence lock (odd while written), and a reader retries
 * until it copied the record between two equal even sequence numbers.
 *
 * A slot keeps the latest value per field group: the tick fields of slot 0 from
 * the latest record of any kind, OHLC/volume/best bid-ask from the latest QUOTE or
 * DEPTH, the book from the latest DEPTH; its kind is the largest seen. So a DEPTH
 * subscriber gets the book and a fresh LTP even when the last tick was an LTP.
 * Layout: src/cache/layout.ts. One object per thread (it owns a scratch area).
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

  private constructor(private readonly mem: TickwireMemory, readonly offset: number, busyTimeoutMs: number, private readonly writerId: number) {
    const h = offset >>> 2;
    this.capacity = mem.u32[h + C.LVC_OFF_CAPACITY / 4]!;
    this.maxKind = mem.u32[h + C.LVC_OFF_MAX_KIND / 4]! as Kind;
    this.slotBytes = mem.u32[h + C.LVC_OFF_SLOT_BYTES / 4]!;
    this.recordBytes = this.slotBytes - C.LVC_SLOT_HEADER_BYTES;
    this.core = cacheCore(mem);
    this.scratch = mem.allocate(this.recordBytes + 8, 64);
    this.status = this.scratch + this.recordBytes;
    this.busyTimeoutMs = busyTimeoutMs;
  }

  /** Lays out a cache in `mem`: one slot per symbol id, every slot empty. */
  static create(mem: TickwireMemory, options: LastValueCacheOptions): LastValueCache {
    const { capacity, maxKind = Kind.DEPTH } = options;
    if (!Number.isInteger(capacity) || capacity < 1 || capacity > 1 << 24) {
      throw new TickwireError("ARGUMENT", `LastValueCache: capacity must be an integer from 1 to 16777216, got ${capacity}`);
    }
    if (maxKind !== Kind.LTP && maxKind !== Kind.QUOTE && maxKind !== Kind.DEPTH) {
      throw new TickwireError("KIND", `LastValueCache: maxKind must be Kind.LTP (1), Kind.QUOTE (2) or Kind.DEPTH (3), got ${String(maxKind)}`);
    }
    const recordBytes = maxKind === Kind.LTP ? L.LTP_BYTES : maxKind === Kind.QUOTE ? L.QUOTE_BYTES : L.DEPTH_BYTES;
    const slotBytes = C.LVC_SLOT_HEADER_BYTES + recordBytes;
    const offset = mem.allocate(C.LVC_HEADER_BYTES + capacity * slotBytes, 64);
    const h = offset >>> 2;
    mem.u32[h + C.LVC_OFF_CAPACITY / 4] = capacity;
    mem.u32[h + C.LVC_OFF_MAX_KIND / 4] = maxKind;
    mem.u32[h + C.LVC_OFF_SLOT_BYTES / 4] = slotBytes;
    Atomics.store(mem.u32, h + C.LVC_OFF_MAGIC / 4, C.LVC_MAGIC);
    return new LastValueCache(mem, offset, checkTimeout(options.busyTimeoutMs), checkWriterId(options.writerId));
  }

  /**
   * Attaches to a cache made by {@link LastValueCache.create}, e.g. in a worker given its offset.
   * A writer that may die and be restarted passes a `writerId` that its restart reuses.
   */
  static attach(mem: TickwireMemory, offset: number, options: { busyTimeoutMs?: number; writerId?: number } = {}): LastValueCache {
    if (!Number.isInteger(offset) || offset < 0 || (offset & 63) !== 0 || offset + C.LVC_HEADER_BYTES > mem.byteLength
      || Atomics.load(mem.u32, offset >>> 2) !== C.LVC_MAGIC) {
      throw new TickwireError("HANDLE", `LastValueCache.attach: no last-value cache at offset ${offset}`);
    }
    return new LastValueCache(mem, offset, checkTimeout(options.busyTimeoutMs), checkWriterId(options.writerId));
  }

  /**
   * Merges every tick record of the batch of `bytes` bytes at offset `src` into
   * its symbol's slot, in one Wasm call (padding records are skipped). Returns the
   * number of ticks applied. Throws a TickwireError naming the record for a bad
   * header or a symbolId ≥ capacity (SYMBOL); records before it are applied.
   * Call it from the thread that owns the records' symbols.
   */
  apply(src: number, bytes: number): number {
    const n = this.core.lvcApply(this.offset, src, bytes, this.writerId, this.status);
    if (n < 0) throw errorFromStatus(n, "LastValueCache.apply", this.mem.u32[this.status >>> 2]!);
    return n;
  }

  /**
   * Copies symbol `id`'s latest record to offset `dst` in shared memory (8-aligned,
   * {@link recordBytes} of room) and returns its length, or 0 when the symbol has no
   * value yet.
   */
  readInto(id: number, dst: number): number {
    this.checkId(id, "readInto");
    if ((dst & 7) !== 0 || dst < 0 || dst + this.recordBytes > this.mem.byteLength) {
      throw new TickwireError("ARGUMENT", `readInto: dst must be an 8-aligned offset with ${this.recordBytes} bytes of room, got ${dst}`);
    }
    const n = this.core.lvcRead(this.offset, id, dst, SPINS);
    return n === C.LVC_BUSY ? this.readBusy(id, dst) : n;
  }

  /** A copy of symbol `id`'s latest record (a plain, unshared buffer), or undefined when it has no value yet. */
  snapshot(id: number): Uint8Array | undefined {
    const n = this.readInto(id, this.scratch);
    return n === 0 ? undefined : this.mem.u8.slice(this.scratch, this.scratch + n);
  }

  /** Records applied to symbol `id`'s slot so far (a u32 that wraps): cheap change detection. */
  updates(id: number): number {
    this.checkId(id, "updates");
    return Atomics.load(this.mem.u32, (this.offset + C.LVC_HEADER_BYTES + id * this.slotBytes + C.LVC_SLOT_OFF_UPDATES) >>> 2);
  }

  /**
   * Copies the latest records of `ids` (symbols with no value are skipped) as one
   * contiguous batch to offset `dst` (8-aligned, `capacity` bytes): what a new
   * subscriber to those symbols is sent first. Stops early when the next record
   * might not fit: resume with `ids.slice(result.next)`. A slot found mid-write is
   * retried for up to busyTimeoutMs, then skipped and counted in `busy`.
   */
  snapshotIds(ids: ArrayLike<number>, dst: number, capacity: number): SnapshotResult {
    this.checkOut(dst, capacity, "snapshotIds");
    const list = this.idScratch(ids.length);
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      if (!Number.isInteger(id) || id < 0 || id >= this.capacity) this.checkId(id, `snapshotIds (ids[${i}])`);
      this.mem.u32[(list >>> 2) + i] = id;
    }
    return this.gather("snapshotIds", 0, ids.length, dst, capacity,
      (at, out, room) => this.core.lvcSnapshotIds(this.offset, list + 4 * at, ids.length - at, out, room, SPINS, this.status));
  }

  /**
   * Copies the latest records of symbol ids `from..to-1` (ids with no value are
   * skipped) as one contiguous batch to offset `dst` (8-aligned, `capacity` bytes).
   * Stops early when the next record might not fit: resume from `result.next`. A
   * slot found mid-write is retried for up to busyTimeoutMs, then skipped and
   * counted in `busy`.
   */
  snapshotRange(from: number, to: number, dst: number, capacity: number): SnapshotResult {
    this.checkOut(dst, capacity, "snapshotRange");
    if (!Number.isInteger(from) || !Number.isInteger(to) || from < 0 || to < from) {
      throw new TickwireError("ARGUMENT", `snapshotRange: need integers 0 ≤ from ≤ to, got ${from}..${to}`);
    }
    const end = Math.min(to, this.capacity);
    return this.gather("snapshotRange", Math.min(from, end), end, dst, capacity,
      (at, out, room) => this.core.lvcSnapshotRange(this.offset, at, end, out, room, SPINS, this.status) );
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
        busy++; // a writer died inside this slot's write: leave it out
        at++;
      }
    }
    return { bytes, next: at, busy };
  }

  /**
   * Calls `fn` with a view of the latest record of every symbol that has one, in
   * id order (from a consistent copy: the view is valid until `fn` returns).
   * Copies `chunkBytes` at a time through a scratch area of this thread.
   */
  forEach(fn: (record: TickView, id: number) => void, chunkBytes = 64 * 1024): void {
    const bytes = Math.max(chunkBytes, this.recordBytes);
    const chunk = this.chunkScratch(bytes);
    const view = new TickView(this.mem.buffer);
    for (let from = 0; from < this.capacity;) {
      const r = this.snapshotRange(from, this.capacity, chunk, bytes);
      for (let off = 0; off < r.bytes; off += view.length) fn(view.wrap(chunk + off), view.symbolId);
      from = r.next;
    }
  }

  private chunk = { offset: 0, bytes: 0 };
  private chunkScratch(bytes: number): number {
    if (this.chunk.bytes < bytes) this.chunk = { offset: this.mem.allocate(bytes, 64), bytes };
    return this.chunk.offset;
  }

  private ids = { offset: 0, count: 0 };
  private idScratch(count: number): number {
    if (this.ids.count < count) this.ids = { offset: this.mem.allocate(Math.max(4, count * 4), 64), count };
    return this.ids.offset;
  }

  // Retries a read that met a writer, for at most busyTimeoutMs.
  private readBusy(id: number, dst: number): number {
    const deadline = performance.now() + this.busyTimeoutMs;
    for (;;) {
      const n = this.core.lvcRead(this.offset, id, dst, SPINS);
      if (n !== C.LVC_BUSY) return n;
      if (performance.now() > deadline) {
        throw new TickwireError("TIMEOUT", `LastValueCache: read symbol ${id}: the slot stayed mid-write for ${this.busyTimeoutMs} ms (did its writer die inside a write? its next write repairs it)`);
      }
    }
  }

  private checkId(id: number, op: string): void {
    if (!Number.isInteger(id) || id < 0 || id >= this.capacity) {
      throw new TickwireError("SYMBOL", `LastValueCache.${op}: symbol id ${id} is outside the cache (capacity ${this.capacity})`);
    }
  }

  private checkOut(dst: number, capacity: number, op: string): void {
    if (!Number.isInteger(dst) || (dst & 7) !== 0 || dst < 0 || !Number.isInteger(capacity) || capacity < 0 || dst + capacity > this.mem.byteLength) {
      throw new TickwireError("ARGUMENT", `${op}: dst must be an 8-aligned offset and capacity a byte count that fits the memory, got ${dst} and ${capacity}`);
    }
  }
}

function checkTimeout(ms: number | undefined): number {
  if (ms === undefined) return 1000;
  if (typeof ms !== "number" || !(ms >= 0) || !Number.isFinite(ms)) throw new TickwireError("ARGUMENT", `busyTimeoutMs must be a finite number ≥ 0, got ${String(ms)}`);
  return ms;
}

function checkWriterId(id: number | undefined): number {
  if (id === undefined) return 0;
  if (!Number.isInteger(id) || id < 1 || id > 0xffffffff) throw new TickwireError("ARGUMENT", `LastValueCache: writerId must be an integer from 1 to 2^32-1, got ${id}`);
  return id;
}
