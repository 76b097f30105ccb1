import type { CohortSpec } from './arrivals.js';
import { SIM_EPOCH_MS } from './clock.js';
import { RESULTS, type SimNode } from './node.js';
import type { VirtualOrigin } from './origin.js';
import type { SimOptions } from './options.js';
import type { LiveSource } from './source.js';

/**
 * Origin GETs per segment of one rendition, over the segments of the steady state: those that
 * appeared after the last arrival and at least 2 s before the end.
 */
export interface SegmentFetches {
  rendition: string;
  segments: number;
  min: number;
  max: number;
  mean: number;
}

export interface TierFigures {
  tier: 'edge' | 'shield';
  nodes: number;
  /** Viewer-weighted requests (a lower tier's fetch counts 1). */
  requests: number;
  requestsPerSecondPeak: number;
  results: Record<string, number>;
  upstreamFetches: number;
  /** 1 - upstream fetches / requests: the load generator's definition. */
  hitRatio: number | null;
  /** Most parked requests at once, summed over the tier's nodes (per-second peaks). */
  parkedPeak: number;
  /** Requests still waiting when the run ended: counted in `requests`, not in `results`. */
  parkedAtEnd: number;
  /** Largest store of one node (its own byte count), bytes. */
  storePeakBytes: number;
  /** Largest of one node: store bytes + parked requests x waiterBytes. */
  memoryPeakBytes: number;
  egressBytes: number;
}

export interface Bottleneck {
  t: number;
  node: string;
  kind: 'egress' | 'requests' | 'connections';
  value: number;
  bound: number;
}

export interface SeriesRow {
  t: number;
  viewers: number;
  originGets: number;
  edgeRequests: number;
  shieldRequests: number;
  edgeFetches: number;
  shieldFetches: number;
  edgeParked: number;
  shieldParked: number;
  edgeEgressBps: number;
  edgeStoreBytes: number;
  shieldStoreBytes: number;
}

export interface SimResult {
  tool: 'corral simulate';
  input: {
    seed: number;
    viewers: number;
    durationS: number;
    profile: string;
    rampS: number;
    slotMs: number;
    topology: { source: string; shields: string[]; edges: Array<{ name: string; shield: string }> };
    renditions: Array<{ name: string; bandwidth: number; share: number }>;
    segmentS: number;
    links: SimOptions['links'];
    originDelayMs: number;
    bounds: SimOptions['bounds'];
    waiterBytes: number;
  };
  aggregation: { cohorts: number; viewersPerCohortMean: number; viewersPerCohortMax: number; note: string };
  origin: {
    gets: number;
    getsPerSecond: number;
    byKind: Record<string, number>;
    notFound: number;
    shields: number;
    fetchesPerSegment: SegmentFetches[];
    /** Most GETs a single shield made for one segment (1 = perfect coalescing). */
    perShieldPerSegmentMax: number;
  };
  tiers: TierFigures[];
  nodes: Array<{
    name: string;
    tier: string;
    requests: number;
    upstreamFetches: number;
    hitRatio: number | null;
    parkedPeak: number;
    memoryPeakBytes: number;
    connectionsPeak: number;
    /** Upstream fetches that waited for, or were refused, a slot under upstreamSockets. */
    fetchesQueued: number;
    fetchesRefused: number;
  }>;
  viewers: {
    arrived: number;
    started: number;
    segments: number;
    playlists: number;
    skipped: number;
    errors: number;
  };
  bottlenecks: { first: Bottleneck | null; byKind: Bottleneck[] };
  series: SeriesRow[];
}

const r4 = (x: number) => Math.round(x * 10000) / 10000;
const r2 = (x: number) => Math.round(x * 100) / 100;

function sorted(rec: Record<string, number>): Record<string, number> {
  return Object.fromEntries(
    Object.keys(rec)
      .sort()
      .map((k) => [k, rec[k]!]),
  );
}

/** The note that says what was aggregated. */
export function aggregationNote(slotMs: number): string {
  return (
    `viewers arriving within the same ${slotMs} ms slot at the same edge for the same rendition are one cohort: ` +
    `one requester with a weight in the real cache core (one waiter per cohort request); per-request figures ` +
    `are multiplied by the weight, and a cohort's MISS counts 1 miss + (weight-1) coalesced`
  );
}

export function buildResult(x: {
  o: SimOptions;
  source: LiveSource;
  origin: VirtualOrigin;
  shields: SimNode[];
  edges: SimNode[];
  arrived: number[];
  connections: number[][];
  cohorts: CohortSpec[];
  tally: { segments: number; playlists: number; skipped: number; errors: number; started: number };
  seconds: number;
  endT: number;
}): SimResult {
  const { o, source, origin, shields, edges, seconds, endT } = x;
  // The steady state: segments that appeared after the last viewer arrived (every viewer who will
  // watch is there) and at least two seconds before the end (their fetches are settled).
  const lastArrival = x.cohorts.reduce((a, c) => (c.t < endT ? Math.max(a, c.t) : a), 0);
  const from = SIM_EPOCH_MS + lastArrival;
  const settledBy = SIM_EPOCH_MS + endT - 2000;
  const fetchesPerSegment: SegmentFetches[] = o.renditions.map((rend, r) => {
    const m = origin.counts.segments.get(r) ?? new Map<number, number>();
    const counts = [...m.entries()]
      .filter(([seq]) => source.appearsAt(seq) > from && source.appearsAt(seq) <= settledBy)
      .map(([, n]) => n);
    const sum = counts.reduce((a, b) => a + b, 0);
    return {
      rendition: rend.name,
      segments: counts.length,
      min: counts.length === 0 ? 0 : counts.reduce((a, c) => Math.min(a, c), Infinity),
      max: counts.reduce((a, c) => Math.max(a, c), 0),
      mean: counts.length === 0 ? 0 : r4(sum / counts.length),
    };
  });
  const tier = (name: 'edge' | 'shield', nodes: SimNode[]): TierFigures => {
    const results: Record<string, number> = Object.fromEntries(RESULTS.map((r) => [r, 0]));
    let requests = 0;
    let fetches = 0;
    let egress = 0;
    let parkedAtEnd = 0;
    for (const n of nodes) {
      requests += n.requests;
      parkedAtEnd += n.parked;
      fetches += n.upstream.fetches;
      egress += n.egressBytes;
      for (const [k, v] of Object.entries(n.results)) results[k] = (results[k] ?? 0) + v;
    }
    let rpsPeak = 0;
    let parkedPeak = 0;
    for (let s = 0; s < seconds; s++) {
      let rq = 0;
      let pk = 0;
      for (const n of nodes) {
        rq += n.seconds.requests[s]!;
        pk += n.seconds.parkedMax[s]!;
      }
      rpsPeak = Math.max(rpsPeak, rq);
      parkedPeak = Math.max(parkedPeak, pk);
    }
    return {
      tier: name,
      nodes: nodes.length,
      requests,
      requestsPerSecondPeak: rpsPeak,
      results: sorted(results),
      upstreamFetches: fetches,
      hitRatio: requests > 0 ? r4(1 - fetches / requests) : null,
      parkedPeak,
      parkedAtEnd,
      storePeakBytes: Math.max(0, ...nodes.map((n) => Math.max(...n.seconds.storeBytes))),
      memoryPeakBytes: Math.max(0, ...nodes.map((n) => n.memoryPeak)),
      egressBytes: egress,
    };
  };

  // Bottlenecks: the first second each bound is crossed at some edge.
  const found: Bottleneck[] = [];
  const cumConn = edges.map(() => 0);
  const b = o.bounds;
  const seen = new Set<string>();
  for (let s = 0; s < seconds; s++) {
    edges.forEach((n, i) => {
      cumConn[i]! += x.connections[i]![s]!;
      const checks: Array<[Bottleneck['kind'], number, number]> = [
        ['egress', n.seconds.egressBytes[s]! * 8, b.edgeEgressBps],
        ['requests', n.seconds.requests[s]!, b.nodeRps],
        ['connections', cumConn[i]!, b.connections],
      ];
      for (const [kind, value, bound] of checks) {
        if (value > bound && !seen.has(kind)) {
          seen.add(kind);
          found.push({ t: s, node: n.name, kind, value, bound });
        }
      }
    });
  }

  const series: SeriesRow[] = [];
  let viewers = 0;
  let prevEdgeF = 0;
  let prevShieldF = 0;
  const sumAt = (nodes: SimNode[], f: (n: SimNode) => number) => nodes.reduce((a, n) => a + f(n), 0);
  const conns = edges.map(() => 0);
  const connPeak = edges.map(() => 0);
  // One row per whole simulated second (the arrays have a spare slot for events at the very end).
  for (let s = 0; s < Math.min(seconds, Math.ceil(o.durationS)); s++) {
    viewers += x.arrived[s]!;
    edges.forEach((_, i) => {
      conns[i]! += x.connections[i]![s]!;
      connPeak[i] = Math.max(connPeak[i]!, conns[i]!);
    });
    const ef = sumAt(edges, (n) => n.seconds.fetches[s]!);
    const sf = sumAt(shields, (n) => n.seconds.fetches[s]!);
    series.push({
      t: s,
      viewers,
      originGets: origin.perSecond[s]!,
      edgeRequests: sumAt(edges, (n) => n.seconds.requests[s]!),
      shieldRequests: sumAt(shields, (n) => n.seconds.requests[s]!),
      edgeFetches: ef - prevEdgeF,
      shieldFetches: sf - prevShieldF,
      edgeParked: sumAt(edges, (n) => n.seconds.parkedMax[s]!),
      shieldParked: sumAt(shields, (n) => n.seconds.parkedMax[s]!),
      edgeEgressBps: sumAt(edges, (n) => n.seconds.egressBytes[s]! * 8),
      edgeStoreBytes: sumAt(edges, (n) => n.seconds.storeBytes[s]!),
      shieldStoreBytes: sumAt(shields, (n) => n.seconds.storeBytes[s]!),
    });
    prevEdgeF = ef;
    prevShieldF = sf;
  }

  const weights = x.cohorts.filter((c) => c.t < endT).map((c) => c.weight);
  const arrivedAll = weights.reduce((a, w) => a + w, 0);
  const node = (n: SimNode, i: number) => ({
    name: n.name,
    tier: n.tier,
    requests: n.requests,
    upstreamFetches: n.upstream.fetches,
    hitRatio: n.requests > 0 ? r4(1 - n.upstream.fetches / n.requests) : null,
    parkedPeak: n.parkedPeak,
    memoryPeakBytes: n.memoryPeak,
    connectionsPeak: n.tier === 'edge' ? connPeak[i]! : 0,
    fetchesQueued: n.fetchLimit.queued,
    fetchesRefused: n.fetchLimit.refused,
  });
  const gets = origin.counts.total;
  return {
    tool: 'corral simulate',
    input: {
      seed: o.seed,
      viewers: o.viewers,
      durationS: o.durationS,
      profile: o.profile,
      rampS: o.rampS,
      slotMs: o.slotMs,
      topology: {
        source: o.topology.source,
        shields: o.topology.shields.map((s) => s.name),
        edges: o.topology.edges.map((e) => ({ name: e.name, shield: e.shield })),
      },
      renditions: o.renditions.map((r) => ({ name: r.name, bandwidth: r.bandwidth, share: r.share })),
      segmentS: o.segmentS,
      links: o.links,
      originDelayMs: o.originDelayMs,
      bounds: o.bounds,
      waiterBytes: o.waiterBytes,
    },
    aggregation: {
      cohorts: weights.length,
      viewersPerCohortMean: weights.length === 0 ? 0 : r2(arrivedAll / weights.length),
      viewersPerCohortMax: weights.reduce((a, w) => Math.max(a, w), 0),
      note: aggregationNote(o.slotMs),
    },
    origin: {
      gets,
      getsPerSecond: r2(gets / o.durationS),
      byKind: sorted(origin.counts.byKind),
      notFound: origin.counts.notFound,
      shields: shields.length,
      fetchesPerSegment,
      perShieldPerSegmentMax: origin.counts.perRequesterMax,
    },
    tiers: [tier('edge', edges), tier('shield', shields)],
    nodes: [...shields.map((n) => node(n, -1)), ...edges.map((n, i) => node(n, i))],
    viewers: {
      arrived: arrivedAll,
      started: x.tally.started,
      segments: x.tally.segments,
      playlists: x.tally.playlists,
      skipped: x.tally.skipped,
      errors: x.tally.errors,
    },
    bottlenecks: { first: found[0] ?? null, byKind: found },
    series,
  };
}
