import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAudioTag, parseVideoTag, splitAggregate } from './flv-tags.js';
import { isCorralError } from '../util/errors.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
// A real avcC (Baseline 3.0 with one SPS and one PPS) and one length-prefixed NAL unit.
const avcC = hex('01 42c01e ff e1 0019 6742c01ed905a1fe59a10000030001000003003c0f162e4800 01 0004 68cb8cb2');
const nalu = hex('00000005 6588840021');

test('flv: AVC sequence header -> H264Config', () => {
  const tag = parseVideoTag(Buffer.concat([hex('17 00 000000'), avcC]), 0);
  assert.deepEqual(tag, { kind: 'config', config: { codec: 'h264', avcC } });
});

test('flv: AVC NALU keyframe with positive cts', () => {
  const tag = parseVideoTag(Buffer.concat([hex('17 01 000042'), nalu]), 1000);
  assert.deepEqual(tag, {
    kind: 'frame',
    frame: { type: 'video', dts: 1000, cts: 66, keyframe: true, data: nalu },
  });
});

test('flv: AVC NALU inter frame with negative cts (signed 24-bit)', () => {
  const tag = parseVideoTag(Buffer.concat([hex('27 01 ffffdf'), nalu]), 1033);
  assert.deepEqual(tag, {
    kind: 'frame',
    frame: { type: 'video', dts: 1033, cts: -33, keyframe: false, data: nalu },
  });
});

test('flv: AVC end of sequence and command frames are ignored', () => {
  assert.equal(parseVideoTag(hex('17 02 000000'), 0).kind, 'ignore');
  assert.equal(parseVideoTag(hex('57 00'), 0).kind, 'ignore');
  assert.equal(parseVideoTag(Buffer.alloc(0), 0).kind, 'ignore');
});

test('flv: truncated AVC tag => FLV_DECODE', () => {
  assert.throws(
    () => parseVideoTag(hex('17 01 00'), 0),
    (e: unknown) => isCorralError(e, 'FLV_DECODE'),
  );
  assert.throws(
    () => parseVideoTag(hex('17 00 000000 01'), 0),
    (e: unknown) => isCorralError(e, 'FLV_DECODE'),
  );
});

test('flv: AAC sequence header and raw frame', () => {
  const asc = hex('1190');
  assert.deepEqual(parseAudioTag(Buffer.concat([hex('af 00'), asc]), 0), {
    kind: 'config',
    config: { codec: 'aac', asc },
  });
  assert.deepEqual(parseAudioTag(hex('af 01 2100 4900'), 21), {
    kind: 'frame',
    frame: { type: 'audio', dts: 21, data: hex('2100 4900') },
  });
});

test('flv: enhanced RTMP avc1 is handled like classic AVC', () => {
  // 0x90 = ExHeader | keyframe, packet type 0 (SequenceStart)
  assert.deepEqual(parseVideoTag(Buffer.concat([hex('90 61766331'), avcC]), 0), {
    kind: 'config',
    config: { codec: 'h264', avcC },
  });
  // 0x91 = CodedFrames with SI24 cts
  assert.deepEqual(parseVideoTag(Buffer.concat([hex('91 61766331 fffff0'), nalu]), 500), {
    kind: 'frame',
    frame: { type: 'video', dts: 500, cts: -16, keyframe: true, data: nalu },
  });
  // 0xa3 = inter frame, CodedFramesX: no cts field
  assert.deepEqual(parseVideoTag(Buffer.concat([hex('a3 61766331'), nalu]), 533), {
    kind: 'frame',
    frame: { type: 'video', dts: 533, cts: 0, keyframe: false, data: nalu },
  });
  assert.equal(parseVideoTag(hex('92 61766331'), 0).kind, 'ignore');
  assert.equal(parseVideoTag(hex('94 61766331 02000a'), 0).kind, 'ignore');
});

function assertUnsupported(fn: () => unknown, re: RegExp) {
  assert.throws(
    fn,
    (e: unknown) => isCorralError(e, 'CODEC_UNSUPPORTED') && !e.recoverable && re.test(e.message),
  );
}

test('flv: enhanced RTMP hvc1, av01, vp09 and unknown FourCCs => CODEC_UNSUPPORTED', () => {
  assertUnsupported(() => parseVideoTag(hex('90 68766331 0102'), 0), /HEVC \(FourCC hvc1\)/);
  assertUnsupported(() => parseVideoTag(hex('91 61763031 000000 00'), 0), /AV1/);
  assertUnsupported(() => parseVideoTag(hex('93 76703039 00'), 0), /VP9/);
  assertUnsupported(() => parseVideoTag(hex('90 7a7a7a7a'), 0), /unknown \(FourCC zzzz\)/);
  assertUnsupported(() => parseVideoTag(hex('96 00'), 0), /multitrack/);
});

test('flv: classic non-AVC video codecs => CODEC_UNSUPPORTED', () => {
  assertUnsupported(() => parseVideoTag(hex('12 00'), 0), /Sorenson H\.263/);
  assertUnsupported(() => parseVideoTag(hex('1c 00 000000'), 0), /HEVC/);
});

test('flv: MP3, Speex and other audio => CODEC_UNSUPPORTED', () => {
  assertUnsupported(() => parseAudioTag(hex('2f fffb9064'), 0), /MP3/);
  assertUnsupported(() => parseAudioTag(hex('b6 00'), 0), /Speex/);
  assertUnsupported(() => parseAudioTag(hex('7e 00'), 0), /G\.711 A-law/);
});

test('flv: enhanced RTMP audio: mp4a accepted, Opus refused', () => {
  const asc = hex('1190');
  assert.deepEqual(parseAudioTag(Buffer.concat([hex('90 6d703461'), asc]), 0), {
    kind: 'config',
    config: { codec: 'aac', asc },
  });
  assert.deepEqual(parseAudioTag(hex('91 6d703461 2100'), 5), {
    kind: 'frame',
    frame: { type: 'audio', dts: 5, data: hex('2100') },
  });
  assertUnsupported(() => parseAudioTag(hex('90 4f707573 00'), 0), /Opus/);
  assertUnsupported(() => parseAudioTag(hex('90 664c6143 00'), 0), /FLAC/);
});

test('flv: aggregate message splits into timed tags', () => {
  const tag = (type: number, ts: number, body: Buffer) => {
    const h = Buffer.alloc(11);
    h[0] = type;
    h.writeUIntBE(body.length, 1, 3);
    h.writeUIntBE(ts & 0xffffff, 4, 3);
    h[7] = ts >>> 24;
    const back = Buffer.alloc(4);
    back.writeUInt32BE(11 + body.length);
    return Buffer.concat([h, body, back]);
  };
  const parts = splitAggregate(Buffer.concat([tag(9, 5000, hex('17')), tag(8, 5021, hex('af01'))]), 100);
  assert.deepEqual(parts, [
    { typeId: 9, timestamp: 100, body: hex('17') },
    { typeId: 8, timestamp: 121, body: hex('af01') },
  ]);
  assert.throws(
    () => splitAggregate(hex('09 0000ff 000000 00 000000 00'), 0),
    (e: unknown) => isCorralError(e, 'FLV_DECODE'),
  );
});
