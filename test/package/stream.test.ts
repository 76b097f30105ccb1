import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as tick } from 'node:timers/promises';
import { readInitSegment, readMediaSegment } from '../../src/media/index.js';
import type { MediaFrame, StreamSink } from '../../src/media/types.js';
import { CorralError } from '../../src/util/errors.js';
import { PushQueue } from '../../src/package/push-queue.js';
import type { SegmentEvent } from '../../src/package/rendition.js';
import { LiveStream } from '../../src/package/stream.js';
import type { TranscoderFactory } from '../../src/package/transcoder-port.js';
import {
  AUDIO,
  SOURCE_VIDEO,
  RecordingPush,
  avFrames,
  config,
  fakeFactory,
  readPlaylist,
  recordingLogger,
  variants,
} from '../support/package.js';

const T0 = 1_700_000_000_000;
const PATH = 'live/s';

function rig(
  opts: { transcoders?: TranscoderFactory; freshness?: 'push' | 'ttl'; audioOnly?: boolean } = {},
) {
  const push = new RecordingPush();
  const { log, records } = recordingLogger();
  const queue = new PushQueue(push, log, 10_000);
  const clock = { now: T0 };
  const events: SegmentEvent[] = [];
  const stream = new LiveStream({
    path: PATH,
    config: config({ freshness: opts.freshness ?? 'push' }),
    queue,
    log,
    now: () => clock.now,
    onSegment: (e) => events.push(e),
    transcoders: opts.transcoders,
    audioOnly: opts.audioOnly,
  });
  const ended: string[] = [];
  const open = (): StreamSink => {
    const sink = stream.openSession((reason) => ended.push(reason));
    sink.videoConfig(SOURCE_VIDEO);
    sink.audioConfig(AUDIO);
    return sink;
  };
  const feed = (sink: StreamSink, frames: MediaFrame[]) => {
    for (const f of frames) {
      clock.now = T0 + f.dts;
      sink.frame(f);
    }
  };
  const multivariants = () =>
    push.ops.flatMap((o) => (o.op === 'put' && o.obj.kind === 'multivariant' ? [o.obj.body.toString()] : []));
  return { push, queue, stream, events, records, ended, open, feed, multivariants };
}

const uris = (text: string) => readPlaylist(text).segments.map((s) => s.uri);

test('the audio-only rendition repackages the leader audio under the same numbers and part names', async () => {
  const g = rig();
  const sink = g.open();
  g.feed(sink, avFrames({ seconds: 3.5 }));
  await g.queue.drain();
  const src = readPlaylist(g.push.text(`${PATH}/src/index.m3u8`));
  const audio = readPlaylist(g.push.text(`${PATH}/audio/index.m3u8`));
  assert.deepEqual(
    audio.segments.map((s) => s.uri),
    src.segments.map((s) => s.uri),
  );
  assert.deepEqual(
    audio.segments.map((s) => s.parts),
    src.segments.map((s) => s.parts),
  );
  assert.deepEqual(audio.openParts, src.openParts);
  const init = readInitSegment(g.push.stored.get(`${PATH}/audio/init-0.mp4`)!.body);
  assert.deepEqual(
    init.tracks.map((t) => t.kind),
    ['audio'],
  );
  for (const s of audio.segments) {
    const seg = readMediaSegment(g.push.stored.get(`${PATH}/audio/${s.uri}`)!.body);
    assert.ok(
      seg.fragments.every((f) => f.trackId === 2),
      `${s.uri} carries audio only`,
    );
  }
  // Passthrough first (players start there), audio-only last.
  assert.deepEqual(variants(g.multivariants().at(-1)!), ['src/index.m3u8', 'audio/index.m3u8']);
  sink.end('unpublish');
});

test('audio-only off: the multivariant lists the passthrough alone', async () => {
  const g = rig({ audioOnly: false, freshness: 'ttl' });
  g.feed(g.open(), avFrames({ seconds: 2.5 }));
  await g.queue.drain();
  assert.deepEqual(variants(g.multivariants().at(-1)!), ['src/index.m3u8']);
  assert.equal(g.push.stored.has(`${PATH}/audio/index.m3u8`), false);
});

test('transcoded renditions cut where the leader cut, under its numbers, and report each other', async () => {
  const { factory, made } = fakeFactory({ rungs: ['360p', '240p'], delayFrames: 9 });
  const g = rig({ transcoders: factory });
  const sink = g.open();
  g.feed(sink, avFrames({ seconds: 4 }));
  sink.end('unpublish');
  await g.queue.drain();
  assert.equal(made.length, 1);
  assert.equal(made[0]!.exited, true, 'the session end stops its transcoder');
  const src = g.push.text(`${PATH}/src/index.m3u8`);
  for (const rung of ['360p', '240p']) {
    assert.deepEqual(uris(g.push.text(`${PATH}/${rung}/index.m3u8`)), uris(src), rung);
    const mine = g.events.filter((e) => e.rendition === rung).map((e) => [e.sequence, e.startMs]);
    const leader = g.events.filter((e) => e.rendition === 'src').map((e) => [e.sequence, e.startMs]);
    assert.deepEqual(mine, leader, `${rung} segments span the leader's`);
  }
  assert.deepEqual(variants(g.multivariants().at(-1)!), [
    'src/index.m3u8',
    '360p/index.m3u8',
    '240p/index.m3u8',
    'audio/index.m3u8',
  ]);
  assert.match(g.multivariants().at(-1)!, /RESOLUTION=320x240/);
  assert.deepEqual(readPlaylist(src).reports.sort(), [
    '../240p/index.m3u8',
    '../360p/index.m3u8',
    '../audio/index.m3u8',
  ]);
});

test('a transcoder that gives up: its renditions end and leave the multivariant, which is pushed again', async () => {
  const { factory, made } = fakeFactory({ rungs: ['240p'] });
  const g = rig({ transcoders: factory });
  const sink = g.open();
  g.feed(sink, avFrames({ seconds: 3 }));
  await g.queue.drain();
  assert.deepEqual(variants(g.multivariants().at(-1)!), [
    'src/index.m3u8',
    '240p/index.m3u8',
    'audio/index.m3u8',
  ]);
  const pushedBefore = g.multivariants().length;
  const t = made[0]!;

  t.hooks.problem('failed', 'ffmpeg crashed 4 times in a row');
  await g.queue.drain();
  assert.equal(g.multivariants().length, pushedBefore + 1, 'the multivariant is re-pushed at once');
  assert.deepEqual(variants(g.multivariants().at(-1)!), ['src/index.m3u8', 'audio/index.m3u8']);
  assert.equal(readPlaylist(g.push.text(`${PATH}/240p/index.m3u8`)).ended, true);
  assert.equal(t.stopCalls, 1, 'the transcoder is stopped');
  const row = g.records.find((r) => r.problem === 'transcoderFailed');
  assert.equal(row?.action, 'dropRenditions');

  // The passthrough goes on; the transcoder is fed no more.
  const fed = t.fed;
  g.feed(
    sink,
    avFrames({ seconds: 5 }).filter((f) => f.dts >= 3000),
  );
  await g.queue.drain();
  assert.equal(t.fed, fed);
  assert.ok(uris(g.push.text(`${PATH}/src/index.m3u8`)).includes('seg-3.m4s'));
  assert.deepEqual(variants(g.multivariants().at(-1)!), ['src/index.m3u8', 'audio/index.m3u8']);
});

test('a degraded ladder retires the dropped rung and keeps the rest', async () => {
  const { factory, made } = fakeFactory({ rungs: ['360p', '240p'] });
  const g = rig({ transcoders: factory, freshness: 'ttl' });
  const sink = g.open();
  g.feed(sink, avFrames({ seconds: 2.5 }));
  made[0]!.dropRung('360p');
  g.feed(
    sink,
    avFrames({ seconds: 5 }).filter((f) => f.dts >= 2500),
  );
  await g.queue.drain();
  assert.deepEqual(variants(g.multivariants().at(-1)!), [
    'src/index.m3u8',
    '240p/index.m3u8',
    'audio/index.m3u8',
  ]);
  assert.equal(readPlaylist(g.push.text(`${PATH}/360p/index.m3u8`)).ended, true);
  assert.deepEqual(uris(g.push.text(`${PATH}/240p/index.m3u8`)), uris(g.push.text(`${PATH}/src/index.m3u8`)));
  assert.equal(made[0]!.stopCalls, 0, 'the transcoder itself carries on');
});

test('a transcoder that cannot start never reaches the multivariant; a crash keeps the renditions', async () => {
  // Nothing ever comes out of a process that did not start.
  const failing = fakeFactory({ rungs: ['240p'], delayFrames: 100_000 });
  const g = rig({ transcoders: failing.factory });
  const sink = g.open();
  g.feed(sink, avFrames({ seconds: 0.1 }));
  failing.made[0]!.hooks.problem('spawnFailed', 'ffmpeg failed to start: ENOENT');
  g.feed(
    sink,
    avFrames({ seconds: 3 }).filter((f) => f.dts >= 100),
  );
  await g.queue.drain();
  assert.ok(g.multivariants().every((m) => !m.includes('240p')));
  assert.equal(failing.made[0]!.stopCalls, 1);

  const crashing = fakeFactory({ rungs: ['240p'] });
  const h = rig({ transcoders: crashing.factory });
  const s2 = h.open();
  h.feed(s2, avFrames({ seconds: 3 }));
  crashing.made[0]!.hooks.problem('crashed', 'ffmpeg exited with SIGSEGV');
  await h.queue.drain();
  assert.equal(crashing.made[0]!.stopCalls, 0, 'the transcoder restarts itself');
  assert.ok(variants(h.multivariants().at(-1)!).includes('240p/index.m3u8'));
  assert.equal(h.records.find((r) => r.problem === 'transcoderCrashed')?.action, 'restart');
});

test('a push the origin refuses (not the origin failing) is logged and the stream carries on', async () => {
  const g = rig({ freshness: 'ttl' });
  let refused = 0;
  g.push.refuse = (path) => {
    if (path === `${PATH}/src/seg-1.m4s`) {
      refused++;
      return new CorralError('PUSH_FAILED', 'origin answered 400');
    }
    return undefined;
  };
  g.feed(g.open(), avFrames({ seconds: 4 }));
  await g.queue.drain();
  assert.equal(refused, 1);
  assert.deepEqual(uris(g.push.text(`${PATH}/src/index.m3u8`)), ['seg-0.m4s', 'seg-1.m4s', 'seg-2.m4s']);
  const row = g.records.find((r) => r.problem === 'pushFailed');
  assert.equal(row?.action, 'logAndContinue');
});

test('an origin that refuses the push credentials ends the session: nothing more is packaged', async () => {
  const { factory, made } = fakeFactory();
  const g = rig({ transcoders: factory, freshness: 'ttl' });
  let attempts = 0;
  g.push.refuse = () => {
    attempts++;
    return new CorralError('PUSH_UNAUTHORIZED', 'origin refused push token (401)');
  };
  const sink = g.open();
  g.feed(sink, avFrames({ seconds: 2 }));
  // Ending the session closes its open segments, which queues a last round of pushes.
  await g.queue.drain();
  await g.queue.drain();
  assert.equal(g.records.find((r) => r.problem === 'originRejected')?.action, 'endStream');
  assert.equal(made[0]!.stopCalls, 1, 'its transcoder is stopped');
  const before = attempts;
  g.feed(
    sink,
    avFrames({ seconds: 6 }).filter((f) => f.dts >= 2000),
  );
  await g.queue.drain();
  assert.equal(attempts, before, 'no more pushes for this session');
});

test('media the packager cannot read ends the session; the next session packages normally', async () => {
  const g = rig({ freshness: 'ttl' });
  const bad = g.stream.openSession(() => {});
  bad.videoConfig({ codec: 'h264', avcC: Buffer.from('01640000', 'hex') });
  g.feed(bad, avFrames({ seconds: 2, audio: false }));
  bad.end('unpublish');
  await g.queue.drain();
  assert.equal(g.push.ops.length, 0);
  assert.equal(g.records.find((r) => r.problem === 'badSourceMedia')?.action, 'endStream');

  const good = g.open();
  g.feed(good, avFrames({ seconds: 2.5, startMs: 3000 }));
  await g.queue.drain();
  assert.deepEqual(uris(g.push.text(`${PATH}/src/index.m3u8`)), ['seg-0.m4s', 'seg-1.m4s']);
});

test('a publisher reconnect continues the numbering after a discontinuity, with a new transcoder', async () => {
  const { factory, made } = fakeFactory();
  const g = rig({ transcoders: factory, freshness: 'ttl' });
  const first = g.open();
  g.feed(first, avFrames({ seconds: 2 }));
  first.end('disconnect');
  // The new session's timestamps restart at 0; the stream shifts them after the last one.
  const second = g.open();
  g.feed(second, avFrames({ seconds: 2.5 }));
  second.end('unpublish');
  await g.stream.finish();
  await g.queue.drain();
  assert.deepEqual(g.ended, ['disconnect', 'unpublish']);
  assert.equal(made.length, 2);
  for (const r of ['src', '240p', 'audio']) {
    const p = readPlaylist(g.push.text(`${PATH}/${r}/index.m3u8`));
    assert.deepEqual(
      p.segments.map((s) => [s.uri, s.discontinuity]),
      [
        ['seg-0.m4s', false],
        ['seg-1.m4s', false],
        ['seg-2.m4s', true],
        ['seg-3.m4s', false],
        ['seg-4.m4s', false],
      ],
      r,
    );
    assert.equal(p.ended, true, `${r} ended`);
    // Same codec settings on both sessions (the new transcoder's too): the init segment stays.
    assert.deepEqual(p.maps, ['init-0.mp4'], `${r} keeps its init segment`);
  }
  const starts = g.events.filter((e) => e.rendition === 'src').map((e) => e.startMs);
  assert.ok(
    starts.every((s, i) => i === 0 || s > starts[i - 1]!),
    `timeline only moves forward: ${starts.join(',')}`,
  );
});

test('close() waits until the transcoder has really exited', async () => {
  const { factory, made } = fakeFactory({ holdStop: true });
  const g = rig({ transcoders: factory, freshness: 'ttl' });
  g.feed(g.open(), avFrames({ seconds: 1.5 }));
  let closed = false;
  const closing = g.stream.close().then(() => (closed = true));
  await tick();
  await tick();
  assert.equal(made[0]!.stopCalls, 1);
  assert.equal(closed, false, 'close() returned before the transcoder exited');
  made[0]!.exit();
  await closing;
  assert.equal(closed, true);
  assert.equal(made[0]!.exited, true);
});
