import type { Registry } from 'prom-client';
import type { TranscodeConfig } from '../config/schema.js';
import { FlvWriter } from '../media/flv-container.js';
import type { AacConfig, H264Config, MediaFrame, StreamSink } from '../media/types.js';
import { CorralError } from '../util/errors.js';
import { TypedEmitter } from '../util/events.js';
import type { Logger } from '../util/logger.js';
import { buildFfmpegArgs, fasterPreset } from './args.js';
import type { Rung } from './ladder.js';
import { transcodeMetrics, type TranscodeMetrics } from './metrics.js';
import type { FfmpegProgress } from './progress.js';
import { FfmpegRun, type RunExit } from './run.js';

export type DegradeStep = 'dropRung' | 'fasterPreset';

export interface TranscodeProgress extends FfmpegProgress {
  /** How far ffmpeg's output trails what we fed it, in ms of media. */
  lagMs: number | undefined;
  preset: string;
  rungs: string[];
}

export type TranscoderEvents = {
  /** ffmpeg could not run at all (missing, not executable, refused its arguments). No retry. */
  spawnFailed: { error: CorralError };
  /** ffmpeg died after starting without being asked to; a restart follows unless retries ran out. */
  crashed: { code: number | null; signal: NodeJS.Signals | null; stderrTail: string };
  /** A replacement process is running (after a crash). */
  restarted: { pid: number | undefined; attempt: number };
  /** Crashed more than maxRestarts times in a row: the transcoded renditions are gone. */
  failed: { error: CorralError };
  /** stop() finished: the process is reaped and every sink ended. */
  stopped: Record<string, never>;
  progress: TranscodeProgress;
  degraded: { step: DegradeStep; level: number; rungs: string[]; preset: string; reason: string };
  rungsChanged: { rungs: Rung[] };
};

export interface TranscoderOptions {
  ffmpegPath: string;
  config: TranscodeConfig;
  /** The planned ladder (planLadder), top first. Must not be empty. */
  rungs: Rung[];
  logger: Logger;
  registry?: Registry;
  /** Stream name, for logs and metric labels. */
  streamPath: string;
  /** Where a rung's media goes; called once per rung per ffmpeg run (each run is a new session). */
  outputFor(rungName: string): StreamSink;
}

/** Ignore progress this soon after spawning: ffmpeg's cumulative speed and lag include its start-up. */
const WARMUP_MS = 5000;
/** A run that stayed up this long resets the consecutive-crash count. */
const STABLE_RUN_MS = 30_000;
/** Restarts must be running within 3 s of a crash. */
const MAX_RESTART_DELAY_MS = 2500;

/**
 * One live stream's ABR transcoder: feeds the source to an ffmpeg child as FLV and hands each
 * rung's output to a StreamSink. Three ways a process ends, three events: spawnFailed, crashed
 * (then restarted), stopped. Falling behind real time is never silent: it degrades the plan.
 */
export class Transcoder extends TypedEmitter<TranscoderEvents> {
  readonly #opts: TranscoderOptions;
  readonly #cfg: TranscodeConfig;
  readonly #log: Logger;
  readonly #metrics: TranscodeMetrics;
  #rungs: Rung[];
  #preset: string;
  #level = 0;
  #video: H264Config | undefined;
  #audio: AacConfig | undefined;
  #writer = new FlvWriter({ audio: false, video: true });
  #run: FfmpegRun | undefined;
  #waitKey = true;
  #slowCount = 0;
  #replacing = false;
  #exhausted = false;
  #crashes = 0;
  #restartTimer: NodeJS.Timeout | undefined;
  #stopped = false;
  #stopping: Promise<void> | undefined;
  /** Frames never handed to ffmpeg (buffer full or no process): for tests and logs. */
  inputDropped = 0;

  constructor(opts: TranscoderOptions) {
    super();
    if (opts.rungs.length === 0) throw new Error('Transcoder needs at least one rung');
    this.#opts = opts;
    this.#cfg = opts.config;
    this.#log = opts.logger.child({ stream: opts.streamPath, component: 'transcode' });
    this.#metrics = transcodeMetrics(opts.registry, opts.streamPath);
    this.#rungs = opts.rungs;
    this.#preset = opts.config.preset;
  }

  /** The current ffmpeg's pid (tests kill it to simulate a crash). */
  get pid(): number | undefined {
    return this.#run?.pid;
  }

  /** Bytes waiting on ffmpeg's stdin (bounded by 2 x maxInputBufferBytes plus one frame). */
  get inputBacklog(): number {
    return this.#run?.backlog ?? 0;
  }

  get rungs(): Rung[] {
    return this.#rungs;
  }

  get preset(): string {
    return this.#preset;
  }

  get degradeLevel(): number {
    return this.#level;
  }

  start(video: H264Config, audio?: AacConfig): void {
    if (this.#stopped) throw new Error('Transcoder.start after stop');
    if (this.#video) throw new Error('Transcoder.start called twice');
    this.#video = video;
    this.#audio = audio;
    this.#writer = new FlvWriter({ audio: audio !== undefined, video: true });
    this.#metrics.degradeLevel(0);
    this.#spawn();
  }

  /**
   * Feed one source frame. Never blocks and never queues without bound: past maxInputBufferBytes
   * on ffmpeg's stdin, video is skipped to the next keyframe (a decodable restart point); past
   * twice that, everything is dropped. Each skipped frame is counted.
   */
  frame(f: MediaFrame): void {
    const run = this.#run;
    if (!run || !run.writable) {
      if (this.#video && !this.#stopped) this.#drop();
      return;
    }
    const limit = this.#cfg.maxInputBufferBytes;
    const backlog = run.backlog;
    if (f.type === 'video') {
      if (f.keyframe && backlog <= 2 * limit) {
        this.#waitKey = false;
        run.base ??= f.dts;
      } else if (this.#waitKey || backlog > limit) {
        this.#waitKey = true;
        return this.#drop();
      }
    } else if (run.base === undefined) {
      return; // audio before the first keyframe: ffmpeg would start the timeline on it
    } else if (backlog > 2 * limit) {
      return this.#drop();
    }
    const ts = f.dts - run.base!;
    if (ts < 0) return; // audio a few ms older than the keyframe the run starts at
    run.write(this.#writer.frame(f, ts));
    run.lastInputTs = Math.max(run.lastInputTs, ts);
  }

  /** Stop for good: end stdin, escalate SIGTERM -> SIGKILL, reap, end every sink ('unpublish'). */
  stop(): Promise<void> {
    this.#stopping ??= this.#doStop();
    return this.#stopping;
  }

  async #doStop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#restartTimer);
    const run = this.#run;
    if (run) {
      run.endReason = () => 'unpublish';
      await run.stop(this.#cfg.stopGraceMs);
    }
    this.#metrics.remove();
    this.#log.info('transcoder stopped');
    this.emit('stopped', {});
  }

  #drop(): void {
    this.inputDropped++;
    this.#metrics.inputDropped();
  }

  #spawn(): FfmpegRun {
    const plan = buildFfmpegArgs({ config: this.#cfg, rungs: this.#rungs, preset: this.#preset });
    const run = new FfmpegRun({
      ffmpegPath: this.#opts.ffmpegPath,
      plan,
      rungs: this.#rungs,
      logger: this.#log,
      outputFor: (name) => this.#opts.outputFor(name),
      onProgress: (r, p) => this.#onProgress(r, p),
      onExit: (r, e) => this.#onExit(r, e),
    });
    this.#run = run;
    this.#waitKey = true;
    this.#slowCount = 0;
    // Every run starts with the header and the codec configs: a restarted ffmpeg knows nothing.
    run.write(this.#writer.header());
    run.write(this.#writer.videoConfig(this.#video!));
    if (this.#audio) run.write(this.#writer.audioConfig(this.#audio));
    this.#log.info(
      { pid: run.pid, rungs: this.#rungs.map((r) => r.name), preset: this.#preset },
      'ffmpeg started',
    );
    return run;
  }

  #onExit(run: FfmpegRun, e: RunExit): void {
    if (run === this.#run) this.#run = undefined;
    if (e.intended || this.#stopped) return;
    const early = !e.hadOutput && e.ageMs < this.#cfg.spawnGraceMs && e.code !== 0;
    if (e.spawnError || early) {
      const why = e.spawnError ? e.spawnError.message : `exited with ${e.code ?? e.signal}: ${e.stderrTail}`;
      const error = new CorralError('PROCESS_SPAWN', `ffmpeg failed to start: ${why.trim()}`, {
        cause: e.spawnError,
      });
      this.#log.error({ err: error.message }, 'ffmpeg failed to start');
      this.emit('spawnFailed', { error });
      return;
    }
    this.#log.warn({ code: e.code, signal: e.signal, stderr: e.stderrTail.slice(-1000) }, 'ffmpeg crashed');
    this.emit('crashed', { code: e.code, signal: e.signal, stderrTail: e.stderrTail });
    this.#crashes = e.ageMs >= STABLE_RUN_MS ? 1 : this.#crashes + 1;
    if (this.#crashes > this.#cfg.maxRestarts) {
      const error = new CorralError('PROCESS_EXIT', `ffmpeg crashed ${this.#crashes} times in a row`);
      this.#log.error({ crashes: this.#crashes }, 'giving up on transcoding');
      this.emit('failed', { error });
      return;
    }
    const delay = Math.min(this.#cfg.restartDelayMs * 2 ** (this.#crashes - 1), MAX_RESTART_DELAY_MS);
    this.#restartTimer = setTimeout(() => {
      if (this.#stopped || this.#run) return;
      const next = this.#spawn();
      this.#metrics.restart();
      this.emit('restarted', { pid: next.pid, attempt: this.#crashes });
    }, delay);
  }

  #onProgress(run: FfmpegRun, p: FfmpegProgress): void {
    const lagMs = p.outTimeMs === undefined ? undefined : Math.max(0, run.lastInputTs - p.outTimeMs);
    this.#metrics.progress({
      speed: p.speed,
      fps: p.fps,
      droppedDelta: Math.max(0, p.dropFrames - run.lastDropFrames),
    });
    run.lastDropFrames = p.dropFrames;
    this.emit('progress', { ...p, lagMs, preset: this.#preset, rungs: run.rungs.map((r) => r.name) });
    if (run !== this.#run || this.#replacing || this.#stopped || p.end) return;
    if (Date.now() - run.startedAt < WARMUP_MS || p.speed === undefined || lagMs === undefined) return;
    const slow = p.speed < this.#cfg.slowSpeed && lagMs >= this.#cfg.slowLagMs;
    this.#slowCount = slow ? this.#slowCount + 1 : 0;
    if (this.#slowCount >= this.#cfg.slowReports) {
      const reason = `speed ${p.speed} < ${this.#cfg.slowSpeed} with ${Math.round(lagMs)} ms lag for ${this.#slowCount} reports`;
      this.#slowCount = 0;
      void this.#degrade(reason);
    }
  }

  /**
   * One step down: first drop the top rung (it costs the most), then faster x264 presets, then
   * more rungs. The new plan takes effect with a new ffmpeg process.
   */
  async #degrade(reason: string): Promise<void> {
    const faster = this.#cfg.encoder === 'libx264' ? fasterPreset(this.#preset) : undefined;
    let step: DegradeStep;
    if (this.#rungs.length > 1 && (this.#level === 0 || !faster)) step = 'dropRung';
    else if (faster) step = 'fasterPreset';
    else {
      if (!this.#exhausted)
        this.#log.error({ reason }, 'transcoding is slower than real time and cannot degrade further');
      this.#exhausted = true;
      return;
    }
    const dropped = step === 'dropRung' ? this.#rungs[0]!.name : undefined;
    if (step === 'dropRung') this.#rungs = this.#rungs.slice(1);
    else this.#preset = faster!;
    this.#level++;
    const rungs = this.#rungs.map((r) => r.name);
    this.#log.warn({ step, level: this.#level, rungs, preset: this.#preset, reason }, 'transcoding degraded');
    this.#metrics.degradeLevel(this.#level);
    this.emit('degraded', { step, level: this.#level, rungs, preset: this.#preset, reason });
    if (dropped) this.emit('rungsChanged', { rungs: this.#rungs });
    await this.#replace(dropped);
  }

  /** Planned restart: the old run ends its sinks ('disconnect', or 'unpublish' for a dropped rung). */
  async #replace(dropped: string | undefined): Promise<void> {
    const old = this.#run;
    this.#replacing = true;
    try {
      if (old) {
        old.endReason = (name) => (name === dropped ? 'unpublish' : 'disconnect');
        await old.stop(this.#cfg.stopGraceMs);
      }
      if (!this.#stopped && !this.#run) this.#spawn();
    } finally {
      this.#replacing = false;
    }
  }
}
