import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { describe, it } from 'node:test';
import { PassThrough } from 'node:stream';
import { isCorralError } from '../util/errors.js';
import { LimitedFetcher } from './fetch-limit.js';
import type { Fetcher } from './upstream.js';

/** Requests are started here and answered (or failed) when the test says. */
class HeldUpstream implements Fetcher {
  readonly started: string[] = [];
  readonly aborted: string[] = [];
  readonly #pending = new Map<string, { ok: (r: IncomingMessage) => void; fail: (e: Error) => void }>();

  get(
    _m: 'GET' | 'HEAD',
    path: string,
    _h: object,
    onResponse: (r: IncomingMessage) => void,
    onError: (e: Error) => void,
  ) {
    this.started.push(path);
    this.#pending.set(path, { ok: onResponse, fail: onError });
    return { abort: () => void this.aborted.push(path) };
  }

  /** Answer `path` with a body that is read to its end at once. */
  answer(path: string): void {
    const res = new PassThrough();
    this.#pending.get(path)!.ok(res as unknown as IncomingMessage);
    res.resume();
    res.end('x');
  }

  fail(path: string): void {
    this.#pending.get(path)!.fail(new Error('refused'));
  }
}

const tick = () => new Promise<void>((r) => setImmediate(r));

describe('LimitedFetcher: a tier caps its concurrent upstream fetches', () => {
  it('runs at most maxActive, queues up to maxQueued in order, refuses the rest with UPSTREAM_BUSY', async () => {
    const up = new HeldUpstream();
    let queued = 0;
    let refused = 0;
    const limit = new LimitedFetcher(up, 2, 2, { queued: () => queued++, refused: () => refused++ });
    const errors: string[] = [];
    const get = (p: string) =>
      limit.get(
        'GET',
        p,
        {},
        () => {},
        (e) => errors.push(`${p}:${isCorralError(e, 'UPSTREAM_BUSY') ? 'busy' : e.message}`),
      );
    for (const p of ['/a', '/b', '/c', '/d', '/e']) get(p);
    assert.deepEqual(up.started, ['/a', '/b']);
    assert.equal(limit.active, 2);
    assert.equal(limit.queued, 2);
    assert.deepEqual(errors, [], 'the refusal is never called back inside get()');
    await tick();
    assert.deepEqual(errors, ['/e:busy']);
    assert.deepEqual([queued, refused], [2, 1]);

    up.answer('/a');
    await tick();
    assert.deepEqual(up.started, ['/a', '/b', '/c'], 'a slot frees once the body has been read');
    up.fail('/b');
    assert.deepEqual(up.started, ['/a', '/b', '/c', '/d'], 'a failure frees its slot');
    assert.deepEqual(errors, ['/e:busy', '/b:refused']);
    assert.equal(limit.queued, 0);
  });

  it('an aborted queued fetch never starts; an aborted running one frees its slot once', async () => {
    const up = new HeldUpstream();
    const limit = new LimitedFetcher(up, 1, 10);
    const noop = () => {};
    const a = limit.get('GET', '/a', {}, noop, noop);
    const b = limit.get('GET', '/b', {}, noop, noop);
    limit.get('GET', '/c', {}, noop, noop);
    b.abort();
    a.abort();
    a.abort();
    assert.deepEqual(up.aborted, ['/a', '/a']);
    assert.deepEqual(up.started, ['/a', '/c'], '/b was cancelled while queued');
    assert.equal(limit.active, 1, 'a double abort released one slot, not two');
    await tick();
  });
});
