import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MemoryStore } from '../../src/origin/memory-store.js';
import { countingStore, request, startOrigin, TOKEN, type Running } from '../support/origin.js';

const auth = { authorization: `Bearer ${TOKEN}` };

describe('origin: hostile and malformed requests', () => {
  let running: Running;
  let store: ReturnType<typeof countingStore>;

  before(async () => {
    store = countingStore(new MemoryStore({ maxBytes: 1 << 20, maxObjects: 100 }));
    running = await startOrigin({ maxObjectBytes: 1024 }, store);
    await running.origin.push.put({
      path: 'ok/s/v/a.m4s',
      kind: 'segment',
      contentType: 'video/mp4',
      body: Buffer.from('a'),
    });
  });
  after(() => running.origin.close());

  it('rejects traversal and malformed paths with 400 without touching the store', async () => {
    const hostile = [
      '/../etc/passwd',
      '/ok/../../etc/passwd',
      '/ok/%2e%2e/%2e%2e/etc/passwd',
      '/%2E%2E/x',
      '/ok/.%2e/x',
      '/ok/./a.m4s',
      '/ok\\a.m4s',
      '/ok/%5c..%5cx',
      '/ok/%00a.m4s',
      '/ok//a.m4s',
      '//ok/s/v/a.m4s',
      '/ok/%2f/a.m4s',
      '/ok/%zz.m4s',
      '/ok/%e0%a4%a.m4s',
      '/ok/s/v/a.m4s%',
      '/',
      `/${'a'.repeat(2100)}`,
    ];
    const before = store.calls;
    for (const path of hostile) {
      for (const method of ['GET', 'HEAD']) {
        const r = await request(running.base, method, path);
        assert.equal(r.status, 400, `${method} ${path.slice(0, 60)}`);
        assert.equal(r.headers['access-control-allow-origin'], '*');
      }
      const del = await request(running.base, 'DELETE', path, { headers: auth });
      assert.equal(del.status, 400, `DELETE ${path.slice(0, 60)}`);
    }
    assert.equal(store.calls, before, 'no hostile request reached the store');
    assert.equal((await request(running.base, 'GET', '/ok/s/v/a.m4s')).status, 200);
  });

  it('refuses URLs over 2048 bytes even when the path itself is fine', async () => {
    const r = await request(running.base, 'GET', `/ok/s/v/a.m4s?${'q'.repeat(2048)}`);
    assert.equal(r.status, 400);
    assert.equal((await request(running.base, 'GET', `/ok/s/v/a.m4s?${'q'.repeat(1000)}`)).status, 200);
    assert.equal((await request(running.base, 'GET', `/ok/${'b'.repeat(1000)}`)).status, 404);
  });

  it('answers unknown methods with 405 and an Allow header', async () => {
    for (const method of ['POST', 'PATCH', 'PROPFIND']) {
      const r = await request(running.base, method, '/ok/s/v/a.m4s');
      assert.equal(r.status, 405, method);
      assert.match(String(r.headers.allow), /GET, HEAD, OPTIONS, PUT, DELETE/);
    }
  });

  it('requires the bearer token for PUT and DELETE', async () => {
    const headers = { 'x-corral-kind': 'segment', 'content-type': 'video/mp4' };
    const missing = await request(running.base, 'PUT', '/ok/b.m4s', { headers, body: 'b' });
    assert.equal(missing.status, 401);
    assert.equal(missing.headers['www-authenticate'], 'Bearer');
    const wrong = await request(running.base, 'PUT', '/ok/b.m4s', {
      headers: { ...headers, authorization: `Bearer ${TOKEN}x` },
      body: 'b',
    });
    assert.equal(wrong.status, 401);
    const basic = await request(running.base, 'PUT', '/ok/b.m4s', {
      headers: { ...headers, authorization: `Basic ${TOKEN}` },
      body: 'b',
    });
    assert.equal(basic.status, 401);
    assert.equal((await request(running.base, 'DELETE', '/ok/s/v/a.m4s')).status, 401);
    assert.equal((await request(running.base, 'GET', '/ok/b.m4s')).status, 404);
    assert.equal((await request(running.base, 'GET', '/ok/s/v/a.m4s')).status, 200);
  });

  it('validates X-Corral-Kind and X-Corral-Max-Age', async () => {
    const put = (headers: Record<string, string>) =>
      request(running.base, 'PUT', '/ok/s/v/c.m3u8', { headers: { ...auth, ...headers }, body: '#EXTM3U' });
    assert.equal((await put({})).status, 400);
    assert.equal((await put({ 'x-corral-kind': 'video' })).status, 400);
    assert.equal((await put({ 'x-corral-kind': 'playlist', 'x-corral-max-age': '-1' })).status, 400);
    assert.equal((await put({ 'x-corral-kind': 'playlist', 'x-corral-max-age': 'soon' })).status, 400);
    assert.equal((await request(running.base, 'GET', '/ok/s/v/c.m3u8')).status, 404);
    // Only what the packager makes: a playlist as text/html would let a leaked token host pages.
    assert.equal((await put({ 'x-corral-kind': 'playlist', 'content-type': 'text/html' })).status, 400);
    const mpegurl = 'application/vnd.apple.mpegurl';
    const good = await put({
      'x-corral-kind': 'playlist',
      'x-corral-max-age': '0.5',
      'content-type': mpegurl,
    });
    assert.equal(good.status, 201);
    const got = await request(running.base, 'GET', '/ok/s/v/c.m3u8');
    assert.equal(got.headers['content-type'], mpegurl);
    assert.equal(got.headers['cache-control'], 'no-cache');
  });

  it('refuses a PUT to a prefix and an empty DELETE prefix', async () => {
    const r = await request(running.base, 'PUT', '/ok/', {
      headers: { ...auth, 'x-corral-kind': 'segment' },
      body: 'x',
    });
    assert.equal(r.status, 400);
    assert.equal((await request(running.base, 'DELETE', '/', { headers: auth })).status, 400);
    assert.equal((await request(running.base, 'GET', '/ok/s/v/a.m4s')).status, 200);
  });

  it('answers an oversized PUT with 413, announced or streamed, and keeps serving', async () => {
    const headers = { ...auth, 'x-corral-kind': 'segment', 'content-type': 'video/mp4' };
    const big = Buffer.alloc(5000, 7);
    const announced = await request(running.base, 'PUT', '/ok/s/v/big1.m4s', { headers, body: big });
    assert.equal(announced.status, 413);
    const streamed = await request(running.base, 'PUT', '/ok/s/v/big2.m4s', {
      headers,
      body: big,
      chunked: true,
    });
    assert.equal(streamed.status, 413);
    assert.equal((await request(running.base, 'GET', '/ok/s/v/big1.m4s')).status, 404);
    assert.equal((await request(running.base, 'GET', '/ok/s/v/big2.m4s')).status, 404);
    assert.equal((await request(running.base, 'GET', '/healthz')).body.toString().trim(), 'ok');
    const fits = await request(running.base, 'PUT', '/ok/s/v/fits.m4s', {
      headers,
      body: Buffer.alloc(1024, 1),
    });
    assert.equal(fits.status, 201);
    assert.equal((await request(running.base, 'GET', '/ok/s/v/fits.m4s')).body.length, 1024);
  });

  it('exposes request, push and store metrics', async () => {
    const text = (await request(running.base, 'GET', '/metrics')).body.toString();
    assert.match(text, /corral_origin_requests_total\{method="GET",status="400"\} \d+/);
    assert.match(text, /corral_origin_requests_total\{method="OTHER",status="405"\} 3/);
    assert.match(text, /corral_origin_push_total\{kind="segment"\} [1-9]/);
    const objects = Number(/^corral_origin_objects (\d+)/m.exec(text)?.[1]);
    const bytes = Number(/^corral_origin_bytes (\d+)/m.exec(text)?.[1]);
    assert.deepEqual({ objects, bytes }, running.store.stats());
  });
});

describe('origin: push disabled', () => {
  it('answers PUT and DELETE with 403 when no push token is configured', async () => {
    const running = await startOrigin({ pushToken: '' });
    try {
      const headers = { ...auth, 'x-corral-kind': 'segment' };
      assert.equal((await request(running.base, 'PUT', '/x/a.m4s', { headers, body: 'x' })).status, 403);
      assert.equal((await request(running.base, 'DELETE', '/x/', { headers })).status, 403);
      assert.equal((await request(running.base, 'GET', '/x/a.m4s')).status, 404);
    } finally {
      await running.origin.close();
    }
  });
});

describe('origin: readers must present the tier credential when one is configured', () => {
  it('401 without it, 200 with it, /healthz open, pushes still on their own token', async () => {
    const running = await startOrigin({ requireAuth: 'Bearer shield-secret' });
    try {
      await running.origin.push.put({
        path: 'live/t/v/a.m4s',
        kind: 'segment',
        contentType: 'video/mp4',
        body: Buffer.from('a'),
      });
      const none = await request(running.base, 'GET', '/live/t/v/a.m4s');
      assert.equal(none.status, 401);
      assert.equal(none.headers['cache-control'], 'no-store');
      const wrong = await request(running.base, 'GET', '/live/t/v/a.m4s', {
        headers: { authorization: 'Bearer shield-secreT' },
      });
      assert.equal(wrong.status, 401);
      const right = await request(running.base, 'GET', '/live/t/v/a.m4s', {
        headers: { authorization: 'Bearer shield-secret' },
      });
      assert.equal(right.status, 200);
      assert.equal((await request(running.base, 'GET', '/streams.json')).status, 401);
      assert.equal((await request(running.base, 'GET', '/healthz')).status, 200);
      const put = await request(running.base, 'PUT', '/live/t/v/b.m4s', {
        headers: { ...auth, 'x-corral-kind': 'segment', 'content-type': 'video/mp4' },
        body: 'b',
      });
      assert.equal(put.status, 201);
    } finally {
      await running.origin.close();
    }
  });
});
