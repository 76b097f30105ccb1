import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ByteShare } from '../util/byte-share.js';
import { SharedBody } from './body.js';

const bytes = (n: number, seed: number) =>
  Buffer.from(Array.from({ length: n }, (_, i) => (i * seed) & 0xff));

test('a completed SharedBody takes the buffer another tier holds, or offers its own', () => {
  const share = new ByteShare({ minBytes: 10 });
  const sharing = (path: string) => ({
    find: (c: readonly Buffer[], n: number) => share.find(path, c, n),
    offer: (b: Buffer) => share.offer(path, b),
  });
  const src = bytes(20_000, 13);
  // The first tier's body (no copy held yet): compacted into one buffer of its own, then offered.
  const upper = new SharedBody(20_000, sharing('/s'));
  upper.append(Buffer.from(src.subarray(0, 8000)));
  upper.append(Buffer.from(src.subarray(8000)));
  upper.finish();
  assert.equal(upper.chunks.length, 1);
  assert.equal(share.paths, 1);
  // The tier below: its own chunks give way to the upper tier's buffer.
  const lower = new SharedBody(20_000, sharing('/s'));
  lower.append(Buffer.from(src.subarray(0, 3000)));
  lower.append(Buffer.from(src.subarray(3000)));
  const generation = lower.generation;
  lower.finish();
  assert.ok(lower.complete);
  assert.equal(lower.chunks.length, 1);
  assert.equal(lower.chunks[0], upper.chunks[0]);
  assert.ok(lower.generation > generation, 'readers re-derive their place');
  // Different bytes under the same path: kept as its own.
  const other = new SharedBody(20_000, sharing('/s'));
  other.append(bytes(20_000, 17));
  other.finish();
  assert.notEqual(other.chunks[0], upper.chunks[0]);
  assert.ok(other.concat().equals(bytes(20_000, 17)));
});
