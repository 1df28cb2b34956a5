// loadConfig: flags over environment over file over defaults, each source's mistakes named
// with their source (file and field, variable, flag), secrets never quoted, files read.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig, describeConfigError, credentialVariables, CONFIG_FLAGS } from "../src/system/config-load.js";
import { TickwireError } from "../src/errors.js";
import { SymbolMaster } from "../src/feed/symbol-master.js";
import { createUniverse, universeToCsv } from "../src/feed/sim/universe.js";
import type { ProxyConfig } from "../src/proxy/config.js";

const dir = mkdtempSync(join(tmpdir(), "tickwire-config-"));
test.after(() => rmSync(dir, { recursive: true, force: true }));

/** Writes `name` in the temp folder; returns its path. */
function file(name: string, content: string | object): string {
  const path = join(dir, name);
  writeFileSync(path, typeof content === "string" ? content : JSON.stringify(content));
  return path;
}

/** The message loadConfig throws (ARGUMENT), or a failure when it does not throw. */
function error(options: Parameters<typeof loadConfig>[0]): string {
  try {
    loadConfig(options);
  } catch (e) {
    assert.instance(e, TickwireError);
    assert.is((e as TickwireError).code, "ARGUMENT");
    return (e as Error).message;
  }
  assert.unreachable("loadConfig did not throw");
  return "";
}

const proxy = (c: ReturnType<typeof loadConfig>): ProxyConfig => c.proxy as ProxyConfig;
const PEM_CERT = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
const PEM_KEY = "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n";

test("defaults: the simulated feed, no processor settings, an empty proxy config", () => {
  const c = loadConfig({ env: {}, args: {} });
  assert.equal(c.feed, { broker: "simulated" });
  assert.is(c.processor, undefined);
  assert.equal(c.proxy, {});
});

test("precedence: flags over env over file over defaults, field by field", () => {
  const path = file("layers.json", { proxy: { host: "127.0.0.2", port: 1000, userId: "from-file" }, processor: { workers: 2 }, feed: { instruments: 300, seed: 7 } });
  const env = { TICKWIRE_PORT: "2000", TICKWIRE_HOST: "127.0.0.3", TICKWIRE_TPS: "500" };
  const args = { port: "3000", instruments: "400" };
  const all = loadConfig({ file: path, env, args });
  assert.is(proxy(all).port, 3000, "flag wins");
  assert.is(proxy(all).host, "127.0.0.3", "env over file");
  assert.is(proxy(all).userId, "from-file", "file where nothing else gives it");
  assert.equal(all.processor, { workers: 2 });
  assert.equal(all.feed, { broker: "simulated", instruments: 400, seed: 7, ticksPerSecond: 500 });

  const noFlags = loadConfig({ file: path, env, args: {} });
  assert.is(proxy(noFlags).port, 2000);
  assert.is(noFlags.feed?.instruments, 300);
  const fileOnly = loadConfig({ file: path, env: {}, args: {} });
  assert.is(proxy(fileOnly).port, 1000);
  assert.is(proxy(fileOnly).host, "127.0.0.2");
});

test("the file comes from the config flag, else TICKWIRE_CONFIG; empty variables count as unset", () => {
  const a = file("a.json", { proxy: { port: 1111 } });
  const b = file("b.json", { proxy: { port: 2222 } });
  assert.is(proxy(loadConfig({ env: { TICKWIRE_CONFIG: a }, args: {} })).port, 1111);
  assert.is(proxy(loadConfig({ env: { TICKWIRE_CONFIG: a }, args: { config: b } })).port, 2222);
  assert.is(proxy(loadConfig({ env: { TICKWIRE_CONFIG: a, TICKWIRE_PORT: "" }, args: {} })).port, 1111);
});

test("API keys: a comma-separated variable, repeatable flags that replace it; hashes apart", () => {
  const env = { TICKWIRE_API_KEYS: "env-key-00001, env-key-00002,", TICKWIRE_API_KEY_HASHES: "a".repeat(64) };
  assert.equal(proxy(loadConfig({ env, args: {} })).apiKeys, ["env-key-00001", "env-key-00002"]);
  const c = loadConfig({ env, args: { "api-key": ["flag-key-0001", "flag-key-0002"] } });
  assert.equal(proxy(c).apiKeys, ["flag-key-0001", "flag-key-0002"]);
  assert.equal(proxy(c).apiKeyHashes, ["a".repeat(64)]);
});

test("bad values name their source: file and field, variable, flag", () => {
  const bad = file("config.json", { proxy: { port: "x" } });
  assert.is(error({ file: bad, env: {}, args: {} }), `${bad}: proxy.port must be an integer from 0 to 65535, got "x"`);
  assert.is(error({ env: { TICKWIRE_PORT: "x" }, args: {} }), `TICKWIRE_PORT: must be an integer from 0 to 65535, got "x"`);
  assert.is(error({ env: {}, args: { port: "70000" } }), "--port: must be an integer from 0 to 65535, got 70000");
  assert.match(error({ env: {}, args: { workers: "0" } }), /^--workers: must be an integer from 1 to/);
  assert.match(error({ env: { TICKWIRE_HOST: "" }, args: { host: "" } }), /^--host: must be a host name/);
  const nested = file("bp.json", { proxy: { backpressure: { policy: "sometimes" } } });
  assert.match(error({ file: nested, env: {}, args: {} }), /bp\.json: proxy\.backpressure\.policy must be one of conflate/);
  // A value overridden by a higher source is still checked: the file is wrong either way.
  assert.match(error({ file: bad, env: {}, args: { port: "1" } }), /config\.json: proxy\.port/);
});

test("sources that clash only together are named: workers from a flag above the file's maxWorkers", () => {
  const path = file("max.json", { processor: { maxWorkers: 2 } });
  assert.is(error({ file: path, env: {}, args: { workers: "4" } }), "--workers: must be an integer from 1 to 2, got 4");
});

test("unknown keys in the file are errors naming them", () => {
  assert.match(error({ file: file("top.json", { proxy: {}, extra: 1 }), env: {}, args: {} }), /top\.json: "extra" is not a setting \(settings: feed, processor, proxy, monitor\)/);
  assert.match(error({ file: file("px.json", { proxy: { prot: 1 } }), env: {}, args: {} }), /px\.json: proxy\.prot is not a setting/);
  assert.match(error({ file: file("pr.json", { processor: { workerz: 1 } }), env: {}, args: {} }), /pr\.json: processor\.workerz is not a setting/);
  assert.match(error({ file: file("fd.json", { feed: { tps: 1 } }), env: {}, args: {} }), /fd\.json: feed\.tps is not a setting of the simulated feed/);
  assert.match(error({ file: file("arr.json", [1]), env: {}, args: {} }), /arr\.json: must hold a JSON object/);
});

test("a file that is not JSON: line and column, never its text (it may hold keys)", () => {
  const path = file("syntax.json", '{\n  "proxy": { "apiKeys": ["very-secret-key-1"] x }\n}');
  const message = error({ file: path, env: {}, args: {} });
  assert.match(message, /syntax\.json: not valid JSON at line 2, column \d+/);
  assert.not.match(message, /very-secret/);
  assert.match(error({ file: join(dir, "missing.json"), env: {}, args: {} }), /missing\.json: cannot read .*: no such file/);
});

test("API keys are never quoted in errors", () => {
  for (const message of [
    error({ env: {}, args: { "api-key": ["short"] } }),
    error({ env: { TICKWIRE_API_KEYS: "tiny" }, args: {} }),
    error({ file: file("k.json", { proxy: { apiKeys: ["tiny2"] } }), env: {}, args: {} }),
    error({ file: file("k2.json", { proxy: { apiKeys: "not-a-list-secret" } }), env: {}, args: {} }),
  ]) {
    assert.not.match(message, /short|tiny|secret/);
  }
  assert.is(error({ env: {}, args: { "api-key": ["short"] } }), "--api-key: each must be 8 to 256 characters (values not shown)");
  assert.match(error({ env: { TICKWIRE_API_KEYS: "tiny" }, args: {} }), /^TICKWIRE_API_KEYS: /);
});

test("TLS: PEM files from flags, inline PEM or paths relative to the config file; both parts needed", () => {
  const cert = file("cert.pem", PEM_CERT);
  const key = file("key.pem", PEM_KEY);
  assert.equal(proxy(loadConfig({ env: {}, args: { "tls-cert": cert, "tls-key": key } })).tls, { cert: PEM_CERT, key: PEM_KEY });
  const rel = file("tls.json", { proxy: { tls: { cert: "cert.pem", key: PEM_KEY } } });
  assert.equal(proxy(loadConfig({ file: rel, env: {}, args: {} })).tls, { cert: PEM_CERT, key: PEM_KEY });
  // The key alone from the environment replaces the file's key only.
  const otherKey = file("key2.pem", PEM_KEY.replace("MIIE", "MIIF"));
  assert.is(proxy(loadConfig({ file: rel, env: { TICKWIRE_TLS_KEY: otherKey }, args: {} })).tls?.key, PEM_KEY.replace("MIIE", "MIIF"));
  assert.match(error({ env: {}, args: { "tls-cert": cert } }), /^--tls-cert: the TLS certificate needs its key too/);
  const half = file("half.json", { proxy: { tls: { cert: "cert.pem" } } });
  assert.match(error({ file: half, env: {}, args: {} }), /half\.json: proxy\.tls\.cert: the TLS certificate needs its key too/);
  assert.equal(proxy(loadConfig({ file: half, env: {}, args: { "tls-key": key } })).tls, { cert: PEM_CERT, key: PEM_KEY });
  assert.match(error({ env: {}, args: { "tls-cert": join(dir, "nope.pem"), "tls-key": key } }), /^--tls-cert: cannot read ".*nope\.pem": no such file/);
  const notPem = file("not.pem", "secret stuff");
  const message = error({ env: {}, args: { "tls-cert": cert, "tls-key": notPem } });
  assert.match(message, /^--tls-key: ".*not\.pem" is not PEM/);
  assert.not.match(message, /secret stuff/);
});

test("brokers: unknown names refused; simulated-only flags refused for a Noren broker, variables ignored", () => {
  assert.match(error({ env: {}, args: { broker: "nope" } }), /^--broker: must be one of flattrade, shoonya, simulated, got "nope"/);
  assert.match(error({ env: { TICKWIRE_BROKER: "nope" }, args: {} }), /^TICKWIRE_BROKER: /);
  const master = file("master.csv", universeToCsv(createUniverse({ instruments: 50, seed: 1 })));
  const env = { FLATTRADE_USER_ID: "U1", FLATTRADE_SESSION_TOKEN: "tok-secret", TICKWIRE_TPS: "5" };
  assert.match(error({ env, args: { broker: "flattrade", master, tps: "5" } }), /^--tps: applies to the simulated feed only/);
  assert.match(error({ env: {}, args: { master } }), /^--master: applies to the flattrade and shoonya feeds only/);
  const c = loadConfig({ env, args: { broker: "flattrade", master } });
  assert.is(c.feed?.broker, "flattrade");
  assert.is(c.feed?.ticksPerSecond, undefined, "TICKWIRE_TPS is for the simulated feed");
});

test("flattrade/shoonya: credentials from the environment, the symbol master read, the protocol from the token", () => {
  const master = file("master2.csv", universeToCsv(createUniverse({ instruments: 50, seed: 1 })));
  const v = credentialVariables("shoonya");
  assert.equal(v, { uid: "SHOONYA_USER_ID", susertoken: "SHOONYA_SESSION_TOKEN", accesstoken: "SHOONYA_ACCESS_TOKEN", actid: "SHOONYA_ACCOUNT_ID" });
  const c = loadConfig({ env: { SHOONYA_USER_ID: "FA1", SHOONYA_SESSION_TOKEN: "t0k", TICKWIRE_MASTER: master, TICKWIRE_FEED_URL: "ws://127.0.0.1:9/" }, args: { broker: "shoonya" } });
  assert.is(c.feed?.broker, "shoonya");
  assert.is(c.feed?.protocol, "v1");
  assert.is(c.feed?.url, "ws://127.0.0.1:9/");
  assert.equal(c.feed?.credentials, { uid: "FA1", susertoken: "t0k" });
  assert.instance(c.feed?.master, SymbolMaster);
  assert.is((c.feed?.master as SymbolMaster).size, 50);
  const v2 = loadConfig({ env: { FLATTRADE_USER_ID: "FA1", FLATTRADE_ACCESS_TOKEN: "acc", FLATTRADE_ACCOUNT_ID: "AC" }, args: { broker: "flattrade", master } });
  assert.is(v2.feed?.protocol, "v2");
  assert.equal(v2.feed?.credentials, { uid: "FA1", actid: "AC", accesstoken: "acc" });

  assert.match(error({ env: {}, args: { broker: "flattrade" } }), /needs the broker's symbol master CSV: give --master/);
  assert.match(error({ env: {}, args: { broker: "flattrade", master } }), /needs credentials: set FLATTRADE_USER_ID and FLATTRADE_SESSION_TOKEN/);
  const tokenless = error({ env: { FLATTRADE_USER_ID: "FA1" }, args: { broker: "flattrade", master } });
  assert.match(tokenless, /needs FLATTRADE_SESSION_TOKEN/);
  assert.match(error({ env: { FLATTRADE_USER_ID: "U", FLATTRADE_SESSION_TOKEN: "t" }, args: { broker: "flattrade", master: file("empty.csv", "Exchange,Token,TradingSymbol\n") } }), /^--master: ".*empty\.csv" has no usable instruments/);
  // Credentials do not belong in files.
  const withCreds = file("creds.json", { feed: { broker: "flattrade", credentials: { uid: "x", susertoken: "y" } } });
  assert.match(error({ file: withCreds, env: {}, args: {} }), /creds\.json: feed\.credentials is not read from files .*FLATTRADE_USER_ID/);
});

test("a file's feed options belong to its broker: a flag naming another broker drops them", () => {
  const master = file("m3.csv", universeToCsv(createUniverse({ instruments: 20, seed: 1 })));
  const path = file("fl.json", { feed: { broker: "flattrade", master: "m3.csv", heartbeatMs: 5000 } });
  const sim = loadConfig({ file: path, env: {}, args: { broker: "simulated" } });
  assert.equal(sim.feed, { broker: "simulated" });
  const fl = loadConfig({ file: path, env: { FLATTRADE_USER_ID: "U", FLATTRADE_SESSION_TOKEN: "t" }, args: {} });
  assert.is(fl.feed?.heartbeatMs, 5000);
  assert.is((fl.feed?.master as SymbolMaster).size, 20, `master path relative to the file (${master})`);
});

test("describeConfigError names the source of a field an adapter refused at start", () => {
  const c = loadConfig({ env: {}, args: { tps: "-5" } });
  assert.is(c.feed?.ticksPerSecond, -5);
  const err = new TickwireError("ARGUMENT", "simulated: options.ticksPerSecond must be an integer from 0 to 100000000, got -5");
  assert.is(describeConfigError(c, err), "--tps: must be an integer from 0 to 100000000, got -5");
  const f = loadConfig({ file: file("inst.json", { feed: { instruments: 0 } }), env: {}, args: {} });
  assert.match(describeConfigError(f, new TickwireError("ARGUMENT", "createUniverse: instruments must be an integer from 1 to 100000, got 0")), /inst\.json: feed\.instruments must be an integer/);
  assert.is(describeConfigError(c, new Error("something else")), "something else");
  assert.is(describeConfigError({}, err), err.message, "a config loadConfig did not make");
});

test("monitor: a file's section (thresholds, alerts, webhook), the interval and webhook from env or flags; mistakes named by source, the webhook never quoted", () => {
  const path = file("monitor.json", { monitor: { intervalMs: 500, thresholds: { ringFill: 0.7, latencyP99Ms: { warning: 5, critical: 50 } }, alerts: { cooldownMs: 1000 }, webhook: { url: "https://hooks.example.com/T1/SECRETPATH", retries: 2 } } });
  const c = loadConfig({ file: path });
  assert.equal(c.monitor, { intervalMs: 500, thresholds: { ringFill: 0.7, latencyP99Ms: { warning: 5, critical: 50 } }, alerts: { cooldownMs: 1000 }, webhook: { url: "https://hooks.example.com/T1/SECRETPATH", retries: 2 } });
  assert.is(loadConfig({ file: path, env: { TICKWIRE_MONITOR_INTERVAL_MS: "250" } }).monitor!.intervalMs, 250);
  assert.is(loadConfig({ env: { TICKWIRE_ALERT_WEBHOOK: "https://hooks.example.com/x" } }).monitor!.webhook, "https://hooks.example.com/x");
  assert.is(loadConfig({}).monitor, undefined, "nothing given: the system's defaults");
  assert.match(error({ file: file("m1.json", { monitor: { thresholds: { ringFil: 0.5 } } }) }), /m1\.json: monitor\.thresholds:? unknown key "ringFil"/);
  assert.match(error({ file: file("m2.json", { monitor: { intervals: 5 } }) }), /m2\.json: monitor\.intervals is not a setting/);
  assert.match(error({ args: { "monitor-interval": "5" } }), /^--monitor-interval: must be an integer from 10/);
  const bad = error({ env: { TICKWIRE_ALERT_WEBHOOK: "ftp://user:SECRET@hooks.example.com/SECRETPATH" } });
  assert.match(bad, /^TICKWIRE_ALERT_WEBHOOK: .*http: or https:/);
  assert.not.match(bad, /SECRET/);
});

test("CONFIG_FLAGS lists every flag with its variable", () => {
  const names = CONFIG_FLAGS.map((f) => f.name);
  for (const n of ["config", "host", "port", "api-key", "api-key-hash", "tls-cert", "tls-key", "workers", "broker", "instruments", "tps", "seed", "master", "feed-url"]) assert.ok(names.includes(n), n);
  assert.is(CONFIG_FLAGS.find((f) => f.name === "api-key")?.env, "TICKWIRE_API_KEYS");
  assert.ok(CONFIG_FLAGS.find((f) => f.name === "api-key")?.repeatable);
});

test("bad options to loadConfig itself are named", () => {
  assert.match(error(null as never), /loadConfig: options must be an object/);
  assert.match(error({ env: [] as never }), /options\.env/);
  assert.match(error({ args: { port: 5 as never } }), /^--port: must be text/);
});

test.run();
