// The `tickwire` command: picks the subcommand and turns a usage mistake into exit code 2.
// Each subcommand is imported when it runs, so `tickwire tail` never loads the server.
import { readFileSync } from "node:fs";
import { UsageError } from "./args.js";

const COMMANDS: Readonly<Record<string, string>> = {
  serve: "run the WebSocket proxy over a feed (default: a simulated exchange in process)",
  simulate: "run a simulated Noren (Flattrade/Shoonya) market-data server",
  tail: "connect to a proxy and show live ticks",
  bench: "run the benchmarks (in a clone of the repository)",
  layout: "print the tick record layout (docs/FORMAT.md has the whole format)",
  version: "print the version",
};

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };
  return pkg.version;
}

function help(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length)) + 3;
  return `tickwire ${version()}: market data over WebSocket (OpenAlgo's protocol) from a feed through worker threads

usage: tickwire <command> [flags]

commands:
${Object.entries(COMMANDS).map(([name, what]) => `  ${name.padEnd(width)}${what}`).join("\n")}

\`tickwire <command> --help\` lists a command's flags. Start with:
  tickwire serve              (in one terminal)
  tickwire tail               (in another)`;
}

async function layout(): Promise<void> {
  const l = await import("../format/layout.js");
  const rows = (Object.entries(l) as [string, unknown][]).filter((e): e is [string, number] => e[0].startsWith("OFF_") && typeof e[1] === "number").sort((a, b) => a[1] - b[1]);
  process.stdout.write(`tickwire record format v${l.FORMAT_VERSION}: LTP ${l.LTP_BYTES} B, QUOTE ${l.QUOTE_BYTES} B, DEPTH ${l.DEPTH_BYTES} B\n`);
  for (const [name, offset] of rows) process.stdout.write(`${String(offset).padStart(4)}  ${name.slice(4).toLowerCase()}\n`);
}

/** Runs `tickwire <argv>`; resolves with the exit code (0 done, 1 failed, 2 usage mistake). */
export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case undefined:
      case "help":
      case "--help":
      case "-h":
        if (command === "help" && rest[0] !== undefined && rest[0] in COMMANDS) return main([rest[0], "--help"]);
        process.stdout.write(`${help()}\n`);
        return 0;
      case "version":
      case "--version":
      case "-v":
        process.stdout.write(`${version()}\n`);
        return 0;
      case "layout":
        await layout();
        return 0;
      case "serve":
        return await (await import("./serve.js")).serve(rest);
      case "simulate":
        return await (await import("./simulate.js")).simulate(rest);
      case "tail":
        return await (await import("./tail.js")).tail(rest);
      case "bench":
        return await (await import("./bench.js")).bench(rest);
      default:
        throw new UsageError(command.startsWith("-")
          ? `tickwire: unknown flag ${command.split("=")[0]} (flags go after the command; see \`tickwire --help\`)`
          : `tickwire: unknown command ${JSON.stringify(command)} (commands: ${Object.keys(COMMANDS).join(", ")}; see \`tickwire --help\`)`);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`${e.message}\n`);
      return 2;
    }
    throw e;
  }
}
