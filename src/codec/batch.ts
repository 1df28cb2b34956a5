import { errorFromStatus } from "../errors.js";
import { priceFieldName } from "../format/record.js";
import { TickwireMemory } from "../memory/shared-memory.js";
import { checkInstance, checkInt } from "../validate.js";

/** Name of the field at `offset` in a record, for error messages. */
export function fieldName(offset: number): string {
  return priceFieldName(offset) ?? `field at offset ${offset}`;
}

/**
 * The batch codec: converts a contiguous batch of records between the stage form
 * (prices as f64, filled by plain JS through a StageView or Float64Array) and the
 * record form (prices as scaled integers), in one Wasm call per batch. Both
 * directions check every header and every price (docs/FORMAT.md: a price with more
 * decimals than its record's priceDecimals is a PRECISION error, one beyond
 * ±(2^51 - 1) scaled a PRICE error). One instance per thread (it owns a status block).
 */
export class BatchCodec {
  private readonly status: number;
  private readonly size: number;

  constructor(private readonly mem: TickwireMemory) {
    checkInstance(mem, TickwireMemory, "BatchCodec: mem");
    this.status = mem.reserve(8, 8);
    this.size = mem.byteLength;
  }

  /**
   * Encodes the stage-form batch of `bytes` bytes at offset `src` into records at `dst`
   * (default: in place; `dst` must be memory you own). Returns the number of ticks
   * (padding records excluded). Throws a TickwireError naming the record and field at
   * fault; records before it are already converted.
   */
  encode(src: number, bytes: number, dst: number = src): number {
    this.checkRegions(src, bytes, dst, "BatchCodec.encode");
    return this.check(this.mem.core.encodeBatch(src, bytes, dst, this.status), "encodeBatch");
  }

  /** Decodes the record batch at `src` into the stage form at `dst` (default: in place; memory you own). */
  decode(src: number, bytes: number, dst: number = src): number {
    this.checkRegions(src, bytes, dst, "BatchCodec.decode");
    return this.check(this.mem.core.decodeBatch(src, bytes, dst, this.status), "decodeBatch");
  }

  private checkRegions(src: number, bytes: number, dst: number, op: string): void {
    // The common case in a few comparisons (a call a record must stay cheap); anything else
    // goes through the full checks, which name what is wrong.
    if (typeof src === "number" && typeof bytes === "number" && typeof dst === "number" && (src & 7) === 0 && (dst & 7) === 0
      && src >= 0 && bytes >= 0 && src + bytes <= this.size && this.mem.inProven(dst, bytes)
      && Number.isInteger(src) && Number.isInteger(bytes) && Number.isInteger(dst)) return;
    checkInt(bytes, 0, this.mem.byteLength, "bytes", "ARGUMENT", op);
    this.mem.checkInside(src, bytes, 8, "src", op);
    this.mem.checkOwned(dst, bytes, 8, "dst", op);
  }

  private check(result: number, op: string): number {
    if (result >= 0) return result;
    const index = this.mem.u32[this.status >>> 2]!;
    const field = this.mem.u32[(this.status + 4) >>> 2]!;
    throw errorFromStatus(result, op, index, field ? fieldName(field) : undefined);
  }
}
