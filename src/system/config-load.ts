// The configuration of `tickwire serve` from a JSON file, environment variables and
// command-line flags: flags > env > file > defaults. The rules on values stay with the parts
// that use them (resolveProxyConfig, resolveProcessorConfig, the adapters); this
// module turns text into values, merges the sources, and says which source a bad value came
// from (`config.json: proxy.port …`, `TICKWIRE_PORT: …`, `--port: …`). Node only (it reads files).
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { TickwireError } from "../errors.js";
import { resolveProxyConfig, type ProxyConfig } from "../proxy/config.js";
import { resolveProcessorConfig, type ProcessorConfig } from "../processor/config.js";
import { supportedBrokers, type FeedConfig } from "../feed/registry.js";
import "../feed/brokers.js";
import { SymbolMaster } from "../feed/symbol-master.js";
import type { NorenCredentials } from "../feed/noren/connection.js";
import type { SystemConfig } from "./system.js";
import { resolveMonitorConfig, type SystemMonitorConfig } from "./monitor-config.js";

/** Flag values as a command line gave them, by flag name without the dashes (`{ port: "0", "api-key": ["…"] }`); repeatable flags are lists. */
export type ConfigFlags = Readonly<Record<string, string | readonly string[] | boolean | undefined>>;

/** Where {@link loadConfig} reads from. */
export interface LoadConfigOptions {
  /** Path of a JSON config file. Default: the `config` flag, else `TICKWIRE_CONFIG`, else none. */
  file?: string;
  /** Environment variables (`process.env`). */
  env?: Readonly<Record<string, string | undefined>>;
  /** Command-line flags (see {@link CONFIG_FLAGS}). */
  args?: ConfigFlags;
  /** Directory that relative paths from flags and env are read from. Default `process.cwd()`; the file's own paths are relative to the file. */
  cwd?: string;
}

/** A setting the command line (and the environment) can give. */
export interface ConfigFlag {
  /** The flag without dashes: `port` is `--port`. */
  readonly name: string;
  /** Placeholder of its value in help text. */
  readonly value: string;
  /** The environment variable that gives it, if any. */
  readonly env?: string;
  /** May be given more than once (the values make a list). */
  readonly repeatable?: boolean;
  readonly help: string;
}

type Family = "simulated" | "noren";

interface Setting extends ConfigFlag {
  /** Where the value goes: "proxy.port", "feed.ticksPerSecond", "processor.workers". */
  readonly path: string;
  readonly kind: "string" | "number" | "list" | "path";
  /** Feed options that only one kind of broker takes. */
  readonly family?: Family;
}

const SETTINGS: readonly Setting[] = [
  { name: "config", value: "PATH", env: "TICKWIRE_CONFIG", path: "", kind: "path", help: "a JSON config file: { \"feed\", \"processor\", \"proxy\", \"monitor\" }" },
  { name: "host", value: "HOST", env: "TICKWIRE_HOST", path: "proxy.host", kind: "string", help: "interface to listen on (default 127.0.0.1)" },
  { name: "port", value: "N", env: "TICKWIRE_PORT", path: "proxy.port", kind: "number", help: "port to listen on; 0 picks a free one (default 8765)" },
  { name: "api-key", value: "KEY", env: "TICKWIRE_API_KEYS", path: "proxy.apiKeys", kind: "list", repeatable: true, help: "a key clients may use, 8 to 256 characters (repeatable)" },
  { name: "api-key-hash", value: "HEX", env: "TICKWIRE_API_KEY_HASHES", path: "proxy.apiKeyHashes", kind: "list", repeatable: true, help: "a key's SHA-256 (hex) instead of the key (repeatable)" },
  { name: "tls-cert", value: "PATH", env: "TICKWIRE_TLS_CERT", path: "proxy.tls.cert", kind: "path", help: "serve wss:// with this PEM certificate (with --tls-key)" },
  { name: "tls-key", value: "PATH", env: "TICKWIRE_TLS_KEY", path: "proxy.tls.key", kind: "path", help: "the certificate's PEM private key" },
  { name: "workers", value: "N", env: "TICKWIRE_WORKERS", path: "processor.workers", kind: "number", help: "worker threads (default 1)" },
  { name: "broker", value: "NAME", env: "TICKWIRE_BROKER", path: "feed.broker", kind: "string", help: "the feed: simulated (default), flattrade or shoonya" },
  { name: "instruments", value: "N", env: "TICKWIRE_INSTRUMENTS", path: "feed.instruments", kind: "number", family: "simulated", help: "simulated feed: instruments (default 3000)" },
  { name: "tps", value: "N", env: "TICKWIRE_TPS", path: "feed.ticksPerSecond", kind: "number", family: "simulated", help: "simulated feed: ticks a second (default 100000)" },
  { name: "seed", value: "N", env: "TICKWIRE_SEED", path: "feed.seed", kind: "number", family: "simulated", help: "simulated feed: seed of its market (default 1)" },
  { name: "master", value: "PATH", env: "TICKWIRE_MASTER", path: "feed.master", kind: "path", family: "noren", help: "flattrade/shoonya: the broker's symbol master CSV" },
  { name: "feed-url", value: "URL", env: "TICKWIRE_FEED_URL", path: "feed.url", kind: "string", family: "noren", help: "flattrade/shoonya: the feed's ws(s):// URL (default: the broker's)" },
  { name: "monitor-interval", value: "MS", env: "TICKWIRE_MONITOR_INTERVAL_MS", path: "monitor.intervalMs", kind: "number", help: "ms between the monitor's samples (default 1000)" },
  { name: "alert-webhook", value: "URL", env: "TICKWIRE_ALERT_WEBHOOK", path: "monitor.webhook", kind: "string", help: "POST every alert to this URL as JSON (never printed)" },
];

/** The settings flags and environment variables can give, for help text and argument parsers. */
export const CONFIG_FLAGS: readonly ConfigFlag[] = SETTINGS.map(({ name, value, env, repeatable, help }) => ({ name, value, help, ...(env ? { env } : {}), ...(repeatable ? { repeatable } : {}) }));

/** Top-level sections of a config file. */
const SECTIONS = ["feed", "processor", "proxy", "monitor"] as const;
/** Options a config file's `feed` may give per kind of broker (the adapters' JSON-able options). */
const FEED_OPTIONS: Readonly<Record<Family, readonly string[]>> = {
  simulated: ["instruments", "seed", "ticksPerSecond", "batchTicks", "limits", "skew"],
  noren: ["url", "protocol", "master", "limits", "heartbeatMs", "silenceMs", "loginTimeoutMs", "maxLoginRejects", "ackTimeoutMs", "backoff", "coalesceMs", "parser", "connectTimeoutMs"],
};
const familyOf = (broker: string): Family => (broker === "simulated" ? "simulated" : "noren");

/** Environment variables of a Noren broker's login, after NorenCredentials' fields. */
export function credentialVariables(broker: string): { uid: string; susertoken: string; accesstoken: string; actid: string } {
  const p = broker.toUpperCase().replace(/-/g, "_");
  return { uid: `${p}_USER_ID`, susertoken: `${p}_SESSION_TOKEN`, accesstoken: `${p}_ACCESS_TOKEN`, actid: `${p}_ACCOUNT_ID` };
}

/** One source of settings. File layers name their fields themselves; env and flag layers by label (`--port`). */
interface Layer {
  readonly kind: "file" | "env" | "flags";
  /** The file's path as given, "environment" or "command line". */
  readonly name: string;
  readonly proxy: Record<string, unknown>;
  readonly processor: Record<string, unknown>;
  readonly feed: Record<string, unknown>;
  readonly monitor: Record<string, unknown>;
  /** Paths this layer set ("proxy.port", "proxy.tls.cert") → their label (`--port`, `TICKWIRE_PORT`, or the path itself in a file). */
  readonly labels: Map<string, string>;
}

const fail = (message: string): never => {
  throw new TickwireError("ARGUMENT", message);
};

/** How a message about `path` reads for the layer that set it (as `setPath`, a prefix of it or the path itself). */
function say(layer: Layer, setPath: string, path: string, rest: string): string {
  if (layer.kind === "file") return `${layer.name}: ${path} ${rest}`;
  // A flag or variable gives keys one by one: "must be an array of strings of 8 to …" reads as each key's rule.
  return `${layer.labels.get(setPath) ?? layer.name}: ${rest.replace(/^must be an array of strings of /, "each must be ")}`;
}

// Messages of the validators start with the field: "proxy.port …", "ProcessorConfig.workers …",
// "simulated: options.ticksPerSecond …", "createUniverse: instruments …". Each gives the config path.
const FIELD_PATTERNS: readonly [RegExp, (m: RegExpMatchArray) => string][] = [
  [/^proxy\.([\w.]+) /, (m) => `proxy.${m[1]}`],
  [/^ProcessorConfig\.(\w+) /, (m) => `processor.${m[1]}`],
  [/^[a-z][a-z0-9-]*: options\.([\w.]+) /, (m) => `feed.${m[1]}`],
  [/^createUniverse: (\w+) /, (m) => `feed.${m[1]}`],
  [/^monitor\.([\w.]+):? /, (m) => `monitor.${m[1]}`],
];

/**
 * `message` (a validator's) told as coming from the layer that set the field it names; the
 * first of `layers` holding the field (or a shorter path of it) wins. Undefined when no layer set it.
 */
function attribute(message: string, layers: readonly Layer[]): string | undefined {
  for (const [re, toPath] of FIELD_PATTERNS) {
    const m = message.match(re);
    if (!m) continue;
    const rest = message.slice(m[0].length);
    const parts = toPath(m).split(".");
    for (let n = parts.length; n >= 2; n--) {
      const path = parts.slice(0, n).join(".");
      const layer = layers.find((l) => l.labels.has(path));
      if (layer) return say(layer, path, parts.join("."), rest);
    }
    return undefined;
  }
  return undefined;
}

/** Runs a validator; its error is re-thrown naming the source of the field at fault. */
function checked<T>(fn: () => T, layers: readonly Layer[], fallback: string): T {
  try {
    return fn();
  } catch (e) {
    if (!(e instanceof TickwireError)) throw e;
    throw new TickwireError(e.code, attribute(e.message, layers) ?? `${fallback}: ${e.message}`);
  }
}

/** "1000" → 1000; anything not a plain decimal number stays text, for the validator to name. */
function toNumber(raw: string): number | string {
  return /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/.test(raw) ? Number(raw) : raw;
}

const list = (raw: string): string[] => raw.split(",").map((s) => s.trim()).filter((s) => s !== "");

function readText(path: string, base: string, label: string): string {
  try {
    return readFileSync(resolve(base, path), "utf8");
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    return fail(`${label}: cannot read ${JSON.stringify(path)}: ${err.code === "ENOENT" ? "no such file" : err.code ?? err.message}`);
  }
}

/** PEM text from a file (never quoted in errors: it may be a private key). */
function readPem(path: string, base: string, label: string): string {
  const text = readText(path, base, label);
  if (!text.includes("-----BEGIN ")) fail(`${label}: ${JSON.stringify(path)} is not PEM (no "-----BEGIN" line)`);
  return text;
}

function setPath(layer: Layer, path: string, value: unknown, label: string): void {
  const [section, key, sub] = path.split(".") as [keyof Pick<Layer, "proxy" | "processor" | "feed" | "monitor">, string, string | undefined];
  const target = layer[section];
  if (sub === undefined) target[key] = value;
  else target[key] = { ...(target[key] as object | undefined), [sub]: value };
  layer.labels.set(path, label);
}

/** A layer from flags (`--port`) or environment variables (`TICKWIRE_PORT`). */
function namedLayer(kind: "env" | "flags", get: (s: Setting) => string | readonly string[] | undefined, base: string): Layer {
  const layer: Layer = { kind, name: kind === "env" ? "environment" : "command line", proxy: {}, processor: {}, feed: {}, monitor: {}, labels: new Map() };
  for (const s of SETTINGS) {
    if (s.path === "") continue;
    const raw = get(s);
    if (raw === undefined) continue;
    const label = kind === "env" ? s.env! : `--${s.name}`;
    const one = typeof raw === "string" ? raw : raw[raw.length - 1]!;
    let value: unknown;
    if (s.kind === "list") value = typeof raw === "string" ? (kind === "env" ? list(raw) : [raw]) : [...raw];
    else if (s.kind === "number") value = toNumber(one);
    else if (s.path.startsWith("proxy.tls.")) value = readPem(one, base, label);
    else if (s.kind === "path") value = resolve(base, one);
    else value = one;
    setPath(layer, s.path, value, label);
  }
  return layer;
}

function flagLayer(args: ConfigFlags, base: string): Layer {
  return namedLayer("flags", (s) => {
    const v = args[s.name];
    if (v === undefined || typeof v === "boolean") return undefined;
    if (typeof v === "string" || (Array.isArray(v) && v.every((x) => typeof x === "string"))) return v as string | readonly string[];
    return fail(`--${s.name}: must be text, got ${Array.isArray(v) ? "a list with a non-string" : typeof v}`);
  }, base);
}

function envLayer(env: Readonly<Record<string, string | undefined>>, base: string): Layer {
  // An empty variable counts as unset (`TICKWIRE_PORT= tickwire serve`).
  return namedLayer("env", (s) => (s.env && env[s.env] !== undefined && env[s.env] !== "" ? env[s.env] : undefined), base);
}

/** Where in `text` a JSON.parse error points, without quoting the text (it may hold keys). */
function jsonError(text: string, e: Error): string {
  const at = e.message.match(/at position (\d+)/);
  const reason = e.message.replace(/ in JSON at position \d+.*$/s, "").replace(/, ".*$/s, "").replace(/^Unexpected token '(.)'$/, "unexpected '$1'");
  if (!at) return `not valid JSON (${reason.charAt(0).toLowerCase()}${reason.slice(1)})`;
  const before = text.slice(0, Number(at[1]));
  const line = before.split("\n").length;
  const column = before.length - before.lastIndexOf("\n");
  return `not valid JSON at line ${line}, column ${column} (${reason.charAt(0).toLowerCase()}${reason.slice(1)})`;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Names of ProcessorConfig's fields (from its own defaults, so a new field needs no change here). */
const PROCESSOR_KEYS: readonly string[] = Object.keys(resolveProcessorConfig({ workers: 1 }));

function fileLayer(path: string, base: string): Layer {
  const text = readText(path, base, path);
  let json: unknown;
  try {
    json = JSON.parse(text.replace(/^\uFEFF/, ""));
  } catch (e) {
    return fail(`${path}: ${jsonError(text, e as Error)}`);
  }
  if (!isObject(json)) return fail(`${path}: must hold a JSON object { "feed": …, "processor": …, "proxy": …, "monitor": … }`);
  const layer: Layer = { kind: "file", name: path, proxy: {}, processor: {}, feed: {}, monitor: {}, labels: new Map() };
  const dir = dirname(resolve(base, path));
  for (const key of Object.keys(json)) {
    if (!(SECTIONS as readonly string[]).includes(key)) fail(`${path}: ${JSON.stringify(key)} is not a setting (settings: ${SECTIONS.join(", ")})`);
    const section = json[key];
    if (!isObject(section)) fail(`${path}: ${key} must be an object`);
    for (const [k, v] of Object.entries(section as Record<string, unknown>)) {
      layer[key as (typeof SECTIONS)[number]][k] = v;
      layer.labels.set(`${key}.${k}`, `${key}.${k}`);
    }
  }
  for (const k of Object.keys(layer.processor)) {
    if (!PROCESSOR_KEYS.includes(k)) fail(`${path}: processor.${k} is not a setting (settings: ${PROCESSOR_KEYS.join(", ")})`);
  }
  // TLS in a file: PEM text inline, or paths relative to the file.
  const tls = layer.proxy.tls;
  if (isObject(tls)) {
    const pem = { ...tls };
    for (const part of ["cert", "key"] as const) {
      const v = tls[part];
      if (typeof v === "string" && !v.includes("-----BEGIN ")) pem[part] = readPem(v, dir, `${path}: proxy.tls.${part}`);
    }
    layer.proxy.tls = pem;
  }
  checkFileFeed(layer, dir);
  return layer;
}

function checkFileFeed(layer: Layer, dir: string): void {
  const f = layer.feed;
  if (Object.keys(f).length === 0) return;
  const broker = f.broker ?? "simulated";
  if (typeof broker !== "string" || !supportedBrokers().includes(broker)) {
    fail(`${layer.name}: feed.broker must be one of ${supportedBrokers().join(", ")}, got ${JSON.stringify(broker)}`);
  }
  const family = familyOf(broker as string);
  for (const k of Object.keys(f)) {
    if (k === "broker") continue;
    if (k === "credentials" && family === "noren") {
      const v = credentialVariables(broker as string);
      fail(`${layer.name}: feed.credentials is not read from files (a token would sit in plain text): set ${v.uid} and ${v.susertoken} in the environment`);
    }
    if (!FEED_OPTIONS[family].includes(k)) fail(`${layer.name}: feed.${k} is not a setting of the ${broker} feed (settings: broker, ${FEED_OPTIONS[family].join(", ")})`);
  }
  if (typeof f.master === "string") f.master = resolve(dir, f.master);
  else if (f.master !== undefined) fail(`${layer.name}: feed.master must be the path of the broker's symbol master CSV`);
}

/** Validates one layer's proxy and processor settings on their own (defaults elsewhere). */
function checkLayer(layer: Layer): void {
  const layers = [layer];
  // A certificate and its key may come from different sources: a half is checked once merged.
  const { tls, ...rest } = layer.proxy;
  const own = isObject(tls) && (tls.cert === undefined || tls.key === undefined) ? rest : layer.proxy;
  checked(() => resolveProxyConfig(own as ProxyConfig), layers, layer.name);
  checked(() => resolveProcessorConfig({ workers: 1, ...layer.processor } as ProcessorConfig), layers, layer.name);
  checked(() => resolveMonitorConfig(layer.monitor as SystemMonitorConfig), layers, layer.name);
}

/** The label of the first layer (highest precedence first) that set `path`. */
function labelOf(layers: readonly Layer[], path: string): string | undefined {
  const parts = path.split(".");
  // A file sets whole objects ("proxy.tls"), flags and variables their parts ("proxy.tls.cert").
  for (let n = parts.length; n >= 2; n--) {
    const set = parts.slice(0, n).join(".");
    const layer = layers.find((l) => l.labels.has(set));
    if (layer) return layer.kind === "file" ? `${layer.name}: ${path}` : layer.labels.get(set);
  }
  return undefined;
}

function merged(layers: readonly Layer[], section: "proxy" | "processor" | "feed" | "monitor"): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const l of [...layers].reverse()) {
    for (const [k, v] of Object.entries(l[section])) {
      // tls merges part by part: --tls-key may replace only the file's key.
      out[k] = k === "tls" && isObject(v) && isObject(out[k]) ? { ...(out[k] as object), ...v } : v;
    }
  }
  return out;
}

function norenFeed(broker: string, layers: readonly Layer[], feed: Record<string, unknown>, env: Readonly<Record<string, string | undefined>>): Record<string, unknown> {
  const masterPath = feed.master;
  if (typeof masterPath !== "string") fail(`the ${broker} feed needs the broker's symbol master CSV: give --master PATH, TICKWIRE_MASTER or feed.master in the config file`);
  const label = labelOf(layers, "feed.master")!;
  let master: SymbolMaster;
  try {
    master = SymbolMaster.load(readFileSync(masterPath as string));
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    return fail(`${label}: ${err instanceof TickwireError ? err.message : `cannot read ${JSON.stringify(masterPath)}: ${err.code === "ENOENT" ? "no such file" : err.code ?? err.message}`}`);
  }
  if (master.size === 0) {
    const first = master.errors[0];
    fail(`${label}: ${JSON.stringify(masterPath)} has no usable instruments (${master.errorCount} rows refused${first ? `; line ${first.line}: ${first.reason}` : ""})`);
  }
  const v = credentialVariables(broker);
  const get = (name: string): string | undefined => (env[name] === "" ? undefined : env[name]);
  const uid = get(v.uid);
  const session = get(v.susertoken);
  const access = get(v.accesstoken);
  // The protocol follows the token given, unless the file says which.
  const protocol = feed.protocol ?? (session === undefined && access !== undefined ? "v2" : "v1");
  if (uid === undefined) fail(`the ${broker} feed needs credentials: set ${v.uid} and ${v.susertoken} (or ${v.accesstoken} for the v2 login) in the environment`);
  if (protocol === "v1" && session === undefined) fail(`the ${broker} feed needs ${v.susertoken} (the session token of ${v.uid}) in the environment`);
  if (protocol === "v2" && access === undefined) fail(`the ${broker} feed (protocol v2) needs ${v.accesstoken} in the environment`);
  const actid = get(v.actid);
  const credentials: NorenCredentials = {
    uid: uid!, ...(actid !== undefined ? { actid } : {}), ...(session !== undefined ? { susertoken: session } : {}), ...(access !== undefined ? { accesstoken: access } : {}),
  };
  return { ...feed, protocol, master, credentials };
}

/** The sources of each config loadConfig made, for {@link describeConfigError}. */
const SOURCES = new WeakMap<SystemConfig, readonly Layer[]>();

/**
 * A {@link SystemConfig} from a JSON config file, environment variables and command-line
 * flags; each setting is taken from the first of flags, environment, file that gives it,
 * else left to createSystem's default. Everything is checked here, with the validators the
 * system itself uses, and an error names the source and the field (`config.json: proxy.port
 * must be …`, `TICKWIRE_PORT: must be …`, `--port: must be …`); unknown keys in the file are
 * errors. Files named (TLS certificate and key, the symbol master) are read; API keys and
 * tokens are never quoted. For flattrade/shoonya the credentials come from the environment
 * ({@link credentialVariables}). Throws TickwireError "ARGUMENT".
 */
export function loadConfig(options: LoadConfigOptions = {}): SystemConfig {
  if (!isObject(options)) fail(`loadConfig: options must be an object { file?, env?, args? }`);
  const env = options.env ?? {};
  const args = options.args ?? {};
  if (!isObject(env)) fail("loadConfig: options.env must be an object of strings");
  if (!isObject(args)) fail("loadConfig: options.args must be an object of flag values");
  const cwd = options.cwd ?? process.cwd();
  const flags = flagLayer(args, cwd);
  const envs = envLayer(env, cwd);
  const configArg = args.config;
  const file = options.file ?? (typeof configArg === "string" ? configArg : undefined) ?? (env.TICKWIRE_CONFIG || undefined);
  const layers = [flags, envs, ...(file !== undefined ? [fileLayer(file, cwd)] : [])];
  for (const l of layers) checkLayer(l);

  // The broker first: which feed options apply depends on it.
  const brokerLabel = labelOf(layers, "feed.broker");
  const broker = layers.map((l) => l.feed.broker).find((b) => b !== undefined) ?? "simulated";
  if (typeof broker !== "string" || !supportedBrokers().includes(broker)) {
    fail(`${brokerLabel}: must be one of ${supportedBrokers().join(", ")}, got ${JSON.stringify(broker)}`);
  }
  const family = familyOf(broker as string);
  for (const l of layers) {
    if (l.kind === "file") {
      // A file's feed options belong to its own broker; a higher source that names another broker replaces them.
      if (Object.keys(l.feed).length > 0 && (l.feed.broker ?? "simulated") !== broker) {
        for (const k of Object.keys(l.feed)) {
          delete l.feed[k];
          l.labels.delete(`feed.${k}`);
        }
      }
      continue;
    }
    for (const s of SETTINGS) {
      if (!s.family || s.family === family || !l.labels.has(s.path)) continue;
      // A flag that cannot apply is a mistake; a variable may be left in a shell for another broker.
      if (l.kind === "flags") fail(`--${s.name}: applies to the ${s.family === "simulated" ? "simulated feed" : "flattrade and shoonya feeds"} only (the feed is ${broker})`);
      delete l.feed[s.path.slice("feed.".length)];
      l.labels.delete(s.path);
    }
  }

  const proxy = merged(layers, "proxy");
  if (isObject(proxy.tls) && (proxy.tls.cert === undefined) !== (proxy.tls.key === undefined)) {
    const has = proxy.tls.cert === undefined ? "key" : "cert";
    fail(`${labelOf(layers, `proxy.tls.${has}`) ?? "proxy.tls"}: the TLS ${has === "cert" ? "certificate needs its key" : "key needs its certificate"} too (--tls-${has === "cert" ? "key" : "cert"}, TICKWIRE_TLS_${has === "cert" ? "KEY" : "CERT"} or proxy.tls.${has === "cert" ? "key" : "cert"})`);
  }
  // Each source was valid alone; together they may still clash (workers above a file's maxWorkers).
  checked(() => resolveProxyConfig(proxy as ProxyConfig), layers, "configuration");
  const processorGiven = merged(layers, "processor");
  const processor = Object.keys(processorGiven).length > 0 ? ({ workers: 1, ...processorGiven } as ProcessorConfig) : undefined;
  if (processor) checked(() => resolveProcessorConfig(processor), layers, "configuration");

  let feed: Record<string, unknown> = { ...merged(layers, "feed"), broker };
  if (family === "noren") feed = norenFeed(broker as string, layers, feed, env);

  const monitorGiven = merged(layers, "monitor");
  const monitor = Object.keys(monitorGiven).length > 0 ? (monitorGiven as SystemMonitorConfig) : undefined;
  if (monitor) checked(() => resolveMonitorConfig(monitor), layers, "configuration");

  const config: SystemConfig = { feed: feed as FeedConfig, proxy: proxy as ProxyConfig, ...(processor ? { processor } : {}), ...(monitor ? { monitor } : {}) };
  SOURCES.set(config, layers);
  return config;
}

/**
 * The message of an error that `createSystem(config).start()` threw, naming where the bad value
 * came from when `config` is one {@link loadConfig} made and the error names a field
 * (`simulated: options.ticksPerSecond …` becomes `--tps: …`); else the error's own message.
 */
export function describeConfigError(config: SystemConfig, error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const layers = SOURCES.get(config);
  return (layers && attribute(message, layers)) ?? message;
}
