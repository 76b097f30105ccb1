import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { MediaPlaylist, MediaSegment, Part } from './model.js';
import { mediaPlaylistBytesBound, renderMediaPlaylist, renderMediaPlaylistWithDelta } from './render.js';
import { MEDIA_CORPUS, MEDIA_EXTRAS } from './test-corpus.js';

const RUNS = 1000;
const SEED = Number(process.env.HLS_FUZZ_SEED ?? 20261130);

/** Written as given; the renderer asks only for no '"' and no line break. Non-ASCII included. */
const text = fc.string({ unit: 'grapheme', maxLength: 300 }).map((s) => s.replace(/["\r\n]/g, ''));
/** Any double the renderer may be handed: the widest String() and toFixed(3) forms included. */
const number = fc.oneof(
  fc.double({ noNaN: true }),
  fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
  fc.constantFrom(1e21, -1e21, 1.7976931348623157e308, 5e-324, -123456789.123456),
);
const part: fc.Arbitrary<Part> = fc.record(
  { uri: text, durationS: number, independent: fc.boolean(), gap: fc.boolean() },
  { requiredKeys: ['uri', 'durationS', 'independent'] },
);
const segment: fc.Arbitrary<MediaSegment> = fc.record(
  {
    uri: text,
    durationS: number,
    title: text,
    discontinuity: fc.boolean(),
    gap: fc.boolean(),
    programDateTime: fc.integer({ min: -8.64e15, max: 8.64e15 }),
    map: text,
    parts: fc.array(part, { maxLength: 6 }),
  },
  { requiredKeys: ['uri', 'durationS', 'discontinuity', 'gap', 'parts'] },
);
const playlist: fc.Arbitrary<MediaPlaylist> = fc.record(
  {
    kind: fc.constant('media' as const),
    version: number,
    targetDurationS: number,
    mediaSequence: number,
    discontinuitySequence: number,
    independentSegments: fc.boolean(),
    serverControl: fc.record(
      {
        canBlockReload: fc.boolean(),
        canSkipUntilS: number,
        canSkipDateRanges: fc.boolean(),
        holdBackS: number,
        partHoldBackS: number,
      },
      { requiredKeys: ['canBlockReload'] },
    ),
    partTargetS: number,
    skippedSegments: fc.nat(),
    segments: fc.array(segment, { maxLength: 12 }),
    openParts: fc.array(part, { maxLength: 6 }),
    openSegment: fc.record({ discontinuity: fc.boolean(), map: text }, { requiredKeys: ['discontinuity'] }),
    preloadHints: fc.array(
      fc.record(
        {
          type: fc.constantFrom('PART' as const, 'MAP' as const),
          uri: text,
          byteRangeStart: number,
          byteRangeLength: number,
        },
        { requiredKeys: ['type', 'uri'] },
      ),
      { maxLength: 2 },
    ),
    endList: fc.boolean(),
    renditionReports: fc.array(
      fc.record({ uri: text, lastMsn: number, lastPart: number }, { requiredKeys: ['uri'] }),
      { maxLength: 4 },
    ),
  },
  {
    requiredKeys: [
      'kind',
      'version',
      'targetDurationS',
      'mediaSequence',
      'discontinuitySequence',
      'independentSegments',
      'skippedSegments',
      'segments',
      'openParts',
      'preloadHints',
      'endList',
      'renditionReports',
    ],
  },
);

/** The bound must hold for the playlist and for each delta update made from it. */
function check(p: MediaPlaylist): void {
  const bound = mediaPlaylistBytesBound(p);
  assert.ok(Buffer.byteLength(renderMediaPlaylist(p)) <= bound, 'full text');
  for (let skip = 1; skip <= p.segments.length; skip++) {
    const { full, delta } = renderMediaPlaylistWithDelta({ ...p, skippedSegments: 0 }, skip);
    assert.ok(Buffer.byteLength(full) <= bound, `full with skip ${skip}`);
    assert.ok(Buffer.byteLength(delta) <= bound, `delta skipping ${skip}`);
  }
}

describe(`mediaPlaylistBytesBound (fast-check, ${RUNS} runs, seed ${SEED})`, () => {
  it('is never below what the renderer writes, for the playlist and every delta of it', () => {
    fc.assert(fc.property(playlist, check), { numRuns: RUNS, seed: SEED });
  });

  it('holds for every corpus playlist, and stays within a small multiple of the real size', () => {
    for (const [name, p] of Object.entries({ ...MEDIA_CORPUS, ...MEDIA_EXTRAS })) {
      check(p);
      // Generous, not absurd: a store charging the bound overcounts a short-lived version only.
      const real = Buffer.byteLength(renderMediaPlaylist(p));
      assert.ok(
        mediaPlaylistBytesBound(p) <= 12 * real + 2048,
        `${name}: ${mediaPlaylistBytesBound(p)} for ${real}`,
      );
    }
  });

  it('counts what grows the text: a longer URI or another part raises it', () => {
    const p = MEDIA_CORPUS[Object.keys(MEDIA_CORPUS)[0]!]!;
    const longer = { ...p, segments: p.segments.map((s) => ({ ...s, uri: s.uri + 'x'.repeat(500) })) };
    assert.ok(mediaPlaylistBytesBound(longer) >= mediaPlaylistBytesBound(p) + 1500 * p.segments.length);
    const more = {
      ...p,
      openParts: [...p.openParts, { uri: 'part-9-9.m4s', durationS: 0.333, independent: true }],
    };
    assert.ok(mediaPlaylistBytesBound(more) > mediaPlaylistBytesBound(p));
  });
});
