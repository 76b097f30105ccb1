import type { AacConfig, H264Config, MediaFrame, StreamSink } from '../media/types.js';
import type { PackageConfig } from '../config/schema.js';
import type { Logger } from '../util/logger.js';
import { describeError } from '../util/errors.js';
import { Rendition, type SegmentEvent } from './rendition.js';
import type { RenditionRole } from './role.js';
import { LeaderRole } from './role-leader.js';
import { FollowerRole } from './role-follower.js';
import { AudioRole } from './role-audio.js';
import { describeTracks } from './tracks.js';
import type { RenditionReport, VariantEntry } from './playlist.js';
import { MultivariantState } from './multivariant.js';
import type { PushQueue } from './push-queue.js';
import type { PushObject } from '../origin/types.js';
import { CutLog } from './cut-log.js';
import { ERROR_ACTIONS, pushProblem, transcoderProblem, type StreamProblem } from './error-actions.js';
import type { StreamTranscoder, TranscoderFactory } from './transcoder-port.js';

export type { StreamTranscoder, TranscoderFactory, TranscoderHooks } from './transcoder-port.js';

export interface LiveStreamDeps {
  /** "live/demo": the stream's path at the origin. */
  path: string;
  config: PackageConfig;
  /** This stream's pushes; the stream takes over deciding what a failed push means. */
  queue: PushQueue;
  log: Logger;
  now: () => number;
  onSegment: (e: SegmentEvent) => void;
  transcoders?: TranscoderFactory;
  /** Package the source audio alone as an audio-only rendition. */
  audioOnly?: boolean;
}

/** What the stream can do to the publisher session in progress when the error table says so. */
interface SessionControl {
  /** Stop packaging this session's media (endStream). */
  halt(): void;
  /** Stop this session's transcoder, if `t` is still it (dropRenditions). */
  dropTranscoder(t: StreamTranscoder): void;
  stopTranscoder(): void;
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
  readonly #multivariant: MultivariantState;
  #hasMedia = false;
  /** Gave up its window copies (see release). */
  #released = false;
  /** Stream-timeline ms where the next session starts. */
  #timelineEnd = 0;
  /** Stream-timeline ms -> wall clock, for the current session (followers share it). */
  #wallAt: (ms: number) => number = () => 0;
  #current: SessionControl | undefined;
  /** Transcoders still exiting: closing the stream waits for them so no ffmpeg outlives it. */
  readonly #stopping = new Set<Promise<void>>();
  sessions = 0;

  constructor(deps: LiveStreamDeps) {
    this.#d = deps;
    this.#multivariant = new MultivariantState(deps.path);
    deps.queue.onFailure = (e, what) => this.#act(pushProblem(e), describeError(e), { what });
    deps.queue.onOriginRestart = () => this.#act('originRestarted', 'a new origin process answered');
    deps.queue.republish = () => this.#republishObjects();
    let audio: Rendition | undefined;
    const leaderRole = new LeaderRole(this.#cuts, {
      part: (media, msn) => audio?.mirrorPart(media, msn),
      segment: (media, seq) => audio?.mirrorSegment(media, seq),
    });
    this.#rendition(LEADER, () => leaderRole);
    if (deps.audioOnly ?? true) audio = this.#rendition(AUDIO, () => new AudioRole());
  }

  get path(): string {
    return this.#d.path;
  }

  /** A publisher sent at least one frame: something may be at the origin or on its way. */
  get hasMedia(): boolean {
    return this.#hasMedia;
  }

  /** Bytes held so an origin that lost them can be given them again (bounded by the windows). */
  retained(): { objects: number; bytes: number } {
    let objects = 0;
    let bytes = 0;
    for (const r of this.#renditions.values()) {
      const n = r.retained();
      objects += n.objects;
      bytes += n.bytes;
    }
    return { objects, bytes };
  }

  /**
   * Everything the origin should hold, in an order that never lets it serve a playlist naming
   * something it lacks: every rendition's media, then the media playlists, then the multivariant
   * (which names the playlists).
   */
  #republishObjects(): PushObject[] {
    if (this.#released) return [];
    const media: PushObject[] = [];
    const playlists: PushObject[] = [];
    for (const r of this.#renditions.values()) {
      const o = r.republishObjects();
      media.push(...o.media);
      if (o.playlist) playlists.push(o.playlist);
    }
    const mv = this.#multivariant.current;
    return [...media, ...playlists, ...(mv ? [mv] : [])];
  }

  #rendition(name: string, role: () => RenditionRole): Rendition {
    let r = this.#renditions.get(name);
    if (!r) {
      const own = this.#d.config.streams[this.#d.path];
      const freshness = own?.freshness ?? this.#d.config.freshness;
      r = new Rendition({
        basePath: `${this.#d.path}/${name}/`,
        name,
        role: role(),
        cuts: this.#cuts,
        config: this.#d.config,
        queue: this.#d.queue,
        now: this.#d.now,
        onSegment: (e) => this.#onSegment(e),
        playlistMaxAgeS: own?.playlistMaxAgeS ?? this.#d.config.playlistMaxAgeS,
        lowLatency:
          freshness === 'push'
            ? { partTargetS: this.#d.config.partTargetS, reports: () => this.#reportsFor(name) }
            : undefined,
      });
      this.#renditions.set(name, r);
    }
    return r;
  }

  /** Apply the error-action table's row for `problem`. */
  #act(
    problem: StreamProblem,
    err: string,
    fields: Record<string, unknown> = {},
    target?: { session: SessionControl; transcoder: StreamTranscoder },
  ): void {
    const rule = ERROR_ACTIONS[problem];
    this.#d.log[rule.level]({ ...fields, err, problem, action: rule.action }, rule.says);
    switch (rule.action) {
      case 'dropRenditions':
        if (target) target.session.dropTranscoder(target.transcoder);
        this.#retireExcept([]);
        return;
      case 'endStream':
        this.#current?.halt();
        return;
      case 'republish':
        this.#d.queue.resync();
        return;
      case 'restart':
      case 'logAndContinue':
        return;
    }
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
    const r = this.#rendition(rung, () => new FollowerRole(this.#cuts));
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
            this.#act('badTranscodedMedia', describeError(e), { rung });
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

  /** Renditions the transcoder no longer makes leave the multivariant playlist and end their own. */
  #retireExcept(rungs: string[]): void {
    for (const r of this.#renditions.values()) {
      if (r.role.transcoded && !rungs.includes(r.name) && !r.retired) {
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
      if (t) this.#stopTranscoder(t);
    };
    const control: SessionControl = {
      halt: () => {
        if (failed) return;
        failed = true;
        stopTranscoder();
        leader.endSession();
        audioOnly?.endSession();
      },
      dropTranscoder: (t) => {
        if (t === transcoder) stopTranscoder();
      },
      stopTranscoder,
    };
    this.#current = control;
    const start = () => {
      const tracks = describeTracks(video, audio);
      leader.startSession(tracks, (ms) => this.#wallAt(ms));
      if (audioOnly && audio)
        audioOnly.startSession(describeTracks(undefined, audio), (ms) => this.#wallAt(ms));
      if (video && tracks.video && this.#d.transcoders) {
        // Filled once the factory returns; a report made before that has nothing to stop yet.
        const made: { t?: StreamTranscoder } = {};
        made.t = this.#d.transcoders(
          this.#d.path,
          {
            outputFor: (rung) => this.#followerSink(rung),
            rungsChanged: (rungs) => this.#retireExcept(rungs),
            problem: (kind, detail) =>
              this.#act(
                transcoderProblem(kind),
                detail,
                {},
                made.t && { session: control, transcoder: made.t },
              ),
          },
          tracks.video,
        );
        transcoder = made.t;
        made.t?.start(video, audio);
      }
      started = true;
    };
    const begin = (): boolean => {
      try {
        start();
        return true;
      } catch (e) {
        this.#act('badSourceMedia', describeError(e));
        return false;
      }
    };
    const restart = () => {
      stopTranscoder();
      leader.endSession();
      audioOnly?.endSession();
      begin();
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
          this.#hasMedia = true;
          const wall0 = this.#d.now();
          offset = this.#timelineEnd - f.dts;
          const base = this.#timelineEnd;
          this.#wallAt = (ms) => wall0 + (ms - base);
        }
        if (!started && !begin()) return;
        const shifted = { ...f, dts: f.dts + offset };
        lastEnd = Math.max(lastEnd, shifted.dts);
        leader.frame(shifted);
        transcoder?.frame(shifted);
      },
      end: (reason) => {
        stopTranscoder();
        leader.endSession();
        audioOnly?.endSession();
        if (this.#current === control) this.#current = undefined;
        // Leave a frame's worth of room so the next session's first frame is strictly later.
        this.#timelineEnd = lastEnd + 40;
        onEnd(reason);
      },
    };
  }

  #stopTranscoder(t: StreamTranscoder): void {
    const stopped: Promise<void> = t
      .stop()
      .catch((e: unknown) => this.#d.log.warn({ err: describeError(e) }, 'transcoder stop failed'))
      .finally(() => this.#stopping.delete(stopped));
    this.#stopping.add(stopped);
  }

  /**
   * An ended stream that lost its registry slot: it keeps no copies any more, so its memory goes
   * with the slot; an origin that restarts now simply no longer has it.
   */
  release(): void {
    this.#released = true;
    for (const r of this.#renditions.values()) r.releaseMedia();
  }

  /** No publisher came back within the grace period: the stream ends for viewers. */
  finish(): Promise<void> {
    for (const r of this.#renditions.values()) r.end();
    return this.close();
  }

  /** Stop the publishing session's transcoder and wait until every transcoder has exited. */
  async close(): Promise<void> {
    this.#current?.stopTranscoder();
    while (this.#stopping.size > 0) await Promise.all([...this.#stopping]);
  }

  #onSegment(e: SegmentEvent): void {
    this.#pushMultivariant();
    this.#d.onSegment(e);
  }

  #pushMultivariant(): void {
    const variants: VariantEntry[] = [];
    const order = [...this.#renditions.values()].sort((a, b) => a.role.rank - b.role.rank);
    for (const r of order) {
      if (r.retired) continue;
      const v = r.variant(`${r.name}/index.m3u8`);
      if (v) variants.push(v);
    }
    const next = this.#multivariant.update(variants);
    if (next) this.#d.queue.put(next);
  }
}
