// An alert sink that POSTs each event as JSON to a URL. Delivery is a queue per sink drained
// by one loop, so events arrive in order and a slow or dead webhook never blocks the monitor
// (send returns at once). Webhook URLs and headers carry tokens: no message this module makes
// holds the URL's userinfo, path or query, nor any header value — only protocol and host (a
// Slack-style hook carries its token in the path).

import { TickwireError } from "../errors.js";
import { checkInt, checkObject, checkString, checkTimeout, describe, MAX_TIMEOUT_MS } from "../validate.js";
import type { AlertEvent } from "./alerts.js";
import type { AlertSink } from "./sinks.js";

/** The part of `fetch` the webhook uses (the global fetch fits it). */
export type WebhookFetch = (url: string, init: {
  method: "POST";
  headers: Record<string, string>;
  body: string;
  signal: AbortSignal;
  redirect: "manual";
}) => Promise<{
  readonly status: number;
  readonly headers: { get(name: string): string | null };
  readonly body?: { cancel(): Promise<void> } | null;
}>;

/** Options of {@link webhookSink}. */
export interface WebhookSinkOptions {
  /** Where to POST: an absolute http(s) URL. Userinfo (`user:pass@`) is sent as HTTP Basic auth. */
  readonly url: string;
  /** Extra request headers (e.g. authorization). Values are never logged. */
  readonly headers?: Readonly<Record<string, string>>;
  /** The sink's name. Default `webhook <protocol>//<host>`. */
  readonly name?: string;
  /** Each attempt is aborted after this many ms. Default 5000. */
  readonly timeoutMs?: number;
  /** Attempts after the first, on network errors, timeouts, 5xx and 429. Default 5. */
  readonly retries?: number;
  /** Backoff before retry n is random in [0, min(maxBackoffMs, backoffMs × 2^(n−1))) ms ("full jitter"). Default 500. */
  readonly backoffMs?: number;
  /** The longest wait between attempts, a Retry-After included. Default 30 000. */
  readonly maxBackoffMs?: number;
  /** Events held at most; one more drops the oldest (counted as dropped). Default 1000. */
  readonly queueLimit?: number;
  /** Told of each failed attempt, give-up and drop, in one line without secrets. Default: nobody (the counters still count). */
  readonly onError?: (message: string) => void;
  /** The fetch to use (tests). Default the global fetch. */
  readonly fetch?: WebhookFetch;
  /** Waits `ms`, or less when `signal` aborts (tests). Default setTimeout. */
  readonly sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** A number in [0, 1) for the jitter (tests). Default Math.random. */
  readonly random?: () => number;
}

/** What a webhook sink has done. (A type, not an interface, so that it fits AlertSink.counters.) */
export type WebhookCounters = {
  /** Events delivered (a 2xx answer). */
  readonly sent: number;
  /** Events given up on: a 4xx other than 429, a redirect, or every attempt failed. */
  readonly failed: number;
  /** Attempts after an event's first. */
  readonly retried: number;
  /** Events dropped unsent: queue overflow, sent after close, or still queued when close gave up. */
  readonly dropped: number;
  /** Events waiting now (the one in flight included). */
  readonly queued: number;
};

/** An {@link AlertSink} that POSTs events to a webhook. */
export interface WebhookSink extends AlertSink {
  /** Queues `event` and returns at once. @throws TickwireError "ARGUMENT" if it is not an object that JSON can hold */
  send(event: AlertEvent): void;
  /** Stops taking events, waits for the queue to drain, and after `timeoutMs` (default 5000) aborts and drops the rest. Never rejects. */
  close(timeoutMs?: number): Promise<void>;
  counters(): WebhookCounters;
}

const OPTION_KEYS: readonly string[] = ["url", "headers", "name", "timeoutMs", "retries", "backoffMs", "maxBackoffMs", "queueLimit", "onError", "fetch", "sleep", "random"];
const EVENT_TYPES: readonly string[] = ["raised", "cleared", "escalated", "deescalated"];
/** An HTTP header name (RFC 9110 token). */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * A sink that POSTs each event, as JSON `{ type, alert, time, source: "tickwire" }` with
 * `content-type: application/json`, to `options.url`; see {@link WebhookSinkOptions}.
 * @throws TickwireError "ARGUMENT" naming the option at fault (never echoing the URL or a header value)
 */
export function webhookSink(options: WebhookSinkOptions): WebhookSink {
  return new WebhookDelivery(resolveOptions(options));
}

interface ResolvedWebhook {
  readonly url: string;
  /** `protocol//host`: the only form of the URL that messages show. */
  readonly label: string;
  readonly name: string;
  readonly headers: Record<string, string>;
  readonly timeoutMs: number;
  readonly retries: number;
  readonly backoffMs: number;
  readonly maxBackoffMs: number;
  readonly queueLimit: number;
  readonly onError: ((message: string) => void) | undefined;
  readonly fetch: WebhookFetch;
  readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  readonly random: () => number;
}

function resolveOptions(options: unknown): ResolvedWebhook {
  const o = checkObject<Record<string, unknown>>(options, "webhookSink: options");
  for (const key of Object.keys(o)) {
    if (!OPTION_KEYS.includes(key)) throw new TickwireError("ARGUMENT", `webhookSink: unknown option ${describe(key)} (known: ${OPTION_KEYS.join(", ")})`);
  }
  if (typeof o.url !== "string") throw new TickwireError("ARGUMENT", `webhookSink: url must be a string, got ${describe(o.url)}`);
  let url: URL | undefined;
  try {
    url = new URL(o.url);
  } catch {
    url = undefined;
  }
  // The URL itself is not echoed: it may hold a token.
  if (url === undefined || (url.protocol !== "http:" && url.protocol !== "https:")) throw new TickwireError("ARGUMENT", "webhookSink: url must be an absolute http: or https: URL");
  // Host only: Slack-style hooks carry their token in the path (https://hooks.slack.com/services/T…/B…/secret).
  const label = `${url.protocol}//${url.host}`;
  const headers = resolveHeaders(o.headers);
  if ((url.username || url.password) && !Object.keys(headers).some((h) => h.toLowerCase() === "authorization")) {
    headers.authorization = `Basic ${base64(`${decode(url.username)}:${decode(url.password)}`)}`;
  }
  // fetch refuses URLs with credentials; they travel in the header instead.
  url.username = "";
  url.password = "";
  const fn = (key: string): unknown => {
    const v = o[key];
    if (v !== undefined && typeof v !== "function") throw new TickwireError("ARGUMENT", `webhookSink: ${key} must be a function, got ${describe(v)}`);
    return v;
  };
  const fetchFn = fn("fetch") ?? (typeof fetch === "function" ? fetch : undefined);
  if (fetchFn === undefined) throw new TickwireError("ARGUMENT", "webhookSink: this runtime has no global fetch; pass options.fetch");
  const timeoutMs = checkTimeout(o.timeoutMs ?? 5000, "webhookSink: timeoutMs");
  if (timeoutMs === 0) throw new TickwireError("ARGUMENT", "webhookSink: timeoutMs must be above 0");
  const backoffMs = checkTimeout(o.backoffMs ?? 500, "webhookSink: backoffMs");
  const maxBackoffMs = checkTimeout(o.maxBackoffMs ?? 30_000, "webhookSink: maxBackoffMs");
  return {
    url: url.href,
    label,
    name: o.name === undefined ? `webhook ${label}` : checkName(o.name),
    headers,
    timeoutMs,
    retries: checkInt(o.retries ?? 5, 0, 100, "webhookSink: retries"),
    backoffMs,
    maxBackoffMs,
    queueLimit: checkInt(o.queueLimit ?? 1000, 1, 1_000_000, "webhookSink: queueLimit"),
    onError: fn("onError") as ResolvedWebhook["onError"],
    fetch: fetchFn as WebhookFetch,
    sleep: (fn("sleep") as ResolvedWebhook["sleep"] | undefined) ?? abortableSleep,
    random: (fn("random") as ResolvedWebhook["random"] | undefined) ?? Math.random,
  };
}

function checkName(v: unknown): string {
  const name = checkString(v, "webhookSink: name");
  if (name.length === 0) throw new TickwireError("ARGUMENT", "webhookSink: name must not be empty");
  return name;
}

function resolveHeaders(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  const given = v === undefined ? {} : checkObject<Record<string, unknown>>(v, "webhookSink: headers");
  for (const name of Object.keys(given)) {
    if (!TOKEN.test(name)) throw new TickwireError("ARGUMENT", `webhookSink: header name ${describe(name)} is not a valid HTTP header name`);
    const value = given[name];
    // Name the header, never its value.
    if (typeof value !== "string" || /[\r\n\0]/.test(value)) throw new TickwireError("ARGUMENT", `webhookSink: header ${name} must be a string without CR, LF or NUL`);
    if (name.toLowerCase() === "content-type") continue; // the body is JSON, whatever was given
    out[name] = value;
  }
  out["content-type"] = "application/json";
  return out;
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Base64 of the UTF-8 bytes of `s` (btoa alone takes Latin-1 only). */
function base64(s: string): string {
  let binary = "";
  for (const byte of new TextEncoder().encode(s)) binary += String.fromCharCode(byte);
  return btoa(binary);
}

function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    (timer as { unref?: () => void }).unref?.(); // a backoff never keeps the process alive
    signal.addEventListener("abort", done, { once: true });
  });
}

/** How one attempt ended. */
type Outcome =
  | { readonly ok: true }
  | { readonly ok: false; readonly retry: boolean; readonly reason: string; readonly retryAfterMs?: number };

interface Queued {
  readonly body: string;
  readonly type: string;
}

class WebhookDelivery implements WebhookSink {
  readonly name: string;
  private readonly queue: Queued[] = [];
  private inFlight = 0;
  private sent = 0;
  private failed = 0;
  private retried = 0;
  private dropped = 0;
  private closed = false;
  /** Aborts the attempt or backoff in progress when close gives up. */
  private readonly stopNow = new AbortController();
  private draining: Promise<void> | undefined;

  constructor(private readonly o: ResolvedWebhook) {
    this.name = o.name;
  }

  send(event: AlertEvent): void {
    const e = checkObject<Record<string, unknown>>(event, "webhookSink.send: event");
    const type = EVENT_TYPES.includes(e.type as string) ? (e.type as string) : "unknown";
    let body: string;
    try {
      body = JSON.stringify({ type: e.type, alert: e.alert, time: e.time, source: "tickwire" });
    } catch (error) {
      throw new TickwireError("ARGUMENT", `webhookSink.send: the event cannot be written as JSON (${error instanceof Error ? error.name : "error"})`);
    }
    if (this.closed) {
      this.dropped++;
      this.report(`webhook ${this.o.label}: closed, dropped a ${type} event`);
      return;
    }
    if (this.queue.length >= this.o.queueLimit) {
      const oldest = this.queue.shift()!;
      this.dropped++;
      this.report(`webhook ${this.o.label}: queue full (limit ${this.o.queueLimit}), dropped the oldest (a ${oldest.type} event)`);
    }
    this.queue.push({ body, type });
    this.draining ??= this.drain();
  }

  counters(): WebhookCounters {
    return { sent: this.sent, failed: this.failed, retried: this.retried, dropped: this.dropped, queued: this.queue.length + this.inFlight };
  }

  async close(timeoutMs = 5000): Promise<void> {
    const limit = typeof timeoutMs === "number" && timeoutMs >= 0 ? Math.min(timeoutMs, MAX_TIMEOUT_MS) : 5000;
    this.closed = true;
    if (this.draining === undefined) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const gaveUp = await Promise.race([
      this.draining.then(() => false),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), limit))),
    ]);
    clearTimeout(timer);
    if (!gaveUp) return;
    const left = this.queue.length + this.inFlight;
    this.dropped += this.queue.length;
    this.queue.length = 0;
    this.stopNow.abort(); // the event in flight is counted as dropped when its attempt returns
    this.report(`webhook ${this.o.label}: close gave up after ${limit} ms, dropped ${left} event(s)`);
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0 && !this.stopNow.signal.aborted) {
        const item = this.queue.shift()!;
        this.inFlight = 1;
        try {
          await this.deliver(item);
        } catch {
          // Only an injected sleep or random can get here; the event is lost, the queue goes on.
          this.failed++;
          this.report(`webhook ${this.o.label} failed: the injected sleep or random threw; gave up on a ${item.type} event`);
        }
        this.inFlight = 0;
      }
    } finally {
      this.inFlight = 0;
      this.draining = undefined;
    }
  }

  private async deliver(item: Queued): Promise<void> {
    const attempts = this.o.retries + 1;
    for (let attempt = 1; ; attempt++) {
      if (this.stopNow.signal.aborted) {
        // close() gave up while this one waited to retry: no attempt after that.
        this.dropped++;
        return;
      }
      const outcome = await this.attempt(item.body);
      if (this.stopNow.signal.aborted) {
        this.dropped++;
        return;
      }
      if (outcome.ok) {
        this.sent++;
        return;
      }
      const where = `webhook ${this.o.label} failed: ${outcome.reason} (attempt ${attempt} of ${attempts})`;
      if (!outcome.retry || attempt >= attempts) {
        this.failed++;
        this.report(`${where}; gave up on a ${item.type} event`);
        return;
      }
      const cap = Math.min(this.o.maxBackoffMs, this.o.backoffMs * 2 ** (attempt - 1));
      const wait = outcome.retryAfterMs !== undefined ? Math.min(outcome.retryAfterMs, this.o.maxBackoffMs) : jitter(this.o.random) * cap;
      this.report(`${where}; retrying in ${Math.round(wait)} ms`);
      this.retried++;
      await this.o.sleep(wait, this.stopNow.signal);
    }
  }

  private async attempt(body: string): Promise<Outcome> {
    const abort = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      abort.abort();
    }, this.o.timeoutMs);
    (timer as { unref?: () => void }).unref?.();
    const onStop = (): void => abort.abort();
    this.stopNow.signal.addEventListener("abort", onStop, { once: true });
    try {
      const response = await this.o.fetch(this.o.url, { method: "POST", headers: { ...this.o.headers }, body, signal: abort.signal, redirect: "manual" });
      const status = typeof response?.status === "number" ? response.status : 0;
      discardBody(response);
      if (status >= 200 && status <= 299) return { ok: true };
      if (status === 429 || status >= 500) return { ok: false, retry: true, reason: String(status), retryAfterMs: retryAfterMs(response) };
      return { ok: false, retry: false, reason: status === 0 ? "no HTTP status" : String(status) };
    } catch (error) {
      return { ok: false, retry: true, reason: timedOut ? `timed out after ${this.o.timeoutMs} ms` : networkReason(error) };
    } finally {
      clearTimeout(timer);
      this.stopNow.signal.removeEventListener("abort", onStop);
    }
  }

  private report(message: string): void {
    try {
      this.o.onError?.(message);
    } catch {
      // A reporter that throws must not stop deliveries.
    }
  }
}

function jitter(random: () => number): number {
  const r = random();
  return typeof r === "number" && r >= 0 && r < 1 ? r : Math.random();
}

/** Lets go of the response body unread (the connection is freed for the next attempt). */
function discardBody(response: unknown): void {
  try {
    const body = (response as { body?: { cancel?: () => Promise<void> } | null }).body;
    body?.cancel?.().catch(() => {});
  } catch {
    // a body that cannot be cancelled is left to the garbage collector
  }
}

/** A Retry-After header as ms: delay-seconds, or an HTTP date. */
function retryAfterMs(response: unknown): number | undefined {
  let value: unknown;
  try {
    value = (response as { headers?: { get?: (name: string) => string | null } }).headers?.get?.("retry-after");
  } catch {
    return undefined;
  }
  if (typeof value !== "string") return undefined;
  if (/^\s*\d+\s*$/.test(value)) return Number(value) * 1000;
  const date = Date.parse(value);
  return Number.isFinite(date) ? Math.max(0, date - Date.now()) : undefined;
}

/** A network error as a short reason: its system code (ECONNREFUSED, …) or its name, never its message. */
function networkReason(error: unknown): string {
  try {
    const code = (error as { cause?: { code?: unknown } } | undefined)?.cause?.code ?? (error as { code?: unknown } | undefined)?.code;
    if (typeof code === "string" && /^[A-Z0-9_]{1,40}$/.test(code)) return `network error ${code}`;
    if (error instanceof Error && /^[A-Za-z]{1,40}$/.test(error.name)) return `network error (${error.name})`;
  } catch {
    // fall through
  }
  return "network error";
}
