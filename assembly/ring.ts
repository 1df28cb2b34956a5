// Ring buffer index math: claim, commit, read and release for the three ring
// kinds, on regions laid out by the host (src/rings/layout.ts has the diagram).
// Records are written and read in place; these functions move positions, write
// padding, publish with atomic stores and wake parked threads. Per-thread state
// lives in a 64-byte cursor the caller owns, so no function keeps state.

import {
  RH_TYPE, RH_CAPACITY, RH_MASK, RH_MAX_CLAIM, RH_TAIL, RH_TAIL_INTENT, RH_LATEST, RH_PUBLISHED, RH_HEAD,
  RH_READER_WAITERS, RH_READER_FUTEX, RH_WRITER_WAITERS, RH_WRITER_FUTEX, RH_READERS, RH_UNBLOCK_COUNT,
  RING_HEADER_BYTES, RING_MPSC, RING_BROADCAST, CUR_OFFSET, CUR_BYTES, CUR_POSITION,
  CUR_CLAIM_BYTES, CUR_ERROR_INDEX, CUR_CACHE, CUR_LOST, CUR_LAPS, RING_FULL, RING_LAPPED, MAX_CLAIM_BYTES,
} from "../src/rings/layout";
import { KIND_PADDING, FORMAT_VERSION, SLOT_BYTES, PADDING_MAX_BYTES, OFF_KIND, ERR_LENGTH, ERR_GIVEN_UP } from "../src/format/layout";
import { checkRecord } from "./record";

// @ts-ignore: decorator
@inline function dataAt(r: usize, pos: u64): usize {
  return r + RING_HEADER_BYTES + <usize>(<u32>pos & load<u32>(r, RH_MASK));
}

// @ts-ignore: decorator
@inline function metaAt(r: usize, pos: u64): usize {
  return r + RING_HEADER_BYTES + <usize>load<u32>(r, RH_CAPACITY) + ((<usize>(<u32>pos & load<u32>(r, RH_MASK)) >> 6) << 3);
}

// MPSC commit flag: the stamp of the claim's position (its slot number + 1, so zeroed
// memory never matches) in the low 48 bits, the claim's length in slots in the high 16.
// A flag left from an earlier lap carries a smaller stamp (48 bits wrap after 16 EiB),
// so nothing needs zeroing after a read. A flag whose stamp is at or past a position's
// own was written for this lap (a commit, or the reader giving the claim up) or a later one.
// @ts-ignore: decorator
@inline function stamp(pos: u64): u64 {
  return ((pos >> 6) + 1) & 0xFFFFFFFFFFFF;
}

// @ts-ignore: decorator
@inline function flag(pos: u64, bytes: u32): u64 {
  return stamp(pos) | (<u64>(bytes >> 6) << 48);
}

/**
 * Stores the commit flag of the claim at `pos` unless the reader gave that claim up
 * (unblock) or the ring has since come round: a CAS against the stale flag it replaces,
 * so a commit and an unblock of the same claim cannot both win.
 */
function commitFlag(meta: usize, pos: u64, bytes: u32): bool {
  const want = flag(pos, bytes);
  let seen = atomic.load<u64>(meta);
  while (true) {
    if ((seen & 0xFFFFFFFFFFFF) >= stamp(pos)) return false;
    const was = atomic.cmpxchg<u64>(meta, seen, want);
    if (was == seen) return true;
    seen = was;
  }
  return false; // unreachable
}

function writePadding(at: usize, bytes: u32): void {
  while (bytes > 0) {
    const n = bytes < <u32>PADDING_MAX_BYTES ? bytes : <u32>PADDING_MAX_BYTES;
    store<u16>(at, <u16>n);
    store<u8>(at, <u8>KIND_PADDING, 2);
    store<u8>(at, <u8>FORMAT_VERSION, 3);
    at += n;
    bytes -= n;
  }
}

// @ts-ignore: decorator
@inline function wake(r: usize, waiters: usize, futex: usize): void {
  // Only when someone may be parked: no notify per record. The waker clears the flag, so
  // a waiter that died parked costs one spare notify; live waiters set it again.
  if (atomic.load<i32>(r + waiters) != 0) {
    atomic.store<i32>(r + waiters, 0);
    atomic.add<i32>(r + futex, 1);
    atomic.notify(r + futex, -1);
  }
}

/**
 * Claims `bytes` (a multiple of 64, at most the ring's maxClaim) of contiguous space
 * for the writer whose cursor is `cur`. Returns the byte offset to write the records
 * at, RING_FULL (-1) when an SPSC/MPSC ring has no room (a broadcast ring never waits
 * for readers), or ERR_LENGTH for a bad size or while this cursor still holds a claim
 * (commit it, or give it up with a commit of 0 bytes). Padding is written when the claim wraps.
 */
export function ringClaim(r: usize, cur: usize, bytes: u32): i32 {
  if (bytes == 0 || (bytes & (SLOT_BYTES - 1)) != 0 || bytes > load<u32>(r, RH_MAX_CLAIM)) return ERR_LENGTH;
  if (load<u32>(cur, CUR_CLAIM_BYTES) != 0) return ERR_LENGTH;
  const type = load<u32>(r, RH_TYPE);
  const capacity = <u64>load<u32>(r, RH_CAPACITY);
  let tail: u64;
  let pad: u32;
  if (type == RING_MPSC) {
    while (true) {
      tail = atomic.load<u64>(r + RH_TAIL);
      const head = atomic.load<u64>(r + RH_HEAD);
      // Claims and releases between the two loads can take the head past this tail: then
      // tail - head underflows into a huge "full" ring. Such a tail is stale anyway: retry.
      if (head > tail) continue;
      const toEnd = <u32>(capacity - (tail & (capacity - 1)));
      pad = bytes <= toEnd ? 0 : toEnd;
      if (tail + <u64>(pad + bytes) - head > capacity) return RING_FULL;
      if (atomic.cmpxchg<u64>(r + RH_TAIL, tail, tail + <u64>(pad + bytes)) == tail) break;
    }
    if (pad != 0) {
      // The padding is this claim's too; if the reader already gave it up, leave it alone.
      const meta = metaAt(r, tail);
      if ((atomic.load<u64>(meta) & 0xFFFFFFFFFFFF) < stamp(tail)) {
        writePadding(dataAt(r, tail), pad);
        commitFlag(meta, tail, pad);
      }
    }
  } else {
    tail = load<u64>(r, RH_TAIL); // this writer is the only one that moves the tail
    const toEnd = <u32>(capacity - (tail & (capacity - 1)));
    pad = bytes <= toEnd ? 0 : toEnd;
    const end = tail + <u64>(pad + bytes);
    if (type == RING_BROADCAST) {
      // Announce the overwrite before making it: readers validate against tailIntent. Never
      // lower it (a claim committed short, or abandoned, may have written past its commit).
      // An RMW, then an acquire load: on weakly ordered CPUs no data store below may become
      // visible before the new intent (the cache's lock does the same).
      const intent = load<u64>(r, RH_TAIL_INTENT);
      atomic.xchg<u64>(r + RH_TAIL_INTENT, end > intent ? end : intent);
      atomic.load<u64>(r + RH_TAIL_INTENT);
      const published = load<u64>(r, RH_PUBLISHED);
      if (pad != 0) atomic.store<u64>(metaAt(r, tail), published);
      atomic.store<u64>(metaAt(r, tail + pad), published);
    } else if (end - load<u64>(cur, CUR_CACHE) > capacity) {
      // The cached head says full: read the real one (one shared-line read per wrap, not per claim).
      const head = atomic.load<u64>(r + RH_HEAD);
      store<u64>(cur, head, CUR_CACHE);
      if (end - head > capacity) return RING_FULL;
    }
    if (pad != 0) writePadding(dataAt(r, tail), pad);
  }
  const start = tail + <u64>pad;
  store<u64>(cur, start, CUR_POSITION);
  store<u32>(cur, bytes, CUR_CLAIM_BYTES);
  const at = dataAt(r, start);
  store<u32>(cur, <u32>at, CUR_OFFSET);
  return <i32>at;
}

/**
 * Publishes the first `bytes` of the current claim. They must hold whole, valid records
 * (every header checked, DEPTH books consistent; padding records allowed): else returns
 * the error code with the failing record's index at cursor + CUR_ERROR_INDEX, and the
 * claim stays held (fix the records and commit again, or commit 0 to give it up).
 * Unused claimed space is released (SPSC, broadcast) or padded (MPSC). Wakes parked
 * readers. Returns the number of tick records published, ERR_LENGTH when there is no
 * claim or `bytes` exceeds it or is not a multiple of 64, or ERR_GIVEN_UP when an MPSC
 * reader gave the claim up (unblock) before this commit: its records are lost.
 */
export function ringCommit(r: usize, cur: usize, bytes: u32): i32 {
  const claimed = load<u32>(cur, CUR_CLAIM_BYTES);
  if (claimed == 0 || bytes > claimed || (bytes & (SLOT_BYTES - 1)) != 0) return ERR_LENGTH;
  const start = load<u64>(cur, CUR_POSITION);
  const at = dataAt(r, start);
  let ticks: u32 = 0;
  let index: u32 = 0;
  for (let offset: u32 = 0; offset < bytes; index++) {
    const length = checkRecord(at + offset, <usize>(bytes - offset));
    if (length < 0) {
      store<u32>(cur, index, CUR_ERROR_INDEX);
      return length;
    }
    if (<u32>load<u8>(at + offset, OFF_KIND) != KIND_PADDING) ticks++;
    offset += <u32>length;
  }
  store<u32>(cur, 0, CUR_CLAIM_BYTES);
  const type = load<u32>(r, RH_TYPE);
  if (type == RING_MPSC) {
    const meta = metaAt(r, start);
    if ((atomic.load<u64>(meta) & 0xFFFFFFFFFFFF) >= stamp(start)) return ERR_GIVEN_UP;
    if (bytes < claimed) writePadding(at + bytes, claimed - bytes);
    if (!commitFlag(meta, start, claimed)) return ERR_GIVEN_UP;
  } else if (type == RING_BROADCAST) {
    // tail before latest: a reader that jumps to latest must find tail already past it.
    atomic.store<u64>(r + RH_PUBLISHED, load<u64>(r, RH_PUBLISHED) + <u64>ticks);
    atomic.store<u64>(r + RH_TAIL, start + <u64>bytes);
    atomic.store<u64>(r + RH_LATEST, start);
  } else {
    atomic.store<u64>(r + RH_TAIL, start + <u64>bytes);
  }
  wake(r, RH_READER_WAITERS, RH_READER_FUTEX);
  return <i32>ticks;
}

/**
 * Finds the records ready for the reader whose cursor is `cur`: returns how many bytes
 * are readable (0: none) and puts their offset in the cursor. The range never crosses
 * the end of the data area; it may hold padding records, which readers skip. A
 * broadcast reader that was lapped jumps to the latest claim and counts the records it
 * lost in its cursor.
 */
export function ringRead(r: usize, cur: usize): i32 {
  const type = load<u32>(r, RH_TYPE);
  const capacity = <u64>load<u32>(r, RH_CAPACITY);
  let from: u64;
  let to: u64;
  if (type == RING_MPSC) {
    from = load<u64>(r, RH_HEAD); // only the reader moves the head
    // After a partial release the head is inside a claim: what is left of the last read
    // is committed, so start from its end (claims are found by their flags).
    to = from + <u64>load<u32>(cur, CUR_BYTES);
    while (to == from || (to & (capacity - 1)) != 0) {
      const f = atomic.load<u64>(metaAt(r, to));
      const slots = f >> 48;
      if ((f & 0xFFFFFFFFFFFF) != stamp(to) || slots == 0) break; // uncommitted, or being given up
      to += slots << 6;
      if ((to & (capacity - 1)) == 0) break;
    }
  } else if (type == RING_BROADCAST) {
    from = load<u64>(cur, CUR_POSITION);
    to = atomic.load<u64>(r + RH_TAIL);
    if (to == from) {
      store<u32>(cur, 0, CUR_BYTES);
      return 0;
    }
    if (atomic.load<u64>(r + RH_TAIL_INTENT) - from > capacity) {
      from = jumpToLatest(r, cur, capacity);
      to = atomic.load<u64>(r + RH_TAIL);
    }
  } else {
    from = load<u64>(r, RH_HEAD);
    to = atomic.load<u64>(r + RH_TAIL);
  }
  if (to <= from) {
    // Nothing new (a broadcast reader may even stand at a claim whose tail store is not seen yet).
    store<u32>(cur, 0, CUR_BYTES);
    return 0;
  }
  let n = to - from;
  const toEnd = capacity - (from & (capacity - 1));
  if (n > toEnd) n = toEnd;
  store<u32>(cur, <u32>dataAt(r, from), CUR_OFFSET);
  store<u32>(cur, <u32>n, CUR_BYTES);
  return <i32>n;
}

// Broadcast: the records-published count stored for the claim at `pos` (a claim
// boundary), or -1 when the writer has already overwritten `pos`.
function recordsBefore(r: usize, pos: u64, capacity: u64): i64 {
  if (atomic.load<u64>(r + RH_TAIL_INTENT) - pos > capacity) return -1;
  const before = atomic.load<u64>(metaAt(r, pos));
  if (atomic.load<u64>(r + RH_TAIL_INTENT) - pos > capacity) return -1;
  return <i64>before;
}

// Broadcast: moves a reader to the latest committed claim (re-read if the writer laps it
// meanwhile); returns the records published before that claim.
function moveToLatest(r: usize, cur: usize, capacity: u64): u64 {
  let latest: u64;
  let before: u64;
  do {
    latest = atomic.load<u64>(r + RH_LATEST);
    before = atomic.load<u64>(metaAt(r, latest));
  } while (atomic.load<u64>(r + RH_TAIL_INTENT) - latest > capacity);
  store<u64>(cur, before, CUR_CACHE);
  store<u64>(cur, latest, CUR_POSITION);
  return latest;
}

// Broadcast: moves a lapped reader to the latest committed claim and counts the loss
// (CUR_CACHE holds exactly the records published before the reader's position).
function jumpToLatest(r: usize, cur: usize, capacity: u64): u64 {
  const consumed = load<u64>(cur, CUR_CACHE);
  const latest = moveToLatest(r, cur, capacity);
  store<u64>(cur, load<u64>(cur, CUR_LOST) + (load<u64>(cur, CUR_CACHE) - consumed), CUR_LOST);
  store<u32>(cur, load<u32>(cur, CUR_LAPS) + 1, CUR_LAPS);
  return latest;
}

/**
 * Gives back `bytes` of the last read, a record boundary within it: SPSC/MPSC free the
 * space and wake parked writers; returns 0. Broadcast: counts the tick records in the
 * bytes itself (walking them), then checks that the writer did not overwrite them while
 * they were read: returns 0 if they stayed intact (what the reader made of them — a copy,
 * say — is good), or RING_LAPPED (1) if they were overwritten meanwhile: the reader must
 * discard what it made of them, and they are counted as lost. ERR_LENGTH for bytes the
 * last read did not return, or (broadcast, intact) that do not end on a record boundary.
 */
export function ringRelease(r: usize, cur: usize, bytes: u32): i32 {
  const ready = load<u32>(cur, CUR_BYTES);
  if (bytes > ready || (bytes & (SLOT_BYTES - 1)) != 0) return ERR_LENGTH;
  const broadcast = load<u32>(r, RH_TYPE) == RING_BROADCAST;
  const at = <usize>load<u32>(cur, CUR_OFFSET);
  let records: u64 = 0;
  let whole = true;
  if (broadcast) {
    // Walk first, check after: if the bytes stayed intact, so did the walk.
    let p = at;
    const end = at + <usize>bytes;
    while (p < end) {
      const length = <usize>load<u16>(p);
      if (length == 0 || (length & (SLOT_BYTES - 1)) != 0 || p + length > end) {
        whole = false;
        break;
      }
      if (load<u8>(p, OFF_KIND) != <u8>KIND_PADDING) records++;
      p += length;
    }
  }
  // An atomic store (a release): every load the reader made of the batch completes before
  // the tailIntent load below, on weakly ordered CPUs too.
  atomic.store<u32>(cur + CUR_BYTES, ready - bytes);
  store<u32>(cur, <u32>at + bytes, CUR_OFFSET);
  if (broadcast) {
    const from = load<u64>(cur, CUR_POSITION);
    const capacity = <u64>load<u32>(r, RH_CAPACITY);
    if (atomic.load<u64>(r + RH_TAIL_INTENT) - from > capacity) {
      // Overwritten while read. The walk cannot be trusted, but a read ends at a claim
      // whose published-before count tells how many records the batch held: when the whole
      // rest of the read is released, skip just this batch. Otherwise (or if that claim is
      // gone too) stay put: the next read finds the cursor lapped and jumps, counting from
      // the records consumed so far.
      store<u32>(cur, 0, CUR_BYTES);
      const next = from + <u64>bytes;
      // A claim's count is stored before it is committed: trust it only once tail is past it.
      if (bytes == ready && atomic.load<u64>(r + RH_TAIL) > next) {
        const before = recordsBefore(r, next, capacity);
        if (before >= 0) {
          store<u64>(cur, load<u64>(cur, CUR_LOST) + (<u64>before - load<u64>(cur, CUR_CACHE)), CUR_LOST);
          store<u32>(cur, load<u32>(cur, CUR_LAPS) + 1, CUR_LAPS);
          store<u64>(cur, <u64>before, CUR_CACHE);
          store<u64>(cur, next, CUR_POSITION);
        }
      }
      return RING_LAPPED;
    }
    if (!whole) {
      // Intact, yet not whole records: the caller's bytes are not a record boundary. Undo.
      store<u32>(cur, ready, CUR_BYTES);
      store<u32>(cur, <u32>at, CUR_OFFSET);
      return ERR_LENGTH;
    }
    store<u64>(cur, from + <u64>bytes, CUR_POSITION);
    store<u64>(cur, load<u64>(cur, CUR_CACHE) + records, CUR_CACHE);
    return 0;
  }
  atomic.store<u64>(r + RH_HEAD, load<u64>(r, RH_HEAD) + <u64>bytes);
  wake(r, RH_WRITER_WAITERS, RH_WRITER_FUTEX);
  return 0;
}

/** Broadcast: starts a reader at the latest published claim (or the start, if none). */
export function ringJoin(r: usize, cur: usize): void {
  memory.fill(cur, 0, 64);
  atomic.add<u32>(r + RH_READERS, 1);
  if (atomic.load<u64>(r + RH_TAIL) != 0) moveToLatest(r, cur, <u64>load<u32>(r, RH_CAPACITY));
}

/**
 * MPSC: frees a reader stuck behind a claim whose writer died before committing it (as
 * Agrona's unblock does), whose cursor is `cur`. If the claim at the head has no commit
 * flag, gives it up — and every slot after it up to the next claim that has one, the
 * tail, or the end of the data area, at most MAX_CLAIM_BYTES — each with a CAS on its
 * flag, so a writer that commits at the same moment either wins (its claim stays and
 * unblock stops there) or fails with ERR_GIVEN_UP; then pads the range and flags it, so
 * the next read moves past it. Returns the bytes given up (0: the head was not blocked).
 * Call it from the reader, and only after the head has stayed blocked longer than any
 * live writer takes between claim and commit: a live writer still writing there loses
 * its records (its commit fails), and its late stores may land in whatever reuses the space.
 */
export function ringUnblock(r: usize, cur: usize): i32 {
  if (load<u32>(r, RH_TYPE) != RING_MPSC) return ERR_LENGTH;
  if (load<u32>(cur, CUR_BYTES) != 0) return 0; // the reader still has committed bytes to read
  const capacity = <u64>load<u32>(r, RH_CAPACITY);
  const head = load<u64>(r, RH_HEAD);
  const tail = atomic.load<u64>(r + RH_TAIL);
  if (head == tail) return 0;
  const headMeta = metaAt(r, head);
  const seen = atomic.load<u64>(headMeta);
  if ((seen & 0xFFFFFFFFFFFF) >= stamp(head)) return 0; // committed after all
  // A flag with this lap's stamp and no length: given up, padding in progress (readers wait).
  if (atomic.cmpxchg<u64>(headMeta, seen, stamp(head)) != seen) return 0; // its writer just committed
  let limit = head + capacity - (head & (capacity - 1));
  if (limit > tail) limit = tail;
  if (limit > head + <u64>MAX_CLAIM_BYTES) limit = head + <u64>MAX_CLAIM_BYTES;
  let end = head + <u64>SLOT_BYTES;
  while (end < limit) {
    const meta = metaAt(r, end);
    const f = atomic.load<u64>(meta);
    if ((f & 0xFFFFFFFFFFFF) >= stamp(end)) break; // a committed claim starts here
    if (atomic.cmpxchg<u64>(meta, f, stamp(end)) != f) continue; // a commit raced us: look again
    end += <u64>SLOT_BYTES;
  }
  const bytes = <u32>(end - head);
  writePadding(dataAt(r, head), bytes);
  atomic.store<u64>(headMeta, flag(head, bytes));
  atomic.add<u32>(r + RH_UNBLOCK_COUNT, 1);
  return <i32>bytes;
}

/** Bytes written but not yet released (SPSC, MPSC) or not yet read by this reader (broadcast), as f64. */
export function ringBacklog(r: usize, cur: usize): f64 {
  // The reader's side first: the tail read after it is never behind it (no underflow).
  const broadcast = load<u32>(r, RH_TYPE) == RING_BROADCAST;
  const from = broadcast ? load<u64>(cur, CUR_POSITION) : atomic.load<u64>(r + RH_HEAD);
  const tail = atomic.load<u64>(r + RH_TAIL);
  const n = tail > from ? tail - from : 0;
  // SPSC/MPSC never hold more than their capacity; a larger difference is the head having
  // been read before releases and claims that came between the two loads.
  const capacity = <u64>load<u32>(r, RH_CAPACITY);
  return <f64>(!broadcast && n > capacity ? capacity : n);
}
