// Command-line flags: `--name value`, `--name=value`, boolean `--name`, `-h`. A flag a command
// does not take, a missing value or a flag given twice (unless repeatable) is a UsageError
// naming it; the command line exits 2 on those.

/** A flag a command takes. Without `value` it is a switch (true when given). */
export interface FlagSpec {
  /** Without dashes: `port` is `--port`. */
  readonly name: string;
  /** Placeholder of its value in help (`N`, `PATH`); absent for a switch. */
  readonly value?: string;
  /** One letter: `h` is `-h`. */
  readonly short?: string;
  readonly repeatable?: boolean;
  readonly help: string;
  /** The environment variable that also gives it (help text only). */
  readonly env?: string;
}

/** A mistake on the command line: the process exits 2 with this message. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

export type Flags = Record<string, string | string[] | true>;

/** `argv` split into flags (by name) and positional arguments. Everything after `--` is positional. */
export function parseFlags(argv: readonly string[], specs: readonly FlagSpec[], command: string): { flags: Flags; positionals: string[] } {
  const flags: Flags = {};
  const positionals: string[] = [];
  const byName = new Map(specs.map((s) => [s.name, s]));
  const byShort = new Map(specs.filter((s) => s.short).map((s) => [s.short!, s]));
  const hint = `(see \`${command} --help\`)`;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith("-") || arg === "-") {
      positionals.push(arg);
      continue;
    }
    const long = arg.startsWith("--");
    const eq = long ? arg.indexOf("=") : -1;
    const key = long ? arg.slice(2, eq < 0 ? undefined : eq) : arg.slice(1);
    const spec = long ? byName.get(key) : byShort.get(key);
    // The flag as typed, without a value that may be a secret (`--api-key=…`).
    const shown = long ? `--${key}` : arg;
    if (!spec) throw new UsageError(`${command}: unknown flag ${shown} ${hint}`);
    let value: string | true;
    if (spec.value === undefined) {
      if (eq >= 0) throw new UsageError(`${command}: ${shown} takes no value`);
      value = true;
    } else if (eq >= 0) {
      value = arg.slice(eq + 1);
    } else {
      const next = argv[i + 1];
      if (next === undefined || next.startsWith("--")) throw new UsageError(`${command}: ${shown} needs a value (${shown} ${spec.value})`);
      value = next;
      i++;
    }
    const prev = flags[spec.name];
    if (spec.repeatable && typeof value === "string") {
      flags[spec.name] = [...(Array.isArray(prev) ? prev : []), value];
    } else {
      if (prev !== undefined) throw new UsageError(`${command}: --${spec.name} is given twice`);
      flags[spec.name] = value;
    }
  }
  return { flags, positionals };
}

/** The flags' lines of a help text, aligned. */
export function flagHelp(specs: readonly FlagSpec[]): string {
  const left = specs.map((s) => `${s.short ? `-${s.short}, ` : "    "}--${s.name}${s.value ? ` ${s.value}` : ""}`);
  const width = Math.max(...left.map((l) => l.length)) + 2;
  return specs.map((s, i) => `  ${left[i]!.padEnd(width)}${s.help}${s.env ? ` [${s.env}]` : ""}`).join("\n");
}

/** A flag's value as an integer in [min, max], or a UsageError naming it. */
export function intFlag(flags: Flags, name: string, min: number, max: number, command: string): number | undefined {
  const v = flags[name];
  if (v === undefined) return undefined;
  const text = typeof v === "string" ? v : String(v);
  const n = /^\s*[+-]?\d+\s*$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new UsageError(`${command}: --${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(text)}`);
  return n;
}

/** A flag's value as a positive number of seconds, or a UsageError naming it. */
export function secondsFlag(flags: Flags, name: string, command: string): number | undefined {
  const v = flags[name];
  if (v === undefined) return undefined;
  const text = String(v);
  const n = /^\s*(\d+\.?\d*|\.\d+)\s*$/.test(text) ? Number(text) : NaN;
  if (!(n > 0 && n <= 2_147_483)) throw new UsageError(`${command}: --${name} must be a number of seconds above 0, got ${JSON.stringify(text)}`);
  return n;
}

export const HELP_FLAG: FlagSpec = { name: "help", short: "h", help: "show this help" };
