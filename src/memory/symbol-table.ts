import * as L from "../format/layout.js";
import { TickwireError, errorFromStatus } from "../errors.js";
import { exchangeCode, exchangeName, type ExchangeName } from "../format/exchange.js";
import { isCleanName } from "../format/text.js";
import { checkInt, checkInstance, describe } from "../validate.js";
import { TickwireMemory } from "./shared-memory.js";

/** One interned symbol. */
export interface SymbolInfo {
  readonly id: number;
  readonly exchange: ExchangeName;
  readonly symbol: string;
  readonly priceDecimals: number;
}

const encoder = new TextEncoder();
// ignoreBOM: a name is returned exactly as stored (names never hold U+FEFF anyway).
const decoder = new TextDecoder("utf-8", { ignoreBOM: true, fatal: true });

/**
 * The symbol table in shared memory: (exchange, symbol) <-> u32 id, the ids records
 * carry. Any thread may intern at once (lock-free, in the Wasm core); ids are dense
 * from 0 and never reused or removed. Layout: SYMTAB_* in src/format/layout.ts.
 *
 * The table is authoritative for a symbol's exchange and priceDecimals: a record's
 * `exchange` and `priceDecimals` bytes are copies of its symbol's (see TickView.setSymbol),
 * and routing, rendering and reading refuse a record that disagrees.
 *
 * A name is 1..56 UTF-8 bytes of well-formed Unicode without control characters
 * (C0, DEL, C1), quote, backslash or U+FEFF, so that it reads back exactly as given.
 */
export class SymbolTable {
  private readonly names: (SymbolInfo | undefined)[] = [];
  private readonly scratch: number;

  private constructor(private readonly mem: TickwireMemory, readonly offset: number) {
    // Per-instance scratch for the UTF-8 key: each thread has its own SymbolTable object.
    this.scratch = mem.reserve(L.SYMBOL_MAX_BYTES * 4, 8);
  }

  /** Lays out a table for up to `capacity` symbols in `mem`. */
  static create(mem: TickwireMemory, capacity: number): SymbolTable {
    checkInstance(mem, TickwireMemory, "SymbolTable.create: mem");
    checkInt(capacity, 1, 1 << 24, "SymbolTable.create: capacity");
    const cells = 1 << Math.ceil(Math.log2(capacity * 2)); // load factor ≤ 0.5
    const bytes = L.SYMTAB_HEADER_BYTES + cells * 4 + 64 + capacity * L.SYMTAB_ENTRY_BYTES;
    const offset = mem.reserve(bytes, 64);
    const h = offset >>> 2;
    mem.u32[h + L.SYMTAB_OFF_CAPACITY / 4] = capacity;
    mem.u32[h + L.SYMTAB_OFF_INDEX_MASK / 4] = cells - 1;
    Atomics.store(mem.u32, h + L.SYMTAB_OFF_MAGIC / 4, L.SYMTAB_MAGIC);
    return new SymbolTable(mem, offset);
  }

  /** Attaches to a table made by {@link SymbolTable.create}, e.g. in a worker given its offset. */
  static attach(mem: TickwireMemory, offset: number): SymbolTable {
    checkInstance(mem, TickwireMemory, "SymbolTable.attach: mem");
    if (!Number.isInteger(offset) || offset < mem.base || offset + L.SYMTAB_HEADER_BYTES > mem.byteLength || (offset & 63) !== 0
      || Atomics.load(mem.u32, offset >>> 2) !== L.SYMTAB_MAGIC) {
      throw new TickwireError("HANDLE", `SymbolTable.attach: no symbol table at offset ${describe(offset)}`);
    }
    const cells = mem.u32[(offset + L.SYMTAB_OFF_INDEX_MASK) >>> 2]! + 1;
    const capacity = mem.u32[(offset + L.SYMTAB_OFF_CAPACITY) >>> 2]!;
    if ((cells & (cells - 1)) !== 0 || offset + L.SYMTAB_HEADER_BYTES + cells * 4 + 64 + capacity * L.SYMTAB_ENTRY_BYTES > mem.byteLength) {
      throw new TickwireError("HANDLE", `SymbolTable.attach: the table at offset ${offset} is corrupt`);
    }
    return new SymbolTable(mem, offset);
  }

  /** Most symbols the table holds. */
  get capacity(): number {
    return this.mem.u32[(this.offset + L.SYMTAB_OFF_CAPACITY) >>> 2]!;
  }

  /** Symbols interned so far (ids 0..size-1). */
  get size(): number {
    return Math.min(Atomics.load(this.mem.u32, (this.offset + L.SYMTAB_OFF_COUNT) >>> 2), this.capacity);
  }

  /**
   * The id of (exchange, symbol), interning it if new with `priceDecimals` (0..9).
   * A symbol already interned keeps the decimals it was interned with: asking for
   * others is a DECIMALS error. Throws EXCHANGE, SYMBOL, DECIMALS or TABLE_FULL errors.
   */
  intern(exchange: ExchangeName, symbol: string, priceDecimals = 2): number {
    checkInt(priceDecimals, 0, L.MAX_PRICE_DECIMALS, `intern ${describe(symbol)}: priceDecimals`, "DECIMALS");
    const [code, len] = this.key(exchange, symbol, "intern");
    const id = this.mem.core.symbolIntern(this.offset, code, this.scratch, len, priceDecimals);
    if (id < 0) throw errorFromStatus(id, `intern ${exchange}:${symbol}`);
    const known = this.get(id);
    if (known.priceDecimals !== priceDecimals) {
      throw new TickwireError("DECIMALS", `intern ${exchange}:${symbol}: interned with priceDecimals ${known.priceDecimals}, asked for ${priceDecimals}`);
    }
    return id;
  }

  /** The id of (exchange, symbol), or -1 when it was never interned. */
  find(exchange: ExchangeName, symbol: string): number {
    const [code, len] = this.key(exchange, symbol, "find");
    const id = this.mem.core.symbolFind(this.offset, code, this.scratch, len);
    if (id < -1) throw errorFromStatus(id, `find ${exchange}:${symbol}`);
    return id;
  }

  /** What id `id` stands for. Cached per thread after the first read (entries never change). */
  get(id: number): SymbolInfo {
    checkInt(id, 0, 0xffffffff, "SymbolTable.get: id", "SYMBOL");
    const cached = this.names[id];
    if (cached) return cached;
    if (id >= this.size) throw new TickwireError("SYMBOL", `symbol id ${id} is not in the table (size ${this.size})`);
    const entry = this.entryOffset(id);
    const u8 = this.mem.u8;
    const len = u8[entry + L.SYMENT_OFF_NAME_LENGTH]!;
    // Browsers' TextDecoder refuses views of shared memory: decode a copy.
    const symbol = decoder.decode(u8.slice(entry + L.SYMENT_OFF_NAME, entry + L.SYMENT_OFF_NAME + len));
    const exchange = exchangeName(u8[entry + L.SYMENT_OFF_EXCHANGE]!);
    if (!exchange) throw new TickwireError("SYMBOL", `symbol id ${id}: its table entry is corrupt`);
    const info: SymbolInfo = Object.freeze({ id, exchange, symbol, priceDecimals: u8[entry + L.SYMENT_OFF_PRICE_DECIMALS]! });
    this.names[id] = info;
    return info;
  }

  private entryOffset(id: number): number {
    const cells = this.mem.u32[(this.offset + L.SYMTAB_OFF_INDEX_MASK) >>> 2]! + 1;
    const entries = (this.offset + L.SYMTAB_HEADER_BYTES + cells * 4 + 63) & ~63;
    return entries + id * L.SYMTAB_ENTRY_BYTES;
  }

  // Writes the UTF-8 key to scratch; returns [exchange code, byte length].
  private key(exchange: unknown, symbol: unknown, op: string): [number, number] {
    const code = typeof exchange === "string" ? exchangeCode(exchange) : 0;
    if (code === 0) throw new TickwireError("EXCHANGE", `${op}: unknown exchange ${describe(exchange)}`);
    if (typeof symbol !== "string") throw new TickwireError("SYMBOL", `${op}: symbol must be a string, got ${describe(symbol)}`);
    if (symbol.length === 0) throw new TickwireError("SYMBOL", `${op}: symbol is empty`);
    if (symbol.length > L.SYMBOL_MAX_BYTES) throw new TickwireError("SYMBOL", `${op}: symbol ${describe(symbol)} is longer than ${L.SYMBOL_MAX_BYTES} bytes`);
    if (!isCleanName(symbol)) {
      throw new TickwireError("SYMBOL", `${op}: symbol ${describe(symbol)} is not well-formed Unicode or holds a control character, BOM, quote or backslash`);
    }
    const { written } = encoder.encodeInto(symbol, this.mem.u8.subarray(this.scratch, this.scratch + L.SYMBOL_MAX_BYTES * 4));
    if (written > L.SYMBOL_MAX_BYTES) throw new TickwireError("SYMBOL", `${op}: symbol ${describe(symbol)} is ${written} UTF-8 bytes, more than ${L.SYMBOL_MAX_BYTES}`);
    return [code, written];
  }
}
