import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { contentRange, parseRange, unsatisfiedRange, type RangeResult } from './range.js';

describe('parseRange', () => {
  const none: RangeResult = { kind: 'none' };
  const unsat: RangeResult = { kind: 'unsatisfiable' };
  const r = (start: number, end: number): RangeResult => ({ kind: 'range', start, end });
  const cases: Array<[string | undefined, number, RangeResult]> = [
    [undefined, 100, none],
    ['bytes=0-9', 100, r(0, 9)],
    ['bytes=10-', 100, r(10, 99)],
    ['bytes=90-500', 100, r(90, 99)], // end clamped to the body
    ['bytes=-10', 100, r(90, 99)],
    ['bytes=-500', 100, r(0, 99)], // suffix longer than the body: all of it
    ['bytes=100-', 100, unsat],
    ['bytes=100-200', 100, unsat],
    ['bytes=-0', 100, unsat],
    ['bytes=0-0', 0, unsat],
    ['bytes=-5', 0, unsat],
    ['bytes=9-3', 100, none], // invalid: ignored
    ['bytes=0-1,5-6', 100, none], // multi-range: whole body instead
    ['items=0-9', 100, none],
    ['bytes=abc', 100, none],
    ['bytes=-', 100, none],
    [' Bytes = 1-2', 100, r(1, 2)],
    ['bytes=99999999999999999999-', 100, unsat],
  ];
  for (const [header, size, want] of cases) {
    it(`${JSON.stringify(header)} of ${size} bytes`, () => assert.deepEqual(parseRange(header, size), want));
  }
});

describe('parseRange: RFC 9110 14.1-14.2 cases', () => {
  const none: RangeResult = { kind: 'none' };
  const unsat: RangeResult = { kind: 'unsatisfiable' };
  const r = (start: number, end: number): RangeResult => ({ kind: 'range', start, end });
  const cases: Array<[string, string, number, RangeResult]> = [
    // Range units compare case-insensitively (14.1): the origin honoured this, the cache did not.
    ['unit in capitals', 'BYTES=0-1', 100, r(0, 1)],
    ['unit in mixed case', 'ByTeS=5-', 10, r(5, 9)],
    // A suffix range on an empty body names no byte: 416 (the cache used to answer [0,-1]).
    ['suffix range of an empty body', 'bytes=-5', 0, unsat],
    ['open range of an empty body', 'bytes=0-', 0, unsat],
    ['RFC example: first 500 bytes', 'bytes=0-499', 10000, r(0, 499)],
    ['RFC example: second 500 bytes', 'bytes=500-999', 10000, r(500, 999)],
    ['RFC example: final 500 bytes (suffix)', 'bytes=-500', 10000, r(9500, 9999)],
    ['RFC example: final 500 bytes (open)', 'bytes=9500-', 10000, r(9500, 9999)],
    ['RFC example: first and last byte (multi): whole body', 'bytes=0-0,-1', 10000, none],
    ['last byte', 'bytes=-1', 10000, r(9999, 9999)],
    ['single byte at the end', 'bytes=9999-9999', 10000, r(9999, 9999)],
    ['one past the end', 'bytes=10000-10000', 10000, unsat],
    ['whitespace around the set', 'bytes= 2-3 ', 10, r(2, 3)],
    ['missing "="', 'bytes 0-1', 10, none],
    ['negative first-pos', 'bytes=--1', 10, none],
    ['other unit ignored', 'none=0-1', 10, none],
    ['huge suffix', 'bytes=-99999999999999999999', 10, r(0, 9)],
  ];
  for (const [name, header, size, want] of cases) {
    it(`${name}: ${JSON.stringify(header)} of ${size} bytes`, () =>
      assert.deepEqual(parseRange(header, size), want));
  }

  it('Content-Range values for 206 and 416 (14.4)', () => {
    assert.equal(contentRange(0, 499, 1234), 'bytes 0-499/1234');
    assert.equal(unsatisfiedRange(1234), 'bytes */1234');
    assert.equal(unsatisfiedRange(0), 'bytes */0');
  });
});
