import * as L from "../format/layout.js";
import { TickwireError, errorFromStatus } from "../errors.js";
import { TickwireMemory } from "../memory/shared-memory.js";
import { SymbolTable } from "../memory/symbol-table.js";
import { isKind, type Kind } from "../format/record.js";
import { isCleanName } from "../format/text.js";
import { checkInstance, checkInt, checkObject, describe } from "../validate.js";

/** Options of {@link JsonRenderer}. */
export interface JsonRendererOptions {
  /** The `broker` field of every message (≤ 64 UTF-8 bytes; no quote, backslash, control character or BOM). */
  broker: string;
  /** Output buffer bytes, in shared memory. Default 1 MiB. */
  bufferBytes?: number;
  /** Also the names OpenAlgo's SDKs read (docs/PROTOCOL.md). Default false. */
  sdkAliases?: boolean;
  /** Also `recv_time_ns`, the record's receive time. Default false. */
  receiveTime?: boolean;
}

const encoder = new TextEncoder();

/**
 * Renders batches of records into client `market_data` JSON messages (docs/PROTOCOL.md)
 * in one Wasm call: UTF-8 bytes ready to send, one message per record, prices printed
 * exactly from their scaled integers. One instance per thread (it owns its buffers).
 *
 * After {@link JsonRenderer.render}, message i is {@link JsonRenderer.message}(i); a
 * record of a lower kind than the mode asked for (an LTP tick for a Quote client) or a
 * padding record yields an empty message. A record whose exchange or priceDecimals
 * differ from its symbol's, or with a price beyond ±(2^51 - 1) scaled, is refused.
 */
export class JsonRenderer {
  /** The output buffer (a view of shared memory: copy or send before the next render). */
  readonly out: Uint8Array;
  /** End offset in {@link JsonRenderer.out} of each message of the last render. */
  readonly ends: Uint32Array;
  private readonly outOffset: number;
  private readonly endsOffset: number;
  private readonly broker: number;
  private readonly brokerLen: number;
  private readonly status: number;
  private readonly extras: number;
  private rendered = 0;

  constructor(private readonly mem: TickwireMemory, private readonly symbols: SymbolTable, options: JsonRendererOptions) {
    checkInstance(mem, TickwireMemory, "JsonRenderer: mem");
    checkInstance(symbols, SymbolTable, "JsonRenderer: symbols");
    const o = checkObject<JsonRendererOptions>(options, "JsonRenderer: options (with a broker)");
    const bufferBytes = o.bufferBytes ?? 1 << 20;
    const minBytes = L.JSON_MESSAGE_MAX_BYTES + L.BROKER_MAX_BYTES;
    checkInt(bufferBytes, minBytes, 1 << 30, "JsonRenderer: bufferBytes");
    const broker = isCleanName(o.broker) ? encoder.encode(o.broker) : undefined;
    if (!broker || broker.length > L.BROKER_MAX_BYTES) {
      throw new TickwireError("BROKER", `JsonRenderer: broker must be a string of at most ${L.BROKER_MAX_BYTES} UTF-8 bytes without quotes, backslashes, control characters or BOM, got ${describe(o.broker)}`);
    }
    for (const name of ["sdkAliases", "receiveTime"] as const) {
      if (o[name] !== undefined && typeof o[name] !== "boolean") throw new TickwireError("ARGUMENT", `JsonRenderer: options.${name} must be true or false, got ${describe(o[name])}`);
    }
    this.brokerLen = broker.length;
    this.extras = ((o.sdkAliases === true ? 1 : 0) | (o.receiveTime === true ? 2 : 0)) << 8;
    this.broker = mem.reserve(L.BROKER_MAX_BYTES + 8, 8);
    mem.u8.set(broker, this.broker);
    this.outOffset = mem.reserve(bufferBytes, 64);
    const maxRecords = Math.ceil(bufferBytes / L.SLOT_BYTES);
    this.endsOffset = mem.reserve(maxRecords * 4, 64);
    this.status = mem.reserve(8, 8);
    this.out = mem.u8.subarray(this.outOffset, this.outOffset + bufferBytes);
    this.ends = mem.u32.subarray(this.endsOffset >>> 2, (this.endsOffset >>> 2) + maxRecords);
  }

  /**
   * Renders the records of the batch at offset `src` (`bytes` long) as `mode` messages,
   * stamped with `timestampMs` (the proxy's wall clock, as the protocol has it).
   * Returns the number of records consumed: fewer than the batch holds when the buffer
   * filled up; send those messages, then render the rest.
   */
  render(src: number, bytes: number, mode: Kind, timestampMs: number = Date.now()): number {
    checkInt(bytes, 0, this.mem.byteLength, "renderJson: bytes");
    this.mem.checkInside(src, bytes, 8, "renderJson: src");
    if (!isKind(mode)) throw new TickwireError("KIND", `renderJson: mode must be 1 (LTP), 2 (QUOTE) or 3 (DEPTH), got ${describe(mode)}`);
    checkInt(timestampMs, -Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, "renderJson: timestampMs (ms since the epoch)");
    this.rendered = 0;
    const n = this.mem.core.renderJson(src, bytes, mode | this.extras, this.symbols.offset, this.broker, this.brokerLen,
      timestampMs, this.outOffset, this.out.length, this.endsOffset, this.ends.length, this.status);
    if (n < 0) throw errorFromStatus(n, "renderJson", this.mem.u32[this.status >>> 2]);
    this.rendered = n;
    return n;
  }

  /** Message `i` (0 ≤ i < the last render's count) of the last render, as a view of the output buffer (empty when skipped). */
  message(i: number): Uint8Array {
    checkInt(i, 0, this.rendered - 1, `JsonRenderer.message: index (the last render made ${this.rendered})`);
    return this.out.subarray(i === 0 ? 0 : this.ends[i - 1], this.ends[i]);
  }
}
