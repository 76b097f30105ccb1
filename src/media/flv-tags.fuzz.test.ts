import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseAudioTag, parseVideoTag, splitAggregate } from './flv-tags.js';
import { isCorralError } from '../util/errors.js';

const RUNS = 3000;
const CODED = new Set(['FLV_DECODE', 'CODEC_UNSUPPORTED', 'MEDIA_DECODE']);

function codedOnly(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    if (!isCorralError(e) || !CODED.has(e.code)) throw e;
  }
}

// Headers that reach deep branches: AVC sequence header / NALU, Enhanced RTMP FourCC (avc1,
// hvc1), AAC config / raw, followed by random bytes.
const heads = [
  '1700', // AVC keyframe, sequence header
  '1701000000', // AVC keyframe, NALU, cts 0
  '2701000021', // AVC inter frame, NALU, cts 33
  '9061766331', // Enhanced RTMP: sequence start, avc1
  '9168766331', // Enhanced RTMP: coded frames, hvc1
  'af00', // AAC sequence header
  'af01', // AAC raw
  '2f01', // MP3
].map((h) => Buffer.from(h, 'hex'));

const body = fc.oneof(
  fc
    .tuple(fc.constantFrom(...heads), fc.uint8Array({ maxLength: 200 }))
    .map(([h, r]) => Buffer.concat([h, r])),
  fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a)),
);

test(`fuzz: FLV video and audio tag bodies (${RUNS} cases): a tag or a coded error`, () => {
  fc.assert(
    fc.property(body, fc.integer({ min: 0, max: 0xffffffff }), (b, ts) => {
      codedOnly(() => parseVideoTag(b, ts));
      codedOnly(() => parseAudioTag(b, ts));
    }),
    { numRuns: RUNS },
  );
});

test(`fuzz: FLV aggregate messages (${RUNS} cases): parts that lie inside the payload, or a coded error`, () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 400 }), fc.nat(), (bytes, ts) => {
      const payload = Buffer.from(bytes);
      codedOnly(() => {
        for (const part of splitAggregate(payload, ts)) {
          assert.ok(part.body.length <= payload.length);
        }
      });
    }),
    { numRuns: RUNS },
  );
});
