import assert from 'node:assert/strict';
import { IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { Socket } from 'node:net';
import { describe, it } from 'node:test';
import { FakeClock } from '../util/fake-clock.js';
import { Breaker, FailoverFetcher } from './failover.js';
import type { Fetcher, UpstreamHandle } from './upstream.js';

/** An upstream that answers at once with `status`, or fails the connection when status is 0. */
class Scripted implements Fetcher {
  calls = 0;
  status = 200;
  get(
    _m: 'GET' | 'HEAD',
    _p: string,
    _h: OutgoingHttpHeaders,
    onResponse: (res: IncomingMessage) => void,
    onError: (err: Error) => void,
  ): UpstreamHandle {
    this.calls++;
    if (this.status === 0) onError(new Error('ECONNREFUSED'));
    else {
      const m = new IncomingMessage(new Socket());
      m.statusCode = this.status;
      onResponse(m);
    }
    return { abort: () => undefined };
  }
}

function fetchOnce(f: Fetcher): Promise<number> {
  return new Promise((resolve) =>
    f.get(
      'GET',
      '/x',
      {},
      (res) => resolve(res.statusCode ?? 0),
      () => resolve(-1),
    ),
  );
}

describe('circuit breaker', () => {
  it('opens after N consecutive failures, lets one probe through after the delay', () => {
    const clock = new FakeClock();
    const b = new Breaker(3, 2000, clock);
    b.failure();
    b.failure();
    assert.equal(b.state, 'closed');
    b.success();
    b.failure();
    b.failure();
    assert.equal(b.state, 'closed', 'a success resets the count');
    b.failure();
    assert.equal(b.state, 'open');
    assert.equal(b.acquire(), undefined);
    clock.advance(2000);
    assert.deepEqual(b.acquire(), { probe: true });
    assert.equal(b.acquire(), undefined, 'one probe at a time');
    b.failure();
    assert.equal(b.state, 'open', 'a failed probe re-opens');
    clock.advance(2000);
    assert.deepEqual(b.acquire(), { probe: true });
    b.success();
    assert.equal(b.state, 'closed');
    assert.deepEqual(b.acquire(), { probe: false });
  });
});

describe('failover to the fallback upstream', () => {
  it('a dead upstream fails over per request, then is skipped while its circuit is open', async () => {
    const clock = new FakeClock();
    const main = new Scripted();
    const spare = new Scripted();
    const f = new FailoverFetcher(
      [
        { name: 'shield', fetcher: main },
        { name: 'origin', fetcher: spare },
      ],
      { failures: 2, resetMs: 1000, clock },
    );
    main.status = 0;
    assert.equal(await fetchOnce(f), 200);
    assert.equal(await fetchOnce(f), 200);
    assert.deepEqual([main.calls, spare.calls], [2, 2]);
    assert.equal(f.states().shield, 'open');
    assert.equal(await fetchOnce(f), 200);
    assert.deepEqual([main.calls, spare.calls], [2, 3], 'open circuit: straight to the fallback');
    main.status = 200;
    clock.advance(1000);
    assert.equal(await fetchOnce(f), 200);
    assert.deepEqual([main.calls, spare.calls], [3, 3], 'half-open probe went to the main upstream');
    assert.equal(f.states().shield, 'closed');
  });

  it('502/504 fail over; 500, 503 and 404 are answers', async () => {
    const clock = new FakeClock();
    const main = new Scripted();
    const spare = new Scripted();
    const f = new FailoverFetcher(
      [
        { name: 'a', fetcher: main },
        { name: 'b', fetcher: spare },
      ],
      { failures: 5, resetMs: 1000, clock },
    );
    for (const s of [502, 504]) {
      main.status = s;
      assert.equal(await fetchOnce(f), 200, String(s));
    }
    for (const s of [500, 503, 404]) {
      main.status = s;
      assert.equal(await fetchOnce(f), s);
    }
  });

  it('with every circuit open the preferred upstream is still tried: nowhere else to go', async () => {
    const clock = new FakeClock();
    const main = new Scripted();
    main.status = 0;
    const f = new FailoverFetcher([{ name: 'a', fetcher: main }], { failures: 1, resetMs: 5000, clock });
    assert.equal(await fetchOnce(f), -1);
    assert.equal(f.states().a, 'open');
    main.status = 200;
    assert.equal(await fetchOnce(f), 200);
    assert.equal(main.calls, 2);
    assert.equal(f.states().a, 'closed');
  });
});
