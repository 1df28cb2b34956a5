import { TickwireError } from "../errors.js";
import { compileCore, instantiateCore, type WasmSource } from "../wasm/load.js";
import type { CoreExports } from "../wasm/exports.js";
import "../wasm/webassembly.js"; // the WebAssembly types these declarations name, for projects without lib "dom"
import { checkInt, checkOptions, describe, named } from "../validate.js";
import { registerOwnership } from "./ownership.js";

const PAGE_BYTES = 65536;
/** Largest memory: 2 GiB less one page, so every offset is a positive i32. */
const MAX_BYTES = 32767 * PAGE_BYTES;
const MAGIC = 0x4d574b54; // "TKWM"
const HEADER_VERSION = 2;
/** A granule of the region map: 64 bytes, one cache line. */
const GRANULE_SHIFT = 6;

// Memory header, at the first 64-byte boundary above the module's static data (`base`):
//   0 u32 magic   4 u32 version   8 u32 next free byte (atomic bump)   12 u32 end (the memory's size)
//  16 u32 region map offset   20..63 reserved
// Region map, right after the header: one bit per 64-byte granule of the memory, set for
// granules a caller owns (regions from allocate(), and ring data areas). Every public call
// that writes into a region the caller names checks it here first, so no call can write
// into the module's static data, the header, or a structure tickwire keeps (a symbol table,
// a cache, ring headers, cursors) however wrong its arguments.
const HDR_MAGIC = 0;
const HDR_VERSION = 4;
const HDR_NEXT = 8;
const HDR_END = 12;
const HDR_MAP = 16;
const HEADER_BYTES = 64;

/** What a worker needs to attach to a {@link TickwireMemory}: structured-cloneable, send it with postMessage. */
export interface MemoryHandle {
  readonly memory: WebAssembly.Memory;
  readonly module: WebAssembly.Module;
}

/** Options of {@link TickwireMemory.create}. */
export interface TickwireMemoryOptions {
  /** Size of the shared memory in bytes, rounded up to 64 KiB pages, at most 2 GiB less a page. Fixed for its life. Default 64 MiB. */
  bytes?: number;
  /** An already compiled core (saves a compile). Default: compiled from `wasm`. */
  module?: WebAssembly.Module;
  /** Where to compile the core from when `module` is not given. Default: this package's build/tickwire.wasm. */
  wasm?: WasmSource;
}

// Where a module's static data ends, learnt once per module by instantiating it on a
// throwaway page: attach must find the header before it instantiates on a real memory
// (every instantiation writes the module's data segments into the memory it is given).
const staticEnds = new WeakMap<WebAssembly.Module, number>();
async function staticEndOf(module: WebAssembly.Module): Promise<number> {
  let end = staticEnds.get(module);
  if (end === undefined) {
    const probe = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
    const core = await instantiate(module, probe, "TickwireMemory");
    end = core.staticEnd();
    staticEnds.set(module, end);
  }
  return end;
}

async function instantiate(module: WebAssembly.Module, memory: WebAssembly.Memory, op: string): Promise<CoreExports> {
  let core: CoreExports;
  try {
    core = await instantiateCore(module, memory);
  } catch (e) {
    throw new TickwireError("HANDLE", `${op}: the module is not the tickwire core or does not fit the memory (${(e as Error).message})`);
  }
  if (typeof core.staticEnd !== "function" || typeof core.ringClaim !== "function") {
    throw new TickwireError("HANDLE", `${op}: the module is not the tickwire core`);
  }
  return core;
}

/**
 * One shared `WebAssembly.Memory` with the Wasm core instantiated on it: the home of
 * every tick data structure (rings, symbol table, caches, scratch areas). Regions are
 * carved with {@link TickwireMemory.allocate}, from any thread, and never freed: lay
 * structures out at start-up. The memory never grows, so views never go stale.
 */
export class TickwireMemory {
  /** Bytes as unsigned 8-bit integers. */
  readonly u8: Uint8Array;
  /** The same bytes as 32-bit words (index = byte offset >>> 2). */
  readonly u32: Uint32Array;
  /** The same bytes as signed 32-bit words, for Atomics.wait/notify. */
  readonly i32: Int32Array;
  /** The same bytes as 64-bit floats (index = byte offset >>> 3). */
  readonly f64: Float64Array;
  /** The shared buffer behind all views. */
  readonly buffer: SharedArrayBuffer;
  /** Offset of the memory header (the first byte the host owns). */
  readonly base: number;
  private readonly mapIndex: number;

  private constructor(readonly memory: WebAssembly.Memory, readonly module: WebAssembly.Module, readonly core: CoreExports, base: number) {
    this.buffer = memory.buffer as unknown as SharedArrayBuffer;
    this.u8 = new Uint8Array(this.buffer);
    this.u32 = new Uint32Array(this.buffer);
    this.i32 = new Int32Array(this.buffer);
    this.f64 = new Float64Array(this.buffer);
    this.base = base;
    this.mapIndex = this.u32[(base + HDR_MAP) >>> 2]! >>> 2;
    registerOwnership(this.buffer, this);
  }

  /** Creates a shared memory, instantiates the core on it and writes the header. */
  static async create(options?: TickwireMemoryOptions): Promise<TickwireMemory> {
    const o = checkOptions<TickwireMemoryOptions>(options, "TickwireMemory.create: options");
    const bytes = o.bytes ?? 64 * 1024 * 1024;
    // Below 2 GiB: offsets cross the Wasm boundary as i32 (negative results are error codes).
    checkInt(bytes, PAGE_BYTES, MAX_BYTES, "TickwireMemory.create: bytes (2 GiB less a page at most)");
    if (o.module !== undefined && !(o.module instanceof WebAssembly.Module)) {
      throw new TickwireError("ARGUMENT", `TickwireMemory.create: module must be a WebAssembly.Module, got ${describe(o.module)}`);
    }
    const pages = Math.ceil(bytes / PAGE_BYTES);
    const module = o.module ?? (await compileCore(o.wasm));
    const memory = new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
    const core = await instantiate(module, memory, "TickwireMemory.create");
    const base = (core.staticEnd() + 63) & ~63;
    const u32 = new Uint32Array(memory.buffer);
    const h = base >>> 2;
    const map = base + HEADER_BYTES;
    const granules = (pages * PAGE_BYTES) / (1 << GRANULE_SHIFT);
    const mapBytes = Math.ceil(granules / 8 / 64) * 64; // one bit a granule, whole cache lines
    u32[h + HDR_VERSION / 4] = HEADER_VERSION;
    u32[h + HDR_END / 4] = pages * PAGE_BYTES;
    u32[h + HDR_MAP / 4] = map;
    Atomics.store(u32, h + HDR_NEXT / 4, map + mapBytes);
    Atomics.store(u32, h + HDR_MAGIC / 4, MAGIC);
    return new TickwireMemory(memory, module, core, base);
  }

  /**
   * Attaches to a memory created elsewhere (typically in a worker, from a posted handle).
   * Checks the memory's header before instantiating on it, so a memory that is not a
   * tickwire memory is refused untouched.
   */
  static async attach(handle: MemoryHandle): Promise<TickwireMemory> {
    if (typeof handle !== "object" || handle === null || !(handle.memory instanceof WebAssembly.Memory) || !(handle.module instanceof WebAssembly.Module)) {
      throw new TickwireError("HANDLE", "TickwireMemory.attach: the handle must hold a WebAssembly.Memory and a WebAssembly.Module");
    }
    const buffer = handle.memory.buffer as unknown;
    if (!(buffer instanceof SharedArrayBuffer)) throw new TickwireError("HANDLE", "TickwireMemory.attach: the memory is not shared");
    const base = (await staticEndOf(handle.module) + 63) & ~63;
    const u32 = new Uint32Array(buffer);
    const h = base >>> 2;
    const fits = base + HEADER_BYTES <= buffer.byteLength;
    if (!fits || Atomics.load(u32, h + HDR_MAGIC / 4) !== MAGIC || u32[h + HDR_VERSION / 4] !== HEADER_VERSION
      || u32[h + HDR_END / 4] !== buffer.byteLength || u32[h + HDR_MAP / 4] !== base + HEADER_BYTES) {
      throw new TickwireError("HANDLE", "TickwireMemory.attach: the memory has no tickwire header for this module (was it made by TickwireMemory.create with it?)");
    }
    return new TickwireMemory(handle.memory, handle.module, await instantiate(handle.module, handle.memory, "TickwireMemory.attach"), base);
  }

  /** The structured-cloneable handle a worker passes to {@link TickwireMemory.attach}. */
  handle(): MemoryHandle {
    return { memory: this.memory, module: this.module };
  }

  /** Total bytes of the memory. */
  get byteLength(): number {
    return this.buffer.byteLength;
  }

  /** Bytes still free for {@link TickwireMemory.allocate}. */
  get bytesFree(): number {
    return this.u32[(this.base + HDR_END) >>> 2]! - Atomics.load(this.u32, (this.base + HDR_NEXT) >>> 2);
  }

  /**
   * Reserves `bytes` zeroed bytes aligned to `align` (a power of two from 8; regions
   * start on 64-byte boundaries at least) and returns their offset: a region the caller
   * owns, which tickwire's calls may write into. Lock-free and safe from any thread.
   */
  allocate(bytes: number, align = 64): number {
    checkInt(bytes, 1, MAX_BYTES, "allocate: bytes");
    checkInt(align, 8, 1 << 30, "allocate: align");
    if ((align & (align - 1)) !== 0) throw new TickwireError("ARGUMENT", `allocate: align must be a power of two, got ${align}`);
    const granules = Math.ceil(bytes / 64) * 64;
    const at = this.carve(granules, Math.max(align, 64), "allocate");
    this.grant(at, granules);
    return at;
  }

  /** @internal Reserves memory for tickwire's own structures: not a region callers own. */
  reserve(bytes: number, align = 64): number {
    return this.carve(bytes, align, "tickwire");
  }

  /** @internal Marks [offset, offset + bytes), 64-byte aligned, as a region callers own (a ring's data area). */
  grant(offset: number, bytes: number): void {
    for (let g = offset >>> GRANULE_SHIFT, end = (offset + bytes) >>> GRANULE_SHIFT; g < end; g++) {
      Atomics.or(this.u32, this.mapIndex + (g >>> 5), 1 << (g & 31));
    }
  }

  /**
   * Whether [offset, offset + bytes) is inside memory a caller owns: regions from
   * {@link allocate} and ring data areas (a zero-length region: anywhere inside the memory).
   */
  owns(offset: number, bytes: number): boolean {
    if (!Number.isInteger(offset) || !Number.isInteger(bytes) || offset < 0 || bytes < 0 || offset + bytes > this.u8.length) return false;
    if (bytes === 0) return true;
    if ((offset >= this.provenStart && offset + bytes <= this.provenEnd) || (offset >= this.olderStart && offset + bytes <= this.olderEnd)) return true;
    const first = offset >>> GRANULE_SHIFT;
    const last = (offset + bytes - 1) >>> GRANULE_SHIFT;
    for (let g = first; g <= last; g++) if (!this.granuleOwned(g)) return false;
    this.remember(first, last);
    return true;
  }

  /** Whether [offset, offset + bytes) lies in one of the two owned runs proven last: a fast path for hot callers (false: ask owns). @internal */
  inProven(offset: number, bytes: number): boolean {
    // Two runs, so a caller alternating between two buffers (stage and records) stays on the fast path.
    return (offset >= this.provenStart && offset + bytes <= this.provenEnd) || (offset >= this.olderStart && offset + bytes <= this.olderEnd);
  }

  // The last two owned runs proven: ownership only grows (nothing is ever freed), so a region
  // inside one stays owned. A proven region is widened to the whole contiguous owned run around
  // it (an allocation, a ring's data area), so later calls anywhere in that buffer pay no walk.
  private provenStart = 0;
  private provenEnd = 0;
  private olderStart = 0;
  private olderEnd = 0;

  private granuleOwned(g: number): boolean {
    return (this.u32[this.mapIndex + (g >>> 5)]! & (1 << (g & 31))) !== 0;
  }

  private remember(first: number, last: number): void {
    const granules = this.u8.length >>> GRANULE_SHIFT;
    const map = this.u32;
    while (first > 0 && this.granuleOwned(first - 1)) {
      first--;
      while (first >= 32 && (first & 31) === 0 && map[this.mapIndex + (first >>> 5) - 1] === 0xffffffff) first -= 32; // whole words
    }
    while (last + 1 < granules && this.granuleOwned(last + 1)) {
      last++;
      while ((last & 31) === 31 && last + 32 < granules && map[this.mapIndex + (last >>> 5) + 1] === 0xffffffff) last += 32;
    }
    this.olderStart = this.provenStart;
    this.olderEnd = this.provenEnd;
    this.provenStart = first << GRANULE_SHIFT;
    this.provenEnd = (last + 1) << GRANULE_SHIFT;
  }

  /**
   * Checks that `offset` and `bytes` are integers naming a region inside memory the caller
   * owns (see {@link owns}), `align`-aligned; else a REGION error naming `what` (in `context`).
   * Returns offset.
   * @internal
   */
  checkOwned(offset: unknown, bytes: unknown, align: number, what: string, context?: string): number {
    if (typeof offset === "number" && typeof bytes === "number" && this.inProven(offset, bytes)
      && bytes >= 0 && offset % align === 0 && Number.isInteger(offset) && Number.isInteger(bytes)) return offset;
    return this.proveOwned(offset, bytes, align, what, context);
  }

  // checkOwned past its fast path: the map walk (which widens the proven run), or the error.
  private proveOwned(offset: unknown, bytes: unknown, align: number, what: string, context?: string): number {
    if (typeof offset === "number" && typeof bytes === "number" && offset % align === 0 && this.owns(offset, bytes)) return offset;
    throw new TickwireError("REGION", `${named(what, context)}: [${describe(offset)}, +${describe(bytes)}) is not ${align > 1 ? `a ${align}-aligned region` : "a region"} inside memory you own (allocate() it, or use a ring's claim)`);
  }

  /**
   * Checks that `offset` and `bytes` are integers naming a region inside the memory (a
   * source: read, never written), `align`-aligned; else a REGION error naming `what` (in `context`).
   * @internal
   */
  checkInside(offset: unknown, bytes: unknown, align: number, what: string, context?: string): number {
    if (typeof offset !== "number" || typeof bytes !== "number" || !Number.isInteger(offset) || !Number.isInteger(bytes)
      || offset < 0 || bytes < 0 || offset % align !== 0 || offset + bytes > this.u8.length) this.notInside(offset, bytes, align, what, context);
    return offset as number;
  }

  private notInside(offset: unknown, bytes: unknown, align: number, what: string, context?: string): never {
    throw new TickwireError("REGION", `${named(what, context)}: [${describe(offset)}, +${describe(bytes)}) is not ${align > 1 ? `a ${align}-aligned region` : "a region"} inside the memory (${this.u8.length} bytes)`);
  }

  private carve(bytes: number, align: number, who: string): number {
    const nextIndex = (this.base + HDR_NEXT) >>> 2;
    const end = this.u32[(this.base + HDR_END) >>> 2]!;
    for (;;) {
      const next = Atomics.load(this.u32, nextIndex);
      const start = Math.ceil(next / align) * align;
      if (start + bytes > end) {
        throw new TickwireError("MEMORY", `${who === "allocate" ? "allocate" : "tickwire"}: ${bytes} bytes do not fit; ${end - next} of ${end} bytes are free (make the TickwireMemory larger)`);
      }
      if (Atomics.compareExchange(this.u32, nextIndex, next, start + bytes) === next) return start;
    }
  }
}
