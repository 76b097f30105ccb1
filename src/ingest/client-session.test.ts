import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ingestLimitsSchema } from '../config/schema.js';
import { CorralError, type ErrorCode } from '../util/errors.js';
import { silentLogger } from '../util/logger.js';
import { ClientHandshake } from './client-handshake.js';
import { ClientSession } from './client-session.js';
import { ServerHandshake } from './handshake.js';
import { RtmpSession } from './session.js';
import { MSG } from './protocol.js';
import type { PublishRequest } from './types.js';
import type { MediaFrame } from '../media/types.js';

test('client handshake: C0+C1, then C2 echoes S1 and the bytes after S2 are kept', () => {
  const c = new ClientHandshake();
  const s = new ServerHandshake();
  const c0c1 = c.start();
  assert.equal(c0c1.length, 1537);
  assert.equal(c0c1[0], 3);
  const r1 = s.feed(c0c1);
  assert.ok(r1.reply);
  const tail = Buffer.from('first chunk');
  // Split S0/S1/S2 to exercise the partial path.
  assert.equal(c.feed(r1.reply.subarray(0, 100)), undefined);
  const r = c.feed(Buffer.concat([r1.reply.subarray(100), tail]))!;
  assert.deepEqual(r.reply, r1.reply.subarray(1, 1537));
  assert.deepEqual(r.rest, tail);
  const r2 = s.feed(r.reply);
  assert.equal(r2.done, true);
});

test('client handshake: a non-RTMP answer is refused', () => {
  const c = new ClientHandshake();
  c.start();
  assert.throws(
    () => c.feed(Buffer.from('HTTP/1.1 400')),
    (e) => e instanceof CorralError,
  );
});

/** A ClientSession wired to the server's RtmpSession in memory, no sockets. */
function pair(refuse?: ErrorCode) {
  const got: { req?: PublishRequest; frames: MediaFrame[]; configs: string[]; meta: unknown[] } = {
    frames: [],
    configs: [],
    meta: [],
  };
  const log: string[] = [];
  let refused: CorralError | undefined;
  let client!: ClientSession;
  const server = new RtmpSession({
    limits: ingestLimitsSchema.parse({}),
    logger: silentLogger(),
    address: '127.0.0.1',
    remote: '127.0.0.1:5000',
    secure: false,
    apps: ['live'],
    auth: { authorize: () => Promise.resolve({ keyed: true }) },
    target: {
      open: (req) => {
        got.req = req;
        if (refuse) throw new CorralError(refuse, 'no');
        return {
          videoConfig: () => got.configs.push('video'),
          audioConfig: () => got.configs.push('audio'),
          metadata: (v) => got.meta.push(v),
          frame: (f) => got.frames.push(f),
          end: () => log.push('end'),
        };
      },
    },
    hooks: {
      send: (d) => queueMicrotask(() => client.feed(d)),
      close: () => log.push('close'),
      pause: () => {},
      resume: () => {},
      handshakeDone: () => {},
      failed: (f) => log.push(`failed ${f.code}`),
      claim: () => {},
      published: () => log.push('published'),
      unpublished: () => {},
      rejected: (r) => log.push(`rejected ${r.code}`),
    },
  });
  let live!: () => void;
  const published = new Promise<void>((r) => (live = r));
  const failed = new Promise<CorralError>((r) => {
    client = new ClientSession(
      { tcUrl: 'rtmp://central/live', app: 'live', stream: 'cam?key=abc' },
      {
        send: (d) => queueMicrotask(() => server.feed(d)),
        published: live,
        refused: (e) => {
          refused = e;
          r(e);
        },
      },
    );
  });
  client.start();
  return { client, server, got, log, published, failed, refused: () => refused };
}

test('client session: connect, createStream, publish with the key, then media reaches the server', async () => {
  const p = pair();
  await p.published;
  assert.equal(p.client.live, true);
  assert.equal(p.got.req?.name, 'cam');
  assert.equal(p.got.req?.query.get('key'), 'abc');
  const send = (typeId: number, ts: number, hex: string) =>
    p.server.feed(p.client.media(typeId, ts, Buffer.from(hex.replace(/\s+/g, ''), 'hex')));
  p.server.feed(
    p.client.media(
      MSG.dataAmf0,
      0,
      Buffer.from('02000d40736574446174614672616d6502000a6f6e4d65746144617461030000' + '09', 'hex'),
    ),
  );
  send(MSG.video, 0, '17 00 000000 0142c01effe10004 6742c01e 010004 68cb8cb2');
  send(MSG.audio, 0, 'af 00 1190');
  send(MSG.video, 40, '17 01 000021 00000002 6588');
  // A big frame spans many chunks at the client's chunk size; the timestamp survives.
  send(MSG.video, 100_000, '27 01 000000 ' + '0000fff0' + '41'.repeat(0xfff0));
  send(MSG.audio, 0x1000000 + 5, 'af 01 2100');
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(p.got.configs, ['video', 'audio']);
  assert.deepEqual(p.got.meta, [['onMetaData', {}]]);
  assert.deepEqual(
    p.got.frames.map((f) => `${f.type}@${f.dts}/${f.data.length}`),
    ['video@40/6', `video@100000/${0xfff4}`, `audio@${0x1000005}/2`],
  );
  assert.deepEqual(p.log, ['published']);
});

test('client session: a refused publish surfaces the upstream code', async () => {
  for (const [code, want] of [
    ['PUBLISH_UNAUTHORIZED', 'PUBLISH_UNAUTHORIZED'],
    ['STREAM_BUSY', 'STREAM_BUSY'],
    ['PUBLISH_DENIED', 'PUBLISH_DENIED'],
  ] as const) {
    const p = pair(code);
    const e = await p.failed;
    assert.equal(e.code, want);
    assert.equal(e.recoverable, true);
    assert.equal(p.client.live, false);
  }
});
