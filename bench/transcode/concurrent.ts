/**
 * How many live 720p streams with the full default ladder one corral sustains on this machine:
 * 1, 2, 3 ... streams published at once (a fresh set of names per step), each step judged from
 * corral's own view of its transcoders (origin /metrics and the 'transcoding degraded' log).
 */
import { corralSegments, scrape, startCorral, type DegradeEvent } from './corral.js';
import { loadavg as load } from '../lib/loadavg.js';
import { broadcast, stopBroadcast } from '../lib/media.js';
import { childrenOf } from '../lib/procfs.js';
import { sleep, type Child, type Procs } from '../lib/procs.js';

export interface ConcurrentOptions {
  src: string;
  maxStreams: number;
  /** Seconds after publishing before speeds count: the transcoder itself ignores its first 5 s. */
  warmupS: number;
  windowS: number;
  /**
   * Lowest acceptable ffmpeg speed. ffmpeg's speed is cumulative (media time / wall time since it
   * started) and with a live input it can only approach 1.0 from below by its start-up delay,
   * so "speed >= 1" is read as >= this; a transcoder that really falls behind drifts well below
   * and, more decisively, degrades (level > 0), which is checked too.
   */
  minSpeed: number;
}

export interface StepResult {
  streams: number;
  ok: boolean;
  /** Lowest speed seen per stream during the window (undefined: no reading at all). */
  minSpeed: Record<string, number | undefined>;
  maxLevel: Record<string, number>;
  /** 360p segments per wall second over the window, lowest stream (~1.0 when keeping up). */
  minPace: number;
  degrades: DegradeEvent[];
  ffmpegChildren: number;
  load: { before: number[]; after: number[] };
}

export interface ConcurrentResult {
  sustained: number;
  steps: StepResult[];
  leftoverChildren: number;
  log: string[];
  counts: Record<string, number>;
  scrapeFailures: string[];
}

export async function measureConcurrent(procs: Procs, o: ConcurrentOptions): Promise<ConcurrentResult> {
  const corral = await startCorral(procs, true);
  const steps: StepResult[] = [];
  let leftoverChildren = 0;
  try {
    for (let n = 1; n <= o.maxStreams; n++) {
      const before = load();
      const names = Array.from({ length: n }, (_, i) => `c${n}x${i}`);
      const casters: Child[] = names.map((s) => broadcast(procs, o.src, `${corral.rtmp}/live/${s}`, s));
      const seen = corral.degrades.length;
      const minSpeed: Record<string, number | undefined> = {};
      const maxLevel: Record<string, number> = Object.fromEntries(names.map((s) => [s, 0]));
      let minPace = Infinity;
      let ffmpegChildren = 0;
      try {
        await sleep(o.warmupS * 1000);
        const segs0 = await Promise.all(names.map((s) => corralSegments(corral, s, '360p')));
        const t0 = performance.now();
        const end = t0 + o.windowS * 1000;
        while (performance.now() < end) {
          await sleep(Math.min(2000, end - performance.now()));
          const m = await scrape(corral);
          ffmpegChildren = Math.max(ffmpegChildren, childrenOf(corral.child.pid).length);
          for (const s of names) {
            // Metric labels carry the stream path; match on the name so 'live/s' and 's' both work.
            const key = [...m.speed.keys()].find((k) => k === s || k.endsWith(`/${s}`));
            const speed = key === undefined ? undefined : m.speed.get(key);
            const level = key === undefined ? undefined : m.level.get(key);
            if (speed !== undefined) minSpeed[s] = Math.min(minSpeed[s] ?? Infinity, speed);
            if (level !== undefined) maxLevel[s] = Math.max(maxLevel[s]!, level);
          }
        }
        const wall = (performance.now() - t0) / 1000;
        const segs1 = await Promise.all(names.map((s) => corralSegments(corral, s, '360p')));
        names.forEach((_, i) => (minPace = Math.min(minPace, (segs1[i]! - segs0[i]!) / wall)));
        for (const c of casters) {
          if (!procs.running(c)) throw new Error(`broadcaster ${c.name} died:\n${c.tail.join('\n')}`);
        }
      } finally {
        await Promise.all(casters.map((c) => stopBroadcast(procs, c)));
      }
      const degrades = corral.degrades.slice(seen);
      const ok =
        degrades.length === 0 && names.every((s) => (minSpeed[s] ?? 0) >= o.minSpeed && maxLevel[s] === 0);
      steps.push({
        streams: n,
        ok,
        minSpeed,
        maxLevel,
        minPace: Math.round(minPace * 100) / 100,
        degrades,
        ffmpegChildren,
        load: { before, after: load() },
      });
      const speeds = names.map((s) => minSpeed[s]?.toFixed(2) ?? '-').join(' ');
      console.log(
        `  ${n} stream(s): ${ok ? 'sustained' : 'NOT sustained'}; min speed ${speeds};` +
          ` degrades ${degrades.length}; min 360p pace ${minPace.toFixed(2)}/s; load ${load().join(' ')}`,
      );
      // Let corral stop and reap this step's transcoders before the next step is judged.
      await sleep(6000);
      leftoverChildren = Math.max(leftoverChildren, childrenOf(corral.child.pid).length);
      // One failing step is enough to know the limit; more would only stack overload.
      if (!ok) break;
    }
  } finally {
    await procs.stop(corral.child, 'SIGTERM', 8000);
  }
  const passed = steps.filter((s) => s.ok).map((s) => s.streams);
  // The answer is the largest n that passed with every smaller n passing too.
  let sustained = 0;
  while (passed.includes(sustained + 1)) sustained++;
  return {
    sustained,
    steps,
    leftoverChildren,
    log: corral.log,
    counts: corral.counts,
    scrapeFailures: corral.scrapeFailures,
  };
}
