import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../util/fake-clock.js';
import { KnownNames } from './known-names.js';

const P = 60_000;

function names(maxEntries = 1000) {
  const clock = new FakeClock();
  return { clock, known: new KnownNames({ clock, periodMs: P, maxEntries }) };
}

describe('KnownNames', () => {
  it('keeps a live name at least one period and at most two after it was last listed', () => {
    for (const offset of [0, 1, P / 2, P - 1]) {
      const { clock, known } = names();
      clock.advance(offset);
      known.addLive('/a/part-1-0.m4s');
      clock.advance(P - 1);
      assert.ok(known.has('/a/part-1-0.m4s'), `known ${P - 1} ms after (listed ${offset} ms in)`);
      clock.advance(P + 1);
      assert.equal(known.has('/a/part-1-0.m4s'), false, `forgotten 2 periods after (listed ${offset} ms in)`);
    }
  });

  it('a name listed again stays known; the ones that left the playlist go', () => {
    const { clock, known } = names();
    for (let t = 0; t < 10 * P; t += 1000) {
      known.addLive('/a/index-still-listed.m4s');
      known.addLive(`/a/seg-${t / 1000}.m4s`);
      clock.advance(1000);
    }
    assert.ok(known.has('/a/index-still-listed.m4s'));
    assert.ok(known.has('/a/seg-599.m4s'));
    assert.equal(known.has('/a/seg-0.m4s'), false);
    // Two generations of at most one period each, plus the name listed throughout.
    assert.ok(known.size <= 2 * (P / 1000) + 2, `${known.size} names held`);
  });

  it('a quiet node does not keep live names forever', () => {
    const { clock, known } = names();
    known.addLive('/a/seg-1.m4s');
    clock.advance(10 * P);
    assert.equal(known.has('/a/seg-1.m4s'), false);
    assert.equal(known.size, 0);
  });

  it('holds at most two generations of maxEntries under a flood of names', () => {
    const { known } = names(100);
    for (let i = 0; i < 10_000; i++) known.addLive(`/a/x-${i}`);
    assert.ok(known.size <= 200, `${known.size} names held`);
    assert.ok(known.has('/a/x-9999'));
  });

  it('keeps lasting names (ended or multivariant playlists) across periods, up to its cap', () => {
    const { clock, known } = names(100);
    known.addLasting('/vod/seg-1.m4s');
    clock.advance(100 * P);
    assert.ok(known.has('/vod/seg-1.m4s'));
    for (let i = 0; i < 1000; i++) known.addLasting(`/vod/y-${i}`);
    assert.ok(known.size <= 100);
    assert.equal(known.has('/vod/seg-1.m4s'), false, 'the least recent lasting name went first');
  });
});
