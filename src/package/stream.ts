import type { AacConfig, H264Config, MediaFrame, StreamSink } from '../media/types.js';
import type { PackageConfig } from '../config/schema.js';
import type { Logger } from '../util/logger.js';
import { describeError } from '../util/errors.js';
import { Rendition, type SegmentEvent } from './rendition.js';
import { describeTracks } from './tracks.js';
import { renderMultivariantPlaylist, type VariantEntry } from './playlist.js';
import type { PushQueue } from './push-queue.js';

export interface LiveStreamDeps {
  /** "live/demo": the stream's path at the origin. */
  path: string;
  config: PackageConfig;
  queue: PushQueue;
  log: Logger;
  now: () => number;
  onSegment: (e: SegmentEvent) => void;
}

/**
 * One live stream across publisher sessions. Timestamps of each new session are shifted to
 * continue where the last one ended, so decode times never go backwards for players, and the
 * reconnect is marked with a discontinuity.
 */
export class LiveStream {
  readonly #d: LiveStreamDeps;
  readonly #renditions = new Map<string, Rendition>();
  #lastMultivariant = '';
  /** Stream-timeline ms where the next session starts. */
  #timelineEnd = 0;
  sessions = 0;

  constructor(deps: LiveStreamDeps) {
    this.#d = deps;
    this.#renditions.set(
      'src',
      new Rendition({
        basePath: `${deps.path}/src/`,
        name: 'src',
        config: deps.config,
        queue: deps.queue,
        now: deps.now,
        onSegment: (e) => this.#onSegment(e),
      }),
    );
  }

  get path(): string {
    return this.#d.path;
  }

  /** A sink for one publisher session. */
  openSession(onEnd: (reason: string) => void): StreamSink {
    this.sessions++;
    let video: H264Config | undefined;
    let audio: AacConfig | undefined;
    let started = false;
    let failed = false;
    let offset = 0;
    let firstDts: number | undefined;
    let wall0 = 0;
    let lastEnd = this.#timelineEnd;
    const rendition = this.#renditions.get('src')!;
    const start = () => {
      const tracks = describeTracks(video, audio);
      rendition.startSession(tracks, (ms) => wall0 + (ms - offset - firstDts!));
      started = true;
    };
    const fail = (e: unknown) => {
      failed = true;
      this.#d.log.error(
        { err: describeError(e) },
        'stream media rejected; waiting for the publisher to leave',
      );
    };
    return {
      videoConfig: (cfg) => {
        if (failed) return;
        const changed = video === undefined ? started : !video.avcC.equals(cfg.avcC);
        video = cfg;
        if (started && changed) {
          // New SPS/PPS mid-stream: a new init segment and a discontinuity, same as a reconnect.
          rendition.endSession();
          try {
            start();
          } catch (e) {
            fail(e);
          }
        }
      },
      audioConfig: (cfg) => {
        if (failed) return;
        const changed = audio === undefined ? started : !audio.asc.equals(cfg.asc);
        audio = cfg;
        if (started && changed) {
          rendition.endSession();
          try {
            start();
          } catch (e) {
            fail(e);
          }
        }
      },
      frame: (f: MediaFrame) => {
        if (failed) return;
        if (firstDts === undefined) {
          firstDts = f.dts;
          wall0 = this.#d.now();
          offset = this.#timelineEnd - f.dts;
        }
        if (!started) {
          try {
            start();
          } catch (e) {
            fail(e);
            return;
          }
        }
        const shifted = { ...f, dts: f.dts + offset };
        lastEnd = Math.max(lastEnd, shifted.dts);
        rendition.frame(shifted);
      },
      end: (reason) => {
        rendition.endSession();
        // Leave a frame's worth of room so the next session's first frame is strictly later.
        this.#timelineEnd = lastEnd + 40;
        onEnd(reason);
      },
    };
  }

  /** No publisher came back within the grace period: the stream ends for viewers. */
  finish(): void {
    for (const r of this.#renditions.values()) r.end();
  }

  #onSegment(e: SegmentEvent): void {
    this.#pushMultivariant();
    this.#d.onSegment(e);
  }

  #pushMultivariant(): void {
    const variants: VariantEntry[] = [];
    for (const [name, r] of this.#renditions) {
      const v = r.variant(`${name}/index.m3u8`);
      if (v) variants.push(v);
    }
    if (variants.length === 0) return;
    const text = renderMultivariantPlaylist(variants);
    if (text === this.#lastMultivariant) return;
    // Bit rates are re-measured every segment; re-push only when they move by > 10 %, since
    // players read this playlist once and caches should not churn on noise.
    if (this.#lastMultivariant && !movedEnough(this.#lastMultivariant, text)) return;
    this.#lastMultivariant = text;
    this.#d.queue.put({
      path: `${this.#d.path}/index.m3u8`,
      kind: 'multivariant',
      contentType: 'application/vnd.apple.mpegurl',
      body: Buffer.from(text),
      maxAgeS: 1,
    });
  }
}

function movedEnough(prev: string, next: string): boolean {
  const bw = (s: string) => [...s.matchAll(/[:,]BANDWIDTH=(\d+)/g)].map((m) => Number(m[1]));
  const a = bw(prev);
  const b = bw(next);
  if (a.length !== b.length) return true;
  if (prev.replace(/BANDWIDTH=\d+/g, '') !== next.replace(/BANDWIDTH=\d+/g, '')) return true;
  return a.some((x, i) => Math.abs(x - b[i]!) > x * 0.1);
}
