import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as tick, setTimeout as sleep } from 'node:timers/promises';
import type { MediaFrame, StreamSink } from '../../src/media/types.js';
import type { PushObject } from '../../src/origin/types.js';
import { PushQueue } from '../../src/package/push-queue.js';
import { CorralError } from '../../src/util/errors.js';
import { LiveStream } from '../../src/package/stream.js';
import { silentLogger } from '../../src/util/logger.js';
import {
  AUDIO,
  FlakyOrigin,
  SOURCE_VIDEO,
  avFrames,
  config,
  fakeFactory,
  readPlaylist,
  recordingLogger,
} from '../support/package.js';

const T0 = 1_700_000_000_000;
const PATH = 'live/r';
const RENDITIONS = ['src', '240p', 'audio'];

function rig(opts: { windowSegments?: number; freshness?: 'push' | 'ttl' } = {}) {
  const origin = new FlakyOrigin();
  const { log, records } = recordingLogger();
  const queue = new PushQueue(origin, log, { probePath: `${PATH}/index.m3u8`, probeEveryMs: 5 });
  const clock = { now: T0 };
  const { factory } = fakeFactory({ rungs: ['240p'] });
  const stream = new LiveStream({
    path: PATH,
    config: config({ freshness: opts.freshness ?? 'push', windowSegments: opts.windowSegments ?? 10 }),
    queue,
    log,
    now: () => clock.now,
    onSegment: () => undefined,
    transcoders: factory,
  });
  const sink: StreamSink = stream.openSession(() => undefined);
  sink.videoConfig(SOURCE_VIDEO);
  sink.audioConfig(AUDIO);
  let at = 0;
  /** Real-time-like feeding: the queue gets a turn after every frame. */
  const feed = async (seconds: number) => {
    const frames: MediaFrame[] = avFrames({ seconds, startMs: at });
    at += seconds * 1000;
    for (const f of frames) {
      clock.now = T0 + f.dts;
      sink.frame(f);
      await tick();
    }
  };
  /** Until the origin holds a whole stream again (bounded, like the e2e's 3 s). */
  const whole = async (ms = 1000) => {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      await queue.drain();
      if (!queue.offline && origin.missing(PATH).length === 0) return;
      await sleep(5);
    }
    assert.deepEqual(origin.missing(PATH), [], 'the origin holds the whole stream');
  };
  const playlist = (r: string) => readPlaylist(origin.stored.get(`${PATH}/${r}/index.m3u8`)!.body.toString());
  return { origin, queue, stream, sink, records, feed, whole, playlist };
}

/** No playlist reached the origin before what it lists (counting only pushes to `instance`). */
function orderHolds(origin: FlakyOrigin, instance: number): void {
  const have = new Set<string>();
  for (const e of origin.log) {
    if (e.instance !== instance || e.op !== 'put') continue;
    const o: PushObject = e.obj;
    if (o.kind === 'playlist') {
      const base = o.path.slice(0, o.path.lastIndexOf('/') + 1);
      const p = readPlaylist(o.body.toString());
      for (const uri of [
        ...p.maps,
        ...p.segments.filter((s) => !s.gap).map((s) => s.uri),
        ...p.segments.flatMap((s) => s.parts),
        ...p.openParts,
      ]) {
        assert.ok(have.has(base + uri), `${o.path} listed ${uri} before the origin had it`);
      }
    }
    have.add(o.path);
  }
}

test('an origin that crashed comes back empty: the whole window goes out again, media first', async () => {
  const g = rig();
  await g.feed(3);
  await g.queue.drain();
  assert.deepEqual(g.origin.missing(PATH), []);

  g.origin.crash();
  await g.feed(4);
  // One push found it down; from then on nothing is queued or tried, only probes.
  assert.equal(g.origin.triedWhileDown, 1);
  assert.equal(g.queue.pending, 0);
  assert.ok(g.origin.probes > 0);
  assert.equal(
    g.records.find((r) => r.problem === 'originUnreachable')?.action,
    'republish',
    'the error table decides',
  );

  g.origin.restart();
  await g.whole();
  orderHolds(g.origin, 2);
  // The outage's segments were still in the window: republished, so none is a gap.
  for (const r of RENDITIONS) {
    const p = g.playlist(r);
    assert.ok(p.segments.length >= 6, `${r} lists the window`);
    assert.deepEqual(
      p.segments.filter((s) => s.gap).map((s) => s.uri),
      [],
      `${r} has no gap`,
    );
    assert.equal(p.mediaSequence, 0);
  }
  assert.ok(g.origin.stored.has(`${PATH}/index.m3u8`), 'the multivariant is back');
  assert.equal(g.queue.republished, 1);

  // And the stream simply carries on.
  await g.feed(2);
  await g.queue.drain();
  assert.deepEqual(g.origin.missing(PATH), []);
  orderHolds(g.origin, 2);
  g.sink.end('unpublish');
  await g.stream.close();
});

test('an outage longer than the window costs no memory beyond the window', async () => {
  const g = rig({ windowSegments: 4 });
  await g.feed(2);
  await g.queue.drain();
  const before = g.stream.retained();
  g.origin.crash();
  let most = 0;
  for (let i = 0; i < 12; i++) {
    await g.feed(1);
    most = Math.max(most, g.stream.retained().objects);
    assert.equal(g.queue.pending, 0, 'nothing piles up');
  }
  // Per rendition: the window's segments and at most the init segments they map.
  assert.ok(most <= RENDITIONS.length * (4 + 2), `held ${most} objects`);
  assert.ok(g.stream.retained().bytes > before.bytes / 2);
  assert.equal(g.origin.triedWhileDown, 1);

  g.origin.restart();
  await g.whole();
  orderHolds(g.origin, 2);
  for (const r of RENDITIONS) {
    const p = g.playlist(r);
    // What scrolled out during the outage is no longer listed: nothing to be a gap.
    assert.ok(p.mediaSequence >= 9, `${r} moved on (msn ${p.mediaSequence})`);
    assert.deepEqual(
      p.segments.filter((s) => s.gap),
      [],
    );
  }
  g.sink.end('unpublish');
  await g.stream.close();
});

test('an origin that restarted between two pushes is known by its new instance', async () => {
  const g = rig({ freshness: 'ttl' });
  await g.feed(3);
  await g.queue.drain();
  // No push ever fails: the next one simply reaches an empty, new process.
  g.origin.restart({ quietly: true });
  await g.feed(1.1);
  await g.whole();
  assert.equal(g.origin.triedWhileDown, 0);
  assert.equal(g.records.find((r) => r.problem === 'originRestarted')?.action, 'republish');
  const first = readPlaylist(g.origin.stored.get(`${PATH}/src/index.m3u8`)!.body.toString());
  assert.equal(first.segments[0]!.uri, 'seg-0.m4s', 'the start of the stream is back too');
  g.sink.end('unpublish');
  await g.stream.close();
});

test('the queue: a waiting playlist gives way to its newer version; removals wait out an outage', async () => {
  const origin = new FlakyOrigin();
  const q = new PushQueue(origin, silentLogger(), { probePath: 'live/q/index.m3u8', probeEveryMs: 5 });
  const pl = (n: number): PushObject => ({
    path: 'live/q/src/index.m3u8',
    kind: 'playlist',
    contentType: 'application/vnd.apple.mpegurl',
    body: Buffer.from(`v${n}`),
  });
  const seg = (n: number): PushObject => ({
    path: `live/q/src/seg-${n}.m4s`,
    kind: 'segment',
    contentType: 'video/mp4',
    body: Buffer.from([n]),
  });
  // All queued before the first push can run.
  for (let n = 0; n < 5; n++) {
    q.put(seg(n));
    q.put(pl(n));
  }
  // The first segment is on its way; behind it four segments and only the newest playlist.
  assert.equal(q.pending, 5);
  await q.drain();
  assert.deepEqual(
    origin.log.map((e) =>
      e.op === 'put' ? e.obj.path.slice(11) + (e.obj.kind === 'playlist' ? e.obj.body.toString() : '') : '',
    ),
    ['seg-0.m4s', 'seg-1.m4s', 'seg-2.m4s', 'seg-3.m4s', 'seg-4.m4s', 'index.m3u8v4'],
  );

  origin.crash();
  q.republish = () => [seg(9), pl(9)];
  q.put(seg(5));
  q.onFailure = () => q.resync();
  await q.drain();
  assert.equal(q.offline, true);
  q.remove('live/q/src/seg-0.m4s');
  q.put(seg(6));
  assert.equal(q.pending, 0);
  origin.restart();
  while (q.offline) await sleep(5);
  await q.drain();
  const after = origin.log.filter((e) => e.instance === 2);
  assert.deepEqual(
    after.map((e) => (e.op === 'put' ? `put ${e.obj.path}` : `remove ${e.path}`)),
    ['put live/q/src/seg-9.m4s', 'put live/q/src/index.m3u8', 'remove live/q/src/seg-0.m4s'],
  );
  q.close();
});

test('an origin that keeps failing one object is not flooded with republishes', async () => {
  const g = rig();
  await g.feed(2);
  await g.queue.drain();
  // A 5xx for one segment, every time (an origin-side fault the retries cannot fix).
  const poisoned = `${PATH}/src/seg-1.m4s`;
  const put = g.origin.put.bind(g.origin);
  let tries = 0;
  g.origin.put = (obj) => {
    if (obj.path !== poisoned) return put(obj);
    tries++;
    return Promise.reject(new CorralError('PUSH_FAILED', 'origin answered 500', { recoverable: true }));
  };
  g.origin.restart({ quietly: true });
  await g.feed(0.2);
  await sleep(600);
  // Probes every 5 ms; republishes back off 10, 20, 40, 80, 160, 320 ms...: a handful, not 100.
  assert.ok(tries >= 2 && tries <= 8, `${tries} republishes in 600 ms`);
  g.origin.put = put;
  await sleep(700);
  await g.whole();
  g.sink.end('unpublish');
  await g.stream.close();
});
