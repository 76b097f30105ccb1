import type { MultivariantPlaylist, Rendition, Variant } from '../hls/index.js';
import { chooseRendition, ThroughputEstimate } from './abr.js';
import { PlaybackBuffer } from './buffer.js';
import { ok, type WorkerContext } from './context.js';
import type { FetchResult } from './fetch.js';
import { followLowLatency } from './ll.js';
import { followPlain } from './plain.js';
import { resolvePath } from './playlists.js';
import { Track } from './track.js';

export type ViewerPhase = 'waiting' | 'starting' | 'playing' | 'stalled' | 'failed' | 'done';

export interface ViewerOptions {
  ll: boolean;
  /** false pins the lowest rung (the cheapest way to drive the most viewers). */
  abr: boolean;
  /** Media seconds buffered before playback starts or resumes. */
  startS: number;
}

/** Variants a player would switch between: those with video, else all of them; by BANDWIDTH. */
export function ladder(mv: MultivariantPlaylist): Variant[] {
  const video = mv.variants.filter(
    (v) => v.resolution !== undefined || v.codecs.some((c) => /^(avc|hvc|hev|av01|vp)/.test(c)),
  );
  return [...(video.length > 0 ? video : mv.variants)].sort((a, b) => a.bandwidth - b.bandwidth);
}

/** The audio rendition to follow beside `v`: the group's DEFAULT=YES one, else its first with a URI. */
export function audioFor(mv: MultivariantPlaylist, v: Variant): Rendition | undefined {
  if (v.audio === undefined) return undefined;
  const group = mv.renditions.filter(
    (r) => r.type === 'AUDIO' && r.groupId === v.audio && r.uri !== undefined,
  );
  return group.find((r) => r.default) ?? group[0];
}

export class Viewer {
  phase: ViewerPhase = 'waiting';
  buffer = new PlaybackBuffer(1, 0);
  rung = 0;
  rungs: Variant[] = [];
  readonly #est = new ThroughputEstimate();
  #base = '';
  segments = 0;
  parts = 0;
  failedMedia = 0;
  skipped = 0;
  switches = 0;
  failure: string | undefined;

  constructor(
    readonly ctx: WorkerContext,
    readonly opts: ViewerOptions,
  ) {}

  get ll(): boolean {
    return this.opts.ll;
  }

  rungPath(): string {
    return resolvePath(this.#base, this.rungs[this.rung]!.uri);
  }

  /** A media fetch of the main track finished: feed the throughput estimate and maybe switch. */
  measured(r: FetchResult, mediaS: number): void {
    this.#est.sample(r.bytes, r.ms);
    if (!this.opts.abr) return;
    this.rung = chooseRendition({
      bandwidths: this.rungs.map((v) => v.bandwidth),
      current: this.rung,
      throughputBps: this.#est.bps,
      lastFetchMs: r.ms,
      lastMediaS: mediaS,
      bufferS: this.buffer.bufferedS(this.ctx.sched.now()),
    });
  }

  /** Current phase, with the buffer brought up to date. */
  observe(nowMs: number): ViewerPhase {
    if (this.phase === 'starting' || this.phase === 'playing' || this.phase === 'stalled') {
      this.buffer.advance(nowMs);
      if (this.buffer.started) this.phase = this.buffer.playing ? 'playing' : 'stalled';
    }
    return this.phase;
  }

  async run(path: string): Promise<void> {
    this.phase = 'starting';
    this.#base = path;
    try {
      const r = await this.ctx.get('multivariant', path);
      const mv = ok(r) && r.text !== undefined ? this.ctx.reader.multivariant(r.text) : undefined;
      if (mv === undefined || mv.variants.length === 0)
        return this.#fail(`multivariant ${r.status || r.error}`);
      this.rungs = ladder(mv);
      const audio = audioFor(mv, this.rungs[0]!);
      this.buffer = new PlaybackBuffer(audio === undefined ? 1 : 2, this.opts.startS);
      const tracks = [new Track(this, 0, this.rungPath(), true)];
      if (audio?.uri !== undefined) tracks.push(new Track(this, 1, resolvePath(path, audio.uri), false));
      await Promise.all(tracks.map((t) => this.#follow(t)));
      if ((this.phase as ViewerPhase) !== 'failed') this.phase = 'done';
    } catch (e) {
      this.#fail((e as Error).message);
    }
  }

  async #follow(t: Track): Promise<void> {
    const first = await t.load(t.path, 'playlist');
    if (first === undefined) return this.#fail('media playlist');
    return this.opts.ll ? followLowLatency(t, first) : followPlain(t, first);
  }

  #fail(why: string): void {
    if (this.ctx.stopped) return;
    this.phase = 'failed';
    this.failure = why;
  }
}
