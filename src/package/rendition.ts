import { mediaLifetimeS, playlistLifetimeS } from '../hls/lifetime.js';
import type { PackageConfig } from '../config/schema.js';
import type { MediaFrame } from '../media/types.js';
import { writeInitSegment } from '../media/index.js';
import { Segmenter, type SegmentMedia } from './segmenter.js';
import { partsListedFrom, writeWithDelta, type RenditionReport, type VariantEntry } from './playlist.js';
import type { PushObject } from '../origin/types.js';
import { withLazyBody } from '../origin/lazy-body.js';
import { mediaPlaylistBytesBound } from '../hls/index.js';
import { WindowMedia } from './window-media.js';
import { AudioClock, buildSegment } from './fragment.js';
import type { SessionTracks } from './tracks.js';
import type { PushQueue } from './push-queue.js';
import type { CutLog } from './cut-log.js';
import { PartBuilder, type PartMedia } from './parts.js';
import { PartArena } from './part-arena.js';
import { PlaylistWindow, type RenditionPosition } from './playlist-window.js';
import type { RenditionRole } from './role.js';

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
  /** The leader's cuts: how long a segment this rendition missed was (listed as a gap). */
  cuts: CutLog;
  /** Cache lifetime asked for plain playlist requests; 0 = the default for the target duration. */
  playlistMaxAgeS?: number;
  /** LL-HLS ("push" freshness): parts, hints, blocking-reload state. Absent: plain HLS ("ttl"). */
  lowLatency?: { partTargetS: number; reports: () => RenditionReport[] };
}

/**
 * One rendition of one stream: cuts frames into segments (and, in LL-HLS, parts), muxes them,
 * keeps the rolling playlist and pushes everything to the origin in order (media before the
 * playlist listing it). Successive publisher sessions continue the same playlist, separated
 * by EXT-X-DISCONTINUITY, and by a new EXT-X-MAP only when the codec configuration changed.
 *
 * A preload hint only ever names a part that will be published. A part is closed by the first
 * frame that does not fit in it, so when it is published that frame already tells whether it is
 * the segment's last: if the same frame cuts the segment, the part goes out in the playlist
 * update that lists the completed segment and hints part 0 of the next one (which that frame
 * opens); otherwise the frame already sits in the next part of the same segment, and that part
 * is hinted. Nothing waits for this knowledge, so parts and hints leave as early as before.
 * Hinting part 0 of the next segment ahead of time (once the open segment reached the target)
 * would instead name the wrong part whenever the GOP runs longer than the target.
 */
export class Rendition {
  readonly #d: RenditionDeps;
  readonly #win: PlaylistWindow;
  #segmenter: Segmenter | undefined;
  #parts: PartBuilder | undefined;
  #openBodies: Buffer[] = [];
  readonly #arena = new PartArena();
  #tracks: SessionTracks | undefined;
  #audioClock: AudioClock | undefined;
  #mapUri = '';
  #initCount = 0;
  /** The init segment #mapUri names: a reconnect with identical bytes keeps the same URI. */
  #initBody: Buffer | undefined;
  /**
   * The publisher is leaving: the segment being closed is the session's last, so no part after
   * it may be hinted (the broadcaster may never come back).
   */
  #closingSession = false;
  /** The last playlist pushed carries a preload hint. */
  #hintOut = false;
  /** The next number this rendition expects to list; a larger one means a gap. */
  #nextSeq = 0;
  #openPts: number | undefined;
  /** moof sequence numbers must increase fragment after fragment, parts included. */
  #fragmentSeq = 1;
  #pendingDiscontinuity = false;
  #wallAt: ((ms: number) => number) | undefined;
  #bitrates: number[] = [];
  #frameRate: number | undefined;
  /** The window's bytes, for an origin that lost them. */
  readonly #media = new WindowMedia();
  #lastPlaylist: PushObject | undefined;
  /** No longer produced (the transcoder dropped it); kept so its numbering survives a revival. */
  retired = false;

  constructor(deps: RenditionDeps) {
    this.#d = deps;
    this.#win = new PlaylistWindow(deps.config, deps.basePath);
  }

  get name(): string {
    return this.#d.name;
  }

  get role(): RenditionRole {
    return this.#d.role;
  }

  get segmentCount(): number {
    return this.#nextSeq;
  }

  position(): RenditionPosition {
    return this.#win.position();
  }

  /** A publisher session starts with these tracks; `wallAt` maps stream ms to wall-clock ms. */
  startSession(tracks: SessionTracks, wallAt: (ms: number) => number): void {
    const c = this.#d.config;
    this.#tracks = tracks;
    this.#wallAt = wallAt;
    this.#segmenter = new Segmenter(
      { targetMs: c.segmentTargetS * 1000, maxMs: c.maxSegmentS * 1000, follow: this.#d.role.follow() },
      tracks.video !== undefined,
    );
    if (this.#win.targetDurationS !== undefined) this.#segmenter.limitTo(this.#win.targetDurationS);
    const ll = this.#d.lowLatency;
    this.#parts =
      ll && this.#d.role.cutsParts
        ? new PartBuilder(ll.partTargetS * 1000, tracks.video !== undefined)
        : undefined;
    this.#audioClock = tracks.audio
      ? new AudioClock(tracks.audio.sampleRate, tracks.audio.samplesPerFrame)
      : undefined;
    // The init segment is a pure function of the tracks, so equal bytes mean an unchanged codec
    // configuration: the URI stays, since some players (VLC) ignore a second EXT-X-MAP. The
    // DISCONTINUITY still marks the reconnect (timestamps and encoder state start afresh).
    const init = writeInitSegment(tracks.tracks);
    if (!this.#initBody?.equals(init)) {
      this.#initBody = init;
      this.#mapUri = `init-${this.#initCount++}.mp4`;
      this.#media.init(this.#mapUri, init);
      // A publisher that keeps changing its codec setup before any segment must not pile up inits.
      this.#pruneMedia();
      this.#d.queue.put({
        path: this.#d.basePath + this.#mapUri,
        kind: 'init',
        contentType: 'video/mp4',
        body: init,
      });
    }
    this.#closingSession = false;
    this.#pendingDiscontinuity = this.#nextSeq > 0;
    this.#win.reopen();
    this.#openPts = undefined;
    if (tracks.video?.frameRate) this.#frameRate = tracks.video.frameRate;
  }

  frame(f: MediaFrame): void {
    const seg = this.#segmenter?.push(f);
    if (seg) {
      // The cut ends the open part too: a part never straddles two segments.
      const last = this.#parts?.closeAt(f.dts);
      if (last) this.#publishPart({ ...last, closes: 'segment' });
      this.#emit(seg);
    }
    this.#trackOpenSegment();
    if (this.#parts && this.#segmenter?.openStartPts !== undefined) {
      const part = this.#parts.push(f);
      if (part) this.#publishPart(part);
    }
  }

  /** The segment being built gets its number as soon as it starts, so its parts can be named and hinted. */
  #trackOpenSegment(): void {
    const start = this.#segmenter?.openStartPts;
    if (start === undefined || start === this.#openPts) return;
    this.#openPts = start;
    this.#open(this.#d.role.segmentOpened(start, this.#nextSeq));
  }

  /** Open parts are named after the open number: another number starts them afresh. */
  #open(msn: number | undefined): void {
    if (msn !== this.#win.openMsn) this.#openBodies = [];
    this.#win.open(msn);
  }

  /** The publisher left: close the partial segment so viewers get every frame we received. */
  endSession(): void {
    this.#closingSession = true;
    const seg = this.#segmenter?.flush();
    if (seg) {
      const last = this.#parts?.closeAt(seg.startMs + seg.durationMs);
      if (last) this.#publishPart({ ...last, closes: 'session' });
      this.#d.role.sessionFlushed(seg);
      this.#emit(seg);
    }
    this.#parts?.reset();
    this.#segmenter = undefined;
    this.#win.closeOpen();
    this.#openBodies = [];
    // A hint still out (the last segment was dropped, or a mirrored session ended without a
    // closing part) names a part that may never come: withdraw it.
    if (this.#hintOut) this.#pushPlaylist();
    this.#closingSession = false;
  }

  /** Package (what the role carries of) a part another rendition cut, under its number. */
  mirrorPart(media: PartMedia, msn: number): void {
    // The source's session ends with this part even when none of it is carried here.
    if (media.closes === 'session') this.#closingSession = true;
    const kept = this.#tracks && this.#d.role.carry(media);
    if (!kept) return;
    this.#open(msn);
    this.#publishPart(media.closes ? { ...kept, closes: media.closes } : kept);
  }

  /** Package (what the role carries of) a segment another rendition cut, under its number. */
  mirrorSegment(media: SegmentMedia, sequence: number): void {
    const kept = this.#tracks && this.#d.role.carry(media);
    if (kept) this.#publish(kept, sequence);
  }

  /** The stream is over for good: EXT-X-ENDLIST. */
  end(): void {
    this.endSession();
    this.#win.end();
    if (this.#win.segmentCount > 0) this.#pushPlaylist();
  }

  #publishPart(media: PartMedia): void {
    const msn = this.#win.openMsn;
    if (msn === undefined || !this.#tracks || this.#d.queue.full) return;
    const first = this.#openBodies.length === 0;
    // Written straight into the segment's arena: the part's bytes are copied once, from the frames.
    const body = buildSegment(this.#fragmentSeq++, media, this.#tracks, this.#audioClock, (size) =>
      this.#arena.reserve(size, first),
    );
    const entry = this.#win.addPart(media.durationMs / 1000, media.independent);
    this.#d.queue.put({
      path: this.#d.basePath + entry.uri,
      kind: 'part',
      contentType: 'video/mp4',
      body,
      maxAgeS: this.#mediaLifetimeS(),
    });
    this.#openBodies.push(body);
    this.#d.role.partPublished(media, msn);
    // A segment's last part is listed by the playlist that lists the segment: listed alone, the
    // hint after it would name a part of this segment that never comes.
    if (!media.closes) this.#pushPlaylist();
  }

  #emit(media: SegmentMedia): void {
    if (media.durationMs <= 0) return;
    const seq = this.#d.role.numberFor(media, this.#nextSeq);
    if (seq === undefined) {
      this.#win.dropOpenParts();
      this.#openBodies = [];
      return;
    }
    if (this.#publish(media, seq)) this.#d.role.segmentPublished(media, seq);
  }

  /** Mux, push and list one segment under `seq`. Returns false when it had to be dropped. */
  #publish(media: SegmentMedia, seq: number): boolean {
    const tracks = this.#tracks!;
    const durationS = media.durationMs / 1000;
    if (this.#win.targetDurationS === undefined) {
      // Fixed by the first segment; later segments are held within it (the segmenter forces a
      // cut past it).
      const fixed = this.#win.fixTargetDuration(
        Math.max(Math.ceil(this.#d.config.segmentTargetS), Math.round(durationS), 1),
      );
      this.#segmenter?.limitTo(fixed);
    }
    const parts = this.#win.takeOpenParts(seq);
    const partBodies = this.#openBodies;
    this.#openBodies = [];
    this.#openNext(seq);
    if (this.#d.queue.full) {
      // The origin is not keeping up: drop this segment rather than queue without bound; the
      // number stays taken (listed as a gap) so every rendition keeps the same numbering.
      this.#pendingDiscontinuity = true;
      return false;
    }
    this.#fillGap(seq, media.startMs);
    this.#nextSeq = seq + 1;
    // In LL-HLS the segment is exactly its parts, back to back, so both paths carry the same bytes.
    const body =
      parts.length > 0
        ? (this.#arena.joined(partBodies) ?? Buffer.concat(partBodies))
        : buildSegment(this.#fragmentSeq++, media, tracks, this.#audioClock);
    const uri = `seg-${seq}.m4s`;
    this.#d.queue.put({
      path: this.#d.basePath + uri,
      kind: 'segment',
      contentType: 'video/mp4',
      body,
      maxAgeS: this.#mediaLifetimeS(),
    });
    this.#media.segment(
      uri,
      body,
      parts.map((p, i) => ({ uri: p.uri, bytes: partBodies[i]?.length ?? -1 })),
    );
    if (!this.#frameRate && media.video.length > 1) {
      this.#frameRate = Math.round((media.video.length * 1000 * 1000) / media.durationMs) / 1000;
    }
    const now = this.#d.now();
    this.#win.append(
      {
        sequence: seq,
        durationS,
        uri,
        programDateTime: Math.round(this.#wallAt!(media.startMs)),
        mapUri: this.#mapUri,
        discontinuity: this.#pendingDiscontinuity,
        ...(parts.length > 0 ? { parts } : {}),
      },
      now,
    );
    this.#pendingDiscontinuity = false;
    this.#pruneMedia();
    this.#bitrates.push((body.length * 8) / durationS);
    if (this.#bitrates.length > 30) this.#bitrates.shift();
    this.#pushPlaylist();
    for (const path of this.#win.due(now)) this.#d.queue.remove(path);
    this.#d.onSegment({
      rendition: this.#d.name,
      sequence: seq,
      durationS,
      bytes: body.length,
      startMs: media.startMs,
    });
    return true;
  }

  #pruneMedia(): void {
    const listed = this.#win.segments();
    this.#media.prune(
      new Set(listed.map((s) => s.uri)),
      new Set([...listed.map((s) => s.mapUri), this.#mapUri]),
    );
  }

  /** Forget every copy kept for republishing (the stream is over and gave up its slot). */
  releaseMedia(): void {
    this.#media.prune(new Set(), new Set());
  }

  /** Bytes held for republishing (see WindowMedia). */
  retained(): { objects: number; bytes: number } {
    return this.#media.size();
  }

  /**
   * What the origin should hold for this rendition now: init segments, the window's segments and
   * listed parts, the open segment's parts (media, in that order), and the newest playlist.
   * Gaps have no media; segments that already scrolled out are not listed and not needed.
   */
  republishObjects(): { media: PushObject[]; playlist: PushObject | undefined } {
    const segments = this.#win.segments();
    const media: PushObject[] = [];
    const maxAgeS = this.#mediaLifetimeS();
    const add = (uri: string, kind: 'init' | 'segment' | 'part', body: Buffer | undefined) => {
      if (!body) return;
      const path = this.#d.basePath + uri;
      media.push({ path, kind, contentType: 'video/mp4', body, ...(kind === 'init' ? {} : { maxAgeS }) });
    };
    for (const map of new Set([...segments.map((s) => s.mapUri), this.#mapUri])) {
      if (map !== '') add(map, 'init', this.#media.initBody(map));
    }
    const partsFrom = this.#d.lowLatency
      ? partsListedFrom(segments, this.#win.targetDurationS ?? 1)
      : segments.length;
    segments.forEach((s, i) => {
      if (s.gap) return;
      add(s.uri, 'segment', this.#media.segmentBody(s.uri));
      if (i >= partsFrom)
        for (const p of s.parts ?? []) add(p.uri, 'part', this.#media.partBody(s.uri, p.uri));
    });
    this.#win.openParts().forEach((p, i) => add(p.uri, 'part', this.#openBodies[i]));
    return { media, playlist: this.#lastPlaylist };
  }

  /**
   * Name the segment after `seq` before the playlist listing `seq` goes out, so that playlist
   * hints the next segment's first part only under the number it will really be published as.
   */
  #openNext(seq: number): void {
    if (this.#closingSession) {
      this.#open(undefined);
      return;
    }
    const start = this.#segmenter?.openStartPts;
    // Cut from this rendition's own frames: the role knows the number of the segment just opened
    // (a follower may have none for it, and then nothing is hinted).
    if (start !== undefined && start !== this.#openPts) this.#trackOpenSegment();
    // Mirrored (audio-only): the source's next segment carries the next number.
    else this.#open(seq + 1);
  }

  /**
   * Numbers this rendition missed (a transcoder restart, a dropped push) are listed as
   * EXT-X-GAP so the media sequence stays aligned with the other renditions.
   */
  #fillGap(seq: number, startMs: number): void {
    if (this.#win.segmentCount === 0 && this.#nextSeq === 0) return;
    const missing = Math.min(seq - this.#nextSeq, this.#d.config.windowSegments);
    if (missing <= 0) return;
    const last = this.#win.lastSegment;
    const now = this.#d.now();
    let pdt = last ? last.programDateTime + last.durationS * 1000 : this.#wallAt!(startMs);
    for (let s = seq - missing; s < seq; s++) {
      const durationS =
        (this.#d.cuts.bySequence(s)?.durationMs ?? this.#d.config.segmentTargetS * 1000) / 1000;
      this.#win.append(
        {
          sequence: s,
          durationS,
          uri: `seg-${s}.m4s`,
          programDateTime: Math.round(pdt),
          mapUri: this.#mapUri,
          discontinuity: false,
          gap: true,
        },
        now,
      );
      pdt += durationS * 1000;
    }
    // The media after a gap follows a hole in the timeline.
    this.#pendingDiscontinuity = true;
  }

  /** How long a new segment or part can still be asked for (hls/lifetime.ts). */
  #mediaLifetimeS(): number {
    const c = this.#d.config;
    return mediaLifetimeS(c.windowSegments, this.#win.targetDurationS ?? 1, c.availabilityS);
  }

  #pushPlaylist(): void {
    if (this.#win.segmentCount === 0 && this.#win.openPartCount === 0) return;
    const ll = this.#d.lowLatency;
    const maxAgeS = this.#win.ended
      ? 60
      : playlistLifetimeS(this.#win.targetDurationS ?? 1, this.#d.playlistMaxAgeS);
    const base = {
      path: this.#d.basePath + 'index.m3u8',
      kind: 'playlist' as const,
      contentType: 'application/vnd.apple.mpegurl',
      maxAgeS,
    };
    let obj: PushObject;
    if (!ll) {
      obj = { ...base, body: Buffer.from(this.#win.render()) };
    } else {
      const reports = ll.reports();
      // A new session's first parts follow its DISCONTINUITY and MAP, not the old session's.
      const openSegment = { discontinuity: this.#pendingDiscontinuity, mapUri: this.#mapUri };
      // A version per part: written only if someone reads it (a viewer, a cache, the HTTP push).
      const version = this.#win.modelWithDelta({ partTargetS: ll.partTargetS, reports, openSegment });
      obj = withLazyBody(
        { ...base, live: this.#win.state(ll.partTargetS) },
        () => {
          const { full, delta } = writeWithDelta(version);
          const body = Buffer.from(full);
          // Nothing to skip yet: the delta is the playlist itself, held once.
          return { body, delta: delta === full ? body : Buffer.from(delta) };
        },
        2 * mediaPlaylistBytesBound(version.model),
        true,
      );
    }
    if (ll) this.#hintOut = this.#win.preloadHint() !== undefined;
    this.#lastPlaylist = obj;
    this.#d.queue.put(obj);
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
