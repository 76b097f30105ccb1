import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isCorralError } from '../util/errors.js';
import type { Playlist } from './model.js';
import { parsePlaylist } from './parse.js';
import { renderPlaylist } from './render.js';
import { MEDIA_CORPUS, MEDIA_EXTRAS, MULTIVARIANT_CORPUS } from './test-corpus.js';

/**
 * The parser on hostile input: whatever the text, it returns a playlist or throws HLS_PARSE,
 * never anything else. What it returns must write out as text that reads back to the same text,
 * so a cache or a test can trust a parsed playlist as much as one it rendered itself.
 * A fixed number of runs and a fixed seed keep CI time and results steady; set HLS_FUZZ_SEED to
 * explore other inputs.
 */
const RUNS = 2000;
const SEED = Number(process.env.HLS_FUZZ_SEED ?? 20261129);

function check(text: string): void {
  let p: Playlist;
  try {
    p = parsePlaylist(text);
  } catch (e) {
    if (isCorralError(e, 'HLS_PARSE')) return;
    throw e;
  }
  const once = renderPlaylist(p);
  assert.equal(renderPlaylist(parsePlaylist(once)), once, 'rendered text reads back to itself');
}

const CORPUS = Object.values({ ...MEDIA_CORPUS, ...MEDIA_EXTRAS, ...MULTIVARIANT_CORPUS }).map(
  renderPlaylist,
);

const TAGS = [
  'EXTM3U',
  'EXTINF',
  'EXT-X-VERSION',
  'EXT-X-TARGETDURATION',
  'EXT-X-MEDIA-SEQUENCE',
  'EXT-X-DISCONTINUITY-SEQUENCE',
  'EXT-X-PROGRAM-DATE-TIME',
  'EXT-X-MAP',
  'EXT-X-DISCONTINUITY',
  'EXT-X-GAP',
  'EXT-X-PART-INF',
  'EXT-X-SERVER-CONTROL',
  'EXT-X-PART',
  'EXT-X-PRELOAD-HINT',
  'EXT-X-RENDITION-REPORT',
  'EXT-X-SKIP',
  'EXT-X-INDEPENDENT-SEGMENTS',
  'EXT-X-STREAM-INF',
  'EXT-X-MEDIA',
  'EXT-X-ENDLIST',
  'EXT-X-KEY',
];
const ATTRIBUTES = [
  'URI="a.m4s"',
  'URI=a',
  'DURATION=0.334',
  'DURATION=-1',
  'INDEPENDENT=YES',
  'GAP=YES',
  'TYPE=PART',
  'TYPE=MAP',
  'TYPE=AUDIO',
  'GROUP-ID="g"',
  'NAME="n"',
  'BANDWIDTH=1000',
  'CODECS="avc1.64001f,mp4a.40.2"',
  'RESOLUTION=1280x720',
  'FRAME-RATE=30.000',
  'CLOSED-CAPTIONS=NONE',
  'CAN-BLOCK-RELOAD=YES',
  'CAN-SKIP-UNTIL=6.0',
  'PART-HOLD-BACK=1.002',
  'HOLD-BACK=3',
  'PART-TARGET=0.334',
  'SKIPPED-SEGMENTS=3',
  'LAST-MSN=12',
  'LAST-PART=0',
  'BYTERANGE-START=0',
  '"',
  '',
];
const VALUES = [
  '1',
  '1.001,',
  '6,title, with comma',
  '2026-01-01T00:00:00.000Z',
  '2026-02-30T25:61:00Z',
  '999999999999999999',
  '.5',
  '1.',
];

const attributeList = fc
  .array(fc.oneof(fc.constantFrom(...ATTRIBUTES), fc.string({ maxLength: 12 })), { maxLength: 8 })
  .map((a) => a.join(','));
const tagLine = fc
  .tuple(
    fc.constantFrom(...TAGS),
    fc.option(fc.oneof(attributeList, fc.constantFrom(...VALUES)), { nil: undefined }),
  )
  .map(([tag, value]) => (value === undefined ? `#${tag}` : `#${tag}:${value}`));
const line = fc.oneof(
  { weight: 6, arbitrary: tagLine },
  { weight: 2, arbitrary: fc.constantFrom('a.m4s', 'seg-1.m4s', 'v/index.m3u8', '# comment', '', ' \r') },
  { weight: 1, arbitrary: fc.string({ maxLength: 20 }) },
);

type Mutation = (lines: string[], rnd: number, noise: string) => string[];
const MUTATIONS: Mutation[] = [
  (l, r) => l.filter((_, i) => i !== r % l.length),
  (l, r) => [...l.slice(0, r % l.length), l[r % l.length]!, ...l.slice(r % l.length)],
  (l, r, noise) => [...l.slice(0, r % l.length), noise, ...l.slice(r % l.length)],
  (l, r) => {
    const i = r % l.length;
    const j = (r >> 8) % l.length;
    const out = [...l];
    [out[i], out[j]] = [out[j]!, out[i]!];
    return out;
  },
  (l, r, noise) => {
    const i = r % l.length;
    const s = l[i]!;
    const at = (r >> 8) % (s.length + 1);
    return l.map((x, k) => (k === i ? s.slice(0, at) + noise + s.slice(at + noise.length) : x));
  },
  (l, r) => l.slice(0, r % l.length),
];
const mutation = fc.tuple(
  fc.nat(MUTATIONS.length - 1),
  fc.nat(),
  fc.oneof(line, fc.string({ maxLength: 6 })),
);

describe(`playlist parser fuzz (fast-check, ${RUNS} runs per property, seed ${SEED})`, () => {
  it(`random text: ${RUNS} cases`, () => {
    const text = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 300 }),
      fc.string({ unit: 'binary', maxLength: 300 }).map((s) => `#EXTM3U\n${s}`),
    );
    fc.assert(fc.property(text, check), { numRuns: RUNS, seed: SEED });
  });

  it(`random lines of playlist vocabulary: ${RUNS} cases`, () => {
    const text = fc.array(line, { maxLength: 40 }).map((lines) => ['#EXTM3U', ...lines].join('\n'));
    fc.assert(fc.property(text, check), { numRuns: RUNS, seed: SEED });
  });

  it(`mutated corpus playlists: ${RUNS} cases`, () => {
    const text = fc
      .tuple(fc.nat(CORPUS.length - 1), fc.array(mutation, { minLength: 1, maxLength: 4 }), fc.boolean())
      .map(([which, steps, crlf]) => {
        let lines = CORPUS[which]!.split('\n');
        for (const [m, r, noise] of steps) if (lines.length > 0) lines = MUTATIONS[m]!(lines, r, noise);
        return lines.join(crlf ? '\r\n' : '\n');
      });
    let parsed = 0;
    fc.assert(
      fc.property(text, (t) => {
        check(t);
        try {
          parsePlaylist(t);
          parsed++;
        } catch {
          // counted only
        }
      }),
      { numRuns: RUNS, seed: SEED },
    );
    console.log(`fuzz: ${RUNS} mutated playlists, ${parsed} of them still parsed`);
    // Many mutations leave a readable playlist; if almost none did, the mutator is broken.
    assert.ok(parsed > RUNS / 10, `only ${parsed} of ${RUNS} mutated playlists parsed`);
  });

  it('every corpus playlist passes the check unmutated', () => {
    for (const text of CORPUS) check(text);
  });
});
