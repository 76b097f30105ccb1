/** An opaque timer: only the clock that made it can cancel it. */
export type TimerHandle = object;

/**
 * Where time comes from. Components that wait or measure age take one in their constructor, so
 * tests and the simulator can run them on virtual time; production code uses `realClock`.
 */
export interface Clock {
  /** Wall time in ms since the epoch (ages, Expires, HTTP dates). */
  now(): number;
  /** Monotonic ms with sub-millisecond resolution (latency measurement). */
  monotonic(): number;
  /**
   * Run `fn` once after `ms`. `background` timers do not keep the process alive (a real clock
   * unrefs them), for clean-up that must not delay an exit.
   */
  setTimeout(fn: () => void, ms: number, background?: boolean): TimerHandle;
  /** Cancel a timer; undefined and already-fired timers are ignored. */
  clearTimeout(handle: TimerHandle | undefined): void;
}

export const realClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
  setTimeout: (fn, ms, background = false) => {
    const t = setTimeout(fn, ms);
    if (background) t.unref();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout | undefined),
};
