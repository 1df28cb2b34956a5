// Random Noren frames for the parser tests and benchmark: realistic tk/tf/dk/df ticks over
// a small universe (tokens reused across broker exchanges, 0/2/4 decimals), plus every way a
// frame can go wrong. Deterministic from a seed (xorshift32), no Math.random.
import type { InstrumentRow } from "../../src/feed/contract.js";
import type { ExchangeName } from "../../src/format/exchange.js";

/** A seeded xorshift32 generator. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = (seed >>> 0) || 0x9e3779b9;
  }
  /** Uniform in [0, 1). */
  next(): number {
    let s = this.s;
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    this.s = s;
    return s / 4294967296;
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.next() * xs.length)]!;
  }
  shuffle<T>(xs: T[]): T[] {
    for (let i = xs.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      [xs[i], xs[j]] = [xs[j]!, xs[i]!];
    }
    return xs;
  }
}

const SEGMENTS: readonly { broker: string; exchange: ExchangeName; decimals: number }[] = [
  { broker: "NSE", exchange: "NSE", decimals: 2 },
  { broker: "NSE", exchange: "NSE_INDEX", decimals: 2 },
  { broker: "BSE", exchange: "BSE", decimals: 2 },
  { broker: "NFO", exchange: "NFO", decimals: 2 },
  { broker: "CDS", exchange: "CDS", decimals: 4 },
  { broker: "MCX", exchange: "MCX", decimals: 2 },
  { broker: "BFO", exchange: "BFO", decimals: 0 },
];

/** `count` instruments; tokens deliberately collide across broker exchanges. */
export function norenRows(count: number, seed = 1): InstrumentRow[] {
  const rng = new Rng(seed);
  const rows: InstrumentRow[] = [];
  const used = new Set<string>();
  for (let i = 0; rows.length < count; i++) {
    const seg = SEGMENTS[i % SEGMENTS.length]!;
    // Tokens from a small pool, so the same token appears on several exchanges.
    const token = String(rng.chance(0.1) ? rng.int(0, 9) : 100 + rng.int(0, Math.max(20, count)));
    const key = `${seg.broker}|${token}`;
    if (used.has(key)) continue;
    used.add(key);
    rows.push({
      exchange: seg.exchange,
      symbol: `S${rows.length}_${seg.broker}`,
      brokerExchange: seg.broker,
      token,
      brokerSymbol: `S${rows.length}-EQ`,
      priceDecimals: seg.decimals,
      tickSize: 10 ** -seg.decimals,
      lotSize: 1,
      allowNonPositive: seg.exchange === "MCX" && rng.chance(0.5),
    });
  }
  return rows;
}

/** Exact decimal text of scaled integer `m` at `d` decimals ("2500.05"), with the generator's variations. */
export function formatScaledText(m: number, d: number, rng?: Rng): string {
  const neg = m < 0;
  const a = Math.abs(m);
  let s: string;
  if (d === 0) {
    s = String(a);
  } else {
    const p = 10 ** d;
    s = `${Math.floor(a / p)}.${String(a % p).padStart(d, "0")}`;
  }
  if (rng) {
    const r = rng.next();
    if (r < 0.1) s = d === 0 ? `${s}.0` : `${s}0`; // trailing zero: still exact
    else if (r < 0.2 && d > 0) s = s.replace(/\.?0+$/, "") || "0"; // fewer digits, same value
  }
  return neg ? `-${s}` : s;
}

/** Frame kinds the generator mixes (weights in {@link NorenFrameGen}). */
export type FrameKind = "tk" | "tf" | "dk" | "df" | "control" | "malformed" | "unknown";

const PRICE_FIELDS = ["lp", "o", "h", "l", "c", "ap", "uc", "lc"];
const QTY_FIELDS = ["ltq", "bq1", "sq1"];
const DEPTH_PRICE = ["bp", "sp"];
const DEPTH_QTY = ["bq", "sq", "bo", "so"];
const U64_FIELDS = ["v", "oi", "tbq", "tsq"];
const CONTROL_FRAMES = [
  `{"t":"ck","s":"OK","uid":"FT0001"}`,
  `{"t":"ak","s":"NOT_OK","emsg":"Invalid Session Key"}`,
  `{"t":"uk","k":"NSE|22"}`,
  `{"t":"udk","k":"NSE|22#NFO|1"}`,
  `{"t":"ok"}`,
  `{"t":"om","norenordno":"24010100000001","status":"COMPLETE","qty":"1","e":5}`,
  `{"t":"hk"}`,
  `{"t":"h"}`,
];

interface Scrip {
  row: InstrumentRow;
  last: number; // scaled last price the generator walks
}

/** Options of {@link NorenFrameGen}. */
export interface FrameGenOptions {
  /** Share of frames that are malformed in some way. Default 0.15. */
  malformed?: number;
  /** Share of frames that are control frames. Default 0.03. */
  control?: number;
  /** Insert random whitespace between tokens. Default true. */
  whitespace?: boolean;
  /** Unknown fields with nested values, escapes, duplicates. Default true. */
  noise?: boolean;
}

/** A stream of random frames over `rows`. */
export class NorenFrameGen {
  readonly rng: Rng;
  private readonly scrips: Scrip[];
  private readonly malformedShare: number;
  private readonly controlShare: number;
  private readonly whitespace: boolean;
  private readonly noise: boolean;
  /** How many frames of each kind were generated. */
  readonly made: Record<string, number> = {};

  constructor(seed: number, readonly rows: readonly InstrumentRow[], options: FrameGenOptions = {}) {
    this.rng = new Rng(seed);
    this.scrips = rows.map((row) => ({ row, last: this.basePrice(row) }));
    this.malformedShare = options.malformed ?? 0.15;
    this.controlShare = options.control ?? 0.03;
    this.whitespace = options.whitespace ?? true;
    this.noise = options.noise ?? true;
  }

  private basePrice(row: InstrumentRow): number {
    const p = 10 ** row.priceDecimals;
    return Math.round((10 + this.rng.next() * 5000) * p);
  }

  /** The next frame's text. */
  next(): string {
    const r = this.rng.next();
    let kind: FrameKind;
    if (r < this.controlShare) kind = "control";
    else if (r < this.controlShare + this.malformedShare) kind = "malformed";
    else kind = this.rng.pick(["tf", "tf", "tf", "tf", "tk", "df", "df", "dk"] as const);
    this.made[kind] = (this.made[kind] ?? 0) + 1;
    if (kind === "control") return this.rng.pick(CONTROL_FRAMES);
    if (kind === "malformed") return this.malformed();
    return this.tick(kind, this.rng.pick(this.scrips));
  }

  /** A valid tick frame of `t` for a random scrip (as fields; `render` writes the text). */
  fields(t: "tk" | "tf" | "dk" | "df", s: Scrip): [string, string][] {
    const rng = this.rng;
    const d = s.row.priceDecimals;
    const full = t === "tk" || t === "dk";
    const f: [string, string][] = [["t", t], ["e", s.row.brokerExchange], ["tk", s.row.token]];
    const price = (m: number) => formatScaledText(m, d, rng);
    // The walk: mostly small steps, sometimes a jump (the band guard), rarely ≤ 0.
    const step = Math.max(1, Math.round(s.last * 0.002));
    let next = s.last + rng.int(-step, step);
    if (rng.chance(0.02)) next = Math.round(s.last * (rng.chance(0.5) ? 1.5 : 0.6));
    if (rng.chance(0.01)) next = rng.chance(0.5) ? 0 : -rng.int(1, 100);
    if (next !== 0 || rng.chance(0.5)) s.last = next > 0 ? next : s.last;
    if (full) {
      f.push(["ts", s.row.brokerSymbol], ["pp", String(d)], ["ti", "0.05"], ["ls", "1"]);
    } else if (rng.chance(0.05)) {
      f.push(["pp", String(d)]);
    }
    const want = (p: number) => full || rng.chance(p);
    if (want(0.7)) f.push(["lp", price(next)]);
    if (want(0.3)) f.push(["pc", `${rng.chance(0.3) ? "-" : ""}${rng.int(0, 20)}.${String(rng.int(0, 999)).padStart(rng.int(1, 3), "0")}`]);
    for (const k of ["o", "h", "l", "c"]) {
      if (want(0.1)) f.push([k, rng.chance(0.3) ? (rng.chance(0.5) ? "0" : formatScaledText(0, d)) : price(s.last + rng.int(-step * 5, step * 5))]);
    }
    if (want(0.3)) f.push(["ap", price(s.last)]);
    for (const k of U64_FIELDS) if (want(0.25)) f.push([k, String(rng.chance(0.02) ? "18446744073709551615" : rng.int(0, 1e9))]);
    if (want(0.3)) f.push(["ltq", String(rng.int(1, 5000))]);
    const ft = 1700000000 + rng.int(0, 100000);
    if (want(0.5)) f.push(["ft", String(rng.chance(0.03) ? ft - 86400 : ft)]);
    if (want(0.3)) {
      const hh = String(rng.int(0, 23)).padStart(2, "0");
      const mm = String(rng.int(0, 59)).padStart(2, "0");
      const ss = String(rng.int(0, 59)).padStart(2, "0");
      f.push(["ltt", rng.pick([`${hh}:${mm}:${ss}`, `${hh}:${mm}:${ss}`, String(ft - rng.int(0, 30)), `${String(rng.int(1, 28)).padStart(2, "0")}-${String(rng.int(1, 12)).padStart(2, "0")}-20${rng.int(10, 39)} ${hh}:${mm}:${ss}`, `${hh}:${mm}:${ss} ${String(rng.int(1, 31)).padStart(2, "0")}-${String(rng.int(1, 12)).padStart(2, "0")}-20${rng.int(10, 39)}`])]);
    }
    if (want(0.1)) f.push(["uc", price(Math.round(s.last * 1.2))], ["lc", price(Math.round(s.last * 0.8))]);
    if (want(0.05)) f.push(["52h", price(s.last * 2)], ["52l", price(1)], ["poi", "100"], ["toi", "200"]);
    const depth = t === "dk" || t === "df";
    for (let lvl = 1; lvl <= (depth ? 5 : 1); lvl++) {
      for (const side of DEPTH_PRICE) {
        if (want(0.3)) f.push([`${side}${lvl}`, rng.chance(0.05) ? "0" : price(s.last + (side === "bp" ? -lvl : lvl) * step)]);
      }
      for (const q of depth ? DEPTH_QTY : ["bq", "sq"]) if (want(0.3)) f.push([`${q}${lvl}`, String(rng.int(0, 100000))]);
    }
    if (!full) {
      // Absent markers: "" and "-" keep the previous value.
      for (const k of ["lp", "v", "bp1", "ltt"]) if (rng.chance(0.03)) f.push([k, rng.chance(0.5) ? "" : "-"]);
    }
    return f;
  }

  private tick(t: "tk" | "tf" | "dk" | "df", s: Scrip): string {
    return this.render(this.fields(t, s), true);
  }

  /** Renders fields as a JSON object's text, with the generator's noise (unless `clean`). */
  render(fields: [string, string | unknown][], noisy = false): string {
    const rng = this.rng;
    const parts: string[] = [];
    const entries = [...fields];
    if (noisy && this.noise) {
      if (rng.chance(0.2)) entries.push(["x" + rng.int(0, 99), this.randomJsonValue(0)]);
      if (rng.chance(0.05)) entries.push(["dup", "1"], ["dup", { a: [1, { b: null }] }]);
      rng.shuffle(entries);
    }
    for (const [k, v] of entries) {
      const key = noisy && this.noise && rng.chance(0.02) ? escapeAll(k) : JSON.stringify(k);
      let val: string;
      if (typeof v === "string") val = noisy && this.noise && rng.chance(0.02) ? escapeAll(v) : JSON.stringify(v);
      else val = typeof v === "object" && v !== null && "raw" in (v as object) ? (v as { raw: string }).raw : JSON.stringify(v);
      parts.push(`${this.sp(noisy)}${key}${this.sp(noisy)}:${this.sp(noisy)}${val}${this.sp(noisy)}`);
    }
    return `${this.sp(noisy)}{${parts.join(",")}}${this.sp(noisy)}`;
  }

  private sp(noisy: boolean): string {
    if (!noisy || !this.whitespace || !this.rng.chance(0.1)) return "";
    return this.rng.pick([" ", "\n", "\t", "\r\n", "  "]);
  }

  /** A random JSON value (nested), as a {raw} holder so render() writes it as is. */
  randomJsonValue(depth: number): { raw: string } {
    const rng = this.rng;
    const r = rng.next();
    let raw: string;
    if (depth < 4 && r < 0.2) {
      const n = rng.int(0, 3);
      raw = `{${Array.from({ length: n }, () => `${JSON.stringify("k" + rng.int(0, 9))}:${this.randomJsonValue(depth + 1).raw}`).join(",")}}`;
    } else if (depth < 4 && r < 0.4) {
      raw = `[${Array.from({ length: rng.int(0, 3) }, () => this.randomJsonValue(depth + 1).raw).join(", ")}]`;
    } else if (r < 0.55) {
      raw = rng.pick(["0", "-1.5e3", "1E+2", "3.25", "-0", "123456789012345678901234567890"]);
    } else if (r < 0.7) {
      raw = rng.pick(["true", "false", "null"]);
    } else {
      raw = rng.pick([`"plain"`, `"esc \\" \\\\ \\/ \\b \\f \\n \\r \\t"`, `"\\u00e9\\u20ac\\ud83d\\ude00"`, `"é€😀"`, `""`]);
    }
    return { raw };
  }

  /** A frame with one thing wrong (or a few), of every reason. */
  private malformed(): string {
    const rng = this.rng;
    const s = rng.pick(this.scrips);
    const f = this.fields(rng.pick(["tk", "tf", "dk", "df"] as const), s) as [string, string | { raw: string }][];
    const set = (k: string, v: string | { raw: string }) => {
      const i = f.findIndex(([key]) => key === k);
      if (i >= 0) f[i] = [k, v]; else f.push([k, v]);
    };
    const d = s.row.priceDecimals;
    switch (rng.int(0, 13)) {
      case 0: { // BAD_JSON
        const text = this.render(f);
        return rng.pick([
          text.slice(0, rng.int(0, text.length - 1)),
          text.replace("}", ",}"),
          text.replace(":", ""),
          `${text}x`,
          `[${text}]`,
          `"${text.replace(/"/g, "'")}"`,
          text.replace(/"e"/, `"e\u0001"`),
          text.replace(/"t"/, `"\\x"`),
          text.replace(/"t"/, `"\\u12G4"`),
          `{"t":"tf","a":[1,2}`,
          `{"t":"tf","a":{"b":1,}}`,
          `{"t":"tf","a":[1,]}`,
          `{"t":"tf","a":01}`,
          `{"t":"tf","a":1.}`,
          `{"t":"tf","a":tru}`,
          `{"t":"tf","a":-}`,
          `\ufeff${text}`,
          "",
          "   ",
          "null",
          "42",
          `{"t":"tf","a":${"[".repeat(40)}${"]".repeat(39)}}`,
        ]);
      }
      case 1: // UNKNOWN_TYPE
        if (rng.chance(0.3)) return this.render(f.filter(([k]) => k !== "t"));
        set("t", rng.pick(["zz", "TK", "tkk", "t", "c", "", "tk ", "d"]));
        return this.render(f);
      case 2: // WRONG_TYPE
        set(rng.pick(["lp", "e", "tk", "t", "ts", "bq1", "ltt", "pp", "52h"]), { raw: rng.pick(["1", "null", "true", "{}", "[\"1\"]", "2500.05"]) });
        return this.render(f);
      case 3: // MISSING_KEY
        if (rng.chance(0.5)) return this.render(f.filter(([k]) => k !== (rng.chance(0.5) ? "e" : "tk")));
        set(rng.chance(0.5) ? "e" : "tk", rng.chance(0.5) ? "" : "-");
        return this.render(f);
      case 4: // UNKNOWN_SYMBOL
        if (rng.chance(0.5)) set("tk", rng.pick(["99999", "0" + s.row.token, "4294967296", "12a", "-1", "+5", " 22", "00"]));
        else set("e", rng.pick(["nse", "XYZ", "NSEXX", "N SE", "NSE\u00e9", "ABCDE"]));
        return this.render(f);
      case 5: // DECIMALS
        set("pp", String((d + rng.int(1, 3)) % 10));
        return this.render(f);
      case 6: // BAD_NUMBER
        set(rng.pick(["lp", "ap", "v", "ltq", "bq1", "pc", "ft", "pp", "o", "oi"]), rng.pick(["12a", "1e5", "+1", ".5", "5.", " 1", "NA", "--1", "1,000", "0x10", "1.2.3", "\u0661"]));
        return this.render(f);
      case 7: // PRECISION
        set(rng.pick(["lp", "bp1", "uc", "o"]), `${formatScaledText(s.last, d)}${d === 0 ? ".5" : "1"}`);
        return this.render(f);
      case 8: // PRICE_RANGE
        set(rng.pick(["lp", "c", "sp1"]), rng.pick(["99999999999999999999", `-${"9".repeat(16)}`, "2251799813685248", String(2251799813685247 / 10 ** d + 1)]));
        return this.render(f);
      case 9: // RANGE
        set(...rng.pick([
          ["ltq", "4294967296"], ["bq1", "99999999999"], ["v", "18446744073709551616"], ["oi", "99999999999999999999999"],
          ["pc", "99999999999"], ["ft", "8640000000001"], ["ltt", "99999999999999"],
        ] as [string, string][]));
        return this.render(f);
      case 10: // BAD_TIME
        set("ltt", rng.pick(["24:00:00", "12:60:00", "1:2:3", "31-02-2024 10:00:00", "10:00:00 31-04-2024", "10:00:00-01-01-2024", "10:00:00 01-01-202x", "29-02-2023 10:00:00", "00-01-2024 10:00:00", "01-13-2024 10:00:00", "soon", "12:00", "2024-01-01 10:00:00", "01-01-1899 10:00:00"]));
        return this.render(f);
      case 11: // guards: non-positive and jumps (valid frames)
        set("lp", rng.chance(0.5) ? "0" : formatScaledText(-rng.int(1, 1000), d));
        return this.render(f);
      case 12: // valid but tricky: escapes everywhere, duplicate keys, big u64, leap day, BOM inside a string
        set("ltt", rng.pick(["29-02-2024 09:15:00", "00:00:00", "23:59:59", "0"]));
        set("ts", rng.pick(["A\\\"B", "\u00e9\u20ac", "x\ufeffy", "\\u0041"]));
        f.push(["lp", formatScaledText(s.last, d)]);
        return this.render(f, true).replace(/"v":"\d+"/, `"v":"18446744073709551615"`);
      default: // random bytes of a real frame mutated
        return this.mutate(this.render(f));
    }
  }

  private mutate(text: string): string {
    const rng = this.rng;
    const chars = [...text];
    const n = rng.int(1, 3);
    for (let i = 0; i < n; i++) {
      const at = rng.int(0, Math.max(0, chars.length - 1));
      chars[at] = rng.pick(["\"", "{", "}", ":", ",", "\\", "0", "a", " ", "-", ".", "\u0000", "\u00ff", "["]);
    }
    return chars.join("");
  }
}

function escapeAll(s: string): string {
  let out = "\"";
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    out += c < 0x10000 ? `\\u${c.toString(16).padStart(4, "0")}` : JSON.stringify(ch).slice(1, -1);
  }
  return `${out}"`;
}
