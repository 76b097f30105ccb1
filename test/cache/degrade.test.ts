import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { get, sleep, startNode, type TestNode } from './helpers.js';

/** Issue 11 item 5: an edge past its own limits bends in steps and straightens again. */

const MULTI = `#EXTM3U
#EXT-X-VERSION:7
#EXT-X-INDEPENDENT-SEGMENTS
#EXT-X-STREAM-INF:BANDWIDTH=5000000,CODECS="avc1.640028,mp4a.40.2",RESOLUTION=1920x1080
src/index.m3u8
#EXT-X-STREAM-INF:BANDWIDTH=800000,CODECS="avc1.64001e,mp4a.40.2",RESOLUTION=640x360
v360/index.m3u8
`;

const MEDIA = `#EXTM3U
#EXT-X-VERSION:7
#EXT-X-TARGETDURATION:1
#EXT-X-MEDIA-SEQUENCE:1
#EXT-X-MAP:URI="init.mp4"
#EXTINF:1.00000,
seg-1.m4s
`;

function playlistOrigin(): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const type = req.url!.endsWith('.m3u8') ? 'application/vnd.apple.mpegurl' : 'video/mp4';
    const body = req.url === '/live/d/index.m3u8' ? MULTI : req.url!.endsWith('.m3u8') ? MEDIA : 'media';
    res.writeHead(200, { 'content-type': type, 'cache-control': 'public, max-age=1', etag: '"o"' });
    res.end(body);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        close: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))),
      }),
    ),
  );
}

describe('graceful degradation at the edge', () => {
  let origin: { url: string; close(): Promise<void> };
  let edge: TestNode;
  before(async () => {
    origin = await playlistOrigin();
    edge = await startNode(origin.url, {
      degrade: {
        egressMbps: 0,
        connections: 10,
        loopLagMs: 0,
        escalateMs: 100,
        relaxMs: 100,
        relaxBelow: 0.8,
        dropRungs: 1,
        retryAfterS: 7,
      },
    });
  });
  after(async () => {
    await edge?.close();
    await origin?.close();
  });

  it('steps 1, 2, 3 in order while past the connection limit, keeps serving viewers, and undoes them', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    type Seen = 'full' | 'trimmed' | 'refused';
    const seen: Seen[] = [];
    const media: number[] = [];
    let holdBack = false;
    const poll = async () => {
      const m = await get(`${edge.url}/live/d/index.m3u8`, { agent });
      if (m.status === 503) {
        assert.equal(m.headers['retry-after'], '7');
        seen.push('refused');
      } else {
        assert.equal(m.status, 200);
        seen.push(m.body.toString().includes('src/index.m3u8') ? 'full' : 'trimmed');
      }
      const p = await get(`${edge.url}/live/d/v360/index.m3u8`, { agent });
      media.push(p.status, (await get(`${edge.url}/live/d/v360/seg-1.m4s`, { agent })).status);
      if (p.body.toString().includes('HOLD-BACK=6')) holdBack = true;
    };
    // 30 idle connections: three times the limit of 10.
    const idle = await Promise.all(
      Array.from(
        { length: 30 },
        () =>
          new Promise<net.Socket>((resolve) => {
            const s = net.connect(Number(new URL(edge.url).port), '127.0.0.1', () => resolve(s));
          }),
      ),
    );
    const t0 = Date.now();
    while (!seen.includes('refused') && Date.now() - t0 < 15_000) {
      await poll();
      await sleep(150);
    }
    const metrics = (await get(`${edge.url}/metrics`)).body.toString();
    assert.match(metrics, /corral_cache_degrade_step\{tier="edge"\} 3/);
    assert.match(metrics, /corral_cache_sessions_refused_total\{tier="edge"\} [1-9]/);
    for (const s of idle) s.destroy();
    const t1 = Date.now();
    while (seen.at(-1) !== 'full' && Date.now() - t1 < 15_000) {
      await poll();
      await sleep(150);
    }
    agent.destroy();

    // Order: full ... trimmed ... refused ... (back down) ... full; never refused before trimmed.
    const firstTrimmed = seen.indexOf('trimmed');
    const firstRefused = seen.indexOf('refused');
    assert.ok(seen[0] === 'full', `starts full: ${seen.join(' ')}`);
    assert.ok(firstTrimmed > 0 && firstRefused > firstTrimmed, `steps in order: ${seen.join(' ')}`);
    assert.equal(seen.at(-1), 'full', `undone once the load fell: ${seen.join(' ')}`);
    assert.ok(holdBack, 'step 2 doubled the hold-back of media playlists');
    assert.ok(
      media.every((s) => s === 200),
      `viewers already watching got every playlist and segment: ${media.join(',')}`,
    );
  });
});
