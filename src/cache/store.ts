import { LRUCache } from 'lru-cache';
import { entrySize, type Entry } from './entry.js';

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
    this.#vary = new LRUCache<string, string[]>({ max: 100_000 });
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
