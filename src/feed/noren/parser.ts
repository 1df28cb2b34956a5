// NorenParser: Noren WebSocket frames (JSON text) → tick records, a whole batch of frames
// in one Wasm call (assembly/noren.ts). JavaScript's part per frame is one copy into the
// frame buffer; control frames (login acks, order updates, ...) come back for JSON.parse.
import * as N from "./layout.js";
import { TickwireError } from "../../errors.js";
import { TickwireMemory } from "../../memory/shared-memory.js";
import { checkInstance, checkInt, checkOptions, describe } from "../../validate.js";
import { NorenTokenMap } from "./token-map.js";

/** Why a frame was skipped (docs/NOREN.md, "Reasons"), in counter order. */
export const NOREN_MALFORMED_REASONS = [
  "BAD_JSON", "UNKNOWN_TYPE", "WRONG_TYPE", "MISSING_KEY", "UNKNOWN_SYMBOL", "DECIMALS",
  "BAD_NUMBER", "PRECISION", "PRICE_RANGE", "RANGE", "BAD_TIME", "TOO_LONG",
] as const;
export type NorenMalformedReason = (typeof NOREN_MALFORMED_REASONS)[number];

/** The data-quality guards, in counter order. */
export const NOREN_GUARDS = ["NON_POSITIVE", "BAND", "STALE"] as const;
export type NorenGuard = (typeof NOREN_GUARDS)[number];

/** What a guard does with a frame it flags: drop it (no record, state unchanged), pass it (counted only), or not look. */
export type GuardPolicy = "drop" | "pass" | "off";

/** Options of {@link NorenParser.create}. */
export interface NorenParserOptions {
  /** Bytes of the buffer {@link NorenParser.push} copies frames into. Default 262 144 (256 KiB). */
  frameBufferBytes?: number;
  /** Longest frame taken; a longer one is counted TOO_LONG and dropped. Default 65 536, at most frameBufferBytes − 4. */
  maxFrameBytes?: number;
  /** Bytes of the output region the records of one parse() go to, at least 384. Default 98 304 (256 DEPTH records). */
  outputBytes?: number;
  /** Control frames one parse() hands over; when full, parse() stops and keeps the rest. Default 64. */
  maxControlFrames?: number;
  /** A last price ≤ 0 for an instrument whose row does not allow one. Default "drop". */
  nonPositive?: GuardPolicy;
  /** A last price more than bandPercent away from the symbol's last accepted one. Default "pass". */
  band?: GuardPolicy;
  /** Width of the band, percent of the last accepted price (> 0). Default 20. */
  bandPercent?: number;
  /** A feed time (`ft`) older than the wall clock less maxAgeMs. Default "pass". */
  stale?: GuardPolicy;
  /** Age beyond which a frame is stale, ms (≥ 0). Default 60 000. */
  maxAgeMs?: number;
}

/** Counters of a parser since it was created (each a count of frames). */
export interface NorenCounters {
  /** Frames consumed: parsed, plus those dropped TOO_LONG at push. */
  readonly frames: number;
  /** Records emitted. */
  readonly ticks: number;
  /** Control frames handed over. */
  readonly control: number;
  /** Frames a guard with policy "drop" kept out. */
  readonly guardDropped: number;
  /** Frames skipped as malformed, by reason. */
  readonly malformed: Readonly<Record<NorenMalformedReason, number>>;
  /** Frames a guard flagged (dropped or passed), by guard. */
  readonly guards: Readonly<Record<NorenGuard, number>>;
}

const MAX_REGION_BYTES = 1 << 30;
const POLICIES: readonly string[] = ["drop", "pass", "off"];
const decoder = new TextDecoder("utf-8", { ignoreBOM: true });

function checkPolicy(v: unknown, what: string, fallback: GuardPolicy): GuardPolicy {
  if (v === undefined) return fallback;
  if (typeof v !== "string" || !POLICIES.includes(v)) throw new TickwireError("ARGUMENT", `NorenParser.create: ${what} must be "drop", "pass" or "off", got ${describe(v)}`);
  return v as GuardPolicy;
}

/**
 * Parses Noren (Flattrade, Shoonya) market-data frames into tick records:
 * `tk`/`tf` (touchline snapshot/update) → a QUOTE record of 192 bytes, `dk`/`df` (depth
 * snapshot/update) → a DEPTH record of 384 bytes, each built from the symbol's merged
 * state in its {@link NorenTokenMap}. Usage, per batch of WebSocket messages:
 *
 * ```ts
 * for (const data of messages) if (!parser.push(data)) { flush(); parser.push(data); }
 * const n = parser.parse(monotonicNs(), Date.now());   // one Wasm call for the batch
 * await sink(parser.out, parser.outBytes);               // n records, back to back
 * for (let i = 0; i < parser.controlCount; i++) handle(parser.controlJson(i));
 * ```
 *
 * A frame with anything wrong is skipped whole and counted by reason (docs/NOREN.md);
 * the data-quality guards flag, count and optionally drop frames. Records go to an
 * output region the caller owns (allocated here), so they can be handed to a sink; the
 * next parse() overwrites them. **Single thread**: the parser and its token map belong to
 * the thread that created them (the adapter's).
 */
export class NorenParser {
  /** Offset of the output region the records of the last parse() start at (caller-owned memory). */
  readonly out: number;
  /** Bytes of the output region. */
  readonly outputBytes: number;
  /** Longest frame taken. */
  readonly maxFrameBytes: number;
  private readonly ctx: number;
  private readonly framesStart: number;
  private readonly framesEnd: number;
  private readonly u8: Uint8Array;
  private readonly u32: Uint32Array;
  private readonly f64: Float64Array;
  private pending = 0;

  private constructor(readonly mem: TickwireMemory, readonly map: NorenTokenMap, ctx: number, out: number, outputBytes: number, maxFrameBytes: number) {
    this.ctx = ctx;
    this.out = out;
    this.outputBytes = outputBytes;
    this.maxFrameBytes = maxFrameBytes;
    this.u8 = mem.u8;
    this.u32 = mem.u32;
    this.f64 = mem.f64;
    this.framesStart = this.u32[(ctx + N.NCTX_OFF_FRAMES) >>> 2]!;
    this.framesEnd = this.u32[(ctx + N.NCTX_OFF_FRAMES_END) >>> 2]!;
  }

  /** Lays out a parser over `map` (whose memory it uses) with `options`. */
  static create(map: NorenTokenMap, options?: NorenParserOptions): NorenParser {
    checkInstance(map, NorenTokenMap, "NorenParser.create: map");
    const o = checkOptions<NorenParserOptions>(options, "NorenParser.create: options");
    const frameBufferBytes = checkInt(o.frameBufferBytes ?? 262144, 64, MAX_REGION_BYTES, "NorenParser.create: frameBufferBytes");
    const maxFrameBytes = checkInt(o.maxFrameBytes ?? Math.min(65536, frameBufferBytes - 4), 1, frameBufferBytes - 4, "NorenParser.create: maxFrameBytes (at most frameBufferBytes - 4)");
    const outputBytes = checkInt(o.outputBytes ?? 256 * 384, 384, MAX_REGION_BYTES, "NorenParser.create: outputBytes");
    const maxControlFrames = checkInt(o.maxControlFrames ?? 64, 1, 1 << 20, "NorenParser.create: maxControlFrames");
    const nonPositive = checkPolicy(o.nonPositive, "nonPositive", "drop");
    const band = checkPolicy(o.band, "band", "pass");
    const stale = checkPolicy(o.stale, "stale", "pass");
    const bandPercent = o.bandPercent ?? 20;
    if (typeof bandPercent !== "number" || !Number.isFinite(bandPercent) || bandPercent <= 0) {
      throw new TickwireError("ARGUMENT", `NorenParser.create: bandPercent must be a finite number above 0, got ${describe(bandPercent)}`);
    }
    const maxAgeMs = o.maxAgeMs ?? 60000;
    if (typeof maxAgeMs !== "number" || !Number.isFinite(maxAgeMs) || maxAgeMs < 0) {
      throw new TickwireError("ARGUMENT", `NorenParser.create: maxAgeMs must be a finite number of ms from 0, got ${describe(maxAgeMs)}`);
    }
    const mem = map.mem;
    // Outcomes: a frame takes at least its 4-byte length word. The nesting stack: a level
    // takes at least one byte of the frame.
    const outcomesCap = frameBufferBytes >>> 2;
    const stackBits = maxFrameBytes + 32;
    const ctx = mem.reserve(N.NCTX_BYTES, 64);
    const fields = mem.reserve(N.NSCRATCH_FIELD_BYTES, 64);
    const values = mem.reserve(N.NSCRATCH_VALUE_BYTES, 64);
    const stack = mem.reserve(Math.ceil(stackBits / 32) * 4, 64);
    const outcomes = mem.reserve(outcomesCap, 64);
    const controls = mem.reserve(maxControlFrames * 8, 64);
    const frames = mem.reserve(frameBufferBytes, 64);
    const out = mem.allocate(outputBytes);
    const u32 = mem.u32;
    const c = ctx >>> 2;
    u32[c + N.NCTX_OFF_MAP / 4] = map.offset;
    u32[c + N.NCTX_OFF_FRAMES / 4] = frames;
    u32[c + N.NCTX_OFF_FRAMES_END / 4] = frames + frameBufferBytes;
    u32[c + N.NCTX_OFF_READ / 4] = frames;
    u32[c + N.NCTX_OFF_WRITE / 4] = frames;
    u32[c + N.NCTX_OFF_OUT / 4] = out;
    u32[c + N.NCTX_OFF_OUT_CAP / 4] = outputBytes;
    u32[c + N.NCTX_OFF_OUTCOMES / 4] = outcomes;
    u32[c + N.NCTX_OFF_OUTCOMES_CAP / 4] = outcomesCap;
    u32[c + N.NCTX_OFF_CONTROLS / 4] = controls;
    u32[c + N.NCTX_OFF_CONTROLS_CAP / 4] = maxControlFrames;
    u32[c + N.NCTX_OFF_STACK / 4] = stack;
    u32[c + N.NCTX_OFF_STACK_BITS / 4] = stackBits;
    u32[c + N.NCTX_OFF_FIELDS / 4] = fields;
    u32[c + N.NCTX_OFF_VALUES / 4] = values;
    let guards = 0;
    const policies = [nonPositive, band, stale];
    for (let g = 0; g < N.GUARD_COUNT; g++) {
      if (policies[g] !== "off") guards |= 1 << g;
      if (policies[g] === "drop") guards |= 1 << (g + N.GUARD_POLICY_SHIFT);
    }
    u32[c + N.NCTX_OFF_GUARDS / 4] = guards;
    mem.f64[(ctx + N.NCTX_OFF_BAND_PERCENT) >>> 3] = bandPercent;
    mem.f64[(ctx + N.NCTX_OFF_MAX_AGE_MS) >>> 3] = maxAgeMs;
    u32[c + N.NCTX_OFF_MAGIC / 4] = N.NCTX_MAGIC;
    return new NorenParser(mem, map, ctx, out, outputBytes, maxFrameBytes);
  }

  /**
   * Copies one WebSocket message's bytes (a Buffer is a Uint8Array) into the frame buffer.
   * Returns false when the buffer has no room left for it: parse() first, then push it
   * again. A frame longer than {@link maxFrameBytes} is counted (TOO_LONG) and dropped,
   * returning true. May invalidate the control frames of the last parse() (then
   * {@link controlCount} reads 0): read them before pushing more.
   */
  push(frame: Uint8Array): boolean {
    if (!(frame instanceof Uint8Array)) throw new TickwireError("ARGUMENT", `NorenParser.push: frame must be a Uint8Array (a Buffer is one), got ${describe(frame)}`);
    const n = frame.length;
    const u32 = this.u32;
    const readAt = (this.ctx + N.NCTX_OFF_READ) >>> 2;
    const writeAt = (this.ctx + N.NCTX_OFF_WRITE) >>> 2;
    if (n > this.maxFrameBytes) {
      this.count(N.COUNTER_FRAMES);
      this.count(N.COUNTER_MALFORMED + N.REASON_TOO_LONG);
      return true;
    }
    let r = u32[readAt]!;
    let w = u32[writeAt]!;
    if (r === w && r !== this.framesStart) {
      r = w = this.framesStart; // all parsed: start over
      u32[readAt] = r;
      u32[(this.ctx + N.NCTX_OFF_CONTROL_COUNT) >>> 2] = 0; // their bytes are about to be overwritten
    }
    const need = 4 + ((n + 3) & ~3);
    if (w + need > this.framesEnd) {
      if (r === this.framesStart) return false;
      this.u8.copyWithin(this.framesStart, r, w); // frames parse() left: to the front
      u32[(this.ctx + N.NCTX_OFF_CONTROL_COUNT) >>> 2] = 0;
      w -= r - this.framesStart;
      u32[readAt] = r = this.framesStart;
      if (w + need > this.framesEnd) {
        u32[writeAt] = w;
        return false;
      }
    }
    u32[w >>> 2] = n;
    this.u8.set(frame, w + 4);
    u32[writeAt] = w + need;
    this.pending++;
    return true;
  }

  /**
   * Parses every pushed frame in one Wasm call: one record per tick frame, back to back
   * from {@link out} ({@link outBytes} long); control frames are listed for
   * {@link control}. Stops early when the output region (or the control list) is full,
   * keeping the remaining frames for the next call: nothing is lost. Returns the number of
   * records written.
   * @param recvTimeNs - receive time of the batch (monotonicNs()), written into every record
   * @param wallClockMs - the wall clock (Date.now()): the stale guard's reference, and the
   *   day of a time-of-day `ltt` when the symbol has no feed time yet
   */
  parse(recvTimeNs: number, wallClockMs: number): number {
    checkInt(recvTimeNs, 0, Number.MAX_SAFE_INTEGER, "NorenParser.parse: recvTimeNs");
    checkInt(wallClockMs, 0, N.MAX_WALL_CLOCK_MS, "NorenParser.parse: wallClockMs");
    this.f64[(this.ctx + N.NCTX_OFF_RECV_TIME_NS) >>> 3] = recvTimeNs;
    this.f64[(this.ctx + N.NCTX_OFF_WALL_CLOCK_MS) >>> 3] = wallClockMs;
    const records = this.mem.core.norenParse(this.ctx);
    this.pending -= this.u32[(this.ctx + N.NCTX_OFF_FRAMES_DONE) >>> 2]!;
    return records;
  }

  /** Bytes of records the last parse() wrote at {@link out}. */
  get outBytes(): number {
    return this.u32[(this.ctx + N.NCTX_OFF_OUT_BYTES) >>> 2]!;
  }

  /** Frames the last parse() consumed (records, control, malformed and guard-dropped). */
  get framesParsed(): number {
    return this.u32[(this.ctx + N.NCTX_OFF_FRAMES_DONE) >>> 2]!;
  }

  /** Bytes of frames pushed and not parsed yet (headers included). */
  get pendingBytes(): number {
    return this.u32[(this.ctx + N.NCTX_OFF_WRITE) >>> 2]! - this.u32[(this.ctx + N.NCTX_OFF_READ) >>> 2]!;
  }

  /** Frames pushed and not parsed yet. */
  get pendingFrames(): number {
    return this.pending;
  }

  /** Frames skipped as malformed since create, every reason (TOO_LONG included). */
  malformedTotal(): number {
    const at = ((this.ctx + N.NCTX_OFF_COUNTERS) >>> 3) + N.COUNTER_MALFORMED;
    let n = 0;
    for (let i = 0; i < N.REASON_COUNT; i++) n += this.f64[at + i]!;
    return n;
  }

  /** Guard flags since create, every guard (a frame two guards flag counts twice). */
  flaggedTotal(): number {
    const at = ((this.ctx + N.NCTX_OFF_COUNTERS) >>> 3) + N.COUNTER_GUARD;
    let n = 0;
    for (let i = 0; i < N.GUARD_COUNT; i++) n += this.f64[at + i]!;
    return n;
  }

  /** Control frames the last parse() found (0 again once a push or clear() reused their bytes). */
  get controlCount(): number {
    return this.u32[(this.ctx + N.NCTX_OFF_CONTROL_COUNT) >>> 2]!;
  }

  /** A copy of control frame `i` of the last parse() (valid until the next push or parse). */
  control(i: number): Uint8Array {
    checkInt(i, 0, Math.max(0, this.controlCount - 1), "NorenParser.control: i");
    if (i >= this.controlCount) throw new TickwireError("ARGUMENT", "NorenParser.control: the last parse() found no control frame");
    const at = (this.u32[(this.ctx + N.NCTX_OFF_CONTROLS) >>> 2]! + i * 8) >>> 2;
    const start = this.u32[at]!;
    return this.u8.slice(start, start + this.u32[at + 1]!);
  }

  /** Control frame `i` of the last parse(), JSON.parsed (it is well-formed JSON: the parser checked). */
  controlJson(i: number): unknown {
    return JSON.parse(decoder.decode(this.control(i)));
  }

  /**
   * What became of each frame the last parse() consumed, in order: a copy, one byte a
   * frame — OUTCOME_QUOTE, OUTCOME_DEPTH, OUTCOME_CONTROL, OUTCOME_GUARD_DROPPED or
   * OUTCOME_MALFORMED + reason (./layout.ts). For tests and diagnostics.
   */
  outcomes(): Uint8Array {
    const start = this.u32[(this.ctx + N.NCTX_OFF_OUTCOMES) >>> 2]!;
    return this.u8.slice(start, start + this.framesParsed);
  }

  /** Drops every frame pushed and not parsed yet (e.g. after the connection they came on closed). */
  clear(): void {
    this.pending = 0;
    this.u32[(this.ctx + N.NCTX_OFF_CONTROL_COUNT) >>> 2] = 0;
    this.u32[(this.ctx + N.NCTX_OFF_READ) >>> 2] = this.framesStart;
    this.u32[(this.ctx + N.NCTX_OFF_WRITE) >>> 2] = this.framesStart;
  }

  /** A snapshot of the counters. */
  counters(): NorenCounters {
    const at = (this.ctx + N.NCTX_OFF_COUNTERS) >>> 3;
    const f = this.f64;
    const malformed = {} as Record<NorenMalformedReason, number>;
    NOREN_MALFORMED_REASONS.forEach((r, i) => (malformed[r] = f[at + N.COUNTER_MALFORMED + i]!));
    const guards = {} as Record<NorenGuard, number>;
    NOREN_GUARDS.forEach((g, i) => (guards[g] = f[at + N.COUNTER_GUARD + i]!));
    return {
      frames: f[at + N.COUNTER_FRAMES]!,
      ticks: f[at + N.COUNTER_TICKS]!,
      control: f[at + N.COUNTER_CONTROL]!,
      guardDropped: f[at + N.COUNTER_GUARD_DROPPED]!,
      malformed,
      guards,
    };
  }

  private count(counter: number): void {
    this.f64[((this.ctx + N.NCTX_OFF_COUNTERS) >>> 3) + counter]! += 1;
  }
}
