import type { Clock, TimerHandle } from './clock.js';

interface FakeTimer {
  at: number;
  seq: number;
  fn: () => void;
}

/**
 * Virtual time for tests and simulations: nothing happens until `advance()` moves the clock, and
 * then every timer due by the new time fires in time order (ties in the order they were set),
 * each seeing `now()` at its own due time. Timers set while advancing fire in the same call when
 * they fall due before its end.
 */
export class FakeClock implements Clock {
  #now: number;
  readonly #origin: number;
  #seq = 0;
  readonly #timers = new Set<FakeTimer>();

  /** Starts at a fixed, whole-second wall time so HTTP dates built from it round-trip exactly. */
  constructor(startMs = Date.UTC(2026, 0, 1)) {
    this.#now = startMs;
    this.#origin = startMs;
  }

  now(): number {
    return this.#now;
  }

  monotonic(): number {
    return this.#now - this.#origin;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const t: FakeTimer = { at: this.#now + Math.max(0, ms), seq: this.#seq++, fn };
    this.#timers.add(t);
    return t;
  }

  clearTimeout(handle: TimerHandle | undefined): void {
    if (handle !== undefined) this.#timers.delete(handle as FakeTimer);
  }

  /** Timers set and not yet fired or cancelled. */
  get pending(): number {
    return this.#timers.size;
  }

  /** Move time forward by `ms`, firing every timer that falls due on the way. */
  advance(ms: number): void {
    const target = this.#now + Math.max(0, ms);
    while (true) {
      let next: FakeTimer | undefined;
      for (const t of this.#timers) {
        if (
          t.at <= target &&
          (next === undefined || t.at < next.at || (t.at === next.at && t.seq < next.seq))
        )
          next = t;
      }
      if (next === undefined) break;
      this.#timers.delete(next);
      this.#now = next.at;
      next.fn();
    }
    this.#now = target;
  }
}
