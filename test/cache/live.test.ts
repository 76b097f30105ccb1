import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { get, sleep, startNode, startOrigin, useOriginAndNode, wideAgent } from './helpers.js';

/** Newest media sequence listed in a playlist body. */
function newest(body: Buffer): number {
  const text = body.toString();
  const msn = Number(/#EXT-X-MEDIA-SEQUENCE:(\d+)/.exec(text)![1]);
  return msn + (text.match(/#EXTINF/g) ?? []).length - 1;
}

describe('live-aware rules', () => {
  const srv = useOriginAndNode({ ORIGIN_TARGET_S: '1' });

  it('holds a request for the next segment until the playlist lists it, then fetches it once', async () => {
    const pl = await get(srv.edge.url + '/live/hold/index.m3u8');
    assert.equal(newest(pl.body), 3);
    const agent = wideAgent(100);
    const pending = Array.from({ length: 100 }, () => get(srv.edge.url + '/live/hold/seg-4.m4s', { agent }));
    await sleep(300);
    await srv.origin.advance('hold');
    const all = await Promise.all(pending);
    agent.destroy();
    for (const r of all) assert.equal(r.status, 200);
    // Held, never forwarded early: the origin saw exactly one request, after it existed.
    assert.equal(await srv.origin.count('/live/hold/seg-4.m4s'), 1);
  });

  it('a held segment that never appears gets 404 no-store after ~1.5 target durations', async () => {
    await get(srv.edge.url + '/live/gone/index.m3u8');
    const t0 = performance.now();
    const r = await get(srv.edge.url + '/live/gone/seg-5.m4s');
    const took = performance.now() - t0;
    assert.equal(r.status, 404);
    assert.equal(r.headers['cache-control'], 'no-store');
    assert.ok(took >= 1400 && took < 2500, `held ${took} ms`);
    assert.equal(await srv.origin.count('/live/gone/seg-5.m4s'), 0);
  });

  it('never caches a 404 for a segment beyond the hold window', async () => {
    await get(srv.edge.url + '/live/far/index.m3u8');
    const r = await get(srv.edge.url + '/live/far/seg-9.m4s');
    assert.equal(r.status, 404);
    assert.equal(r.headers['cache-control'], 'no-store');
    for (let i = 0; i < 6; i++) await srv.origin.advance('far');
    await get(srv.edge.url + '/live/far/index.m3u8');
    assert.equal((await get(srv.edge.url + '/live/far/seg-9.m4s')).status, 200);
  });

  it('the media sequence a viewer sees never goes backwards', async () => {
    await srv.origin.advance('mono');
    await srv.origin.advance('mono');
    const a = await get(srv.edge.url + '/live/mono/index.m3u8');
    assert.equal(newest(a.body), 5);
    await srv.origin.rewind('mono');
    await sleep(600);
    const b = await get(srv.edge.url + '/live/mono/index.m3u8');
    assert.ok(newest(b.body) >= 5, `went back to ${newest(b.body)}`);
    assert.ok((await srv.origin.count('/live/mono/index.m3u8')) >= 2);
  });

  it('regression: a new broadcast under a reused name is served, not the old session', async () => {
    for (let i = 0; i < 16; i++) await srv.origin.advance('reuse');
    assert.equal(newest((await get(srv.edge.url + '/live/reuse/index.m3u8')).body), 19);
    // The name is published again: numbering starts over, far behind what the edge served.
    await srv.origin.restart('reuse');
    await sleep(1100);
    await get(srv.edge.url + '/live/reuse/index.m3u8'); // may still be the stale copy (SWR)
    await sleep(100);
    const r = await get(srv.edge.url + '/live/reuse/index.m3u8');
    assert.equal(newest(r.body), 1, 'the edge kept the previous broadcast');
  });
});

describe('live playlists', () => {
  it('are coalesced and kept at most half a target duration even if upstream says longer', async () => {
    // Target 2 s, but the origin claims max-age=10: the edge keeps it 1 s.
    const origin = await startOrigin({ ORIGIN_TARGET_S: '2', ORIGIN_PLAYLIST_MAX_AGE: '10' });
    const edge = await startNode(origin.url);
    try {
      const agent = wideAgent(50);
      await Promise.all(Array.from({ length: 50 }, () => get(edge.url + '/live/co/index.m3u8', { agent })));
      agent.destroy();
      assert.equal(await origin.count('/live/co/index.m3u8'), 1);
      assert.equal((await get(edge.url + '/live/co/index.m3u8')).headers['x-cache'], 'edge HIT');
      await sleep(1100);
      await get(edge.url + '/live/co/index.m3u8');
      assert.equal(await origin.count('/live/co/index.m3u8'), 2);
    } finally {
      await edge.close();
      await origin.stop();
    }
  });

  it('a blocking reload (_HLS_msn/_HLS_part) keeps the origin lifetime: its URL names one version', async () => {
    const origin = await startOrigin({ ORIGIN_TARGET_S: '2', ORIGIN_PLAYLIST_MAX_AGE: '10' });
    const edge = await startNode(origin.url);
    try {
      const url = '/live/bl/index.m3u8?_HLS_msn=3&_HLS_part=1';
      await get(edge.url + url);
      await sleep(1100);
      assert.equal((await get(edge.url + url)).headers['x-cache'], 'edge HIT');
      assert.equal(await origin.count(url), 1);
    } finally {
      await edge.close();
      await origin.stop();
    }
  });
});
