import type { OriginPush, PushObject } from '../origin/types.js';
import type { Logger } from '../util/logger.js';
import { describeError } from '../util/errors.js';

export interface PushQueueOptions {
  /** Waiting operations past which `full` says to drop media rather than queue more. */
  maxPending?: number;
  /** While the origin is away, how often to ask whether it answers again. */
  probeEveryMs?: number;
  /** What to ask the origin about when probing (the stream's multivariant). */
  probePath?: string;
  /** Removals remembered while the origin is away; the oldest are forgotten past it. */
  maxHeldRemovals?: number;
}

interface Op {
  what: string;
  /** Set for playlists: a newer version of the same path makes a waiting one pointless. */
  supersedes?: string;
  /** Set for removals, so they survive going offline. */
  removes?: string;
  /** The last op of a republish: once it is through, the origin has taken the whole window. */
  endsRepublish?: boolean;
  /** Republished media: no playlist comes between them, so their order does not matter. */
  unordered?: boolean;
  run: () => Promise<void>;
}

/** Republished media pushed at once: a cold, just-restarted origin answers each one slowly. */
const REPUBLISH_CONCURRENCY = 4;
/** Longest wait before republishing again to an origin that failed the last republish. */
const MAX_REPUBLISH_BACKOFF_MS = 8000;

/**
 * Serialises one stream's pushes so the origin always holds a segment before the playlist that
 * lists it. Bounded: when the origin falls behind by more than `maxPending` operations the
 * caller is told (via `full`) and drops media instead of queueing without limit; a playlist
 * version waiting behind a newer one of the same path is dropped, since only the newest matters.
 *
 * When the stream decides the origin is gone or lost what it held (`resync()`), nothing more is
 * sent or queued: the stream keeps packaging into its window, and once the origin answers again
 * the queue pushes `republish()` (the whole window, in publishing order) ahead of anything new;
 * its media goes a few objects at a time, since no playlist is sent until all of it is through.
 * So an outage costs no memory beyond the window however long it lasts.
 */
export class PushQueue {
  readonly #push: OriginPush;
  readonly #log: Logger;
  readonly #maxPending: number;
  readonly #probeEveryMs: number;
  readonly #probePath: string | undefined;
  readonly #maxHeldRemovals: number;
  /** Who decides what a failed push means (the stream's error-action table); default: log it. */
  onFailure: ((e: unknown, what: string) => void) | undefined;
  /** Told when the origin answering is a different process from the one that took our pushes. */
  onOriginRestart: (() => void) | undefined;
  /** Everything the origin should hold now, in the order it must be pushed. */
  republish: (() => PushObject[]) | undefined;
  readonly #ops: Op[] = [];
  #running = false;
  #offline = false;
  #closed = false;
  #probeTimer: NodeJS.Timeout | undefined;
  /** Removals asked for while offline, replayed after the republish. */
  readonly #heldRemovals = new Set<string>();
  /** The origin process our pushes reached, when the transport can tell. */
  #instance: string | undefined;
  #idle: Array<() => void> = [];
  #failures = 0;
  #republished = 0;
  /** Republishes in a row that failed part-way: each waits longer (one bad object must not loop). */
  #failedRepublishes = 0;
  #republishing = false;

  constructor(push: OriginPush, log: Logger, opts: PushQueueOptions | number = {}) {
    const o = typeof opts === 'number' ? { maxPending: opts } : opts;
    this.#push = push;
    this.#log = log;
    this.#maxPending = o.maxPending ?? 64;
    this.#probeEveryMs = o.probeEveryMs ?? 250;
    this.#probePath = o.probePath;
    this.#maxHeldRemovals = o.maxHeldRemovals ?? 4096;
  }

  /** Offline, nothing is queued, so there is never a reason to drop media. */
  get full(): boolean {
    return !this.#offline && this.#ops.length >= this.#maxPending;
  }

  get failures(): number {
    return this.#failures;
  }

  /** Waiting operations (the running one excluded). */
  get pending(): number {
    return this.#ops.length;
  }

  get offline(): boolean {
    return this.#offline;
  }

  /** How many times the window was pushed again to an origin that came back. */
  get republished(): number {
    return this.#republished;
  }

  put(obj: PushObject): void {
    if (this.#offline || this.#closed) return;
    const playlist = obj.kind === 'playlist' || obj.kind === 'multivariant';
    const op: Op = {
      what: `put ${obj.path}`,
      ...(playlist ? { supersedes: obj.path } : {}),
      run: () => this.#push.put(obj),
    };
    if (playlist) {
      const older = this.#ops.findIndex((o) => o.supersedes === obj.path);
      // The newer version finishes a republish the older one would have finished.
      if (older !== -1 && this.#ops.splice(older, 1)[0]!.endsRepublish) op.endsRepublish = true;
    }
    this.#enqueue(op);
  }

  remove(path: string): void {
    if (this.#closed) return;
    if (this.#offline) return this.#holdRemoval(path);
    this.#enqueue({ what: `remove ${path}`, removes: path, run: () => this.#push.remove(path) });
  }

  /** Resolves when nothing is waiting or running (offline, nothing is). */
  drain(): Promise<void> {
    if (!this.#running && (this.#ops.length === 0 || this.#offline)) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  /**
   * Stop sending: what is waiting is dropped (the republish covers it), and the origin is probed
   * until it answers; then the window goes out again, ahead of anything new.
   */
  resync(): void {
    if (this.#offline || this.#closed) return;
    this.#offline = true;
    for (const op of this.#ops.splice(0)) if (op.removes !== undefined) this.#holdRemoval(op.removes);
    if (this.#republishing) {
      this.#republishing = false;
      this.#failedRepublishes++;
    }
    const backoff =
      this.#failedRepublishes === 0
        ? 0
        : Math.min(this.#probeEveryMs * 2 ** this.#failedRepublishes, MAX_REPUBLISH_BACKOFF_MS);
    // Without a probe the republish itself is the probe: a failure comes back here, so wait first.
    this.#scheduleProbe(Math.max(backoff, this.#push.probe ? 0 : this.#probeEveryMs));
  }

  /** No more pushes or probes; operations already queued still run. */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#probeTimer);
    this.#probeTimer = undefined;
    if (this.#offline) {
      this.#offline = false;
      this.#settle();
    }
  }

  #holdRemoval(path: string): void {
    this.#heldRemovals.add(path);
    if (this.#heldRemovals.size > this.#maxHeldRemovals) {
      this.#heldRemovals.delete(this.#heldRemovals.values().next().value!);
    }
  }

  #scheduleProbe(delayMs: number): void {
    clearTimeout(this.#probeTimer);
    this.#probeTimer = setTimeout(() => void this.#probe(), delayMs);
    this.#probeTimer.unref();
  }

  async #probe(): Promise<void> {
    this.#probeTimer = undefined;
    if (!this.#offline || this.#closed) return;
    if (this.#push.probe && this.#probePath !== undefined) {
      try {
        await this.#push.probe(this.#probePath);
      } catch {
        if (this.#offline && !this.#closed) this.#scheduleProbe(this.#probeEveryMs);
        return;
      }
    }
    if (!this.#offline || this.#closed) return;
    this.#comeBack();
  }

  /** The origin answers: the window first, then removals held meanwhile, then what comes next. */
  #comeBack(): void {
    this.#offline = false;
    // The first answer after the gap sets who the origin is; the republish already covers a change.
    this.#instance = undefined;
    const gone = [...this.#heldRemovals].filter((p) => p.endsWith('/'));
    const objects = (this.republish?.() ?? []).filter((o) => !gone.some((g) => o.path.startsWith(g)));
    const ops: Op[] = objects.map((obj) => ({
      what: `republish ${obj.path}`,
      ...(obj.kind === 'playlist' || obj.kind === 'multivariant'
        ? { supersedes: obj.path }
        : { unordered: true }),
      run: () => this.#push.put(obj),
    }));
    for (const path of this.#heldRemovals) {
      ops.push({ what: `remove ${path}`, removes: path, run: () => this.#push.remove(path) });
    }
    this.#heldRemovals.clear();
    if (ops.length > 0) {
      ops[ops.length - 1]!.endsRepublish = true;
      this.#republishing = true;
    }
    this.#republished++;
    this.#log.info({ objects: objects.length }, 'origin answers again: republishing the window');
    this.#ops.unshift(...ops);
    void this.#run();
  }

  #enqueue(op: Op): void {
    this.#ops.push(op);
    void this.#run();
  }

  async #run(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    while (!this.#offline && this.#ops.length > 0) {
      const batch = [this.#ops.shift()!];
      while (batch[0]!.unordered && batch.length < REPUBLISH_CONCURRENCY && this.#ops[0]?.unordered) {
        batch.push(this.#ops.shift()!);
      }
      const results = await Promise.allSettled(batch.map((op) => op.run()));
      results.forEach((r, i) => {
        const op = batch[i]!;
        if (r.status === 'fulfilled') {
          if (op.endsRepublish) {
            this.#republishing = false;
            this.#failedRepublishes = 0;
          }
          this.#noteInstance();
        } else {
          this.#failed(r.reason, op.what);
        }
      });
    }
    this.#running = false;
    this.#settle();
  }

  #failed(e: unknown, what: string): void {
    this.#failures++;
    try {
      if (this.onFailure) this.onFailure(e, what);
      else this.#log.error({ err: describeError(e) }, `origin push failed: ${what}`);
    } catch (x) {
      // A throwing handler must not stop the queue: every later push would wait for ever.
      this.#log.error({ err: describeError(x) }, 'push failure handler threw');
    }
  }

  #noteInstance(): void {
    const now = this.#push.originInstance?.();
    if (now === undefined) return;
    const before = this.#instance;
    this.#instance = now;
    if (before === undefined || before === now) return;
    if (this.onOriginRestart) this.onOriginRestart();
  }

  #settle(): void {
    if (this.#running || (this.#ops.length > 0 && !this.#offline)) return;
    for (const resolve of this.#idle.splice(0)) resolve();
  }
}
