/**
 * Latency-bench helpers: polling, Prometheus text scraping and rounding. Process plumbing
 * (children, /proc CPU time, ports, load) is shared with the other benches in bench/lib.
 */
import { sleep } from '../lib/procs.js';

/** Poll until check() returns a value; fails with the label after timeoutMs. */
export async function until<T>(
  label: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${label}`);
    await sleep(200);
  }
}

/** All samples of a Prometheus text exposition, as [name, labels, value]. */
export async function scrape(url: string): Promise<Array<[string, Record<string, string>, number]>> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  const text = await res.text();
  const out: Array<[string, Record<string, string>, number]> = [];
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? ([0-9.eE+-]+|NaN)$/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_]+)="([^"]*)"/g)) labels[l[1]!] = l[2]!;
    out.push([m[1]!, labels, Number(m[3])]);
  }
  return out;
}

/** Sum of the samples of `name` whose labels include every pair in `match`. */
export function sum(
  samples: Array<[string, Record<string, string>, number]>,
  name: string,
  match: Record<string, string> = {},
): number {
  let total = 0;
  for (const [n, labels, v] of samples) {
    if (n !== name) continue;
    if (Object.entries(match).every(([k, want]) => labels[k] === want)) total += v;
  }
  return total;
}

export const round = (x: number, digits = 2) => Math.round(x * 10 ** digits) / 10 ** digits;
