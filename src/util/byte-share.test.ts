import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { ByteShare, sharePath } from './byte-share.js';

const bytes = (n: number, seed: number) =>
  Buffer.from(Array.from({ length: n }, (_, i) => (i * seed) & 0xff));

test('a body equal to one held under the same path keeps the held buffer', () => {
  const share = new ByteShare({ minBytes: 10 });
  const held = bytes(5000, 7);
  share.offer('/live/a/seg-1.m4s', held);
  // The same bytes, arrived in pieces the way a socket delivers them.
  const pieces = [held.subarray(0, 1000), held.subarray(1000, 4999), held.subarray(4999)].map((b) =>
    Buffer.from(b),
  );
  assert.equal(share.find('/live/a/seg-1.m4s', pieces, 5000), held);
  assert.equal(share.shared, 1);
  assert.equal(share.sharedBytes, 5000);
  // One byte different, another length, another path, too small: never the held buffer.
  const changed = Buffer.from(held);
  changed[4321] = changed[4321]! ^ 1;
  assert.equal(share.find('/live/a/seg-1.m4s', [changed], 5000), undefined);
  assert.equal(share.find('/live/a/seg-1.m4s', [held.subarray(0, 4000)], 4000), undefined);
  assert.equal(share.find('/live/a/seg-2.m4s', [held], 5000), undefined);
  share.offer('/tiny', bytes(5, 3));
  assert.equal(share.find('/tiny', [bytes(5, 3)], 5), undefined);
  assert.equal(share.shared, 1);
});

test('held buffers are weak: a collected one leaves the map; the map is bounded', async () => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const share = new ByteShare({ minBytes: 10, maxPaths: 3 });
  (() => {
    for (let i = 0; i < 3; i++) share.offer(`/p${i}`, bytes(100, i + 1));
  })();
  const kept = bytes(100, 9);
  share.offer('/p3', kept);
  assert.equal(share.paths, 3, 'a fourth path is not taken past the bound');
  for (let i = 0; i < 20 && share.paths > 0; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.equal(share.paths, 0, 'collected buffers leave no entries');
  share.offer('/p3', kept);
  assert.equal(share.find('/p3', [Buffer.from(kept)], 100), kept);
});

test('only paths without a query are shared', () => {
  assert.equal(sharePath('/live/a/seg-1.m4s'), '/live/a/seg-1.m4s');
  assert.equal(sharePath('/live/a/seg-1.m4s?token=x'), undefined);
});
