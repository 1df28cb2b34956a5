#!/usr/bin/env node
// The tickwire command: a launcher for the compiled CLI (src/cli/, built to dist/cli/).
let cli;
try {
  cli = await import("../dist/cli/main.js");
} catch (e) {
  if (e?.code !== "ERR_MODULE_NOT_FOUND" || !String(e.message).includes("dist/cli/main.js")) throw e;
  console.error("tickwire: dist/cli/main.js is missing: run `npm run build` (or `npm run build:ts`) in the package first");
  process.exit(1);
}
const code = await cli.main(process.argv.slice(2));
// Whatever a command left behind (a socket still closing, a timer) does not hold the exit.
process.exit(code);
