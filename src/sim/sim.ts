import { planCohorts } from './arrivals.js';
import { SIM_EPOCH_MS, SimClock } from './clock.js';
import { Link } from './link.js';
import type { SimOptions, SimTopology } from './options.js';
import { SimNode } from './node.js';
import { VirtualOrigin } from './origin.js';
import { buildResult, type SimResult } from './result.js';
import { Rng } from './rng.js';
import { coreSettings, streamDefaults } from './settings.js';
import { LiveSource, type CacheControlFn, type RenditionSpec } from './source.js';

export type { Bounds, SimOptions, SimTopology } from './options.js';
import { Cohort, type ViewerContext } from './viewer.js';

export const BUILT_IN_TOPOLOGY: SimTopology = {
  source: 'built-in',
  shields: [{ name: 'shield', region: 'default' }],
  edges: [1, 2, 3, 4].map((i) => ({ name: `edge-${i}`, region: 'default', shield: 'shield' })),
};

export const DEFAULT_RENDITIONS: RenditionSpec[] = [
  { name: '720p', bandwidth: 3_000_000, share: 0.5 },
  { name: '480p', bandwidth: 1_500_000, share: 0.3 },
  { name: '360p', bandwidth: 800_000, share: 0.2 },
];

export function defaultOptions(cacheControl: CacheControlFn): SimOptions {
  return {
    seed: 1,
    viewers: 1000,
    durationS: 60,
    profile: 'ramp',
    rampS: 10,
    slotMs: 10,
    topology: BUILT_IN_TOPOLOGY,
    renditions: DEFAULT_RENDITIONS,
    segmentS: 1,
    cacheControl,
    links: {
      origin: { latencyMs: 40, bandwidthBps: 10e9, loss: 0 },
      shield: { latencyMs: 10, bandwidthBps: 10e9, loss: 0 },
      viewer: { latencyMs: 15, bandwidthBps: 25e6, loss: 0.0005 },
    },
    originDelayMs: 2,
    bounds: { edgeEgressBps: 10e9, nodeRps: 20_000, connections: 20_000 },
    waiterBytes: 4096,
  };
}

/** Seconds of stream before the first viewer arrives: the playlist window is full at t = 0. */
const PRE_ROLL_S = 12;
/** Segment boundaries fall half a second after whole simulated seconds. */
const BOUNDARY_OFFSET_MS = 500;

export interface RunStats {
  events: number;
  cohorts: number;
}

/** Run one simulation. Deterministic: the same options give the same result. */
export function simulate(o: SimOptions): { result: SimResult; stats: RunStats } {
  const clock = new SimClock();
  const rng = new Rng(o.seed);
  const linkRng = new Rng(o.seed + 0x51ed);
  const seconds = Math.ceil(o.durationS) + 1;
  const endT = o.durationS * 1000;
  const d = streamDefaults(o.segmentS);
  const source = new LiveSource(
    {
      name: 'sim',
      renditions: o.renditions,
      segmentS: o.segmentS,
      ...d,
      startMs: SIM_EPOCH_MS - PRE_ROLL_S * 1000 - BOUNDARY_OFFSET_MS,
    },
    o.cacheControl,
  );
  const origin = new VirtualOrigin(source, clock, o.originDelayMs, seconds);
  const waiterBytes = o.waiterBytes;
  const shields = new Map<string, SimNode>();
  for (const s of o.topology.shields) {
    const link = new Link(o.links.origin, clock, origin, linkRng);
    const node = new SimNode({
      name: s.name,
      tier: 'shield',
      settings: coreSettings('shield', s.name, s.maxBytes),
      clock,
      upstream: link,
      seconds,
      waiterBytes,
    });
    shields.set(s.name, node);
  }
  const edges = o.topology.edges.map((e) => {
    const shield = shields.get(e.shield);
    if (shield === undefined) throw new Error(`edge ${e.name}: no shield ${e.shield}`);
    const link = new Link(o.links.shield, clock, shield, linkRng);
    return new SimNode({
      name: e.name,
      tier: 'edge',
      settings: coreSettings('edge', e.name, e.maxBytes),
      clock,
      upstream: link,
      seconds,
      waiterBytes,
    });
  });
  const tally = { segments: 0, playlists: 0, skipped: 0, errors: 0, started: 0 };
  const ctx: ViewerContext = { clock, source, link: o.links.viewer, rng: linkRng, endT, tally };
  // The spike: spread over the 100 ms after the segment boundary at 1.5 s.
  const spikeAtMs = 1000 + BOUNDARY_OFFSET_MS;
  const cohorts = planCohorts(
    {
      profile: o.profile,
      viewers: o.viewers,
      rampS: o.rampS,
      slotMs: o.slotMs,
      spikeAtMs,
      edges: edges.length,
      shares: o.renditions.map((r) => r.share),
    },
    rng,
  );
  const arrived = new Array<number>(seconds).fill(0);
  const connections = edges.map(() => new Array<number>(seconds).fill(0));
  for (const c of cohorts) {
    if (c.t >= endT) continue;
    arrived[Math.floor(c.t / 1000)]! += c.weight;
    connections[c.edge]![Math.floor(c.t / 1000)]! += c.weight;
    clock.atT(c.t, () => new Cohort(ctx, edges[c.edge]!, c.rendition, c.weight).start());
  }
  const all = [...shields.values(), ...edges];
  for (let s = 0; s < seconds; s++) {
    clock.atT(Math.min(endT, (s + 1) * 1000) - 1e-6, () => {
      for (const n of all) n.tick(s);
    });
  }
  clock.runUntil(endT);
  const result = buildResult({
    o,
    source,
    origin,
    shields: [...shields.values()],
    edges,
    arrived,
    connections,
    cohorts,
    tally,
    seconds,
    endT,
  });
  for (const n of all) n.core.close();
  return { result, stats: { events: clock.fired, cohorts: cohorts.length } };
}
