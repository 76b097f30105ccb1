import { test } from 'node:test';
import fc from 'fast-check';
import { parseAvcC, parseSps, splitAnnexB, splitNalUnits } from './h264.js';
import { parseAsc } from './aac.js';
import { isCorralError } from '../util/errors.js';

const RUNS = 3000;

// Real records (ffmpeg/libx264 avcC, AAC-LC / HE-AAC AudioSpecificConfigs) as mutation seeds, so
// the fuzzer reaches the deep branches that random bytes never pass the first check of.
const AVCC_SEEDS = [
  '0164001effe1001a6764001eacd940a02ff970110000030001000003003c0f162d9601000668ebe3cb22c0fdf8f800',
  '0142c028ffe100196742c028da01e0089f97011000000300100000030320f1832a01000468ce0fc8',
].map((h) => Buffer.from(h, 'hex'));
const ASC_SEEDS = ['1190', '1210', '178061a814', '2b118800'].map((h) => Buffer.from(h, 'hex'));

/** Bad input must end in MEDIA_DECODE, never a RangeError or an endless loop. */
function codedOnly(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    if (!isCorralError(e) || e.code !== 'MEDIA_DECODE') throw e;
  }
}

const mutated = (seeds: Buffer[]) =>
  fc
    .tuple(
      fc.constantFrom(...seeds),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 5 }),
      fc.nat(),
    )
    .map(([seed, flips, cut]) => {
      const b = Buffer.from(seed);
      for (const [pos, val] of flips) b[pos % b.length] = val;
      return b.subarray(0, b.length - (cut % 3));
    });

const input = (seeds: Buffer[]) =>
  fc.oneof(
    mutated(seeds),
    fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
  );

test(`fuzz: avcC and SPS parsing (${RUNS} cases: mutated real records and random bytes)`, () => {
  fc.assert(
    fc.property(input(AVCC_SEEDS), (buf) => {
      codedOnly(() => {
        const cfg = parseAvcC(buf);
        for (const sps of cfg.sps) codedOnly(() => parseSps(sps));
      });
      codedOnly(() => parseSps(buf.subarray(Math.min(buf.length, 8))));
    }),
    { numRuns: RUNS },
  );
});

test(`fuzz: AudioSpecificConfig parsing (${RUNS} cases)`, () => {
  fc.assert(
    fc.property(input(ASC_SEEDS), (buf) => codedOnly(() => parseAsc(buf))),
    { numRuns: RUNS },
  );
});

test(`fuzz: NAL unit splitting, length-prefixed and Annex B (${RUNS} cases)`, () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 400 }), fc.integer({ min: 1, max: 4 }), (bytes, lengthSize) => {
      const buf = Buffer.from(bytes);
      codedOnly(() => splitNalUnits(buf, lengthSize));
      codedOnly(() => splitAnnexB(buf));
    }),
    { numRuns: RUNS },
  );
});
