// An in-memory tick source and a checking consumer for processor tests and benchmarks.
import { layout as L, exchangeCode, type SymbolTable, type TickwireMemory, type RingReader } from "../../src/index.js";

/** Interns `n` NSE-like symbols and returns their ids. */
export function internSymbols(table: SymbolTable, n: number): number[] {
  return Array.from({ length: n }, (_, i) => table.intern(i % 3 === 0 ? "NFO" : "NSE", `SYM${i}`, 2));
}

/**
 * Writes batches of LTP records for `ids` round robin, each with its symbol's next
 * sequence number (and a check value in ltp), into a region of `mem`.
 */
export class TickSource {
  readonly sent: Uint32Array;
  private next = 0;
  readonly region: number;
  private readonly exchanges: Uint8Array;

  constructor(private readonly mem: TickwireMemory, private readonly ids: number[], readonly batchRecords: number, symbols: SymbolTable) {
    this.sent = new Uint32Array(Math.max(...ids) + 1);
    this.region = mem.allocate(batchRecords * L.LTP_BYTES, 64);
    // The table is authoritative for a symbol's exchange and decimals: records carry its values.
    this.exchanges = new Uint8Array(this.sent.length);
    for (const id of ids) this.exchanges[id] = exchangeCode(symbols.get(id).exchange);
  }

  /** Fills the region with the next batch; returns its byte length. */
  fill(): number {
    const u32 = this.mem.u32;
    for (let i = 0; i < this.batchRecords; i++) {
      const id = this.ids[this.next++ % this.ids.length]!;
      const seq = this.sent[id]!++;
      const w = (this.region + i * L.LTP_BYTES) >>> 2;
      u32.fill(0, w, w + 16);
      u32[w] = L.LTP_BYTES | (L.KIND_LTP << 16) | (L.FORMAT_VERSION << 24);
      u32[w + 1] = id;
      u32[w + 2] = seq;
      this.mem.u8[this.region + i * L.LTP_BYTES + L.OFF_EXCHANGE] = this.exchanges[id]!;
      this.mem.u8[this.region + i * L.LTP_BYTES + L.OFF_PRICE_DECIMALS] = 2;
      u32[w + 8] = seq * 3 + id; // ltp (scaled), a check value
    }
    return this.batchRecords * L.LTP_BYTES;
  }
}

/** Reads fan-out rings and checks every tick: per ring, each symbol's seq only grows; counts per symbol. */
export class CheckingConsumer {
  readonly received: Uint32Array;
  private readonly last: Int32Array[];
  errors: string[] = [];
  total = 0;

  constructor(private readonly mem: TickwireMemory, private readonly readers: RingReader[], symbols: number) {
    this.received = new Uint32Array(symbols);
    this.last = readers.map(() => new Int32Array(symbols).fill(-1));
  }

  /** Reads everything ready now; returns the ticks read. */
  drain(): number {
    let n = 0;
    const u32 = this.mem.u32;
    for (let r = 0; r < this.readers.length; r++) {
      const last = this.last[r]!;
      for (;;) {
        const got = this.readers[r]!.poll((at) => {
          const w = at >>> 2;
          const id = u32[w + 1]!;
          const seq = u32[w + 2]!;
          if (u32[w + 8] !== seq * 3 + id && this.errors.length < 5) this.errors.push(`ring ${r}: bad check value for ${id}#${seq}`);
          if (seq <= last[id]! && this.errors.length < 5) this.errors.push(`ring ${r}: symbol ${id} seq ${seq} after ${last[id]}`);
          last[id] = seq;
          this.received[id]!++;
        });
        if (got < 0 && this.errors.length < 5) this.errors.push(`ring ${r}: a batch was overwritten while read`);
        if (got <= 0) break;
        n += got;
      }
      if (this.readers[r]!.lost > 0 && this.errors.length < 5) this.errors.push(`ring ${r}: lost ${this.readers[r]!.lost}`);
    }
    this.total += n;
    return n;
  }
}
