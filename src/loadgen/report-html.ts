import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  escapeHtml,
  inlineScript,
  inlineStyle,
  jsonForScript,
  n,
  nf,
  reportCss,
  section,
  table,
  uplotAssets,
  type Cell,
} from '../util/html-report.js';
import type { Percentiles, Report } from './report.js';

/** The id of the element holding the report JSON, and of the main chart (what --png shoots). */
export const REPORT_DATA_ID = 'corral-report';
export const MAIN_CHART_ID = 'chart-main';

/** A worker busier than this share of the run had no CPU to spare: its figures include its own queueing. */
export const SATURATED_BUSY = 0.9;

export { escapeHtml, jsonForScript };

let pageJs: string | undefined;
/** uPlot from its npm package (util/html-report.ts) and the page's own script, read once at run time. */
function loadAssets(): { uplotJs: string; uplotCss: string; pageJs: string } {
  pageJs ??= readFileSync(fileURLToPath(new URL('./static/report.js', import.meta.url)), 'utf8');
  return { ...uplotAssets(), pageJs };
}

const pctOf = (share: number | null | undefined) =>
  share === null || share === undefined ? '-' : `${nf.format(Math.round(share * 1000) / 10)} %`;

/**
 * Which process ran out of CPU first, as far as the report can tell: it carries the load
 * generator's own figures (per worker thread: loop busy share, CPU cores, loop delay), not the
 * server's. A worker busy most of the run was the bottleneck, whatever the server did.
 */
export function cpuVerdict(r: Report): { saturated: boolean | null; text: string } {
  const ws = r.loadgen.workers;
  if (ws.length === 0) return { saturated: null, text: 'The report has no load-generator CPU figures.' };
  const worst = ws.reduce((a, b) => (b.busy > a.busy ? b : a));
  const cores = worst.cores === null ? '' : `, ${n(worst.cores)} cores of CPU`;
  if (worst.busy >= SATURATED_BUSY) {
    return {
      saturated: true,
      text:
        `The load generator ran out of CPU first: worker ${worst.worker}'s event loop was busy ` +
        `${pctOf(worst.busy)} of the run${cores} (loop delay p99 ${n(worst.lagP99Ms)} ms, max ${n(worst.lagMaxMs)} ms), ` +
        `so the latencies measured include its own queueing.`,
    };
  }
  return {
    saturated: false,
    text:
      `The load generator kept CPU to spare: its busiest worker (${worst.worker}) was busy ${pctOf(worst.busy)} ` +
      `of the run${cores} (loop delay p99 ${n(worst.lagP99Ms)} ms). The report carries no CPU figure for the ` +
      `server under test; see its own metrics.`,
  };
}

const lat = (label: string, p: Percentiles): Cell[] => [label, p.count, p.p50, p.p99];

function tiles(r: Report): string {
  const t = (label: string, value: string) =>
    `<div class="tile" data-tile="${escapeHtml(label)}"><span>${escapeHtml(label)}</span><b>${escapeHtml(value)}</b></div>`;
  return `<div class="tiles">
${[
  t('viewers arrived', `${n(r.viewers.arrived)} of ${n(r.viewers.target)}`),
  t('peak following', n(r.viewers.peakFollowing)),
  t('ever started playing', n(r.viewers.startedPlaying)),
  t('failed viewers', n(r.viewers.failed)),
  t('requests/s (avg / peak)', `${n(r.requests.perSecondAvg)} / ${n(r.requests.perSecondPeak)}`),
  t('Mbit/s (avg)', n(r.requests.mbitPerSAvg)),
  t('segment p99', n(r.latencyMs.segment.p99, ' ms')),
  t('rebuffers', n(r.playback.rebuffers)),
  t('origin GETs per segment per rendition', n(r.origin?.perSegmentPerRendition)),
].join('\n')}
</div>`;
}

function chartFigure(id: string, caption: string): string {
  return `<figure class="chart" id="${id}"><div class="plot"></div><figcaption>${escapeHtml(caption)}</figcaption></figure>`;
}

/** The tables of the page, in reading order. */
function tables(r: Report): string {
  const v = r.viewers;
  const q = r.requests;
  const o = r.options;
  const verdict = cpuVerdict(r);
  const kinds = Object.entries(q.byKind);
  const sorted = (rec: Record<string, number>) => Object.entries(rec).sort((a, b) => b[1] - a[1]);
  const mixTotal = Object.values(r.renditionMix).reduce((a, b) => a + b, 0);
  return [
    section(
      'Run',
      table(
        'run',
        'What was run',
        ['setting', 'value'],
        [
          ['URL', o.url],
          ['started', r.startedAt],
          ['profile', `${o.profile} (ramp ${n(o.rampS)} s)`],
          ['duration asked / wall time', `${n(o.durationS)} s / ${n(r.wallS)} s`],
          ['viewers asked', o.viewers],
          ['LL share asked', o.llShare],
          ['worker threads × sockets per thread', `${n(o.threads)} × ${n(o.socketsPerWorker)}`],
          ['ABR', o.abr ? 'on' : 'off (lowest rendition)'],
        ],
      ),
    ),
    section(
      'Viewer mix and the rates reached',
      table(
        'viewer-mix',
        'Viewers by player kind (an LL viewer makes ~6 requests/s, a plain one ~2, at 1 s segments)',
        ['player', 'viewers arrived', 'share'],
        [
          ['LL-HLS (blocking reloads, parts)', v.ll, pctOf(v.arrived > 0 ? v.ll / v.arrived : null)],
          ['plain HLS (polling, segments)', v.plain, pctOf(v.arrived > 0 ? v.plain / v.arrived : null)],
          ['all', v.arrived, pctOf(v.target > 0 ? v.arrived / v.target : null) + ' of target'],
        ],
      ),
      table(
        'rates',
        'Request and byte rates reached',
        ['figure', 'value'],
        [
          ['requests', q.total],
          ['requests/s, average', q.perSecondAvg],
          ['requests/s, peak second', q.perSecondPeak],
          ['requests/s per arrived viewer, average', v.arrived > 0 ? q.perSecondAvg / v.arrived : null],
          ['bytes received', q.bytes],
          ['Mbit/s, average', q.mbitPerSAvg],
          ['distinct media objects and blocking-reload versions', r.distinctObjects],
          ['preload hints never made (404, not an error)', q.hintsUnfulfilled],
        ],
      ),
      table(
        'requests-by-kind',
        'Requests by kind',
        ['kind', 'requests', 'failed'],
        kinds.map(([k, c]) => [k, c.count, c.failed]),
      ),
      table(
        'errors',
        'Failed requests by HTTP status or error code',
        ['status or code', 'requests'],
        sorted(q.errors),
      ),
      table(
        'viewer-state',
        'Viewers',
        ['figure', 'viewers'],
        [
          ['target', v.target],
          ['arrived', v.arrived],
          ['peak following at once', v.peakFollowing],
          ['peak past start-up at once', v.peakStarted],
          ['ever started playing', v.startedPlaying],
          ['failed', v.failed],
          ...sorted(v.failures).map(([why, k]): Cell[] => [`failed: ${why}`, k]),
        ],
      ),
    ),
    section(
      'Origin and cache tiers',
      table(
        'origin',
        r.origin === null ? 'Origin (no origin /metrics page was scraped)' : `Origin (${r.origin.source})`,
        ['figure', 'value'],
        r.origin === null
          ? []
          : [
              ['GET requests', r.origin.getRequests],
              ['GET requests/s', r.origin.perSecond],
              [
                'GETs per new segment per rendition watched (segments, parts and playlists)',
                r.origin.perSegmentPerRendition,
              ],
            ],
      ),
      table(
        'tiers',
        'Cache tiers: hit ratio is the share of requests answered without an upstream fetch of their own',
        ['tier', 'source', 'requests', 'requests/s', 'upstream fetches', 'hit ratio', 'results'],
        r.tiers.map((t) => [
          t.tier,
          t.source,
          t.requests,
          t.perSecond,
          t.upstreamFetches,
          pctOf(t.hitRatio),
          sorted(t.results)
            .map(([k, c]) => `${k} ${n(c)}`)
            .join(', ') || '-',
        ]),
      ),
      table(
        'edge',
        'The edge as the viewers saw it (X-Cache on media requests)',
        ['figure', 'value'],
        [
          ...sorted(r.edge.results).map(([k, c]): Cell[] => [`X-Cache ${k}`, c]),
          ['media objects fetched upstream', r.edge.mediaObjects],
          ['most upstream fetches for one object', r.edge.maxFetchesPerObject],
          ['objects fetched upstream more than once', r.edge.objectsFetchedMoreThanOnce],
        ],
      ),
      table(
        'streams',
        'Media playlists followed: segments that appeared while viewers watched',
        ['playlist', 'segments'],
        r.stream.map((s) => [s.path, s.segments]),
      ),
    ),
    section(
      'Latency and playback',
      table(
        'latency',
        'Fetch latency, from socket to last byte (ms); blocking requests include the wait for the next part',
        ['request', 'count', 'p50 (ms)', 'p99 (ms)'],
        [
          lat('segment', r.latencyMs.segment),
          lat('part', r.latencyMs.part),
          lat('blocking reload / hinted part', r.latencyMs.blocking),
          lat('playlist', r.latencyMs.playlist),
          lat('wait for a pooled socket (load generator)', r.latencyMs.socketQueue),
        ],
      ),
      table(
        'playback',
        'Playback',
        ['figure', 'value'],
        [
          ['rebuffers', r.playback.rebuffers],
          ['viewers that rebuffered', r.playback.viewersWithRebuffers],
          ['stall time (s, all viewers)', r.playback.stallS],
          ['segments fetched by plain viewers', r.playback.plainSegments],
          ['segments fetched by LL viewers', r.playback.llSegments],
          ['parts fetched by LL viewers', r.playback.llParts],
          ['media fetches failed', r.playback.failedMedia],
          ['segments skipped', r.playback.skippedSegments],
          ['rendition switches', r.playback.rungSwitches],
        ],
      ),
      table(
        'renditions',
        'Rendition mix: viewers on each rendition at the end',
        ['rendition', 'viewers', 'share'],
        sorted(r.renditionMix).map(([k, c]) => [k, c, pctOf(mixTotal > 0 ? c / mixTotal : null)]),
      ),
    ),
    section(
      'CPU: which process ran out first',
      `<p class="verdict" data-verdict="${verdict.saturated === null ? 'unknown' : verdict.saturated ? 'loadgen' : 'headroom'}">${escapeHtml(verdict.text)}</p>`,
      table(
        'loadgen',
        `Load generator: ${n(r.loadgen.coresUsed)} cores (${n(r.loadgen.processCpuS)} s CPU) for the whole process`,
        ['worker', 'CPU (s)', 'cores', 'loop busy', 'loop delay p99 (ms)', 'loop delay max (ms)', 'sockets'],
        r.loadgen.workers.map((w) => [
          `worker ${w.worker}`,
          w.cpuS,
          w.cores,
          pctOf(w.busy),
          w.lagP99Ms,
          w.lagMaxMs,
          w.sockets,
        ]),
      ),
    ),
  ].join('\n');
}

const CSS = reportCss(MAIN_CHART_ID);

/**
 * One self-contained HTML page for a load-test report: uPlot's script and style inlined from its npm
 * package, the report embedded as JSON (which the page's script draws the charts from), the tables
 * rendered here. No external URL: the page works offline and from a file.
 */
export function renderReportHtml(report: Report): string {
  const a = loadAssets();
  const title = `corral loadtest report: ${report.options.url}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${inlineStyle(a.uplotCss)}</style>
<style>${inlineStyle(CSS)}</style>
</head>
<body>
<header>
<h1>corral loadtest report</h1>
<p>${escapeHtml(report.options.url)} · started ${escapeHtml(report.startedAt)} · ${escapeHtml(report.options.profile)} profile · ${n(report.wallS)} s</p>
</header>
<main>
${tiles(report)}
<p id="chart-error" class="error" hidden></p>
<div class="charts">
${chartFigure(MAIN_CHART_ID, 'Viewers (left axis) by state each second: arrived, playing, stalled (ran dry while playing), failed; requests/s sent by the load generator on the right axis.')}
${chartFigure('chart-egress', 'Bytes the viewers received each second, in Mbit/s.')}
${chartFigure('chart-loadgen', "The load generator's own health: the worst worker's event-loop delay p99 (left, ms) and loop busy share (right, %). High values mean its latencies include its own queueing.")}
</div>
${tables(report)}
</main>
<script type="application/json" id="${REPORT_DATA_ID}">${jsonForScript(report)}</script>
<script>${inlineScript(a.uplotJs)}</script>
<script>${inlineScript(a.pageJs)}</script>
</body>
</html>
`;
}
