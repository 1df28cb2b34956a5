// The Noren token map: (broker exchange, token) → the symbol a frame is about, with that
// symbol's merged last state, in shared memory so the Wasm parser looks it up and merges
// into it without crossing back to JavaScript. Layout: NMAP_* / NENT_* in ./layout.ts.
import * as L from "../../format/layout.js";
import * as N from "./layout.js";
import { TickwireError } from "../../errors.js";
import { exchangeCode, exchangeName, type ExchangeName } from "../../format/exchange.js";
import { TickwireMemory } from "../../memory/shared-memory.js";
import { SymbolTable } from "../../memory/symbol-table.js";
import { checkInstance, checkInt, checkObject, describe } from "../../validate.js";
import type { InstrumentRow } from "../contract.js";

/** Most instruments one map holds. */
export const NOREN_MAP_MAX_CAPACITY = 1 << 22;

/** What a slot of a {@link NorenTokenMap} holds (a snapshot; the state itself lives in memory). */
export interface NorenSlotInfo {
  readonly slot: number;
  readonly brokerExchange: string;
  readonly token: string;
  readonly symbolId: number;
  readonly exchange: ExchangeName;
  readonly priceDecimals: number;
  readonly allowNonPositive: boolean;
  /** Records emitted for this symbol so far: the last record's seq (0: none yet). */
  readonly seq: number;
}

/**
 * The broker exchange code packed into a u32, first letter in the low byte: 1..4 ASCII
 * capitals ("NSE", "NFO", "BCD"), or -1 for anything else.
 */
export function packBrokerExchange(s: unknown): number {
  if (typeof s !== "string" || s.length < 1 || s.length > 4) return -1;
  let k = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x41 || c > 0x5a) return -1;
    k |= c << (8 * i);
  }
  return k >>> 0;
}

/** The token as an integer: decimal digits without a leading zero ("0" itself is fine), below 2^32; or -1. */
export function packToken(s: unknown): number {
  if (typeof s !== "string" || s.length < 1 || s.length > 10 || (s.length > 1 && s.charCodeAt(0) === 0x30)) return -1;
  let v = 0;
  for (let i = 0; i < s.length; i++) {
    const d = s.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v <= 0xffffffff ? v : -1;
}

/** The index hash of a packed key (the Wasm parser computes the same). */
function keyHash(exchangeKey: number, token: number): number {
  let h = Math.imul(exchangeKey, N.NMAP_HASH_M1) ^ token;
  h = Math.imul(h, N.NMAP_HASH_M2);
  return (h ^ (h >>> 15)) >>> 0;
}

/**
 * The table a Noren adapter keeps of its instruments: each (brokerExchange, token) the
 * broker streams — the key of every `tk`/`tf`/`dk`/`df` frame, `e` and `tk` — gives a
 * slot holding the symbol id records carry, the record's exchange code and priceDecimals
 * (from the symbol master, never from the frame), whether a non-positive last price is
 * legitimate, a per-symbol record counter (seq), and the symbol's merged last state.
 *
 * Keys: tokens are unique only within a broker exchange, so the key is the pair, packed
 * into one u64 — the exchange's 1..4 ASCII capitals in the high word (first letter lowest),
 * the token (decimal digits, no leading zero, below 2^32) in the low word.
 *
 * **Single writer.** {@link set} and the parser's merge run on one thread, the adapter's;
 * the map is not for concurrent writers. Slots are never removed.
 */
export class NorenTokenMap {
  private constructor(
    readonly mem: TickwireMemory,
    /** Offset of the map's region. */
    readonly offset: number,
    private readonly symbols: SymbolTable | undefined,
  ) {}

  /**
   * Lays out a map for up to `capacity` instruments. With `symbols`, {@link set} checks each
   * row against the symbol table (the id's exchange, symbol and decimals must be the row's).
   */
  static create(mem: TickwireMemory, capacity: number, symbols?: SymbolTable): NorenTokenMap {
    checkInstance(mem, TickwireMemory, "NorenTokenMap.create: mem");
    checkInt(capacity, 1, NOREN_MAP_MAX_CAPACITY, "NorenTokenMap.create: capacity");
    if (symbols !== undefined) checkInstance(symbols, SymbolTable, "NorenTokenMap.create: symbols");
    const cells = 2 ** Math.ceil(Math.log2(capacity * 2)); // load factor ≤ 0.5: probes stay short and end
    const indexBytes = Math.ceil((N.NMAP_HEADER_BYTES + cells * 4) / 64) * 64;
    const offset = mem.reserve(indexBytes + capacity * N.NMAP_ENTRY_BYTES, 64);
    const h = offset >>> 2;
    mem.u32[h + N.NMAP_OFF_CAPACITY / 4] = capacity;
    mem.u32[h + N.NMAP_OFF_INDEX_MASK / 4] = cells - 1;
    mem.u32[h + N.NMAP_OFF_ENTRIES / 4] = offset + indexBytes;
    mem.u32[h + N.NMAP_OFF_MAGIC / 4] = N.NMAP_MAGIC;
    return new NorenTokenMap(mem, offset, symbols);
  }

  /** Most instruments the map holds. */
  get capacity(): number {
    return this.mem.u32[(this.offset + N.NMAP_OFF_CAPACITY) >>> 2]!;
  }

  /** Instruments mapped so far (slots 0..size-1). */
  get size(): number {
    return this.mem.u32[(this.offset + N.NMAP_OFF_COUNT) >>> 2]!;
  }

  /**
   * Maps `row`'s (brokerExchange, token) to `symbolId` — normally
   * `symbols.intern(row.exchange, row.symbol, row.priceDecimals)` — and returns its slot.
   * Idempotent: the same row and id again give the same slot, its state untouched. A key
   * already mapped to another id, exchange, decimals or flag is refused (ARGUMENT), as is a
   * bad row (ARGUMENT; EXCHANGE, DECIMALS, SYMBOL for those fields) or a full map (TABLE_FULL).
   */
  set(row: InstrumentRow, symbolId: number): number {
    checkObject(row, "NorenTokenMap.set: row");
    const { brokerExchange, token, exchange, priceDecimals, allowNonPositive, symbol } = row;
    const ek = packBrokerExchange(brokerExchange);
    if (ek < 0) throw new TickwireError("ARGUMENT", `NorenTokenMap.set: row.brokerExchange must be 1..4 capital letters A-Z, got ${describe(brokerExchange)}`);
    const tok = packToken(token);
    if (tok < 0) throw new TickwireError("ARGUMENT", `NorenTokenMap.set: row.token must be decimal digits without a leading zero, below 2^32, got ${describe(token)}`);
    const code = exchangeCode(exchange);
    if (code === 0) throw new TickwireError("EXCHANGE", `NorenTokenMap.set: row.exchange is not an exchange tickwire knows: ${describe(exchange)}`);
    checkInt(priceDecimals, 0, L.MAX_PRICE_DECIMALS, "NorenTokenMap.set: row.priceDecimals", "DECIMALS");
    if (allowNonPositive !== undefined && typeof allowNonPositive !== "boolean") {
      throw new TickwireError("ARGUMENT", `NorenTokenMap.set: row.allowNonPositive must be a boolean or absent, got ${describe(allowNonPositive)}`);
    }
    checkInt(symbolId, 0, 0xffffffff, "NorenTokenMap.set: symbolId", "SYMBOL");
    if (this.symbols) {
      if (symbolId >= this.symbols.size) throw new TickwireError("SYMBOL", `NorenTokenMap.set: symbol id ${symbolId} is not in the symbol table`);
      const info = this.symbols.get(symbolId);
      if (info.exchange !== exchange) throw new TickwireError("EXCHANGE", `NorenTokenMap.set: symbol id ${symbolId} is ${info.exchange}:${info.symbol}, the row says exchange ${exchange}`);
      if (info.symbol !== symbol) throw new TickwireError("SYMBOL", `NorenTokenMap.set: symbol id ${symbolId} is ${info.exchange}:${info.symbol}, the row says ${describe(symbol)}`);
      if (info.priceDecimals !== priceDecimals) {
        throw new TickwireError("DECIMALS", `NorenTokenMap.set: ${info.exchange}:${info.symbol} has priceDecimals ${info.priceDecimals} in the symbol table, the row says ${priceDecimals}`);
      }
    }
    const flags = allowNonPositive ? N.NENT_FLAG_ALLOW_NON_POSITIVE : 0;
    const { u8, u32 } = this.mem;
    const mask = u32[(this.offset + N.NMAP_OFF_INDEX_MASK) >>> 2]!;
    for (let i = keyHash(ek, tok) & mask; ; i = (i + 1) & mask) {
      const cellIndex = (this.offset + N.NMAP_HEADER_BYTES + i * 4) >>> 2;
      const cell = u32[cellIndex]!;
      if (cell !== 0) {
        const e = this.entry(cell - 1);
        if (u32[(e + N.NENT_OFF_EXCHANGE_KEY) >>> 2] !== ek || u32[(e + N.NENT_OFF_TOKEN) >>> 2] !== tok) continue;
        if (u32[(e + N.NENT_OFF_SYMBOL_ID) >>> 2] !== symbolId || u8[e + N.NENT_OFF_EXCHANGE] !== code
          || u8[e + N.NENT_OFF_PRICE_DECIMALS] !== priceDecimals || u8[e + N.NENT_OFF_FLAGS] !== flags) {
          throw new TickwireError("ARGUMENT", `NorenTokenMap.set: ${brokerExchange}|${token} is already mapped to ${this.describeSlot(cell - 1)}`);
        }
        return cell - 1;
      }
      const slot = this.size;
      if (slot >= this.capacity) throw new TickwireError("TABLE_FULL", `NorenTokenMap.set: the map is full (${this.capacity} instruments)`);
      const e = this.entry(slot);
      u32[(e + N.NENT_OFF_EXCHANGE_KEY) >>> 2] = ek;
      u32[(e + N.NENT_OFF_TOKEN) >>> 2] = tok;
      u32[(e + N.NENT_OFF_SYMBOL_ID) >>> 2] = symbolId;
      u8[e + N.NENT_OFF_EXCHANGE] = code;
      u8[e + N.NENT_OFF_PRICE_DECIMALS] = priceDecimals;
      u8[e + N.NENT_OFF_FLAGS] = flags;
      this.mem.f64[(e + N.NENT_OFF_LAST_MS) >>> 3] = Date.now(); // stale from its mapping until it ticks
      u32[(this.offset + N.NMAP_OFF_COUNT) >>> 2] = slot + 1;
      u32[cellIndex] = slot + 1; // last: the entry is whole before the index names it
      return slot;
    }
  }

  /** The slot of (brokerExchange, token), or -1 when it is not mapped (or cannot be a key). */
  slotOf(brokerExchange: string, token: string): number {
    const ek = packBrokerExchange(brokerExchange);
    const tok = packToken(token);
    if (ek < 0 || tok < 0) return -1;
    const u32 = this.mem.u32;
    const mask = u32[(this.offset + N.NMAP_OFF_INDEX_MASK) >>> 2]!;
    for (let i = keyHash(ek, tok) & mask; ; i = (i + 1) & mask) {
      const cell = u32[(this.offset + N.NMAP_HEADER_BYTES + i * 4) >>> 2]!;
      if (cell === 0) return -1;
      const e = this.entry(cell - 1);
      if (u32[(e + N.NENT_OFF_EXCHANGE_KEY) >>> 2] === ek && u32[(e + N.NENT_OFF_TOKEN) >>> 2] === tok) return cell - 1;
    }
  }

  /** What slot `slot` holds. */
  info(slot: number): NorenSlotInfo {
    checkInt(slot, 0, Math.max(0, this.size - 1), "NorenTokenMap.info: slot");
    if (slot >= this.size) throw new TickwireError("ARGUMENT", `NorenTokenMap.info: slot ${slot} is not mapped (size ${this.size})`);
    const { u8, u32 } = this.mem;
    const e = this.entry(slot);
    const ek = u32[(e + N.NENT_OFF_EXCHANGE_KEY) >>> 2]!;
    let brokerExchange = "";
    for (let k = ek; k !== 0; k >>>= 8) brokerExchange += String.fromCharCode(k & 0xff);
    const seqLo = u32[(e + N.NENT_OFF_SEQ) >>> 2]!;
    const seqHi = u32[(e + N.NENT_OFF_SEQ + 4) >>> 2]!;
    return {
      slot,
      brokerExchange,
      token: String(u32[(e + N.NENT_OFF_TOKEN) >>> 2]),
      symbolId: u32[(e + N.NENT_OFF_SYMBOL_ID) >>> 2]!,
      exchange: exchangeName(u8[e + N.NENT_OFF_EXCHANGE]!)!,
      priceDecimals: u8[e + N.NENT_OFF_PRICE_DECIMALS]!,
      allowNonPositive: (u8[e + N.NENT_OFF_FLAGS]! & N.NENT_FLAG_ALLOW_NON_POSITIVE) !== 0,
      seq: seqHi * 2 ** 32 + seqLo,
    };
  }

  /**
   * Offset of slot `slot`'s merged state: a DEPTH-form record (384 bytes, the tick record's
   * field offsets; its header bytes are not meaningful). Read it, never write it.
   */
  stateOffset(slot: number): number {
    checkInt(slot, 0, Math.max(0, this.size - 1), "NorenTokenMap.stateOffset: slot");
    if (slot >= this.size) throw new TickwireError("ARGUMENT", `NorenTokenMap.stateOffset: slot ${slot} is not mapped (size ${this.size})`);
    return this.entry(slot) + N.NENT_OFF_STATE;
  }

  /** Wall-clock ms of the slot's last record (of its mapping, before its first): staleness = now − this. */
  lastUpdateMs(slot: number): number {
    checkInt(slot, 0, Math.max(0, this.size - 1), "NorenTokenMap.lastUpdateMs: slot");
    if (slot >= this.size) throw new TickwireError("ARGUMENT", `NorenTokenMap.lastUpdateMs: slot ${slot} is not mapped (size ${this.size})`);
    return this.mem.f64[(this.entry(slot) + N.NENT_OFF_LAST_MS) >>> 3]!;
  }

  private entry(slot: number): number {
    return this.mem.u32[(this.offset + N.NMAP_OFF_ENTRIES) >>> 2]! + slot * N.NMAP_ENTRY_BYTES;
  }

  private describeSlot(slot: number): string {
    const i = this.info(slot);
    return `symbol id ${i.symbolId} (${i.exchange}, priceDecimals ${i.priceDecimals}${i.allowNonPositive ? ", non-positive prices allowed" : ""})`;
  }
}
