/**
 * Writers for the individual ISO BMFF boxes (ISO/IEC 14496-12) whose fields carry meaning. Each
 * takes the same structured value its decoder in box-reader.ts returns, so the golden-byte table
 * can run both directions on one value.
 */
import {
  UNITY_MATRIX,
  fixed16,
  fullBox,
  i16,
  i32,
  packLanguage,
  u16,
  u32,
  u64,
  zeros,
} from './bmff-write.js';

export interface Mvhd {
  timescale: number;
  duration: number;
  nextTrackId: number;
}

export interface Tkhd {
  /** 1 enabled | 2 in_movie | 4 in_preview. */
  flags: number;
  trackId: number;
  duration: number;
  /** 8.8 fixed point as a number: 1 for audio, 0 otherwise. */
  volume: number;
  width: number;
  height: number;
}

export interface Mdhd {
  timescale: number;
  duration: number;
  language: string;
}

export interface Trex {
  trackId: number;
  defaultSampleDescriptionIndex: number;
  defaultSampleDuration: number;
  defaultSampleSize: number;
  defaultSampleFlags: number;
}

export interface Mfhd {
  sequenceNumber: number;
}

export const TFHD_BASE_DATA_OFFSET = 0x000001;
export const TFHD_SAMPLE_DESCRIPTION_INDEX = 0x000002;
export const TFHD_DEFAULT_DURATION = 0x000008;
export const TFHD_DEFAULT_SIZE = 0x000010;
export const TFHD_DEFAULT_FLAGS = 0x000020;
export const TFHD_DEFAULT_BASE_IS_MOOF = 0x020000;

export interface Tfhd {
  flags: number;
  trackId: number;
  baseDataOffset?: number;
  sampleDescriptionIndex?: number;
  defaultSampleDuration?: number;
  defaultSampleSize?: number;
  defaultSampleFlags?: number;
}

export interface Tfdt {
  baseMediaDecodeTime: number;
}

export const TRUN_DATA_OFFSET = 0x000001;
export const TRUN_FIRST_SAMPLE_FLAGS = 0x000004;
export const TRUN_DURATION = 0x000100;
export const TRUN_SIZE = 0x000200;
export const TRUN_FLAGS = 0x000400;
export const TRUN_CTS = 0x000800;

export interface TrunSample {
  duration?: number;
  size?: number;
  flags?: number;
  compositionTimeOffset?: number;
}

export interface Trun {
  dataOffset?: number;
  firstSampleFlags?: number;
  samples: TrunSample[];
}

/** Sample flags (14496-12 8.8.3.1): an independently decodable sync sample. */
export const SAMPLE_FLAGS_SYNC = 0x02000000;
/** A sample that depends on others and is not a sync sample. */
export const SAMPLE_FLAGS_NON_SYNC = 0x01010000;

export function writeMvhd(v: Mvhd): Buffer {
  return fullBox(
    'mvhd',
    0,
    0,
    zeros(8), // creation_time, modification_time: 0 keeps output deterministic
    u32(v.timescale),
    u32(v.duration),
    u32(0x00010000), // rate 1.0
    u16(0x0100), // volume 1.0
    zeros(10), // reserved
    UNITY_MATRIX,
    zeros(24), // pre_defined
    u32(v.nextTrackId),
  );
}

export function writeTkhd(v: Tkhd): Buffer {
  return fullBox(
    'tkhd',
    0,
    v.flags,
    zeros(8),
    u32(v.trackId),
    zeros(4),
    u32(v.duration),
    zeros(8),
    zeros(4), // layer, alternate_group
    i16(Math.round(v.volume * 256)),
    zeros(2),
    UNITY_MATRIX,
    fixed16(v.width),
    fixed16(v.height),
  );
}

export function writeMdhd(v: Mdhd): Buffer {
  return fullBox(
    'mdhd',
    0,
    0,
    zeros(8),
    u32(v.timescale),
    u32(v.duration),
    u16(packLanguage(v.language)),
    zeros(2),
  );
}

export function writeTrex(v: Trex): Buffer {
  return fullBox(
    'trex',
    0,
    0,
    u32(v.trackId),
    u32(v.defaultSampleDescriptionIndex),
    u32(v.defaultSampleDuration),
    u32(v.defaultSampleSize),
    u32(v.defaultSampleFlags),
  );
}

export function writeMfhd(v: Mfhd): Buffer {
  return fullBox('mfhd', 0, 0, u32(v.sequenceNumber));
}

export function writeTfhd(v: Tfhd): Buffer {
  const parts = [u32(v.trackId)];
  const need = (flag: number, value: number | undefined, name: string): number => {
    if (value === undefined) throw new RangeError(`tfhd flag 0x${flag.toString(16)} set without ${name}`);
    return value;
  };
  if (v.flags & TFHD_BASE_DATA_OFFSET)
    parts.push(u64(need(TFHD_BASE_DATA_OFFSET, v.baseDataOffset, 'baseDataOffset')));
  if (v.flags & TFHD_SAMPLE_DESCRIPTION_INDEX) {
    parts.push(u32(need(TFHD_SAMPLE_DESCRIPTION_INDEX, v.sampleDescriptionIndex, 'sampleDescriptionIndex')));
  }
  if (v.flags & TFHD_DEFAULT_DURATION) {
    parts.push(u32(need(TFHD_DEFAULT_DURATION, v.defaultSampleDuration, 'defaultSampleDuration')));
  }
  if (v.flags & TFHD_DEFAULT_SIZE)
    parts.push(u32(need(TFHD_DEFAULT_SIZE, v.defaultSampleSize, 'defaultSampleSize')));
  if (v.flags & TFHD_DEFAULT_FLAGS)
    parts.push(u32(need(TFHD_DEFAULT_FLAGS, v.defaultSampleFlags, 'defaultSampleFlags')));
  return fullBox('tfhd', 0, v.flags, ...parts);
}

/** Always version 1: a 64-bit decode time never wraps, however long the stream runs. */
export function writeTfdt(v: Tfdt): Buffer {
  return fullBox('tfdt', 1, 0, u64(v.baseMediaDecodeTime));
}

/** Byte offset of data_offset inside a trun written by writeTrun (header 8 + version/flags 4 + count 4). */
export const TRUN_DATA_OFFSET_POS = 16;

/**
 * Version 1 (signed composition offsets, which B-frames need when pts may precede dts). Which
 * per-sample fields are written follows the first sample; every sample must carry the same set.
 */
export function writeTrun(v: Trun): Buffer {
  const first = v.samples[0] ?? {};
  let flags = 0;
  if (v.dataOffset !== undefined) flags |= TRUN_DATA_OFFSET;
  if (v.firstSampleFlags !== undefined) flags |= TRUN_FIRST_SAMPLE_FLAGS;
  if (first.duration !== undefined) flags |= TRUN_DURATION;
  if (first.size !== undefined) flags |= TRUN_SIZE;
  if (first.flags !== undefined) flags |= TRUN_FLAGS;
  if (first.compositionTimeOffset !== undefined) flags |= TRUN_CTS;
  const parts = [u32(v.samples.length)];
  if (v.dataOffset !== undefined) parts.push(i32(v.dataOffset));
  if (v.firstSampleFlags !== undefined) parts.push(u32(v.firstSampleFlags));
  const per = Buffer.alloc(v.samples.length * 4 * countBits(flags & 0xf00));
  let o = 0;
  v.samples.forEach((s, i) => {
    const field = (flag: number, value: number | undefined): number | undefined => {
      const present = (flags & flag) !== 0;
      if (present !== (value !== undefined))
        throw new RangeError(`trun sample ${i} fields differ from sample 0`);
      return value;
    };
    const d = field(TRUN_DURATION, s.duration);
    if (d !== undefined) o = per.writeUInt32BE(d, o);
    const z = field(TRUN_SIZE, s.size);
    if (z !== undefined) o = per.writeUInt32BE(z, o);
    const f = field(TRUN_FLAGS, s.flags);
    if (f !== undefined) o = per.writeUInt32BE(f, o);
    const c = field(TRUN_CTS, s.compositionTimeOffset);
    if (c !== undefined) o = per.writeInt32BE(c, o);
  });
  parts.push(per);
  return fullBox('trun', 1, flags, ...parts);
}

function countBits(n: number): number {
  let c = 0;
  for (let x = n; x; x &= x - 1) c++;
  return c;
}
