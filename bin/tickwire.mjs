#!/usr/bin/env node
// The tickwire command. Subcommands grow with the project (serve, bench, ...).
import { readFile } from "node:fs/promises";

const [command] = process.argv.slice(2);
const pkg = JSON.parse(await readFile(new URL("../package.json", import.meta.url), "utf8"));

switch (command) {
  case "version":
  case "--version":
  case "-v":
    console.log(pkg.version);
    break;
  case "layout": {
    const layout = await import("../dist/format/layout.js");
    const rows = Object.entries(layout).filter(([k]) => k.startsWith("OFF_")).sort((a, b) => a[1] - b[1]);
    console.log(`tickwire record format v${layout.FORMAT_VERSION}: LTP ${layout.LTP_BYTES} B, QUOTE ${layout.QUOTE_BYTES} B, DEPTH ${layout.DEPTH_BYTES} B`);
    for (const [name, offset] of rows) console.log(`${String(offset).padStart(4)}  ${name.slice(4).toLowerCase()}`);
    break;
  }
  default:
    console.log(`tickwire ${pkg.version}\n\nusage: tickwire <command>\n  version   print the version\n  layout    print the tick record layout (docs/FORMAT.md has the whole format)`);
    process.exitCode = command === undefined || command === "help" || command === "--help" ? 0 : 2;
}
