// A running system on a free port and raw `ws` clients that keep every message they get, for
// protocol tests that check the wire itself (not the client library).
import WebSocket from "ws";
import { createSystem, type SystemConfig, type TickwireSystem } from "../../src/node/index.js";
import type { SimulatedAdapter } from "../../src/feed/sim/feed.js";
import { until } from "./feed-world.js";

export const KEY = "test-key-0123456789";

/** A started system: the simulated feed, one worker, the proxy on a free port with KEY. */
export async function startSystem(over: { proxy?: SystemConfig["proxy"]; feed?: Record<string, unknown>; processor?: SystemConfig["processor"]; monitor?: SystemConfig["monitor"]; log?: (l: string) => void } = {}): Promise<TickwireSystem> {
  const system = await createSystem({
    feed: { broker: "simulated", instruments: 200, ticksPerSecond: 4000, ...over.feed },
    processor: { workers: 1, maxWorkers: 2, maxSymbols: 4096, ...over.processor },
    proxy: over.proxy === false ? false : { port: 0, apiKeys: [KEY], ...over.proxy },
    ...(over.log ? { log: over.log } : {}),
    ...(over.monitor !== undefined ? { monitor: over.monitor } : {}),
  });
  await system.start();
  return system;
}

/** The simulated universe's instruments (NIFTY and BANKNIFTY first). */
export function instruments(system: TickwireSystem, n: number): { exchange: string; symbol: string }[] {
  return (system.feed as SimulatedAdapter).universe.slice(0, n).map((r) => ({ exchange: r.exchange, symbol: r.symbol }));
}

type Json = Record<string, any>;

/** A raw WebSocket client that records every text message (parsed) and binary frame. */
export class RawClient {
  readonly messages: Json[] = [];
  readonly binary: Buffer[] = [];
  closed: { code: number; reason: string } | undefined;
  private constructor(readonly ws: WebSocket) {
    ws.on("message", (data, isBinary) => {
      if (isBinary) this.binary.push(data as Buffer);
      else this.messages.push(JSON.parse(data.toString()));
    });
    ws.on("close", (code, reason) => { this.closed = { code, reason: reason.toString() }; });
    ws.on("error", () => undefined);
  }

  static async open(url: string, options?: WebSocket.ClientOptions): Promise<RawClient> {
    const ws = new WebSocket(url, options);
    const client = new RawClient(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("error", reject);
      ws.once("close", () => resolve());
    });
    return client;
  }

  /** An authenticated client. */
  static async auth(url: string, key = KEY): Promise<RawClient> {
    const c = await RawClient.open(url);
    const reply = await c.request({ action: "authenticate", api_key: key });
    if (reply.status !== "success") throw new Error(`auth failed: ${JSON.stringify(reply)}`);
    return c;
  }

  send(msg: Json | string): void {
    this.ws.send(typeof msg === "string" ? msg : JSON.stringify(msg));
  }

  /** Waits for a message (after index `from`) matching `pred`. */
  async next(pred: (m: Json) => boolean, what: string, ms = 5000, from = 0): Promise<Json> {
    let found: Json | undefined;
    let i = from;
    await until(() => {
      for (; i < this.messages.length; i++) if (pred(this.messages[i]!)) return (found = this.messages[i]) !== undefined;
      return false;
    }, what, ms);
    return found!;
  }

  /** Sends `msg` and waits for the first non-tick message after it. */
  async request(msg: Json | string, ms = 5000): Promise<Json> {
    const from = this.messages.length;
    this.send(msg);
    return this.next((m) => m.type !== "market_data", `a reply to ${typeof msg === "string" ? msg : msg.action ?? msg.type}`, ms, from);
  }

  ticks(): Json[] {
    return this.messages.filter((m) => m.type === "market_data");
  }

  async waitClosed(ms = 5000): Promise<{ code: number; reason: string }> {
    await until(() => this.closed !== undefined, "the connection to close", ms);
    return this.closed!;
  }

  close(): void {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.terminate();
  }
}
