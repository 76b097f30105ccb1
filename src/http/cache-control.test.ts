import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseCacheControl, scaleLifetimes, type Directives } from './cache-control.js';

const none: Directives = {
  noStore: false,
  noCache: false,
  private: false,
  public: false,
  immutable: false,
  mustRevalidate: false,
};

describe('parseCacheControl (RFC 9111 5.2.2)', () => {
  const cases: Array<[string, string | string[] | undefined, Partial<Directives>]> = [
    ['absent', undefined, {}],
    ['empty', '', {}],
    ['max-age', 'max-age=60', { maxAge: 60 }],
    ['s-maxage and public', 'public, s-maxage=10, max-age=5', { public: true, sMaxAge: 10, maxAge: 5 }],
    ['names are case-insensitive', 'Max-Age=7, NO-STORE', { maxAge: 7, noStore: true }],
    ['quoted delta accepted', 'max-age="30"', { maxAge: 30 }],
    ['invalid max-age means stale (4.2.1)', 'max-age=soon', { maxAge: 0 }],
    ['negative max-age means stale', 'max-age=-1', { maxAge: 0 }],
    ['huge max-age capped at 2^31 (1.2.2)', 'max-age=99999999999', { maxAge: 2_147_483_648 }],
    ['no-cache', 'no-cache', { noCache: true }],
    ['qualified no-cache treated as no-cache', 'no-cache="set-cookie"', { noCache: true }],
    [
      'private with a quoted list holding a comma',
      'private="set-cookie, x-a", max-age=3',
      { private: true, maxAge: 3 },
    ],
    ['must-revalidate', 'must-revalidate', { mustRevalidate: true }],
    ['proxy-revalidate counts for a shared cache', 'proxy-revalidate', { mustRevalidate: true }],
    ['immutable', 'public, max-age=31536000, immutable', { public: true, maxAge: 31536000, immutable: true }],
    [
      'stale-while-revalidate and stale-if-error (RFC 5861)',
      'max-age=1, stale-while-revalidate=2, stale-if-error=30',
      { maxAge: 1, staleWhileRevalidate: 2, staleIfError: 30 },
    ],
    ['unknown directives ignored', 'foo, bar=1, max-age=2', { maxAge: 2 }],
    ['repeated field lines join', ['max-age=4', 'no-store'], { maxAge: 4, noStore: true }],
    ['whitespace around parts', '  max-age = 9 ,  public ', { maxAge: 9, public: true }],
    ['absurdly long header ignored', `max-age=5,${'x'.repeat(5000)}`, {}],
  ];
  for (const [name, header, want] of cases) {
    it(name, () => assert.deepEqual(parseCacheControl(header), { ...none, ...want }));
  }
});

describe('scaleLifetimes', () => {
  const cases: Array<[string, number, string]> = [
    ['public, max-age=1, stale-while-revalidate=1', 2, 'public, max-age=2, stale-while-revalidate=2'],
    ['max-age=3,s-maxage=4, stale-if-error=30', 2, 'max-age=6,s-maxage=8, stale-if-error=30'],
    ['Max-Age = 5, immutable', 3, 'Max-Age = 15, immutable'],
    ['max-age=0', 2, 'max-age=0'],
    ['no-cache', 2, 'no-cache'],
    ['private="x-max-age=3"', 2, 'private="x-max-age=3"'],
  ];
  for (const [input, factor, want] of cases) {
    it(`${input} x${factor}`, () => assert.equal(scaleLifetimes(input, factor), want));
  }
});
