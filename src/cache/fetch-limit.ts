import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import { CorralError } from '../util/errors.js';
import type { Fetcher, UpstreamHandle } from './upstream.js';

interface Queued {
  start: () => void;
  cancelled: boolean;
}

export interface FetchLimitEvents {
  /** A fetch had to wait for a slot (it is queued), or was refused because the queue was full. */
  queued?: () => void;
  refused?: () => void;
  /**
   * Runs a refusal's callback after get() has returned (a microtask by default; the simulator
   * passes its virtual clock's zero-delay timer so the refusal happens inside the simulation).
   */
  defer?: (fn: () => void) => void;
}

/**
 * This tier's cap on concurrent upstream fetches (issue 11, regional isolation). Coalescing makes
 * one fetch per object, but a flood of distinct objects (or a slow upstream) would still open
 * one request each; past `maxActive` a fetch waits in a bounded queue, and past `maxQueued` it
 * fails at once with UPSTREAM_BUSY, which the flight turns into a stale copy or a 503: a tier
 * under a spike sheds its own excess instead of passing it to the shield or the origin. A fetch
 * holds its slot until its response body has been read (or it failed or was aborted).
 */
export class LimitedFetcher implements Fetcher {
  readonly #inner: Fetcher;
  readonly #maxActive: number;
  readonly #maxQueued: number;
  readonly #events: FetchLimitEvents;
  readonly #queue: Queued[] = [];
  /** Index of the queue's head: shifting an array per fetch costs O(n) under a long queue. */
  #head = 0;
  #active = 0;

  constructor(inner: Fetcher, maxActive: number, maxQueued: number, events: FetchLimitEvents = {}) {
    this.#inner = inner;
    this.#maxActive = maxActive;
    this.#maxQueued = maxQueued;
    this.#events = events;
  }

  get active(): number {
    return this.#active;
  }

  get queued(): number {
    return this.#queue.length - this.#head;
  }

  get(
    method: 'GET' | 'HEAD',
    path: string,
    headers: OutgoingHttpHeaders,
    onResponse: (res: IncomingMessage) => void,
    onError: (err: Error) => void,
  ): UpstreamHandle {
    let inner: UpstreamHandle | undefined;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      this.#active--;
      this.#next();
    };
    const start = () => {
      this.#active++;
      inner = this.#inner.get(
        method,
        path,
        headers,
        (res) => {
          res.once('close', release);
          onResponse(res);
        },
        (err) => {
          release();
          onError(err);
        },
      );
    };
    if (this.#active < this.#maxActive && this.queued === 0) {
      start();
      return { abort: () => (inner?.abort(), release()) };
    }
    if (this.queued >= this.#maxQueued) {
      this.#events.refused?.();
      const err = new CorralError('UPSTREAM_BUSY', `${this.#maxQueued} upstream fetches already waiting`, {
        recoverable: true,
      });
      let cancelled = false;
      // Never call back before get() has returned: callers keep the handle it returns.
      (this.#events.defer ?? queueMicrotask)(() => cancelled || onError(err));
      return { abort: () => void (cancelled = true) };
    }
    this.#events.queued?.();
    const q: Queued = { start, cancelled: false };
    this.#queue.push(q);
    return {
      abort: () => {
        if (inner === undefined) q.cancelled = true;
        else {
          inner.abort();
          release();
        }
      },
    };
  }

  #next(): void {
    while (this.#active < this.#maxActive && this.#head < this.#queue.length) {
      const q = this.#queue[this.#head]!;
      this.#queue[this.#head++] = undefined as unknown as Queued;
      if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
        this.#queue.splice(0, this.#head);
        this.#head = 0;
      }
      if (!q.cancelled) q.start();
    }
  }
}
