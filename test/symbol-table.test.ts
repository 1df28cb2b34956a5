// The symbol table: concurrent interning from real worker threads (the same keys
// and disjoint keys at once), a table filling up under concurrency, bad keys.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { TickwireMemory, SymbolTable, TickwireError, type ExchangeName } from "../src/index.js";
import { startWorker } from "../src/node/start-worker.js";
import { nseSymbolKeys } from "./helpers/nse-symbols.js";
import { rng } from "./helpers/fixtures.js";

const WORKERS = 4;
type Key = [ExchangeName, string];

function result(worker: ReturnType<typeof startWorker>, timeoutMs: number): Promise<any> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { void worker.terminate(); reject(new Error("worker timed out")); }, timeoutMs);
    worker.once("message", (m) => { clearTimeout(timer); resolve(m); void worker.terminate(); });
    worker.once("error", (e) => { clearTimeout(timer); reject(e); });
  });
}

function shuffled<T>(list: T[], seed: number): T[] {
  const random = rng(seed);
  const out = list.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

// Starts one worker per key list, releases them together, returns their results.
async function internAll(mem: TickwireMemory, table: SymbolTable, lists: Key[][]) {
  const start = mem.allocate(8, 8);
  const workers = lists.map((keys) => result(startWorker(new URL("./workers/intern-worker.ts", import.meta.url), {
    workerData: { handle: mem.handle(), table: table.offset, start, keys },
  }), 60_000));
  const deadline = Date.now() + 30_000;
  while (Atomics.load(mem.i32, (start >>> 2) + 1) < lists.length && Date.now() < deadline) await new Promise((f) => setTimeout(f, 5));
  Atomics.store(mem.i32, start >>> 2, 1);
  Atomics.notify(mem.i32, start >>> 2);
  return Promise.all(workers) as Promise<{ ids: number[]; errors: Record<string, number> }[]>;
}

const KEYS: Key[] = nseSymbolKeys(12_000).map((k) => [k.exchange, k.symbol]);

test("4 workers intern 4 000 shared keys (each in its own order) and 2 000 keys of their own at once: one id per key, dense, none lost", async () => {
  const mem = await TickwireMemory.create({ bytes: 1 << 24 });
  const table = SymbolTable.create(mem, 16_384);
  const shared = KEYS.slice(0, 4000);
  const own = (w: number) => KEYS.slice(4000 + w * 2000, 6000 + w * 2000);
  // Interleave shared and own keys so both kinds of race happen all the time.
  const lists = Array.from({ length: WORKERS }, (_, w) => shuffled([...shared, ...own(w)], w + 1));
  const results = await internAll(mem, table, lists);
  const idOf = new Map<string, number>();
  results.forEach((r, w) => {
    assert.equal(r.errors, {}, `worker ${w}`);
    lists[w]!.forEach(([exchange, symbol], i) => {
      const key = `${exchange}:${symbol}`;
      const id = r.ids[i]!;
      const seen = idOf.get(key);
      if (seen !== undefined && seen !== id) assert.unreachable(`${key}: worker ${w} got id ${id}, another worker ${seen}`);
      idOf.set(key, id);
    });
  });
  const total = 4000 + WORKERS * 2000;
  assert.is(idOf.size, total);
  assert.is(table.size, total);
  const ids = [...idOf.values()].sort((a, b) => a - b);
  assert.equal(ids, Array.from({ length: total }, (_, i) => i), "ids are 0..n-1, each once");
  for (const [key, id] of idOf) {
    const info = table.get(id);
    assert.is(`${info.exchange}:${info.symbol}`, key, `entry ${id}`);
    assert.is(table.find(info.exchange, info.symbol), id);
  }
});

test("a table filling up under 4 workers hands out exactly its capacity, never one id twice, and says TABLE_FULL for the rest", async () => {
  const mem = await TickwireMemory.create({ bytes: 1 << 24 });
  const table = SymbolTable.create(mem, 3000);
  const lists = Array.from({ length: WORKERS }, (_, w) => shuffled(KEYS.slice(0, 2000), w + 11).concat(KEYS.slice(2000 + w * 500, 2500 + w * 500)));
  const results = await internAll(mem, table, lists);
  const idOf = new Map<string, number>();
  let full = 0;
  results.forEach((r, w) => {
    assert.equal(Object.keys(r.errors).filter((c) => c !== "TABLE_FULL"), [], `worker ${w}`);
    full += r.errors.TABLE_FULL ?? 0;
    lists[w]!.forEach(([exchange, symbol], i) => {
      if (r.ids[i] === -1) return;
      const key = `${exchange}:${symbol}`;
      const seen = idOf.get(key);
      if (seen !== undefined && seen !== r.ids[i]) assert.unreachable(`${key}: ids ${seen} and ${r.ids[i]}`);
      idOf.set(key, r.ids[i]!);
    });
  });
  assert.is(table.size, 3000);
  assert.is(idOf.size, 3000);
  assert.equal([...idOf.values()].sort((a, b) => a - b), Array.from({ length: 3000 }, (_, i) => i));
  assert.ok(full >= 1000, `${full} TABLE_FULL errors for the 1 000 keys that cannot fit`);
  for (const [key, id] of idOf) assert.is(table.find(...(key.split(/:(.*)/s).slice(0, 2) as Key)), id);
  try {
    table.intern("NSE", "ONEMORE");
    assert.unreachable("no error");
  } catch (e) {
    assert.is((e as TickwireError).code, "TABLE_FULL");
    assert.match((e as Error).message, /full/);
  }
  assert.is(table.find("NSE", "ONEMORE"), -1);
});

test("bad keys get a TickwireError with a code and the key in the message", async () => {
  const mem = await TickwireMemory.create({ bytes: 1 << 22 });
  const table = SymbolTable.create(mem, 64);
  const bad: [string, string, unknown, RegExp?][] = [
    ["NSE", "", "SYMBOL"],
    ["NSE", "X".repeat(57), "SYMBOL", /longer than 56/],
    ["NSE", "₹".repeat(19), "SYMBOL", /57 UTF-8 bytes/],
    ["NSE", 'QUOTE"D', "SYMBOL", /QUOTE/],
    ["NSE", "BACK\\SLASH", "SYMBOL"],
    ["NSE", "NEW\nLINE", "SYMBOL"],
    ["NSE", "NUL\u0000", "SYMBOL"],
    ["NSE", "DEL\u007f", "SYMBOL"],
    ["NSE", 42, "SYMBOL", /string/],
    ["NASDAQ", "AAPL", "EXCHANGE", /NASDAQ/],
    ["", "AAPL", "EXCHANGE"],
  ];
  for (const [exchange, symbol, code, pattern] of bad) {
    for (const op of ["intern", "find"] as const) {
      try {
        table[op](exchange as ExchangeName, symbol as string);
        assert.unreachable(`${op}(${exchange}, ${JSON.stringify(symbol)}) did not throw`);
      } catch (e) {
        assert.instance(e, TickwireError, String(e));
        assert.is((e as TickwireError).code, code, `${op}(${exchange}, ${JSON.stringify(symbol)}): ${(e as Error).message}`);
        if (pattern) assert.match((e as Error).message, pattern);
      }
    }
  }
  try {
    table.intern("NSE", "OK", 10);
    assert.unreachable("no error");
  } catch (e) {
    assert.is((e as TickwireError).code, "DECIMALS");
  }
  assert.is(table.size, 0, "no bad key was interned");
  // The longest valid names: 56 ASCII bytes; 18 three-byte characters + 2 bytes.
  assert.is(table.intern("NSE", "X".repeat(56)), 0);
  assert.is(table.get(table.intern("NSE", "₹".repeat(18) + "AB")).symbol, "₹".repeat(18) + "AB");
  try {
    table.get(99);
    assert.unreachable("no error");
  } catch (e) {
    assert.is((e as TickwireError).code, "SYMBOL");
  }
});

test("only names that read back exactly are accepted: lone surrogates, a BOM, C1 controls and DEL are refused; ids and decimals are integers", async () => {
  const mem = await TickwireMemory.create({ bytes: 1 << 22 });
  const table = SymbolTable.create(mem, 64);
  for (const name of ["A\uD800", "A\uDBFF", "\uDC00B", "\uFEFFX", "X\uFEFF", "A\u0085B", "A\u009fB", "DEL\u007f"]) {
    for (const op of ["intern", "find"] as const) {
      try { table[op]("NSE", name); assert.unreachable(`${op} ${JSON.stringify(name)}`); } catch (e) { assert.is((e as TickwireError).code, "SYMBOL", `${JSON.stringify(name)}: ${e}`); }
    }
  }
  // What is accepted reads back as given, byte for byte.
  for (const name of ["X", "₹", "A\u00a0B", "😀", "NIFTY 24 DEC 24000 CE", "A\u2028B"]) {
    const id = table.intern("NSE", name);
    assert.is(table.get(id).symbol, name);
    assert.is(table.find("NSE", name), id);
  }
  assert.is(table.size, 6, "nothing refused was interned");
  // Ids are integers: never a property of the cache array's prototype.
  for (const id of ["__proto__", "constructor", "length", "0", 1.5, NaN, -1, 2 ** 32, 0n, null]) {
    try { table.get(id as never); assert.unreachable(String(id)); } catch (e) { assert.is((e as TickwireError).code, "SYMBOL", String(e)); }
  }
  // Decimals are an integer 0..9, never truncated into Wasm; a symbol keeps the decimals it was interned with.
  for (const d of [2.7, NaN, "4", 2 ** 32 + 3, -1, 10, 4n]) {
    try { table.intern("NSE", "DEC", d as never); assert.unreachable(String(d)); } catch (e) { assert.is((e as TickwireError).code, "DECIMALS", String(e)); }
  }
  assert.is(table.find("NSE", "DEC"), -1);
  const id = table.intern("NSE", "DEC", 4);
  assert.is(table.get(id).priceDecimals, 4);
  try { table.intern("NSE", "DEC", 2); assert.unreachable(); } catch (e) { assert.is((e as TickwireError).code, "DECIMALS"); }
  assert.is(table.intern("NSE", "DEC", 4), id);
});

test.run();
