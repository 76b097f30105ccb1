/**
 * A simulated playback buffer. Each track (video, and audio when it is a separate rendition)
 * appends the media seconds it has fetched; the playhead advances in wall time while every track
 * has media ahead of it. Evaluated lazily at each append and on demand, so it needs no timer.
 * Times are ms on any monotonic clock.
 */
export class PlaybackBuffer {
  /** Media seconds needed ahead of the playhead to start, and to resume after a stall. */
  readonly #startS: number;
  readonly #ends: number[];
  #pos = 0;
  #playing = false;
  #lastMs: number | undefined;
  #stallFromMs: number | undefined;
  #startedAtMs: number | undefined;
  rebuffers = 0;
  stallMs = 0;

  constructor(tracks: number, startS: number) {
    this.#ends = new Array<number>(tracks).fill(0);
    this.#startS = startS;
  }

  get started(): boolean {
    return this.#startedAtMs !== undefined;
  }

  get playing(): boolean {
    return this.#playing;
  }

  get startedAtMs(): number | undefined {
    return this.#startedAtMs;
  }

  /** Seconds of media ahead of the playhead on the shortest track. */
  bufferedS(nowMs: number): number {
    this.advance(nowMs);
    return this.#ahead();
  }

  append(track: number, mediaS: number, nowMs: number): void {
    this.advance(nowMs);
    this.#ends[track] = (this.#ends[track] ?? 0) + mediaS;
    if (!this.#playing && this.#ahead() >= this.#startS) {
      this.#playing = true;
      if (this.#startedAtMs === undefined) this.#startedAtMs = nowMs;
      if (this.#stallFromMs !== undefined) this.stallMs += nowMs - this.#stallFromMs;
      this.#stallFromMs = undefined;
    }
  }

  /** Moves the playhead to `nowMs`; running dry while playing is a rebuffer. */
  advance(nowMs: number): void {
    const last = this.#lastMs ?? nowMs;
    this.#lastMs = Math.max(last, nowMs);
    if (!this.#playing) return;
    const elapsedS = Math.max(0, nowMs - last) / 1000;
    const ahead = this.#ahead();
    if (elapsedS <= ahead) {
      this.#pos += elapsedS;
      return;
    }
    this.#pos += ahead;
    this.#playing = false;
    this.rebuffers++;
    this.#stallFromMs = last + ahead * 1000;
  }

  /** Stall time so far, including a stall still in progress at `nowMs`. */
  stalledMs(nowMs: number): number {
    this.advance(nowMs);
    return this.stallMs + (this.#stallFromMs === undefined ? 0 : nowMs - this.#stallFromMs);
  }

  #ahead(): number {
    let min = Infinity;
    for (const e of this.#ends) min = Math.min(min, e);
    return Math.max(0, min - this.#pos);
  }
}
