/**
 * Writers for the init segment's ISO BMFF boxes (ISO/IEC 14496-12) whose fields carry meaning, and
 * the values of every box box-reader.ts decodes. Each writer takes the same structured value its
 * decoder returns, so the golden-byte table can run both directions on one value. The fragment
 * boxes (mfhd, tfhd, tfdt, trun) are written in place by fmp4-segment.ts, the one writer of media
 * segments.
 */
import { UNITY_MATRIX, fixed16, fullBox, i16, packLanguage, u16, u32, zeros } from './bmff-write.js';

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
