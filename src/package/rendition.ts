import type { PackageConfig } from '../config/schema.js';
import type { MediaFrame } from '../media/types.js';
import { writeInitSegment } from '../media/index.js';
import { Segmenter, type SegmentMedia } from './segmenter.js';
import { renderMediaPlaylist, type PlaylistSegment, type VariantEntry } from './playlist.js';
import { AudioClock, buildSegment } from './fragment.js';
import type { SessionTracks } from './tracks.js';
import type { PushQueue } from './push-queue.js';
import type { CutLog } from './cut-log.js';

/**
 * leader: cuts on its own keyframes (the passthrough) and records the cuts; follower: a
 * transcoded rendition that cuts where the leader did; audio: the audio-only rendition, fed
 * the leader's finished segments.
 */
export type RenditionRole = 'leader' | 'follower' | 'audio';

export interface SegmentEvent {
  rendition: string;
  sequence: number;
  durationS: number;
  bytes: number;
  /** Stream-timeline ms of the segment's first frame. */
  startMs: number;
}

export interface RenditionDeps {
  /** "live/demo/src/": where this rendition's objects live at the origin. */
  basePath: string;
  name: string;
  config: PackageConfig;
  queue: PushQueue;
  now: () => number;
  onSegment: (e: SegmentEvent) => void;
  role: RenditionRole;
  cuts: CutLog;
}

/**
 * One rendition of one stream: cuts frames into segments, muxes them, keeps the rolling
 * playlist and pushes everything to the origin in order (segment before the playlist listing
 * it). Media from successive publisher sessions continues the same playlist, separated by
 * EXT-X-DISCONTINUITY and a new EXT-X-MAP.
 */
export class Rendition {
  readonly #d: RenditionDeps;
  #segmenter: Segmenter | undefined;
  #tracks: SessionTracks | undefined;
  #audioClock: AudioClock | undefined;
  #mapUri = '';
  #initCount = 0;
  /** The next number this rendition expects to list; a larger one means a gap. */
  #nextSeq = 0;
  /** The leader numbers every segment it cuts, listed or dropped. */
  #leaderSeq = 0;
  #announcedPts: number | undefined;
  #pendingDiscontinuity = false;
  #wallAt: ((ms: number) => number) | undefined;
  #targetDurationS: number | undefined;
  #segments: PlaylistSegment[] = [];
  #discontinuitySequence = 0;
  #ended = false;
  /** Objects that left the playlist, removed once their availability window has passed. */
  #expiring: Array<{ at: number; path: string }> = [];
  #bitrates: number[] = [];
  #frameRate: number | undefined;

  constructor(deps: RenditionDeps) {
    this.#d = deps;
  }

  get segmentCount(): number {
    return this.#nextSeq;
  }

  /** No longer produced (the transcoder dropped it); kept so its numbering survives a revival. */
  retired = false;

  get name(): string {
    return this.#d.name;
  }

  get role(): RenditionRole {
    return this.#d.role;
  }

  /** A publisher session starts with these tracks; `wallAt` maps stream ms to wall-clock ms. */
  startSession(tracks: SessionTracks, wallAt: (ms: number) => number): void {
    const c = this.#d.config;
    this.#tracks = tracks;
    this.#wallAt = wallAt;
    const cuts = this.#d.cuts;
    this.#segmenter = new Segmenter(
      {
        targetMs: c.segmentTargetS * 1000,
        maxMs: c.maxSegmentS * 1000,
        follow:
          this.#d.role === 'follower'
            ? { nextCutAfter: (ms) => cuts.nextAfter(ms)?.startMs, toleranceMs: cuts.toleranceMs }
            : undefined,
      },
      tracks.video !== undefined,
    );
    if (this.#targetDurationS !== undefined) this.#segmenter.limitTo(this.#targetDurationS);
    this.#audioClock = tracks.audio
      ? new AudioClock(tracks.audio.sampleRate, tracks.audio.samplesPerFrame)
      : undefined;
    this.#mapUri = `init-${this.#initCount++}.mp4`;
    this.#d.queue.put({
      path: this.#d.basePath + this.#mapUri,
      kind: 'init',
      contentType: 'video/mp4',
      body: writeInitSegment(tracks.tracks),
    });
    this.#pendingDiscontinuity = this.#nextSeq > 0;
    this.#ended = false;
    if (tracks.video?.frameRate) this.#frameRate = tracks.video.frameRate;
  }

  frame(f: MediaFrame): void {
    const seg = this.#segmenter?.push(f);
    if (seg) this.#emit(seg);
    if (this.#d.role === 'leader') {
      // Announce a cut the moment the leader's segment starts, not when it closes a segment
      // later: transcoded renditions reach the same keyframe well within that second.
      const start = this.#segmenter?.openStartPts;
      if (start !== undefined && start !== this.#announcedPts) {
        this.#announcedPts = start;
        this.#d.cuts.record({ startMs: start, sequence: this.#leaderSeq });
      }
    }
  }

  /** The publisher left: close the partial segment so viewers get every frame we received. */
  endSession(): void {
    const seg = this.#segmenter?.flush();
    if (seg) {
      if (this.#d.role === 'leader') this.#d.cuts.close(seg.durationMs);
      this.#emit(seg);
    }
    this.#segmenter = undefined;
  }

  /** Audio-only rendition: package the audio of a segment the leader just finished. */
  addLeaderSegment(media: SegmentMedia, sequence: number): void {
    if (!this.#tracks || media.audio.length === 0) return;
    this.#publish({ ...media, video: [] }, sequence);
  }

  /** Called with each segment this rendition finishes (the stream feeds the audio rendition). */
  onLeaderSegment: ((media: SegmentMedia, sequence: number) => void) | undefined;

  /** The stream is over for good: EXT-X-ENDLIST. */
  end(): void {
    this.endSession();
    this.#ended = true;
    if (this.#segments.length > 0) this.#pushPlaylist();
  }

  #emit(media: SegmentMedia): void {
    if (media.durationMs <= 0) return;
    const role = this.#d.role;
    if (role === 'leader') {
      const seq = this.#leaderSeq++;
      if (this.#publish(media, seq)) this.onLeaderSegment?.(media, seq);
      return;
    }
    // A follower publishes only segments that start where the leader cut, under the leader's
    // number; anything else (a transcoder warming up mid-GOP) would break alignment.
    const cut = this.#d.cuts.at(startPts(media));
    if (!cut || cut.sequence < this.#nextSeq) return;
    this.#publish(media, cut.sequence);
  }

  /** Mux, push and list one segment under `seq`. Returns false when it had to be dropped. */
  #publish(media: SegmentMedia, seq: number): boolean {
    const tracks = this.#tracks!;
    const durationS = media.durationMs / 1000;
    if (this.#targetDurationS === undefined) {
      // Fixed by the first segment: RFC 8216 forbids TARGETDURATION changing later, so later
      // segments are held within it (the segmenter forces a cut past it).
      this.#targetDurationS = Math.max(Math.ceil(this.#d.config.segmentTargetS), Math.round(durationS), 1);
      this.#segmenter?.limitTo(this.#targetDurationS);
    }
    if (this.#d.queue.full) {
      // The origin is not keeping up: drop this segment rather than queue without bound; the
      // number stays taken (listed as a gap) so every rendition keeps the same numbering.
      this.#pendingDiscontinuity = true;
      return false;
    }
    this.#fillGap(seq, media.startMs);
    this.#nextSeq = seq + 1;
    const body = buildSegment(seq, media, tracks, this.#audioClock);
    const uri = `seg-${seq}.m4s`;
    this.#d.queue.put({ path: this.#d.basePath + uri, kind: 'segment', contentType: 'video/mp4', body });
    if (!this.#frameRate && media.video.length > 1) {
      this.#frameRate = Math.round((media.video.length * 1000 * 1000) / media.durationMs) / 1000;
    }
    this.#segments.push({
      sequence: seq,
      durationS,
      uri,
      programDateTime: Math.round(this.#wallAt!(media.startMs)),
      mapUri: this.#mapUri,
      discontinuity: this.#pendingDiscontinuity,
    });
    this.#pendingDiscontinuity = false;
    this.#bitrates.push((body.length * 8) / durationS);
    if (this.#bitrates.length > 30) this.#bitrates.shift();
    this.#trimWindow();
    this.#pushPlaylist();
    this.#expire();
    this.#d.onSegment({
      rendition: this.#d.name,
      sequence: seq,
      durationS,
      bytes: body.length,
      startMs: media.startMs,
    });
    return true;
  }

  /**
   * Numbers this rendition missed (a transcoder restart, a dropped push) are listed as
   * EXT-X-GAP so the media sequence stays aligned with the other renditions.
   */
  #fillGap(seq: number, startMs: number): void {
    if (this.#segments.length === 0 && this.#nextSeq === 0) return;
    const missing = Math.min(seq - this.#nextSeq, this.#d.config.windowSegments);
    if (missing <= 0) return;
    const last = this.#segments[this.#segments.length - 1];
    let pdt = last ? last.programDateTime + last.durationS * 1000 : this.#wallAt!(startMs);
    for (let s = seq - missing; s < seq; s++) {
      const durationS =
        (this.#d.cuts.bySequence(s)?.durationMs ?? this.#d.config.segmentTargetS * 1000) / 1000;
      this.#segments.push({
        sequence: s,
        durationS,
        uri: `seg-${s}.m4s`,
        programDateTime: Math.round(pdt),
        mapUri: this.#mapUri,
        discontinuity: false,
        gap: true,
      });
      pdt += durationS * 1000;
    }
    // The media after a gap follows a hole in the timeline.
    this.#pendingDiscontinuity = true;
  }

  /** Keep at least `windowSegments` and at least 3 target durations listed (RFC 8216 6.2.2). */
  #trimWindow(): void {
    const minS = 3 * (this.#targetDurationS ?? 1);
    const removeAt = this.#d.now() + this.#d.config.availabilityS * 1000;
    while (this.#segments.length > this.#d.config.windowSegments) {
      const rest = this.#segments.slice(1).reduce((t, s) => t + s.durationS, 0);
      if (rest < minS) break;
      const gone = this.#segments.shift()!;
      // DISCONTINUITY-SEQUENCE counts discontinuities that scrolled out of the window.
      if (gone.discontinuity) this.#discontinuitySequence++;
      this.#expiring.push({ at: removeAt, path: this.#d.basePath + gone.uri });
      const stillMapped =
        this.#segments.some((s) => s.mapUri === gone.mapUri) || gone.mapUri === this.#mapUri;
      if (!stillMapped) this.#expiring.push({ at: removeAt, path: this.#d.basePath + gone.mapUri });
    }
  }

  #expire(): void {
    const now = this.#d.now();
    while (this.#expiring.length > 0 && this.#expiring[0]!.at <= now) {
      this.#d.queue.remove(this.#expiring.shift()!.path);
    }
  }

  #pushPlaylist(): void {
    const text = renderMediaPlaylist({
      targetDurationS: this.#targetDurationS ?? 1,
      discontinuitySequence: this.#discontinuitySequence,
      segments: this.#segments,
      ended: this.#ended,
    });
    this.#d.queue.put({
      path: this.#d.basePath + 'index.m3u8',
      kind: 'playlist',
      contentType: 'application/vnd.apple.mpegurl',
      body: Buffer.from(text),
      // Half a target duration at most, so a cache never hides a whole new segment (RFC 8216 6.2.2 spirit;
      // the LL-HLS server profile asks the same).
      maxAgeS: this.#ended ? 60 : Math.max(0, Math.floor((this.#targetDurationS ?? 1) / 2)),
    });
  }

  /** The multivariant entry, once a segment measured the bit rate. */
  variant(uri: string): VariantEntry | undefined {
    const tracks = this.#tracks;
    if (!tracks || this.#bitrates.length === 0) return undefined;
    const peak = Math.max(...this.#bitrates);
    const avg = this.#bitrates.reduce((a, b) => a + b, 0) / this.#bitrates.length;
    const v: VariantEntry = { uri, bandwidth: peak, averageBandwidth: avg, codecs: tracks.codecs };
    if (tracks.video) v.resolution = { width: tracks.video.width, height: tracks.video.height };
    if (tracks.video && this.#frameRate) v.frameRate = this.#frameRate;
    return v;
  }
}

/** Renditions align on presentation time: a source with B-frames has dts = pts - cts. */
function startPts(media: SegmentMedia): number {
  const first = media.video[0];
  return first ? first.dts + first.cts : media.startMs;
}
