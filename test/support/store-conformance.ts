import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { isCorralError } from '../../src/util/errors.js';
import type { StoreBudget } from '../../src/origin/budget-index.js';
import type { ObjectKind, ObjectStore, PlaylistState, StoredObject } from '../../src/origin/types.js';

/**
 * The one suite every ObjectStore implementation must pass. `makeStore` returns a fresh, empty
 * store with the given budgets; the suite closes each store it made.
 */
export function runStoreConformance(name: string, makeStore: (budget: StoreBudget) => Promise<ObjectStore>) {
  describe(`ObjectStore conformance: ${name}`, () => {
    const open: ObjectStore[] = [];
    const make = async (budget: Partial<StoreBudget> = {}) => {
      const store = await makeStore({ maxBytes: 1 << 20, maxObjects: 1000, ...budget });
      open.push(store);
      return store;
    };
    afterEach(async () => {
      await Promise.all(open.splice(0).map((s) => s.close()));
    });

    it('round-trips an object with every field', async () => {
      const store = await make();
      const obj = object('playlist', 'hello', { maxAgeS: 0.5, storedAt: 1_700_000_000_123 });
      await store.put('live/demo/index.m3u8', obj);
      const got = await store.get('live/demo/index.m3u8');
      assert.ok(got);
      assert.deepEqual({ ...got, body: got.body.toString() }, { ...obj, body: 'hello' });
      assert.equal(await store.get('live/demo/other.m3u8'), undefined);
    });

    it('keeps maxAgeS absent when it was not given, and stores empty bodies', async () => {
      const store = await make();
      await store.put('a/empty.m4s', object('segment', ''));
      const got = await store.get('a/empty.m4s');
      assert.ok(got);
      assert.equal(got.body.length, 0);
      assert.equal('maxAgeS' in got && got.maxAgeS !== undefined, false);
      assert.deepEqual(store.stats(), { objects: 1, bytes: 0 });
    });

    it('round-trips an LL-HLS playlist with its state and delta, and counts the delta bytes', async () => {
      const store = await make();
      const obj: StoredObject = {
        ...object('playlist', '#EXTM3U full'),
        live: LIVE,
        delta: Buffer.from('#EXTM3U delta'),
      };
      await store.put('live/demo/v0/index.m3u8', obj);
      const got = await store.get('live/demo/v0/index.m3u8');
      assert.ok(got);
      assert.equal(got.body.toString(), '#EXTM3U full');
      assert.equal(got.delta?.toString(), '#EXTM3U delta');
      assert.deepEqual(got.live, LIVE);
      assert.deepEqual(store.stats(), { objects: 1, bytes: 12 + 13 });
      // A replacement without a delta drops the old one with its bytes.
      await store.put('live/demo/v0/index.m3u8', object('playlist', 'plain'));
      const plain = await store.get('live/demo/v0/index.m3u8');
      assert.equal(plain?.delta, undefined);
      assert.equal(plain?.live, undefined);
      assert.deepEqual(store.stats(), { objects: 1, bytes: 5 });
    });

    it('keeps an empty delta distinct from none', async () => {
      const store = await make();
      await store.put('e/p.m3u8', { ...object('playlist', 'x'), delta: Buffer.alloc(0) });
      const got = await store.get('e/p.m3u8');
      assert.equal(got?.delta?.length, 0);
      assert.equal(got?.body.toString(), 'x');
    });

    it('replaces an object and adjusts byte accounting', async () => {
      const store = await make();
      await store.put('a/x', object('segment', 'x'.repeat(100)));
      await store.put('a/y', object('segment', 'y'.repeat(10)));
      assert.deepEqual(store.stats(), { objects: 2, bytes: 110 });
      await store.put('a/x', object('segment', 'z'.repeat(30), { etag: '"v2"' }));
      assert.deepEqual(store.stats(), { objects: 2, bytes: 40 });
      const got = await store.get('a/x');
      assert.equal(got?.body.toString(), 'z'.repeat(30));
      assert.equal(got?.etag, '"v2"');
    });

    it('deletes one object', async () => {
      const store = await make();
      await store.put('a/x', object('segment', 'abc'));
      assert.equal(await store.delete('a/x'), true);
      assert.equal(await store.delete('a/x'), false);
      assert.equal(await store.get('a/x'), undefined);
      assert.deepEqual(store.stats(), { objects: 0, bytes: 0 });
    });

    it('deletes by prefix without touching siblings that merely share characters', async () => {
      const store = await make();
      for (const p of ['live/a/1', 'live/a/sub/2', 'live/ab/3', 'other/a/4']) {
        await store.put(p, object('segment', p));
      }
      assert.equal(await store.deletePrefix('live/a/'), 2);
      assert.deepEqual((await store.list('')).sort(), ['live/ab/3', 'other/a/4']);
      assert.equal(await store.get('live/a/1'), undefined);
      assert.equal(store.stats().objects, 2);
      assert.equal(store.stats().bytes, 'live/ab/3'.length + 'other/a/4'.length);
      assert.equal(await store.deletePrefix('nothing/'), 0);
    });

    it('lists paths by prefix', async () => {
      const store = await make();
      for (const p of ['s/1/a', 's/1/b', 's/2/a', 't/1']) await store.put(p, object('part', 'x'));
      assert.deepEqual((await store.list('s/1/')).sort(), ['s/1/a', 's/1/b']);
      assert.deepEqual((await store.list('s/')).sort(), ['s/1/a', 's/1/b', 's/2/a']);
      assert.deepEqual(await store.list('zzz'), []);
    });

    it('evicts the least recently stored objects to stay within the byte budget', async () => {
      const store = await make({ maxBytes: 1000 });
      for (const p of ['o/1', 'o/2', 'o/3']) await store.put(p, object('segment', 'x'.repeat(300)));
      await store.put('o/4', object('segment', 'x'.repeat(300)));
      assert.equal(await store.get('o/1'), undefined);
      assert.deepEqual((await store.list('o/')).sort(), ['o/2', 'o/3', 'o/4']);
      assert.deepEqual(store.stats(), { objects: 3, bytes: 900 });
      // One big object pushes out as many old ones as it needs.
      await store.put('o/5', object('segment', 'x'.repeat(700)));
      assert.deepEqual((await store.list('o/')).sort(), ['o/4', 'o/5']);
      assert.deepEqual(store.stats(), { objects: 2, bytes: 1000 });
    });

    it('treats a replaced object as newly stored when choosing victims', async () => {
      const store = await make({ maxBytes: 1000 });
      for (const p of ['o/a', 'o/b', 'o/c']) await store.put(p, object('segment', 'x'.repeat(300)));
      await store.put('o/a', object('segment', 'y'.repeat(300)));
      await store.put('o/d', object('segment', 'x'.repeat(300)));
      assert.equal(await store.get('o/b'), undefined, 'o/b is now the oldest');
      assert.equal((await store.get('o/a'))?.body.toString(), 'y'.repeat(300));
    });

    it('evicts the least recently stored objects to stay within the object budget', async () => {
      const store = await make({ maxObjects: 3 });
      for (let i = 1; i <= 5; i++) await store.put(`n/${i}`, object('part', String(i)));
      assert.deepEqual((await store.list('n/')).sort(), ['n/3', 'n/4', 'n/5']);
      assert.deepEqual(store.stats(), { objects: 3, bytes: 3 });
    });

    it('refuses an object larger than the whole byte budget with STORE_LIMIT, keeping the rest', async () => {
      const store = await make({ maxBytes: 100 });
      await store.put('k/keep', object('segment', 'x'.repeat(50)));
      await assert.rejects(store.put('k/huge', object('segment', 'x'.repeat(101))), (e: unknown) =>
        isCorralError(e, 'STORE_LIMIT'),
      );
      assert.equal(await store.get('k/huge'), undefined);
      assert.equal((await store.get('k/keep'))?.body.length, 50);
      assert.deepEqual(store.stats(), { objects: 1, bytes: 50 });
    });

    it('rejects paths that could escape or confuse a namespace', async () => {
      const store = await make();
      for (const bad of ['', '/abs', '../x', 'a/../b', 'a//b', 'a\\b', 'a/\0b', 'a/./b']) {
        await assert.rejects(store.put(bad, object('segment', 'x')), (e: unknown) =>
          isCorralError(e, 'BAD_REQUEST'),
        );
      }
      assert.deepEqual(store.stats(), { objects: 0, bytes: 0 });
    });

    it('handles concurrent puts, replaces and deletes consistently', async () => {
      const store = await make();
      const paths = Array.from({ length: 40 }, (_, i) => `c/${i % 20}`);
      await Promise.all(paths.map((p, i) => store.put(p, object('segment', `${p}#${i}`))));
      await Promise.all(paths.slice(0, 5).map((p) => store.delete(p)));
      const listed = (await store.list('c/')).sort();
      assert.equal(listed.length, 15);
      let bytes = 0;
      for (const p of listed) {
        const got = await store.get(p);
        assert.ok(got, p);
        assert.ok(got.body.toString().startsWith(`${p}#`), `body of ${p}`);
        bytes += got.body.length;
      }
      assert.deepEqual(store.stats(), { objects: 15, bytes });
    });
  });
}

/** A PlaylistState using every field, the hint included. */
export const LIVE: PlaylistState = {
  lastMsn: 11,
  partMsn: 12,
  lastPart: 1,
  partCounts: { 10: 3, 11: 4 },
  targetDurationS: 2,
  partTargetS: 0.5,
  preloadHint: 'part-12-2.m4s',
  ended: false,
};

function object(
  kind: ObjectKind,
  body: string,
  extra: { maxAgeS?: number; storedAt?: number; etag?: string } = {},
): StoredObject {
  return {
    kind,
    contentType: kind === 'playlist' ? 'application/vnd.apple.mpegurl' : 'video/mp4',
    body: Buffer.from(body),
    etag: extra.etag ?? `"${body.length}"`,
    storedAt: extra.storedAt ?? Date.now(),
    ...(extra.maxAgeS === undefined ? {} : { maxAgeS: extra.maxAgeS }),
  };
}
