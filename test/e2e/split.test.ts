import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../src/config/load.js';
import { closeAll, startIngestNode, startOriginNode, urlOf, type Closer } from '../../src/cli/server.js';
import { HttpPush } from '../../src/origin/index.js';
import { CacheNode } from '../../src/cache/index.js';
import { createRegistry } from '../../src/metrics/registry.js';
import { silentLogger } from '../../src/util/logger.js';
import { publish } from '../support/ffmpeg.js';
import { until } from '../support/server.js';
import { checkMediaPlaylist, parseMediaPlaylist } from '../support/hls.js';

/** Packager and origin on different "machines": the same media path over authenticated HTTP PUT. */
describe('ingest pushing to a separate origin over HTTP', () => {
  const closers: Closer[] = [];
  after(() => closeAll(closers));

  it('serves the stream through an edge in front of the remote origin', async () => {
    const log = silentLogger();
    const config = loadConfig({
      overrides: {
        'origin.port': 0,
        'origin.pushToken': 'test-token-123',
        'rtmp.host': '127.0.0.1',
        'rtmp.port': 0,
        'rtmps.enabled': false,
        'cache.port': 0,
        'package.reconnectGraceS': 1,
        'package.windowSegments': 20,
      },
    });
    const o = await startOriginNode(config, log, closers);
    const push = new HttpPush({ baseUrl: urlOf(o.address), token: 'test-token-123' });
    closers.push(() => push.close());
    const ingest = await startIngestNode(config, log, push, createRegistry({ defaults: false }), closers);
    const edge = new CacheNode({ config: config.cache, upstream: urlOf(o.address), logger: log });
    closers.push(() => edge.close());
    const viewer = urlOf(await edge.listen(0, '127.0.0.1'));

    const r = await publish(`rtmp://127.0.0.1:${ingest.rtmp!.port}/live/remote`, 5);
    assert.equal(r.code, 0, r.stderr);
    const text = await until('ended playlist', async () => {
      const res = await fetch(`${viewer}/live/remote/src/index.m3u8`);
      const t = res.ok ? await res.text() : '';
      return t.includes('#EXT-X-ENDLIST') ? t : undefined;
    });
    const p = parseMediaPlaylist(text);
    assert.deepEqual(checkMediaPlaylist(p), []);
    assert.ok(p.segments.length >= 4);
    const seg = await fetch(`${viewer}/live/remote/src/${p.segments[0]!.uri}`);
    assert.equal(seg.status, 200);
    assert.ok((await seg.arrayBuffer()).byteLength > 1000);

    // Without the token nobody else can write to the origin.
    const forged = await fetch(`${urlOf(o.address)}/live/remote/src/index.m3u8`, {
      method: 'PUT',
      headers: { 'x-corral-kind': 'playlist', 'content-type': 'application/vnd.apple.mpegurl' },
      body: '#EXTM3U\n',
    });
    assert.equal(forged.status, 401);
  });
});
