// The broker registry: adapters by name, created from config. A new broker is one
// file (its adapter and factory) plus one registerBroker line in brokers.ts.
import { TickwireError } from "../errors.js";
import { checkObject, describe } from "../validate.js";
import type { AdapterContext, BrokerAdapter } from "./contract.js";

/** Makes an adapter from its broker's options (validated by the factory) and the context. */
export type AdapterFactory = (options: Readonly<Record<string, unknown>>, context: AdapterContext) => BrokerAdapter;

/** Config naming a broker; every other key is that broker's options. */
export interface FeedConfig {
  readonly broker: string;
  readonly [option: string]: unknown;
}

const factories = new Map<string, AdapterFactory>();

/** Registers `factory` under `name` (lower case letters, digits, `-`), replacing none. */
export function registerBroker(name: string, factory: AdapterFactory): void {
  if (typeof name !== "string" || !/^[a-z][a-z0-9-]{0,31}$/.test(name)) {
    throw new TickwireError("ARGUMENT", `registerBroker: name must be 1-32 lower-case letters, digits or "-", starting with a letter, got ${describe(name)}`);
  }
  if (typeof factory !== "function") throw new TickwireError("ARGUMENT", `registerBroker: factory of "${name}" must be a function`);
  if (factories.has(name)) throw new TickwireError("ARGUMENT", `registerBroker: "${name}" is registered already`);
  factories.set(name, factory);
}

/** Names of the registered brokers, sorted. */
export function supportedBrokers(): string[] {
  return [...factories.keys()].sort();
}

/** Creates the adapter `config.broker` names, with the rest of `config` as its options. */
export function createAdapter(config: FeedConfig, context: AdapterContext): BrokerAdapter {
  checkObject(config, "createAdapter: config");
  const factory = typeof config.broker === "string" ? factories.get(config.broker) : undefined;
  if (factory === undefined) {
    throw new TickwireError("BROKER", `createAdapter: unknown broker ${describe(config.broker)}; registered: ${supportedBrokers().join(", ") || "none"}`);
  }
  checkObject(context, "createAdapter: context");
  const { broker: _broker, ...options } = config;
  return factory(options, context);
}
