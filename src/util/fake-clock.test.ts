import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from './fake-clock.js';

describe('FakeClock', () => {
  it('fires due timers in time order, each at its own time, including ones set while advancing', () => {
    const clock = new FakeClock(1_000);
    const fired: Array<[string, number]> = [];
    clock.setTimeout(() => fired.push(['b', clock.now()]), 20);
    clock.setTimeout(() => {
      fired.push(['a', clock.now()]);
      clock.setTimeout(() => fired.push(['c', clock.now()]), 5);
    }, 10);
    const cancelled = clock.setTimeout(() => fired.push(['x', clock.now()]), 15);
    clock.clearTimeout(cancelled);
    clock.advance(14);
    assert.deepEqual(fired, [['a', 1_010]]);
    clock.advance(100);
    assert.deepEqual(fired, [
      ['a', 1_010],
      ['c', 1_015],
      ['b', 1_020],
    ]);
    assert.equal(clock.now(), 1_114);
    assert.equal(clock.monotonic(), 114);
    assert.equal(clock.pending, 0);
  });

  it('keeps the order timers were set for equal due times', () => {
    const clock = new FakeClock();
    const fired: number[] = [];
    for (let i = 0; i < 5; i++) clock.setTimeout(() => fired.push(i), 7);
    clock.advance(7);
    assert.deepEqual(fired, [0, 1, 2, 3, 4]);
  });
});
