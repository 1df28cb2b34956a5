// Benchmark results: every suite prints its tables and writes them to
// bench/results/<suite>.json, from which `npm run bench:table` regenerates the
// README's benchmark section. One shape for all suites.
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { pathToFileURL } from "node:url";

/** One table of a suite: a title, column names and rows of cells. */
export interface ResultTable {
  title: string;
  columns: string[];
  rows: (string | number)[][];
  /** Optional note printed under the table (how it was measured). */
  note?: string;
}

/** What a results file holds. */
export interface SuiteResults {
  suite: string;
  date: string;
  machine: { cpus: number; model: string; node: string };
  tables: ResultTable[];
}

/** Formats a number for a table: 3 significant digits, thousands separated. */
export function fmt(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const abs = Math.abs(n);
  if (abs >= 1000) return Math.round(n).toLocaleString("en-US");
  return n.toPrecision(3);
}

/** A ratio as "12.3×". */
export function ratio(n: number): string {
  return `${fmt(n)}×`;
}

/** Median of a list of numbers. */
export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Prints the tables as Markdown and writes bench/results/<suite>.json. */
export function report(suite: string, tables: ResultTable[]): SuiteResults {
  const results: SuiteResults = {
    suite,
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, model: cpus()[0]?.model ?? "unknown", node: process.version },
    tables,
  };
  for (const t of tables) console.log(`\n${markdownTable(t)}`);
  // Quick runs (npm start) write elsewhere, so the committed results behind the README stay full runs.
  const dir = process.env.TICKWIRE_BENCH_OUT ? pathToFileURL(process.env.TICKWIRE_BENCH_OUT.replace(/\/?$/, "/")) : new URL("../results/", import.meta.url);
  mkdirSync(dir, { recursive: true });
  writeFileSync(new URL(`${suite}.json`, dir), `${JSON.stringify(results, null, 2)}\n`);
  return results;
}

/** A table as Markdown. */
export function markdownTable(t: ResultTable): string {
  const cell = (c: string | number) => (typeof c === "number" ? fmt(c) : c);
  const lines = [
    `**${t.title}**`,
    "",
    `| ${t.columns.join(" | ")} |`,
    `| ${t.columns.map((_, i) => (i === 0 ? "---" : "---:")).join(" | ")} |`,
    ...t.rows.map((r) => `| ${r.map(cell).join(" | ")} |`),
  ];
  if (t.note) lines.push("", t.note);
  return lines.join("\n");
}
