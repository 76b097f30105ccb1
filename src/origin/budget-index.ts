import { pendingBytes } from './lazy-body.js';
import { CorralError } from '../util/errors.js';

/**
 * Bytes an object costs a store: its body plus, for LL-HLS playlists, the delta update kept beside
 * it (both are held for as long as the object is).
 */
export function storedBytes(obj: { body: Buffer; delta?: Buffer }): number {
  // A playlist not written yet is charged its bound, and keeps that charge once written: more
  // than it costs, for one version per rendition, until the next replaces it.
  return pendingBytes(obj) ?? obj.body.length + (obj.delta?.length ?? 0);
}

export interface StoreBudget {
  /** Byte budget over all bodies. */
  maxBytes: number;
  /** Object count budget. */
  maxObjects: number;
}

/**
 * The bookkeeping both stores share: which paths exist, how many bytes they hold, and in what
 * order they were stored. A Map iterates in insertion order, and re-inserting a key moves it to
 * the end, so the first key is always the least recently stored: eviction is O(1) per victim
 * without a separate linked list. Live streaming writes each object once and reads it many times,
 * so "least recently stored" (not "least recently read") is the order that drops old segments first.
 */
export class BudgetIndex<V> {
  readonly #entries = new Map<string, { value: V; bytes: number }>();
  readonly #budget: StoreBudget;
  #bytes = 0;

  constructor(budget: StoreBudget) {
    if (!(budget.maxBytes > 0) || !(budget.maxObjects >= 1)) {
      throw new CorralError('CONFIG_INVALID', 'store budgets must be positive');
    }
    this.#budget = { maxBytes: budget.maxBytes, maxObjects: Math.floor(budget.maxObjects) };
  }

  get size(): number {
    return this.#entries.size;
  }

  get bytes(): number {
    return this.#bytes;
  }

  get(path: string): V | undefined {
    return this.#entries.get(path)?.value;
  }

  /** Throw STORE_LIMIT when one object could never fit, before any work is done for it. */
  assertFits(path: string, bytes: number): void {
    if (bytes > this.#budget.maxBytes) {
      throw new CorralError(
        'STORE_LIMIT',
        `object ${path} is ${bytes} bytes, more than the store budget of ${this.#budget.maxBytes}`,
        { recoverable: true },
      );
    }
  }

  /**
   * Insert or replace `path` as the most recently stored entry, evicting the oldest entries until
   * both budgets hold. Returns what was displaced (the replaced value first, then victims) so the
   * caller can release their resources (files on disk).
   */
  set(path: string, value: V, bytes: number): Array<[string, V]> {
    this.assertFits(path, bytes);
    const displaced: Array<[string, V]> = [];
    const old = this.#entries.get(path);
    if (old !== undefined) {
      this.#entries.delete(path);
      this.#bytes -= old.bytes;
      displaced.push([path, old.value]);
    }
    displaced.push(...this.#evictFor(bytes, 1));
    this.#entries.set(path, { value, bytes });
    this.#bytes += bytes;
    return displaced;
  }

  delete(path: string): V | undefined {
    const old = this.#entries.get(path);
    if (old === undefined) return undefined;
    this.#entries.delete(path);
    this.#bytes -= old.bytes;
    return old.value;
  }

  /** O(n) over all entries: prefix deletes happen when a stream ends, not per request. */
  deletePrefix(prefix: string): Array<[string, V]> {
    const removed: Array<[string, V]> = [];
    for (const [path, entry] of this.#entries) {
      if (path.startsWith(prefix)) removed.push([path, entry.value]);
    }
    for (const [path] of removed) this.delete(path);
    return removed;
  }

  list(prefix: string): string[] {
    const out: string[] = [];
    for (const path of this.#entries.keys()) if (path.startsWith(prefix)) out.push(path);
    return out;
  }

  /** Evict oldest entries until the store is within budget (used after a reopen with smaller budgets). */
  enforce(): Array<[string, V]> {
    return this.#evictFor(0, 0);
  }

  #evictFor(incomingBytes: number, incomingObjects: number): Array<[string, V]> {
    const victims: Array<[string, V]> = [];
    while (
      this.#entries.size > 0 &&
      (this.#bytes + incomingBytes > this.#budget.maxBytes ||
        this.#entries.size + incomingObjects > this.#budget.maxObjects)
    ) {
      const oldest = this.#entries.keys().next().value as string;
      victims.push([oldest, this.delete(oldest) as V]);
    }
    return victims;
  }
}
