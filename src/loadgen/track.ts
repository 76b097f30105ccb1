import { firstListedMsn, nextMsn, type MediaPlaylist, type MediaSegment, type Part } from '../hls/index.js';
import { ok, type WorkerContext } from './context.js';
import type { FetchResult } from './fetch.js';
import { resolvePath, withoutQuery } from './playlists.js';

/** What a track needs of the viewer it plays for (the viewer implements it; no import back). */
export interface TrackOwner {
  readonly ctx: WorkerContext;
  readonly buffer: PlaybackBuffer;
  switches: number;
  segments: number;
  parts: number;
  failedMedia: number;
  skipped: number;
  rungPath(): string;
  measured(r: FetchResult, mediaS: number): void;
}
import type { PlaybackBuffer } from './buffer.js';

/**
 * One media playlist a viewer follows: the chosen variant (the main track, which may switch rungs)
 * or the audio rendition beside it. Holds only what the next request needs.
 */
export class Track {
  /** The init section (EXT-X-MAP) fetched last, so a rung switch or a new map fetches it again. */
  #init: string | undefined;

  constructor(
    readonly viewer: TrackOwner,
    /** Index in the viewer's playback buffer. */
    readonly index: number,
    public path: string,
    readonly main: boolean,
  ) {}

  get ctx(): WorkerContext {
    return this.viewer.ctx;
  }

  /** A playlist request; undefined when it failed or did not parse (counted as an error). */
  async load(path: string, kind: 'playlist' | 'blocking'): Promise<MediaPlaylist | undefined> {
    const r = await this.ctx.get(kind, path);
    if (!ok(r) || r.text === undefined) return undefined;
    const pl = this.ctx.reader.media(withoutQuery(path), r.text);
    if (pl === undefined)
      this.ctx.tally.errors['unparsable playlist'] = (this.ctx.tally.errors['unparsable playlist'] ?? 0) + 1;
    return pl;
  }

  /** The rung the viewer wants now differs from this track's: move at a segment boundary. */
  async switchIfWanted(): Promise<MediaPlaylist | undefined> {
    if (!this.main) return undefined;
    const want = this.viewer.rungPath();
    if (want === this.path) return undefined;
    this.path = want;
    this.viewer.switches++;
    return this.load(want, 'playlist');
  }

  async ensureInit(seg: MediaSegment | undefined): Promise<void> {
    if (seg?.map === undefined) return;
    const path = resolvePath(this.path, seg.map);
    if (path === this.#init) return;
    const r = await this.ctx.get('init', path);
    if (ok(r)) this.#init = path;
  }

  /** Fetches one segment or part and feeds the buffer; false when it failed. */
  async media(kind: 'segment' | 'part', uri: string, durationS: number): Promise<boolean> {
    const r = await this.ctx.get(kind, resolvePath(this.path, uri));
    if (this.ctx.stopped) return false;
    this.#fed(kind, r, durationS);
    return ok(r);
  }

  /** A part already fetched through its preload hint, now listed with its duration. */
  credit(durationS: number): void {
    this.viewer.buffer.append(this.index, durationS, this.ctx.sched.now());
    this.viewer.parts++;
  }

  #fed(kind: 'segment' | 'part', r: FetchResult, durationS: number): void {
    if (!ok(r)) {
      this.viewer.failedMedia++;
      return;
    }
    this.viewer.buffer.append(this.index, durationS, this.ctx.sched.now());
    if (kind === 'segment') this.viewer.segments++;
    else this.viewer.parts++;
    if (this.main) this.viewer.measured(r, durationS);
  }
}

/** The segment numbered `msn`, if listed. */
export function segmentAt(pl: MediaPlaylist, msn: number): MediaSegment | undefined {
  return pl.segments[msn - firstListedMsn(pl)];
}

/** Parts listed for segment `msn`, and whether that segment is complete. */
export function partsOf(pl: MediaPlaylist, msn: number): { parts: Part[]; complete: boolean } {
  if (msn < nextMsn(pl)) return { parts: segmentAt(pl, msn)?.parts ?? [], complete: true };
  if (msn === nextMsn(pl)) return { parts: pl.openParts, complete: false };
  return { parts: [], complete: false };
}
