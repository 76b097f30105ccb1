import { monitorEventLoopDelay, performance, type EventLoopUtilization } from 'node:perf_hooks';
import { WorkerContext } from './context.js';
import { PlaylistReader } from './playlists.js';
import { arrivalOffsetMs, isLowLatency, type ProfileName } from './profile.js';
import { Scheduler } from './scheduler.js';
import { threadCpuS } from './thread-cpu.js';
import type { FromWorker, Snapshot } from './snapshot.js';
import { newTally } from './tally.js';
import { Viewer, type ViewerPhase } from './viewer.js';
import { WirePool } from './wire.js';

export interface WorkerSpec {
  worker: number;
  threads: number;
  host: string;
  port: number;
  path: string;
  viewers: number;
  profile: ProfileName;
  rampS: number;
  llShare: number;
  abr: boolean;
  startS: number;
  /** Sockets this worker's pool may open. */
  sockets: number;
}

function rungLabel(v: { bandwidth: number; resolution?: { height: number } } | undefined): string {
  if (v === undefined) return 'none';
  const kbps = `${Math.round(v.bandwidth / 1000)}k`;
  return v.resolution === undefined ? kbps : `${v.resolution.height}p ${kbps}`;
}

const LAG_RESOLUTION_MS = 10;

/** The histogram records each sampling interval whole; the lag is what exceeds the interval. */
function lagMs(ns: number): number {
  return Math.max(0, ns / 1e6 - LAG_RESOLUTION_MS);
}

/**
 * The viewers of one worker thread (viewer i belongs to worker i mod threads, so a ramp stays
 * interleaved), their shared socket pool and scheduler, and the per-second report. Runs the same
 * inside a worker_thread or on the caller's thread.
 */
export class LoadWorker {
  readonly #spec: WorkerSpec;
  readonly #post: (m: FromWorker) => void;
  readonly #ctx: WorkerContext;
  readonly #viewers: Viewer[] = [];
  readonly #lagAll = monitorEventLoopDelay({ resolution: LAG_RESOLUTION_MS });
  readonly #lagNow = monitorEventLoopDelay({ resolution: LAG_RESOLUTION_MS });
  readonly #elu0 = performance.eventLoopUtilization();
  #eluLast: EventLoopUtilization = this.#elu0;
  #timer: ReturnType<typeof setInterval> | undefined;
  readonly #cpu0 = threadCpuS();

  constructor(spec: WorkerSpec, post: (m: FromWorker) => void) {
    this.#spec = spec;
    this.#post = post;
    this.#ctx = new WorkerContext(
      new WirePool({ host: spec.host, port: spec.port }, spec.sockets),
      new Scheduler(),
      newTally(),
      new PlaylistReader(),
    );
    for (let i = spec.worker; i < spec.viewers; i += spec.threads) {
      this.#viewers.push(
        new Viewer(this.#ctx, { ll: isLowLatency(i, spec.llShare), abr: spec.abr, startS: spec.startS }),
      );
    }
    this.#lagAll.enable();
    this.#lagNow.enable();
  }

  /** Schedules every arrival relative to `t0Wall` (Date.now() time, shared by all threads). */
  start(t0Wall: number): void {
    const s = this.#spec;
    const t0 = this.#ctx.sched.now() + (t0Wall - Date.now());
    this.#viewers.forEach((v, k) => {
      const i = s.worker + k * s.threads;
      this.#ctx.sched.at(t0 + arrivalOffsetMs(s.profile, i, s.viewers, s.rampS), () => void v.run(s.path));
    });
    this.#timer = setInterval(() => this.#post({ type: 'snapshot', snapshot: this.snapshot() }), 1000);
  }

  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    const snapshot = this.snapshot();
    const ctx = this.#ctx;
    ctx.stopped = true;
    ctx.sched.stop();
    ctx.pool.destroy();
    this.#lagAll.disable();
    this.#lagNow.disable();
    this.#post({
      type: 'final',
      final: {
        snapshot,
        edgeMisses: [...ctx.edgeMisses],
        objects: [...ctx.objects],
        edges: [...ctx.reader.edges],
      },
    });
  }

  snapshot(): Snapshot {
    const now = this.#ctx.sched.now();
    const phases: Record<ViewerPhase, number> = {
      waiting: 0,
      starting: 0,
      playing: 0,
      stalled: 0,
      failed: 0,
      done: 0,
    };
    const arrived = { ll: 0, plain: 0 };
    const media = { plainSegments: 0, llSegments: 0, llParts: 0, failed: 0, skipped: 0 };
    const rungs: Record<string, number> = {};
    const failures: Record<string, number> = {};
    let startedPlaying = 0;
    let rebuffers = 0;
    let viewersWithRebuffers = 0;
    let stallS = 0;
    let switches = 0;
    for (const v of this.#viewers) {
      const phase = v.observe(now);
      phases[phase]++;
      if (phase === 'waiting') continue;
      arrived[v.ll ? 'll' : 'plain']++;
      if (v.buffer.started) startedPlaying++;
      if (v.ll) {
        media.llSegments += v.segments;
        media.llParts += v.parts;
      } else media.plainSegments += v.segments;
      media.failed += v.failedMedia;
      media.skipped += v.skipped;
      rebuffers += v.buffer.rebuffers;
      if (v.buffer.rebuffers > 0) viewersWithRebuffers++;
      stallS += v.buffer.stalledMs(now) / 1000;
      switches += v.switches;
      if (phase === 'failed') failures[v.failure ?? '?'] = (failures[v.failure ?? '?'] ?? 0) + 1;
      else if (v.rungs.length > 0) {
        const label = rungLabel(v.rungs[v.rung]);
        rungs[label] = (rungs[label] ?? 0) + 1;
      }
    }
    const eluNow = performance.eventLoopUtilization(this.#eluLast);
    this.#eluLast = performance.eventLoopUtilization();
    const eluAll = performance.eventLoopUtilization(this.#elu0);
    const lagNow = this.#lagNow.count > 0 ? lagMs(this.#lagNow.percentile(99)) : 0;
    this.#lagNow.reset();
    const sockets = this.#ctx.pool.sockets;
    const cpu = threadCpuS();
    return {
      worker: this.#spec.worker,
      cpuS: cpu === undefined || this.#cpu0 === undefined ? undefined : cpu - this.#cpu0,
      atWall: Date.now(),
      phases,
      arrived,
      startedPlaying,
      tally: this.#ctx.tally,
      media,
      rebuffers,
      viewersWithRebuffers,
      stallS,
      switches,
      rungs,
      failures,
      elu: eluNow.utilization,
      eluAll: eluAll.utilization,
      lagP99Ms: lagNow,
      lagAllP99Ms: this.#lagAll.count > 0 ? lagMs(this.#lagAll.percentile(99)) : 0,
      lagAllMaxMs: this.#lagAll.count > 0 ? lagMs(this.#lagAll.max) : 0,
      sockets,
    };
  }
}
