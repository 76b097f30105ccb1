import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { after, describe, it } from 'node:test';
import { CacheNode } from '../../src/cache/index.js';
import { urlOf } from '../../src/cli/server.js';
import { cacheSchema } from '../../src/config/schema.js';
import { silentLogger } from '../../src/util/logger.js';
import { FFMPEG, testPatternArgs } from '../support/ffmpeg.js';
import { parseMediaPlaylist } from '../support/hls.js';
import { closedPort } from '../support/origin.js';
import { startTestServer, until, type TestServer } from '../support/server.js';

/**
 * Issue 9: "kill the shield: edge viewers keep playing from stale copies". A live stream from a
 * real ffmpeg through ingest, packager and origin; a shield and an edge as real HTTP servers in
 * front of it. The shield goes away for 15 s: the edge keeps answering the playlist and its
 * segments (200, stale); the shield comes back on the same port and the edge follows the live
 * stream again.
 */

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function fetchStatus(url: string): Promise<{ status: number; text: string; xcache: string }> {
  const r = await fetch(url);
  return { status: r.status, text: await r.text(), xcache: r.headers.get('x-cache') ?? '' };
}

describe('kill the shield: edge viewers keep playing from stale copies', () => {
  let srv: TestServer | undefined;
  let shield: CacheNode | undefined;
  let edge: CacheNode | undefined;
  let ffmpeg: ChildProcess | undefined;
  after(async () => {
    ffmpeg?.kill('SIGKILL');
    await edge?.close();
    await shield?.close();
    await srv?.server.close();
  });

  const shieldOn = async (port: number, origin: string) => {
    const node = new CacheNode({
      config: cacheSchema.parse({ name: 'shield' }),
      upstream: origin,
      logger: silentLogger(),
      role: 'shield',
    });
    await node.listen(port, '127.0.0.1');
    return node;
  };

  it('answers playlists and segments for 15 s without its shield, then recovers', async () => {
    srv = await startTestServer({ 'tiers.shield': false });
    const origin = urlOf(srv.server.origin);
    const shieldPort = await closedPort();
    shield = await shieldOn(shieldPort, origin);
    edge = new CacheNode({
      config: cacheSchema.parse({ name: 'edge', breakerResetMs: 1000 }),
      upstream: `http://127.0.0.1:${shieldPort}`,
      logger: silentLogger(),
    });
    const viewer = urlOf(await edge.listen(0, '127.0.0.1'));
    const args = testPatternArgs(`${srv.rtmp}/live/sd`, { seconds: 60, size: '320x180', fps: 15 });
    ffmpeg = spawn(FFMPEG, args, { stdio: 'ignore' });

    const playlistUrl = `${viewer}/live/sd/src/index.m3u8`;
    await until('a live playlist with 3 segments', async () => {
      const r = await fetchStatus(playlistUrl);
      return r.status === 200 && parseMediaPlaylist(r.text).segments.length >= 3 ? true : undefined;
    });
    /** One player round: the playlist, then its init segment and every listed segment. */
    const round = async () => {
      const pl = await fetchStatus(playlistUrl);
      if (pl.status !== 200) return { pl, segs: [] as Array<{ uri: string; status: number }> };
      const p = parseMediaPlaylist(pl.text);
      const uris = [...new Set(p.segments.flatMap((s) => (s.map === undefined ? [s.uri] : [s.map, s.uri])))];
      const segs = await Promise.all(
        uris.map(async (uri) => {
          const r = await fetch(new URL(uri, playlistUrl));
          await r.arrayBuffer();
          return { uri, status: r.status };
        }),
      );
      return { pl, segs, msn: p.mediaSequence };
    };
    for (let i = 0; i < 4; i++) {
      const r = await round();
      assert.equal(r.pl.status, 200);
      assert.ok(r.segs.every((s) => s.status === 200));
      await sleep(500);
    }
    const before = await round();

    await shield.close();
    shield = undefined;
    const downUntil = Date.now() + 15_000;
    let rounds = 0;
    let staleSeen = 0;
    while (Date.now() < downUntil) {
      const r = await round();
      assert.equal(r.pl.status, 200, `playlist answered ${r.pl.status} with the shield down`);
      for (const s of r.segs)
        assert.equal(s.status, 200, `${s.uri} answered ${s.status} with the shield down`);
      if (r.pl.xcache.startsWith('edge STALE')) staleSeen++;
      rounds++;
      await sleep(500);
    }
    console.log(`# shield down 15 s: ${rounds} player rounds, all 200, ${staleSeen} stale playlists`);
    assert.ok(rounds >= 20);
    assert.ok(staleSeen >= rounds - 2, 'the playlist came from the stale copy');

    shield = await shieldOn(shieldPort, origin);
    const back = Date.now();
    const recovered = await until(
      'the edge following the live stream again',
      async () => {
        const r = await round();
        return r.pl.status === 200 &&
          (r.msn ?? 0) > (before.msn ?? 0) &&
          r.segs.every((s) => s.status === 200)
          ? r
          : undefined;
      },
      10_000,
    );
    console.log(
      `# recovered ${Date.now() - back} ms after the shield returned: media sequence ${before.msn} -> ${recovered.msn}`,
    );
  });
});
