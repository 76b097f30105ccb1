import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseMediaPlaylist } from '../hls/index.js';
import { LiveSource } from './source.js';

const T0 = Date.UTC(2026, 0, 1);

function source(): LiveSource {
  return new LiveSource(
    {
      name: 's',
      renditions: [{ name: 'lo', bandwidth: 800_000, share: 1 }],
      segmentS: 1,
      windowSegments: 4,
      segmentLifetimeS: 10,
      playlistMaxAgeS: 1,
      notFoundMaxAgeS: 1,
      immutableMaxAgeS: 86_400,
      startMs: T0,
    },
    (obj) => `cc:${obj.kind}:${obj.maxAgeS ?? '-'}`,
  );
}

describe('LiveSource', () => {
  it('lists the newest complete segments, answers segments by time, 404s the future, 304s a match', () => {
    const s = source();
    const now = T0 + 6_500; // segments 0..5 complete
    const pl = s.answer('/live/s/r0/index.m3u8', {}, now);
    assert.equal(pl.status, 200);
    assert.equal(pl.headers['cache-control'], 'cc:playlist:1');
    const p = parseMediaPlaylist(pl.body.toString());
    assert.equal(p.mediaSequence, 2);
    assert.deepEqual(
      p.segments.map((x) => x.uri),
      ['seg-2.m4s', 'seg-3.m4s', 'seg-4.m4s', 'seg-5.m4s'],
    );
    const seg = s.answer('/live/s/r0/seg-5.m4s', {}, now);
    assert.equal(seg.status, 200);
    assert.equal(seg.body.length, 100_000);
    assert.equal(seg.headers['cache-control'], 'cc:segment:10');
    const future = s.answer('/live/s/r0/seg-6.m4s', {}, now);
    assert.equal(future.status, 404);
    assert.equal(future.headers['cache-control'], 'public, max-age=1');
    assert.equal(s.answer('/live/s/r0/seg-6.m4s', {}, T0 + 7_000).status, 200, 'it exists one second later');
    assert.equal(s.answer('/live/s/r0/seg-0.m4s', {}, T0 + 11_000).status, 404, 'gone after its lifetime');
    const again = s.answer('/live/s/r0/index.m3u8', { 'if-none-match': String(pl.headers.etag) }, now + 100);
    assert.equal(again.status, 304);
    assert.equal(s.answer('/live/s/index.m3u8', {}, now).body.toString().includes('r0/index.m3u8'), true);
  });
});
