import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { signPlaybackToken } from '../../src/cache/token.js';
import { get, startNode, startOrigin, type TestNode, type TestOrigin } from './helpers.js';

/** Issue 9 item 3: signed playback tokens checked at the edge, as a player uses them. */

const SECRET = 'playback-secret-0001';
const OLD = 'playback-secret-0000';
const inAnHour = () => Math.floor(Date.now() / 1000) + 3600;

describe('playback tokens at the edge', () => {
  let origin: TestOrigin;
  let edge: TestNode;
  before(async () => {
    origin = await startOrigin({ ORIGIN_PLAYLIST_MAX_AGE: '1' });
    edge = await startNode(origin.url, {
      keyParams: ['_HLS_msn', '_HLS_part', '_HLS_skip'],
      playback: { secrets: [SECRET, OLD], streams: ['live/paid'] },
    });
  });
  after(async () => {
    await edge?.close();
    await origin?.stop();
  });

  it('a player with a token in the playlist URL can fetch every URI the playlist lists', async () => {
    const token = signPlaybackToken(SECRET, { stream: 'live/paid', expiresAt: inAnHour() });
    const playlistUrl = `${edge.url}/live/paid/index.m3u8?token=${token}`;
    const pl = await get(playlistUrl);
    assert.equal(pl.status, 200);
    const uris = pl.body
      .toString()
      .split('\n')
      .filter((l) => l !== '' && !l.startsWith('#'));
    assert.ok(uris.length >= 3);
    for (const uri of uris) {
      assert.match(uri, new RegExp(`\\?token=${token.replace('.', '\\.')}$`));
      // Resolved the way hls.js resolves a relative URI against the playlist's URL.
      const seg = await get(new URL(uri, playlistUrl).href);
      assert.equal(seg.status, 200, uri);
    }
    // A second holder with another token: the same cached copies serve, no new origin fetch.
    const other = signPlaybackToken(OLD, { stream: 'live/paid', expiresAt: inAnHour() });
    const seg = await get(`${edge.url}/live/paid/${uris[0]!.split('?')[0]!}?token=${other}`);
    assert.match(String(seg.headers['x-cache']), /^edge HIT/);
    const counts = await origin.counts();
    assert.deepEqual(
      Object.keys(counts).filter((k) => k.includes('token')),
      [],
      'the token never reaches the origin',
    );
    for (const uri of uris) assert.equal(counts[`/live/paid/${uri.split('?')[0]!}`], 1);
  });

  it("no token, an expired, a forged or another stream's token: 403", async () => {
    const path = '/live/paid/seg-1.m4s';
    const expired = signPlaybackToken(SECRET, { stream: 'live/paid', expiresAt: 1 });
    const forged = signPlaybackToken('not-the-secret-0000', { stream: 'live/paid', expiresAt: inAnHour() });
    const elsewhere = signPlaybackToken(SECRET, { stream: 'live/free', expiresAt: inAnHour() });
    assert.equal((await get(edge.url + path)).status, 403);
    for (const t of [expired, forged, elsewhere, 'garbage']) {
      const r = await get(`${edge.url}${path}?token=${t}`);
      assert.equal(r.status, 403, t);
      assert.equal(r.headers['access-control-allow-origin'], '*', 'a player can read the refusal');
    }
  });

  it('the token also works as a header or a cookie; other streams need none', async () => {
    const token = signPlaybackToken(SECRET, { stream: 'live/paid', expiresAt: inAnHour() });
    const byHeader = await get(`${edge.url}/live/paid/seg-2.m4s`, { headers: { 'x-playback-token': token } });
    assert.equal(byHeader.status, 200);
    const byCookie = await get(`${edge.url}/live/paid/seg-2.m4s`, {
      headers: { cookie: `corral_token=${token}` },
    });
    assert.equal(byCookie.status, 200);
    assert.equal((await get(`${edge.url}/live/free/seg-1.m4s`)).status, 200);
  });
});
