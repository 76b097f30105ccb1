import assert from 'node:assert/strict';
import http from 'node:http';
import { describe, it } from 'node:test';
import { isCorralError } from '../../src/util/errors.js';
import { HttpPush } from '../../src/origin/http-push.js';
import { closedPort, startOrigin, TOKEN } from '../support/origin.js';
import type { PushObject } from '../../src/origin/types.js';

const seg: PushObject = {
  path: 'live/x/v/seg1.m4s',
  kind: 'segment',
  contentType: 'video/mp4',
  body: Buffer.from('seg'),
};

/** A server answering every request with `handler`, counting requests. */
async function fakeOrigin(handler: http.RequestListener) {
  let count = 0;
  const server = http.createServer((req, res) => {
    count++;
    handler(req, res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as { port: number };
  return {
    base: `http://127.0.0.1:${port}`,
    get count() {
      return count;
    },
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}

describe('HttpPush failures', () => {
  it('surfaces PUSH_UNAUTHORIZED at once, without retrying', async () => {
    const running = await startOrigin();
    let seen = 0;
    const counting = http.createServer((req, res) => {
      seen++;
      running.origin.handle(req, res);
    });
    await new Promise<void>((r) => counting.listen(0, '127.0.0.1', () => r()));
    const { port } = counting.address() as { port: number };
    const push = new HttpPush({
      baseUrl: `http://127.0.0.1:${port}`,
      token: 'wrong',
      retries: 3,
      backoffMs: 1,
    });
    try {
      await assert.rejects(
        push.put(seg),
        (e: unknown) => isCorralError(e, 'PUSH_UNAUTHORIZED') && !e.recoverable,
      );
      await assert.rejects(push.remove('live/x/'), (e: unknown) => isCorralError(e, 'PUSH_UNAUTHORIZED'));
      assert.equal(seen, 2, 'one request per call');
      assert.equal(running.store.stats().objects, 0);
    } finally {
      push.close();
      counting.closeAllConnections();
      await new Promise<void>((r) => counting.close(() => r()));
      await running.origin.close();
    }
  });

  it('does not retry other 4xx answers', async () => {
    const fake = await fakeOrigin((_req, res) => res.writeHead(400).end('bad kind'));
    const push = new HttpPush({ baseUrl: fake.base, token: TOKEN, retries: 3, backoffMs: 1 });
    try {
      await assert.rejects(
        push.put(seg),
        (e: unknown) => isCorralError(e, 'PUSH_FAILED') && !e.recoverable && /400.*bad kind/.test(e.message),
      );
      assert.equal(fake.count, 1);
    } finally {
      push.close();
      await fake.close();
    }
  });

  it('retries 5xx a bounded number of times, then fails with PUSH_FAILED', async () => {
    const fake = await fakeOrigin((req, res) => {
      req.resume();
      res.writeHead(503).end('busy');
    });
    const push = new HttpPush({ baseUrl: fake.base, token: TOKEN, retries: 2, backoffMs: 5 });
    try {
      await assert.rejects(push.put(seg), (e: unknown) => isCorralError(e, 'PUSH_FAILED') && e.recoverable);
      assert.equal(fake.count, 3, 'first attempt plus two retries');
    } finally {
      push.close();
      await fake.close();
    }
  });

  it('recovers when a retry succeeds', async () => {
    let n = 0;
    const fake = await fakeOrigin((req, res) => {
      req.resume();
      res.writeHead(++n === 1 ? 502 : 201).end();
    });
    const push = new HttpPush({ baseUrl: fake.base, token: TOKEN, retries: 2, backoffMs: 5 });
    try {
      await push.put(seg);
      assert.equal(fake.count, 2);
    } finally {
      push.close();
      await fake.close();
    }
  });

  it('fails with PUSH_FAILED after bounded retries when the origin is down', async () => {
    const port = await closedPort();
    const push = new HttpPush({
      baseUrl: `http://127.0.0.1:${port}`,
      token: TOKEN,
      retries: 2,
      backoffMs: 5,
      timeoutMs: 200,
    });
    const started = Date.now();
    try {
      await assert.rejects(
        push.put(seg),
        (e: unknown) =>
          isCorralError(e, 'PUSH_FAILED') && e.recoverable && /after 3 attempts/.test(e.message),
      );
      assert.ok(Date.now() - started < 2000, 'bounded and quick');
    } finally {
      push.close();
    }
  });

  it('times out an origin that never answers', async () => {
    const fake = await fakeOrigin(() => undefined);
    const push = new HttpPush({ baseUrl: fake.base, token: TOKEN, retries: 1, backoffMs: 5, timeoutMs: 100 });
    try {
      await assert.rejects(
        push.put(seg),
        (e: unknown) => isCorralError(e, 'PUSH_FAILED') && /timed out/.test(e.message),
      );
      assert.equal(fake.count, 2);
    } finally {
      push.close();
      await fake.close();
    }
  });

  it('sends bearer auth, kind, max-age and an encoded path under the base path', async () => {
    const seen: Array<{ method?: string; url?: string; headers: http.IncomingHttpHeaders; body: string }> =
      [];
    const fake = await fakeOrigin((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        seen.push({
          method: req.method,
          url: req.url,
          headers: req.headers,
          body: Buffer.concat(chunks).toString(),
        });
        res.writeHead(req.method === 'PUT' ? 201 : 204).end();
      });
    });
    const push = new HttpPush({ baseUrl: `${fake.base}/o/`, token: TOKEN, backoffMs: 1 });
    try {
      await push.put({
        path: 'live/a b/index.m3u8',
        kind: 'playlist',
        contentType: 'x/y',
        body: Buffer.from('pl'),
        maxAgeS: 0.5,
      });
      await push.remove('live/a b/');
      assert.equal(seen[0]?.method, 'PUT');
      assert.equal(seen[0]?.url, '/o/live/a%20b/index.m3u8');
      assert.equal(seen[0]?.headers.authorization, `Bearer ${TOKEN}`);
      assert.equal(seen[0]?.headers['x-corral-kind'], 'playlist');
      assert.equal(seen[0]?.headers['x-corral-max-age'], '0.5');
      assert.equal(seen[0]?.headers['content-type'], 'x/y');
      assert.equal(seen[0]?.body, 'pl');
      assert.equal(seen[1]?.method, 'DELETE');
      assert.equal(seen[1]?.url, '/o/live/a%20b/');
    } finally {
      push.close();
      await fake.close();
    }
  });

  it('refuses to push after close()', async () => {
    const push = new HttpPush({ baseUrl: 'http://127.0.0.1:9', token: TOKEN });
    push.close();
    await assert.rejects(push.put(seg), (e: unknown) => isCorralError(e, 'PUSH_FAILED'));
  });
});

describe('HttpPush knows when the origin restarted', () => {
  it('reports the origin instance of each push answer: a new process, a new value', async () => {
    const first = await startOrigin();
    const second = await startOrigin();
    const push = new HttpPush({ baseUrl: first.base, token: TOKEN, retries: 0 });
    try {
      assert.equal(push.originInstance(), undefined);
      await push.put(seg);
      const a = push.originInstance();
      assert.match(a ?? '', /^[0-9a-f-]{36}$/);
      await push.put(seg);
      assert.equal(push.originInstance(), a, 'the same process keeps its value');
      const other = new HttpPush({ baseUrl: second.base, token: TOKEN, retries: 0 });
      await other.put(seg);
      assert.notEqual(other.originInstance(), a);
      other.close();
      const stranger = new HttpPush({ baseUrl: first.base, token: 'wrong', retries: 0 });
      await assert.rejects(stranger.put(seg));
      assert.equal(stranger.originInstance(), undefined, 'told only to the token holder');
      stranger.close();
    } finally {
      push.close();
      await first.origin.close();
      await second.origin.close();
    }
  });

  it('probes once: any answer (a 404 too) resolves, nothing listening rejects at once', async () => {
    const running = await startOrigin();
    const push = new HttpPush({ baseUrl: running.base, token: TOKEN, retries: 5, backoffMs: 1000 });
    const down = new HttpPush({ baseUrl: `http://127.0.0.1:${await closedPort()}`, token: TOKEN });
    try {
      await push.probe('live/none/index.m3u8');
      const t0 = Date.now();
      await assert.rejects(down.probe('live/none/index.m3u8'));
      assert.ok(Date.now() - t0 < 500, 'no retries, no backoff');
    } finally {
      push.close();
      down.close();
      await running.origin.close();
    }
  });
});
