import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LRUCache } from 'lru-cache';
import { entryLru } from './lru.js';

test('entryLru holds at most its entry count and evicts the least recently used', () => {
  const evicted: string[] = [];
  const lru = entryLru<string, number>(3, { dispose: (_v, k, reason) => evicted.push(`${k}:${reason}`) });
  lru.set('a', 1).set('b', 2).set('c', 3);
  assert.equal(lru.get('a'), 1); // a is now the most recent
  lru.set('d', 4);
  assert.equal(lru.size, 3);
  assert.deepEqual([...lru.keys()].sort(), ['a', 'c', 'd']);
  assert.deepEqual(evicted, ['b:evict']);
  for (let i = 0; i < 100; i++) lru.set(`k${i}`, i);
  assert.equal(lru.size, 3);
});

test('entryLru storage grows with its entries instead of being allocated for all of them', () => {
  const lazy = LRUCache.unsafeExposeInternals(entryLru<string, number>(100_000));
  const eager = LRUCache.unsafeExposeInternals(new LRUCache<string, number>({ max: 100_000 }));
  assert.equal(eager.keyList.length, 100_000, 'the preallocating form this replaces');
  assert.equal(lazy.keyList.length, 0);
  assert.equal(lazy.valList.length, 0);
  assert.equal(lazy.next.length, 0);
});

test('entryLru keeps a ttl', async () => {
  const lru = entryLru<string, number>(10, { ttl: 20 });
  lru.set('a', 1);
  assert.equal(lru.get('a'), 1);
  await new Promise((r) => setTimeout(r, 40));
  assert.equal(lru.get('a'), undefined);
});
