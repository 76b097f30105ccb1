import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PlaylistWindow } from '../../src/package/playlist-window.js';
import { writeWithDelta } from '../../src/package/playlist.js';
import { packageSchema } from '../../src/config/schema.js';
import { parseLowLatency, parseMediaPlaylist } from '../support/hls.js';

function windowWith(n: number): PlaylistWindow {
  const w = new PlaylistWindow(packageSchema.parse({ windowSegments: 20 }), 'live/x/src/');
  w.fixTargetDuration(1);
  for (let i = 0; i < n; i++) {
    w.open(100 + i);
    for (let k = 0; k < 3; k++) w.addPart(0.333, k === 0);
    w.append(
      {
        sequence: 100 + i,
        durationS: 1,
        uri: `seg-${100 + i}.m4s`,
        programDateTime: 1_700_000_000_000 + i * 1000,
        mapUri: 'init-0.mp4',
        discontinuity: false,
        parts: w.takeOpenParts(100 + i),
      },
      0,
    );
  }
  w.open(100 + n);
  w.addPart(0.334, true);
  return w;
}

test('a delta update skips exactly the segments before the 6-target-duration boundary', () => {
  const w = windowWith(12);
  const full = w.render({ partTargetS: 0.334, reports: [] });
  const delta = w.render({ partTargetS: 0.334, reports: [], delta: true });
  const ll = parseLowLatency(delta);
  assert.equal(ll.skipped, 6);
  assert.match(delta, /#EXT-X-SKIP:SKIPPED-SEGMENTS=6\n/);
  // The delta lists the same tail as the full playlist, from the same media sequence.
  const f = parseMediaPlaylist(full);
  const d = parseMediaPlaylist(delta);
  assert.equal(d.mediaSequence, f.mediaSequence);
  assert.deepEqual(
    d.segments.map((s) => s.uri),
    f.segments.slice(6).map((s) => s.uri),
  );
  assert.equal(ll.preloadHint, 'part-112-1.m4s');
  // What each version pushes: both texts from one pass, the same as the two renders.
  assert.deepEqual(writeWithDelta(w.modelWithDelta({ partTargetS: 0.334, reports: [] })), { full, delta });
});

test('short windows skip nothing; parts are listed within three target durations of the end only', () => {
  const w = windowWith(5);
  assert.equal(w.skippable(0.334), 0);
  const text = w.render({
    partTargetS: 0.334,
    reports: [{ uri: '../720p/index.m3u8', lastMsn: 105, lastPart: 0 }],
  });
  const ll = parseLowLatency(text);
  assert.deepEqual([...new Set(ll.parts.map((p) => p.msn))], [103, 104, 105]);
  assert.deepEqual(ll.reports, [{ uri: '../720p/index.m3u8', lastMsn: 105, lastPart: 0 }]);
});

test('playlist state tells the origin where blocking requests stand', () => {
  const w = windowWith(4);
  assert.deepEqual(w.state(0.334), {
    lastMsn: 103,
    partMsn: 104,
    lastPart: 0,
    partCounts: { 100: 3, 101: 3, 102: 3, 103: 3 },
    targetDurationS: 1,
    partTargetS: 0.334,
    preloadHint: 'part-104-1.m4s',
    ended: false,
  });
});
