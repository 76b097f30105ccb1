/**
 * CPU-seconds per second of video for one live 720p stream: corral with its default ladder,
 * corral passthrough only, and one plain ffmpeg command running the same ladder, one after the
 * other (never together: each gets both cores), all fed the same real-time replay.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { nextSeq } from '../lib/hls.js';
import { loadavg as load } from '../lib/loadavg.js';
import { FFMPEG, broadcast, stopBroadcast } from '../lib/media.js';
import { freePort, waitListening } from '../lib/net.js';
import { childrenOf, treeCpuSeconds } from '../lib/procfs.js';
import { sleep, type Procs } from '../lib/procs.js';
import { corralSegments, scrape, startCorral, type Corral } from './corral.js';
import { ladderCommand } from './media.js';

export interface CpuOptions {
  src: string;
  dir: string;
  /** Seconds after publishing starts before the window: connect, ffmpeg start-up, first segments. */
  warmupS: number;
  windowS: number;
}

export interface CpuRun {
  /** CPU-seconds per second of video made in the window (whole 1 s segments of the 360p rendition). */
  cpuPerVideoS: number;
  /** CPU-seconds per wall second of the same window (= per video second when pace is 1.0). */
  cpuPerWallS: number;
  /** Seconds of video (segments) made in the window. */
  videoS: number;
  /** Same, the ffmpeg children only (corral ABR). */
  childrenPerVideoS?: number;
  windowS: number;
  /** Segments of the 360p (or passthrough) rendition made per wall second: ~1.0 if the run is sound. */
  pace: number;
  /** Direct child processes at the start and end of the window. */
  children: [number, number];
  /** corral_transcode_speed (ffmpeg's speed since it started) as the window opens and closes (corral ABR only). */
  speeds?: number[];
  load: { before: number[]; after: number[] };
}

type Progress = () => Promise<number>;

/**
 * Wait for the rendition's next segment to appear and return the new count. The window opens and
 * closes on segment boundaries, so the video covered is a whole number of 1 s segments (the
 * source's GOP) known to within one poll, instead of wall time that a contender running behind
 * (or catching up a backlog) would turn into more or less video than assumed.
 */
/** CPU seconds of a process and its direct children (the ffmpeg transcoders under corral). */
function cpuWithChildren(pid: number): number {
  const s = treeCpuSeconds(pid, 1);
  if (Number.isNaN(s)) throw new Error(`process ${pid} is gone`);
  return s;
}

async function nextBoundary(progress: Progress, timeoutMs = 5000): Promise<number> {
  const first = await progress();
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    await sleep(50);
    const now = await progress();
    if (now > first) return now;
  }
  throw new Error(`no new segment within ${timeoutMs} ms (stuck at ${first})`);
}

/**
 * CPU of a process tree between two segment boundaries. For corral the tree is its Node process
 * plus the ffmpeg children it spawned (their ppid); the broadcaster is a child of the bench,
 * never counted.
 */
async function sample(pid: number, o: CpuOptions, progress: Progress): Promise<Omit<CpuRun, 'load'>> {
  const s0 = await nextBoundary(progress);
  const a = cpuWithChildren(pid);
  const kids0 = childrenOf(pid);
  const k0 = kids0.reduce((t, k) => t + cpuWithChildren(k), 0);
  const t0 = performance.now();
  const end = t0 + o.windowS * 1000;
  while (performance.now() < end) await sleep(Math.min(2000, end - performance.now()));
  const s1 = await nextBoundary(progress);
  const b = cpuWithChildren(pid);
  const kids1 = childrenOf(pid);
  const k1 = kids1.reduce((t, k) => t + cpuWithChildren(k), 0);
  const wall = (performance.now() - t0) / 1000;
  const video = s1 - s0; // segments of 1 s
  return {
    cpuPerVideoS: (b - a) / video,
    cpuPerWallS: (b - a) / wall,
    // Only meaningful when the same children live through the window (no restart or degrade).
    childrenPerVideoS: kids0.join() === kids1.join() ? (k1 - k0) / video : undefined,
    windowS: Math.round(wall * 10) / 10,
    videoS: video,
    pace: Math.round((video / wall) * 100) / 100,
    children: [kids0.length, kids1.length],
  };
}

export async function measureCorral(
  procs: Procs,
  o: CpuOptions,
  transcode: boolean,
): Promise<
  CpuRun & {
    corral: Pick<Corral, 'degrades' | 'log' | 'counts' | 'scrapeFailures'>;
    leftoverChildren: number;
  }
> {
  const before = load();
  // The comparison needs the same ladder on both sides for the whole window. On a shared machine
  // a load spike can make corral degrade (drop its top rung) mid-window, which would compare
  // two rungs against three; 1000 slow reports (500 s) keeps it from degrading while measured.
  // Degrading itself is exercised by the concurrency phase, with the default settings.
  const corral = await startCorral(procs, transcode, transcode ? ['transcode.slowReports=1000'] : []);
  try {
    const caster = broadcast(procs, o.src, `${corral.rtmp}/live/b`, 'broadcaster');
    let run: Omit<CpuRun, 'load'>;
    const speeds: number[] = [];
    try {
      await sleep(o.warmupS * 1000);
      const rendition = transcode ? '360p' : 'src';
      // The transcoder's speed is read at the window's edges, not in it: a /metrics scrape costs
      // corral 1-5 ms of CPU, work the baseline is not asked to do.
      const readSpeed = async () => {
        // One stream: whatever the label's exact form, it is the only speed series.
        const s = transcode ? [...(await scrape(corral)).speed.values()][0] : undefined;
        if (s !== undefined) speeds.push(s);
      };
      await readSpeed();
      run = await sample(corral.child.pid, o, () => corralSegments(corral, 'b', rendition));
      await readSpeed();
      if (!procs.running(caster)) throw new Error(`broadcaster died:\n${caster.tail.join('\n')}`);
    } finally {
      await stopBroadcast(procs, caster);
    }
    // corral must stop and reap the stream's ffmpeg once the broadcaster leaves (stopGraceMs is
    // 2 s, then SIGTERM, then SIGKILL at 4 s): anything still there after 6 s is a leak.
    await sleep(6000);
    const leftoverChildren = childrenOf(corral.child.pid).length;
    return {
      ...run,
      ...(transcode ? { speeds } : { childrenPerVideoS: undefined }),
      load: { before, after: load() },
      corral: {
        degrades: corral.degrades,
        log: corral.log,
        counts: corral.counts,
        scrapeFailures: corral.scrapeFailures,
      },
      leftoverChildren,
    };
  } finally {
    await procs.stop(corral.child, 'SIGTERM', 8000);
  }
}

function fileSegments(file: string): number {
  try {
    return nextSeq(readFileSync(file, 'utf8'));
  } catch {
    return 0;
  }
}

/**
 * The baseline: one `ffmpeg -listen 1 -i rtmp://...` running corral's exact ladder arguments,
 * writing every rung plus the passthrough and audio-only renditions as HLS fMP4 (the same set of
 * renditions corral packages). ffmpeg is measured on its own pid (it spawns nothing).
 */
export async function measureFfmpeg(procs: Procs, o: CpuOptions): Promise<CpuRun & { args: string[] }> {
  const before = load();
  const port = await freePort();
  const out = join(o.dir, 'ffmpeg-hls');
  const args = ladderCommand({
    input: ['-listen', '1', '-i', `rtmp://127.0.0.1:${port}/live/b`],
    out: (r) => ({ kind: 'hls', dir: join(out, r.name) }),
    extras: { srcDir: join(out, 'src'), audioDir: join(out, 'audio') },
  });
  const ff = procs.start('ffmpeg-ladder', FFMPEG, args);
  try {
    await waitListening(port, 10_000);
    const caster = broadcast(procs, o.src, `rtmp://127.0.0.1:${port}/live/b`, 'broadcaster-ff');
    try {
      await sleep(o.warmupS * 1000);
      const playlist = join(out, '360p', 'index.m3u8');
      const run = await sample(ff.pid, o, () => Promise.resolve(fileSegments(playlist)));
      if (!procs.running(ff)) throw new Error(`baseline ffmpeg died:\n${ff.tail.join('\n')}`);
      return { ...run, childrenPerVideoS: undefined, load: { before, after: load() }, args };
    } finally {
      await stopBroadcast(procs, caster);
    }
  } finally {
    await procs.stop(ff, 'SIGTERM', 5000);
  }
}
