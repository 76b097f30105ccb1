import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { request } from '../support/origin.js';
import { get, startNode, startOrigin, wideAgent, type TestNode, type TestOrigin } from './helpers.js';

/** Issue 9: coalescing must not be bypassable, and a 404 flood must stay inside the budget. */

const rand = () => randomBytes(8).toString('hex');

/** Run `n` requests `make(i)` with at most `width` at once. */
async function flood(n: number, width: number, make: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < n) await make(next++);
    }),
  );
}

async function originRequests(origin: TestOrigin, prefix: string): Promise<number> {
  const counts = await origin.counts();
  return Object.entries(counts)
    .filter(([k]) => k.startsWith(prefix))
    .reduce((a, [, v]) => a + v, 0);
}

describe('a cache key that cannot be busted', () => {
  let origin: TestOrigin;
  let edge: TestNode;
  const agent = wideAgent(100);
  before(async () => {
    origin = await startOrigin();
    // The default key: only _HLS_msn, _HLS_part and _HLS_skip survive.
    edge = await startNode(origin.url, { keyParams: ['_HLS_msn', '_HLS_part', '_HLS_skip'] });
  });
  after(async () => {
    agent.destroy();
    await edge?.close();
    await origin?.stop();
  });

  it('500 requests for one segment with random query strings: one origin request', async () => {
    await flood(500, 100, async () => {
      const r = await get(`${edge.url}/live/q/seg-1.m4s?${rand()}=${rand()}&token=${rand()}`, { agent });
      assert.equal(r.status, 200);
    });
    assert.equal(await originRequests(origin, '/live/q/'), 1);
    assert.deepEqual(await origin.counts().then((c) => Object.keys(c).filter((k) => k.includes('?'))), []);
  });

  it('kept parameters are sorted into one key, and reach the origin', async () => {
    const a = await get(`${edge.url}/live/q/index.m3u8?_HLS_part=0&x=1&_HLS_msn=3`);
    const b = await get(`${edge.url}/live/q/index.m3u8?_HLS_msn=3&_HLS_part=0&y=2`);
    assert.equal(a.status, 200);
    assert.equal(b.status, 200);
    // This test origin sends playlists with max-age=0, so both went upstream: as one URL.
    const sent = Object.keys(await origin.counts()).filter((k) => k.startsWith('/live/q/index.m3u8'));
    assert.deepEqual(sent, ['/live/q/index.m3u8?_HLS_msn=3&_HLS_part=0']);
  });

  it('an encoded unreserved character is the same key; dot segments are refused', async () => {
    const r = await get(`${edge.url}/live/q/%73eg-1.m4s`);
    assert.match(String(r.headers['x-cache']), /^edge HIT/);
    // Raw requests: a URL parser would resolve the dot segments before sending.
    assert.equal((await request(edge.url, 'GET', '/live/q/../r/seg-1.m4s')).status, 400);
    assert.equal((await request(edge.url, 'GET', '/live/q/%2e%2e/r/seg-1.m4s')).status, 400);
    assert.equal((await request(edge.url, 'GET', '/live/q%2fseg-1.m4s')).status, 400);
  });

  it('500 requests with random Authorization headers for a public segment: one origin request', async () => {
    await flood(500, 100, async () => {
      const r = await get(`${edge.url}/live/a/seg-2.m4s`, {
        agent,
        headers: { authorization: `Bearer ${rand()}` },
      });
      assert.equal(r.status, 200);
    });
    assert.equal(await originRequests(origin, '/live/a/'), 1);
  });

  it('3000 random 404 paths under a live stream: bounded origin requests, real content kept', async () => {
    const pl = await get(`${edge.url}/live/x/index.m3u8`);
    assert.equal(pl.status, 200);
    for (const n of [1, 2, 3]) assert.equal((await get(`${edge.url}/live/x/seg-${n}.m4s`)).status, 200);
    const before = await originRequests(origin, '/live/x/');
    const t0 = Date.now();
    let notFound = 0;
    await flood(3000, 100, async () => {
      const r = await get(`${edge.url}/live/x/${rand()}.m4s`, { agent });
      if (r.status === 404) notFound++;
    });
    const seconds = (Date.now() - t0) / 1000;
    const spent = (await originRequests(origin, '/live/x/')) - before;
    console.log(`# 3000 random 404 paths in ${seconds.toFixed(1)} s: ${spent} origin requests`);
    assert.equal(notFound, 3000);
    // One per second per folder, plus the first.
    assert.ok(spent <= Math.ceil(seconds) + 2, `${spent} origin requests in ${seconds} s`);
    for (const n of [1, 2, 3]) {
      const r = await get(`${edge.url}/live/x/seg-${n}.m4s`);
      assert.match(String(r.headers['x-cache']), /^edge HIT/, `seg-${n} still cached`);
    }
    // Names the playlist lists are never held back, even mid-flood.
    await origin.advance('x');
    await get(`${edge.url}/live/x/${rand()}.m4s`);
    await new Promise((r) => setTimeout(r, 600));
    assert.equal((await get(`${edge.url}/live/x/index.m3u8`)).status, 200);
    assert.equal((await get(`${edge.url}/live/x/seg-4.m4s`)).status, 200);
  });

  it('one missing URL asked for again and again: one origin request per second', async () => {
    await flood(300, 50, async () => {
      assert.equal((await get(`${edge.url}/live/none/here.m4s`, { agent })).status, 404);
    });
    assert.ok((await origin.count('/live/none/here.m4s')) <= 2);
  });
});

describe('credentials and the cache (RFC 9111 3.5)', () => {
  let origin: TestOrigin;
  let edge: TestNode;
  before(async () => {
    origin = await startOrigin();
    edge = await startNode(origin.url);
  });
  after(async () => {
    await edge?.close();
    await origin?.stop();
  });

  it('a stored answer not marked public is not given to a request with Authorization', async () => {
    const path = '/obj/creds?cc=max-age%3D60';
    assert.equal((await get(edge.url + path)).status, 200);
    const r = await get(edge.url + path, { headers: { authorization: 'Bearer x' } });
    assert.match(String(r.headers['x-cache']), /PASS/);
    assert.equal(await origin.count(path), 2);
    // Without credentials the stored copy still serves.
    assert.match(String((await get(edge.url + path)).headers['x-cache']), /^edge HIT/);
  });

  it('an answer fetched with credentials is shared only if public', async () => {
    const priv = '/obj/creds2?cc=max-age%3D60';
    await get(edge.url + priv, { headers: { authorization: 'Bearer a' } });
    await get(edge.url + priv, { headers: { authorization: 'Bearer b' } });
    await get(edge.url + priv);
    assert.equal(await origin.count(priv), 3);
    const pub = '/obj/creds3?cc=public,max-age%3D60';
    await get(edge.url + pub, { headers: { authorization: 'Bearer a' } });
    await get(edge.url + pub, { headers: { authorization: 'Bearer b' } });
    await get(edge.url + pub);
    assert.equal(await origin.count(pub), 1);
  });
});

describe('a 404 flood stays inside the byte budget', () => {
  let origin: TestOrigin;
  let edge: TestNode;
  const agent = wideAgent(50);
  const budget = 1 << 20;
  before(async () => {
    origin = await startOrigin();
    edge = await startNode(origin.url, { maxBytes: budget });
  });
  after(async () => {
    agent.destroy();
    await edge?.close();
    await origin?.stop();
  });

  it('4000 random 404 URLs (kept 60 s each) are charged their real size and evicted', async () => {
    await flood(4000, 50, async (i) => {
      const r = await get(`${edge.url}/nf/${i}-${rand()}?status=404&cc=public,max-age%3D60`, { agent });
      assert.equal(r.status, 404);
    });
    const store = edge.node.core.store;
    assert.ok(store.bytes <= budget, `${store.bytes} > ${budget}`);
    // Measured real cost of such an entry is ~1.4 KB (entry.ts ENTRY_OVERHEAD); the old ~512 B
    // charge would have let ~2000 of them in.
    const perEntry = store.bytes / store.objects;
    console.log(`# ${store.objects} 404 entries kept, charged ${Math.round(perEntry)} B each`);
    assert.ok(perEntry >= 1300, `charged only ${perEntry} B per 404`);
    assert.ok(store.objects <= budget / 1300);
  });
});
