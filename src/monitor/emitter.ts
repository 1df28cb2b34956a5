// A tiny typed event emitter that runs everywhere (no node:events). One listener that throws
// must not cost the others their event, nor the caller its loop: it is reported and skipped.

import { TickwireError } from "../errors.js";
import { describe } from "../validate.js";

/** A listener of an event whose payload is `T`. */
export type Listener<T> = (payload: T) => void;

/** What {@link Emitter} does with a listener's error. */
export type ListenerErrorHandler = (error: unknown, event: string) => void;

/**
 * A typed event emitter: `Events` maps each event name to its payload type, e.g.
 * `new Emitter<{ sample: MonitorSample; alert: AlertEvent }>()`.
 *
 * Listeners run in the order they were added, synchronously in {@link emit}. A listener that
 * throws (or returns a promise that rejects) is handed to `onListenerError` (default:
 * `console.error`) and the others still run.
 */
export class Emitter<Events extends object> {
  private readonly listeners = new Map<string, Listener<never>[]>();
  private readonly onListenerError: ListenerErrorHandler;

  /** @param onListenerError - told of each listener that throws (default: console.error) */
  constructor(onListenerError?: ListenerErrorHandler) {
    if (onListenerError !== undefined && typeof onListenerError !== "function") {
      throw new TickwireError("ARGUMENT", `Emitter: onListenerError must be a function, got ${describe(onListenerError)}`);
    }
    this.onListenerError = onListenerError ?? ((error, event) => console.error(`tickwire: a listener of "${event}" threw:`, error));
  }

  /**
   * Calls `fn` on every `name` event until the returned function is called.
   * @returns off: removes this listener (calling it again does nothing)
   */
  on<K extends keyof Events & string>(name: K, fn: Listener<Events[K]>): () => void {
    checkListener(name, fn, "on");
    const list = this.listeners.get(name) ?? [];
    list.push(fn as Listener<never>);
    this.listeners.set(name, list);
    let on = true;
    return () => {
      if (!on) return;
      on = false;
      const current = this.listeners.get(name);
      const i = current?.indexOf(fn as Listener<never>) ?? -1;
      if (i >= 0) current!.splice(i, 1);
    };
  }

  /** Calls `fn` on the next `name` event only. @returns off, as {@link on} */
  once<K extends keyof Events & string>(name: K, fn: Listener<Events[K]>): () => void {
    checkListener(name, fn, "once");
    // Hands back what fn returns, so that a rejected promise is reported like a throw.
    const off = this.on(name, (payload: Events[K]) => {
      off();
      return fn(payload);
    });
    return off;
  }

  /**
   * Calls every listener of `name` with `payload` (listeners added or removed meanwhile take
   * effect at the next emit).
   * @returns how many listeners were called
   */
  emit<K extends keyof Events & string>(name: K, payload: Events[K]): number {
    if (typeof name !== "string") throw new TickwireError("ARGUMENT", `Emitter.emit: the event name must be a string, got ${describe(name)}`);
    const list = this.listeners.get(name);
    if (list === undefined || list.length === 0) return 0;
    const snapshot = list.slice();
    for (const fn of snapshot) {
      try {
        const result: unknown = (fn as Listener<Events[K]>)(payload);
        if (isThenable(result)) result.then(undefined, (error: unknown) => this.report(error, name));
      } catch (error) {
        this.report(error, name);
      }
    }
    return snapshot.length;
  }

  /** How many listeners `name` has. */
  listenerCount(name: keyof Events & string): number {
    return this.listeners.get(name)?.length ?? 0;
  }

  private report(error: unknown, event: string): void {
    try {
      this.onListenerError(error, event);
    } catch {
      // The reporter itself failed: nothing sensible is left to tell.
    }
  }
}

function checkListener(name: unknown, fn: unknown, method: string): void {
  if (typeof name !== "string") throw new TickwireError("ARGUMENT", `Emitter.${method}: the event name must be a string, got ${describe(name)}`);
  if (typeof fn !== "function") throw new TickwireError("ARGUMENT", `Emitter.${method}(${describe(name)}): the listener must be a function, got ${describe(fn)}`);
}

/** A promise or anything with a callable `then` (a throwing getter counts as not). @internal */
export function isThenable(v: unknown): v is PromiseLike<unknown> {
  if ((typeof v !== "object" && typeof v !== "function") || v === null) return false;
  try {
    return typeof (v as { then?: unknown }).then === "function";
  } catch {
    return false;
  }
}
