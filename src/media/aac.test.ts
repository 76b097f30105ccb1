import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isCorralError } from '../util/errors.js';
import { aacCodecString, parseAsc } from './aac.js';

const CASES = [
  {
    name: 'AAC-LC 48 kHz stereo',
    hex: '1190',
    info: { objectType: 2, sampleRate: 48000, sampleRateIndex: 3, channels: 2, samplesPerFrame: 1024 },
    codec: 'mp4a.40.2',
  },
  {
    name: 'AAC-LC 44.1 kHz stereo',
    hex: '1210',
    info: { objectType: 2, sampleRate: 44100, sampleRateIndex: 4, channels: 2, samplesPerFrame: 1024 },
    codec: 'mp4a.40.2',
  },
  {
    // 00010 1111 (explicit) 0x00c350 (50000 Hz) 0010 (stereo) 1 (frameLengthFlag: 960) 00
    name: 'explicit 50 kHz sampling frequency, 960-sample frames',
    hex: '178061a814',
    info: { objectType: 2, sampleRate: 50000, sampleRateIndex: 15, channels: 2, samplesPerFrame: 960 },
    codec: 'mp4a.40.2',
  },
  {
    // 00101 (SBR) 0110 (24 kHz core) 0010 0011 (48 kHz output) 00010 (AAC-LC core) 000
    name: 'HE-AAC explicit signalling 24/48 kHz stereo',
    hex: '2b118800',
    info: {
      objectType: 5,
      sampleRate: 24000,
      sampleRateIndex: 6,
      channels: 2,
      samplesPerFrame: 1024,
      extensionSampleRate: 48000,
    },
    codec: 'mp4a.40.5',
  },
  {
    // 11111 001010 (escape: 32 + 10 = 42, USAC) 0011 (48 kHz) 0010 (stereo)
    name: 'escaped object type 42',
    hex: 'f94640',
    info: { objectType: 42, sampleRate: 48000, sampleRateIndex: 3, channels: 2, samplesPerFrame: 1024 },
    codec: 'mp4a.40.42',
  },
  {
    // channelConfiguration 7 is 7.1: eight channels, not seven.
    name: 'AAC-LC 48 kHz 7.1',
    hex: '11b8',
    info: { objectType: 2, sampleRate: 48000, sampleRateIndex: 3, channels: 8, samplesPerFrame: 1024 },
    codec: 'mp4a.40.2',
  },
];

describe('parseAsc', () => {
  for (const c of CASES) {
    it(c.name, () => {
      const info = parseAsc(Buffer.from(c.hex, 'hex'));
      assert.deepEqual(info, c.info);
      assert.equal(aacCodecString(info), c.codec);
    });
  }

  const BAD: Array<[string, string]> = [
    ['one byte', '11'],
    ['empty', ''],
    ['explicit frequency cut short', '1780'],
    ['reserved frequency index 13', '1690'],
    ['object type 0', '0190'],
    ['SBR extension cut short', '2b10'],
  ];
  for (const [name, hex] of BAD) {
    it(`rejects ${name} with MEDIA_DECODE`, () => {
      assert.throws(
        () => parseAsc(Buffer.from(hex, 'hex')),
        (e) => isCorralError(e, 'MEDIA_DECODE'),
      );
    });
  }
});
