// What every fuzz test of the public API shares: the error codes a TickwireError may carry (checked
// complete at compile time), the sentinel a callback we hand the API throws, and hostile values.
import fc from "fast-check";
import * as assert from "uvu/assert";
import type { TickwireErrorCode } from "../../src/errors.js";

export const ALL_CODES = [
  "TRUNCATED", "VERSION", "KIND", "LENGTH", "PRICE", "PRECISION", "DECIMALS", "EXCHANGE", "SYMBOL", "TABLE_FULL",
  "OUTPUT_FULL", "BROKER", "ARGUMENT", "REGION", "HANDLE", "MEMORY", "TIMEOUT", "GIVEN_UP", "FAILED", "DETACHED",
] as const satisfies readonly TickwireErrorCode[];
// Compile-time: every TickwireErrorCode is listed (a new code must be added above).
const _everyCode: Exclude<TickwireErrorCode, (typeof ALL_CODES)[number]> extends never ? true : never = true;
void _everyCode;
/** Every TickwireErrorCode. */
export const CODES: ReadonlySet<string> = new Set(ALL_CODES);

/** The error a callback we hand to the API throws: propagating it is the documented behaviour. */
export class Sentinel extends Error {
  constructor() {
    super("sentinel thrown by a fuzz callback");
  }
}

/** An object whose every conversion to a primitive throws: a call must refuse it without converting it. */
export const evil = {
  toString(): string { throw new Error("evil toString called"); },
  valueOf(): number { throw new Error("evil valueOf called"); },
  [Symbol.toPrimitive](): never { throw new Error("evil toPrimitive called"); },
  [fc.toStringMethod]: () => "evil{toString,valueOf,toPrimitive throw}",
};

/** After a fuzz run: every entry point was called, and each succeeded at least once (a fuzz that only ever sees refusals tests nothing). */
export function assertEveryEntryPoint(names: readonly string[], outcomes: ReadonlyMap<string, { has(outcome: string): boolean }>): void {
  assert.equal(names.filter((n) => !outcomes.has(n)), [], "every entry point was called");
  assert.equal(names.filter((n) => !outcomes.get(n)?.has("ok")), [], "every entry point succeeded at least once");
}

/**
 * The property of every API fuzz test: `runs` random sequences of 1 to 40 calls, each on a fresh
 * world (disposed after it, whatever happened); `exec` runs one call and checks it. Counts what ran.
 */
export async function runSequences<W extends { dispose(): unknown }, C>(
  callArb: fc.Arbitrary<C>, world: () => W | Promise<W>, exec: (w: W, call: C) => Promise<void>, options: { seed: number; runs: number },
): Promise<{ sequences: number; calls: number }> {
  const count = { sequences: 0, calls: 0 };
  await fc.assert(
    fc.asyncProperty(fc.array(callArb, { minLength: 1, maxLength: 40, size: "max" }), async (seq) => {
      const w = await world();
      count.sequences++;
      try {
        for (const call of seq) {
          count.calls++;
          await exec(w, call);
        }
      } finally {
        await w.dispose();
      }
    }),
    { seed: options.seed, numRuns: options.runs, includeErrorInReport: true },
  );
  return count;
}
