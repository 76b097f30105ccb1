/**
 * Soak (issue 9): `corral start` with a live test-pattern broadcaster (as `corral demo` runs one)
 * and N `corral loadtest` viewers through its edge -> shield -> origin for M minutes. Every 10 s
 * the RSS of every process is sampled: corral, each ffmpeg child of corral (the transcoder), the
 * broadcaster and the load generator. Memory growth is judged after a warm-up, because heaps,
 * caches and socket pools fill during the first minutes by design; what must not happen is growth
 * after that.
 *
 *   npx tsx bench/soak/run.ts [--minutes 10] [--viewers 2000] [--transcode true|false] [--quick]
 *
 * Loopback only, bounded by a global deadline; every child and the temp dir are removed on the
 * way out. Results: a table on stdout and bench/soak/last-run.json.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { testPatternArgs } from '../../test/support/ffmpeg.js';
import type { Report } from '../../src/loadgen/report.js';
import { CORRAL_BIN, startCorral } from '../lib/corral.js';
import { numberFlag as num } from '../lib/flags.js';
import { startBench } from '../lib/harness.js';
import { loadavg } from '../lib/loadavg.js';
import { untilSegments } from '../lib/hls.js';
import { FFMPEG } from '../lib/media.js';
import { descendantsOf, rssBytes, treeCpuSeconds } from '../lib/procfs.js';
import { sleep, type Child } from '../lib/procs.js';
import { writeResults } from '../lib/results.js';
import { round, scrape, sum } from '../latency/util.js';

const { values: flags } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    viewers: { type: 'string', default: '2000' },
    'warmup-s': { type: 'string' },
    'ramp-s': { type: 'string', default: '60' },
    'll-share': { type: 'string', default: '0.5' },
    transcode: { type: 'string', default: 'true' },
    size: { type: 'string', default: '1280x720' },
    kbps: { type: 'string', default: '2500' },
    set: { type: 'string', multiple: true },
    quick: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});

if (flags.help) {
  console.log(`usage: npx tsx bench/soak/run.ts [flags]
  --minutes N      length of the load (10)
  --viewers N      loadgen viewers (2000)
  --ramp-s N       seconds over which the viewers arrive (60)
  --ll-share X     share of LL-HLS viewers, the rest poll plainly (0.5)
  --warmup-s N     seconds excluded before memory growth is judged (120; 20 with --quick)
  --transcode B    true: corral's default ABR ladder; false: passthrough only (true)
  --size WxH       the broadcaster's picture, as corral demo --demo-size (1280x720)
  --kbps N         the broadcaster's video bit rate, kbit/s (2500, as corral demo)
  --set K=V        passed on to corral start (repeatable), e.g. --set cache.maxBytes=33554432
  --quick          1 minute, 20 s ramp: a smoke run`);
  process.exit(0);
}

const minutes = flags.quick ? 1 : num(flags.minutes, 'minutes', 1, 120);
const viewers = num(flags.viewers, 'viewers', 1, 20_000);
const rampS = flags.quick ? 20 : num(flags['ramp-s'], 'ramp-s', 0, 600);
const llShare = num(flags['ll-share'], 'll-share', 0, 1);
const warmupS = num(flags['warmup-s'] ?? (flags.quick ? '20' : '120'), 'warmup-s', 0, 3600);
const transcode = flags.transcode === 'false' ? 'false' : 'true';
const size = /^\d+x\d+$/.test(flags.size ?? '') ? flags.size! : '1280x720';
const kbps = num(flags.kbps, 'kbps', 50, 20_000);
const corralSets = flags.set ?? [];
const SAMPLE_S = 10;
const durationS = minutes * 60;

const { procs, dir, run } = startBench({ name: 'soak', budgetS: durationS + 240 });

interface Sample {
  t: number;
  rss: Record<string, number>;
  /** Body bytes the stores hold (origin store, the cache tiers this /metrics shows), MB. */
  storeMb: Record<string, number>;
  degradeLevel: number | null;
  speedMin: number | null;
  load1: number;
  /** corral's V8 heap (used, total) and external memory, MB, from its default metrics. */
  heapMb: { used: number; total: number; external: number } | null;
}

interface Growth {
  process: string;
  samples: number;
  /** Median of the first three samples after the warm-up, and of the last three, MB. */
  startMb: number;
  endMb: number;
  maxMb: number;
  growthPct: number;
  /**
   * Least-squares slope of RSS over the judged samples, as a share of the mean over the judged
   * span: one GC cycle's high or low at either end moves it far less than the median rule.
   */
  trendPct: number;
  /**
   * Lowest RSS in the last third of the judged span against the lowest in the first third: the
   * floor the GC cycle returns to, which a leak raises and a late high sample does not.
   */
  floorPct: number;
}

/** The processes to sample, named by role; a restarted transcoder gets a new key (its pid). */
function processes(corral: Child, caster: Child, loadgen: Child): Record<string, number> {
  const out: Record<string, number> = { corral: corral.pid, broadcaster: caster.pid, loadgen: loadgen.pid };
  for (const pid of descendantsOf(corral.pid)) {
    let comm = 'child';
    try {
      comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
    } catch {
      continue; // gone between listing and reading
    }
    out[`${comm} ${pid} (corral's child)`] = pid;
  }
  return out;
}

const median3 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function growth(samples: Sample[]): Growth[] {
  const judged = samples.filter((s) => s.t >= warmupS);
  const names = new Set(judged.flatMap((s) => Object.keys(s.rss)));
  const out: Growth[] = [];
  for (const name of names) {
    const xs = judged.map((s) => s.rss[name]).filter((x): x is number => x !== undefined && x > 0);
    if (xs.length < 2) continue;
    const start = median3(xs.slice(0, 3));
    const end = median3(xs.slice(-3));
    const ts = judged.filter((s) => (s.rss[name] ?? 0) > 0).map((s) => s.t);
    const mt = ts.reduce((a, b) => a + b, 0) / ts.length;
    const my = xs.reduce((a, b) => a + b, 0) / xs.length;
    const num = ts.reduce((a, t, i) => a + (t - mt) * (xs[i]! - my), 0);
    const den = ts.reduce((a, t) => a + (t - mt) ** 2, 0);
    const trend = den > 0 ? ((num / den) * (ts.at(-1)! - ts[0]!)) / my : 0;
    const mb = (b: number) => round(b / 2 ** 20, 1);
    const third = Math.max(1, Math.floor(xs.length / 3));
    const floor0 = Math.min(...xs.slice(0, third));
    const floor1 = Math.min(...xs.slice(-third));
    out.push({
      process: name,
      samples: xs.length,
      startMb: mb(start),
      endMb: mb(end),
      maxMb: mb(Math.max(...xs)),
      growthPct: round(((end - start) / start) * 100, 1),
      trendPct: round(trend * 100, 1),
      floorPct: round(((floor1 - floor0) / floor0) * 100, 1),
    });
  }
  return out;
}

void run(async () => {
  const startedAt = new Date().toISOString();
  const loadStart = loadavg();
  // corral keeps only the last --set it is given, so several settings go in a config file.
  const config: Record<string, Record<string, unknown>> = {};
  for (const kv of corralSets) {
    const m = /^([a-zA-Z]+)\.([a-zA-Z]+)=(.*)$/.exec(kv);
    if (!m) throw new Error(`--set expects section.key=value, got "${kv}"`);
    const v = Number(m[3]);
    (config[m[1]!] ??= {})[m[2]!] =
      m[3] === 'true' || m[3] === 'false' ? m[3] === 'true' : Number.isFinite(v) ? v : m[3];
  }
  const configFile = join(dir, 'corral.json');
  writeFileSync(configFile, JSON.stringify(config));
  const corral = await startCorral(procs, { args: ['--transcode', transcode, '--config', configFile] });
  // What `corral demo` publishes: a live 720p30 test pattern with a tone, encoded as it goes.
  const caster = procs.start(
    'broadcaster',
    FFMPEG,
    testPatternArgs(`${corral.rtmp}/live/soak`, {
      seconds: durationS + 600,
      size,
      realtime: true,
      videoKbps: kbps,
      audioKbps: 128,
    }),
  );
  const url = `${corral.viewer}/live/soak/index.m3u8`;
  await untilSegments(
    `${corral.viewer}/live/soak/src/index.m3u8`,
    3,
    'three segments through the edge',
    60_000,
  );
  const reportFile = join(dir, 'loadtest.json');
  const loadgen = procs.start('loadgen', process.execPath, [
    ...[CORRAL_BIN, 'loadtest', '--url', url, '--viewers', String(viewers)],
    ...['--duration', String(durationS), '--ramp-s', String(rampS), '--ll-share', String(llShare)],
    ...[
      '--json',
      reportFile,
      '--metrics',
      `${corral.origin}/metrics`,
      '--metrics',
      `${corral.viewer}/metrics`,
    ],
  ]);
  const samples: Sample[] = [];
  const t0 = performance.now();
  const cpuOf = () => ({
    corral: treeCpuSeconds(corral.child.pid),
    broadcaster: treeCpuSeconds(caster.pid),
    loadgen: treeCpuSeconds(loadgen.pid),
  });
  let cpu0 = cpuOf();
  let cpu1 = cpu0;
  let cpuSpanS = 0;
  let degradeMax = 0;
  while (procs.running(loadgen)) {
    const t = (performance.now() - t0) / 1000;
    const rss: Record<string, number> = {};
    for (const [name, pid] of Object.entries(processes(corral.child, caster, loadgen))) {
      const b = rssBytes(pid);
      if (Number.isFinite(b)) rss[name] = b;
    }
    const storeMb: Record<string, number> = {};
    let degradeLevel: number | null = null;
    let speedMin: number | null = null;
    let heapMb: Sample['heapMb'] = null;
    // A scrape that times out under load is a gap in the series, not a failure of the run; the
    // two are read separately so a busy edge does not hide the origin's figures.
    try {
      const m = await scrape(`${corral.origin}/metrics`);
      storeMb.origin = round(sum(m, 'corral_origin_bytes') / 2 ** 20, 1);
      degradeLevel = sum(m, 'corral_transcode_degrade_level');
      const speeds = m.filter(([n]) => n === 'corral_transcode_speed').map(([, , v]) => v);
      speedMin = speeds.length > 0 ? round(Math.min(...speeds), 3) : null;
      degradeMax = Math.max(degradeMax, degradeLevel);
      const mb = (n: string) => round(sum(m, n) / 2 ** 20, 1);
      heapMb = {
        used: mb('nodejs_heap_size_used_bytes'),
        total: mb('nodejs_heap_size_total_bytes'),
        external: mb('nodejs_external_memory_bytes'),
      };
    } catch {
      // see above
    }
    try {
      for (const [n, l, v] of await scrape(`${corral.viewer}/metrics`)) {
        if (n === 'corral_cache_store_bytes') storeMb[l.tier ?? '?'] = round(v / 2 ** 20, 1);
      }
    } catch {
      // see above
    }
    // The loadgen's last reading is taken while it still runs: /proc forgets it once it exits.
    if (procs.running(loadgen)) {
      cpu1 = cpuOf();
      if (samples.length === 0) cpu0 = cpu1;
      else cpuSpanS = t - samples[0]!.t;
    }
    samples.push({ t: round(t, 1), rss, storeMb, degradeLevel, speedMin, load1: loadavg()[0]!, heapMb });
    const lg = rss.loadgen === undefined ? '-' : `${round(rss.loadgen / 2 ** 20, 0)} MB`;
    console.log(
      `  t=${Math.round(t)} s corral ${round((rss.corral ?? 0) / 2 ** 20, 0)} MB (heap ${heapMb?.used ?? '-'}/${heapMb?.total ?? '-'}, external ${heapMb?.external ?? '-'}; stores ${JSON.stringify(storeMb)}), loadgen ${lg}, degrade ${degradeLevel ?? '-'}, speed min ${speedMin ?? '-'}, load ${loadavg()[0]}`,
    );
    for (const ch of [corral.child, caster]) {
      if (!procs.running(ch)) throw new Error(`${ch.name} died:\n${ch.tail.join('\n')}`);
    }
    const next = t0 + samples.length * SAMPLE_S * 1000;
    while (procs.running(loadgen) && performance.now() < next) await sleep(200);
  }
  const code = await loadgen.exited;
  if (code !== 0) throw new Error(`loadtest exited ${code}:\n${loadgen.tail.join('\n')}`);
  const report = JSON.parse(readFileSync(reportFile, 'utf8')) as Report;
  const loadEnd = loadavg();
  const g = growth(samples);
  const byKind = report.requests.byKind;
  const figures = {
    failedSegmentFetches: byKind.segment.failed,
    failedPartFetches: byKind.part.failed,
    failedMediaFetches: report.playback.failedMedia,
    errors: report.requests.errors,
    viewersFailed: report.viewers.failed,
    rebuffers: report.playback.rebuffers,
    viewersWithRebuffers: report.playback.viewersWithRebuffers,
    stallS: report.playback.stallS,
    skippedSegments: report.playback.skippedSegments,
    originPerSegmentPerRendition: report.origin?.perSegmentPerRendition ?? null,
    originGetsPerS: report.origin?.perSecond ?? null,
    requestsPerS: report.requests.perSecondAvg,
    mbitPerS: report.requests.mbitPerSAvg,
    peakFollowing: report.viewers.peakFollowing,
    transcodeDegradeMax: degradeMax,
    cpuCores: Object.fromEntries(
      Object.entries(cpu1).map(([k, v]) => [
        k,
        round((v - cpu0[k as keyof typeof cpu0]) / Math.max(1, cpuSpanS)),
      ]),
    ),
  };

  console.log(
    `\nSoak: ${viewers} viewers (LL share ${llShare}), ${minutes} min, transcode ${transcode}, broadcaster ${size} at ${kbps} kbit/s; growth after ${warmupS} s`,
  );
  console.log(
    '| process | samples | RSS after warm-up MB | at end MB | max MB | growth | trend (least squares) | floor (lows, last vs first third) | goal < 5 % (floor and trend) |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const r of g) {
    console.log(
      `| ${r.process} | ${r.samples} | ${r.startMb} | ${r.endMb} | ${r.maxMb} | ${r.growthPct} % | ${r.trendPct} % | ${r.floorPct} % | ${r.floorPct < 5 && r.trendPct < 5 ? 'met' : 'MISSED'} |`,
    );
  }
  // The JS heap's lows (just after major collections) in each third after the warm-up: live
  // memory, which a leak raises third after third, unlike RSS's swings with the GC cycle.
  const heapUsed = samples.filter((x) => x.t >= warmupS && x.heapMb !== null).map((x) => x.heapMb!.used);
  const third = Math.ceil(heapUsed.length / 3);
  const lows = [0, 1, 2].map((i) => Math.min(...heapUsed.slice(i * third, (i + 1) * third)));
  if (heapUsed.length >= 3)
    console.log(`\ncorral JS heap used, lowest in each third after the warm-up: ${lows.join(', ')} MB`);
  console.log('\n| figure | value |\n|---|---|');
  for (const [k, v] of Object.entries(figures)) console.log(`| ${k} | ${JSON.stringify(v)} |`);
  console.log(`\nload average (1/5/15 min): start ${loadStart.join(' ')}, end ${loadEnd.join(' ')}`);
  const load1 = samples.map((s) => s.load1);
  console.log(`load average (1 min) over the run: min ${Math.min(...load1)}, max ${Math.max(...load1)}`);
  console.log(`\nloadtest summary:\n${loadgen.tail.slice(-20).join('\n')}`);
  await writeResults(new URL('./last-run.json', import.meta.url), {
    startedAt,
    options: {
      minutes,
      viewers,
      rampS,
      llShare,
      warmupS,
      transcode,
      size,
      kbps,
      corralSets,
      sampleS: SAMPLE_S,
    },
    load: { start: loadStart, end: loadEnd },
    growth: g,
    heapLowsMb: lows,
    figures,
    samples,
    loadtest: { ...report, series: undefined },
    serverLog: corral.log.slice(0, 100),
  });
});
