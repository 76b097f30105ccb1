import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isCorralError } from '../util/errors.js';
import { parseAudioTag, parseVideoTag } from './flv-tags.js';
import { FLV_TAG_AUDIO, FLV_TAG_VIDEO, FlvReader, FlvWriter, flvTag, type FlvTag } from './flv-container.js';
import type { AacConfig, H264Config, MediaFrame } from './types.js';

const avcC: H264Config = {
  codec: 'h264',
  avcC: Buffer.from('0164001fffe100046764001f01000468ee3cb0', 'hex'),
};
const asc: AacConfig = { codec: 'aac', asc: Buffer.from([0x11, 0x90]) };
const frames: MediaFrame[] = [
  { type: 'video', dts: 0, cts: 0, keyframe: true, data: Buffer.from('0000000265880000000141', 'hex') },
  { type: 'audio', dts: 10, data: Buffer.from([0x21, 0x10, 0x04]) },
  { type: 'video', dts: 33, cts: -33, keyframe: false, data: Buffer.from('000000024199', 'hex') },
  // Past 2^24 ms: the extended timestamp byte must carry the high bits.
  { type: 'video', dts: 0x01234567, cts: 66, keyframe: false, data: Buffer.from('000000024199', 'hex') },
];

test('golden bytes: header and one AAC tag', () => {
  const w = new FlvWriter({ audio: true, video: true });
  assert.equal(w.header().toString('hex'), '464c5601' + '05' + '00000009' + '00000000');
  assert.equal(
    new FlvWriter({ audio: false, video: true }).header().toString('hex'),
    '464c560101000000090' + '0000000',
  );
  const tag = w.frame({ type: 'audio', dts: 0x01020304, data: Buffer.from([0xaa, 0xbb]) });
  // type 8, size 4, ts 020304 + ext 01, stream 0, body af 01 aa bb, back pointer 15
  assert.equal(tag.toString('hex'), '08' + '000004' + '020304' + '01' + '000000' + 'af01aabb' + '0000000f');
  const key = w.frame({ type: 'video', dts: 0, cts: -1, keyframe: true, data: Buffer.from([9]) });
  assert.equal(key.subarray(11, 17).toString('hex'), '1701ffffff09');
});

function roundTrip(chunks: Buffer[]): { tags: FlvTag[]; reader: FlvReader } {
  const reader = new FlvReader();
  const tags = chunks.flatMap((c) => reader.push(c));
  return { tags, reader };
}

function encodeAll(): Buffer {
  const w = new FlvWriter({ audio: true, video: true });
  return Buffer.concat([
    w.header(),
    w.videoConfig(avcC),
    w.audioConfig(asc),
    ...frames.map((f) => w.frame(f)),
  ]);
}

function decode(tags: FlvTag[]) {
  return tags.map((t) =>
    t.type === FLV_TAG_VIDEO ? parseVideoTag(t.body, t.timestamp) : parseAudioTag(t.body, t.timestamp),
  );
}

test('round trip writer -> reader -> parseVideoTag/parseAudioTag', () => {
  const { tags, reader } = roundTrip([encodeAll()]);
  assert.deepEqual(reader.flags, { audio: true, video: true });
  assert.equal(reader.buffered, 0);
  const out = decode(tags);
  assert.deepEqual(out[0], { kind: 'config', config: avcC });
  assert.deepEqual(out[1], { kind: 'config', config: asc });
  assert.deepEqual(
    out.slice(2).map((t) => (t.kind === 'frame' ? t.frame : t)),
    frames,
  );
});

test('chunked input one byte at a time gives the same tags', () => {
  const all = encodeAll();
  const whole = roundTrip([all]).tags;
  const bytes = [...all].map((b) => Buffer.from([b]));
  const { tags, reader } = roundTrip(bytes);
  assert.deepEqual(tags, whole);
  assert.equal(reader.buffered, 0);
  // A partial tag stays queued until its last byte arrives.
  const r = new FlvReader();
  assert.equal(r.push(all.subarray(0, 20)).length, 0);
  assert.ok(r.push(all.subarray(20)).length === whole.length);
});

test('lent chunks: tags survive the read buffer being overwritten after every push', () => {
  const all = encodeAll();
  const whole = roundTrip([all]).tags;
  // Cuts that split the file header, tag headers and bodies, and chunks holding several tags.
  for (const step of [1, 3, 7, 16, 40, all.length]) {
    const shared = Buffer.alloc(64);
    const reader = new FlvReader();
    const tags: FlvTag[] = [];
    for (let at = 0; at < all.length; at += step) {
      const part = all.subarray(at, Math.min(at + step, all.length));
      let off = 0;
      while (off < part.length) {
        const n = part.copy(shared, 0, off, Math.min(off + shared.length, part.length));
        tags.push(...reader.push(shared.subarray(0, n), true));
        shared.fill(0xee); // the next read lands here
        off += n;
      }
    }
    assert.deepEqual(tags, whole, `step ${step}`);
    assert.equal(reader.buffered, 0);
    for (const t of tags) {
      assert.notEqual(t.body.buffer, shared.buffer, 'a body is never a view of the lent buffer');
    }
  }
});

function rejects(name: string, input: Buffer, opts = {}) {
  assert.throws(
    () => new FlvReader(opts).push(input),
    (e) => isCorralError(e, 'FLV_DECODE'),
    name,
  );
}

test('garbage is rejected with FLV_DECODE', () => {
  const head = new FlvWriter({ audio: true, video: true }).header();
  rejects('bad signature, early', Buffer.from('GE'));
  rejects('bad signature', Buffer.from('GET / HTTP/1.1\r\n\r\n'));
  rejects('bad version', Buffer.from('464c560205000000090000000000', 'hex'));
  rejects('huge data offset', Buffer.from('464c5601050fffffff00000000', 'hex'));
  rejects('unknown tag type', Buffer.concat([head, Buffer.from('07000001000000000000000000', 'hex')]));
  const good = flvTag(FLV_TAG_AUDIO, 0, Buffer.from([0xaf, 1, 2]));
  const badBack = Buffer.from(good);
  badBack.writeUInt32BE(99, badBack.length - 4);
  rejects('wrong PreviousTagSize', Buffer.concat([head, badBack]));
  const badStream = Buffer.from(good);
  badStream[10] = 1;
  rejects('non-zero StreamID', Buffer.concat([head, badStream]));
  // Oversized tags are refused from the header alone: nothing is buffered waiting for 16 MB.
  rejects('tag over the limit', Buffer.concat([head, Buffer.from('09ffffff00000000000000', 'hex')]), {
    maxTagSize: 1024,
  });
});
