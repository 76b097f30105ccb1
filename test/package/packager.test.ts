import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as tick } from 'node:timers/promises';
import type { PublishRequest } from '../../src/ingest/types.js';
import type { StreamSink } from '../../src/media/types.js';
import { isCorralError } from '../../src/util/errors.js';
import { silentLogger } from '../../src/util/logger.js';
import { Packager } from '../../src/package/registry.js';
import type { TranscoderFactory } from '../../src/package/transcoder-port.js';
import {
  AUDIO,
  SOURCE_VIDEO,
  RecordingPush,
  avFrames,
  config,
  fakeFactory,
  readPlaylist,
  variants,
} from '../support/package.js';

const T0 = 1_700_000_000_000;

function packager(opts: { transcoders?: TranscoderFactory; graceS?: number; maxStreams?: number } = {}) {
  const push = new RecordingPush();
  const clock = { now: T0 };
  const p = new Packager({
    config: {
      package: config({ reconnectGraceS: opts.graceS ?? 30, availabilityS: 1 }),
      maxStreams: opts.maxStreams ?? 4,
    },
    push,
    logger: silentLogger(),
    now: () => clock.now,
    transcoders: opts.transcoders,
  });
  const publish = (name: string): StreamSink => {
    const req: PublishRequest = {
      app: 'live',
      name,
      query: new URLSearchParams(),
      remote: '127.0.0.1:50000',
      secure: false,
    };
    const sink = p.open(req) as StreamSink;
    sink.videoConfig(SOURCE_VIDEO);
    sink.audioConfig(AUDIO);
    return sink;
  };
  // Yields between frames as a live publisher would: the push queue is bounded, and a burst
  // of several seconds with no chance to drain would (rightly) make it drop segments.
  const feed = async (sink: StreamSink, seconds: number, startMs = 0) => {
    for (const f of avFrames({ seconds, startMs })) {
      clock.now = T0 + f.dts;
      sink.frame(f);
      await tick();
    }
  };
  return { p, push, publish, feed };
}

test('what reaches the origin, in order: init, media, then the playlists that list them', async () => {
  const { factory } = fakeFactory({ rungs: ['240p'], delayFrames: 5 });
  const g = packager({ transcoders: factory });
  const segments: string[] = [];
  g.p.on('segment', (e) => segments.push(`${e.rendition}/${e.sequence}`));
  const sink = g.publish('demo');
  assert.deepEqual(g.p.liveStreams(), ['live/demo']);
  await g.feed(sink, 3.2);
  await g.p.drain();

  const ops = g.push.ops.flatMap((o) => (o.op === 'put' ? [o.obj] : []));
  const firstOf = (path: string) => ops.findIndex((o) => o.path === path);
  for (const r of ['src', '240p', 'audio']) {
    const base = `live/demo/${r}/`;
    const init = firstOf(`${base}init-0.mp4`);
    assert.ok(init >= 0, `${r} init pushed`);
    for (const [i, o] of ops.entries()) {
      if (o.path !== `${base}index.m3u8`) continue;
      assert.ok(i > init, `${r} playlist after its init segment`);
      const listed = readPlaylist(o.body.toString());
      for (const s of listed.segments) {
        const at = firstOf(base + s.uri);
        assert.ok(at >= 0 && at < i, `${r}/${s.uri} pushed before a playlist listed it`);
      }
      for (const part of [...listed.segments.flatMap((s) => s.parts), ...listed.openParts]) {
        const at = firstOf(base + part);
        assert.ok(at >= 0 && at < i, `${r}/${part} pushed before a playlist listed it`);
      }
    }
  }
  // The multivariant goes out once a segment measured a bit rate, after that segment's playlist.
  const mv = firstOf('live/demo/index.m3u8');
  assert.ok(mv > firstOf('live/demo/src/seg-0.m4s'));
  assert.ok(mv > firstOf('live/demo/src/index.m3u8'));
  assert.deepEqual(variants(g.push.text('live/demo/index.m3u8')), [
    'src/index.m3u8',
    '240p/index.m3u8',
    'audio/index.m3u8',
  ]);
  // The follower trails the leader by its transcoding delay, one segment number after the other.
  assert.deepEqual(
    segments.filter((s) => !s.startsWith('audio/')),
    ['src/0', '240p/0', 'src/1', '240p/1', 'src/2', '240p/2'],
  );
  sink.end('unpublish');
  await g.p.close();
});

test('one publisher per name', () => {
  const g = packager();
  g.publish('demo');
  assert.throws(
    () => g.publish('demo'),
    (e) => isCorralError(e, 'STREAM_BUSY'),
  );
});

test('regression: publishes that never send media hold no slot (62 of them held 64 for 60 s)', async () => {
  const g = packager({ maxStreams: 2 });
  const ended: string[] = [];
  g.p.on('streamEnded', (e) => ended.push(e.path));
  for (let i = 0; i < 10; i++) g.publish(`idle${i}`).end('disconnect');
  assert.deepEqual(g.p.liveStreams(), []);
  assert.equal(ended.length, 10, 'each one is over at once');
  // Both slots are free for real publishers, and nothing of the idle ones reached the origin.
  const a = g.publish('a');
  const b = g.publish('b');
  await g.feed(a, 1.2);
  await g.feed(b, 1.2);
  await g.p.drain();
  assert.deepEqual(
    g.push.puts((o) => o.path.startsWith('live/idle')),
    [],
  );
  assert.throws(
    () => g.publish('c'),
    (e) => isCorralError(e, 'PUBLISH_DENIED'),
  );
  a.end('unpublish');
  b.end('unpublish');
  await g.p.close();
});

test('slots count live streams: an ended stream in its grace period gives way, oldest first', async () => {
  const g = packager({ maxStreams: 2, graceS: 30 });
  const ended: string[] = [];
  g.p.on('streamEnded', (e) => ended.push(e.path));
  const old = g.publish('old');
  await g.feed(old, 1.2);
  old.end('disconnect');
  const newer = g.publish('newer');
  await g.feed(newer, 1.2, 2000);
  newer.end('disconnect');
  // Both are in their grace period: one new stream takes the oldest's slot, not the newer's.
  const held = g.p.retainedBytes();
  const live = g.publish('live1');
  assert.deepEqual(ended, ['live/old']);
  const kept = g.p.retainedBytes();
  assert.ok(
    kept > 0 && kept < held,
    `the evicted stream's window copies go with its slot (${held} -> ${kept})`,
  );
  await g.p.drain();
  assert.equal(readPlaylist(g.push.text('live/old/src/index.m3u8')).ended, true, 'viewers are told');
  // The newer one can still resume its playlist.
  const back = g.publish('newer');
  await g.feed(back, 1.2, 5000);
  await g.p.drain();
  const p = readPlaylist(g.push.text('live/newer/src/index.m3u8'));
  assert.equal(p.ended, false);
  assert.ok(
    p.segments.some((s) => s.discontinuity),
    'resumed after a reconnect',
  );
  // Every slot has a publisher now.
  assert.throws(
    () => g.publish('third'),
    (e) => isCorralError(e, 'PUBLISH_DENIED'),
  );
  live.end('unpublish');
  back.end('unpublish');
  await g.p.close();
});

test('a publisher back within the grace period continues the playlist; after it, ENDLIST', async () => {
  const g = packager({ graceS: 0 });
  const events: string[] = [];
  g.p.on('streamStarted', (e) => events.push(`started resumed=${e.resumed}`));
  g.p.on('publisherLeft', (e) => events.push(`left ${e.reason}`));
  const first = g.publish('demo');
  await g.feed(first, 2);
  first.end('disconnect');
  // Back before the (zero-length) grace timer fires: same stream, same numbering.
  const second = g.publish('demo');
  await g.feed(second, 2);
  const ended = new Promise<void>((resolve) => g.p.on('streamEnded', () => resolve()));
  // The packager's grace timer does not hold the process open; this test must.
  const keepAlive = setTimeout(() => {}, 10_000);
  second.end('unpublish');
  await ended;
  clearTimeout(keepAlive);
  await g.p.drain();
  assert.deepEqual(events, [
    'started resumed=false',
    'left disconnect',
    'started resumed=true',
    'left unpublish',
  ]);
  const p = readPlaylist(g.push.text('live/demo/src/index.m3u8'));
  assert.deepEqual(
    p.segments.map((s) => [s.uri, s.discontinuity]),
    [
      ['seg-0.m4s', false],
      ['seg-1.m4s', false],
      ['seg-2.m4s', true],
      ['seg-3.m4s', false],
    ],
  );
  assert.equal(p.ended, true);
  assert.equal(readPlaylist(g.push.text('live/demo/audio/index.m3u8')).ended, true);
  assert.deepEqual(g.p.liveStreams(), []);
  await g.p.close();
});

test('close() resolves only once every transcoder has exited', async () => {
  const { factory, made } = fakeFactory({ holdStop: true });
  const g = packager({ transcoders: factory });
  const a = g.publish('a');
  const b = g.publish('b');
  await g.feed(a, 1.2);
  await g.feed(b, 1.2);
  // One publisher already left: its transcoder is still on its way out.
  a.end('unpublish');
  let closed = false;
  const closing = g.p.close().then(() => (closed = true));
  await tick();
  await tick();
  assert.deepEqual(
    made.map((t) => t.stopCalls),
    [1, 1],
  );
  made[0]!.exit();
  await tick();
  await tick();
  assert.equal(closed, false, 'still waiting for the second transcoder');
  made[1]!.exit();
  await closing;
  assert.ok(made.every((t) => t.exited));
});
