/**
 * Viewer capacity (issue 12, item 2): the most concurrent viewers one corral edge process serves
 * with zero rebuffers, segment fetch p99 under one part duration and no failed request, and the
 * same for nginx (one worker, proxy_cache + proxy_cache_lock) in front of the SAME origin, in the
 * same run; viewers per core for both and their ratio.
 *
 * The load generator costs ~100 us of CPU per request against ~15-30 us for a cached hit, so on
 * this 2-core machine it cannot saturate a whole core of either server. Each server therefore runs
 * under a CPU quota (a cgroup v1 cpu group, CFS bandwidth: --quota cores per period) and viewers
 * per core = viewers sustained at the quota / the quota.
 *
 *   npx tsx bench/capacity/run.ts [--quota 0.05] [--max-minutes 10] [--start 200] [--ll-share 0]
 *
 * Loopback only, bounded by a global deadline; every child, the temp dirs and the cgroups are
 * removed on the way out (also on failure and Ctrl-C). Results: a table on stdout and
 * bench/capacity/last-run.json.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { testPatternArgs } from '../../test/support/ffmpeg.js';
import { cpuCgroupUsable, CpuQuota } from '../lib/cgroup.js';
import { CORRAL_BIN, startCorral } from '../lib/corral.js';
import { numberFlag as num } from '../lib/flags.js';
import { startBench } from '../lib/harness.js';
import { loadavg } from '../lib/loadavg.js';
import { untilSegments } from '../lib/hls.js';
import { FFMPEG } from '../lib/media.js';
import { freePort } from '../lib/net.js';
import { sleep, type Child, type Procs } from '../lib/procs.js';
import { writeResults } from '../lib/results.js';
import { round, until } from '../latency/util.js';
import { startNginxEdge } from './nginx.js';
import { summarizeProfile, type ProfileSummary } from './profile.js';
import { newSearch, next, record, type SearchState } from './search.js';
import { runStep, type StepResult } from './step.js';

const { values: flags } = parseArgs({
  options: {
    'max-minutes': { type: 'string', default: '10' },
    quota: { type: 'string', default: '0.05' },
    start: { type: 'string', default: '200' },
    'min-viewers': { type: 'string', default: '10' },
    'max-viewers': { type: 'string', default: '8000' },
    precision: { type: 'string', default: '0.1' },
    'ramp-s': { type: 'string', default: '10' },
    'steady-s': { type: 'string', default: '20' },
    'll-share': { type: 'string', default: '0' },
    threads: { type: 'string', default: '2' },
    systems: { type: 'string', default: 'corral,nginx' },
    'max-load': { type: 'string', default: '1.5' },
    'load-wait-s': { type: 'string', default: '180' },
    'busy-max': { type: 'string', default: '0.9' },
    'lag-max-ms': { type: 'string', default: '100' },
    'segment-p99-ms': { type: 'string', default: '334' },
    size: { type: 'string', default: '320x180' },
    kbps: { type: 'string', default: '64' },
    profile: { type: 'string', default: 'auto' },
    'shared-reads': { type: 'string', default: 'true' },
    'refresh-first': { type: 'string', default: 'auto' },
    help: { type: 'boolean', default: false },
  },
});

if (flags.help) {
  console.log(`usage: npx tsx bench/capacity/run.ts [flags]
  --max-minutes N   global deadline for the whole run (10)
  --quota X         CPU quota per system under test, cores (0.05: 1000 us per 20000 us period;
                    the period is 10000 us unless the kernel's 1000 us minimum quota needs longer)
  --start N         first viewer count; doubled until a step fails, then bisected (200)
  --min-viewers N / --max-viewers N   bounds of the search (10 / 8000)
  --precision X     stop when smallest failure <= largest pass x (1 + X) (0.1)
  --ramp-s N        seconds over which a step's viewers arrive (10)
  --steady-s N      seconds every viewer watches after the ramp (20)
  --ll-share X      share of LL-HLS viewers (0: plain viewers only)
  --threads N       load generator worker threads (2)
  --systems LIST    corral,nginx (both, alternating step by step)
  --max-load X      wait (up to --load-wait-s) for the 1-min load average to drop below X (1.5)
  --load-wait-s N   how long to wait for it (180; 0 = do not wait)
  --busy-max X      a generator thread busier than this share leaves a step unjudged (0.9)
  --lag-max-ms N    so does a generator event-loop delay p99 at or above this (100)
  --segment-p99-ms N  a step passes only with segment fetch p99 below this (334: one part duration;
                    nginx's proxy_cache_lock waiters poll every 500 ms, so at any audience a few of
                    its segment fetches take ~516 ms: 1000, one segment, measures CPU capacity)
  --size WxH / --kbps N   the broadcaster's picture and video bit rate (320x180, 64)
  --shared-reads true|false   the edge's cache.sharedReads (true, the default)
  --refresh-first auto|always|never   the edge's cache.playlistRefreshFirst (auto, the default;
                    the viewers poll an LL-HLS playlist, where auto means never; run 10 used always)
  --profile auto|on|off   profile the corral edge (node --cpu-prof) at its largest passing
                    count after the search: auto = when it serves fewer viewers per core than nginx`);
  process.exit(0);
}

const maxMinutes = num(flags['max-minutes'], 'max-minutes', 1, 120);
const quotaCores = num(flags.quota, 'quota', 0.01, 2);
const start = Math.floor(num(flags.start, 'start', 1, 100_000));
const minViewers = Math.floor(num(flags['min-viewers'], 'min-viewers', 1, 100_000));
const maxViewers = Math.floor(num(flags['max-viewers'], 'max-viewers', 1, 16_000));
const precision = num(flags.precision, 'precision', 0.01, 1);
const rampS = num(flags['ramp-s'], 'ramp-s', 0, 300);
const steadyS = num(flags['steady-s'], 'steady-s', 3, 600);
const llShare = num(flags['ll-share'], 'll-share', 0, 1);
const threads = Math.floor(num(flags.threads, 'threads', 1, 8));
const maxLoad = num(flags['max-load'], 'max-load', 0.1, 1000);
const loadWaitS = num(flags['load-wait-s'], 'load-wait-s', 0, 1800);
const busyMax = num(flags['busy-max'], 'busy-max', 0.1, 1);
const lagMaxMs = num(flags['lag-max-ms'], 'lag-max-ms', 1, 10_000);
const size = /^\d+x\d+$/.test(flags.size ?? '') ? flags.size! : '320x180';
const kbps = num(flags.kbps, 'kbps', 16, 20_000);
if (flags['shared-reads'] !== 'true' && flags['shared-reads'] !== 'false') {
  console.error('--shared-reads: true or false');
  process.exit(2);
}
const sharedReads = flags['shared-reads'] === 'true';
const refreshFirst = flags['refresh-first'] ?? 'auto';
if (!['auto', 'always', 'never'].includes(refreshFirst)) {
  console.error('--refresh-first: auto, always or never');
  process.exit(2);
}
const profileMode = ['auto', 'on', 'off'].includes(flags.profile ?? '') ? flags.profile! : 'auto';
const SYSTEMS = (flags.systems ?? '').split(',').filter((s): s is System => s === 'corral' || s === 'nginx');
if (SYSTEMS.length === 0) {
  console.error('--systems: corral, nginx or both');
  process.exit(2);
}
type System = 'corral' | 'nginx';

/** The segment p99 limit: by default one part duration at corral's default part target. */
const SEGMENT_P99_MS = num(flags['segment-p99-ms'], 'segment-p99-ms', 10, 60_000);
const PROFILE_S = 20;
const stepS = rampS + steadyS + 5;

const quotas: CpuQuota[] = [];
const shmDirs: string[] = [];
function removeQuotas(): void {
  for (const q of quotas) {
    try {
      q.remove();
    } catch (e) {
      console.error(`cgroup ${q.path}: ${(e as Error).message}`);
    }
  }
  for (const d of shmDirs) rmSync(d, { recursive: true, force: true });
}

const { procs, dir, run } = startBench({
  name: 'capacity',
  budgetS: maxMinutes * 60 + loadWaitS + 120,
  onCleanup: async () => {
    // The servers are moved back to the root group before they are stopped: a cgroup with tasks
    // cannot be removed, and a throttled process would be slow to stop.
    removeQuotas();
  },
});
process.once('exit', removeQuotas);

interface SystemUnderTest {
  name: System;
  url: string;
  pids: () => number[];
  quota: CpuQuota;
  search: SearchState;
  steps: StepResult[];
  stop: () => Promise<void>;
}

async function waitHttp(url: string, label: string): Promise<void> {
  await until(
    label,
    async () => ((await fetch(url, { signal: AbortSignal.timeout(3000) })).ok ? true : undefined),
    30_000,
  );
}

/** `corral edge --workers 1` in front of the origin, optionally with node --cpu-prof. */
async function startEdge(origin: string, profileDir?: string): Promise<{ child: Child; url: string }> {
  const port = await freePort();
  const nodeArgs = profileDir === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', profileDir];
  const child = procs.start(profileDir ? 'edge-profiled' : 'edge', process.execPath, [
    ...nodeArgs,
    ...[CORRAL_BIN, 'edge', '--listen', `127.0.0.1:${port}`, '--upstream', origin],
    ...['--workers', '1', '--log-level', 'warn'],
    // Given explicitly so that the JSON's settings are what ran, whatever the defaults become.
    ...['--set', `cache.sharedReads=${sharedReads}`],
    ...['--set', `cache.playlistRefreshFirst=${refreshFirst}`],
  ]);
  const url = `http://127.0.0.1:${port}`;
  await waitHttp(`${url}/healthz`, 'corral edge up');
  return { child, url };
}

async function startSystem(name: System, origin: string, path: string): Promise<SystemUnderTest> {
  const quota = new CpuQuota(`corral-cap-${process.pid}-${name}`, quotaCores);
  quotas.push(quota);
  let url: string;
  let pids: () => number[];
  let stop: () => Promise<void>;
  if (name === 'corral') {
    const edge = await startEdge(origin);
    url = edge.url;
    pids = () => [edge.child.pid];
    stop = () => procs.stop(edge.child, 'SIGTERM', 3000);
  } else {
    const ngx = await startNginxEdge(procs, origin, 1);
    shmDirs.push(ngx.dir);
    url = ngx.url;
    pids = ngx.pids;
    stop = ngx.stop;
  }
  // Warm: the multivariant and the media playlists through the server before the quota applies.
  await waitHttp(`${url}${path}`, `${name} serves the stream`);
  quota.add(pids());
  return { name, url, pids, quota, search: newSearch(), steps: [], stop };
}

async function waitForQuietMachine(): Promise<{ load1: number; waitedS: number }> {
  const t0 = performance.now();
  let l = loadavg()[0]!;
  while (l >= maxLoad && (performance.now() - t0) / 1000 < loadWaitS) {
    console.log(`  load average (1 min) ${l} >= ${maxLoad}: waiting (up to ${loadWaitS} s)`);
    await sleep(15_000);
    l = loadavg()[0]!;
  }
  return { load1: l, waitedS: round((performance.now() - t0) / 1000, 0) };
}

interface Summary {
  system: System;
  quotaCores: number;
  cfs: { periodUs: number; quotaUs: number };
  maxViewers: number;
  /** 'server': a step above failed on the server's account; 'generator': only the generator's;
   * 'untested': no step above was reached before the deadline or --max-viewers. */
  boundBy: 'server' | 'generator' | 'untested';
  smallestFailure: number | null;
  viewersPerCore: number;
  /** Max viewers / the CPU the server was measured to use at that step (schedstat). */
  viewersPerCoreMeasured: number | null;
  at: StepResult | undefined;
}

function summarize(s: SystemUnderTest): Summary {
  const at = s.steps.find((x) => x.viewers === s.search.lo && x.verdict === 'pass');
  return {
    system: s.name,
    quotaCores: s.quota.effectiveCores,
    cfs: { periodUs: s.quota.periodUs, quotaUs: s.quota.quotaUs },
    maxViewers: s.search.lo,
    boundBy: s.search.hiBy === 'fail' ? 'server' : s.search.hiBy === 'generator' ? 'generator' : 'untested',
    smallestFailure: Number.isFinite(s.search.hi) ? s.search.hi : null,
    viewersPerCore: round(s.search.lo / s.quota.effectiveCores, 0),
    viewersPerCoreMeasured: at?.serverCores ? round(s.search.lo / at.serverCores, 0) : null,
    at,
  };
}

function stepLine(r: StepResult): string {
  const seg = `seg p50/p99 ${r.segment.p50 ?? '-'}/${r.segment.p99 ?? '-'} ms`;
  const srv = `server ${r.serverCores ?? '-'} cores (ticks ${r.serverCoresTicks ?? '-'}), ${r.serverUsPerRequest ?? '-'} us/req, throttled ${r.throttledShare ?? '-'}`;
  const gen = `gen busy ${Math.round(r.generator.busyMax * 100)} % lag p99 ${r.generator.lagP99MaxMs} ms`;
  const why = r.reasons.length > 0 ? ` (${r.reasons.join('; ')})` : '';
  return `  ${r.system.padEnd(6)} ${String(r.viewers).padStart(5)} viewers: ${r.verdict.toUpperCase()}${why}; ${r.steadyReqPerS} req/s, ${seg}, rebuffers ${r.rebuffers}; ${srv}; ${gen}; load ${r.load1Before}`;
}

function printTable(rows: Summary[], ratio: number | null, ratioMeasured: number | null): void {
  console.log(
    `\nViewer capacity: ${llShare === 0 ? 'plain viewers' : `LL share ${llShare}`}, lowest rendition (--abr false), ${rampS} s ramp + ${steadyS} s steady per step; pass = 0 rebuffers, segment p99 < ${SEGMENT_P99_MS} ms, no failed request or viewer`,
  );
  console.log(
    '| system | quota (cores) | max viewers | viewers per core (quota) | CPU used at max (cores) | viewers per core (CPU used) | req/s at max | server CPU us/req | segment p50 / p99 ms | playlist p99 ms | smallest failure | load avg (1 min) |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    const a = r.at;
    const bound =
      r.boundBy === 'server'
        ? ''
        : r.boundBy === 'generator'
          ? ' (lower bound: generator)'
          : ' (lower bound)';
    console.log(
      `| ${r.system} | ${r.quotaCores} | ${r.maxViewers}${bound} | ${r.viewersPerCore} | ${a?.serverCores ?? '-'} | ${r.viewersPerCoreMeasured ?? '-'} | ${a?.steadyReqPerS ?? '-'} | ${a?.serverUsPerRequest ?? '-'} | ${a?.segment.p50 ?? '-'} / ${a?.segment.p99 ?? '-'} | ${a?.playlist.p99 ?? '-'} | ${r.smallestFailure ?? '-'} | ${a ? `${a.load1Before} -> ${a.load1After}` : '-'} |`,
    );
  }
  if (ratio !== null) {
    console.log(
      `\ncorral/nginx viewers per core: ${ratio}x by quota, ${ratioMeasured ?? '-'}x by CPU used (goal >= 1.00x: ${ratio >= 1 ? 'met' : 'NOT met'})`,
    );
  }
}

/** The corral edge under node --cpu-prof at a fixed load, in the same quota. */
async function profileEdge(
  origin: string,
  path: string,
  viewers: number,
  quota: CpuQuota,
  p: Procs,
): Promise<{ viewers: number; file: string; summary: ProfileSummary; step: StepResult } | undefined> {
  const profDir = join(dir, 'prof');
  const edge = await startEdge(origin, profDir);
  try {
    await waitHttp(`${edge.url}${path}`, 'profiled edge serves the stream');
    quota.add([edge.child.pid]);
    const steadyFrom = performance.now() + (rampS + 1.5) * 1000;
    const step = await runStep({
      procs: p,
      dir,
      system: 'corral-profiled',
      url: `${edge.url}${path}`,
      viewers,
      rampS,
      steadyS: PROFILE_S,
      llShare,
      threads,
      root: edge.child.pid,
      quota,
      segmentP99Ms: SEGMENT_P99_MS,
      generatorBusyMax: busyMax,
      generatorLagMaxMs: lagMaxMs,
    });
    const windowS = (performance.now() - steadyFrom) / 1000;
    await p.stop(edge.child, 'SIGTERM', 10_000);
    const files = readdirSync(profDir)
      .filter((f) => f.endsWith('.cpuprofile'))
      .map((f) => join(profDir, f))
      .sort((a, b) => statSync(b).size - statSync(a).size);
    if (files.length === 0) return undefined;
    return { viewers, file: files[0]!, summary: summarizeProfile(files[0]!, 15, windowS), step };
  } finally {
    await p.stop(edge.child, 'SIGKILL', 1000);
  }
}

void run(async () => {
  const problem = cpuCgroupUsable();
  if (problem) throw new Error(`cannot cap the servers' CPU: ${problem}`);
  const t0 = performance.now();
  const deadline = t0 + maxMinutes * 60_000;
  const startedAt = new Date().toISOString();
  const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD']).toString().trim();
  const command = `npx tsx bench/capacity/run.ts ${process.argv.slice(2).join(' ')}`.trim();
  const loadStart = loadavg();
  const quiet = await waitForQuietMachine();
  const runStart = performance.now();
  const softDeadline = deadline + (runStart - t0); // time spent waiting for the load is not charged

  // The origin: corral start (passthrough) with a live test pattern. Its own edge/shield are unused.
  const corral = await startCorral(procs, { name: 'origin', args: ['--transcode', 'false'] });
  const caster = procs.start(
    'broadcaster',
    FFMPEG,
    testPatternArgs(`${corral.rtmp}/live/cap`, {
      seconds: maxMinutes * 60 + 600,
      size,
      realtime: true,
      videoKbps: kbps,
      audioKbps: 32,
    }),
  );
  const path = '/live/cap/index.m3u8';
  await untilSegments(`${corral.origin}/live/cap/src/index.m3u8`, 3, 'three segments at the origin', 60_000);
  const originHeaders: Record<string, string> = {};
  for (const p of [path, '/live/cap/src/index.m3u8']) {
    const r = await fetch(`${corral.origin}${p}`);
    originHeaders[p] = r.headers.get('cache-control') ?? '(none)';
  }
  const systems: SystemUnderTest[] = [];
  for (const name of SYSTEMS) systems.push(await startSystem(name, corral.origin, path));
  console.log(
    `origin ${corral.origin} (corral start --transcode false, ${size} test pattern at ${kbps}+32 kbit/s); ${systems
      .map((s) => `${s.name} ${s.url} in ${s.quota.path} (${s.quota.quotaUs}/${s.quota.periodUs} us)`)
      .join('; ')}`,
  );
  console.log(`load average (1 min) before measuring: ${quiet.load1} (waited ${quiet.waitedS} s)`);

  const opts = { start, min: minViewers, max: maxViewers, precision };
  const wantProfile = SYSTEMS.includes('corral') && profileMode !== 'off';
  const profileReserve = wantProfile ? rampS + PROFILE_S + 15 : 0;
  let round_ = 0;
  for (;;) {
    const order = round_++ % 2 === 0 ? systems : [...systems].reverse();
    let ran = 0;
    for (const s of order) {
      const n = next(s.search, opts);
      if (n === undefined) continue;
      if (performance.now() + stepS * 1000 > softDeadline - profileReserve * 1000) continue;
      for (const ch of [corral.child, caster]) {
        if (!procs.running(ch)) throw new Error(`${ch.name} died:\n${ch.tail.join('\n')}`);
      }
      const r = await runStep({
        procs,
        dir,
        system: s.name,
        url: `${s.url}${path}`,
        viewers: n,
        rampS,
        steadyS,
        llShare,
        threads,
        root: s.pids()[0]!,
        quota: s.quota,
        segmentP99Ms: SEGMENT_P99_MS,
        generatorBusyMax: busyMax,
        generatorLagMaxMs: lagMaxMs,
      });
      s.steps.push(r);
      record(s.search, n, r.verdict);
      console.log(stepLine(r));
      ran++;
      await sleep(1000);
    }
    if (ran === 0) break;
  }

  const rows = systems.map(summarize);
  const c = rows.find((r) => r.system === 'corral');
  const g = rows.find((r) => r.system === 'nginx');
  const ratio = c && g && g.viewersPerCore > 0 ? round(c.viewersPerCore / g.viewersPerCore, 2) : null;
  const ratioMeasured =
    c?.viewersPerCoreMeasured && g?.viewersPerCoreMeasured
      ? round(c.viewersPerCoreMeasured / g.viewersPerCoreMeasured, 2)
      : null;
  printTable(rows, ratio, ratioMeasured);

  let profile: Awaited<ReturnType<typeof profileEdge>>;
  const cs = systems.find((s) => s.name === 'corral');
  const profileWanted = profileMode === 'on' || (profileMode === 'auto' && ratio !== null && ratio < 1);
  if (cs && profileWanted && cs.search.lo > 0) {
    if (performance.now() + profileReserve * 1000 > softDeadline + 30_000) {
      console.log('\nno time left for the profile of the corral edge');
    } else {
      await cs.stop(); // its quota group is reused by the profiled edge
      try {
        profile = await profileEdge(corral.origin, path, cs.search.lo, cs.quota, procs);
      } catch (e) {
        console.log(`\nthe profile of the corral edge failed: ${(e as Error).message}`);
      }
      if (profile) {
        console.log(
          `\ncorral edge profile (node --cpu-prof, ${profile.viewers} viewers, ${PROFILE_S} s steady, same quota; ${profile.summary.samples} non-idle samples):`,
        );
        console.log(`  ${stepLine(profile.step).trim()}`);
        console.log(`  by kind: ${profile.summary.byKind.map((k) => `${k.kind} ${k.share} %`).join(', ')}`);
        for (const t of profile.summary.top)
          console.log(`  ${String(t.share).padStart(5)} %  ${t.fn}  ${t.where}`);
      }
    }
  }

  const loadEnd = loadavg();
  console.log(
    `\nquota: ${quotaCores} core per system (CFS ${systems[0]?.quota.quotaUs}/${systems[0]?.quota.periodUs} us), viewers per core = max viewers / quota`,
  );
  console.log(`load average (1/5/15 min): start ${loadStart.join(' ')}, end ${loadEnd.join(' ')}`);
  console.log(`wall time ${round((performance.now() - t0) / 60_000, 1)} min`);
  await writeResults(new URL('./last-run.json', import.meta.url), {
    startedAt,
    commit,
    command,
    method: {
      quota: `each system under test in its own cgroup v1 cpu group: cfs_quota_us/cfs_period_us = ${systems[0]?.quota.quotaUs}/${systems[0]?.quota.periodUs} (${quotaCores} core); viewers per core = max viewers / quota`,
      viewers: `${llShare === 0 ? 'plain (non-LL) viewers' : `LL share ${llShare}`} on the lowest rendition (--abr false; passthrough only, so the single video rendition plus audio), corral loadtest as its own process, ${threads} threads, 2 sockets per viewer`,
      step: `${rampS} s ramp + ${steadyS} s steady; doubling from ${start}, then bisecting to within ${precision * 100} %; systems alternate step by step`,
      pass: `0 rebuffers, segment p99 < ${SEGMENT_P99_MS} ms, 0 failed requests, 0 failed viewers, every viewer started playing (whole step, ramp included)`,
      unjudged: `a step where a generator thread's loop was busy >= ${busyMax} of the time or its loop delay p99 >= ${lagMaxMs} ms`,
    },
    options: {
      maxMinutes,
      quotaCores,
      start,
      minViewers,
      maxViewers,
      precision,
      rampS,
      steadyS,
      llShare,
      sharedReads,
      refreshFirst,
      threads,
      busyMax,
      lagMaxMs,
      size,
      kbps,
      maxLoad,
    },
    load: { start: loadStart, beforeMeasuring: quiet, end: loadEnd },
    originCacheControl: originHeaders,
    results: rows,
    ratioCorralOverNginx: ratio,
    ratioCorralOverNginxByCpuUsed: ratioMeasured,
    goalMet: ratio === null ? null : ratio >= 1,
    steps: systems.flatMap((s) => s.steps),
    profile: profile ? { viewers: profile.viewers, summary: profile.summary, step: profile.step } : null,
  });
});
