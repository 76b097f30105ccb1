import { sumOf, type Sample } from './prometheus.js';

/**
 * A tier counts an upstream fetch when the answer reaches it; the origin counts a GET when it has
 * sent the answer. Fetches still running when the viewers stop (an LL blocking reload the origin
 * holds until the next part, raced on by the edge after its viewer left) land between two
 * concurrent scrapes, so the origin's page shows GETs the shield's does not yet. The closing
 * scrape therefore waits for the tiers to go quiet.
 */
export type Scrape = Array<Sample[] | undefined>;

const MOVING = ['corral_cache_upstream_fetches_total', 'corral_cache_requests_total'] as const;

/** GETs the origin answered, from one scrape of its /metrics (our own scrapes included). */
export function originGets(s: Sample[]): number {
  return sumOf(s, 'corral_origin_requests_total', { method: 'GET' });
}

/**
 * Nothing held at the origin and no counter moved between two scrapes. The origin counts our own
 * previous scrape of its /metrics as one GET, so one more GET there is ours, not a viewer's.
 */
export function quiet(prev: Scrape, next: Scrape): boolean {
  return next.every((n, k) => {
    const p = prev[k];
    if (n === undefined || p === undefined) return n === p;
    if (sumOf(n, 'corral_origin_blocked_requests') > 0) return false;
    if (originGets(n) - originGets(p) > 1) return false;
    return MOVING.every((name) => sumOf(n, name) === sumOf(p, name));
  });
}

export interface Settled {
  samples: Scrape;
  /** Scrapes taken, the returned one included. */
  rounds: number;
}

/** Scrapes until two in a row are quiet, or the bound runs out (other traffic keeps it moving). */
export async function settledScrape(
  scrapeAll: () => Promise<Scrape>,
  wait: (ms: number) => Promise<void>,
  { stepMs = 250, maxMs = 4_000 } = {},
): Promise<Settled> {
  let prev = await scrapeAll();
  let rounds = 1;
  for (let waited = 0; waited < maxMs; waited += stepMs) {
    await wait(stepMs);
    const next = await scrapeAll();
    rounds++;
    if (quiet(prev, next)) return { samples: next, rounds };
    prev = next;
  }
  return { samples: prev, rounds };
}
