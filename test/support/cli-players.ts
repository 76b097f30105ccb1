import { spawn } from 'node:child_process';
import { FFMPEG } from './ffmpeg.js';

export const GST_LAUNCH = process.env.GST_LAUNCH_PATH ?? 'gst-launch-1.0';

/** How a non-browser client fared over a fixed stretch of wall time. */
export interface ClientPlayback {
  /** Media seconds rendered (sum of forward steps, so a timeline reset at a discontinuity is not lost). */
  playedS: number;
  /**
   * Wall-clock stretches longer than the client's stall threshold with no media progress, after
   * the first frame: when each ended (ms since epoch) and how long it was.
   */
  stalls: Array<{ at: number; ms: number }>;
  /** The longest stretch without progress (ms), stall or not, for the report. */
  longestGapMs: number;
  /** When the pipeline dropped below 100 % buffered after playback began (GStreamer only). */
  rebuffers: number[];
  errors: string[];
  /** Media seconds per wall second from the first frame to the end, stalls left out. */
  speed: number;
}

interface Sample {
  wallMs: number;
  mediaS: number;
}

/**
 * A stall shows as wall time passing without the media clock moving; a timestamp jump back at a
 * discontinuity is neither. `maxStepS` bounds what one step may add to the played time, so a jump
 * forward is not counted as playback.
 */
function analyse(
  samples: Sample[],
  stallMs: number,
  maxStepS: (wallS: number) => number,
): Pick<ClientPlayback, 'playedS' | 'stalls' | 'longestGapMs' | 'speed'> {
  let playedS = 0;
  const stalls: ClientPlayback['stalls'] = [];
  let longestGapMs = 0;
  let lastMoveMs = samples[0]?.wallMs ?? 0;
  for (let i = 1; i < samples.length; i++) {
    const a = samples[i - 1]!;
    const b = samples[i]!;
    const step = b.mediaS - a.mediaS;
    if (step <= 0) continue;
    playedS += Math.min(step, maxStepS((b.wallMs - a.wallMs) / 1000));
    const gap = b.wallMs - lastMoveMs;
    if (gap > stallMs) stalls.push({ at: b.wallMs, ms: gap });
    longestGapMs = Math.max(longestGapMs, gap);
    lastMoveMs = b.wallMs;
  }
  const first = samples[0];
  const spanS = first ? (lastMoveMs - first.wallMs) / 1000 : 0;
  // Speed while playing: time spent stalled is judged by the stall rules, not as slowness.
  const playingS = spanS - stalls.reduce((n, x) => n + x.ms, 0) / 1000;
  return { playedS, stalls, longestGapMs, speed: playingS > 0 ? playedS / playingS : 0 };
}

function parseClock(hms: string): number {
  const [h, m, s] = hms.split(':');
  return Number(h) * 3600 + Number(m) * 60 + Number(s);
}

/** Spawn, feed each output line to `line`, stop after `wallMs` (SIGINT, then SIGKILL). */
function runFor(
  cmd: string,
  args: string[],
  wallMs: number,
  line: (text: string, atMs: number) => void,
): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let rest = '';
    p.stdout.on('data', (d: Buffer) => {
      const now = Date.now();
      const lines = (rest + d.toString()).split('\n');
      rest = lines.pop()!;
      for (const l of lines) line(l, now);
    });
    p.stderr.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-20_000);
    });
    const stop = setTimeout(() => p.kill('SIGINT'), wallMs);
    const kill = setTimeout(() => p.kill('SIGKILL'), wallMs + 5000);
    p.on('error', (e) => {
      clearTimeout(stop);
      clearTimeout(kill);
      reject(e);
    });
    p.on('close', (code) => {
      clearTimeout(stop);
      clearTimeout(kill);
      resolve({ code, stderr });
    });
  });
}

/**
 * ffmpeg as a live client, as people run it (`ffmpeg -i URL -f null -`): its HLS demuxer starts
 * three segments back from the live edge and then decodes each segment as it is published. It keeps
 * no playout buffer of its own, so its output clock steps once per segment; it counts as stalled
 * when nothing new arrived for `stallMs` (two target durations and a second).
 */
export async function playWithFfmpeg(url: string, wallMs: number, stallMs: number): Promise<ClientPlayback> {
  const samples: Sample[] = [];
  const r = await runFor(
    FFMPEG,
    [
      ...['-hide_banner', '-nostats', '-v', 'error', '-stats_period', '0.25', '-progress', 'pipe:1'],
      ...['-i', url, '-f', 'null', '-'],
    ],
    wallMs,
    (l, at) => {
      const m = /^out_time_us=(\d+)/.exec(l);
      if (m) samples.push({ wallMs: at, mediaS: Number(m[1]) / 1e6 });
    },
  );
  // ffmpeg reports time 0 until its first frame; start the clock there.
  const from = samples.findIndex((s) => s.mediaS > 0);
  const errors = r.stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/Exiting normally|received signal/i.test(l));
  // The start-up burst and whole segments are real decoding; only a jump far past a segment is not.
  const step = () => 3 * (stallMs / 1000);
  return { ...analyse(from < 0 ? [] : samples.slice(from), stallMs, step), rebuffers: [], errors };
}

/**
 * GStreamer playbin3 as a live viewer: fakesinks synced to the pipeline clock render in real time and
 * report each video buffer's PTS; gst-launch pauses the pipeline on buffering below 100 %, which is
 * a rebuffer. stdbuf keeps gst-launch's output line-buffered so arrival times are render times.
 */
export async function playWithGstreamer(url: string, wallMs: number): Promise<ClientPlayback> {
  const samples: Sample[] = [];
  let playing = false;
  const rebuffers: number[] = [];
  let buffering = false;
  const errors: string[] = [];
  const r = await runFor(
    'stdbuf',
    [
      ...['-oL', '-eL', GST_LAUNCH, '-m', '-v', 'playbin3', `uri=${url}`],
      'video-sink=fakesink name=vsink sync=true silent=false',
      'audio-sink=fakesink sync=true',
    ],
    wallMs,
    (l, at) => {
      if (l.startsWith('/') && l.includes('vsink: last-message')) {
        const m = /pts: (\d+:\d+:[\d.]+)/.exec(l);
        if (m) {
          playing = true;
          samples.push({ wallMs: at, mediaS: parseClock(m[1]!) });
        }
        return;
      }
      const b = /\(buffering\): .*buffer-percent=\(int\)(\d+)/.exec(l);
      if (b) {
        // One episode sends many percentages; count the drops below 100 %, not the messages.
        const low = Number(b[1]) < 100;
        if (low && !buffering && playing) rebuffers.push(at);
        buffering = low;
      }
      if (/^ERROR|\(error\): /.test(l)) errors.push(l.slice(0, 300));
    },
  );
  if (r.code !== 0 && samples.length === 0)
    errors.push(`gst-launch exited ${r.code}: ${r.stderr.slice(-500)}`);
  // Synced sinks render in real time: a step bigger than the wall time it took is a timeline jump.
  return { ...analyse(samples, 1000, (wallS) => wallS + 0.5), rebuffers, errors };
}
