import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { MediaPlaylist, MediaSegment } from './model.js';
import { renderMediaPlaylist, renderMediaPlaylistWithDelta } from './render.js';
import { MEDIA_CORPUS, MEDIA_EXTRAS } from './test-corpus.js';

/** The delta update of `p` as its own model: the first `skip` segments replaced by EXT-X-SKIP. */
function deltaOf(p: MediaPlaylist, skip: number): MediaPlaylist {
  return { ...p, skippedSegments: skip, segments: p.segments.slice(skip) };
}

function segment(i: number, map: string, extra: Partial<MediaSegment> = {}): MediaSegment {
  return {
    uri: `seg-${i}.m4s`,
    durationS: 1.001,
    discontinuity: false,
    gap: false,
    programDateTime: Date.UTC(2026, 10, 30, 12, 0, i),
    map,
    parts: [],
    ...extra,
  };
}

const part = (uri: string, independent: boolean) => ({ durationS: 0.334, uri, independent, gap: false });

/** A reconnect inside the window: the init segment changes where a delta may start. */
function window(openMap: string | undefined, openDiscontinuity: boolean): MediaPlaylist {
  return {
    kind: 'media',
    version: 9,
    targetDurationS: 1,
    mediaSequence: 20,
    discontinuitySequence: 2,
    independentSegments: false,
    serverControl: { canBlockReload: true, canSkipUntilS: 6, partHoldBackS: 1.002, holdBackS: 3 },
    partTargetS: 0.334,
    skippedSegments: 0,
    segments: [
      ...[20, 21, 22, 23].map((i) => segment(i, 'init-0.mp4')),
      segment(24, 'init-1.mp4', { discontinuity: true }),
      segment(25, 'init-1.mp4', { gap: true }),
      segment(26, 'init-1.mp4', { parts: [part('part-26-0.m4s', true), part('part-26-1.m4s', false)] }),
      segment(27, 'init-1.mp4', { parts: [part('part-27-0.m4s', true)] }),
    ],
    openParts: [part('part-28-0.m4s', true)],
    ...(openMap === undefined ? {} : { openSegment: { discontinuity: openDiscontinuity, map: openMap } }),
    preloadHints: [{ type: 'PART', uri: 'part-28-1.m4s' }],
    endList: false,
    renditionReports: [{ uri: '../a/index.m3u8', lastMsn: 27, lastPart: 0 }],
  };
}

const CASES: Record<string, MediaPlaylist> = {
  ...MEDIA_CORPUS,
  ...MEDIA_EXTRAS,
  'a reconnect in the window': window(undefined, false),
  'a reconnect in the window, open segment on the same map': window('init-1.mp4', false),
  'a reconnect in the window, open segment after another reconnect': window('init-2.mp4', true),
};

describe('renderMediaPlaylistWithDelta: the same texts as two separate renders', () => {
  for (const [name, m] of Object.entries(CASES)) {
    const p = { ...m, skippedSegments: 0, segments: m.segments };
    it(`${name}, every skip from 0 to all ${p.segments.length} segments`, () => {
      for (let skip = 0; skip <= p.segments.length; skip++) {
        const got = renderMediaPlaylistWithDelta(p, skip);
        assert.equal(got.full, renderMediaPlaylist(p), `full, skip ${skip}`);
        assert.equal(got.delta, renderMediaPlaylist(deltaOf(p, skip)), `delta, skip ${skip}`);
      }
    });
  }

  it('a delta starting after a map change restates the map; one within a map run does too', () => {
    const p = window(undefined, false);
    const { full, delta } = renderMediaPlaylistWithDelta(p, 5);
    assert.match(
      delta,
      /#EXT-X-SKIP:SKIPPED-SEGMENTS=5\n#EXT-X-MAP:URI="init-1.mp4"\n#EXT-X-PROGRAM-DATE-TIME/,
    );
    assert.equal(full.match(/#EXT-X-MAP/g)?.length, 2, 'the full playlist names each map once');
    assert.equal(renderMediaPlaylistWithDelta(p, 0).delta, full, 'nothing skipped: the same text');
  });
});

describe('lines kept between versions', () => {
  it('a part or date written before is written again from its new values, never the old line', () => {
    const base = window(undefined, false);
    const first = renderMediaPlaylist(base);
    // Same URIs and times, other values: what a kept line keyed by URI or time alone would miss.
    const changed: MediaPlaylist = {
      ...base,
      openParts: [{ durationS: 0.2, uri: 'part-28-0.m4s', independent: false, gap: true }],
      segments: base.segments.map((s, i) =>
        i === 0 ? { ...s, programDateTime: s.programDateTime! + 1 } : s,
      ),
    };
    const second = renderMediaPlaylist(changed);
    assert.match(first, /#EXT-X-PART:DURATION=0\.334,URI="part-28-0\.m4s",INDEPENDENT=YES\n/);
    assert.match(second, /#EXT-X-PART:DURATION=0\.200,URI="part-28-0\.m4s",GAP=YES\n/);
    assert.match(first, /#EXT-X-PROGRAM-DATE-TIME:2026-11-30T12:00:20\.000Z\n/);
    assert.match(second, /#EXT-X-PROGRAM-DATE-TIME:2026-11-30T12:00:20\.001Z\n/);
    // And back: the first text again, byte for byte.
    assert.equal(renderMediaPlaylist(base), first);
  });
});
