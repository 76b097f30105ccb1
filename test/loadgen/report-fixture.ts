import type { Report, SeriesRow } from '../../src/loadgen/index.js';

/**
 * A realistic load-test report, shaped like the 2,000-viewer run in docs/loadtest.md but with a
 * quarter of the viewers LL and two renditions: a 15 s ramp, 30 s of run, a few rebuffers, one
 * worker near saturation. Every figure is distinct enough for a test to find it in the page.
 */
export function fixtureReport(paths: { video: string; audio: string } = defaultPaths): Report {
  const viewers = 2000;
  const series: SeriesRow[] = [];
  for (let t = 0; t <= 30; t++) {
    const arrived = Math.min(viewers, Math.round((viewers * t) / 15));
    const failed = t >= 20 ? 3 : 0;
    const stalled = t >= 10 && t <= 14 ? 40 + 10 * (t - 10) : t > 14 && t < 18 ? 12 : 0;
    const playing = Math.max(0, Math.round(arrived * 0.97) - stalled - failed);
    series.push({
      t,
      arrived,
      playing,
      stalled,
      failed,
      requestsPerS: Math.round(arrived * 3 + 40 * Math.sin(t)),
      mbitPerS: Math.round(arrived * 0.16 * 10) / 10,
      rebuffers: t >= 10 && t <= 14 ? 4 : 0,
      lagP99Ms: Math.round(20 + 4 * t + (t >= 10 && t <= 14 ? 150 : 0)),
      busy: Math.min(0.97, 0.3 + t * 0.03),
    });
  }
  return {
    options: {
      url: 'http://127.0.0.1:29405/live/t/index.m3u8',
      viewers,
      profile: 'ramp',
      rampS: 15,
      durationS: 30,
      llShare: 0.25,
      threads: 2,
      socketsPerWorker: 1438,
      abr: true,
    },
    startedAt: '2025-01-02T03:04:05.678Z',
    wallS: 31.2,
    viewers: {
      target: viewers,
      arrived: viewers,
      peakFollowing: 1997,
      peakStarted: 1961,
      startedPlaying: 1994,
      failed: 3,
      ll: 500,
      plain: 1500,
      failures: { 'multivariant 503': 3 },
    },
    series,
    requests: {
      total: 118_345,
      perSecondAvg: 3793.1,
      perSecondPeak: 6127,
      bytes: 1_234_567_890,
      mbitPerSAvg: 316.5,
      byKind: {
        multivariant: { count: 2003, failed: 3 },
        playlist: { count: 45_012, failed: 0 },
        blocking: { count: 21_876, failed: 0 },
        init: { count: 3994, failed: 0 },
        segment: { count: 29_871, failed: 2 },
        part: { count: 14_233, failed: 0 },
        hint: { count: 1356, failed: 0 },
      },
      errors: { '503': 3, ECONNRESET: 2 },
      hintsUnfulfilled: 17,
    },
    latencyMs: {
      segment: { count: 29_869, p50: 15, p99: 166 },
      part: { count: 14_233, p50: 7, p99: 91 },
      blocking: { count: 23_232, p50: 312, p99: 541 },
      playlist: { count: 45_012, p50: 27, p99: 245 },
      socketQueue: { count: 118_345, p50: 0.2, p99: 159 },
    },
    playback: {
      rebuffers: 22,
      viewersWithRebuffers: 21,
      stallS: 3.7,
      plainSegments: 27_342,
      llSegments: 2527,
      llParts: 14_233,
      failedMedia: 2,
      skippedSegments: 1,
      rungSwitches: 412,
    },
    renditionMix: { '180p 154k': 1431, '360p 820k': 566 },
    edge: {
      results: { HIT: 95_210, MISS: 88, COALESCED: 1432 },
      mediaObjects: 88,
      maxFetchesPerObject: 1,
      objectsFetchedMoreThanOnce: 0,
    },
    stream: [
      { path: paths.video, segments: 29 },
      { path: paths.audio, segments: 28 },
    ],
    loadgen: {
      workers: [
        { worker: 0, cpuS: 8.4, cores: 0.27, busy: 0.93, lagP99Ms: 202, lagMaxMs: 388, sockets: 1410 },
        { worker: 1, cpuS: 8.1, cores: 0.26, busy: 0.54, lagP99Ms: 63, lagMaxMs: 121, sockets: 1398 },
      ],
      processCpuS: 17.3,
      coresUsed: 0.55,
    },
    tiers: [
      {
        source: 'http://127.0.0.1:29405/metrics',
        tier: 'edge',
        requests: 118_001,
        perSecond: 3782.1,
        results: { hit: 95_210, coalesced: 1432, miss: 88, held: 21_271 },
        upstreamFetches: 1771,
        hitRatio: 0.985,
      },
      {
        source: 'http://127.0.0.1:29404/metrics',
        tier: 'shield',
        requests: 1771,
        perSecond: 56.8,
        results: { hit: 1590, miss: 181 },
        upstreamFetches: 181,
        hitRatio: 0.8978,
      },
    ],
    origin: {
      source: 'http://127.0.0.1:29403/metrics',
      getRequests: 1825,
      perSecond: 58.5,
      perSegmentPerRendition: 31.47,
    },
    distinctObjects: 1707,
  };
}

const defaultPaths = { video: '/live/t/180p/index.m3u8', audio: '/live/t/audio/index.m3u8' };

/** Path strings that try to end the JSON script element and run their own script. */
export const HOSTILE_PATHS = {
  video: '/live/x/</script><script>alert(1)</script>/index.m3u8',
  audio: '/live/x/<!--<script>window.pwned=1</script>&amp;\'"\u2028/index.m3u8',
};
