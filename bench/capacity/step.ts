/**
 * One step of the capacity search: `corral loadtest` (its own process) drives N viewers at one
 * system for a ramp plus a steady window; meanwhile the system's CPU time (/proc) and its cgroup's
 * throttling are read at the start and end of the steady window. The step is judged from the
 * load generator's report.
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Report } from '../../src/loadgen/report.js';
import type { CpuQuota } from '../lib/cgroup.js';
import { CORRAL_BIN } from '../lib/corral.js';
import { loadavg } from '../lib/loadavg.js';
import { schedCpuSeconds, treeCpuSeconds } from '../lib/procfs.js';
import { sleep, type Procs } from '../lib/procs.js';
import { round } from '../latency/util.js';
import type { Verdict } from './search.js';

export interface StepOptions {
  procs: Procs;
  dir: string;
  system: string;
  /** The multivariant playlist through the system under test. */
  url: string;
  viewers: number;
  rampS: number;
  steadyS: number;
  llShare: number;
  threads: number;
  /** The system's main process: its CPU time and its descendants' (nginx's workers) are read. */
  root: number;
  quota: CpuQuota;
  /** Judging limits. */
  segmentP99Ms: number;
  generatorBusyMax: number;
  generatorLagMaxMs: number;
  /** Extra arguments for the loadtest (e.g. --metrics). */
  extra?: string[];
}

export interface StepResult {
  system: string;
  viewers: number;
  verdict: Verdict;
  /** Why the step did not pass (empty when it did). */
  reasons: string[];
  load1Before: number;
  load1After: number;
  /** Requests per second over the steady window (the report's per-second rows). */
  steadyReqPerS: number;
  reqPerSAvg: number;
  mbitPerSAvg: number;
  segment: { p50: number | null; p99: number | null; count: number };
  playlist: { p50: number | null; p99: number | null };
  socketQueueP99Ms: number | null;
  rebuffers: number;
  viewersWithRebuffers: number;
  /** Seconds into the step (from the first arrival) at which rebuffers happened, and how many. */
  rebuffersAt: Array<[number, number]>;
  failedRequests: number;
  errors: Record<string, number>;
  viewersFailed: number;
  startedPlaying: number;
  /**
   * Server CPU over the steady window: cores used by the scheduler's account (schedstat: what the
   * quota is charged against) and by utime+stime (tick-sampled), and scheduler CPU microseconds
   * per request.
   */
  serverCores: number | null;
  serverCoresTicks: number | null;
  serverUsPerRequest: number | null;
  /** Share of CFS periods in the steady window in which the quota ran out. */
  throttledShare: number | null;
  generator: { busyMax: number; lagP99MaxMs: number; lagMaxMs: number; cores: number };
  renditionMix: Record<string, number>;
  edgeResults: Record<string, number>;
}

/** Scheduler-accounted CPU (what the quota charges) and tick-sampled utime+stime, seconds. */
const cpuOf = (root: number) => ({ sched: schedCpuSeconds(root), ticks: treeCpuSeconds(root) });

function rebuffersAt(r: Report): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let last = 0;
  for (const row of r.series) {
    if (row.rebuffers > last) out.push([row.t, row.rebuffers - last]);
    last = row.rebuffers;
  }
  return out.slice(0, 30);
}

export async function runStep(o: StepOptions): Promise<StepResult> {
  const load1Before = loadavg()[0]!;
  const json = join(o.dir, `loadtest-${o.system}-${o.viewers}.json`);
  const perThread = Math.ceil(o.viewers / Math.max(1, o.threads));
  // Two sockets per viewer (a plain player fetches its video and audio tracks side by side), as
  // real players each hold their own connections; the pool then never queues a request.
  const sockets = Math.min(8000, 2 * perThread + 8);
  const durationS = o.rampS + o.steadyS;
  const child = o.procs.start(`loadtest-${o.system}-${o.viewers}`, process.execPath, [
    ...[CORRAL_BIN, 'loadtest', '--url', o.url, '--viewers', String(o.viewers), '--profile', 'ramp'],
    ...['--ramp-s', String(o.rampS), '--duration', String(durationS), '--ll-share', String(o.llShare)],
    ...['--abr', 'false', '--threads', String(o.threads), '--sockets', String(sockets), '--json', json],
    ...(o.extra ?? []),
  ]);
  // The loadtest takes a moment to start its threads: the steady window is read from the point
  // its first per-second row would be due plus the ramp, approximately; the report's own rows
  // give the request rate exactly.
  const t0 = performance.now();
  let a: { cpu: ReturnType<typeof cpuOf>; stat: ReturnType<CpuQuota['stat']>; t: number } | undefined;
  let b: typeof a;
  while (o.procs.running(child)) {
    const el = (performance.now() - t0) / 1000;
    if (a === undefined && el >= o.rampS + 1.5) a = { cpu: cpuOf(o.root), stat: o.quota.stat(), t: el };
    if (b === undefined && el >= durationS + 0.5) b = { cpu: cpuOf(o.root), stat: o.quota.stat(), t: el };
    await sleep(100);
  }
  const code = await child.exited;
  if (code !== 0) throw new Error(`loadtest exited ${code}:\n${child.tail.join('\n')}`);
  const report = JSON.parse(readFileSync(json, 'utf8')) as Report;
  rmSync(json, { force: true });
  const load1After = loadavg()[0]!;

  const steadyRows = report.series.filter((r) => r.t > o.rampS + 0.5);
  const steadyReqPerS =
    steadyRows.length > 0 ? steadyRows.reduce((t, r) => t + r.requestsPerS, 0) / steadyRows.length : 0;
  let serverCores: number | null = null;
  let serverCoresTicks: number | null = null;
  let serverUsPerRequest: number | null = null;
  let throttledShare: number | null = null;
  if (a && b && b.t > a.t) {
    serverCores = (b.cpu.sched - a.cpu.sched) / (b.t - a.t);
    serverCoresTicks = (b.cpu.ticks - a.cpu.ticks) / (b.t - a.t);
    if (steadyReqPerS > 0) serverUsPerRequest = (serverCores / steadyReqPerS) * 1e6;
    const periods = b.stat.periods - a.stat.periods;
    throttledShare = periods > 0 ? (b.stat.throttled - a.stat.throttled) / periods : null;
  }
  const byKind = Object.values(report.requests.byKind);
  const failedRequests = byKind.reduce((t, k) => t + k.failed, 0);
  const w = report.loadgen.workers;
  const generator = {
    busyMax: Math.max(0, ...w.map((x) => x.busy)),
    lagP99MaxMs: Math.max(0, ...w.map((x) => x.lagP99Ms)),
    lagMaxMs: Math.max(0, ...w.map((x) => x.lagMaxMs)),
    cores: report.loadgen.coresUsed,
  };
  const seg = report.latencyMs.segment;

  const reasons: string[] = [];
  if (report.playback.rebuffers > 0) reasons.push(`${report.playback.rebuffers} rebuffers`);
  if (seg.p99 === null) reasons.push('no segment fetched');
  else if (seg.p99 >= o.segmentP99Ms) reasons.push(`segment p99 ${seg.p99} ms >= ${o.segmentP99Ms}`);
  if (failedRequests > 0) reasons.push(`${failedRequests} failed requests`);
  if (report.viewers.failed > 0) reasons.push(`${report.viewers.failed} viewers failed`);
  if (report.viewers.startedPlaying < o.viewers)
    reasons.push(`${o.viewers - report.viewers.startedPlaying} viewers never started playing`);
  const saturated: string[] = [];
  if (generator.busyMax >= o.generatorBusyMax)
    saturated.push(`generator loop busy ${Math.round(generator.busyMax * 100)} %`);
  if (generator.lagP99MaxMs >= o.generatorLagMaxMs)
    saturated.push(`generator loop lag p99 ${generator.lagP99MaxMs} ms`);
  // A saturated generator offers less than N viewers' requests and measures its own queueing:
  // such a step is judged neither way.
  const verdict: Verdict = saturated.length > 0 ? 'generator' : reasons.length === 0 ? 'pass' : 'fail';

  return {
    system: o.system,
    viewers: o.viewers,
    verdict,
    reasons: verdict === 'generator' ? [...saturated, ...reasons] : reasons,
    load1Before,
    load1After,
    steadyReqPerS: round(steadyReqPerS, 0),
    reqPerSAvg: report.requests.perSecondAvg,
    mbitPerSAvg: report.requests.mbitPerSAvg,
    segment: { p50: seg.p50, p99: seg.p99, count: seg.count },
    playlist: { p50: report.latencyMs.playlist.p50, p99: report.latencyMs.playlist.p99 },
    socketQueueP99Ms: report.latencyMs.socketQueue.p99,
    rebuffers: report.playback.rebuffers,
    rebuffersAt: rebuffersAt(report),
    viewersWithRebuffers: report.playback.viewersWithRebuffers,
    failedRequests,
    errors: report.requests.errors,
    viewersFailed: report.viewers.failed,
    startedPlaying: report.viewers.startedPlaying,
    serverCores: serverCores === null ? null : round(serverCores, 3),
    serverCoresTicks: serverCoresTicks === null ? null : round(serverCoresTicks, 3),
    serverUsPerRequest: serverUsPerRequest === null ? null : round(serverUsPerRequest, 1),
    throttledShare: throttledShare === null ? null : round(throttledShare, 2),
    generator,
    renditionMix: report.renditionMix,
    edgeResults: report.edge.results,
  };
}
