/**
 * Byte helpers for the init segment's ISO BMFF writers, built once per session from small Buffers.
 * Media segments, written for every part, do not use them: fmp4-segment.ts writes in place.
 */

export function u8(n: number): Buffer {
  const b = Buffer.alloc(1);
  b.writeUInt8(n);
  return b;
}

export function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}

export function i16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeInt16BE(n);
  return b;
}

export function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

export function fourcc(s: string): Buffer {
  const b = Buffer.from(s, 'latin1');
  if (b.length !== 4) throw new RangeError(`fourcc '${s}' is not 4 bytes`);
  return b;
}

export function zeros(n: number): Buffer {
  return Buffer.alloc(n);
}

export function box(type: string, ...body: Buffer[]): Buffer {
  let size = 8;
  for (const b of body) size += b.length;
  const header = Buffer.alloc(8);
  header.writeUInt32BE(size);
  header.write(type, 4, 'latin1');
  return Buffer.concat([header, ...body], size);
}

export function fullBox(type: string, version: number, flags: number, ...body: Buffer[]): Buffer {
  const vf = Buffer.alloc(4);
  vf.writeUInt32BE(((version & 0xff) << 24) | (flags & 0xffffff));
  return box(type, vf, ...body);
}

/** 16.16 fixed point. */
export function fixed16(n: number): Buffer {
  return u32(Math.round(n * 65536) >>> 0);
}

/** The unity matrix of tkhd/mvhd (ISO/IEC 14496-12 8.2.2). */
export const UNITY_MATRIX = Buffer.from(
  '00010000' + '0'.repeat(24) + '00010000' + '0'.repeat(24) + '40000000',
  'hex',
);

/** ISO 639-2/T language code packed as three 5-bit letters (mdhd). */
export function packLanguage(lang: string): number {
  if (!/^[a-z]{3}$/.test(lang)) throw new RangeError(`language '${lang}' is not three lower-case letters`);
  return (
    ((lang.charCodeAt(0) - 0x60) << 10) | ((lang.charCodeAt(1) - 0x60) << 5) | (lang.charCodeAt(2) - 0x60)
  );
}

export function unpackLanguage(v: number): string {
  return String.fromCharCode(((v >> 10) & 31) + 0x60, ((v >> 5) & 31) + 0x60, (v & 31) + 0x60);
}
