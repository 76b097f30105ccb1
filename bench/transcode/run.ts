/**
 * Transcode benchmark (issue 4): CPU per second of video of corral's default ABR ladder against
 * the same ladder run by one plain ffmpeg command in the same run, the ladder's real-time factor,
 * and how many concurrent 720p streams one corral sustains.
 *
 *   npx tsx bench/transcode/run.ts [--window 30] [--warmup 40] [--max-streams 4] [--step 30]
 *
 * Loopback only, bounded by a global deadline; every child process and the temp dir are removed
 * on the way out, error or Ctrl-C included. Results: a table on stdout and
 * bench/transcode/last-run.json.
 */
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { numberFlag } from '../lib/flags.js';
import { startBench } from '../lib/harness.js';
import { loadavg as load } from '../lib/loadavg.js';
import { FFMPEG, prepareSource } from '../lib/media.js';
import { clockTicks } from '../lib/procfs.js';
import { writeResults } from '../lib/results.js';
import { measureConcurrent } from './concurrent.js';
import { measureCorral, measureFfmpeg, type CpuRun } from './cpu.js';
import { defaultLadder, realTimeFactor } from './media.js';

const { values: flags } = parseArgs({
  options: {
    window: { type: 'string', default: '30' },
    warmup: { type: 'string', default: '40' },
    'max-streams': { type: 'string', default: '4' },
    step: { type: 'string', default: '30' },
    'min-speed': { type: 'string', default: '0.97' },
    help: { type: 'boolean', default: false },
  },
});
if (flags.help) {
  console.log(`usage: npx tsx bench/transcode/run.ts [flags]
  --window N       CPU sampling window per contender, seconds (30)
  --warmup N       seconds after publishing before any sampling (40: V8 compiles the media path for the first ~40 s)
  --max-streams N  concurrency: try 1..N streams, stop at the first that fails; 0 skips (4)
  --step N         concurrency: judged seconds per step, after the warm-up (30)
  --min-speed X    concurrency: lowest cumulative ffmpeg speed that counts as real time (0.97)`);
  process.exit(0);
}
const num = (name: keyof typeof flags, min: number, max: number) => numberFlag(flags[name], name, min, max);
const windowS = num('window', 5, 120);
const warmupS = num('warmup', 6, 120);
const maxStreams = num('max-streams', 0, 8);
const stepS = num('step', 5, 120);
const minSpeed = num('min-speed', 0.5, 1.5);
// Every replay must outlast its warm-up and window: a broadcaster ending mid-window would
// quietly measure less video than assumed.
const sourceS = Math.ceil(Math.max(70, warmupS + Math.max(windowS, stepS) + 20));
// A hard bound on the whole run: encode + RTF (~1 min each worst case) + 3 CPU phases + steps.
const budgetS = 300 + 3 * (warmupS + windowS + 30) + maxStreams * (warmupS + stepS + 25);

// This bench has always given its children /dev/null as stdin (the others an unused pipe).
const { procs, dir, run } = startBench({ name: 'transcode', budgetS, procs: { stdin: 'ignore' } });

const r4 = (x: number | undefined) => (x === undefined ? undefined : Math.round(x * 10000) / 10000);
const f4 = (x: number | undefined) => (x === undefined ? '     -' : x.toFixed(4));
const phaseLoad = (r: { load: { before: number[]; after: number[] } }) =>
  `load ${r.load.before[0]} -> ${r.load.after[0]}`;

function cpuRow(label: string, r: CpuRun): string {
  return (
    `  ${label.padEnd(34)} ${f4(r.cpuPerVideoS).padStart(8)}  ${f4(r.childrenPerVideoS).padStart(8)}` +
    `  ${f4(r.cpuPerWallS).padStart(8)}  ${r.videoS} s / ${r.windowS} s  ${phaseLoad(r)}`
  );
}

async function main(): Promise<void> {
  const started = new Date();
  const loadAtStart = load();
  const ladder = defaultLadder();
  console.log(
    `transcode bench: ${cpus().length} CPUs, load ${loadAtStart.join(' ')}, CLK_TCK ${clockTicks()}, ` +
      `ladder ${ladder.rungs.map((r) => `${r.name}@${r.videoKbps}k`).join(' ')} (${ladder.preset}), temp ${dir}`,
  );
  console.log(`encoding ${sourceS} s of 720p30 + AAC source (x264 veryfast, 1 s GOP, 3 Mb/s)...`);
  const src = await prepareSource(procs, dir, sourceS);
  const o = { src, dir, warmupS, windowS };

  console.log(
    `\n[1/4] corral start, ABR on: ${warmupS} s warm-up, ${windowS} s window (load ${load().join(' ')})`,
  );
  const abr = await measureCorral(procs, o, true);
  console.log(`[2/4] corral start, passthrough only (load ${load().join(' ')})`);
  const pass = await measureCorral(procs, o, false);
  console.log(`[3/4] plain ffmpeg, same ladder arguments, HLS fMP4 out (load ${load().join(' ')})`);
  const ff = await measureFfmpeg(procs, o);
  console.log(`[4/4] real-time factor: the same ladder from the file, no -re, null outputs`);
  const rtfLoad = load();
  const rtf = await realTimeFactor(procs, src, sourceS);
  const rtfAfter = load();

  let conc: Awaited<ReturnType<typeof measureConcurrent>> | undefined;
  if (maxStreams > 0) {
    console.log(`\nconcurrent streams, 1..${maxStreams}, ${warmupS} s warm-up + ${stepS} s per step:`);
    conc = await measureConcurrent(procs, { src, maxStreams, warmupS, windowS: stepS, minSpeed });
  }

  const ratio = abr.cpuPerVideoS / ff.cpuPerVideoS;
  const speeds = abr.speeds ?? [];
  console.log(
    `\nCPU-seconds per second of video, one 720p30 stream (~${windowS} s windows between segment boundaries; "total" is per second of video made):`,
  );
  console.log(
    `  ${''.padEnd(34)} ${'total'.padStart(8)}  ${'ffmpeg'.padStart(8)}  ${'per wall'.padStart(8)}  video / wall`,
  );
  console.log(cpuRow('corral, default ladder', abr));
  console.log(cpuRow('corral, passthrough only', pass));
  console.log(cpuRow('plain ffmpeg, same ladder (HLS)', ff));
  console.log(
    `  ratio corral/ffmpeg ${ratio.toFixed(3)} (goal <= 1.05); corral minus its ffmpeg children ` +
      `${f4(abr.childrenPerVideoS === undefined ? undefined : abr.cpuPerVideoS - abr.childrenPerVideoS)}; ` +
      `passthrough share ${((pass.cpuPerVideoS / abr.cpuPerVideoS) * 100).toFixed(1)} %`,
  );
  console.log(
    `  corral transcoder speed at the window's edges: ${speeds.length ? `${Math.min(...speeds)}..${Math.max(...speeds)}` : 'n/a'}` +
      `; degrade events ${abr.corral.degrades.length}; ffmpeg children left 6 s after unpublish: ${abr.leftoverChildren}`,
  );
  console.log(
    `\nReal-time factor (file, no -re): ${rtf.factor.toFixed(2)}x real time` +
      ` (${rtf.mediaS} s of video in ${rtf.wallS.toFixed(1)} s; ${rtf.cpuPerVideoS.toFixed(3)} CPU-s per s of video;` +
      ` load ${rtfLoad[0]} -> ${rtfAfter[0]})`,
  );
  if (conc) {
    console.log(`\nConcurrent 720p streams sustained (speed >= ${minSpeed}, no degrade): ${conc.sustained}`);
    for (const s of conc.steps) {
      for (const d of s.degrades)
        console.log(
          `  at ${s.streams}: ${d.stream} ${d.step} -> level ${d.level} at ${d.atS} s (${d.reason})`,
        );
    }
  }
  // Counted by message per phase: the list of lines is truncated, the counts are not.
  const counts = {
    corralAbr: abr.corral.counts,
    corralPassthrough: pass.corral.counts,
    ...(conc ? { concurrent: conc.counts } : {}),
  };
  for (const [phase, c] of Object.entries(counts)) {
    const list = Object.entries(c).map(([msg, n]) => `${n}x "${msg}"`);
    if (list.length) console.log(`corral warnings/errors, ${phase}: ${list.join(', ')}`);
  }
  const failures = [...abr.corral.scrapeFailures, ...(conc?.scrapeFailures ?? [])];
  if (failures.length) console.log(`/metrics scrapes that failed or took > 5 s: ${failures.length}`);
  const warnings = [...abr.corral.log, ...pass.corral.log, ...(conc?.log ?? [])];
  for (const l of warnings.slice(0, 4)) console.log(`  ${l.slice(0, 240)}`);
  // A figure is only worth quoting when every contender received real-time video and ran the
  // whole ladder; say so loudly rather than let a starved run pass as a result.
  const valid = Math.min(abr.pace, pass.pace, ff.pace) >= 0.95 && abr.corral.degrades.length === 0;
  if (!valid) {
    console.log('\nWARNING: a CPU phase ran below real-time pace or degraded: rerun on a quieter machine');
  }

  const strip = (r: CpuRun) => ({
    cpuPerVideoS: r4(r.cpuPerVideoS),
    cpuPerWallS: r4(r.cpuPerWallS),
    videoS: r.videoS,
    childrenPerVideoS: r4(r.childrenPerVideoS),
    windowS: r.windowS,
    pace: r.pace,
    children: r.children,
    load: r.load,
  });
  const out = {
    date: started.toISOString(),
    command: `npx tsx bench/transcode/run.ts ${process.argv.slice(2).join(' ')}`.trim(),
    machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version, loadAtStart },
    ffmpeg: FFMPEG,
    source: { seconds: sourceS, video: '1280x720@30 x264 veryfast 3 Mb/s, GOP 30', audio: 'AAC 128k' },
    ladder: ladder.rungs,
    preset: ladder.preset,
    cpu: {
      corralAbr: {
        ...strip(abr),
        speeds: abr.speeds,
        degrades: abr.corral.degrades.length,
        metricsScrapeFailures: abr.corral.scrapeFailures,
      },
      corralPassthrough: strip(pass),
      ffmpegLadder: strip(ff),
      ratioCorralOverFfmpeg: r4(ratio),
      valid,
      passthroughShare: r4(pass.cpuPerVideoS / abr.cpuPerVideoS),
      leftoverChildren: abr.leftoverChildren,
    },
    baselineArgs: ff.args.join(' ').split(dir).join('$TMP'),
    realTime: {
      factor: r4(rtf.factor),
      wallS: r4(rtf.wallS),
      cpuPerVideoS: r4(rtf.cpuPerVideoS),
      load: { before: rtfLoad, after: rtfAfter },
    },
    concurrent: conc && {
      sustained: conc.sustained,
      minSpeed,
      steps: conc.steps,
      leftoverChildren: conc.leftoverChildren,
      metricsScrapeFailures: conc.scrapeFailures,
    },
    corralWarningCounts: counts,
    corralWarnings: warnings.slice(0, 6).map((l) => l.slice(0, 300)),
    loadAtEnd: load(),
  };
  await writeResults(new URL('./last-run.json', import.meta.url), out);
}

await run(main);
