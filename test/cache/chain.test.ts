import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  bodyBytes,
  get,
  startNode,
  startOrigin,
  wideAgent,
  type TestNode,
  type TestOrigin,
} from './helpers.js';

describe('edge -> shield -> origin', () => {
  let origin: TestOrigin;
  let shield: TestNode;
  let edges: TestNode[];
  before(async () => {
    origin = await startOrigin({ ORIGIN_TARGET_S: '1' });
    shield = await startNode(origin.url, { name: 'shield' }, 'shield');
    edges = [await startNode(shield.url, { name: 'edge1' }), await startNode(shield.url, { name: 'edge2' })];
  });
  after(async () => {
    for (const e of edges) await e.close();
    await shield.close();
    await origin.stop();
  });

  for (const n of [1, 100, 2000]) {
    it(`${n} viewers over two edges: one origin fetch per object`, async () => {
      const path = `/obj/chain-${n}?cc=public,max-age=60&delay=200&size=50000&dur=100`;
      const agent = wideAgent(n);
      const all = await Promise.all(
        Array.from({ length: n }, (_, i) => get(edges[i % 2]!.url + path, { agent })),
      );
      agent.destroy();
      const want = bodyBytes(path, 50000);
      for (const r of all) assert.ok(r.body.equals(want));
      assert.equal(await origin.count(path), 1);
      const x = String(all[0]!.headers['x-cache']);
      assert.match(x, /^edge\d (MISS|COALESCED|HIT), shield (MISS|COALESCED|HIT)$/);
    });
  }

  it('a future segment held at both tiers reaches the origin once, after it exists', async () => {
    await get(edges[0]!.url + '/live/chain/index.m3u8');
    await get(edges[1]!.url + '/live/chain/index.m3u8');
    const agent = wideAgent(200);
    const pending = Array.from({ length: 200 }, (_, i) =>
      get(edges[i % 2]!.url + '/live/chain/seg-4.m4s', { agent }),
    );
    await new Promise((r) => setTimeout(r, 200));
    await origin.advance('chain');
    const all = await Promise.all(pending);
    agent.destroy();
    for (const r of all) assert.equal(r.status, 200);
    assert.equal(await origin.count('/live/chain/seg-4.m4s'), 1);
  });
});
