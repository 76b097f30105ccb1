import assert from 'node:assert/strict';
import type { IncomingHttpHeaders } from 'node:http';
import { describe, it } from 'node:test';
import { SharedBody } from './body.js';
import {
  createEntry,
  currentAgeMs,
  entrySize,
  inSieWindow,
  inSwrWindow,
  isFresh,
  objectHeaders,
  parseVary,
  refreshEntry,
  usableMs,
  varyKeyOf,
} from './entry.js';

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
const httpDate = (ms: number) => new Date(ms).toUTCString();

function entry(headers: IncomingHttpHeaders, requestTime = T0, responseTime = T0) {
  return createEntry(200, headers, SharedBody.of(Buffer.from('x')), requestTime, {}, responseTime);
}

describe('age (RFC 9111 4.2.3)', () => {
  const cases: Array<[string, IncomingHttpHeaders, number, number, number]> = [
    // name, headers, request time, response time, expected initial age
    ['no Age, no Date: the response delay', {}, T0 - 40, T0, 40],
    ['Age adds the response delay (corrected_age_value)', { age: '3' }, T0 - 100, T0, 3_100],
    ['Date a fraction of a second old is not counted', { date: httpDate(T0 - 900) }, T0, T0, 0],
    ['apparent age beyond the Date resolution counts', { date: httpDate(T0 - 5_000) }, T0, T0, 4_000],
    ['the larger of apparent and corrected age', { age: '10', date: httpDate(T0 - 5_000) }, T0, T0, 10_000],
    ['a Date in the future gives no negative age', { date: httpDate(T0 + 60_000) }, T0, T0, 0],
    ['an invalid Age is ignored', { age: 'old' }, T0, T0, 0],
    ['a negative Age is ignored', { age: '-5' }, T0, T0, 0],
  ];
  for (const [name, headers, req, res, want] of cases) {
    it(name, () => assert.equal(entry(headers, req, res).initialAgeMs, want));
  }

  it('current age grows with the clock from the response time, never backwards', () => {
    const e = entry({ age: '2' });
    assert.equal(currentAgeMs(e, T0), 2_000);
    assert.equal(currentAgeMs(e, T0 + 1_500), 3_500);
    assert.equal(currentAgeMs(e, T0 - 10_000), 2_000);
  });
});

describe('freshness and stale windows (RFC 9111 4.2, RFC 5861)', () => {
  const e = entry({ 'cache-control': 'max-age=10, stale-while-revalidate=5, stale-if-error=60' });
  const cases: Array<[number, boolean, boolean, boolean, number]> = [
    // age ms, fresh, in SWR window, in SIE window, usable ms left
    [0, true, true, true, 70_000],
    [9_999, true, true, true, 60_001],
    [10_000, false, true, true, 60_000],
    [14_999, false, true, true, 55_001],
    [15_000, false, false, true, 55_000],
    [69_999, false, false, true, 1],
    [70_000, false, false, false, 0],
    [100_000, false, false, false, 0],
  ];
  for (const [age, fresh, swr, sie, usable] of cases) {
    it(`at age ${age} ms: fresh ${fresh}, swr ${swr}, sie ${sie}`, () => {
      const now = T0 + age;
      assert.equal(isFresh(e, now), fresh);
      assert.equal(inSwrWindow(e, now), swr);
      assert.equal(inSieWindow(e, now), sie);
      assert.equal(usableMs(e, now), usable);
    });
  }

  it('an object that arrives older than its lifetime is stale at once', () => {
    const old = entry({ 'cache-control': 'max-age=5', age: '6' });
    assert.equal(isFresh(old, T0), false);
  });
});

describe('304 refresh (RFC 9111 4.3.4)', () => {
  it('takes the new validators and lifetime, keeps body, type and Vary, restarts the age', () => {
    const body = SharedBody.of(Buffer.from('payload'));
    const first = createEntry(
      200,
      { 'cache-control': 'max-age=1', etag: '"v1"', 'content-type': 'video/mp4', vary: 'accept-encoding' },
      body,
      T0,
      { 'accept-encoding': 'gzip' },
      T0,
    );
    const later = T0 + 30_000;
    const e = refreshEntry(
      first,
      { 'cache-control': 'max-age=20', etag: '"v1"', 'content-type': 'text/plain', age: '1' },
      later - 10,
      later,
    );
    assert.equal(e.body, body);
    assert.equal(e.headers['content-type'], 'video/mp4');
    assert.equal(e.headers['cache-control'], 'max-age=20');
    assert.equal(e.policy.lifetimeMs, 20_000);
    assert.equal(e.initialAgeMs, 1_010);
    assert.equal(e.responseTime, later);
    assert.equal(e.varyKey, first.varyKey);
    assert.deepEqual(e.varyNames, ['accept-encoding']);
    assert.equal(isFresh(e, later + 18_000), true);
  });
});

describe('stored fields', () => {
  it('drops hop-by-hop fields, fields named by Connection, and the ones we recompute', () => {
    const h = objectHeaders({
      connection: 'close, x-hop',
      'x-hop': '1',
      'keep-alive': 'timeout=5',
      'transfer-encoding': 'chunked',
      age: '3',
      'x-cache': 'shield HIT',
      'content-length': '10',
      'content-type': 'text/plain',
      etag: '"a"',
    });
    assert.deepEqual(h, { 'content-type': 'text/plain', etag: '"a"' });
  });

  it('Vary names are lowercased and sorted; * is not a name', () => {
    assert.deepEqual(parseVary({ vary: 'Accept-Encoding, Origin' }), ['accept-encoding', 'origin']);
    assert.deepEqual(parseVary({ vary: '*' }), []);
    assert.deepEqual(parseVary({}), []);
  });

  it('Vary keys ignore spacing and case of the request values', () => {
    const names = ['accept-encoding'];
    assert.equal(
      varyKeyOf(names, { 'accept-encoding': 'gzip, br' }),
      varyKeyOf(names, { 'accept-encoding': 'GZIP,br' }),
    );
    assert.notEqual(varyKeyOf(names, { 'accept-encoding': 'gzip' }), varyKeyOf(names, {}));
    assert.equal(varyKeyOf([], { 'accept-encoding': 'gzip' }), '');
  });
});

describe('memory accounting (issue 9)', () => {
  it('a small 404 is charged its measured cost (~1.3 KB of heap plus a page of native heap), not ~512 B', () => {
    // corral's origin 404, as a cache tier receives it.
    const e = createEntry(
      404,
      {
        'access-control-allow-origin': '*',
        'access-control-expose-headers':
          'Age, Content-Length, Content-Range, Date, ETag, Last-Modified, X-Cache',
        'content-type': 'text/plain; charset=utf-8',
        'content-length': '10',
        'x-content-type-options': 'nosniff',
        'cache-control': 'public, max-age=1',
        date: httpDate(T0),
      },
      SharedBody.of(Buffer.from('not found\n')),
      T0,
      {},
      T0,
    );
    const charged = entrySize(e, '/live/x/0-abcdefghij.m4s');
    assert.ok(charged >= 1339 + 4096, `charged ${charged}`);
    assert.ok(charged < 6000, `charged ${charged}: far above the measured cost`);
  });

  it('a segment is charged its bytes plus the fixed overhead', () => {
    const big = createEntry(200, {}, SharedBody.of(Buffer.alloc(400_000)), T0, {}, T0);
    const size = entrySize(big, '/live/x/seg-1.m4s');
    assert.ok(size > 400_000 && size < 404_000, String(size));
  });

  it("a small 200 is also charged the hit path's joined copies of head and body", () => {
    const small = createEntry(200, {}, SharedBody.of(Buffer.alloc(2_000)), T0, {}, T0);
    const notFound = createEntry(404, {}, SharedBody.of(Buffer.alloc(2_000)), T0, {}, T0);
    const extra = entrySize(small, '/a.m3u8') - entrySize(notFound, '/a.m3u8');
    assert.ok(extra >= 2 * 2_000, `charged ${extra} more`);
  });

  it('a complete small body does not keep the larger buffer it was sliced from', () => {
    const packet = Buffer.alloc(65_536);
    const body = new SharedBody();
    body.append(packet.subarray(300, 310));
    body.finish();
    assert.equal(body.chunks[0]!.buffer.byteLength, 10);
  });
});
