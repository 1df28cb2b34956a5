// The JavaScript side of the fan-out gather (assembly/fanout.ts): client slots, the
// subscriber index by symbol id, and one Wasm call per batch that leaves every client's
// frames ready to write. Runtime-neutral (no sockets here): the proxy writes the frames.
import * as L from "../format/layout.js";
import * as G from "./layout.js";
import { TickwireError, errorFromStatus } from "../errors.js";
import { TickwireMemory } from "../memory/shared-memory.js";
import { SymbolTable } from "../memory/symbol-table.js";
import { isCleanName } from "../format/text.js";
import { checkInstance, checkInt, checkObject, describe } from "../validate.js";

/** Options of a {@link FanoutGather}. */
export interface FanoutGatherOptions {
  /** Client slots. */
  maxClients: number;
  /** Subscriber entries ((symbol, client) pairs) over all clients. */
  maxSubscriptions: number;
  /** The `broker` field of JSON messages. */
  broker: string;
  /** Also print the names OpenAlgo's SDKs read (docs/PROTOCOL.md). */
  sdkAliases?: boolean;
  /** Also print `recv_time_ns`. */
  receiveTime?: boolean;
}

/** Flags of a client slot. */
export const ClientFlags = { ACTIVE: G.GF_ACTIVE, BINARY: G.GF_BINARY, CONFLATING: G.GF_CONFLATING } as const;

const encoder = new TextEncoder();
/** Records one call takes at most (a broadcast poll copies ≤ 64 KiB: 1024 LTP records). */
const MAX_RECORDS = 1024;
const SCRATCH_BYTES = 2 << 20;
const EXTRA_SDK_ALIASES = 1;
const EXTRA_RECV_TIME = 2;
/** The largest afterSeq: seqs are u64, and this is the largest double below 2^64. */
const MAX_SEQ = 2 ** 64 - 2048;

function checkFlag(v: unknown, what: string): boolean {
  if (v !== undefined && typeof v !== "boolean") throw new TickwireError("ARGUMENT", `${what} must be true or false, got ${describe(v)}`);
  return v === true;
}

interface Subscriber {
  modes: number;
  afterSeq: number;
  sinceSeq: number;
}

/**
 * Frames for every client from one batch of records in one Wasm call. Subscriptions are
 * kept per symbol id here and copied to an index in shared memory (rebuilt before the next
 * batch after a change, so a burst of subscribes costs one rebuild).
 */
export class FanoutGather {
  readonly maxClients: number;
  readonly maxSubscriptions: number;
  private readonly ctx: number;
  private readonly clients: number;
  private readonly touched: number;
  private readonly out: number;
  private readonly outBytes: number;
  private readonly subIndex: number;
  private readonly subEntries: number;
  private readonly dirtyWords: number;
  private readonly dirty: number;
  private readonly symbolCount: number;
  private readonly bySymbol = new Map<number, Map<number, Subscriber>>();
  private readonly freeSlots: number[] = [];
  // 1 while a slot is open (between openSlot and closeSlot): a slot closed twice would be handed to two clients.
  private readonly openSlots: Uint8Array;
  // [start, end) of each area this gather reserved: a batch overlapping one would be written while it is read.
  private readonly own: number[] = [];
  private readonly slotIds: Set<number>[] = [];
  private entries = 0;
  private indexStale = true;

  constructor(private readonly mem: TickwireMemory, symbols: SymbolTable, options: FanoutGatherOptions) {
    checkInstance(mem, TickwireMemory, "FanoutGather: mem");
    checkInstance(symbols, SymbolTable, "FanoutGather: symbols");
    checkObject(options, "FanoutGather: options ({ maxClients, maxSubscriptions, broker })");
    this.maxClients = checkInt(options.maxClients, 1, 1_000_000, "FanoutGather: maxClients");
    this.maxSubscriptions = checkInt(options.maxSubscriptions, 1, 64_000_000, "FanoutGather: maxSubscriptions");
    const broker = isCleanName(options.broker) ? encoder.encode(options.broker) : undefined;
    if (!broker || broker.length > L.BROKER_MAX_BYTES) throw new TickwireError("BROKER", `FanoutGather: broker must be a clean name of at most ${L.BROKER_MAX_BYTES} bytes, got ${describe(options.broker)}`);
    const extras = (checkFlag(options.sdkAliases, "FanoutGather: sdkAliases") ? EXTRA_SDK_ALIASES : 0) | (checkFlag(options.receiveTime, "FanoutGather: receiveTime") ? EXTRA_RECV_TIME : 0);
    this.openSlots = new Uint8Array(this.maxClients);
    this.symbolCount = symbols.capacity;
    this.dirtyWords = Math.ceil(this.symbolCount / 32);
    // Every call's output must hold one record's frames for every client: 3 modes of the largest message.
    this.outBytes = Math.max(8 << 20, this.maxClients * 3 * (L.JSON_MESSAGE_MAX_BYTES + L.BROKER_MAX_BYTES + 16) + (1 << 20));
    this.ctx = mem.reserve(G.GX_CONTEXT_BYTES, 64);
    this.clients = mem.reserve(this.maxClients * G.GC_BYTES, 64);
    this.touched = mem.reserve(this.maxClients * 4, 64);
    this.out = mem.reserve(this.outBytes, 64);
    this.subIndex = mem.reserve((this.symbolCount + 1) * 4, 64);
    this.subEntries = mem.reserve(this.maxSubscriptions * G.GE_BYTES, 64);
    this.dirty = mem.reserve(this.maxClients * this.dirtyWords * 4, 64);
    const scratch = mem.reserve(SCRATCH_BYTES, 64);
    const msgIndex = mem.reserve(MAX_RECORDS * 24, 64);
    const brokerAt = mem.reserve(L.BROKER_MAX_BYTES + 8, 8);
    this.own.push(this.ctx, this.ctx + G.GX_CONTEXT_BYTES, this.clients, this.clients + this.maxClients * G.GC_BYTES,
      this.touched, this.touched + this.maxClients * 4, this.out, this.out + this.outBytes, this.subIndex, this.subIndex + (this.symbolCount + 1) * 4,
      this.subEntries, this.subEntries + this.maxSubscriptions * G.GE_BYTES, this.dirty, this.dirty + this.maxClients * this.dirtyWords * 4,
      scratch, scratch + SCRATCH_BYTES, msgIndex, msgIndex + MAX_RECORDS * 24, brokerAt, brokerAt + L.BROKER_MAX_BYTES + 8);
    mem.u8.set(broker, brokerAt);
    const u32 = mem.u32;
    const c = this.ctx >>> 2;
    u32[c + (G.GX_SYMTAB >>> 2)] = symbols.offset;
    u32[c + (G.GX_BROKER >>> 2)] = brokerAt;
    u32[c + (G.GX_BROKER_LEN >>> 2)] = broker.length;
    u32[c + (G.GX_EXTRAS >>> 2)] = extras;
    u32[c + (G.GX_SUB_INDEX >>> 2)] = this.subIndex;
    u32[c + (G.GX_SUB_ENTRIES >>> 2)] = this.subEntries;
    u32[c + (G.GX_SUB_SYMBOLS >>> 2)] = this.symbolCount;
    u32[c + (G.GX_CLIENTS >>> 2)] = this.clients;
    u32[c + (G.GX_SCRATCH >>> 2)] = scratch;
    u32[c + (G.GX_SCRATCH_BYTES >>> 2)] = SCRATCH_BYTES;
    u32[c + (G.GX_MSG_INDEX >>> 2)] = msgIndex;
    u32[c + (G.GX_MAX_RECORDS >>> 2)] = MAX_RECORDS;
    u32[c + (G.GX_OUT >>> 2)] = this.out;
    u32[c + (G.GX_OUT_BYTES >>> 2)] = this.outBytes;
    u32[c + (G.GX_TOUCHED >>> 2)] = this.touched;
    for (let slot = this.maxClients - 1; slot >= 0; slot--) {
      this.freeSlots.push(slot);
      this.slotIds[slot] = new Set();
      u32[(this.clients + slot * G.GC_BYTES + G.GC_DIRTY) >>> 2] = this.dirty + slot * this.dirtyWords * 4;
    }
    this.rebuild();
  }

  /** Memory a gather with these options reserves, bytes (to size the shared memory). */
  static bytesFor(options: Pick<FanoutGatherOptions, "maxClients" | "maxSubscriptions">, symbols: number): number {
    checkObject(options, "FanoutGather.bytesFor: options ({ maxClients, maxSubscriptions })");
    checkInt(options.maxClients, 1, 1_000_000, "FanoutGather.bytesFor: maxClients");
    checkInt(options.maxSubscriptions, 1, 64_000_000, "FanoutGather.bytesFor: maxSubscriptions");
    checkInt(symbols, 1, 1 << 24, "FanoutGather.bytesFor: symbols (the symbol table's capacity)");
    const out = Math.max(8 << 20, options.maxClients * 3 * (L.JSON_MESSAGE_MAX_BYTES + L.BROKER_MAX_BYTES + 16) + (1 << 20));
    return out + SCRATCH_BYTES + MAX_RECORDS * 24 + options.maxClients * (G.GC_BYTES + 4 + Math.ceil(symbols / 32) * 4)
      + (symbols + 1) * 4 + options.maxSubscriptions * G.GE_BYTES + 64 * 1024;
  }

  /** A free client slot (flags 0), or -1 when all are taken. */
  openSlot(): number {
    const slot = this.freeSlots.pop() ?? -1;
    if (slot >= 0) this.openSlots[slot] = 1;
    return slot;
  }

  /** Frees an open slot: its subscriptions are removed and it gets no more frames. */
  closeSlot(slot: number): void {
    this.checkOpen(slot, "closeSlot");
    this.setFlags(slot, 0);
    for (const id of this.slotIds[slot]!) this.setSubscription(slot, id, 0);
    this.takePending(slot);
    this.openSlots[slot] = 0;
    this.freeSlots.push(slot);
  }

  /** Sets an open slot's ClientFlags (ACTIVE, BINARY, CONFLATING bits). */
  setFlags(slot: number, flags: number): void {
    this.checkOpen(slot, "setFlags");
    checkInt(flags, 0, ClientFlags.ACTIVE | ClientFlags.BINARY | ClientFlags.CONFLATING, "FanoutGather: flags (ClientFlags bits)");
    this.mem.u32[(this.clients + slot * G.GC_BYTES + G.GC_FLAGS) >>> 2] = flags;
  }

  /** A slot's ClientFlags. */
  flags(slot: number): number {
    this.checkSlot(slot);
    return this.mem.u32[(this.clients + slot * G.GC_BYTES + G.GC_FLAGS) >>> 2]! & ~G.GF_TOUCHED;
  }

  /** The memory the gather works in. */
  get memory(): TickwireMemory {
    return this.mem;
  }

  /** Subscriber entries in use. */
  get subscriptions(): number {
    return this.entries;
  }

  /**
   * Sets the modes (bit m-1 for mode m; 0 removes) at which `slot` receives symbol `id`.
   * Records with seq ≤ `afterSeq` are skipped for it, counted as superseded (it was sent a
   * value that new); `since: true` marks `afterSeq` as where the subscription starts (its
   * first snapshot): records up to it are not the client's and not counted. Returns false
   * when a new entry would pass maxSubscriptions. The slot must be open.
   */
  setSubscription(slot: number, id: number, modes: number, afterSeq = 0, since = false): boolean {
    this.checkOpen(slot, "setSubscription");
    checkInt(id, 0, this.symbolCount - 1, "FanoutGather: symbol id");
    checkInt(modes, 0, 7, "FanoutGather: modes");
    checkInt(afterSeq, 0, MAX_SEQ, "FanoutGather: afterSeq (a record seq)");
    if (typeof since !== "boolean") throw new TickwireError("ARGUMENT", `FanoutGather: since must be true or false, got ${describe(since)}`);
    let subs = this.bySymbol.get(id);
    const had = subs?.get(slot);
    if (modes === 0) {
      if (had && subs) {
        subs.delete(slot);
        if (subs.size === 0) this.bySymbol.delete(id);
        this.slotIds[slot]!.delete(id);
        this.entries--;
        this.indexStale = true;
      }
      return true;
    }
    if (!had && this.entries >= this.maxSubscriptions) return false;
    if (!subs) this.bySymbol.set(id, (subs = new Map()));
    if (!had) {
      this.entries++;
      this.slotIds[slot]!.add(id);
    }
    subs.set(slot, { modes, afterSeq, sinceSeq: since ? afterSeq : had?.sinceSeq ?? 0 });
    this.indexStale = true;
    return true;
  }

  /** Copies the subscriptions to the index the Wasm gather reads. */
  private rebuild(): void {
    const u32 = this.mem.u32;
    const ids = [...this.bySymbol.keys()].sort((a, b) => a - b);
    const index = this.subIndex >>> 2;
    let e = 0;
    let next = 0;
    for (const id of ids) {
      for (; next <= id; next++) u32[index + next] = e;
      for (const [slot, sub] of this.bySymbol.get(id)!) {
        const at = (this.subEntries + e * G.GE_BYTES) >>> 2;
        u32[at] = slot;
        u32[at + 1] = sub.modes;
        u32[at + 2] = sub.afterSeq % 4294967296;
        u32[at + 3] = Math.floor(sub.afterSeq / 4294967296);
        u32[at + 4] = sub.sinceSeq % 4294967296;
        u32[at + 5] = Math.floor(sub.sinceSeq / 4294967296);
        e++;
      }
    }
    for (; next <= this.symbolCount; next++) u32[index + next] = e;
    this.indexStale = false;
  }

  /**
   * Makes the frames of the records at `src` (`bytes` long; a proven-intact batch) for every
   * client. Returns the bytes of the batch taken (whole records; call again with the rest).
   * After it, {@link touchedCount} clients have output: {@link touchedSlot}(i), their
   * frames {@link frames}(slot) and counts. A record that cannot be rendered (its exchange or
   * decimals not its symbol's) throws with its index: skip it and go on.
   */
  gather(src: number, bytes: number, timestampMs: number): number {
    checkInt(bytes, 0, 0x7fffffff, "FanoutGather.gather: bytes");
    this.mem.checkInside(src, bytes, 8, "FanoutGather.gather: src");
    checkInt(timestampMs, -Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, "FanoutGather.gather: timestampMs (ms since the epoch)");
    for (let i = 0; i < this.own.length && bytes > 0; i += 2) {
      if (src < this.own[i + 1]! && src + bytes > this.own[i]!) throw new TickwireError("REGION", `FanoutGather.gather: src [${src}, +${bytes}) overlaps the gather's own memory (it would write there while reading the batch)`);
    }
    if (this.indexStale) this.rebuild();
    const u32 = this.mem.u32;
    const c = this.ctx >>> 2;
    u32[c + (G.GX_SRC >>> 2)] = src;
    u32[c + (G.GX_BYTES >>> 2)] = bytes;
    this.mem.f64[(this.ctx + G.GX_TIMESTAMP_MS) >>> 3] = timestampMs;
    const n = this.mem.core.fanoutGather(this.ctx);
    if (n < 0) throw errorFromStatus(n, "fanout", u32[c + (G.GX_STATUS >>> 2)]);
    return u32[c + (G.GX_CONSUMED >>> 2)]!;
  }

  /** Clients with output (or conflation) in the last gather. */
  get touchedCount(): number {
    return this.mem.u32[(this.ctx + G.GX_TOUCHED_COUNT) >>> 2]!;
  }

  /** Records (padding excluded) the last gather took. */
  get records(): number {
    return this.mem.u32[(this.ctx + G.GX_RECORDS) >>> 2]!;
  }

  /** The i-th client with output in the last gather (0 ≤ i < touchedCount). */
  touchedSlot(i: number): number {
    checkInt(i, 0, this.touchedCount - 1, "FanoutGather.touchedSlot: index (below touchedCount)");
    return this.mem.u32[(this.touched >>> 2) + i]!;
  }

  /** Bytes the last gather's frames fill, every client's back to back from the start of {@link output}. */
  get outputBytes(): number {
    return this.mem.u32[(this.ctx + G.GX_OUT_USED) >>> 2]!;
  }

  /** The last gather's frames, all clients' (a view of shared memory: copy before the next gather). */
  output(): Uint8Array {
    return this.mem.u8.subarray(this.out, this.out + this.outputBytes);
  }

  /** Where the slot's frames of the last gather start in {@link output}. */
  frameStart(slot: number): number {
    this.checkSlot(slot);
    return this.mem.u32[(this.clients + slot * G.GC_BYTES + G.GC_OUT_START) >>> 2]!;
  }

  /** Bytes of the slot's frames in the last gather. */
  frameBytes(slot: number): number {
    this.checkSlot(slot);
    return this.mem.u32[(this.clients + slot * G.GC_BYTES + G.GC_OUT_BYTES) >>> 2]!;
  }

  /** The slot's frames of the last gather — meaningful only for a slot it touched (touchedSlot) — as a view of shared memory: copy before the next gather. */
  frames(slot: number): Uint8Array {
    this.checkSlot(slot);
    const at = (this.clients + slot * G.GC_BYTES) >>> 2;
    const start = this.out + this.mem.u32[at + (G.GC_OUT_START >>> 2)]!;
    return this.mem.u8.subarray(start, start + this.mem.u32[at + (G.GC_OUT_BYTES >>> 2)]!);
  }

  /** Ticks in the slot's frames of the last gather. */
  ticks(slot: number): number {
    this.checkSlot(slot);
    return this.mem.u32[(this.clients + slot * G.GC_BYTES + G.GC_TICKS) >>> 2]!;
  }

  /** Ticks the last gather superseded in the slot's pending set (conflating). */
  conflated(slot: number): number {
    this.checkSlot(slot);
    return this.mem.u32[(this.clients + slot * G.GC_BYTES + G.GC_CONFLATED) >>> 2]!;
  }

  /** Symbols the last gather newly marked pending for the slot (conflating). */
  pending(slot: number): number {
    this.checkSlot(slot);
    return this.mem.u32[(this.clients + slot * G.GC_BYTES + G.GC_PENDING) >>> 2]!;
  }

  /** The symbol ids pending for a conflating slot, clearing them. */
  takePending(slot: number): number[] {
    this.checkSlot(slot);
    const ids: number[] = [];
    const base = (this.dirty >>> 2) + slot * this.dirtyWords;
    const u32 = this.mem.u32;
    for (let w = 0; w < this.dirtyWords; w++) {
      let word = u32[base + w]!;
      if (word === 0) continue;
      u32[base + w] = 0;
      while (word !== 0) {
        const bit = 31 - Math.clz32(word & -word);
        ids.push(w * 32 + bit);
        word &= word - 1;
      }
    }
    return ids.sort((a, b) => a - b);
  }

  private checkSlot(slot: number): void {
    checkInt(slot, 0, this.maxClients - 1, "FanoutGather: slot");
  }

  private checkOpen(slot: number, what: string): void {
    this.checkSlot(slot);
    if (this.openSlots[slot] !== 1) throw new TickwireError("HANDLE", `FanoutGather.${what}: slot ${slot} is not open (openSlot() gives one)`);
  }
}
