import { TickwireError } from "../errors.js";
import { compileCore, instantiateCore, type WasmSource } from "../wasm/load.js";
import type { CoreExports } from "../wasm/exports.js";

const PAGE_BYTES = 65536;
/** Largest memory: 2 GiB less one page, so every offset is a positive i32. */
const MAX_BYTES = 32767 * PAGE_BYTES;
const MAGIC = 0x4d574b54; // "TKWM"
const HEADER_VERSION = 1;

// Memory header, at the first 64-byte boundary above the module's static data:
//   0 u32 magic   4 u32 version   8 u32 next free byte (atomic bump)   12 u32 end   16..63 reserved
const HDR_MAGIC = 0;
const HDR_VERSION = 4;
const HDR_NEXT = 8;
const HDR_END = 12;
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

  private constructor(readonly memory: WebAssembly.Memory, readonly module: WebAssembly.Module, readonly core: CoreExports) {
    this.buffer = memory.buffer as unknown as SharedArrayBuffer;
    this.u8 = new Uint8Array(this.buffer);
    this.u32 = new Uint32Array(this.buffer);
    this.i32 = new Int32Array(this.buffer);
    this.f64 = new Float64Array(this.buffer);
    this.base = (core.staticEnd() + 63) & ~63;
  }

  /** Creates a shared memory, instantiates the core on it and writes the header. */
  static async create(options: TickwireMemoryOptions = {}): Promise<TickwireMemory> {
    const bytes = options.bytes ?? 64 * 1024 * 1024;
    // Below 2 GiB: offsets cross the Wasm boundary as i32 (negative results are error codes).
    if (!Number.isInteger(bytes) || bytes < PAGE_BYTES || bytes > MAX_BYTES) {
      throw new TickwireError("ARGUMENT", `TickwireMemory: bytes must be an integer from 65536 to ${MAX_BYTES} (2 GiB less a page), got ${bytes}`);
    }
    const pages = Math.ceil(bytes / PAGE_BYTES);
    const module = options.module ?? (await compileCore(options.wasm));
    const memory = new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
    const mem = new TickwireMemory(memory, module, await instantiateCore(module, memory));
    const h = mem.base >>> 2;
    mem.u32[h + HDR_VERSION / 4] = HEADER_VERSION;
    mem.u32[h + HDR_END / 4] = pages * PAGE_BYTES;
    Atomics.store(mem.u32, h + HDR_NEXT / 4, mem.base + HEADER_BYTES);
    Atomics.store(mem.u32, h + HDR_MAGIC / 4, MAGIC);
    return mem;
  }

  /** Attaches to a memory created elsewhere (typically in a worker, from a posted handle). */
  static async attach(handle: MemoryHandle): Promise<TickwireMemory> {
    if (!handle || !(handle.memory instanceof WebAssembly.Memory) || !(handle.module instanceof WebAssembly.Module)) {
      throw new TickwireError("HANDLE", "TickwireMemory.attach: the handle must hold a WebAssembly.Memory and a WebAssembly.Module");
    }
    if (!(handle.memory.buffer instanceof SharedArrayBuffer)) {
      throw new TickwireError("HANDLE", "TickwireMemory.attach: the memory is not shared");
    }
    const mem = new TickwireMemory(handle.memory, handle.module, await instantiateCore(handle.module, handle.memory));
    if (Atomics.load(mem.u32, (mem.base + HDR_MAGIC) >>> 2) !== MAGIC) {
      throw new TickwireError("HANDLE", "TickwireMemory.attach: the memory has no tickwire header (was it made by TickwireMemory.create?)");
    }
    return mem;
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
   * Reserves `bytes` zeroed bytes aligned to `align` (a power of two, default 64: one
   * cache line) and returns their offset. Lock-free and safe from any thread.
   */
  allocate(bytes: number, align = 64): number {
    if (!Number.isInteger(bytes) || bytes <= 0) throw new TickwireError("ARGUMENT", `allocate: bytes must be a positive integer, got ${bytes}`);
    if (!Number.isInteger(align) || align < 8 || (align & (align - 1)) !== 0) {
      throw new TickwireError("ARGUMENT", `allocate: align must be a power of two ≥ 8, got ${align}`);
    }
    const nextIndex = (this.base + HDR_NEXT) >>> 2;
    const end = this.u32[(this.base + HDR_END) >>> 2]!;
    for (;;) {
      const next = Atomics.load(this.u32, nextIndex);
      const start = Math.ceil(next / align) * align;
      if (start + bytes > end) {
        throw new TickwireError("MEMORY", `allocate: ${bytes} bytes do not fit; ${end - next} of ${end} bytes are free (make the TickwireMemory larger)`);
      }
      if (Atomics.compareExchange(this.u32, nextIndex, next, start + bytes) === next) return start;
    }
  }
}
