import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TestRtmpClient } from '../../test/support/ingest/rtmp-client.js';
import { metricValue, startServer, until } from '../../test/support/ingest/server.js';
import { amfProps, encodeAmf0 } from './amf0.js';
import type { RtmpServerEvents } from './server.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const avcSeq = hex('17 00 000000 0142c01effe10004 6742c01e 010004 68cb8cb2');
const aacSeq = hex('af 00 1190');

test('session: publish, media in order, deleteStream ends the sink once with unpublish', async () => {
  const { server, target, port, registry } = await startServer();
  const events: string[] = [];
  server.on('publish', (e) => events.push(`publish ${e.app}/${e.name} secure=${e.secure}`));
  server.on('unpublish', (e) => events.push(`unpublish ${e.app}/${e.name} ${e.reason}`));
  const c = await TestRtmpClient.connect(port);
  try {
    c.command(['releaseStream', 2, null, 'cam?key=abc']);
    c.command(['FCPublish', 3, null, 'cam?key=abc']);
    const { streamId, info } = await c.publish('live', 'cam?key=abc');
    assert.equal(info.code, 'NetStream.Publish.Start');
    assert.equal(info.level, 'status');
    await c.waitCommand('onFCPublish');
    // Stream Begin (User Control event 0) for the stream id came before onStatus.
    const begin = await c.waitFor((m) => m.typeId === 4);
    assert.deepEqual(begin.payload, hex(`0000 0000000${streamId}`));

    const s = { csid: 6, streamId };
    c.send(18, encodeAmf0('@setDataFrame', 'onMetaData', { width: 640, height: 360 }), { csid: 4, streamId });
    c.send(9, avcSeq, s);
    c.send(8, aacSeq, { csid: 4, streamId });
    c.send(9, hex('17 01 000021 00000002 6588'), { ...s, timestamp: 0 });
    c.send(9, hex('27 01 ffffef 00000002 419a'), { ...s, timestamp: 33 });
    c.send(8, hex('af 01 2100'), { csid: 4, streamId, timestamp: 21 });
    await until(() => target.streams[0]?.events.length === 5);
    const rec = target.streams[0]!;
    assert.equal(rec.req.name, 'cam');
    assert.equal(rec.req.query.get('key'), 'abc');
    assert.equal(rec.req.remote.startsWith('127.0.0.1:'), true);
    assert.deepEqual(
      rec.events.map((e) => (e.kind === 'frame' ? `${e.frame.type}@${e.frame.dts}` : e.kind)),
      ['videoConfig', 'audioConfig', 'video@0', 'video@33', 'audio@21'],
    );
    const inter = rec.events[3]!;
    assert.ok(inter.kind === 'frame' && inter.frame.type === 'video' && inter.frame.cts === -17);
    assert.equal(await metricValue(registry, 'corral_rtmp_publishing'), 1);

    c.command(['FCUnpublish', 4, null, 'cam']);
    c.command(['deleteStream', 5, null, streamId]);
    assert.equal(await rec.ended, 'unpublish');
    c.destroy();
    await until(() => server.connectionCount() === 0);
    assert.deepEqual(rec.ends, ['unpublish']);
    assert.equal(target.callsAfterEnd, 0);
    assert.deepEqual(events, ['publish live/cam secure=false', 'unpublish live/cam unpublish']);
    assert.equal(await metricValue(registry, 'corral_rtmp_publishing'), 0);
  } finally {
    c.destroy();
    await server.close();
  }
});

test('session: socket close without unpublish ends the sink with disconnect', async () => {
  const { server, target, port } = await startServer();
  target.delayMs = 30;
  const c = await TestRtmpClient.connect(port);
  try {
    await c.publish('live', 'drop');
    c.destroy();
    assert.equal(await target.streams[0]!.ended, 'disconnect');
    await until(() => server.connectionCount() === 0);
    assert.deepEqual(target.streams[0]!.ends, ['disconnect']);
  } finally {
    await server.close();
  }
});

async function refused(name: string, app = 'live') {
  const { server, target, port, registry } = await startServer();
  const rejected: RtmpServerEvents['rejected'][] = [];
  server.on('rejected', (e) => rejected.push(e));
  const c = await TestRtmpClient.connect(port);
  try {
    const { info } = await c.publish(app, name);
    await c.closed;
    return { info, rejected, target, registry };
  } finally {
    c.destroy();
    await server.close();
  }
}

test('session: invalid stream name => BadName and close', async () => {
  const { info, rejected, target } = await refused('bad name!');
  assert.equal(info.level, 'error');
  assert.equal(info.code, 'NetStream.Publish.BadName');
  assert.equal(rejected[0]?.code, 'STREAM_NAME_INVALID');
  assert.equal(target.streams.length, 0);
});

test('session: app not in the allowed list => Rejected and close', async () => {
  const { info, rejected } = await refused('cam', 'other');
  assert.equal(info.code, 'NetStream.Publish.Rejected');
  assert.match(String(info.description), /application "other"/);
  assert.equal(rejected[0]?.code, 'PUBLISH_DENIED');
});

test('session: PublishTarget refusal (PUBLISH_DENIED) => Rejected, counted', async () => {
  const { info, rejected, registry } = await refused('forbidden');
  assert.equal(info.code, 'NetStream.Publish.Rejected');
  assert.equal(info.description, 'bad stream key');
  assert.equal(rejected[0]?.code, 'PUBLISH_DENIED');
  assert.equal(await metricValue(registry, 'corral_rtmp_rejected_total', { code: 'PUBLISH_DENIED' }), 1);
});

test('session: a second publisher on a live name gets BadName; the first carries on', async () => {
  const { server, target, port } = await startServer();
  const a = await TestRtmpClient.connect(port);
  const b = await TestRtmpClient.connect(port);
  try {
    const first = await a.publish('live', 'same');
    assert.equal(first.info.code, 'NetStream.Publish.Start');
    const streamId = first.streamId;
    const second = await b.publish('live', 'same');
    assert.equal(second.info.code, 'NetStream.Publish.BadName');
    assert.match(String(second.info.description), /already live/);
    await b.closed;
    a.send(9, avcSeq, { csid: 6, streamId });
    await until(() => target.streams[0]?.events.length === 1);
    assert.equal(a.isClosed, false);
    assert.equal(target.streams.length, 1);
    assert.deepEqual(target.streams[0]!.ends, []);
  } finally {
    a.destroy();
    b.destroy();
    await server.close();
  }
});

test('session: unknown command with a transaction id gets _error and the connection stays', async () => {
  const { server, port } = await startServer();
  const c = await TestRtmpClient.connect(port);
  try {
    c.command(['connect', 1, { app: 'live' }]);
    await c.waitCommand('_result');
    c.command(['getFancyThing', 7, null, 'x']);
    c.command(['noReplyWanted', 0, null]);
    const err = await c.waitCommand('_error');
    assert.equal(err[1], 7);
    assert.match(String(amfProps(err[3] ?? null)?.description), /unknown command getFancyThing/);
    c.command(['createStream', 8, null]);
    const res = await c.waitCommand('_result');
    assert.deepEqual(res.slice(0, 2), ['_result', 8]);
    assert.equal(c.isClosed, false);
  } finally {
    c.destroy();
    await server.close();
  }
});

test('session: play is refused (ingest only)', async () => {
  const { server, port } = await startServer();
  const c = await TestRtmpClient.connect(port);
  try {
    c.command(['connect', 1, { app: 'live' }]);
    await c.waitCommand('_result');
    c.command(['play', 0, null, 'cam'], 1);
    const info = await c.status();
    assert.equal(info.code, 'NetStream.Play.Failed');
    assert.match(String(info.description), /ingest only/);
  } finally {
    c.destroy();
    await server.close();
  }
});

test('session: ping request gets a ping response; acks follow the peer window', async () => {
  const { server, port } = await startServer();
  const c = await TestRtmpClient.connect(port);
  try {
    c.write(c.writer.windowAckSize(1000));
    c.write(c.writer.userControl(6, 0xcafe));
    const pong = await c.waitFor((m) => m.typeId === 4 && m.payload.readUInt16BE(0) === 7);
    assert.equal(pong.payload.readUInt32BE(2), 0xcafe);
    // 20 unknown-but-harmless data messages push well past the 1000-byte window.
    for (let i = 0; i < 20; i++) c.send(18, encodeAmf0('noop', 'x'.repeat(100)), { csid: 4 });
    const ack = await c.waitFor((m) => m.typeId === 3);
    assert.ok(ack.payload.readUInt32BE(0) >= 1000);
  } finally {
    c.destroy();
    await server.close();
  }
});

test('session: deeply nested AMF closes the connection with AMF_DECODE', async () => {
  const { server, port } = await startServer();
  const errors: RtmpServerEvents['connectionError'][] = [];
  server.on('connectionError', (e) => errors.push(e));
  const c = await TestRtmpClient.connect(port);
  try {
    const bomb = Buffer.concat([encodeAmf0('connect', 1), ...Array(500).fill(hex('03 0001 61'))]);
    c.send(20, bomb);
    await c.closed;
    assert.equal(errors[0]?.code, 'AMF_DECODE');
    assert.match(errors[0]!.message, /nesting/);
  } finally {
    c.destroy();
    await server.close();
  }
});

test('session: HEVC (enhanced RTMP hvc1) => Rejected naming the codec, sink ends with error', async () => {
  const { server, target, port } = await startServer();
  const c = await TestRtmpClient.connect(port);
  try {
    const { streamId } = await c.publish('live', 'hevc');
    c.send(9, hex('90 68766331 0102030405'), { csid: 6, streamId });
    const info = await c.status();
    assert.equal(info.code, 'NetStream.Publish.Rejected');
    assert.match(String(info.description), /HEVC/);
    await c.closed;
    assert.deepEqual(target.streams[0]!.ends, ['error']);
  } finally {
    c.destroy();
    await server.close();
  }
});

test('session: MP3 audio => Rejected, sink ends with error', async () => {
  const { server, target, port } = await startServer();
  const c = await TestRtmpClient.connect(port);
  try {
    const { streamId } = await c.publish('live', 'mp3');
    c.send(8, hex('2f fffb9064'), { csid: 4, streamId });
    const info = await c.status();
    assert.match(String(info.description), /MP3/);
    await c.closed;
    assert.deepEqual(target.streams[0]!.ends, ['error']);
  } finally {
    c.destroy();
    await server.close();
  }
});

test('session: media sent while the PublishTarget is still deciding is delivered in order after', async () => {
  const { server, target, port } = await startServer();
  target.delayMs = 100;
  const c = await TestRtmpClient.connect(port);
  try {
    c.command(['connect', 1, { app: 'live' }]);
    await c.waitCommand('_result', 1);
    c.command(['createStream', 2, null]);
    const streamId = (await c.waitCommand('_result', 2))[3] as number;
    c.command(['publish', 3, null, 'eager', 'live'], streamId);
    c.send(9, avcSeq, { csid: 6, streamId });
    for (let i = 0; i < 5; i++)
      c.send(9, hex('27 01 000000 00000002 419a'), { csid: 6, streamId, timestamp: i * 33 });
    assert.equal((await c.status()).code, 'NetStream.Publish.Start');
    await until(() => target.streams[0]?.events.length === 6);
    const dts = target.streams[0]!.events.flatMap((e) => (e.kind === 'frame' ? [e.frame.dts] : []));
    assert.equal(target.streams[0]!.events[0]!.kind, 'videoConfig');
    assert.deepEqual(dts, [0, 33, 66, 99, 132]);
  } finally {
    c.destroy();
    await server.close();
  }
});

test('session: a sink that throws ends the stream with error and closes only that connection', async () => {
  const { server, target, port } = await startServer();
  const c = await TestRtmpClient.connect(port);
  try {
    const { streamId } = await c.publish('live', 'fragile');
    const rec = target.streams[0]!;
    rec.events.push = () => {
      throw new Error('downstream exploded');
    };
    c.send(9, avcSeq, { csid: 6, streamId });
    await c.closed;
    assert.deepEqual(rec.ends, ['error']);
  } finally {
    c.destroy();
    await server.close();
  }
});
