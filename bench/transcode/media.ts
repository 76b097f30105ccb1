/**
 * The plain-ffmpeg ladder (the source and the broadcaster are in bench/lib/media.ts). Its command
 * line is derived from corral's own buildFfmpegArgs so both sides run byte-identical filter and encoder flags;
 * only the input (an RTMP listener or the file instead of corral's stdin pipe) and the outputs
 * (HLS fMP4 or null instead of FLV on pipes) differ.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load.js';
import { buildFfmpegArgs } from '../../src/transcode/args.js';
import { planLadder, type Rung } from '../../src/transcode/ladder.js';
import { FFMPEG, SOURCE } from '../lib/media.js';
import type { Procs } from '../lib/procs.js';

/** What corral plans for the source with its default configuration (480p and 360p here: the passthrough is the 720p rendition). */
export function defaultLadder(): { rungs: Rung[]; preset: string; args: string[]; outputFds: number[] } {
  const config = loadConfig().transcode;
  const rungs = planLadder(SOURCE, config.ladder, config.sourceHeightRung);
  const plan = buildFfmpegArgs({ config, rungs });
  return { rungs, preset: config.preset, args: plan.args, outputFds: plan.outputFds };
}

export type Output = { kind: 'hls'; dir: string } | { kind: 'null' };

function hls(dir: string): string[] {
  mkdirSync(dir, { recursive: true });
  return [
    ...['-f', 'hls', '-hls_segment_type', 'fmp4', '-hls_time', '1', '-hls_list_size', '6'],
    ...['-hls_flags', 'delete_segments+independent_segments', '-hls_fmp4_init_filename', 'init.mp4'],
    ...['-hls_segment_filename', join(dir, 'seg-%d.m4s'), join(dir, 'index.m3u8')],
  ];
}

/**
 * corral's ffmpeg arguments with the input and outputs swapped. Everything from -copyts on (the
 * timestamp mode, the filter graph, every rung's maps, encoder, rate control and keyframe flags)
 * is kept verbatim; the FLV muxer options are dropped, each `pipe:N` output becomes an HLS fMP4
 * playlist (or null), and the -progress pipe goes. With `extras`, the baseline also packages
 * the passthrough and the audio-only rendition, the other two things corral produces per stream.
 */
export function ladderCommand(opts: {
  input: string[];
  out: (rung: Rung) => Output;
  extras?: { srcDir: string; audioDir: string };
}): string[] {
  const { rungs, args, outputFds } = defaultLadder();
  const from = args.indexOf('-copyts');
  if (from < 0) throw new Error('buildFfmpegArgs changed: no -copyts to anchor on');
  const out: string[] = ['-hide_banner', '-nostdin', '-nostats', '-loglevel', 'warning', ...opts.input];
  const tail = args.slice(from);
  for (let i = 0; i < tail.length; i++) {
    const a = tail[i]!;
    if (a === '-f' && tail[i + 1] === 'flv') i++;
    else if (a === '-flvflags' || a === '-progress') i++;
    else if (/^pipe:\d+$/.test(a)) {
      const k = outputFds.indexOf(Number(a.slice(5)));
      if (k < 0) throw new Error(`unexpected ${a} in corral's ffmpeg arguments`);
      const o = opts.out(rungs[k]!);
      out.push(...(o.kind === 'hls' ? hls(o.dir) : ['-f', 'null', '-']));
    } else out.push(a);
  }
  if (opts.extras) {
    out.push('-map', '0:v', '-map', '0:a?', '-c', 'copy', ...hls(opts.extras.srcDir));
    out.push('-map', '0:a?', '-c', 'copy', ...hls(opts.extras.audioDir));
  }
  return out;
}

export interface RealTime {
  mediaS: number;
  wallS: number;
  cpuS: number;
  /** Media seconds per wall second: how many times faster than real time. */
  factor: number;
  cpuPerVideoS: number;
}

/**
 * The default ladder encoded from the file as fast as it goes (no -re), null outputs so disk
 * speed plays no part. ffmpeg's -benchmark prints its own utime/stime/rtime on exit, which counts
 * the whole process exactly (a /proc poll would miss the last moments before exit).
 */
export async function realTimeFactor(procs: Procs, src: string, mediaS: number): Promise<RealTime> {
  const args = ladderCommand({ input: ['-i', src], out: () => ({ kind: 'null' }) });
  // -benchmark's line is logged at info level.
  args[args.indexOf('-loglevel') + 1] = 'info';
  args.unshift('-benchmark');
  let bench: RegExpExecArray | null = null;
  const t0 = performance.now();
  const child = procs.start('ffmpeg-rtf', FFMPEG, args, {
    onLine: (line) => {
      bench ??= /bench: utime=([\d.]+)s stime=([\d.]+)s rtime=([\d.]+)s/.exec(line);
    },
  });
  const code = await child.exited;
  const wall = (performance.now() - t0) / 1000;
  if (code !== 0) throw new Error(`ffmpeg (real-time factor run) failed:\n${child.tail.join('\n')}`);
  const m = bench as RegExpExecArray | null;
  if (!m) throw new Error(`ffmpeg printed no -benchmark line:\n${child.tail.join('\n')}`);
  const cpuS = Number(m[1]) + Number(m[2]);
  const wallS = Number(m[3]) || wall;
  return { mediaS, wallS, cpuS, factor: mediaS / wallS, cpuPerVideoS: cpuS / mediaS };
}
