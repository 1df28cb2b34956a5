// `tickwire serve`: the whole system (feed, workers, the WebSocket proxy) from a config file,
// environment variables and flags; a header saying where to connect and with which key, then
// a live status line a second until SIGINT/SIGTERM stops it gracefully.
import { isIP } from "node:net";
import { TickwireError } from "../errors.js";
import { createSystem, type SystemConfig, type TickwireSystem } from "../system/system.js";
import { CONFIG_FLAGS, describeConfigError, loadConfig } from "../system/config-load.js";
import { resolveProxyConfig } from "../proxy/config.js";
import { SymbolMaster } from "../feed/symbol-master.js";
import { HELP_FLAG, UsageError, flagHelp, parseFlags, type FlagSpec } from "./args.js";
import { Screen, clock, count } from "./screen.js";
import { runUntilStopped, untilStopSignal } from "./signals.js";
import { DEMO_API_KEY, tickwireCommand } from "./demo.js";


const STOP_TIMEOUT_MS = 30_000;

const FLAGS: readonly FlagSpec[] = [
  ...CONFIG_FLAGS,
  { name: "quiet", short: "q", help: "print the header only, no live status" },
  HELP_FLAG,
];

export const SERVE_HELP = `usage: tickwire serve [flags]

Runs the WebSocket proxy (OpenAlgo's market-data protocol, docs/PROTOCOL.md) over a feed:
by default a simulated exchange in this process, or flattrade/shoonya. Prints the URL and
the API key to connect with, then a status line a second. Ctrl+C (SIGINT) or SIGTERM stops
it gracefully (clients are closed with 1001).

flags (environment variables in brackets; flags > environment > config file > defaults):
${flagHelp(FLAGS)}
(a list in a variable is comma-separated)

With no API key configured on a loopback host, the demo key ${DEMO_API_KEY} is accepted
(for local use only); on any other host a key is required.

flattrade/shoonya: --master PATH (the broker's symbol master CSV) and the login from the
environment: FLATTRADE_USER_ID and FLATTRADE_SESSION_TOKEN (SHOONYA_… for shoonya;
…_ACCESS_TOKEN instead for the v2 login, …_ACCOUNT_ID if it differs from the user id).

config file (--config): JSON with any of
  "feed":      { "broker": "simulated", "instruments": 3000, "ticksPerSecond": 100000, "seed": 1 }
               or { "broker": "flattrade", "master": "master.csv", "url": "wss://…" }
  "processor": { "workers": 2, … }   (ProcessorConfig)
  "proxy":     { "host": "127.0.0.1", "port": 8765, "apiKeyHashes": ["<sha256 hex>"],
                 "tls": { "cert": "cert.pem", "key": "key.pem" }, "backpressure": { "policy": "conflate" }, … }
               (ProxyConfig; file paths are relative to the config file)
  "monitor":   { "intervalMs": 1000, "thresholds": { "latencyP99Ms": { "warning": 10, "critical": 100 } },
                 "alerts": { "cooldownMs": 60000 }, "webhook": "https://hooks.example.com/…" }
               (docs/MONITORING.md; the dashboard is at /dashboard, Prometheus metrics at /metrics)

examples:
  tickwire serve
  tickwire serve --port 9000 --instruments 500 --tps 20000 --workers 2
  TICKWIRE_API_KEYS=my-long-secret-key tickwire serve --host 0.0.0.0`;

/** Whether clients on other machines cannot reach `host`. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  if (h === "localhost" || h === "::1") return true;
  return isIP(h) === 4 && h.startsWith("127.");
}

/** Adds the demo key when no key is configured on a loopback host; refuses other hosts without one. Returns whether it did. */
export function applyDemoKey(config: SystemConfig): boolean {
  if (config.proxy === false) return false;
  const proxy = resolveProxyConfig(config.proxy);
  if (proxy.apiKeys.length + proxy.apiKeyHashes.length > 0) return false;
  if (!isLoopback(proxy.host)) {
    throw new UsageError(`tickwire serve: refusing to listen on ${proxy.host} without an API key: give --api-key, TICKWIRE_API_KEYS, or proxy.apiKeys/apiKeyHashes in the config file (the demo key works on loopback hosts only)`);
  }
  config.proxy = { ...config.proxy, apiKeys: [DEMO_API_KEY] };
  return true;
}

function describeFeed(config: SystemConfig): string {
  const feed = config.feed ?? { broker: "simulated" };
  if (feed.broker === "simulated") {
    return `the simulated exchange (${count(Number(feed.instruments ?? 3000))} instruments, ${count(Number(feed.ticksPerSecond ?? 100_000))} ticks/s over the subscribed ones)`;
  }
  const master = feed.master instanceof SymbolMaster ? `, ${count(feed.master.size)} instruments in the master` : "";
  return `${feed.broker}${typeof feed.url === "string" ? ` at ${feed.url}` : ""}${master}`;
}

function statusLine(system: TickwireSystem): string {
  const s = system.stats();
  const p = s.proxy;
  const parts = [
    `ticks/s ${count(s.ticksPerSecond)}`,
    `clients ${count(p?.clients ?? 0)}`,
    `delivered ${count(p?.delivered ?? 0)}`,
    `conflated ${count(p?.conflated ?? 0)}`,
    `dropped ${count(p?.dropped ?? 0)}`,
    `feed ${s.feed.state}`,
  ];
  if (s.feed.dropped > 0) parts.push(`feed dropped ${count(s.feed.dropped)}`);
  if (s.lapped > 0) parts.push(`lapped ${count(s.lapped)}`);
  const sample = system.sample();
  if (sample && sample.latency.client.count > 0) parts.push(`p99 ${sample.latency.client.p99Ms.toFixed(1)} ms`);
  if (sample && sample.alerts.length > 0) parts.push(`alerts ${sample.alerts.length}`);
  return parts.join(" | ");
}

/** Runs `tickwire serve`; resolves with the exit code once stopped. */
export async function serve(argv: readonly string[]): Promise<number> {
  const { flags, positionals } = parseFlags(argv, FLAGS, "tickwire serve");
  if (flags.help) {
    process.stdout.write(`${SERVE_HELP}\n`);
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(`tickwire serve: unexpected argument ${JSON.stringify(positionals[0])} (see \`tickwire serve --help\`)`);
  let config: SystemConfig;
  try {
    config = loadConfig({ env: process.env, args: flags });
  } catch (e) {
    if (e instanceof TickwireError) throw new UsageError(`tickwire serve: ${e.message}`);
    throw e;
  }
  const demo = applyDemoKey(config);
  const screen = new Screen(process.stdout, process.stderr);
  config.log = (line) => screen.log(`${clock()} ${line}`);

  // Listening before start: a signal while starting stops the system once it is up.
  const stopSignal = untilStopSignal();
  const system = await createSystem(config);
  try {
    await system.start();
  } catch (e) {
    process.stderr.write(`tickwire serve: could not start: ${describeConfigError(config, e)}\n`);
    return e instanceof TickwireError && e.code === "ARGUMENT" ? 2 : 1;
  }
  const url = system.url!;
  // A wildcard address is where the server listens, not where a client connects.
  const connectUrl = url.replace(/\/\/(0\.0\.0\.0|\[::\])(:\d+)$/, "//127.0.0.1$2");
  const workers = config.processor?.workers ?? 1;
  const out = (line: string): boolean => process.stdout.write(`${line}\n`);
  out(`tickwire serve: ${describeFeed(config)}, ${workers} worker${workers === 1 ? "" : "s"}`);
  out(`listening on ${url}`);
  if (demo) {
    out(`api key: ${DEMO_API_KEY} (a demo key for local use only; set --api-key or TICKWIRE_API_KEYS for your own)`);
    out(`try: ${tickwireCommand()} tail --url ${connectUrl} --api-key ${DEMO_API_KEY}`);
  } else {
    out(`api key: one of the keys configured (not shown)`);
    out(`try: ${tickwireCommand()} tail --url ${connectUrl} --api-key <your key>`);
  }
  if (system.monitor && config.monitor !== false && (config.monitor?.http ?? true)) {
    const http = connectUrl.replace(/^ws/, "http");
    out(`dashboard: ${http}/dashboard (metrics: ${http}/metrics, health: ${http}/health)`);
  }
  if (screen.live && !flags.quiet) out("Ctrl+C stops");

  return runUntilStopped({
    command: "tickwire serve", screen, quiet: flags.quiet === true, stopSignal, status: () => statusLine(system),
    stopping: "stopping (closing clients, feed and workers)", stop: () => system.stop(), stopMs: STOP_TIMEOUT_MS,
  });
}
