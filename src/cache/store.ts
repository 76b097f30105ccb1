import { LRUCache } from 'lru-cache';
import { entryLru } from './lru.js';
import { entrySize, usableMs, type Entry } from './entry.js';

/**
 * How long past its last usable moment an entry with validators is kept, at most: a conditional
 * request can then turn the next fetch into a 304. Immutable entries are never revalidated.
 */
const REVALIDATE_KEEP_MAX_MS = 60_000;

/** An entry no request can be answered from any more, nor revalidate cheaply. */
export function isDead(e: Entry, now: number): boolean {
  if (usableMs(e, now) > 0) return false;
  const p = e.policy;
  if (p.immutable || (e.etag === undefined && e.lastModified === undefined)) return true;
  const keep = Math.min(p.lifetimeMs, REVALIDATE_KEEP_MAX_MS);
  return usableMs(e, now - keep) === 0;
}

/**
 * The in-memory object store: least recently used entries go first once the byte budget is
 * exceeded. An entry may still be receiving its body; readers keep their own reference, so
 * eviction never cuts a viewer off.
 */
export class MemoryStore {
  readonly #lru: LRUCache<string, Entry>;
  /** Vary field names last seen per URL, so a request can compute its full key before lookup. */
  readonly #vary: LRUCache<string, string[]>;

  constructor(maxBytes: number, maxObjectBytes: number) {
    this.#lru = new LRUCache<string, Entry>({
      maxSize: maxBytes,
      maxEntrySize: Math.min(maxBytes, maxObjectBytes + 64 * 1024),
      sizeCalculation: (e, key) => entrySize(e, key),
    });
    this.#vary = entryLru<string, string[]>(100_000);
  }

  varyOf(url: string): string[] {
    return this.#vary.get(url) ?? [];
  }

  get(key: string): Entry | undefined {
    return this.#lru.get(key);
  }

  /** Store (or re-store after the body completed, so the budget sees its real size). */
  set(url: string, key: string, e: Entry): void {
    // Error answers say nothing about how the object varies.
    if (e.varyNames.length > 0) this.#vary.set(url, e.varyNames);
    else if (e.status < 500) this.#vary.delete(url);
    this.#lru.set(key, e);
  }

  /** Remove `key` only if it still holds `e` (a newer entry may have replaced it). */
  deleteIf(key: string, e: Entry): void {
    if (this.#lru.peek(key) === e) this.#lru.delete(key);
  }

  /**
   * Drop every entry that is dead at `now` (a live segment past its lifetime, a 404 past its
   * second): what can no longer be asked for goes when it dies, not when the budget runs out.
   * Returns how many went. Walks the whole store; the caller runs it about once a second.
   */
  sweep(now: number): number {
    const dead: string[] = [];
    for (const [k, e] of this.#lru.entries()) if (isDead(e, now)) dead.push(k);
    for (const k of dead) this.#lru.delete(k);
    return dead.length;
  }

  get bytes(): number {
    return this.#lru.calculatedSize;
  }

  get objects(): number {
    return this.#lru.size;
  }

  clear(): void {
    this.#lru.clear();
    this.#vary.clear();
  }
}
