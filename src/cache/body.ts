/** Where a completed body may find the same bytes already held in this process (util/byte-share.ts). */
export interface BodySharing {
  find(chunks: readonly Buffer[], length: number): Buffer | undefined;
  offer(buf: Buffer): void;
}

/**
 * A response body shared by every client of one object: upstream appends chunks, readers keep a
 * cursor into the same Buffers (never a per-reader copy) and are woken by a direct call when more
 * bytes, the end, or a failure arrive. No timers, no polling.
 */
export class SharedBody {
  readonly chunks: Buffer[] = [];
  length = 0;
  complete = false;
  error: Error | undefined;
  /** From Content-Length when upstream sent one; a body ending at another length has failed. */
  readonly expectedLength: number | undefined;
  readonly #readers = new Set<() => void>();
  readonly #sharing: BodySharing | undefined;

  constructor(expectedLength?: number, sharing?: BodySharing) {
    this.expectedLength = expectedLength;
    this.#sharing = sharing;
  }

  static of(buf: Buffer): SharedBody {
    const b = new SharedBody(buf.length);
    if (buf.length > 0) b.append(buf);
    b.finish();
    return b;
  }

  /** Total length once known: the declared one, or the actual one after the end. */
  get totalLength(): number | undefined {
    return this.complete ? this.length : this.expectedLength;
  }

  get settled(): boolean {
    return this.complete || this.error !== undefined;
  }

  get readers(): number {
    return this.#readers.size;
  }

  append(chunk: Buffer): void {
    if (this.settled || chunk.length === 0) return;
    this.chunks.push(chunk);
    this.length += chunk.length;
    this.#notify();
  }

  finish(): void {
    if (this.settled) return;
    if (this.expectedLength !== undefined && this.length !== this.expectedLength) {
      this.fail(new Error(`body ended at ${this.length} of ${this.expectedLength} bytes`));
      return;
    }
    this.complete = true;
    this.#compact();
    this.#notify();
  }

  /** Bumped when `chunks` is rebuilt; readers holding a chunk index re-derive it. */
  generation = 0;

  /**
   * One copy per object (never per reader): a complete body becomes a single Buffer, so every
   * later hit is one write() instead of a writev of dozens of socket-sized pieces.
   */
  #compact(): void {
    // Another tier of this process holds these very bytes: keep its buffer, drop ours.
    const same = this.#sharing?.find(this.chunks, this.length);
    if (same !== undefined) {
      this.chunks.length = 0;
      this.chunks.push(same);
      this.generation++;
      return;
    }
    this.#compactOwn();
    if (this.chunks.length === 1) this.#sharing?.offer(this.chunks[0]!);
  }

  #compactOwn(): void {
    const only = this.chunks.length === 1 ? this.chunks[0]! : undefined;
    // A lone chunk is usually a slice of the socket's read buffer, which also holds the response
    // headers (and a small body shares it with nothing else): kept as is, a 20-byte 404 body
    // would pin the whole read. Small bodies are copied out so the store holds what it charges.
    if (this.chunks.length === 0 || (only !== undefined && !(only.buffer.byteLength > only.length + 64))) {
      return;
    }
    // allocUnsafeSlow: never a slice of the shared 8 KB pool, which one small body would pin too.
    const whole = Buffer.allocUnsafeSlow(this.length);
    let at = 0;
    for (const c of this.chunks) at += c.copy(whole, at);
    this.chunks.length = 0;
    this.chunks.push(whole);
    this.generation++;
  }

  fail(err: Error): void {
    if (this.settled) return;
    this.error = err;
    this.#notify();
  }

  /** The whole body as one Buffer (small objects only: playlists). */
  concat(): Buffer {
    return this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.length);
  }

  subscribe(fn: () => void): void {
    this.#readers.add(fn);
  }

  unsubscribe(fn: () => void): void {
    this.#readers.delete(fn);
  }

  #notify(): void {
    // A reader may unsubscribe itself while we iterate; Set iteration tolerates that.
    for (const fn of this.#readers) fn();
  }
}
