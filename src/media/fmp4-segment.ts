/** Media segments: [styp] + moof + one mdat. ISO/IEC 14496-12 8.8, CMAF 23000-19 7.3.2. */
import { writeFtyp } from './fmp4-init.js';
import {
  SAMPLE_FLAGS_NON_SYNC,
  SAMPLE_FLAGS_SYNC,
  TFHD_DEFAULT_BASE_IS_MOOF,
  TRUN_CTS,
  TRUN_DATA_OFFSET,
  TRUN_DURATION,
  TRUN_FLAGS,
  TRUN_SIZE,
} from './fmp4-boxes.js';
import type { MediaSegmentOptions } from './fmp4-types.js';

/**
 * 'msdh' is the DASH media segment brand. 'cmfs'/'cmff' claim a CMAF segment/fragment, which
 * holds one track per fragment: listed only when that is true. 'msix' is not claimed (it
 * requires a sidx, which live segments do not carry).
 */
export function segmentBrands(fragmentCount: number): string[] {
  return fragmentCount === 1 ? ['msdh', 'cmfs', 'cmff'] : ['msdh'];
}

export function writeStyp(fragmentCount: number): Buffer {
  const ftyp = writeFtyp('msdh', 0, segmentBrands(fragmentCount));
  ftyp.write('styp', 4, 'latin1');
  return ftyp;
}

/** moof header + mfhd (version/flags + sequence number). */
const MOOF_FIXED = 8 + 16;
/** traf header, tfhd (track id only), tfdt version 1, trun header + version/flags + count + data_offset. */
const TRAF_FIXED = 8 + 16 + 20 + 20;
/** trun version 1 per sample: duration, size, flags, composition offset. */
const TRUN_SAMPLE = 16;
const TRUN_ALL_FIELDS = TRUN_DATA_OFFSET | TRUN_DURATION | TRUN_SIZE | TRUN_FLAGS | TRUN_CTS;

function boxHeader(out: Buffer, at: number, size: number, type: string): number {
  out.writeUInt32BE(size, at);
  out.write(type, at + 4, 'latin1');
  return at + 8;
}

function fullBoxHeader(
  out: Buffer,
  at: number,
  size: number,
  type: string,
  version: number,
  flags: number,
): number {
  const o = boxHeader(out, at, size, type);
  return out.writeUInt32BE(((version << 24) | flags) >>> 0, o);
}

/** 64-bit unsigned from a JS number; values past 2^53 cannot be represented and are refused. */
function writeU64(out: Buffer, n: number, at: number): number {
  if (!Number.isSafeInteger(n) || n < 0)
    throw new RangeError(`u64 value ${n} is not a safe non-negative integer`);
  out.writeUInt32BE(Math.floor(n / 2 ** 32), at);
  return out.writeUInt32BE(n >>> 0, at + 4);
}

/**
 * Builds one segment into one buffer of exactly its size, taken from `alloc` (a view into the
 * caller's arena, say): headers are written in place and sample payloads are copied exactly once.
 * Every traf's samples sit in the single mdat in traf order, and each trun's data_offset is
 * relative to the start of the moof (tfhd default-base-is-moof). A trun carries all four sample
 * fields, or none when the fragment has no samples.
 */
export function writeMediaSegment(
  opts: MediaSegmentOptions,
  alloc: (size: number) => Buffer = Buffer.allocUnsafe,
): Buffer {
  const styp = opts.styp ? writeStyp(opts.fragments.length) : undefined;
  let moofSize = MOOF_FIXED;
  let payloadSize = 0;
  for (const frag of opts.fragments) {
    moofSize += TRAF_FIXED + TRUN_SAMPLE * frag.samples.length;
    for (const s of frag.samples) payloadSize += s.data.length;
  }
  const mdatHeaderSize = payloadSize + 8 > 0xffffffff ? 16 : 8;
  const total = (styp?.length ?? 0) + moofSize + mdatHeaderSize + payloadSize;
  const out = alloc(total);
  if (out.length !== total) throw new RangeError(`segment buffer of ${out.length} bytes, ${total} needed`);

  let o = styp ? styp.copy(out, 0) : 0;
  o = boxHeader(out, o, moofSize, 'moof');
  o = fullBoxHeader(out, o, 16, 'mfhd', 0, 0);
  o = out.writeUInt32BE(opts.sequenceNumber, o);
  let dataOffset = moofSize + mdatHeaderSize;
  for (const frag of opts.fragments) {
    const n = frag.samples.length;
    const trunSize = 20 + TRUN_SAMPLE * n;
    o = boxHeader(out, o, TRAF_FIXED - 20 + trunSize, 'traf');
    o = fullBoxHeader(out, o, 16, 'tfhd', 0, TFHD_DEFAULT_BASE_IS_MOOF);
    o = out.writeUInt32BE(frag.trackId, o);
    o = fullBoxHeader(out, o, 20, 'tfdt', 1, 0);
    o = writeU64(out, frag.baseMediaDecodeTime, o);
    o = fullBoxHeader(out, o, trunSize, 'trun', 1, n > 0 ? TRUN_ALL_FIELDS : TRUN_DATA_OFFSET);
    o = out.writeUInt32BE(n, o);
    if (dataOffset > 0x7fffffff) throw new RangeError(`trun data_offset ${dataOffset} exceeds 32 bits`);
    o = out.writeInt32BE(dataOffset, o);
    for (const s of frag.samples) {
      o = out.writeUInt32BE(s.duration, o);
      o = out.writeUInt32BE(s.data.length, o);
      o = out.writeUInt32BE(s.keyframe ? SAMPLE_FLAGS_SYNC : SAMPLE_FLAGS_NON_SYNC, o);
      o = out.writeInt32BE(s.cts, o);
      dataOffset += s.data.length;
    }
  }
  if (mdatHeaderSize === 16) {
    o = boxHeader(out, o, 1, 'mdat');
    o = writeU64(out, payloadSize + 16, o);
  } else {
    o = boxHeader(out, o, payloadSize + 8, 'mdat');
  }
  for (const frag of opts.fragments) {
    for (const s of frag.samples) o += s.data.copy(out, o);
  }
  return out;
}
