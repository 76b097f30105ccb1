import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { newHistogram, quantile, record } from './histogram.js';
import { arrivalOffsetMs, isLowLatency, SPIKE_WINDOW_MS } from './profile.js';
import { parseMetrics, sumOf } from './prometheus.js';
import { resolvePath } from './playlists.js';
import { quiet, settledScrape, type Scrape } from './settle.js';
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
    // Our own scrapes of the origin's page are not viewers' GETs.
    assert.equal(figuresFrom('u', before, after, 10, 2).origin?.getRequests, 0);
  });
});

describe('closing scrape waits for the tiers to go quiet', () => {
  const page = (fetches: number, gets: number, held = 0) =>
    parseMetrics(
      [
        `corral_cache_upstream_fetches_total{tier="shield",status="200"} ${fetches}`,
        `corral_cache_requests_total{tier="shield",result="miss"} ${fetches}`,
        `corral_origin_requests_total{method="GET",status="200"} ${gets}`,
        `corral_origin_blocked_requests ${held}`,
      ].join('\n'),
    );

  it('quiet: no counter moved beyond our own scrape, nothing held', () => {
    assert.equal(quiet([page(5, 9)], [page(5, 10)]), true, 'one GET more is the previous scrape');
    assert.equal(quiet([page(5, 9)], [page(5, 11)]), false, 'a viewer GET arrived');
    assert.equal(quiet([page(5, 9)], [page(6, 10)]), false, 'a fetch completed');
    assert.equal(quiet([page(5, 9, 1)], [page(5, 10, 1)]), false, 'a blocking reload is held');
    assert.equal(quiet([page(5, 9), undefined], [page(5, 10), undefined]), true);
    assert.equal(quiet([page(5, 9)], [undefined]), false, 'a page that stopped answering');
  });

  it('scrapes until quiet, and gives up at the bound', async () => {
    const pages: Scrape[] = [[page(1, 1, 1)], [page(2, 3)], [page(2, 4)], [page(9, 9)]];
    let n = 0;
    const waits: number[] = [];
    const got = await settledScrape(
      () => Promise.resolve(pages[Math.min(n++, pages.length - 1)]!),
      (ms) => {
        waits.push(ms);
        return Promise.resolve();
      },
      { stepMs: 100, maxMs: 1000 },
    );
    assert.equal(got.rounds, 3);
    assert.equal(sumOf(got.samples[0]!, 'corral_cache_upstream_fetches_total'), 2);
    let m = 0;
    const busy = await settledScrape(
      () => Promise.resolve([page(m, m++ * 3)]),
      () => Promise.resolve(),
      { stepMs: 100, maxMs: 500 },
    );
    assert.equal(busy.rounds, 6, 'one opening scrape and five more within the bound');
    assert.equal(sumOf(busy.samples[0]!, 'corral_cache_upstream_fetches_total'), 5, 'the latest scrape');
  });
});
