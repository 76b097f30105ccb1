import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Registry } from 'prom-client';
import { transcodeSchema, type TranscodeConfig } from '../../src/config/schema.js';
import { parseAudioTag, parseVideoTag } from '../../src/media/flv-tags.js';
import { FLV_TAG_VIDEO, FlvReader } from '../../src/media/flv-container.js';
import { parseAvcC, parseSps } from '../../src/media/h264.js';
import type { AacConfig, H264Config, MediaFrame, StreamSink, VideoFrame } from '../../src/media/types.js';
import { isCorralError } from '../../src/util/errors.js';
import { silentLogger } from '../../src/util/logger.js';
import { liveChildCount } from '../../src/transcode/children.js';
import { locateFfmpeg } from '../../src/transcode/ffmpeg-path.js';
import { DEFAULT_LADDER, planLadder } from '../../src/transcode/ladder.js';
import { Transcoder, type TranscoderEvents } from '../../src/transcode/transcoder.js';

interface Source {
  video: H264Config;
  audio: AacConfig;
  frames: MediaFrame[];
  /** Loop period: the next loop's timestamps are shifted by this. */
  periodMs: number;
}

let ffmpeg = '';
let dir = '';
let src: Source;

/** 4 s of 720p30 with B-frames (as broadcasters send) and AAC, parsed with our own FLV code. */
before(() => {
  ffmpeg = locateFfmpeg().path;
  dir = mkdtempSync(join(tmpdir(), 'corral-transcode-'));
  const file = join(dir, 'src.flv');
  const r = spawnSync(
    ffmpeg,
    ['-nostdin', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=1280x720:rate=30']
      .concat(['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000', '-t', '4'])
      .concat(['-c:v', 'libx264', '-preset', 'ultrafast', '-g', '30', '-bf', '2', '-c:a', 'aac', file]),
    { timeout: 60_000 },
  );
  assert.equal(r.status, 0, String(r.stderr));
  const frames: MediaFrame[] = [];
  let video: H264Config | undefined;
  let audio: AacConfig | undefined;
  for (const tag of new FlvReader().push(readFileSync(file))) {
    if (tag.type === 18) continue;
    const t =
      tag.type === FLV_TAG_VIDEO
        ? parseVideoTag(tag.body, tag.timestamp)
        : parseAudioTag(tag.body, tag.timestamp);
    if (t.kind === 'frame') frames.push(t.frame);
    else if (t.kind === 'config' && t.config.codec === 'h264') video = t.config;
    else if (t.kind === 'config' && t.config.codec === 'aac') audio = t.config;
  }
  assert.ok(video && audio && frames.length > 150);
  const last = Math.max(...frames.map((f) => f.dts));
  src = { video, audio, frames, periodMs: Math.ceil((last + 34) / 10) * 10 };
});

after(() => rmSync(dir, { recursive: true, force: true }));

type Rec =
  | { kind: 'videoConfig'; cfg: H264Config }
  | { kind: 'audioConfig'; cfg: AacConfig }
  | { kind: 'frame'; f: MediaFrame }
  | { kind: 'end'; reason: string };

class RecordingSink implements StreamSink {
  events: Rec[] = [];
  videoConfig = (cfg: H264Config) => void this.events.push({ kind: 'videoConfig', cfg });
  audioConfig = (cfg: AacConfig) => void this.events.push({ kind: 'audioConfig', cfg });
  frame = (f: MediaFrame) => void this.events.push({ kind: 'frame', f });
  end = (reason: string) => void this.events.push({ kind: 'end', reason });
  frames = () => this.events.flatMap((e) => (e.kind === 'frame' ? [e.f] : []));
  video = () => this.frames().filter((f): f is VideoFrame => f.type === 'video');
  ended = () => this.events.find((e) => e.kind === 'end')?.reason;
  size() {
    const e = this.events.find((x) => x.kind === 'videoConfig');
    assert.ok(e?.kind === 'videoConfig', 'videoConfig delivered');
    const sps = parseSps(parseAvcC(e.cfg.avcC).sps[0]!);
    return `${sps.width}x${sps.height}`;
  }
}

function setup(over: Partial<TranscodeConfig> = {}, heights = [720, 480, 360], ffmpegPath = ffmpeg) {
  const registry = new Registry();
  const sessions = new Map<string, RecordingSink[]>();
  const config = transcodeSchema.parse({ slowReports: 1000, ...over });
  const ladder = DEFAULT_LADDER.filter((r) => heights.includes(r.height));
  const tx = new Transcoder({
    ffmpegPath,
    config,
    rungs: planLadder({ width: 1280, height: 720 }, ladder, true),
    logger: silentLogger(),
    registry,
    streamPath: 'live/test',
    outputFor(name) {
      const s = new RecordingSink();
      sessions.set(name, [...(sessions.get(name) ?? []), s]);
      return s;
    },
  });
  const events: Array<{ [K in keyof TranscoderEvents]: [K, TranscoderEvents[K]] }[keyof TranscoderEvents]> =
    [];
  for (const k of [
    'spawnFailed',
    'crashed',
    'restarted',
    'failed',
    'stopped',
    'degraded',
    'rungsChanged',
  ] as const) {
    tx.on(k, (p) => events.push([k, p] as never));
  }
  return { tx, sessions, events, registry };
}

/** Feed the source (looped, timestamps continued) at `rate` x real time until stopped. */
function feed(tx: Transcoder, opts: { rate: number; loops: number }) {
  let stop = false;
  const done = (async () => {
    const t0 = performance.now();
    for (let loop = 0; loop < opts.loops && !stop; loop++) {
      for (const f of src.frames) {
        if (stop) return;
        const dts = f.dts + loop * src.periodMs;
        const wait = dts / opts.rate - (performance.now() - t0);
        if (wait > 1) await sleep(wait);
        tx.frame({ ...f, dts });
      }
    }
  })();
  return { done, stop: () => ((stop = true), done) };
}

async function until(what: string, cond: () => boolean, ms = 15_000) {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

function gone(pid: number | undefined): boolean {
  if (pid === undefined) return true;
  try {
    process.kill(pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

const pts = (f: VideoFrame) => f.dts + f.cts;

test('720p source: each rung has its size, keyframes where the source has them, audio', async () => {
  const { tx, sessions, events } = setup();
  const pid = () => tx.pid;
  let firstPid: number | undefined;
  try {
    tx.start(src.video, src.audio);
    firstPid = pid();
    await feed(tx, { rate: 3, loops: 1 }).done;
    await tx.stop();
  } finally {
    await tx.stop();
  }
  assert.deepEqual(
    events.map((e) => e[0]),
    ['stopped'],
  );
  assert.ok(gone(firstPid), 'ffmpeg reaped');
  assert.equal(liveChildCount(), 0);
  const want: Record<string, string> = { '720p': '1280x720', '480p': '854x480', '360p': '640x360' };
  const sourceVideo = src.frames.filter((f): f is VideoFrame => f.type === 'video');
  const sourceKeys = sourceVideo.filter((f) => f.keyframe).map(pts);
  for (const [name, size] of Object.entries(want)) {
    const runs = sessions.get(name) ?? [];
    assert.equal(runs.length, 1, `${name}: one session`);
    const s = runs[0]!;
    assert.equal(s.size(), size, name);
    assert.ok(
      s.events.some((e) => e.kind === 'audioConfig'),
      `${name}: audio config`,
    );
    const video = s.video();
    assert.ok(
      video.length >= sourceVideo.length - 2,
      `${name}: ${video.length} of ${sourceVideo.length} frames`,
    );
    const keys = video.filter((f) => f.keyframe).map(pts);
    assert.equal(keys.length, sourceKeys.length, `${name}: keyframes ${keys} vs source ${sourceKeys}`);
    keys.forEach((k, i) =>
      assert.ok(Math.abs(k - sourceKeys[i]!) <= 34, `${name}: keyframe ${k} vs ${sourceKeys[i]}`),
    );
    assert.ok(s.frames().filter((f) => f.type === 'audio').length > 150, `${name}: audio frames`);
    assert.equal(s.ended(), 'unpublish');
  }
});

test('killing ffmpeg mid-stream: crashed, a new process within 3 s, sinks end(error) then start over', async () => {
  const { tx, sessions, events, registry } = setup({}, [480, 360]);
  const f = feed(tx, { rate: 1, loops: 5 });
  const pids: Array<number | undefined> = [];
  try {
    tx.start(src.video, src.audio);
    pids.push(tx.pid);
    await until('first output', () => (sessions.get('360p')?.[0]?.video().length ?? 0) > 10);
    process.kill(tx.pid!, 'SIGKILL');
    const killedAt = Date.now();
    await until('restart', () => events.some((e) => e[0] === 'restarted'), 5_000);
    assert.ok(Date.now() - killedAt < 3_000, 'restarted within 3 s');
    pids.push(tx.pid);
    assert.notEqual(pids[1], pids[0]);
    assert.ok(gone(pids[0]));
    await until('second session output', () => (sessions.get('360p')?.[1]?.video().length ?? 0) > 10);
  } finally {
    await f.stop();
    await tx.stop();
  }
  const crash = events.find((e) => e[0] === 'crashed');
  assert.ok(crash?.[0] === 'crashed' && crash[1].signal === 'SIGKILL');
  assert.deepEqual(
    events.map((e) => e[0]),
    ['crashed', 'restarted', 'stopped'],
  );
  for (const name of ['480p', '360p']) {
    const [first, second] = sessions.get(name)!;
    assert.equal(first!.ended(), 'error', `${name}: old run ended with error`);
    assert.equal(second!.events[0]!.kind, 'videoConfig', `${name}: new session starts with its config`);
    assert.ok(second!.video()[0]!.keyframe, `${name}: and a keyframe`);
    assert.equal(second!.ended(), 'unpublish');
  }
  assert.ok(pids.every(gone), 'no child left');
  assert.equal(liveChildCount(), 0);
  const metrics = await registry.metrics();
  assert.match(metrics, /corral_transcode_restarts_total\{stream="live\/test"\} 1/);
  assert.match(metrics, /corral_transcode_input_dropped_frames_total\{stream="live\/test"\} \d+/);
});

test('spawnFailed: a missing binary, and one that exits at once', async () => {
  for (const path of [join(dir, 'no-such-ffmpeg'), '/bin/false']) {
    const { tx, events, sessions } = setup({}, [360], path);
    try {
      tx.start(src.video, src.audio);
      await until('spawnFailed', () => events.length > 0, 5_000);
      const [kind, payload] = events[0]!;
      assert.equal(kind, 'spawnFailed', path);
      assert.ok(kind === 'spawnFailed' && isCorralError(payload.error, 'PROCESS_SPAWN'));
      tx.frame(src.frames[0]!); // no process: dropped and counted, never thrown
      assert.equal(tx.inputDropped, 1);
    } finally {
      await tx.stop();
    }
    assert.equal(sessions.size, 0, 'no sink opened without output');
    assert.deepEqual(
      events.map((e) => e[0]),
      ['spawnFailed', 'stopped'],
    );
  }
  assert.equal(liveChildCount(), 0);
});

test('degrade when too slow: drop the top rung, then faster presets, in that order', async () => {
  // Real speed is ~1.0 with live input; a 50x threshold makes every report count as slow.
  const { tx, events } = setup({ slowSpeed: 50, slowLagMs: 0, slowReports: 2 });
  const f = feed(tx, { rate: 1, loops: 5 });
  const pids: Array<number | undefined> = [];
  try {
    tx.start(src.video, src.audio);
    pids.push(tx.pid);
    await until('three degrade steps', () => events.filter((e) => e[0] === 'degraded').length >= 3, 25_000);
    pids.push(tx.pid);
  } finally {
    await f.stop();
    await tx.stop();
  }
  const steps = events.flatMap((e) => (e[0] === 'degraded' ? [e[1]] : [])).slice(0, 3);
  assert.deepEqual(
    steps.map((s) => [s.step, s.level, s.rungs.join(','), s.preset]),
    [
      ['dropRung', 1, '480p,360p', 'veryfast'],
      ['fasterPreset', 2, '480p,360p', 'superfast'],
      ['fasterPreset', 3, '480p,360p', 'ultrafast'],
    ],
  );
  const changed = events.find((e) => e[0] === 'rungsChanged');
  assert.ok(changed?.[0] === 'rungsChanged');
  assert.deepEqual(
    changed[1].rungs.map((r) => r.name),
    ['480p', '360p'],
  );
  assert.ok(
    !events.some((e) => e[0] === 'crashed' || e[0] === 'spawnFailed'),
    'planned restarts are not crashes',
  );
  assert.ok(pids.every(gone));
  assert.equal(liveChildCount(), 0);
});

test('a stuck ffmpeg: the input buffer stays bounded, and stop() escalates to signals', async () => {
  // Never reads stdin, never writes, never exits: the worst child there is.
  const stuck = join(dir, 'stuck-ffmpeg');
  writeFileSync(stuck, '#!/bin/sh\nexec sleep 60\n');
  chmodSync(stuck, 0o755);
  const limit = 64 << 10;
  const { tx, events } = setup({ maxInputBufferBytes: limit, stopGraceMs: 100 }, [360], stuck);
  let pid: number | undefined;
  let maxBacklog = 0;
  try {
    tx.start(src.video, src.audio);
    pid = tx.pid;
    for (let loop = 0; loop < 3; loop++) {
      for (const f of src.frames) {
        tx.frame({ ...f, dts: f.dts + loop * src.periodMs });
        maxBacklog = Math.max(maxBacklog, tx.inputBacklog);
      }
    }
    const biggest = Math.max(...src.frames.map((f) => f.data.length)) + 64;
    assert.ok(maxBacklog <= 2 * limit + biggest, `backlog ${maxBacklog} bounded`);
    assert.ok(tx.inputDropped > 0, 'frames were dropped, not queued');
  } finally {
    await tx.stop();
  }
  assert.ok(gone(pid), 'SIGTERM reaped the child that ignored EOF');
  assert.deepEqual(
    events.map((e) => e[0]),
    ['stopped'],
  );
  assert.equal(liveChildCount(), 0);
});
