/**
 * Origin load against audience size with real viewers (issue 12, the load-test half of the
 * 10^2..10^8 table; the simulator gives the rest, docs/simulate.md). The split deployment
 * (bench/attack/split.ts: origin, ingest pushing to it, shield, edge, and a counting proxy
 * between shield and origin, so per-object origin GETs are exact counts), a real broadcaster,
 * and for each audience size one `corral loadtest` process through the edge. Per size: origin
 * GETs per segment per rendition (max and mean over the segments made while viewers watched), per
 * part, playlist GETs per second, and what the viewers saw.
 *
 *   npx tsx bench/scale/run.ts [--viewers 100,1000,5000,20000] [--duration 40] [--ramp-s 20]
 *                              [--ll-share 0.5] [--abr true|false]
 *
 * Loopback only, a global deadline, every child stopped on the way out. Results: a table on
 * stdout and bench/scale/last-run.json.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Report } from '../../src/loadgen/report.js';
import { startSplit } from '../attack/split.js';
import { prepareSmallSource, publisher, waitLive } from '../attack/util.js';
import { CORRAL_BIN } from '../lib/corral.js';
import { startBench } from '../lib/harness.js';
import { loadavg } from '../lib/loadavg.js';
import { sleep } from '../lib/procs.js';
import { writeResults } from '../lib/results.js';

const { values: flags } = parseArgs({
  options: {
    viewers: { type: 'string', default: '100,1000,5000,20000' },
    duration: { type: 'string', default: '40' },
    'ramp-s': { type: 'string', default: '20' },
    'll-share': { type: 'string', default: '0.5' },
    abr: { type: 'string', default: 'true' },
  },
});
const sizes = flags.viewers.split(',').map(Number);
const durationS = Number(flags.duration);
const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD']).toString().trim();
const { procs, dir, run } = startBench({ name: 'scale', budgetS: 180 + sizes.length * (durationS + 90) });

interface Row {
  viewers: number;
  llShare: number;
  load: number[];
  reached: number;
  failedViewers: number;
  /** Why viewers failed, as the load generator names it. */
  failures: Record<string, number>;
  rebuffers: number;
  requestsPerS: number;
  mbitPerS: number;
  loadgenBusy: number[];
  segments: { objects: number; maxGets: number; meanGets: number };
  parts: { objects: number; maxGets: number; meanGets: number };
  playlistGetsPerS: number;
  originGetsPerS: number;
}

/** Origin GETs per object of one kind (by file name), over objects first asked for in the run. */
function perObject(
  counts: Map<string, number>,
  re: RegExp,
): { objects: number; maxGets: number; meanGets: number } {
  const hits = [...counts].filter(([p]) => re.test(p)).map(([, n]) => n);
  const total = hits.reduce((a, b) => a + b, 0);
  return {
    objects: hits.length,
    maxGets: hits.length ? Math.max(...hits) : 0,
    meanGets: hits.length ? Math.round((total / hits.length) * 100) / 100 : 0,
  };
}

await run(async () => {
  const source = await prepareSmallSource(procs, dir);
  const ctx = { procs, dir, source, commit };
  const s = await startSplit(ctx);
  try {
    publisher(ctx, `${s.rtmp}/live/scale`);
    await waitLive(s.edgeUrl, 'scale');
    await sleep(3000);
    const rows: Row[] = [];
    for (const viewers of sizes) {
      console.log(`\n== ${viewers} viewers (load ${loadavg().join(' ')})`);
      s.resetUpstream();
      const json = join(dir, `report-${viewers}.json`);
      const t0 = Date.now();
      const lt = procs.start('loadtest', process.execPath, [
        CORRAL_BIN,
        'loadtest',
        ...['--url', `${s.edgeUrl}/live/scale/index.m3u8`, '--viewers', String(viewers)],
        ...['--ramp-s', flags['ramp-s'], '--duration', String(durationS), '--ll-share', flags['ll-share']],
        ...['--abr', flags.abr, '--json', json],
      ]);
      const code = await lt.exited;
      const seconds = (Date.now() - t0) / 1000;
      if (code !== 0) throw new Error(`loadtest exited ${code}:\n${lt.tail.join('\n')}`);
      const r = JSON.parse(readFileSync(json, 'utf8')) as Report;
      const counts = new Map(s.upstream);
      const playlists = [...counts].filter(([p]) => p.endsWith('.m3u8')).reduce((a, [, n]) => a + n, 0);
      const row: Row = {
        viewers,
        llShare: Number(flags['ll-share']),
        load: loadavg(),
        reached: r.viewers.peakFollowing,
        failedViewers: r.viewers.failed,
        failures: r.viewers.failures,
        rebuffers: r.playback.rebuffers,
        requestsPerS: r.requests.perSecondAvg,
        mbitPerS: r.requests.mbitPerSAvg,
        loadgenBusy: r.loadgen.workers.map((w) => Math.round(w.busy * 100) / 100),
        segments: perObject(counts, /\/seg-\d+\.m4s$/),
        parts: perObject(counts, /\/part-\d+-\d+\.m4s$/),
        playlistGetsPerS: Math.round((playlists / seconds) * 10) / 10,
        originGetsPerS: Math.round((s.upstreamTotal() / seconds) * 10) / 10,
      };
      console.log(JSON.stringify(row));
      rows.push(row);
    }
    console.log(
      '\n| viewers | reached | failed | rebuffers | req/s | Mbit/s | loadgen busy | origin GETs/segment (max, mean) | per part (max, mean) | origin playlist GETs/s | origin GETs/s |\n|---|---|---|---|---|---|---|---|---|---|---|',
    );
    for (const x of rows) {
      console.log(
        `| ${x.viewers} | ${x.reached} | ${x.failedViewers} | ${x.rebuffers} | ${x.requestsPerS} | ${x.mbitPerS} | ${x.loadgenBusy.join(', ')} | ${x.segments.maxGets}, ${x.segments.meanGets} (${x.segments.objects} segments) | ${x.parts.maxGets}, ${x.parts.meanGets} (${x.parts.objects}) | ${x.playlistGetsPerS} | ${x.originGetsPerS} |`,
      );
    }
    await writeResults(new URL('./last-run.json', import.meta.url), { commit, rows });
  } finally {
    await s.close();
  }
});
