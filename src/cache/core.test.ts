import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import {
  IncomingMessage,
  type IncomingHttpHeaders,
  type OutgoingHttpHeaders,
  type ServerResponse,
} from 'node:http';
import { Socket } from 'node:net';
import { describe, it } from 'node:test';
import { FakeClock } from '../util/fake-clock.js';
import { CacheCore, type CoreSettings } from './core.js';
import type { Entry } from './entry.js';
import type { CacheMonitor } from './monitor.js';
import type { Fetcher, UpstreamHandle } from './upstream.js';
import type { Answerer, CacheResult, Waiter } from './waiter.js';

/** One request the core sent to the in-memory origin, answered when the test says so. */
interface Sent {
  path: string;
  headers: OutgoingHttpHeaders;
  aborted: boolean;
  respond(status: number, headers: IncomingHttpHeaders, body?: string): void;
}

/** The cache's Fetcher over memory: nothing is answered until the test calls respond(). */
class MemoryOrigin implements Fetcher {
  readonly sent: Sent[] = [];

  get(
    _method: 'GET' | 'HEAD',
    path: string,
    headers: OutgoingHttpHeaders,
    onResponse: (res: IncomingMessage) => void,
    _onError: (err: Error) => void,
  ): UpstreamHandle {
    const s: Sent = {
      path,
      headers,
      aborted: false,
      respond(status, h, body = '') {
        if (s.aborted) return;
        const m = new IncomingMessage(new Socket());
        m.statusCode = status;
        m.headers = { ...h, 'content-length': String(Buffer.byteLength(body)) };
        onResponse(m);
        if (body !== '') m.push(Buffer.from(body));
        m.complete = true;
        m.push(null);
      },
    };
    this.sent.push(s);
    return { abort: () => void (s.aborted = true) };
  }

  fetchesOf(path: string): Sent[] {
    return this.sent.filter((s) => s.path === path);
  }
}

interface Delivered {
  w: Waiter;
  e: Entry;
  result: CacheResult;
}

/** Stands in for the HTTP front: records who got which entry. */
class RecordingAnswerer implements Answerer {
  readonly delivered: Delivered[] = [];
  readonly passed: Waiter[] = [];

  deliver(w: Waiter, e: Entry, result: CacheResult): void {
    this.delivered.push({ w, e, result });
  }

  passThrough(w: Waiter): void {
    this.passed.push(w);
  }

  direct(w: Waiter): void {
    this.passed.push(w);
  }

  of(w: Waiter): Delivered | undefined {
    return this.delivered.find((d) => d.w === w);
  }
}

function waiter(url: string): Waiter {
  const res = Object.assign(new EventEmitter(), {
    destroyed: false,
    destroy() {
      if (res.destroyed) return;
      res.destroyed = true;
      res.emit('close');
    },
  });
  const req = { url, method: 'GET', headers: {}, socket: { remoteAddress: '192.0.2.1' } };
  return {
    req: req as unknown as IncomingMessage,
    res: res as unknown as ServerResponse,
    started: 0,
    result: 'MISS',
    peer: false,
  };
}

const settings: CoreSettings = {
  name: 'edge',
  holdTimeoutMs: 2_000,
  maxAttempts: 2,
  maxObjectBytes: 1 << 20,
  maxBytes: 64 << 20,
  futureMaxAhead: 2,
  futureHoldFactor: 1.5,
  defaults: { staleIfErrorMs: 0, notFoundTtlMs: 0 },
};

function setup(overrides: Partial<CoreSettings> = {}) {
  const clock = new FakeClock();
  const origin = new MemoryOrigin();
  const answer = new RecordingAnswerer();
  let parked = 0;
  const monitor: CacheMonitor = {
    upstreamStatus: () => {},
    parked: (d) => void (parked += d),
    holdOutcome: () => {},
    log: () => {},
  };
  const core = new CacheCore({ ...settings, ...overrides }, { clock, upstream: origin, answer, monitor });
  const ask = (url: string, n = 1) =>
    Array.from({ length: n }, () => {
      const w = waiter(url);
      core.lookup(w);
      return w;
    });
  return { clock, origin, answer, core, ask, parked: () => parked };
}

/** Let the in-memory response stream its body: stream events, not timers. */
const bodyFlows = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('CacheCore on a fake clock with an in-memory origin', () => {
  it('coalesces a miss, hands off exactly once on the cache-blocking timeout, and refetches after max-age', async () => {
    const { clock, origin, answer, core, ask, parked } = setup();
    const start = clock.now();

    // 1. A coalesced miss: 50 concurrent requests, one upstream fetch, one shared entry.
    const crowd = ask('/seg/1.m4s', 50);
    assert.equal(origin.sent.length, 1);
    assert.equal(parked(), 50);
    assert.equal(answer.delivered.length, 0);
    origin.sent[0]!.respond(200, { 'cache-control': 'max-age=20', etag: '"v1"' }, 'segment-one');
    assert.equal(answer.delivered.length, 50);
    assert.equal(parked(), 0);
    assert.equal(new Set(answer.delivered.map((d) => d.e)).size, 1, 'everyone shares one entry');
    assert.deepEqual(
      [answer.of(crowd[0]!)!.result, answer.of(crowd[1]!)!.result, answer.of(crowd[49]!)!.result],
      ['MISS', 'COALESCED', 'COALESCED'],
    );
    await bodyFlows();
    assert.equal(answer.delivered[0]!.e.body.concat().toString(), 'segment-one');
    assert.equal(core.flights, 0);

    // 2. A cache-blocking hand-off: the upstream stalls; the leader's viewer leaving changes
    //    nothing; at the timeout exactly one new fetch leads, and its answer serves everyone.
    const stalled = ask('/seg/2.m4s', 10);
    assert.equal(origin.fetchesOf('/seg/2.m4s').length, 1);
    stalled[0]!.res.destroy();
    clock.advance(settings.holdTimeoutMs - 1);
    assert.equal(origin.fetchesOf('/seg/2.m4s').length, 1, 'no hand-off before the timeout');
    clock.advance(1);
    assert.equal(origin.fetchesOf('/seg/2.m4s').length, 2, 'exactly one new leader fetch');
    clock.advance(settings.holdTimeoutMs * 5);
    assert.equal(origin.fetchesOf('/seg/2.m4s').length, 2, 'no more than maxAttempts fetches');
    const late = ask('/seg/2.m4s', 5);
    assert.equal(origin.fetchesOf('/seg/2.m4s').length, 2, 'late arrivals join the same flight');
    const [first, second] = origin.fetchesOf('/seg/2.m4s');
    second!.respond(200, { 'cache-control': 'max-age=60' }, 'segment-two');
    assert.equal(first!.aborted, true, 'the stalled fetch is given up once another answers');
    for (const w of [...stalled.slice(1), ...late]) assert.equal(answer.of(w)?.e.status, 200);
    assert.equal(answer.of(stalled[0]!), undefined, 'the viewer who left gets nothing');
    assert.equal(parked(), 0);
    await bodyFlows();

    // 3. Expiry on the fake clock: fresh until max-age, then one conditional refetch for all.
    assert.equal(clock.now() - start, 12_000);
    clock.advance(20_000 - 12_000 - 1); // segment one is 19.999 s old
    const hit = ask('/seg/1.m4s', 3);
    assert.equal(answer.of(hit[0]!)!.result, 'HIT');
    assert.equal(origin.fetchesOf('/seg/1.m4s').length, 1);
    clock.advance(1);
    const expired = ask('/seg/1.m4s', 20);
    const refetches = origin.fetchesOf('/seg/1.m4s');
    assert.equal(refetches.length, 2, 'one refetch for twenty requests');
    assert.equal(refetches[1]!.headers['if-none-match'], '"v1"', 'revalidated with the stored ETag');
    refetches[1]!.respond(304, { 'cache-control': 'max-age=20', etag: '"v1"' });
    for (const w of expired) assert.equal(answer.of(w)?.e.status, 200);
    const refreshed = answer.of(expired[0]!)!.e;
    assert.equal(refreshed.body.concat().toString(), 'segment-one', 'the 304 kept the body');
    clock.advance(19_999);
    assert.equal(answer.of(ask('/seg/1.m4s')[0]!)!.result, 'HIT', 'the 304 restarted the lifetime');
    assert.equal(origin.fetchesOf('/seg/1.m4s').length, 2);
    core.close();
    assert.equal(clock.pending, 0, 'no timers left behind');
  });

  it('serves stale inside stale-while-revalidate and refreshes in the background once', async () => {
    const { clock, origin, answer, ask } = setup();
    ask('/live/a.m4s');
    origin.sent[0]!.respond(200, { 'cache-control': 'max-age=1, stale-while-revalidate=5' }, 'old');
    await bodyFlows();
    clock.advance(1_500);
    const stale = ask('/live/a.m4s', 5);
    for (const w of stale) assert.equal(answer.of(w)!.result, 'STALE');
    assert.equal(origin.sent.length, 2, 'one background refresh for five stale answers');
    origin.sent[1]!.respond(200, { 'cache-control': 'max-age=1' }, 'new');
    await bodyFlows();
    const fresh = ask('/live/a.m4s')[0]!;
    assert.equal(answer.of(fresh)!.result, 'HIT');
    assert.equal(answer.of(fresh)!.e.body.concat().toString(), 'new');
  });

  it('playlistRefreshFirst always: the first request for an expired live playlist waits for the refresh, later ones get STALE meanwhile', async () => {
    const { clock, origin, answer, core, ask } = setup({ playlistRefreshFirst: 'always' });
    const url = '/live/p/index.m3u8';
    const pl = (seq: number) =>
      `#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:${seq}\n#EXTINF:2.0,\nseg-${seq}.m4s\n`;
    const type = { 'content-type': 'application/vnd.apple.mpegurl', etag: '"v1"' };
    // The origin allows 6 s and stale-while-revalidate: capped at half a target duration (1 s).
    const cc = { ...type, 'cache-control': 'max-age=6, stale-while-revalidate=6' };
    ask(url);
    origin.sent[0]!.respond(200, cc, pl(10));
    await bodyFlows();
    clock.advance(1_500);
    assert.equal(core.quickAnswer(url, {}, undefined), undefined, 'no quick STALE before a refresh runs');
    const [first] = ask(url);
    assert.equal(answer.of(first!), undefined, 'the first request after expiry waits');
    assert.equal(origin.sent.length, 2);
    assert.equal(origin.sent[1]!.headers['if-none-match'], '"v1"');
    const meanwhile = ask(url, 3);
    for (const w of meanwhile) assert.equal(answer.of(w)!.result, 'STALE');
    assert.equal(core.quickAnswer(url, {}, undefined)?.result, 'STALE', 'quick STALE while it runs');
    assert.equal(origin.sent.length, 2, 'one refresh');
    origin.sent[1]!.respond(200, { ...cc, etag: '"v2"' }, pl(11));
    await bodyFlows();
    assert.match(
      answer.of(first!)!.e.body.concat().toString(),
      /seg-11/,
      'the waiting request got the new one',
    );
    // A 304 renews it with the origin's headers again: still capped at 1 s, still refresh-first.
    clock.advance(1_500);
    const [second] = ask(url);
    assert.equal(answer.of(second!), undefined);
    origin.sent[2]!.respond(304, { ...cc, etag: '"v2"' });
    assert.equal(answer.of(second!)!.e.status, 200);
    clock.advance(999);
    assert.equal(answer.of(ask(url)[0]!)!.result, 'HIT');
    clock.advance(2);
    const [third] = ask(url);
    assert.equal(answer.of(third!), undefined, 'the renewed copy lived 1 s, not 6');
    assert.equal(origin.sent.length, 4);
    core.close();
  });

  it('keeps a shared upstream error at most one second, then asks again', async () => {
    const { clock, origin, answer, ask } = setup();
    const first = ask('/seg/9.m4s', 3);
    origin.sent[0]!.respond(503, { 'cache-control': 'max-age=60' }, 'busy');
    for (const w of first) assert.equal(answer.of(w)!.e.status, 503);
    await bodyFlows();
    clock.advance(999);
    ask('/seg/9.m4s');
    assert.equal(origin.sent.length, 1);
    clock.advance(1);
    ask('/seg/9.m4s');
    assert.equal(origin.sent.length, 2);
  });

  it('drops a live segment from the store once its lifetime is over, and stops sweeping when empty', async () => {
    const { clock, origin, core, ask } = setup();
    ask('/live/seg-1.m4s');
    origin.sent[0]!.respond(200, { 'cache-control': 'public, max-age=45, immutable' }, 'media');
    await bodyFlows();
    assert.equal(core.store.objects, 1);
    assert.equal(clock.pending, 1, 'one sweep timer while something is stored');
    clock.advance(44_000);
    assert.equal(core.store.objects, 1, 'kept while it can be asked for');
    clock.advance(2_000);
    assert.equal(core.store.objects, 0, 'gone within a second of its lifetime');
    assert.equal(clock.pending, 0, 'no sweep timer for an empty store');
  });

  it('an upstream that answers nothing: after the cache-blocking timeout waiters get the stale copy, later ones at once', async () => {
    const { clock, origin, answer, ask, core } = setup();
    ask('/live/a.m3u8');
    origin.sent[0]!.respond(200, { 'cache-control': 'max-age=1, stale-if-error=30' }, 'v1');
    await bodyFlows();
    clock.advance(5_000);
    const early = ask('/live/a.m3u8', 3);
    assert.equal(origin.sent.length, 2, 'one refetch');
    assert.equal(answer.of(early[0]!), undefined, 'waiting on the upstream');
    clock.advance(2_000); // the cache-blocking timeout: a hand-off fetch, and the stale copy now
    for (const w of early) assert.equal(answer.of(w)!.result, 'STALE');
    assert.equal(answer.of(early[0]!)!.e.body.concat().toString(), 'v1');
    assert.equal(origin.sent.length, 3, 'the hand-off fetch went out too');
    const late = ask('/live/a.m3u8')[0]!;
    assert.equal(answer.of(late)!.result, 'STALE', 'a joiner of the slow flight is not parked');
    origin.sent[2]!.respond(200, { 'cache-control': 'max-age=1' }, 'v2');
    await bodyFlows();
    assert.equal(core.store.get('/live/a.m3u8')!.body.concat().toString(), 'v2', 'the store was refreshed');
  });
});
