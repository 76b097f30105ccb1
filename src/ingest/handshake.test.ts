import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { HANDSHAKE_SIZE, ServerHandshake } from './handshake.js';
import { isCorralError } from '../util/errors.js';

test('handshake: plain C0+C1 in pieces -> S0+S1+S2, then C2 with the first chunk bytes after it', () => {
  const h = new ServerHandshake();
  const c1 = randomBytes(HANDSHAKE_SIZE);
  c1.fill(0, 4, 8);
  const c0c1 = Buffer.concat([Buffer.from([3]), c1]);
  assert.deepEqual(h.feed(c0c1.subarray(0, 100)), { done: false });
  const r = h.feed(c0c1.subarray(100));
  assert.equal(r.done, false);
  const reply = r.reply!;
  assert.equal(reply.length, 1 + 2 * HANDSHAKE_SIZE);
  assert.equal(reply[0], 3);
  assert.equal(reply.readUInt32BE(5), 0, 'S1 zero field: plain handshake');
  assert.deepEqual(reply.subarray(1 + HANDSHAKE_SIZE), c1, 'S2 echoes C1');

  const c2 = reply.subarray(1, 1 + HANDSHAKE_SIZE);
  const done = h.feed(Buffer.concat([c2, Buffer.from([0x03, 0xaa])]));
  assert.equal(done.done, true);
  assert.deepEqual(done.done && done.rest, Buffer.from([0x03, 0xaa]));
  assert.equal(h.done, true);
});

test('handshake: a digest-style C1 (non-zero version field) is echoed as S2, all in one read', () => {
  const h = new ServerHandshake();
  const c1 = randomBytes(HANDSHAKE_SIZE);
  c1.writeUInt32BE(0x80000702, 4); // Flash Player 9+ style client version
  const c2 = randomBytes(HANDSHAKE_SIZE);
  const r = h.feed(Buffer.concat([Buffer.from([3]), c1, c2]));
  assert.equal(r.done, true);
  assert.deepEqual(r.reply!.subarray(1 + HANDSHAKE_SIZE), c1);
  assert.equal(r.done && r.rest.length, 0);
});

test('handshake: wrong version byte => RTMP_HANDSHAKE at once', () => {
  for (const first of [0x06, 0x16, 0x47]) {
    assert.throws(
      () => new ServerHandshake().feed(Buffer.from([first, 1, 2, 3])),
      (e: unknown) => isCorralError(e, 'RTMP_HANDSHAKE') && /version byte/.test(e.message),
    );
  }
});
