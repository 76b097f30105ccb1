import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import tls from 'node:tls';
import { Registry } from 'prom-client';
import { TestRtmpClient } from '../support/ingest/rtmp-client.js';
import { RecordingTarget } from '../support/ingest/recording-target.js';
import { metricValue, startServer, until } from '../support/ingest/server.js';
import { ingestLimitsSchema } from '../../src/config/schema.js';
import { silentLogger } from '../../src/util/logger.js';
import { RtmpServer, type RtmpServerEvents } from '../../src/ingest/server.js';
import { selfSignedCert } from '../../src/ingest/self-signed.js';

function rawConnect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
}

const closedWithin = (s: net.Socket, ms: number) =>
  new Promise<number>((resolve, reject) => {
    const t0 = Date.now();
    if (s.destroyed) return resolve(0);
    const timer = setTimeout(() => reject(new Error(`socket still open after ${ms} ms`)), ms);
    s.once('close', () => {
      clearTimeout(timer);
      resolve(Date.now() - t0);
    });
  });

test('server: garbage bytes close the connection; a real publish works afterwards', async () => {
  const { server, target, port, registry } = await startServer();
  const errors: RtmpServerEvents['connectionError'][] = [];
  server.on('connectionError', (e) => errors.push(e));
  try {
    const g = await rawConnect(port);
    g.on('error', () => {});
    g.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await closedWithin(g, 2000);
    assert.equal(errors[0]?.code, 'RTMP_HANDSHAKE');
    assert.match(errors[0]!.message, /version byte 0x47/);

    // Valid handshake followed by junk chunks: a protocol error, not a crash.
    const j = await TestRtmpClient.connect(port);
    j.write(Buffer.from('43ffffffffffffffffffffffffffffffff', 'hex'));
    await j.closed;
    assert.equal(errors[1]?.code, 'RTMP_PROTOCOL');

    const c = await TestRtmpClient.connect(port);
    const { info } = await c.publish('live', 'after');
    assert.equal(info.code, 'NetStream.Publish.Start');
    assert.equal(target.streams.length, 1);
    assert.ok((await metricValue(registry, 'corral_rtmp_bytes_received_total'))! > 3000);
    c.destroy();
    assert.equal(await target.streams[0]!.ended, 'disconnect');
  } finally {
    await server.close();
  }
});

test('server: an absurd Set Chunk Size closes only that connection', async () => {
  const { server, target, port } = await startServer();
  try {
    const good = await TestRtmpClient.connect(port);
    await good.publish('live', 'steady');
    const bad = await TestRtmpClient.connect(port);
    bad.write(bad.writer.setChunkSize(0x7fffffff));
    await bad.closed;
    assert.equal(good.isClosed, false);
    assert.deepEqual(target.streams[0]!.ends, []);
    good.destroy();
  } finally {
    await server.close();
  }
});

test('server: handshake timeout', async () => {
  const { server, port } = await startServer({ handshakeTimeoutMs: 200 });
  const errors: RtmpServerEvents['connectionError'][] = [];
  server.on('connectionError', (e) => errors.push(e));
  try {
    const s = await rawConnect(port);
    s.write(Buffer.from([3, 0, 0, 0])); // C0 and a sliver of C1, then silence
    const took = await closedWithin(s, 3000);
    assert.ok(took >= 150, `closed after ${took} ms`);
    assert.equal(errors[0]?.code, 'RTMP_TIMEOUT');
    assert.match(errors[0]!.message, /within 200 ms/);
    await until(() => server.connectionCount() === 0);
  } finally {
    await server.close();
  }
});

test('server: idle timeout after the handshake', async () => {
  const { server, port } = await startServer({ idleTimeoutMs: 200 });
  try {
    const c = await TestRtmpClient.connect(port);
    const t0 = Date.now();
    await c.closed;
    assert.ok(Date.now() - t0 >= 150);
  } finally {
    await server.close();
  }
});

test('server: connection cap refuses extra connections at once, others undisturbed', async () => {
  const { server, port, registry } = await startServer({ maxConnections: 2 });
  const rejected: RtmpServerEvents['rejected'][] = [];
  server.on('rejected', (e) => rejected.push(e));
  try {
    const a = await TestRtmpClient.connect(port);
    const b = await TestRtmpClient.connect(port);
    assert.equal(server.connectionCount(), 2);
    const extra = await rawConnect(port);
    extra.on('error', () => {});
    await closedWithin(extra, 2000);
    assert.equal(rejected[0]?.code, 'RTMP_LIMIT');
    assert.equal(await metricValue(registry, 'corral_rtmp_rejected_total', { code: 'RTMP_LIMIT' }), 1);
    assert.equal(await metricValue(registry, 'corral_rtmp_connections'), 2);
    // The two admitted connections still work.
    assert.equal((await a.publish('live', 'one')).info.code, 'NetStream.Publish.Start');
    assert.equal((await b.publish('live', 'two')).info.code, 'NetStream.Publish.Start');
    a.destroy();
    await until(() => server.connectionCount() === 1);
    const c = await TestRtmpClient.connect(port);
    assert.equal(server.connectionCount(), 2);
    b.destroy();
    c.destroy();
  } finally {
    await server.close();
  }
});

test('server: close() ends every sink and stops listening', async () => {
  const { server, target, port } = await startServer();
  const a = await TestRtmpClient.connect(port);
  await a.publish('live', 'x1');
  await server.close();
  assert.deepEqual(target.streams[0]!.ends, ['disconnect']);
  await a.closed;
  await assert.rejects(rawConnect(port));
});

test('server: RTMPS publish, and a TLS handshake failure is logged, counted and harmless', async () => {
  const { cert, key } = await selfSignedCert(['corral.test']);
  const target = new RecordingTarget();
  const registry = new Registry();
  const server = new RtmpServer({
    target,
    limits: ingestLimitsSchema.parse({}),
    apps: ['live'],
    logger: silentLogger(),
    registry,
  });
  const errors: RtmpServerEvents['connectionError'][] = [];
  server.on('connectionError', (e) => errors.push(e));
  const published: RtmpServerEvents['publish'][] = [];
  server.on('publish', (e) => published.push(e));
  try {
    const { port } = await server.listenTls(0, '127.0.0.1', { cert, key });
    const plain = await server.listen(0, '127.0.0.1');

    // Plain RTMP bytes sent to the TLS port: not a ClientHello.
    const s = await rawConnect(port);
    s.on('error', () => {});
    s.write(Buffer.concat([Buffer.from([3]), Buffer.alloc(1536)]));
    await closedWithin(s, 3000);
    await until(() => errors.length > 0);
    assert.equal(errors[0]?.code, 'RTMP_HANDSHAKE');
    assert.match(errors[0]!.message, /TLS/);
    assert.equal(await metricValue(registry, 'corral_rtmp_tls_errors_total'), 1);

    const c = await TestRtmpClient.connect(port, true);
    assert.ok(c.socket instanceof tls.TLSSocket);
    assert.equal((await c.publish('live', 'secure')).info.code, 'NetStream.Publish.Start');
    assert.equal(target.streams[0]!.req.secure, true);
    const p = await TestRtmpClient.connect(plain.port);
    assert.equal((await p.publish('live', 'plain')).info.code, 'NetStream.Publish.Start');
    assert.deepEqual(
      published.map((e) => [e.name, e.secure]),
      [
        ['secure', true],
        ['plain', false],
      ],
    );
    c.destroy();
    p.destroy();
  } finally {
    await server.close();
  }
});

/** Chunk size 1, then `bytes` of an unfinished 16 MiB video message, one payload byte per chunk. */
function smallChunkFlood(c: TestRtmpClient, bytes: number, csid = 4): void {
  c.write(c.writer.setChunkSize(1));
  // fmt 0 header, then payload byte 0; every later byte is a 1-byte fmt 3 header plus one payload byte.
  const wire = Buffer.alloc(11 + 2 * bytes);
  Buffer.from([csid, 0, 0, 0, 0xff, 0xff, 0xff, 9, 1, 0, 0, 0]).copy(wire);
  for (let i = 1; i < bytes; i++) wire[11 + 2 * i] = 0xc0 | csid;
  c.write(wire);
}

test('server regression: a small-chunk flood is charged its real memory and closed per connection', async () => {
  // Payload counting let 700 KB through a 1 MB limit while it cost ~70 MB of heap; the message
  // buffer's capacity (1 MiB once 700 KB arrived) is what is charged now.
  const { server, port } = await startServer({ maxBufferedBytes: 1_000_000 });
  const errors: RtmpServerEvents['connectionError'][] = [];
  server.on('connectionError', (e) => errors.push(e));
  try {
    const bad = await TestRtmpClient.connect(port);
    smallChunkFlood(bad, 700_000);
    await until(() => bad.isClosed, 5000);
    assert.equal(errors[0]?.code, 'RTMP_LIMIT');
  } finally {
    await server.close();
  }
});

test('server: floods on several connections are bounded together; a publisher keeps going', async () => {
  const { server, target, port, registry } = await startServer({ maxTotalBufferedBytes: 1_500_000 });
  const errors: RtmpServerEvents['connectionError'][] = [];
  server.on('connectionError', (e) => errors.push(e));
  try {
    const good = await TestRtmpClient.connect(port);
    const { streamId } = await good.publish('live', 'steady');
    const first = await TestRtmpClient.connect(port);
    smallChunkFlood(first, 600_000);
    // Let the server take in all of the first flood, so that the second is the one that crosses.
    for (let t = Date.now(); Date.now() - t < 5000;) {
      if ((await metricValue(registry, 'corral_rtmp_bytes_received_total'))! > 1_200_000) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const second = await TestRtmpClient.connect(port);
    smallChunkFlood(second, 600_000);
    await until(() => second.isClosed, 5000);
    assert.equal(errors.at(-1)?.code, 'RTMP_LIMIT');
    assert.match(errors.at(-1)!.message, /all connections together/);
    assert.equal(first.isClosed, false, 'the connection under the budget is not touched');
    assert.equal(good.isClosed, false);
    // The publisher's media still flows after the flood was cut off.
    good.send(8, Buffer.from([0xaf, 0x00, 0x12, 0x10]), { csid: 6, streamId });
    await until(() => target.streams[0]!.events.some((e) => e.kind === 'audioConfig'));
    assert.deepEqual(target.streams[0]!.ends, []);
    first.destroy();
    good.destroy();
  } finally {
    await server.close();
  }
});

/** Writes `bytes` in pieces of 1..`maxPiece` bytes, yielding to the event loop between pieces. */
async function dribble(s: net.Socket, bytes: Buffer, maxPiece: number, seed: number): Promise<void> {
  let x = seed;
  for (let off = 0; off < bytes.length;) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    const n = 1 + (x % maxPiece);
    s.write(bytes.subarray(off, off + n));
    off += n;
    await new Promise((r) => setImmediate(r));
  }
}

for (const sharedReads of [true, false]) {
  test(`server (sharedReads ${sharedReads}): handshakes and media cut at odd points on interleaved connections arrive intact`, async () => {
    const { server, target, port } = await startServer({ sharedReads });
    try {
      // A handshake in pieces while another connection's reads go through the same server: S2
      // must echo C1 exactly (a kept view of a reused read buffer would echo the other bytes).
      const c1 = Buffer.alloc(1536, 0x5a);
      c1.writeUInt32BE(0x01020304, 0);
      const h = await rawConnect(port);
      const noise = await rawConnect(port);
      noise.on('error', () => {});
      const echo = new Promise<Buffer>((resolve) => {
        let got = Buffer.alloc(0);
        h.on('data', (d: Buffer) => {
          got = Buffer.concat([got, d]);
          if (got.length >= 1 + 2 * 1536) resolve(got);
        });
      });
      await Promise.all([
        dribble(h, Buffer.concat([Buffer.from([3]), c1]), 400, 7),
        dribble(noise, Buffer.alloc(1537, 3), 300, 11),
      ]);
      assert.deepEqual((await echo).subarray(1 + 1536, 1 + 2 * 1536), c1, 'S2 echoes C1');
      h.destroy();
      noise.destroy();

      // Two publishers, each message longer than the 128-byte chunk size, written in pieces that
      // interleave with the other connection's.
      const clients = [await TestRtmpClient.connect(port), await TestRtmpClient.connect(port)];
      const sent: Buffer[][] = [[], []];
      const wire: Buffer[] = [];
      for (const [i, c] of clients.entries()) {
        const { streamId } = await c.publish('live', `odd${i}`);
        const parts = [
          c.writer.write({ csid: 4 + 2 * i, typeId: 8, streamId, timestamp: 0, payload: aacConfig }),
        ];
        for (let k = 0; k < 30; k++) {
          const frame = Buffer.alloc(200 + ((k * 397 + i * 101) % 3000), (k * 7 + i * 13) & 0xff);
          frame.writeUInt16BE(k * 2 + i, 0);
          sent[i]!.push(frame);
          const payload = Buffer.concat([Buffer.from([0xaf, 0x01]), frame]);
          parts.push(
            c.writer.write({ csid: 4 + 2 * i, typeId: 8, streamId, timestamp: 23 * (k + 1), payload }),
          );
        }
        wire.push(Buffer.concat(parts));
      }
      await Promise.all(clients.map((c, i) => dribble(c.socket, wire[i]!, 700, 3 + i)));
      await until(
        () => target.streams.length === 2 && target.streams.every((s) => s.events.length === 31),
        10_000,
      );
      for (const [i, s] of target.streams.entries()) {
        const frames = s.events.flatMap((e) => (e.kind === 'frame' ? [e.frame.data] : []));
        const want = sent[Number(s.req.name.slice(3))]!;
        assert.equal(frames.length, want.length, `stream ${i}`);
        frames.forEach((f, k) => assert.deepEqual(f, want[k], `stream ${s.req.name} frame ${k}`));
      }
      for (const c of clients) c.destroy();
    } finally {
      await server.close();
    }
  });
}

const aacConfig = Buffer.from('af001190', 'hex');

for (const sharedReads of [true, false]) {
  test(`server (sharedReads ${sharedReads}): every read resets the idle timeout`, async () => {
    const { server, port } = await startServer({ sharedReads, idleTimeoutMs: 800 });
    try {
      const c = await TestRtmpClient.connect(port);
      let n = 0;
      let last = Date.now();
      const pings = setInterval(() => {
        c.write(c.writer.userControl(6, ++n));
        last = Date.now();
      }, 100);
      await new Promise((r) => setTimeout(r, 2000));
      clearInterval(pings);
      assert.equal(c.isClosed, false, 'open while bytes keep coming');
      await c.closed;
      assert.ok(Date.now() - last >= 700, 'closed once they stop');
    } finally {
      await server.close();
    }
  });
}
