import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bodyBytes, get, useOriginAndNode } from './helpers.js';
import { startOrigin as startCorralOrigin } from '../support/origin.js';

describe('cache node basics', () => {
  const srv = useOriginAndNode();

  it('misses, then hits, with Age, X-Cache and CORS passed through', async () => {
    const path = '/obj/basic?cc=public,max-age=60&size=5000&cors=1';
    const a = await get(srv.edge.url + path);
    assert.equal(a.status, 200);
    assert.equal(a.headers['x-cache'], 'edge MISS');
    assert.deepEqual(a.body, bodyBytes(path, 5000));
    const b = await get(srv.edge.url + path);
    assert.equal(b.headers['x-cache'], 'edge HIT');
    assert.equal(b.headers['access-control-allow-origin'], '*');
    assert.ok(b.headers.age !== undefined);
    assert.deepEqual(b.body, a.body);
    assert.equal(await srv.origin.count(path), 1);
  });

  it('serves /healthz and /metrics itself and refuses other methods', async () => {
    assert.equal((await get(srv.edge.url + '/healthz')).status, 200);
    const m = await get(srv.edge.url + '/metrics');
    assert.match(m.body.toString(), /corral_cache_requests_total/);
    assert.equal(await srv.origin.count('/metrics'), 0);
    const p = await get(srv.edge.url + '/obj/x', { method: 'POST' });
    assert.equal(p.status, 405);
    assert.equal(p.headers.allow, 'GET, HEAD, OPTIONS');
  });

  it('answers a CORS preflight with 204 and the same CORS headers as the origin', async () => {
    const asked = {
      origin: 'http://player.example',
      'access-control-request-method': 'GET',
      'access-control-request-headers': 'range',
    };
    const edge = await get(srv.edge.url + '/live/x/index.m3u8', { method: 'OPTIONS', headers: asked });
    assert.equal(edge.status, 204);
    const origin = await startCorralOrigin();
    try {
      const o = await get(origin.base + '/live/x/index.m3u8', { method: 'OPTIONS', headers: asked });
      assert.equal(o.status, 204);
      const cors = (h: Record<string, unknown>) =>
        Object.fromEntries(Object.entries(h).filter(([k]) => k.startsWith('access-control-')));
      assert.deepEqual(cors(edge.headers), cors(o.headers));
      assert.equal(edge.headers['access-control-allow-origin'], '*');
      assert.match(String(edge.headers['access-control-allow-headers']), /\bRange\b/);
    } finally {
      await origin.origin.close();
    }
    assert.equal(await srv.origin.count('/live/x/index.m3u8'), 0, 'a preflight never goes upstream');
  });

  it('does not store no-store or private answers', async () => {
    const path = '/obj/nostore?cc=no-store';
    await get(srv.edge.url + path);
    const b = await get(srv.edge.url + path);
    assert.equal(b.status, 200);
    assert.equal(await srv.origin.count(path), 2);
  });
});
