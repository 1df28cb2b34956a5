// The fan-out gather's shared layout, read by both compilers (AssemblyScript and TypeScript):
// plain numeric constants only. One gather context per proxy thread; one client slot per
// connection; one subscriber entry per (symbol, client).

/** Context fields (bytes from the context's start). u32 unless said otherwise. */
export const GX_SRC = 0;             // in: batch of records (a proven-intact copy)
export const GX_BYTES = 4;           // in: its length
export const GX_SYMTAB = 8;          // in: symbol table
export const GX_BROKER = 12;         // in: broker name bytes
export const GX_BROKER_LEN = 16;     // in
export const GX_EXTRAS = 20;         // in: RENDER_* bits (sdk aliases, receive time)
export const GX_TIMESTAMP_MS = 24;   // in: f64, the "timestamp" of JSON messages
export const GX_SUB_INDEX = 32;      // in: u32[symbols + 1]: entries of symbol s are [index[s], index[s+1])
export const GX_SUB_ENTRIES = 36;    // in: GE_BYTES each
export const GX_SUB_SYMBOLS = 40;    // in: symbols the index covers (ids at or past it have no subscriber)
export const GX_CLIENTS = 44;        // in: client table, GC_BYTES a slot
export const GX_SCRATCH = 48;        // in: render cache (JSON messages of this call)
export const GX_SCRATCH_BYTES = 52;  // in
export const GX_MSG_INDEX = 56;      // in: u32[maxRecords * 3 * 2]: start, end of each (record, mode) message in scratch
export const GX_MAX_RECORDS = 60;    // in: records one call takes at most
export const GX_OUT = 64;            // in: frames for every client, each client's back to back
export const GX_OUT_BYTES = 68;      // in
export const GX_TOUCHED = 72;        // in: u32[max clients]: slots with output (or conflation) this call
export const GX_TOUCHED_COUNT = 76;  // out
export const GX_CONSUMED = 80;       // out: bytes of the batch taken (whole records)
export const GX_STATUS = 84;         // out: index of the record an error names
export const GX_RECORDS = 88;        // out: records taken (padding excluded)
export const GX_OUT_USED = 92;       // out: bytes of GX_OUT the frames of this call fill (every client's, back to back from its start)
export const GX_CONTEXT_BYTES = 96;

/** A subscriber entry: which client, at which modes, and from which seq on. */
export const GE_SLOT = 0;            // u32 client slot
export const GE_MODES = 4;           // u32: bit (mode - 1) per mode subscribed
export const GE_AFTER_SEQ = 8;       // u64: records with seq ≤ this are not newer than a value the client was sent: superseded, counted
export const GE_SINCE_SEQ = 16;      // u64: records with seq ≤ this predate the subscription (its first snapshot): skipped, not counted
export const GE_BYTES = 24;

/** A client slot. */
export const GC_FLAGS = 0;           // u32: GF_* bits (0: free)
export const GC_OUT_START = 4;       // out: its frames in GX_OUT
export const GC_OUT_BYTES = 8;       // out
export const GC_TICKS = 12;          // out: ticks (messages; binary: records) in its frames this call
export const GC_CONFLATED = 16;      // out: ticks superseded this call (already pending while conflating, or not newer than a value it was sent)
export const GC_PENDING = 20;        // out: symbols newly marked pending this call (conflating)
export const GC_DIRTY = 24;          // in: offset of its pending bitmap (1 bit a symbol), when conflating
export const GC_WORK = 28;           // scratch of the call
export const GC_BYTES = 32;

export const GF_ACTIVE = 1;          // connected and authenticated: frames are made for it
export const GF_BINARY = 2;          // binary frames of records instead of JSON text frames
export const GF_CONFLATING = 4;      // slow: ticks only mark its symbols pending (latest sent on recovery)
export const GF_TOUCHED = 8;         // scratch: listed in GX_TOUCHED this call

/** Bytes of a WebSocket frame header for a payload of `n` bytes (server frames: unmasked). */
export const WS_HEADER_MAX = 10;
