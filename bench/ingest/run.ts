/**
 * Ingest benchmark (issue 2): keyframe-to-viewer-port availability, and CPU per stream against
 * ffmpeg -c copy writing HLS fMP4 from the same input in the same run.
 *
 *   npx tsx bench/ingest/run.ts [--seconds 60] [--cpu-window 60] [--cpu-warmup 40] [--multi 4] [--only availability|cpu]
 *
 * Loopback only, bounded by a global deadline, and every child process and the temp dir are
 * removed on the way out, error or Ctrl-C included. Results: a table on stdout and
 * bench/ingest/last-run.json.
 */
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { numberFlag } from '../lib/flags.js';
import { startBench } from '../lib/harness.js';
import { loadavg } from '../lib/loadavg.js';
import { prepareSource } from '../lib/media.js';
import { clockTicks } from '../lib/procfs.js';
import { writeResults } from '../lib/results.js';
import { measureAvailability, type AvailabilityResult } from './availability.js';
import { measureCpu, type CpuResult } from './cpu.js';
import type { Summary } from './util.js';

const { values: flags } = parseArgs({
  options: {
    seconds: { type: 'string', default: '60' },
    'poll-ms': { type: 'string', default: '20' },
    'cpu-window': { type: 'string', default: '60' },
    'cpu-warmup': { type: 'string', default: '40' },
    multi: { type: 'string', default: '4' },
    only: { type: 'string' },
    verbose: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});

if (flags.help) {
  console.log(`usage: npx tsx bench/ingest/run.ts [flags]
  --seconds N      availability: seconds of stream measured (60)
  --poll-ms N      availability: playlist poll interval of the eager viewer (20)
  --cpu-window N   CPU: sampling window in seconds, after warm-up (60; 20 s windows moved the 1-stream ratio ±15 % run to run)
  --cpu-warmup N   CPU: seconds after publishing starts before sampling (40: V8 is still compiling the media path for ~40 s at one stream)
  --multi N        CPU: also run N concurrent streams per contender; 0 skips (4)
  --only WHAT      availability | cpu
  --verbose        print the in-process server's warnings as they happen`);
  process.exit(0);
}

const num = (name: keyof typeof flags, min: number, max: number) => numberFlag(flags[name], name, min, max);

const seconds = num('seconds', 5, 600);
const pollMs = num('poll-ms', 1, 1000);
const cpuWindow = num('cpu-window', 5, 300);
const cpuWarmup = num('cpu-warmup', 1, 120);
const multi = num('multi', 0, 16);
const doAvail = flags.only !== 'cpu';
const doCpu = flags.only !== 'availability';
const warmupSegments = 2;
// The input must outlast every replay: the CPU window must never see a broadcaster finish.
const inputS = Math.ceil(Math.max(75, seconds + warmupSegments + 15, cpuWarmup + cpuWindow + 15));

// A hard bound on the whole run, so a wedged child or server can never keep it going.
const budgetS =
  120 +
  (doAvail ? seconds + 40 : 0) +
  (doCpu ? (1 + (multi > 0 ? 1 : 0)) * (5 * cpuWarmup + 4 * cpuWindow + 45) : 0);

const { procs, dir, run } = startBench({ name: 'ingest', budgetS });

const fmt = (s: Summary) =>
  `${s.p50.toFixed(1).padStart(7)} ${s.p95.toFixed(1).padStart(7)} ${s.max.toFixed(1).padStart(7)}`;

function printAvailability(a: AvailabilityResult): void {
  console.log(
    `\nAvailability: keyframe at ingest -> segment downloaded on the viewer port (${a.segments} segments)`,
  );
  console.log(`${''.padEnd(44)}    p50     p95     max  (ms)`);
  console.log(`${'availability'.padEnd(44)}${fmt(a.availabilityMs)}`);
  console.log(`${'availability - segment duration'.padEnd(44)}${fmt(a.overDurationMs)}   target <= 150`);
  console.log(`  ${'gop: next keyframe arrives'.padEnd(42)}${fmt(a.breakdown.gopMs)}`);
  console.log(`  ${'cut: segment emitted after it'.padEnd(42)}${fmt(a.breakdown.cutMs)}`);
  console.log(`  ${'listed: playlist poll shows it'.padEnd(42)}${fmt(a.breakdown.listedMs)}`);
  console.log(`  ${'fetch: segment body completed'.padEnd(42)}${fmt(a.breakdown.fetchMs)}`);
  console.log(
    `poll interval ${a.pollMs} ms (measured cycle ${a.pollCycleMs} ms): "listed" includes up to one cycle of` +
      ` waiting, ~${(a.pollCycleMs / 2).toFixed(0)} ms on average`,
  );
  const f = a.firstSegment;
  if (f) {
    console.log(
      `first segment (seq 0, excluded): ${f.availabilityMs} ms for ${f.durationMs} ms of media,` +
        ` listed ${f.listedAfterPackagedMs} ms after it was packaged`,
    );
  }
}

function printCpu(c: CpuResult): void {
  const f = (x: number) => x.toFixed(4).padStart(9);
  console.log(`\nCPU, ${c.streams} stream(s), ${c.windowS} s window (CPU-s per s of video, per stream)`);
  console.log(
    `  corral raw              ${f(c.corralPerStream)}   (idle process: ${c.corralIdle.toFixed(4)} total)`,
  );
  console.log(`  corral idle-subtracted  ${f(c.corralPerStreamIdleSubtracted)}`);
  console.log(`  ffmpeg -c copy HLS fMP4 ${f(c.ffmpegPerStream)}`);
  console.log(
    `  Node floor (drops bytes) ${f(c.floorRaw / c.streams)}   (idle process: ${c.floorIdle.toFixed(4)} total)`,
  );
  console.log(`  corral above the floor  ${f(c.corralAboveFloorPerStream)}`);
  console.log(
    `  ratio corral/ffmpeg     raw ${c.ratioRaw.toFixed(2)}, idle-subtracted ${c.ratioIdleSubtracted.toFixed(2)}` +
      `   target <= 1.0   (corral RSS ${c.corralRssMiB} MiB;` +
      ` pace: corral ${c.pace.corral}, ffmpeg ${c.pace.ffmpeg} segments/s)`,
  );
  console.log(
    `  ratio (corral - floor)/ffmpeg ${c.ratioAboveFloor.toFixed(2)}   (corral's own code against ffmpeg's whole cost)`,
  );
  if (Math.min(c.pace.corral, c.pace.ffmpeg) < 0.9) {
    console.log(
      '  WARNING: a stream ran slower than real time (starved broadcaster?); rerun on a quieter machine',
    );
  }
}

async function main(): Promise<void> {
  const started = new Date();
  // Other work on the machine skews both figures; the load average at start and end says how much.
  const loadAtStart = loadavg();
  console.log(
    `ingest bench: ${cpus().length} CPUs, load ${loadAtStart.join(' ')}, CLK_TCK ${clockTicks()}, temp ${dir}`,
  );
  console.log(`encoding ${inputS} s of 720p30 + AAC input (x264 veryfast, 1 s GOP, B-frames)...`);
  const input = await prepareSource(procs, dir, inputS);
  const out: Record<string, unknown> = {
    date: started.toISOString(),
    command: `npx tsx bench/ingest/run.ts ${process.argv.slice(2).join(' ')}`.trim(),
    machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version, loadAtStart },
    input: {
      seconds: inputS,
      video: '1280x720@30 x264 veryfast 3 Mb/s, GOP 30, 3 B-frames',
      audio: 'AAC 128k',
    },
  };
  const logs: string[] = [];
  if (doAvail) {
    console.log(`availability: measuring ${seconds} s of stream (+${warmupSegments} warm-up segments)...`);
    const a = await measureAvailability(procs, {
      input,
      seconds,
      pollMs,
      warmupSegments,
      verbose: !!flags.verbose,
    });
    printAvailability(a);
    const { serverLog, ...rest } = a;
    logs.push(...serverLog.map((l) => `in-process: ${l}`));
    out.availability = rest;
  }
  if (doCpu) {
    const runs: Array<Omit<CpuResult, 'serverLog'>> = [];
    for (const streams of multi > 0 ? [1, multi] : [1]) {
      console.log(
        `\ncpu: ${streams} stream(s): corral idle ${cpuWindow} s, then publishing; then the Node floor; then ffmpeg...`,
      );
      const c = await measureCpu(procs, { input, dir, streams, warmupS: cpuWarmup, windowS: cpuWindow });
      printCpu(c);
      const { serverLog, ...rest } = c;
      logs.push(...serverLog.map((l) => `corral start (${streams} streams): ${l}`));
      runs.push(rest);
    }
    out.cpu = runs;
  }
  if (logs.length > 0) {
    console.log(`\nserver warnings/errors (${logs.length}), first ones:`);
    for (const l of logs.slice(0, 10)) console.log(`  ${l.slice(0, 300)}`);
  }
  out.loadAtEnd = loadavg();
  out.serverLog = logs.slice(0, 20).map((l) => l.slice(0, 300));
  await writeResults(new URL('./last-run.json', import.meta.url), out);
}

await run(main);
