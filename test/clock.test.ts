import { test } from "uvu";
import * as assert from "uvu/assert";
import { monotonicNs } from "../src/index.js";
import { startWorker } from "../src/node/start-worker.js";

test("monotonicNs never goes backwards and counts nanoseconds", () => {
  let last = monotonicNs();
  for (let i = 0; i < 100_000; i++) {
    const now = monotonicNs();
    assert.ok(now >= last, `went back ${last - now} ns`);
    last = now;
  }
  const [s, ns] = process.hrtime();
  assert.ok(Math.abs(monotonicNs() - (s * 1e9 + ns)) < 1e6, "not on process.hrtime's clock");
});

test("a stamp taken in a worker is ordered with the main thread's clock (one clock for all threads)", async () => {
  const worker = startWorker(new URL("./workers/clock-worker.ts", import.meta.url));
  try {
    for (let i = 0; i < 50; i++) {
      const sent = monotonicNs();
      const stamp: number = await new Promise((resolve) => { worker.once("message", resolve); worker.postMessage(0); });
      const received = monotonicNs();
      // Calibration error is ~0.1 µs a thread; allow 2 µs either side.
      assert.ok(stamp > sent - 2000 && stamp < received + 2000, `worker stamp ${stamp - sent} ns after send, round trip ${received - sent} ns`);
    }
  } finally {
    await worker.terminate();
  }
});

test.run();
