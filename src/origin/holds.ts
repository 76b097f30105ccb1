import type { StoredObject } from './types.js';

/**
 * Requests held until an object changes, keyed by object path: blocking playlist reloads wait on
 * their playlist, preload-hinted part requests on their part. A put publishes the new version to
 * every hold on its path in one synchronous pass, so N held viewers are answered in one event and
 * nothing polls.
 *
 * A hold is opened BEFORE the request reads the store and only starts listening after: a version
 * published in between is remembered (`seen`) instead of lost, so a put racing the read can never
 * leave a request waiting for a version that already arrived.
 */

/** A published version: the stored object, or undefined when the path was removed. */
export type Version = StoredObject | undefined;

/** Return true when the version answered the request (the hold then closes). */
export type Listener = (v: Version) => boolean;

export interface HoldLimits {
  /** Holds on one path. */
  perKey: number;
  /** Holds over all paths. */
  total: number;
}

export class Hold {
  #listener: Listener | undefined;
  #seen: { v: Version } | undefined;
  #expire: (() => void) | undefined;
  #open = true;
  readonly key: string;
  readonly #release: (h: Hold) => void;

  constructor(key: string, release: (h: Hold) => void) {
    this.key = key;
    this.#release = release;
  }

  /** The newest version published while the request was reading the store, if any. */
  get seen(): { v: Version } | undefined {
    return this.#seen;
  }

  get open(): boolean {
    return this.#open;
  }

  /**
   * Start waiting: `listener` gets every later version; `expire` runs once if the hold ends
   * without an answer (its deadline, or the origin shutting down).
   */
  listen(listener: Listener, expire: () => void): void {
    this.#listener = listener;
    this.#expire = expire;
  }

  /** End the hold unanswered: run its expiry (a no-op once closed). */
  expire(): void {
    if (!this.#open) return;
    const fn = this.#expire;
    this.close();
    fn?.();
  }

  /** Called by the registry; answers whether the hold is finished. */
  offer(v: Version): boolean {
    if (this.#listener === undefined) {
      this.#seen = { v };
      return false;
    }
    return this.#listener(v);
  }

  close(): void {
    if (!this.#open) return;
    this.#open = false;
    this.#listener = undefined;
    this.#expire = undefined;
    this.#release(this);
  }
}

export class HoldRegistry {
  readonly #byKey = new Map<string, Set<Hold>>();
  readonly #limits: HoldLimits;
  #size = 0;

  constructor(limits: HoldLimits) {
    this.#limits = limits;
  }

  /** Holds open now (reading the store or parked). */
  get size(): number {
    return this.#size;
  }

  /** A new hold on `key`, or undefined when a bound is reached (the caller answers 503). */
  open(key: string): Hold | undefined {
    const set = this.#byKey.get(key);
    if (this.#size >= this.#limits.total || (set?.size ?? 0) >= this.#limits.perKey) return undefined;
    const hold = new Hold(key, (h) => this.#remove(h));
    if (set === undefined) this.#byKey.set(key, new Set([hold]));
    else set.add(hold);
    this.#size++;
    return hold;
  }

  /** Offer a new version of `key` to its holds; returns how many it finished. */
  publish(key: string, v: Version): number {
    const set = this.#byKey.get(key);
    if (set === undefined) return 0;
    let done = 0;
    // Snapshot: listeners close their holds (deleting from the set) while we iterate.
    for (const hold of [...set]) {
      if (hold.open && hold.offer(v)) {
        hold.close();
        done++;
      }
    }
    return done;
  }

  /** Tell every hold on a path below `prefix` that its object is gone. */
  publishRemovedPrefix(prefix: string): number {
    let done = 0;
    for (const key of [...this.#byKey.keys()]) {
      if (key.startsWith(prefix)) done += this.publish(key, undefined);
    }
    return done;
  }

  /** Expire every hold (shutdown): held requests are answered now instead of cut off later. */
  expireAll(): void {
    for (const set of [...this.#byKey.values()]) for (const hold of [...set]) hold.expire();
  }

  #remove(hold: Hold): void {
    const set = this.#byKey.get(hold.key);
    if (set === undefined || !set.delete(hold)) return;
    this.#size--;
    if (set.size === 0) this.#byKey.delete(hold.key);
  }
}
