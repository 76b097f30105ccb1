import type { Clock, TimerHandle } from '../util/clock.js';

/** One scheduled event; `fn` undefined once cancelled (lazy deletion from the heap). */
interface Ev {
  at: number;
  seq: number;
  fn: (() => void) | undefined;
}

/** The start of every simulation: a whole second, so HTTP dates made from it round-trip. */
export const SIM_EPOCH_MS = Date.UTC(2026, 0, 1);

/**
 * Virtual time for the simulator: one binary heap of events keyed by (time, sequence), so events
 * at the same moment run in the order they were scheduled and a run is the same every time. It is
 * the Clock the cache cores get (their timers are events like any other), so it plays the role
 * FakeClock plays in the cache tests, with O(log n) per event instead of a scan of every timer.
 * Nothing here reads the real time.
 */
export class SimClock implements Clock {
  #now = SIM_EPOCH_MS;
  #seq = 0;
  #heap: Ev[] = [];
  #fired = 0;

  now(): number {
    return this.#now;
  }

  monotonic(): number {
    return this.#now - SIM_EPOCH_MS;
  }

  /** Simulated ms since the start. */
  get t(): number {
    return this.#now - SIM_EPOCH_MS;
  }

  /** Events run so far. */
  get fired(): number {
    return this.#fired;
  }

  /** Events scheduled and not yet run (cancelled ones included until they surface). */
  get pending(): number {
    return this.#heap.length;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    return this.at(this.#now + Math.max(0, ms), fn);
  }

  clearTimeout(handle: TimerHandle | undefined): void {
    if (handle !== undefined) (handle as Ev).fn = undefined;
  }

  /** Run `fn` at absolute virtual time `atMs` (ms since the epoch; never before now). */
  at(atMs: number, fn: () => void): TimerHandle {
    const ev: Ev = { at: Math.max(atMs, this.#now), seq: this.#seq++, fn };
    const h = this.#heap;
    h.push(ev);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(ev, h[p]!)) break;
      h[i] = h[p]!;
      i = p;
    }
    h[i] = ev;
    return ev;
  }

  /** Run `fn` `ms` after the start of the simulation. */
  atT(ms: number, fn: () => void): TimerHandle {
    return this.at(SIM_EPOCH_MS + ms, fn);
  }

  /** Run every event due by simulated time `endT` (ms since the start), in order; then stop there. */
  runUntil(endT: number): void {
    const end = SIM_EPOCH_MS + endT;
    const h = this.#heap;
    while (h.length > 0 && h[0]!.at <= end) {
      const ev = this.#pop();
      if (ev.fn === undefined) continue;
      this.#now = ev.at;
      const fn = ev.fn;
      ev.fn = undefined;
      this.#fired++;
      fn();
    }
    if (end > this.#now) this.#now = end;
  }

  #pop(): Ev {
    const h = this.#heap;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      let i = 0;
      const n = h.length;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const c = r < n && before(h[r]!, h[l]!) ? r : l;
        if (!before(h[c]!, last)) break;
        h[i] = h[c]!;
        i = c;
      }
      h[i] = last;
    }
    return top;
  }
}

function before(a: Ev, b: Ev): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}
