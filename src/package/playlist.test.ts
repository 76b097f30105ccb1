import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  mediaPlaylistModel,
  renderMediaPlaylist,
  renderMultivariantPlaylist,
  type PartEntry,
  type PlaylistSegment,
} from './playlist.js';
import { parseMediaPlaylist, parseMultivariantPlaylist } from '../hls/parse.js';

const seg = (sequence: number, discontinuity = false, mapUri = 'init-0.mp4') => ({
  sequence,
  durationS: 1.001,
  uri: `seg-${sequence}.m4s`,
  programDateTime: Date.UTC(2026, 0, 1, 0, 0, sequence),
  mapUri,
  discontinuity,
});

const parts = (msn: number, n: number): PartEntry[] =>
  Array.from({ length: n }, (_, k) => ({
    durationS: 0.334,
    uri: `part-${msn}-${k}.m4s`,
    independent: k === 0,
  }));

test('media playlist carries every tag the rules require', () => {
  const text = renderMediaPlaylist({
    targetDurationS: 1,
    discontinuitySequence: 2,
    segments: [seg(10), seg(11), seg(12, true, 'init-1.mp4'), seg(13, false, 'init-1.mp4')],
    ended: false,
  });
  assert.equal(
    text,
    [
      '#EXTM3U',
      '#EXT-X-VERSION:6',
      '#EXT-X-TARGETDURATION:1',
      '#EXT-X-MEDIA-SEQUENCE:10',
      '#EXT-X-DISCONTINUITY-SEQUENCE:2',
      '#EXT-X-MAP:URI="init-0.mp4"',
      '#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:00:10.000Z',
      '#EXTINF:1.001,',
      'seg-10.m4s',
      '#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:00:11.000Z',
      '#EXTINF:1.001,',
      'seg-11.m4s',
      '#EXT-X-DISCONTINUITY',
      '#EXT-X-MAP:URI="init-1.mp4"',
      '#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:00:12.000Z',
      '#EXTINF:1.001,',
      'seg-12.m4s',
      '#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:00:13.000Z',
      '#EXTINF:1.001,',
      'seg-13.m4s',
      '',
    ].join('\n'),
  );
  const parsed = parseMediaPlaylist(text);
  assert.equal(parsed.segments[2]!.discontinuity, true);
  assert.equal(parsed.segments[2]!.map, 'init-1.mp4');
});

test('the first listed segment never carries DISCONTINUITY: the sequence accounts for it', () => {
  const text = renderMediaPlaylist({
    targetDurationS: 1,
    discontinuitySequence: 1,
    segments: [seg(4, true)],
    ended: false,
  });
  assert.doesNotMatch(text, /#EXT-X-DISCONTINUITY\n/);
});

test('LL-HLS: parts within three target durations of the end, open parts, hint, reports, in this order', () => {
  const segments = [4, 5, 6, 7, 8].map((n): PlaylistSegment => ({ ...seg(n), parts: parts(n, 3) }));
  segments[1]!.gap = true;
  const text = renderMediaPlaylist(
    { targetDurationS: 1, discontinuitySequence: 0, segments, ended: false },
    {
      partTargetS: 0.334,
      openParts: parts(9, 1),
      preloadHint: 'part-9-1.m4s',
      reports: [{ uri: '../480p/index.m3u8', lastMsn: 9, lastPart: 0 }],
      skipSegments: 1,
    },
  );
  const partLines = (n: number) => [
    `#EXT-X-PART:DURATION=0.334,URI="part-${n}-0.m4s",INDEPENDENT=YES`,
    `#EXT-X-PART:DURATION=0.334,URI="part-${n}-1.m4s"`,
    `#EXT-X-PART:DURATION=0.334,URI="part-${n}-2.m4s"`,
  ];
  assert.equal(
    text,
    [
      '#EXTM3U',
      '#EXT-X-VERSION:9',
      '#EXT-X-TARGETDURATION:1',
      '#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,CAN-SKIP-UNTIL=6.000,PART-HOLD-BACK=1.002,HOLD-BACK=3.000',
      '#EXT-X-PART-INF:PART-TARGET=0.334',
      '#EXT-X-MEDIA-SEQUENCE:4',
      '#EXT-X-DISCONTINUITY-SEQUENCE:0',
      '#EXT-X-SKIP:SKIPPED-SEGMENTS=1',
      '#EXT-X-MAP:URI="init-0.mp4"',
      '#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:00:05.000Z',
      '#EXT-X-GAP',
      '#EXTINF:1.001,',
      'seg-5.m4s',
      // 0.334 (open) + 3 x 1.001 s from the end: more than three target durations, so no parts.
      '#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:00:06.000Z',
      '#EXTINF:1.001,',
      'seg-6.m4s',
      '#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:00:07.000Z',
      ...partLines(7),
      '#EXTINF:1.001,',
      'seg-7.m4s',
      '#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:00:08.000Z',
      ...partLines(8),
      '#EXTINF:1.001,',
      'seg-8.m4s',
      '#EXT-X-PART:DURATION=0.334,URI="part-9-0.m4s",INDEPENDENT=YES',
      '#EXT-X-PRELOAD-HINT:TYPE=PART,URI="part-9-1.m4s"',
      '#EXT-X-RENDITION-REPORT:URI="../480p/index.m3u8",LAST-MSN=9,LAST-PART=0',
      '',
    ].join('\n'),
  );
});

test('parts leave once more than three target durations from the end, open segment counted', () => {
  const withParts = (n: number, durationS: number) =>
    Array.from({ length: n }, (_, i): PlaylistSegment => ({ ...seg(i), durationS, parts: parts(i, 3) }));
  const cases: Array<{
    name: string;
    td?: number;
    durationS: number;
    open: number;
    hint: boolean;
    ended?: boolean;
    listed: number[];
  }> = [
    // The open segment is an entry of its own: two complete segments, as strict parsers count.
    { name: 'open parts and a hint', durationS: 1, open: 1, hint: true, listed: [8, 9] },
    // Short segments would fit three in 3 TD; the hint still counts as the third entry.
    { name: 'a hint alone, short segments', durationS: 0.967, open: 0, hint: true, listed: [8, 9] },
    // Between sessions: nothing open, three complete segments end exactly 3 TD from the end.
    { name: 'nothing open', durationS: 1, open: 0, hint: false, listed: [7, 8, 9] },
    { name: 'ended', durationS: 1, open: 1, hint: true, ended: true, listed: [7, 8, 9] },
    // Long segments: the one before the last starts 0.668 + 2.8 s from the end.
    { name: 'long segments', durationS: 1.4, open: 2, hint: true, listed: [9] },
    { name: 'two-second target', td: 2, durationS: 1.5, open: 2, hint: true, listed: [8, 9] },
  ];
  for (const c of cases) {
    const model = mediaPlaylistModel(
      {
        targetDurationS: c.td ?? 1,
        discontinuitySequence: 0,
        segments: withParts(10, c.durationS),
        ended: c.ended ?? false,
      },
      {
        partTargetS: 0.334,
        openParts: parts(10, c.open),
        ...(c.hint ? { preloadHint: `part-10-${c.open}.m4s` } : {}),
        reports: [],
      },
    );
    const listed = model.segments.flatMap((m, i) => (m.parts.length > 0 ? [i] : []));
    assert.deepEqual(listed, c.listed, c.name);
  }
});

test('an ended LL-HLS playlist offers no open parts and no hint, but still reports', () => {
  const text = renderMediaPlaylist(
    { targetDurationS: 1, discontinuitySequence: 0, segments: [seg(0), seg(1), seg(2)], ended: true },
    {
      partTargetS: 0.5,
      openParts: parts(3, 1),
      preloadHint: 'part-3-1.m4s',
      reports: [{ uri: 'a', lastMsn: 2, lastPart: 1 }],
    },
  );
  const p = parseMediaPlaylist(text);
  assert.equal(p.endList, true);
  assert.deepEqual([p.openParts, p.preloadHints], [[], []]);
  assert.match(text, /#EXT-X-ENDLIST\n#EXT-X-RENDITION-REPORT:URI="a",LAST-MSN=2,LAST-PART=1\n$/);
});

test('multivariant playlist lists measured bandwidth, codecs, resolution and frame rate', () => {
  const text = renderMultivariantPlaylist([
    {
      uri: 'src/index.m3u8',
      bandwidth: 2_600_000.4,
      averageBandwidth: 2_400_000,
      codecs: ['avc1.64001f', 'mp4a.40.2'],
      resolution: { width: 1280, height: 720 },
      frameRate: 30,
    },
    { uri: 'audio/index.m3u8', bandwidth: 0.2, averageBandwidth: 0, codecs: ['mp4a.40.2'] },
  ]);
  const [v, a] = parseMultivariantPlaylist(text).variants;
  assert.deepEqual(v, {
    uri: 'src/index.m3u8',
    bandwidth: 2_600_000,
    averageBandwidth: 2_400_000,
    codecs: ['avc1.64001f', 'mp4a.40.2'],
    resolution: { width: 1280, height: 720 },
    frameRate: 30,
  });
  assert.deepEqual([a!.bandwidth, a!.averageBandwidth], [1, 1], 'BANDWIDTH is never 0');
  assert.match(text, /FRAME-RATE=30\.000\n/);
});
