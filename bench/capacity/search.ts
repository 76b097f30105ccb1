/**
 * The viewer-count search of the capacity bench, as a pure state machine: double from the start
 * count until a step fails, then bisect between the largest pass and the smallest failure until
 * they are within `precision` of each other. A step the load generator could not judge (its own
 * event loop saturated) bounds the search like a failure but is remembered as such, so the result
 * is reported as a lower bound set by the generator rather than by the server.
 */
export type Verdict = 'pass' | 'fail' | 'generator';

export interface SearchState {
  /** Largest viewer count that passed (0: none yet). */
  lo: number;
  /** Smallest viewer count that failed or could not be judged (Infinity: none yet). */
  hi: number;
  /** What set `hi`. */
  hiBy: Verdict | undefined;
  steps: Array<{ viewers: number; verdict: Verdict }>;
}

export interface SearchOptions {
  start: number;
  min: number;
  max: number;
  /** Stop when hi <= lo * (1 + precision). */
  precision: number;
}

export function newSearch(): SearchState {
  return { lo: 0, hi: Infinity, hiBy: undefined, steps: [] };
}

export function record(s: SearchState, viewers: number, verdict: Verdict): void {
  s.steps.push({ viewers, verdict });
  if (verdict === 'pass') s.lo = Math.max(s.lo, viewers);
  else if (viewers < s.hi) {
    s.hi = viewers;
    s.hiBy = verdict;
  }
}

/** A count with two significant digits, so the steps read as round numbers. */
function roundNice(n: number): number {
  if (n < 100) return Math.max(1, Math.round(n));
  const p = 10 ** (Math.floor(Math.log10(n)) - 1);
  return Math.round(n / p) * p;
}

/** The next viewer count to try, or undefined when the search is done. */
export function next(s: SearchState, o: SearchOptions): number | undefined {
  if (s.steps.length === 0) return Math.min(o.max, Math.max(o.min, o.start));
  if (s.lo === 0) {
    // Nothing passed yet: halve below the smallest failure.
    if (s.hi <= o.min) return undefined;
    return Math.max(o.min, roundNice(s.hi / 2));
  }
  if (s.hi === Infinity) {
    if (s.lo >= o.max) return undefined;
    return Math.min(o.max, roundNice(s.lo * 2));
  }
  if (s.hi <= s.lo * (1 + o.precision)) return undefined;
  const mid = roundNice((s.lo + s.hi) / 2);
  // Rounding must not land on a count already judged.
  if (mid <= s.lo || mid >= s.hi) {
    const plain = Math.round((s.lo + s.hi) / 2);
    return plain > s.lo && plain < s.hi ? plain : undefined;
  }
  return mid;
}
