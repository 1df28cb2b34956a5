// The webhook sink against a real local HTTP server: retries (5xx, 429 with Retry-After,
// timeouts), no retry on other 4xx, order, a bounded queue, a bounded close, and no secret
// (URL userinfo or query, header values) in any message.
import * as assert from "uvu/assert";
import { test } from "uvu";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { timedTest } from "./helpers/timed.js";
import { TickwireError } from "../src/errors.js";
import { webhookSink, type WebhookSinkOptions } from "../src/monitor/webhook.js";
import type { AlertEvent } from "../src/monitor/alerts.js";
import { PerformanceMonitor } from "../src/monitor/performance-monitor.js";

interface Received {
  readonly n: number;
  readonly url: string;
  readonly headers: IncomingMessage["headers"];
  readonly body: string;
}

/** A server on 127.0.0.1 (port 0) that hands each request, with its number from 1, to `handle`. */
async function startServer(handle: (res: ServerResponse, n: number, body: string) => void) {
  const requests: Received[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => (body += chunk));
    req.on("end", () => {
      const n = requests.length + 1;
      requests.push({ n, url: req.url ?? "", headers: req.headers, body });
      handle(res, n, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: `http://127.0.0.1:${port}/hook`,
    /** What messages show of the URL: no path (a Slack-style hook's token is in it). */
    origin: `http://127.0.0.1:${port}`,
    requests,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function event(name: string, type: AlertEvent["type"] = "raised"): AlertEvent {
  return { type, time: 1_700_000_000_000, alert: { name, severity: "warning", message: `${name} is bad`, value: 2, threshold: 1, since: 1_699_999_999_000 } };
}

const answer = (res: ServerResponse, status: number, headers: Record<string, string> = {}): void => {
  res.writeHead(status, headers);
  res.end(status === 200 ? "ok" : "no");
};

/** A sleep that records what it was asked for and waits only a little. */
function recordingSleep(waits: number[]): NonNullable<WebhookSinkOptions["sleep"]> {
  return (ms) => {
    waits.push(ms);
    return new Promise((resolve) => setTimeout(resolve, 5));
  };
}

timedTest("503 twice, then 200: delivered once after 2 retries, as the documented JSON", 3000, async () => {
  const server = await startServer((res, n) => answer(res, n <= 2 ? 503 : 200));
  try {
    const errors: string[] = [];
    const sink = webhookSink({ url: server.url, backoffMs: 10, onError: (m) => errors.push(m), random: () => 0.5 });
    sink.send(event("latencyP99"));
    await sink.close(2000);
    assert.is(server.requests.length, 3);
    const bodies = server.requests.map((r) => JSON.parse(r.body));
    assert.equal(bodies[2], { type: "raised", alert: event("latencyP99").alert, time: 1_700_000_000_000, source: "tickwire" });
    assert.equal(bodies[0], bodies[2], "every attempt sends the same body");
    assert.is(server.requests[0]!.headers["content-type"], "application/json");
    assert.is(server.requests[0]!.url, "/hook");
    assert.equal(sink.counters(), { sent: 1, failed: 0, retried: 2, dropped: 0, queued: 0 });
    assert.equal(errors, [
      `webhook ${server.origin} failed: 503 (attempt 1 of 6); retrying in 5 ms`,
      `webhook ${server.origin} failed: 503 (attempt 2 of 6); retrying in 10 ms`,
    ]);
    assert.is(sink.name, `webhook ${server.origin}`);
  } finally {
    await server.close();
  }
});

timedTest("backoff is full jitter, doubling to maxBackoffMs; 429 honours Retry-After (capped)", 3000, async () => {
  const server = await startServer((res, n) => (n <= 4 ? answer(res, 500) : n === 5 ? answer(res, 429, { "retry-after": "2" }) : answer(res, 200)));
  try {
    const waits: number[] = [];
    const sink = webhookSink({ url: server.url, backoffMs: 100, maxBackoffMs: 1000, random: () => 0.5, sleep: recordingSleep(waits) });
    sink.send(event("a"));
    await sink.close(2000);
    assert.equal(waits, [50, 100, 200, 400, 1000]);
    assert.equal(sink.counters(), { sent: 1, failed: 0, retried: 5, dropped: 0, queued: 0 });

    const again = await startServer((res, n) => (n === 1 ? answer(res, 429, { "retry-after": "1" }) : answer(res, 200)));
    try {
      const w2: number[] = [];
      const s2 = webhookSink({ url: again.url, sleep: recordingSleep(w2) });
      s2.send(event("b"));
      await s2.close(2000);
      assert.equal(w2, [1000], "Retry-After: 1 → 1000 ms");
      assert.is(again.requests.length, 2);
    } finally {
      await again.close();
    }
  } finally {
    await server.close();
  }
});

timedTest("400: no retry, counted as failed", 3000, async () => {
  const server = await startServer((res) => answer(res, 400));
  try {
    const errors: string[] = [];
    const sink = webhookSink({ url: server.url, backoffMs: 1, onError: (m) => errors.push(m) });
    sink.send(event("x", "cleared"));
    await sink.close(2000);
    assert.is(server.requests.length, 1);
    assert.equal(sink.counters(), { sent: 0, failed: 1, retried: 0, dropped: 0, queued: 0 });
    assert.equal(errors, [`webhook ${server.origin} failed: 400 (attempt 1 of 6); gave up on a cleared event`]);
  } finally {
    await server.close();
  }
});

timedTest("a server that never answers: each attempt times out, then retries, then gives up", 3000, async () => {
  const server = await startServer(() => {}); // holds every request
  try {
    const errors: string[] = [];
    const started = Date.now();
    const sink = webhookSink({ url: server.url, timeoutMs: 100, retries: 2, backoffMs: 10, onError: (m) => errors.push(m) });
    sink.send(event("stuck"));
    await sink.close(2500);
    assert.is(server.requests.length, 3);
    assert.equal(sink.counters(), { sent: 0, failed: 1, retried: 2, dropped: 0, queued: 0 });
    assert.is(errors.length, 3);
    assert.ok(errors.every((m) => m.startsWith(`webhook ${server.origin} failed: timed out after 100 ms (attempt `)), errors.join("\n"));
    assert.ok(errors[2]!.endsWith("(attempt 3 of 3); gave up on a raised event"), errors[2]);
    assert.ok(Date.now() - started >= 300, "three 100 ms timeouts");
  } finally {
    await server.close();
  }
});

timedTest("a refused connection is a network error, retried", 3000, async () => {
  const server = await startServer(() => {});
  const url = server.url;
  await server.close(); // nothing listens there now
  const errors: string[] = [];
  const sink = webhookSink({ url, retries: 1, backoffMs: 1, onError: (m) => errors.push(m) });
  sink.send(event("x"));
  await sink.close(2000);
  assert.equal(sink.counters(), { sent: 0, failed: 1, retried: 1, dropped: 0, queued: 0 });
  assert.ok(errors[0]!.startsWith(`webhook ${server.origin} failed: network error ECONNREFUSED (attempt 1 of 2)`), errors[0]);
});

timedTest("order is kept across several events, through retries and slow answers", 3000, async () => {
  const delivered: string[] = [];
  const server = await startServer((res, n, body) => {
    // Every third request fails; answers come back after a varying delay.
    setTimeout(() => {
      if (n % 3 === 0) return answer(res, 503);
      delivered.push(JSON.parse(body).alert.name);
      answer(res, 200);
    }, (n * 7) % 20);
  });
  try {
    const sink = webhookSink({ url: server.url, backoffMs: 5 });
    const names = Array.from({ length: 12 }, (_, i) => `e${i}`);
    for (const name of names) sink.send(event(name));
    await sink.close(2500);
    assert.equal(delivered, names);
    assert.is(sink.counters().sent, 12);
  } finally {
    await server.close();
  }
});

timedTest("send returns at once; queue overflow drops the oldest (counted); close waits for the rest", 3000, async () => {
  let release: () => void = () => {};
  const held = new Promise<void>((resolve) => (release = resolve));
  const delivered: string[] = [];
  const server = await startServer((res, _n, body) => {
    void held.then(() => {
      delivered.push(JSON.parse(body).alert.name);
      answer(res, 200);
    });
  });
  try {
    const errors: string[] = [];
    const sink = webhookSink({ url: server.url, queueLimit: 3, onError: (m) => errors.push(m) });
    const t0 = performance.now();
    for (const name of ["e1", "e2", "e3", "e4", "e5", "e6"]) sink.send(event(name));
    assert.ok(performance.now() - t0 < 50, "send does not wait for the webhook");
    // e1 is in flight; e2..e4 filled the queue; e5 and e6 pushed out e2 and e3.
    assert.equal(sink.counters(), { sent: 0, failed: 0, retried: 0, dropped: 2, queued: 4 });
    assert.equal(errors, [
      `webhook ${server.origin}: queue full (limit 3), dropped the oldest (a raised event)`,
      `webhook ${server.origin}: queue full (limit 3), dropped the oldest (a raised event)`,
    ]);
    release();
    await sink.close(2000);
    assert.equal(delivered, ["e1", "e4", "e5", "e6"]);
    assert.equal(sink.counters(), { sent: 4, failed: 0, retried: 0, dropped: 2, queued: 0 });
    sink.send(event("late"));
    assert.is(sink.counters().dropped, 3, "sent after close: dropped");
  } finally {
    await server.close();
  }
});

timedTest("close gives up after its bound on a stuck webhook, dropping what is left", 3000, async () => {
  const server = await startServer(() => {});
  try {
    const errors: string[] = [];
    const sink = webhookSink({ url: server.url, timeoutMs: 60_000, onError: (m) => errors.push(m) });
    sink.send(event("a"));
    sink.send(event("b"));
    const started = Date.now();
    await sink.close(150);
    assert.ok(Date.now() - started < 1000);
    await new Promise((resolve) => setTimeout(resolve, 20)); // the aborted attempt returns
    assert.equal(sink.counters(), { sent: 0, failed: 0, retried: 0, dropped: 2, queued: 0 });
    assert.equal(errors, [`webhook ${server.origin}: close gave up after 150 ms, dropped 2 event(s)`]);
  } finally {
    await server.close();
  }
});

timedTest("secrets (URL userinfo and query, header values) never reach a message; they do reach the server", 3000, async () => {
  const server = await startServer((res, n) => (n % 2 === 1 ? answer(res, 503) : answer(res, 401)));
  const stuck = await startServer(() => {});
  try {
    const messages: string[] = [];
    const collect = (m: string) => messages.push(m);
    const secretUrl = `http://user:pass@127.0.0.1:${server.port}/hook/PATHSECRET?token=SECRET`;
    const withHeader = webhookSink({ url: secretUrl, headers: { authorization: "Bearer SECRET2", "x-api-key": "SECRET3" }, backoffMs: 1, onError: collect });
    const basic = webhookSink({ url: secretUrl, name: "basic", backoffMs: 1, onError: collect });
    const timeouts = webhookSink({ url: `http://user:pass@127.0.0.1:${stuck.port}/hook?token=SECRET`, headers: { authorization: "Bearer SECRET2" }, timeoutMs: 50, retries: 1, backoffMs: 1, onError: collect, queueLimit: 1, name: "stuck" });
    // A monitor whose log also gets everything.
    const monitor = new PerformanceMonitor({ sample: () => { throw new Error("no system"); }, alerts: { sinks: [withHeader, basic, timeouts] }, log: collect });
    withHeader.send(event("a"));
    basic.send(event("b"));
    timeouts.send(event("c"));
    timeouts.send(event("d"));
    timeouts.send(event("e")); // overflow: drops d
    await monitor.stop(2500);
    messages.push(withHeader.name, basic.name, timeouts.name, JSON.stringify(monitor.stats()));
    for (const options of [
      { url: "http://user:pass@[bad?token=SECRET" },
      { url: "ftp://user:pass@host/?token=SECRET" },
      { url: 5 },
      { url: secretUrl, headers: { authorization: "Bearer SECRET2\r\n" } },
      { url: secretUrl, headers: { authorization: 7 } },
      { url: secretUrl, headers: { "bad header": "SECRET2" } },
      { url: secretUrl, tokn: "SECRET" },
    ]) {
      try {
        webhookSink(options as never);
        assert.unreachable(`accepted ${JSON.stringify(options)}`);
      } catch (e) {
        assert.ok(e instanceof TickwireError, String(e));
        assert.is((e as TickwireError).code, "ARGUMENT");
        messages.push((e as Error).message);
      }
    }
    assert.ok(messages.length >= 15, messages.join("\n"));
    for (const m of messages) {
      for (const secret of ["SECRET", "pass", "user:"]) assert.not.ok(m.includes(secret), `"${m}" holds ${secret}`);
    }
    // The server still got what it needs.
    const first = server.requests.find((r) => r.headers.authorization === "Bearer SECRET2");
    assert.ok(first, "the explicit authorization header was sent");
    assert.is(first!.url, "/hook/PATHSECRET?token=SECRET");
    assert.is(first!.headers["x-api-key"], "SECRET3");
    const fromUserinfo = server.requests.find((r) => r.headers.authorization?.startsWith("Basic "));
    assert.is(fromUserinfo?.headers.authorization, `Basic ${Buffer.from("user:pass").toString("base64")}`);
  } finally {
    await server.close();
    await stuck.close();
  }
});

test("bad options are refused with a TickwireError naming the option", () => {
  for (const [options, mentions] of [
    [{ url: "http://127.0.0.1/hook", timeoutMs: 0 }, "timeoutMs"],
    [{ url: "http://127.0.0.1/hook", retries: -1 }, "retries"],
    [{ url: "http://127.0.0.1/hook", retries: 1.5 }, "retries"],
    [{ url: "http://127.0.0.1/hook", backoffMs: NaN }, "backoffMs"],
    [{ url: "http://127.0.0.1/hook", queueLimit: 0 }, "queueLimit"],
    [{ url: "http://127.0.0.1/hook", fetch: "no" }, "fetch"],
    [{ url: "http://127.0.0.1/hook", onError: 1 }, "onError"],
    [{ url: "http://127.0.0.1/hook", name: "" }, "name"],
    [null, "options"],
  ] as const) {
    try {
      webhookSink(options as never);
      assert.unreachable(`accepted ${JSON.stringify(options)}`);
    } catch (e) {
      assert.ok(e instanceof TickwireError, String(e));
      assert.ok((e as Error).message.includes(mentions), (e as Error).message);
    }
  }
  const sink = webhookSink({ url: "http://127.0.0.1:9/hook", fetch: async () => ({ status: 200, headers: { get: () => null } }) });
  try {
    sink.send({ type: "raised", time: 1, alert: { value: 1n } } as never);
    assert.unreachable("a BigInt event was queued");
  } catch (e) {
    assert.is((e as TickwireError).code, "ARGUMENT");
  }
});

test.run();
