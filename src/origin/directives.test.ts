import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  advancePartLimit,
  blockingMaxAgeS,
  normalizeTarget,
  parseDirectives,
  satisfies,
  tooFarAhead,
} from './directives.js';
import { HoldRegistry } from './holds.js';
import { encodeLiveHeader, resolveHint, sanitizeLiveState, MAX_PART_COUNTS } from './live-state.js';
import type { PlaylistState } from './types.js';

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

describe('playlist state validation', () => {
  it('keeps a good state and drops unknown fields', () => {
    assert.deepEqual(sanitizeLiveState({ ...live, extra: 1 }, 'p'), live);
    const noHint = { ...live, preloadHint: undefined };
    assert.equal('preloadHint' in sanitizeLiveState(noHint, 'p'), false);
  });

  it('rejects inconsistent or hostile states', () => {
    const bad: Array<Record<string, unknown>> = [
      { lastMsn: 1.5 },
      { lastMsn: -2 },
      { partMsn: 10 },
      { lastPart: -2 },
      { targetDurationS: 0 },
      { targetDurationS: Number.POSITIVE_INFINITY },
      { partTargetS: -1 },
      { ended: 'no' },
      { preloadHint: 'a\r\nb' },
      { preloadHint: '' },
      { partCounts: [] },
      { partCounts: { x: 1 } },
      { partCounts: { 1: -1 } },
    ];
    for (const patch of bad) {
      assert.throws(
        () => sanitizeLiveState({ ...live, ...patch }, 'p'),
        /bad playlist state/,
        JSON.stringify(patch),
      );
    }
    assert.throws(() => sanitizeLiveState(null, 'p'));
  });

  it('keeps only the newest part counts', () => {
    const counts: Record<number, number> = {};
    for (let i = 0; i < MAX_PART_COUNTS + 50; i++) counts[i] = 3;
    const s = sanitizeLiveState({ ...live, lastMsn: 400, partMsn: 400, partCounts: counts }, 'p');
    const kept = Object.keys(s.partCounts).map(Number);
    assert.equal(kept.length, MAX_PART_COUNTS);
    assert.equal(Math.min(...kept), 50);
  });

  it('encodes the header as ASCII JSON that parses back', () => {
    const state = { ...live, preloadHint: 'teil-ü.m4s' };
    const header = encodeLiveHeader(state);
    assert.match(header, /^[\x20-\x7e]+$/);
    assert.deepEqual(JSON.parse(header), state);
  });

  it('resolves preload hints against the playlist path', () => {
    assert.equal(resolveHint('live/demo/src/index.m3u8', 'part-12-2.m4s'), 'live/demo/src/part-12-2.m4s');
    assert.equal(resolveHint('live/demo/src/index.m3u8', '../v1/p.m4s?x=1'), 'live/demo/v1/p.m4s');
    assert.equal(resolveHint('live/a b/index.m3u8', 'p%20q.m4s'), 'live/a b/p q.m4s');
    assert.equal(resolveHint('live/demo/index.m3u8', 'http://elsewhere/p.m4s'), undefined);
    assert.equal(resolveHint('live/demo/index.m3u8', '/abs/p.m4s'), 'abs/p.m4s');
  });
});

describe('HoldRegistry', () => {
  it('bounds holds per key and overall, and frees slots on close', () => {
    const reg = new HoldRegistry({ perKey: 2, total: 3 });
    const a1 = reg.open('a');
    const a2 = reg.open('a');
    assert.ok(a1 && a2);
    assert.equal(reg.open('a'), undefined, 'per-key bound');
    const b1 = reg.open('b');
    assert.ok(b1);
    assert.equal(reg.open('c'), undefined, 'total bound');
    a1.close();
    assert.equal(reg.size, 2);
    assert.ok(reg.open('c'));
  });

  it('remembers a version published before the hold listens, and releases listeners in one pass', () => {
    const reg = new HoldRegistry({ perKey: 10, total: 10 });
    const early = reg.open('k');
    assert.ok(early);
    reg.publish('k', undefined);
    assert.deepEqual(early.seen, { v: undefined });
    early.close();

    const answered: number[] = [];
    for (let i = 0; i < 5; i++) {
      const h = reg.open('k');
      assert.ok(h);
      h.listen(
        () => (answered.push(i), i % 2 === 0),
        () => undefined,
      );
    }
    assert.equal(reg.publish('k', undefined), 3);
    assert.deepEqual(answered, [0, 1, 2, 3, 4]);
    assert.equal(reg.size, 2, 'the two that declined still wait');
    let expired = 0;
    for (const h of [reg.open('k'), reg.open('k')])
      h?.listen(
        () => false,
        () => expired++,
      );
    reg.expireAll();
    assert.equal(reg.size, 0);
    assert.equal(expired, 2);
  });
});
