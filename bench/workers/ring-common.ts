// Shared by the ring benchmark's writer and reader workers (bench/ring.ts): the record
// every variant moves, the control block, and small helpers. Every variant writes and
// reads the same 16 words per record, so the figures compare the transports only.
//
// A record (64 bytes, 16 u32 words, a valid LTP record of src/format/layout.ts):
//   word 0      length 64 | kind LTP << 16 | version << 24
//   word 1      symbolId: the writer's id (MPSC readers keep one sequence per writer)
//   words 2-3   seq (u64; the high word is 0 here)
//   words 4-5   recvTimeNs (u64): seq + 4, seq + 5 in throughput runs; the intended send
//               time in latency runs
//   word 6      EXCH: exchange NSE, priceDecimals 2, flags 0 (a commit checks the header)
//   words 7-15  seq + k (k = 7..15): payload the reader must read
// Sum of one record's 16 words = HDR + id + EXCH + 12 × seq + 108 (throughput runs), which
// lets the main thread check the reader's checksum of everything it read.
import * as L from "../../src/format/layout.js";

export const HDR = (L.LTP_BYTES | (L.KIND_LTP << 16) | (L.FORMAT_VERSION << 24)) >>> 0;
export const EXCH = L.EXCHANGE_NSE | (2 << 8);
export const WORDS = 16;

// Control block: one small SharedArrayBuffer per worker group.
export const CTL_BYTES = 1024;
export const I_READY = 0; // readers ready for the current run
export const I_DONE = 32; // writers done with the current run
export const I_CONSUMED = 64; // postMessage readers: records consumed (writer's flow control)
export const I_STOP = 96; // set by the main thread to make spinning workers give up
export const I_PING = 128; // ping-pong counter: the writer makes it odd, the reader even
export const I_GO = 160; // pair-up done: the writer and the reader start

/** What the main thread sends a worker. */
export interface RunCommand {
  cmd: "run" | "latency" | "pingpong";
  /** Records each writer writes (a lossless reader reads n × writers). */
  n: number;
  batch: number;
  /** Readers the writers wait for before starting. */
  readers: number;
  /** Writers the readers expect (MPSC: one sequence each). */
  writers: number;
  /** Reader mode: spin, or spin-then-park (reader.wait). */
  park: boolean;
  /** Latency runs: nanoseconds between intended sends, and records not recorded at the start. */
  periodNs?: number;
  warm?: number;
  /** Latency runs, parked reader: keep spinning this long after the last record before parking. */
  spinNs?: number;
  /**
   * One writer and one spinning reader: before the timed part they ping-pong a cache line until
   * 256 round trips take under 1 µs each (both threads on a core of their own), for at most 50 ms.
   */
  pair?: boolean;
  /** Ping-pong: at most this long, ms. */
  durationMs?: number;
  /** Worker-side deadline for the whole run, ms. */
  deadlineMs: number;
}

/** Ring (and postMessage) variants. */
export type Variant = "tickwire" | "ceiling" | "ringbuf" | "pm-object" | "pm-transfer";

/** What each worker is started with (under attachTickwire's `data`). */
export interface WorkerJob {
  variant: Variant;
  id: number;
  ring?: string;
  ctl: SharedArrayBuffer;
  sab?: SharedArrayBuffer;
  port?: import("node:worker_threads").MessagePort;
}

/** Writes record `seq` of writer `id` at word index `w`. */
export function fillRecord(u32: Uint32Array, w: number, seq: number, id: number): void {
  u32[w] = HDR;
  u32[w + 1] = id;
  u32[w + 2] = seq;
  u32[w + 3] = 0;
  u32[w + 4] = seq + 4;
  u32[w + 5] = seq + 5;
  u32[w + 6] = EXCH;
  u32[w + 7] = seq + 7;
  u32[w + 8] = seq + 8;
  u32[w + 9] = seq + 9;
  u32[w + 10] = seq + 10;
  u32[w + 11] = seq + 11;
  u32[w + 12] = seq + 12;
  u32[w + 13] = seq + 13;
  u32[w + 14] = seq + 14;
  u32[w + 15] = seq + 15;
}

/** Sum of the 16 words at `w` (exact: below 2^37). */
export function sumRecord(u32: Uint32Array, w: number): number {
  return u32[w]! + u32[w + 1]! + u32[w + 2]! + u32[w + 3]! + u32[w + 4]! + u32[w + 5]! + u32[w + 6]! + u32[w + 7]!
    + u32[w + 8]! + u32[w + 9]! + u32[w + 10]! + u32[w + 11]! + u32[w + 12]! + u32[w + 13]! + u32[w + 14]! + u32[w + 15]!;
}

/** The same content as a plain object, for postMessage of one tick object per record. */
export interface TickObject {
  length: number; kind: number; version: number; symbolId: number; seq: number; recvTimeNs: number;
  exchange: number; priceDecimals: number; flags: number; lastQty: number; ltp: number;
  exchTimeMs: number; lastTradeTimeMs: number; changeBp: number;
}

export function tickObject(seq: number, id: number, recvTimeNs: number): TickObject {
  return {
    length: 64, kind: L.KIND_LTP, version: L.FORMAT_VERSION, symbolId: id, seq, recvTimeNs,
    exchange: 1, priceDecimals: 2, flags: 0, lastQty: seq + 7, ltp: seq + 8,
    exchTimeMs: seq + 10, lastTradeTimeMs: seq + 12, changeBp: seq + 14,
  };
}

export function sumObject(t: TickObject): number {
  return t.length + t.kind + t.version + t.symbolId + t.seq + t.recvTimeNs + t.exchange + t.priceDecimals + t.flags
    + t.lastQty + t.ltp + t.exchTimeMs + t.lastTradeTimeMs + t.changeBp;
}

/** Latency samples (ns) of one run, kept raw so the main thread can merge runs into one HDR histogram. */
export class Samples {
  private readonly v: Float64Array;
  private n = 0;
  constructor(capacity: number) { this.v = new Float64Array(Math.max(1, capacity)); }
  add(ns: number): void { if (this.n < this.v.length) this.v[this.n++] = ns > 0 ? ns : 0; }
  /** The samples, in a buffer that can be transferred. */
  take(): Float64Array { return this.v.slice(0, this.n); }
}

/** Throws when `deadline` (performance.now() ms) has passed or the main thread said stop. */
export function checkDeadline(deadline: number, ctl: Int32Array, what: string): void {
  if (performance.now() > deadline) throw new Error(`${what}: deadline passed`);
  if (Atomics.load(ctl, I_STOP) !== 0) throw new Error(`${what}: stopped by the main thread`);
}

/** Shared-memory ring of the "ceiling" variant: head and tail on their own 128-byte lines. */
export const CEIL_HEAD = 0; // Int32 index (byte 0)
export const CEIL_TAIL = 32; // Int32 index (byte 128)
export const CEIL_DATA_BYTE = 256;
