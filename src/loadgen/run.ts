import { nextSegmentBoundary } from './boundary.js';
import { mergeSnapshots, totalRequests } from './merge.js';
import type { ProfileName } from './profile.js';
import { scrape } from './prometheus.js';
import { buildReport, type Report, type SeriesRow } from './report.js';
import type { Final, FromWorker, Snapshot } from './snapshot.js';
import { settledScrape, type Scrape, type Settled } from './settle.js';
import { inlineWorker, spawnWorker, type WorkerHandle } from './threads.js';
import { figuresFrom, type OriginFigures, type TierFigures } from './tiers.js';

export interface LoadtestOptions {
  /** The multivariant playlist, http://HOST:PORT/live/NAME/index.m3u8. */
  url: string;
  viewers: number;
  profile: ProfileName;
  rampS: number;
  /** Seconds from the first arrival to the end of the run. */
  durationS: number;
  /** Share of viewers that are LL-HLS players, 0..1. */
  llShare: number;
  /** Worker threads; 0 runs the viewers on the caller's thread. */
  threads: number;
  /** Sockets per worker; by default enough for the LL viewers' held requests plus a pool. */
  sockets?: number;
  abr: boolean;
  /** Media seconds buffered before playback starts or resumes. */
  startS: number;
  /** Prometheus /metrics URLs scraped before and after the run. */
  metrics: string[];
  /** Called once a second with the run so far. */
  onSecond?: (row: SeriesRow) => void;
}

/** The open-files limit is shared by every worker of the process; leave room for the rest. */
const MAX_SOCKETS_TOTAL = 16_000;
const FINAL_WAIT_MS = 10_000;
const READY_WAIT_MS = 60_000;

/**
 * Each LL viewer holds up to two requests (blocking reload and hinted part) per track for most of
 * a part duration, so it needs sockets of its own; plain viewers, whose requests are short,
 * share a pool of a quarter of their number.
 */
export function defaultSockets(viewers: number, threads: number, llShare: number): number {
  const perWorker = Math.ceil(viewers / Math.max(1, threads));
  const ll = Math.ceil(perWorker * llShare);
  const want = 4 * ll + Math.ceil((perWorker - ll) / 4);
  return Math.max(16, Math.min(want, Math.floor(MAX_SOCKETS_TOTAL / Math.max(1, threads))));
}

/** A bound on a wait that must not keep the process alive once the wait is over. */
function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms).unref());
}

/**
 * The settle wait keeps the process alive: before the viewers start nothing else does, and an
 * unref'd timer there let `corral loadtest` exit 13 with its work undone. settledScrape bounds it.
 */
function settled(urls: string[]): Promise<Settled> {
  if (urls.length === 0) return Promise.resolve({ samples: [], rounds: 0 });
  const all = (): Promise<Scrape> => Promise.all(urls.map((u) => scrape(u)));
  return settledScrape(all, (ms) => new Promise((r) => setTimeout(r, ms)));
}

export async function runLoadtest(o: LoadtestOptions): Promise<Report> {
  const u = new URL(o.url);
  const threads = Math.max(0, Math.floor(o.threads));
  const n = Math.max(1, threads);
  const sockets = o.sockets ?? defaultSockets(o.viewers, n, o.llShare);
  const before = (await settled(o.metrics)).samples;
  const latest: Array<Snapshot | undefined> = new Array(n).fill(undefined);
  const finals: Final[] = [];
  let failed: Error | undefined;
  let allFinal: () => void = () => {};
  const finalsIn = new Promise<void>((r) => (allFinal = r));
  let ready = 0;
  let allReady: () => void = () => {};
  const readyIn = new Promise<void>((r) => (allReady = r));
  const onMessage = (m: FromWorker) => {
    if (m.type === 'ready') {
      if (++ready === n) allReady();
    } else if (m.type === 'snapshot') latest[m.snapshot.worker] = m.snapshot;
    else {
      finals.push(m.final);
      if (finals.length === n) allFinal();
    }
  };
  const handles: WorkerHandle[] = [];
  for (let w = 0; w < n; w++) {
    const spec = {
      worker: w,
      threads: n,
      host: u.hostname,
      port: Number(u.port || 80),
      path: u.pathname + u.search,
      viewers: o.viewers,
      profile: o.profile,
      rampS: o.rampS,
      llShare: o.llShare,
      abr: o.abr,
      startS: o.startS,
      sockets,
    };
    handles.push(
      threads === 0
        ? inlineWorker(spec, onMessage)
        : spawnWorker(spec, onMessage, (e) => {
            failed ??= e;
            allFinal();
            allReady();
          }),
    );
  }
  try {
    await Promise.race([readyIn, delay(READY_WAIT_MS)]);
    if (failed !== undefined) throw failed;
    if (ready < n) throw new Error(`only ${ready} of ${n} workers started`);
    if (o.profile === 'spike') await nextSegmentBoundary(o.url);
    const startedAt = new Date();
    const cpu0 = process.cpuUsage();
    // A little slack so every thread has the start message before the first arrival is due.
    const t0Wall = Date.now() + (threads === 0 ? 0 : 20);
    for (const h of handles) h.send({ type: 'start', t0Wall });
    const series: SeriesRow[] = [];
    let prev = { at: t0Wall, requests: 0, bytes: 0 };
    const tick = setInterval(() => {
      if (latest.some((s) => s === undefined)) return;
      const m = mergeSnapshots(latest as Snapshot[]);
      // An overloaded worker reports late: a row needs news from every worker and half a second
      // of it, or its rates would read as zero or as a burst.
      if (m.atWall - prev.at < 500) return;
      const requests = totalRequests(m.tally);
      const dt = Math.max(0.001, (m.atWall - prev.at) / 1000);
      const row: SeriesRow = {
        t: Math.round((m.atWall - t0Wall) / 100) / 10,
        arrived: m.arrived.ll + m.arrived.plain,
        playing: m.phases.playing,
        stalled: m.phases.stalled,
        failed: m.phases.failed,
        requestsPerS: Math.round((requests - prev.requests) / dt),
        mbitPerS: Math.round(((m.tally.bytes - prev.bytes) * 8) / 1e5 / dt) / 10,
        rebuffers: m.rebuffers,
        lagP99Ms: Math.round(m.lagP99Ms * 10) / 10,
        busy: Math.round(m.elu * 100) / 100,
      };
      prev = { at: m.atWall, requests, bytes: m.tally.bytes };
      series.push(row);
      o.onSecond?.(row);
    }, 1000);
    await new Promise((r) => setTimeout(r, Math.max(0, t0Wall + o.durationS * 1000 - Date.now())));
    clearInterval(tick);
    for (const h of handles) h.send({ type: 'stop' });
    await Promise.race([finalsIn, delay(FINAL_WAIT_MS)]);
    if (failed !== undefined) throw failed;
    if (finals.length < n) throw new Error(`only ${finals.length} of ${n} workers reported back`);
    const cpu = process.cpuUsage(cpu0);
    const wallS = (Date.now() - t0Wall) / 1000;
    const after = await settled(o.metrics);
    const tiers: TierFigures[] = [];
    let origin: OriginFigures | undefined;
    o.metrics.forEach((url, k) => {
      const a = after.samples[k];
      if (a === undefined) return;
      // Each closing scrape but the last, and the opening one, reached the origin as a GET.
      const f = figuresFrom(url, before[k], a, wallS, after.rounds);
      tiers.push(...f.tiers);
      origin ??= f.origin;
    });
    return buildReport({
      options: {
        url: o.url,
        viewers: o.viewers,
        profile: o.profile,
        rampS: o.rampS,
        durationS: o.durationS,
        llShare: o.llShare,
        threads,
        socketsPerWorker: sockets,
        abr: o.abr,
      },
      startedAt,
      wallS,
      merged: mergeSnapshots(finals.map((f) => f.snapshot)),
      finals: finals.sort((a, b) => a.snapshot.worker - b.snapshot.worker),
      series,
      tiers,
      origin,
      processCpuS: (cpu.user + cpu.system) / 1e6,
    });
  } finally {
    await Promise.all(handles.map((h) => h.terminate()));
  }
}
