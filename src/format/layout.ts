// The tick record layout: the one definition of every offset, read by both the
// AssemblyScript core (assembly/) and the TypeScript layer (src/). Keep this file
// free of types and imports that only one of the two compilers understands.
//
// A record is 1, 3 or 6 slots of 64 bytes, little-endian, 8-byte aligned fields.
// The kinds nest: a Quote is an LTP plus slots 1-2, a Depth is a Quote plus
// slots 3-5, so every field sits at one offset whatever the kind.
//
//  slot 0 (every kind) ───────────────────────────────────────────────────────
//   0 u16 length     record bytes: 64 LTP, 192 QUOTE, 384 DEPTH (padding: any multiple of 64)
//   2 u8  kind       1 LTP · 2 QUOTE · 3 DEPTH · 255 PADDING (0 = never written)
//   3 u8  version    FORMAT_VERSION
//   4 u32 symbolId   interned (exchange, symbol), see the symbol table
//   8 u64 seq        publisher's sequence number
//  16 u64 recvTimeNs receive time on the shared monotonic clock, ns
//  24 u8  exchange   Exchange code (1..14)
//  25 u8  priceDecimals  every price field is an integer of 10^-priceDecimals units
//  26 u16 flags      reserved, 0
//  28 u32 lastQty    last traded quantity
//  32 i64 ltp        last traded price (scaled)
//  40 i64 exchTimeMs exchange/feed time, ms since the Unix epoch
//  48 i64 lastTradeTimeMs  ms since the Unix epoch
//  56 i32 changeBp   percent change in hundredths of a percent (-1.05% = -105)
//  60 u32 reserved
//  slot 1 (QUOTE, DEPTH) ─────────────────────────────────────────────────────
//  64 i64 avgPrice   72 i64 open   80 i64 high   88 i64 low   96 i64 close
// 104 u64 volume    112 u64 oi    120 i64 bid (best bid price)
//  slot 2 (QUOTE, DEPTH) ─────────────────────────────────────────────────────
// 128 i64 ask       136 u32 bidQty   140 u32 askQty
// 144 u64 totalBuyQty   152 u64 totalSellQty
// 160 i64 upperCircuit  168 i64 lowerCircuit   176..191 reserved
//  slots 3-5 (DEPTH) ─────────────────────────────────────────────────────────
// 192 5 × bid level {i64 price, u32 qty, u32 orders}  (16 bytes each, best first)
// 272 5 × ask level {i64 price, u32 qty, u32 orders}
// 352..383 reserved
//
// The *stage* form (what batch encode reads and batch decode writes) has the same
// layout except that every price field is an f64 in natural units (2500.05, not
// 250005), so plain JS can fill it through a Float64Array.

export const SLOT_BYTES = 64;
export const SLOT_SHIFT = 6;
export const FORMAT_VERSION = 1;

export const KIND_LTP = 1;
export const KIND_QUOTE = 2;
export const KIND_DEPTH = 3;
export const KIND_PADDING = 255;

export const LTP_BYTES = 64;
export const QUOTE_BYTES = 192;
export const DEPTH_BYTES = 384;
/** Largest record the format defines; rings use it to size their largest claim. */
export const MAX_RECORD_BYTES = 384;

export const OFF_LENGTH = 0;
export const OFF_KIND = 2;
export const OFF_VERSION = 3;
export const OFF_SYMBOL_ID = 4;
export const OFF_SEQ = 8;
export const OFF_RECV_TIME_NS = 16;
export const OFF_EXCHANGE = 24;
export const OFF_PRICE_DECIMALS = 25;
export const OFF_FLAGS = 26;
export const OFF_LAST_QTY = 28;
export const OFF_LTP = 32;
export const OFF_EXCH_TIME_MS = 40;
export const OFF_LAST_TRADE_TIME_MS = 48;
export const OFF_CHANGE_BP = 56;

export const OFF_AVG_PRICE = 64;
export const OFF_OPEN = 72;
export const OFF_HIGH = 80;
export const OFF_LOW = 88;
export const OFF_CLOSE = 96;
export const OFF_VOLUME = 104;
export const OFF_OI = 112;
export const OFF_BID = 120;

export const OFF_ASK = 128;
export const OFF_BID_QTY = 136;
export const OFF_ASK_QTY = 140;
export const OFF_TOTAL_BUY_QTY = 144;
export const OFF_TOTAL_SELL_QTY = 152;
export const OFF_UPPER_CIRCUIT = 160;
export const OFF_LOWER_CIRCUIT = 168;

export const OFF_DEPTH_BIDS = 192;
export const OFF_DEPTH_ASKS = 272;
export const DEPTH_LEVELS = 5;
export const LEVEL_BYTES = 16;
export const LEVEL_OFF_PRICE = 0;
export const LEVEL_OFF_QTY = 8;
export const LEVEL_OFF_ORDERS = 12;

/** Largest priceDecimals accepted (at 9, prices reach ±2 251 799.813685247). */
export const MAX_PRICE_DECIMALS = 9;
/**
 * Largest |scaled price|: 2^51 - 1. Below 2^51 a scaled integer m and the double
 * m / 10^d determine each other (the double nearest the decimal, and round(v × 10^d)
 * back), so a price read as a number and written back is the same integer; between
 * 2^51 and 2^53 one double can stand for two decimals.
 */
export const MAX_SCALED_PRICE = 2251799813685247;

/** Longest padding record: the u16 length field, rounded down to a slot. */
export const PADDING_MAX_BYTES = 65472;

// Exchange codes (u8). 0 is invalid.
export const EXCHANGE_NSE = 1;
export const EXCHANGE_BSE = 2;
export const EXCHANGE_NFO = 3;
export const EXCHANGE_BFO = 4;
export const EXCHANGE_CDS = 5;
export const EXCHANGE_BCD = 6;
export const EXCHANGE_MCX = 7;
export const EXCHANGE_NCDEX = 8;
export const EXCHANGE_NCO = 9;
export const EXCHANGE_NSE_INDEX = 10;
export const EXCHANGE_BSE_INDEX = 11;
export const EXCHANGE_MCX_INDEX = 12;
export const EXCHANGE_GLOBAL_INDEX = 13;
export const EXCHANGE_CRYPTO = 14;
export const EXCHANGE_COUNT = 14;

// Symbol table region.
//   0 u32 magic   4 u32 capacity (max symbols)   8 u32 count (atomic)   12 u32 indexMask
//  64 u32 index[indexMask + 1]   cell = id + 1, 0 empty, 0xFFFFFFFF being written
//  then entries[capacity], 64 bytes each, 64-aligned:
//   0 u32 hash32   4 u8 exchange   5 u8 nameLength   6 u8 priceDecimals   7 u8 reserved
//   8 name, well-formed UTF-8, 1..SYMBOL_MAX_BYTES bytes, no control character
//     (C0, DEL, C1), quote, backslash or U+FEFF
export const SYMTAB_MAGIC = 0x424d5954; // "TYMB" little-endian
export const SYMTAB_OFF_MAGIC = 0;
export const SYMTAB_OFF_CAPACITY = 4;
export const SYMTAB_OFF_COUNT = 8;
export const SYMTAB_OFF_INDEX_MASK = 12;
export const SYMTAB_HEADER_BYTES = 64;
export const SYMTAB_ENTRY_BYTES = 64;
export const SYMENT_OFF_HASH = 0;
export const SYMENT_OFF_EXCHANGE = 4;
export const SYMENT_OFF_NAME_LENGTH = 5;
export const SYMENT_OFF_PRICE_DECIMALS = 6;
export const SYMENT_OFF_NAME = 8;
export const SYMBOL_MAX_BYTES = 56;
export const SYMTAB_CELL_BUSY = 0xffffffff;

// Status codes returned by the Wasm core (negative) and carried by TickwireError.
export const OK = 0;
export const ERR_TRUNCATED = -1;
export const ERR_VERSION = -2;
export const ERR_KIND = -3;
export const ERR_LENGTH = -4;
export const ERR_PRICE = -5;
export const ERR_DECIMALS = -6;
export const ERR_EXCHANGE = -7;
export const ERR_SYMBOL = -8;
export const ERR_TABLE_FULL = -9;
export const ERR_OUTPUT_FULL = -10;
export const ERR_BROKER = -11;
export const ERR_PRECISION = -12;
export const ERR_BOOK = -13;
export const ERR_GIVEN_UP = -14;

/** Upper bound of one rendered JSON message, broker name excluded (a Depth message is ~1.1 KiB at most). */
export const JSON_MESSAGE_MAX_BYTES = 2048;
/** Longest broker name the renderer accepts. */
export const BROKER_MAX_BYTES = 64;
