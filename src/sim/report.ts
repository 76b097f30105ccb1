import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  escapeHtml,
  inlineScript,
  inlineStyle,
  jsonForScript,
  n,
  reportCss,
  section,
  table,
  uplotAssets,
} from '../util/html-report.js';
import type { SimResult } from './result.js';

export const SIM_DATA_ID = 'corral-sim';
export const SIM_MAIN_CHART_ID = 'chart-main';

/** The full result as JSON: key order is the order the result is built in, so a seed gives the same bytes. */
export function resultJson(r: SimResult): string {
  return `${JSON.stringify(r, null, 2)}\n`;
}

const mb = (b: number) => `${n(b / 1e6)} MB`;
const pct = (x: number | null) => (x === null ? '-' : `${n(Math.round(x * 10000) / 100)} %`);

/** The text summary printed after a run. `wallMs` is the only real-time figure and appears only here. */
export function summaryText(r: SimResult, wallMs?: number, events?: number): string {
  const i = r.input;
  const a = r.aggregation;
  const lines = [
    `corral simulate: ${n(i.viewers)} viewers, ${i.profile} (ramp ${i.rampS} s), ${i.durationS} s simulated, seed ${i.seed}`,
    `topology  ${i.topology.source}: ${i.topology.shields.length} shield(s), ${i.topology.edges.length} edge(s); ${i.renditions.length} renditions of ${i.segmentS} s segments`,
    `aggregation  ${n(a.cohorts)} cohorts, ${n(a.viewersPerCohortMean)} viewers per cohort on average (max ${n(a.viewersPerCohortMax)}): ${a.note}`,
    '',
    `origin    ${n(r.origin.gets)} GETs (${n(r.origin.getsPerSecond)}/s), ${n(r.origin.notFound)} of them 404; by kind ${Object.entries(
      r.origin.byKind,
    )
      .map(([k, v]) => `${k} ${n(v)}`)
      .join(', ')}`,
    `origin fetches per segment per rendition (shields: ${r.origin.shields}; most by one shield for one segment: ${r.origin.perShieldPerSegmentMax}):`,
    ...r.origin.fetchesPerSegment.map(
      (s) =>
        `  ${s.rendition.padEnd(8)} ${n(s.segments)} segments: min ${s.min}, max ${s.max}, mean ${n(s.mean)}`,
    ),
    '',
    ...r.tiers.map(
      (t) =>
        `${t.tier.padEnd(8)}  ${n(t.requests)} requests (peak ${n(t.requestsPerSecondPeak)}/s), ${n(t.upstreamFetches)} upstream fetches, ` +
        `hit ratio ${pct(t.hitRatio)}, parked peak ${n(t.parkedPeak)}, memory peak ${mb(t.memoryPeakBytes)} per node ` +
        `(store ${mb(t.storePeakBytes)} + parked x ${n(i.waiterBytes)} B)`,
    ),
    `viewers   ${n(r.viewers.arrived)} arrived, ${n(r.viewers.started)} started playing, ${n(r.viewers.segments)} segments fetched, ${n(r.viewers.skipped)} skipped, ${n(r.viewers.errors)} failed requests`,
    r.bottlenecks.first === null
      ? `bottleneck none within the bounds (edge egress ${n(i.bounds.edgeEgressBps / 1e9)} Gbit/s, ${n(i.bounds.nodeRps)} requests/s, ${n(i.bounds.connections)} connections per edge)`
      : `bottleneck first: ${describe(r.bottlenecks.first)}` +
        r.bottlenecks.byKind
          .slice(1)
          .map((b) => `; then ${describe(b)}`)
          .join(''),
  ];
  if (wallMs !== undefined) {
    lines.push(`wall      ${n(wallMs / 1000)} s${events === undefined ? '' : ` (${n(events)} events)`}`);
  }
  return lines.join('\n');
}

function describe(b: NonNullable<SimResult['bottlenecks']['first']>): string {
  const what =
    b.kind === 'egress'
      ? `egress ${n(b.value / 1e9)} Gbit/s > ${n(b.bound / 1e9)} Gbit/s`
      : b.kind === 'requests'
        ? `${n(b.value)} requests/s > ${n(b.bound)}`
        : `${n(b.value)} connections > ${n(b.bound)}`;
  return `${b.node} ${what} at t=${b.t} s`;
}

function chartFigure(id: string, caption: string): string {
  return `<figure class="chart" id="${id}"><div class="plot"></div><figcaption>${escapeHtml(caption)}</figcaption></figure>`;
}

function tables(r: SimResult): string {
  return [
    section(
      'Origin',
      table(
        'origin-segments',
        `Origin fetches per segment per rendition (${r.origin.shields} shield(s))`,
        ['rendition', 'segments', 'min', 'max', 'mean'],
        r.origin.fetchesPerSegment.map((s) => [s.rendition, s.segments, s.min, s.max, s.mean]),
      ),
      table(
        'origin-kinds',
        'Origin GETs by kind',
        ['kind', 'GETs'],
        Object.entries(r.origin.byKind).map(([k, v]) => [k, v]),
      ),
    ),
    section(
      'Tiers',
      table(
        'tiers',
        'Per tier (requests are viewer-weighted)',
        [
          'tier',
          'nodes',
          'requests',
          'peak/s',
          'upstream fetches',
          'hit ratio',
          'parked peak',
          'memory peak/node (MB)',
        ],
        r.tiers.map((t) => [
          t.tier,
          t.nodes,
          t.requests,
          t.requestsPerSecondPeak,
          t.upstreamFetches,
          pct(t.hitRatio),
          t.parkedPeak,
          t.memoryPeakBytes / 1e6,
        ]),
      ),
      table(
        'nodes',
        'Per node',
        ['node', 'tier', 'requests', 'upstream fetches', 'hit ratio', 'parked peak', 'connections peak'],
        r.nodes.map((x) => [
          x.name,
          x.tier,
          x.requests,
          x.upstreamFetches,
          pct(x.hitRatio),
          x.parkedPeak,
          x.connectionsPeak,
        ]),
      ),
      table(
        'bottlenecks',
        'First second each bound was crossed',
        ['kind', 'node', 't (s)', 'value', 'bound'],
        r.bottlenecks.byKind.map((b) => [b.kind, b.node, b.t, b.value, b.bound]),
      ),
    ),
  ].join('\n');
}

let pageJs: string | undefined;

/** One self-contained page: the result embedded as JSON, uPlot and the chart script inlined. */
export function renderSimHtml(r: SimResult): string {
  const a = uplotAssets();
  pageJs ??= readFileSync(fileURLToPath(new URL('./static/sim-report.js', import.meta.url)), 'utf8');
  const i = r.input;
  const title = `corral simulate: ${i.viewers} viewers, seed ${i.seed}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${inlineStyle(a.uplotCss)}</style>
<style>${inlineStyle(reportCss(SIM_MAIN_CHART_ID))}</style>
</head>
<body>
<header>
<h1>corral simulate report</h1>
<p>${escapeHtml(`${n(i.viewers)} viewers · ${i.profile} profile · ${i.durationS} s simulated · seed ${i.seed} · topology ${i.topology.source}`)}</p>
</header>
<main>
<p class="verdict">${escapeHtml(`Aggregation: ${n(r.aggregation.cohorts)} cohorts, ${n(r.aggregation.viewersPerCohortMean)} viewers per cohort on average. ${r.aggregation.note}.`)}</p>
<p id="chart-error" class="error" hidden></p>
<div class="charts">
${chartFigure(SIM_MAIN_CHART_ID, 'Viewers (left axis) and origin GETs per second (right axis).')}
${chartFigure('chart-requests', 'Requests per second at each tier (viewer-weighted at the edges), and upstream fetches per second.')}
${chartFigure('chart-parked', 'Most parked requests (waiting on a flight or a live hold) per tier in each second.')}
${chartFigure('chart-memory', 'Store bytes per tier (all nodes) at the end of each second, MB; edge egress, Gbit/s.')}
</div>
${tables(r)}
</main>
<script type="application/json" id="${SIM_DATA_ID}">${jsonForScript(r)}</script>
<script>${inlineScript(a.uplotJs)}</script>
<script>${inlineScript(pageJs)}</script>
</body>
</html>
`;
}
