import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseMediaPlaylist } from '../../src/hls/index.js';
import { PushQueue } from '../../src/package/push-queue.js';
import { LiveStream } from '../../src/package/stream.js';
import { silentLogger } from '../../src/util/logger.js';
import { AUDIO, RUNG_VIDEO, SOURCE_VIDEO, RecordingPush, avFrames, config } from '../support/package.js';

const T0 = 1_700_000_000_000;

/**
 * Regression (player matrix, hls.js "discontinuity sequence mismatch"): after a reconnect, the
 * new session's first parts were listed straight after the old session's last segment, and its
 * DISCONTINUITY and EXT-X-MAP appeared only once that segment closed. They must come before the
 * first EXT-X-PART of the new segment (draft-pantos-hls-rfc8216bis 4.4.4.9).
 */
test('a new session: DISCONTINUITY and the new MAP come before its first open part', async () => {
  const push = new RecordingPush();
  const queue = new PushQueue(push, silentLogger(), 100_000);
  const clock = { now: T0 };
  const stream = new LiveStream({
    path: 'live/o',
    config: config({ freshness: 'push' }),
    queue,
    log: silentLogger(),
    now: () => clock.now,
    onSegment: () => {},
  });
  const session = async (video: typeof SOURCE_VIDEO, seconds: number, end: boolean) => {
    const sink = stream.openSession(() => {});
    sink.videoConfig(video);
    sink.audioConfig(AUDIO);
    for (const f of avFrames({ seconds, fps: 30, gop: 60 })) {
      clock.now = T0 + f.dts;
      sink.frame(f);
      await queue.drain();
    }
    if (end) sink.end('disconnect');
  };
  await session(SOURCE_VIDEO, 4, true);
  // The new session, with other codec settings, for less than one GOP: parts only.
  await session(RUNG_VIDEO, 1, false);
  const last = push.ops
    .flatMap((o) => (o.op === 'put' && o.obj.path === 'live/o/src/index.m3u8' ? [o.obj] : []))
    .at(-1)!;
  const text = last.body.toString();
  const p = parseMediaPlaylist(text);
  assert.ok(p.openParts.length > 0, 'the new session has open parts');
  assert.deepEqual(p.openSegment, { discontinuity: true, map: 'init-1.mp4' }, text);
  const lines = text.split('\n');
  const firstOpenPart = lines.findIndex((l) => l.includes(`URI="${p.openParts[0]!.uri}"`));
  const lastSegment = lines.lastIndexOf(p.segments.at(-1)!.uri);
  const between = lines.slice(lastSegment + 1, firstOpenPart);
  assert.ok(between.includes('#EXT-X-DISCONTINUITY'), between.join('\n'));
  assert.ok(between.includes('#EXT-X-MAP:URI="init-1.mp4"'), between.join('\n'));
  // The delta update says the same.
  assert.match(last.delta!.toString(), /#EXT-X-DISCONTINUITY\n#EXT-X-MAP:URI="init-1.mp4"\n#EXT-X-PART:/);
  await stream.finish();
});
