import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as tick } from 'node:timers/promises';
import type { MediaFrame } from '../../src/media/types.js';
import { originSchema } from '../../src/config/schema.js';
import { createRegistry } from '../../src/metrics/registry.js';
import { MemoryStore } from '../../src/origin/memory-store.js';
import { Origin } from '../../src/origin/origin.js';
import type { OriginPush, PushObject } from '../../src/origin/types.js';
import { silentLogger } from '../../src/util/logger.js';
import { PushQueue } from '../../src/package/push-queue.js';
import { LiveStream } from '../../src/package/stream.js';
import {
  AUDIO,
  SOURCE_VIDEO,
  RecordingPush,
  avFrames,
  config,
  fakeFactory,
  readPlaylist,
} from '../support/package.js';

const T0 = 1_700_000_000_000;
const PATH = 'live/h';
const RENDITIONS = ['src', '240p', 'audio'];

/**
 * Regression: when a segment's last part was published, the playlist hinted one more part of
 * that segment; the next keyframe closed the segment and the hinted part answered 404, once per
 * segment per rendition, for every client prefetching hints. Every hint must name a part that is
 * published afterwards, in the leader, the transcoded follower and the audio-only rendition,
 * whatever the GOP, across a reconnect and at the end of the stream.
 */
async function run(opts: { fps: number; gop: number; seconds: number; secondSession: number }) {
  const { factory } = fakeFactory({ rungs: ['240p'], delayFrames: 4 });
  const push = new RecordingPush();
  const queue = new PushQueue(push, silentLogger(), 100_000);
  const clock = { now: T0 };
  const stream = new LiveStream({
    path: PATH,
    config: config({ freshness: 'push' }),
    queue,
    log: silentLogger(),
    now: () => clock.now,
    onSegment: () => {},
    transcoders: factory,
  });
  // The queue drains between frames as it would in real time: a playlist version still queued
  // behind a newer one is superseded, and a burst would hide every intermediate version.
  const session = async (frames: MediaFrame[]) => {
    const sink = stream.openSession(() => {});
    sink.videoConfig(SOURCE_VIDEO);
    sink.audioConfig(AUDIO);
    for (const f of frames) {
      clock.now = T0 + f.dts;
      sink.frame(f);
      await queue.drain();
    }
    sink.end('disconnect');
  };
  await session(avFrames({ seconds: opts.seconds, fps: opts.fps, gop: opts.gop }));
  await session(avFrames({ seconds: opts.secondSession, fps: opts.fps, gop: opts.gop }));
  return { push, queue, stream };
}

/** Every (playlist version, hint) in push order, and whether the hinted part was put after it. */
function hintsOf(push: RecordingPush, rendition: string) {
  const base = `${PATH}/${rendition}/`;
  const out: Array<{ hint: string; publishedAfter: boolean }> = [];
  const puts = push.ops.flatMap((o) => (o.op === 'put' ? [o.obj] : []));
  puts.forEach((o, i) => {
    if (o.path !== `${base}index.m3u8`) return;
    const hint = readPlaylist(o.body.toString()).preloadHint;
    if (hint === undefined) return;
    out.push({ hint, publishedAfter: puts.some((later, k) => k > i && later.path === base + hint) });
  });
  return out;
}

const SOURCES = [
  { name: '30 fps, 1 s GOP', fps: 30, gop: 30 },
  { name: '30 fps, 2 s GOP (segments wait for the keyframe)', fps: 30, gop: 60 },
  { name: '30 fps, 0.5 s GOP', fps: 30, gop: 15 },
  { name: '25 fps, 1.2 s GOP', fps: 25, gop: 30 },
];

for (const src of SOURCES) {
  test(`every preload hint names a part that is then published: ${src.name}`, async () => {
    const g = await run({ ...src, seconds: 24, secondSession: 9 });
    await g.stream.finish();
    await g.queue.drain();
    for (const r of RENDITIONS) {
      const hints = hintsOf(g.push, r);
      const segments = readPlaylist(g.push.text(`${PATH}/${r}/index.m3u8`)).segments.length;
      assert.ok(segments >= 10, `${r}: ${segments} segments`);
      // A playlist version per part: many hints, first parts of segments among them.
      assert.ok(hints.length > 3 * segments, `${r}: ${hints.length} hints`);
      assert.ok(
        hints.filter((h) => h.hint.endsWith('-0.m4s')).length >= segments - 2,
        `${r}: the next segment's first part is hinted as each segment completes`,
      );
      const never = hints.filter((h) => !h.publishedAfter).map((h) => h.hint);
      assert.deepEqual(never, [], `${r}: hinted but never published`);
    }
  });
}

test('between sessions nothing is hinted, and the stream ends with no hint out', async () => {
  const g = await run({ fps: 30, gop: 30, seconds: 4, secondSession: 0 });
  await g.queue.drain();
  for (const r of RENDITIONS) {
    const p = readPlaylist(g.push.text(`${PATH}/${r}/index.m3u8`));
    assert.equal(p.preloadHint, undefined, `${r}: the publisher left, nothing more may come`);
    assert.equal(p.ended, false, r);
    assert.ok(p.segments.length >= 4, r);
  }
  await g.stream.finish();
  await g.queue.drain();
  for (const r of RENDITIONS) assert.equal(readPlaylist(g.push.text(`${PATH}/${r}/index.m3u8`)).ended, true);
});

test('through the origin: a client prefetching every hint gets each part, never a 404', async () => {
  const origin = new Origin({
    store: new MemoryStore({ maxBytes: 64 << 20, maxObjects: 10_000 }),
    config: originSchema.parse({ pushToken: 'unused' }),
    logger: silentLogger(),
    registry: createRegistry({ defaults: false }),
  });
  await origin.listen(29851, '127.0.0.1');
  const base = 'http://127.0.0.1:29851/';
  const prefetches: Array<Promise<[string, number]>> = [];
  // As a player prefetching hints does: every playlist version's hint is asked for at once.
  const push: OriginPush = {
    put: async (obj: PushObject) => {
      await origin.push.put(obj);
      const hint = obj.live?.preloadHint;
      if (hint === undefined) return;
      const path = obj.path.replace(/[^/]*$/, hint);
      prefetches.push(
        fetch(base + path).then(async (r) => {
          await r.arrayBuffer();
          return [path, r.status];
        }),
      );
    },
    remove: (path) => origin.push.remove(path),
  };
  const { factory } = fakeFactory({ rungs: ['240p'], delayFrames: 4 });
  const queue = new PushQueue(push, silentLogger(), 100_000);
  const stream = new LiveStream({
    path: PATH,
    config: config({ freshness: 'push' }),
    queue,
    log: silentLogger(),
    now: () => Date.now(),
    onSegment: () => {},
    transcoders: factory,
  });
  try {
    const sink = stream.openSession(() => {});
    sink.videoConfig(SOURCE_VIDEO);
    sink.audioConfig(AUDIO);
    for (const f of avFrames({ seconds: 8, gop: 30 })) {
      sink.frame(f);
      await tick();
    }
    sink.end('unpublish');
    await stream.finish();
    await queue.drain();
    const answers = await Promise.all(prefetches);
    assert.ok(answers.length > 60, `${answers.length} prefetches`);
    assert.deepEqual(
      answers.filter(([, status]) => status !== 200),
      [],
    );
  } finally {
    await origin.close();
  }
});
