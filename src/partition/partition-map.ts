import * as L from "../format/layout.js";
import * as P from "./layout.js";
import { TickwireError, errorFromStatus } from "../errors.js";
import type { ExchangeName } from "../format/exchange.js";
import { TickwireMemory } from "../memory/shared-memory.js";
import { SymbolTable } from "../memory/symbol-table.js";
import { checkInstance, checkInt, describe } from "../validate.js";
import { partitionCore, type PartitionExports } from "./wasm.js";
import { keyHash32, keyScratch, writeKey, type KeyScratch } from "./symbol-key.js";

/**
 * The read side of a partition map in shared memory: symbol → partition for one
 * key, one interned symbol id, or a whole batch of records in one Wasm call. Any
 * thread may hold one (each thread its own object: it owns a small scratch area);
 * the {@link SymbolPartitioner} that created the map is the only writer, and a
 * change it makes is seen by every reader at its next lookup.
 *
 * A key's partition: its pin if it has one, else the owner of its hash slot,
 * `hash32 >>> (32 - slotBits)`, where hash32 is the symbol table's hash of the key
 * (XXH64 of the UTF-8 name seeded with the exchange code, folded to 32 bits).
 */
export class PartitionMap {
  /** Number of hash slots (a power of two). */
  readonly slotCount: number;
  protected readonly core: PartitionExports;
  protected readonly scratch: KeyScratch;
  private readonly status: number;
  private readonly slotShift: number;
  private readonly tableIndex: number;
  private readonly u16: Uint16Array;

  protected constructor(protected readonly mem: TickwireMemory, readonly offset: number, readonly symbols: SymbolTable | undefined) {
    const bits = mem.u32[(offset + P.PMAP_OFF_SLOT_BITS) >>> 2]!;
    this.slotCount = 1 << bits;
    this.slotShift = 32 - bits;
    this.tableIndex = (offset + P.PMAP_HEADER_BYTES) >>> 1;
    this.u16 = new Uint16Array(mem.buffer);
    this.core = partitionCore(mem);
    this.scratch = keyScratch(mem);
    this.status = mem.reserve(8, 8);
  }

  /**
   * Attaches to a map made by {@link SymbolPartitioner.create} (e.g. in a worker
   * given its offset). `symbols` is the table the records' symbol ids refer to;
   * it is needed by {@link partitionOfId} and {@link partitionBatch}.
   */
  static attach(mem: TickwireMemory, offset: number, symbols?: SymbolTable): PartitionMap {
    checkInstance(mem, TickwireMemory, "PartitionMap.attach: mem");
    if (symbols !== undefined) checkInstance(symbols, SymbolTable, "PartitionMap.attach: symbols");
    if (!Number.isInteger(offset) || offset < mem.base || (offset & 63) !== 0 || offset + P.PMAP_HEADER_BYTES > mem.byteLength
      || Atomics.load(mem.u32, offset >>> 2) !== P.PMAP_MAGIC) {
      throw new TickwireError("HANDLE", `PartitionMap.attach: no partition map at offset ${describe(offset)}`);
    }
    return new PartitionMap(mem, offset, symbols);
  }

  /** Bumped after every change of the map: compare it with an earlier value to see if anything moved. */
  get epoch(): number {
    return Atomics.load(this.mem.u32, (this.offset + P.PMAP_OFF_EPOCH) >>> 2);
  }

  /** Every partition number in the map is below this: size per-partition arrays (e.g. partitionBatch's byte totals) to it. */
  get partitionLimit(): number {
    return Atomics.load(this.mem.u32, (this.offset + P.PMAP_OFF_PARTITION_LIMIT) >>> 2);
  }

  /** The hash slot of a hash32. */
  slotOfHash(hash32: number): number {
    return checkInt(hash32, 0, 0xffffffff, "slotOfHash: hash32") >>> this.slotShift;
  }

  /** The partition that owns hash slot `slot` (pins aside). */
  slotOwner(slot: number): number {
    checkInt(slot, 0, this.slotCount - 1, "slotOwner: slot");
    return Atomics.load(this.u16, this.tableIndex + slot);
  }

  /** hash32 of (exchange, symbol), as the symbol table stores it. Control-plane speed (the 64-bit hash crosses as a BigInt). */
  hashOf(exchange: ExchangeName, symbol: string): number {
    const [code, len] = writeKey(this.mem, this.scratch, exchange, symbol, "hashOf");
    return keyHash32(this.mem, code, this.scratch.offset, len);
  }

  /** Partition of (exchange, symbol), interned or not: its pin, else its slot's owner. Throws EXCHANGE or SYMBOL for a bad key. */
  partitionOf(exchange: ExchangeName, symbol: string): number {
    const [code, len] = writeKey(this.mem, this.scratch, exchange, symbol, "partitionOf", false);
    const p = this.core.partitionOfKey(this.offset, code, this.scratch.offset, len);
    if (p < 0) throw errorFromStatus(p, `partitionOf ${exchange}:${JSON.stringify(symbol)}`);
    return p;
  }

  /** Partition of interned symbol `id` (its hash is read from the symbol table). Throws SYMBOL for an id not in the table. */
  partitionOfId(id: number): number {
    const table = this.requireSymbols("partitionOfId");
    const p = typeof id === "number" && Number.isInteger(id) && id >= 0 && id < table.size ? this.core.partitionOfSymbol(this.offset, table.offset, id) : -1;
    if (p < 0) throw new TickwireError("SYMBOL", `partitionOfId: symbol id ${describe(id)} is not in the symbol table (size ${table.size})`);
    return p;
  }

  /** Hash slot of interned symbol `id` (the slot a rebalance moves it with). */
  slotOfId(id: number): number {
    const table = this.requireSymbols("slotOfId");
    if (typeof id !== "number" || !Number.isInteger(id) || id < 0 || id >= table.size) {
      throw new TickwireError("SYMBOL", `slotOfId: symbol id ${describe(id)} is not in the symbol table (size ${table.size})`);
    }
    const cells = this.mem.u32[(table.offset + L.SYMTAB_OFF_INDEX_MASK) >>> 2]! + 1;
    const entries = (table.offset + L.SYMTAB_HEADER_BYTES + cells * 4 + 63) & ~63;
    return this.slotOfHash(this.mem.u32[(entries + id * L.SYMTAB_ENTRY_BYTES + L.SYMENT_OFF_HASH) >>> 2]!);
  }

  /**
   * Partitions a batch of contiguous records in one Wasm call: walks the `bytes`
   * bytes at offset `src` by each record's length, skips padding records, and
   * writes the partition of the k-th tick record as a u16 at `out + 2k` (an
   * offset of memory you own, 2-aligned, room for `outCapacity` entries). When
   * `partBytes` is an offset (not 0; memory you own, 4-aligned, {@link partitionLimit}
   * u32 cells), adds each record's length to the u32 at `partBytes + 4 * partition`
   * — zero it first — so a router can claim each partition's ring space once per batch.
   *
   * Returns the number of tick records. Throws a TickwireError naming the record
   * for a bad header (TRUNCATED, VERSION, KIND, LENGTH, EXCHANGE, DECIMALS, ARGUMENT
   * for a DEPTH record whose best bid/ask is not level 0), a symbolId not in the symbol
   * table (SYMBOL), an exchange or priceDecimals that differ from the symbol's
   * (EXCHANGE, DECIMALS: the table is authoritative) or more ticks than `outCapacity`
   * (OUTPUT_FULL); entries before that record are written.
   */
  partitionBatch(src: number, bytes: number, out: number, outCapacity: number, partBytes = 0): number {
    this.requireSymbols("partitionBatch");
    checkInt(bytes, 0, this.mem.byteLength, "partitionBatch: bytes");
    this.mem.checkInside(src, bytes, 8, "partitionBatch: src");
    checkInt(outCapacity, 0, this.mem.byteLength >>> 1, "partitionBatch: outCapacity");
    this.mem.checkOwned(out, outCapacity * 2, 2, "partitionBatch: out");
    const limit = this.partitionLimit;
    if (partBytes !== 0) this.mem.checkOwned(partBytes, limit * 4, 4, "partitionBatch: partBytes");
    return this.partitionInto(src, bytes, out, outCapacity, partBytes, limit);
  }

  /** @internal partitionBatch without the region checks, for tickwire's own scratch (the Router). */
  partitionInto(src: number, bytes: number, out: number, outCapacity: number, partBytes: number, partCap: number): number {
    const table = this.requireSymbols("partitionBatch");
    const n = this.core.partitionBatch(this.offset, table.offset, src, bytes, out, outCapacity, partBytes, partCap, this.status);
    if (n < 0) throw errorFromStatus(n, "partitionBatch", this.mem.u32[this.status >>> 2]!);
    return n;
  }

  private requireSymbols(op: string): SymbolTable {
    if (!this.symbols) throw new TickwireError("ARGUMENT", `${op}: this partition map was made without a symbol table`);
    return this.symbols;
  }
}
