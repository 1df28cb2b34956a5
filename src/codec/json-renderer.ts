import * as L from "../format/layout.js";
import { TickwireError, errorFromStatus } from "../errors.js";
import type { TickwireMemory } from "../memory/shared-memory.js";
import type { SymbolTable } from "../memory/symbol-table.js";
import type { Kind } from "../format/record.js";

/** Options of {@link JsonRenderer}. */
export interface JsonRendererOptions {
  /** The `broker` field of every message (≤ 64 bytes; no quote, backslash or control character). */
  broker: string;
  /** Output buffer bytes, in shared memory. Default 1 MiB. */
  bufferBytes?: number;
}

const encoder = new TextEncoder();

/**
 * Renders batches of records into client `market_data` JSON messages (docs/PROTOCOL.md)
 * in one Wasm call: UTF-8 bytes ready to send, one message per record, prices printed
 * exactly from their scaled integers. One instance per thread (it owns its buffers).
 *
 * After {@link JsonRenderer.render}, message i is {@link JsonRenderer.message}(i); a
 * record of a lower kind than the mode asked for (an LTP tick for a Quote client) or a
 * padding record yields an empty message.
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

  constructor(private readonly mem: TickwireMemory, private readonly symbols: SymbolTable, options: JsonRendererOptions) {
    const bufferBytes = options.bufferBytes ?? 1 << 20;
    const minBytes = L.JSON_MESSAGE_MAX_BYTES + L.BROKER_MAX_BYTES;
    if (!Number.isInteger(bufferBytes) || bufferBytes < minBytes) {
      throw new TickwireError("ARGUMENT", `JsonRenderer: bufferBytes must be an integer ≥ ${minBytes}, got ${bufferBytes}`);
    }
    const broker = encoder.encode(String(options.broker));
    if (broker.length > L.BROKER_MAX_BYTES || broker.some((c) => c < 0x20 || c === 0x22 || c === 0x5c || c === 0x7f)) {
      throw new TickwireError("BROKER", `JsonRenderer: broker must be ≤ ${L.BROKER_MAX_BYTES} UTF-8 bytes without quotes, backslashes or control characters`);
    }
    this.brokerLen = broker.length;
    this.broker = mem.allocate(L.BROKER_MAX_BYTES + 8, 8);
    mem.u8.set(broker, this.broker);
    this.outOffset = mem.allocate(bufferBytes, 64);
    const maxRecords = Math.ceil(bufferBytes / L.SLOT_BYTES);
    this.endsOffset = mem.allocate(maxRecords * 4, 64);
    this.status = mem.allocate(8, 8);
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
    if (!Number.isSafeInteger(timestampMs)) throw new TickwireError("ARGUMENT", `renderJson: timestampMs must be an integer (ms since the epoch), got ${timestampMs}`);
    const n = this.mem.core.renderJson(src, bytes, mode, this.symbols.offset, this.broker, this.brokerLen,
      timestampMs, this.outOffset, this.out.length, this.endsOffset, this.ends.length, this.status);
    if (n < 0) throw errorFromStatus(n, "renderJson", this.mem.u32[this.status >>> 2]);
    return n;
  }

  /** Message `i` of the last render, as a view of the output buffer (empty when skipped). */
  message(i: number): Uint8Array {
    return this.out.subarray(i === 0 ? 0 : this.ends[i - 1], this.ends[i]);
  }
}
