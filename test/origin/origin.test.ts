import assert from 'node:assert/strict';
import http from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { originSchema } from '../../src/config/schema.js';
import { isCorralError } from '../../src/util/errors.js';
import { silentLogger } from '../../src/util/logger.js';
import { createStore, DiskStore, MemoryStore, Origin } from '../../src/origin/index.js';
import { request, startOrigin, TOKEN } from '../support/origin.js';
import { lazyCopy, PLAYLIST, playlist } from '../support/origin-live.js';
import { HttpPush } from '../../src/origin/http-push.js';
import type { PushObject } from '../../src/origin/types.js';

const seg = (path: string, size = 10): PushObject => ({
  path,
  kind: 'segment',
  contentType: 'video/mp4',
  body: Buffer.alloc(size, 1),
});

describe('Origin in-process push validation', () => {
  it('rejects bad objects with BAD_REQUEST before storing anything', async () => {
    const store = new MemoryStore({ maxBytes: 1 << 20, maxObjects: 100 });
    const origin = new Origin({ store, config: originSchema.parse({}), logger: silentLogger() });
    const bad: Array<Partial<PushObject> & { why: string }> = [
      { why: 'leading slash', path: '/live/a.m4s' },
      { why: 'traversal', path: 'live/../a.m4s' },
      { why: 'prefix as object', path: 'live/' },
      { why: 'kind', kind: 'video' as PushObject['kind'] },
      { why: 'header injection', contentType: 'video/mp4\r\nSet-Cookie: x=1' },
      { why: 'negative max-age', maxAgeS: -1 },
      { why: 'NaN max-age', maxAgeS: Number.NaN },
    ];
    for (const { why, ...patch } of bad) {
      await assert.rejects(
        origin.push.put({ ...seg('live/a/v/a.m4s'), ...patch }),
        (e: unknown) => isCorralError(e, 'BAD_REQUEST'),
        why,
      );
    }
    for (const path of ['', '/', '../', 'a//', 'live/../']) {
      await assert.rejects(origin.push.remove(path), (e: unknown) => isCorralError(e, 'BAD_REQUEST'), path);
    }
    assert.equal(store.stats().objects, 0);
    await origin.close();
  });

  it('surfaces STORE_LIMIT for an object larger than the store, as 413 over HTTP', async () => {
    const running = await startOrigin({}, new MemoryStore({ maxBytes: 100, maxObjects: 10 }));
    try {
      await assert.rejects(running.origin.push.put(seg('big/a/v/a.m4s', 101)), (e: unknown) =>
        isCorralError(e, 'STORE_LIMIT'),
      );
      const r = await request(running.base, 'PUT', '/big/b/v/b.m4s', {
        headers: {
          authorization: 'Bearer secret-token',
          'x-corral-kind': 'segment',
          'content-type': 'video/mp4',
        },
        body: Buffer.alloc(101),
      });
      assert.equal(r.status, 413);
    } finally {
      await running.origin.close();
    }
  });
});

describe('Origin streams listing', () => {
  it('lists live streams only: an ended broadcast leaves the list, a new one under the name returns', async () => {
    const running = await startOrigin();
    const names = async () =>
      JSON.parse((await request(running.base, 'GET', '/streams.json')).body.toString()).streams.map(
        (s: { name: string }) => s.name,
      );
    const put = (path: string, kind: 'multivariant' | 'playlist', body: string) =>
      running.origin.push.put({
        path,
        kind,
        contentType: 'application/vnd.apple.mpegurl',
        body: Buffer.from(body),
      });
    try {
      await put('live/a/index.m3u8', 'multivariant', '#EXTM3U\n');
      await put('live/b/index.m3u8', 'multivariant', '#EXTM3U\n');
      await put('live/a/src/index.m3u8', 'playlist', '#EXTM3U\n#EXTINF:1,\nseg-0.m4s\n');
      assert.deepEqual(await names(), ['live/a', 'live/b']);
      await put('live/a/src/index.m3u8', 'playlist', '#EXTM3U\n#EXTINF:1,\nseg-0.m4s\n#EXT-X-ENDLIST\n');
      assert.deepEqual(await names(), ['live/b'], 'ended, though its objects are still served');
      assert.equal((await request(running.base, 'GET', '/live/a/index.m3u8')).status, 200);
      await put('live/a/src/index.m3u8', 'playlist', '#EXTM3U\n#EXTINF:1,\nseg-0.m4s\n');
      assert.deepEqual(await names(), ['live/a', 'live/b']);
    } finally {
      await running.origin.close();
    }
  });

  it('drops a stream whose multivariant playlist was evicted or removed', async () => {
    const running = await startOrigin({}, new MemoryStore({ maxBytes: 1 << 20, maxObjects: 3 }));
    try {
      const mv = (path: string): PushObject => ({
        path,
        kind: 'multivariant',
        contentType: 'application/vnd.apple.mpegurl',
        body: Buffer.from('m'),
      });
      await running.origin.push.put(mv('live/a/index.m3u8'));
      await running.origin.push.put(mv('live/b/index.m3u8'));
      await running.origin.push.put(mv('live/c/index.m3u8'));
      // Another kind can no longer be pushed where a multivariant lives; removing it drops the stream.
      await assert.rejects(
        running.origin.push.put({ ...mv('live/b/index.m3u8'), kind: 'playlist' }),
        (e: unknown) => isCorralError(e, 'BAD_REQUEST'),
      );
      await running.origin.push.remove('live/b/index.m3u8');
      await running.origin.push.put(seg('live/c/v/seg1.m4s'));
      await running.origin.push.put(seg('live/c/v/seg2.m4s')); // evicts live/a (the oldest)
      const names = JSON.parse(
        (await request(running.base, 'GET', '/streams.json')).body.toString(),
      ).streams.map((s: { name: string }) => s.name);
      assert.deepEqual(names, ['live/c']);
    } finally {
      await running.origin.close();
    }
  });
});

describe('Origin lifecycle', () => {
  it('closes promptly even with an idle keep-alive connection open', async () => {
    const running = await startOrigin();
    const agent = new http.Agent({ keepAlive: true });
    try {
      const status = await new Promise<number>((resolve, reject) => {
        http
          .get(`${running.base}/healthz`, { agent }, (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
          })
          .on('error', reject);
      });
      assert.equal(status, 200);
      const started = Date.now();
      await running.origin.close();
      assert.ok(Date.now() - started < 1000, 'did not wait for the keep-alive timeout');
      await running.origin.close(); // idempotent
      await assert.rejects(request(running.base, 'GET', '/healthz'));
    } finally {
      agent.destroy();
    }
  });

  it('refuses to listen twice and serves no /metrics without a registry', async () => {
    const origin = new Origin({
      store: new MemoryStore({ maxBytes: 1 << 20, maxObjects: 100 }),
      config: originSchema.parse({}),
      logger: silentLogger(),
    });
    const addr = await origin.listen(0, '127.0.0.1');
    try {
      await assert.rejects(origin.listen(0, '127.0.0.1'));
      const r = await request(`http://127.0.0.1:${addr.port}`, 'GET', '/metrics');
      assert.equal(r.status, 404);
    } finally {
      await origin.close();
    }
  });
});

describe('createStore', () => {
  it('builds the store the configuration names', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'corral-createstore-'));
    try {
      const mem = await createStore(originSchema.parse({}));
      assert.ok(mem instanceof MemoryStore);
      await mem.close();
      const disk = await createStore(originSchema.parse({ store: 'disk', dir }));
      assert.ok(disk instanceof DiskStore);
      await disk.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('Origin: a playlist written on first read', () => {
  it('is stored unwritten and charged its bound; the first GET writes it, once, for every reader', async () => {
    const running = await startOrigin();
    try {
      const writes = { n: 0 };
      const obj = playlist({}, { delta: true });
      const lazy = lazyCopy(obj, writes);
      await running.origin.push.put(lazy);
      assert.equal(writes.n, 0, 'not written by the put');
      const bound = 2 * (obj.body.length + obj.delta!.length);
      assert.equal((running.store as MemoryStore).stats().bytes, bound, 'charged its bound');
      const [a, b] = await Promise.all([
        request(running.base, 'GET', `/${PLAYLIST}`),
        request(running.base, 'GET', `/${PLAYLIST}`),
      ]);
      const delta = await request(running.base, 'GET', `/${PLAYLIST}?_HLS_skip=YES`);
      assert.equal(writes.n, 1, 'written once');
      assert.deepEqual([a.status, b.status, delta.status], [200, 200, 200]);
      assert.deepEqual(a.body, obj.body);
      assert.deepEqual(b.body, obj.body);
      assert.deepEqual(delta.body, obj.delta);
      assert.equal(a.headers.etag, b.headers.etag);
      // The same bytes pushed plainly keep the validator (the ETag hashes the body, however written).
      await running.origin.push.put(obj);
      assert.equal((await request(running.base, 'GET', `/${PLAYLIST}`)).headers.etag, a.headers.etag);
    } finally {
      await running.origin.close();
    }
  });

  it('is written by the HTTP transport, which must send the bytes', async () => {
    const running = await startOrigin();
    const push = new HttpPush({ baseUrl: running.base, token: TOKEN, timeoutMs: 2000, retries: 0 });
    try {
      const writes = { n: 0 };
      const obj = playlist({}, { delta: true });
      await push.put(lazyCopy(obj, writes));
      assert.equal(writes.n, 1);
      const got = await running.store.get(PLAYLIST);
      assert.deepEqual([got?.body, got?.delta], [obj.body, obj.delta]);
    } finally {
      push.close();
      await running.origin.close();
    }
  });
});
