import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isCorralError } from '../util/errors.js';
import {
  avcCodecString,
  isKeyframeAccessUnit,
  isKeyframeNal,
  nalType,
  parseAvcC,
  parseSps,
  splitAnnexB,
  splitNalUnits,
} from './h264.js';

const isDecode = (e: unknown): boolean => isCorralError(e, 'MEDIA_DECODE');

/**
 * avcC records cut out of mp4 files made by ffmpeg 5.1 / libx264 from lavfi testsrc2, with the
 * dimensions and rates ffprobe reported for them.
 */
const FIXTURES = [
  {
    // -s 640x360 -r 30 -profile:v high: 360 is not a multiple of 16, so 368 coded rows are cropped.
    name: 'high 640x360p30',
    avcC: '0164001effe1001a6764001eacd940a02ff970110000030001000003003c0f162d9601000668ebe3cb22c0fdf8f800',
    profile: 100,
    level: 30,
    codec: 'avc1.64001e',
    width: 640,
    height: 360,
    frameRate: 30,
  },
  {
    // -s 1920x1080 -r 25 -preset ultrafast: constrained baseline, 1088 coded rows.
    name: 'constrained baseline 1920x1080p25',
    avcC: '0142c028ffe100196742c028da01e0089f97011000000300100000030320f1832a01000468ce0fc8',
    profile: 66,
    level: 40,
    codec: 'avc1.42c028',
    width: 1920,
    height: 1080,
    frameRate: 25,
  },
  {
    name: 'constrained baseline 320x240p30',
    avcC: '0142c00dffe100186742c00dd90141fb0110000003001000000303c0f142a48001000568cb83cb20',
    profile: 66,
    level: 13,
    codec: 'avc1.42c00d',
    width: 320,
    height: 240,
    frameRate: 30,
  },
  {
    // -pix_fmt yuv444p10le -profile:v high444 -x264-params cqm=jvt: chroma_format_idc 3, bit
    // depths and a scaling matrix (12 lists) all precede the size fields.
    name: 'high 4:4:4 10-bit with scaling lists 1280x720p50',
    avcC: '01f40020ffe1001a67f4002090d9b280a00b760220000003002000000c81e30632c001000868ebe3c44c000440fffafa00',
    profile: 244,
    level: 32,
    codec: 'avc1.f40020',
    width: 1280,
    height: 720,
    frameRate: 50,
  },
  {
    // -pix_fmt yuv422p: chroma_format_idc 2 halves the vertical crop unit compared to 4:2:0.
    name: 'high 4:2:2 1920x1080p30',
    avcC: '017a0028ffe1001b677a0028bcd940780227e270110000030001000003003c0f18319601000768ebe3cb3002c0fef8f800',
    profile: 122,
    level: 40,
    codec: 'avc1.7a0028',
    width: 1920,
    height: 1080,
    frameRate: 30,
  },
  {
    // -flags +ildct: frame_mbs_only_flag 0, so map units are field MB pairs and crop rows double.
    name: 'high interlaced 1920x1080i25',
    avcC: '01640028ffe1001a67640028acd94078044fde0220000003002000000643e2c5b2c001000668fba3cb22c0fdf8f800',
    profile: 100,
    level: 40,
    codec: 'avc1.640028',
    width: 1920,
    height: 1080,
    frameRate: 25,
  },
];

describe('parseAvcC + parseSps on real x264 output', () => {
  for (const f of FIXTURES) {
    it(f.name, () => {
      const raw = Buffer.from(f.avcC, 'hex');
      const cfg = parseAvcC(raw);
      assert.equal(cfg.lengthSize, 4);
      assert.equal(cfg.sps.length, 1);
      assert.equal(cfg.pps.length, 1);
      assert.equal(cfg.profileIdc, raw[1]);
      assert.equal(cfg.profileCompat, raw[2]);
      assert.equal(cfg.levelIdc, raw[3]);
      assert.equal(nalType(cfg.sps[0]!), 7);
      assert.equal(nalType(cfg.pps[0]!), 8);
      assert.equal(avcCodecString(cfg), f.codec);
      assert.deepEqual(parseSps(cfg.sps[0]!), {
        profileIdc: f.profile,
        levelIdc: f.level,
        width: f.width,
        height: f.height,
        frameRate: f.frameRate,
      });
    });
  }

  it('copies parameter sets out of the input buffer', () => {
    const raw = Buffer.from(FIXTURES[0]!.avcC, 'hex');
    const cfg = parseAvcC(raw);
    raw.fill(0);
    assert.equal(nalType(cfg.sps[0]!), 7);
  });
});

describe('parseAvcC rejects malformed records', () => {
  const good = FIXTURES[2]!.avcC;
  const cases: Array<[string, string]> = [
    ['empty', ''],
    ['wrong version', '02' + good.slice(2)],
    ['truncated inside the SPS', good.slice(0, 30)],
    ['truncated before the PPS count', good.slice(0, 16 + 0x18 * 2)],
    ['PPS length past the end', good.slice(0, good.length - 2)],
    ['zero-length SPS', '0142c00dffe10000' + '01000568cb83cb20'],
  ];
  for (const [name, hex] of cases) {
    it(name, () => assert.throws(() => parseAvcC(Buffer.from(hex, 'hex')), isDecode));
  }
});

describe('parseSps rejects bad input', () => {
  it('a non-SPS NAL unit', () => assert.throws(() => parseSps(Buffer.from('68ebe3cb22c0', 'hex')), isDecode));
  it('a truncated SPS', () => {
    const sps = parseAvcC(Buffer.from(FIXTURES[0]!.avcC, 'hex')).sps[0]!;
    assert.throws(() => parseSps(sps.subarray(0, 8)), isDecode);
  });
});

describe('NAL unit splitting', () => {
  it('splits length-prefixed data for every length size, as views of the input', () => {
    const nals = [Buffer.from('65aabb', 'hex'), Buffer.from('41cc', 'hex')];
    for (const size of [1, 2, 3, 4]) {
      const data = Buffer.concat(
        nals.flatMap((n) => {
          const len = Buffer.alloc(size);
          len.writeUIntBE(n.length, 0, size);
          return [len, n];
        }),
      );
      const out = splitNalUnits(data, size);
      assert.deepEqual(out, nals);
      assert.equal(out[0]!.buffer, data.buffer);
      assert.equal(isKeyframeNal(out[0]!), true);
      assert.equal(isKeyframeNal(out[1]!), false);
      assert.equal(isKeyframeAccessUnit(data, size), true);
    }
  });

  it('rejects overruns, truncated prefixes and bad length sizes', () => {
    assert.throws(() => splitNalUnits(Buffer.from('0000000565aa', 'hex'), 4), isDecode);
    assert.throws(() => splitNalUnits(Buffer.from('000265aa00', 'hex'), 2), isDecode);
    assert.throws(() => splitNalUnits(Buffer.from('0165', 'hex'), 0), isDecode);
    assert.throws(() => splitNalUnits(Buffer.from('0165', 'hex'), 5), isDecode);
    assert.throws(() => nalType(Buffer.alloc(0)), isDecode);
  });

  it('is not a keyframe without an IDR slice', () => {
    assert.equal(
      isKeyframeAccessUnit(Buffer.from('00000002 0910 00000002 41aa'.replace(/ /g, ''), 'hex'), 4),
      false,
    );
  });

  it('splits Annex B with 3- and 4-byte start codes and trailing zeros', () => {
    const stream = Buffer.from('00000001 6764 000001 68ee 0000 00000001 65888400'.replace(/ /g, ''), 'hex');
    assert.deepEqual(
      splitAnnexB(stream).map((n) => n.toString('hex')),
      ['6764', '68ee', '65888400'],
    );
  });
});
