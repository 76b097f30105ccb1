/**
 * One timer per worker for every viewer's wake-ups: a binary min-heap ordered by due time (ties in
 * insertion order), with a single host timer armed for the earliest entry. Thousands of
 * per-viewer timers would each cost a timer-list node and a callback closure kept by the runtime.
 */

export interface Timers {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const REAL_TIMERS: Timers = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

interface Entry {
  at: number;
  seq: number;
  fn: () => void;
}

function before(a: Entry, b: Entry): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}

export class MinHeap {
  readonly #items: Entry[] = [];

  get size(): number {
    return this.#items.length;
  }

  peek(): Entry | undefined {
    return this.#items[0];
  }

  push(e: Entry): void {
    const a = this.#items;
    a.push(e);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(a[i]!, a[p]!)) break;
      [a[i], a[p]] = [a[p]!, a[i]!];
      i = p;
    }
  }

  pop(): Entry | undefined {
    const a = this.#items;
    const top = a[0];
    const last = a.pop();
    if (a.length === 0 || last === undefined) return top;
    a[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < a.length && before(a[l]!, a[m]!)) m = l;
      if (r < a.length && before(a[r]!, a[m]!)) m = r;
      if (m === i) break;
      [a[i], a[m]] = [a[m]!, a[i]!];
      i = m;
    }
    return top;
  }
}

export class Scheduler {
  readonly #heap = new MinHeap();
  readonly #timers: Timers;
  #seq = 0;
  #timer: unknown;
  #armedAt = Infinity;
  #stopped = false;

  constructor(timers: Timers = REAL_TIMERS) {
    this.#timers = timers;
  }

  now(): number {
    return this.#timers.now();
  }

  get pending(): number {
    return this.#heap.size;
  }

  /** Run `fn` at `at` (same clock as now()); a time in the past runs on the next turn. */
  at(at: number, fn: () => void): void {
    if (this.#stopped) return;
    this.#heap.push({ at, seq: this.#seq++, fn });
    if (at < this.#armedAt) this.#arm();
  }

  sleepUntil(at: number): Promise<void> {
    return new Promise((resolve) => this.at(at, resolve));
  }

  /** Drops every pending wake-up: sleeping viewers never resume, which is how a run ends. */
  stop(): void {
    this.#stopped = true;
    if (this.#timer !== undefined) this.#timers.clearTimeout(this.#timer);
    this.#timer = undefined;
    while (this.#heap.pop() !== undefined);
  }

  #arm(): void {
    const next = this.#heap.peek();
    if (this.#timer !== undefined) this.#timers.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#armedAt = Infinity;
    if (next === undefined) return;
    this.#armedAt = next.at;
    this.#timer = this.#timers.setTimeout(() => this.#fire(), Math.max(0, next.at - this.now()));
  }

  #fire(): void {
    this.#timer = undefined;
    this.#armedAt = Infinity;
    // Entries due within a millisecond run now: the host timer has that granularity anyway.
    const limit = this.now() + 1;
    for (let e = this.#heap.peek(); e !== undefined && e.at <= limit; e = this.#heap.peek()) {
      this.#heap.pop();
      e.fn();
      if (this.#stopped) return;
    }
    this.#arm();
  }
}
