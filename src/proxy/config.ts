// The proxy's settings, validated with messages that name the field at fault.
import { TickwireError } from "../errors.js";
import { checkInt, describe } from "../validate.js";
import { checkApiKeys } from "./auth.js";
import { resolveBackpressure, type BackpressureConfig, type ResolvedBackpressure } from "./backpressure.js";

/** Settings of the WebSocket proxy (docs/PROTOCOL.md). Every field has a default. */
export interface ProxyConfig {
  /** Interface to listen on. Default "127.0.0.1". */
  host?: string;
  /** Port; 0 picks a free one. Default 8765 (OpenAlgo's). */
  port?: number;
  /** API keys in plain (hashed with SHA-256 when loaded, compared in constant time). */
  apiKeys?: readonly string[];
  /** API keys as hex SHA-256 digests, instead of or besides apiKeys. */
  apiKeyHashes?: readonly string[];
  /** `user_id` in auth and broker_info replies. Default "tickwire". */
  userId?: string;
  /** Clients connected at once; one more is told MAX_CLIENTS and closed (1013). Default 1000. */
  maxClients?: number;
  /** (symbol, mode) pairs one client may hold. Default 10 000. */
  maxSubscriptionsPerClient?: number;
  /** (symbol, client) pairs over all clients: sizes the fan-out index. Default 1 000 000. */
  maxSubscriptions?: number;
  /** Subscribe/unsubscribe requests a client may send a second (bursts of as many). Default 50. */
  subscribeRatePerSecond?: number;
  /** Largest message a client may send, bytes; a bigger one closes it (1009). Default 1 MiB. */
  maxPayloadBytes?: number;
  /** A client that has not authenticated by then is closed (4401), ms. Default 15 000. */
  authTimeoutMs?: number;
  /** Ping interval; a client that did not answer the previous ping is dropped, ms. Default 20 000. */
  pingIntervalMs?: number;
  /** Origins allowed to connect (browsers send one); others are closed (4403). Default: any. */
  allowedOrigins?: readonly string[];
  /** Serve wss:// with this certificate and key (PEM text). */
  tls?: { readonly cert: string; readonly key: string };
  /** What happens to a client that reads slower than ticks come. */
  backpressure?: BackpressureConfig;
  /** JSON ticks also carry the names OpenAlgo's SDKs read (docs/PROTOCOL.md). Default false. */
  sdkAliases?: boolean;
  /** JSON ticks also carry `recv_time_ns` (the record's receive time), for latency measurement. Default false. */
  receiveTime?: boolean;
  /**
   * A client's frames wait up to this long to be written together, ms (0: written after every
   * pump round). Each write is a system call; on loopback the receiver's TCP work is done in it too. Default 1.
   */
  coalesceMs?: number;
}

export interface ResolvedProxyConfig {
  readonly host: string;
  readonly port: number;
  readonly apiKeys: readonly string[];
  readonly apiKeyHashes: readonly string[];
  readonly userId: string;
  readonly maxClients: number;
  readonly maxSubscriptionsPerClient: number;
  readonly maxSubscriptions: number;
  readonly subscribeRatePerSecond: number;
  readonly maxPayloadBytes: number;
  readonly authTimeoutMs: number;
  readonly pingIntervalMs: number;
  readonly allowedOrigins: readonly string[] | undefined;
  readonly tls: { readonly cert: string; readonly key: string } | undefined;
  readonly backpressure: ResolvedBackpressure;
  readonly sdkAliases: boolean;
  readonly receiveTime: boolean;
  readonly coalesceMs: number;
}

const KEYS: ReadonlySet<string> = new Set([
  "host", "port", "apiKeys", "apiKeyHashes", "userId", "maxClients", "maxSubscriptionsPerClient", "maxSubscriptions",
  "subscribeRatePerSecond", "maxPayloadBytes", "authTimeoutMs", "pingIntervalMs", "allowedOrigins", "tls", "backpressure",
  "sdkAliases", "receiveTime", "coalesceMs",
]);

const BACKPRESSURE_KEYS: ReadonlySet<string> = new Set(["policy", "highWaterBytes", "maxQueueBytes", "maxLagMs"]);

const stringList = (v: unknown, field: string): readonly string[] | undefined => {
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || v.some((s) => typeof s !== "string")) throw new TickwireError("ARGUMENT", `${field} must be an array of strings`);
  return v as string[];
};

const checkFinite = (v: unknown, min: number, max: number, field: string): number => {
  if (typeof v !== "number" || !Number.isFinite(v) || v < min || v > max) throw new TickwireError("ARGUMENT", `${field} must be a number from ${min} to ${max}, got ${describe(v)}`);
  return v;
};

const flag = (v: unknown, field: string): boolean => {
  if (v === undefined) return false;
  if (typeof v !== "boolean") throw new TickwireError("ARGUMENT", `${field} must be true or false, got ${describe(v)}`);
  return v;
};

/** `v` when it is not an object with a key outside `keys` (a typo would silently keep a default). */
function knownKeys<T>(v: T, keys: ReadonlySet<string>, field: string): T {
  if (typeof v === "object" && v !== null && !Array.isArray(v)) {
    for (const key of Object.keys(v)) if (!keys.has(key)) throw new TickwireError("ARGUMENT", `${field}.${key} is not a setting (settings: ${[...keys].join(", ")})`);
  }
  return v;
}

/** Fills in defaults and validates; a bad field is named (`proxy.port must be …`). Never echoes key values. */
export function resolveProxyConfig(config: ProxyConfig | undefined, field = "proxy"): ResolvedProxyConfig {
  const c = config ?? {};
  if (typeof c !== "object" || c === null || Array.isArray(c)) throw new TickwireError("ARGUMENT", `${field} must be an object, got ${describe(c)}`);
  for (const key of Object.keys(c)) if (!KEYS.has(key)) throw new TickwireError("ARGUMENT", `${field}.${key} is not a setting (settings: ${[...KEYS].join(", ")})`);
  const host = c.host ?? "127.0.0.1";
  if (typeof host !== "string" || host.length === 0) throw new TickwireError("ARGUMENT", `${field}.host must be a host name or address, got ${describe(host)}`);
  const userId = c.userId ?? "tickwire";
  if (typeof userId !== "string" || userId.length === 0 || userId.length > 64) throw new TickwireError("ARGUMENT", `${field}.userId must be a string of 1 to 64 characters`);
  let tls: ResolvedProxyConfig["tls"];
  if (c.tls !== undefined) {
    if (typeof c.tls !== "object" || c.tls === null || typeof c.tls.cert !== "string" || typeof c.tls.key !== "string") {
      throw new TickwireError("ARGUMENT", `${field}.tls must be { cert, key } with PEM text`);
    }
    tls = { cert: c.tls.cert, key: c.tls.key };
  }
  const apiKeys = c.apiKeys ?? [];
  const apiKeyHashes = c.apiKeyHashes ?? [];
  checkApiKeys(apiKeys, apiKeyHashes, field);
  return {
    host,
    port: checkInt(c.port ?? 8765, 0, 65535, `${field}.port`),
    apiKeys,
    apiKeyHashes,
    userId,
    maxClients: checkInt(c.maxClients ?? 1000, 1, 100_000, `${field}.maxClients`),
    maxSubscriptionsPerClient: checkInt(c.maxSubscriptionsPerClient ?? 10_000, 1, 1_000_000, `${field}.maxSubscriptionsPerClient`),
    maxSubscriptions: checkInt(c.maxSubscriptions ?? 1_000_000, 1, 16_000_000, `${field}.maxSubscriptions`),
    subscribeRatePerSecond: checkInt(c.subscribeRatePerSecond ?? 50, 1, 1_000_000, `${field}.subscribeRatePerSecond`),
    maxPayloadBytes: checkInt(c.maxPayloadBytes ?? 1 << 20, 1024, 64 << 20, `${field}.maxPayloadBytes`),
    authTimeoutMs: checkInt(c.authTimeoutMs ?? 15_000, 1, 3_600_000, `${field}.authTimeoutMs`),
    pingIntervalMs: checkInt(c.pingIntervalMs ?? 20_000, 10, 3_600_000, `${field}.pingIntervalMs`),
    allowedOrigins: stringList(c.allowedOrigins, `${field}.allowedOrigins`),
    tls,
    backpressure: resolveBackpressure(knownKeys(c.backpressure, BACKPRESSURE_KEYS, `${field}.backpressure`), `${field}.backpressure`),
    sdkAliases: flag(c.sdkAliases, `${field}.sdkAliases`),
    receiveTime: flag(c.receiveTime, `${field}.receiveTime`),
    coalesceMs: checkFinite(c.coalesceMs ?? 1, 0, 1000, `${field}.coalesceMs`),
  };
}
