import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bodyBytes, get, sleep, useOriginAndNode, wideAgent } from './helpers.js';

describe('RFC 9111 behaviour', () => {
  const srv = useOriginAndNode();

  it('stale-while-revalidate: stale answers at once, one coalesced background revalidation', async () => {
    const path = '/obj/swr?cc=public,max-age=1,stale-while-revalidate=30&delay=200&size=500';
    await get(srv.edge.url + path);
    await sleep(1100);
    const agent = wideAgent(50);
    const all = await Promise.all(Array.from({ length: 50 }, () => get(srv.edge.url + path, { agent })));
    agent.destroy();
    for (const r of all) {
      assert.equal(r.headers['x-cache'], 'edge STALE');
      assert.ok(r.doneAt < 150, `stale answer took ${r.doneAt} ms`);
    }
    await sleep(300);
    assert.equal(await srv.origin.count(path), 2);
    assert.equal((await get(srv.edge.url + path)).headers['x-cache'], 'edge HIT');
  });

  it('ETag: If-None-Match gets 304 from the cache; expiry revalidates with a conditional request', async () => {
    const path = '/obj/etag?cc=public,max-age=1&etag=v1&size=800';
    const a = await get(srv.edge.url + path);
    assert.equal(a.headers.etag, '"v1"');
    const b = await get(srv.edge.url + path, { headers: { 'if-none-match': '"v1"' } });
    assert.equal(b.status, 304);
    assert.equal(b.body.length, 0);
    await sleep(1100);
    const c = await get(srv.edge.url + path);
    assert.equal(c.status, 200);
    assert.ok(c.body.equals(bodyBytes(path, 800)), 'body kept across the 304');
    assert.equal(await srv.origin.count(path), 2);
  });

  it('HEAD is answered from the same object', async () => {
    const path = '/obj/head?cc=public,max-age=60&size=1234';
    const h = await get(srv.edge.url + path, { method: 'HEAD' });
    assert.equal(h.status, 200);
    assert.equal(h.headers['content-length'], '1234');
    assert.equal(h.body.length, 0);
    assert.equal((await get(srv.edge.url + path)).headers['x-cache'], 'edge HIT');
    assert.equal(await srv.origin.count(path), 1);
  });

  it('Range: closed, open-ended, suffix, unsatisfiable, and ignored multi-range', async () => {
    const path = '/obj/range?cc=public,max-age=60&size=10000';
    const full = bodyBytes(path, 10000);
    const r1 = await get(srv.edge.url + path, { headers: { range: 'bytes=10-19' } });
    assert.equal(r1.status, 206);
    assert.equal(r1.headers['content-range'], 'bytes 10-19/10000');
    assert.ok(r1.body.equals(full.subarray(10, 20)));
    const r2 = await get(srv.edge.url + path, { headers: { range: 'bytes=9000-' } });
    assert.ok(r2.body.equals(full.subarray(9000)));
    const r3 = await get(srv.edge.url + path, { headers: { range: 'bytes=-100' } });
    assert.ok(r3.body.equals(full.subarray(9900)));
    const r4 = await get(srv.edge.url + path, { headers: { range: 'bytes=20000-' } });
    assert.equal(r4.status, 416);
    const r5 = await get(srv.edge.url + path, { headers: { range: 'bytes=0-1,5-6' } });
    assert.equal(r5.status, 200);
    assert.equal(await srv.origin.count(path), 1);
  });

  it('Range on a miss still fetches (and caches) the whole object once', async () => {
    const path = '/obj/range-miss?cc=public,max-age=60&size=5000&delay=100';
    const r = await get(srv.edge.url + path, { headers: { range: 'bytes=100-199' } });
    assert.equal(r.status, 206);
    assert.ok(r.body.equals(bodyBytes(path, 5000).subarray(100, 200)));
    assert.equal((await get(srv.edge.url + path)).body.length, 5000);
    assert.equal(await srv.origin.count(path), 1);
  });

  it('Vary: one stored variant per value of the named header', async () => {
    const path = '/obj/vary?cc=public,max-age=60&vary=accept-language&size=100';
    const en = { 'accept-language': 'en' };
    const fr = { 'accept-language': 'fr' };
    await get(srv.edge.url + path, { headers: en });
    await get(srv.edge.url + path, { headers: fr });
    assert.equal((await get(srv.edge.url + path, { headers: en })).headers['x-cache'], 'edge HIT');
    assert.equal((await get(srv.edge.url + path, { headers: fr })).headers['x-cache'], 'edge HIT');
    assert.equal(await srv.origin.count(path), 2);
  });

  it('Vary discovered in flight: waiters with other values are fetched separately', async () => {
    const path = '/obj/vary2?cc=public,max-age=60&vary=accept-language&size=100&delay=200';
    const agent = wideAgent(20);
    const all = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        get(srv.edge.url + path, { agent, headers: { 'accept-language': i % 2 === 0 ? 'en' : 'de' } }),
      ),
    );
    agent.destroy();
    for (const r of all) assert.equal(r.status, 200);
    assert.equal(await srv.origin.count(path), 2);
  });

  it('immutable and s-maxage are honoured; no explicit lifetime means not stored', async () => {
    const s = '/obj/smax?cc=public,max-age=0,s-maxage=60';
    await get(srv.edge.url + s);
    assert.equal((await get(srv.edge.url + s)).headers['x-cache'], 'edge HIT');
    const none = '/obj/nolifetime?size=10';
    await get(srv.edge.url + none);
    await get(srv.edge.url + none);
    assert.equal(await srv.origin.count(none), 2);
  });

  it('requests with Authorization are served from storage only when the answer is public (3.5)', async () => {
    const path = '/obj/auth?cc=public,max-age=60';
    await get(srv.edge.url + path);
    const r = await get(srv.edge.url + path, { headers: { authorization: 'Bearer x' } });
    assert.match(String(r.headers['x-cache']), /^edge HIT/);
    assert.equal(await srv.origin.count(path), 1);
    const priv = '/obj/auth-private?cc=max-age=60';
    await get(srv.edge.url + priv);
    const p = await get(srv.edge.url + priv, { headers: { authorization: 'Bearer x' } });
    assert.match(String(p.headers['x-cache']), /PASS/);
    assert.equal(await srv.origin.count(priv), 2);
  });
});
