import type { Clock } from '../util/clock.js';
import { entryLru } from './lru.js';

export interface KnownNamesOptions {
  clock: Clock;
  /**
   * A live playlist's names stay known this long after the last playlist that listed them (at
   * least; up to twice). Players ask only for names in a playlist they fetched moments ago.
   */
  periodMs: number;
  /** Most names held per generation of live names, and in the lasting set. */
  maxEntries: number;
}

/**
 * Names listed in playlists this node passed, for the unknown-path guard. A live stream lists
 * ~15 new names a second (parts, segments, every rendition) and each stays listed for seconds, so
 * remembering every name ever listed up to an entry cap kept ~250 bytes a name (the path, the URL
 * string it was cut from, the LRU's slots) for hours: tens of MB per tier, still growing 40
 * minutes into a stream. Live names are therefore kept in two generations that turn over every
 * `periodMs`: a name is known while listed and for one to two periods after. Names from playlists
 * that no longer change (ended, or multivariant) never turn over and stay in an LRU, since their
 * playlist may be cached for a long time and not pass here again.
 */
export class KnownNames {
  readonly #o: KnownNamesOptions;
  #current = new Set<string>();
  #previous = new Set<string>();
  #rotatedAt: number;
  readonly #lasting;

  constructor(o: KnownNamesOptions) {
    this.#o = o;
    this.#rotatedAt = o.clock.monotonic();
    this.#lasting = entryLru<string, true>(o.maxEntries);
  }

  /** A name listed by a live playlist, which keeps changing and will list it again while it lasts. */
  addLive(name: string): void {
    const now = this.#turn();
    if (this.#current.size >= this.#o.maxEntries) {
      // The cap wins over the period: a flood of names costs at most two full generations.
      this.#previous = this.#current;
      this.#current = new Set();
      this.#rotatedAt = now;
    }
    this.#current.add(name);
  }

  /** A name from a playlist that will not change again (or one that lists playlists). */
  addLasting(name: string): void {
    this.#lasting.set(name, true);
  }

  has(name: string): boolean {
    this.#turn();
    return this.#current.has(name) || this.#previous.has(name) || this.#lasting.has(name);
  }

  /**
   * Turn the generations over for the time that passed: `current` holds the names listed in the
   * last period, `previous` those of the period before, so a name stays known at least one and at
   * most two periods after it was last listed.
   */
  #turn(): number {
    const now = this.#o.clock.monotonic();
    const since = now - this.#rotatedAt;
    if (since < this.#o.periodMs) return now;
    this.#previous = since < 2 * this.#o.periodMs ? this.#current : new Set();
    this.#current = new Set();
    this.#rotatedAt = since < 2 * this.#o.periodMs ? this.#rotatedAt + this.#o.periodMs : now;
    return now;
  }

  /** Names held (both generations and the lasting set), for tests and metrics. */
  get size(): number {
    return this.#current.size + this.#previous.size + this.#lasting.size;
  }
}
