/**
 * Latency histogram with logarithmic buckets (about 4 % wide from 0.1 ms to ~10 minutes), as a
 * plain array so workers can post it and the main thread can sum them.
 */
const GROWTH = 1.04;
const MIN_MS = 0.1;
export const BUCKETS = 400;
const LOG_G = Math.log(GROWTH);

export function newHistogram(): number[] {
  return new Array<number>(BUCKETS).fill(0);
}

function bucketOf(ms: number): number {
  if (!(ms > MIN_MS)) return 0;
  return Math.min(BUCKETS - 1, 1 + Math.floor(Math.log(ms / MIN_MS) / LOG_G));
}

/** Upper bound of a bucket, in ms. */
function upperMs(b: number): number {
  return MIN_MS * Math.pow(GROWTH, b);
}

export function record(h: number[], ms: number): void {
  h[bucketOf(ms)]!++;
}

export function count(h: readonly number[]): number {
  let n = 0;
  for (const c of h) n += c;
  return n;
}

export function mergeInto(into: number[], h: readonly number[]): void {
  for (let i = 0; i < BUCKETS; i++) into[i]! += h[i] ?? 0;
}

/** The q-quantile (0..1) as a bucket's upper bound in ms, rounded to 0.1; undefined when empty. */
export function quantile(h: readonly number[], q: number): number | undefined {
  const n = count(h);
  if (n === 0) return undefined;
  const rank = Math.ceil(q * n);
  let acc = 0;
  for (let i = 0; i < BUCKETS; i++) {
    acc += h[i]!;
    if (acc >= rank) return Math.round(upperMs(i) * 10) / 10;
  }
  return Math.round(upperMs(BUCKETS - 1) * 10) / 10;
}
