// Checks TickwireClient.connect's options once, up front, so a typo or a wrong
// type fails at the call (ARGUMENT naming the field) instead of as a socket that
// never opens or a timer that fires at once.

import { TickwireError } from "../errors.js";
import { describe } from "../validate.js";
import type { TickwireClientOptions, WebSocketConstructor } from "./types.js";

/** The options with every default filled in. */
export interface ResolvedOptions {
  url: string;
  apiKey: string;
  format: "json" | "binary";
  WebSocket: WebSocketConstructor;
  reconnect: { initialDelayMs: number; maxDelayMs: number } | false;
  requestTimeoutMs: number;
  queueLimit: number;
}

export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
export const DEFAULT_QUEUE_LIMIT = 10_000;
export const DEFAULT_INITIAL_DELAY_MS = 250;
export const DEFAULT_MAX_DELAY_MS = 10_000;
/** setTimeout's largest delay (2^31 - 1 ms); a longer one fires at once. */
const MAX_TIMER_MS = 2_147_483_647;
/** Largest queueLimit: a bound the caller can still afford, ~10^7 ticks. */
const MAX_QUEUE_LIMIT = 10_000_000;

const KNOWN = new Set(["url", "apiKey", "format", "WebSocket", "reconnect", "requestTimeoutMs", "queueLimit"]);
const KNOWN_RECONNECT = new Set(["initialDelayMs", "maxDelayMs"]);

function bad(field: string, what: string, v: unknown): never {
  throw new TickwireError("ARGUMENT", `TickwireClient.connect: options.${field} ${what}, got ${describe(v)}`);
}

function ms(v: unknown, field: string, min: number): number {
  if (typeof v !== "number" || !Number.isFinite(v) || v < min || v > MAX_TIMER_MS) bad(field, `must be a number of ms from ${min} to ${MAX_TIMER_MS}`, v);
  return v as number;
}

/** Validates `options` and fills in the defaults; throws TickwireError ARGUMENT naming the first bad field. */
export function resolveOptions(options: TickwireClientOptions): ResolvedOptions {
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw new TickwireError("ARGUMENT", `TickwireClient.connect: options must be an object with url and apiKey, got ${describe(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!KNOWN.has(key)) throw new TickwireError("ARGUMENT", `TickwireClient.connect: options.${key} is not an option (known: ${[...KNOWN].join(", ")})`);
  }
  const o = options as unknown as Record<string, unknown>;

  // A URL string is not echoed into the message: its query may carry a token.
  const url = o.url;
  const badUrl = (what: string): never => {
    throw new TickwireError("ARGUMENT", `TickwireClient.connect: options.url ${what}`);
  };
  if (typeof url !== "string" || url === "") bad("url", "must be a ws:// or wss:// URL", url);
  let parsed: URL | undefined;
  try {
    parsed = new URL(url as string);
  } catch {
    badUrl("is not a valid URL");
  }
  if (parsed!.protocol !== "ws:" && parsed!.protocol !== "wss:") badUrl(`must use ws: or wss:, not ${parsed!.protocol}`);
  // WebSocket constructors refuse a fragment (browsers throw SyntaxError, ws too): say so here.
  if ((url as string).includes("#")) badUrl("must not have a #fragment");

  const apiKey = o.apiKey;
  // The key itself is never described: it is a secret.
  if (typeof apiKey !== "string" || apiKey === "") {
    throw new TickwireError("ARGUMENT", `TickwireClient.connect: options.apiKey must be a non-empty string, got ${typeof apiKey === "string" ? "an empty string" : typeof apiKey}`);
  }

  const format = o.format ?? "json";
  if (format !== "json" && format !== "binary") bad("format", `must be "json" or "binary"`, format);

  const WebSocket = o.WebSocket ?? (globalThis as { WebSocket?: unknown }).WebSocket;
  if (o.WebSocket !== undefined && typeof o.WebSocket !== "function") bad("WebSocket", "must be a WebSocket class", o.WebSocket);
  if (typeof WebSocket !== "function") {
    throw new TickwireError("ARGUMENT", "TickwireClient.connect: options.WebSocket is needed: this runtime has no globalThis.WebSocket (in Node 20 pass the `ws` package's WebSocket)");
  }

  let reconnect: ResolvedOptions["reconnect"];
  const r = o.reconnect ?? true;
  if (r === false) {
    reconnect = false;
  } else if (r === true) {
    reconnect = { initialDelayMs: DEFAULT_INITIAL_DELAY_MS, maxDelayMs: DEFAULT_MAX_DELAY_MS };
  } else if (typeof r === "object" && r !== null && !Array.isArray(r)) {
    for (const key of Object.keys(r)) {
      if (!KNOWN_RECONNECT.has(key)) bad(`reconnect.${key}`, "is not an option (known: initialDelayMs, maxDelayMs)", (r as Record<string, unknown>)[key]);
    }
    const { initialDelayMs, maxDelayMs } = r as Record<string, unknown>;
    const initial = initialDelayMs === undefined ? DEFAULT_INITIAL_DELAY_MS : ms(initialDelayMs, "reconnect.initialDelayMs", 1);
    const max = maxDelayMs === undefined ? Math.max(initial, DEFAULT_MAX_DELAY_MS) : ms(maxDelayMs, "reconnect.maxDelayMs", 1);
    if (max < initial) bad("reconnect.maxDelayMs", `must be at least reconnect.initialDelayMs (${initial})`, max);
    reconnect = { initialDelayMs: initial, maxDelayMs: max };
  } else {
    bad("reconnect", "must be true, false or { initialDelayMs, maxDelayMs }", r);
  }

  const requestTimeoutMs = o.requestTimeoutMs === undefined ? DEFAULT_REQUEST_TIMEOUT_MS : ms(o.requestTimeoutMs, "requestTimeoutMs", 1);

  const queueLimit = o.queueLimit ?? DEFAULT_QUEUE_LIMIT;
  if (typeof queueLimit !== "number" || !Number.isInteger(queueLimit) || queueLimit < 1 || queueLimit > MAX_QUEUE_LIMIT) {
    bad("queueLimit", `must be an integer from 1 to ${MAX_QUEUE_LIMIT}`, queueLimit);
  }

  return {
    url: url as string, apiKey, format, WebSocket: WebSocket as WebSocketConstructor,
    reconnect, requestTimeoutMs, queueLimit: queueLimit as number,
  };
}
