import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { newHistogram, quantile, record } from './histogram.js';
import { arrivalOffsetMs, isLowLatency, SPIKE_WINDOW_MS } from './profile.js';
import { parseMetrics, sumOf } from './prometheus.js';
import { resolvePath } from './playlists.js';
import { figuresFrom } from './tiers.js';

describe('audience profiles', () => {
  it('ramp spreads arrivals evenly over the ramp, step has them all at 0, spike within 100 ms', () => {
    assert.deepEqual(
      [0, 1, 2, 3].map((i) => arrivalOffsetMs('ramp', i, 4, 2)),
      [0, 500, 1000, 1500],
    );
    assert.deepEqual(
      [0, 3].map((i) => arrivalOffsetMs('step', i, 4, 2)),
      [0, 0],
    );
    for (let i = 0; i < 1000; i += 97) assert.ok(arrivalOffsetMs('spike', i, 1000, 10) < SPIKE_WINDOW_MS);
  });

  it('the LL share is exact and spread out', () => {
    const n = 1000;
    for (const share of [0, 0.1, 0.25, 0.5, 1]) {
      let ll = 0;
      for (let i = 0; i < n; i++) if (isLowLatency(i, share)) ll++;
      assert.equal(ll, Math.floor(n * share));
    }
    const first10 = Array.from({ length: 10 }, (_, i) => isLowLatency(i, 0.5));
    assert.deepEqual(first10.filter(Boolean).length, 5, 'not all in one block');
  });
});

describe('latency histogram', () => {
  it('quantiles land within a bucket (4 %) of the truth', () => {
    const h = newHistogram();
    for (let ms = 1; ms <= 1000; ms++) record(h, ms);
    const p50 = quantile(h, 0.5)!;
    const p99 = quantile(h, 0.99)!;
    assert.ok(Math.abs(p50 - 500) / 500 < 0.05, `p50 ${p50}`);
    assert.ok(Math.abs(p99 - 990) / 990 < 0.05, `p99 ${p99}`);
    assert.equal(quantile(newHistogram(), 0.5), undefined);
  });
});

describe('playlist URIs', () => {
  it('resolve against the playlist path', () => {
    assert.equal(resolvePath('/live/a/index.m3u8', 'src/index.m3u8'), '/live/a/src/index.m3u8');
    assert.equal(resolvePath('/live/a/src/index.m3u8?_HLS_msn=3', 'seg-1.m4s'), '/live/a/src/seg-1.m4s');
    assert.equal(resolvePath('/live/a/src/index.m3u8', '../audio/index.m3u8'), '/live/a/audio/index.m3u8');
    assert.equal(resolvePath('/live/a/index.m3u8', '/other/x.m4s'), '/other/x.m4s');
    assert.equal(resolvePath('/live/a/index.m3u8', 'http://h:1/y/z.m4s?q=1'), '/y/z.m4s?q=1');
  });
});

describe('Prometheus scrape', () => {
  const before = parseMetrics(
    [
      '# HELP corral_cache_requests_total x',
      'corral_cache_requests_total{tier="edge",result="hit"} 10',
      'corral_cache_requests_total{tier="edge",result="miss"} 2',
      'corral_cache_upstream_fetches_total{tier="edge",status="200"} 2',
      'corral_origin_requests_total{method="GET",status="200"} 5',
    ].join('\n'),
  );
  const after = parseMetrics(
    [
      'corral_cache_requests_total{tier="edge",result="hit"} 108',
      'corral_cache_requests_total{tier="edge",result="miss"} 4',
      'corral_cache_requests_total{tier="edge",result="coalesced"} 10',
      'corral_cache_upstream_fetches_total{tier="edge",status="200"} 4',
      'corral_cache_upstream_retries_total{tier="edge"} 1',
      'corral_origin_requests_total{method="GET",status="200"} 7',
      'corral_origin_requests_total{method="PUT",status="200"} 70',
    ].join('\n'),
  );

  it('reads labelled samples', () => {
    assert.equal(sumOf(after, 'corral_cache_requests_total', { tier: 'edge' }), 122);
    assert.equal(sumOf(after, 'corral_origin_requests_total', { method: 'GET' }), 7);
  });

  it('turns two scrapes into per-tier rates and hit ratios', () => {
    const f = figuresFrom('u', before, after, 10);
    assert.deepEqual(f.tiers[0], {
      source: 'u',
      tier: 'edge',
      requests: 110,
      perSecond: 11,
      results: { hit: 98, miss: 2, coalesced: 10 },
      upstreamFetches: 2,
      upstreamRetries: 1,
      hitRatio: 0.9818,
    });
    assert.deepEqual(f.origin, { source: 'u', getRequests: 2, perSecond: 0.2 });
  });
});
