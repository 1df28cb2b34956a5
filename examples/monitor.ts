// The performance monitor of a running system: thresholds that raise alerts (with hysteresis and a
// cooldown) to your sinks, the latest sample in process, and the HTTP endpoints on the proxy's
// port: /metrics (Prometheus), /health, /stats and the live /dashboard.
import { createSystem } from "tickwire/node";
import type { AlertSink } from "tickwire";

const alerts: AlertSink = { name: "console", send: (e) => console.log(`alert ${e.type}: ${e.alert.message}`) };
const system = await createSystem({
  feed: { broker: "simulated", instruments: 500, ticksPerSecond: 20_000 },
  proxy: { port: 0, apiKeys: ["my-local-key-123"] },
  monitor: {
    intervalMs: 250,
    thresholds: { latencyP99Ms: { warning: 10, critical: 100 }, ringFill: 0.5, stalenessMs: 5000 },
    alerts: { raiseAfter: 2, clearAfter: 3, cooldownMs: 60_000, sinks: [alerts] },  // or webhookSink({ url })
  },
});
await system.start();
try {
  await system.subscribe([{ exchange: "NSE_INDEX", symbol: "NIFTY" }, { exchange: "NSE_INDEX", symbol: "BANKNIFTY" }]);
  await new Promise((r) => setTimeout(r, 1500));
  const s = system.sample()!;
  console.log(`${Math.round(s.rates.ticksInPerSecond)} ticks/s in; receive → ring p99 ${s.latency.ring.p99Ms.toFixed(3)} ms`);
  console.log(`threads: ${s.threads.map((t) => `${t.name} ${t.loopDelayP99Ms.toFixed(1)} ms`).join(", ")}`);
  const base = `http://127.0.0.1:${system.port}`;
  const metrics = await (await fetch(`${base}/metrics`)).text();
  console.log(metrics.split("\n").find((l) => l.startsWith("tickwire_ticks_in_total")));
  const health = await fetch(`${base}/health`);
  console.log(`/health ${health.status}: ${(await health.json() as { status: string }).status}; dashboard at ${base}/dashboard`);
} finally {
  await system.stop();
}
