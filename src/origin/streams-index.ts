/**
 * The streams the origin serves, for /streams.json. Maintained on every put and remove of a
 * 'multivariant' object, so listing never scans the store. A stream is named by the directory
 * that holds its multivariant playlist ("live/demo/index.m3u8" -> "live/demo").
 */
export interface StreamEntry {
  name: string;
  /** URL path of the multivariant playlist, as a player would request it. */
  playlist: string;
  /** ms since epoch of the last push of that playlist. */
  updatedAt: number;
}

export class StreamsIndex {
  /** Multivariant playlist path -> last update time. */
  readonly #byPath = new Map<string, number>();

  /** Record a put of any kind; only multivariant playlists name streams. */
  onPut(path: string, kind: string, at: number): void {
    if (kind === 'multivariant') this.#byPath.set(path, at);
    else this.#byPath.delete(path);
  }

  onRemove(path: string): void {
    this.#byPath.delete(path);
  }

  /** O(streams), which is small (bounded by maxStreams), not O(objects). */
  onRemovePrefix(prefix: string): void {
    for (const path of [...this.#byPath.keys()]) if (path.startsWith(prefix)) this.#byPath.delete(path);
  }

  paths(): string[] {
    return [...this.#byPath.keys()];
  }

  list(): StreamEntry[] {
    const out: StreamEntry[] = [];
    for (const [path, updatedAt] of this.#byPath) {
      const slash = path.lastIndexOf('/');
      out.push({ name: slash === -1 ? '' : path.slice(0, slash), playlist: `/${path}`, updatedAt });
    }
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }
}
