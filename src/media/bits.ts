import { CorralError } from '../util/errors.js';

/**
 * MSB-first bit reader over a byte buffer, as H.264 RBSP syntax is defined. Every read is
 * bounds-checked: running off the end is a malformed stream, never a silent zero.
 */
export class BitReader {
  private readonly buf: Buffer;
  private pos = 0; // in bits

  constructor(buf: Buffer) {
    this.buf = buf;
  }

  get bitsLeft(): number {
    return this.buf.length * 8 - this.pos;
  }

  get bitPosition(): number {
    return this.pos;
  }

  private fail(what: string): never {
    throw new CorralError('MEDIA_DECODE', `bitstream truncated reading ${what} at bit ${this.pos}`);
  }

  bit(): number {
    if (this.pos >= this.buf.length * 8) this.fail('bit');
    const byte = this.buf[this.pos >> 3] as number;
    const v = (byte >> (7 - (this.pos & 7))) & 1;
    this.pos++;
    return v;
  }

  flag(): boolean {
    return this.bit() === 1;
  }

  /** Reads n bits (0..32) as an unsigned number. */
  bits(n: number): number {
    if (n < 0 || n > 32) throw new RangeError(`bits(${n}) out of range`);
    if (n > this.bitsLeft) this.fail(`${n} bits`);
    let v = 0;
    for (let i = 0; i < n; i++) v = v * 2 + this.bit();
    return v;
  }

  skip(n: number): void {
    if (n > this.bitsLeft) this.fail(`skip of ${n} bits`);
    this.pos += n;
  }

  /** Unsigned Exp-Golomb, ue(v). Values up to 2^32-2 (32 leading zeros at most). */
  ue(): number {
    let zeros = 0;
    while (this.bit() === 0) {
      zeros++;
      if (zeros > 31) throw new CorralError('MEDIA_DECODE', `Exp-Golomb code too long at bit ${this.pos}`);
    }
    return 2 ** zeros - 1 + this.bits(zeros);
  }

  /** Signed Exp-Golomb, se(v): 1, -1, 2, -2, ... for codeNum 1, 2, 3, 4, ... */
  se(): number {
    const k = this.ue();
    if (k === 0) return 0; // avoid -0
    return k % 2 === 1 ? (k + 1) / 2 : -(k / 2);
  }
}

/**
 * Converts a NAL unit payload to its RBSP by dropping each emulation-prevention byte: the 0x03 in
 * any 00 00 03 sequence. Returns the input itself when there is nothing to remove (the common
 * case for small parameter sets), so callers pay for a copy only when the stream needs one.
 */
export function removeEmulationPrevention(nal: Buffer): Buffer {
  let first = -1;
  for (let i = 2; i < nal.length; i++) {
    if (nal[i] === 3 && nal[i - 1] === 0 && nal[i - 2] === 0) {
      first = i;
      break;
    }
  }
  if (first < 0) return nal;
  const out = Buffer.allocUnsafe(nal.length);
  let o = 0;
  let zeros = 0;
  for (let i = 0; i < nal.length; i++) {
    const b = nal[i] as number;
    if (zeros >= 2 && b === 3) {
      zeros = 0;
      continue;
    }
    out[o++] = b;
    zeros = b === 0 ? zeros + 1 : 0;
  }
  return out.subarray(0, o);
}
