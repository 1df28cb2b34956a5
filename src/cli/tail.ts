// `tickwire tail`: a client of a tickwire (or OpenAlgo) proxy that subscribes to a few symbols
// and shows their ticks: a table redrawn in place on a terminal, one line a tick otherwise.
import { WebSocket } from "ws";
import { TickwireClient } from "../client/client.js";
import { TickwireError } from "../errors.js";
import type { Instrument, Mode, Tick } from "../client/types.js";
import { HELP_FLAG, UsageError, flagHelp, intFlag, parseFlags, secondsFlag, type FlagSpec } from "./args.js";
import { Screen, count } from "./screen.js";
import { untilStopSignal } from "./signals.js";
import { DEMO_API_KEY } from "./demo.js";

/** Symbols of the default simulated universe (createUniverse with seed 1 has them at any size from 200 instruments). */
export const DEFAULT_SYMBOLS = "NSE_INDEX:NIFTY,NSE_INDEX:BANKNIFTY,NSE:VAYINE";
const DEFAULT_URL = "ws://127.0.0.1:8765";
const MODES: Readonly<Record<string, Mode>> = { ltp: 1, quote: 2, depth: 3 };
const MODE_NAMES = ["", "ltp", "quote", "depth"] as const;

const FLAGS: readonly FlagSpec[] = [
  { name: "url", value: "URL", help: `the proxy's ws:// or wss:// URL (default ${DEFAULT_URL})` },
  { name: "api-key", value: "KEY", env: "TICKWIRE_API_KEY", help: `API key (default: the demo key ${DEMO_API_KEY} of a local \`tickwire serve\`)` },
  { name: "symbols", value: "LIST", help: `EXCHANGE:SYMBOL,… (default ${DEFAULT_SYMBOLS})` },
  { name: "mode", value: "MODE", help: "ltp, quote (default) or depth" },
  { name: "format", value: "FORMAT", help: "json (default) or binary (tick records)" },
  { name: "count", value: "N", help: "exit 0 after N ticks" },
  { name: "timeout", value: "S", help: "exit after S seconds (1 if --count ticks did not come by then)" },
  HELP_FLAG,
];

export const TAIL_HELP = `usage: tickwire tail [flags]

Connects to a tickwire proxy (or any server of OpenAlgo's WebSocket protocol), subscribes to
the symbols and shows their ticks: on a terminal a table (last price, change, volume, best
bid/ask in depth mode, ticks received, time since the last one) redrawn in place; otherwise
one line a tick. Ctrl+C ends it.

flags (environment variables in brackets):
${flagHelp(FLAGS)}

examples:
  tickwire tail
  tickwire tail --url ws://127.0.0.1:8765 --api-key tickwire-demo-key --symbols NSE_INDEX:NIFTY --mode depth
  tickwire tail --format binary --count 100 > ticks.txt`;

function parseSymbols(text: string, command: string): Instrument[] {
  const out: Instrument[] = [];
  for (const item of text.split(",").map((s) => s.trim()).filter((s) => s !== "")) {
    const colon = item.indexOf(":");
    if (colon <= 0 || colon === item.length - 1) throw new UsageError(`${command}: --symbols: ${JSON.stringify(item)} is not EXCHANGE:SYMBOL (e.g. NSE:RELIANCE)`);
    out.push({ exchange: item.slice(0, colon).toUpperCase(), symbol: item.slice(colon + 1) });
  }
  if (out.length === 0) throw new UsageError(`${command}: --symbols lists no symbol`);
  return out;
}

interface Row {
  readonly key: string;
  last: Tick | undefined;
  ticks: number;
  at: number;
}

const num = (v: number | undefined): string => (v === undefined ? "-" : String(v));

function age(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)}ms` : ms < 60_000 ? `${(ms / 1000).toFixed(1)}s` : `${Math.floor(ms / 60_000)}m`;
}

/** One line a tick, for pipes and files. */
function tickLine(t: Tick): string {
  const time = new Date(t.timestamp).toISOString().slice(11, 23);
  const parts = [time, `${t.exchange}:${t.symbol}`, `ltp=${t.ltp}`];
  if (t.percentChange !== undefined) parts.push(`chg=${t.percentChange}%`);
  if (t.volume !== undefined) parts.push(`vol=${t.volume}`);
  const bid = t.depth?.buy[0];
  const ask = t.depth?.sell[0];
  if (bid) parts.push(`bid=${bid.price}x${bid.quantity}`);
  if (ask) parts.push(`ask=${ask.price}x${ask.quantity}`);
  return parts.join(" ");
}

function table(rows: readonly Row[], now: number): string[] {
  const head = ["SYMBOL", "LTP", "CHG%", "VOLUME", "BID", "ASK", "TICKS", "AGE"];
  const body = rows.map((r) => {
    const t = r.last;
    return [
      r.key, num(t?.ltp), t?.percentChange === undefined ? "-" : t.percentChange.toFixed(2), t?.volume === undefined ? "-" : count(t.volume),
      num(t?.depth?.buy[0]?.price), num(t?.depth?.sell[0]?.price), count(r.ticks), t ? age(now - r.at) : "-",
    ];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  return [line(head), ...body.map(line)];
}

/** Runs `tickwire tail`; resolves with the exit code. */
export async function tail(argv: readonly string[]): Promise<number> {
  const command = "tickwire tail";
  const { flags, positionals } = parseFlags(argv, FLAGS, command);
  if (flags.help) {
    process.stdout.write(`${TAIL_HELP}\n`);
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(`${command}: unexpected argument ${JSON.stringify(positionals[0])} (see \`${command} --help\`)`);
  const url = typeof flags.url === "string" ? flags.url : DEFAULT_URL;
  const given = typeof flags["api-key"] === "string" ? flags["api-key"] : process.env.TICKWIRE_API_KEY || undefined;
  const apiKey = given ?? DEMO_API_KEY;
  const instruments = parseSymbols(typeof flags.symbols === "string" ? flags.symbols : DEFAULT_SYMBOLS, command);
  const modeName = typeof flags.mode === "string" ? flags.mode.toLowerCase() : "quote";
  const mode = MODES[modeName];
  if (mode === undefined) throw new UsageError(`${command}: --mode must be ltp, quote or depth, got ${JSON.stringify(flags.mode)}`);
  const format = typeof flags.format === "string" ? flags.format : "json";
  if (format !== "json" && format !== "binary") throw new UsageError(`${command}: --format must be json or binary, got ${JSON.stringify(format)}`);
  const limit = intFlag(flags, "count", 1, Number.MAX_SAFE_INTEGER, command);
  const timeoutS = secondsFlag(flags, "timeout", command);

  const screen = new Screen(process.stdout, process.stderr);
  const warn = (line: string): void => screen.log(line);
  const rows = new Map<string, Row>(instruments.map((i) => {
    const key = `${i.exchange}:${i.symbol}`;
    return [key, { key, last: undefined, ticks: 0, at: 0 }];
  }));
  let total = 0;
  const started = Date.now();
  let finished = false;
  let finish: (code: number) => void = () => undefined;
  const done = new Promise<number>((resolve) => {
    finish = (code) => {
      finished = true;
      resolve(code);
    };
  });
  void untilStopSignal().then(() => finish(0));
  const deadline = timeoutS === undefined ? undefined : setTimeout(() => {
    if (limit !== undefined && total < limit) {
      warn(`${command}: timed out after ${timeoutS} s with ${total} of ${limit} ticks`);
      finish(1);
    } else finish(0);
  }, timeoutS * 1000);

  let client: TickwireClient | undefined;
  let redraw: ReturnType<typeof setInterval> | undefined;
  try {
    const connecting = TickwireClient.connect({ url, apiKey, format, WebSocket });
    const first = await Promise.race([connecting, done]);
    if (typeof first === "number") {
      void connecting.then((c) => c.close(), () => undefined);
      return first;
    }
    client = first;
    client.onEvent((e) => {
      if (e.type === "reconnecting") warn(`${e.reason}; reconnecting (attempt ${e.attempt}) in ${Math.round(e.delayMs)} ms`);
      else if (e.type === "reconnected") warn(`reconnected${e.failed.length ? `; ${e.failed.length} symbols refused this time` : ""}`);
      else if (finished) return; // our own close
      else if (e.type === "closed" && e.error) {
        warn(`${command}: ${e.error.message}`);
        finish(1);
      } else if (e.type === "closed") {
        warn(`${command}: the connection closed (${e.code}${e.reason ? ` ${e.reason}` : ""})`);
        finish(1);
      }
    });
    client.onTick((t) => {
      const key = `${t.exchange}:${t.symbol}`;
      let row = rows.get(key);
      if (!row) rows.set(key, (row = { key, last: undefined, ticks: 0, at: 0 }));
      row.last = t;
      row.ticks++;
      row.at = Date.now();
      total++;
      if (limit !== undefined && total > limit) return;
      if (!screen.live) process.stdout.write(`${tickLine(t)}\n`);
      if (limit !== undefined && total >= limit) finish(0);
    });
    const entries = await Promise.race([client.subscribe(instruments, mode), done]);
    if (typeof entries === "number") return entries;
    const refused = entries.filter((e) => !e.ok);
    for (const e of refused) {
      warn(`${e.exchange}:${e.symbol}: ${e.code ?? "refused"}${e.message ? ` (${e.message})` : ""}`);
      rows.delete(`${e.exchange}:${e.symbol}`);
    }
    if (refused.length === entries.length) {
      warn(`${command}: no symbol was subscribed`);
      return 1;
    }
    if (screen.live) {
      const draw = (): void => {
        const secs = (Date.now() - started) / 1000;
        screen.draw([`${url}  ${format} ${MODE_NAMES[mode]}  ${count(total)} ticks, ${count(total / Math.max(secs, 0.001))}/s`, ...table([...rows.values()], Date.now())]);
      };
      draw();
      redraw = setInterval(draw, 250);
    }
    return await done;
  } catch (e) {
    if (!(e instanceof TickwireError)) throw e;
    const hint = e.message.includes("Invalid API key") && given === undefined ? ` (no --api-key given: tried the demo key ${DEMO_API_KEY})` : "";
    warn(`${command}: ${e.message}${hint}`);
    return e.code === "ARGUMENT" ? 2 : 1;
  } finally {
    finished = true;
    clearTimeout(deadline);
    clearInterval(redraw);
    if (screen.live && redraw) {
      // The final state stays on screen.
      const secs = (Date.now() - started) / 1000;
      screen.draw([`${url}  ${format} ${MODE_NAMES[mode]}  ${count(total)} ticks in ${secs.toFixed(1)} s`, ...table([...rows.values()], Date.now())]);
      screen.release();
    }
    await client?.close().catch(() => undefined);
  }
}
