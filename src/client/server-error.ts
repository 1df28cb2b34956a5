// A request the server answered with an error: a TickwireError ("FAILED", so callers
// that switch on code need nothing new) that also carries the server's own code, so
// "RATE_LIMITED" (retry later) and "AUTHENTICATION_ERROR" (fix the key) can be told apart.

import { TickwireError } from "../errors.js";

/** The server refused a request; `serverCode` is its protocol error code (docs/PROTOCOL.md). */
export class TickwireServerError extends TickwireError {
  /**
   * @param serverCode - the server's code, e.g. "AUTHENTICATION_ERROR", "RATE_LIMITED"
   * @param message - what was refused and the server's message (never the API key)
   */
  constructor(readonly serverCode: string, message: string) {
    super("FAILED", message);
  }
}
