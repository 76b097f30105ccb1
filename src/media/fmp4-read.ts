/** Reads our own init and media segments back into writer inputs (tests, verification tools). */
import { CorralError } from '../util/errors.js';
import { parseAsc } from './aac.js';
import {
  Cursor,
  decodeMdhd,
  decodeMfhd,
  decodeTfdt,
  decodeTfhd,
  decodeTkhd,
  decodeTrex,
  decodeTrun,
  parseBoxes,
  requireBox,
  type Box,
} from './box-reader.js';
import { TFHD_DEFAULT_BASE_IS_MOOF, type Trex } from './fmp4-boxes.js';
import type { MediaSegmentOptions, Sample, TrackFragment, TrackInfo } from './fmp4-types.js';

function bad(msg: string): never {
  throw new CorralError('MEDIA_DECODE', msg);
}

export interface FileType {
  majorBrand: string;
  minorVersion: number;
  compatibleBrands: string[];
}

export function decodeFtyp(p: Buffer): FileType {
  if (p.length < 8 || p.length % 4 !== 0) bad(`ftyp/styp of ${p.length} bytes is malformed`);
  const brands: string[] = [];
  for (let i = 8; i < p.length; i += 4) brands.push(p.toString('latin1', i, i + 4));
  return {
    majorBrand: p.toString('latin1', 0, 4),
    minorVersion: p.readUInt32BE(4),
    compatibleBrands: brands,
  };
}

export interface InitSegmentInfo {
  ftyp: FileType;
  tracks: TrackInfo[];
  trex: Trex[];
}

export function readInitSegment(buf: Buffer): InitSegmentInfo {
  const top = parseBoxes(buf);
  const ftyp = decodeFtyp(requireBox(top, 'ftyp').payload);
  const moov = requireBox(top, 'moov');
  const tracks = (moov.children ?? []).filter((b) => b.type === 'trak').map(readTrak);
  const trex = (requireBox(moov.children, 'mvex').children ?? [])
    .filter((b) => b.type === 'trex')
    .map((b) => decodeTrex(b.payload));
  return { ftyp, tracks, trex };
}

function readTrak(trak: Box): TrackInfo {
  const tkhd = decodeTkhd(requireBox(trak.children, 'tkhd').payload);
  const mdia = requireBox(trak.children, 'mdia');
  const { timescale } = decodeMdhd(requireBox(mdia.children, 'mdhd').payload);
  const stsd = requireBox(mdia.children, 'minf', 'stbl', 'stsd');
  const entry = stsd.children?.[0] ?? bad('stsd has no sample entry');
  if (entry.type === 'avc1') {
    const c = new Cursor(entry.payload, 'avc1');
    c.skip(24);
    const width = c.u16();
    const height = c.u16();
    const avcC = requireBox(entry.children, 'avcC').payload;
    return { kind: 'video', id: tkhd.trackId, timescale, avcC, width, height };
  }
  if (entry.type === 'mp4a') {
    const c = new Cursor(entry.payload, 'mp4a');
    c.skip(16);
    const channels = c.u16();
    c.skip(6);
    const asc = readEsdsAsc(requireBox(entry.children, 'esds').payload);
    const rate = c.u32() >>> 16;
    const sampleRate = rate === 0 ? parseAsc(asc).sampleRate : rate;
    return { kind: 'audio', id: tkhd.trackId, timescale, asc, channels, sampleRate };
  }
  return bad(`unsupported sample entry '${entry.type}'`);
}

/** Walks ES_Descriptor -> DecoderConfigDescriptor -> DecoderSpecificInfo (14496-1 7.2.6). */
function readEsdsAsc(p: Buffer): Buffer {
  const c = new Cursor(p, 'esds');
  c.full();
  const descriptor = (want: number): number => {
    const tag = c.u8();
    let size = 0;
    for (let i = 0; i < 4; i++) {
      const b = c.u8();
      size = (size << 7) | (b & 0x7f);
      if (!(b & 0x80)) break;
    }
    if (tag !== want) bad(`esds descriptor tag ${tag}, expected ${want}`);
    return size;
  };
  descriptor(0x03);
  const esFlags = (c.skip(2), c.u8());
  if (esFlags & 0x80) c.skip(2); // dependsOn_ES_ID
  if (esFlags & 0x40) c.skip(c.u8()); // URL
  if (esFlags & 0x20) c.skip(2); // OCR_ES_Id
  descriptor(0x04);
  c.skip(13);
  return c.bytes(descriptor(0x05));
}

export interface ReadMediaSegment extends MediaSegmentOptions {
  styp: boolean;
}

/**
 * Decodes moof+mdat pairs into fragments. Sample data are subarrays of `buf`. Only what our
 * writer and common packagers emit is supported: per-sample or tfhd-default durations, sizes
 * and flags, with data offsets based on the moof (default-base-is-moof) or an explicit base.
 */
export function readMediaSegment(buf: Buffer): ReadMediaSegment {
  const top = parseBoxes(buf);
  const moofs = top.filter((b) => b.type === 'moof');
  if (moofs.length === 0) bad('segment has no moof');
  const out: ReadMediaSegment = { sequenceNumber: 0, fragments: [], styp: top[0]?.type === 'styp' };
  const mdats = top.filter((b) => b.type === 'mdat');
  for (const moof of moofs) {
    out.sequenceNumber = decodeMfhd(requireBox(moof.children, 'mfhd').payload).sequenceNumber;
    for (const traf of moof.children ?? []) {
      if (traf.type === 'traf') out.fragments.push(readTraf(buf, moof, traf, mdats));
    }
  }
  return out;
}

function readTraf(buf: Buffer, moof: Box, traf: Box, mdats: Box[]): TrackFragment {
  const tfhd = decodeTfhd(requireBox(traf.children, 'tfhd').payload);
  const { baseMediaDecodeTime } = decodeTfdt(requireBox(traf.children, 'tfdt').payload);
  const trun = decodeTrun(requireBox(traf.children, 'trun').payload);
  const base =
    tfhd.baseDataOffset ??
    (tfhd.flags & TFHD_DEFAULT_BASE_IS_MOOF ? moof.offset : bad('tfhd without a data base'));
  let pos = base + (trun.dataOffset ?? 0);
  const samples: Sample[] = trun.samples.map((s, i) => {
    const size = s.size ?? tfhd.defaultSampleSize ?? bad('sample size unknown');
    const duration = s.duration ?? tfhd.defaultSampleDuration ?? bad('sample duration unknown');
    const flags = s.flags ?? (i === 0 ? trun.firstSampleFlags : undefined) ?? tfhd.defaultSampleFlags ?? 0;
    const inMdat = mdats.some((m) => pos >= m.offset + m.headerSize && pos + size <= m.offset + m.size);
    if (!inMdat) bad(`sample ${i} of track ${tfhd.trackId} lies outside every mdat`);
    const data = buf.subarray(pos, pos + size);
    pos += size;
    return { duration, cts: s.compositionTimeOffset ?? 0, keyframe: (flags & 0x10000) === 0, data };
  });
  return { trackId: tfhd.trackId, baseMediaDecodeTime, samples };
}
