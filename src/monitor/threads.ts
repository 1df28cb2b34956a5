// Thread gauges: each thread of the system reports, into its slot in shared memory, a
// heartbeat and how responsive it is — its event-loop delay (main thread, consumer threads)
// or, for a partition worker (a synchronous loop over its rings), its longest step without
// looking at its rings or its stop flag. The monitor reads every slot; a slot whose
// heartbeat stops is a thread that is wedged or gone.
//
// header (64 bytes): 0 u32 magic "THRG"  4 u32 slots
// slot (64 bytes):   0 i32 state (0 free, 1 used)  4 u32 kind (1 main, 2 partition, 3 consumer)
//                    8 f64 heartbeat (ms since the epoch)  16 f64 delay p99 (ns, last window)
//                   24 f64 delay max (ns, last window)  32 u8 name length  33..63 name (ASCII)
import { TickwireError } from "../errors.js";
import { TickwireMemory } from "../memory/shared-memory.js";
import { checkInstance, checkInt, checkOptions, checkString, describe } from "../validate.js";

const MAGIC = 0x47524854; // "THRG"
const HEADER_BYTES = 64;
const SLOT_BYTES = 64;
const OFF_KIND = 4;
const OFF_HEARTBEAT = 8;
const OFF_P99 = 16;
const OFF_MAX = 24;
const OFF_NAME = 32;
const NAME_MAX = 31;
/** Delay figures are published once a window. */
const WINDOW_MS = 1000;
const KINDS = ["", "main", "partition", "consumer"] as const;
const MAX_SLOTS = 4096;

/** A thread's kind. */
export type ThreadKind = "main" | "partition" | "consumer";

/** What a slot says. */
export interface ThreadReading {
  readonly slot: number;
  readonly name: string;
  readonly kind: ThreadKind;
  readonly heartbeatMs: number;
  readonly delayP99Ns: number;
  readonly delayMaxNs: number;
}

export class ThreadGauges {
  readonly slots: number;

  private constructor(readonly mem: TickwireMemory, readonly offset: number) {
    this.slots = mem.u32[(offset + 4) >>> 2]!;
  }

  static bytesFor(slots: number): number {
    checkInt(slots, 1, MAX_SLOTS, "ThreadGauges.bytesFor: slots");
    return HEADER_BYTES + slots * SLOT_BYTES;
  }

  static create(mem: TickwireMemory, slots: number): ThreadGauges {
    checkInstance(mem, TickwireMemory, "ThreadGauges.create: mem");
    checkInt(slots, 1, MAX_SLOTS, "ThreadGauges.create: slots");
    const offset = mem.reserve(ThreadGauges.bytesFor(slots), 64);
    mem.u32[(offset + 4) >>> 2] = slots;
    Atomics.store(mem.u32, offset >>> 2, MAGIC);
    return new ThreadGauges(mem, offset);
  }

  static attach(mem: TickwireMemory, offset: number): ThreadGauges {
    checkInstance(mem, TickwireMemory, "ThreadGauges.attach: mem");
    if (!Number.isInteger(offset) || offset < mem.base || offset % 64 !== 0 || offset + HEADER_BYTES > mem.byteLength || Atomics.load(mem.u32, offset >>> 2) !== MAGIC) {
      throw new TickwireError("HANDLE", `ThreadGauges.attach: no thread gauges at offset ${describe(offset)}`);
    }
    // Slot offsets are worked out from the header's count: a count create never writes, or gauges
    // running past the memory (or, laid out by hand in memory the caller owns, past it), are refused.
    const slots = mem.u32[(offset + 4) >>> 2]!;
    const bytes = HEADER_BYTES + slots * SLOT_BYTES;
    if (slots < 1 || slots > MAX_SLOTS || offset + bytes > mem.byteLength || (mem.owns(offset, 64) && !mem.owns(offset, bytes))) {
      throw new TickwireError("HANDLE", `ThreadGauges.attach: the gauges at offset ${offset} are corrupt (${slots} slots) or run past their region`);
    }
    return new ThreadGauges(mem, offset);
  }

  /**
   * Takes slot `slot` (a fixed one: partition workers use their worker index) or the first
   * free one at or after `from`, names it and returns it; -1 when none is free.
   */
  claim(kind: ThreadKind, name: string, options: { slot?: number; from?: number } = {}): number {
    const k = KINDS.indexOf(kind);
    if (k <= 0) throw new TickwireError("ARGUMENT", `ThreadGauges.claim: kind must be main, partition or consumer, got ${describe(kind)}`);
    checkString(name, "ThreadGauges.claim: name");
    const o = checkOptions<{ slot?: number; from?: number }>(options, "ThreadGauges.claim: options");
    const i32 = this.mem.i32;
    const fixed = o.slot;
    let slot = -1;
    if (fixed !== undefined) {
      checkInt(fixed, 0, this.slots - 1, "ThreadGauges.claim: slot");
      Atomics.store(i32, this.at(fixed) >>> 2, 1);
      slot = fixed;
    } else {
      for (let s = checkInt(o.from ?? 0, 0, this.slots, "ThreadGauges.claim: from"); s < this.slots; s++) {
        if (Atomics.compareExchange(i32, this.at(s) >>> 2, 0, 1) === 0) {
          slot = s;
          break;
        }
      }
      if (slot < 0) return -1;
    }
    const at = this.at(slot);
    this.mem.u32[(at + OFF_KIND) >>> 2] = k;
    const ascii = name.replace(/[^\x20-\x7e]/g, "?").slice(0, NAME_MAX);
    this.mem.u8[at + OFF_NAME] = ascii.length;
    for (let i = 0; i < ascii.length; i++) this.mem.u8[at + OFF_NAME + 1 + i] = ascii.charCodeAt(i);
    this.report(slot, 0, 0);
    return slot;
  }

  /** Gives slot `slot` back. */
  release(slot: number): void {
    checkInt(slot, 0, this.slots - 1, "ThreadGauges.release: slot");
    Atomics.store(this.mem.i32, this.at(slot) >>> 2, 0);
  }

  /** A heartbeat now. */
  beat(slot: number, nowMs = Date.now()): void {
    const at = this.checkedAt(slot, "beat");
    checkTime(nowMs, "ThreadGauges.beat: nowMs");
    this.mem.f64[(at + OFF_HEARTBEAT) >>> 3] = nowMs;
  }

  /** A heartbeat and the last window's delay figures. */
  report(slot: number, p99Ns: number, maxNs: number, nowMs = Date.now()): void {
    const at = this.checkedAt(slot, "report");
    checkTime(p99Ns, "ThreadGauges.report: p99Ns");
    checkTime(maxNs, "ThreadGauges.report: maxNs");
    checkTime(nowMs, "ThreadGauges.report: nowMs");
    const f = at >>> 3;
    this.mem.f64[f + OFF_P99 / 8] = p99Ns;
    this.mem.f64[f + OFF_MAX / 8] = maxNs;
    this.mem.f64[f + OFF_HEARTBEAT / 8] = nowMs;
  }

  /** Every slot in use. */
  read(): ThreadReading[] {
    const out: ThreadReading[] = [];
    for (let s = 0; s < this.slots; s++) {
      const at = this.at(s);
      if (Atomics.load(this.mem.i32, at >>> 2) !== 1) continue;
      const n = Math.min(this.mem.u8[at + OFF_NAME]!, NAME_MAX);
      let name = "";
      for (let i = 0; i < n; i++) name += String.fromCharCode(this.mem.u8[at + OFF_NAME + 1 + i]!);
      const f = at >>> 3;
      out.push({
        slot: s, name, kind: KINDS[this.mem.u32[(at + OFF_KIND) >>> 2]!] as ThreadKind || "main",
        heartbeatMs: this.mem.f64[f + OFF_HEARTBEAT / 8]!, delayP99Ns: this.mem.f64[f + OFF_P99 / 8]!, delayMaxNs: this.mem.f64[f + OFF_MAX / 8]!,
      });
    }
    return out;
  }

  private at(slot: number): number {
    return this.offset + HEADER_BYTES + slot * SLOT_BYTES;
  }

  // Slot `slot`'s offset, checked: a slot out of range names memory outside the gauges.
  private checkedAt(slot: number, op: string): number {
    if (typeof slot !== "number" || !Number.isInteger(slot) || slot < 0 || slot >= this.slots) {
      throw new TickwireError("ARGUMENT", `ThreadGauges.${op}: slot must be an integer from 0 to ${this.slots - 1}, got ${describe(slot)}`);
    }
    return this.at(slot);
  }
}

/** `v` as a finite number from 0 (a time or a delay). */
function checkTime(v: unknown, what: string): void {
  if (typeof v !== "number" || !(v >= 0) || v === Infinity) throw new TickwireError("ARGUMENT", `${what} must be a finite number from 0, got ${describe(v)}`);
}

/** Delays of one window, then their p99 and max. */
class DelayWindow {
  private readonly samples = new Float64Array(2048);
  private n = 0;
  private max = 0;
  private start = Date.now();

  add(ns: number): void {
    // Past the buffer, keep the largest: p99 then errs on the high side, never the low.
    if (this.n < this.samples.length) this.samples[this.n++] = ns;
    else if (ns > this.samples[this.n - 1]!) this.samples[this.n - 1] = ns;
    if (ns > this.max) this.max = ns;
  }

  /** Publishes and starts a new window when this one is over. */
  flush(gauges: ThreadGauges, slot: number, now: number, force = false): void {
    if (!force && now - this.start < WINDOW_MS) {
      gauges.beat(slot, now);
      return;
    }
    const sorted = this.samples.subarray(0, this.n).sort();
    const p99 = this.n === 0 ? 0 : sorted[Math.min(this.n - 1, Math.ceil(this.n * 0.99) - 1)]!;
    gauges.report(slot, p99, this.max, now);
    this.n = 0;
    this.max = 0;
    this.start = now;
  }
}

/**
 * For a thread with an event loop: measures how late a 20 ms timer fires (the event-loop
 * delay, as Node's monitorEventLoopDelay does, without node:*) and reports it with a
 * heartbeat. The timer does not keep the thread alive.
 */
export class LoopDelayProbe {
  private readonly window = new DelayWindow();
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(private readonly gauges: ThreadGauges, private readonly slot: number, resolutionMs = 20) {
    checkInstance(gauges, ThreadGauges, "LoopDelayProbe: gauges");
    checkInt(slot, 0, gauges.slots - 1, "LoopDelayProbe: slot");
    checkInt(resolutionMs, 1, 10_000, "LoopDelayProbe: resolutionMs");
    let expected = performance.now() + resolutionMs;
    this.timer = setInterval(() => {
      const now = performance.now();
      this.window.add(Math.max(0, now - expected) * 1e6);
      expected = now + resolutionMs;
      this.window.flush(gauges, slot, Date.now());
    }, resolutionMs);
    (this.timer as { unref?: () => void }).unref?.();
  }

  /** Stops measuring and gives the slot back. */
  close(): void {
    if (this.timer === undefined) return;
    clearInterval(this.timer);
    this.timer = undefined;
    this.gauges.release(this.slot);
  }
}

/**
 * For a synchronous loop (a partition worker): `busy()` when it starts a step, `idle()`
 * when it goes back to waiting; reports its longest steps and a heartbeat each idle().
 */
export class StepProbe {
  private readonly window = new DelayWindow();
  private busySince = -1;

  constructor(private readonly gauges: ThreadGauges, private readonly slot: number) {
    checkInstance(gauges, ThreadGauges, "StepProbe: gauges");
    checkInt(slot, 0, gauges.slots - 1, "StepProbe: slot");
  }

  busy(): void {
    this.busySince = performance.now();
  }

  /** A heartbeat only: the thread is alive though its step goes on (a writer held by a block consumer). */
  beat(): void {
    this.gauges.beat(this.slot, Date.now());
  }

  idle(): void {
    if (this.busySince >= 0) {
      this.window.add((performance.now() - this.busySince) * 1e6);
      this.busySince = -1;
    }
    this.window.flush(this.gauges, this.slot, Date.now());
  }
}
