// Last-value cache: the latest record of every symbol id, behind a sequence lock
// per slot (layout: src/cache/layout.ts; the argument: docs/PARTITION.md).
//
// Writer (normally the one worker owning the symbol's partition):
//   lock:   CAS (seq, owner) from (even, any) to (odd, me) (two writers of one slot
//           serialise instead of tearing), then an atomic load of seq: an acquire that
//           keeps every data store after the CAS's store (ARM's LL/SC CAS alone does not)
//   write:  plain stores of the merged record
//   unlock: CAS (odd, me) -> (odd + 1, me): a release, so every data store is seen
//           first; if the slot is no longer mine (I was declared exited while still
//           writing: a supervisor's mistake), nothing is stored and the call fails
// A slot held by another writer is waited for, a bounded number of spins per call
// (the host retries up to its deadline, then reports TIMEOUT): never taken from a
// writer that may be alive. Only a holder whose writer-table entry says it exited
// (or was re-registered since: a newer generation) is taken over, with a CAS, and
// the taker clears the record first, since the dead holder may have torn it.
// Reader (any thread, no lock, never stores to the slot):
//   s1 = atomic.load seq (retry while odd); copy the record with plain loads;
//   an atomic store to the reader's own output (a release: every copy load is
//   done before it), then s2 = atomic.load seq (an acquire after a release stays
//   after it); the copy is good iff s1 == s2. A copy that raced a writer may be
//   torn, but then s2 != s1 and it is thrown away.
//
// Why no atomic.fence: AssemblyScript 0.28 with Binaryen 131 emits an invalid
// (unordered) fence that fails validation. The orderings above come from seq-cst
// loads, stores and RMWs alone: x64 maps them to mov / xchg / lock cmpxchg (TSO
// does the rest), arm64 to ldar / stlr / ldaxr-stlxr or casal.

import {
  LVC_OFF_CAPACITY, LVC_OFF_MAX_KIND, LVC_OFF_SLOT_BYTES, LVC_WRITERS, LVC_SLOTS, LVC_SLOT_HEADER_BYTES,
  LVC_SLOT_OFF_SEQ, LVC_SLOT_OFF_UPDATES, LVC_SLOT_OFF_LAST_WRITER, LVC_SLOT_OFF_LAST_STAMP, LVC_BUSY,
  LVC_MAX_WRITERS, LVC_WRITER_ID_BITS, LVC_GENERATION_MASK,
} from "../src/cache/layout";
import {
  KIND_PADDING, KIND_QUOTE, KIND_DEPTH, OFF_KIND, OFF_LENGTH, OFF_SYMBOL_ID, OFF_EXCHANGE, OFF_PRICE_DECIMALS,
  ERR_SYMBOL, ERR_OUTPUT_FULL, ERR_EXCHANGE, ERR_DECIMALS, ERR_GIVEN_UP,
} from "../src/format/layout";
import { checkRecord, kindBytes, bookToTop } from "./record";

// @ts-ignore: decorator
@inline function slotAt(cache: usize, id: u32): usize {
  return cache + LVC_SLOTS + (<usize>id) * <usize>load<u32>(cache, LVC_OFF_SLOT_BYTES);
}

/** Whether the writer `holder` (id | generation << 10) has exited or been re-registered since. */
// @ts-ignore: decorator
@inline function holderGone(cache: usize, holder: u32): bool {
  const id = holder & (LVC_MAX_WRITERS - 1);
  const entry = atomic.load<u32>(cache + LVC_WRITERS + (<usize>id << 2));
  return (entry & 1) == 0 || ((entry >>> 1) & LVC_GENERATION_MASK) != holder >>> LVC_WRITER_ID_BITS;
}

/**
 * Takes the slot's lock for writer `owner`; returns the odd seq it holds (bit 32 set
 * when it took the slot over from an exited writer), or 0 after `spins` attempts met a
 * live holder.
 */
function lock(cache: usize, seq: usize, owner: u32, spins: u32): u64 {
  const mine = <u64>owner << 32;
  let w = atomic.load<u64>(seq);
  for (let i: u32 = 0; i < spins; i++) {
    const s = <u32>w;
    if ((s & 1) == 0) {
      const seen = atomic.cmpxchg<u64>(seq, w, <u64>(s + 1) | mine);
      if (seen == w) {
        atomic.load<u32>(seq); // acquire: no data store below is seen before the odd seq
        return <u64>(s + 1);
      }
      w = seen;
      continue;
    }
    if (holderGone(cache, <u32>(w >> 32))) {
      const seen = atomic.cmpxchg<u64>(seq, w, <u64>(s + 2) | mine);
      if (seen == w) {
        atomic.load<u32>(seq);
        return <u64>(s + 2) | (<u64>1 << 32);
      }
      w = seen;
      continue;
    }
    w = atomic.load<u64>(seq);
  }
  return 0;
}

/** Unlocks a slot locked at odd `s` by `owner`: false (nothing stored) if it is no longer ours. */
// @ts-ignore: decorator
@inline function unlock(seq: usize, s: u32, owner: u32): bool {
  const mine = <u64>owner << 32;
  return atomic.cmpxchg<u64>(seq, <u64>s | mine, <u64>(s + 1) | mine) == (<u64>s | mine);
}

/** Merges the record at `p` (kind `kind`) into the slot at `slot`; the caller holds the lock. */
// @ts-ignore: decorator
@inline function merge(slot: usize, p: usize, kind: u32, maxKind: u32): void {
  const rec = slot + LVC_SLOT_HEADER_BYTES;
  const k = min<u32>(kind, maxKind);
  const kept = max<u32>(k, <u32>load<u8>(rec, OFF_KIND));
  memory.copy(rec, p, <usize>kindBytes(k));
  store<u16>(rec, <u16>kindBytes(kept), OFF_LENGTH);
  store<u8>(rec, <u8>kept, OFF_KIND);
  // A QUOTE over a kept book: the book (and so the best bid/ask it implies) stays the latest DEPTH's.
  if (kept == KIND_DEPTH && k == KIND_QUOTE) bookToTop(rec);
  store<u32>(slot, load<u32>(slot, LVC_SLOT_OFF_UPDATES) + 1, LVC_SLOT_OFF_UPDATES);
}

/**
 * Applies the batch of `bytes` bytes of contiguous records at `src` to the cache:
 * each tick record (padding skipped) is merged into its symbol's slot under the
 * slot's sequence lock, as writer `owner` (id | generation << 10, registered in the
 * writer table). With `stampBase` ≠ 0 a record's stamp is stampBase + its offset in
 * the batch, and a record whose stamp is not newer than the last one this writer id
 * applied to its slot is skipped: a batch replayed after a restart neither goes back
 * in time nor counts twice.
 *
 * Returns the number of ticks applied (skipped replays included); or a negative code
 * with, in `status`, u32 the record's index, u32 its byte offset and u32 the ticks
 * applied before it: a bad header, a symbolId at or beyond capacity (ERR_SYMBOL), a
 * record whose exchange or priceDecimals differ from the slot's (ERR_EXCHANGE,
 * ERR_DECIMALS), LVC_BUSY (its slot stayed held by a live writer for `spins`
 * attempts: resume from that offset), or ERR_GIVEN_UP (this writer was declared
 * exited while it wrote). Records before it are applied.
 */
export function lvcApply(cache: usize, src: usize, bytes: u32, owner: u32, status: usize, stampBase: f64, spins: u32): i32 {
  const capacity = load<u32>(cache, LVC_OFF_CAPACITY);
  const maxKind = load<u32>(cache, LVC_OFF_MAX_KIND);
  const recordBytes = load<u32>(cache, LVC_OFF_SLOT_BYTES) - LVC_SLOT_HEADER_BYTES;
  const writer = owner & (LVC_MAX_WRITERS - 1);
  const base = <u64>stampBase;
  const end = <usize>bytes;
  let offset: usize = 0;
  let index: u32 = 0;
  let ticks: u32 = 0;
  while (offset < end) {
    const p = src + offset;
    const length = checkRecord(p, end - offset);
    if (length < 0) return fail(status, index, offset, ticks, length);
    const kind = <u32>load<u8>(p, OFF_KIND);
    if (kind != KIND_PADDING) {
      const id = load<u32>(p, OFF_SYMBOL_ID);
      if (id >= capacity) return fail(status, index, offset, ticks, ERR_SYMBOL);
      const slot = slotAt(cache, id);
      const seq = slot + LVC_SLOT_OFF_SEQ;
      const held = lock(cache, seq, owner, spins);
      if (held == 0) return fail(status, index, offset, ticks, LVC_BUSY);
      const s = <u32>held;
      const rec = slot + LVC_SLOT_HEADER_BYTES;
      if (held >> 32) {
        memory.fill(rec, 0, <usize>recordBytes);
        store<u32>(slot, 0, LVC_SLOT_OFF_LAST_WRITER);
        store<u64>(slot, 0, LVC_SLOT_OFF_LAST_STAMP);
      }
      const stamp = base == 0 ? 0 : base + <u64>offset;
      let bad: i32 = 0;
      if (load<u8>(rec, OFF_KIND) != 0 && load<u8>(rec, OFF_EXCHANGE) != load<u8>(p, OFF_EXCHANGE)) bad = ERR_EXCHANGE;
      else if (load<u8>(rec, OFF_KIND) != 0 && load<u8>(rec, OFF_PRICE_DECIMALS) != load<u8>(p, OFF_PRICE_DECIMALS)) bad = ERR_DECIMALS;
      else if (stamp == 0 || load<u32>(slot, LVC_SLOT_OFF_LAST_WRITER) != writer || stamp > load<u64>(slot, LVC_SLOT_OFF_LAST_STAMP)) {
        merge(slot, p, kind, maxKind);
        store<u32>(slot, writer, LVC_SLOT_OFF_LAST_WRITER);
        store<u64>(slot, stamp, LVC_SLOT_OFF_LAST_STAMP);
      }
      if (!unlock(seq, s, owner)) return fail(status, index, offset, ticks, ERR_GIVEN_UP);
      if (bad != 0) return fail(status, index, offset, ticks, bad);
      ticks++;
    }
    offset += <usize>length;
    index++;
  }
  return <i32>ticks;
}

/**
 * Copies a consistent snapshot of slot `slot`'s record to `dst` (4-aligned, owned
 * by the caller: its first word also serves as the reader's release point). Returns its
 * length, 0 when the slot holds no value yet, or LVC_BUSY when every one of
 * `spins` attempts met a writer.
 */
function readSlot(slot: usize, dst: usize, recordBytes: u32, spins: u32): i32 {
  const seq = slot + LVC_SLOT_OFF_SEQ;
  const rec = slot + LVC_SLOT_HEADER_BYTES;
  for (let i: u32 = 0; i < spins; i++) {
    const s1 = atomic.load<u32>(seq);
    if (s1 & 1) continue;
    // A racing writer can make these plain reads garbage: clamp, then let the seq check decide.
    const length = min<u32>(<u32>load<u16>(rec, OFF_LENGTH), recordBytes);
    const empty = load<u8>(rec, OFF_KIND) == 0;
    if (!empty) memory.copy(dst, rec, <usize>length);
    atomic.store<u32>(dst, load<u32>(dst)); // release on our own word: the copy's loads are done
    if (atomic.load<u32>(seq) == s1) return empty ? 0 : <i32>length;
  }
  return LVC_BUSY;
}

/** Copies symbol `id`'s latest record to `dst` (8-aligned): its length, 0 for no value yet, LVC_BUSY, or ERR_SYMBOL for an id beyond capacity. */
export function lvcRead(cache: usize, id: u32, dst: usize, spins: u32): i32 {
  if (dst & 7) return ERR_OUTPUT_FULL; // an unaligned atomic would trap
  if (id >= load<u32>(cache, LVC_OFF_CAPACITY)) return ERR_SYMBOL;
  return readSlot(slotAt(cache, id), dst, load<u32>(cache, LVC_OFF_SLOT_BYTES) - LVC_SLOT_HEADER_BYTES, spins);
}

/**
 * Copies the latest records of symbols `ids[0..count)` (u32 each) as one
 * contiguous batch to `dst` (8-aligned, at most `cap` bytes), skipping symbols
 * with no value. Returns the bytes written, or ERR_SYMBOL (`status` u32 = the bad
 * id's index) or ERR_OUTPUT_FULL (cap below one record). `status` gets u32 the ids
 * consumed and u32 1 when the call stopped at a slot busy for `spins` attempts
 * (retry from there), 0 when it stopped because it ran out of ids or room.
 */
export function lvcSnapshotIds(cache: usize, ids: usize, count: u32, dst: usize, cap: u32, spins: u32, status: usize): i32 {
  const capacity = load<u32>(cache, LVC_OFF_CAPACITY);
  const recordBytes = load<u32>(cache, LVC_OFF_SLOT_BYTES) - LVC_SLOT_HEADER_BYTES;
  if ((cap < recordBytes && count != 0) || (dst & 7)) return ERR_OUTPUT_FULL;
  let written: u32 = 0;
  let busy: u32 = 0;
  let i: u32 = 0;
  for (; i < count; i++) {
    const id = load<u32>(ids + (<usize>i << 2));
    if (id >= capacity) {
      store<u32>(status, i);
      store<u32>(status, 0, 4);
      return ERR_SYMBOL;
    }
    if (cap - written < recordBytes) break;
    const n = readSlot(slotAt(cache, id), dst + written, recordBytes, spins);
    if (n == LVC_BUSY) {
      busy = 1;
      break;
    }
    written += <u32>n;
  }
  store<u32>(status, i);
  store<u32>(status, busy, 4);
  return <i32>written;
}

/**
 * Copies the latest records of symbol ids `from..to-1` (clamped to capacity) as
 * one contiguous batch to `dst` (8-aligned, at most `cap` bytes), skipping ids
 * with no value. Returns the bytes written, or ERR_OUTPUT_FULL (cap below one
 * record). `status` gets u32 the next id and u32 1 when the call stopped at a slot
 * busy for `spins` attempts (the next id is that slot's), else 0.
 */
export function lvcSnapshotRange(cache: usize, from: u32, to: u32, dst: usize, cap: u32, spins: u32, status: usize): i32 {
  const end = min<u32>(to, load<u32>(cache, LVC_OFF_CAPACITY));
  const recordBytes = load<u32>(cache, LVC_OFF_SLOT_BYTES) - LVC_SLOT_HEADER_BYTES;
  if ((cap < recordBytes && from < end) || (dst & 7)) return ERR_OUTPUT_FULL;
  let written: u32 = 0;
  let busy: u32 = 0;
  let id = from;
  for (; id < end; id++) {
    if (cap - written < recordBytes) break;
    const n = readSlot(slotAt(cache, id), dst + written, recordBytes, spins);
    if (n == LVC_BUSY) {
      busy = 1;
      break;
    }
    written += <u32>n;
  }
  store<u32>(status, max<u32>(id, from));
  store<u32>(status, busy, 4);
  return <i32>written;
}

// @ts-ignore: decorator
@inline function fail(status: usize, index: u32, offset: usize, ticks: u32, code: i32): i32 {
  store<u32>(status, index);
  store<u32>(status, <u32>offset, 4);
  store<u32>(status, ticks, 8);
  return code;
}
