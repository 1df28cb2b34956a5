// Stopping a long-running command: the first SIGINT/SIGTERM asks for a graceful stop, a second
// one (an impatient Ctrl+C) exits at once, and a stop that hangs is cut short.
import { clock, type Screen } from "./screen.js";

/** Resolves with the first SIGINT or SIGTERM; a second one exits the process at once (code 130). */
export function untilStopSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    let got = false;
    const on = (signal: NodeJS.Signals): void => {
      if (got) {
        process.stderr.write(`\n${signal} again: exiting without finishing the stop\n`);
        process.exit(130);
      }
      got = true;
      resolve(signal);
    };
    process.on("SIGINT", on);
    process.on("SIGTERM", on);
  });
}

/**
 * A long-running command's life after its banner: a status line every second (redrawn on a
 * terminal, plain lines otherwise; none when `quiet`) until a stop signal, then `stop()`
 * within `stopMs`. Returns the exit code.
 */
export async function runUntilStopped(o: {
  command: string; screen: Screen; quiet: boolean; stopSignal: Promise<NodeJS.Signals>;
  status: () => string; stopping: string; stop: () => Promise<unknown>; stopMs: number;
}): Promise<number> {
  let timer: ReturnType<typeof setInterval> | undefined;
  if (!o.quiet) {
    o.status(); // starts any rate interval
    timer = setInterval(() => {
      const line = o.status();
      if (o.screen.live) o.screen.draw([line]);
      else process.stdout.write(`${clock()} ${line}\n`);
    }, 1000);
  }
  const signal = await o.stopSignal;
  clearInterval(timer);
  o.screen.release();
  process.stderr.write(`${o.screen.live ? "\n" : ""}${signal}: ${o.stopping}\n`);
  if (!(await within(o.stop(), o.stopMs))) {
    process.stderr.write(`${o.command}: the stop did not finish within ${o.stopMs / 1000} s; exiting\n`);
    return 1;
  }
  process.stderr.write("stopped\n");
  return 0;
}

/** `promise`, or false once `ms` passed without it settling. */
export async function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true), late]);
  } finally {
    clearTimeout(timer);
  }
}
