// The simulator report page's charts: reads the result embedded as JSON and draws its per-second
// series with uPlot (inlined above). window.corralSim says when the charts are drawn (ready) or
// why they are not (error).
/* global uPlot */
'use strict';

(function () {
  const state = { ready: false, error: null, charts: {} };
  window.corralSim = state;
  const fromZero = { range: (u, min, max) => uPlot.rangeNum(0, Math.max(1, max), 0.1, true) };

  function plot(id, series, data, scales) {
    const fig = document.getElementById(id);
    const el = fig.querySelector('.plot');
    const opts = {
      width: Math.max(360, Math.floor(el.clientWidth) - 4),
      height: id === 'chart-main' ? 380 : 260,
      scales: Object.assign({ x: { time: false }, y: fromZero }, scales || {}),
      legend: { show: true, live: false },
      axes: [{ label: 'simulated seconds' }, { scale: 'y' }].concat(
        scales && scales.r ? [{ scale: 'r', side: 1 }] : [],
      ),
      series: [{}].concat(series),
    };
    state.charts[id] = new uPlot(opts, data, el);
  }

  try {
    const r = JSON.parse(document.getElementById('corral-sim').textContent);
    const rows = r.series;
    const xs = rows.map((x) => x.t);
    const col = (f) => rows.map(f);
    plot(
      'chart-main',
      [
        { label: 'viewers', stroke: '#2383e2' },
        { label: 'origin GETs/s', stroke: '#d23c3c', scale: 'r' },
      ],
      [xs, col((x) => x.viewers), col((x) => x.originGets)],
      { r: fromZero },
    );
    plot(
      'chart-requests',
      [
        { label: 'edge requests/s', stroke: '#7b4fc4' },
        { label: 'shield requests/s', stroke: '#0f8b8d', scale: 'r' },
        { label: 'edge fetches/s', stroke: '#e2832a', scale: 'r' },
        { label: 'shield fetches/s', stroke: '#d23c3c', scale: 'r' },
      ],
      [
        xs,
        col((x) => x.edgeRequests),
        col((x) => x.shieldRequests),
        col((x) => x.edgeFetches),
        col((x) => x.shieldFetches),
      ],
      { r: fromZero },
    );
    plot(
      'chart-parked',
      [
        { label: 'edge parked', stroke: '#7b4fc4' },
        { label: 'shield parked', stroke: '#0f8b8d' },
      ],
      [xs, col((x) => x.edgeParked), col((x) => x.shieldParked)],
    );
    plot(
      'chart-memory',
      [
        { label: 'edge store MB', stroke: '#7b4fc4' },
        { label: 'shield store MB', stroke: '#0f8b8d' },
        { label: 'edge egress Gbit/s', stroke: '#e2832a', scale: 'r' },
      ],
      [
        xs,
        col((x) => x.edgeStoreBytes / 1e6),
        col((x) => x.shieldStoreBytes / 1e6),
        col((x) => x.edgeEgressBps / 1e9),
      ],
      { r: fromZero },
    );
    state.ready = true;
  } catch (e) {
    state.error = String((e && e.message) || e);
    const el = document.getElementById('chart-error');
    el.textContent = 'Charts failed: ' + state.error;
    el.hidden = false;
  }
})();
