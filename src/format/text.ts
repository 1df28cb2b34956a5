// The one rule for names that travel as JSON strings without escaping (symbols, the
// broker): well-formed Unicode without control characters (C0, DEL, C1), quote,
// backslash or U+FEFF (a decoder may strip it). The Wasm core checks the same on
// the UTF-8 bytes (assembly/symbols.ts validName).

// eslint-disable-next-line no-control-regex
const FORBIDDEN = /[\u0000-\u001f"\\\u007f-\u009f\ufeff]/;

/** Whether `s` is a string that follows the name rule (length aside). */
export function isCleanName(s: unknown): s is string {
  return typeof s === "string" && s.isWellFormed() && !FORBIDDEN.test(s);
}
