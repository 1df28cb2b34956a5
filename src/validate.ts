// Argument checks shared by every public entry point: a value that is not what
// the call documents becomes a TickwireError naming it, never a TypeError, a
// silent truncation on its way into Wasm, or a trap inside it.

import { TickwireError, type TickwireErrorCode } from "./errors.js";

/** A short, safe rendering of any value for an error message (never calls user code). */
export function describe(v: unknown): string {
  switch (typeof v) {
    case "string": return v.length > 40 ? `${JSON.stringify(v.slice(0, 40))}…` : JSON.stringify(v);
    case "number": return Object.is(v, -0) ? "-0" : String(v);
    case "bigint": return `${v}n`;
    case "undefined": return "undefined";
    case "boolean": return String(v);
    case "symbol": return "a symbol";
    case "function": return "a function";
    default: return v === null ? "null" : Array.isArray(v) ? "an array" : "an object";
  }
}

/** `context: what`, or `what` alone. Messages are built only when a check fails: no string per call. */
export function named(what: string, context?: string): string {
  return context === undefined ? what : `${context}: ${what}`;
}

/** `v` as an integer from `min` to `max`, or an error (code `code`) naming `what` (in `context`). */
export function checkInt(v: unknown, min: number, max: number, what: string, code: TickwireErrorCode = "ARGUMENT", context?: string): number {
  // Small enough for V8 to inline on hot paths: the message is built out of line, on failure only.
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) notInt(v, min, max, what, code, context);
  return v as number;
}

function notInt(v: unknown, min: number, max: number, what: string, code: TickwireErrorCode, context?: string): never {
  throw new TickwireError(code, `${named(what, context)} must be an integer from ${min} to ${max}, got ${describe(v)}`);
}

/** Longest timeout accepted, ms (what setTimeout and Atomics.waitAsync can hold: ~24.8 days). */
export const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/** `v` as a timeout in ms: a finite number from 0 to MAX_TIMEOUT_MS. */
export function checkTimeout(v: unknown, what: string, context?: string): number {
  if (typeof v !== "number" || !Number.isFinite(v) || v < 0 || v > MAX_TIMEOUT_MS) notTimeout(v, what, context);
  return v as number;
}

function notTimeout(v: unknown, what: string, context?: string): never {
  throw new TickwireError("ARGUMENT", `${named(what, context)} must be a finite number of ms from 0 to ${MAX_TIMEOUT_MS}, got ${describe(v)}`);
}

/** `v` as a plain object (not null, not an array), for options and specs. */
export function checkObject<T extends object>(v: unknown, what: string): T {
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new TickwireError("ARGUMENT", `${what} must be an object, got ${describe(v)}`);
  return v as T;
}

/** `v` as an options object: undefined means `{}`. */
export function checkOptions<T extends object>(v: unknown, what: string): Partial<T> {
  return v === undefined ? {} : checkObject<Partial<T>>(v, what);
}

/** `v` as a string. */
export function checkString(v: unknown, what: string, code: TickwireErrorCode = "ARGUMENT"): string {
  if (typeof v !== "string") throw new TickwireError(code, `${what} must be a string, got ${describe(v)}`);
  return v;
}

/** `v` as an instance of `type`. */
export function checkInstance<T>(v: unknown, type: { readonly prototype: T; readonly name: string }, what: string): T {
  if (!(v instanceof (type as unknown as new () => T))) throw new TickwireError("ARGUMENT", `${what} must be a ${type.name}, got ${describe(v)}`);
  return v as T;
}
