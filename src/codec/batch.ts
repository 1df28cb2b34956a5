import * as L from "../format/layout.js";
import { errorFromStatus } from "../errors.js";
import type { TickwireMemory } from "../memory/shared-memory.js";

const FIELD_NAMES: ReadonlyMap<number, string> = new Map([
  [L.OFF_LTP, "ltp"], [L.OFF_AVG_PRICE, "avgPrice"], [L.OFF_OPEN, "open"], [L.OFF_HIGH, "high"],
  [L.OFF_LOW, "low"], [L.OFF_CLOSE, "close"], [L.OFF_BID, "bid"], [L.OFF_ASK, "ask"],
  [L.OFF_UPPER_CIRCUIT, "upperCircuit"], [L.OFF_LOWER_CIRCUIT, "lowerCircuit"],
]);

/** Name of the field at `offset` in a record, for error messages. */
export function fieldName(offset: number): string {
  const known = FIELD_NAMES.get(offset);
  if (known) return known;
  if (offset >= L.OFF_DEPTH_BIDS && offset < L.OFF_DEPTH_ASKS + L.DEPTH_LEVELS * L.LEVEL_BYTES) {
    const sell = offset >= L.OFF_DEPTH_ASKS;
    const level = (offset - (sell ? L.OFF_DEPTH_ASKS : L.OFF_DEPTH_BIDS)) / L.LEVEL_BYTES;
    return `${sell ? "sell" : "buy"} depth level ${level} price`;
  }
  return `field at offset ${offset}`;
}

/**
 * The batch codec: converts a contiguous batch of records between the stage form
 * (prices as f64, filled by plain JS through a StageView or Float64Array) and the
 * record form (prices as scaled integers), in one Wasm call per batch. Both
 * directions check every header; encode refuses non-finite and out-of-range prices.
 * One instance per thread (it owns a small status block).
 */
export class BatchCodec {
  private readonly status: number;

  constructor(private readonly mem: TickwireMemory) {
    this.status = mem.allocate(8, 8);
  }

  /**
   * Encodes the stage-form batch of `bytes` bytes at offset `src` into records at `dst`
   * (default: in place). Returns the number of ticks (padding records excluded).
   * Throws a TickwireError naming the record and field at fault; records before it are
   * already converted.
   */
  encode(src: number, bytes: number, dst = src): number {
    return this.check(this.mem.core.encodeBatch(src, bytes, dst, this.status), "encodeBatch");
  }

  /** Decodes the record batch at `src` into the stage form at `dst` (default: in place). */
  decode(src: number, bytes: number, dst = src): number {
    return this.check(this.mem.core.decodeBatch(src, bytes, dst, this.status), "decodeBatch");
  }

  private check(result: number, op: string): number {
    if (result >= 0) return result;
    const index = this.mem.u32[this.status >>> 2]!;
    const field = this.mem.u32[(this.status + 4) >>> 2]!;
    throw errorFromStatus(result, op, index, field ? fieldName(field) : undefined);
  }
}
