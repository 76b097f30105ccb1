// The load-test report page's charts: reads the report embedded in the page as JSON and draws the
// per-second series with uPlot (inlined above this script). window.corralReport says when the
// charts are drawn (ready) or why they are not (error), for the headless-browser check and --png.
/* global uPlot */
'use strict';

(function () {
  const state = { ready: false, error: null, charts: {} };
  window.corralReport = state;

  const COLORS = {
    arrived: '#2383e2',
    playing: '#1f9e45',
    stalled: '#e2832a',
    failed: '#d23c3c',
    requests: '#7b4fc4',
    egress: '#0f8b8d',
    lag: '#c2410c',
    busy: '#4b5563',
  };

  /** A value axis from zero to a round number above the largest value. */
  const fromZero = { range: (u, min, max) => uPlot.rangeNum(0, Math.max(1, max), 0.1, true) };

  function width(el) {
    return Math.max(360, Math.floor(el.clientWidth) - 4);
  }

  function plot(id, opts, data) {
    const fig = document.getElementById(id);
    const el = fig.querySelector('.plot');
    const base = {
      width: width(el),
      height: id === 'chart-main' ? 380 : 260,
      scales: { x: { time: false } },
      legend: { show: true, live: false },
      cursor: { show: true },
    };
    state.charts[id] = new uPlot(Object.assign(base, opts), data, el);
  }

  try {
    const report = JSON.parse(document.getElementById('corral-report').textContent);
    state.report = report;
    const rows = report.series;
    const xs = rows.map((r) => r.t);
    const col = (f) => rows.map(f);
    const xAxis = { label: 'seconds since the first arrival', labelSize: 20 };

    plot(
      'chart-main',
      {
        title: 'Viewers over time, with requests/s',
        scales: { x: { time: false }, y: fromZero, rps: fromZero },
        series: [
          { label: 't (s)' },
          { label: 'arrived', stroke: COLORS.arrived, width: 2 },
          { label: 'playing', stroke: COLORS.playing, width: 2 },
          { label: 'stalled', stroke: COLORS.stalled, width: 2 },
          { label: 'failed', stroke: COLORS.failed, width: 2 },
          { label: 'requests/s', stroke: COLORS.requests, width: 1.5, dash: [6, 4], scale: 'rps' },
        ],
        axes: [
          xAxis,
          { label: 'viewers', labelSize: 20, size: 70 },
          { label: 'requests/s', labelSize: 20, size: 70, scale: 'rps', side: 1, grid: { show: false } },
        ],
      },
      [
        xs,
        col((r) => r.arrived),
        col((r) => r.playing),
        col((r) => r.stalled),
        col((r) => r.failed),
        col((r) => r.requestsPerS),
      ],
    );

    plot(
      'chart-egress',
      {
        title: 'Egress to the viewers (Mbit/s)',
        scales: { x: { time: false }, y: fromZero },
        series: [
          { label: 't (s)' },
          { label: 'Mbit/s', stroke: COLORS.egress, width: 2, fill: 'rgba(15, 139, 141, 0.12)' },
        ],
        axes: [xAxis, { label: 'Mbit/s', labelSize: 20, size: 60 }],
      },
      [xs, col((r) => r.mbitPerS)],
    );

    plot(
      'chart-loadgen',
      {
        title: 'Load generator: event-loop delay p99 (ms) and busy share (%)',
        scales: { x: { time: false }, y: fromZero, pct: { range: [0, 100] } },
        series: [
          { label: 't (s)' },
          { label: 'loop delay p99 (ms)', stroke: COLORS.lag, width: 2 },
          { label: 'loop busy (%)', stroke: COLORS.busy, width: 2, dash: [4, 3], scale: 'pct' },
        ],
        axes: [
          xAxis,
          { label: 'ms', labelSize: 20, size: 60 },
          { label: '% busy', labelSize: 20, size: 60, scale: 'pct', side: 1, grid: { show: false } },
        ],
      },
      [xs, col((r) => r.lagP99Ms), col((r) => Math.round(r.busy * 1000) / 10)],
    );
    state.ready = true;
  } catch (e) {
    state.error = String((e && e.message) || e);
    const el = document.getElementById('chart-error');
    el.textContent = `The charts could not be drawn: ${state.error}`;
    el.hidden = false;
  }
})();
