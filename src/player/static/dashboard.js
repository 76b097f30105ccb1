// The operator's page: polls the Prometheus text of every tier this server knows (listed by
// /dashboard/tiers.json) every 2 s, turns counters into rates, keeps the last 5 minutes and
// draws them with uPlot. No state on the server beyond the metrics it already keeps.
/* global uPlot */
'use strict';

const PERIOD_MS = 2000;
const KEEP = 150; // 5 minutes of 2 s points
const HIT_RESULTS = new Set(['hit', 'coalesced', 'stale', 'revalidated']);

/** Prometheus text exposition -> [{ name, labels, value }]. */
function parseMetrics(text) {
  const out = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels = {};
    for (const l of (m[2] || '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g))
      labels[l[1]] = l[2];
    out.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return out;
}

const sum = (samples, name, pred = () => true) =>
  samples.filter((s) => s.name === name && pred(s.labels)).reduce((a, s) => a + s.value, 0);

const state = { tiers: [], prev: new Map(), points: [], latest: {} };
window.dashboard = state;

/** One snapshot of every tier: the counters and gauges the page shows. */
async function snapshot() {
  const at = Date.now();
  const tiers = {};
  await Promise.all(
    state.tiers.map(async (t) => {
      const res = await fetch(`/dashboard/metrics/${encodeURIComponent(t)}`, { cache: 'no-store' });
      const samples = parseMetrics(await res.text());
      tiers[t] = {
        requests: sum(samples, 'corral_cache_requests_total'),
        hits: sum(samples, 'corral_cache_requests_total', (l) => HIT_RESULTS.has(l.result)),
        bytesOut: sum(samples, 'corral_cache_bytes_out_total'),
        waiters: sum(samples, 'corral_cache_waiters'),
        connections: sum(samples, 'corral_cache_connections'),
        upstream: sum(samples, 'corral_cache_upstream_fetches_total'),
        originRequests: sum(samples, 'corral_origin_requests_total'),
        ingestBytes: sum(samples, 'corral_rtmp_bytes_received_total'),
        streams: sum(samples, 'corral_streams_live'),
        speed: samples.filter((s) => s.name === 'corral_transcode_speed'),
        degrade: samples.filter((s) => s.name === 'corral_transcode_degrade_level'),
      };
    }),
  );
  return { at, tiers };
}

/** Rates between two snapshots: what the charts plot. */
function derive(prev, cur) {
  const dt = (cur.at - prev.at) / 1000;
  const point = { t: cur.at / 1000, tiers: {}, originRps: 0, ingestMbps: 0, streams: 0, speed: {} };
  for (const [name, c] of Object.entries(cur.tiers)) {
    const p = prev.tiers[name];
    if (!p) continue;
    const req = Math.max(0, c.requests - p.requests);
    point.tiers[name] = {
      rps: req / dt,
      egressMbps: (Math.max(0, c.bytesOut - p.bytesOut) * 8) / dt / 1e6,
      hitRatio: req > 0 ? (100 * Math.max(0, c.hits - p.hits)) / req : null,
      waiters: c.waiters,
      connections: c.connections,
      upstreamRps: Math.max(0, c.upstream - p.upstream) / dt,
    };
    point.originRps += Math.max(0, c.originRequests - p.originRequests) / dt;
    point.ingestMbps += (Math.max(0, c.ingestBytes - p.ingestBytes) * 8) / dt / 1e6;
    point.streams += c.streams;
    for (const s of c.speed) point.speed[s.labels.stream] = s.value;
  }
  point.degrade = Object.values(cur.tiers).flatMap((c) => c.degrade.map((d) => [d.labels.stream, d.value]));
  return point;
}

const charts = [];
function chart(title, seriesNames, pick) {
  const el = document.createElement('div');
  el.className = 'chart';
  el.dataset.chart = title;
  document.getElementById('charts').appendChild(el);
  const colors = ['#2383e2', '#e2832a', '#2aa84a', '#b03ab0', '#888'];
  const u = new uPlot(
    {
      title,
      width: 540,
      height: 220,
      series: [
        {},
        ...seriesNames.map((label, i) => ({ label, stroke: colors[i % colors.length], width: 2 })),
      ],
      axes: [{}, { size: 60 }],
    },
    [[], ...seriesNames.map(() => [])],
    el,
  );
  charts.push({ u, seriesNames, pick });
}

function tile(label, value) {
  return `<div class="tile" data-tile="${label}">${label}<b>${value}</b></div>`;
}

function render() {
  const last = state.points[state.points.length - 1];
  if (!last) return;
  const f = (n, d = 1) => (n === null || n === undefined ? '-' : n.toFixed(d));
  const tiles = [
    tile('live streams', String(last.streams)),
    tile('origin requests/s', f(last.originRps)),
    tile('ingest Mb/s', f(last.ingestMbps, 2)),
  ];
  for (const [name, t] of Object.entries(last.tiers)) {
    if (name === 'origin') continue;
    tiles.push(tile(`${name} egress Mb/s`, f(t.egressMbps, 2)));
    tiles.push(tile(`${name} hit %`, f(t.hitRatio)));
    tiles.push(tile(`${name} waiters`, String(t.waiters)));
    if (t.connections > 0) tiles.push(tile(`${name} connections`, String(t.connections)));
  }
  for (const [stream, speed] of Object.entries(last.speed))
    tiles.push(tile(`transcode ${stream} speed`, f(speed, 2)));
  for (const [stream, level] of last.degrade) tiles.push(tile(`transcode ${stream} degrade`, String(level)));
  document.getElementById('tiles').innerHTML = tiles.join('');
  for (const c of charts) {
    const xs = state.points.map((p) => p.t);
    c.u.setData([xs, ...c.seriesNames.map((s) => state.points.map((p) => c.pick(p, s)))]);
  }
}

async function tick() {
  try {
    const cur = await snapshot();
    const prev = state.prev.get('all');
    state.prev.set('all', cur);
    if (prev) {
      state.points.push(derive(prev, cur));
      if (state.points.length > KEEP) state.points.shift();
      state.latest = state.points[state.points.length - 1];
      render();
    }
    document.getElementById('status').textContent =
      `tiers: ${state.tiers.join(', ')} · updated ${new Date().toLocaleTimeString()}`;
  } catch (e) {
    document.getElementById('status').textContent = `metrics unavailable: ${e.message}`;
  }
  setTimeout(tick, PERIOD_MS);
}

async function start() {
  state.tiers = await (await fetch('/dashboard/tiers.json', { cache: 'no-store' })).json();
  const caches = state.tiers.filter((t) => t !== 'origin');
  chart('egress Mb/s', caches, (p, s) => p.tiers[s]?.egressMbps ?? null);
  chart('requests/s', [...caches, 'origin'], (p, s) =>
    s === 'origin' ? p.originRps : (p.tiers[s]?.rps ?? null),
  );
  chart('hit ratio %', caches, (p, s) => p.tiers[s]?.hitRatio ?? null);
  chart('parked waiters', caches, (p, s) => p.tiers[s]?.waiters ?? null);
  chart('ingest Mb/s', ['ingest'], (p) => p.ingestMbps);
  tick();
}

start();
