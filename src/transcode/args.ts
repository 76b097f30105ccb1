import type { TranscodeConfig } from '../config/schema.js';
import type { Rung } from './ladder.js';

/**
 * ffmpeg command lines for one live stream's ladder. One process per stream: the source is
 * decoded once, split, scaled and encoded per rung, and each rung comes back as FLV on its own
 * pipe (fd 3, 4, ...), with the source audio copied in. Progress goes to one more pipe.
 *
 * Everything here must work with ffmpeg 4.1 (the static npm build) and 5.x (distributions):
 * that is why there is no -stats_period (4.4+; progress then comes every 0.5 s, the default in
 * both) and why -vsync rather than -fps_mode (5.1+, where -vsync still works).
 */

export type EncoderName = TranscodeConfig['encoder'];

export interface FfmpegPlan {
  args: string[];
  /** fd of each rung's FLV output, in rung order. */
  outputFds: number[];
  progressFd: number;
}

export interface ArgsInput {
  config: Pick<
    TranscodeConfig,
    'encoder' | 'preset' | 'nvencPreset' | 'vaapiDevice' | 'keyframes' | 'keyframeIntervalS'
  >;
  rungs: Rung[];
  /** Overrides config.preset (degrading switches to faster presets). */
  preset?: string;
}

/**
 * Keyframes come only from -force_key_frames: GOP limit far beyond any segment, no scene-cut
 * keyframes, so segment N spans the same time in every rendition.
 */
const GOP_FRAMES = 600;

/** x264 presets, fastest first: degrading steps to the left. */
export const X264_PRESETS = [
  'ultrafast',
  'superfast',
  'veryfast',
  'faster',
  'fast',
  'medium',
  'slow',
  'slower',
  'veryslow',
  'placebo',
] as const;

/** The next faster x264 preset, or undefined when already the fastest (or unknown). */
export function fasterPreset(preset: string): string | undefined {
  const i = X264_PRESETS.indexOf(preset as (typeof X264_PRESETS)[number]);
  return i > 0 ? X264_PRESETS[i - 1] : undefined;
}

export function forceKeyFrames(config: ArgsInput['config']): string {
  // `t` starts near 0 because the driver rebases each run's timestamps; with large source
  // timestamps n_forced would lag t and every frame would become a keyframe.
  return config.keyframes === 'source' ? 'source' : `expr:gte(t,n_forced*${config.keyframeIntervalS})`;
}

/** split + scale per rung; hardware paths upload once before the split. */
export function filterGraph(encoder: EncoderName, rungs: Rung[]): string {
  const n = rungs.length;
  const splits = rungs.map((_, i) => `[s${i}]`).join('');
  const head =
    encoder === 'h264_vaapi'
      ? `[0:v]format=nv12,hwupload,split=${n}${splits}`
      : // QSV takes system-memory NV12; x264 and NVENC take yuv420p. Forcing 4:2:0 keeps a 4:2:2
        // source from producing a High 4:2:2 stream no browser plays.
        `[0:v]format=${encoder === 'h264_qsv' ? 'nv12' : 'yuv420p'},split=${n}${splits}`;
  const scales = rungs.map((r, i) =>
    encoder === 'h264_vaapi'
      ? `[s${i}]scale_vaapi=w=${r.width}:h=${r.height}[v${i}]`
      : `[s${i}]scale=w=${r.width}:h=${r.height}[v${i}]`,
  );
  return [head, ...scales].join(';');
}

/** Rate control shared by every encoder: 1 s VBV (segments are ~1 s), 10% peak headroom. */
function rate(r: Rung): string[] {
  const k = r.videoKbps;
  return ['-b:v', `${k}k`, '-maxrate', `${Math.round(k * 1.1)}k`, '-bufsize', `${k}k`];
}

/** Encoder flags for low latency: no B-frames, no lookahead, keyframes only where forced (IDR). */
export function encoderArgs(config: ArgsInput['config'], preset: string): string[] {
  switch (config.encoder) {
    case 'libx264':
      return [
        '-c:v', 'libx264',
        '-preset', preset,
        '-tune', 'zerolatency', // no lookahead, no frame threads delay
        '-profile:v', 'high',
        '-bf', '0',
        '-g', String(GOP_FRAMES),
        '-sc_threshold', '0',
      ]; // prettier-ignore
    case 'h264_nvenc':
      return [
        '-c:v', 'h264_nvenc',
        '-preset', config.nvencPreset,
        '-tune', 'll',
        '-zerolatency', '1',
        '-rc-lookahead', '0',
        '-bf', '0',
        '-g', String(GOP_FRAMES),
        '-no-scenecut', '1',
        '-forced-idr', '1', // forced keyframes as IDR, not just I: segments must start decodable
        '-profile:v', 'high',
      ]; // prettier-ignore
    case 'h264_qsv':
      return [
        '-c:v', 'h264_qsv',
        '-preset', preset,
        '-look_ahead', '0',
        '-async_depth', '1', // one frame in flight: latency over throughput
        '-bf', '0',
        '-g', String(GOP_FRAMES),
        '-forced_idr', '1',
        '-profile:v', 'high',
      ]; // prettier-ignore
    case 'h264_vaapi':
      // VAAPI forces IDR on requested keyframes and has no scene-cut detection.
      return ['-c:v', 'h264_vaapi', '-bf', '0', '-g', String(GOP_FRAMES), '-profile:v', 'high'];
  }
}

/** The full command line; fds start at 3 (0..2 are stdin, stdout, stderr). */
export function buildFfmpegArgs(input: ArgsInput): FfmpegPlan {
  const { config, rungs } = input;
  if (rungs.length === 0) throw new Error('buildFfmpegArgs: no rungs (passthrough only needs no ffmpeg)');
  const preset = input.preset ?? config.preset;
  const outputFds = rungs.map((_, i) => 3 + i);
  const progressFd = 3 + rungs.length;
  const args = [
    '-hide_banner',
    '-nostdin', // stdin is media, never keyboard commands
    '-nostats',
    '-loglevel', 'warning',
    ...(config.encoder === 'h264_vaapi' ? ['-vaapi_device', config.vaapiDevice] : []),
    // Input: exactly what our FLV header announces, so probe the minimum. Not -fflags nobuffer:
    // it throws away the packets read while probing, i.e. the first keyframe and its GOP.
    '-probesize', '32',
    '-analyzeduration', '100000',
    '-f', 'flv',
    '-i', 'pipe:0',
    // Keep input timestamps (the driver rebased them to start near 0) and pass every frame
    // through with its own timestamp: no dup/drop, so rendition frames match source frames.
    // (Not -enc_time_base -1: with ffmpeg 4.1 x264 then rate-controls as if at 1000 fps.)
    '-copyts',
    '-vsync', 'passthrough',
    '-filter_complex', filterGraph(config.encoder, rungs),
  ]; // prettier-ignore
  rungs.forEach((r, i) => {
    args.push(
      '-map', `[v${i}]`,
      '-map', '0:a?',
      ...encoderArgs(config, preset),
      ...rate(r),
      '-force_key_frames', forceKeyFrames(config),
      '-c:a', 'copy',
      '-f', 'flv',
      '-flvflags', 'no_duration_filesize', // no seeking back on a pipe
      '-flush_packets', '1', // every packet leaves at once: latency
      `pipe:${outputFds[i]}`,
    ); // prettier-ignore
  });
  args.push('-progress', `pipe:${progressFd}`);
  return { args, outputFds, progressFd };
}
