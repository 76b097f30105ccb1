/**
 * A bounds-checked ISO BMFF box reader, for verification and tests. Malformed input throws
 * MEDIA_DECODE; it never reads past a box or loops on a zero size.
 */
import { CorralError } from '../util/errors.js';
import { unpackLanguage } from './bmff-write.js';
import {
  TFHD_BASE_DATA_OFFSET,
  TFHD_DEFAULT_DURATION,
  TFHD_DEFAULT_FLAGS,
  TFHD_DEFAULT_SIZE,
  TFHD_SAMPLE_DESCRIPTION_INDEX,
  TRUN_CTS,
  TRUN_DATA_OFFSET,
  TRUN_DURATION,
  TRUN_FIRST_SAMPLE_FLAGS,
  TRUN_FLAGS,
  TRUN_SIZE,
  type Mdhd,
  type Mfhd,
  type Mvhd,
  type Tfdt,
  type Tfhd,
  type Tkhd,
  type Trex,
  type Trun,
  type TrunSample,
} from './fmp4-boxes.js';

export interface Box {
  type: string;
  /** Offset of the box header within the buffer given to parseBoxes. */
  offset: number;
  /** Whole box, header included. */
  size: number;
  headerSize: number;
  /** The box content after the header (a subarray, not a copy). */
  payload: Buffer;
  children?: Box[];
}

const CONTAINERS = new Set([
  'moov',
  'trak',
  'mdia',
  'minf',
  'stbl',
  'mvex',
  'moof',
  'traf',
  'dinf',
  'edts',
  'mfra',
]);
/** Boxes whose children follow some fixed fields: the byte count of those fields. */
const CHILDREN_AFTER: Record<string, number> = { stsd: 8, dref: 8, avc1: 78, avc3: 78, mp4a: 28 };
const MAX_DEPTH = 12;

function bad(msg: string): never {
  throw new CorralError('MEDIA_DECODE', msg);
}

export function parseBoxes(buf: Buffer, base = 0, depth = 0): Box[] {
  if (depth > MAX_DEPTH) bad(`boxes nested deeper than ${MAX_DEPTH}`);
  const out: Box[] = [];
  let pos = 0;
  while (pos < buf.length) {
    if (pos + 8 > buf.length) bad(`box header truncated at offset ${base + pos}`);
    let size = buf.readUInt32BE(pos);
    const type = buf.toString('latin1', pos + 4, pos + 8);
    let headerSize = 8;
    if (size === 1) {
      if (pos + 16 > buf.length) bad(`'${type}' largesize truncated at offset ${base + pos}`);
      const large = buf.readBigUInt64BE(pos + 8);
      if (large > BigInt(Number.MAX_SAFE_INTEGER)) bad(`'${type}' largesize ${large} too big`);
      size = Number(large);
      headerSize = 16;
    } else if (size === 0) {
      size = buf.length - pos; // extends to the end of the enclosing data
    }
    if (size < headerSize) bad(`'${type}' size ${size} smaller than its header at offset ${base + pos}`);
    if (pos + size > buf.length) bad(`'${type}' of ${size} bytes at offset ${base + pos} is truncated`);
    const payload = buf.subarray(pos + headerSize, pos + size);
    const b: Box = { type, offset: base + pos, size, headerSize, payload };
    const skip = CONTAINERS.has(type) ? 0 : CHILDREN_AFTER[type];
    if (skip !== undefined) {
      if (payload.length < skip) bad(`'${type}' too short for its fields`);
      b.children = parseBoxes(payload.subarray(skip), base + pos + headerSize + skip, depth + 1);
    }
    out.push(b);
    pos += size;
  }
  return out;
}

/** First box along a path of types, e.g. findBox(boxes, 'moov', 'trak', 'tkhd'). */
export function findBox(boxes: Box[] | undefined, ...path: string[]): Box | undefined {
  let level = boxes;
  let found: Box | undefined;
  for (const t of path) {
    found = level?.find((b) => b.type === t);
    if (!found) return undefined;
    level = found.children;
  }
  return found;
}

export function requireBox(boxes: Box[] | undefined, ...path: string[]): Box {
  return findBox(boxes, ...path) ?? bad(`missing box ${path.join('/')}`);
}

/** Sequential bounds-checked reads over a box payload. */
export class Cursor {
  pos = 0;
  constructor(
    readonly buf: Buffer,
    readonly what: string,
  ) {}

  private need(n: number): number {
    if (this.pos + n > this.buf.length) bad(`'${this.what}' truncated at byte ${this.pos}`);
    const at = this.pos;
    this.pos += n;
    return at;
  }
  u8(): number {
    return this.buf.readUInt8(this.need(1));
  }
  u16(): number {
    return this.buf.readUInt16BE(this.need(2));
  }
  i16(): number {
    return this.buf.readInt16BE(this.need(2));
  }
  u32(): number {
    return this.buf.readUInt32BE(this.need(4));
  }
  i32(): number {
    return this.buf.readInt32BE(this.need(4));
  }
  u64(): number {
    const v = this.buf.readBigUInt64BE(this.need(8));
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) bad(`'${this.what}' 64-bit value ${v} too big`);
    return Number(v);
  }
  skip(n: number): void {
    this.need(n);
  }
  bytes(n: number): Buffer {
    const at = this.need(n);
    return this.buf.subarray(at, at + n);
  }
  /** version and flags of a FullBox. */
  full(): { version: number; flags: number } {
    const v = this.u32();
    return { version: v >>> 24, flags: v & 0xffffff };
  }
}

export function decodeMvhd(p: Buffer): Mvhd {
  const c = new Cursor(p, 'mvhd');
  const { version } = c.full();
  c.skip(version === 1 ? 16 : 8);
  const timescale = c.u32();
  const duration = version === 1 ? c.u64() : c.u32();
  c.skip(4 + 2 + 10 + 36 + 24);
  return { timescale, duration, nextTrackId: c.u32() };
}

export function decodeTkhd(p: Buffer): Tkhd {
  const c = new Cursor(p, 'tkhd');
  const { version, flags } = c.full();
  c.skip(version === 1 ? 16 : 8);
  const trackId = c.u32();
  c.skip(4);
  const duration = version === 1 ? c.u64() : c.u32();
  c.skip(8 + 4);
  const volume = c.i16() / 256;
  c.skip(2 + 36);
  const width = c.u32() / 65536;
  const height = c.u32() / 65536;
  return { flags, trackId, duration, volume, width, height };
}

export function decodeMdhd(p: Buffer): Mdhd {
  const c = new Cursor(p, 'mdhd');
  const { version } = c.full();
  c.skip(version === 1 ? 16 : 8);
  const timescale = c.u32();
  const duration = version === 1 ? c.u64() : c.u32();
  return { timescale, duration, language: unpackLanguage(c.u16()) };
}

export function decodeTrex(p: Buffer): Trex {
  const c = new Cursor(p, 'trex');
  c.full();
  return {
    trackId: c.u32(),
    defaultSampleDescriptionIndex: c.u32(),
    defaultSampleDuration: c.u32(),
    defaultSampleSize: c.u32(),
    defaultSampleFlags: c.u32(),
  };
}

export function decodeMfhd(p: Buffer): Mfhd {
  const c = new Cursor(p, 'mfhd');
  c.full();
  return { sequenceNumber: c.u32() };
}

export function decodeTfhd(p: Buffer): Tfhd {
  const c = new Cursor(p, 'tfhd');
  const { flags } = c.full();
  const v: Tfhd = { flags, trackId: c.u32() };
  if (flags & TFHD_BASE_DATA_OFFSET) v.baseDataOffset = c.u64();
  if (flags & TFHD_SAMPLE_DESCRIPTION_INDEX) v.sampleDescriptionIndex = c.u32();
  if (flags & TFHD_DEFAULT_DURATION) v.defaultSampleDuration = c.u32();
  if (flags & TFHD_DEFAULT_SIZE) v.defaultSampleSize = c.u32();
  if (flags & TFHD_DEFAULT_FLAGS) v.defaultSampleFlags = c.u32();
  return v;
}

export function decodeTfdt(p: Buffer): Tfdt {
  const c = new Cursor(p, 'tfdt');
  const { version } = c.full();
  return { baseMediaDecodeTime: version === 1 ? c.u64() : c.u32() };
}

export function decodeTrun(p: Buffer): Trun {
  const c = new Cursor(p, 'trun');
  const { version, flags } = c.full();
  const count = c.u32();
  const perSample =
    4 * [TRUN_DURATION, TRUN_SIZE, TRUN_FLAGS, TRUN_CTS].filter((f) => (flags & f) !== 0).length;
  // Checked before allocating: a forged count must not make us build a huge array.
  if (count * perSample > p.length) bad(`trun sample count ${count} exceeds its box`);
  const v: Trun = { samples: [] };
  if (flags & TRUN_DATA_OFFSET) v.dataOffset = c.i32();
  if (flags & TRUN_FIRST_SAMPLE_FLAGS) v.firstSampleFlags = c.u32();
  for (let i = 0; i < count; i++) {
    const s: TrunSample = {};
    if (flags & TRUN_DURATION) s.duration = c.u32();
    if (flags & TRUN_SIZE) s.size = c.u32();
    if (flags & TRUN_FLAGS) s.flags = c.u32();
    if (flags & TRUN_CTS) s.compositionTimeOffset = version === 1 ? c.i32() : c.u32();
    v.samples.push(s);
  }
  return v;
}
