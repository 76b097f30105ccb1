import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bodyBytes, get, sleep, useOriginAndNode, wideAgent } from './helpers.js';

describe('single flight', () => {
  const srv = useOriginAndNode();

  for (const n of [1, 100, 5000]) {
    it(`${n} concurrent requests for one new object make exactly 1 upstream fetch`, async () => {
      const size = n > 1000 ? 4000 : 100_000;
      const path = `/obj/flight-${n}?cc=public,max-age=60&delay=400&size=${size}&dur=200`;
      const agent = wideAgent(n);
      try {
        const all = await Promise.all(Array.from({ length: n }, () => get(srv.edge.url + path, { agent })));
        const want = bodyBytes(path, size);
        for (const r of all) {
          assert.equal(r.status, 200);
          assert.ok(r.body.equals(want), 'body differs');
        }
        assert.equal(await srv.origin.count(path), 1);
        const results = new Set(all.map((r) => String(r.headers['x-cache'])));
        assert.ok(results.has('edge MISS'));
      } finally {
        agent.destroy();
      }
    });
  }

  it('waiters receive first bytes before the upstream body has finished', async () => {
    // 800 ms of body: a waiter that got bytes well before the end was streamed, not handed a copy.
    const path = '/obj/stream?cc=public,max-age=60&delay=100&size=200000&dur=800';
    const agent = wideAgent(20);
    const all = await Promise.all(Array.from({ length: 20 }, () => get(srv.edge.url + path, { agent })));
    agent.destroy();
    for (const r of all) {
      assert.ok(r.firstByteAt < r.doneAt - 400, `first byte ${r.firstByteAt} vs done ${r.doneAt}`);
    }
    assert.ok(all.some((r) => r.headers['x-cache'] === 'edge COALESCED'));
    assert.equal(await srv.origin.count(path), 1);
  });

  it('the leader client aborting does not stop the fetch for the waiters', async () => {
    const path = '/obj/leader-abort?cc=public,max-age=60&delay=300&size=50000&dur=100';
    const controller = new AbortController();
    const leader = fetch(srv.edge.url + path, { signal: controller.signal }).catch(() => 'aborted');
    await sleep(50);
    const agent = wideAgent(10);
    const waiters = Array.from({ length: 10 }, () => get(srv.edge.url + path, { agent }));
    await sleep(50);
    controller.abort();
    assert.equal(await leader, 'aborted');
    const got = await Promise.all(waiters);
    agent.destroy();
    for (const r of got) assert.ok(r.body.equals(bodyBytes(path, 50000)));
    assert.equal(await srv.origin.count(path), 1);
    assert.equal((await get(srv.edge.url + path)).headers['x-cache'], 'edge HIT');
  });

  it('requests arriving while the body streams are served the same object', async () => {
    const path = '/obj/late?cc=public,max-age=60&delay=50&size=100000&dur=400';
    const first = get(srv.edge.url + path);
    await sleep(250);
    const late = await get(srv.edge.url + path);
    assert.equal(late.headers['x-cache'], 'edge HIT');
    assert.ok(late.body.equals((await first).body));
    assert.equal(await srv.origin.count(path), 1);
  });
});

describe('cache-blocking timeout', () => {
  const srv = useOriginAndNode({}, { holdTimeoutMs: 300 });

  it('a stalled upstream hands off to exactly one new leader, whose answer is cached', async () => {
    const path = '/obj/stall?cc=public,max-age=60&stall=1&size=3000';
    const agent = wideAgent(200);
    const t0 = performance.now();
    const all = await Promise.all(Array.from({ length: 200 }, () => get(srv.edge.url + path, { agent })));
    const took = performance.now() - t0;
    agent.destroy();
    for (const r of all) assert.ok(r.body.equals(bodyBytes(path, 3000)));
    assert.equal(await srv.origin.count(path), 2, 'one stalled fetch + one hand-off');
    assert.ok(took >= 290 && took < 1500, `took ${took} ms`);
    assert.equal((await get(srv.edge.url + path)).headers['x-cache'], 'edge HIT');
    assert.equal(await srv.origin.count(path), 2);
  });
});
