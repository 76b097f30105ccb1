import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TestRtmpClient } from '../../test/support/ingest/rtmp-client.js';
import { metricValue, startServer } from '../../test/support/ingest/server.js';
import type { RtmpServerEvents } from './server.js';

/** A frozen encoder: its connection keeps sending control bytes (pings) but no media. */
function keepPinging(c: TestRtmpClient, everyMs: number): () => void {
  let n = 0;
  const t = setInterval(() => {
    if (!c.isClosed) c.write(c.writer.userControl(6, ++n));
  }, everyMs);
  return () => clearInterval(t);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('takeover: a frozen broadcaster is replaced at once by a publish with the right key', async (t) => {
  const { server, target, port } = await startServer({ streamKeys: { 'live/cam': 'k1' } });
  const unpublished: RtmpServerEvents['unpublish'][] = [];
  server.on('unpublish', (e) => unpublished.push(e));
  const old = await TestRtmpClient.connect(port);
  const stop = keepPinging(old, 200);
  let fresh: TestRtmpClient | undefined;
  try {
    assert.equal((await old.publish('live', 'cam?key=k1')).info.code, 'NetStream.Publish.Start');
    await sleep(500);
    // From another address, too: the key, not the address, is what proves the owner.
    fresh = await TestRtmpClient.connect(port, false, '127.0.0.2');
    const t0 = performance.now();
    const { info } = await fresh.publish('live', 'cam?key=k1');
    const tookMs = performance.now() - t0;
    assert.equal(info.code, 'NetStream.Publish.Start');
    assert.ok(tookMs < 1000, `takeover took ${tookMs.toFixed(0)} ms`);
    t.diagnostic(`keyed takeover: Publish.Start ${tookMs.toFixed(1)} ms after the publish command`);
    assert.equal(await target.streams[0]!.ended, 'disconnect');
    const told = await old.status();
    assert.equal(told.code, 'NetStream.Publish.Rejected');
    assert.match(String(told.description), /another publisher took over live\/cam/);
    await old.closed;
    assert.equal(target.streams.length, 2);
    assert.deepEqual(target.streams[1]!.ends, []);
    assert.deepEqual(unpublished, [{ app: 'live', name: 'cam', reason: 'takeover' }]);
    assert.equal(fresh.isClosed, false);
  } finally {
    stop();
    old.destroy();
    fresh?.destroy();
    await server.close();
  }
});

test('takeover: without keys the same address takes over a quiet publish; another address is BUSY', async (t) => {
  const { server, target, port } = await startServer({ takeoverQuietMs: 300 });
  const old = await TestRtmpClient.connect(port);
  const stop = keepPinging(old, 200);
  const clients = [old];
  try {
    await old.publish('live', 'open');
    await sleep(400);
    const stranger = await TestRtmpClient.connect(port, false, '127.0.0.2');
    clients.push(stranger);
    const refused = await stranger.publish('live', 'open');
    assert.equal(refused.info.code, 'NetStream.Publish.BadName');
    assert.match(String(refused.info.description), /already live/);
    await stranger.closed;
    assert.deepEqual(target.streams[0]!.ends, []);

    const again = await TestRtmpClient.connect(port);
    clients.push(again);
    const t0 = performance.now();
    assert.equal((await again.publish('live', 'open')).info.code, 'NetStream.Publish.Start');
    const tookMs = performance.now() - t0;
    assert.ok(tookMs < 1000, `takeover took ${tookMs.toFixed(0)} ms`);
    t.diagnostic(`same-address takeover: Publish.Start ${tookMs.toFixed(1)} ms after the publish command`);
    assert.deepEqual(target.streams[0]!.ends, ['disconnect']);
    await old.closed;
  } finally {
    stop();
    for (const c of clients) c.destroy();
    await server.close();
  }
});

test('takeover: without keys a publish still sending media is not taken over, even from its address', async () => {
  const { server, target, port } = await startServer({ takeoverQuietMs: 300 });
  const live = await TestRtmpClient.connect(port);
  let streamId = 1;
  const media = setInterval(() => live.send(8, Buffer.from('af012100', 'hex'), { csid: 4, streamId }), 50);
  const other = await TestRtmpClient.connect(port);
  try {
    streamId = (await live.publish('live', 'busy')).streamId;
    await sleep(500);
    assert.equal((await other.publish('live', 'busy')).info.code, 'NetStream.Publish.BadName');
    await other.closed;
    assert.deepEqual(target.streams[0]!.ends, []);
    assert.equal(live.isClosed, false);
  } finally {
    clearInterval(media);
    live.destroy();
    other.destroy();
    await server.close();
  }
});

async function tryKey(port: number, name: string): Promise<Record<string, unknown>> {
  const c = await TestRtmpClient.connect(port);
  try {
    const { info } = await c.publish('live', name);
    if (info.code !== 'NetStream.Publish.Start') await c.closed;
    return info;
  } finally {
    c.destroy();
  }
}

test('keys: a wrong or missing key is refused with an Unauthorized onStatus and a graceful close', async () => {
  const { server, target, port, registry } = await startServer({ streamKeys: { 'live/cam': 'k1' } });
  const rejected: RtmpServerEvents['rejected'][] = [];
  server.on('rejected', (e) => rejected.push(e));
  try {
    for (const name of ['cam?key=k2', 'cam', 'cam?key=k1x', 'cam?key=']) {
      const info = await tryKey(port, name);
      assert.equal(info.level, 'error', name);
      assert.equal(info.code, 'NetStream.Publish.Unauthorized', name);
      assert.equal(info.description, 'missing or wrong stream key for live/cam');
    }
    assert.equal(target.streams.length, 0);
    assert.deepEqual(
      rejected.map((r) => r.code),
      Array(4).fill('PUBLISH_UNAUTHORIZED'),
    );
    assert.equal(
      await metricValue(registry, 'corral_rtmp_rejected_total', { code: 'PUBLISH_UNAUTHORIZED' }),
      4,
    );
    assert.equal((await tryKey(port, 'cam?key=k1')).code, 'NetStream.Publish.Start');
    // A stream without its own key is open when no global key is set.
    assert.equal((await tryKey(port, 'other')).code, 'NetStream.Publish.Start');
  } finally {
    await server.close();
  }
});

test('keys: a per-stream key replaces the global one for its stream; others need the global key', async () => {
  const { server, port } = await startServer({ streamKeys: { 'live/cam': 'own' } }, { publishKey: 'global' });
  try {
    assert.equal((await tryKey(port, 'cam?key=own')).code, 'NetStream.Publish.Start');
    assert.equal((await tryKey(port, 'cam?key=global')).code, 'NetStream.Publish.Unauthorized');
    assert.equal((await tryKey(port, 'other?key=global')).code, 'NetStream.Publish.Start');
    const info = await tryKey(port, 'other?key=own');
    assert.equal(info.code, 'NetStream.Publish.Unauthorized');
    assert.equal(info.description, 'missing or wrong stream key for live/other');
  } finally {
    await server.close();
  }
});

test('keys: during a rotation both listed keys are valid, and nothing else', async () => {
  const { server, port } = await startServer({ streamKeys: { 'live/cam': ['old-key', 'new-key'] } });
  try {
    assert.equal((await tryKey(port, 'cam?key=old-key')).code, 'NetStream.Publish.Start');
    assert.equal((await tryKey(port, 'cam?key=new-key')).code, 'NetStream.Publish.Start');
    assert.equal((await tryKey(port, 'cam?key=other-key')).code, 'NetStream.Publish.Unauthorized');
  } finally {
    await server.close();
  }
});

test('keys: a wrong key never takes a live stream over', async () => {
  const { server, target, port } = await startServer({ streamKeys: { 'live/cam': 'k1' } });
  const owner = await TestRtmpClient.connect(port);
  try {
    await owner.publish('live', 'cam?key=k1');
    assert.equal((await tryKey(port, 'cam?key=guess')).code, 'NetStream.Publish.Unauthorized');
    assert.deepEqual(target.streams[0]!.ends, []);
    assert.equal(owner.isClosed, false);
  } finally {
    owner.destroy();
    await server.close();
  }
});
