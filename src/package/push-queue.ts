import type { OriginPush, PushObject } from '../origin/types.js';
import type { Logger } from '../util/logger.js';
import { describeError } from '../util/errors.js';

/**
 * Serialises one stream's pushes so the origin always holds a segment before the playlist that
 * lists it. Bounded: when the origin falls behind by more than `maxPending` operations the
 * caller is told (via `full`) and drops media instead of queueing without limit.
 */
export class PushQueue {
  readonly #push: OriginPush;
  readonly #log: Logger;
  readonly #maxPending: number;
  /** Who decides what a failed push means (the stream's error-action table); default: log it. */
  onFailure: ((e: unknown, what: string) => void) | undefined;
  #tail: Promise<void> = Promise.resolve();
  #pending = 0;
  #failures = 0;

  constructor(push: OriginPush, log: Logger, maxPending = 64) {
    this.#push = push;
    this.#log = log;
    this.#maxPending = maxPending;
  }

  get full(): boolean {
    return this.#pending >= this.#maxPending;
  }

  get failures(): number {
    return this.#failures;
  }

  put(obj: PushObject): void {
    this.#enqueue(() => this.#push.put(obj), `put ${obj.path}`);
  }

  remove(path: string): void {
    this.#enqueue(() => this.#push.remove(path), `remove ${path}`);
  }

  /** Resolves when everything queued so far has been attempted. */
  drain(): Promise<void> {
    return this.#tail;
  }

  #enqueue(op: () => Promise<void>, what: string): void {
    this.#pending++;
    this.#tail = this.#tail
      .then(op)
      .catch((e: unknown) => {
        this.#failures++;
        try {
          if (this.onFailure) this.onFailure(e, what);
          else this.#log.error({ err: describeError(e) }, `origin push failed: ${what}`);
        } catch (x) {
          // A throwing handler must not break the chain: every later push would be skipped.
          this.#log.error({ err: describeError(x) }, 'push failure handler threw');
        }
      })
      .finally(() => {
        this.#pending--;
      });
  }
}
