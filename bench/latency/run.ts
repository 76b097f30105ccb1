/**
 * Latency benchmark (issue 5):
 *  1. ingest-to-screen latency in headless Chromium through edge -> shield -> origin with the
 *     default ABR ladder, --freshness push (LL-HLS) and ttl (plain HLS);
 *  2. upstream requests per second at the origin with 1, 100, 1000 blocked LL-HLS viewers at an edge.
 *
 *   npx tsx bench/latency/run.ts [--seconds 60] [--load-seconds 20] [--viewers 1,100,1000] [--only player|load]
 *
 * Loopback only, bounded by a global deadline; every child, the browser and the temp dir are
 * removed on the way out (error and Ctrl-C included). Results: a table on stdout and
 * bench/latency/last-run.json.
 */
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import type { Browser } from 'playwright-core';
import { launchBrowser } from '../../test/support/browser.js';
import { numberFlag as num } from '../lib/flags.js';
import { startBench } from '../lib/harness.js';
import { loadavg } from '../lib/loadavg.js';
import { prepareSource } from '../lib/media.js';
import { writeResults } from '../lib/results.js';
import { measureLoad, type LoadResult } from './load.js';
import { measurePlayer, type PlayerResult } from './player.js';

const { values: flags } = parseArgs({
  options: {
    seconds: { type: 'string', default: '60' },
    'load-seconds': { type: 'string', default: '20' },
    settle: { type: 'string', default: '5' },
    viewers: { type: 'string', default: '1,100,1000' },
    only: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});

if (flags.help) {
  console.log(`usage: npx tsx bench/latency/run.ts [flags]
  --seconds N        player: seconds sampled per freshness mode after playback starts (60)
  --load-seconds N   origin load: measurement window per viewer count (20)
  --settle N         origin load: seconds after the viewers start before the window (5)
  --viewers LIST     origin load: viewer counts at the edge, first one is the baseline (1,100,1000)
  --only WHAT        player | load`);
  process.exit(0);
}

const seconds = num(flags.seconds, 'seconds', 5, 600);
const loadSeconds = num(flags['load-seconds'], 'load-seconds', 5, 300);
const settle = num(flags.settle, 'settle', 1, 60);
const counts = (flags.viewers ?? '').split(',').map((x) => num(x, 'viewers', 1, 5000));
const doPlayer = flags.only !== 'load';
const doLoad = flags.only !== 'player';
// Every replay must outlast its phase: start-up (~30 s worst case) plus the measured time.
const loadNeedS = counts.length * (settle + loadSeconds + 6) + 30;
const inputS = Math.ceil(Math.max(doPlayer ? seconds + 60 : 0, doLoad ? loadNeedS : 0));
const budgetS = 180 + inputS + (doPlayer ? 2 * (seconds + 90) : 0) + (doLoad ? loadNeedS + 60 : 0);

let browser: Browser | undefined;
const { procs, dir, run } = startBench({
  name: 'latency',
  budgetS,
  onCleanup: async () => await browser?.close().catch(() => {}),
});

const pad = (x: unknown, n: number) => String(x).padStart(n);

function printPlayer(rows: PlayerResult[]): void {
  console.log(
    '\nIngest-to-screen in headless Chromium (hls.js, edge -> shield -> origin, default ladder), s',
  );
  console.log(
    'mode  ingest->screen p50   p95 | hls.latency p50   p95 | stalls switches played startup  goal',
  );
  for (const r of rows) {
    const goal = r.mode === 'push' ? 1.5 : 4;
    const ok = r.ingestToScreenS.p50 <= goal && r.stalls === 0 ? 'met' : 'MISSED';
    console.log(
      `${r.mode.padEnd(5)} ${pad(r.ingestToScreenS.p50.toFixed(2), 18)} ${pad(r.ingestToScreenS.p95.toFixed(2), 5)} |` +
        ` ${pad(r.latencyS.p50.toFixed(2), 15)} ${pad(r.latencyS.p95.toFixed(2), 5)} |` +
        ` ${pad(r.stalls, 6)} ${pad(r.levelSwitches, 8)} ${pad(r.playedS, 6)} ${pad(r.startupS, 7)}` +
        `  p50<=${goal}, 0 stalls: ${ok}`,
    );
    console.log(
      `      ladder ${r.ladder.join(' ')}; time on level ${JSON.stringify(r.levelShare)}, LL parts ${r.lowLatency}, buffer p50 ${r.bufferS.p50} s` +
        ` (min ${r.bufferS.min}), corral CPU ${r.corralCpuCores} cores, load ${r.load.before[0]} -> ${r.load.after[0]}`,
    );
  }
  console.log(
    'ingestToScreen = wall clock - PROGRAM-DATE-TIME of the playing frame; the PDT is stamped when',
  );
  console.log("the segment's first frame reaches ingest, so broadcaster/encoder delay is NOT included.");
}

function printLoad(l: LoadResult): void {
  console.log('\nOrigin load with N LL-HLS viewers blocked at one edge (requests per second)');
  console.log(
    '    N | origin  blk-pl   part  other | shield->origin edge->shield | ratio vs N=1 origin | viewers req/s parts/viewer/s | fan-out lag p50/p99 ms',
  );
  for (const r of l.rows) {
    const k = r.originByKind;
    const other = Object.entries(k)
      .filter(([n]) => n !== 'blocking-playlist' && n !== 'part')
      .reduce((t, [, v]) => t + v, 0);
    console.log(
      `${pad(r.viewers, 5)} | ${pad(r.originRps.toFixed(2), 6)} ${pad((k['blocking-playlist'] ?? 0).toFixed(2), 7)}` +
        ` ${pad((k.part ?? 0).toFixed(2), 6)} ${pad(other.toFixed(2), 6)} |` +
        ` ${pad(r.shieldUpstreamRps.toFixed(2), 14)} ${pad(r.edgeUpstreamRps.toFixed(2), 12)} |` +
        ` ${pad(r.ratioVsOne ? `${r.ratioVsOne.origin.toFixed(2)}x` : '1.00x', 19)} |` +
        ` ${pad(r.viewerRps.toFixed(0), 13)} ${pad(r.partsPerViewerPerS.toFixed(2), 13)} |` +
        ` ${r.fanoutLagMs.p50}/${r.fanoutLagMs.p99}`,
    );
  }
  for (const r of l.rows) {
    console.log(
      `  N=${r.viewers}: failures ${JSON.stringify(r.viewerFailures)}, origin holds/s ${JSON.stringify(r.originBlocking)},` +
        ` CPU cores ${JSON.stringify(r.cpuCores)}, load ${r.load.before[0]} -> ${r.load.after[0]}`,
    );
  }
}

async function main(): Promise<void> {
  const out: Record<string, unknown> = {
    date: new Date().toISOString(),
    command: `npx tsx bench/latency/run.ts ${process.argv.slice(2).join(' ')}`.trim(),
    machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version, loadAtStart: loadavg() },
    input: {
      seconds: inputS,
      video: '1280x720@30 x264 veryfast 3 Mb/s, GOP 30 (1 s), 3 B-frames',
      audio: 'AAC 128k',
    },
  };
  console.log(`latency bench: ${cpus().length} CPUs, load ${loadavg().join(' ')}, temp ${dir}`);
  console.log(`encoding ${inputS} s of 720p30 input...`);
  const input = await prepareSource(procs, dir, inputS);
  if (doPlayer) {
    browser = await launchBrowser();
    const rows: PlayerResult[] = [];
    for (const mode of ['push', 'ttl'] as const) {
      console.log(`player: --freshness ${mode}, ${seconds} s after playback starts...`);
      rows.push(await measurePlayer(procs, browser, { mode, input, seconds }));
    }
    await browser.close();
    browser = undefined;
    printPlayer(rows);
    out.player = rows;
  }
  if (doLoad) {
    console.log(`\norigin load: ${counts.join(', ')} viewers, ${settle} s settle + ${loadSeconds} s each...`);
    const l = await measureLoad(procs, { input, counts, windowS: loadSeconds, settleS: settle });
    printLoad(l);
    out.load = l;
  }
  out.loadAtEnd = loadavg();
  await writeResults(new URL('./last-run.json', import.meta.url), out);
}

await run(main);
