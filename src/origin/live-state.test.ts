import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
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
