import assert from 'node:assert/strict';
import type { IncomingHttpHeaders } from 'node:http';
import { describe, it } from 'node:test';
import { decidePolicy, ERROR_TTL_MS, type Policy, type PolicyDefaults } from './policy.js';

const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);
const httpDate = (ms: number) => new Date(ms).toUTCString();

describe('decidePolicy (RFC 9111 3, 4.2.1, 5.2.2; RFC 5861)', () => {
  const base: Policy = {
    shareable: true,
    storable: true,
    lifetimeMs: 0,
    swrMs: 0,
    sieMs: 0,
    mustRevalidate: false,
    immutable: false,
    refreshFirst: false,
    forCredentials: false,
  };
  const cases: Array<[string, number, IncomingHttpHeaders, Partial<Policy>]> = [
    ['max-age', 200, { 'cache-control': 'max-age=60' }, { lifetimeMs: 60_000 }],
    [
      's-maxage wins over max-age in a shared cache',
      200,
      { 'cache-control': 'max-age=60, s-maxage=5' },
      { lifetimeMs: 5_000, forCredentials: true },
    ],
    [
      'max-age wins over Expires',
      200,
      { 'cache-control': 'max-age=2', expires: httpDate(NOW + 60_000), date: httpDate(NOW) },
      { lifetimeMs: 2_000 },
    ],
    [
      'Expires minus Date',
      200,
      { expires: httpDate(NOW + 30_000), date: httpDate(NOW - 10_000) },
      { lifetimeMs: 40_000 },
    ],
    [
      'Expires without Date counts from receipt',
      200,
      { expires: httpDate(NOW + 30_000) },
      { lifetimeMs: 30_000 },
    ],
    [
      'Expires in the past',
      200,
      { expires: httpDate(NOW - 1_000), date: httpDate(NOW) },
      { lifetimeMs: 0, storable: false },
    ],
    [
      'invalid Expires means already expired (5.3)',
      200,
      { expires: '0' },
      { lifetimeMs: 0, storable: false },
    ],
    ['no explicit lifetime: no heuristic freshness', 200, {}, { storable: false }],
    ['max-age=0', 200, { 'cache-control': 'max-age=0' }, { storable: false }],
    [
      'no-cache: shared but never fresh',
      200,
      { 'cache-control': 'no-cache, max-age=60' },
      { storable: false },
    ],
    [
      'no-store',
      200,
      { 'cache-control': 'no-store, max-age=60' },
      { shareable: false, storable: false, lifetimeMs: 60_000 },
    ],
    [
      'private',
      200,
      { 'cache-control': 'private, max-age=60' },
      { shareable: false, storable: false, lifetimeMs: 60_000 },
    ],
    [
      'Set-Cookie',
      200,
      { 'cache-control': 'max-age=60', 'set-cookie': ['a=1'] },
      { shareable: false, storable: false, lifetimeMs: 60_000 },
    ],
    [
      'Vary: *',
      200,
      { 'cache-control': 'max-age=60', vary: '*' },
      { shareable: false, storable: false, lifetimeMs: 60_000 },
    ],
    ['a 404 with a lifetime is kept', 404, { 'cache-control': 'max-age=5' }, { lifetimeMs: 5_000 }],
    [
      '206 never stored (we fetch whole objects)',
      206,
      { 'cache-control': 'max-age=60' },
      { storable: false, lifetimeMs: 60_000 },
    ],
    [
      '304 never stored (it updates an entry)',
      304,
      { 'cache-control': 'max-age=60' },
      { storable: false, lifetimeMs: 60_000 },
    ],
    [
      'stale-while-revalidate and stale-if-error windows',
      200,
      { 'cache-control': 'max-age=1, stale-while-revalidate=2, stale-if-error=30' },
      { lifetimeMs: 1_000, swrMs: 2_000, sieMs: 30_000 },
    ],
    [
      'must-revalidate forbids serving stale',
      200,
      { 'cache-control': 'max-age=1, must-revalidate, stale-while-revalidate=2, stale-if-error=30' },
      { lifetimeMs: 1_000, mustRevalidate: true, forCredentials: true },
    ],
    [
      '5xx kept at most the error TTL and never served stale',
      503,
      { 'cache-control': 'max-age=60, stale-while-revalidate=5, stale-if-error=5' },
      { lifetimeMs: ERROR_TTL_MS },
    ],
    ['5xx without a lifetime is not kept', 502, {}, { storable: false }],
    [
      'immutable',
      200,
      { 'cache-control': 'public, max-age=600, immutable' },
      { lifetimeMs: 600_000, immutable: true, forCredentials: true },
    ],
  ];
  for (const [name, status, headers, want] of cases) {
    it(name, () => assert.deepEqual(decidePolicy(status, headers, NOW), { ...base, ...want }));
  }
});

describe("decidePolicy with this tier's defaults (issue 9)", () => {
  const defaults: PolicyDefaults = { staleIfErrorMs: 30_000, notFoundTtlMs: 1_000 };
  const decide = (status: number, cc?: string) =>
    decidePolicy(status, cc === undefined ? {} : { 'cache-control': cc }, NOW, defaults);

  it('a 200 without stale-if-error gets the default window', () => {
    assert.equal(decide(200, 'max-age=1').sieMs, 30_000);
  });
  it("the upstream's own stale-if-error wins, even 0", () => {
    assert.equal(decide(200, 'max-age=1, stale-if-error=5').sieMs, 5_000);
    assert.equal(decide(200, 'max-age=1, stale-if-error=0').sieMs, 0);
  });
  it('an immutable answer (a live segment) gets no default window: its max-age is its whole life', () => {
    assert.equal(decide(200, 'public, max-age=41, immutable').sieMs, 0);
    assert.equal(decide(200, 'public, max-age=41, immutable, stale-if-error=10').sieMs, 10_000);
  });
  it('must-revalidate and no-cache get no stale window', () => {
    assert.equal(decide(200, 'max-age=1, must-revalidate').sieMs, 0);
    assert.equal(decide(200, 'no-cache').sieMs, 0);
  });
  it('a 404 without a lifetime is kept for the negative TTL, with no stale window', () => {
    const p = decide(404);
    assert.equal(p.lifetimeMs, 1_000);
    assert.equal(p.storable, true);
    assert.equal(p.sieMs, 0);
    assert.equal(decide(410).lifetimeMs, 1_000);
  });
  it("a 404's own lifetime wins", () => {
    assert.equal(decide(404, 'max-age=5').lifetimeMs, 5_000);
    assert.equal(decide(404, 'no-store').storable, false);
  });
  it('RFC 9111 3.5: public, s-maxage or must-revalidate may answer credentialed requests', () => {
    assert.equal(decide(200, 'public, max-age=1').forCredentials, true);
    assert.equal(decide(200, 's-maxage=1').forCredentials, true);
    assert.equal(decide(200, 'max-age=1, must-revalidate').forCredentials, true);
    assert.equal(decide(200, 'max-age=1').forCredentials, false);
  });
});
