import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeAmf0, encodeAmf0, type AmfValue } from './amf0.js';
import { isCorralError } from '../util/errors.js';

const RUNS = 2000;

const decodesOrCodedError = (buf: Buffer): AmfValue[] | undefined => {
  try {
    return decodeAmf0(buf);
  } catch (e) {
    if (!isCorralError(e) || e.code !== 'AMF_DECODE') throw e;
    return undefined;
  }
};

// Values AMF0 can carry exactly: finite doubles (NaN/-0 compare differently), strings, booleans,
// null, arrays and plain objects.
const { value } = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.double({ noNaN: true, noDefaultInfinity: true }).filter((n) => !Object.is(n, -0)),
    fc.string({ maxLength: 40 }),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc
      .dictionary(
        fc.string({ minLength: 1, maxLength: 12 }).filter((k) => k !== '__proto__'),
        tie('value'),
        { maxKeys: 4 },
      )
      .map((d) => ({ ...d })), // fast-check dictionaries have a null prototype; decoded objects do not
  ),
}));

test(`fuzz: AMF0 decode of random bytes (${RUNS} cases): values or AMF_DECODE`, () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => {
      decodesOrCodedError(Buffer.from(bytes));
    }),
    { numRuns: RUNS },
  );
});

test(`fuzz: AMF0 encode -> decode round trip (${RUNS} cases), and mutations of it`, () => {
  fc.assert(
    fc.property(
      fc.array(value as fc.Arbitrary<AmfValue>, { minLength: 1, maxLength: 4 }),
      fc.nat(),
      fc.integer({ min: 0, max: 255 }),
      (values, pos, byte) => {
        const wire = encodeAmf0(...values);
        assert.deepEqual(decodeAmf0(wire), values);
        const bad = Buffer.from(wire);
        bad[pos % bad.length] = byte;
        decodesOrCodedError(bad);
        decodesOrCodedError(wire.subarray(0, pos % wire.length));
      },
    ),
    { numRuns: RUNS },
  );
});
