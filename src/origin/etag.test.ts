import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { computeEtag, withLazyEtag } from './etag.js';

describe('ETags', () => {
  it('depend on the bytes and the length only', () => {
    assert.equal(computeEtag(Buffer.from('abc')), computeEtag(Buffer.from('abc')));
    assert.notEqual(computeEtag(Buffer.from('abc')), computeEtag(Buffer.from('abd')));
    assert.match(computeEtag(Buffer.from('abc')), /^"3-[A-Za-z0-9_-]{27}"$/);
  });

  it('a lazy ETag is the body hash, kept after the first read, and copied by a spread', () => {
    const body = Buffer.from('segment bytes');
    const obj = withLazyEtag({ kind: 'part', body });
    const expected = computeEtag(body);
    assert.equal(obj.etag, expected);
    body[0] = 0x53 ^ 0xff; // kept: not hashed again on the next read
    assert.equal(obj.etag, expected);
    const copy = { ...obj, body: Buffer.from('x') };
    assert.equal(copy.etag, expected);
    assert.deepEqual(Object.keys(obj).sort(), ['body', 'etag', 'kind']);
  });
});
