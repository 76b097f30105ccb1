/** CMAF header / init segment: ftyp + moov (with mvex, no samples). ISO/IEC 14496-12, 23000-19. */
import { box, fixed16, fourcc, fullBox, i16, u16, u32, u8, zeros } from './bmff-write.js';
import { writeMdhd, writeMvhd, writeTkhd, writeTrex } from './fmp4-boxes.js';
import type { TrackInfo } from './fmp4-types.js';

/** Movie timescale; it only times the (empty) movie header, so milliseconds are plenty. */
const MOVIE_TIMESCALE = 1000;

/**
 * 'cmfc' claims the CMAF structural brand, which allows one track per file: it is listed only
 * when that holds. 'iso6' covers tfdt/trun v1; 'mp41' helps older demuxers; 'dash' the DASH
 * profile of ISO BMFF segments.
 */
export function initBrands(trackCount: number): string[] {
  return trackCount === 1 ? ['iso6', 'cmfc', 'dash', 'mp41'] : ['iso6', 'dash', 'mp41'];
}

export function writeFtyp(major: string, minor: number, compatible: string[]): Buffer {
  return box('ftyp', fourcc(major), u32(minor), ...compatible.map(fourcc));
}

export function writeInitSegment(tracks: TrackInfo[]): Buffer {
  if (tracks.length === 0) throw new RangeError('init segment needs at least one track');
  const ids = new Set<number>();
  for (const t of tracks) {
    if (!Number.isInteger(t.id) || t.id < 1 || ids.has(t.id))
      throw new RangeError(`bad or duplicate track id ${t.id}`);
    ids.add(t.id);
  }
  const nextTrackId = Math.max(...ids) + 1;
  return Buffer.concat([
    writeFtyp('iso6', 0, initBrands(tracks.length)),
    box(
      'moov',
      writeMvhd({ timescale: MOVIE_TIMESCALE, duration: 0, nextTrackId }),
      ...tracks.map(writeTrak),
      box(
        'mvex',
        ...tracks.map((t) =>
          writeTrex({
            trackId: t.id,
            defaultSampleDescriptionIndex: 1,
            defaultSampleDuration: 0,
            defaultSampleSize: 0,
            defaultSampleFlags: 0,
          }),
        ),
      ),
    ),
  ]);
}

function writeTrak(t: TrackInfo): Buffer {
  const video = t.kind === 'video';
  return box(
    'trak',
    writeTkhd({
      flags: 0x7, // enabled | in_movie | in_preview
      trackId: t.id,
      duration: 0,
      volume: video ? 0 : 1,
      width: video ? t.width : 0,
      height: video ? t.height : 0,
    }),
    box(
      'mdia',
      writeMdhd({ timescale: t.timescale, duration: 0, language: 'und' }),
      writeHdlr(video ? 'vide' : 'soun', video ? 'VideoHandler' : 'SoundHandler'),
      box(
        'minf',
        video ? fullBox('vmhd', 0, 1, zeros(8)) : fullBox('smhd', 0, 0, zeros(4)),
        box('dinf', fullBox('dref', 0, 0, u32(1), fullBox('url ', 0, 1))), // 1 = media in this file
        box(
          'stbl',
          fullBox('stsd', 0, 0, u32(1), video ? writeAvc1(t) : writeMp4a(t)),
          fullBox('stts', 0, 0, u32(0)),
          fullBox('stsc', 0, 0, u32(0)),
          fullBox('stsz', 0, 0, u32(0), u32(0)),
          fullBox('stco', 0, 0, u32(0)),
        ),
      ),
    ),
  );
}

function writeHdlr(handler: string, name: string): Buffer {
  return fullBox('hdlr', 0, 0, zeros(4), fourcc(handler), zeros(12), Buffer.from(name + '\0', 'utf8'));
}

/** SampleEntry header (14496-12 8.5.2): 6 reserved bytes, data_reference_index 1. */
const SAMPLE_ENTRY = Buffer.from('000000000000' + '0001', 'hex');

function writeAvc1(t: Extract<TrackInfo, { kind: 'video' }>): Buffer {
  return box(
    'avc1',
    SAMPLE_ENTRY,
    zeros(16), // pre_defined, reserved, pre_defined[3]
    u16(t.width),
    u16(t.height),
    u32(0x00480000), // 72 dpi horizontal
    u32(0x00480000), // 72 dpi vertical
    zeros(4),
    u16(1), // frame_count
    zeros(32), // compressorname: empty Pascal string
    u16(0x0018), // depth: colour, no alpha
    i16(-1),
    box('avcC', t.avcC),
  );
}

function writeMp4a(t: Extract<TrackInfo, { kind: 'audio' }>): Buffer {
  return box(
    'mp4a',
    SAMPLE_ENTRY,
    zeros(8),
    u16(t.channels),
    u16(16), // samplesize
    zeros(4), // pre_defined, reserved
    // 16.16 only reaches 65535 Hz; higher rates write 0 and decoders take the rate from the ASC.
    t.sampleRate <= 0xffff ? fixed16(t.sampleRate) : u32(0),
    writeEsds(t.asc),
  );
}

/** MPEG-4 descriptor (14496-1 8.3.3): tag, then the size in 7-bit groups, high bit = more. */
function descriptor(tag: number, ...body: Buffer[]): Buffer {
  let size = 0;
  for (const b of body) size += b.length;
  const sizeBytes: number[] = [size & 0x7f];
  for (let s = size >> 7; s > 0; s >>= 7) sizeBytes.unshift((s & 0x7f) | 0x80);
  return Buffer.concat([u8(tag), Buffer.from(sizeBytes), ...body]);
}

function writeEsds(asc: Buffer): Buffer {
  const decoderConfig = descriptor(
    0x04, // DecoderConfigDescrTag
    u8(0x40), // objectTypeIndication: Audio ISO/IEC 14496-3
    u8((0x05 << 2) | 1), // streamType audio, upStream 0, reserved 1
    zeros(3), // bufferSizeDB
    u32(0), // maxBitrate
    u32(0), // avgBitrate
    descriptor(0x05, asc), // DecSpecificInfoTag
  );
  const es = descriptor(
    0x03, // ES_DescrTag
    u16(0), // ES_ID: 0 inside MP4 files (14496-14 3.1.2)
    u8(0), // no dependence, URL or OCR stream
    decoderConfig,
    descriptor(0x06, u8(0x02)), // SLConfigDescriptor, predefined = MP4
  );
  return fullBox('esds', 0, 0, es);
}
