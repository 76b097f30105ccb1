import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AmfEcmaArray, decodeAmf0, decodeAmf0Value, encodeAmf0, type AmfValue } from './amf0.js';
import { isCorralError } from '../util/errors.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const long = 'x'.repeat(70_000);

/** Each case runs both ways: encode(value) === bytes and decode(bytes) deepEquals value. */
const golden: { name: string; value: AmfValue; bytes: Buffer }[] = [
  { name: 'number 0', value: 0, bytes: hex('00 0000000000000000') },
  { name: 'number 1.5', value: 1.5, bytes: hex('00 3ff8000000000000') },
  { name: 'number -2', value: -2, bytes: hex('00 c000000000000000') },
  { name: 'boolean true', value: true, bytes: hex('01 01') },
  { name: 'boolean false', value: false, bytes: hex('01 00') },
  { name: 'string', value: 'connect', bytes: hex('02 0007 636f6e6e656374') },
  { name: 'empty string', value: '', bytes: hex('02 0000') },
  { name: 'utf-8 string', value: 'é', bytes: hex('02 0002 c3a9') },
  {
    name: 'long string',
    value: long,
    bytes: Buffer.concat([hex('0c 00011170'), Buffer.from(long)]),
  },
  { name: 'null', value: null, bytes: hex('05') },
  { name: 'undefined', value: undefined, bytes: hex('06') },
  {
    name: 'object',
    value: { app: 'live', n: 1 },
    bytes: hex('03 0003 617070 02 0004 6c697665 0001 6e 00 3ff0000000000000 000009'),
  },
  { name: 'empty object', value: {}, bytes: hex('03 000009') },
  {
    name: 'nested object',
    value: { a: { b: null } },
    bytes: hex('03 0001 61 03 0001 62 05 000009 000009'),
  },
  {
    name: 'ECMA array',
    value: new AmfEcmaArray({ width: 640, ok: true }),
    bytes: hex('08 00000002 0005 7769647468 00 4084000000000000 0002 6f6b 01 01 000009'),
  },
  {
    name: 'strict array',
    value: [1, 'a', null],
    bytes: hex('0a 00000003 00 3ff0000000000000 02 0001 61 05'),
  },
  { name: 'empty strict array', value: [], bytes: hex('0a 00000000') },
  { name: 'date', value: new Date(1000), bytes: hex('0b 408f400000000000 0000') },
];

for (const c of golden) {
  test(`amf0 golden: ${c.name}`, () => {
    assert.deepEqual(encodeAmf0(c.value), c.bytes, 'encode');
    assert.deepEqual(decodeAmf0(c.bytes), [c.value], 'decode');
  });
}

test('amf0: a command is a sequence of top-level values', () => {
  const values: AmfValue[] = ['connect', 1, { app: 'live', tcUrl: 'rtmp://h/live' }, null];
  const bytes = encodeAmf0(...values);
  assert.deepEqual(decodeAmf0(bytes), values);
  const first = decodeAmf0Value(bytes, 0);
  assert.equal(first.value, 'connect');
  assert.equal(first.end, 10);
});

test('amf0: typed object decodes to its properties', () => {
  const bytes = hex('10 0003 466f6f 0001 61 01 01 000009');
  assert.deepEqual(decodeAmf0(bytes), [{ a: true }]);
});

test('amf0: "__proto__" key stays data', () => {
  const bytes = hex('03 0009 5f5f70726f746f5f5f 00 3ff0000000000000 000009');
  const [v] = decodeAmf0(bytes) as [Record<string, unknown>];
  assert.equal(Object.getPrototypeOf(v), Object.prototype);
  assert.equal(Object.getOwnPropertyDescriptor(v, '__proto__')?.value, 1);
});

function assertAmfError(bytes: Buffer, re: RegExp, limits?: Parameters<typeof decodeAmf0>[1]) {
  assert.throws(
    () => decodeAmf0(bytes, limits),
    (e: unknown) => isCorralError(e, 'AMF_DECODE') && re.test(e.message),
  );
}

test('amf0 bad input: truncated values', () => {
  assertAmfError(hex('00 3ff0'), /truncated/);
  assertAmfError(hex('02 0005 6162'), /truncated/);
  assertAmfError(hex('03 0001 61 05'), /truncated/);
  assertAmfError(hex('0b 408f400000000000'), /truncated/);
  assertAmfError(hex('0a 00000002 05'), /more than the bytes left|truncated/);
});

test('amf0 bad input: unknown and unsupported markers', () => {
  assertAmfError(hex('42'), /unknown type marker 0x42/);
  assertAmfError(hex('07 0001'), /not supported/);
  assertAmfError(hex('09'), /object-end marker outside an object/);
  assertAmfError(hex('11 01'), /AMF3/);
});

test('amf0 bad input: depth bomb', () => {
  // 10,000 nested objects: would blow the stack or the heap without a depth limit.
  const bomb = Buffer.concat([
    Buffer.from([0x03]),
    Buffer.alloc(0),
    ...Array(10_000).fill(hex('0001 61 03')),
  ]);
  assertAmfError(bomb, /nesting deeper than 32/);
  const arrays = Buffer.concat(Array(100).fill(hex('0a 00000001')));
  assertAmfError(arrays, /nesting deeper/);
});

test('amf0 bad input: element and string limits', () => {
  const many = encodeAmf0(Array.from({ length: 50 }, () => 1));
  assertAmfError(many, /more than 10 elements/, { maxDepth: 8, maxElements: 10, maxStringLength: 100 });
  assertAmfError(encodeAmf0('y'.repeat(200)), /exceeds the limit of 100/, {
    maxDepth: 8,
    maxElements: 10,
    maxStringLength: 100,
  });
  // A huge declared strict array count fails fast instead of looping.
  assertAmfError(hex('0a ffffffff'), /more than the bytes left/);
});
