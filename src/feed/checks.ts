// What every adapter checks alike: its context (where records go) and its broker limits,
// and a listener call that a throwing listener cannot break. One place, so the Noren and
// simulated adapters and the subscription manager say the same things the same way.
import { TickwireError } from "../errors.js";
import { MAX_RECORD_BYTES } from "../format/layout.js";
import { TickwireMemory } from "../memory/shared-memory.js";
import { SymbolTable } from "../memory/symbol-table.js";
import { checkInt, checkObject, checkOptions, describe } from "../validate.js";
import type { AdapterContext, BrokerLimits, FeedEvent } from "./contract.js";

/** An adapter's context, checked; `maxBatchBytes` Infinity when not given. */
export interface CheckedContext extends AdapterContext {
  readonly maxBatchBytes: number;
  /** Calls `onEvent`, if any; a listener's error is its own and the feed goes on. */
  readonly emit: (e: FeedEvent) => void;
}

/** Checks an AdapterContext field by field (`what`: "flattrade: context"). */
export function checkContext(context: unknown, what: string): CheckedContext {
  const c = checkObject<AdapterContext>(context, what);
  if (!(c.mem instanceof TickwireMemory)) throw new TickwireError("ARGUMENT", `${what}.mem must be a TickwireMemory, got ${describe(c.mem)}`);
  if (!(c.symbols instanceof SymbolTable)) throw new TickwireError("ARGUMENT", `${what}.symbols must be a SymbolTable, got ${describe(c.symbols)}`);
  if (typeof c.sink !== "function") throw new TickwireError("ARGUMENT", `${what}.sink must be a function, got ${describe(c.sink)}`);
  const onEvent = c.onEvent;
  if (onEvent !== undefined && typeof onEvent !== "function") throw new TickwireError("ARGUMENT", `${what}.onEvent must be a function, got ${describe(onEvent)}`);
  // At least one record of any kind, so a batch can always be cut between records.
  const maxBatchBytes = c.maxBatchBytes === undefined ? Infinity : checkInt(c.maxBatchBytes, MAX_RECORD_BYTES, 2 ** 31 - 1, `${what}.maxBatchBytes`);
  const emit = (e: FeedEvent): void => {
    try {
      onEvent?.(e);
    } catch {
      // A listener's error is its own; the feed goes on.
    }
  };
  return { mem: c.mem, symbols: c.symbols, sink: c.sink, onEvent, maxBatchBytes, emit };
}

/** Largest value of each limit. */
const LIMIT_MAX: BrokerLimits = { symbolsPerConnection: 1e6, connectionsPerAccount: 4096, messagesPerSecond: 1e6, instrumentsPerMessage: 1e6 };

/**
 * `given` limits (each optional where `defaults` has it) checked field by field, each an
 * integer from 1 to its largest (`caps` may lower one), frozen. `what`: "flattrade: options.limits".
 */
export function resolveLimits(given: unknown, defaults: BrokerLimits | undefined, what: string, caps: Partial<BrokerLimits> = {}): BrokerLimits {
  const l = defaults === undefined ? checkObject<BrokerLimits>(given, what) : checkOptions<BrokerLimits>(given, what);
  const field = (k: keyof BrokerLimits): number => checkInt(l[k] ?? defaults?.[k], 1, caps[k] ?? LIMIT_MAX[k], `${what}.${k}`);
  return Object.freeze({
    symbolsPerConnection: field("symbolsPerConnection"),
    connectionsPerAccount: field("connectionsPerAccount"),
    messagesPerSecond: field("messagesPerSecond"),
    instrumentsPerMessage: field("instrumentsPerMessage"),
  });
}
