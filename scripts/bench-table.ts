// Regenerates the README's benchmark section from bench/results/*.json.
// Run with `npm run bench:table` after running the benchmarks.
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { markdownTable, type SuiteResults } from "../bench/lib/report.js";

const root = new URL("../", import.meta.url);
const dir = new URL("bench/results/", root);
// The end-to-end suite first: it is the whole system; then the parts, by name.
const FIRST = ["e2e.json"];
const files = readdirSync(dir).filter((f) => f.endsWith(".json")).sort((x, y) => Number(FIRST.includes(y)) - Number(FIRST.includes(x)) || x.localeCompare(y));
const sections = files.map((f) => {
  const r = JSON.parse(readFileSync(new URL(f, dir), "utf8")) as SuiteResults;
  const head = `### ${r.suite}\n\n${r.date.slice(0, 10)}, ${r.machine.cpus} × ${r.machine.model}, Node ${r.machine.node}; \`bench/${r.suite}.ts\`, results in \`bench/results/${f}\`.`;
  return [head, ...r.tables.map(markdownTable)].join("\n\n");
});
const START = "<!-- bench:start -->";
const END = "<!-- bench:end -->";
const readmeUrl = new URL("README.md", root);
const readme = readFileSync(readmeUrl, "utf8");
const a = readme.indexOf(START);
const b = readme.indexOf(END);
if (a < 0 || b < a) throw new Error(`README.md has no ${START} … ${END} section`);
writeFileSync(readmeUrl, `${readme.slice(0, a + START.length)}\n${sections.join("\n\n")}\n${readme.slice(b)}`);
console.log(`README.md: ${files.length} suites`);
