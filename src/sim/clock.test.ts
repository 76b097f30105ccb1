import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SimClock } from './clock.js';
import { Rng } from './rng.js';

describe('SimClock', () => {
  it('runs events in (time, order set) order, skips cancelled ones, and stops at the end time', () => {
    const c = new SimClock();
    const seen: string[] = [];
    c.atT(30, () => seen.push('c30'));
    c.atT(10, () => seen.push('a10'));
    const cancelled = c.atT(20, () => seen.push('never'));
    c.atT(10, () => {
      seen.push('b10');
      c.setTimeout(() => seen.push(`d${c.t}`), 5); // set while running, due before the end
    });
    c.atT(50, () => seen.push('after-end'));
    c.clearTimeout(cancelled);
    c.runUntil(40);
    assert.deepEqual(seen, ['a10', 'b10', 'd15', 'c30']);
    assert.equal(c.t, 40);
    c.runUntil(60);
    assert.deepEqual(seen.at(-1), 'after-end');
  });

  it('keeps order for many events at random times (the heap)', () => {
    const c = new SimClock();
    const rng = new Rng(7);
    const got: Array<[number, number]> = [];
    for (let i = 0; i < 2000; i++) {
      const t = rng.int(100);
      c.atT(t, () => got.push([t, i]));
    }
    c.runUntil(100);
    const want = [...got].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    assert.deepEqual(got, want);
  });
});

describe('Rng', () => {
  it('is fixed by its seed', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const c = new Rng(43);
    const xs = Array.from({ length: 5 }, () => a.next());
    assert.deepEqual(
      xs,
      Array.from({ length: 5 }, () => b.next()),
    );
    assert.notDeepEqual(
      xs,
      Array.from({ length: 5 }, () => c.next()),
    );
    for (const x of xs) assert.ok(x >= 0 && x < 1);
  });
});
