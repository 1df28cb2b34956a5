import * as assert from "uvu/assert";
import { TickwireError, type TickwireErrorCode } from "../../src/index.js";

/** Runs `fn`, expects a TickwireError with `code` (and a message matching `pattern`), and returns it. */
export function throwsCode(fn: () => unknown, code: TickwireErrorCode, pattern?: RegExp): TickwireError {
  try {
    fn();
  } catch (e) {
    assert.instance(e, TickwireError);
    assert.is((e as TickwireError).code, code, (e as Error).message);
    if (pattern) assert.match((e as Error).message, pattern);
    return e as TickwireError;
  }
  assert.unreachable(`expected a ${code} error`);
  throw new Error("unreachable");
}

/** Awaits `p`, expects it to reject with a TickwireError with `code` (and a message matching `pattern`), and returns it. */
export async function rejectsCode(p: Promise<unknown> | (() => Promise<unknown>), code: TickwireErrorCode, pattern?: RegExp): Promise<TickwireError> {
  try {
    await (typeof p === "function" ? p() : p);
  } catch (e) {
    assert.instance(e, TickwireError);
    assert.is((e as TickwireError).code, code, (e as Error).message);
    if (pattern) assert.match((e as Error).message, pattern);
    return e as TickwireError;
  }
  assert.unreachable(`expected a ${code} rejection`);
  throw new Error("unreachable");
}
