import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PlaylistSegment } from '../../src/package/playlist.js';
import { PlaylistWindow } from '../../src/package/playlist-window.js';
import { config } from '../support/package.js';

const seg = (sequence: number, extra: Partial<PlaylistSegment> = {}): PlaylistSegment => ({
  sequence,
  durationS: 1,
  uri: `seg-${sequence}.m4s`,
  programDateTime: 1_700_000_000_000 + sequence * 1000,
  mapUri: 'init-0.mp4',
  discontinuity: false,
  ...extra,
});

test('media sequence numbers only go forward', () => {
  const w = new PlaylistWindow(config(), 'live/x/src/');
  w.append(seg(5), 0);
  assert.throws(() => w.append(seg(5), 0), RangeError);
  assert.throws(() => w.append(seg(4), 0), RangeError);
  w.append(seg(9), 0);
  assert.deepEqual(
    w.segments().map((s) => s.sequence),
    [5, 9],
  );
});

test('the window stays bounded and counts the discontinuities that scrolled out', () => {
  const w = new PlaylistWindow(config({ windowSegments: 3, availabilityS: 2 }), 'live/x/src/');
  w.fixTargetDuration(1);
  for (let n = 0; n < 10; n++) w.append(seg(n, { discontinuity: n === 2 }), n * 1000);
  assert.equal(w.segmentCount, 3);
  assert.equal(w.mediaSequence, 7);
  assert.equal(w.discontinuitySequence, 1);
  // Removed only once their availability window (2 s after leaving) has passed.
  assert.deepEqual(w.due(4999), []);
  assert.deepEqual(w.due(5000), ['live/x/src/seg-0.m4s']);
  assert.deepEqual(w.due(6000), ['live/x/src/seg-1.m4s']);
});

test('the target duration is fixed by the first value', () => {
  const w = new PlaylistWindow(config(), 'live/x/src/');
  assert.equal(w.fixTargetDuration(2), 2);
  assert.equal(w.fixTargetDuration(4), 2);
  assert.throws(() => new PlaylistWindow(config(), 'p/').fixTargetDuration(0.5), RangeError);
});

test('parts belong to the open segment number they are named after', () => {
  const w = new PlaylistWindow(config(), 'live/x/src/');
  assert.throws(() => w.addPart(0.334, true), /without an open segment/);
  w.open(3);
  assert.equal(w.addPart(0.334, true).uri, 'part-3-0.m4s');
  assert.equal(w.addPart(0.334, false).uri, 'part-3-1.m4s');
  // Renumbering the open segment drops parts that carry the old number.
  w.open(4);
  assert.equal(w.openPartCount, 0);
  w.addPart(0.334, true);
  assert.deepEqual(w.takeOpenParts(5), [], 'parts of segment 4 never complete segment 5');
  assert.equal(w.openPartCount, 0, 'and they are gone: that segment was not built as parts');
  // A segment listed with parts named after another number is refused.
  const parts = [w.addPart(0.334, false)];
  assert.throws(() => w.append(seg(5, { parts }), 0), RangeError);
  w.append(seg(4, { parts: w.takeOpenParts(4) }), 0);
  assert.deepEqual(
    w.segments()[0]!.parts?.map((p) => p.uri),
    ['part-4-0.m4s'],
  );
});

test('what is handed in cannot be changed behind the window', () => {
  const w = new PlaylistWindow(config(), 'live/x/src/');
  const s = seg(1);
  w.append(s, 0);
  s.sequence = 0;
  w.segments()[0]!.sequence = -5;
  assert.equal(w.lastSegment?.sequence, 1);
});
