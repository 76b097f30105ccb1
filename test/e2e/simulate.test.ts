import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { CacheNode } from '../../src/cache/index.js';
import { cacheSchema, shieldSchema } from '../../src/config/schema.js';
import { runLoadtest } from '../../src/loadgen/index.js';
import { parseMetrics, sumOf } from '../../src/loadgen/prometheus.js';
import { createRegistry } from '../../src/metrics/registry.js';
import { cacheControlFor } from '../../src/origin/index.js';
import { defaultOptions, LiveSource, simulate, streamDefaults, type SimResult } from '../../src/sim/index.js';
import { silentLogger } from '../../src/util/logger.js';

const VIEWERS = 200;
const DURATION_S = 15;
const RAMP_S = 5;
/** One rendition: the load generator without ABR stays on the lowest, so both sides watch it. */
const RENDITIONS = [{ name: 'lo', bandwidth: 800_000, share: 1 }];
const LOOPBACK = { latencyMs: 0.1, bandwidthBps: 10e9, loss: 0 };
/** Seconds of stream before the viewers come (the simulator's pre-roll). */
const PRE_ROLL_S = 12;

/** Steady-state segments: appeared after the last arrival and at least 2 s before the end. */
function steadySegments(
  counts: Map<number, number>,
  appearsAt: (seq: number) => number,
  from: number,
  to: number,
) {
  return [...counts.entries()].filter(([seq]) => appearsAt(seq) > from && appearsAt(seq) <= to);
}

/**
 * The simulator against a real loopback run of the same topology (1 shield, 2 edges, real
 * CacheNodes over HTTP) in front of an HTTP origin serving the same live objects on the real
 * clock, with 200 load-generator viewers (plain HLS, the model the simulator's cohorts follow):
 * origin fetches per segment equal, edge hit ratios within a few percent, shield fetches within 10 %.
 */
describe('corral simulate agrees with a real loopback run', () => {
  let server: http.Server;
  const nodes: CacheNode[] = [];
  let source: LiveSource;
  const originSegments = new Map<number, number>();
  let realStartMs = 0;
  let realEndMs = 0;
  let real: {
    edge: number;
    shield: number;
    edgeRequests: number;
    shieldRequests: number;
    shieldFetches: number;
  };
  let sim: SimResult;

  before(async () => {
    const t0 = Date.now();
    source = new LiveSource(
      {
        name: 'agree',
        renditions: RENDITIONS,
        segmentS: 1,
        ...streamDefaults(1),
        startMs: t0 - PRE_ROLL_S * 1000,
      },
      cacheControlFor,
    );
    server = http.createServer((req, res) => {
      const a = source.answer(req.url ?? '/', req.headers, Date.now());
      if (a.kind === 'segment' || (a.kind === 'missing' && a.seq >= 0))
        originSegments.set(a.seq, (originSegments.get(a.seq) ?? 0) + 1);
      res.writeHead(a.status, a.headers);
      res.end(a.status === 304 ? undefined : a.body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const originUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const start = async (name: string, upstream: string, role: 'edge' | 'shield') => {
      const config = role === 'shield' ? shieldSchema.parse({ name }) : cacheSchema.parse({ name });
      const node = new CacheNode({
        config,
        upstream,
        logger: silentLogger(),
        registry: createRegistry({ defaults: false }),
        role,
      });
      nodes.push(node);
      const addr = await node.listen(0, '127.0.0.1');
      return `http://127.0.0.1:${addr.port}`;
    };
    const shield = await start('shield', originUrl, 'shield');
    const edges = [await start('edge-1', shield, 'edge'), await start('edge-2', shield, 'edge')];

    realStartMs = Date.now();
    await Promise.all(
      edges.map((e) =>
        runLoadtest({
          url: `${e}/live/agree/index.m3u8`,
          viewers: VIEWERS / 2,
          profile: 'ramp',
          rampS: RAMP_S,
          durationS: DURATION_S,
          llShare: 0,
          threads: 0,
          abr: false,
          startS: 1,
          metrics: [],
        }),
      ),
    );
    realEndMs = realStartMs + DURATION_S * 1000;
    const scrape = async (base: string) => parseMetrics(await (await fetch(`${base}/metrics`)).text());
    const tier = async (bases: string[]) => {
      let requests = 0;
      let fetches = 0;
      for (const b of bases) {
        const m = await scrape(b);
        requests += sumOf(m, 'corral_cache_requests_total');
        fetches += sumOf(m, 'corral_cache_upstream_fetches_total');
      }
      return { requests, fetches, ratio: 1 - fetches / requests };
    };
    const e = await tier(edges);
    const s = await tier([shield]);
    real = {
      edge: e.ratio,
      shield: s.ratio,
      edgeRequests: e.requests,
      shieldRequests: s.requests,
      shieldFetches: s.fetches,
    };

    const o = defaultOptions(cacheControlFor);
    Object.assign(o, {
      seed: 1,
      viewers: VIEWERS,
      durationS: DURATION_S,
      profile: 'ramp',
      rampS: RAMP_S,
      renditions: RENDITIONS,
      topology: {
        source: 'test: 1 shield, 2 edges',
        shields: [{ name: 'shield', region: 'r' }],
        edges: [
          { name: 'edge-1', region: 'r', shield: 'shield' },
          { name: 'edge-2', region: 'r', shield: 'shield' },
        ],
      },
      links: { origin: LOOPBACK, shield: LOOPBACK, viewer: LOOPBACK },
      originDelayMs: 0.5,
    });
    sim = simulate(o).result;
    if (process.env.CORRAL_TEST_LOG)
      console.log(JSON.stringify({ real, sim: sim.tiers, segs: [...originSegments] }));
  });

  after(async () => {
    for (const n of nodes) await n.close();
    await new Promise((r) => server.close(r));
  });

  it('origin fetches per segment are equal: one (one shield) on both sides', () => {
    // Real: segments that appeared after the last viewer arrived and settled before the end.
    const steady = steadySegments(
      originSegments,
      (seq) => source.appearsAt(seq),
      realStartMs + RAMP_S * 1000,
      realEndMs - 2000,
    );
    assert.ok(steady.length >= 6, `real steady segments: ${steady.length}`);
    assert.deepEqual(
      steady.filter(([, n]) => n !== 1),
      [],
      'real origin GETs per segment',
    );
    const s = sim.origin.fetchesPerSegment[0]!;
    assert.ok(s.segments >= 6, `simulated steady segments: ${s.segments}`);
    assert.deepEqual([s.min, s.max], [1, 1], 'simulated origin GETs per segment');
  });

  it('edge hit ratios agree within a few percent, and the shield fetches as often upstream', () => {
    const edge = sim.tiers.find((t) => t.tier === 'edge')!;
    const shield = sim.tiers.find((t) => t.tier === 'shield')!;
    const msg = `real edge ${real.edge.toFixed(4)} shield ${real.shield.toFixed(4)}; simulated edge ${edge.hitRatio} shield ${shield.hitRatio}`;
    assert.ok(Math.abs(edge.hitRatio! - real.edge) <= 0.03, msg);
    // The shield's ratio is one of two small counts (~80 requests, ~38 fetches): its requests are
    // the edges' misses, so a few more edge misses in the real run (0.14 % of the edges' 6,000
    // requests, well inside the edge check above) move it by 0.05. Measured over seven real runs:
    // 0.548-0.578 against a simulated 0.525; the two broken down made 38 fetches, as simulated.
    // What the simulator predicts at the shield is its upstream fetches, the origin's load: those
    // must agree.
    assert.ok(
      Math.abs(shield.upstreamFetches - real.shieldFetches) <= Math.max(3, 0.1 * shield.upstreamFetches),
      `shield fetches simulated ${shield.upstreamFetches} real ${real.shieldFetches} (of ${real.shieldRequests} requests); ${msg}`,
    );
    // Same order of work: the real edges saw about as many requests as the simulated ones.
    const ratio = edge.requests / real.edgeRequests;
    assert.ok(
      ratio > 0.8 && ratio < 1.25,
      `edge requests simulated ${edge.requests} real ${real.edgeRequests}`,
    );
  });
});
