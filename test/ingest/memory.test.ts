import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import tls from 'node:tls';
import { TestRtmpClient } from '../support/ingest/rtmp-client.js';
import { RecordingTarget } from '../support/ingest/recording-target.js';
import { startServer, until } from '../support/ingest/server.js';
import { ingestLimitsSchema, type IngestLimits } from '../../src/config/schema.js';
import { silentLogger } from '../../src/util/logger.js';
import {
  ConnectionMemory,
  MemoryBudget,
  QUEUED_WRITE_COST,
  TLS_CONNECTION_COST,
} from '../../src/ingest/memory.js';
import type { CorralError } from '../../src/util/errors.js';
import { RtmpServer, type RtmpServerEvents } from '../../src/ingest/server.js';
import type { Authorization, PublishAuthorizer } from '../../src/ingest/auth.js';
import { selfSignedCert } from '../../src/ingest/self-signed.js';

async function startTlsServer(limits: Partial<IngestLimits>, auth?: PublishAuthorizer) {
  const { cert, key } = await selfSignedCert(['corral.test']);
  const target = new RecordingTarget();
  const server = new RtmpServer({
    target,
    limits: { ...ingestLimitsSchema.parse({}), ...limits },
    apps: ['live'],
    logger: silentLogger(),
    auth,
  });
  const { port } = await server.listenTls(0, '127.0.0.1', { cert, key });
  return { server, target, port };
}

/** The bytes a real client opens TLS with, to replay on connections that then go silent. */
async function clientHello(): Promise<Buffer> {
  const capture = net.createServer();
  await new Promise<void>((r) => capture.listen(0, '127.0.0.1', r));
  try {
    return await new Promise<Buffer>((resolve) => {
      capture.once('connection', (s) => s.once('data', (d: Buffer) => (resolve(d), s.destroy())));
      const c = tls.connect({
        port: (capture.address() as net.AddressInfo).port,
        host: '127.0.0.1',
        rejectUnauthorized: false,
      });
      c.on('error', () => {});
    });
  } finally {
    capture.close();
  }
}

function tcp(port: number, first?: Buffer): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => {
      if (first) s.write(first);
      resolve(s);
    });
    s.on('error', () => {});
    s.once('error', reject);
    // Read (and drop) what the server sends, or the peer's close would never be seen.
    s.resume();
  });
}

test('memory: 50 TLS handshakes that stall are charged, then closed at handshakeTimeoutMs; RTMPS publish works', async () => {
  const timeoutMs = 1000;
  const { server, target, port } = await startTlsServer({
    handshakeTimeoutMs: timeoutMs,
    maxConnectionsPerAddress: 100,
  });
  const errors: RtmpServerEvents['connectionError'][] = [];
  server.on('connectionError', (e) => errors.push(e));
  const hello = await clientHello();
  const t0 = performance.now();
  // Half stop after the ClientHello (the server's state is allocated, its flight sent), half
  // never say anything.
  const stalled = await Promise.all(
    Array.from({ length: 50 }, (_, i) => tcp(port, i % 2 ? hello : undefined)),
  );
  const closed = stalled.map(
    (s) => new Promise<number>((r) => s.once('close', () => r(performance.now() - t0))),
  );
  try {
    await until(() => server.connectionCount() === 50);
    assert.ok(server.heldBytes() >= 50 * TLS_CONNECTION_COST, `${server.heldBytes()} bytes charged`);

    const c = await TestRtmpClient.connect(port, true);
    assert.equal((await c.publish('live', 'secure')).info.code, 'NetStream.Publish.Start');
    assert.ok(
      stalled.every((s) => !s.destroyed),
      'the stalled handshakes were still open meanwhile',
    );

    const times = await Promise.all(closed);
    assert.ok(Math.min(...times) >= timeoutMs * 0.8, `first closed after ${Math.min(...times)} ms`);
    assert.ok(Math.max(...times) < timeoutMs + 1500, `last closed after ${Math.max(...times)} ms`);
    await until(() => server.connectionCount() === 1);
    assert.equal(errors.length, 50);
    assert.ok(
      errors.every((e) => e.code === 'RTMP_HANDSHAKE' && /no TLS handshake within 1000 ms/.test(e.message)),
    );
    // Only the publisher's own TLS state and buffers are charged now.
    assert.ok(server.heldBytes() < 2 * TLS_CONNECTION_COST, `${server.heldBytes()} bytes charged`);
    assert.equal(c.isClosed, false);
    assert.deepEqual(target.streams[0]!.ends, []);
    c.destroy();
    await until(() => server.heldBytes() === 0);
  } finally {
    for (const s of stalled) s.destroy();
    await server.close();
  }
});

test('memory: one handshake deadline covers TLS and RTMP together', async () => {
  const timeoutMs = 1000;
  const { server, port } = await startTlsServer({ handshakeTimeoutMs: timeoutMs });
  const errors: RtmpServerEvents['connectionError'][] = [];
  server.on('connectionError', (e) => errors.push(e));
  try {
    const t0 = performance.now();
    const raw = await tcp(port);
    // A slow TLS handshake, then no RTMP handshake at all.
    await new Promise((r) => setTimeout(r, 600));
    const secure = tls.connect({ socket: raw, rejectUnauthorized: false });
    secure.on('error', () => {});
    await new Promise((r) => secure.once('secureConnect', r));
    await new Promise((r) => secure.once('close', r));
    const took = performance.now() - t0;
    assert.ok(
      took >= timeoutMs * 0.8 && took < timeoutMs + 500,
      `closed ${took.toFixed(0)} ms after connecting`,
    );
    assert.equal(errors[0]?.code, 'RTMP_TIMEOUT');
    assert.match(errors[0]!.message, /no RTMP handshake within 1000 ms/);
  } finally {
    await server.close();
  }
});

test('memory: a peer that never reads our replies is closed at maxBufferedBytes', async () => {
  const bound = 256 << 10;
  const { server, port } = await startServer({ maxBufferedBytes: bound });
  const errors: RtmpServerEvents['connectionError'][] = [];
  server.on('connectionError', (e) => errors.push(e));
  const c = await TestRtmpClient.connect(port);
  try {
    c.socket.pause();
    // Pings: each answer is an 18-byte write, so the charge per queued write is what matters.
    const batch = Buffer.concat(Array.from({ length: 4096 }, (_, i) => c.writer.userControl(6, i)));
    let sent = 0;
    while (!c.isClosed && sent < 64 << 20) {
      if (!c.socket.write(batch)) await new Promise((r) => setTimeout(r, 5));
      sent += batch.length;
    }
    await until(() => c.isClosed, 10_000);
    assert.equal(errors[0]?.code, 'RTMP_LIMIT');
    assert.match(errors[0]!.message, /more than 262144 bytes buffered/);
    await until(() => server.heldBytes() === 0);
  } finally {
    c.destroy();
    await server.close();
  }
});

test('memory: queued output is charged per write as well as per byte, and given back as it drains', async () => {
  const listener = net.createServer();
  await new Promise<void>((r) => listener.listen(0, '127.0.0.1', r));
  const accepted = new Promise<net.Socket>((r) => listener.once('connection', r));
  const peer = net.connect((listener.address() as net.AddressInfo).port, '127.0.0.1');
  const socket = await accepted;
  peer.pause();
  const budget = new MemoryBudget();
  const failures: CorralError[] = [];
  const memory = new ConnectionMemory({
    socket,
    budget,
    limits: { maxBufferedBytes: 1 << 30, maxTotalBufferedBytes: 1 << 30 },
    sessionBytes: () => 100,
    fail: (e) => failures.push(e),
  });
  try {
    // Fill the kernel's buffers, so that what follows stays queued in the process.
    memory.write(Buffer.alloc(32 << 20));
    for (let i = 0; i < 1000; i++) memory.write(Buffer.alloc(18));
    memory.check();
    assert.ok(socket.writableLength > 1000 * 18);
    assert.equal(memory.heldBytes, 100 + socket.writableLength + 1001 * QUEUED_WRITE_COST);
    assert.equal(budget.held, memory.heldBytes);
    assert.equal(failures.length, 0);

    const tight = new ConnectionMemory({
      socket,
      budget: new MemoryBudget(),
      limits: { maxBufferedBytes: 1 << 20, maxTotalBufferedBytes: 1 << 30 },
      sessionBytes: () => 0,
      fail: (e) => failures.push(e),
    });
    tight.check();
    assert.equal(failures[0]?.code, 'RTMP_LIMIT');

    peer.resume();
    await until(() => budget.held === 100, 10_000);
    memory.release();
    assert.equal(budget.held, 0);
  } finally {
    peer.destroy();
    socket.destroy();
    listener.close();
  }
});

test('memory: while a publish is decided the paused TLS socket is charged its read-ahead, and stops reading', async () => {
  let allow: (a: Authorization) => void = () => {};
  const decided = new Promise<Authorization>((r) => (allow = r));
  const { server, target, port } = await startTlsServer({}, { authorize: () => decided });
  const c = await TestRtmpClient.connect(port, true);
  try {
    c.command(['connect', 1, { app: 'live' }]);
    await c.waitCommand('_result', 1);
    c.command(['createStream', 2, null]);
    await c.waitCommand('_result', 2);
    c.command(['publish', 3, null, 'held', 'live'], 1);
    await until(() => server.heldBytes() >= TLS_CONNECTION_COST + (80 << 10));
    const before = server.heldBytes();
    // 8 MB the server must not take in while it decides (a message type it ignores, later).
    for (let i = 0; i < 133; i++) c.send(19, Buffer.alloc(60_000), { csid: 6, streamId: 1 });
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(server.heldBytes(), before);
    assert.ok(c.socket.writableLength > 1_000_000, 'the client is held back, not the server filling up');
    allow({ keyed: false });
    assert.equal((await c.status()).code, 'NetStream.Publish.Start');
    await until(() => c.socket.writableLength === 0, 10_000);
    await until(() => server.heldBytes() < TLS_CONNECTION_COST + (80 << 10));
    assert.equal(target.streams[0]!.ends.length, 0);
  } finally {
    c.destroy();
    await server.close();
  }
});

test('memory: a TLS connection whose state the budget cannot hold is refused at accept', async () => {
  const { server, port } = await startTlsServer({ maxTotalBufferedBytes: 256 << 10 });
  const rejected: RtmpServerEvents['rejected'][] = [];
  server.on('rejected', (e) => rejected.push(e));
  const open: net.Socket[] = [];
  try {
    // 4 x 56 KiB fit in 256 KiB; the fifth does not.
    for (let i = 0; i < 4; i++) open.push(await tcp(port));
    await until(() => server.connectionCount() === 4);
    assert.equal(server.heldBytes(), 4 * TLS_CONNECTION_COST);
    const fifth = await tcp(port);
    await new Promise((r) => (fifth.destroyed ? r(undefined) : fifth.once('close', r)));
    assert.equal(rejected[0]?.code, 'RTMP_LIMIT');
    assert.match(rejected[0]!.reason, /all connections together hold more than 262144 bytes/);
    open.pop()!.destroy();
    await until(() => server.connectionCount() === 3);
    open.push(await tcp(port));
    await until(() => server.connectionCount() === 4);
    assert.equal(rejected.length, 1);
  } finally {
    for (const s of open) s.destroy();
    await server.close();
  }
});
