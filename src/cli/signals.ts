// Stopping a long-running command: the first SIGINT/SIGTERM asks for a graceful stop, a second
// one (an impatient Ctrl+C) exits at once, and a stop that hangs is cut short.

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
