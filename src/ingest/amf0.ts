import { CorralError } from '../util/errors.js';

/**
 * AMF0 (Adobe Action Message Format 0), the encoding of RTMP commands and metadata. Pure bytes in,
 * bytes out. Decoding is bounded (depth, element count, string length) because the bytes come from
 * the network before anyone is authenticated.
 */

/** An AMF0 ECMA array: a keyed collection that is not a plain object on the wire (onMetaData). */
export class AmfEcmaArray {
  constructor(readonly props: Record<string, AmfValue> = {}) {}
}

export type AmfValue =
  | number
  | boolean
  | string
  | null
  | undefined
  | Date
  | AmfValue[]
  | AmfEcmaArray
  | { [key: string]: AmfValue };

export interface AmfLimits {
  /** Nesting depth of objects and arrays. */
  maxDepth: number;
  /** Elements (values, including nested ones) in one decode call. */
  maxElements: number;
  /** Bytes in one string, long strings included. */
  maxStringLength: number;
}

export const defaultAmfLimits: AmfLimits = { maxDepth: 32, maxElements: 65_536, maxStringLength: 1 << 20 };

const M = {
  number: 0x00,
  boolean: 0x01,
  string: 0x02,
  object: 0x03,
  movieclip: 0x04,
  null: 0x05,
  undefined: 0x06,
  reference: 0x07,
  ecmaArray: 0x08,
  objectEnd: 0x09,
  strictArray: 0x0a,
  date: 0x0b,
  longString: 0x0c,
  unsupported: 0x0d,
  recordset: 0x0e,
  xmlDocument: 0x0f,
  typedObject: 0x10,
  avmplus: 0x11,
} as const;

function fail(message: string): never {
  throw new CorralError('AMF_DECODE', message);
}

// ---------------------------------------------------------------------------------------------
// Encoding

function utf8Key(key: string): Buffer {
  const b = Buffer.from(key, 'utf8');
  if (b.length > 0xffff) throw new CorralError('AMF_DECODE', `AMF0 property name too long (${b.length})`);
  const out = Buffer.allocUnsafe(2 + b.length);
  out.writeUInt16BE(b.length, 0);
  b.copy(out, 2);
  return out;
}

const OBJECT_END = Buffer.from([0x00, 0x00, M.objectEnd]);

function encodeProps(props: Record<string, AmfValue>, parts: Buffer[]): void {
  for (const [k, v] of Object.entries(props)) {
    parts.push(utf8Key(k));
    encodeInto(v, parts);
  }
  parts.push(OBJECT_END);
}

function encodeInto(v: AmfValue, parts: Buffer[]): void {
  if (v === null) {
    parts.push(Buffer.from([M.null]));
  } else if (v === undefined) {
    parts.push(Buffer.from([M.undefined]));
  } else if (typeof v === 'number') {
    const b = Buffer.allocUnsafe(9);
    b[0] = M.number;
    b.writeDoubleBE(v, 1);
    parts.push(b);
  } else if (typeof v === 'boolean') {
    parts.push(Buffer.from([M.boolean, v ? 1 : 0]));
  } else if (typeof v === 'string') {
    const s = Buffer.from(v, 'utf8');
    // A string longer than 65535 bytes cannot carry a 16-bit length: the long-string marker exists for it.
    const long = s.length > 0xffff;
    const head = Buffer.allocUnsafe(long ? 5 : 3);
    head[0] = long ? M.longString : M.string;
    if (long) head.writeUInt32BE(s.length, 1);
    else head.writeUInt16BE(s.length, 1);
    parts.push(head, s);
  } else if (v instanceof Date) {
    const b = Buffer.alloc(11);
    b[0] = M.date;
    b.writeDoubleBE(v.getTime(), 1);
    // Time zone (SI16) is reserved and written as 0 (UTC), as the AMF0 spec advises.
    parts.push(b);
  } else if (Array.isArray(v)) {
    const head = Buffer.allocUnsafe(5);
    head[0] = M.strictArray;
    head.writeUInt32BE(v.length, 1);
    parts.push(head);
    for (const e of v) encodeInto(e, parts);
  } else if (v instanceof AmfEcmaArray) {
    const head = Buffer.allocUnsafe(5);
    head[0] = M.ecmaArray;
    head.writeUInt32BE(Object.keys(v.props).length, 1);
    parts.push(head);
    encodeProps(v.props, parts);
  } else {
    parts.push(Buffer.from([M.object]));
    encodeProps(v, parts);
  }
}

export function encodeAmf0(...values: AmfValue[]): Buffer {
  const parts: Buffer[] = [];
  for (const v of values) encodeInto(v, parts);
  return Buffer.concat(parts);
}

// ---------------------------------------------------------------------------------------------
// Decoding

class Reader {
  pos = 0;
  elements = 0;

  constructor(
    readonly buf: Buffer,
    readonly limits: AmfLimits,
  ) {}

  need(n: number, what: string): void {
    if (this.pos + n > this.buf.length) fail(`AMF0 truncated reading ${what} at byte ${this.pos}`);
  }

  u8(what: string): number {
    this.need(1, what);
    return this.buf[this.pos++]!;
  }

  u16(what: string): number {
    this.need(2, what);
    const v = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  u32(what: string): number {
    this.need(4, what);
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  f64(what: string): number {
    this.need(8, what);
    const v = this.buf.readDoubleBE(this.pos);
    this.pos += 8;
    return v;
  }

  utf8(len: number, what: string): string {
    if (len > this.limits.maxStringLength) {
      fail(`AMF0 ${what} of ${len} bytes exceeds the limit of ${this.limits.maxStringLength}`);
    }
    this.need(len, what);
    const s = this.buf.toString('utf8', this.pos, this.pos + len);
    this.pos += len;
    return s;
  }

  count(): void {
    if (++this.elements > this.limits.maxElements) {
      fail(`AMF0 value has more than ${this.limits.maxElements} elements`);
    }
  }
}

function readProps(r: Reader, depth: number): Record<string, AmfValue> {
  const entries: [string, AmfValue][] = [];
  for (;;) {
    const key = r.utf8(r.u16('property name length'), 'property name');
    if (key === '' && r.buf[r.pos] === M.objectEnd) {
      r.pos++;
      // fromEntries defines own properties, so a "__proto__" key from a hostile peer stays data.
      return Object.fromEntries(entries);
    }
    r.count();
    entries.push([key, readValue(r, depth + 1)]);
  }
}

function readValue(r: Reader, depth: number): AmfValue {
  if (depth > r.limits.maxDepth) fail(`AMF0 nesting deeper than ${r.limits.maxDepth}`);
  r.count();
  const marker = r.u8('type marker');
  switch (marker) {
    case M.number:
      return r.f64('number');
    case M.boolean:
      return r.u8('boolean') !== 0;
    case M.string:
      return r.utf8(r.u16('string length'), 'string');
    case M.longString:
      return r.utf8(r.u32('long string length'), 'long string');
    case M.object:
      return readProps(r, depth);
    case M.typedObject:
      // The class name carries no meaning for RTMP commands; the properties are what matter.
      r.utf8(r.u16('class name length'), 'class name');
      return readProps(r, depth);
    case M.null:
      return null;
    case M.undefined:
      return undefined;
    case M.ecmaArray:
      // The count is a hint only (encoders get it wrong); the object-end marker terminates.
      r.u32('ECMA array count');
      return new AmfEcmaArray(readProps(r, depth));
    case M.strictArray: {
      const n = r.u32('strict array count');
      // Each element takes at least one byte: reject counts the buffer cannot hold before looping.
      if (n > r.buf.length - r.pos) fail(`AMF0 strict array claims ${n} elements, more than the bytes left`);
      const out: AmfValue[] = [];
      for (let i = 0; i < n; i++) out.push(readValue(r, depth + 1));
      return out;
    }
    case M.date: {
      const ms = r.f64('date');
      r.u16('date time zone');
      return new Date(ms);
    }
    case M.objectEnd:
      return fail(`AMF0 object-end marker outside an object at byte ${r.pos - 1}`);
    case M.avmplus:
      return fail('AMF0 switch to AMF3 (avmplus marker) is not supported; use AMF0 object encoding');
    case M.reference:
    case M.movieclip:
    case M.recordset:
    case M.unsupported:
    case M.xmlDocument:
      return fail(`AMF0 type marker 0x${marker.toString(16)} is not supported`);
    default:
      return fail(`AMF0 unknown type marker 0x${marker.toString(16)} at byte ${r.pos - 1}`);
  }
}

/** Decode every value in `buf` (an RTMP command is a sequence of top-level values). */
export function decodeAmf0(buf: Buffer, limits: AmfLimits = defaultAmfLimits): AmfValue[] {
  const r = new Reader(buf, limits);
  const out: AmfValue[] = [];
  while (r.pos < buf.length) out.push(readValue(r, 0));
  return out;
}

/** Decode one value starting at `offset`; returns it with the offset just past it. */
export function decodeAmf0Value(
  buf: Buffer,
  offset = 0,
  limits: AmfLimits = defaultAmfLimits,
): { value: AmfValue; end: number } {
  const r = new Reader(buf, limits);
  r.pos = offset;
  const value = readValue(r, 0);
  return { value, end: r.pos };
}

/** The properties of an object or ECMA array, or undefined for anything else. */
export function amfProps(v: AmfValue): Record<string, AmfValue> | undefined {
  if (v instanceof AmfEcmaArray) return v.props;
  if (v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Date)) return v;
  return undefined;
}
