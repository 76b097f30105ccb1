import { test } from 'node:test';
import assert from 'node:assert/strict';
import { transcodeSchema, type TranscodeConfig } from '../config/schema.js';
import { buildFfmpegArgs, fasterPreset } from './args.js';
import { DEFAULT_LADDER, planLadder } from './ladder.js';
import { ProgressParser } from './progress.js';

const rungs = planLadder({ width: 1280, height: 720 }, DEFAULT_LADDER, true);
const cfg = (over: Partial<TranscodeConfig> = {}) => transcodeSchema.parse(over);

/** The values following each occurrence of `flag`. */
function values(args: string[], flag: string): string[] {
  return args.flatMap((a, i) => (a === flag ? [args[i + 1]!] : []));
}

/** Output options of rung i: from its -map [vi] to its pipe:N. */
function output(args: string[], i: number): string[] {
  const from = args.indexOf(`[v${i}]`) - 1;
  const to = args.indexOf(`pipe:${3 + i}`);
  return args.slice(from, to + 1);
}

test('libx264: input, filter graph, one low-latency FLV output per rung, progress pipe', () => {
  const { args, outputFds, progressFd } = buildFfmpegArgs({ config: cfg(), rungs });
  assert.deepEqual(outputFds, [3, 4, 5]);
  assert.equal(progressFd, 6);
  const input = args.slice(0, args.indexOf('-i') + 2);
  assert.deepEqual(input.slice(-4), ['-f', 'flv', '-i', 'pipe:0']);
  assert.ok(!values(args, '-fflags').includes('nobuffer'), 'nobuffer would discard the probed first GOP');
  assert.deepEqual(values(args, '-filter_complex'), [
    '[0:v]format=yuv420p,split=3[s0][s1][s2];[s0]scale=w=1280:h=720[v0];' +
      '[s1]scale=w=854:h=480[v1];[s2]scale=w=640:h=360[v2]',
  ]);
  assert.deepEqual(args.slice(-2), ['-progress', 'pipe:6']);
  assert.ok(!args.includes('-stats_period'), 'ffmpeg 4.1 has no -stats_period');
  const out = output(args, 1);
  assert.deepEqual(values(out, '-map'), ['[v1]', '0:a?']);
  assert.deepEqual(values(out, '-c:v'), ['libx264']);
  assert.deepEqual(values(out, '-preset'), ['veryfast']);
  assert.deepEqual(values(out, '-tune'), ['zerolatency']);
  assert.deepEqual(values(out, '-bf'), ['0']);
  assert.deepEqual(values(out, '-sc_threshold'), ['0']);
  assert.deepEqual(values(out, '-b:v'), ['1200k']);
  assert.deepEqual(values(out, '-maxrate'), ['1320k']);
  assert.deepEqual(values(out, '-bufsize'), ['1200k']);
  assert.deepEqual(values(out, '-force_key_frames'), ['source']);
  assert.deepEqual(values(out, '-c:a'), ['copy']);
  assert.deepEqual(values(out, '-f'), ['flv']);
  assert.deepEqual(values(out, '-flvflags'), ['no_duration_filesize']);
  assert.deepEqual(values(out, '-flush_packets'), ['1']);
  assert.ok(Number(values(out, '-g')[0]) >= 300, 'GOP far beyond a segment: keyframes only where forced');
});

test('interval keyframes and a preset override', () => {
  const { args } = buildFfmpegArgs({
    config: cfg({ keyframes: 'interval', keyframeIntervalS: 2 }),
    rungs: rungs.slice(2),
    preset: 'ultrafast',
  });
  assert.deepEqual(values(args, '-force_key_frames'), ['expr:gte(t,n_forced*2)']);
  assert.deepEqual(values(args, '-preset'), ['ultrafast']);
  assert.deepEqual(values(args, '-filter_complex'), [
    '[0:v]format=yuv420p,split=1[s0];[s0]scale=w=640:h=360[v0]',
  ]);
});

test('h264_nvenc: p-preset with tune ll, no lookahead, no scene cuts, forced IDR', () => {
  const { args } = buildFfmpegArgs({ config: cfg({ encoder: 'h264_nvenc' }), rungs });
  const out = output(args, 0);
  assert.deepEqual(values(out, '-c:v'), ['h264_nvenc']);
  assert.deepEqual(values(out, '-preset'), ['p2']);
  assert.deepEqual(values(out, '-tune'), ['ll']);
  assert.deepEqual(values(out, '-rc-lookahead'), ['0']);
  assert.deepEqual(values(out, '-no-scenecut'), ['1']);
  assert.deepEqual(values(out, '-forced-idr'), ['1']);
  assert.deepEqual(values(out, '-bf'), ['0']);
  assert.ok(!out.includes('-sc_threshold'), 'x264-only option');
});

test('h264_vaapi: device before the input, hwupload once, scale_vaapi per rung', () => {
  const { args } = buildFfmpegArgs({
    config: cfg({ encoder: 'h264_vaapi', vaapiDevice: '/dev/dri/renderD129' }),
    rungs,
  });
  assert.ok(args.indexOf('-vaapi_device') < args.indexOf('-i'));
  assert.deepEqual(values(args, '-vaapi_device'), ['/dev/dri/renderD129']);
  assert.deepEqual(values(args, '-filter_complex'), [
    '[0:v]format=nv12,hwupload,split=3[s0][s1][s2];[s0]scale_vaapi=w=1280:h=720[v0];' +
      '[s1]scale_vaapi=w=854:h=480[v1];[s2]scale_vaapi=w=640:h=360[v2]',
  ]);
  const out = output(args, 2);
  assert.deepEqual(values(out, '-c:v'), ['h264_vaapi']);
  assert.ok(!out.includes('-preset') && !out.includes('-tune'), 'vaapi has neither');
});

test('h264_qsv: system-memory NV12, preset, no lookahead, forced IDR', () => {
  const { args } = buildFfmpegArgs({ config: cfg({ encoder: 'h264_qsv' }), rungs });
  assert.match(values(args, '-filter_complex')[0]!, /^\[0:v\]format=nv12,split=3/);
  const out = output(args, 0);
  assert.deepEqual(values(out, '-c:v'), ['h264_qsv']);
  assert.deepEqual(values(out, '-preset'), ['veryfast']);
  assert.deepEqual(values(out, '-look_ahead'), ['0']);
  assert.deepEqual(values(out, '-forced_idr'), ['1']);
});

test('faster presets step toward ultrafast', () => {
  assert.equal(fasterPreset('veryfast'), 'superfast');
  assert.equal(fasterPreset('superfast'), 'ultrafast');
  assert.equal(fasterPreset('ultrafast'), undefined);
  assert.equal(fasterPreset('nonsense'), undefined);
});

test('no rungs is a programming error', () => {
  assert.throws(() => buildFfmpegArgs({ config: cfg(), rungs: [] }));
});

test('progress blocks from ffmpeg 4.1 and 5.x', () => {
  const p = new ProgressParser();
  const v5 =
    'frame=30\nfps=29.5\nout_time_us=1000000\nout_time_ms=1000000\ndup_frames=0\ndrop_frames=2\nspeed=0.98x\nprogress=continue\n';
  const v41 =
    'frame=60\nfps=30.00\nout_time_ms=2000000\nout_time=00:00:02.000000\ndrop_frames=3\nspeed=N/A\nprogress=end\n';
  const got = [...p.push(v5.slice(0, 17)), ...p.push(v5.slice(17) + v41)];
  assert.deepEqual(got, [
    { frame: 30, fps: 29.5, speed: 0.98, dropFrames: 2, dupFrames: 0, outTimeMs: 1000, end: false },
    { frame: 60, fps: 30, speed: undefined, dropFrames: 3, dupFrames: 0, outTimeMs: 2000, end: true },
  ]);
});
