import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { TestRtmpClient } from '../../test/support/ingest/rtmp-client.js';
import { metricValue, startServer, until } from '../../test/support/ingest/server.js';
import type { RtmpServerEvents } from './server.js';

const aacSeq = Buffer.from('af001190', 'hex');
const aacFrame = Buffer.from('af012100', 'hex');

function every(ms: number, f: () => void): () => void {
  const t = setInterval(f, ms);
  return () => clearInterval(t);
}

const ping = (c: TestRtmpClient, n: number) => {
  if (!c.isClosed) c.write(c.writer.userControl(6, n));
};

test('timeouts: a publish whose peer only sends pings ends after mediaTimeoutMs', async (t) => {
  const { server, target, port } = await startServer({ mediaTimeoutMs: 400 });
  const errors: RtmpServerEvents['connectionError'][] = [];
  server.on('connectionError', (e) => errors.push(e));
  const c = await TestRtmpClient.connect(port);
  let n = 0;
  const stop = every(50, () => ping(c, ++n));
  try {
    const { streamId } = await c.publish('live', 'frozen');
    c.send(8, aacSeq, { csid: 4, streamId });
    await until(() => target.streams[0]?.events.length === 1);
    const t0 = performance.now();
    await c.closed;
    const took = performance.now() - t0;
    t.diagnostic(`closed ${took.toFixed(0)} ms after the last media (mediaTimeoutMs 400)`);
    assert.ok(took >= 250 && took < 1000, `closed after ${took.toFixed(0)} ms`);
    assert.deepEqual(target.streams[0]!.ends, ['error']);
    assert.equal(errors[0]?.code, 'RTMP_TIMEOUT');
    assert.match(errors[0]!.message, /no audio or video for 400 ms/);
    assert.ok(
      c.received.some((m) => m.typeId === 4 && m.payload.readUInt16BE(0) === 7),
      'pings were answered',
    );
  } finally {
    stop();
    c.destroy();
    await server.close();
  }
});

test('timeouts: a publish that keeps sending media outlives mediaTimeoutMs', async () => {
  const { server, target, port } = await startServer({ mediaTimeoutMs: 300, firstMediaTimeoutMs: 300 });
  const c = await TestRtmpClient.connect(port);
  let streamId = 0;
  let ts = 0;
  const stop = every(50, () => {
    if (streamId) c.send(8, aacFrame, { csid: 4, streamId, timestamp: (ts += 23) });
  });
  try {
    streamId = (await c.publish('live', 'steady')).streamId;
    c.send(8, aacSeq, { csid: 4, streamId });
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(c.isClosed, false);
    assert.deepEqual(target.streams[0]!.ends, []);
    assert.ok(target.streams[0]!.events.length > 10);
  } finally {
    stop();
    c.destroy();
    await server.close();
  }
});

test('timeouts: a publish that never sends media frees its name within firstMediaTimeoutMs', async (t) => {
  const { server, target, port } = await startServer({ firstMediaTimeoutMs: 300 });
  const errors: RtmpServerEvents['connectionError'][] = [];
  server.on('connectionError', (e) => errors.push(e));
  const idle = await TestRtmpClient.connect(port);
  let n = 0;
  const stop = every(50, () => ping(idle, ++n));
  const next = await TestRtmpClient.connect(port, false, '127.0.0.2');
  try {
    const t0 = performance.now();
    await idle.publish('live', 'squat');
    assert.ok(target.live.has('live/squat'));
    await idle.closed;
    const took = performance.now() - t0;
    t.diagnostic(`slot freed ${took.toFixed(0)} ms after publishing (firstMediaTimeoutMs 300)`);
    assert.ok(took < 1000, `closed after ${took.toFixed(0)} ms`);
    assert.equal(target.live.has('live/squat'), false);
    assert.deepEqual(target.streams[0]!.ends, ['error']);
    assert.match(errors[0]!.message, /no audio or video within 300 ms of publishing/);
    // The name is free for anybody now, no takeover needed.
    assert.equal((await next.publish('live', 'squat')).info.code, 'NetStream.Publish.Start');
  } finally {
    stop();
    idle.destroy();
    next.destroy();
    await server.close();
  }
});

test('timeouts: a connection that does not publish within publishTimeoutMs of the handshake is closed', async () => {
  // The idle timeout is longer than the test: only the publish deadline can close it.
  const { server, port } = await startServer({ publishTimeoutMs: 300, idleTimeoutMs: 30_000 });
  const errors: RtmpServerEvents['connectionError'][] = [];
  server.on('connectionError', (e) => errors.push(e));
  const c = await TestRtmpClient.connect(port);
  let n = 0;
  const stop = every(50, () => ping(c, ++n));
  try {
    const t0 = performance.now();
    c.command(['connect', 1, { app: 'live' }]);
    await c.waitCommand('_result', 1);
    await c.closed;
    const took = performance.now() - t0;
    assert.ok(took >= 250 && took < 1000, `closed after ${took.toFixed(0)} ms`);
    assert.equal(errors[0]?.code, 'RTMP_TIMEOUT');
    assert.match(errors[0]!.message, /not publishing 300 ms after the handshake/);
    await until(() => server.connectionCount() === 0);
  } finally {
    stop();
    c.destroy();
    await server.close();
  }
});

function rawConnect(port: number, localAddress?: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host: '127.0.0.1', localAddress }, () => resolve(s));
    s.once('error', reject);
  });
}

test('limits: the 9th connection from one address is refused at once; the first 8 and others are fine', async () => {
  const { server, port, registry } = await startServer({ maxConnectionsPerAddress: 8 });
  const rejected: RtmpServerEvents['rejected'][] = [];
  server.on('rejected', (e) => rejected.push(e));
  const clients: TestRtmpClient[] = [];
  try {
    for (let i = 0; i < 8; i++) clients.push(await TestRtmpClient.connect(port));
    assert.equal(server.connectionCount(), 8);
    const ninth = await rawConnect(port);
    ninth.on('error', () => {});
    const t0 = performance.now();
    await new Promise((r) => (ninth.destroyed ? r(undefined) : ninth.once('close', r)));
    assert.ok(performance.now() - t0 < 500);
    assert.equal(rejected.length, 1);
    assert.equal(rejected[0]!.code, 'RTMP_LIMIT');
    assert.match(rejected[0]!.reason, /limit of 8 connections from 127\.0\.0\.1 reached/);
    assert.equal(await metricValue(registry, 'corral_rtmp_rejected_total', { code: 'RTMP_LIMIT' }), 1);

    // Another address is not affected by 127.0.0.1's count.
    const other = await TestRtmpClient.connect(port, false, '127.0.0.2');
    clients.push(other);
    assert.equal((await other.publish('live', 'elsewhere')).info.code, 'NetStream.Publish.Start');
    // The admitted eight still work.
    for (const [i, c] of clients.slice(0, 8).entries()) {
      assert.equal(c.isClosed, false);
      assert.equal((await c.publish('live', `s${i}`)).info.code, 'NetStream.Publish.Start');
    }
    // A slot freed is a slot usable again.
    clients[0]!.destroy();
    await until(() => server.connectionCount() === 8);
    clients.push(await TestRtmpClient.connect(port));
    assert.equal(server.connectionCount(), 9);
    assert.equal(rejected.length, 1);
  } finally {
    for (const c of clients) c.destroy();
    await server.close();
  }
});
