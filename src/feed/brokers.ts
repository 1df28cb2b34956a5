// The brokers tickwire ships, one registration line each. Importing this module
// registers them (the package's entry point does).
import { registerBroker } from "./registry.js";
import { NorenAdapter, type NorenAdapterOptions } from "./noren/adapter.js";
import { SimulatedAdapter, type SimulatedAdapterOptions } from "./sim/feed.js";

registerBroker("flattrade", (options, context) => new NorenAdapter("flattrade", options as unknown as NorenAdapterOptions, context));
registerBroker("shoonya", (options, context) => new NorenAdapter("shoonya", options as unknown as NorenAdapterOptions, context));
registerBroker("simulated", (options, context) => new SimulatedAdapter(options as SimulatedAdapterOptions, context));
