// The client protocol's messages (docs/PROTOCOL.md): parsing what a client sends into a typed
// request, and the reply and error shapes OpenAlgo's clients read. No sockets here.
import { EXCHANGE_NAMES } from "../format/exchange.js";
import type { Mode } from "../feed/contract.js";

/** Error codes of the envelope `{status:"error", code, message}` (OpenAlgo's, then tickwire's). */
export type ProtocolErrorCode =
  | "AUTHENTICATION_ERROR" | "NOT_AUTHENTICATED" | "INVALID_JSON" | "INVALID_ACTION" | "INVALID_MODE"
  | "INVALID_PARAMETERS" | "BROKER_ERROR" | "SERVER_ERROR" | "PROCESSING_ERROR"
  | "RATE_LIMITED" | "MAX_CLIENTS" | "INVALID_FORMAT";

/** Per-symbol outcome codes in subscribe/unsubscribe replies. */
export type SymbolErrorCode =
  | "SYMBOL_NOT_FOUND" | "NOT_SUBSCRIBED" | "MAX_CAPACITY_REACHED" | "UNSUPPORTED_DEPTH_LEVEL" | "INVALID_MODE"
  | "INVALID_PARAMETERS" | "BROKER_ERROR" | "TIMEOUT" | "MAX_SUBSCRIPTIONS";

export const MODE_NAMES = ["", "LTP", "Quote", "Depth"] as const;
const MODE_BY_NAME: ReadonlyMap<string, Mode> = new Map([["ltp", 1], ["quote", 2], ["depth", 3]]);
const EXCHANGES: ReadonlySet<string> = new Set(EXCHANGE_NAMES);
/** Depth levels a subscription may ask for: the record holds 5. */
export const DEPTH_LEVELS = 5;

/** One symbol of a (un)subscribe request, checked as far as the protocol goes. */
export type SymbolEntry =
  | { readonly ok: true; readonly exchange: string; readonly symbol: string; readonly mode: Mode | undefined }
  | { readonly ok: false; readonly exchange: string; readonly symbol: string; readonly code: SymbolErrorCode; readonly message: string };

/** A request a client sent. */
export type Request =
  | { readonly action: "authenticate"; readonly apiKey: unknown; readonly requestId: RequestId }
  | { readonly action: "subscribe" | "unsubscribe"; readonly symbols: readonly SymbolEntry[]; readonly mode: Mode | undefined; readonly single: boolean; readonly requestId: RequestId }
  | { readonly action: "unsubscribe_all" | "get_broker_info" | "get_supported_brokers" | "list_subscriptions"; readonly requestId: RequestId }
  | { readonly action: "ping"; readonly timestamp: unknown; readonly pingId: unknown; readonly requestId: RequestId }
  | { readonly action: "set_format"; readonly format: unknown; readonly requestId: RequestId };

export type RequestId = string | number | undefined;

/** A request that could not be understood: the error to send. */
export interface Refusal {
  readonly error: ProtocolErrorCode;
  readonly message: string;
  readonly requestId: RequestId;
}

/** A mode as clients write it: 1..3 or "LTP"/"Quote"/"Depth" in any case; undefined when absent. */
export function parseMode(value: unknown): Mode | undefined | null {
  if (value === undefined || value === null) return undefined;
  if (value === 1 || value === 2 || value === 3) return value;
  if (typeof value === "string") {
    const byName = MODE_BY_NAME.get(value.toLowerCase());
    if (byName) return byName;
    if (value === "1" || value === "2" || value === "3") return Number(value) as Mode;
  }
  return null;
}

const ACTIONS: ReadonlySet<string> = new Set([
  "authenticate", "auth", "subscribe", "unsubscribe", "unsubscribe_all", "ping", "get_broker_info",
  "get_supported_brokers", "list_subscriptions", "set_format",
]);

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const clip = (s: string) => (s.length > 64 ? `${s.slice(0, 61)}...` : s);

/** Parses one text message. Never throws: a message it cannot use becomes a Refusal. */
export function parseRequest(text: string): Request | Refusal {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { error: "INVALID_JSON", message: "Invalid JSON message", requestId: undefined };
  }
  if (!isObject(raw)) return { error: "INVALID_JSON", message: "Invalid JSON message", requestId: undefined };
  const requestId = typeof raw.request_id === "string" || typeof raw.request_id === "number" ? raw.request_id : undefined;
  const action = raw.action ?? raw.type;
  if (typeof action !== "string" || !ACTIONS.has(action)) {
    return { error: "INVALID_ACTION", message: `Invalid action: ${typeof action === "string" ? clip(action) : String(action)}`, requestId };
  }
  switch (action) {
    case "authenticate":
    case "auth":
      return { action: "authenticate", apiKey: raw.api_key ?? raw.apikey, requestId };
    case "subscribe":
    case "unsubscribe": {
      const mode = parseMode(raw.mode);
      if (mode === null) return { error: "INVALID_MODE", message: `Invalid mode: ${clip(JSON.stringify(raw.mode) ?? "")} (use 1, 2, 3 or "LTP", "Quote", "Depth")`, requestId };
      if (raw.depth !== undefined && raw.depth !== DEPTH_LEVELS && raw.depth !== String(DEPTH_LEVELS)) {
        // OpenAlgo answers depth levels its broker lacks per symbol; ours all have 5.
        const list = symbolList(raw);
        if (Array.isArray(list) && list.length > 0) {
          return {
            action, mode, requestId, single: raw.symbols === undefined, symbols: list.map((e) => refused(e, "UNSUPPORTED_DEPTH_LEVEL", `Depth level ${clip(String(raw.depth))} is not supported (5 is)`)),
          };
        }
      }
      const list = symbolList(raw);
      if (!Array.isArray(list) || list.length === 0) return { error: "INVALID_PARAMETERS", message: "At least one symbol must be specified", requestId };
      return { action, mode, requestId, single: raw.symbols === undefined, symbols: list.map(symbolEntry) };
    }
    case "ping":
      return { action, timestamp: raw.timestamp, pingId: raw._pingId, requestId };
    case "set_format":
      return { action, format: raw.format, requestId };
    default:
      return { action: action as "unsubscribe_all" | "get_broker_info" | "get_supported_brokers" | "list_subscriptions", requestId };
  }
}

function symbolList(raw: Record<string, unknown>): unknown[] | undefined {
  if (raw.symbols !== undefined) return Array.isArray(raw.symbols) ? raw.symbols : undefined;
  if (raw.symbol !== undefined || raw.exchange !== undefined) return [{ symbol: raw.symbol, exchange: raw.exchange }];
  return undefined;
}

function refused(e: unknown, code: SymbolErrorCode, message: string): SymbolEntry {
  const o = isObject(e) ? e : {};
  return { ok: false, exchange: typeof o.exchange === "string" ? clip(o.exchange) : "", symbol: typeof o.symbol === "string" ? clip(o.symbol) : "", code, message };
}

function symbolEntry(e: unknown): SymbolEntry {
  if (!isObject(e)) return refused(e, "INVALID_PARAMETERS", "Each symbol must be an object with symbol and exchange");
  const { symbol, exchange } = e;
  if (typeof symbol !== "string" || symbol.length === 0 || symbol.length > 64) return refused(e, "INVALID_PARAMETERS", "symbol must be a non-empty string");
  if (typeof exchange !== "string" || exchange.length === 0) return refused(e, "INVALID_PARAMETERS", "exchange must be a non-empty string");
  if (!EXCHANGES.has(exchange)) return refused(e, "SYMBOL_NOT_FOUND", `Symbol ${clip(exchange)}:${clip(symbol)} not found (unknown exchange)`);
  const mode = parseMode(e.mode);
  if (mode === null) return refused(e, "INVALID_MODE", `Invalid mode: ${clip(JSON.stringify(e.mode) ?? "")}`);
  return { ok: true, exchange, symbol, mode };
}

/** The error envelope. */
export function errorReply(code: string, message: string, requestId?: RequestId): Record<string, unknown> {
  return withId({ status: "error", code, message }, requestId);
}

export function withId<T extends Record<string, unknown>>(reply: T, requestId: RequestId): T {
  if (requestId !== undefined) (reply as Record<string, unknown>).request_id = requestId;
  return reply;
}

/** success / partial / error from per-symbol outcomes. */
export function overallStatus(ok: number, failed: number): "success" | "partial" | "error" {
  return failed === 0 ? "success" : ok === 0 ? "error" : "partial";
}
