import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { TestRtmpClient } from '../../test/support/ingest/rtmp-client.js';
import { startServer } from '../../test/support/ingest/server.js';
import { ingestLimitsSchema } from '../config/schema.js';
import { loadConfig } from '../config/load.js';
import { denyReason, keyMatches } from './auth.js';

const sha = (s: string) => createHash('sha256').update(s).digest();

test('auth: keyMatches accepts any listed key and nothing else, whatever the lengths', () => {
  const accepted = [sha('old'), sha('new')];
  assert.equal(keyMatches('old', accepted), true);
  assert.equal(keyMatches('new', accepted), true);
  for (const k of ['', 'ol', 'oldd', 'OLD', 'x'.repeat(10_000)])
    assert.equal(keyMatches(k, accepted), false, k);
  assert.equal(keyMatches('old', []), false);
});

test('auth: denyReason takes the JSON reason or the text, without control characters, bounded', () => {
  assert.equal(denyReason(Buffer.from('{"reason":"subscription expired"}'), 403), 'subscription expired');
  assert.equal(denyReason(Buffer.from('{"message":"no"}'), 403), 'no');
  assert.equal(denyReason(Buffer.from('  banned\r\n\u0007today '), 401), 'banned today');
  assert.equal(denyReason(Buffer.alloc(0), 500), 'refused by the authorisation service (HTTP 500)');
  assert.equal(denyReason(Buffer.from('{"reason":42}'), 403), '{"reason":42}');
  assert.equal(denyReason(Buffer.from('y'.repeat(100_000)), 403).length, 200);
});

test('config: stream keys, rotation and the callback URL are validated', () => {
  const ok = ingestLimitsSchema.parse({
    streamKeys: { 'live/a': 'k', 'live/b': ['k1', 'k2'] },
    authUrl: 'http://127.0.0.1:9/auth',
  });
  assert.deepEqual(ok.streamKeys, { 'live/a': 'k', 'live/b': ['k1', 'k2'] });
  const d = ingestLimitsSchema.parse({});
  assert.deepEqual(
    [d.publishTimeoutMs, d.firstMediaTimeoutMs, d.mediaTimeoutMs, d.maxConnectionsPerAddress],
    [10_000, 5_000, 10_000, 8],
  );
  assert.deepEqual([d.authUrl, d.authTimeoutMs, d.streamKeys], ['', 2_000, {}]);
  for (const bad of [
    { streamKeys: { 'live/a': ['k1', 'k2', 'k3'] } },
    { streamKeys: { 'live/a': [] } },
    { streamKeys: { 'live/a': '' } },
    { streamKeys: { nameonly: 'k' } },
    { authUrl: 'ftp://127.0.0.1/x' },
    { authUrl: 'not a url' },
    { mediaTimeoutMs: 0 },
    { maxConnectionsPerAddress: 0 },
  ]) {
    assert.equal(ingestLimitsSchema.safeParse(bad).success, false, JSON.stringify(bad));
  }
});

test('config: stream keys and the new limits can be set from the environment', () => {
  const c = loadConfig({
    env: {
      CORRAL_INGEST__STREAM_KEYS: '{"live/cam":["a","b"]}',
      CORRAL_INGEST__MEDIA_TIMEOUT_MS: '4000',
      CORRAL_INGEST__MAX_CONNECTIONS_PER_ADDRESS: '2',
      CORRAL_INGEST__AUTH_URL: 'https://auth.invalid/publish',
    },
  });
  assert.deepEqual(c.ingest.streamKeys, { 'live/cam': ['a', 'b'] });
  assert.equal(c.ingest.mediaTimeoutMs, 4000);
  assert.equal(c.ingest.maxConnectionsPerAddress, 2);
  assert.equal(c.ingest.authUrl, 'https://auth.invalid/publish');
});

interface Call {
  body: Record<string, unknown>;
  contentType: string | undefined;
}

/** A small authorisation service: allows "ok-*", refuses "no-*", never answers "hang-*". */
async function authService() {
  const calls: Call[] = [];
  const hung: http.ServerResponse[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
      calls.push({ body, contentType: req.headers['content-type'] });
      const name = String(body.name);
      if (name.startsWith('ok-')) return res.writeHead(204).end();
      if (name.startsWith('huge-')) return res.writeHead(403).end('z'.repeat(1 << 20));
      if (name.startsWith('no-')) {
        res.writeHead(403, { 'content-type': 'application/json' });
        return res.end(JSON.stringify({ reason: 'subscription expired' }));
      }
      hung.push(res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/auth`;
  return {
    url,
    calls,
    close: async () => {
      for (const r of hung) r.destroy();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

async function publishInfo(port: number, name: string) {
  const c = await TestRtmpClient.connect(port);
  try {
    const { info } = await c.publish('live', name);
    if (info.code !== 'NetStream.Publish.Start') await c.closed;
    return info;
  } finally {
    c.destroy();
  }
}

test('auth callback: 2xx allows, a refusal passes its reason on, no answer in time denies', async (t) => {
  const svc = await authService();
  const { server, target, port } = await startServer({ authUrl: svc.url, authTimeoutMs: 300 });
  try {
    assert.equal((await publishInfo(port, 'ok-1?key=abc')).code, 'NetStream.Publish.Start');
    assert.equal(svc.calls[0]!.contentType, 'application/json');
    const sent = svc.calls[0]!.body;
    assert.deepEqual([sent.app, sent.name, sent.key], ['live', 'ok-1', 'abc']);
    assert.match(String(sent.remote), /^127\.0\.0\.1:\d+$/);

    const denied = await publishInfo(port, 'no-1?key=abc');
    assert.equal(denied.code, 'NetStream.Publish.Unauthorized');
    assert.equal(denied.description, 'live/no-1: subscription expired');

    const huge = await publishInfo(port, 'huge-1');
    assert.equal(huge.code, 'NetStream.Publish.Unauthorized');
    assert.equal(huge.description, `live/huge-1: ${'z'.repeat(200)}`);

    const t0 = performance.now();
    const slow = await publishInfo(port, 'hang-1');
    const took = performance.now() - t0;
    t.diagnostic(`hung callback denied after ${took.toFixed(0)} ms (authTimeoutMs 300)`);
    assert.equal(slow.code, 'NetStream.Publish.Unauthorized');
    assert.match(String(slow.description), /did not answer within 300 ms/);
    assert.ok(took < 1500, `took ${took.toFixed(0)} ms`);
    assert.deepEqual(
      target.streams.map((s) => s.req.name),
      ['ok-1'],
    );
  } finally {
    await server.close();
    await svc.close();
  }
});

test('auth callback: unreachable denies; keys are checked first and a wrong one is never sent', async () => {
  const svc = await authService();
  const { server, port } = await startServer({
    authUrl: svc.url,
    streamKeys: { 'live/ok-cam': 'k1' },
  });
  try {
    assert.equal((await publishInfo(port, 'ok-cam?key=wrong')).code, 'NetStream.Publish.Unauthorized');
    assert.equal(svc.calls.length, 0);
    assert.equal((await publishInfo(port, 'ok-cam?key=k1')).code, 'NetStream.Publish.Start');
    assert.equal(svc.calls.length, 1);
  } finally {
    await server.close();
    await svc.close();
  }
  // The service is gone now: a new server pointing at it denies rather than allowing.
  const gone = await startServer({ authUrl: svc.url });
  try {
    const info = await publishInfo(gone.port, 'ok-2');
    assert.equal(info.code, 'NetStream.Publish.Unauthorized');
    assert.match(String(info.description), /unreachable/);
  } finally {
    await gone.server.close();
  }
});

test('auth callback: an allowed publisher may take a live name over (the callback vouched for it)', async () => {
  const svc = await authService();
  const { server, target, port } = await startServer({ authUrl: svc.url });
  const first = await TestRtmpClient.connect(port);
  const second = await TestRtmpClient.connect(port, false, '127.0.0.2');
  try {
    assert.equal((await first.publish('live', 'ok-show')).info.code, 'NetStream.Publish.Start');
    assert.equal((await second.publish('live', 'ok-show')).info.code, 'NetStream.Publish.Start');
    assert.deepEqual(target.streams[0]!.ends, ['disconnect']);
    await first.closed;
  } finally {
    first.destroy();
    second.destroy();
    await server.close();
    await svc.close();
  }
});
