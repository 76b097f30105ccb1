import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CacheNode } from '../../src/cache/index.js';
import { cacheSchema } from '../../src/config/schema.js';
import { silentLogger } from '../../src/util/logger.js';
import { closedPort } from '../support/origin.js';
import { get, sleep, startNode, startOrigin, type TestNode, type TestOrigin } from './helpers.js';

/** Issue 9 item 6, cache half: a dead shield is not a dead region. */

async function shieldOn(port: number, upstream: string): Promise<CacheNode> {
  const node = new CacheNode({
    config: cacheSchema.parse({ name: 'shield', keyParams: ['*'] }),
    upstream,
    logger: silentLogger(),
    role: 'shield',
  });
  await node.listen(port, '127.0.0.1');
  return node;
}

describe('edge with its shield down', () => {
  let origin: TestOrigin;
  let shield: CacheNode | undefined;
  let shieldPort: number;
  let edge: TestNode;
  before(async () => {
    origin = await startOrigin({ ORIGIN_PLAYLIST_MAX_AGE: '1' });
    shieldPort = await closedPort();
    shield = await shieldOn(shieldPort, origin.url);
    edge = await startNode(`http://127.0.0.1:${shieldPort}`, { breakerResetMs: 500 });
  });
  after(async () => {
    await edge?.close();
    await shield?.close();
    await origin?.stop();
  });

  it('serves stale playlists and segments while the shield is down, and recovers', async () => {
    const pl = await get(`${edge.url}/live/s/index.m3u8`);
    assert.equal(pl.status, 200);
    for (const n of [0, 1, 2, 3]) assert.equal((await get(`${edge.url}/live/s/seg-${n}.m4s`)).status, 200);
    await shield!.close();
    shield = undefined;
    const until = Date.now() + 4000;
    let rounds = 0;
    while (Date.now() < until) {
      const p = await get(`${edge.url}/live/s/index.m3u8`);
      assert.equal(p.status, 200, 'playlist while the shield is down');
      assert.equal(p.body.toString(), pl.body.toString());
      for (const n of [2, 3]) assert.equal((await get(`${edge.url}/live/s/seg-${n}.m4s`)).status, 200);
      rounds++;
      await sleep(250);
    }
    const last = await get(`${edge.url}/live/s/index.m3u8`);
    assert.match(String(last.headers['x-cache']), /^edge STALE/);
    assert.ok(rounds >= 10);
    assert.equal(edge.node.fetcher.states()[`127.0.0.1:${shieldPort}`], 'open');

    await origin.advance('s');
    shield = await shieldOn(shieldPort, origin.url);
    const t0 = Date.now();
    for (;;) {
      const p = await get(`${edge.url}/live/s/index.m3u8`);
      if (p.body.toString().includes('seg-4.m4s')) break;
      assert.ok(Date.now() - t0 < 5000, 'edge did not recover within 5 s of the shield returning');
      await sleep(100);
    }
    console.log(`# edge serving the new playlist ${Date.now() - t0} ms after the shield returned`);
    assert.equal((await get(`${edge.url}/live/s/seg-4.m4s`)).status, 200);
  });
});

describe('edge with its shield down, playlists sent with max-age=0', () => {
  let origin: TestOrigin;
  let shield: CacheNode | undefined;
  let edge: TestNode;
  before(async () => {
    origin = await startOrigin({ ORIGIN_PLAYLIST_MAX_AGE: '0' });
    const port = await closedPort();
    shield = await shieldOn(port, origin.url);
    edge = await startNode(`http://127.0.0.1:${port}`, { keyParams: ['_HLS_msn', '_HLS_part', '_HLS_skip'] });
  });
  after(async () => {
    await edge?.close();
    await shield?.close();
    await origin?.stop();
  });

  it('answers with the newest playlist it had, for plain and blocking-reload URLs', async () => {
    const pl = await get(`${edge.url}/live/z/index.m3u8`);
    assert.equal(pl.status, 200);
    await shield!.close();
    shield = undefined;
    for (const q of ['', '?_HLS_msn=9&_HLS_part=0']) {
      const r = await get(`${edge.url}/live/z/index.m3u8${q}`);
      assert.equal(r.status, 200, q);
      assert.match(String(r.headers['x-cache']), /^edge STALE/);
      assert.equal(r.body.toString(), pl.body.toString());
    }
    assert.equal((await get(`${edge.url}/live/other/index.m3u8`)).status, 502, 'nothing to fall back on');
  });
});

describe('fallback upstream', () => {
  let origin: TestOrigin;
  let edge: TestNode;
  let dead: number;
  before(async () => {
    origin = await startOrigin();
    dead = await closedPort();
    edge = await startNode(`http://127.0.0.1:${dead}`, { fallbackUpstream: origin.url, breakerFailures: 2 });
  });
  after(async () => {
    await edge?.close();
    await origin?.stop();
  });

  it('fails over to the fallback when the upstream is dead, then stops trying the dead one', async () => {
    for (let i = 0; i < 5; i++) {
      const r = await get(`${edge.url}/obj/fb${i}?cc=public,max-age%3D60`);
      assert.equal(r.status, 200);
    }
    assert.equal(edge.node.fetcher.states()[`127.0.0.1:${dead}`], 'open');
  });
});
