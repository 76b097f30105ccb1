/**
 * The one input every contender receives, and the broadcaster that replays it. Encoding once and
 * replaying with `-c copy` means corral and the ffmpeg baseline get byte-identical FLV tags, and
 * the broadcaster itself costs almost nothing (no encoder runs during the measurements).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { testPatternArgs } from '../../test/support/ffmpeg.js';
import type { Child, Procs } from './procs.js';

export const FFMPEG = process.env.FFMPEG_PATH || '/usr/bin/ffmpeg';
export const SOURCE = { width: 1280, height: 720, fps: 30 };

/**
 * `seconds` of 720p30 test pattern + tone, x264 veryfast, a fixed 1 s closed GOP (= corral's 1 s
 * segments), 3 B-frames (so composition offsets go through the packager as in real streams), AAC
 * 128k, FLV, encoded as fast as it goes. A realistic 3 Mb/s: the test pattern alone would compress
 * to almost nothing, and the decoder's cost grows with the bit rate.
 */
export async function prepareSource(procs: Procs, dir: string, seconds: number): Promise<string> {
  const out = join(dir, 'input.flv');
  const { width, height, fps } = SOURCE;
  const child = procs.start(
    'encode',
    FFMPEG,
    testPatternArgs(out, {
      seconds,
      size: `${width}x${height}`,
      fps,
      bframes: 3,
      realtime: false,
      durationIn: 'lavfi',
      videoKbps: 3000,
      audioKbps: 128,
    }),
  );
  const code = await child.exited;
  if (code !== 0 || !existsSync(out)) {
    throw new Error(`encoding the source failed (exit ${code}):\n${child.tail.join('\n')}`);
  }
  return out;
}

/** Replay the input in real time (-re) to an RTMP URL, as a broadcaster's encoder would send it. */
export function broadcast(procs: Procs, input: string, url: string, name = 'broadcaster'): Child {
  return procs.start(name, FFMPEG, [
    ...['-hide_banner', '-loglevel', 'error', '-re', '-i', input],
    ...['-c', 'copy', '-f', 'flv', url],
  ]);
}

/** Stop a broadcaster the way a user would: on SIGINT ffmpeg flushes and unpublishes. */
export function stopBroadcast(procs: Procs, child: Child): Promise<void> {
  return procs.stop(child, 'SIGINT', 3000);
}
