// `tickwire simulate`: the simulated Noren (Flattrade, Shoonya) market-data server alone, for
// pointing `tickwire serve --broker flattrade` (or any Noren client) at without a broker account.
import { writeFileSync } from "node:fs";
import { NorenSimServer, NOREN_SIM_DEMO_ACCOUNT } from "../feed/sim/noren-server.js";
import { universeToCsv } from "../feed/sim/universe.js";
import { TickwireError } from "../errors.js";
import { credentialVariables } from "../system/config-load.js";
import { HELP_FLAG, UsageError, flagHelp, intFlag, parseFlags, type FlagSpec } from "./args.js";
import { Screen, count } from "./screen.js";
import { runUntilStopped, untilStopSignal } from "./signals.js";
import { tickwireCommand } from "./demo.js";

const FLAGS: readonly FlagSpec[] = [
  { name: "port", value: "N", help: "port to listen on; 0 (default) picks a free one" },
  { name: "host", value: "HOST", help: "interface to listen on (default 127.0.0.1)" },
  { name: "instruments", value: "N", help: "instruments of the simulated universe, 1 to 100000 (default 3000)" },
  { name: "seed", value: "N", help: "seed of the universe and the market (default 1)" },
  { name: "tps", value: "N", help: "market ticks a second over the subscribed instruments (default 2000)" },
  { name: "master-out", value: "PATH", help: "write the universe's symbol master CSV here (what `serve --master` reads)" },
  { name: "quiet", short: "q", help: "print the header only, no live status" },
  HELP_FLAG,
];

export const SIMULATE_HELP = `usage: tickwire simulate [flags]

Runs a simulated Noren market-data server (the WebSocket protocol of Flattrade and Shoonya:
login, touchline and depth subscriptions, heartbeats) over a deterministic simulated market,
and prints its URL and the demo account to log in with. Ctrl+C or SIGTERM stops it.

flags:
${flagHelp(FLAGS)}

example: serve its ticks through the proxy
  tickwire simulate --port 9100 --master-out sim-master.csv
  FLATTRADE_USER_ID=${NOREN_SIM_DEMO_ACCOUNT.uid} FLATTRADE_SESSION_TOKEN=${NOREN_SIM_DEMO_ACCOUNT.susertoken} \\
    tickwire serve --broker flattrade --feed-url ws://127.0.0.1:9100/ --master sim-master.csv`;

/** Runs `tickwire simulate`; resolves with the exit code once stopped. */
export async function simulate(argv: readonly string[]): Promise<number> {
  const command = "tickwire simulate";
  const { flags, positionals } = parseFlags(argv, FLAGS, command);
  if (flags.help) {
    process.stdout.write(`${SIMULATE_HELP}\n`);
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(`${command}: unexpected argument ${JSON.stringify(positionals[0])} (see \`${command} --help\`)`);
  const port = intFlag(flags, "port", 0, 65535, command) ?? 0;
  const instruments = intFlag(flags, "instruments", 1, 100_000, command) ?? 3000;
  const seed = intFlag(flags, "seed", 0, 2 ** 32 - 1, command) ?? 1;
  const tps = intFlag(flags, "tps", 0, 10_000_000, command) ?? 2000;
  const host = typeof flags.host === "string" ? flags.host : "127.0.0.1";
  const stopSignal = untilStopSignal();
  let server: NorenSimServer;
  try {
    server = await NorenSimServer.start({ port, host, instruments, seed, ticksPerSecond: tps });
  } catch (e) {
    if (e instanceof TickwireError) {
      process.stderr.write(`${command}: ${e.message}\n`);
      return e.code === "ARGUMENT" ? 2 : 1;
    }
    throw e;
  }
  const out = (line: string): boolean => process.stdout.write(`${line}\n`);
  const masterOut = typeof flags["master-out"] === "string" ? flags["master-out"] : undefined;
  if (masterOut !== undefined) {
    try {
      writeFileSync(masterOut, universeToCsv(server.universe));
    } catch (e) {
      await server.close();
      process.stderr.write(`${command}: --master-out: cannot write ${JSON.stringify(masterOut)}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}\n`);
      return 1;
    }
  }
  const a = NOREN_SIM_DEMO_ACCOUNT;
  const v = credentialVariables("flattrade");
  out(`tickwire simulate: a simulated Noren server, ${count(instruments)} instruments (seed ${seed}), ${count(tps)} ticks/s over the subscribed ones`);
  out(`listening on ${server.url}`);
  out(`account: user id ${a.uid}, session token ${a.susertoken} (v1 login), access token ${a.accesstoken} (v2 login)`);
  if (masterOut !== undefined) out(`symbol master: ${masterOut} (${count(server.universe.length)} instruments)`);
  out(`serve it: ${v.uid}=${a.uid} ${v.susertoken}=${a.susertoken} ${tickwireCommand()} serve --broker flattrade --feed-url ${server.url} --master ${masterOut ?? "<a master CSV: add --master-out PATH here to write one>"}`);

  const screen = new Screen(process.stdout, process.stderr);
  const status = (): string => {
    const s = server.stats;
    return `connections ${s.connections} | logins ${count(s.loginsOk)} (refused ${count(s.loginsRejected)}) | ticks ${count(s.ticks)} | frames sent ${count(s.framesSent)}`;
  };
  return runUntilStopped({ command, screen, quiet: flags.quiet === true, stopSignal, status, stopping: "stopping", stop: () => server.close(), stopMs: 10_000 });
}
