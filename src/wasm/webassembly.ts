/**
 * The WebAssembly types that tickwire's public declarations name. TypeScript declares the
 * `WebAssembly` namespace only in lib "dom" and "webworker", and @types/node 20 does not declare
 * it, so without this a Node project without the DOM lib could not read tickwire's `.d.ts`
 * ("Cannot find namespace 'WebAssembly'"). Every runtime tickwire runs on has these objects.
 *
 * Types only, and the DOM lib's own members: in a project that has lib "dom" these interfaces
 * merge with its declarations instead of clashing. The values (`new WebAssembly.Memory(…)`,
 * `WebAssembly.compile`) are the runtime's; tickwire's source declares what it calls of them in
 * `webassembly-runtime.d.ts`, which is not shipped. Modules whose declarations name these types
 * import this one for its side effect, so a consumer's program always includes it.
 * @packageDocumentation
 */
declare global {
  namespace WebAssembly {
    /** A compiled module: structured-cloneable, so it can be posted to workers. */
    interface Module {}
    /** A linear memory; tickwire's is shared, so `buffer` is a `SharedArrayBuffer` at run time. */
    interface Memory {
      readonly buffer: ArrayBuffer;
      grow(delta: number): number;
    }
  }
}
export {};
