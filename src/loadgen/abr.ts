/**
 * Rendition choice by measured throughput, in the spirit of the players people use: start on the
 * lowest rung, climb one rung at a time only with clear headroom and some buffer, and drop a rung
 * as soon as throughput falls under the current rung or a fetch takes most of its media duration.
 */

/** Weight of the newest sample in the throughput average. */
const EWMA_ALPHA = 0.3;
/** Climb only when throughput exceeds the next rung's BANDWIDTH by this factor. */
export const UP_HEADROOM = 1.5;
/** A fetch slower than this share of the media it carries is "slow". */
export const SLOW_FETCH_SHARE = 0.8;
/** Seconds of buffer needed before climbing: a climb with an empty buffer risks a stall. */
export const UP_MIN_BUFFER_S = 1;

export class ThroughputEstimate {
  #bps: number | undefined;

  get bps(): number | undefined {
    return this.#bps;
  }

  /** One fetch: bytes over the time from request written to last byte. */
  sample(bytes: number, ms: number): void {
    // Tiny or instant fetches say more about timer granularity than about the link.
    if (bytes < 1000 || ms <= 0) return;
    const bps = (bytes * 8 * 1000) / ms;
    this.#bps = this.#bps === undefined ? bps : EWMA_ALPHA * bps + (1 - EWMA_ALPHA) * this.#bps;
  }
}

export interface AbrInput {
  /** BANDWIDTH of each rung, ascending. */
  bandwidths: readonly number[];
  current: number;
  throughputBps: number | undefined;
  /** The fetch that just finished: how long it took and the media seconds it carried. */
  lastFetchMs: number;
  lastMediaS: number;
  bufferS: number;
}

/** The rung to use for the next fetch. */
export function chooseRendition(i: AbrInput): number {
  const top = i.bandwidths.length - 1;
  const cur = Math.min(Math.max(0, i.current), top);
  if (cur > 0 && i.lastMediaS > 0 && i.lastFetchMs > i.lastMediaS * 1000 * SLOW_FETCH_SHARE) return cur - 1;
  const bps = i.throughputBps;
  if (bps === undefined) return cur;
  if (cur > 0 && bps < i.bandwidths[cur]!) return cur - 1;
  const next = i.bandwidths[cur + 1];
  if (next !== undefined && bps >= next * UP_HEADROOM && i.bufferS >= UP_MIN_BUFFER_S) return cur + 1;
  return cur;
}
