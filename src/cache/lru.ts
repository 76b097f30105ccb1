import { LRUCache } from 'lru-cache';

/**
 * An LRU bounded by its number of entries that takes memory only as it fills. lru-cache's `max`
 * allocates every slot up front (two arrays of `max` pointers and three of `max` integers): a
 * 100,000-entry table costs ~2.5 MB before its first entry, and an edge and a shield in one
 * process hold a dozen such tables, most of them nearly empty. The old generation then carries
 * ~20 MB of empty slots that every major GC marks. Counting each entry as size 1 against
 * `maxSize` gives the same bound and eviction order with storage that grows on demand.
 */
export function entryLru<K extends NonNullable<unknown>, V extends NonNullable<unknown>>(
  maxEntries: number,
  opts: Omit<LRUCache.Options<K, V, unknown>, 'max' | 'maxSize' | 'sizeCalculation'> = {},
): LRUCache<K, V> {
  return new LRUCache<K, V>({ ...opts, maxSize: maxEntries, sizeCalculation: () => 1 });
}
