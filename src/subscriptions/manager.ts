// The subscription manager: many clients' (exchange, symbol, mode) subscriptions turned
// into one upstream subscription per instrument, placed on as few upstream links as the
// broker's limits allow, kept at the highest mode any client holds, and re-homed when a
// link dies. Control plane only: ticks never pass through here.
import { TickwireError } from "../errors.js";
import { SymbolMaster } from "../feed/symbol-master.js";
import { mix32, hashString } from "../feed/sim/prng.js";
import type {
  BrokerLimits, ConnectionState, InstrumentRow, LinkChange, LinkMode, LinkResult, Mode, SubscriptionErrorCode,
  SubscriptionRequest, SubscriptionResult, UpstreamLink,
} from "../feed/contract.js";
import { checkInt, checkObject, describe } from "../validate.js";
import { resolveLimits } from "../feed/checks.js";

/** Who holds a subscription: a proxy client's id, a bridge's name. */
export type ClientId = string | number;

/** What a {@link SubscriptionManager} needs; every field is checked. */
export interface SubscriptionConfig {
  /** The broker's instruments: a request names one of these or is `SYMBOL_NOT_FOUND`. */
  readonly master: SymbolMaster;
  /** `symbolsPerConnection` caps a link's instruments (the rate limits are the links' to keep). */
  readonly limits: BrokerLimits;
  /** Links the account(s) may hold: accounts × connectionsPerAccount. */
  readonly maxLinks: number;
  /** Creates (and starts connecting) link `index`, the first time an instrument is placed on it. */
  readonly openLink: (index: number) => UpstreamLink;
}

/** One link in a {@link SubscriptionReport}. */
export interface LinkReport {
  readonly index: number;
  readonly state: ConnectionState;
  /** Instruments placed on the link (streaming, or being subscribed). */
  readonly instruments: number;
  /** Of those, streaming at each mode now. */
  readonly ltp: number;
  readonly quote: number;
  readonly depth: number;
  /** The link was declared failed; nothing is placed on it any more. */
  readonly failed: boolean;
}

/** What is subscribed where. */
export interface SubscriptionReport {
  /** Instruments at least one client holds. */
  readonly instruments: number;
  /** Clients holding at least one subscription. */
  readonly clients: number;
  /** Instruments some client holds that no link streams (no capacity left, or the broker refused): retried as links free up. */
  readonly unplaced: number;
  /** Instruments with a change in flight. */
  readonly pending: number;
  readonly links: readonly LinkReport[];
}

/** Where one instrument lives. */
export interface Placement {
  readonly exchange: string;
  readonly symbol: string;
  /** The link it is placed on, -1 if none. */
  readonly link: number;
  /** The mode it streams at upstream (0: not streaming). */
  readonly mode: LinkMode;
  /** Clients holding each mode: [LTP, Quote, Depth]. */
  readonly holders: readonly [number, number, number];
}

class Entry {
  link = -1;
  upstream: LinkMode = 0;
  /** Clients holding mode m at holders[m]. */
  readonly holders = [0, 0, 0, 0];
  inflight: Promise<void> | null = null;
  lastCode: SubscriptionErrorCode = "BROKER_ERROR";
  lastMessage = "";
  readonly hash: number;

  constructor(readonly key: string, readonly row: InstrumentRow) {
    this.hash = hashString(key);
  }

  get target(): LinkMode {
    const h = this.holders;
    return h[3]! > 0 ? 3 : h[2]! > 0 ? 2 : h[1]! > 0 ? 1 : 0;
  }
}

interface Pending {
  readonly entry: Entry;
  readonly to: LinkMode;
}

const MODE_BIT = [0, 1, 2, 4] as const;
// Instruments held but not streaming (refused, or no link could take them) are retried on a
// backoff from 1 s to 30 s: a link that was reconnecting takes them later, and none is orphaned.
const RETRY_MIN_MS = 1000;
const RETRY_MAX_MS = 30_000;

/**
 * Reference-counted subscriptions over a pool of upstream links.
 *
 * - One upstream subscription per instrument, at the highest mode any client holds
 *   (LTP ⊂ Quote ⊂ Depth): a mode change is one `LinkChange` from → to, never a second stream.
 * - Placement: an instrument stays on the link it was placed on while anyone holds it. A new
 *   one goes to the open link with room that ranks highest for it by rendezvous hashing;
 *   a new link opens only when every open one is full, so 50 000 instruments at 1 000 a
 *   link take exactly 50 links, evenly filled.
 * - A link declared failed ({@link linkFailed}) has every instrument re-placed and
 *   re-subscribed on the others; those with no room left are kept as `unplaced` and placed
 *   as soon as room frees up. Nothing a client holds is forgotten.
 * - A subscribe succeeds when the link reports the broker's acknowledgement; on failure the
 *   client's reference is withdrawn, so what a client holds is what streams.
 */
export class SubscriptionManager {
  private readonly master: SymbolMaster;
  private readonly capacity: number;
  private readonly maxLinks: number;
  private readonly openLink: (index: number) => UpstreamLink;
  private readonly links: UpstreamLink[] = [];
  private readonly load: number[] = [];
  private readonly dead: boolean[] = [];
  private readonly entries = new Map<string, Entry>();
  private readonly clients = new Map<ClientId, Map<Entry, number>>();
  private readonly unplaced = new Set<Entry>();
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private retryDelayMs = RETRY_MIN_MS;
  /** Why the last attempt to open a link threw, if it did. */
  private openError: string | undefined;
  private closed = false;

  constructor(config: SubscriptionConfig) {
    const c = checkObject<SubscriptionConfig>(config, "SubscriptionManager: config");
    if (!(c.master instanceof SymbolMaster)) throw new TickwireError("ARGUMENT", `SubscriptionManager: config.master must be a SymbolMaster, got ${describe(c.master)}`);
    // The manager uses symbolsPerConnection; the rest are the links' to keep, but a config is checked whole.
    this.capacity = resolveLimits(c.limits, undefined, "SubscriptionManager: config.limits").symbolsPerConnection;
    this.maxLinks = checkInt(c.maxLinks, 1, 4096, "config.maxLinks", "ARGUMENT", "SubscriptionManager");
    if (typeof c.openLink !== "function") throw new TickwireError("ARGUMENT", `SubscriptionManager: config.openLink must be a function, got ${describe(c.openLink)}`);
    this.master = c.master;
    this.openLink = c.openLink;
  }

  /** Instruments the manager can place at most: links × symbols a link. */
  get maxInstruments(): number {
    return this.maxLinks * this.capacity;
  }

  /**
   * Adds `client`'s reference to each (exchange, symbol, mode). Resolves per request, in
   * order, once the upstream streams the instrument at that mode or better (or refused).
   * Subscribing what the client already holds is a no-op that succeeds.
   */
  async subscribe(client: ClientId, requests: readonly SubscriptionRequest[]): Promise<SubscriptionResult[]> {
    checkClient(client, "subscribe");
    checkRequests(requests, "subscribe");
    const results: (SubscriptionResult | Entry)[] = [];
    const touched: Entry[] = [];
    let held = this.clients.get(client);
    for (const r of requests) {
      const bad = this.checkRequest(r);
      if (bad !== undefined) {
        results.push(bad);
        continue;
      }
      const key = `${r.exchange}|${r.symbol}`;
      let e = this.entries.get(key);
      if (e === undefined) {
        const row = this.master.byInstrument(r.exchange, r.symbol)!;
        this.entries.set(key, (e = new Entry(key, row)));
      }
      if (held === undefined) this.clients.set(client, (held = new Map()));
      const bits = held.get(e) ?? 0;
      if ((bits & MODE_BIT[r.mode]) === 0) {
        held.set(e, bits | MODE_BIT[r.mode]);
        e.holders[r.mode]!++;
        touched.push(e);
      }
      results.push(e);
    }
    await this.reconcile(touched);
    const retry: Entry[] = [];
    const out = results.map((res, i): SubscriptionResult => {
      if (!(res instanceof Entry)) return res;
      const r = requests[i]!;
      if (res.link >= 0 && res.upstream >= r.mode) return { exchange: r.exchange, symbol: r.symbol, mode: r.mode, ok: true };
      // Not streaming at this mode: withdraw this client's reference so held means streaming.
      if (this.release(client, res, r.mode)) retry.push(res);
      return { exchange: r.exchange, symbol: r.symbol, mode: r.mode, ok: false, code: res.lastCode, message: res.lastMessage };
    });
    // Other holders of a refused upgrade fall back to what they held (once; then unplaced).
    if (retry.length > 0) await this.reconcile(retry);
    return out;
  }

  /** Drops `client`'s reference to each (exchange, symbol, mode); the upstream follows the remaining holders. */
  async unsubscribe(client: ClientId, requests: readonly SubscriptionRequest[]): Promise<SubscriptionResult[]> {
    checkClient(client, "unsubscribe");
    checkRequests(requests, "unsubscribe");
    const touched: Entry[] = [];
    const out = requests.map((r): SubscriptionResult => {
      const bad = this.checkRequest(r);
      if (bad !== undefined) return bad;
      const e = this.entries.get(`${r.exchange}|${r.symbol}`);
      if (e === undefined || !this.release(client, e, r.mode)) {
        return { exchange: r.exchange, symbol: r.symbol, mode: r.mode, ok: false, code: "NOT_SUBSCRIBED", message: `${r.exchange}:${r.symbol} is not subscribed at mode ${r.mode} by this client` };
      }
      touched.push(e);
      return { exchange: r.exchange, symbol: r.symbol, mode: r.mode, ok: true };
    });
    await this.reconcile(touched);
    return out;
  }

  /** Drops every reference `client` holds (it went away). */
  async removeClient(client: ClientId): Promise<void> {
    checkClient(client, "removeClient");
    const held = this.clients.get(client);
    if (held === undefined) return;
    const touched: Entry[] = [];
    for (const [e, bits] of held) {
      for (let m = 1; m <= 3; m++) if ((bits & MODE_BIT[m as Mode]) !== 0) e.holders[m]!--;
      touched.push(e);
    }
    this.clients.delete(client);
    await this.reconcile(touched);
  }

  /**
   * Link `index` is gone for good (its logins are refused): place its instruments on the
   * other links and subscribe them there. Resolves when that is done.
   */
  async linkFailed(index: number): Promise<void> {
    checkInt(index, 0, this.maxLinks - 1, "index", "ARGUMENT", "linkFailed");
    if (this.dead[index]) return;
    this.dead[index] = true;
    const moved: Entry[] = [];
    for (const e of this.entries.values()) {
      if (e.link !== index) continue;
      e.link = -1;
      e.upstream = 0;
      moved.push(e);
    }
    this.load[index] = 0;
    await this.reconcile(moved);
  }

  /** Stops retrying unplaced instruments (the adapter is going away). */
  close(): void {
    this.closed = true;
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }

  /** Where one instrument lives, or undefined when no client holds it. */
  where(exchange: string, symbol: string): Placement | undefined {
    const e = this.entries.get(`${exchange}|${symbol}`);
    if (e === undefined) return undefined;
    return { exchange, symbol, link: e.link, mode: e.upstream, holders: [e.holders[1]!, e.holders[2]!, e.holders[3]!] };
  }

  /** What is subscribed where, link by link. */
  report(): SubscriptionReport {
    const modes = this.links.map(() => [0, 0, 0, 0]);
    let instruments = 0;
    let pending = 0;
    for (const e of this.entries.values()) {
      if (e.target > 0) instruments++;
      if (e.inflight !== null) pending++;
      if (e.link >= 0) modes[e.link]![e.upstream]!++;
    }
    let clients = 0;
    for (const held of this.clients.values()) if (held.size > 0) clients++;
    return {
      instruments,
      clients,
      unplaced: this.unplaced.size,
      pending,
      links: this.links.map((link, index) => ({
        index,
        state: link.state,
        instruments: this.load[index] ?? 0,
        ltp: modes[index]![1]!,
        quote: modes[index]![2]!,
        depth: modes[index]![3]!,
        failed: this.dead[index] === true,
      })),
    };
  }

  private checkRequest(r: SubscriptionRequest): SubscriptionResult | undefined {
    if (typeof r !== "object" || r === null) {
      return { exchange: "", symbol: "", mode: 0, ok: false, code: "SYMBOL_NOT_FOUND", message: `a request must be { exchange, symbol, mode }, got ${describe(r)}` };
    }
    const exchange = typeof r.exchange === "string" ? r.exchange : "";
    const symbol = typeof r.symbol === "string" ? r.symbol : "";
    if (r.mode !== 1 && r.mode !== 2 && r.mode !== 3) {
      return { exchange, symbol, mode: 0, ok: false, code: "INVALID_MODE", message: `mode must be 1 (LTP), 2 (Quote) or 3 (Depth), got ${describe(r.mode)}` };
    }
    if (this.master.byInstrument(exchange, symbol) === undefined) {
      return { exchange, symbol, mode: r.mode, ok: false, code: "SYMBOL_NOT_FOUND", message: typeof r.exchange === "string" && typeof r.symbol === "string" ? `${exchange}:${symbol} is not in the symbol master` : `exchange and symbol must be strings, got ${describe(r.exchange)} and ${describe(r.symbol)}` };
    }
    return undefined;
  }

  /** Withdraws one reference; false if the client did not hold it. */
  private release(client: ClientId, e: Entry, mode: Mode): boolean {
    const held = this.clients.get(client);
    const bits = held?.get(e) ?? 0;
    if ((bits & MODE_BIT[mode]) === 0) return false;
    const left = bits & ~MODE_BIT[mode];
    if (left === 0) held!.delete(e);
    else held!.set(e, left);
    if (held!.size === 0) this.clients.delete(client);
    e.holders[mode]!--;
    return true;
  }

  /** Brings each entry's upstream to its target; entries with a change in flight go after it. */
  private async reconcile(entries: readonly Entry[]): Promise<void> {
    const now: Entry[] = [];
    const after: Promise<void>[] = [];
    for (const e of new Set(entries)) {
      if (e.inflight !== null) after.push(e.inflight.then(() => this.reconcile([e])));
      else now.push(e);
    }
    await Promise.all([this.apply(now), ...after]);
  }

  private async apply(entries: readonly Entry[]): Promise<void> {
    const byLink = new Map<number, Pending[]>();
    for (const e of entries) {
      const to = e.target;
      if (to === e.upstream) {
        this.settle(e);
        continue;
      }
      if (e.link < 0) {
        let l: number;
        try {
          l = this.place(e);
        } catch (err) {
          // openLink broke its contract: this instrument is refused, nothing is left half-placed.
          e.lastCode = "BROKER_ERROR";
          e.lastMessage = err instanceof Error ? err.message : String(err);
          this.unplaced.add(e);
          continue;
        }
        if (l < 0) {
          e.lastCode = "MAX_CAPACITY_REACHED";
          e.lastMessage = this.openError === undefined
            ? `every upstream connection is full (${this.maxLinks} × ${this.capacity} instruments)`
            : `every open upstream connection is full and another could not be opened: ${this.openError}`;
          this.unplaced.add(e);
          continue;
        }
        e.link = l;
        this.load[l] = (this.load[l] ?? 0) + 1;
        this.unplaced.delete(e);
      }
      let list = byLink.get(e.link);
      if (list === undefined) byLink.set(e.link, (list = []));
      list.push({ entry: e, to });
    }
    if (byLink.size === 0) {
      if (this.unplaced.size === 0) this.retryDelayMs = RETRY_MIN_MS;
      return;
    }
    let done!: () => void;
    const inflight = new Promise<void>((resolve) => (done = resolve));
    for (const list of byLink.values()) for (const p of list) p.entry.inflight = inflight;
    try {
      await Promise.all([...byLink].map(([l, list]) => this.send(l, list)));
    } finally {
      for (const list of byLink.values()) {
        for (const p of list) {
          p.entry.inflight = null;
          this.settle(p.entry);
        }
      }
      done();
    }
    if (this.unplaced.size > 0) this.retryUnplaced();
    else this.retryDelayMs = RETRY_MIN_MS; // all placed: the next outage starts its backoff afresh
  }

  private async send(l: number, list: readonly Pending[]): Promise<void> {
    const changes: LinkChange[] = list.map((p) => ({ row: p.entry.row, from: p.entry.upstream, to: p.to }));
    let results: readonly LinkResult[];
    try {
      results = await this.linkAt(l).change(changes);
      if (!Array.isArray(results) || results.length !== changes.length) throw new Error(`link ${l} answered ${describe(results)} to ${changes.length} changes`);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      results = changes.map(() => ({ ok: false, code: "BROKER_ERROR", message }));
    }
    list.forEach((p, i) => {
      const e = p.entry;
      if (e.link !== l) return; // re-homed meanwhile (the link failed)
      const r = results[i]!;
      if (r.ok) {
        e.upstream = p.to;
      } else {
        // A refused change leaves nothing streaming there (the link forgets it).
        e.upstream = 0;
        e.lastCode = r.code;
        e.lastMessage = r.message;
      }
      this.settle(e);
    });
  }

  /** Frees an entry's link when nothing streams, and forgets an entry nobody holds. */
  private settle(e: Entry): void {
    if (e.upstream === 0 && e.link >= 0) {
      this.load[e.link]!--;
      e.link = -1;
    }
    if (e.target === 0) {
      this.unplaced.delete(e);
      if (e.link < 0 && e.inflight === null) this.entries.delete(e.key);
    } else if (e.upstream === 0 && e.link < 0) {
      this.unplaced.add(e);
    }
  }

  // Held but not streaming: those that lacked room are placed as soon as room frees; all of
  // them (refused ones too: the link may have been reconnecting) again after a backoff.
  private retryUnplaced(): void {
    if (this.closed) return;
    const room = this.links.some((_, i) => !this.dead[i] && (this.load[i] ?? 0) < this.capacity) || this.links.length < this.maxLinks;
    const waiting = [...this.unplaced].filter((e) => e.inflight === null && e.lastCode === "MAX_CAPACITY_REACHED");
    if (room && waiting.length > 0) void this.reconcile(waiting).catch(() => {});
    if (this.retryTimer === undefined) {
      this.retryTimer = setTimeout(() => {
        this.retryTimer = undefined;
        if (this.closed || this.unplaced.size === 0) {
          this.retryDelayMs = RETRY_MIN_MS;
          return;
        }
        this.retryDelayMs = Math.min(RETRY_MAX_MS, this.retryDelayMs * 2);
        void this.reconcile([...this.unplaced].filter((e) => e.inflight === null)).catch(() => {});
      }, this.retryDelayMs);
      // A retry must not keep the process alive by itself.
      (this.retryTimer as { unref?: () => void }).unref?.();
    }
  }

  /** The open link with room that ranks highest for `e`, else the next link to open, else -1. */
  private place(e: Entry): number {
    if (this.closed) return -1; // closed: no link is opened any more
    let best = -1;
    let bestScore = -1;
    for (let i = 0; i < this.links.length; i++) {
      if (this.dead[i] || (this.load[i] ?? 0) >= this.capacity) continue;
      const score = mix32(e.hash ^ Math.imul(i + 1, 0x9e3779b1));
      if (score > bestScore) {
        bestScore = score;
        best = i;
      }
    }
    if (best >= 0) return best;
    // After a link could not be opened, none is tried again: each attempt may use up memory that is never given back.
    if (this.openError !== undefined) return -1;
    for (let i = this.links.length; i < this.maxLinks; i++) {
      let link: unknown;
      try {
        link = this.openLink(i);
      } catch (err) {
        // No more links can be made (e.g. no memory for another connection's buffers): full.
        this.openError = err instanceof Error ? err.message : String(err);
        return -1;
      }
      if (typeof link !== "object" || link === null || typeof (link as UpstreamLink).change !== "function") {
        throw new TickwireError("ARGUMENT", `SubscriptionManager: config.openLink(${i}) must return an UpstreamLink, got ${describe(link)}`);
      }
      this.links[i] = link as UpstreamLink;
      this.load[i] ??= 0;
      if (!this.dead[i]) return i;
    }
    return -1;
  }

  private linkAt(index: number): UpstreamLink {
    // Links are made by place(); one that is not there was never placed on.
    const link = this.links[index];
    if (link === undefined) throw new TickwireError("ARGUMENT", `SubscriptionManager: link ${index} was never opened (a bug)`);
    return link;
  }
}

function checkClient(client: unknown, op: string): void {
  if (typeof client !== "string" && !(typeof client === "number" && Number.isFinite(client))) {
    throw new TickwireError("ARGUMENT", `${op}: client must be a string or a finite number, got ${describe(client)}`);
  }
}

function checkRequests(requests: unknown, op: string): void {
  if (!Array.isArray(requests)) throw new TickwireError("ARGUMENT", `${op}: requests must be an array of { exchange, symbol, mode }, got ${describe(requests)}`);
}
