import type { Percentiles, Report } from './report.js';

const pct = (p: Percentiles) => (p.count === 0 ? '-' : `p50 ${p.p50} ms, p99 ${p.p99} ms (${p.count})`);
const kv = (r: Record<string, number>) =>
  Object.entries(r)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ${v}`)
    .join(', ') || '-';

/** The one-screen text summary of a finished run. */
export function summaryText(r: Report): string {
  const v = r.viewers;
  const q = r.requests;
  const lines = [
    `corral loadtest: ${r.options.url}`,
    `  profile ${r.options.profile} (ramp ${r.options.rampS} s), ${r.wallS} s, ${r.options.threads} thread(s) x ${r.options.socketsPerWorker} sockets`,
    `viewers   target ${v.target}, arrived ${v.arrived} (LL ${v.ll}, plain ${v.plain}), peak following ${v.peakFollowing} (past start-up ${v.peakStarted}), ever started playing ${v.startedPlaying}, failed ${v.failed}${v.failed > 0 ? ` (${kv(v.failures)})` : ''}`,
    `requests  ${q.total} total, ${q.perSecondAvg}/s average, ${q.perSecondPeak}/s peak; ${q.mbitPerSAvg} Mbit/s average`,
    `          ${Object.entries(q.byKind)
      .filter(([, c]) => c.count > 0)
      .map(([k, c]) => `${k} ${c.count}${c.failed > 0 ? ` (${c.failed} failed)` : ''}`)
      .join(', ')}`,
    `errors    ${kv(q.errors)}; hinted parts never made (404, not an error) ${q.hintsUnfulfilled}`,
    `latency   segment ${pct(r.latencyMs.segment)}`,
    `          part ${pct(r.latencyMs.part)}`,
    `          blocking reload / hinted part ${pct(r.latencyMs.blocking)}`,
    `          playlist ${pct(r.latencyMs.playlist)}; socket queue ${pct(r.latencyMs.socketQueue)}`,
    `playback  rebuffers ${r.playback.rebuffers} (${r.playback.viewersWithRebuffers} viewers), stalled ${r.playback.stallS} s, skipped segments ${r.playback.skippedSegments}, rung switches ${r.playback.rungSwitches}`,
    `renditions ${kv(r.renditionMix)}`,
    `edge      media results ${kv(r.edge.results)}; upstream fetches per object max ${r.edge.maxFetchesPerObject} (${r.edge.objectsFetchedMoreThanOnce} objects more than once)`,
    ...r.tiers.map(
      (t) =>
        `tier ${t.tier.padEnd(7)} ${t.requests} requests (${t.perSecond}/s), ${t.upstreamFetches} upstream${t.upstreamRetries ? ` (${t.upstreamRetries} sent twice)` : ''}, hit ratio ${t.hitRatio ?? '-'}`,
    ),
    ...(r.origin === null
      ? []
      : [
          `origin    ${r.origin.getRequests} GETs (${r.origin.perSecond}/s), ${r.origin.perSegmentPerRendition ?? '-'} per segment per rendition (all object kinds)`,
        ]),
    `loadgen   ${r.loadgen.coresUsed} cores (${r.loadgen.processCpuS} s CPU); ${r.loadgen.workers
      .map(
        (w) =>
          `worker ${w.worker}: ${w.cores ?? '?'} cores, loop busy ${Math.round(w.busy * 100)} %, lag p99 ${w.lagP99Ms} ms, max ${w.lagMaxMs} ms`,
      )
      .join('; ')}`,
  ];
  return lines.join('\n');
}

/** The live one-line progress display. */
export function progressLine(
  elapsedS: number,
  durationS: number,
  row: {
    arrived: number;
    playing: number;
    stalled: number;
    failed: number;
    requestsPerS: number;
    mbitPerS: number;
    rebuffers: number;
    lagP99Ms: number;
  },
): string {
  const width = 20;
  const done = Math.min(width, Math.round((elapsedS / Math.max(1, durationS)) * width));
  const bar = '#'.repeat(done) + '.'.repeat(width - done);
  return `[${bar}] ${Math.round(elapsedS)}/${durationS} s  viewers ${row.arrived} (playing ${row.playing}, stalled ${row.stalled}, failed ${row.failed})  ${row.requestsPerS} req/s  ${row.mbitPerS} Mbit/s  rebuffers ${row.rebuffers}  lag p99 ${row.lagP99Ms} ms`;
}
