// A sink shared by several producers (connections) whose target takes one call at a
// time (ParallelProcessor.route: "await each call before the next"): calls queue and
// run in order. A producer still awaits its own call before reusing its records.
import type { TickSink } from "./contract.js";

/** Wraps `sink` so that overlapping calls run one after another, in call order. */
export function serialSink(sink: TickSink): TickSink {
  let tail: Promise<unknown> = Promise.resolve();
  let busy = 0;
  return (src, bytes) => {
    // The common case, nobody ahead: call straight through (no extra promise hop).
    if (busy === 0) {
      const r = sink(src, bytes);
      if (typeof r === "number") return r;
      busy++;
      const done = r.finally(() => { busy--; });
      tail = done.catch(() => {});
      return done;
    }
    busy++;
    const run = tail.then(() => sink(src, bytes)).finally(() => { busy--; });
    tail = run.catch(() => {});
    return run;
  };
}
