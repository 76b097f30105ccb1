import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseRange, type RangeResult } from './range.js';

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
