// The writer's side of a partition map's pin cells (layout: src/partition/layout.ts):
// which keys are pinned where, kept in a Map for the control plane and mirrored to
// shared memory for the Wasm lookups. Readers never lock: a cell is published by
// one atomic store of its word, after its hash and name are in place.

import * as P from "./layout.js";
import { TickwireError } from "../errors.js";
import type { TickwireMemory } from "../memory/shared-memory.js";
import { keyHash32, type KeyScratch } from "./symbol-key.js";

/** A pin dropped because its partition went away. */
export interface DroppedPin {
  /** "EXCHANGE:symbol". */
  readonly key: string;
  /** The partition it was pinned to. */
  readonly partition: number;
}

interface Pin {
  partition: number;
  cell: number;
}

/** Pin cells of one partition map. One writer (the SymbolPartitioner that owns the map). */
export class PinTable {
  private readonly pins = new Map<string, Pin>();
  private readonly header: number;
  private readonly cells: number;

  /** `map` is the map region's offset; its cells start after a table of `slotCount` slots. */
  constructor(private readonly mem: TickwireMemory, map: number, slotCount: number) {
    this.header = map >>> 2;
    this.cells = (map + P.PMAP_HEADER_BYTES + 2 * slotCount + 63) & ~63;
  }

  /** Keys pinned now. */
  get size(): number {
    let n = 0;
    for (const pin of this.pins.values()) if (pin.partition !== P.PARTITION_NONE) n++;
    return n;
  }

  /** The pinned partition of `key` ("EXCHANGE:symbol"), or undefined. */
  get(key: string): number | undefined {
    const pin = this.pins.get(key);
    return pin && pin.partition !== P.PARTITION_NONE ? pin.partition : undefined;
  }

  /** The pins in force: key → partition. */
  entries(): Map<string, number> {
    const out = new Map<string, number>();
    for (const [key, pin] of this.pins) if (pin.partition !== P.PARTITION_NONE) out.set(key, pin.partition);
    return out;
  }

  /**
   * Pins `key`, whose exchange `code` and `len` UTF-8 bytes are in `scratch`, to
   * `partition`. A key's first pin takes a cell for good (cells are never freed);
   * throws TABLE_FULL when that would fill the cells past half.
   */
  set(key: string, scratch: KeyScratch, code: number, len: number, partition: number): void {
    let pin = this.pins.get(key);
    if (!pin) {
      pin = { partition, cell: this.claim(key, scratch, code, len) };
      this.pins.set(key, pin);
    }
    pin.partition = partition;
    this.storeWord(pin.cell, partition, code, len);
  }

  /** Unpins `key`; returns whether it was pinned. */
  delete(key: string): boolean {
    const pin = this.pins.get(key);
    if (!pin || pin.partition === P.PARTITION_NONE) return false;
    this.unpinCell(pin);
    return true;
  }

  /** Unpins every key pinned to `partition`, and says which. */
  dropPartition(partition: number): DroppedPin[] {
    const dropped: DroppedPin[] = [];
    for (const [key, pin] of this.pins) {
      if (pin.partition !== partition) continue;
      this.unpinCell(pin);
      dropped.push({ key, partition });
    }
    return dropped;
  }

  private unpinCell(pin: Pin): void {
    pin.partition = P.PARTITION_NONE;
    const at = (pin.cell + P.PIN_OFF_WORD) >>> 2;
    Atomics.store(this.mem.u32, at, ((Atomics.load(this.mem.u32, at) & 0xffff0000) | P.PARTITION_NONE) >>> 0);
  }

  // Finds an empty cell for a new key and fills all but its word.
  private claim(key: string, scratch: KeyScratch, code: number, len: number): number {
    const hash = keyHash32(this.mem, code, scratch.offset, len);
    const mask = this.mem.u32[this.header + P.PMAP_OFF_PIN_MASK / 4]!;
    const used = Atomics.load(this.mem.u32, this.header + P.PMAP_OFF_PIN_COUNT / 4);
    if (used + 1 > (mask + 1) / 2) {
      throw new TickwireError("TABLE_FULL", `pin ${key}: the map's pin table is full (${used} keys pinned since creation; raise maxPins)`);
    }
    for (let i = hash & mask; ; i = (i + 1) & mask) {
      const cell = this.cells + i * P.PIN_CELL_BYTES;
      if (Atomics.load(this.mem.u32, (cell + P.PIN_OFF_WORD) >>> 2) !== 0) continue;
      this.mem.u32[(cell + P.PIN_OFF_HASH) >>> 2] = hash;
      this.mem.u8.copyWithin(cell + P.PIN_OFF_NAME, scratch.offset, scratch.offset + len);
      Atomics.add(this.mem.u32, this.header + P.PMAP_OFF_PIN_COUNT / 4, 1);
      return cell;
    }
  }

  private storeWord(cell: number, partition: number, code: number, len: number): void {
    Atomics.store(this.mem.u32, (cell + P.PIN_OFF_WORD) >>> 2, ((len << 24) | (code << 16) | partition) >>> 0);
  }
}
