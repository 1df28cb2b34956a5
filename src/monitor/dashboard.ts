// The live dashboard: one self-contained HTML page (inline CSS and JS, no external URL, no
// framework) that loads {prefix}/stats/history, then polls {prefix}/stats every second and
// draws its own <canvas> charts. It is a string so that it ships compiled in dist/; its script
// is plain ES2017 for any current browser and is not type-checked here — test/dashboard.test.ts
// runs it in headless Chromium.
//
// The page writes no HTML from data (names go through textContent) and reads URLs relative to
// its own path, so it works under any prefix and behind a reverse proxy. Stable hooks for
// tests: #tile-<name>[data-value], canvas#chart-<name>, #alerts-list[data-count],
// #conn[data-state], body[data-samples] (samples received so far).
//
// No backtick and no dollar-brace below: the page sits inside a String.raw template.

/** The dashboard page served at {prefix}/dashboard. */
export const DASHBOARD_HTML: string = String.raw`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>tickwire monitor</title>
<style>
  :root { --bg: #f4f5f7; --panel: #fff; --text: #1b1f24; --muted: #5c6670; --line: #d8dce1; --ok: #1a7f37; --warn: #b35900; --bad: #c62828; }
  * { box-sizing: border-box; }
  body { margin: 0; padding: 16px 20px 28px; background: var(--bg); color: var(--text); font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
  header { display: flex; align-items: baseline; gap: 16px; margin-bottom: 12px; }
  h1 { font-size: 20px; margin: 0; }
  h2 { font-size: 14px; margin: 0 0 8px; color: var(--muted); font-weight: 600; text-transform: uppercase; letter-spacing: .04em; }
  #conn { padding: 2px 10px; border-radius: 10px; font-weight: 600; font-size: 12px; background: #e8eaed; }
  #conn[data-state="live"] { background: #dcf5e3; color: var(--ok); }
  #conn[data-state="waiting"] { background: #fff4d6; color: var(--warn); }
  #conn[data-state="disconnected"] { background: #fde2e2; color: var(--bad); }
  #updated { color: var(--muted); font-size: 12px; }
  .tiles { display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: 10px; margin-bottom: 12px; }
  .tile, .panel, figure { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; }
  .tile { padding: 10px 12px; }
  .tile .label { color: var(--muted); font-size: 12px; }
  .tile .value { font-size: 26px; font-weight: 650; font-variant-numeric: tabular-nums; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
  .tile .sub { color: var(--muted); font-size: 12px; min-height: 1.4em; }
  .tile.bad .value { color: var(--bad); }
  .panel { padding: 10px 12px; margin-bottom: 12px; }
  #alerts-list { list-style: none; margin: 0; padding: 0; }
  #alerts-list li { padding: 4px 8px; border-left: 4px solid var(--line); margin: 2px 0; }
  #alerts-list li.critical { border-color: var(--bad); background: #fdecec; }
  #alerts-list li.warning { border-color: var(--warn); background: #fff6e0; }
  #alerts-list li.none { color: var(--ok); }
  .sev { font-weight: 700; margin-right: 6px; }
  li.critical .sev { color: var(--bad); }
  li.warning .sev { color: var(--warn); }
  .charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(480px, 1fr)); gap: 10px; margin-bottom: 12px; }
  figure { margin: 0; padding: 8px 10px; }
  figcaption { font-weight: 600; margin-bottom: 4px; display: flex; justify-content: space-between; align-items: center; }
  canvas { display: block; width: 100%; height: 190px; }
  .tables { display: flex; flex-wrap: wrap; gap: 10px; }
  .tables .panel { flex: 2 1 380px; overflow-x: auto; margin-bottom: 0; }
  .tables .panel.wide { flex: 3 1 600px; }
  table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; font-size: 13px; }
  th, td { text-align: right; padding: 3px 5px; border-bottom: 1px solid var(--line); white-space: nowrap; }
  th:first-child, td:first-child { text-align: left; }
  th { color: var(--muted); font-weight: 600; }
  td.no { color: var(--bad); font-weight: 700; }
  td.yes { color: var(--ok); }
  .empty { color: var(--muted); }
</style>
</head>
<body data-samples="0">
<header>
  <h1>tickwire monitor</h1>
  <span id="conn" data-state="connecting">connecting…</span>
  <span id="updated"></span>
</header>

<section class="tiles">
  <div class="tile" id="tile-ticks"><div class="label">ticks/s in</div><div class="value">—</div><div class="sub"></div></div>
  <div class="tile" id="tile-p99"><div class="label">client latency p99 (ms)</div><div class="value">—</div><div class="sub"></div></div>
  <div class="tile" id="tile-clients"><div class="label">clients</div><div class="value">—</div><div class="sub"></div></div>
  <div class="tile" id="tile-feed"><div class="label">feed</div><div class="value">—</div><div class="sub"></div></div>
  <div class="tile" id="tile-dropped"><div class="label">dropped (total)</div><div class="value">—</div><div class="sub"></div></div>
  <div class="tile" id="tile-uptime"><div class="label">uptime</div><div class="value">—</div><div class="sub"></div></div>
</section>

<section class="panel" id="alerts">
  <h2>Alerts</h2>
  <ul id="alerts-list" data-count="0"><li class="none">no active alerts</li></ul>
</section>

<section class="charts">
  <figure><figcaption>Throughput (ticks/s)</figcaption><canvas id="chart-throughput"></canvas></figure>
  <figure><figcaption><span>Latency (ms)</span>
    <label>stage <select id="latency-stage"><option value="client">client</option><option value="consumer">consumer</option><option value="ring">ring</option></select></label>
  </figcaption><canvas id="chart-latency"></canvas></figure>
  <figure><figcaption>Ring fill (%)</figcaption><canvas id="chart-rings"></canvas></figure>
  <figure><figcaption>Clients</figcaption><canvas id="chart-clients"></canvas></figure>
</section>

<section class="tables">
  <div class="panel"><h2>Threads</h2><table id="threads"><thead><tr>
    <th>thread</th><th>kind</th><th>loop p99 ms</th><th>loop max ms</th><th>last beat ms</th><th>alive</th>
  </tr></thead><tbody></tbody></table></div>
  <div class="panel wide"><h2>Consumers</h2><table id="consumers"><thead><tr>
    <th>consumer</th><th>policy</th><th>state</th><th>delivered</th><th>dropped</th><th>conflated</th><th>lapped</th><th>errors</th><th>lag ms</th><th>backlog</th><th>holding s</th>
  </tr></thead><tbody></tbody></table></div>
</section>

<script>
"use strict";
(function () {
  // URLs relative to the page's own path, so a prefix (or a reverse proxy's) just works.
  var base = location.pathname.replace(/dashboard\/?$/, "");
  var POLL_MS = 1000, KEEP = 300;
  var COLORS = ["#1f6fd1", "#d6336c", "#2b8a3e", "#e67700", "#7048e8", "#0c8599", "#862e9c", "#5c940d"];
  var samples = [], received = 0, lastTime = -Infinity, needHistory = true;

  function el(id) { return document.getElementById(id); }
  function num(v) { return typeof v === "number" && isFinite(v) ? v : null; }
  function pick(o, path) {
    for (var i = 0; i < path.length; i++) { if (o === null || typeof o !== "object") return undefined; o = o[path[i]]; }
    return o;
  }
  function fmt(v, digits) {
    v = num(v);
    if (v === null) return "—";
    var a = Math.abs(v);
    if (a >= 1e9) return (v / 1e9).toFixed(2) + "G";
    if (a >= 1e6) return (v / 1e6).toFixed(2) + "M";
    if (a >= 1e4) return (v / 1e3).toFixed(1) + "k";
    if (digits !== undefined) return v.toFixed(digits);
    return a >= 100 || v === Math.round(v) ? String(Math.round(v)) : v.toPrecision(3);
  }
  function duration(s) {
    s = num(s);
    if (s === null) return "—";
    s = Math.floor(s);
    var d = Math.floor(s / 86400), h = Math.floor(s % 86400 / 3600), m = Math.floor(s % 3600 / 60), sec = s % 60;
    function two(n) { return (n < 10 ? "0" : "") + n; }
    return (d ? d + "d " : "") + (d || h ? h + "h " : "") + (d || h || m ? two(m) + "m " : "") + two(sec) + "s";
  }
  function clock(ms) { var d = new Date(ms); return d.toTimeString().slice(0, 8); }

  // ---- fetching ------------------------------------------------------------------------------
  function get(path) {
    return fetch(base + path, { cache: "no-store" }).then(function (r) {
      if (r.status === 503 && path === "stats") return null; // up, but no sample yet
      if (!r.ok) throw new Error("HTTP " + r.status);
      return r.json();
    });
  }
  function add(s) {
    if (!s || typeof s.time !== "number" || !(s.time > lastTime)) return;
    samples.push(s);
    if (samples.length > KEEP) samples.shift();
    lastTime = s.time;
    received++;
  }
  function setConn(state, text) {
    var c = el("conn");
    c.dataset.state = state;
    c.textContent = text;
    document.body.dataset.conn = state;
  }
  // One poll at a time (a setTimeout chain, not setInterval): a slow server never piles up requests.
  function poll() {
    var start = needHistory
      ? get("stats/history" + (lastTime > -Infinity ? "?since=" + lastTime : "")).then(function (h) {
          needHistory = false;
          (h && Array.isArray(h.samples) ? h.samples : []).forEach(add);
        })
      : Promise.resolve();
    start.then(function () { return get("stats"); }).then(function (s) {
      add(s);
      if (s) setConn("live", "live"); else setConn("waiting", "waiting for the first sample");
      render();
    }).catch(function (e) {
      needHistory = true; // the server may have restarted: refill the gap once it answers
      setConn("disconnected", "disconnected — retrying (" + (e && e.message ? e.message : e) + ")");
    }).then(function () { setTimeout(poll, POLL_MS); });
  }

  // ---- charts ----------------------------------------------------------------------------------
  function surface(canvas) {
    var dpr = window.devicePixelRatio || 1, w = canvas.clientWidth || 400, h = canvas.clientHeight || 190;
    if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
      canvas.width = Math.round(w * dpr);
      canvas.height = Math.round(h * dpr);
    }
    var ctx = canvas.getContext("2d");
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(0, 0, w, h);
    ctx.font = "11px system-ui, sans-serif";
    return { ctx: ctx, w: w, h: h };
  }
  // A 1-2-5 step giving about "count" ticks from 0 to max.
  function niceStep(max, count) {
    var raw = max / count, mag = Math.pow(10, Math.floor(Math.log10(raw))), steps = [1, 2, 2.5, 5, 10];
    for (var i = 0; i < steps.length; i++) if (steps[i] * mag >= raw) return steps[i] * mag;
    return 10 * mag;
  }
  function legend(ctx, names, colors, x, y) {
    for (var i = 0; i < names.length; i++) {
      ctx.fillStyle = colors[i];
      ctx.fillRect(x, y - 8, 10, 10);
      ctx.fillStyle = "#1b1f24";
      ctx.fillText(names[i], x + 14, y);
      x += 24 + ctx.measureText(names[i]).width;
    }
  }
  // Lines over time: series = [{ name, color, values }], values aligned with times (null: gap).
  function lineChart(canvas, times, series) {
    var s = surface(canvas), ctx = s.ctx, L = 48, R = 10, T = 22, B = 20, pw = s.w - L - R, ph = s.h - T - B;
    var max = 0, i, j;
    for (i = 0; i < series.length; i++) for (j = 0; j < series[i].values.length; j++) {
      var v = num(series[i].values[j]);
      if (v !== null && v > max) max = v;
    }
    var step = niceStep(max > 0 ? max : 1, 4), top = Math.max(step, Math.ceil((max > 0 ? max : 1) / step) * step);
    var t0 = times.length ? times[0] : Date.now() - 60000, t1 = times.length > 1 ? times[times.length - 1] : t0 + 60000;
    function X(t) { return L + (t - t0) / (t1 - t0) * pw; }
    function Y(v) { return T + ph - v / top * ph; }
    ctx.textAlign = "right"; ctx.textBaseline = "middle"; ctx.lineWidth = 1;
    for (var y = 0; y <= top + step / 2; y += step) {
      ctx.strokeStyle = y === 0 ? "#9aa3ad" : "#e6e9ed";
      ctx.beginPath(); ctx.moveTo(L, Math.round(Y(y)) + 0.5); ctx.lineTo(L + pw, Math.round(Y(y)) + 0.5); ctx.stroke();
      ctx.fillStyle = "#5c6670"; ctx.fillText(fmt(y), L - 6, Y(y));
    }
    ctx.strokeStyle = "#9aa3ad";
    ctx.beginPath(); ctx.moveTo(L + 0.5, T); ctx.lineTo(L + 0.5, T + ph); ctx.stroke();
    ctx.textAlign = "center"; ctx.textBaseline = "top";
    for (i = 0; i <= 3; i++) {
      var t = t0 + (t1 - t0) * i / 3, x = X(t);
      ctx.strokeStyle = "#9aa3ad"; ctx.beginPath(); ctx.moveTo(x, T + ph); ctx.lineTo(x, T + ph + 4); ctx.stroke();
      ctx.fillStyle = "#5c6670"; ctx.textAlign = i === 0 ? "left" : i === 3 ? "right" : "center"; ctx.fillText(clock(t), x, T + ph + 6);
    }
    ctx.lineWidth = 1.8; ctx.lineJoin = "round";
    for (i = 0; i < series.length; i++) {
      ctx.strokeStyle = series[i].color; ctx.beginPath();
      var pen = false;
      for (j = 0; j < times.length; j++) {
        var val = num(series[i].values[j]);
        if (val === null) { pen = false; continue; }
        if (pen) ctx.lineTo(X(times[j]), Y(val)); else ctx.moveTo(X(times[j]), Y(val));
        pen = true;
      }
      if (times.length === 1 && num(series[i].values[0]) !== null) ctx.arc(X(times[0]), Y(series[i].values[0]), 2, 0, 7);
      ctx.stroke();
    }
    ctx.textAlign = "left"; ctx.textBaseline = "alphabetic";
    legend(ctx, series.map(function (x) { return x.name; }), series.map(function (x) { return x.color; }), L, 14);
    if (!times.length) { ctx.fillStyle = "#5c6670"; ctx.textAlign = "center"; ctx.fillText("waiting for data", L + pw / 2, T + ph / 2); }
  }
  // Horizontal bars, 0-100 %: bars = [{ name, value (0..1) }].
  function barChart(canvas, bars) {
    var s = surface(canvas), ctx = s.ctx, L = 110, R = 44, T = 8, B = 18, pw = s.w - L - R, ph = s.h - T - B;
    var row = bars.length ? Math.min(22, ph / bars.length) : ph;
    ctx.textBaseline = "top"; ctx.textAlign = "center";
    for (var p = 0; p <= 100; p += 25) {
      var x = L + p / 100 * pw;
      ctx.strokeStyle = p ? "#e6e9ed" : "#9aa3ad"; ctx.beginPath(); ctx.moveTo(Math.round(x) + 0.5, T); ctx.lineTo(Math.round(x) + 0.5, T + ph); ctx.stroke();
      ctx.fillStyle = "#5c6670"; ctx.fillText(p + "%", x, T + ph + 4);
    }
    ctx.textBaseline = "middle";
    for (var i = 0; i < bars.length; i++) {
      var v = Math.min(1, Math.max(0, num(bars[i].value) || 0)), y = T + i * row;
      ctx.fillStyle = v >= 0.8 ? "#c62828" : v >= 0.5 ? "#e67700" : "#2b8a3e";
      ctx.fillRect(L, y + row * 0.15, Math.max(1, v * pw), row * 0.7);
      ctx.fillStyle = "#1b1f24"; ctx.textAlign = "right";
      ctx.fillText(String(bars[i].name).slice(0, 18), L - 6, y + row / 2);
      ctx.textAlign = "left"; ctx.fillText((v * 100).toFixed(1) + "%", L + v * pw + 4, y + row / 2);
    }
    if (!bars.length) { ctx.fillStyle = "#5c6670"; ctx.textAlign = "center"; ctx.fillText("no rings", L + pw / 2, T + ph / 2); }
  }

  // ---- rendering -------------------------------------------------------------------------------
  function tile(id, value, raw, sub, bad) {
    var t = el("tile-" + id);
    t.querySelector(".value").textContent = value;
    t.querySelector(".sub").textContent = sub;
    t.dataset.value = raw === null || raw === undefined ? "" : String(raw);
    t.classList.toggle("bad", !!bad);
  }
  function renderTiles(s) {
    var inRate = num(pick(s, ["rates", "ticksInPerSecond"]));
    tile("ticks", fmt(inRate), inRate, "out " + fmt(pick(s, ["rates", "ticksOutPerSecond"])) + "/s");
    var lat = pick(s, ["latency", "client"]) || {};
    tile("p99", fmt(lat.p99Ms), num(lat.p99Ms), "p50 " + fmt(lat.p50Ms) + " · p99.9 " + fmt(lat.p999Ms));
    var c = s.clients || {};
    tile("clients", fmt(c.connected), num(c.connected), "slow " + fmt(c.slow) + " · subs " + fmt(c.subscriptions), c.slow > 0);
    var f = s.feed || {}, age = num(f.lastTickAgeMs);
    tile("feed", f.connected ? "connected" : String(f.state || "disconnected"), f.connected ? 1 : 0,
      (f.broker ? f.broker + " · " : "") + (age === null ? "no tick yet" : "last tick " + (age < 1000 ? Math.round(age) + " ms" : (age / 1000).toFixed(1) + " s") + " ago"), !f.connected);
    var dropped = num(pick(s, ["counters", "dropped"]));
    tile("dropped", fmt(dropped), dropped, "drop rate " + fmt((num(s.dropRate) || 0) * 100, 2) + "%", num(s.dropRate) > 0);
    tile("uptime", duration(s.uptimeSeconds), num(s.uptimeSeconds), "sampled " + clock(s.time));
  }
  function renderCharts() {
    var times = samples.map(function (s) { return s.time; });
    function series(name, path, i) { return { name: name, color: COLORS[i], values: samples.map(function (s) { return pick(s, path); }) }; }
    lineChart(el("chart-throughput"), times, [
      series("in", ["rates", "ticksInPerSecond"], 0), series("out", ["rates", "ticksOutPerSecond"], 1), series("dropped", ["rates", "droppedPerSecond"], 3)]);
    var stage = el("latency-stage").value;
    function latency(name, key, i) {
      return { name: name, color: COLORS[i], values: samples.map(function (s) { var l = pick(s, ["latency", stage]); return l && l.count > 0 ? l[key] : null; }) };
    }
    lineChart(el("chart-latency"), times, [latency("p50", "p50Ms", 0), latency("p99", "p99Ms", 3), latency("p99.9", "p999Ms", 1)]);
    var last = samples[samples.length - 1] || {};
    barChart(el("chart-rings"), (Array.isArray(last.rings) ? last.rings : []).map(function (r) { return { name: r.name, value: r.fill }; }));
    lineChart(el("chart-clients"), times, [
      series("connected", ["clients", "connected"], 0), series("authenticated", ["clients", "authenticated"], 2), series("slow", ["clients", "slow"], 1)]);
  }
  function rows(tableId, list, cells, emptyText) {
    var body = el(tableId).tBodies[0];
    body.textContent = "";
    if (!list.length) {
      var tr = body.insertRow(), td = tr.insertCell();
      td.colSpan = el(tableId).tHead.rows[0].cells.length; td.className = "empty"; td.textContent = emptyText;
      return;
    }
    list.forEach(function (item) {
      var tr = body.insertRow();
      cells(item).forEach(function (c) {
        var td = tr.insertCell();
        if (typeof c === "object" && c !== null) { td.textContent = c.text; td.className = c.cls; } else td.textContent = c;
      });
    });
  }
  function renderTables(s) {
    rows("threads", Array.isArray(s.threads) ? s.threads : [], function (t) {
      return [String(t.name), String(t.kind), fmt(t.loopDelayP99Ms, 1), fmt(t.loopDelayMaxMs, 1), fmt(t.lastBeatAgeMs, 0),
        t.alive ? { text: "yes", cls: "yes" } : { text: "NO", cls: "no" }];
    }, "no threads");
    rows("consumers", Array.isArray(s.consumers) ? s.consumers : [], function (k) {
      return [String(k.name), String(k.policy), String(k.state), fmt(k.delivered), fmt(k.dropped), fmt(k.conflated), fmt(k.lapped),
        fmt(k.errors), fmt(k.lagMs, 1), fmt(k.backlog), fmt(num(k.holdingFeedMs) === null ? null : k.holdingFeedMs / 1000, 1)];
    }, "no in-process consumers");
  }
  function renderAlerts(s) {
    var list = el("alerts-list"), alerts = Array.isArray(s.alerts) ? s.alerts : [];
    list.textContent = "";
    list.dataset.count = String(alerts.length);
    if (!alerts.length) { var none = document.createElement("li"); none.className = "none"; none.textContent = "no active alerts"; list.appendChild(none); }
    alerts.forEach(function (a) {
      var li = document.createElement("li"), sev = document.createElement("span");
      li.className = a.severity === "critical" ? "critical" : "warning";
      li.dataset.alert = String(a.name);
      sev.className = "sev"; sev.textContent = String(a.severity).toUpperCase();
      li.appendChild(sev);
      li.appendChild(document.createTextNode(String(a.name) + ": " + String(a.message) + (num(a.since) !== null ? " (since " + clock(a.since) + ")" : "")));
      list.appendChild(li);
    });
  }
  function render() {
    var s = samples[samples.length - 1];
    if (s) {
      renderTiles(s);
      renderTables(s);
      renderAlerts(s);
      el("updated").textContent = "updated " + clock(s.time);
    }
    renderCharts();
    document.body.dataset.samples = String(received);
  }

  el("latency-stage").addEventListener("change", renderCharts);
  window.addEventListener("resize", renderCharts);
  render();
  poll();
})();
</script>
</body>
</html>
`;
