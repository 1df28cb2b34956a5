// Where alert events go. A sink is anything with a name and a send(); the monitor hands every
// event to every sink, and one sink failing (throwing, rejecting) never keeps an event from
// the others nor stops the monitor: it is counted and reported.

import { TickwireError } from "../errors.js";
import { checkObject, describe } from "../validate.js";
import type { AlertEvent, AlertEventType } from "./alerts.js";
import { Emitter, isThenable } from "./emitter.js";

/** A destination for alert events. */
export interface AlertSink {
  /** Unique among a monitor's sinks; names it in reports and in stats. */
  readonly name: string;
  /**
   * Delivers one event. Should return quickly: slow work belongs in a queue of the sink's own
   * (as {@link webhookSink} does). A throw or a rejection is counted and reported.
   */
  send(event: AlertEvent): void | PromiseLike<void>;
  /** Delivers what is queued and lets go of resources, in at most `timeoutMs` (the monitor's stop calls it). */
  close?(timeoutMs: number): void | PromiseLike<void>;
  /** Counters for the monitor's stats (e.g. a webhook's sent, failed, retried, dropped). */
  counters?(): Readonly<Record<string, number>>;
}

/** The events an {@link emitterSink} emits: "alert" for every event, and each event under its type. */
export type AlertEvents = { readonly [K in "alert" | AlertEventType]: AlertEvent };

/**
 * The human line for an event, e.g.
 * `ALERT raised critical latencyP99: client p99 12.4 ms > 10 ms`.
 */
export function formatAlertLine(event: AlertEvent): string {
  const e = checkObject<AlertEvent>(event, "formatAlertLine: event");
  const alert = checkObject<AlertEvent["alert"]>(e.alert, "formatAlertLine: event.alert");
  return `ALERT ${text(e.type)} ${text(alert.severity)} ${text(alert.name)}: ${text(alert.message)}`;
}

/** A string as is; anything else rendered safely (a hand-made event may hold anything). */
function text(v: unknown): string {
  return typeof v === "string" ? v : describe(v);
}

/**
 * A sink that writes one {@link formatAlertLine} line per event to `log`.
 * @param name - the sink's name (default "log")
 */
export function logSink(log: (line: string) => void, name = "log"): AlertSink {
  if (typeof log !== "function") throw new TickwireError("ARGUMENT", `logSink: log must be a function, got ${describe(log)}`);
  checkSinkName(name, "logSink: name");
  return Object.freeze({ name, send: (event: AlertEvent) => log(formatAlertLine(event)) });
}

/**
 * A sink that emits each event on `emitter` twice: as "alert" and as its type ("raised", …).
 * @param name - the sink's name (default "emitter")
 */
export function emitterSink(emitter: Emitter<AlertEvents>, name = "emitter"): AlertSink {
  if (!(emitter instanceof Emitter)) throw new TickwireError("ARGUMENT", `emitterSink: emitter must be an Emitter, got ${describe(emitter)}`);
  checkSinkName(name, "emitterSink: name");
  return Object.freeze({
    name,
    send(event: AlertEvent) {
      const e = checkObject<AlertEvent>(event, "emitterSink.send: event");
      emitter.emit("alert", e);
      emitter.emit(e.type, e);
    },
  });
}

/** `v` as an AlertSink (a name and a send function; close and counters functions if given). @internal */
export function checkSink(v: unknown, what: string): AlertSink {
  const sink = checkObject<Record<string, unknown>>(v, what);
  checkSinkName(sink.name, `${what}.name`);
  if (typeof sink.send !== "function") throw new TickwireError("ARGUMENT", `${what}.send must be a function, got ${describe(sink.send)}`);
  for (const key of ["close", "counters"] as const) {
    if (sink[key] !== undefined && typeof sink[key] !== "function") throw new TickwireError("ARGUMENT", `${what}.${key} must be a function when given, got ${describe(sink[key])}`);
  }
  return sink as unknown as AlertSink;
}

function checkSinkName(name: unknown, what: string): void {
  if (typeof name !== "string" || name.length === 0) throw new TickwireError("ARGUMENT", `${what} must be a non-empty string, got ${describe(name)}`);
}

/** The sinks of one monitor: sends every event to each, counting and reporting failures. @internal */
export class SinkSet {
  private readonly sinks: AlertSink[] = [];
  private errorCount = 0;

  /** @param report - told of each failure, in one line */
  constructor(private readonly report: (message: string) => void) {}

  /** Send or close calls that threw or rejected. */
  get errors(): number {
    return this.errorCount;
  }

  /**
   * Adds a sink.
   * @throws TickwireError "ARGUMENT": not a sink, or a sink of that name is already there
   */
  add(sink: AlertSink): void {
    const s = checkSink(sink, "addSink: sink");
    if (this.sinks.some((other) => other.name === s.name)) throw new TickwireError("ARGUMENT", `addSink: a sink named ${describe(s.name)} is already added`);
    this.sinks.push(s);
  }

  /** Hands `event` to every sink. */
  send(event: AlertEvent): void {
    for (const sink of this.sinks) {
      try {
        const result = sink.send(event);
        if (isThenable(result)) result.then(undefined, (error: unknown) => this.failed(sink, `${event.type} event`, error));
      } catch (error) {
        this.failed(sink, `${event.type} event`, error);
      }
    }
  }

  /** Each sink's counters, by sink name (sinks without counters left out). */
  counters(): Record<string, Readonly<Record<string, number>>> {
    const out: Record<string, Readonly<Record<string, number>>> = {};
    for (const sink of this.sinks) {
      if (typeof sink.counters !== "function") continue;
      try {
        out[sink.name] = sink.counters();
      } catch (error) {
        this.failed(sink, "counters", error);
      }
    }
    return out;
  }

  /** Closes every sink at once; resolves when all have, or after `timeoutMs` (never rejects). */
  async close(timeoutMs: number): Promise<void> {
    const closing = this.sinks.map(async (sink) => {
      try {
        await sink.close?.(timeoutMs);
      } catch (error) {
        this.failed(sink, "close", error);
      }
    });
    let timer: ReturnType<typeof setTimeout> | undefined;
    const bound = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
    try {
      await Promise.race([Promise.all(closing), bound]);
    } finally {
      clearTimeout(timer);
    }
  }

  private failed(sink: AlertSink, what: string, error: unknown): void {
    this.errorCount++;
    this.report(`alert sink ${sink.name} failed (${what}): ${errorText(error)}`);
  }
}

/** An error's message without calling user code beyond reading `message` (guarded). @internal */
export function errorText(error: unknown): string {
  try {
    if (error instanceof Error) return `${error.name}: ${error.message}`;
  } catch {
    // a hostile getter: fall through to the safe rendering
  }
  return describe(error);
}
