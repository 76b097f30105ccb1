import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cookieValue, queryParam, TargetNormaliser } from './key.js';

describe('cache key normalisation (issue 9)', () => {
  const n = new TargetNormaliser(['_HLS_msn', '_HLS_part', '_HLS_skip']);
  const cases: Array<[string, string]> = [
    ['/live/x/seg-1.m4s', '/live/x/seg-1.m4s'],
    ['/live/x/seg-1.m4s?', '/live/x/seg-1.m4s'],
    ['/live/x/seg-1.m4s?cb=123&token=abc', '/live/x/seg-1.m4s'],
    ['/live/x/i.m3u8?_HLS_part=1&_HLS_msn=5', '/live/x/i.m3u8?_HLS_msn=5&_HLS_part=1'],
    ['/live/x/i.m3u8?token=t&_HLS_skip=YES&z', '/live/x/i.m3u8?_HLS_skip=YES'],
    ['/live/x/%73eg-1.m4s?a=1', '/live/x/seg-1.m4s'],
    ['/live/x/a%2fb', '/live/x/a%2Fb'],
  ];
  for (const [from, to] of cases) it(`${from} -> ${to}`, () => assert.equal(n.normalise(from), to));

  it('a target without a query or escape is returned as is (no copy)', () => {
    const url = '/live/x/seg-1.m4s';
    assert.equal(n.normalise(url), url);
  });

  it('"*" keeps every parameter in order, except the playback token', () => {
    const all = new TargetNormaliser(['*']);
    assert.equal(all.normalise('/o?b=1&a=2&token=x'), '/o?b=1&a=2');
  });

  it('reads a query parameter and a cookie', () => {
    assert.equal(queryParam('/a?x=1&token=abc.def', 'token'), 'abc.def');
    assert.equal(queryParam('/a?tokens=1', 'token'), undefined);
    assert.equal(cookieValue('a=1; corral_token=zz', 'corral_token'), 'zz');
    assert.equal(cookieValue(undefined, 'corral_token'), undefined);
  });
});
