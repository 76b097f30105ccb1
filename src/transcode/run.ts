import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import type { Readable, Writable } from 'node:stream';
import type { Logger } from '../util/logger.js';
import { parseAudioTag, parseVideoTag } from '../media/flv-tags.js';
import { FLV_TAG_AUDIO, FLV_TAG_VIDEO, FlvReader, type FlvTag } from '../media/flv-container.js';
import type { StreamSink } from '../media/types.js';
import { describeError } from '../util/errors.js';
import { lendPipeReads } from '../util/shared-reads.js';
import type { FfmpegPlan } from './args.js';
import { trackChild, untrackChild } from './children.js';
import type { Rung } from './ladder.js';
import { ProgressParser, type FfmpegProgress } from './progress.js';

/** How one ffmpeg process ended; the Transcoder turns this into spawnFailed / crashed / stopped. */
export interface RunExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** ENOENT, EACCES...: the process never ran. */
  spawnError: Error | undefined;
  hadOutput: boolean;
  ageMs: number;
  stderrTail: string;
  /** We asked it to stop (stop() or a planned restart). */
  intended: boolean;
}

export interface RunOptions {
  ffmpegPath: string;
  plan: FfmpegPlan;
  rungs: Rung[];
  logger: Logger;
  /** Called at a rung's first output tag: a fresh sink per run, so each run is its own session. */
  outputFor(rungName: string): StreamSink;
  onProgress(run: FfmpegRun, p: FfmpegProgress): void;
  onExit(run: FfmpegRun, exit: RunExit): void;
}

const STDERR_TAIL = 4096;
/** Largest FLV tag we accept back from ffmpeg: a 4K keyframe at a high bitrate fits easily. */
const MAX_OUTPUT_TAG = 16 << 20;

/**
 * One ffmpeg process and everything attached to it: stdin (FLV in), one FLV reader per rung,
 * the progress pipe, the stderr tail. All of it is closed together when the process ends.
 */
export class FfmpegRun {
  readonly child: ChildProcess;
  readonly rungs: Rung[];
  readonly startedAt = Date.now();
  /** Source dts of the run's first keyframe: input is rebased to start at 0, output is shifted back. */
  base: number | undefined;
  /** Latest rebased timestamp written to stdin (to compute how far ffmpeg lags). */
  lastInputTs = 0;
  /** drop_frames as of the previous progress report (the metric is a counter of deltas). */
  lastDropFrames = 0;
  /** How each rung's sink is ended when this run goes; crashes keep the default. */
  endReason: (rung: string) => 'unpublish' | 'disconnect' | 'error' = () => 'error';
  readonly #opts: RunOptions;
  readonly #sinks = new Map<string, StreamSink>();
  /** The rung pipes' handles, moved to shared reads (the child's stdio Sockets no longer read). */
  readonly #lentPipes: net.Socket[] = [];
  #stdin: Writable | null;
  #stderrTail = '';
  #hadOutput = false;
  #spawnError: Error | undefined;
  #intended = false;
  #finished = false;
  readonly exited: Promise<void>;
  #resolveExited!: () => void;

  constructor(opts: RunOptions) {
    this.#opts = opts;
    this.rungs = opts.rungs;
    this.exited = new Promise((resolve) => (this.#resolveExited = resolve));
    const { plan } = opts;
    const stdio: Array<'pipe' | 'ignore'> = ['pipe', 'ignore', 'pipe'];
    for (let fd = 3; fd <= plan.progressFd; fd++) stdio.push('pipe');
    // detached: false keeps ffmpeg in our process group, so a terminal's Ctrl-C reaches it too.
    this.child = spawn(opts.ffmpegPath, plan.args, { stdio, detached: false, windowsHide: true });
    const child = this.child;
    this.#stdin = child.stdin;
    // EPIPE when ffmpeg dies is expected; the exit path reports what happened.
    child.stdin?.on('error', (e) => opts.logger.debug({ err: describeError(e) }, 'ffmpeg stdin error'));
    child.once('error', (e) => {
      this.#spawnError = e;
      // A child that never started emits no 'exit'; finish here so nothing waits forever.
      if (child.pid === undefined) this.#finish(null, null);
    });
    if (child.pid === undefined) return;
    trackChild(child);
    child.stderr?.on('data', (d: Buffer) => {
      this.#stderrTail = (this.#stderrTail + d.toString()).slice(-STDERR_TAIL);
    });
    plan.outputFds.forEach((fd, i) => this.#readOutput(child.stdio[fd] as Readable, opts.rungs[i]!));
    const progress = new ProgressParser();
    (child.stdio[plan.progressFd] as Readable).on('data', (d: Buffer) => {
      for (const p of progress.push(d)) opts.onProgress(this, p);
    });
    child.once('exit', (code, signal) => {
      untrackChild(child);
      // 'close' waits for every pipe to drain (the last tags reach the sinks); if something
      // held a pipe open it would wait forever, so destroy them after a moment.
      setTimeout(() => this.#destroyPipes(), 1000).unref();
      child.once('close', () => this.#finish(code, signal));
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Bytes queued on stdin that ffmpeg has not read yet. */
  get backlog(): number {
    return this.#stdin?.writableLength ?? 0;
  }

  get writable(): boolean {
    return !this.#finished && !this.#intended && this.#stdin !== null && !this.#stdin.destroyed;
  }

  write(buf: Buffer): void {
    if (this.writable) this.#stdin!.write(buf);
  }

  /** End stdin (ffmpeg flushes and exits), SIGTERM after graceMs, SIGKILL after another graceMs. */
  async stop(graceMs: number): Promise<void> {
    this.#intended = true;
    if (this.#finished) return;
    this.#stdin?.end();
    const term = setTimeout(() => this.child.kill('SIGTERM'), graceMs);
    const kill = setTimeout(() => this.child.kill('SIGKILL'), graceMs * 2);
    try {
      await this.exited;
    } finally {
      clearTimeout(term);
      clearTimeout(kill);
    }
  }

  /** Kill at once (broken output): treated as a crash, not an intended stop. */
  kill(): void {
    this.child.kill('SIGKILL');
  }

  /**
   * Each rung's pipe is read into the shared read buffer (no Buffer, 'data' event and tick per
   * read); the reader copies each tag out of it. Where the runtime does not allow that, 'data'.
   */
  #readOutput(stream: Readable, rung: Rung): void {
    const reader = new FlvReader({ maxTagSize: MAX_OUTPUT_TAG });
    const onRead = (chunk: Buffer) => {
      if (this.#finished) return;
      try {
        for (const tag of reader.push(chunk, true)) this.#deliver(rung, tag);
      } catch (e) {
        // Garbage from ffmpeg means this run is broken: restart it rather than feed on.
        this.#opts.logger.error({ rung: rung.name, err: describeError(e) }, 'bad FLV from ffmpeg');
        this.kill();
      }
    };
    const lent = stream instanceof net.Socket ? lendPipeReads(stream, onRead) : undefined;
    if (lent) this.#lentPipes.push(lent);
    else stream.on('data', onRead);
    (lent ?? stream).on('error', () => {});
  }

  #deliver(rung: Rung, tag: FlvTag): void {
    if (tag.type !== FLV_TAG_VIDEO && tag.type !== FLV_TAG_AUDIO) return; // onMetaData
    this.#hadOutput = true;
    let sink = this.#sinks.get(rung.name);
    if (!sink) {
      sink = this.#opts.outputFor(rung.name);
      this.#sinks.set(rung.name, sink);
    }
    // Output timestamps are the rebased input's (-copyts): shift back onto the source timeline.
    const ts = tag.timestamp + (this.base ?? 0);
    const parsed = tag.type === FLV_TAG_VIDEO ? parseVideoTag(tag.body, ts) : parseAudioTag(tag.body, ts);
    // The tag body is the reader's copy of this tag alone (push(..., lent)): nothing else is kept.
    if (parsed.kind === 'frame') sink.frame(parsed.frame);
    else if (parsed.kind === 'config') {
      if (parsed.config.codec === 'h264') sink.videoConfig(parsed.config);
      else sink.audioConfig(parsed.config);
    }
  }

  #destroyPipes(): void {
    for (const s of this.child.stdio) s?.destroy();
    for (const s of this.#lentPipes) s.destroy();
  }

  #finish(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#destroyPipes();
    for (const [name, sink] of this.#sinks) {
      try {
        sink.end(this.endReason(name));
      } catch (e) {
        this.#opts.logger.error({ rung: name, err: describeError(e) }, 'sink end() threw');
      }
    }
    this.#sinks.clear();
    this.#opts.onExit(this, {
      code,
      signal,
      spawnError: this.#spawnError,
      hadOutput: this.#hadOutput,
      ageMs: Date.now() - this.startedAt,
      stderrTail: this.#stderrTail,
      intended: this.#intended,
    });
    this.#resolveExited();
  }
}
