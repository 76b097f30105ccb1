/**
 * The bytes behind one rendition's playlist window, kept so that an origin which lost them (a
 * restart, an outage) can be given them again. Bounded by the window: it holds the listed
 * segments and the init segments they map, and is pruned as the window scrolls. A segment's
 * parts are views into the segment's own bytes (in LL-HLS a segment is its parts back to back),
 * so they cost nothing beyond it.
 */
export class WindowMedia {
  readonly #inits = new Map<string, Buffer>();
  readonly #segments = new Map<string, { body: Buffer; parts: Map<string, Buffer> }>();
  #bytes = 0;

  init(uri: string, body: Buffer): void {
    this.#bytes += body.length - (this.#inits.get(uri)?.length ?? 0);
    this.#inits.set(uri, body);
  }

  /** A complete segment; `parts` (URI and size, in order) tile its body from the start. */
  segment(uri: string, body: Buffer, parts: ReadonlyArray<{ uri: string; bytes: number }> = []): void {
    const views = new Map<string, Buffer>();
    let at = 0;
    for (const p of parts) {
      views.set(p.uri, body.subarray(at, at + p.bytes));
      at += p.bytes;
    }
    // Sizes that do not add up would hand out wrong bytes under a part's name: keep no parts then.
    if (at !== body.length) views.clear();
    this.#bytes += body.length - (this.#segments.get(uri)?.body.length ?? 0);
    this.#segments.set(uri, { body, parts: views });
  }

  initBody(uri: string): Buffer | undefined {
    return this.#inits.get(uri);
  }

  segmentBody(uri: string): Buffer | undefined {
    return this.#segments.get(uri)?.body;
  }

  partBody(segmentUri: string, partUri: string): Buffer | undefined {
    return this.#segments.get(segmentUri)?.parts.get(partUri);
  }

  /** Forget everything the window no longer lists (and init segments nothing maps any more). */
  prune(segments: ReadonlySet<string>, maps: ReadonlySet<string>): void {
    for (const [uri, s] of this.#segments) {
      if (segments.has(uri)) continue;
      this.#segments.delete(uri);
      this.#bytes -= s.body.length;
    }
    for (const [uri, body] of this.#inits) {
      if (maps.has(uri)) continue;
      this.#inits.delete(uri);
      this.#bytes -= body.length;
    }
  }

  /** What is held: objects (parts not counted, they are views) and bytes. */
  size(): { objects: number; bytes: number } {
    return { objects: this.#inits.size + this.#segments.size, bytes: this.#bytes };
  }
}
