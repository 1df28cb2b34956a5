// The record pattern of the torn-read test (test/cache-concurrency.test.ts): every
// word of a record is derived from one counter per field group, so a reader can
// tell a consistent record from a torn one by looking at it alone.
//   words 0-15  (slot 0, every kind)   from v0 = word 2 (seq, low half)
//   words 16-47 (slots 1-2, QUOTE+)    from v1 = word 16
//   words 48-95 (slots 3-5, DEPTH)     from v3 = word 48
// Words 0 (length/kind/version), 1 (symbolId) and 6 (exchange/decimals/flags)
// are the header the codec checks. A merged record has v0 ≥ v1 ≥ v3. In a DEPTH
// record the best bid/ask words (30-35) are copies of level 0 of the book, as the
// format requires (and the cache keeps when a QUOTE lands on a kept book).
import { layout as L } from "../../src/index.js";

const HEADER_WORDS = new Set([0, 1, 6]);
const FIRST = [0, 16, 48];
const END = [16, 48, 96];
/** Best bid/ask words → the level-0 book words they repeat in a DEPTH record. */
const BOOK_TOP = new Map([[30, 48], [31, 49], [32, 68], [33, 69], [34, 50], [35, 70]]);

/** Word j of a group whose counter is v. */
export function word(v: number, j: number): number {
  return j === FIRST[0] + 2 || j === FIRST[1] || j === FIRST[2] ? v >>> 0 : (Math.imul(v, 0x9e3779b1) ^ Math.imul(j, 0x85ebca77)) >>> 0;
}

/** Bytes of the kind that counter v writes: mostly LTP, some QUOTE, some DEPTH. */
export function kindOf(v: number): number {
  const r = v % 8;
  return r === 0 ? L.KIND_DEPTH : r < 3 ? L.KIND_QUOTE : L.KIND_LTP;
}

/** Writes the record for counter v of symbol id at word index w of u32; returns its bytes. */
export function writeRecord(u32: Uint32Array, w: number, id: number, v: number, kind = kindOf(v)): number {
  const bytes = kind === L.KIND_DEPTH ? L.DEPTH_BYTES : kind === L.KIND_QUOTE ? L.QUOTE_BYTES : L.LTP_BYTES;
  u32[w] = bytes | (kind << 16) | (L.FORMAT_VERSION << 24);
  u32[w + 1] = id;
  u32[w + 6] = 1 | (2 << 8); // NSE, 2 decimals, no flags
  for (let j = 2; j < bytes / 4; j++) if (!HEADER_WORDS.has(j)) u32[w + j] = word(v, j);
  if (kind === L.KIND_DEPTH) for (const [top, book] of BOOK_TOP) u32[w + top] = u32[w + book]!;
  return bytes;
}

/**
 * Checks the record at word index w: "" if consistent, else what is wrong.
 * `ordered`: also require v0 ≥ v1 ≥ v3 (true when one writer writes the slot).
 */
export function checkRecord(u32: Uint32Array, w: number, id: number, ordered = true): string {
  const kind = (u32[w]! >>> 16) & 0xff;
  const bytes = u32[w]! & 0xffff;
  if (kind < 1 || kind > 3 || bytes !== [0, 64, 192, 384][kind]) return `bad header ${u32[w]!.toString(16)}`;
  if (u32[w + 1] !== id) return `symbol ${u32[w + 1]} in the slot of ${id}`;
  let prev = Infinity;
  for (let g = 0; g < kind && END[g]! <= bytes / 4; g++) {
    const v = u32[w + FIRST[g]! + (g === 0 ? 2 : 0)]!;
    if (ordered && v > prev) return `group ${g} is newer (${v}) than the group before (${prev})`;
    prev = v;
    for (let j = FIRST[g]!; j < END[g]!; j++) {
      if (HEADER_WORDS.has(j) || (kind === L.KIND_DEPTH && BOOK_TOP.has(j))) continue;
      if (u32[w + j] !== word(v, j)) return `torn: word ${j} is ${u32[w + j]} for counter ${v} of group ${g}`;
    }
  }
  if (kind === L.KIND_DEPTH) {
    for (const [top, book] of BOOK_TOP) if (u32[w + top] !== u32[w + book]) return `best bid/ask word ${top} is not level 0's word ${book}`;
  }
  return "";
}
