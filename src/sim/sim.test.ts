import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resultJson } from './report.js';
import { defaultOptions, simulate, type SimOptions } from './sim.js';
import type { CacheControlFn } from './source.js';

/**
 * The origin's Cache-Control (src/origin/serve-object.ts cacheControlFor), pinned here because sim/
 * may not import origin/; the command and the e2e agreement test inject the real one.
 */
const originRule: CacheControlFn = (obj, immutableMaxAgeS, now) => {
  if (obj.kind === 'playlist' || obj.kind === 'multivariant') {
    const s = Math.floor(Math.min(obj.maxAgeS ?? 1, 5));
    return s <= 0 ? 'no-cache' : `public, max-age=${s}, stale-while-revalidate=${s}`;
  }
  if (obj.kind === 'segment' && obj.maxAgeS !== undefined) {
    const left = Math.floor(obj.maxAgeS - Math.max(0, now - obj.storedAt) / 1000);
    return `public, max-age=${Math.max(1, Math.min(left, immutableMaxAgeS))}, immutable`;
  }
  return `public, max-age=${immutableMaxAgeS}, immutable`;
};

function options(over: Partial<SimOptions>): SimOptions {
  return { ...defaultOptions(originRule), durationS: 15, rampS: 5, ...over };
}

const twoShields: SimOptions['topology'] = {
  source: 'test: two regions',
  shields: [
    { name: 'shield-a', region: 'a' },
    { name: 'shield-b', region: 'b' },
  ],
  edges: [
    { name: 'edge-a1', region: 'a', shield: 'shield-a' },
    { name: 'edge-a2', region: 'a', shield: 'shield-a' },
    { name: 'edge-b1', region: 'b', shield: 'shield-b' },
  ],
};

describe('corral simulate', () => {
  it('is deterministic: the same seed gives the same JSON byte for byte, another seed differs', () => {
    const a = resultJson(simulate(options({ viewers: 3000, seed: 5 })).result);
    const b = resultJson(simulate(options({ viewers: 3000, seed: 5 })).result);
    const c = simulate(options({ viewers: 3000, seed: 6 })).result;
    assert.equal(a, b);
    assert.notEqual(resultJson(c), a);
    // Where randomness matters (which edge and rendition each viewer took), not only the seed field.
    const pa = JSON.parse(a) as typeof c;
    assert.notDeepEqual(
      pa.nodes.map((n) => n.requests),
      c.nodes.map((n) => n.requests),
    );
  });

  for (const viewers of [100, 10_000, 1_000_000]) {
    it(`${viewers} viewers: origin fetches per segment per rendition equal the number of shields`, () => {
      for (const topology of viewers === 1_000_000 ? [twoShields] : [undefined, twoShields]) {
        const o = options(topology === undefined ? { viewers } : { viewers, topology });
        const { result: r } = simulate(o);
        const shields = o.topology.shields.length;
        assert.equal(r.viewers.arrived, viewers);
        assert.equal(r.viewers.started, viewers, 'everyone got a segment');
        for (const s of r.origin.fetchesPerSegment) {
          assert.ok(s.segments >= 7, `${s.rendition}: ${s.segments} segments`);
          assert.deepEqual([s.min, s.max], [shields, shields], `${s.rendition} with ${shields} shield(s)`);
        }
        assert.equal(r.origin.perShieldPerSegmentMax, 1);
        assert.equal(r.origin.notFound, 0);
        const edge = r.tiers.find((t) => t.tier === 'edge')!;
        assert.ok(edge.requests > viewers * 10, 'viewers kept asking all run');
        if (viewers >= 10_000) assert.ok(r.aggregation.viewersPerCohortMean > 1, 'cohorts aggregate');
      }
    });
  }

  it('can fail: tiers whose stores cannot hold the live window fetch segments again', () => {
    const o = options({
      viewers: 2000,
      topology: {
        ...twoShields,
        shields: twoShields.shields.map((s) => ({ ...s, maxBytes: 1 << 19 })),
        edges: twoShields.edges.map((e) => ({ ...e, maxBytes: 1 << 19 })),
      },
    });
    const { result: r } = simulate(o);
    assert.ok(
      r.origin.fetchesPerSegment.some((s) => s.max > 2),
      JSON.stringify(r.origin.fetchesPerSegment),
    );
  });

  it('states its aggregation and accounts each cohort request as its viewers', () => {
    const { result: r, stats } = simulate(options({ viewers: 50_000, profile: 'step' }));
    // All at once: one cohort per (edge, rendition).
    assert.equal(r.aggregation.cohorts, 4 * 3);
    assert.equal(stats.cohorts, 12);
    assert.match(r.aggregation.note, /one cohort/);
    const edge = r.tiers.find((t) => t.tier === 'edge')!;
    const counted = Object.values(edge.results).reduce((a, b) => a + b, 0);
    assert.equal(
      counted + edge.parkedAtEnd,
      edge.requests,
      'every weighted request has a result or still waits',
    );
    assert.ok(edge.parkedPeak > 1000, `a step of 50,000 parks thousands (${edge.parkedPeak})`);
  });
});
