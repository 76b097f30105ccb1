import { isCorralError } from '../../src/util/errors.js';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { computeEtag } from '../../src/origin/etag.js';
import { HttpPush } from '../../src/origin/http-push.js';
import { cacheControlFor } from '../../src/origin/serve-object.js';
import { NOW, request, startOrigin, TOKEN, type Running } from '../support/origin.js';
import type { OriginPush, PushObject } from '../../src/origin/types.js';

/**
 * One suite, two transports: whatever the packager pushes must be served identically whether it
 * arrived by an in-process call or by HTTP PUT.
 */
function runPushTransportSuite(name: string, connect: (r: Running) => { push: OriginPush; close(): void }) {
  describe(`push transport: ${name}`, () => {
    let running: Running;
    let push: OriginPush;
    let closeTransport: () => void;
    const segBody = Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 251));
    const objects: PushObject[] = [
      {
        path: 'live/demo/v0/init.mp4',
        kind: 'init',
        contentType: 'video/mp4',
        body: Buffer.from('init-bytes'),
      },
      { path: 'live/demo/v0/seg1.m4s', kind: 'segment', contentType: 'video/mp4', body: segBody },
      {
        path: 'live/demo/v0/seg2.p0.m4s',
        kind: 'part',
        contentType: 'video/mp4',
        body: Buffer.from('part'),
      },
      {
        path: 'live/demo/v0/index.m3u8',
        kind: 'playlist',
        contentType: 'application/vnd.apple.mpegurl',
        body: Buffer.from('#EXTM3U\n#EXT-X-TARGETDURATION:4\n'),
        maxAgeS: 2,
      },
      {
        path: 'live/demo/index.m3u8',
        kind: 'multivariant',
        contentType: 'application/vnd.apple.mpegurl',
        body: Buffer.from('#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\nv0/index.m3u8\n'),
      },
      {
        path: 'live/other/index.m3u8',
        kind: 'multivariant',
        contentType: 'application/vnd.apple.mpegurl',
        body: Buffer.from('x'),
      },
    ];

    before(async () => {
      running = await startOrigin({ immutableMaxAgeS: 3600, notFoundMaxAgeS: 1 });
      const t = connect(running);
      push = t.push;
      closeTransport = () => t.close();
      for (const obj of objects) await push.put(obj);
    });
    after(async () => {
      closeTransport();
      await running.origin.close();
    });

    it('serves every kind with its body, type and Cache-Control', async () => {
      const want: Record<string, string> = {
        init: 'public, max-age=3600, immutable',
        segment: 'public, max-age=3600, immutable',
        part: 'public, max-age=3600, immutable',
        playlist: 'public, max-age=2, stale-while-revalidate=2, stale-if-error=30',
        multivariant: 'public, max-age=1, stale-while-revalidate=1, stale-if-error=30',
      };
      for (const obj of objects) {
        const r = await request(running.base, 'GET', `/${obj.path}`);
        assert.equal(r.status, 200, obj.path);
        assert.deepEqual(r.body, obj.body, obj.path);
        assert.equal(r.headers['content-type'], obj.contentType);
        assert.equal(r.headers['content-length'], String(obj.body.length));
        assert.equal(r.headers['cache-control'], want[obj.kind], obj.path);
        assert.equal(r.headers['last-modified'], new Date(NOW).toUTCString());
        assert.equal(r.headers.etag, computeEtag(obj.body));
      }
    });

    it('gives a live segment or part the lifetime the packager asked for, counted from the push', async () => {
      const media = { contentType: 'video/mp4', body: Buffer.from('m'), maxAgeS: 45 };
      await push.put({ ...media, kind: 'segment', path: 'live/life/v0/seg-1.m4s' });
      await push.put({ ...media, kind: 'part', path: 'live/life/v0/seg-2.0.m4s' });
      await push.put({ ...media, kind: 'init', path: 'live/life/v0/init.mp4' });
      const cc = async (p: string) => (await request(running.base, 'GET', p)).headers['cache-control'];
      assert.equal(await cc('/live/life/v0/seg-1.m4s'), 'public, max-age=45, immutable');
      assert.equal(await cc('/live/life/v0/seg-2.0.m4s'), 'public, max-age=45, immutable');
      assert.equal(
        await cc('/live/life/v0/init.mp4'),
        'public, max-age=3600, immutable',
        'init: as configured',
      );
      const stored = {
        kind: 'segment' as const,
        contentType: 'video/mp4',
        body: Buffer.from('m'),
        etag: '"e"',
      };
      const at = (ageS: number, maxAgeS: number) =>
        cacheControlFor({ ...stored, storedAt: NOW, maxAgeS }, 3600, NOW + ageS * 1000);
      assert.equal(at(10.5, 45), 'public, max-age=34, immutable', 'what is left, rounded down');
      assert.equal(at(60, 45), 'public, max-age=1, immutable', 'never 0 while the origin still has it');
      assert.equal(at(0, 7200), 'public, max-age=3600, immutable', 'capped by immutableMaxAgeS');
      await push.remove('live/life/');
    });

    it('caps playlist lifetimes and turns zero into no-cache', async () => {
      const base = {
        kind: 'playlist' as const,
        contentType: 'application/vnd.apple.mpegurl',
        body: Buffer.from('p'),
      };
      await push.put({ ...base, path: 'live/cc/zero/index.m3u8', maxAgeS: 0 });
      await push.put({ ...base, path: 'live/cc/half/index.m3u8', maxAgeS: 0.5 });
      await push.put({ ...base, path: 'live/cc/long/index.m3u8', maxAgeS: 600 });
      const cc = async (p: string) => (await request(running.base, 'GET', p)).headers['cache-control'];
      assert.equal(await cc('/live/cc/zero/index.m3u8'), 'no-cache');
      assert.equal(await cc('/live/cc/half/index.m3u8'), 'no-cache', 'never rounds up past what was asked');
      assert.equal(
        await cc('/live/cc/long/index.m3u8'),
        'public, max-age=5, stale-while-revalidate=5, stale-if-error=30',
      );
      await push.remove('live/cc/');
    });

    it('answers If-None-Match with 304 and a changed object with a new ETag', async () => {
      const path = '/live/demo/v0/index.m3u8';
      const first = await request(running.base, 'GET', path);
      const etag = String(first.headers.etag);
      const again = await request(running.base, 'GET', path, { headers: { 'if-none-match': etag } });
      assert.equal(again.status, 304);
      assert.equal(again.body.length, 0);
      assert.equal(again.headers.etag, etag);
      assert.equal(
        again.headers['cache-control'],
        'public, max-age=2, stale-while-revalidate=2, stale-if-error=30',
      );
      const weak = await request(running.base, 'GET', path, {
        headers: { 'if-none-match': `"nope", W/${etag}` },
      });
      assert.equal(weak.status, 304);

      await push.put({ ...objects[3]!, body: Buffer.from('#EXTM3U\n#EXT-X-TARGETDURATION:4\n#changed\n') });
      const changed = await request(running.base, 'GET', path, { headers: { 'if-none-match': etag } });
      assert.equal(changed.status, 200);
      assert.notEqual(changed.headers.etag, etag);
      assert.match(changed.body.toString(), /#changed/);
    });

    it('serves byte ranges: closed, open-ended, suffix, and unsatisfiable', async () => {
      const path = '/live/demo/v0/seg1.m4s';
      const closed = await request(running.base, 'GET', path, { headers: { range: 'bytes=0-99' } });
      assert.equal(closed.status, 206);
      assert.equal(closed.headers['content-range'], 'bytes 0-99/1000');
      assert.deepEqual(closed.body, segBody.subarray(0, 100));
      const open = await request(running.base, 'GET', path, { headers: { range: 'bytes=100-' } });
      assert.equal(open.status, 206);
      assert.equal(open.headers['content-range'], 'bytes 100-999/1000');
      assert.equal(open.headers['content-length'], '900');
      assert.deepEqual(open.body, segBody.subarray(100));
      const suffix = await request(running.base, 'GET', path, { headers: { range: 'bytes=-10' } });
      assert.equal(suffix.status, 206);
      assert.deepEqual(suffix.body, segBody.subarray(990));
      const past = await request(running.base, 'GET', path, { headers: { range: 'bytes=1000-' } });
      assert.equal(past.status, 416);
      assert.equal(past.headers['content-range'], 'bytes */1000');
      const stale = await request(running.base, 'GET', path, {
        headers: { range: 'bytes=0-9', 'if-range': '"old"' },
      });
      assert.equal(stale.status, 200, 'If-Range with another ETag gets the whole object');
      assert.equal(stale.body.length, 1000);
    });

    it('answers HEAD with headers and no body', async () => {
      const r = await request(running.base, 'HEAD', '/live/demo/v0/seg1.m4s');
      assert.equal(r.status, 200);
      assert.equal(r.headers['content-length'], '1000');
      assert.equal(r.headers.etag, computeEtag(segBody));
      assert.equal(r.body.length, 0);
    });

    it('sends CORS headers on every response and answers preflight', async () => {
      for (const path of ['/live/demo/v0/seg1.m4s', '/live/demo/missing.m4s', '/streams.json']) {
        const r = await request(running.base, 'GET', path);
        assert.equal(r.headers['access-control-allow-origin'], '*', path);
        const exposed = String(r.headers['access-control-expose-headers']);
        for (const h of ['Age', 'Content-Length', 'Content-Range', 'ETag', 'X-Cache'])
          assert.ok(exposed.includes(h), h);
      }
      const pre = await request(running.base, 'OPTIONS', '/live/demo/v0/seg1.m4s', {
        headers: { origin: 'http://player.example', 'access-control-request-headers': 'range' },
      });
      assert.equal(pre.status, 204);
      assert.equal(pre.headers['access-control-allow-methods'], 'GET, HEAD, OPTIONS');
      assert.match(String(pre.headers['access-control-allow-headers']), /\bRange\b/);
      assert.equal(pre.headers['access-control-allow-origin'], '*');
    });

    it('lists streams from their multivariant playlists', async () => {
      const r = await request(running.base, 'GET', '/streams.json');
      assert.equal(r.status, 200);
      assert.equal(r.headers['cache-control'], 'public, max-age=1');
      assert.deepEqual(JSON.parse(r.body.toString()), {
        streams: [
          { name: 'live/demo', playlist: '/live/demo/index.m3u8', updatedAt: NOW },
          { name: 'live/other', playlist: '/live/other/index.m3u8', updatedAt: NOW },
        ],
      });
    });

    it('removes one object, then a whole prefix, leaving 404s with a short lifetime', async () => {
      await push.remove('live/demo/v0/seg1.m4s');
      const gone = await request(running.base, 'GET', '/live/demo/v0/seg1.m4s');
      assert.equal(gone.status, 404);
      assert.equal(gone.headers['cache-control'], 'public, max-age=1');
      assert.equal((await request(running.base, 'GET', '/live/demo/v0/init.mp4')).status, 200);

      await push.remove('live/demo/');
      for (const obj of objects.filter((o) => o.path.startsWith('live/demo/'))) {
        const r = await request(running.base, 'GET', `/${obj.path}`);
        assert.equal(r.status, 404, obj.path);
        assert.equal(r.headers['cache-control'], 'public, max-age=1');
      }
      assert.equal((await request(running.base, 'GET', '/live/other/index.m3u8')).status, 200);
      const listed = JSON.parse((await request(running.base, 'GET', '/streams.json')).body.toString());
      assert.deepEqual(
        listed.streams.map((s: { name: string }) => s.name),
        ['live/other'],
      );
    });

    it('refuses what the packager never makes: other names, depths and types', async () => {
      const seg = { kind: 'segment' as const, contentType: 'video/mp4', body: Buffer.from('x') };
      for (const bad of [
        { ...seg, path: 'live/a b/v/1.m4s' },
        { ...seg, path: 'live/a/1.m4s' },
        { ...seg, path: 'live/a/v/index.html' },
        { ...seg, path: 'live/a/v/1.m4s', contentType: 'text/html' },
        { ...seg, kind: 'multivariant' as const, path: 'live/a/v/index.m3u8' },
      ]) {
        await assert.rejects(
          push.put(bad),
          (e: unknown) => isCorralError(e, 'BAD_REQUEST') || /answered 400/.test(String(e)),
          bad.path,
        );
      }
      assert.equal((await request(running.base, 'GET', '/live/a/v/index.html')).status, 404);
    });
  });
}

runPushTransportSuite('in-process', (r) => ({ push: r.origin.push, close: () => undefined }));
runPushTransportSuite('HTTP PUT', (r) => {
  const push = new HttpPush({ baseUrl: r.base, token: TOKEN, timeoutMs: 2000, retries: 1, backoffMs: 10 });
  return { push, close: () => push.close() };
});
