import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isCorralError } from '../util/errors.js';
import { BitReader, removeEmulationPrevention } from './bits.js';

describe('BitReader', () => {
  it('reads fixed-width fields MSB first across byte boundaries', () => {
    const r = new BitReader(Buffer.from([0b10110011, 0b01011100]));
    assert.equal(r.bits(3), 0b101);
    assert.equal(r.bits(7), 0b1001101);
    assert.equal(r.flag(), false);
    assert.equal(r.bitsLeft, 5);
    assert.equal(r.bits(5), 0b11100);
  });

  it('reads 32-bit fields without sign trouble', () => {
    assert.equal(new BitReader(Buffer.from('ffffffff', 'hex')).bits(32), 0xffffffff);
    const r = new BitReader(Buffer.from('7fffffff80', 'hex'));
    r.skip(1);
    assert.equal(r.bits(32), 0xffffffff);
  });

  it('decodes ue(v) and se(v) code words (H.264 9.1 table 9-2 and 9-3)', () => {
    // 1 | 010 | 011 | 00100 | 00101 | 00110 | 00111 | 0001000 -> codeNum 0..7
    const bits = '1' + '010' + '011' + '00100' + '00101' + '00110' + '00111' + '0001000';
    const buf = Buffer.alloc(Math.ceil(bits.length / 8));
    for (let i = 0; i < bits.length; i++) if (bits[i] === '1') buf[i >> 3]! |= 0x80 >> (i & 7);
    const ue = new BitReader(buf);
    assert.deepEqual(
      [0, 1, 2, 3, 4, 5, 6, 7].map(() => ue.ue()),
      [0, 1, 2, 3, 4, 5, 6, 7],
    );
    const se = new BitReader(buf);
    assert.deepEqual(
      [0, 1, 2, 3, 4, 5, 6, 7].map(() => se.se()),
      [0, 1, -1, 2, -2, 3, -3, 4],
    );
  });

  it('throws MEDIA_DECODE when a read runs past the end', () => {
    const r = new BitReader(Buffer.from([0xff]));
    r.skip(4);
    assert.throws(
      () => r.bits(5),
      (e) => isCorralError(e, 'MEDIA_DECODE'),
    );
    // A code word of zeros never terminates within the data.
    assert.throws(
      () => new BitReader(Buffer.from([0, 0])).ue(),
      (e) => isCorralError(e, 'MEDIA_DECODE'),
    );
    assert.throws(
      () => new BitReader(Buffer.alloc(8)).ue(),
      (e) => isCorralError(e, 'MEDIA_DECODE'),
    );
  });
});

describe('removeEmulationPrevention', () => {
  it('drops the 03 of every 00 00 03, including back to back', () => {
    const out = removeEmulationPrevention(Buffer.from('6700000301000003000003020000', 'hex'));
    assert.equal(out.toString('hex'), '670000010000000002' + '0000');
  });

  it('keeps a 03 that does not follow two zeros, and returns the input when nothing changes', () => {
    const input = Buffer.from('0003000103ff', 'hex');
    assert.equal(removeEmulationPrevention(input), input);
  });
});
