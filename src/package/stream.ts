import type { AacConfig, H264Config, MediaFrame, StreamSink } from '../media/types.js';
import type { PackageConfig } from '../config/schema.js';
import type { Logger } from '../util/logger.js';
import { describeError } from '../util/errors.js';
import { Rendition, type RenditionRole, type SegmentEvent } from './rendition.js';
import { describeTracks } from './tracks.js';
import { renderMultivariantPlaylist, type RenditionReport, type VariantEntry } from './playlist.js';
import type { PushQueue } from './push-queue.js';
import { CutLog } from './cut-log.js';

/** What the stream needs from a transcoder: fed the leader's media, it feeds follower sinks. */
export interface StreamTranscoder {
  start(video: H264Config, audio: AacConfig | undefined): void;
  frame(f: MediaFrame): void;
  stop(): Promise<void>;
}

export interface TranscoderHooks {
  /** A sink for one transcoded rung's output (a follower rendition). */
  outputFor(rung: string): StreamSink;
  /** The transcoder now produces only these rungs (it degraded): retire the others. */
  rungsChanged(rungs: string[]): void;
}

/** Makes a transcoder for one publisher session, or undefined when there is nothing to make. */
export type TranscoderFactory = (
  streamPath: string,
  hooks: TranscoderHooks,
  source: { width: number; height: number },
) => StreamTranscoder | undefined;

export interface LiveStreamDeps {
  /** "live/demo": the stream's path at the origin. */
  path: string;
  config: PackageConfig;
  queue: PushQueue;
  log: Logger;
  now: () => number;
  onSegment: (e: SegmentEvent) => void;
  transcoders?: TranscoderFactory;
  /** Package the source audio alone as an audio-only rendition. */
  audioOnly?: boolean;
}

const LEADER = 'src';
const AUDIO = 'audio';

/**
 * One live stream across publisher sessions. The passthrough rendition leads: it cuts on the
 * source keyframes, and transcoded and audio-only renditions follow its cuts and numbering.
 * Timestamps of each new session are shifted to continue where the last one ended, so decode
 * times never go backwards for players, and the reconnect is marked with a discontinuity.
 */
export class LiveStream {
  readonly #d: LiveStreamDeps;
  readonly #renditions = new Map<string, Rendition>();
  readonly #cuts = new CutLog();
  #lastMultivariant = '';
  /** Stream-timeline ms where the next session starts. */
  #timelineEnd = 0;
  /** Stream-timeline ms -> wall clock, for the current session (followers share it). */
  #wallAt: (ms: number) => number = () => 0;
  sessions = 0;

  constructor(deps: LiveStreamDeps) {
    this.#d = deps;
    const leader = this.#rendition(LEADER, 'leader');
    if (deps.audioOnly ?? true) {
      const audio = this.#rendition(AUDIO, 'audio');
      leader.onLeaderSegment = (media, seq) => audio.addLeaderSegment(media, seq);
      leader.onLeaderPart = (media, msn) => audio.addLeaderPart(media, msn);
    }
  }

  get path(): string {
    return this.#d.path;
  }

  #rendition(name: string, role: RenditionRole): Rendition {
    let r = this.#renditions.get(name);
    if (!r) {
      const freshness = this.#d.config.streams[this.#d.path]?.freshness ?? this.#d.config.freshness;
      r = new Rendition({
        basePath: `${this.#d.path}/${name}/`,
        name,
        role,
        cuts: this.#cuts,
        config: this.#d.config,
        queue: this.#d.queue,
        now: this.#d.now,
        onSegment: (e) => this.#onSegment(e),
        lowLatency:
          freshness === 'push'
            ? { partTargetS: this.#d.config.partTargetS, reports: () => this.#reportsFor(name) }
            : undefined,
      });
      this.#renditions.set(name, r);
    }
    return r;
  }

  /** EXT-X-RENDITION-REPORT for every other live rendition, so players can switch without a reload. */
  #reportsFor(self: string): RenditionReport[] {
    const out: RenditionReport[] = [];
    for (const r of this.#renditions.values()) {
      if (r.name === self || r.retired) continue;
      const pos = r.position();
      if (pos.lastMsn < 0) continue;
      out.push({ uri: `../${r.name}/index.m3u8`, lastMsn: pos.lastMsn, lastPart: pos.lastPart });
    }
    return out;
  }

  /** A sink for one transcoder output: a follower rendition on the stream's timeline. */
  #followerSink(rung: string): StreamSink {
    const r = this.#rendition(rung, 'follower');
    let video: H264Config | undefined;
    let audio: AacConfig | undefined;
    let started = false;
    return {
      videoConfig: (c) => {
        video = c;
      },
      audioConfig: (c) => {
        audio = c;
      },
      frame: (f) => {
        if (!started) {
          if (!video) return;
          r.retired = false;
          try {
            r.startSession(describeTracks(video, audio), (ms) => this.#wallAt(ms));
          } catch (e) {
            this.#d.log.error({ err: describeError(e), rung }, 'transcoder output rejected');
            return;
          }
          started = true;
        }
        r.frame(f);
      },
      end: () => {
        if (started) r.endSession();
        started = false;
      },
    };
  }

  /** Rungs the transcoder no longer makes leave the multivariant playlist and end their own. */
  #retireExcept(rungs: string[]): void {
    for (const r of this.#renditions.values()) {
      if (r.role === 'follower' && !rungs.includes(r.name) && !r.retired) {
        r.end();
        r.retired = true;
        this.#d.log.warn({ rung: r.name }, 'rendition retired: the transcoder dropped it');
      }
    }
    this.#pushMultivariant();
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
    let lastEnd = this.#timelineEnd;
    let transcoder: StreamTranscoder | undefined;
    const leader = this.#renditions.get(LEADER)!;
    const audioOnly = this.#renditions.get(AUDIO);
    const stopTranscoder = () => {
      const t = transcoder;
      transcoder = undefined;
      t?.stop().catch((e: unknown) => this.#d.log.warn({ err: describeError(e) }, 'transcoder stop failed'));
    };
    const start = () => {
      const tracks = describeTracks(video, audio);
      leader.startSession(tracks, (ms) => this.#wallAt(ms));
      if (audioOnly && audio)
        audioOnly.startSession(describeTracks(undefined, audio), (ms) => this.#wallAt(ms));
      if (video && tracks.video && this.#d.transcoders) {
        transcoder = this.#d.transcoders(
          this.#d.path,
          {
            outputFor: (rung) => this.#followerSink(rung),
            rungsChanged: (rungs) => this.#retireExcept(rungs),
          },
          tracks.video,
        );
        transcoder?.start(video, audio);
      }
      started = true;
    };
    const restart = () => {
      stopTranscoder();
      leader.endSession();
      audioOnly?.endSession();
      try {
        start();
      } catch (e) {
        fail(e);
      }
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
        // New SPS/PPS mid-stream: a new init segment and a discontinuity, same as a reconnect.
        if (started && changed) restart();
      },
      audioConfig: (cfg) => {
        if (failed) return;
        const changed = audio === undefined ? started : !audio.asc.equals(cfg.asc);
        audio = cfg;
        if (started && changed) restart();
      },
      frame: (f: MediaFrame) => {
        if (failed) return;
        if (firstDts === undefined) {
          firstDts = f.dts;
          const wall0 = this.#d.now();
          offset = this.#timelineEnd - f.dts;
          const base = this.#timelineEnd;
          this.#wallAt = (ms) => wall0 + (ms - base);
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
        leader.frame(shifted);
        transcoder?.frame(shifted);
      },
      end: (reason) => {
        stopTranscoder();
        leader.endSession();
        audioOnly?.endSession();
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
    const order = [...this.#renditions.values()].sort((a, b) => rank(a) - rank(b));
    for (const r of order) {
      if (r.retired) continue;
      const v = r.variant(`${r.name}/index.m3u8`);
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

/** Passthrough first (players start on the first entry), then transcoded rungs, audio-only last. */
function rank(r: Rendition): number {
  if (r.role === 'leader') return 0;
  if (r.role === 'audio') return 2;
  return 1;
}

function movedEnough(prev: string, next: string): boolean {
  const bw = (s: string) => [...s.matchAll(/[:,]BANDWIDTH=(\d+)/g)].map((m) => Number(m[1]));
  const a = bw(prev);
  const b = bw(next);
  if (a.length !== b.length) return true;
  if (prev.replace(/BANDWIDTH=\d+/g, '') !== next.replace(/BANDWIDTH=\d+/g, '')) return true;
  return a.some((x, i) => Math.abs(x - b[i]!) > x * 0.1);
}
