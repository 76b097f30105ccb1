import assert from 'node:assert/strict';
import type { IncomingHttpHeaders } from 'node:http';
import { describe, it } from 'node:test';
import { decidePolicy, ERROR_TTL_MS, type Policy } from './policy.js';

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
  };
  const cases: Array<[string, number, IncomingHttpHeaders, Partial<Policy>]> = [
    ['max-age', 200, { 'cache-control': 'max-age=60' }, { lifetimeMs: 60_000 }],
    [
      's-maxage wins over max-age in a shared cache',
      200,
      { 'cache-control': 'max-age=60, s-maxage=5' },
      { lifetimeMs: 5_000 },
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
      { lifetimeMs: 1_000, mustRevalidate: true },
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
      { lifetimeMs: 600_000, immutable: true },
    ],
  ];
  for (const [name, status, headers, want] of cases) {
    it(name, () => assert.deepEqual(decidePolicy(status, headers, NOW), { ...base, ...want }));
  }
});
