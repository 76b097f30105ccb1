/**
 * CPU per stream: `corral start` (ingest + packager + origin + edge, no viewers) against
 * `ffmpeg -c copy` writing HLS fMP4, both fed the same replayed input. Each contender runs as
 * its own process so /proc/PID/stat counts exactly its CPU and never the broadcaster's. A third
 * process, the Node floor (floor.ts), receives the same publishes and drops the bytes: what Node
 * itself costs before any of corral's work, measured in the same run.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startCorral as startCorralChild, type Corral } from '../lib/corral.js';
import { nextSeq } from '../lib/hls.js';
import { FFMPEG, broadcast, stopBroadcast } from '../lib/media.js';
import { freePort, waitListening } from '../lib/net.js';
import { cpuSeconds, rssBytes } from '../lib/procfs.js';
import { sleep, type Child, type Procs } from '../lib/procs.js';

const FLOOR = fileURLToPath(new URL('./floor.ts', import.meta.url));

export interface CpuOptions {
  input: string;
  dir: string;
  streams: number;
  /** Seconds after the publishers start before sampling: connection setup, JIT, first segments. */
  warmupS: number;
  windowS: number;
}

export interface CpuResult {
  streams: number;
  windowS: number;
  /** CPU-seconds per second of video, summed over all streams. */
  corralRaw: number;
  corralIdle: number;
  ffmpeg: number;
  /** The Node floor (floor.ts) with the same publishes, and idle before them. */
  floorRaw: number;
  floorIdle: number;
  /** Per stream, per second of video. */
  corralPerStream: number;
  corralPerStreamIdleSubtracted: number;
  ffmpegPerStream: number;
  ratioRaw: number;
  ratioIdleSubtracted: number;
  /** corral's CPU above the Node floor (both raw, same streams), per stream. */
  corralAboveFloorPerStream: number;
  /** (corral raw - floor raw) / ffmpeg: what corral's own code costs against ffmpeg's whole cost. */
  ratioAboveFloor: number;
  corralRssMiB: number;
  /** Segments (~1 s each) made per wall second of the window, stream 0: ~1.0 when the run is sound. */
  pace: { corral: number; ffmpeg: number };
  serverLog: string[];
}

/**
 * Average CPU share of a set of processes over `seconds` (CPU-seconds per wall second), and the
 * pace of the stream meanwhile (segments of ~1 s made per wall second). A pace well below 1 means
 * a starved broadcaster sent less than real time, so the CPU figure covers less video than assumed.
 */
async function sample(
  pids: number[],
  seconds: number,
  progress: () => Promise<number>,
): Promise<{ cpu: number; pace: number }> {
  const total = () => pids.reduce((t, p) => t + cpuSeconds(p), 0);
  const s0 = await progress();
  const c0 = total();
  const t0 = performance.now();
  await sleep(seconds * 1000);
  const c1 = total();
  const wall = (performance.now() - t0) / 1000;
  const s1 = await progress();
  if (Number.isNaN(c0 + c1))
    throw new Error(`a measured process (${pids.join(', ')}) exited during the window`);
  return { cpu: (c1 - c0) / wall, pace: Math.round(((s1 - s0) / wall) * 100) / 100 };
}

const rssMiB = (pid: number) => Math.round(rssBytes(pid) / (1024 * 1024));

/** `bin/corral start` on ports the kernel picks; the URLs it prints tell us which. */
async function startCorral(procs: Procs): Promise<Corral> {
  // Passthrough only: the job ffmpeg -c copy does. The ABR ladder (on by default) would run
  // x264 in child processes that /proc/PID/stat of corral does not even count.
  return startCorralChild(procs, { args: ['--set', 'transcode.enabled=false'] });
}

async function fetchNextSeq(url: string): Promise<number> {
  try {
    const res = await fetch(url);
    return res.ok ? nextSeq(await res.text()) : 0;
  } catch {
    return 0;
  }
}

function readNextSeq(file: string): number {
  try {
    return nextSeq(readFileSync(file, 'utf8'));
  } catch {
    return 0;
  }
}

async function measureCorral(procs: Procs, o: CpuOptions) {
  const corral = await startCorral(procs);
  try {
    // Idle first, same process and same window length: timers, metrics collection, GC.
    await sleep(o.warmupS * 1000);
    const { cpu: idle } = await sample([corral.child.pid], o.windowS, () => Promise.resolve(0));
    const casters = Array.from({ length: o.streams }, (_, i) =>
      broadcast(procs, o.input, `${corral.rtmp}/live/s${i}`, `broadcaster-${i}`),
    );
    try {
      await sleep(o.warmupS * 1000);
      // Only stream 0 is watched for pace, with one playlist GET at each end of the window.
      const playlist = `${corral.viewer}/live/s0/src/index.m3u8`;
      const { cpu: loaded, pace } = await sample([corral.child.pid], o.windowS, () => fetchNextSeq(playlist));
      const rss = rssMiB(corral.child.pid);
      for (const c of casters) {
        if (!procs.running(c)) throw new Error(`broadcaster to corral died:\n${c.tail.join('\n')}`);
      }
      return { idle, loaded, rss, pace, log: corral.log };
    } finally {
      await Promise.all(casters.map((c) => stopBroadcast(procs, c)));
    }
  } finally {
    await procs.stop(corral.child, 'SIGTERM', 5000);
  }
}

/** The floor process, measured as corral is: idle first, then with the same publishes. */
async function measureFloor(procs: Procs, o: CpuOptions) {
  const port = await freePort();
  const floor = procs.start('node-floor', process.execPath, ['--import', 'tsx', FLOOR, String(port)]);
  try {
    await waitListening(port, 20_000);
    await sleep(o.warmupS * 1000);
    const none = () => Promise.resolve(0);
    const { cpu: idle } = await sample([floor.pid], o.windowS, none);
    const casters = Array.from({ length: o.streams }, (_, i) =>
      broadcast(procs, o.input, `rtmp://127.0.0.1:${port}/live/s${i}`, `broadcaster-floor-${i}`),
    );
    try {
      await sleep(o.warmupS * 1000);
      const { cpu: loaded } = await sample([floor.pid], o.windowS, none);
      for (const c of casters) {
        if (!procs.running(c)) throw new Error(`broadcaster to the floor died:\n${c.tail.join('\n')}`);
      }
      return { idle, loaded };
    } finally {
      await Promise.all(casters.map((c) => stopBroadcast(procs, c)));
    }
  } finally {
    await procs.stop(floor, 'SIGTERM', 3000);
  }
}

async function measureFfmpeg(procs: Procs, o: CpuOptions) {
  const listeners: Child[] = [];
  const casters: Child[] = [];
  const outs: string[] = [];
  try {
    for (let i = 0; i < o.streams; i++) {
      const port = await freePort();
      const out = join(o.dir, `ffmpeg-hls-${o.streams}-${i}`);
      mkdirSync(out, { recursive: true });
      outs.push(out);
      listeners.push(
        procs.start(`ffmpeg-hls-${i}`, FFMPEG, [
          ...['-hide_banner', '-loglevel', 'error', '-listen', '1'],
          ...['-i', `rtmp://127.0.0.1:${port}/live/x`, '-c', 'copy', '-f', 'hls'],
          ...['-hls_segment_type', 'fmp4', '-hls_time', '1', '-hls_list_size', '6'],
          ...['-hls_flags', 'delete_segments', join(out, 'index.m3u8')],
        ]),
      );
      await waitListening(port, 10_000);
      casters.push(broadcast(procs, o.input, `rtmp://127.0.0.1:${port}/live/x`, `broadcaster-ff-${i}`));
    }
    await sleep(o.warmupS * 1000);
    const playlist = join(outs[0]!, 'index.m3u8');
    const { cpu: loaded, pace } = await sample(
      listeners.map((l) => l.pid),
      o.windowS,
      () => Promise.resolve(readNextSeq(playlist)),
    );
    for (const l of listeners) {
      if (!procs.running(l)) throw new Error(`ffmpeg HLS listener died:\n${l.tail.join('\n')}`);
    }
    return { loaded, pace };
  } finally {
    await Promise.all(casters.map((c) => stopBroadcast(procs, c)));
    await Promise.all(listeners.map((l) => procs.stop(l, 'SIGTERM', 3000)));
  }
}

const r3 = (x: number) => Math.round(x * 1000) / 1000;
const r4 = (x: number) => Math.round(x * 10000) / 10000;

export async function measureCpu(procs: Procs, o: CpuOptions): Promise<CpuResult> {
  // One after the other, never together: the machine has two cores and each must have them all.
  const c = await measureCorral(procs, o);
  const n = await measureFloor(procs, o);
  const f = await measureFfmpeg(procs, o);
  const perStream = (x: number) => x / o.streams;
  const subtracted = Math.max(0, c.loaded - c.idle);
  return {
    streams: o.streams,
    windowS: o.windowS,
    corralRaw: r4(c.loaded),
    corralIdle: r4(c.idle),
    ffmpeg: r4(f.loaded),
    floorRaw: r4(n.loaded),
    floorIdle: r4(n.idle),
    corralPerStream: r4(perStream(c.loaded)),
    corralPerStreamIdleSubtracted: r4(perStream(subtracted)),
    ffmpegPerStream: r4(perStream(f.loaded)),
    ratioRaw: r3(c.loaded / f.loaded),
    ratioIdleSubtracted: r3(subtracted / f.loaded),
    corralAboveFloorPerStream: r4(perStream(Math.max(0, c.loaded - n.loaded))),
    ratioAboveFloor: r3(Math.max(0, c.loaded - n.loaded) / f.loaded),
    corralRssMiB: c.rss,
    pace: { corral: c.pace, ffmpeg: f.pace },
    serverLog: c.log,
  };
}
