/**
 * Room for one segment's LL-HLS parts, written back to back in one buffer. A part is published as
 * a view into it, and once the segment is cut its bytes are the view over all of its parts
 * (`joined`): a segment and its parts then cost their bytes once, in the origin and in every tier
 * of the process that keeps the origin's copy, where a concatenation cost them twice.
 *
 * The buffer is sized from the largest recent segment plus a quarter. A part that does not fit
 * starts a new buffer; the segment is then not contiguous and `joined` returns undefined, so the
 * caller concatenates as before (correct, just one copy more for that segment).
 */
export class PartArena {
  #buf: Buffer | undefined;
  #used = 0;
  /** Bytes of the largest recent segment, decaying slowly so one big GOP does not stay forever. */
  #estimate = 0;

  /**
   * The next `size` bytes, uninitialised, for the caller to write the part into (no copy): the
   * view to publish once written. `first`: the first part of a new segment.
   */
  reserve(size: number, first: boolean): Buffer {
    if (first || this.#buf === undefined || this.#used + size > this.#buf.length) {
      const want = Math.max(size * 4, Math.ceil(this.#estimate * 1.25), 16 * 1024);
      // Never a slice of the shared 8 KB pool: each segment's buffer must go when it does.
      this.#buf = Buffer.allocUnsafeSlow(want);
      this.#used = 0;
    }
    const at = this.#used;
    this.#used += size;
    return this.#buf.subarray(at, this.#used);
  }

  /**
   * The segment made of `parts` (the views `reserve` returned, written, in order) as one view, when they lie
   * back to back in one buffer; undefined otherwise.
   */
  joined(parts: readonly Buffer[]): Buffer | undefined {
    const first = parts[0];
    if (first === undefined) return undefined;
    let end = first.byteOffset;
    for (const p of parts) {
      if (p.buffer !== first.buffer || p.byteOffset !== end) return undefined;
      end += p.length;
    }
    const total = end - first.byteOffset;
    this.#estimate = Math.max(total, Math.floor(this.#estimate * 0.9));
    return Buffer.from(first.buffer, first.byteOffset, total);
  }
}
