import { spawn } from 'node:child_process';

export const FFMPEG = process.env.FFMPEG_PATH ?? 'ffmpeg';
export const FFPROBE = process.env.FFPROBE_PATH ?? 'ffprobe';

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run a process to completion with a hard deadline (killed past it), capturing output (bounded). */
export function run(cmd: string, args: string[], timeoutMs: number): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => {
      if (stdout.length < 4 << 20) stdout += d.toString();
    });
    p.stderr.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-20_000);
    });
    const timer = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

export interface TestPatternOptions {
  seconds: number;
  size?: string;
  fps?: number;
  bframes?: number;
  /** Seconds between keyframes (the GOP, which sets corral's segment length); 1 when unset. */
  gopSeconds?: number;
  /** Pace the output at real time (-re), as a live encoder does (true); false encodes at full speed. */
  realtime?: boolean;
  /** Where the length is set: an output -t (default) or each lavfi source's own duration. */
  durationIn?: 't' | 'lavfi';
  /** Constant video bit rate (also -maxrate, and a 2 s -bufsize); x264's CRF default when unset. */
  videoKbps?: number;
  audioKbps?: number;
}

/**
 * ffmpeg arguments for a test pattern + tone with B-frames and a fixed GOP (1 s unless
 * `gopSeconds` says otherwise, no scene cuts), AAC, as FLV to `url` (an RTMP URL, or a file that is overwritten).
 */
export function testPatternArgs(url: string, o: TestPatternOptions): string[] {
  const fps = o.fps ?? 30;
  const inLavfi = o.durationIn === 'lavfi';
  const duration = inLavfi ? `:duration=${o.seconds}` : '';
  const video = o.videoKbps;
  const gop = String(Math.round(fps * (o.gopSeconds ?? 1)));
  return [
    ...['-hide_banner', '-loglevel', 'error', ...(o.realtime === false ? [] : ['-re'])],
    ...['-f', 'lavfi', '-i', `testsrc2=size=${o.size ?? '640x360'}:rate=${fps}${duration}`],
    ...['-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000${duration}`],
    ...(inLavfi ? [] : ['-t', String(o.seconds)]),
    ...['-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p'],
    ...['-g', gop, '-keyint_min', gop, '-sc_threshold', '0', '-bf', String(o.bframes ?? 2)],
    ...(video === undefined
      ? []
      : ['-b:v', `${video}k`, '-maxrate', `${video}k`, '-bufsize', `${2 * video}k`]),
    ...['-c:a', 'aac', '-b:a', `${o.audioKbps ?? 96}k`, '-f', 'flv', '-y', url],
  ];
}

/** Publish a test pattern and wait for ffmpeg to finish. */
export function publish(
  url: string,
  seconds: number,
  o: { size?: string; bframes?: number; fps?: number } = {},
) {
  return run(FFMPEG, testPatternArgs(url, { seconds, ...o }), (seconds + 30) * 1000);
}

export interface ProbeResult {
  streams: Array<{
    codec_name: string;
    codec_type: string;
    width?: number;
    height?: number;
    profile?: string;
  }>;
  format: { duration?: string };
}

export async function probe(url: string): Promise<ProbeResult> {
  const r = await run(FFPROBE, ['-v', 'error', '-show_streams', '-show_format', '-of', 'json', url], 60_000);
  if (r.code !== 0) throw new Error(`ffprobe failed (${r.code}): ${r.stderr}`);
  return JSON.parse(r.stdout) as ProbeResult;
}

/** Decode everything; returns the decoded duration in seconds (from ffmpeg's final time=). */
export async function decode(url: string): Promise<{ code: number | null; errors: string; seconds: number }> {
  const r = await run(
    FFMPEG,
    ['-hide_banner', '-nostats', '-progress', 'pipe:1', '-v', 'error', '-i', url, '-f', 'null', '-'],
    120_000,
  );
  const times = [...r.stdout.matchAll(/out_time_us=(\d+)/g)].map((m) => Number(m[1]));
  return { code: r.code, errors: r.stderr.trim(), seconds: (times[times.length - 1] ?? 0) / 1e6 };
}
