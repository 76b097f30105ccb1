import { CorralError } from '../util/errors.js';
import { BitReader, removeEmulationPrevention } from './bits.js';

/** The fields of an AVCDecoderConfigurationRecord (ISO/IEC 14496-15 5.3.3.1) corral uses. */
export interface AvcConfig {
  profileIdc: number;
  profileCompat: number;
  levelIdc: number;
  /** Bytes in each NAL unit length prefix of the samples (1, 2 or 4 in practice). */
  lengthSize: number;
  sps: Buffer[];
  pps: Buffer[];
}

export interface SpsInfo {
  profileIdc: number;
  levelIdc: number;
  /** Display size in luma samples, after frame cropping. */
  width: number;
  height: number;
  /** Frames per second from VUI timing info, when the encoder wrote it. */
  frameRate?: number;
}

export const NAL_IDR = 5;
export const NAL_SPS = 7;
export const NAL_PPS = 8;

function bad(msg: string): never {
  throw new CorralError('MEDIA_DECODE', msg);
}

export function parseAvcC(buf: Buffer): AvcConfig {
  if (buf.length < 7) bad(`avcC too short (${buf.length} bytes)`);
  if (buf[0] !== 1) bad(`avcC configurationVersion ${buf[0]} is not 1`);
  const lengthSize = ((buf[4] as number) & 3) + 1;
  let pos = 6;
  // Parameter sets are copied: a config lives as long as the stream and must not pin the
  // (possibly large) ingest buffer it was sliced from.
  const readSets = (count: number, what: string): Buffer[] => {
    const out: Buffer[] = [];
    for (let i = 0; i < count; i++) {
      if (pos + 2 > buf.length) bad(`avcC truncated in ${what} length`);
      const len = buf.readUInt16BE(pos);
      pos += 2;
      if (len === 0 || pos + len > buf.length) bad(`avcC ${what} #${i} length ${len} out of bounds`);
      out.push(Buffer.from(buf.subarray(pos, pos + len)));
      pos += len;
    }
    return out;
  };
  const sps = readSets((buf[5] as number) & 0x1f, 'SPS');
  if (pos >= buf.length) bad('avcC truncated before PPS count');
  const ppsCount = buf[pos++] as number;
  const pps = readSets(ppsCount, 'PPS');
  // High-profile records may carry chroma/bit-depth extension fields after the PPS; they repeat
  // what the SPS says, so they are ignored.
  return {
    profileIdc: buf[1] as number,
    profileCompat: buf[2] as number,
    levelIdc: buf[3] as number,
    lengthSize,
    sps,
    pps,
  };
}

const hex2 = (n: number): string => n.toString(16).padStart(2, '0');

/** RFC 6381 3.3: 'avc1.' + profile_idc, constraint flags byte, level_idc as two hex digits each. */
export function avcCodecString(cfg: AvcConfig): string {
  return `avc1.${hex2(cfg.profileIdc)}${hex2(cfg.profileCompat)}${hex2(cfg.levelIdc)}`;
}

// Profiles whose SPS carries chroma_format_idc, bit depths and scaling matrices (H.264 7.3.2.1.1).
const HIGH_PROFILES = new Set([100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135]);

function skipScalingList(r: BitReader, size: number): void {
  let last = 8;
  let next = 8;
  for (let j = 0; j < size; j++) {
    if (next !== 0) next = (last + r.se() + 256) % 256;
    last = next === 0 ? last : next;
  }
}

/** Parses a sequence parameter set NAL unit (header byte included), H.264 7.3.2.1.1 and E.1.1. */
export function parseSps(nal: Buffer): SpsInfo {
  if (nal.length < 4) bad(`SPS too short (${nal.length} bytes)`);
  if (((nal[0] as number) & 0x1f) !== NAL_SPS) bad(`NAL type ${(nal[0] as number) & 0x1f} is not an SPS`);
  const r = new BitReader(removeEmulationPrevention(nal.subarray(1)));
  const profileIdc = r.bits(8);
  r.skip(8); // constraint_set flags + reserved
  const levelIdc = r.bits(8);
  r.ue(); // seq_parameter_set_id
  let chromaFormatIdc = 1;
  let separateColourPlane = false;
  if (HIGH_PROFILES.has(profileIdc)) {
    chromaFormatIdc = r.ue();
    if (chromaFormatIdc > 3) bad(`SPS chroma_format_idc ${chromaFormatIdc} invalid`);
    if (chromaFormatIdc === 3) separateColourPlane = r.flag();
    r.ue(); // bit_depth_luma_minus8
    r.ue(); // bit_depth_chroma_minus8
    r.skip(1); // qpprime_y_zero_transform_bypass_flag
    if (r.flag()) {
      const lists = chromaFormatIdc === 3 ? 12 : 8;
      for (let i = 0; i < lists; i++) if (r.flag()) skipScalingList(r, i < 6 ? 16 : 64);
    }
  }
  r.ue(); // log2_max_frame_num_minus4
  const pocType = r.ue();
  if (pocType === 0) {
    r.ue(); // log2_max_pic_order_cnt_lsb_minus4
  } else if (pocType === 1) {
    r.skip(1); // delta_pic_order_always_zero_flag
    r.se(); // offset_for_non_ref_pic
    r.se(); // offset_for_top_to_bottom_field
    const cycle = r.ue();
    if (cycle > 255) bad(`SPS num_ref_frames_in_pic_order_cnt_cycle ${cycle} > 255`);
    for (let i = 0; i < cycle; i++) r.se();
  } else if (pocType !== 2) {
    bad(`SPS pic_order_cnt_type ${pocType} invalid`);
  }
  r.ue(); // max_num_ref_frames
  r.skip(1); // gaps_in_frame_num_value_allowed_flag
  const widthMbs = r.ue() + 1;
  const heightMapUnits = r.ue() + 1;
  const frameMbsOnly = r.flag();
  if (!frameMbsOnly) r.skip(1); // mb_adaptive_frame_field_flag
  r.skip(1); // direct_8x8_inference_flag
  let crop = { left: 0, right: 0, top: 0, bottom: 0 };
  if (r.flag()) crop = { left: r.ue(), right: r.ue(), top: r.ue(), bottom: r.ue() };

  // Crop units per 7.4.2.1.1: chroma subsampling scales them, and field coding doubles the rows.
  const chromaArrayType = separateColourPlane ? 0 : chromaFormatIdc;
  const subWidthC = chromaArrayType === 1 || chromaArrayType === 2 ? 2 : 1;
  const subHeightC = chromaArrayType === 1 ? 2 : 1;
  const fieldFactor = frameMbsOnly ? 1 : 2;
  const cropUnitX = chromaArrayType === 0 ? 1 : subWidthC;
  const cropUnitY = (chromaArrayType === 0 ? 1 : subHeightC) * fieldFactor;
  const width = widthMbs * 16 - cropUnitX * (crop.left + crop.right);
  const height = fieldFactor * heightMapUnits * 16 - cropUnitY * (crop.top + crop.bottom);
  if (width <= 0 || height <= 0) bad(`SPS cropping leaves ${width}x${height}`);

  const info: SpsInfo = { profileIdc, levelIdc, width, height };
  if (r.bitsLeft > 0 && r.flag()) {
    const frameRate = readVuiFrameRate(r);
    if (frameRate !== undefined) info.frameRate = frameRate;
  }
  return info;
}

/** Reads VUI (E.1.1) up to timing_info; the rest (HRD, restrictions) is not needed. */
function readVuiFrameRate(r: BitReader): number | undefined {
  if (r.flag()) {
    // aspect_ratio_info_present_flag
    if (r.bits(8) === 255) r.skip(32); // Extended_SAR: sar_width, sar_height
  }
  if (r.flag()) r.skip(1); // overscan_info_present_flag -> overscan_appropriate_flag
  if (r.flag()) {
    // video_signal_type_present_flag
    r.skip(4); // video_format, video_full_range_flag
    if (r.flag()) r.skip(24); // colour_primaries, transfer_characteristics, matrix_coefficients
  }
  if (r.flag()) {
    r.ue(); // chroma_sample_loc_type_top_field
    r.ue(); // chroma_sample_loc_type_bottom_field
  }
  if (!r.flag()) return undefined; // timing_info_present_flag
  const numUnitsInTick = r.bits(32);
  const timeScale = r.bits(32);
  if (numUnitsInTick === 0 || timeScale === 0) return undefined;
  // One frame is two field ticks (E.2.1).
  return timeScale / (2 * numUnitsInTick);
}

/**
 * Splits a length-prefixed access unit (AVC sample / FLV video payload) into NAL units. The
 * results are subarrays sharing memory with `data`. Zero-length units carry nothing and are
 * dropped.
 */
export function splitNalUnits(data: Buffer, lengthSize: number): Buffer[] {
  if (!Number.isInteger(lengthSize) || lengthSize < 1 || lengthSize > 4) {
    bad(`NAL length size ${lengthSize} is not 1..4`);
  }
  const out: Buffer[] = [];
  let pos = 0;
  while (pos < data.length) {
    if (pos + lengthSize > data.length) bad(`NAL length prefix truncated at offset ${pos}`);
    const len = data.readUIntBE(pos, lengthSize);
    pos += lengthSize;
    if (pos + len > data.length) bad(`NAL unit of ${len} bytes at offset ${pos} overruns ${data.length}`);
    if (len > 0) out.push(data.subarray(pos, pos + len));
    pos += len;
  }
  return out;
}

/**
 * Splits an Annex B byte stream (start codes 00 00 01 / 00 00 00 01) into NAL units, as
 * subarrays. Trailing zero bytes before a start code belong to it, not to the previous NAL.
 */
export function splitAnnexB(data: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let start = -1;
  let i = 0;
  while (i + 2 < data.length) {
    if (data[i] === 0 && data[i + 1] === 0 && data[i + 2] === 1) {
      if (start >= 0) {
        let end = i;
        while (end > start && data[end - 1] === 0) end--;
        if (end > start) out.push(data.subarray(start, end));
      }
      i += 3;
      start = i;
    } else {
      i++;
    }
  }
  if (start >= 0 && start < data.length) out.push(data.subarray(start));
  return out;
}

export function nalType(nal: Buffer): number {
  if (nal.length === 0) bad('empty NAL unit');
  return (nal[0] as number) & 0x1f;
}

export function isKeyframeNal(nal: Buffer): boolean {
  return nalType(nal) === NAL_IDR;
}

/** True when a length-prefixed access unit holds an IDR slice. */
export function isKeyframeAccessUnit(data: Buffer, lengthSize: number): boolean {
  return splitNalUnits(data, lengthSize).some(isKeyframeNal);
}
