// The proxy's fan-out in one call per batch: for every record of a proven-intact batch, find
// its symbol's subscribers (an index by symbol id, so the cost follows deliveries, not clients
// × records), render each (record, mode) JSON message once, on first need, and write every
// client's frames back to back — JSON clients get one text frame per message, binary clients
// one binary frame per batch of records cut to their mode. A conflating (slow) client's ticks
// only mark its symbol pending in its bitmap; the host sends the latest values on recovery.
// Two passes: sizes first (so the output never overflows and nothing is half written), then copies.

import {
  KIND_PADDING, OFF_KIND, OFF_LENGTH, OFF_SYMBOL_ID, OFF_SEQ, SYMTAB_OFF_CAPACITY, SYMTAB_ENTRY_BYTES,
  SYMENT_OFF_NAME, SYMENT_OFF_NAME_LENGTH, JSON_MESSAGE_MAX_BYTES,
  BROKER_MAX_BYTES, ERR_OUTPUT_FULL, ERR_BROKER,
} from "../src/format/layout";
import {
  GX_SRC, GX_BYTES, GX_SYMTAB, GX_BROKER, GX_BROKER_LEN, GX_EXTRAS, GX_TIMESTAMP_MS, GX_SUB_INDEX, GX_SUB_ENTRIES,
  GX_SUB_SYMBOLS, GX_CLIENTS, GX_SCRATCH, GX_SCRATCH_BYTES, GX_MSG_INDEX, GX_MAX_RECORDS, GX_OUT, GX_OUT_BYTES,
  GX_TOUCHED, GX_TOUCHED_COUNT, GX_CONSUMED, GX_STATUS, GX_RECORDS, GX_OUT_USED, GE_SLOT, GE_MODES, GE_AFTER_SEQ, GE_SINCE_SEQ, GE_BYTES,
  GC_FLAGS, GC_OUT_START, GC_OUT_BYTES, GC_TICKS, GC_CONFLATED, GC_PENDING, GC_DIRTY, GC_WORK, GC_BYTES,
  GF_ACTIVE, GF_BINARY, GF_CONFLATING, GF_TOUCHED, WS_HEADER_MAX,
} from "../src/fanout/layout";
import { checkRecord, kindBytes } from "./record";
import { symtabEntries } from "./symbols";
import { renderOne, renderable } from "./json";

const NOT_RENDERED: u32 = 0xffffffff;


// @ts-ignore: decorator
@inline function headerBytes(n: u32): u32 {
  return n < 126 ? 2 : n < 65536 ? 4 : 10;
}

/** Writes a final, unmasked frame header (opcode 1 text, 2 binary) for `n` payload bytes; returns the byte after it. */
function putHeader(p: usize, opcode: u32, n: u32): usize {
  store<u8>(p, <u8>(0x80 | opcode));
  if (n < 126) {
    store<u8>(p, <u8>n, 1);
    return p + 2;
  }
  if (n < 65536) {
    store<u8>(p, 126, 1);
    store<u8>(p, <u8>(n >>> 8), 2);
    store<u8>(p, <u8>n, 3);
    return p + 4;
  }
  store<u8>(p, 127, 1);
  store<u32>(p + 2, 0);
  store<u8>(p, <u8>(n >>> 24), 6);
  store<u8>(p, <u8>(n >>> 16), 7);
  store<u8>(p, <u8>(n >>> 8), 8);
  store<u8>(p, <u8>n, 9);
  return p + 10;
}

/** The client a subscriber entry gets frames for with this record (0: none — inactive, conflating, or the record is not newer than what it was sent). */
// @ts-ignore: decorator
@inline function frameClient(entry: usize, seq: u64, clients: usize): usize {
  if (seq <= load<u64>(entry, GE_AFTER_SEQ)) return 0;
  const client = clients + <usize>load<u32>(entry, GE_SLOT) * GC_BYTES;
  const flags = load<u32>(client, GC_FLAGS);
  return (flags & GF_ACTIVE) == 0 || (flags & GF_CONFLATING) != 0 ? 0 : client;
}

/** The highest mode in `modes` (bits) that a record of `kind` can serve, 0 if none. */
// @ts-ignore: decorator
@inline function binaryMode(modes: u32, kind: u32): u32 {
  const m = modes & ((1 << kind) - 1);
  return m == 0 ? 0 : 32 - clz(m);
}

/**
 * Makes the frames of one batch (the context's GX_* fields, src/fanout/layout.ts). Returns the
 * number of clients touched (listed at GX_TOUCHED), or a negative error with the record's index
 * at GX_STATUS: ERR_OUTPUT_FULL when not even the first record's frames fit, a record error
 * (checkRecord's, or renderable's) for a record that cannot be rendered.
 */
export function fanoutGather(ctx: usize): i32 {
  const src = <usize>load<u32>(ctx, GX_SRC);
  const bytes = <usize>load<u32>(ctx, GX_BYTES);
  const symtab = <usize>load<u32>(ctx, GX_SYMTAB);
  const broker = <usize>load<u32>(ctx, GX_BROKER);
  const brokerLen = <usize>load<u32>(ctx, GX_BROKER_LEN);
  const extras = load<u32>(ctx, GX_EXTRAS);
  const ts = <i64>load<f64>(ctx, GX_TIMESTAMP_MS);
  const subIndex = <usize>load<u32>(ctx, GX_SUB_INDEX);
  const subEntries = <usize>load<u32>(ctx, GX_SUB_ENTRIES);
  const subSymbols = load<u32>(ctx, GX_SUB_SYMBOLS);
  const clients = <usize>load<u32>(ctx, GX_CLIENTS);
  const scratch = <usize>load<u32>(ctx, GX_SCRATCH);
  const scratchEnd = scratch + <usize>load<u32>(ctx, GX_SCRATCH_BYTES) - <usize>(JSON_MESSAGE_MAX_BYTES + BROKER_MAX_BYTES);
  const msgIndex = <usize>load<u32>(ctx, GX_MSG_INDEX);
  const maxRecords = load<u32>(ctx, GX_MAX_RECORDS);
  const out = <usize>load<u32>(ctx, GX_OUT);
  const outBytes = <usize>load<u32>(ctx, GX_OUT_BYTES);
  const touched = <usize>load<u32>(ctx, GX_TOUCHED);
  if (brokerLen > <usize>BROKER_MAX_BYTES || scratchEnd <= scratch) return ERR_BROKER;
  const capacity = load<u32>(symtab, SYMTAB_OFF_CAPACITY);
  const entries = symtabEntries(symtab);
  memory.fill(msgIndex, 0xff, <usize>maxRecords * 24);

  // Pass 1: what each record adds to each client, records taken while it all fits.
  let touchedCount: u32 = 0;
  let total: usize = 0;
  let scratchP = scratch;
  let offset: usize = 0;
  let index: u32 = 0;
  let records: u32 = 0;
  while (offset < bytes && index < maxRecords) {
    const rec = src + offset;
    const length = checkRecord(rec, bytes - offset);
    if (length < 0) return fail(ctx, index, length, clients, touched, touchedCount);
    const kind = <u32>load<u8>(rec, OFF_KIND);
    const id = load<u32>(rec, OFF_SYMBOL_ID);
    if (kind != KIND_PADDING && id < subSymbols) {
      const first = <usize>load<u32>(subIndex + (<usize>id << 2));
      const last = <usize>load<u32>(subIndex + (<usize>id << 2), 4);
      const seq = load<u64>(rec, OFF_SEQ);
      // Sizes, rendering each needed message once.
      let need: usize = 0;
      for (let e = first; e < last; e++) {
        const entry = subEntries + e * GE_BYTES;
        const client = frameClient(entry, seq, clients);
        if (client == 0) continue;
        const flags = load<u32>(client, GC_FLAGS);
        const modes = load<u32>(entry, GE_MODES);
        if (flags & GF_BINARY) {
          const m = binaryMode(modes, kind);
          if (m == 0) continue;
          // The same rule as for JSON: a record that disagrees with its symbol is nobody's.
          const bad = renderable(rec, m, capacity, entries);
          if (bad != 0) return fail(ctx, index, bad, clients, touched, touchedCount);
          need += <usize>kindBytes(m) + ((flags & GF_TOUCHED) == 0 ? <usize>WS_HEADER_MAX : 0);
          continue;
        }
        for (let m: u32 = 1; m <= kind; m++) {
          if ((modes & (1 << (m - 1))) == 0) continue;
          const slot = msgIndex + ((<usize>index * 3 + <usize>(m - 1)) << 3);
          if (load<u32>(slot) == NOT_RENDERED) {
            if (scratchP > scratchEnd) break;
            const bad = renderable(rec, m, capacity, entries);
            if (bad != 0) return fail(ctx, index, bad, clients, touched, touchedCount);
            const sym = entries + <usize>id * SYMTAB_ENTRY_BYTES;
            const end = renderOne(scratchP, rec, kind, m, sym + SYMENT_OFF_NAME, <usize>load<u8>(sym, SYMENT_OFF_NAME_LENGTH), broker, brokerLen, ts, extras);
            store<u32>(slot, <u32>(scratchP - scratch));
            store<u32>(slot, <u32>(end - scratch), 4);
            scratchP = end;
          }
          const n = load<u32>(slot, 4) - load<u32>(slot);
          need += <usize>(headerBytes(n) + n);
        }
      }
      // A render that found the scratch full left its message unrendered: stop before this record.
      const rendered = scratchP <= scratchEnd || allRendered(index, kind, first, last, subEntries, clients, msgIndex, seq);
      if (!rendered || total + need > outBytes) {
        if (index == 0) return fail(ctx, index, ERR_OUTPUT_FULL, clients, touched, touchedCount);
        break;
      }
      total += need;
      // Commit this record to its clients.
      for (let e = first; e < last; e++) {
        const entry = subEntries + e * GE_BYTES;
        const slotNo = load<u32>(entry, GE_SLOT);
        const client = clients + <usize>slotNo * GC_BYTES;
        const flags = load<u32>(client, GC_FLAGS);
        if ((flags & GF_ACTIVE) == 0) continue;
        const modes = load<u32>(entry, GE_MODES);
        if ((modes & ((1 << kind) - 1)) == 0) continue;
        if ((flags & GF_TOUCHED) == 0) {
          store<u32>(client, flags | GF_TOUCHED, GC_FLAGS);
          store<u32>(client, 0, GC_OUT_BYTES);
          store<u32>(client, 0, GC_TICKS);
          store<u32>(client, 0, GC_CONFLATED);
          store<u32>(client, 0, GC_PENDING);
          store<u32>(touched + (<usize>touchedCount << 2), slotNo);
          touchedCount++;
        }
        if (seq <= load<u64>(entry, GE_AFTER_SEQ)) {
          // Before the subscription: not the client's. Else older than a value it was sent since: superseded, counted.
          if (seq <= load<u64>(entry, GE_SINCE_SEQ)) continue;
          store<u32>(client, load<u32>(client, GC_CONFLATED) + 1, GC_CONFLATED);
          continue;
        }
        if (flags & GF_CONFLATING) {
          const word = <usize>load<u32>(client, GC_DIRTY) + ((<usize>id >>> 5) << 2);
          const bit: u32 = 1 << (id & 31);
          const w = load<u32>(word);
          if (w & bit) store<u32>(client, load<u32>(client, GC_CONFLATED) + 1, GC_CONFLATED);
          else {
            store<u32>(word, w | bit);
            store<u32>(client, load<u32>(client, GC_PENDING) + 1, GC_PENDING);
          }
          continue;
        }
        if (flags & GF_BINARY) {
          const m = binaryMode(modes, kind);
          if (m == 0) continue;
          store<u32>(client, load<u32>(client, GC_OUT_BYTES) + kindBytes(m), GC_OUT_BYTES);
          store<u32>(client, load<u32>(client, GC_TICKS) + 1, GC_TICKS);
          continue;
        }
        for (let m: u32 = 1; m <= kind; m++) {
          if ((modes & (1 << (m - 1))) == 0) continue;
          const slot = msgIndex + ((<usize>index * 3 + <usize>(m - 1)) << 3);
          const n = load<u32>(slot, 4) - load<u32>(slot);
          store<u32>(client, load<u32>(client, GC_OUT_BYTES) + headerBytes(n) + n, GC_OUT_BYTES);
          store<u32>(client, load<u32>(client, GC_TICKS) + 1, GC_TICKS);
        }
      }
    }
    if (kind != KIND_PADDING) records++;
    offset += <usize>length;
    index++;
  }

  // Place each touched client's frames; a binary client's one frame gets its header now.
  let at = out;
  for (let t: u32 = 0; t < touchedCount; t++) {
    const client = clients + <usize>load<u32>(touched + (<usize>t << 2)) * GC_BYTES;
    const flags = load<u32>(client, GC_FLAGS);
    store<u32>(client, flags & ~GF_TOUCHED, GC_FLAGS);
    const payload = load<u32>(client, GC_OUT_BYTES);
    store<u32>(client, <u32>(at - out), GC_OUT_START);
    if (payload == 0) {
      store<u32>(client, <u32>at, GC_WORK);
      continue;
    }
    let p = at;
    if (flags & GF_BINARY) {
      p = putHeader(at, 2, payload);
      store<u32>(client, payload + <u32>(p - at), GC_OUT_BYTES);
    }
    store<u32>(client, <u32>p, GC_WORK);
    at += <usize>load<u32>(client, GC_OUT_BYTES);
  }

  // Pass 2: copy, in record order, into each client's place.
  const taken = offset;
  offset = 0;
  for (let i: u32 = 0; offset < taken; i++) {
    const rec = src + offset;
    const length = <usize>load<u16>(rec, OFF_LENGTH);
    const kind = <u32>load<u8>(rec, OFF_KIND);
    const id = load<u32>(rec, OFF_SYMBOL_ID);
    offset += length;
    if (kind == KIND_PADDING || id >= subSymbols) continue;
    const first = <usize>load<u32>(subIndex + (<usize>id << 2));
    const last = <usize>load<u32>(subIndex + (<usize>id << 2), 4);
    const seq = load<u64>(rec, OFF_SEQ);
    for (let e = first; e < last; e++) {
      const entry = subEntries + e * GE_BYTES;
      const client = frameClient(entry, seq, clients);
      if (client == 0) continue;
      const flags = load<u32>(client, GC_FLAGS);
      const modes = load<u32>(entry, GE_MODES);
      let p = <usize>load<u32>(client, GC_WORK);
      if (flags & GF_BINARY) {
        const m = binaryMode(modes, kind);
        if (m == 0) continue;
        const n = kindBytes(m);
        memory.copy(p, rec, n);
        // The kinds nest: the first n bytes are a valid record of kind m once its header says so.
        store<u16>(p, <u16>n, OFF_LENGTH);
        store<u8>(p, <u8>m, OFF_KIND);
        store<u32>(client, <u32>(p + n), GC_WORK);
        continue;
      }
      for (let m: u32 = 1; m <= kind; m++) {
        if ((modes & (1 << (m - 1))) == 0) continue;
        const slot = msgIndex + ((<usize>i * 3 + <usize>(m - 1)) << 3);
        const s = load<u32>(slot);
        const n = load<u32>(slot, 4) - s;
        p = putHeader(p, 1, n);
        memory.copy(p, scratch + <usize>s, n);
        p += n;
      }
      store<u32>(client, <u32>p, GC_WORK);
    }
  }
  store<u32>(ctx, touchedCount, GX_TOUCHED_COUNT);
  store<u32>(ctx, <u32>taken, GX_CONSUMED);
  store<u32>(ctx, records, GX_RECORDS);
  store<u32>(ctx, <u32>(at - out), GX_OUT_USED);
  return <i32>touchedCount;
}

/** Reports error `code` for record `index`, leaving the client table as it was found (no slot marked touched). */
function fail(ctx: usize, index: u32, code: i32, clients: usize, touched: usize, touchedCount: u32): i32 {
  for (let t: u32 = 0; t < touchedCount; t++) {
    const client = clients + <usize>load<u32>(touched + (<usize>t << 2)) * GC_BYTES;
    store<u32>(client, load<u32>(client, GC_FLAGS) & ~GF_TOUCHED, GC_FLAGS);
  }
  store<u32>(ctx, index, GX_STATUS);
  return code;
}

/** Whether every message the record's active JSON subscribers need was rendered (false when the scratch ran out). */
function allRendered(index: u32, kind: u32, first: usize, last: usize, subEntries: usize, clients: usize, msgIndex: usize, seq: u64): bool {
  for (let e = first; e < last; e++) {
    const entry = subEntries + e * GE_BYTES;
    const client = frameClient(entry, seq, clients);
    if (client == 0 || (load<u32>(client, GC_FLAGS) & GF_BINARY) != 0) continue;
    const modes = load<u32>(entry, GE_MODES);
    for (let m: u32 = 1; m <= kind; m++) {
      if ((modes & (1 << (m - 1))) != 0 && load<u32>(msgIndex + ((<usize>index * 3 + <usize>(m - 1)) << 3)) == NOT_RENDERED) return false;
    }
  }
  return true;
}
