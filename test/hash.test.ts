// XXH64 and the symbol-key hash: published vectors, a reference implementation
// (xxhash-wasm) over random inputs, and the vectors of docs/PARTITION.md through
// every path that computes or stores a symbol hash.
import { test } from "uvu";
import * as assert from "uvu/assert";
import xxhash from "xxhash-wasm";
import { layout as L, type ExchangeName, exchangeCode } from "../src/index.js";
import { SymbolPartitioner } from "../src/partition/symbol-partitioner.js";
import { setup, rng } from "./helpers/fixtures.js";

const reference = await xxhash();
const { mem, table } = await setup(1 << 24, 1024);
const scratch = mem.allocate(4096, 8);
const partitioner = SymbolPartitioner.create(mem, { partitions: 4, symbols: table });
const encoder = new TextEncoder();

function wasmXxh64(bytes: Uint8Array, seed: bigint): bigint {
  mem.u8.set(bytes, scratch);
  return BigInt.asUintN(64, mem.core.xxh64(scratch, bytes.length, BigInt.asIntN(64, seed)));
}

// The hash32 the symbol table stored for `id` (entry offset 0).
function storedHash(id: number): number {
  const cells = mem.u32[(table.offset + L.SYMTAB_OFF_INDEX_MASK) >>> 2]! + 1;
  const entries = (table.offset + L.SYMTAB_HEADER_BYTES + cells * 4 + 63) & ~63;
  return mem.u32[(entries + id * L.SYMTAB_ENTRY_BYTES + L.SYMENT_OFF_HASH) >>> 2]!;
}

test("xxh64 gives the XXH64 reference vectors", () => {
  assert.is(wasmXxh64(encoder.encode(""), 0n), 0xef46db3751d8e999n);
  assert.is(wasmXxh64(encoder.encode("a"), 0n), 0xd24ec4f1a98c6e5bn);
  assert.is(wasmXxh64(encoder.encode("abc"), 0n), 0x44bc2cf5ad770999n);
});

test("xxh64 equals xxhash-wasm on 2 000 random inputs of 0..300 bytes and random 64-bit seeds", () => {
  const random = rng(7);
  for (let i = 0; i < 2000; i++) {
    const bytes = new Uint8Array(Math.floor(random() * 301));
    for (let j = 0; j < bytes.length; j++) bytes[j] = Math.floor(random() * 256);
    const seed = (BigInt(Math.floor(random() * 2 ** 32)) << 32n) | BigInt(Math.floor(random() * 2 ** 32));
    const want = reference.h64Raw(bytes, seed);
    const got = wasmXxh64(bytes, seed);
    if (got !== want) assert.unreachable(`length ${bytes.length} seed ${seed}: ${got.toString(16)} != ${want.toString(16)}`);
  }
});

test("xxh64 is the same at every alignment of its input", () => {
  const bytes = encoder.encode("BANKNIFTY24DEC2451000PE and some more bytes to pass 32");
  const want = reference.h64Raw(bytes, 3n);
  for (let shift = 0; shift < 8; shift++) {
    mem.u8.set(bytes, scratch + shift);
    assert.is(BigInt.asUintN(64, mem.core.xxh64(scratch + shift, bytes.length, 3n)), want, `shift ${shift}`);
  }
});

// docs/PARTITION.md, "Hash vectors": hash32 = fold(XXH64(UTF-8 name, seed = exchange code)).
const VECTORS: [ExchangeName, string, bigint, number][] = [
  ["NSE", "RELIANCE", 0x12266800acf5ebefn, 0xbed383ef],
  ["NFO", "NIFTY24DEC24000CE", 0xe793c8178b5eb3c0n, 0x6ccd7bd7],
  ["NFO", "BANKNIFTY24DEC2451000PE", 0xca60464f989fa7f8n, 0x52ffe1b7],
  ["NSE", "M&M", 0xa2a6efee7c60004an, 0xdec6efa4],
  ["NSE_INDEX", "NIFTY 50", 0x90c2ddb9fc64f1e5n, 0x6ca62c5c],
  ["CDS", "USDINR24DECFUT", 0xda7a075f1002274cn, 0xca782013],
  ["CRYPTO", "BTCUSDT", 0xd11f8b18c31d8718n, 0x12020c00],
  ["NSE_INDEX", "Nifty 50 — ₹", 0xd036a23b3447ca5bn, 0xe4716860],
];

test("symbol-key hash vectors (docs/PARTITION.md) hold in the reference, the core, the partitioner and the symbol table", () => {
  for (const [exchange, symbol, h64, h32] of VECTORS) {
    const seed = BigInt(exchangeCode(exchange));
    const bytes = encoder.encode(symbol);
    assert.is(reference.h64Raw(bytes, seed), h64, `${exchange}:${symbol} reference`);
    assert.is(wasmXxh64(bytes, seed), h64, `${exchange}:${symbol} core`);
    assert.is(Number((h64 ^ (h64 >> 32n)) & 0xffffffffn), h32, `${exchange}:${symbol} fold`);
    assert.is(partitioner.hashOf(exchange, symbol), h32, `${exchange}:${symbol} hashOf`);
    assert.is(storedHash(table.intern(exchange, symbol)), h32, `${exchange}:${symbol} stored by the symbol table`);
  }
});

test("the exchange is part of the key: one name on two exchanges hashes apart", () => {
  assert.is.not(partitioner.hashOf("NSE", "RELIANCE"), partitioner.hashOf("BSE", "RELIANCE"));
});

test.run();
