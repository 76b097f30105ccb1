import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  metricValue,
  pending,
  playlist,
  PLAYLIST,
  sleep,
  TRANSPORTS,
  waitHeld,
  originPerSuite,
} from '../support/origin-live.js';
import { request, startOrigin, TOKEN, type Running } from '../support/origin.js';
import type { OriginPush } from '../../src/origin/types.js';

/**
 * Blocking playlist reload (draft-pantos-hls-rfc8216bis 6.2.5.2) and delta updates (6.2.5.1)
 * over real HTTP, with the playlists pushed by each transport. The default version (see
 * playlist()) has segment 5 complete and part 0 of segment 6 listed; target duration 2 s, part
 * target 0.5 s (Advance Part Limit 6 parts).
 */
for (const [name, connect] of TRANSPORTS) {
  describe(`blocking playlist reload, pushed ${name}`, () => {
    let running: Running;
    let push: OriginPush;
    const url = (q: string) => `/${PLAYLIST}?${q}`;
    const count = (result: string) =>
      metricValue(running.registry, 'corral_origin_blocking_total', { result });

    originPerSuite(connect, (r, p) => {
      running = r;
      push = p;
    });

    it('stores the playlist state and delta it was pushed with', async () => {
      const obj = playlist({}, { delta: true });
      await push.put(obj);
      const got = await running.store.get(PLAYLIST);
      assert.deepEqual(got?.live, obj.live);
      assert.deepEqual(got?.delta, obj.delta);
      assert.deepEqual(got?.body, obj.body);
    });

    it('holds a part request until a version lists the part, not before', async () => {
      await push.put(playlist({}));
      const held = pending(running.base, url('_HLS_msn=6&_HLS_part=2'));
      await waitHeld(running.registry, 1);
      await push.put(playlist({ lastPart: 1 })); // not yet
      await sleep(50);
      assert.equal(held.settled, false);
      await waitHeld(running.registry, 1);
      await push.put(playlist({ lastPart: 2 }));
      const r = await held.promise;
      assert.equal(r.status, 200);
      assert.match(r.body.toString(), /full msn=5 part=6\.2/);
      assert.equal(r.headers['cache-control'], 'public, max-age=12', 'six target durations');
      assert.equal(r.headers['access-control-allow-origin'], '*');
      assert.ok(r.headers.etag);
      await waitHeld(running.registry, 0);
    });

    it('holds a segment request until the segment is complete', async () => {
      await push.put(playlist({}));
      const held = pending(running.base, url('_HLS_msn=6'));
      await waitHeld(running.registry, 1);
      await push.put(playlist({ lastPart: 2 }));
      await sleep(30);
      assert.equal(held.settled, false, 'parts of segment 6 do not complete it');
      await push.put(playlist({ lastMsn: 6, partMsn: 6, lastPart: 2, partCounts: { 5: 3, 6: 3 } }));
      const r = await held.promise;
      assert.equal(r.status, 200);
      assert.match(r.body.toString(), /full msn=6/);
    });

    it('answers a satisfied request at once with the blocking lifetime; plain GETs keep theirs', async () => {
      await push.put(playlist({}));
      for (const q of ['_HLS_msn=5', '_HLS_msn=6&_HLS_part=0', '_HLS_msn=2&_HLS_part=9']) {
        const r = await request(running.base, 'GET', url(q));
        assert.equal(r.status, 200, q);
        assert.equal(r.headers['cache-control'], 'public, max-age=12', q);
      }
      const plain = await request(running.base, 'GET', `/${PLAYLIST}`);
      assert.equal(
        plain.headers['cache-control'],
        'public, max-age=1, stale-while-revalidate=1, stale-if-error=30',
      );
      const head = await request(running.base, 'HEAD', url('_HLS_msn=5'));
      assert.equal(head.status, 200);
      assert.equal(head.body.length, 0);
    });

    it('answers 400 at once for bad directives and requests too far ahead', async () => {
      await push.put(playlist({}));
      const before = await count('bad_request');
      const bad = [
        '_HLS_part=1', // part without msn
        '_HLS_msn=8', // more than last msn (5) + 2
        '_HLS_msn=x',
        '_HLS_msn=6.0',
        '_HLS_msn=6&_HLS_part=-1',
        '_HLS_msn=6&_HLS_part=7', // 7 parts past the last listed (6.0): over the limit of 6
        '_HLS_msn=6&_HLS_skip=NO',
      ];
      for (const q of bad) {
        const r = await request(running.base, 'GET', url(q));
        assert.equal(r.status, 400, q);
        assert.equal(r.headers['cache-control'], 'no-store', q);
      }
      assert.equal((await count('bad_request')) - before, bad.length);
    });

    it('answers 503 after three target durations', async () => {
      await push.put(playlist({ targetDurationS: 0.3, partTargetS: 0.1 }));
      const before = await count('timeout');
      const r = await pending(running.base, url('_HLS_msn=6')).promise;
      assert.equal(r.status, 503);
      assert.equal(r.headers['cache-control'], 'no-store');
      assert.equal(r.headers['retry-after'], '1');
      assert.ok(r.ms >= 850 && r.ms < 2000, `held ${r.ms} ms`);
      assert.equal((await count('timeout')) - before, 1);
      await waitHeld(running.registry, 0);
    });

    it('rolls a part past the end of its segment over to part 0 of the next', async () => {
      // Segment 5 had 3 parts; segment 6 has none listed yet.
      await push.put(playlist({ lastPart: -1 }));
      const held = pending(running.base, url('_HLS_msn=5&_HLS_part=3'));
      await waitHeld(running.registry, 1);
      await sleep(30);
      assert.equal(held.settled, false, 'part 5.3 means 6.0, although segment 5 is complete');
      await push.put(playlist({ lastPart: 0 }));
      const r = await held.promise;
      assert.equal(r.status, 200);
      assert.match(r.body.toString(), /part=6\.0/);
    });

    it('serves the delta for _HLS_skip, blocking or not, and the full playlist without one', async () => {
      await push.put(playlist({}, { delta: true }));
      const full = await request(running.base, 'GET', `/${PLAYLIST}`);
      const skip = await request(running.base, 'GET', url('_HLS_skip=YES'));
      assert.match(skip.body.toString(), /^#EXTM3U\n#EXT-X-SKIP/);
      assert.notEqual(skip.headers.etag, full.headers.etag);
      assert.equal(
        skip.headers['cache-control'],
        'public, max-age=1, stale-while-revalidate=1, stale-if-error=30',
      );
      const blocking = await request(running.base, 'GET', url('_HLS_msn=6&_HLS_part=0&_HLS_skip=v2'));
      assert.match(blocking.body.toString(), /# delta msn=5 part=6\.0/);
      assert.equal(blocking.headers['cache-control'], 'public, max-age=12');

      const held = pending(running.base, url('_HLS_msn=6&_HLS_part=1&_HLS_skip=YES'));
      await waitHeld(running.registry, 1);
      await push.put(playlist({ lastPart: 1 }, { delta: true }));
      assert.match((await held.promise).body.toString(), /# delta msn=5 part=6\.1/);

      await push.put(playlist({ lastPart: 1 }));
      const noDelta = await request(running.base, 'GET', url('_HLS_skip=YES'));
      assert.match(noDelta.body.toString(), /# full/);
    });

    it('ignores directives on ended and on plain (ttl) playlists', async () => {
      await push.put(playlist({ lastMsn: 6, partMsn: 6, lastPart: 2, ended: true }));
      const ended = await request(running.base, 'GET', url('_HLS_msn=99&_HLS_part=1'));
      assert.equal(ended.status, 200);
      assert.match(ended.body.toString(), /ended/);

      const { live: _live, ...plain } = playlist({});
      await push.put(plain);
      for (const q of ['_HLS_msn=99', '_HLS_part=1', '_HLS_msn=x']) {
        const r = await request(running.base, 'GET', url(q));
        assert.equal(r.status, 200, q);
        assert.equal(
          r.headers['cache-control'],
          'public, max-age=1, stale-while-revalidate=1, stale-if-error=30',
          q,
        );
      }
    });

    it('releases held requests when the playlist ends or is removed', async () => {
      await push.put(playlist({}));
      const waiting = pending(running.base, url('_HLS_msn=7'));
      await waitHeld(running.registry, 1);
      await push.put(playlist({ lastMsn: 6, partMsn: 6, lastPart: 2, ended: true }));
      const r = await waiting.promise;
      assert.equal(r.status, 200);
      assert.match(r.body.toString(), /ended/);

      await push.put(playlist({}));
      const one = pending(running.base, url('_HLS_msn=7'));
      const two = pending(running.base, url('_HLS_msn=6&_HLS_part=1'));
      await waitHeld(running.registry, 2);
      await push.remove(PLAYLIST);
      assert.equal((await one.promise).status, 404);
      await push.put(playlist({}));
      const three = pending(running.base, url('_HLS_msn=7'));
      await waitHeld(running.registry, 1);
      await push.remove('live/demo/');
      for (const r of [await two.promise, await three.promise]) {
        assert.equal(r.status, 404);
        assert.equal(r.headers['cache-control'], 'no-store');
      }
    });

    it('releases 500 held requests with one put, in the same event', async () => {
      await push.put(playlist({}));
      const satisfied = await count('satisfied');
      const all = Array.from({ length: 500 }, () => pending(running.base, url('_HLS_msn=6&_HLS_part=1')));
      await waitHeld(running.registry, 500);
      await push.put(playlist({ lastPart: 1 }));
      // Every held request was answered before the put returned: one pass, no polling.
      assert.equal(await metricValue(running.registry, 'corral_origin_blocked_requests'), 0);
      assert.equal((await count('satisfied')) - satisfied, 500);
      const replies = await Promise.all(all.map((p) => p.promise));
      assert.ok(replies.every((r) => r.status === 200 && /part=6\.1/.test(r.body.toString())));
    });
  });
}

describe('HTTP push of playlist state', () => {
  let running: Running;
  before(async () => {
    running = await startOrigin();
  });
  after(() => running.origin.close());

  const put = (headers: Record<string, string>, body = 'playlist') =>
    request(running.base, 'PUT', '/live/x/v/index.m3u8', {
      headers: {
        authorization: `Bearer ${TOKEN}`,
        'x-corral-kind': 'playlist',
        'content-type': 'application/vnd.apple.mpegurl',
        ...headers,
      },
      body,
    });
  const state = JSON.stringify(playlist({}).live);

  it('refuses a malformed state, a bad delta length, and a state on a segment', async () => {
    const cases: Array<[string, Record<string, string>]> = [
      ['not JSON', { 'x-corral-live': '{nope' }],
      ['bad state', { 'x-corral-live': JSON.stringify({ ...playlist({}).live, lastMsn: 'x' }) }],
      ['delta longer than the body', { 'x-corral-live': state, 'x-corral-delta-length': '99' }],
      ['delta length not a number', { 'x-corral-delta-length': '1e2' }],
      ['state on a segment', { 'x-corral-live': state, 'x-corral-kind': 'segment' }],
    ];
    for (const [why, headers] of cases) assert.equal((await put(headers)).status, 400, why);
    assert.equal(await running.store.get('live/x/v/index.m3u8'), undefined);
  });

  it('splits the delta off the end of the body', async () => {
    assert.equal(
      (await put({ 'x-corral-live': state, 'x-corral-delta-length': '5' }, 'fulldelta')).status,
      201,
    );
    const got = await running.store.get('live/x/v/index.m3u8');
    assert.equal(got?.body.toString(), 'full');
    assert.equal(got?.delta?.toString(), 'delta');
    assert.deepEqual(got?.live, JSON.parse(state));
  });
});
