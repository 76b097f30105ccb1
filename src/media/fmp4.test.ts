import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isCorralError } from '../util/errors.js';
import {
  decodeMdhd,
  decodeMfhd,
  decodeTfdt,
  decodeTfhd,
  decodeTkhd,
  decodeTrex,
  decodeTrun,
  parseBoxes,
} from './box-reader.js';
import { writeMdhd, writeTkhd, writeTrex } from './fmp4-boxes.js';
import { writeInitSegment } from './fmp4-init.js';
import { readInitSegment, readMediaSegment } from './fmp4-read.js';
import { writeMediaSegment } from './fmp4-segment.js';
import type { MediaSegmentOptions, TrackInfo } from './fmp4-types.js';

/** Hex with spaces, newlines and `|` comments-free separators stripped. */
const hex = (s: string): Buffer => Buffer.from(s.replace(/[\s|]/g, ''), 'hex');

const MATRIX = '00010000 00000000 00000000 00000000 00010000 00000000 00000000 00000000 40000000';

/** Decodes a buffer holding exactly one box of the given type with `decode`. */
function one<T>(type: string, decode: (p: Buffer) => T): (b: Buffer) => T {
  return (b) => {
    const boxes = parseBoxes(b);
    assert.equal(boxes.length, 1);
    assert.equal(boxes[0]!.type, type);
    return decode(boxes[0]!.payload);
  };
}

interface GoldenCase {
  name: string;
  value: unknown;
  bytes: Buffer;
  /** Absent for the fragment boxes: only the media segment writer writes them (its row below). */
  marshal?: (v: never) => Buffer;
  unmarshal: (b: Buffer) => unknown;
}

const audioTrack: TrackInfo = {
  kind: 'audio',
  id: 1,
  timescale: 48000,
  asc: hex('1190'),
  channels: 2,
  sampleRate: 48000,
};

const segment: MediaSegmentOptions = {
  sequenceNumber: 1,
  styp: true,
  fragments: [
    {
      trackId: 1,
      baseMediaDecodeTime: 0,
      samples: [
        { duration: 1024, cts: 512, keyframe: true, data: hex('aabb') },
        { duration: 1024, cts: -512, keyframe: false, data: hex('cc') },
      ],
    },
  ],
};

// Expected bytes written out by hand from ISO/IEC 14496-12 field layouts (sizes counted by hand).
const GOLDEN: GoldenCase[] = [
  {
    name: 'mfhd',
    value: { sequenceNumber: 7 },
    bytes: hex('00000010 6d666864 | 00000000 | 00000007'),
    unmarshal: one('mfhd', decodeMfhd),
  },
  {
    name: 'tfhd default-base-is-moof',
    value: { flags: 0x020000, trackId: 1 },
    bytes: hex('00000010 74666864 | 00020000 | 00000001'),
    unmarshal: one('tfhd', decodeTfhd),
  },
  {
    name: 'tfhd with every optional field',
    value: {
      flags: 0x3b,
      trackId: 1,
      baseDataOffset: 2 ** 32,
      sampleDescriptionIndex: 1,
      defaultSampleDuration: 3000,
      defaultSampleSize: 1234,
      defaultSampleFlags: 0x01010000,
    },
    bytes: hex(
      '00000028 74666864 | 0000003b | 00000001 | 00000001 00000000 | 00000001 | 00000bb8 | 000004d2 | 01010000',
    ),
    unmarshal: one('tfhd', decodeTfhd),
  },
  {
    name: 'tfdt v1 past 2^32',
    value: { baseMediaDecodeTime: 2 ** 33 + 5 },
    bytes: hex('00000014 74666474 | 01000000 | 00000002 00000005'),
    unmarshal: one('tfdt', decodeTfdt),
  },
  {
    name: 'trun v1 with data offset and all per-sample fields',
    value: {
      dataOffset: 100,
      samples: [
        { duration: 3000, size: 1000, flags: 0x02000000, compositionTimeOffset: 6000 },
        { duration: 3000, size: 200, flags: 0x01010000, compositionTimeOffset: -3000 },
      ],
    },
    bytes: hex(`00000034 7472756e | 01000f01 | 00000002 | 00000064
      00000bb8 000003e8 02000000 00001770
      00000bb8 000000c8 01010000 fffff448`),
    unmarshal: one('trun', decodeTrun),
  },
  {
    name: 'trex',
    value: {
      trackId: 2,
      defaultSampleDescriptionIndex: 1,
      defaultSampleDuration: 0,
      defaultSampleSize: 0,
      defaultSampleFlags: 0x00010000,
    },
    bytes: hex('00000020 74726578 | 00000000 | 00000002 00000001 00000000 00000000 00010000'),
    marshal: writeTrex,
    unmarshal: one('trex', decodeTrex),
  },
  {
    name: 'mdhd 90 kHz und',
    value: { timescale: 90000, duration: 0, language: 'und' },
    bytes: hex('00000020 6d646864 | 00000000 | 00000000 00000000 | 00015f90 | 00000000 | 55c4 0000'),
    marshal: writeMdhd,
    unmarshal: one('mdhd', decodeMdhd),
  },
  {
    name: 'tkhd video 640x360',
    value: { flags: 7, trackId: 1, duration: 0, volume: 0, width: 640, height: 360 },
    bytes: hex(`0000005c 746b6864 | 00000007 | 00000000 00000000 | 00000001 | 00000000 | 00000000
      00000000 00000000 | 0000 0000 | 0000 0000 | ${MATRIX} | 02800000 | 01680000`),
    marshal: writeTkhd,
    unmarshal: one('tkhd', decodeTkhd),
  },
  {
    name: 'media segment: styp + moof(mfhd, traf(tfhd, tfdt, trun)) + mdat',
    value: segment,
    bytes: hex(`
      0000001c 73747970 6d736468 00000000 6d736468 636d6673 636d6666
      00000078 6d6f6f66
        00000010 6d666864 00000000 00000001
        00000060 74726166
          00000010 74666864 00020000 00000001
          00000014 74666474 01000000 00000000 00000000
          00000034 7472756e 01000f01 00000002 00000080
            00000400 00000002 02000000 00000200
            00000400 00000001 01010000 fffffe00
      0000000b 6d646174 aabbcc`),
    marshal: writeMediaSegment,
    unmarshal: readMediaSegment,
  },
  {
    name: 'init segment: one AAC-LC track',
    value: [audioTrack],
    bytes: hex(`
      00000020 66747970 69736f36 00000000 69736f36 636d6663 64617368 6d703431
      00000238 6d6f6f76
        0000006c 6d766864 00000000 00000000 00000000 000003e8 00000000 00010000 0100
          0000 00000000 00000000 ${MATRIX} ${'00'.repeat(24)} 00000002
        0000019c 7472616b
          0000005c 746b6864 00000007 00000000 00000000 00000001 00000000 00000000
            00000000 00000000 0000 0000 0100 0000 ${MATRIX} 00000000 00000000
          00000138 6d646961
            00000020 6d646864 00000000 00000000 00000000 0000bb80 00000000 55c4 0000
            0000002d 68646c72 00000000 00000000 736f756e 00000000 00000000 00000000
              536f756e6448616e646c657200
            000000e3 6d696e66
              00000010 736d6864 00000000 0000 0000
              00000024 64696e66
                0000001c 64726566 00000000 00000001
                  0000000c 75726c20 00000001
              000000a7 7374626c
                0000005b 73747364 00000000 00000001
                  0000004b 6d703461 000000000000 0001 00000000 00000000 0002 0010 0000 0000 bb800000
                    00000027 65736473 00000000
                      03 19 0000 00
                        04 11 40 15 000000 00000000 00000000
                          05 02 1190
                        06 01 02
                00000010 73747473 00000000 00000000
                00000010 73747363 00000000 00000000
                00000014 7374737a 00000000 00000000 00000000
                00000010 7374636f 00000000 00000000
        00000028 6d766578
          00000020 74726578 00000000 00000001 00000001 00000000 00000000 00000000`),
    marshal: writeInitSegment,
    unmarshal: (b) => readInitSegment(b).tracks,
  },
];

describe('fMP4 golden bytes (marshal and unmarshal)', () => {
  for (const c of GOLDEN) {
    it(c.name, () => {
      if (c.marshal) assert.equal(c.marshal(c.value as never).toString('hex'), c.bytes.toString('hex'));
      assert.deepEqual(c.unmarshal(c.bytes), c.value);
    });
  }
});

describe('fMP4 round trips', () => {
  it('two trafs share one mdat; each data offset points at its own samples', () => {
    const opts: MediaSegmentOptions = {
      sequenceNumber: 42,
      fragments: [
        {
          trackId: 1,
          baseMediaDecodeTime: 2 ** 40,
          samples: [
            { duration: 3000, cts: 6000, keyframe: true, data: Buffer.from('first video frame') },
            { duration: 3000, cts: -3000, keyframe: false, data: Buffer.from('b') },
            { duration: 3000, cts: 0, keyframe: false, data: Buffer.alloc(0) },
          ],
        },
        {
          trackId: 2,
          baseMediaDecodeTime: 96000,
          samples: [
            { duration: 1024, cts: 0, keyframe: true, data: Buffer.from('aac one') },
            { duration: 1024, cts: 0, keyframe: true, data: Buffer.from('aac two') },
          ],
        },
        { trackId: 3, baseMediaDecodeTime: 0, samples: [] },
      ],
    };
    const buf = writeMediaSegment(opts);
    assert.deepEqual(readMediaSegment(buf), { ...opts, styp: false });
    const top = parseBoxes(buf);
    assert.deepEqual(
      top.map((b) => b.type),
      ['moof', 'mdat'],
    );
    const mdat = top[1]!;
    assert.equal(
      mdat.payload.toString(),
      'first video framebaac oneaac two',
      'payload order follows traf order',
    );
    const trafs = top[0]!.children!.filter((b) => b.type === 'traf');
    const offsets = trafs.map(
      (t) => decodeTrun(t.children!.find((c) => c.type === 'trun')!.payload).dataOffset,
    );
    const start = mdat.offset + mdat.headerSize;
    assert.deepEqual(offsets, [start, start + 18, start + 32]);
  });

  it('a multi-fragment styp does not claim CMAF brands', () => {
    const buf = writeMediaSegment({
      sequenceNumber: 1,
      styp: true,
      fragments: [
        { trackId: 1, baseMediaDecodeTime: 0, samples: [] },
        { trackId: 2, baseMediaDecodeTime: 0, samples: [] },
      ],
    });
    const styp = parseBoxes(buf)[0]!;
    assert.equal(styp.type, 'styp');
    assert.equal(styp.payload.toString('latin1'), 'msdh\0\0\0\0msdh');
  });

  it('video + audio init segment reads back, with the avcC bytes verbatim', () => {
    const avcC = hex('0142c00dffe100186742c00dd90141fb0110000003001000000303c0f142a48001000568cb83cb20');
    const tracks: TrackInfo[] = [
      { kind: 'video', id: 1, timescale: 90000, avcC, width: 320, height: 240 },
      { kind: 'audio', id: 2, timescale: 44100, asc: hex('1210'), channels: 2, sampleRate: 44100 },
    ];
    const init = readInitSegment(writeInitSegment(tracks));
    assert.deepEqual(init.tracks, tracks);
    assert.deepEqual(init.ftyp.compatibleBrands, ['iso6', 'dash', 'mp41']);
    assert.deepEqual(
      init.trex.map((t) => [t.trackId, t.defaultSampleDescriptionIndex]),
      [
        [1, 1],
        [2, 1],
      ],
    );
  });

  it('audio above 65535 Hz writes samplerate 0 and reads the rate from the ASC', () => {
    // 00010 0000 (96 kHz) 0010 000
    const track: TrackInfo = {
      kind: 'audio',
      id: 1,
      timescale: 96000,
      asc: hex('1010'),
      channels: 2,
      sampleRate: 96000,
    };
    assert.deepEqual(readInitSegment(writeInitSegment([track])).tracks, [track]);
  });

  it('refuses duplicate track ids and out-of-range values', () => {
    const v: TrackInfo = { kind: 'video', id: 1, timescale: 90000, avcC: hex('01'), width: 2, height: 2 };
    assert.throws(() => writeInitSegment([v, v]), RangeError);
    assert.throws(() => writeInitSegment([]), RangeError);
    const frag = (cts: number, bmdt = 0) => ({
      sequenceNumber: 1,
      fragments: [
        {
          trackId: 1,
          baseMediaDecodeTime: bmdt,
          samples: [{ duration: 1, cts, keyframe: true, data: hex('00') }],
        },
      ],
    });
    assert.throws(() => writeMediaSegment(frag(2 ** 31)), RangeError);
    assert.throws(() => writeMediaSegment(frag(0, -1)), RangeError);
    assert.throws(() => writeMediaSegment(frag(0, 2 ** 53)), RangeError);
  });
});

describe('box reader bounds', () => {
  const isDecode = (e: unknown): boolean => isCorralError(e, 'MEDIA_DECODE');
  const seg = writeMediaSegment(segment);

  it('throws MEDIA_DECODE on every truncation of a segment', () => {
    for (let n = 1; n < seg.length; n++) {
      assert.throws(() => readMediaSegment(seg.subarray(0, n)), isDecode, `truncated to ${n} bytes`);
    }
  });

  it('size 0 extends to the end; sizes below the header are refused', () => {
    const boxes = parseBoxes(hex('00000008 66726565 00000000 6d646174 0102030405'));
    assert.deepEqual(
      boxes.map((b) => [b.type, b.size, b.payload.length]),
      [
        ['free', 8, 0],
        ['mdat', 13, 5],
      ],
    );
    assert.throws(() => parseBoxes(hex('00000004 66726565')), isDecode);
    assert.throws(() => parseBoxes(hex('00000001 6d646174 00000000 00000008')), isDecode);
  });

  it('reads a 64-bit largesize box', () => {
    const [b] = parseBoxes(hex('00000001 6d646174 00000000 00000012 abcd'));
    assert.equal(b!.size, 18);
    assert.equal(b!.payload.toString('hex'), 'abcd');
  });

  it('refuses a trun whose sample count exceeds the box', () => {
    assert.throws(() => decodeTrun(hex('01000f01 7fffffff 00000000')), isDecode);
  });

  it('refuses sample data outside the mdat', () => {
    const bad = Buffer.from(seg);
    const trunAt = bad.indexOf('trun', 0, 'latin1');
    bad.writeUInt32BE(0xffff, trunAt + 4 + 4 + 4 + 4 + 4); // first sample size
    assert.throws(() => readMediaSegment(bad), isDecode);
  });
});
