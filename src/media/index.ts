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
