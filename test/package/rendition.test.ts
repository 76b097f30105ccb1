import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readInitSegment, readMediaSegment } from '../../src/media/index.js';
import type { MediaFrame } from '../../src/media/types.js';
import { silentLogger } from '../../src/util/logger.js';
import { CutLog } from '../../src/package/cut-log.js';
import { PushQueue } from '../../src/package/push-queue.js';
import { Rendition, type SegmentEvent } from '../../src/package/rendition.js';
import type { RenditionRole } from '../../src/package/role.js';
import { FollowerRole } from '../../src/package/role-follower.js';
import { LeaderRole } from '../../src/package/role-leader.js';
import { describeTracks } from '../../src/package/tracks.js';
import { pendingBytes } from '../../src/origin/lazy-body.js';
import { mediaPlaylistBytesBound, parseMediaPlaylist } from '../../src/hls/index.js';
import {
  AUDIO,
  RUNG_VIDEO,
  RecordingPush,
  SOURCE_VIDEO,
  avFrames,
  config,
  readPlaylist,
} from '../support/package.js';

const T0 = 1_700_000_000_000;
const BASE = 'live/t/src/';

interface Rig {
  push: RecordingPush;
  queue: PushQueue;
  cuts: CutLog;
  events: SegmentEvent[];
  clock: { now: number };
  make(name: string, role: RenditionRole): Rendition;
  feed(r: Rendition, frames: MediaFrame[]): void;
}

function rig(overrides: Record<string, unknown> = {}, lowLatency = false): Rig {
  const push = new RecordingPush();
  const queue = new PushQueue(push, silentLogger(), 10_000);
  const cuts = new CutLog();
  const events: SegmentEvent[] = [];
  const clock = { now: T0 };
  const cfg = config(overrides);
  return {
    push,
    queue,
    cuts,
    events,
    clock,
    make: (name, role) =>
      new Rendition({
        basePath: `live/t/${name}/`,
        name,
        config: cfg,
        queue,
        now: () => clock.now,
        onSegment: (e) => events.push(e),
        role,
        cuts,
        lowLatency: lowLatency ? { partTargetS: cfg.partTargetS, reports: () => [] } : undefined,
      }),
    feed: (r, frames) => {
      for (const f of frames) {
        clock.now = T0 + f.dts;
        r.frame(f);
      }
    },
  };
}

function leader(g: Rig): Rendition {
  const r = g.make('src', new LeaderRole(g.cuts));
  r.startSession(describeTracks(SOURCE_VIDEO, AUDIO), (ms) => T0 + ms);
  return r;
}

/** Every media object a playlist lists was pushed before that playlist (the origin never lists a 404). */
function assertMediaBeforePlaylists(push: RecordingPush, base: string): void {
  const seen = new Set<string>();
  for (const op of push.ops) {
    if (op.op !== 'put') continue;
    const { obj } = op;
    if (obj.kind === 'playlist') {
      const p = readPlaylist(obj.body.toString());
      for (const s of p.segments) {
        if (!s.gap) assert.ok(seen.has(base + s.uri), `${s.uri} listed before it was pushed`);
        for (const part of s.parts) assert.ok(seen.has(base + part), `${part} listed before it was pushed`);
      }
      for (const m of p.maps) assert.ok(seen.has(base + m), `${m} listed before it was pushed`);
      for (const part of p.openParts) assert.ok(seen.has(base + part), `${part} listed before it was pushed`);
    }
    seen.add(obj.path);
  }
}

test('leader: 1 s GOP gives 1 s segments that start on keyframes, pushed before the playlist', async () => {
  const g = rig();
  const r = leader(g);
  g.feed(r, avFrames({ seconds: 4 }));
  r.endSession();
  await g.queue.drain();

  assert.equal(g.push.puts()[0], `${BASE}init-0.mp4`);
  const init = readInitSegment(g.push.stored.get(`${BASE}init-0.mp4`)!.body);
  assert.deepEqual(
    init.tracks.map((t) => t.kind),
    ['video', 'audio'],
  );
  const p = readPlaylist(g.push.text(`${BASE}index.m3u8`));
  assert.equal(p.mediaSequence, 0);
  assert.equal(p.targetDuration, 1);
  assert.deepEqual(
    p.segments.map((s) => [s.uri, s.durationS]),
    [0, 1, 2, 3].map((n) => [`seg-${n}.m4s`, 1]),
  );
  assert.deepEqual(
    g.events.map((e) => [e.sequence, e.startMs]),
    [0, 1, 2, 3].map((n) => [n, n * 1000]),
  );
  for (let n = 0; n < 4; n++) {
    const seg = readMediaSegment(g.push.stored.get(`${BASE}seg-${n}.m4s`)!.body);
    const video = seg.fragments.find((f) => f.trackId === 1)!;
    assert.equal(video.samples.length, 30);
    assert.equal(video.samples[0]!.keyframe, true, `seg-${n} starts on a keyframe`);
    assert.ok(video.samples.slice(1).every((s) => !s.keyframe));
    assert.equal(video.baseMediaDecodeTime, n * 90_000);
    assert.ok(
      seg.fragments.some((f) => f.trackId === 2 && f.samples.length > 0),
      'audio muxed in',
    );
  }
  // Segments live as long as they can be asked for (window + one being cut + availability); the
  // init segment as long as the origin is configured to let caches keep it.
  const cfg = config({});
  assert.equal(
    g.push.stored.get(`${BASE}seg-0.m4s`)!.maxAgeS,
    (cfg.windowSegments + 1) * 1 + cfg.availabilityS,
  );
  assert.equal(g.push.stored.get(`${BASE}init-0.mp4`)!.maxAgeS, undefined);
  assertMediaBeforePlaylists(g.push, BASE);
});

test('leader: cuts wait for a keyframe (2 s GOP) and never split a 0.5 s GOP below the target', async () => {
  for (const [gop, starts] of [
    [60, [0, 2000, 4000]],
    [15, [0, 1000, 2000, 3000, 4000, 5000]],
  ] as const) {
    const g = rig();
    const r = leader(g);
    g.feed(r, avFrames({ seconds: 6, gop, audio: false }));
    r.endSession();
    await g.queue.drain();
    assert.deepEqual(
      g.events.map((e) => e.startMs),
      starts,
      `GOP of ${gop} frames`,
    );
    const p = readPlaylist(g.push.text(`${BASE}index.m3u8`));
    assert.equal(p.targetDuration, gop === 60 ? 2 : 1);
  }
});

test('leader, LL-HLS: three parts per 1 s segment, the segment is its parts, the next part is hinted', async () => {
  const g = rig({}, true);
  const r = leader(g);
  g.feed(r, avFrames({ seconds: 1.5 }));
  await g.queue.drain();
  const mid = readPlaylist(g.push.text(`${BASE}index.m3u8`));
  assert.deepEqual(mid.segments[0]!.parts, ['part-0-0.m4s', 'part-0-1.m4s', 'part-0-2.m4s']);
  assert.deepEqual(mid.openParts, ['part-1-0.m4s']);
  assert.equal(mid.preloadHint, 'part-1-1.m4s');
  const live = g.push.stored.get(`${BASE}index.m3u8`)!.live!;
  assert.deepEqual([live.lastMsn, live.partMsn, live.lastPart], [0, 1, 0]);
  assert.deepEqual(live.partCounts, { 0: 3 });

  g.feed(
    r,
    avFrames({ seconds: 4 }).filter((f) => f.dts >= 1500),
  );
  r.endSession();
  await g.queue.drain();
  const p = readPlaylist(g.push.text(`${BASE}index.m3u8`));
  assert.equal(p.segments.length, 4);
  // Parts are listed for the last three target durations only.
  assert.deepEqual(
    p.segments.map((s) => s.parts.length),
    [0, 3, 3, 3],
  );
  for (const [n, s] of p.segments.entries()) {
    if (n === 0) continue;
    const bodies = s.parts.map((u) => g.push.stored.get(BASE + u)!.body);
    assert.ok(Buffer.concat(bodies).equals(g.push.stored.get(BASE + s.uri)!.body), `seg-${n} = its parts`);
    const first = readMediaSegment(bodies[0]!).fragments.find((f) => f.trackId === 1)!;
    assert.equal(first.samples[0]!.keyframe, true, 'each segment opens with an independent part');
  }
  assertMediaBeforePlaylists(g.push, BASE);
});

test('LL-HLS: each playlist version is written only when read, with what the window held when it was made', async () => {
  const g = rig({}, true);
  const r = leader(g);
  // Fed in 100 ms steps, each pushed before the next: a version waiting behind a newer one is dropped.
  const frames = avFrames({ seconds: 3.5 });
  for (let ms = 0; ms < 3500; ms += 100) {
    g.feed(
      r,
      frames.filter((f) => f.dts >= ms && f.dts < ms + 100),
    );
    await g.queue.drain();
  }
  const versions = g.push.ops.flatMap((o) => (o.op === 'put' && o.obj.kind === 'playlist' ? [o.obj] : []));
  assert.ok(versions.length >= 9, `${versions.length} versions`);
  for (const v of versions) assert.ok(pendingBytes(v) !== undefined, 'not written by the packager');
  // Read only now, after the window moved on: each still lists what its own state says.
  for (const v of versions) {
    const live = v.live!;
    const p = readPlaylist(v.body.toString());
    assert.equal(pendingBytes(v), undefined, 'written by the read');
    assert.equal(p.segments.length, live.lastMsn + 1, `segments of version ${JSON.stringify(live)}`);
    const open = live.partMsn > live.lastMsn ? live.lastPart + 1 : 0;
    assert.equal(p.openParts.length, open, `open parts of version ${JSON.stringify(live)}`);
    assert.equal(p.preloadHint, live.preloadHint);
    assert.ok(v.body.length <= 2 * mediaPlaylistBytesBound(parseMediaPlaylist(v.body.toString())));
    if (live.lastMsn >= 3) assert.match(v.delta!.toString(), /#EXT-X-SKIP:SKIPPED-SEGMENTS=/);
  }
});

test('MEDIA-SEQUENCE advances as the window slides; scrolled-out media is removed after availability', async () => {
  const g = rig({ windowSegments: 3, availabilityS: 1 });
  const r = leader(g);
  g.feed(r, avFrames({ seconds: 8 }));
  r.endSession();
  await g.queue.drain();

  const seqs: number[] = [];
  let listed = new Set<string>();
  for (const op of g.push.ops) {
    if (op.op === 'remove') {
      // Only what the latest playlist no longer lists may go.
      assert.ok(!listed.has(op.path), `${op.path} removed while listed`);
      continue;
    }
    if (op.obj.kind !== 'playlist') continue;
    const p = readPlaylist(op.obj.body.toString());
    seqs.push(p.mediaSequence);
    listed = new Set(p.segments.map((s) => BASE + s.uri));
    assert.ok(p.segments.length <= 4, 'the window stays bounded');
  }
  assert.ok(
    seqs.every((s, i) => i === 0 || s >= seqs[i - 1]!),
    `non-decreasing ${seqs.join(',')}`,
  );
  const last = readPlaylist(g.push.text(`${BASE}index.m3u8`));
  assert.equal(last.mediaSequence, 5);
  assert.deepEqual(
    last.segments.map((s) => s.uri),
    ['seg-5.m4s', 'seg-6.m4s', 'seg-7.m4s'],
  );
  const removed = g.push.ops.flatMap((o) => (o.op === 'remove' ? [o.path] : []));
  assert.deepEqual(removed.slice(0, 3), [`${BASE}seg-0.m4s`, `${BASE}seg-1.m4s`, `${BASE}seg-2.m4s`]);
});

test('a second session continues the playlist after a discontinuity; end() adds ENDLIST', async () => {
  // Regression: every reconnect made a new init-N.mp4 even with identical codec settings, and
  // VLC, which ignores a second EXT-X-MAP, stopped.
  const cases = [
    { name: 'same codec configuration: same init segment', video: SOURCE_VIDEO, maps: ['init-0.mp4'] },
    { name: 'new SPS/PPS: a new init segment', video: RUNG_VIDEO, maps: ['init-0.mp4', 'init-1.mp4'] },
  ];
  for (const c of cases) {
    const g = rig({}, true);
    const r = leader(g);
    g.feed(r, avFrames({ seconds: 2 }));
    r.endSession();
    r.startSession(describeTracks(c.video, AUDIO), (ms) => T0 + ms);
    g.feed(r, avFrames({ seconds: 2, startMs: 5000 }));
    r.end();
    await g.queue.drain();
    const p = readPlaylist(g.push.text(`${BASE}index.m3u8`));
    assert.deepEqual(
      p.segments.map((s) => [s.uri, s.discontinuity]),
      [
        ['seg-0.m4s', false],
        ['seg-1.m4s', false],
        ['seg-2.m4s', true],
        ['seg-3.m4s', false],
      ],
      c.name,
    );
    assert.deepEqual(p.maps, c.maps, c.name);
    assert.deepEqual(
      g.push.puts((o) => o.kind === 'init'),
      c.maps.map((m) => BASE + m),
      `${c.name}: each init segment pushed once`,
    );
    assert.equal(p.ended, true);
    assertMediaBeforePlaylists(g.push, BASE);
  }
});

test('follower: drops what does not start at a leader cut, then lists under the leader numbers', async () => {
  const g = rig({}, true);
  const lead = leader(g);
  const follower = g.make('240p', new FollowerRole(g.cuts));
  follower.startSession(describeTracks(RUNG_VIDEO, AUDIO), (ms) => T0 + ms);
  const source = avFrames({ seconds: 4 });
  // The transcoder warms up mid-GOP: its first keyframe (1.5 s) is not where the leader cut.
  const out = source
    .filter((f) => f.dts >= 1500)
    .map((f, i) => (i === 0 && f.type === 'video' ? { ...f, keyframe: true } : f));
  const firstOut = out.findIndex((f) => f.type === 'video');
  const fromFollower = out.slice(firstOut);
  // Output trails input by a few frames, as a real encoder's does.
  let k = 0;
  for (const f of source) {
    g.clock.now = T0 + f.dts;
    lead.frame(f);
    while (k < fromFollower.length && fromFollower[k]!.dts <= f.dts - 100) follower.frame(fromFollower[k++]!);
  }
  while (k < fromFollower.length) follower.frame(fromFollower[k++]!);
  lead.endSession();
  follower.endSession();
  await g.queue.drain();

  const lp = readPlaylist(g.push.text('live/t/src/index.m3u8'));
  const fp = readPlaylist(g.push.text('live/t/240p/index.m3u8'));
  assert.deepEqual(
    fp.segments.map((s) => s.uri),
    ['seg-2.m4s', 'seg-3.m4s'],
  );
  assert.equal(fp.mediaSequence, 2);
  assert.deepEqual(
    lp.segments.slice(2).map((s) => s.uri),
    fp.segments.map((s) => s.uri),
  );
  const byRendition = (name: string) =>
    g.events.filter((e) => e.rendition === name).map((e) => [e.sequence, e.startMs]);
  assert.deepEqual(byRendition('240p'), byRendition('src').slice(2));
  // Parts are named after the leader's numbers too.
  assert.deepEqual(fp.segments[0]!.parts, ['part-2-0.m4s', 'part-2-1.m4s', 'part-2-2.m4s']);
  assert.equal(
    g.push.puts((o) => o.path.startsWith('live/t/240p/seg-1')).length,
    0,
    'the half segment was never pushed',
  );
});
