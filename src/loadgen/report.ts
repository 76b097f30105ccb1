import { count, quantile } from './histogram.js';
import { totalRequests } from './merge.js';
import type { ProfileName } from './profile.js';
import type { Final, Snapshot } from './snapshot.js';
import { KINDS, type Kind } from './tally.js';
import type { OriginFigures, TierFigures } from './tiers.js';

export interface Percentiles {
  count: number;
  p50: number | null;
  p99: number | null;
}

export interface SeriesRow {
  /** Seconds since the first arrival was due. */
  t: number;
  arrived: number;
  playing: number;
  stalled: number;
  failed: number;
  requestsPerS: number;
  mbitPerS: number;
  rebuffers: number;
  /** Worst worker's event-loop delay p99 over the second, and its busy share. */
  lagP99Ms: number;
  busy: number;
}

export interface WorkerFigures {
  worker: number;
  /** CPU seconds the thread used, and as a share of one core over the run. */
  cpuS: number | null;
  cores: number | null;
  /** Share of the run the thread's event loop was busy (a thread waiting for a core counts as busy). */
  busy: number;
  lagP99Ms: number;
  lagMaxMs: number;
  sockets: number;
}

export interface Report {
  options: {
    url: string;
    viewers: number;
    profile: ProfileName;
    rampS: number;
    durationS: number;
    llShare: number;
    threads: number;
    socketsPerWorker: number;
    abr: boolean;
  };
  startedAt: string;
  wallS: number;
  viewers: {
    target: number;
    arrived: number;
    /** Most viewers at once that had arrived and not failed: each following the stream. */
    peakFollowing: number;
    /** Most viewers at once past start-up (playing or stalled). */
    peakStarted: number;
    startedPlaying: number;
    failed: number;
    ll: number;
    plain: number;
    failures: Record<string, number>;
  };
  series: SeriesRow[];
  requests: {
    total: number;
    perSecondAvg: number;
    perSecondPeak: number;
    bytes: number;
    mbitPerSAvg: number;
    byKind: Record<Kind, { count: number; failed: number }>;
    errors: Record<string, number>;
    /** Preload-hinted parts answered 404 because the segment ended first (not failures). */
    hintsUnfulfilled: number;
  };
  latencyMs: {
    segment: Percentiles;
    part: Percentiles;
    /** Blocking reloads and preload-hint parts: includes the wait for the next part, by design. */
    blocking: Percentiles;
    playlist: Percentiles;
    /** Waiting for a pooled socket inside the load generator; excluded from the figures above. */
    socketQueue: Percentiles;
  };
  playback: {
    rebuffers: number;
    viewersWithRebuffers: number;
    stallS: number;
    plainSegments: number;
    llSegments: number;
    llParts: number;
    failedMedia: number;
    skippedSegments: number;
    rungSwitches: number;
  };
  renditionMix: Record<string, number>;
  edge: {
    /** The edge's own X-Cache result on media requests. */
    results: Record<string, number>;
    mediaObjects: number;
    /** Most upstream fetches the edge made for one media object (1 = every object fetched once). */
    maxFetchesPerObject: number;
    objectsFetchedMoreThanOnce: number;
  };
  /** Per media playlist followed: segments that appeared while viewers watched it. */
  stream: Array<{ path: string; segments: number }>;
  loadgen: { workers: WorkerFigures[]; processCpuS: number; coresUsed: number };
  tiers: TierFigures[];
  origin:
    | (OriginFigures & {
        /** Origin GETs (segments, parts, playlists) per new segment per rendition watched. */
        perSegmentPerRendition: number | null;
      })
    | null;
  /** Distinct media objects and blocking-reload versions the viewers asked for. */
  distinctObjects: number;
}

export function percentiles(h: readonly number[]): Percentiles {
  return { count: count(h), p50: quantile(h, 0.5) ?? null, p99: quantile(h, 0.99) ?? null };
}

export interface ReportInput {
  options: Report['options'];
  startedAt: Date;
  wallS: number;
  merged: Snapshot;
  finals: Final[];
  series: SeriesRow[];
  tiers: TierFigures[];
  origin: OriginFigures | undefined;
  processCpuS: number;
}

const round = (n: number, d = 1) => Math.round(n * 10 ** d) / 10 ** d;

export function buildReport(i: ReportInput): Report {
  const m = i.merged;
  const t = m.tally;
  const total = totalRequests(t);
  const byKind = Object.fromEntries(
    KINDS.map((k) => [k, { count: t.requests[k], failed: t.failed[k] }]),
  ) as Report['requests']['byKind'];
  const misses = new Map<string, number>();
  for (const f of i.finals) for (const [p, n] of f.edgeMisses) misses.set(p, (misses.get(p) ?? 0) + n);
  const objects = new Set<string>();
  for (const f of i.finals) for (const p of f.objects) objects.add(p);
  const edges = new Map<string, { first: number; last: number }>();
  for (const f of i.finals) {
    for (const [p, e] of f.edges) {
      const x = edges.get(p);
      edges.set(
        p,
        x === undefined ? { ...e } : { first: Math.min(x.first, e.first), last: Math.max(x.last, e.last) },
      );
    }
  }
  const stream = [...edges].map(([path, e]) => ({ path, segments: e.last - e.first }));
  const segmentsAll = stream.reduce((n, s) => n + s.segments, 0);
  return {
    options: i.options,
    startedAt: i.startedAt.toISOString(),
    wallS: round(i.wallS),
    viewers: {
      target: i.options.viewers,
      arrived: m.arrived.ll + m.arrived.plain,
      peakFollowing: Math.max(0, ...i.series.map((r) => r.arrived - r.failed)),
      peakStarted: Math.max(0, ...i.series.map((r) => r.playing + r.stalled)),
      startedPlaying: m.startedPlaying,
      failed: m.phases.failed,
      ll: m.arrived.ll,
      plain: m.arrived.plain,
      failures: m.failures,
    },
    series: i.series,
    requests: {
      total,
      perSecondAvg: round(total / Math.max(1, i.wallS)),
      perSecondPeak: Math.max(0, ...i.series.map((r) => r.requestsPerS)),
      bytes: t.bytes,
      mbitPerSAvg: round((t.bytes * 8) / 1e6 / Math.max(1, i.wallS)),
      byKind,
      errors: t.errors,
      hintsUnfulfilled: t.hintsUnfulfilled,
    },
    latencyMs: {
      segment: percentiles(t.segmentMs),
      part: percentiles(t.partMs),
      blocking: percentiles(t.blockingMs),
      playlist: percentiles(t.playlistMs),
      socketQueue: percentiles(t.queueMs),
    },
    playback: {
      rebuffers: m.rebuffers,
      viewersWithRebuffers: m.viewersWithRebuffers,
      stallS: round(m.stallS),
      plainSegments: m.media.plainSegments,
      llSegments: m.media.llSegments,
      llParts: m.media.llParts,
      failedMedia: m.media.failed,
      skippedSegments: m.media.skipped,
      rungSwitches: m.switches,
    },
    renditionMix: m.rungs,
    edge: {
      results: t.edgeResults,
      mediaObjects: misses.size,
      maxFetchesPerObject: Math.max(0, ...misses.values()),
      objectsFetchedMoreThanOnce: [...misses.values()].filter((n) => n > 1).length,
    },
    stream,
    loadgen: {
      workers: i.finals.map((f) => ({
        worker: f.snapshot.worker,
        cpuS: f.snapshot.cpuS === undefined ? null : round(f.snapshot.cpuS),
        cores: f.snapshot.cpuS === undefined ? null : round(f.snapshot.cpuS / Math.max(1, i.wallS), 2),
        busy: round(f.snapshot.eluAll, 3),
        lagP99Ms: round(f.snapshot.lagAllP99Ms),
        lagMaxMs: round(f.snapshot.lagAllMaxMs),
        sockets: f.snapshot.sockets,
      })),
      processCpuS: round(i.processCpuS),
      coresUsed: round(i.processCpuS / Math.max(1, i.wallS), 2),
    },
    tiers: i.tiers,
    origin:
      i.origin === undefined
        ? null
        : {
            ...i.origin,
            perSegmentPerRendition: segmentsAll > 0 ? round(i.origin.getRequests / segmentsAll, 2) : null,
          },
    distinctObjects: objects.size,
  };
}
