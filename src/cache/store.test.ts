import assert from 'node:assert/strict';
import type { IncomingHttpHeaders } from 'node:http';
import { describe, it } from 'node:test';
import { SharedBody } from './body.js';
import { createEntry, type Entry } from './entry.js';
import { isDead, MemoryStore } from './store.js';

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);

function entry(status: number, headers: IncomingHttpHeaders, body = 'x'): Entry {
  return createEntry(
    status,
    { date: new Date(T0).toUTCString(), ...headers },
    SharedBody.of(Buffer.from(body)),
    T0,
    {},
    T0,
  );
}

describe('store: entries go when they die, not when the budget runs out (issue 13)', () => {
  const notFound = entry(404, { 'cache-control': 'public, max-age=1' });
  const segment = entry(200, { 'cache-control': 'public, max-age=45, immutable', etag: '"s"' });
  const playlist = entry(200, {
    'cache-control': 'public, max-age=1, stale-while-revalidate=1',
    etag: '"p"',
  });
  const withSie = entry(200, { 'cache-control': 'public, max-age=2, stale-if-error=30' });

  const cases: Array<[string, Entry, number, boolean]> = [
    ['a cached 404 while fresh', notFound, 999, false],
    ['a cached 404 once its second is over (no validators)', notFound, 1000, true],
    ['a live segment inside its lifetime', segment, 44_999, false],
    ['a live segment at its lifetime (immutable: never revalidated)', segment, 45_000, true],
    ['a playlist inside stale-while-revalidate', playlist, 1999, false],
    ['a playlist past it, kept one lifetime for a 304', playlist, 2999, false],
    ['a playlist past that', playlist, 3000, true],
    ['an answer inside stale-if-error', withSie, 31_999, false],
    ['an answer past stale-if-error', withSie, 32_000, true],
  ];
  for (const [what, e, afterMs, dead] of cases) {
    it(`${what}: ${dead ? 'dead' : 'kept'}`, () => assert.equal(isDead(e, T0 + afterMs), dead));
  }

  it('sweep removes exactly the dead entries', () => {
    const store = new MemoryStore(1 << 20, 1 << 20);
    store.set('/404', '/404', notFound);
    store.set('/seg', '/seg', segment);
    store.set('/pl', '/pl', playlist);
    assert.equal(store.sweep(T0 + 500), 0);
    assert.equal(store.sweep(T0 + 1000), 1);
    assert.equal(store.get('/404'), undefined);
    assert.equal(store.sweep(T0 + 45_000), 2);
    assert.equal(store.objects, 0);
    assert.equal(store.bytes, 0);
  });
});
