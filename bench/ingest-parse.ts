// Noren parsing benchmark on its own: `node --import tsx bench/ingest-parse.ts`
// (INGEST_PARSE_ROUNDS=3 for a quick look). Prints the table; bench/ingest.ts combines it
// with the other ingest suites.
import { benchParse } from "./lib/ingest-parse.js";
import { markdownTable } from "./lib/report.js";

const rounds = process.env.INGEST_PARSE_ROUNDS ? Number(process.env.INGEST_PARSE_ROUNDS) : undefined;
console.log(markdownTable(await benchParse({ rounds })));
