import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DiskStore } from '../../src/origin/disk-store.js';
import { MemoryStore } from '../../src/origin/memory-store.js';
import { LIVE, runStoreConformance } from '../support/store-conformance.js';
import type { StoredObject } from '../../src/origin/types.js';

let root = '';
let seq = 0;
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'corral-origin-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

runStoreConformance('MemoryStore', async (budget) => new MemoryStore(budget));
runStoreConformance('DiskStore', async (budget) =>
  DiskStore.open({ dir: join(root, `s${++seq}`), ...budget }),
);

function seg(body: string, storedAt: number): StoredObject {
  return { kind: 'segment', contentType: 'video/mp4', body: Buffer.from(body), etag: '"e"', storedAt };
}

describe('DiskStore persistence', () => {
  it('rebuilds its index, store order included, when reopened', async () => {
    const dir = join(root, `p${++seq}`);
    const first = await DiskStore.open({ dir, maxBytes: 1000, maxObjects: 10 });
    await first.put('r/old', seg('a'.repeat(300), 1000));
    await first.put('r/mid', seg('b'.repeat(300), 2000));
    await first.put('r/new', seg('c'.repeat(300), 3000));
    await first.close();

    const second = await DiskStore.open({ dir, maxBytes: 1000, maxObjects: 10 });
    assert.deepEqual(second.stats(), { objects: 3, bytes: 900 });
    assert.equal((await second.get('r/mid'))?.body.toString(), 'b'.repeat(300));
    await second.put('r/next', seg('d'.repeat(300), 4000));
    assert.equal(await second.get('r/old'), undefined, 'the oldest by storedAt goes first');
    assert.ok(await second.get('r/mid'));
    await second.close();
  });

  it('keeps playlist state and delta across a reopen, bytes included', async () => {
    const dir = join(root, `p${++seq}`);
    const first = await DiskStore.open({ dir, maxBytes: 1000, maxObjects: 10 });
    const delta = Buffer.from('#EXTM3U\n#EXT-X-SKIP:SKIPPED-SEGMENTS=3\n');
    await first.put('live/v0/index.m3u8', {
      ...seg('#EXTM3U full', 1000),
      kind: 'playlist',
      live: LIVE,
      delta,
    });
    await first.close();

    const second = await DiskStore.open({ dir, maxBytes: 1000, maxObjects: 10 });
    assert.deepEqual(second.stats(), { objects: 1, bytes: 12 + delta.length });
    const got = await second.get('live/v0/index.m3u8');
    assert.equal(got?.body.toString(), '#EXTM3U full');
    assert.deepEqual(got?.delta, delta);
    assert.deepEqual(got?.live, LIVE);
    await second.close();
  });

  it('applies smaller budgets at reopen and drops tmp leftovers and foreign files', async () => {
    const dir = join(root, `p${++seq}`);
    const first = await DiskStore.open({ dir, maxBytes: 1000, maxObjects: 10 });
    for (let i = 0; i < 5; i++) await first.put(`q/${i}`, seg(String(i), 1000 + i));
    await first.close();
    await writeFile(join(dir, 'objects', 'junk.obj'), 'not an object');
    await mkdir(join(dir, 'tmp'), { recursive: true });
    await writeFile(join(dir, 'tmp', 'half-written'), 'x');

    const second = await DiskStore.open({ dir, maxBytes: 1000, maxObjects: 2 });
    assert.deepEqual((await second.list('q/')).sort(), ['q/3', 'q/4']);
    assert.deepEqual(await readdir(join(dir, 'tmp')), []);
    assert.equal((await readdir(join(dir, 'objects'))).length, 2, 'evicted and junk files are removed');
    await second.close();
  });
});
