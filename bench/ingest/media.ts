/**
 * The one input every contender receives, and the broadcaster that replays it. Encoding once and
 * replaying with `-c copy` means corral and the ffmpeg baseline get byte-identical FLV tags, and
 * the broadcaster itself costs almost nothing (no encoder running during the measurements).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Child, Procs } from './util.js';

export const FFMPEG = process.env.FFMPEG_PATH || '/usr/bin/ffmpeg';

/** 720p30 test pattern + tone, x264 veryfast, 1 s closed GOP, B-frames, AAC: a typical OBS setup. */
export async function prepareInput(procs: Procs, dir: string, seconds: number): Promise<string> {
  const out = join(dir, 'input.flv');
  const args = [
    '-hide_banner',
    '-loglevel',
    'error',
    '-f',
    'lavfi',
    '-i',
    `testsrc2=size=1280x720:rate=30:duration=${seconds}`,
    '-f',
    'lavfi',
    '-i',
    `sine=frequency=440:sample_rate=48000:duration=${seconds}`,
    '-c:v',
    'libx264',
    '-preset',
    'veryfast',
    '-pix_fmt',
    'yuv420p',
    // A fixed 1 s GOP: every keyframe starts a ~1 s segment, as the issue assumes.
    '-g',
    '30',
    '-keyint_min',
    '30',
    '-sc_threshold',
    '0',
    // B-frames on, so composition offsets (cts != 0) go through the packager as in real streams.
    '-bf',
    '3',
    // A realistic 720p30 bit rate; the test pattern alone would compress to almost nothing.
    '-b:v',
    '3000k',
    '-maxrate',
    '3000k',
    '-bufsize',
    '6000k',
    '-c:a',
    'aac',
    '-b:a',
    '128k',
    '-f',
    'flv',
    '-y',
    out,
  ];
  const child = procs.start('encode', FFMPEG, args);
  const code = await child.exited;
  if (code !== 0 || !existsSync(out)) {
    throw new Error(`encoding the input failed (exit ${code}):\n${child.tail.join('\n')}`);
  }
  return out;
}

/** Replay the input in real time to an RTMP URL, as a broadcaster would send it. */
export function broadcast(procs: Procs, input: string, url: string, name = 'broadcaster'): Child {
  return procs.start(name, FFMPEG, [
    '-hide_banner',
    '-loglevel',
    'error',
    '-re',
    '-i',
    input,
    '-c',
    'copy',
    '-f',
    'flv',
    url,
  ]);
}

/** Stop a broadcaster the way a user would (ffmpeg flushes and unpublishes on SIGINT). */
export function stopBroadcast(procs: Procs, child: Child): Promise<void> {
  return procs.stop(child, 'SIGINT', 3000);
}
