// The parts of the WebAssembly JavaScript API that tickwire's own code calls. The repository
// compiles without lib "dom" (so that nothing DOM-only slips into code that runs on Node or into
// the shipped declarations); TypeScript declares WebAssembly only there. A .d.ts is not emitted:
// this stays with the source. What the public declarations need is in webassembly.ts (shipped).
// Member shapes follow TypeScript's lib.dom.d.ts.
declare namespace WebAssembly {
  interface MemoryDescriptor {
    initial: number;
    maximum?: number;
    shared?: boolean;
  }
  var Memory: {
    prototype: Memory;
    new (descriptor: MemoryDescriptor): Memory;
  };
  var Module: {
    prototype: Module;
    new (bytes: ArrayBuffer | ArrayBufferView): Module;
  };
  interface Instance {
    readonly exports: Record<string, unknown>;
  }
  var Instance: {
    prototype: Instance;
    new (module: Module, importObject?: Record<string, Record<string, unknown>>): Instance;
  };
  function compile(bytes: ArrayBuffer | ArrayBufferView): Promise<Module>;
  function compileStreaming(source: Response | PromiseLike<Response>): Promise<Module>;
}
