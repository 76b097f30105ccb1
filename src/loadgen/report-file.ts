import { readFile } from 'node:fs/promises';
import { CorralError } from '../util/errors.js';
import type { Report } from './report.js';

type Check = (v: unknown, path: string) => string | undefined;

const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const num: Check = (v, p) =>
  typeof v === 'number' && Number.isFinite(v) ? undefined : `${p} is not a number`;
const numOrNull: Check = (v, p) => (v === null ? undefined : num(v, p));
const str: Check = (v, p) => (typeof v === 'string' ? undefined : `${p} is not a string`);
const bool: Check = (v, p) => (typeof v === 'boolean' ? undefined : `${p} is not true or false`);

function obj(fields: Record<string, Check>): Check {
  return (v, p) => {
    if (!isObj(v)) return `${p} is not an object`;
    for (const [k, check] of Object.entries(fields)) {
      const bad = check(v[k], `${p}.${k}`);
      if (bad !== undefined) return bad;
    }
    return undefined;
  };
}
function arr(item: Check): Check {
  return (v, p) => {
    if (!Array.isArray(v)) return `${p} is not an array`;
    for (let i = 0; i < v.length; i++) {
      const bad = item(v[i], `${p}[${i}]`);
      if (bad !== undefined) return bad;
    }
    return undefined;
  };
}
function rec(value: Check): Check {
  return (v, p) => {
    if (!isObj(v)) return `${p} is not an object`;
    for (const [k, x] of Object.entries(v)) {
      const bad = value(x, `${p}[${JSON.stringify(k)}]`);
      if (bad !== undefined) return bad;
    }
    return undefined;
  };
}
const orNull =
  (c: Check): Check =>
  (v, p) =>
    v === null ? undefined : c(v, p);

const percentiles = obj({ count: num, p50: numOrNull, p99: numOrNull });

/** The fields the report page and the text summary read: what a saved report must have. */
const REPORT: Check = obj({
  options: obj({
    url: str,
    viewers: num,
    profile: str,
    rampS: num,
    durationS: num,
    llShare: num,
    threads: num,
    socketsPerWorker: num,
    abr: bool,
  }),
  startedAt: str,
  wallS: num,
  viewers: obj({
    target: num,
    arrived: num,
    peakFollowing: num,
    peakStarted: num,
    startedPlaying: num,
    failed: num,
    ll: num,
    plain: num,
    failures: rec(num),
  }),
  series: arr(
    obj({
      t: num,
      arrived: num,
      playing: num,
      stalled: num,
      failed: num,
      requestsPerS: num,
      mbitPerS: num,
      rebuffers: num,
      lagP99Ms: num,
      busy: num,
    }),
  ),
  requests: obj({
    total: num,
    perSecondAvg: num,
    perSecondPeak: num,
    bytes: num,
    mbitPerSAvg: num,
    byKind: rec(obj({ count: num, failed: num })),
    errors: rec(num),
    hintsUnfulfilled: num,
  }),
  latencyMs: obj({
    segment: percentiles,
    part: percentiles,
    blocking: percentiles,
    playlist: percentiles,
    socketQueue: percentiles,
  }),
  playback: obj({
    rebuffers: num,
    viewersWithRebuffers: num,
    stallS: num,
    plainSegments: num,
    llSegments: num,
    llParts: num,
    failedMedia: num,
    skippedSegments: num,
    rungSwitches: num,
  }),
  renditionMix: rec(num),
  edge: obj({
    results: rec(num),
    mediaObjects: num,
    maxFetchesPerObject: num,
    objectsFetchedMoreThanOnce: num,
  }),
  stream: arr(obj({ path: str, segments: num })),
  loadgen: obj({
    workers: arr(
      obj({
        worker: num,
        cpuS: numOrNull,
        cores: numOrNull,
        busy: num,
        lagP99Ms: num,
        lagMaxMs: num,
        sockets: num,
      }),
    ),
    processCpuS: num,
    coresUsed: num,
  }),
  tiers: arr(
    obj({
      source: str,
      tier: str,
      requests: num,
      perSecond: num,
      results: rec(num),
      upstreamFetches: num,
      hitRatio: numOrNull,
    }),
  ),
  origin: orNull(obj({ source: str, getRequests: num, perSecond: num, perSegmentPerRendition: numOrNull })),
  distinctObjects: num,
});

/** A saved report (`corral loadtest --json`) from its text; CONFIG_INVALID saying what is wrong. */
export function parseReport(text: string, source: string): Report {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new CorralError('CONFIG_INVALID', `${source} is not JSON: ${(e as Error).message}`);
  }
  const bad = REPORT(v, 'report');
  if (bad !== undefined) {
    throw new CorralError(
      'CONFIG_INVALID',
      `${source} is not a corral loadtest report (written by --json): ${bad}`,
    );
  }
  return v as Report;
}

/** Reads and checks a saved report; CONFIG_INVALID when the file cannot be read or is not one. */
export async function readReport(file: string): Promise<Report> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new CorralError('CONFIG_INVALID', `cannot read report ${file}: ${(e as Error).message}`, {
      cause: e,
    });
  }
  return parseReport(text, file);
}
