// The subscription manager over fake links: placement of 50 000 instruments, reference
// counting, mode changes as one stream, races, a link that fails, capacity, refusals.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { SubscriptionManager, type SubscriptionConfig } from "../src/subscriptions/manager.js";
import { SymbolMaster } from "../src/feed/symbol-master.js";
import { createUniverse } from "../src/feed/sim/universe.js";
import type { BrokerLimits, ConnectionState, LinkChange, LinkMode, LinkResult, SubscriptionRequest, UpstreamLink } from "../src/feed/contract.js";
import { TickwireError } from "../src/errors.js";

const universe = createUniverse({ instruments: 50_000, seed: 9 });
const master = SymbolMaster.fromRows(universe);
const limits = (symbolsPerConnection: number): BrokerLimits => ({ symbolsPerConnection, connectionsPerAccount: 2, messagesPerSecond: 10, instrumentsPerMessage: 50 });

/** A link that acknowledges after `delayMs` and keeps what it streams, like a broker would. */
class FakeLink implements UpstreamLink {
  state: ConnectionState = "open";
  readonly held = new Map<string, LinkMode>();
  readonly log: LinkChange[] = [];
  readonly errors: string[] = [];
  /** Highest mode the broker accepts for a key (absent: any). */
  readonly refuse = new Map<string, LinkMode>();
  constructor(readonly index: number, private readonly delayMs = 0) {}
  async change(changes: readonly LinkChange[]): Promise<LinkResult[]> {
    this.log.push(...changes);
    if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
    else await Promise.resolve();
    return changes.map((c) => {
      const key = `${c.row.exchange}|${c.row.symbol}`;
      // Recorded, not thrown: the manager would turn a throw into a BROKER_ERROR.
      if ((this.held.get(key) ?? 0) !== c.from) this.errors.push(`link ${this.index}: ${key} changed from ${c.from} but it streams ${this.held.get(key) ?? 0}`);
      if (this.state === "failed") {
        this.held.delete(key);
        return { ok: false, code: "BROKER_ERROR", message: "link failed" } as const;
      }
      if (c.to > c.from && c.to > (this.refuse.get(key) ?? 3)) {
        this.held.delete(key);
        return { ok: false, code: "TIMEOUT", message: "no snapshot" } as const;
      }
      if (c.to === 0) this.held.delete(key);
      else this.held.set(key, c.to);
      return { ok: true } as const;
    });
  }
}

function setup(symbolsPerConnection: number, maxLinks: number, delayMs = 0): { m: SubscriptionManager; links: FakeLink[] } {
  const links: FakeLink[] = [];
  const m = new SubscriptionManager({ master, limits: limits(symbolsPerConnection), maxLinks, openLink: (i) => (links[i] = new FakeLink(i, delayMs)) });
  return { m, links };
}

const req = (i: number, mode: 1 | 2 | 3): SubscriptionRequest => ({ exchange: universe[i]!.exchange, symbol: universe[i]!.symbol, mode });
const keyOf = (i: number): string => `${universe[i]!.exchange}|${universe[i]!.symbol}`;

/** Every instrument streams on exactly one link, at the manager's mode. */
function checkConsistent(m: SubscriptionManager, links: FakeLink[], count: number): void {
  const seen = new Map<string, number>();
  for (const l of links) {
    if (!l) continue;
    assert.equal(l.errors, [], "every change's from is what the link streams");
    for (const key of l.held.keys()) {
      assert.not.ok(seen.has(key), `${key} streams on links ${seen.get(key)} and ${l.index}`);
      seen.set(key, l.index);
    }
  }
  for (let i = 0; i < count; i++) {
    const p = m.where(universe[i]!.exchange, universe[i]!.symbol);
    const on = seen.get(keyOf(i));
    if (p === undefined || p.mode === 0) {
      assert.is(on, undefined, `${keyOf(i)} streams on link ${on} but the manager has it ${p ? "unplaced" : "unheld"}`);
    } else {
      assert.is(on, p.link, `${keyOf(i)}`);
      assert.is(links[p.link]!.held.get(keyOf(i)), p.mode);
    }
  }
}

test("50 000 instruments from three clients fill exactly 50 links of 1 000, each on one link", async () => {
  const { m, links } = setup(1000, 120);
  const all = universe.map((_, i) => req(i, 1));
  const results = await m.subscribe("a", all);
  assert.ok(results.every((r) => r.ok), "every subscribe acknowledged");
  // Two more clients, overlapping: no new upstream subscription.
  const before = links.reduce((n, l) => n + l.log.length, 0);
  await m.subscribe("b", all.slice(0, 20_000));
  await m.subscribe(7, all.slice(10_000, 30_000));
  assert.is(links.reduce((n, l) => n + l.log.length, 0), before, "refcounted: nothing sent upstream");
  const r = m.report();
  assert.is(r.instruments, 50_000);
  assert.is(r.clients, 3);
  assert.is(r.unplaced, 0);
  assert.is(r.pending, 0);
  assert.is(r.links.length, 50);
  for (const l of r.links) {
    assert.is(l.instruments, 1000, `link ${l.index}`);
    assert.is(l.ltp, 1000);
  }
  checkConsistent(m, links, 50_000);
  // Placement is a function of the arrival order only: a second manager agrees.
  const again = setup(1000, 120);
  await again.m.subscribe("x", all);
  for (let i = 0; i < 50_000; i += 97) assert.is(again.m.where(all[i]!.exchange, all[i]!.symbol)!.link, m.where(all[i]!.exchange, all[i]!.symbol)!.link);
  // The last holder leaving unsubscribes upstream; the sessions stay.
  await m.removeClient("a");
  assert.is(m.report().instruments, 30_000);
  await m.removeClient("b");
  await m.removeClient(7);
  const end = m.report();
  assert.is(end.instruments, 0);
  assert.is(end.links.length, 50, "links kept open");
  assert.ok(links.every((l) => l.held.size === 0));
});

test("reference counting and mode upgrades/downgrades keep one stream per instrument", async () => {
  const { m, links } = setup(1000, 4);
  await m.subscribe("a", [req(1, 1)]);
  await m.subscribe("b", [req(1, 1)]);
  await m.subscribe("c", [req(1, 3)]);
  await m.subscribe("d", [req(1, 2)]);
  const l = links[0]!;
  assert.equal(l.log.map((c) => [c.from, c.to]), [[0, 1], [1, 3]]);
  assert.is(m.where(universe[1]!.exchange, universe[1]!.symbol)!.mode, 3);
  assert.equal(m.where(universe[1]!.exchange, universe[1]!.symbol)!.holders, [2, 1, 1]);
  await m.unsubscribe("c", [req(1, 3)]);
  assert.equal(l.log.at(-1)!.to, 2, "Depth → Quote when the Depth holder leaves");
  await m.unsubscribe("a", [req(1, 1)]);
  await m.unsubscribe("d", [req(1, 2)]);
  assert.equal(l.log.map((c) => [c.from, c.to]), [[0, 1], [1, 3], [3, 2], [2, 1]]);
  // Unsubscribing what the client does not hold: per-instrument NOT_SUBSCRIBED.
  const [r] = await m.unsubscribe("a", [req(1, 1)]);
  assert.equal(r, { ...req(1, 1), ok: false, code: "NOT_SUBSCRIBED", message: r!.ok ? "" : r!.message });
  await m.unsubscribe("b", [req(1, 1)]);
  assert.equal([l.log.at(-1)!.row.symbol, l.log.at(-1)!.from, l.log.at(-1)!.to], [universe[1]!.symbol, 1, 0]);
  assert.is(m.where(universe[1]!.exchange, universe[1]!.symbol), undefined);
  // One client holding two modes of one instrument: both references count.
  await m.subscribe("e", [req(2, 1), req(2, 3), req(2, 3)]);
  assert.is(m.where(universe[2]!.exchange, universe[2]!.symbol)!.mode, 3);
  await m.unsubscribe("e", [req(2, 3)]);
  assert.is(m.where(universe[2]!.exchange, universe[2]!.symbol)!.mode, 1);
  checkConsistent(m, links, 10);
});

test("racing subscribes, unsubscribes and mode changes on slow links end consistent", async () => {
  const { m, links } = setup(40, 8, 3);
  let seed = 12345;
  const rnd = (n: number): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return (seed >>> 8) % n;
  };
  const clients = ["a", "b", "c", "d"];
  const ops: Promise<unknown>[] = [];
  for (let round = 0; round < 400; round++) {
    const client = clients[rnd(4)]!;
    const reqs = Array.from({ length: 1 + rnd(8) }, () => req(rnd(120), (1 + rnd(3)) as 1 | 2 | 3));
    ops.push(rnd(3) === 0 ? m.unsubscribe(client, reqs) : m.subscribe(client, reqs));
    if (rnd(10) === 0) ops.push(m.removeClient(clients[rnd(4)]!));
    if (rnd(4) === 0) await new Promise((r) => setTimeout(r, rnd(4)));
  }
  await Promise.all(ops);
  assert.is(m.report().pending, 0);
  checkConsistent(m, links, 120);
  // The upstream mode is the highest any client holds: recompute from the clients' own view.
  for (const c of clients) await m.removeClient(c);
  assert.is(m.report().instruments, 0);
  assert.ok(links.every((l) => !l || l.held.size === 0), "nothing left streaming");
});

test("a failed link has its instruments re-placed and re-subscribed at their modes, none orphaned", async () => {
  const { m, links } = setup(1000, 7);
  await m.subscribe("a", universe.slice(0, 5000).map((_, i) => req(i, ((i % 3) + 1) as 1 | 2 | 3)));
  assert.is(m.report().links.length, 5);
  const victim = links[2]!;
  const moved = [...victim.held];
  victim.state = "failed";
  victim.held.clear();
  await m.linkFailed(2);
  const r = m.report();
  assert.ok(r.links[2]!.failed);
  assert.is(r.links[2]!.instruments, 0);
  assert.is(r.unplaced, 0);
  assert.is(r.links.length, 6, "one fresh link took the 1 000");
  for (const [key, mode] of moved) {
    const [exchange, symbol] = key.split("|") as [string, string];
    const p = m.where(exchange, symbol)!;
    assert.is.not(p.link, 2);
    assert.is(p.mode, mode, `${key} keeps its mode`);
  }
  checkConsistent(m, links, 5000);
  // Nothing is ever placed on the dead link again.
  await m.subscribe("b", universe.slice(5000, 6500).map((_, i) => req(5000 + i, 1)));
  assert.is(m.report().links[2]!.instruments, 0);
});

test("capacity: MAX_CAPACITY_REACHED per instrument, unplaced after a failure, placed when room frees", async () => {
  const { m, links } = setup(10, 2);
  const rs = await m.subscribe("a", universe.slice(0, 25).map((_, i) => req(i, 2)));
  assert.is(rs.filter((r) => r.ok).length, 20);
  assert.ok(rs.slice(20).every((r) => !r.ok && r.code === "MAX_CAPACITY_REACHED"));
  assert.is(m.report().unplaced, 0, "a refused newcomer is not held");
  // Link 1 fails: its 10 have nowhere to go and are kept as unplaced (still held).
  links[1]!.state = "failed";
  links[1]!.held.clear();
  await m.linkFailed(1);
  assert.is(m.report().unplaced, 10);
  assert.is(m.report().instruments, 20);
  // Room frees on link 0: the unplaced take it.
  await m.unsubscribe("a", universe.slice(0, 4).map((_, i) => req(i, 2)));
  await new Promise((r) => setTimeout(r, 20));
  assert.is(m.report().unplaced, 6);
  assert.is(m.report().links[0]!.instruments, 10);
  checkConsistent(m, links, 25);
});

test("instruments re-homed onto a link that refuses them for a while are retried until they stream: none orphaned", async () => {
  const links: FakeLink[] = [];
  let reconnecting = true;
  const m = new SubscriptionManager({ master, limits: limits(10), maxLinks: 3, openLink: (i) => {
    const link = (links[i] = new FakeLink(i));
    // Link 2 opens while the broker is still refusing it (a reconnect in progress).
    if (i === 2) link.change = async (changes) => (reconnecting ? changes.map(() => ({ ok: false, code: "TIMEOUT", message: "reconnecting" }) as const) : FakeLink.prototype.change.call(link, changes));
    return link;
  } });
  await m.subscribe("a", universe.slice(0, 15).map((_, i) => req(i, 1)));
  assert.is(m.report().links.length, 2);
  links[1]!.state = "failed";
  links[1]!.held.clear();
  await m.linkFailed(1);
  assert.is(m.report().unplaced, 5, "refused by the new link for now, still held");
  assert.is(m.report().instruments, 15);
  reconnecting = false;
  const deadline = Date.now() + 5000;
  while (m.report().unplaced > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  assert.is(m.report().unplaced, 0, "retried after the backoff");
  assert.is(links[2]!.held.size, 5);
  checkConsistent(m, links, 15);
  // A second outage starts its backoff afresh (not where the first one left it).
  assert.is((m as unknown as { retryDelayMs: number }).retryDelayMs, 1000);
  m.close();
});

test("a refused subscribe withdraws the reference; other holders fall back to their mode", async () => {
  const { m, links } = setup(100, 2);
  await m.subscribe("a", [req(3, 1)]);
  links[0]!.refuse.set(keyOf(3), 2);
  links[0]!.refuse.set(keyOf(4), 0);
  const [up, fresh] = await m.subscribe("b", [req(3, 3), req(4, 2)]);
  assert.equal(up!.ok ? "" : up!.code, "TIMEOUT");
  assert.equal(fresh!.ok ? "" : fresh!.code, "TIMEOUT");
  const p = m.where(universe[3]!.exchange, universe[3]!.symbol)!;
  assert.equal(p.holders, [1, 0, 0], "b does not hold what does not stream");
  assert.is(p.mode, 1, "a's LTP re-subscribed after the refused upgrade");
  assert.is(m.where(universe[4]!.exchange, universe[4]!.symbol), undefined);
  checkConsistent(m, links, 10);
});

test("bad requests are per-instrument errors; bad arguments and config are TickwireErrors naming the field", async () => {
  const { m } = setup(10, 2);
  const rs = await m.subscribe("a", [
    { exchange: "NSE", symbol: "ZZ_NOT_LISTED", mode: 1 },
    { exchange: "XXX", symbol: universe[5]!.symbol, mode: 1 },
    { ...req(5, 1), mode: 4 as 1 },
    null as unknown as SubscriptionRequest,
    req(5, 1),
  ]);
  assert.equal(rs.map((r) => (r.ok ? "ok" : r.code)), ["SYMBOL_NOT_FOUND", "SYMBOL_NOT_FOUND", "INVALID_MODE", "SYMBOL_NOT_FOUND", "ok"]);
  const throwsArg = async (f: () => unknown, field: RegExp): Promise<void> => {
    try {
      await f();
    } catch (e) {
      assert.instance(e, TickwireError);
      assert.is((e as TickwireError).code, "ARGUMENT");
      assert.match((e as Error).message, field);
      return;
    }
    assert.unreachable(`no error for ${field}`);
  };
  await throwsArg(() => m.subscribe("a", "NSE:X" as unknown as SubscriptionRequest[]), /requests/);
  await throwsArg(() => m.subscribe({} as unknown as string, []), /client/);
  await throwsArg(() => m.linkFailed(2), /index/);
  const ok: SubscriptionConfig = { master, limits: limits(10), maxLinks: 2, openLink: (i) => new FakeLink(i) };
  await throwsArg(() => new SubscriptionManager(undefined as unknown as SubscriptionConfig), /config/);
  await throwsArg(() => new SubscriptionManager({ ...ok, master: {} as SymbolMaster }), /config\.master/);
  await throwsArg(() => new SubscriptionManager({ ...ok, limits: { ...ok.limits, symbolsPerConnection: 0 } }), /symbolsPerConnection/);
  await throwsArg(() => new SubscriptionManager({ ...ok, maxLinks: 1.5 }), /maxLinks/);
  await throwsArg(() => new SubscriptionManager({ ...ok, limits: { ...ok.limits, messagesPerSecond: 0 } }), /messagesPerSecond/);
  await throwsArg(() => new SubscriptionManager({ ...ok, limits: { ...ok.limits, instrumentsPerMessage: "50" as unknown as number } }), /instrumentsPerMessage/);
  await throwsArg(() => new SubscriptionManager({ ...ok, limits: { ...ok.limits, connectionsPerAccount: -1 } }), /connectionsPerAccount/);
  await throwsArg(() => new SubscriptionManager({ ...ok, openLink: 3 as unknown as SubscriptionConfig["openLink"] }), /openLink/);
  const broken = new SubscriptionManager({ ...ok, openLink: () => ({}) as UpstreamLink });
  const [b] = await broken.subscribe("a", [req(1, 1)]);
  assert.ok(!b!.ok && b!.code === "BROKER_ERROR" && /must return an UpstreamLink/.test(b!.message));
  assert.is(broken.report().instruments, 0, "nothing held");
  // openLink throwing (no memory for another connection): full, said why, not thrown; no further link tried.
  let opened = 0;
  const starved = new SubscriptionManager({ ...ok, limits: limits(1), openLink: (i) => {
    if (i > 0) throw new TickwireError("MEMORY", "no room for another connection's buffers");
    opened++;
    return new FakeLink(i);
  } });
  const rs2 = await starved.subscribe("a", [req(1, 1), req(2, 1), req(3, 1)]);
  assert.equal(rs2.map((r) => (r.ok ? "ok" : r.code)), ["ok", "MAX_CAPACITY_REACHED", "MAX_CAPACITY_REACHED"]);
  assert.match(rs2[1]!.ok ? "" : rs2[1]!.message, /could not be opened: no room/);
  assert.is(opened, 1);
  const r3 = starved.report();
  assert.equal([r3.instruments, r3.links.length, r3.links[0]!.instruments, r3.unplaced], [1, 1, 1, 0]);
  starved.close();
});

test.run();
