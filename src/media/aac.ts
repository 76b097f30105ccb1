import { CorralError } from '../util/errors.js';
import { BitReader } from './bits.js';

/** The fields of an AudioSpecificConfig (ISO/IEC 14496-3 1.6.2.1) corral uses. */
export interface AacInfo {
  /** Audio object type as signalled first (2 = AAC-LC, 5 = SBR/HE-AAC, 29 = PS/HE-AACv2). */
  objectType: number;
  /** Sampling rate of the AAC core: the rate samplesPerFrame counts in. */
  sampleRate: number;
  /** 15 when the rate is written explicitly. */
  sampleRateIndex: number;
  /** From channelConfiguration; 0 means a program config element defines them (not parsed). */
  channels: number;
  /** 1024, or 960 when frameLengthFlag is set. */
  samplesPerFrame: number;
  /** SBR output rate, for explicitly signalled HE-AAC. */
  extensionSampleRate?: number;
}

const SAMPLE_RATES = [
  96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350,
];

// Object types whose config is a GASpecificConfig, which starts with frameLengthFlag.
const GA_TYPES = new Set([1, 2, 3, 4, 6, 7, 17, 19, 20, 21, 22, 23]);

function bad(msg: string): never {
  throw new CorralError('MEDIA_DECODE', msg);
}

function readObjectType(r: BitReader): number {
  const t = r.bits(5);
  return t === 31 ? 32 + r.bits(6) : t;
}

function readSampleRate(r: BitReader): { index: number; rate: number } {
  const index = r.bits(4);
  if (index === 15) {
    const rate = r.bits(24);
    if (rate === 0) bad('AudioSpecificConfig explicit sampling frequency is 0');
    return { index, rate };
  }
  const rate = SAMPLE_RATES[index];
  if (rate === undefined) bad(`AudioSpecificConfig samplingFrequencyIndex ${index} is reserved`);
  return { index, rate };
}

export function parseAsc(buf: Buffer): AacInfo {
  if (buf.length < 2) bad(`AudioSpecificConfig too short (${buf.length} bytes)`);
  try {
    const r = new BitReader(buf);
    const objectType = readObjectType(r);
    if (objectType === 0) bad('AudioSpecificConfig object type 0 is invalid');
    const { index, rate } = readSampleRate(r);
    const channelConfig = r.bits(4);
    if (channelConfig > 7 && channelConfig < 11) bad(`channelConfiguration ${channelConfig} is reserved`);
    let coreType = objectType;
    let extensionSampleRate: number | undefined;
    if (objectType === 5 || objectType === 29) {
      // Explicit hierarchical SBR signalling: the output rate, then the core's object type.
      extensionSampleRate = readSampleRate(r).rate;
      coreType = readObjectType(r);
    }
    let samplesPerFrame = 1024;
    if (GA_TYPES.has(coreType) && r.bitsLeft > 0) samplesPerFrame = r.flag() ? 960 : 1024;
    const info: AacInfo = {
      objectType,
      sampleRate: rate,
      sampleRateIndex: index,
      channels: channelCount(channelConfig),
      samplesPerFrame,
    };
    if (extensionSampleRate !== undefined) info.extensionSampleRate = extensionSampleRate;
    return info;
  } catch (e) {
    if (e instanceof CorralError) throw e;
    throw new CorralError('MEDIA_DECODE', 'AudioSpecificConfig malformed', { cause: e });
  }
}

// 14496-3 table 1.19 (+ amendments for 11..14).
function channelCount(cfg: number): number {
  const table: Record<number, number> = { 7: 8, 11: 7, 12: 8, 13: 24, 14: 8 };
  return table[cfg] ?? cfg;
}

/** RFC 6381 3.3: 'mp4a.40.' + the decimal audio object type. */
export function aacCodecString(info: AacInfo): string {
  return `mp4a.40.${info.objectType}`;
}
