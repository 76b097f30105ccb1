import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { Registry } from 'prom-client';
import { FFMPEG, testPatternArgs } from '../support/ffmpeg.js';
import { RecordingTarget, type RecordedStream } from '../support/ingest/recording-target.js';
import { until } from '../support/ingest/server.js';
import { ingestLimitsSchema } from '../../src/config/schema.js';
import { silentLogger } from '../../src/util/logger.js';
import { RtmpServer, type RtmpServerEvents } from '../../src/ingest/server.js';
import { selfSignedCert } from '../../src/ingest/self-signed.js';
import type { AudioFrame, VideoFrame } from '../../src/media/types.js';

/** Publish testsrc2 + a sine tone for `seconds` to `url`; resolves with the exit code and stderr. */
function publish(url: string, seconds: number) {
  const args = testPatternArgs(url, { seconds });
  const proc = spawn(FFMPEG, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
    proc.once('error', reject);
    proc.once('exit', (code) => resolve({ code, stderr }));
  });
  // A hung ffmpeg must not hang the suite.
  const timer = setTimeout(() => proc.kill('SIGKILL'), (seconds + 25) * 1000);
  void done.finally(() => clearTimeout(timer)).catch(() => {});
  return { proc, done, kill: () => proc.exitCode === null && proc.kill('SIGKILL') };
}

function newServer() {
  const target = new RecordingTarget();
  const server = new RtmpServer({
    target,
    limits: ingestLimitsSchema.parse({}),
    apps: ['live'],
    logger: silentLogger(),
    registry: new Registry(),
  });
  return { target, server };
}

/** What a 3 s ffmpeg publish (30 fps, GOP 30, 2 B-frames, 48 kHz AAC) must have delivered. */
function checkStream(rec: RecordedStream, seconds: number) {
  const firstFrame = rec.events.findIndex((e) => e.kind === 'frame');
  const configs = rec.events.slice(0, firstFrame).map((e) => e.kind);
  assert.ok(configs.includes('videoConfig') && configs.includes('audioConfig'), `configs first: ${configs}`);
  const vcfg = rec.events.find((e) => e.kind === 'videoConfig');
  assert.ok(vcfg?.kind === 'videoConfig' && vcfg.cfg.avcC[0] === 1, 'avcC version 1');
  const acfg = rec.events.find((e) => e.kind === 'audioConfig');
  assert.ok(acfg?.kind === 'audioConfig' && acfg.cfg.asc[0]! >> 3 === 2, 'AAC-LC AudioSpecificConfig');

  const frames = rec.events.flatMap((e) => (e.kind === 'frame' ? [e.frame] : []));
  const video = frames.filter((f): f is VideoFrame => f.type === 'video');
  const audio = frames.filter((f): f is AudioFrame => f.type === 'audio');
  const expected = seconds * 30;
  assert.ok(Math.abs(video.length - expected) <= 3, `video frames: ${video.length}`);
  const keys = video.flatMap((f, i) => (f.keyframe ? [i] : []));
  assert.deepEqual(
    keys.filter((i) => i % 30 !== 0),
    [],
    `keyframes only every 30: ${keys}`,
  );
  for (let i = 0; i < expected - 3; i += 30) assert.ok(keys.includes(i), `keyframe at ${i}: ${keys}`);
  assert.ok(
    video.some((f) => f.cts > 0),
    'B-frames give some frames a positive composition offset',
  );
  for (const list of [video, audio]) {
    for (let i = 1; i < list.length; i++)
      assert.ok(list[i]!.dts >= list[i - 1]!.dts, `dts monotonic at ${i}`);
  }
  assert.ok(video.every((f) => f.data.length > 4));
  const audioExpected = (seconds * 48000) / 1024;
  assert.ok(Math.abs(audio.length - audioExpected) <= 8, `audio frames: ${audio.length}`);
  assert.ok(Math.abs(audio.at(-1)!.dts - seconds * 1000) < 100, `last audio dts ${audio.at(-1)!.dts}`);
  assert.equal(rec.ends.length, 1);
  assert.ok(['unpublish', 'disconnect'].includes(rec.ends[0]!), `end reason ${rec.ends[0]}`);
}

test('ffmpeg publishes over RTMP', { timeout: 60_000 }, async () => {
  const { target, server } = newServer();
  const { port } = await server.listen(0, '127.0.0.1');
  const ff = publish(`rtmp://127.0.0.1:${port}/live/test`, 3);
  try {
    const { code, stderr } = await ff.done;
    assert.equal(code, 0, stderr);
    await target.streams[0]?.ended;
    assert.equal(target.streams.length, 1);
    assert.equal(target.streams[0]!.req.name, 'test');
    checkStream(target.streams[0]!, 3);
    assert.equal(target.callsAfterEnd, 0);
  } finally {
    ff.kill();
    await server.close();
  }
});

test('ffmpeg publishes over RTMPS with a self-signed certificate', { timeout: 60_000 }, async () => {
  const { target, server } = newServer();
  const { port } = await server.listenTls(0, '127.0.0.1', await selfSignedCert([]));
  const ff = publish(`rtmps://127.0.0.1:${port}/live/test`, 3);
  try {
    const { code, stderr } = await ff.done;
    assert.equal(code, 0, stderr);
    await target.streams[0]?.ended;
    assert.equal(target.streams[0]!.req.secure, true);
    checkStream(target.streams[0]!, 3);
  } finally {
    ff.kill();
    await server.close();
  }
});

test('a second ffmpeg on a live name is refused while the first continues', { timeout: 90_000 }, async () => {
  const { target, server } = newServer();
  const rejected: RtmpServerEvents['rejected'][] = [];
  server.on('rejected', (e) => rejected.push(e));
  const { port } = await server.listen(0, '127.0.0.1');
  const url = `rtmp://127.0.0.1:${port}/live/busy`;
  const first = publish(url, 5);
  let second: ReturnType<typeof publish> | undefined;
  try {
    await until(() => (target.streams[0]?.events.length ?? 0) > 10, 20_000);
    second = publish(url, 2);
    const res2 = await second.done;
    assert.notEqual(res2.code, 0, 'the second publisher must fail');
    assert.deepEqual(
      rejected.map((r) => r.code),
      ['STREAM_BUSY'],
    );
    assert.equal(target.live.has('live/busy'), true, 'the first stream is still live');
    assert.deepEqual(target.streams[0]!.ends, []);

    const res1 = await first.done;
    assert.equal(res1.code, 0, res1.stderr);
    await target.streams[0]!.ended;
    assert.equal(target.streams.length, 1);
    checkStream(target.streams[0]!, 5);
  } finally {
    first.kill();
    second?.kill();
    await server.close();
  }
});
