// Ring benchmark (issue 4, item 7): tickwire's shared-memory rings across threads, side by
// side in one run with the alternatives.
//
//   node --import tsx bench/ring.ts                 full run (~2 minutes)
//   node --import tsx bench/ring.ts --quick         shorter runs, fewer rounds (~35 s)
//   node --import tsx bench/ring.ts --workers 8     MPSC writers / broadcast readers (default 4)
//   node --import tsx bench/ring.ts --only throughput,latency,scale,costs   (some sections)
//
// Every figure is cross-thread: writers and readers are worker threads
// (bench/workers/ring-writer.ts, ring-reader.ts); the main thread only sends commands and
// collects results. Every record is a full 64-byte LTP record: the writer writes all 16
// words, the reader reads all 16 (a checksum the main thread checks) and checks the
// sequence number. Any failed check is reported in the table, never dropped.
//
// 1. Throughput (M records/s), batches of 1, 64 and 1024 records:
//    tickwire     SPSC ring, 1 MiB: claim(n × 64) · write in place · commit(n × 64);
//                 the reader spins on read(), reads the batch in place, release()
//    ceiling      a bare plain-JS SPSC ring over a SharedArrayBuffer of the same size:
//                 Atomics tail/head on separate lines, the writer caches the head, no
//                 claim, padding, waiting or any other feature — the upper bound
//    ringbuf.js   its SPSC RingBuffer<Uint32Array>: push() of n records built in a
//                 scratch array, pop() of up to 1024 records into another
//    postMessage  MessagePort: one tick object per record (structured clone), or one
//                 transferred ArrayBuffer per batch; at most 64 K records in flight
//    Each (variant, batch) runs once per round, rounds in shuffled order; a run lasts
//    ~0.3 s (the first round calibrates and is discarded); the figure is the median.
// 2. One-way latency at a fixed rate of 100 K records/s, without coordinated omission:
//    record i is due at start + i × 10 µs; the writer busy-waits until then, stamps that
//    intended time in the record (monotonicNs, a clock shared by all threads) and sends;
//    the reader records now − intended in an HDR histogram. A writer that falls behind
//    sends late records at once, so stalls show up in the figures.
// 3. MPSC with N writers into one reader and broadcast with N readers, against SPSC
//    measured the same way in the same run. On a machine with fewer cores than threads
//    the readers spin then park (reader.wait) instead of spinning.
import { availableParallelism, cpus } from "node:os";
import { MessageChannel, type Worker } from "node:worker_threads";
import * as hdr from "hdr-histogram-js";
import { RingBuffer } from "ringbuf.js";
import { TickwireMemory } from "../src/memory/shared-memory.js";
import { RingPool } from "../src/rings/pool.js";
import { startTickwireWorker } from "../src/node/tickwire-worker.js";
import { report, fmt, ratio as ratioText, median, type ResultTable } from "./lib/report.js";
import {
  HDR, EXCH, CTL_BYTES, I_READY, I_DONE, I_CONSUMED, I_STOP, I_PING, I_GO, CEIL_DATA_BYTE, WORDS, fillRecord, sumRecord,
  type RunCommand, type Variant, type WorkerJob,
} from "./workers/ring-common.js";

// ─── options ──────────────────────────────────────────────────────────────────
const argv = process.argv.slice(2);
const flag = (name: string) => argv.includes(`--${name}`);
function option(name: string): string | undefined {
  const i = argv.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  if (i < 0) return undefined;
  return argv[i]!.includes("=") ? argv[i]!.split("=")[1] : argv[i + 1];
}
const QUICK = flag("quick");
const WORKERS = Number(option("workers") ?? 4);
if (!Number.isInteger(WORKERS) || WORKERS < 1 || WORKERS > 64) throw new Error(`--workers must be an integer from 1 to 64, got ${option("workers")}`);
const ONLY = new Set((option("only") ?? "throughput,latency,scale,costs").split(","));
const CORES = availableParallelism();

const RUN_S = QUICK ? 0.1 : 0.3; // seconds per measured run
const ROUNDS = QUICK ? 3 : 5; // measured rounds (after one calibration round)
const LAT_S = QUICK ? 0.6 : 2.5; // seconds per latency run
const LAT_WARM_S = 0.1;
const LAT_SEGMENTS = QUICK ? 2 : 3;
const LAT_RETRIES = QUICK ? 1 : 2;
const RATE = 100_000; // latency runs: records per second
const BATCHES = [1, 64, 1024];
const RING_BYTES = 1 << 20; // every ring, and the ceiling and ringbuf.js, hold 16 384 records
const SLOTS = RING_BYTES / 64;
const RUN_TIMEOUT_MS = 30_000; // main side: a run that does not answer by then fails
const START_TIMEOUT_MS = 60_000;

const WRITER = new URL("./workers/ring-writer.ts", import.meta.url);
const READER = new URL("./workers/ring-reader.ts", import.meta.url);

/** A ratio as "1.23×", or "—" when either side is missing. */
const ratio = (x: number) => (Number.isFinite(x) ? ratioText(x) : "—");

// ─── workers ──────────────────────────────────────────────────────────────────
/** A worker with an inbox: `next()` is its next message, or a rejection on error, exit or timeout. */
class Box {
  private readonly queue: any[] = [];
  private waiter: { resolve: (m: any) => void; reject: (e: Error) => void } | undefined;
  private dead: Error | undefined;

  constructor(readonly worker: Worker, readonly what: string) {
    worker.on("message", (m) => {
      if (this.waiter) { const w = this.waiter; this.waiter = undefined; w.resolve(m); } else this.queue.push(m);
    });
    const die = (e: Error) => {
      this.dead ??= e;
      if (this.waiter) { const w = this.waiter; this.waiter = undefined; w.reject(e); }
    };
    worker.on("error", (e) => die(e instanceof Error ? e : new Error(String(e))));
    worker.on("exit", (code) => die(new Error(`${what} exited (code ${code})`)));
  }

  next(timeoutMs: number): Promise<any> {
    if (this.queue.length) return Promise.resolve(this.queue.shift());
    if (this.dead) return Promise.reject(this.dead);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => { this.waiter = undefined; reject(new Error(`${this.what}: no answer in ${timeoutMs} ms`)); }, timeoutMs);
      this.waiter = {
        resolve: (m) => { clearTimeout(timer); resolve(m); },
        reject: (e) => { clearTimeout(timer); reject(e); },
      };
    });
  }
}

const everyWorker = new Set<Worker>();

interface Group {
  name: string;
  variant: Variant;
  writers: Box[];
  readers: Box[];
  ctl: Int32Array;
  failed?: string;
}

const mem = await TickwireMemory.create({ bytes: 32 << 20 });
const pool = RingPool.create(mem, [
  { name: "spsc", type: "spsc", capacity: RING_BYTES },
  { name: "mpsc", type: "mpsc", capacity: RING_BYTES },
  { name: "bcast", type: "broadcast", capacity: RING_BYTES },
  { name: "mpsc1", type: "mpsc", capacity: RING_BYTES },
  { name: "bcast1", type: "broadcast", capacity: RING_BYTES },
  { name: "probe", type: "spsc", capacity: RING_BYTES }, // single-thread cost table, main thread
  { name: "probe-m", type: "mpsc", capacity: RING_BYTES },
  { name: "probe-b", type: "broadcast", capacity: RING_BYTES },
]);

function spawn(script: URL, job: WorkerJob, what: string): Box {
  const worker = startTickwireWorker(script, { mem, pool }, job, job.port ? { transferList: [job.port] } : {});
  everyWorker.add(worker);
  worker.once("exit", () => everyWorker.delete(worker));
  return new Box(worker, what);
}

async function startGroup(name: string, variant: Variant, opts: { ring?: string; writers?: number; readers?: number } = {}): Promise<Group> {
  const ctlSab = new SharedArrayBuffer(CTL_BYTES);
  let sab: SharedArrayBuffer | undefined;
  if (variant === "ceiling") sab = new SharedArrayBuffer(CEIL_DATA_BYTE + RING_BYTES);
  if (variant === "ringbuf") sab = RingBuffer.getStorageForCapacity(SLOTS * 16, Uint32Array);
  const channel = variant.startsWith("pm-") ? new MessageChannel() : undefined;
  const base = { variant, ctl: ctlSab, ...(sab ? { sab } : {}), ...(opts.ring ? { ring: opts.ring } : {}) };
  const writers = Array.from({ length: opts.writers ?? 1 }, (_, id) =>
    spawn(WRITER, { ...base, id, ...(channel ? { port: channel.port1 } : {}) }, `${name} writer ${id}`));
  const readers = Array.from({ length: opts.readers ?? 1 }, (_, id) =>
    spawn(READER, { ...base, id, ...(channel ? { port: channel.port2 } : {}) }, `${name} reader ${id}`));
  const group: Group = { name, variant, writers, readers, ctl: new Int32Array(ctlSab) };
  try {
    for (const b of [...writers, ...readers]) {
      const m = await b.next(START_TIMEOUT_MS);
      if (!m.ok) throw new Error(`${b.what}: ${m.error}`);
    }
  } catch (e) {
    await fail(group, e);
  }
  return group;
}

async function fail(g: Group, e: unknown): Promise<void> {
  g.failed = e instanceof Error ? e.message.split("\n")[0]! : String(e);
  problems.push(`${g.name}: ${g.failed}`);
  console.error(`[ring bench] ${g.name} failed: ${e instanceof Error ? e.stack : e}`);
  Atomics.store(g.ctl, I_STOP, 1);
  await stopGroup(g);
}

async function stopGroup(g: Group): Promise<void> {
  await Promise.all([...g.writers, ...g.readers].map((b) => b.worker.terminate()));
}

interface RunResult {
  /** Seconds from the first writer's start to the last reader's end. */
  seconds: number;
  /** Per reader: seconds from the first writer's start to its end. */
  readerSeconds: number[];
  readers: any[];
  writers: any[];
}

/**
 * One run of a group (see runOnce); a run whose writer and reader could not pair up on cores of
 * their own (see pairUp in the writer) is repeated, at most twice, and counted.
 */
async function run(g: Group, c: Omit<RunCommand, "readers" | "writers" | "deadlineMs">): Promise<RunResult | undefined> {
  for (let attempt = 0; ; attempt++) {
    const r = await runOnce(g, c);
    if (!r || r.writers[0].paired !== false || attempt === 2 || gateStats.repeated >= MAX_REPEATS) return r;
    gateStats.repeated++;
  }
}

/** One run of a group: resets the control block, starts readers then writers, waits for all answers. */
async function runOnce(g: Group, c: Omit<RunCommand, "readers" | "writers" | "deadlineMs">): Promise<RunResult | undefined> {
  if (g.failed) return undefined;
  Atomics.store(g.ctl, I_READY, 0);
  Atomics.store(g.ctl, I_DONE, 0);
  Atomics.store(g.ctl, I_CONSUMED, 0);
  Atomics.store(g.ctl, I_PING, 0);
  Atomics.store(g.ctl, I_GO, 0);
  const pair = g.writers.length === 1 && g.readers.length === 1 && !g.variant.startsWith("pm-") && c.cmd !== "pingpong";
  const cmd: RunCommand = { ...c, pair, readers: g.readers.length, writers: g.writers.length, deadlineMs: RUN_TIMEOUT_MS - 5000 };
  try {
    // A worker that fails makes the others of its group give up at once (they watch I_STOP).
    const answers = [...g.readers, ...g.writers].map((b) => {
      b.worker.postMessage(cmd);
      return b.next(RUN_TIMEOUT_MS).then(
        (m) => { if (!m.ok) Atomics.store(g.ctl, I_STOP, 1); return m; },
        (e) => { Atomics.store(g.ctl, I_STOP, 1); throw e; });
    });
    const all = await Promise.all(answers);
    const bad = all.find((m) => !m.ok);
    if (bad) throw new Error(bad.error);
    const readers = all.slice(0, g.readers.length);
    const writers = all.slice(g.readers.length);
    if (pair) { gateStats.pairs++; if (!writers[0].paired) gateStats.unpaired++; }
    const t0 = Math.min(...writers.map((w) => w.t0));
    const readerSeconds = readers.map((r) => (r.t1 - t0) / 1e9);
    return { seconds: Math.max(...readerSeconds), readerSeconds, readers, writers };
  } catch (e) {
    await fail(g, e);
    return undefined;
  }
}

/** Percentiles of an HDR histogram of nanoseconds, in µs. */
interface LatencySummary { count: number; p50: number; p90: number; p99: number; p999: number; max: number; mean: number }

function latencyHistogram() {
  return hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60e9, numberOfSignificantValueDigits: 3 });
}

function latencySummary(h: ReturnType<typeof latencyHistogram>): LatencySummary {
  const us = (ns: number) => ns / 1000;
  return {
    count: h.totalCount,
    p50: us(h.getValueAtPercentile(50)), p90: us(h.getValueAtPercentile(90)), p99: us(h.getValueAtPercentile(99)),
    p999: us(h.getValueAtPercentile(99.9)), max: us(h.maxValue), mean: us(h.mean),
  };
}

// ─── checks ───────────────────────────────────────────────────────────────────
const M32 = 1n << 32n;
/** What a lossless reader's checksum must be: records 0..perWriter-1 of each writer (ring-common.ts). */
function expectedChecksum(perWriter: number, writers: number, variant: Variant): number {
  let s = 0n;
  const m = BigInt(perWriter);
  for (let id = 0; id < writers; id++) {
    s += variant === "pm-object"
      ? m * (124n + BigInt(id)) + 7n * ((m * (m - 1n)) / 2n)
      : m * (BigInt(HDR) + BigInt(id) + BigInt(EXCH) + 108n) + 12n * ((m * (m - 1n)) / 2n);
  }
  return Number(s % M32);
}

const problems: string[] = [];
/** Checks a lossless run; returns an error string or "". */
function check(g: Group, r: RunResult, perWriter: number): string {
  const total = perWriter * g.writers.length;
  for (const x of r.readers) {
    if (x.received !== total) return `received ${x.received} of ${total}`;
    if (x.bad !== 0) return `${x.bad} records out of sequence`;
    if (x.checksum !== expectedChecksum(perWriter, g.writers.length, g.variant)) return `checksum ${x.checksum} ≠ ${expectedChecksum(perWriter, g.writers.length, g.variant)}`;
  }
  return "";
}

function note(what: string, problem: string): void {
  if (!problem) return;
  problems.push(`${what}: ${problem}`);
  console.error(`[ring bench] CHECK FAILED ${what}: ${problem}`);
}

// ─── single-thread costs ──────────────────────────────────────────────────────
/**
 * The parts of a record's trip measured in one thread (no other thread touches the lines):
 * what the tickwire calls cost against the bare ring's index updates, and the record work
 * every variant does. Each figure is the median of 31 samples of 1024 operations × 50.
 */
function singleThreadCosts(): ResultTable {
  const ring = pool.get("probe");
  const writer = ring.writer();
  const reader = ring.reader();
  const u32 = mem.u32;
  const ix = new Int32Array(new SharedArrayBuffer(256));
  const OPS = 1024;
  const REPS = 50;
  // Valid records everywhere in the probe rings' data areas, so the claims below can commit
  // without writing (a commit checks every record it publishes: that check is part of its cost).
  // Claims of 64 bytes and of 64 KiB never wrap in these rings, so no padding lands among them.
  for (const name of ["probe", "probe-m", "probe-b"]) {
    const data = pool.get(name).offset + 768;
    for (let i = 0, w = data >>> 2; i < RING_BYTES / 64; i++, w += WORDS) fillRecord(u32, w, i, 0);
  }
  const drain = () => { for (let b = reader.read(); b > 0; b = reader.read()) reader.release(b); };
  const fill1024 = () => { const at = writer.tryClaim(OPS * 64); writer.commit(OPS * 64); return at; };
  const sample = (setup: () => void, body: () => void) => {
    const times: number[] = [];
    for (let s = 0; s < 32; s++) {
      let t = 0;
      for (let r = 0; r < REPS; r++) { setup(); const t0 = performance.now(); body(); t += performance.now() - t0; }
      if (s > 0) times.push((t * 1e6) / (REPS * OPS));
    }
    return median(times);
  };
  let sink = 0;
  const claimCommit = sample(drain, () => { for (let i = 0; i < OPS; i++) { writer.tryClaim(64); writer.commit(64); } });
  const mw = pool.get("probe-m").writer();
  const mr = pool.get("probe-m").reader();
  const mDrain = () => { for (let b = mr.read(); b > 0; b = mr.read()) mr.release(b); };
  const claimCommitMpsc = sample(mDrain, () => { for (let i = 0; i < OPS; i++) { mw.tryClaim(64); mw.commit(64); } });
  mDrain();
  const bw = pool.get("probe-b").writer(); // a broadcast writer never waits for readers
  const claimCommitBroadcast = sample(() => {}, () => { for (let i = 0; i < OPS; i++) { bw.tryClaim(64); bw.commit(64); } });
  const readRelease = sample(() => { drain(); fill1024(); }, () => { for (let i = 0; i < OPS; i++) { reader.read(); reader.release(64); } });
  const bare = sample(() => {}, () => { for (let i = 0; i < OPS; i++) { Atomics.store(ix, 32, i); sink += Atomics.load(ix, 0); } });
  let base = 0;
  const write = sample(() => { drain(); base = fill1024() >>> 2; }, () => { for (let i = 0, w = base; i < OPS; i++, w += WORDS) fillRecord(u32, w, i, 0); });
  const readWords = sample(() => { drain(); base = fill1024() >>> 2; }, () => { let s = 0; for (let i = 0, w = base; i < OPS; i++, w += WORDS) s = (s + sumRecord(u32, w)) | 0; sink += s; });
  drain();
  // A broadcast consumer: 1024 records published as one claim, read in place (read, read the
  // 16 words, release: the caller must discard its sums if release says overwritten) vs poll()
  // (copy the batch out, check it was not overwritten, then hand each record over: what the
  // proxy and other consumers use). Per record.
  const br = pool.get("probe-b").reader();
  const publish1024 = () => { for (let b; (b = br.read()) > 0;) br.release(b); bw.tryClaim(OPS * 64); bw.commit(OPS * 64); };
  const inPlace = sample(publish1024, () => {
    const bytes = br.read();
    let s = 0;
    for (let w = br.offset >>> 2, end = w + (bytes >>> 2); w < end; w += WORDS) s = (s + sumRecord(u32, w)) | 0;
    if (br.release(bytes)) sink += s;
  });
  const polled = sample(publish1024, () => {
    let s = 0;
    br.poll((at) => { s = (s + sumRecord(u32, at >>> 2)) | 0; });
    sink += s;
  });
  const ns = (x: number) => fmt(x);
  return {
    title: "Rings: where a record's time goes, ns (one thread, no contention)",
    columns: ["operation", "ns"],
    rows: [
      ["SPSC writer: tryClaim + commit of 1 record (2 Wasm calls)", ns(claimCommit)],
      ["MPSC writer: tryClaim + commit of 1 record (CAS on the tail, commit flag)", ns(claimCommitMpsc)],
      ["broadcast writer: tryClaim + commit of 1 record (5 atomic stores)", ns(claimCommitBroadcast)],
      ["SPSC reader: read + release (2 Wasm calls)", ns(readRelease)],
      ["bare ring: publish + poll an index (Atomics.store + Atomics.load)", ns(bare)],
      ["write the 16 words of a record", ns(write)],
      ["read the 16 words of a record and sum them", ns(readWords)],
      ["broadcast reader, in place: read, sum the 16 words, release (1024-record batch)", ns(inPlace)],
      ["broadcast reader, poll(): copy, check intact, hand over, sum the 16 words (1024-record batch)", ns(polled)],
      ["cache line round trip between two worker threads (ping-pong, cross-thread; median of the gate checks)", rttText(rttLog)],
    ],
    note: `Medians of 31 samples of ${REPS} × ${OPS} operations in the main thread (sink ${sink & 1}). Per record committed on its ` +
      `own, the writer's two Wasm calls cost ${fmt(claimCommit)} ns against ${fmt(bare)} ns for the bare ring's index store and load ` +
      `(a claim of n records costs the same, so batches divide it by n). Cross-thread, a record published on its own also ` +
      `moves its data line and the tail line from the writer's core to the reader's, each hand-over about half the round trip ` +
      `above: at batch 1 that, not the calls, sets the rate of tickwire and of the bare ring alike. A commit walks and checks the ` +
      `records it publishes (headers, a DEPTH record's book) and counts them. A broadcast poll() copies the batch before it ` +
      `checks it, so that its callback only ever sees records proven intact: ${fmt(polled - inPlace)} ns a record over reading ` +
      `in place, where the caller must itself discard what it made of a batch found overwritten. ${env}.`,
  };
}

// ─── measuring throughput ─────────────────────────────────────────────────────
interface Config { label: string; group: Group; batch: number; park: boolean; n: number; rates: number[]; error?: string }

const clampN = (n: number) => Math.max(10_000, Math.min(200_000_000, Math.round(n)));

/** Calibrates each config (one discarded run), then runs `ROUNDS` shuffled rounds; rates in M records/s. */
async function measure(configs: Config[]): Promise<void> {
  for (const c of configs) {
    c.n = c.group.variant === "pm-object" ? 50_000 : c.batch === 1 ? 500_000 : 2_000_000;
    for (let k = 0; k < 2; k++) { // a short run to warm the JIT, then a calibration run
      const r = await run(c.group, { cmd: "run", n: c.n, batch: c.batch, park: c.park });
      if (!r) { c.error = c.group.failed; break; }
      c.n = clampN((c.n / r.seconds) * RUN_S); // per writer: every writer runs for ~RUN_S
    }
  }
  for (let round = 0; round < ROUNDS; round++) {
    for (const c of shuffle(configs.filter((x) => !x.error))) {
      await gate();
      const r = await run(c.group, { cmd: "run", n: c.n, batch: c.batch, park: c.park });
      if (!r) { c.error = c.group.failed; continue; }
      const problem = check(c.group, r, c.n);
      if (problem) { c.error = problem; note(`${c.label} batch ${c.batch}`, problem); continue; }
      c.rates.push((c.n * c.group.writers.length) / r.seconds / 1e6);
    }
    process.stderr.write(`.`);
  }
}

// ─── gating on a parallel machine ─────────────────────────────────────────────
// This machine's two vCPUs are sometimes time-sliced on one host core: two spinning threads
// then take turns (4 ms slices) and every cross-thread figure collapses; at other times they sit
// on distant host cores and a cache line's round trip triples. A 10 ms ping-pong between two
// otherwise idle workers tells: ~0.06–0.13 µs a round trip when they run in parallel on near
// cores, ~0.35 µs on far ones, milliseconds when they take turns. Each measured run waits (a
// while) for a round trip under GATE_RTT_NS.
const GATE_RTT_NS = 250;
const GATE_WAIT_MS = 5000; // per run
const GATE_BUDGET_MS = QUICK ? 4000 : 45_000; // in all
const MAX_REPEATS = QUICK ? 8 : 40; // runs repeated because their writer and reader could not pair up
let pp: Group | undefined;
const rttLog: number[] = [];
const gateStats = { waits: 0, waitedMs: 0, gaveUp: 0, pairs: 0, unpaired: 0, repeated: 0 };

/** Round trip (ns) of one cache line between the ping-pong workers, over ~10 ms. */
async function rttOnce(): Promise<number> {
  if (!pp || pp.failed) return NaN;
  const r = await run(pp, { cmd: "pingpong", n: 10_000_000, batch: 1, park: false, durationMs: 10 });
  if (!r) return NaN;
  const w = r.writers[0];
  return w.written > 0 ? (w.t1 - w.t0) / w.written : Infinity;
}

async function gate(): Promise<void> {
  const start = performance.now();
  let waited = false;
  for (;;) {
    const rtt = await rttOnce();
    if (Number.isNaN(rtt)) return;
    rttLog.push(rtt);
    const spent = performance.now() - start;
    if (rtt < GATE_RTT_NS) {
      if (waited) gateStats.waitedMs += spent;
      return;
    }
    if (!waited) { waited = true; gateStats.waits++; }
    if (spent > GATE_WAIT_MS || gateStats.waitedMs + spent > GATE_BUDGET_MS) {
      gateStats.gaveUp++;
      gateStats.waitedMs += spent;
      return;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

type GateMark = { waits: number; waitedMs: number; gaveUp: number; pairs: number; unpaired: number; repeated: number; checks: number };
const gateMark = (): GateMark => ({ ...gateStats, checks: rttLog.length });

/** What the gate did since `from` (a section's start), for its table's note. */
function gateText(from: GateMark): string {
  const rtts = rttLog.slice(from.checks);
  const waits = gateStats.waits - from.waits;
  const gaveUp = gateStats.gaveUp - from.gaveUp;
  const pairs = gateStats.pairs - from.pairs;
  const unpaired = gateStats.unpaired - from.unpaired;
  return `Before each run a 10 ms cache-line ping-pong between two other workers must show two threads running in parallel ` +
    `on near cores (round trip < ${GATE_RTT_NS} ns; median ${fmt(median(rtts.filter(Number.isFinite)))} ns over ${rtts.length} checks): ` +
    `${waits} runs had to wait for that (${fmt((gateStats.waitedMs - from.waitedMs) / 1000)} s in all)` +
    (gaveUp ? `, ${gaveUp} ran anyway after waiting ${GATE_WAIT_MS / 1000} s or when the waiting budget was spent. ` +
      `WARNING: those runs measured a machine that was not giving the threads a core each; run the suite again.` : ".") +
    (pairs ? ` Then the measured writer and reader themselves ping-pong until they run at once (< 1 µs a round trip, ` +
      `at most 100 ms, the writer napping 1 ms between tries so that Linux moves it to an idle core): ${pairs - unpaired} of ` +
      `${pairs} runs found that; ${gateStats.repeated - from.repeated} runs that did not were repeated (at most twice each, ` +
      `${MAX_REPEATS} in all).` : "");
}

function shuffle<T>(a: T[]): T[] {
  const b = [...a];
  for (let i = b.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [b[i], b[j]] = [b[j]!, b[i]!];
  }
  return b;
}

const rate = (c: Config | undefined) => (c && !c.error && c.rates.length ? median(c.rates) : NaN);
const cell = (c: Config | undefined) => (!c ? "—" : c.error ? `failed: ${c.error}` : fmt(rate(c)));
const spread = (c: Config | undefined) => (c && c.rates.length > 1 ? `${fmt(Math.min(...c.rates))}–${fmt(Math.max(...c.rates))}` : "");

const tables: ResultTable[] = [];
const rttText = (r: number[]) => (r.length ? `${fmt(median(r))} ns (${r.filter((x) => x < GATE_RTT_NS).length} of ${r.length} checks < ${GATE_RTT_NS} ns)` : "not measured");
const groups: Group[] = [];
const env = `${CORES} cores (${cpus()[0]?.model.trim() ?? "?"}), Node ${process.version}`;

try {
  pp = await startGroup("ping-pong", "ceiling");
  groups.push(pp);
  // ─── 1. throughput ──────────────────────────────────────────────────────────
  let spsc: Group | undefined;
  let pmObject: Group | undefined;
  const throughput: Record<string, Record<number, Config> | undefined> = {};
  if (ONLY.has("throughput") || ONLY.has("latency") || ONLY.has("scale")) {
    spsc = await startGroup("tickwire spsc", "tickwire", { ring: "spsc" });
    groups.push(spsc);
  }
  if (ONLY.has("throughput") || ONLY.has("latency")) {
    pmObject = await startGroup("postMessage object", "pm-object");
    groups.push(pmObject);
  }
  if (ONLY.has("throughput")) {
    const mark1 = gateMark();
    console.error(`[ring bench] throughput: ${QUICK ? "quick, " : ""}${ROUNDS} rounds of ~${RUN_S} s per run, ${env}`);
    const peers = [
      { label: "ceiling: bare JS ring over a SharedArrayBuffer", group: await startGroup("ceiling", "ceiling"), batches: BATCHES },
      { label: "ringbuf.js RingBuffer (push/pop)", group: await startGroup("ringbuf.js", "ringbuf"), batches: BATCHES },
      { label: "postMessage, one tick object per record", group: pmObject!, batches: [1] },
      { label: "postMessage, transferred ArrayBuffer per batch", group: await startGroup("postMessage transfer", "pm-transfer"), batches: [64, 1024] },
    ];
    groups.push(...peers.map((p) => p.group).filter((g) => g !== pmObject));
    const all = [{ label: "tickwire SPSC ring", group: spsc!, batches: BATCHES }, ...peers];
    const configs: Config[] = [];
    for (const p of all) {
      throughput[p.label] = {};
      for (const batch of p.batches) {
        const c: Config = { label: p.label, group: p.group, batch, park: false, n: 0, rates: [] };
        throughput[p.label]![batch] = c;
        configs.push(c);
      }
    }
    await measure(configs);
    const tw = throughput["tickwire SPSC ring"]!;
    const rows = all.map((p) => {
      const byBatch = throughput[p.label]!;
      const vs = BATCHES.map((b) => (p.group === spsc || !byBatch[b] ? "—" : ratio(rate(tw[b]) / rate(byBatch[b]))));
      return [p.label, ...BATCHES.map((b) => cell(byBatch[b])), p.group === spsc ? "—" : vs.join(" · ")];
    });
    tables.push({
      title: "Rings: cross-thread throughput, M records/s (64-byte records, one writer worker → one reader worker)",
      columns: ["transport", "batch 1", "batch 64", "batch 1024", "tickwire ÷ this (1 · 64 · 1024)"],
      rows,
      note: `Median of ${ROUNDS} runs of ~${RUN_S} s each (runs of all variants interleaved in shuffled order; ranges: ` +
        all.map((p) => `${p.label.split(/[:,(]/)[0]!.trim()} ${BATCHES.map((b) => spread(throughput[p.label]![b]) || "—").join(" / ")}`).join("; ") +
        `). Every record: the writer writes all 16 words, the reader reads all 16 and checks the sequence and a checksum. ` +
        `Rings hold 16 384 records (1 MiB). Readers spin; on a full ring the tickwire writer's claim() spins, then parks ` +
        `(the reader's release wakes it), the bare ring's and ringbuf.js's writers spin. ${env}.` + (CORES < 3 ? " Two busy threads on a 2-core machine: the main thread and the OS share those cores. " : " ") + gateText(mark1),
    });
  }

  // ─── 2. latency ─────────────────────────────────────────────────────────────
  if (ONLY.has("latency")) {
    const mark2 = gateMark();
    console.error(`\n[ring bench] latency: ${RATE / 1000} K records/s for ${LAT_S} s each, in ${LAT_SEGMENTS} segments`);
    const SPIN_US = 50;
    const cases = [
      { label: "tickwire SPSC, parked reader (reader.wait)", group: spsc!, park: true, spinNs: 0 },
      { label: "tickwire SPSC, spinning reader", group: spsc!, park: false, spinNs: 0 },
      { label: `tickwire SPSC, reader spins ${SPIN_US} µs after a record, then parks`, group: spsc!, park: true, spinNs: SPIN_US * 1000 },
      { label: "postMessage, one tick object per record", group: pmObject!, park: false, spinNs: 0 },
    ];
    const PM = cases.length - 1;
    // Each case runs in LAT_SEGMENTS segments, the cases taking turns, so that a burst of noise
    // on this shared machine lands on all of them alike; a case's segments merge into one histogram.
    const n = Math.round((LAT_S / LAT_SEGMENTS + LAT_WARM_S) * RATE);
    const warm = Math.round(LAT_WARM_S * RATE);
    const hist = cases.map(() => ({ reader: latencyHistogram(), writer: latencyHistogram(), stalls: 0, stallNs: 0, seconds: 0 }));
    const failed: (string | undefined)[] = cases.map(() => undefined);
    // A segment in which the machine visibly took a thread's core away — the writer sent over 1% of its
    // records more than 100 µs late, or the reader was off its CPU over 1% of the time (on this 2-core VM
    // that is how two busy threads sharing one core look) — is run again, up to LAT_RETRIES times.
    // Both signs are measured apart from the transport's latency; the retries are counted in the note.
    const retried: number[] = cases.map(() => 0);
    const disturbed = (x: any, late: Float64Array) => {
      let over = 0;
      for (const v of late) if (v > 100_000) over++;
      return over > late.length / 100 || (x.stallNs ?? 0) > ((n - warm) / RATE) * 1e9 / 100;
    };
    for (let seg = 0; seg < LAT_SEGMENTS; seg++) {
      for (const [i, c] of cases.entries()) {
        if (failed[i]) continue;
        let r: RunResult | undefined;
        for (let attempt = 0; ; attempt++) {
          await gate();
          r = await run(c.group, { cmd: "latency", n, batch: 1, park: c.park, periodNs: 1e9 / RATE, warm, spinNs: c.spinNs });
          if (!r || attempt === LAT_RETRIES || !disturbed(r.readers[0], r.writers[0].late)) break;
          retried[i]!++;
        }
        const x = r?.readers[0];
        if (!x) { failed[i] = c.group.failed ?? "?"; continue; }
        if (x.bad !== 0 || x.received !== n) note(c.label, `received ${x.received} of ${n}, ${x.bad} out of sequence`);
        for (const v of x.latency as Float64Array) hist[i]!.reader.recordValue(Math.round(v));
        for (const v of r!.writers[0].late as Float64Array) hist[i]!.writer.recordValue(Math.round(v));
        hist[i]!.stalls += x.stalls ?? NaN;
        hist[i]!.stallNs += x.stallNs ?? NaN;
        hist[i]!.seconds += (n - warm) / RATE;
      }
      process.stderr.write(".");
    }
    const results = cases.map((_, i) => (failed[i] ? undefined : {
      reader: latencySummary(hist[i]!.reader), writer: latencySummary(hist[i]!.writer),
      stalls: Number.isNaN(hist[i]!.stalls) ? "" : `${hist[i]!.stalls} · ${fmt(hist[i]!.stallNs / 1e6)} ms (${fmt((100 * hist[i]!.stallNs) / 1e9 / hist[i]!.seconds)}%)`,
    }));
    const pm = results[PM]?.reader;
    tables.push({
      title: `Rings: one-way latency at ${RATE / 1000} K records/s, µs (writer worker → reader worker)`,
      columns: ["transport", "p50", "p90", "p99", "p99.9", "max", "samples", "p99: postMessage ÷ this", "writer's own lateness p99 · max", "reader off-CPU > 100 µs: times · total (% of run)"],
      rows: cases.map((c, i) => {
        const x = results[i]?.reader;
        const wl = results[i]?.writer;
        if (!x) return [c.label, `failed: ${failed[i]}`, "", "", "", "", "", "", "", ""];
        return [c.label, x.p50, x.p90, x.p99, x.p999, x.max, x.count, i === PM || !pm ? "—" : ratio(pm.p99 / x.p99), wl ? `${fmt(wl.p99)} · ${fmt(wl.max)}` : "", results[i]!.stalls];
      }),
      note: `Record i is due at start + i × ${1e6 / RATE} µs; the writer busy-waits until then, stamps the intended time and sends; ` +
        `the reader records now − intended (a clock shared by all threads) in an HDR histogram, so a stalled writer or reader counts ` +
        `against every record it delays (no coordinated omission). The last column is how late the writer itself got each record ` +
        `out (after its send call) against the schedule: the part of the tail that no transport can remove; the one after it, how ` +
        `often and how long the reader thread itself was off its CPU (gaps in its spinning loop; time parked in reader.wait() excluded). ` +
        `A stall of s ms delays about s × ${RATE / 1000} records, so stalls adding up to 1% of the run set p99 by themselves. ` +
        `${LAT_S} s per case in ${LAT_SEGMENTS} segments (each after ${LAT_WARM_S} s of warm-up), the cases taking turns. A segment ` +
        `in which the machine visibly took a core away (the writer over 1% of its records more than 100 µs late, or the reader ` +
        `off-CPU over 1% of the time) was run again, up to ${LAT_RETRIES} times: ${cases.map((c, i) => `${retried[i]}`).join(" · ")} ` +
        `segments were (rows in order); what remains is in the last two columns. ${env}. ${gateText(mark2)}`,
    });
  }

  // ─── 3. MPSC and broadcast ──────────────────────────────────────────────────
  if (ONLY.has("scale")) {
    const W = WORKERS;
    const parkW = CORES < W + 2; // more busy threads than cores: readers spin, then park
    const mark3 = gateMark();
    console.error(`\n[ring bench] MPSC ${W} → 1 and broadcast 1 → ${W} (readers ${parkW ? "spin then park" : "spin"}), and 1 → 1 of each`);
    const mpsc1 = await startGroup("mpsc 1→1", "tickwire", { ring: "mpsc1" });
    const bcast1 = await startGroup("broadcast 1→1", "tickwire", { ring: "bcast1" });
    const mpscW = W > 1 ? await startGroup(`mpsc ${W}→1`, "tickwire", { ring: "mpsc", writers: W }) : undefined;
    const bcastW = W > 1 ? await startGroup(`broadcast 1→${W}`, "tickwire", { ring: "bcast", readers: W }) : undefined;
    groups.push(mpsc1, bcast1, ...(mpscW ? [mpscW] : []), ...(bcastW ? [bcastW] : []));
    const configs: Config[] = [];
    const byBatch = (label: string, group: Group, park: boolean, reuse?: Record<number, Config>) => {
      const out: Record<number, Config> = {};
      for (const batch of BATCHES) {
        const c = reuse?.[batch];
        if (c && c.rates.length) { out[batch] = c; continue; }
        configs.push((out[batch] = { label, group, batch, park, n: 0, rates: [] }));
      }
      return out;
    };
    const spSpin = byBatch("spsc", spsc!, false); // measured again here, interleaved with the rows it is compared with
    const spPark = parkW && mpscW ? byBatch("spsc park", spsc!, true) : spSpin;
    const mp1 = byBatch("mpsc 1", mpsc1, false);
    const mpW = mpscW ? byBatch(`mpsc ${W}`, mpscW, parkW) : undefined;
    await measure(configs);

    // Broadcast: the writer never waits, so readers that fall a ring behind lose records (counted).
    interface Bc { perReader: number[]; writer: number[]; lost: number; discarded: number; written: number; laps: number; error?: string }
    const broadcast = async (g: Group, park: boolean) => {
      const out: Record<number, Bc> = {};
      for (const batch of BATCHES) {
        const b: Bc = (out[batch] = { perReader: [], writer: [], lost: 0, discarded: 0, written: 0, laps: 0 });
        const n0 = clampN(rate(spSpin[batch]) * 1e6 * RUN_S) || 1_000_000;
        for (let round = 0; round <= ROUNDS; round++) {
          if (round > 0) await gate();
          const r = await run(g, { cmd: "run", n: n0, batch, park });
          if (!r) { b.error = g.failed; break; }
          if (round === 0) continue; // warm-up
          const w = r.writers[0];
          b.writer.push(n0 / ((w.t1 - w.t0) / 1e9) / 1e6);
          b.perReader.push(median(r.readers.map((x: any, i: number) => x.received / r.readerSeconds[i]! / 1e6)));
          for (const x of r.readers) {
            b.lost += x.lost;
            b.discarded += x.discarded;
            b.laps += x.laps;
            b.written += n0;
            if (x.received + x.lost !== n0) note(`${g.name} batch ${batch}`, `a reader received ${x.received} + lost ${x.lost} ≠ ${n0} written`);
            if (x.bad) note(`${g.name} batch ${batch}`, `${x.bad} records out of order`);
          }
        }
      }
      return out;
    };
    const bc1 = await broadcast(bcast1, false);
    const bcW = bcastW ? await broadcast(bcastW, parkW) : undefined;

    const mode = (park: boolean) => (park ? "spin, then park" : "spin");
    const vs = (x: (b: number) => number, base: Record<number, Config>) => BATCHES.map((b) => ratio(x(b) / rate(base[b]))).join(" · ");
    const bcRow = (label: string, threads: string, park: boolean, bc: Record<number, Bc>, base: Record<number, Config>) => [
      label, threads, mode(park),
      ...BATCHES.map((b) => (bc[b]!.error ? `failed: ${bc[b]!.error}` : fmt(median(bc[b]!.perReader)))),
      vs((b) => median(bc[b]!.perReader), base),
      BATCHES.map((b) => `${fmt((100 * bc[b]!.lost) / Math.max(1, bc[b]!.written))}% (${fmt((100 * bc[b]!.discarded) / Math.max(1, bc[b]!.written))}%)`).join(" · "),
      BATCHES.map((b) => (bc[b]!.error ? "—" : fmt(median(bc[b]!.writer)))).join(" · "),
    ];
    const rows: (string | number)[][] = [
      ["SPSC, 1 → 1", "2", mode(false), ...BATCHES.map((b) => cell(spSpin[b])), "—", "0", ""],
      ...(spPark !== spSpin ? [["SPSC, 1 → 1", "2", mode(true), ...BATCHES.map((b) => cell(spPark[b])), "—", "0", ""]] : []),
      ["MPSC, 1 → 1", "2", mode(false), ...BATCHES.map((b) => cell(mp1[b])), vs((b) => rate(mp1[b]), spSpin), "0", ""],
      ...(mpW ? [[`MPSC, ${W} → 1 (all writers)`, String(W + 1), mode(parkW), ...BATCHES.map((b) => cell(mpW[b])), vs((b) => rate(mpW[b]), spSpin), "0", ""]] : []),
      bcRow("broadcast, 1 → 1", "2", false, bc1, spSpin),
      ...(bcW ? [bcRow(`broadcast, 1 → ${W} (median reader)`, String(W + 1), parkW, bcW, spSpin)] : []),
    ];
    tables.push({
      title: `Rings: MPSC (${W} writers → 1 reader) and broadcast (1 writer → ${W} readers), M records/s per reader`,
      columns: ["ring", "threads", "reader", "batch 1", "batch 64", "batch 1024", "÷ SPSC 1 → 1, spinning (1 · 64 · 1024)", "lost per reader (of which read, then discarded) (1 · 64 · 1024)", "broadcast writer M/s (1 · 64 · 1024)"],
      rows,
      note: `Median of ${ROUNDS} runs of ~${RUN_S} s. MPSC: every writer's sequence checked (lossless, checksum too). Broadcast: the ` +
        `writer never waits; a reader a whole ring (16 384 records) behind is lapped, skips to live data and counts what it lost ` +
        `(received + lost = written is checked for every reader). A broadcast reader releases whole reads, and a read found ` +
        `overwritten at release is discarded whole: the figure in brackets is the part of the loss the reader had already read. ` +
        `Broadcast throughput counts records received. When Linux puts the broadcast writer and a spinning reader on one core ` +
        `(seen in /proc/<pid>/task/*/stat on this machine), the writer, which never waits, gets every other 4 ms time slice ` +
        `and the reader finds nothing new in its own: it receives ~1 record per lap, and that run's figure collapses. ` +
        `Ratios are against SPSC with a spinning reader (first row); the ` +
        `SPSC row with a parking reader shows what parking alone costs. ${env}` +
        (parkW ? `: ${W + 1} busy threads on ${CORES} cores is oversubscribed (readers then spin ${"briefly"} and park), so the ${W}-thread ` +
          `rows say little about a many-core machine; run with --workers N there.` : ".") + ` ${gateText(mark3)}`,
    });
  }
  // ─── 4. where the time goes: single-thread costs ─────────────────────────────
  if (ONLY.has("costs")) {
    if (!rttLog.length) for (let i = 0; i < 10; i++) rttLog.push(await rttOnce());
    tables.push(singleThreadCosts());
  }
} finally {
  await Promise.all(groups.map(stopGroup));
  await Promise.all([...everyWorker].map((w) => w.terminate()));
}

if (problems.length) {
  tables.push({ title: "Rings: failures and failed checks", columns: ["what"], rows: problems.map((p) => [p]) });
}
report("ring", tables);
if (problems.length) process.exitCode = 1;
