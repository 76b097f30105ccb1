import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ifModifiedSinceHits,
  ifNoneMatchHits,
  ifRangeAllows,
  notModified,
  strongMatch,
  weakMatch,
} from './conditional.js';

describe('entity-tag comparison (RFC 9110 8.8.3.2 table)', () => {
  const cases: Array<[string, string, boolean, boolean]> = [
    // a, b, strong, weak
    ['W/"1"', 'W/"1"', false, true],
    ['W/"1"', 'W/"2"', false, false],
    ['W/"1"', '"1"', false, true],
    ['"1"', '"1"', true, true],
    ['"1"', '"2"', false, false],
  ];
  for (const [a, b, strong, weak] of cases) {
    it(`${a} vs ${b}: strong ${strong}, weak ${weak}`, () => {
      assert.equal(strongMatch(a, b), strong);
      assert.equal(strongMatch(b, a), strong);
      assert.equal(weakMatch(a, b), weak);
      assert.equal(weakMatch(b, a), weak);
    });
  }
});

describe('If-None-Match (RFC 9110 13.1.2)', () => {
  const cases: Array<[string, string | undefined, string | undefined, boolean]> = [
    ['absent', undefined, '"a"', false],
    ['same tag', '"a"', '"a"', true],
    ['other tag', '"b"', '"a"', false],
    ['weak request tag, strong current', 'W/"a"', '"a"', true],
    ['strong request tag, weak current', '"a"', 'W/"a"', true],
    ['list with the tag', '"x", "a"', '"a"', true],
    ['list without spaces', '"x","y","a"', '"a"', true],
    ['list without the tag', '"x", "y"', '"a"', false],
    ['star', '*', '"a"', true],
    ['star without an ETag still matches a current representation', '*', undefined, true],
    ['tag without an ETag', '"a"', undefined, false],
    ['comma inside a quoted tag is part of it', '"a,b"', '"a,b"', true],
    ['comma inside a quoted tag does not split it', '"a,b"', '"a"', false],
    ['unterminated tag', '"a', '"a"', false],
    ['unquoted (broken client) compared as text', 'abc', 'abc', true],
    ['empty elements skipped', ' , ,"a" ,', '"a"', true],
  ];
  for (const [name, header, etag, want] of cases) {
    it(name, () => assert.equal(ifNoneMatchHits(header, etag), want));
  }
});

describe('If-Modified-Since (RFC 9110 13.1.3)', () => {
  const lm = Date.parse('Sun, 06 Nov 1994 08:49:37 GMT');
  const cases: Array<[string, string | undefined, number | undefined, boolean]> = [
    ['same second', 'Sun, 06 Nov 1994 08:49:37 GMT', lm, true],
    ['same second, sub-second modification', 'Sun, 06 Nov 1994 08:49:37 GMT', lm + 999, true],
    ['modified one second later', 'Sun, 06 Nov 1994 08:49:37 GMT', lm + 1000, false],
    ['date after the modification', 'Mon, 07 Nov 1994 00:00:00 GMT', lm, true],
    ['obsolete RFC 850 date', 'Sunday, 06-Nov-94 08:49:37 GMT', lm, true],
    ['asctime date', 'Sun Nov  6 08:49:37 1994', lm, true],
    ['invalid date is ignored', 'yesterday', lm, false],
    ['no Last-Modified', 'Sun, 06 Nov 1994 08:49:37 GMT', undefined, false],
    ['absent', undefined, lm, false],
  ];
  for (const [name, header, lastModified, want] of cases) {
    it(name, () => assert.equal(ifModifiedSinceHits(header, lastModified), want));
  }
});

describe('304 precedence (RFC 9110 13.2.2)', () => {
  const lm = Date.parse('Sun, 06 Nov 1994 08:49:37 GMT');
  const later = 'Mon, 07 Nov 1994 00:00:00 GMT';
  it('If-None-Match decides alone when present, even against a matching date', () => {
    assert.equal(notModified('"old"', later, '"new"', lm), false);
    assert.equal(notModified('"new"', 'Sat, 01 Jan 1994 00:00:00 GMT', '"new"', lm), true);
  });
  it('If-Modified-Since counts without If-None-Match', () => {
    assert.equal(notModified(undefined, later, '"new"', lm), true);
    assert.equal(notModified(undefined, undefined, '"new"', lm), false);
  });
});

describe('If-Range (RFC 9110 13.1.5)', () => {
  const lm = 'Sun, 06 Nov 1994 08:49:37 GMT';
  const cases: Array<[string, string | undefined, string | undefined, string | undefined, boolean]> = [
    ['absent: Range applies', undefined, '"a"', lm, true],
    ['strong match', '"a"', '"a"', lm, true],
    ['other tag', '"b"', '"a"', lm, false],
    ['weak request tag never matches', 'W/"a"', 'W/"a"', lm, false],
    ['weak current tag never matches', '"a"', 'W/"a"', lm, false],
    ['exact date', lm, '"a"', lm, true],
    ['same instant, other format', 'Sunday, 06-Nov-94 08:49:37 GMT', '"a"', lm, true],
    ['other date', 'Mon, 07 Nov 1994 00:00:00 GMT', '"a"', lm, false],
    ['date without Last-Modified', lm, '"a"', undefined, false],
    ['tag without ETag', '"a"', undefined, lm, false],
  ];
  for (const [name, header, etag, lastModified, want] of cases) {
    it(name, () => assert.equal(ifRangeAllows(header, etag, lastModified), want));
  }
});
