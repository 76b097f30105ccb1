import {
  nextMsn,
  parseMediaPlaylist,
  parseMultivariantPlaylist,
  type MediaPlaylist,
  type MultivariantPlaylist,
} from '../hls/index.js';

/**
 * Playlist parsing shared by every viewer of a worker. Thousands of viewers fetch the same
 * version of the same playlist; parsing it once per version instead of once per viewer keeps the
 * load generator's CPU for requests.
 */
export class PlaylistReader {
  readonly #media = new Map<string, { text: string; pl: MediaPlaylist }>();
  #multivariant: { text: string; pl: MultivariantPlaylist } | undefined;
  /** Per media playlist, the segment being built in the first and the latest version read. */
  readonly edges = new Map<string, { first: number; last: number }>();

  /** `key` is the playlist path without its query; undefined when the text is not a media playlist. */
  media(key: string, text: string): MediaPlaylist | undefined {
    const last = this.#media.get(key);
    if (last !== undefined && last.text === text) return last.pl;
    try {
      const pl = parseMediaPlaylist(text);
      this.#media.set(key, { text, pl });
      const msn = nextMsn(pl);
      const e = this.edges.get(key);
      if (e === undefined) this.edges.set(key, { first: msn, last: msn });
      else e.last = Math.max(e.last, msn);
      return pl;
    } catch {
      return undefined;
    }
  }

  multivariant(text: string): MultivariantPlaylist | undefined {
    if (this.#multivariant?.text === text) return this.#multivariant.pl;
    try {
      const pl = parseMultivariantPlaylist(text);
      this.#multivariant = { text, pl };
      return pl;
    } catch {
      return undefined;
    }
  }
}

export function withoutQuery(path: string): string {
  const q = path.indexOf('?');
  return q < 0 ? path : path.slice(0, q);
}

/** A URI from a playlist at `base` (a path) as a path on the same server (RFC 3986 reference resolution). */
export function resolvePath(base: string, uri: string): string {
  if (uri.startsWith('/') && !uri.startsWith('//')) return uri;
  const dir = withoutQuery(base);
  if (!/^[a-z][a-z0-9+.-]*:|^\/\/|(^|\/)\.\.?(\/|$)/i.test(uri)) {
    return dir.slice(0, dir.lastIndexOf('/') + 1) + uri;
  }
  const u = new URL(uri, `http://x${dir}`);
  return u.pathname + u.search;
}
