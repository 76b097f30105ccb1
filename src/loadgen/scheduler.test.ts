import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MinHeap, Scheduler, type Timers } from './scheduler.js';

/** A manual clock: advance() fires the one armed timer when its time comes. */
function fakeTimers() {
  let now = 0;
  let armed: { at: number; fn: () => void } | undefined;
  let arms = 0;
  const timers: Timers = {
    now: () => now,
    setTimeout: (fn, ms) => {
      arms++;
      armed = { at: now + ms, fn };
      return armed;
    },
    clearTimeout: (h) => {
      if (armed === h) armed = undefined;
    },
  };
  return {
    timers,
    get arms() {
      return arms;
    },
    get armed() {
      return armed;
    },
    advance(to: number) {
      while (armed !== undefined && armed.at <= to) {
        const a = armed;
        armed = undefined;
        now = a.at;
        a.fn();
      }
      now = to;
    },
  };
}

describe('MinHeap', () => {
  it('pops in time order, ties in insertion order', () => {
    const h = new MinHeap();
    const out: string[] = [];
    const times = [5, 1, 9, 1, 3, 7, 3, 0];
    times.forEach((at, i) => h.push({ at, seq: i, fn: () => out.push(`${at}:${i}`) }));
    for (let e = h.pop(); e !== undefined; e = h.pop()) e.fn();
    assert.deepEqual(out, ['0:7', '1:1', '1:3', '3:4', '3:6', '5:0', '7:5', '9:2']);
  });

  it('stays ordered over many random pushes and pops', () => {
    const h = new MinHeap();
    let seed = 7;
    const rnd = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
    for (let i = 0; i < 2000; i++) h.push({ at: Math.floor(rnd() * 500), seq: i, fn: () => {} });
    let last = -1;
    while (h.size > 0) {
      const e = h.pop()!;
      assert.ok(e.at >= last);
      last = e.at;
    }
  });
});

describe('Scheduler', () => {
  it('runs wake-ups at their time with a single host timer', () => {
    const f = fakeTimers();
    const s = new Scheduler(f.timers);
    const ran: number[] = [];
    for (const at of [300, 100, 200, 100]) s.at(at, () => ran.push(at));
    assert.equal(s.pending, 4);
    f.advance(150);
    assert.deepEqual(ran, [100, 100]);
    f.advance(1000);
    assert.deepEqual(ran, [100, 100, 200, 300]);
    assert.equal(s.pending, 0);
    assert.equal(f.armed, undefined, 'nothing left armed');
  });

  it('re-arms earlier when an earlier wake-up arrives, and not for later ones', () => {
    const f = fakeTimers();
    const s = new Scheduler(f.timers);
    s.at(500, () => {});
    const arms = f.arms;
    s.at(900, () => {});
    assert.equal(f.arms, arms, 'a later entry leaves the timer alone');
    s.at(100, () => {});
    assert.equal(f.armed?.at, 100);
  });

  it('a wake-up scheduled from a callback for "now" runs in the same pass', () => {
    const f = fakeTimers();
    const s = new Scheduler(f.timers);
    const ran: string[] = [];
    s.at(10, () => {
      ran.push('a');
      s.at(10, () => ran.push('b'));
    });
    f.advance(10);
    assert.deepEqual(ran, ['a', 'b']);
  });

  it('sleepUntil resolves at the time; stop drops everything pending', async () => {
    const f = fakeTimers();
    const s = new Scheduler(f.timers);
    let woke = false;
    const p = s.sleepUntil(50).then(() => (woke = true));
    let never = false;
    s.at(60, () => (never = true));
    f.advance(55);
    await p;
    assert.ok(woke);
    s.stop();
    f.advance(100);
    assert.equal(never, false);
    s.at(200, () => (never = true));
    assert.equal(s.pending, 0, 'a stopped scheduler takes no more');
  });
});
