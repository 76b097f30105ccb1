import { sumOf, type Sample } from './prometheus.js';
import { originGets } from './settle.js';

export interface TierFigures {
  source: string;
  tier: string;
  requests: number;
  perSecond: number;
  /** Requests by result (hit, miss, coalesced, held, ...). */
  results: Record<string, number>;
  upstreamFetches: number;
  /**
   * Fetches whose GET went out twice (a pooled socket closed unanswered), so the upstream saw one
   * request more than the fetch count. Absent from reports saved before it was counted.
   */
  upstreamRetries?: number;
  /** Share of requests answered without an upstream fetch of their own. */
  hitRatio: number | null;
}

export interface OriginFigures {
  source: string;
  getRequests: number;
  perSecond: number;
}

function delta(
  before: Sample[] | undefined,
  after: Sample[],
  name: string,
  match: Record<string, string> = {},
): number {
  return sumOf(after, name, match) - (before === undefined ? 0 : sumOf(before, name, match));
}

/**
 * What one /metrics URL says happened between two scrapes `seconds` apart. An origin counts the
 * GETs of its own /metrics page: `ownScrapes` of them (answered between the two) are taken off.
 */
export function figuresFrom(
  source: string,
  before: Sample[] | undefined,
  after: Sample[],
  seconds: number,
  ownScrapes = 0,
): { tiers: TierFigures[]; origin?: OriginFigures } {
  const per = (n: number) => (seconds > 0 ? Math.round((n / seconds) * 10) / 10 : 0);
  const tiers = [
    ...new Set(after.filter((s) => s.name === 'corral_cache_requests_total').map((s) => s.labels.tier ?? '')),
  ];
  const out: { tiers: TierFigures[]; origin?: OriginFigures } = {
    tiers: tiers.map((tier) => {
      const results: Record<string, number> = {};
      for (const s of after) {
        if (s.name !== 'corral_cache_requests_total' || s.labels.tier !== tier) continue;
        const r = s.labels.result ?? '?';
        results[r] = delta(before, after, s.name, { tier, result: r });
      }
      const requests = Object.values(results).reduce((a, b) => a + b, 0);
      const upstreamFetches = delta(before, after, 'corral_cache_upstream_fetches_total', { tier });
      const upstreamRetries = delta(before, after, 'corral_cache_upstream_retries_total', { tier });
      return {
        source,
        tier,
        requests,
        perSecond: per(requests),
        results,
        upstreamFetches,
        upstreamRetries,
        hitRatio: requests > 0 ? Math.round((1 - upstreamFetches / requests) * 10000) / 10000 : null,
      };
    }),
  };
  if (after.some((s) => s.name === 'corral_origin_requests_total')) {
    const gets = Math.max(0, originGets(after) - (before ? originGets(before) : 0) - ownScrapes);
    out.origin = { source, getRequests: gets, perSecond: per(gets) };
  }
  return out;
}
