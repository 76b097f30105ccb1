import type { IncomingHttpHeaders } from 'node:http';
import { renderMediaPlaylist, renderMultivariantPlaylist } from '../hls/render.js';
import type { MediaPlaylist, MediaSegment } from '../hls/model.js';
import { notModified } from '../http/conditional.js';
import { formatHttpDate } from '../http/date.js';

/** One rung of the simulated ladder. */
export interface RenditionSpec {
  name: string;
  /** Bits per second: a 1 s segment is bandwidth / 8 bytes. */
  bandwidth: number;
  /** Share of arriving viewers who watch it (any scale; normalised). */
  share: number;
}

/** The simulated live stream, as the origin serves it. */
export interface StreamSpec {
  /** Served under /live/NAME/. */
  name: string;
  renditions: RenditionSpec[];
  segmentS: number;
  windowSegments: number;
  /** How long a segment can be asked for after it appeared (the packager's maxAgeS for media). */
  segmentLifetimeS: number;
  /** Lifetime the packager asks for its playlists (playlistLifetimeS). */
  playlistMaxAgeS: number;
  /** The origin's 404 lifetime (origin.notFoundMaxAgeS). */
  notFoundMaxAgeS: number;
  /** The origin's cap for immutable objects (origin.immutableMaxAgeS). */
  immutableMaxAgeS: number;
  /** Wall time (ms since the epoch) when segment 0 began: it is complete one segment later. */
  startMs: number;
}

/** An object as the origin holds it: the fields its Cache-Control rule reads (StoredObject's). */
export interface SourceObject {
  kind: 'init' | 'segment' | 'part' | 'playlist' | 'multivariant';
  contentType: string;
  body: Buffer;
  etag: string;
  storedAt: number;
  maxAgeS?: number;
}

/**
 * The origin's Cache-Control for an object: injected (src/origin/serve-object.ts cacheControlFor
 * from the command and the e2e test), so the simulated origin sends what the real one sends.
 */
export type CacheControlFn = (obj: SourceObject, immutableMaxAgeS: number, now: number) => string;

export type ObjectKind = SourceObject['kind'] | 'missing';

export interface SourceAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  kind: ObjectKind;
  /** Rendition index, or -1. */
  rendition: number;
  /** Segment number, or -1. */
  seq: number;
}

/** One zero-filled buffer per size, shared by every object of that size (its own ArrayBuffer). */
const zeros = new Map<number, Buffer>();
function bodyOf(size: number): Buffer {
  let b = zeros.get(size);
  if (b === undefined) {
    b = Buffer.alloc(size);
    zeros.set(size, b);
  }
  return b;
}

/** Text in a Buffer of its own (not a slice of Node's pool, which the cache would copy out). */
function textBody(text: string): Buffer {
  const b = Buffer.alloc(Buffer.byteLength(text));
  b.write(text);
  return b;
}

const PLAYLIST = 'application/vnd.apple.mpegurl';

/**
 * A live HLS stream as a pure function of time: which objects exist at `now` and what the origin
 * answers for each path. The simulator's virtual origin answers from it on the virtual clock;
 * the loopback agreement test serves the same objects over real HTTP on the real clock.
 *
 * Paths: /live/NAME/index.m3u8 (multivariant), /live/NAME/rI/index.m3u8, /live/NAME/rI/init.mp4,
 * /live/NAME/rI/seg-N.m4s.
 */
export class LiveSource {
  readonly spec: StreamSpec;
  readonly #cc: CacheControlFn;
  readonly #segMs: number;
  readonly #prefix: string;
  #multivariant: Buffer | undefined;
  /** Rendered playlist per rendition, for its newest segment. */
  readonly #playlists = new Map<number, { newest: number; body: Buffer }>();

  constructor(spec: StreamSpec, cacheControl: CacheControlFn) {
    this.spec = spec;
    this.#cc = cacheControl;
    this.#segMs = spec.segmentS * 1000;
    this.#prefix = `/live/${spec.name}/`;
  }

  get multivariantPath(): string {
    return `${this.#prefix}index.m3u8`;
  }

  playlistPath(r: number): string {
    return `${this.#prefix}r${r}/index.m3u8`;
  }

  /** Newest complete segment at `now`, -1 before the first. */
  newestAt(now: number): number {
    return Math.floor((now - this.spec.startMs) / this.#segMs) - 1;
  }

  /** When segment `seq` appears at the origin (ms since the epoch). */
  appearsAt(seq: number): number {
    return this.spec.startMs + (seq + 1) * this.#segMs;
  }

  segmentBytes(r: number): number {
    return Math.round((this.spec.renditions[r]!.bandwidth * this.spec.segmentS) / 8);
  }

  answer(path: string, reqHeaders: IncomingHttpHeaders, now: number): SourceAnswer {
    const a = this.#object(path, now);
    if (a.status !== 200) return a;
    const inm = reqHeaders['if-none-match'];
    const etag = a.headers.etag as string;
    if (typeof inm === 'string' && notModified(inm, undefined, etag, undefined)) {
      return { ...a, status: 304, body: Buffer.alloc(0) };
    }
    return a;
  }

  #object(path: string, now: number): SourceAnswer {
    const s = this.spec;
    const q = path.indexOf('?');
    const p = q < 0 ? path : path.slice(0, q);
    if (p === this.multivariantPath) {
      this.#multivariant ??= textBody(this.#renderMultivariant());
      return this.#ok(
        {
          kind: 'multivariant',
          contentType: PLAYLIST,
          body: this.#multivariant,
          etag: '"mv"',
          storedAt: s.startMs,
          maxAgeS: 1,
        },
        now,
        -1,
        -1,
      );
    }
    const m = /^r(\d+)\/(index\.m3u8|init\.mp4|seg-(\d+)\.m4s)$/.exec(p.slice(this.#prefix.length));
    const r = m === null ? -1 : Number(m[1]);
    if (!p.startsWith(this.#prefix) || m === null || r >= s.renditions.length)
      return this.#missing(now, -1, -1);
    const newest = this.newestAt(now);
    if (m[2] === 'index.m3u8') {
      if (newest < 0) return this.#missing(now, r, -1);
      const body = this.#playlist(r, newest);
      const obj: SourceObject = {
        kind: 'playlist',
        contentType: PLAYLIST,
        body,
        etag: `"p${r}-${newest}"`,
        storedAt: this.appearsAt(newest),
        maxAgeS: s.playlistMaxAgeS,
      };
      return this.#ok(obj, now, r, -1);
    }
    if (m[2] === 'init.mp4') {
      const obj: SourceObject = {
        kind: 'init',
        contentType: 'video/mp4',
        body: bodyOf(1000),
        etag: `"i${r}"`,
        storedAt: s.startMs,
      };
      return this.#ok(obj, now, r, -1);
    }
    const seq = Number(m[3]);
    const at = this.appearsAt(seq);
    if (seq > newest || now - at >= s.segmentLifetimeS * 1000) return this.#missing(now, r, seq);
    const obj: SourceObject = {
      kind: 'segment',
      contentType: 'video/mp4',
      body: bodyOf(this.segmentBytes(r)),
      etag: `"s${r}-${seq}"`,
      storedAt: at,
      maxAgeS: s.segmentLifetimeS,
    };
    return this.#ok(obj, now, r, seq);
  }

  #ok(obj: SourceObject, now: number, r: number, seq: number): SourceAnswer {
    return {
      status: 200,
      headers: {
        'content-type': obj.contentType,
        'content-length': String(obj.body.length),
        etag: obj.etag,
        'last-modified': formatHttpDate(obj.storedAt),
        'cache-control': this.#cc(obj, this.spec.immutableMaxAgeS, now),
      },
      body: obj.body,
      kind: obj.kind,
      rendition: r,
      seq,
    };
  }

  #missing(now: number, r: number, seq: number): SourceAnswer {
    void now;
    const body = bodyOf(10);
    return {
      status: 404,
      headers: {
        'content-type': 'text/plain',
        'content-length': String(body.length),
        'cache-control': `public, max-age=${this.spec.notFoundMaxAgeS}`,
      },
      body,
      kind: 'missing',
      rendition: r,
      seq,
    };
  }

  #playlist(r: number, newest: number): Buffer {
    const memo = this.#playlists.get(r);
    if (memo?.newest === newest) return memo.body;
    const s = this.spec;
    const first = Math.max(0, newest - s.windowSegments + 1);
    const segments: MediaSegment[] = [];
    for (let n = first; n <= newest; n++) {
      segments.push({
        uri: `seg-${n}.m4s`,
        durationS: s.segmentS,
        discontinuity: false,
        gap: false,
        parts: [],
        ...(n === first ? { map: 'init.mp4' } : {}),
      });
    }
    const pl: MediaPlaylist = {
      kind: 'media',
      version: 7,
      targetDurationS: Math.ceil(s.segmentS),
      mediaSequence: first,
      discontinuitySequence: 0,
      independentSegments: true,
      skippedSegments: 0,
      segments,
      openParts: [],
      preloadHints: [],
      endList: false,
      renditionReports: [],
    };
    const body = textBody(renderMediaPlaylist(pl));
    this.#playlists.set(r, { newest, body });
    return body;
  }

  #renderMultivariant(): string {
    return renderMultivariantPlaylist({
      kind: 'multivariant',
      version: 7,
      independentSegments: true,
      renditions: [],
      variants: this.spec.renditions.map((x, i) => ({
        uri: `r${i}/index.m3u8`,
        bandwidth: x.bandwidth,
        codecs: ['avc1.64001f', 'mp4a.40.2'],
      })),
    });
  }
}
