// The package's entry points: the main one stays runtime-neutral (no node:* and no ws, so it
// runs in browsers, Bun and Deno); tickwire/node registers the shipped brokers.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dirname, resolve } from "node:path";
import { supportedBrokers, createAdapter } from "../src/node/index.js";
import { TickwireError, TickwireMemory, SymbolTable } from "../src/index.js";

/** Every module the file at `entry` imports, transitively (static imports and re-exports). */
function importGraph(entry: string): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  const visit = (file: string): void => {
    if (graph.has(file)) return;
    const text = readFileSync(file, "utf8");
    const specs = [...text.matchAll(/^\s*(?:import|export)\s[^;]*?from\s+"([^"]+)"|^\s*import\s+"([^"]+)"/gm)].map((m) => m[1] ?? m[2]!);
    graph.set(file, specs);
    for (const s of specs) if (s.startsWith(".")) visit(resolve(dirname(file), s.replace(/\.js$/, ".ts")));
  };
  visit(entry);
  return graph;
}

test("the main entry imports nothing Node-only (no node:*, no ws)", () => {
  const graph = importGraph(fileURLToPath(new URL("../src/index.ts", import.meta.url)));
  const bad: string[] = [];
  for (const [file, specs] of graph) for (const s of specs) if (s.startsWith("node:") || s === "ws") bad.push(`${file}: ${s}`);
  assert.equal(bad, []);
  assert.ok(graph.size > 30, `walked ${graph.size} modules`);
});

test("tickwire/node registers flattrade, shoonya and simulated; an unknown broker is named", async () => {
  assert.equal(supportedBrokers(), ["flattrade", "shoonya", "simulated"]);
  const mem = await TickwireMemory.create({ bytes: 16 << 20 });
  const symbols = SymbolTable.create(mem, 1024);
  try {
    createAdapter({ broker: "zerodha" }, { mem, symbols, sink: () => 0 });
    assert.unreachable();
  } catch (e) {
    assert.instance(e, TickwireError);
    assert.match((e as Error).message, /unknown broker "zerodha"; registered: flattrade, shoonya, simulated/);
  }
  const sim = createAdapter({ broker: "simulated", instruments: 10, ticksPerSecond: 0 }, { mem, symbols, sink: () => 0 });
  assert.is(sim.broker, "simulated");
  try {
    createAdapter({ broker: "flattrade", credentials: { uid: "A", susertoken: "secret-123" } }, { mem, symbols, sink: () => 0 });
    assert.unreachable();
  } catch (e) {
    assert.instance(e, TickwireError);
    assert.match((e as Error).message, /options\.master must be a SymbolMaster/);
    assert.not.match((e as Error).message, /secret-123/);
  }
});

test.run();
