/**
 * Where the master rendition (the passthrough) cut its segments, so every other rendition of
 * the stream cuts at the same instants and gives the segment the same media sequence number:
 * segment N then covers the same time span in every rendition, and a player can switch
 * rendition at any segment boundary. Bounded: old cuts are forgotten.
 */
export interface Cut {
  /** Presentation time of the segment's first frame, ms on the stream timeline. */
  startMs: number;
  sequence: number;
  durationMs?: number;
}

const MAX_CUTS = 512;

export class CutLog {
  readonly #cuts: Cut[] = [];
  /** Half a frame at 30 fps: transcoded timestamps match the source's to the ms. */
  readonly toleranceMs: number;

  constructor(toleranceMs = 17) {
    this.toleranceMs = toleranceMs;
  }

  record(cut: Cut): void {
    const last = this.#cuts[this.#cuts.length - 1];
    if (last && last.durationMs === undefined && cut.startMs > last.startMs) {
      last.durationMs = cut.startMs - last.startMs;
    }
    this.#cuts.push(cut);
    if (this.#cuts.length > MAX_CUTS) this.#cuts.shift();
  }

  /** Close the last cut's duration (session end). */
  close(durationMs: number): void {
    const last = this.#cuts[this.#cuts.length - 1];
    if (last && last.durationMs === undefined) last.durationMs = durationMs;
  }

  /** The first cut strictly after `ms` (beyond tolerance), if the master has made it yet. */
  nextAfter(ms: number): Cut | undefined {
    return this.#cuts.find((c) => c.startMs > ms + this.toleranceMs);
  }

  /** The cut that starts at `ms`, within tolerance. */
  at(ms: number): Cut | undefined {
    return this.#cuts.find((c) => Math.abs(c.startMs - ms) <= this.toleranceMs);
  }

  /** The latest cut at or before `ms`. */
  atOrBefore(ms: number): Cut | undefined {
    for (let i = this.#cuts.length - 1; i >= 0; i--) {
      if (this.#cuts[i]!.startMs <= ms + this.toleranceMs) return this.#cuts[i];
    }
    return undefined;
  }

  bySequence(seq: number): Cut | undefined {
    return this.#cuts.find((c) => c.sequence === seq);
  }
}
