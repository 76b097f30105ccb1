import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  advancePartLimit,
  blockingMaxAgeS,
  formatDirectives,
  hasDirectives,
  isBlockingReload,
  normalizeTarget,
  parseDirectives,
  satisfies,
  tooFarAhead,
} from './directives.js';
import type { PlaylistState } from './state.js';

/** Segment 11 complete (4 parts), segment 12 in progress with parts 0 and 1 listed. */
const live: PlaylistState = {
  lastMsn: 11,
  partMsn: 12,
  lastPart: 1,
  partCounts: { 10: 4, 11: 4 },
  targetDurationS: 2,
  partTargetS: 0.5,
  preloadHint: 'part-12-2.m4s',
  ended: false,
};

describe('delivery directives', () => {
  it('parses _HLS_msn, _HLS_part and _HLS_skip', () => {
    assert.deepEqual(parseDirectives('_HLS_msn=12&_HLS_part=3'), { msn: 12, part: 3, skip: false });
    assert.deepEqual(parseDirectives('_HLS_msn=0&_HLS_skip=YES'), { msn: 0, skip: true });
    assert.deepEqual(parseDirectives('_HLS_skip=v2'), { skip: true });
    assert.deepEqual(parseDirectives('other=1'), { skip: false });
  });

  it('refuses a part without msn, non-integers and unknown skip values', () => {
    for (const q of [
      '_HLS_part=1',
      '_HLS_msn=',
      '_HLS_msn=-1',
      '_HLS_msn=1.5',
      '_HLS_msn=1e3',
      '_HLS_msn=abc',
      '_HLS_msn=1&_HLS_part=x',
      '_HLS_msn=9999999999999999',
      '_HLS_skip=NO',
    ]) {
      assert.ok('problem' in parseDirectives(q), q);
    }
  });

  it('rolls a part index past the end of a complete segment over to part 0 of the next', () => {
    assert.deepEqual(normalizeTarget({ msn: 11, part: 4 }, live), { msn: 12, part: 0 });
    assert.deepEqual(normalizeTarget({ msn: 11, part: 3 }, live), { msn: 11, part: 3 });
    assert.deepEqual(normalizeTarget({ msn: 12, part: 9 }, live), { msn: 12, part: 9 }, 'count unknown yet');
    // A zero-part segment rolls over again.
    const zero = { ...live, partCounts: { 10: 4, 11: 0 } };
    assert.deepEqual(normalizeTarget({ msn: 10, part: 4 }, zero), { msn: 12, part: 0 });
  });

  it('decides what a version satisfies', () => {
    assert.equal(satisfies({ msn: 11 }, live), true);
    assert.equal(satisfies({ msn: 12 }, live), false, 'segment 12 is not complete');
    assert.equal(satisfies({ msn: 12, part: 1 }, live), true);
    assert.equal(satisfies({ msn: 12, part: 2 }, live), false);
    assert.equal(satisfies({ msn: 11, part: 3 }, live), true);
    assert.equal(satisfies({ msn: 11, part: 7 }, live), true, 'rolls over to 12.0, which is listed');
    assert.equal(satisfies({ msn: 3 }, live), true, 'older than the playlist: answer with the current one');
  });

  it('finds requests too far ahead: msn past last + 2, part past the Advance Part Limit', () => {
    assert.equal(advancePartLimit(0.5), 6);
    assert.equal(advancePartLimit(1), 3);
    assert.equal(advancePartLimit(2), 3);
    assert.equal(tooFarAhead({ msn: 13 }, live), false);
    assert.equal(tooFarAhead({ msn: 14 }, live), true);
    // No complete segment yet, parts of segment 40 listed (numbering carried over a restart).
    const fresh = { ...live, lastMsn: -1, partMsn: 40, lastPart: 0, partCounts: {} };
    assert.equal(tooFarAhead({ msn: 40, part: 1 }, fresh), false);
    assert.equal(tooFarAhead({ msn: 42 }, fresh), true);
    assert.equal(tooFarAhead({ msn: 12, part: 7 }, live), false, '6 parts past the last listed');
    assert.equal(tooFarAhead({ msn: 12, part: 8 }, live), true);
    // In the next segment: its parts up to P, plus at least 0 remaining in segment 12.
    assert.equal(tooFarAhead({ msn: 13, part: 5 }, live), false);
    assert.equal(tooFarAhead({ msn: 13, part: 6 }, live), true);
    const slow = { ...live, partTargetS: 1 };
    assert.equal(tooFarAhead({ msn: 12, part: 4 }, slow), false);
    assert.equal(tooFarAhead({ msn: 12, part: 5 }, slow), true);
  });

  it('lets caches keep blocking answers six target durations, in whole seconds', () => {
    assert.equal(blockingMaxAgeS(live), 12);
    assert.equal(blockingMaxAgeS({ ...live, targetDurationS: 0.3 }), 1);
    assert.equal(blockingMaxAgeS({ ...live, targetDurationS: 0.1 }), 1, 'never 0');
  });
});

describe('directives in URLs', () => {
  it('tells blocking reloads from plain and delta requests', () => {
    assert.equal(isBlockingReload('/live/a/index.m3u8?_HLS_msn=3&_HLS_part=1'), true);
    assert.equal(isBlockingReload('/live/a/index.m3u8?x=1&_HLS_msn=3'), true);
    assert.equal(isBlockingReload('/live/a/index.m3u8?_HLS_skip=YES'), false);
    assert.equal(isBlockingReload('/live/a/index.m3u8'), false);
    assert.equal(isBlockingReload('/live/_HLS_msn=3/index.m3u8'), false, 'not in the query');
    assert.equal(hasDirectives('_HLS_skip=YES'), true);
    assert.equal(hasDirectives('t=1'), false);
  });

  it('formats what it parses', () => {
    for (const d of [{ msn: 12, part: 3, skip: false }, { msn: 0, skip: true }, { skip: true }]) {
      assert.deepEqual(parseDirectives(formatDirectives(d, d.skip)), d);
    }
  });
});
