/**
 * One process, several tiers (`corral start`: origin, shield and edge): each tier fetches an
 * object from the tier above over loopback HTTP, the same way separate machines would, and so
 * would keep its own copy of the same bytes, three copies of every segment. A ByteShare lets the
 * tiers of one process keep one: the origin offers what it stores, and a tier whose fetched body
 * is complete asks for a buffer already held under the same path; if its bytes are equal, the
 * tier keeps that buffer and drops its own copy.
 *
 * Only buffers some store still holds are found: entries are weak references, removed once their
 * buffer is collected, so the map is bounded by what the stores hold (and by `maxPaths`).
 */
export class ByteShare {
  readonly #held = new Map<string, WeakRef<Buffer>>();
  readonly #gone = new FinalizationRegistry<string>((path) => {
    const r = this.#held.get(path);
    if (r !== undefined && r.deref() === undefined) this.#held.delete(path);
  });
  readonly #minBytes: number;
  readonly #maxPaths: number;
  /** Bodies that were found held already, and their bytes: what sharing saved. */
  shared = 0;
  sharedBytes = 0;

  /** Bodies below `minBytes` (playlists, error pages) are not worth a map entry. */
  constructor(opts: { minBytes?: number; maxPaths?: number } = {}) {
    this.#minBytes = opts.minBytes ?? 4096;
    this.#maxPaths = opts.maxPaths ?? 100_000;
  }

  get paths(): number {
    return this.#held.size;
  }

  /** `buf` is held (stored) under `path` and will not be changed; later finds may return it. */
  offer(path: string, buf: Buffer): void {
    if (buf.length < this.#minBytes) return;
    const had = this.#held.get(path)?.deref();
    if (had === buf) return;
    if (had === undefined && this.#held.size >= this.#maxPaths) return;
    this.#held.set(path, new WeakRef(buf));
    this.#gone.register(buf, path);
  }

  /**
   * A buffer held under `path` whose bytes equal `chunks` (in order, `length` in all), or
   * undefined. The comparison is of every byte, so a path that now names other content (a new
   * version, another upstream) is never confused with the old.
   */
  find(path: string, chunks: readonly Buffer[], length: number): Buffer | undefined {
    if (length < this.#minBytes) return undefined;
    const held = this.#held.get(path)?.deref();
    if (held === undefined || held.length !== length) return undefined;
    let at = 0;
    for (const c of chunks) {
      if (held.compare(c, 0, c.length, at, at + c.length) !== 0) return undefined;
      at += c.length;
    }
    this.shared++;
    this.sharedBytes += length;
    return held;
  }
}

/** The path part of a request target (the key a ByteShare uses), or undefined with a query. */
export function sharePath(url: string): string | undefined {
  return url.includes('?') ? undefined : url;
}
