import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DiskStore } from '../../src/origin/disk-store.js';
import {
  metricValue,
  part,
  pending,
  playlist,
  sleep,
  TRANSPORTS,
  waitHeld,
  originPerSuite,
} from '../support/origin-live.js';
import { request, startOrigin, type Running } from '../support/origin.js';
import type { OriginPush } from '../../src/origin/types.js';

/**
 * Requests for the EXT-X-PRELOAD-HINT part (draft 6.2.6): held until the part is pushed, while
 * any other missing object is still a quick 404. The default playlist hints part-6-1.m4s, which
 * resolves to live/demo/v0/part-6-1.m4s.
 */
const HINTED = '/live/demo/v0/part-6-1.m4s';

for (const [name, connect] of TRANSPORTS) {
  describe(`preload hint, pushed ${name}`, () => {
    let running: Running;
    let push: OriginPush;

    originPerSuite(connect, (r, p) => {
      running = r;
      push = p;
    });

    it('holds GET and HEAD for the hinted part, then serves the whole part when it is put', async () => {
      await push.put(playlist({}));
      const get = pending(running.base, HINTED);
      const head = pending(running.base, HINTED, 'HEAD');
      await waitHeld(running.registry, 2);
      await sleep(30);
      assert.equal(get.settled, false);
      await push.put(part(HINTED.slice(1), 'the part bytes'));
      const r = await get.promise;
      assert.equal(r.status, 200);
      assert.equal(r.body.toString(), 'the part bytes');
      assert.equal(r.headers['cache-control'], 'public, max-age=3600, immutable');
      assert.equal(r.headers['access-control-allow-origin'], '*');
      const h = await head.promise;
      assert.equal(h.status, 200);
      assert.equal(h.headers['content-length'], String('the part bytes'.length));
      assert.equal(h.body.length, 0);
      // Stored now: served at once like any object.
      assert.equal((await request(running.base, 'GET', HINTED)).status, 200);
    });

    it('answers any other missing part 404 at once, with the short lifetime', async () => {
      await push.put(playlist({ lastPart: 1, preloadHint: 'part-6-2.m4s' }));
      for (const path of ['/live/demo/v0/part-6-3.m4s', '/live/demo/v1/part-6-2.m4s']) {
        const r = await pending(running.base, path).promise;
        assert.equal(r.status, 404, path);
        assert.equal(r.headers['cache-control'], 'public, max-age=1');
        assert.ok(r.ms < 500, `${path} answered in ${r.ms} ms`);
      }
    });

    it('stops holding a part once the playlist hints another one, or has ended', async () => {
      await push.put(playlist({ lastPart: 1, preloadHint: 'part-6-2.m4s' }));
      await push.put(playlist({ lastPart: 2, preloadHint: 'part-6-3.m4s' }));
      assert.equal((await request(running.base, 'GET', '/live/demo/v0/part-6-2.m4s')).status, 404);
      await push.put(playlist({ lastMsn: 6, partMsn: 6, lastPart: 2, ended: true }));
      assert.equal((await request(running.base, 'GET', '/live/demo/v0/part-6-3.m4s')).status, 404);
    });

    it('gives up after three target durations with an uncacheable 404', async () => {
      await push.put(
        playlist({ lastPart: 3, preloadHint: 'part-6-4.m4s', targetDurationS: 0.3, partTargetS: 0.1 }),
      );
      const before = await metricValue(running.registry, 'corral_origin_blocking_total', {
        result: 'timeout',
      });
      const r = await pending(running.base, '/live/demo/v0/part-6-4.m4s').promise;
      assert.equal(r.status, 404);
      assert.equal(r.headers['cache-control'], 'no-store');
      assert.ok(r.ms >= 850 && r.ms < 2000, `held ${r.ms} ms`);
      const after = await metricValue(running.registry, 'corral_origin_blocking_total', {
        result: 'timeout',
      });
      assert.equal(after - before, 1);
      await waitHeld(running.registry, 0);
    });

    it('forgets a held request whose client went away', async () => {
      await push.put(playlist({ lastPart: 4, preloadHint: 'part-6-5.m4s' }));
      const ac = new AbortController();
      const gone = fetch(`${running.base}/live/demo/v0/part-6-5.m4s`, { signal: ac.signal }).catch(
        () => 'aborted',
      );
      await waitHeld(running.registry, 1);
      ac.abort();
      assert.equal(await gone, 'aborted');
      await waitHeld(running.registry, 0);
      assert.equal(
        await metricValue(running.registry, 'corral_origin_blocking_total', { result: 'abandoned' }),
        1,
      );
    });
  });
}

describe('LL-HLS holds with the disk store', () => {
  let dir = '';
  let running: Running;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'corral-ll-'));
    running = await startOrigin({}, await DiskStore.open({ dir, maxBytes: 1 << 20, maxObjects: 100 }));
  });
  after(async () => {
    await running.origin.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('holds and releases a blocking reload and a hinted part, delta included', async () => {
    const push = running.origin.push;
    await push.put(playlist({}, { delta: true }));
    const reload = pending(running.base, '/live/demo/v0/index.m3u8?_HLS_msn=6&_HLS_part=1&_HLS_skip=YES');
    const hinted = pending(running.base, HINTED);
    await waitHeld(running.registry, 2);
    await push.put(part(HINTED.slice(1)));
    await push.put(playlist({ lastPart: 1, preloadHint: 'part-6-2.m4s' }, { delta: true }));
    assert.match((await reload.promise).body.toString(), /# delta msn=5 part=6\.1/);
    assert.equal((await hinted.promise).status, 200);
  });
});

describe('Origin shutdown with held requests', () => {
  it('answers them at once instead of waiting out the grace period', async () => {
    const running = await startOrigin();
    await running.origin.push.put(playlist({}));
    const reload = pending(running.base, '/live/demo/v0/index.m3u8?_HLS_msn=7');
    const hinted = pending(running.base, HINTED);
    await waitHeld(running.registry, 2);
    const started = Date.now();
    await running.origin.close();
    assert.ok(Date.now() - started < 1000);
    assert.equal((await reload.promise).status, 503);
    assert.equal((await hinted.promise).status, 404);
  });
});
