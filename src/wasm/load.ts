// Compiling and instantiating the Wasm core. Everything that touches
// WebAssembly instantiation lives here, so swapping the loader is a one-file change.
//
// @assemblyscript/loader instantiates the module and, in the debug build (which keeps
// AssemblyScript's `abort` import), turns a failed assertion into an Error naming its
// message, file and line. Its other helpers (__getString, __newArray, ...) need the
// runtime exported, and a module on shared memory must not export or use a runtime:
// every instance would run its own allocator over the same heap. So our exports take
// and return numbers only and the host lays out every region.
import { instantiate } from "@assemblyscript/loader";
import type { CoreExports } from "./exports.js";
import "./webassembly.js"; // the WebAssembly types these declarations name, for projects without lib "dom"
import { TickwireError } from "../errors.js";
import { describe } from "../validate.js";

/** The release build, beside this package's `build/` folder. */
export const DEFAULT_WASM_URL: URL = new URL("../../build/tickwire.wasm", import.meta.url);

/** Where the module's bytes come from: bytes, a URL (file:, http:, data:), or a fetch Response. */
export type WasmSource = ArrayBuffer | ArrayBufferView | URL | Response;

/**
 * Compiles the Wasm core. Compile once per process and hand the module to workers
 * (a `WebAssembly.Module` is structured-cloneable); instantiating is then cheap.
 */
export async function compileCore(source: WasmSource = DEFAULT_WASM_URL): Promise<WebAssembly.Module> {
  try {
    if (source instanceof URL) {
      if (source.protocol === "file:") {
        // Node 20's fetch cannot read file: URLs; Bun and Deno can, but readFile works in all three.
        const { readFile } = await import("node:fs/promises");
        return await WebAssembly.compile(await readFile(source));
      }
      return await WebAssembly.compileStreaming(fetch(source));
    }
    if (typeof Response !== "undefined" && source instanceof Response) return await WebAssembly.compileStreaming(source);
    if (!(source instanceof ArrayBuffer) && !ArrayBuffer.isView(source)) {
      throw new TickwireError("ARGUMENT", `compileCore: give the module's bytes, a URL or a Response, got ${describe(source)}`);
    }
    return await WebAssembly.compile(source);
  } catch (e) {
    if (e instanceof TickwireError) throw e;
    throw new TickwireError("HANDLE", `compileCore: could not compile the core from ${source instanceof URL ? source.href : describe(source)} (${(e as Error).message})`);
  }
}

/** Instantiates the core on a shared memory. Safe from any number of threads at once. */
export async function instantiateCore(module: WebAssembly.Module, memory: WebAssembly.Memory): Promise<CoreExports> {
  if (!(module instanceof WebAssembly.Module)) throw new TickwireError("ARGUMENT", `instantiateCore: module must be a WebAssembly.Module, got ${describe(module)}`);
  if (!(memory instanceof WebAssembly.Memory)) throw new TickwireError("ARGUMENT", `instantiateCore: memory must be a shared WebAssembly.Memory, got ${describe(memory)}`);
  let instance: WebAssembly.Instance;
  try {
    ({ instance } = await instantiate<Record<string, unknown>>(module, { env: { memory } }));
  } catch (e) {
    throw new TickwireError("HANDLE", `instantiateCore: the module does not instantiate on this memory (${(e as Error).message})`);
  }
  // The raw exports: the loader's demangled wrappers cost ~5 ns a call (measured in
  // bench/codec.ts), and our exports take numbers only, so the wrappers add nothing.
  return instance.exports as unknown as CoreExports;
}
