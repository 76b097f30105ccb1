/** Pure media code: H.264 and AAC configuration parsing, codec strings, fragmented MP4 I/O. */
export { BitReader, removeEmulationPrevention } from './bits.js';
export {
  type AvcConfig,
  type SpsInfo,
  NAL_IDR,
  NAL_PPS,
  NAL_SPS,
  parseAvcC,
  parseSps,
  avcCodecString,
  splitNalUnits,
  splitAnnexB,
  nalType,
  isKeyframeNal,
  isKeyframeAccessUnit,
} from './h264.js';
export { type AacInfo, parseAsc, aacCodecString } from './aac.js';
export type { TrackInfo, Sample, TrackFragment, MediaSegmentOptions } from './fmp4-types.js';
export { writeInitSegment, initBrands } from './fmp4-init.js';
export { writeMediaSegment, segmentBrands } from './fmp4-segment.js';
export { type Box, parseBoxes, findBox } from './box-reader.js';
export { readInitSegment, readMediaSegment, type InitSegmentInfo, type FileType } from './fmp4-read.js';
export {
  type Mvhd,
  type Tkhd,
  type Mdhd,
  type Trex,
  type Mfhd,
  type Tfhd,
  type Tfdt,
  type Trun,
  type TrunSample,
  SAMPLE_FLAGS_SYNC,
  SAMPLE_FLAGS_NON_SYNC,
  TFHD_DEFAULT_BASE_IS_MOOF,
} from './fmp4-boxes.js';
export {
  decodeMvhd,
  decodeTkhd,
  decodeMdhd,
  decodeTrex,
  decodeMfhd,
  decodeTfhd,
  decodeTfdt,
  decodeTrun,
} from './box-reader.js';
