import type { PackageConfig } from '../config/schema.js';
import type { PlaylistState } from '../origin/types.js';
import type { MediaPlaylist } from '../hls/index.js';
import {
  deltaPlaylistModel,
  renderMediaPlaylist,
  serverControl,
  type LowLatencyState,
  type MediaPlaylistState,
  type PartEntry,
  type PlaylistSegment,
  type RenditionReport,
} from './playlist.js';

/** What an LL-HLS render needs beyond the window itself. */
export interface LiveRender {
  partTargetS: number;
  reports: RenditionReport[];
  delta?: boolean;
  openSegment?: { discontinuity: boolean; mapUri: string };
}

/** Where a rendition's playlist stands, for other renditions' EXT-X-RENDITION-REPORT. */
export interface RenditionPosition {
  lastMsn: number;
  lastPart: number;
}

/**
 * One rendition's rolling playlist: the listed segments, the parts of the segment being built
 * (LL-HLS), what scrolled out and when it may be deleted. Pure state; the rendition pushes.
 * Every change goes through a method that keeps the window valid for players and for the
 * origin's blocking-reload state: media sequence numbers only grow, the window stays bounded,
 * and open parts always belong to the open segment number they are named after.
 */
export class PlaylistWindow {
  readonly #config: PackageConfig;
  readonly #basePath: string;
  #segments: PlaylistSegment[] = [];
  #openParts: PartEntry[] = [];
  /** Media sequence number of the segment being built (its parts are named after it). */
  #openMsn: number | undefined;
  #discontinuitySequence = 0;
  #targetDurationS: number | undefined;
  #ended = false;
  /** Objects that left the playlist, removed once their availability window has passed. */
  readonly #expiring: Array<{ at: number; path: string }> = [];

  constructor(config: PackageConfig, basePath: string) {
    this.#config = config;
    this.#basePath = basePath;
  }

  get targetDurationS(): number | undefined {
    return this.#targetDurationS;
  }

  get ended(): boolean {
    return this.#ended;
  }

  get openMsn(): number | undefined {
    return this.#openMsn;
  }

  get segmentCount(): number {
    return this.#segments.length;
  }

  get openPartCount(): number {
    return this.#openParts.length;
  }

  get lastSegment(): Readonly<PlaylistSegment> | undefined {
    return this.#segments[this.#segments.length - 1];
  }

  get mediaSequence(): number {
    return this.#segments[0]?.sequence ?? 0;
  }

  get discontinuitySequence(): number {
    return this.#discontinuitySequence;
  }

  /** Copies, so a caller cannot reach around the invariants. */
  segments(): PlaylistSegment[] {
    return this.#segments.map((s) => ({ ...s, ...(s.parts ? { parts: [...s.parts] } : {}) }));
  }

  /** The open segment's parts, as listed (copies). */
  openParts(): PartEntry[] {
    return this.#openParts.map((p) => ({ ...p }));
  }

  /** RFC 8216 forbids TARGETDURATION changing once set, so the first value stays. */
  fixTargetDuration(seconds: number): number {
    if (!(seconds >= 1) || !Number.isInteger(seconds)) throw new RangeError(`bad target duration ${seconds}`);
    this.#targetDurationS ??= seconds;
    return this.#targetDurationS;
  }

  /** A publisher (re)started: the playlist is live again. */
  reopen(): void {
    this.#ended = false;
  }

  /** EXT-X-ENDLIST: nothing is being built any more. */
  end(): void {
    this.#ended = true;
    this.closeOpen();
  }

  /**
   * The segment being built now carries `msn` (undefined: not known yet). Parts already listed
   * under another number would be misnamed, so they go.
   */
  open(msn: number | undefined): void {
    if (msn !== this.#openMsn) this.#openParts = [];
    this.#openMsn = msn;
  }

  /** Nothing is being built (the session ended). */
  closeOpen(): void {
    this.#openMsn = undefined;
    this.#openParts = [];
  }

  /** List the next part of the open segment; its URI follows from the open number. */
  addPart(durationS: number, independent: boolean): PartEntry {
    if (this.#openMsn === undefined) throw new Error('addPart without an open segment');
    const entry = { durationS, uri: partUri(this.#openMsn, this.#openParts.length), independent };
    this.#openParts.push(entry);
    return entry;
  }

  /** Forget the open segment's parts (it was dropped); the number stays open. */
  dropOpenParts(): void {
    this.#openParts = [];
  }

  /**
   * Hand over the open parts to the segment `msn` that completes them; none when they were named
   * after another number (they would not match the segment's URIs).
   */
  takeOpenParts(msn: number): PartEntry[] {
    const parts = this.#openMsn === msn ? this.#openParts : [];
    this.#openParts = [];
    return parts;
  }

  /**
   * List a complete segment (or a gap). Its number must follow the last one: a player treats a
   * number that goes back as a different segment. The window is trimmed right away.
   */
  append(segment: PlaylistSegment, now: number): void {
    const last = this.lastSegment;
    if (last && segment.sequence <= last.sequence) {
      throw new RangeError(`segment ${segment.sequence} does not follow ${last.sequence}`);
    }
    if (!(segment.durationS > 0)) throw new RangeError(`segment ${segment.sequence} has no duration`);
    segment.parts?.forEach((p, i) => {
      if (p.uri !== partUri(segment.sequence, i))
        throw new RangeError(`part ${p.uri} is not in ${segment.sequence}`);
    });
    this.#segments.push({ ...segment, ...(segment.parts ? { parts: [...segment.parts] } : {}) });
    this.#trim(now, segment.mapUri);
  }

  /** Keep at least `windowSegments` and at least 3 target durations listed (RFC 8216 6.2.2). */
  #trim(now: number, currentMap: string): void {
    const minS = 3 * (this.#targetDurationS ?? 1);
    const removeAt = now + this.#config.availabilityS * 1000;
    while (this.#segments.length > this.#config.windowSegments) {
      const rest = this.#segments.slice(1).reduce((t, s) => t + s.durationS, 0);
      if (rest < minS) break;
      const gone = this.#segments.shift()!;
      // DISCONTINUITY-SEQUENCE counts discontinuities that scrolled out of the window.
      if (gone.discontinuity) this.#discontinuitySequence++;
      this.#expiring.push({ at: removeAt, path: this.#basePath + gone.uri });
      for (const p of gone.parts ?? []) this.#expiring.push({ at: removeAt, path: this.#basePath + p.uri });
      const stillMapped = this.#segments.some((s) => s.mapUri === gone.mapUri) || gone.mapUri === currentMap;
      if (!stillMapped) this.#expiring.push({ at: removeAt, path: this.#basePath + gone.mapUri });
    }
  }

  /** Paths whose availability window has passed. */
  due(now: number): string[] {
    const out: string[] = [];
    while (this.#expiring.length > 0 && this.#expiring[0]!.at <= now) out.push(this.#expiring.shift()!.path);
    return out;
  }

  /** The open segment's number, when it is really after the last listed one. */
  #openAfterLast(): number | undefined {
    const last = this.#segments[this.#segments.length - 1];
    const lastMsn = last ? last.sequence : -1;
    // A stale number (a follower restarted behind the numbering) must never be listed or hinted:
    // the origin rejects a playlist state whose open segment is not after the last one.
    return this.#openMsn !== undefined && this.#openMsn > lastMsn ? this.#openMsn : undefined;
  }

  position(): RenditionPosition {
    const last = this.#segments[this.#segments.length - 1];
    const lastMsn = last ? last.sequence : -1;
    const open = this.#openAfterLast();
    if (this.#openParts.length > 0 && open !== undefined) {
      return { lastMsn: open, lastPart: this.#openParts.length - 1 };
    }
    return { lastMsn, lastPart: last?.parts ? last.parts.length - 1 : -1 };
  }

  /** What this version offers, for the origin's blocking reload and hint hold. */
  state(partTargetS: number): PlaylistState {
    const last = this.#segments[this.#segments.length - 1];
    const lastMsn = last ? last.sequence : -1;
    const pos = this.position();
    const partCounts: Record<number, number> = {};
    for (const s of this.#segments.slice(-6)) if (s.parts) partCounts[s.sequence] = s.parts.length;
    const hint = this.preloadHint();
    const state: PlaylistState = {
      lastMsn,
      partMsn: pos.lastMsn,
      lastPart: pos.lastPart,
      partCounts,
      targetDurationS: this.#targetDurationS ?? 1,
      partTargetS,
      ended: this.#ended,
    };
    if (hint) state.preloadHint = hint;
    return state;
  }

  preloadHint(): string | undefined {
    const open = this.#openAfterLast();
    if (this.#ended || open === undefined) return undefined;
    return partUri(open, this.#openParts.length);
  }

  /** Leading segments a delta update may replace with EXT-X-SKIP (those before the skip boundary). */
  skippable(partTargetS: number): number {
    const { canSkipUntilS } = serverControl(this.#targetDurationS ?? 1, partTargetS);
    const total = this.#segments.reduce((t, s) => t + s.durationS, 0);
    let end = 0;
    let n = 0;
    for (const s of this.#segments) {
      end += s.durationS;
      if (end > total - canSkipUntilS) break;
      n++;
    }
    return n;
  }

  render(ll?: LiveRender): string {
    if (!ll) return renderMediaPlaylist(this.#state());
    return renderMediaPlaylist(this.#state(), this.#live(ll, ll.delta ?? false));
  }

  /**
   * The LL-HLS playlist and its delta update (what each version pushes) as a model fixed now, for
   * writing (writeWithDelta) when someone asks.
   */
  modelWithDelta(ll: LiveRender): { model: MediaPlaylist; skip: number } {
    return deltaPlaylistModel(this.#state(), this.#live(ll, true));
  }

  #state(): MediaPlaylistState {
    return {
      targetDurationS: this.#targetDurationS ?? 1,
      discontinuitySequence: this.#discontinuitySequence,
      segments: this.#segments,
      ended: this.#ended,
    };
  }

  #live(ll: LiveRender, delta: boolean): LowLatencyState {
    return {
      partTargetS: ll.partTargetS,
      openParts: this.#openAfterLast() === undefined ? [] : this.#openParts,
      preloadHint: this.preloadHint(),
      reports: ll.reports,
      ...(ll.openSegment ? { openSegment: ll.openSegment } : {}),
      skipSegments: delta ? this.skippable(ll.partTargetS) : 0,
    };
  }
}

export function partUri(msn: number, index: number): string {
  return `part-${msn}-${index}.m4s`;
}
