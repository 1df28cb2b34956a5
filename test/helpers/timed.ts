// Tests that fail after a time limit instead of hanging the suite.
import { test } from "uvu";

/** A uvu test that fails after `ms`; `cleanup` runs after it either way. */
export function timedTest(name: string, ms: number, fn: () => Promise<void>, cleanup?: () => void): void {
  test(name, async () => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      await Promise.race([fn(), new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`test timed out after ${ms} ms`)), ms)))]);
    } finally {
      clearTimeout(timer);
      cleanup?.();
    }
  });
}
