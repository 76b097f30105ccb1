import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import HLS from 'hls-parser';
import type { H264Config, MediaFrame } from '../../src/media/types.js';
import type { PushObject } from '../../src/origin/types.js';
import { silentLogger } from '../../src/util/logger.js';
import { PushQueue } from '../../src/package/push-queue.js';
import { LiveStream } from '../../src/package/stream.js';
import {
  AUDIO,
  RUNG_VIDEO,
  SOURCE_VIDEO,
  RecordingPush,
  avFrames,
  config,
  fakeFactory,
  readPlaylist,
} from '../support/package.js';

/**
 * Every playlist the packager pushes, read by an independent strict parser (hls-parser in strict
 * mode): multivariant, plain and LL-HLS media playlists (full and delta), through a sliding
 * window, a reconnect with the same codec settings and one with new ones, and the end.
 */

const T0 = 1_700_000_000_000;
const PATH = 'live/p';

before(() => HLS.setOptions({ strictMode: true, silent: true }));

interface Session {
  seconds: number;
  video?: H264Config;
}

function pushed(opts: { freshness: 'push' | 'ttl'; fps: number; gop: number; sessions: Session[] }) {
  const { factory } = fakeFactory({ rungs: ['240p'], delayFrames: 4 });
  const push = new RecordingPush();
  const queue = new PushQueue(push, silentLogger(), 100_000);
  const clock = { now: T0 };
  const stream = new LiveStream({
    path: PATH,
    config: config({ freshness: opts.freshness }),
    queue,
    log: silentLogger(),
    now: () => clock.now,
    onSegment: () => {},
    transcoders: factory,
  });
  const run = async () => {
    for (const s of opts.sessions) {
      const sink = stream.openSession(() => {});
      sink.videoConfig(s.video ?? SOURCE_VIDEO);
      sink.audioConfig(AUDIO);
      const frames: MediaFrame[] = avFrames({ seconds: s.seconds, fps: opts.fps, gop: opts.gop });
      for (const f of frames) {
        clock.now = T0 + f.dts;
        sink.frame(f);
        // Drain as real time would: a queued playlist version is superseded by a newer one.
        await queue.drain();
      }
      sink.end('disconnect');
    }
    await stream.finish();
    await queue.drain();
    return push.ops.flatMap((o) => (o.op === 'put' && o.obj.path.endsWith('.m3u8') ? [o.obj] : []));
  };
  return run();
}

/** Parse one pushed version strictly; a failure names the playlist and shows its text. */
function strict(path: string, text: string): HLS.types.Playlist {
  try {
    return HLS.parse(text);
  } catch (e) {
    assert.fail(`${path}: ${(e as Error).message}\n${text}`);
  }
}

function checkAll(objs: PushObject[]): { media: number; deltas: number; multivariant: number; ll: number } {
  const count = { media: 0, deltas: 0, multivariant: 0, ll: 0 };
  for (const o of objs) {
    const text = o.body.toString();
    const parsed = strict(o.path, text);
    if (o.kind === 'multivariant') {
      assert.equal(parsed.isMasterPlaylist, true);
      count.multivariant++;
      continue;
    }
    const media = parsed as HLS.types.MediaPlaylist;
    assert.equal(media.isMasterPlaylist, false);
    // hls-parser lists the open segment (parts, hint) as one more segment without a URI.
    assert.deepEqual(
      media.segments.filter((s) => s.uri !== '').map((s) => s.uri),
      readPlaylist(text).segments.map((s) => s.uri),
      o.path,
    );
    count.media++;
    if (media.partTargetDuration !== undefined) count.ll++;
    if (o.delta) {
      strict(`${o.path} (delta)`, o.delta.toString());
      count.deltas++;
    }
  }
  return count;
}

const RECONNECTS: Session[] = [
  { seconds: 16 },
  // The broadcaster comes back with the same settings, then with a new encoder configuration.
  { seconds: 14 },
  { seconds: 6, video: RUNG_VIDEO },
];

for (const freshness of ['push', 'ttl'] as const) {
  for (const [fps, gop] of [
    [30, 30],
    [30, 60],
    [25, 50],
  ] as const) {
    test(`hls-parser (strict) accepts every playlist pushed: ${freshness}, ${fps} fps, GOP ${gop}`, async () => {
      const objs = await pushed({ freshness, fps, gop, sessions: RECONNECTS });
      const n = checkAll(objs);
      assert.ok(n.multivariant >= 1, 'a multivariant playlist');
      assert.ok(n.media > 40, `${n.media} media playlist versions`);
      if (freshness === 'push') {
        assert.equal(n.ll, n.media, 'every media playlist is LL-HLS');
        assert.equal(n.deltas, n.media, 'each with its delta update');
      } else {
        assert.equal(n.ll, 0);
      }
      // The window slid, and the reconnects are in it.
      const last = readPlaylist(
        objs
          .filter((o) => o.path === `${PATH}/src/index.m3u8`)
          .at(-1)!
          .body.toString(),
      );
      assert.ok(last.mediaSequence > 5, `media sequence ${last.mediaSequence}`);
      assert.equal(last.ended, true);
    });
  }
}
