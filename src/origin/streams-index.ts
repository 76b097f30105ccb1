/**
 * The streams the origin serves, for /streams.json. Maintained on every put and remove of a
 * 'multivariant' object, so listing never scans the store. A stream is named by the directory
 * that holds its multivariant playlist ("live/demo/index.m3u8" -> "live/demo"). Its media
 * playlists' pushes say whether it is still live: an ended stream stays servable for its
 * availability time but is no longer listed as live.
 */
export interface StreamEntry {
  name: string;
  /** URL path of the multivariant playlist, as a player would request it. */
  playlist: string;
  /** ms since epoch of the last push of that playlist. */
  updatedAt: number;
}

/** "live/demo/src/index.m3u8" -> "live/demo/index.m3u8": the multivariant a media playlist belongs to. */
function multivariantOf(mediaPlaylistPath: string): string {
  const parts = mediaPlaylistPath.split('/');
  return [...parts.slice(0, -2), 'index.m3u8'].join('/');
}

export class StreamsIndex {
  /** Multivariant playlist path -> last update time. */
  readonly #byPath = new Map<string, number>();
  /** Multivariant paths whose stream's latest media playlist push said it ended. */
  readonly #ended = new Set<string>();

  /** Record a put of any kind; multivariant playlists name streams, media playlists say if they ended. */
  onPut(path: string, kind: string, at: number, ended = false): void {
    if (kind === 'multivariant') this.#byPath.set(path, at);
    else this.#byPath.delete(path);
    if (kind !== 'playlist') return;
    const mv = multivariantOf(path);
    if (ended) this.#ended.add(mv);
    else this.#ended.delete(mv);
  }

  onRemove(path: string): void {
    this.#byPath.delete(path);
    this.#ended.delete(path);
  }

  /** O(streams), which is small (bounded by maxStreams), not O(objects). */
  onRemovePrefix(prefix: string): void {
    for (const path of [...this.#byPath.keys()]) if (path.startsWith(prefix)) this.onRemove(path);
    // A stream whose media playlists were pushed without a multivariant still has an entry here.
    for (const path of [...this.#ended]) if (path.startsWith(prefix)) this.#ended.delete(path);
  }

  paths(): string[] {
    return [...this.#byPath.keys()];
  }

  /** Live streams only: an ended one is still servable but nothing to offer a new viewer. */
  list(): StreamEntry[] {
    const out: StreamEntry[] = [];
    for (const [path, updatedAt] of this.#byPath) {
      if (this.#ended.has(path)) continue;
      const slash = path.lastIndexOf('/');
      out.push({ name: slash === -1 ? '' : path.slice(0, slash), playlist: `/${path}`, updatedAt });
    }
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }
}
