// The end-to-end benchmark's baseline: the market-data proxy a user would write by hand with
// plain `ws` — a WebSocketServer, a Set of sockets per symbol, and for every tick a plain
// object, `JSON.stringify`'d and `ws.send`'d per subscribed client. It speaks the subset of the
// protocol the load clients use (authenticate, subscribe; OpenAlgo's market_data messages with
// `recv_time_ns` in `data`, as tickwire's proxy sends them with `receiveTime: true`) and takes
// its ticks from the same SimulatedMarket, paced by the same Pacer (bench/lib/e2e-pacer.ts).
import type { AddressInfo } from "node:net";
import { WebSocketServer, type WebSocket } from "ws";
import {
  DEPTH_BYTES, DEPTH_LEVELS, KIND_DEPTH, KIND_QUOTE, LEVEL_BYTES, LEVEL_OFF_ORDERS, LEVEL_OFF_PRICE, LEVEL_OFF_QTY, OFF_AVG_PRICE, OFF_CHANGE_BP, OFF_CLOSE, OFF_DEPTH_ASKS, OFF_DEPTH_BIDS, OFF_HIGH, OFF_KIND, OFF_LAST_QTY, OFF_LAST_TRADE_TIME_MS, OFF_LOW, OFF_LOWER_CIRCUIT, OFF_LTP, OFF_OI, OFF_OPEN, OFF_PRICE_DECIMALS, OFF_RECV_TIME_NS, OFF_SYMBOL_ID, OFF_TOTAL_BUY_QTY, OFF_TOTAL_SELL_QTY, OFF_UPPER_CIRCUIT, OFF_VOLUME,
} from "../../src/format/layout.js";
import type { SimInstrumentRow } from "../../src/feed/sim/universe.js";
import type { SimulatedMarket } from "../../src/feed/sim/market.js";
import { monotonicNs } from "../../src/clock.js";
import type { PacerTarget } from "./e2e-pacer.js";

const MODE_NAMES = ["", "LTP", "Quote", "Depth"];
const TWO_32 = 4294967296;
const MAX_BATCH_TICKS = 1024;

/** The plain proxy over a market: records written to a staging buffer, then sent as JSON. */
export class PlainProxy implements PacerTarget {
  readonly u8: Uint8Array;
  readonly stage = 0;
  ticks = 0;
  /** Messages sent (one per tick per client). */
  sent = 0;
  private readonly dv: DataView;
  private readonly buffer: ArrayBuffer;
  private readonly subscribers: Set<WebSocket>[];
  private readonly modes: Uint8Array;
  private readonly symbolIds: Uint32Array;
  private readonly seqs: Float64Array;
  private readonly bySymbol = new Map<string, number>();
  private readonly appModes: Uint8Array;
  private wss: WebSocketServer | undefined;
  private activeDirty = true;

  constructor(private readonly rows: readonly SimInstrumentRow[], private readonly market: SimulatedMarket) {
    const n = rows.length;
    this.buffer = new ArrayBuffer(MAX_BATCH_TICKS * DEPTH_BYTES);
    this.u8 = new Uint8Array(this.buffer);
    this.dv = new DataView(this.buffer);
    this.subscribers = Array.from({ length: n }, () => new Set<WebSocket>());
    this.modes = new Uint8Array(n);
    this.appModes = new Uint8Array(n);
    // Symbol id = row index: the records name their instrument directly.
    this.symbolIds = Uint32Array.from({ length: n }, (_, i) => i);
    this.seqs = new Float64Array(n);
    rows.forEach((r, i) => this.bySymbol.set(`${r.exchange}:${r.symbol}`, i));
  }

  /** Listens on 127.0.0.1:`port` (0: any); resolves to its ws:// URL. */
  async listen(port = 0): Promise<string> {
    const wss = new WebSocketServer({ host: "127.0.0.1", port, perMessageDeflate: false });
    this.wss = wss;
    await new Promise<void>((resolve, reject) => {
      wss.once("listening", resolve);
      wss.once("error", reject);
    });
    wss.on("connection", (ws) => this.accept(ws));
    return `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    const wss = this.wss;
    if (!wss) return;
    for (const ws of wss.clients) ws.terminate();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
  }

  /** Makes every instrument tick at `mode` whether a client holds it or not (the light-load carry run). */
  streamAll(mode: number): void {
    this.appModes.fill(mode);
    this.activeDirty = true;
  }

  // ─── the Pacer's target ──────────────────────────────────────────────────────────────────

  write(maxTicks: number): number {
    if (this.activeDirty) this.refreshActive();
    const bytes = this.market.writeTicks(this.buffer, 0, this.buffer.byteLength, Math.min(maxTicks, MAX_BATCH_TICKS), this.modes, this.symbolIds, this.seqs, Date.now(), monotonicNs());
    this.ticks = this.market.ticksWritten;
    return bytes;
  }

  deliver(bytes: number): void {
    const { u8 } = this;
    for (let p = 0; p < bytes; p += u8[p]! | (u8[p + 1]! << 8)) {
      const i = this.dv.getUint32(p + OFF_SYMBOL_ID, true);
      const subs = this.subscribers[i]!;
      if (subs.size === 0) continue;
      const tick = this.toObject(p, i);
      for (const ws of subs) {
        ws.send(JSON.stringify(tick));
        this.sent++;
      }
    }
  }

  // ─── what a hand-written proxy does per tick ────────────────────────────────────────────

  private toObject(p: number, i: number): Record<string, unknown> {
    const dv = this.dv;
    const row = this.rows[i]!;
    const kind = dv.getUint8(p + OFF_KIND);
    const scale = 10 ** dv.getUint8(p + OFF_PRICE_DECIMALS);
    const int = (off: number): number => dv.getUint32(p + off, true) + dv.getUint32(p + off + 4, true) * TWO_32;
    const price = (off: number): number => int(off) / scale;
    const data: Record<string, unknown> = { ltp: price(OFF_LTP), timestamp: Date.now() };
    if (kind >= KIND_QUOTE) {
      data.volume = int(OFF_VOLUME);
      data.open = price(OFF_OPEN);
      data.high = price(OFF_HIGH);
      data.low = price(OFF_LOW);
      data.close = price(OFF_CLOSE);
      data.average_price = price(OFF_AVG_PRICE);
      data.percent_change = dv.getInt32(p + OFF_CHANGE_BP, true) / 100;
      data.last_quantity = dv.getUint32(p + OFF_LAST_QTY, true);
      data.last_trade_time = int(OFF_LAST_TRADE_TIME_MS);
      data.oi = int(OFF_OI);
    }
    if (kind >= KIND_DEPTH) {
      data.total_buy_quantity = int(OFF_TOTAL_BUY_QTY);
      data.total_sell_quantity = int(OFF_TOTAL_SELL_QTY);
      data.upper_circuit = price(OFF_UPPER_CIRCUIT);
      data.lower_circuit = price(OFF_LOWER_CIRCUIT);
      const side = (base: number) => Array.from({ length: DEPTH_LEVELS }, (_, k) => {
        const at = base + k * LEVEL_BYTES;
        return { price: price(at + LEVEL_OFF_PRICE), quantity: dv.getUint32(p + at + LEVEL_OFF_QTY, true), orders: dv.getUint32(p + at + LEVEL_OFF_ORDERS, true) };
      });
      data.depth = { buy: side(OFF_DEPTH_BIDS), sell: side(OFF_DEPTH_ASKS) };
    }
    data.recv_time_ns = int(OFF_RECV_TIME_NS);
    return { type: "market_data", symbol: row.symbol, exchange: row.exchange, mode: kind, data, broker: "simulated" };
  }

  private accept(ws: WebSocket): void {
    const held = new Set<number>();
    ws.on("message", (raw) => {
      let m: { action?: string; symbols?: { symbol: string; exchange: string }[]; mode?: number };
      try {
        m = JSON.parse(raw.toString()) as typeof m;
      } catch {
        ws.send(JSON.stringify({ status: "error", code: "INVALID_JSON", message: "Invalid JSON message" }));
        return;
      }
      if (m.action === "authenticate") {
        ws.send(JSON.stringify({ type: "auth", status: "success", message: "Authentication successful", broker: "simulated" }));
      } else if (m.action === "subscribe" && Array.isArray(m.symbols)) {
        const mode = m.mode === 1 || m.mode === 3 ? m.mode : 2;
        const subscriptions = m.symbols.map((s) => {
          const i = this.bySymbol.get(`${s.exchange}:${s.symbol}`);
          if (i === undefined) return { symbol: s.symbol, exchange: s.exchange, status: "error", code: "SYMBOL_NOT_FOUND" };
          this.subscribers[i]!.add(ws);
          held.add(i);
          // One mode per symbol: the highest asked for (the load clients ask for one).
          if (mode > this.modes[i]!) this.modes[i] = mode;
          this.activeDirty = true;
          return { symbol: s.symbol, exchange: s.exchange, status: "success", mode: MODE_NAMES[mode] };
        });
        ws.send(JSON.stringify({ type: "subscribe", status: "success", subscriptions, message: "Subscription processing complete", broker: "simulated" }));
      } else {
        ws.send(JSON.stringify({ status: "error", code: "INVALID_ACTION", message: `Invalid action: ${String(m.action)}` }));
      }
    });
    ws.on("error", () => undefined);
    ws.on("close", () => {
      for (const i of held) this.subscribers[i]!.delete(ws);
      this.activeDirty = true;
    });
  }

  private refreshActive(): void {
    const active: number[] = [];
    for (let i = 0; i < this.modes.length; i++) {
      if (this.subscribers[i]!.size === 0) this.modes[i] = 0;
      if (this.appModes[i]! > this.modes[i]!) this.modes[i] = this.appModes[i]!;
      if (this.modes[i] !== 0) active.push(i);
    }
    this.market.setActive(active);
    this.activeDirty = false;
  }
}
