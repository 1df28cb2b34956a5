// `tickwire/client`: the client side of the tickwire proxy, for Node and browsers.
// It is its own entry so that a browser bundle pulls in the WebSocket session and a
// DataView record decoder only — no Wasm, no worker threads, no node:* module.

export { TickwireClient } from "./client.js";
export { TickwireServerError } from "./server-error.js";
export { TickwireError, type TickwireErrorCode } from "../errors.js";
export type {
  ClientEvent, ClientStats, DepthLevel, Instrument, Mode, ReconnectOptions, SubscribeEntry, SubscriptionInfo, Tick,
  TickwireClientOptions, TicksOptions, WebSocketConstructor, WebSocketLike,
} from "./types.js";
