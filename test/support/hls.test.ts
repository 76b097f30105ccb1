import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkMediaPlaylist, parseLowLatency, parseMediaPlaylist } from './hls.js';

const playlist = (durations: number[]) =>
  [
    '#EXTM3U',
    '#EXT-X-VERSION:6',
    '#EXT-X-TARGETDURATION:1',
    '#EXT-X-MEDIA-SEQUENCE:0',
    '#EXT-X-MAP:URI="init.mp4"',
    ...durations.flatMap((d, i) => [
      `#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:00:0${i}.000Z`,
      `#EXTINF:${d},`,
      `s${i}.m4s`,
    ]),
    '',
  ].join('\n');

test('the checker passes a good window and catches an EXTINF that rounds above the target duration', () => {
  assert.deepEqual(checkMediaPlaylist(parseMediaPlaylist(playlist([1, 1, 1.001]))), []);
  assert.match(
    checkMediaPlaylist(parseMediaPlaylist(playlist([1, 1, 1.6]))).join(),
    /rounds above TARGETDURATION/,
  );
});

test('the LL-HLS view numbers parts by segment, a delta update included', () => {
  const text = [
    '#EXTM3U',
    '#EXT-X-TARGETDURATION:1',
    '#EXT-X-PART-INF:PART-TARGET=0.5',
    '#EXT-X-MEDIA-SEQUENCE:10',
    '#EXT-X-SKIP:SKIPPED-SEGMENTS=2',
    '#EXT-X-PART:DURATION=0.5,URI="p12-0",INDEPENDENT=YES',
    '#EXT-X-PART:DURATION=0.5,URI="p12-1"',
    '#EXTINF:1,',
    's12',
    '#EXT-X-PART:DURATION=0.5,URI="p13-0"',
    '#EXT-X-PRELOAD-HINT:TYPE=PART,URI="p13-1"',
    '',
  ].join('\n');
  const ll = parseLowLatency(text);
  assert.deepEqual(
    ll.parts.map((p) => [p.uri, p.msn, p.lastOfSegment]),
    [
      ['p12-0', 12, false],
      ['p12-1', 12, true],
      ['p13-0', 13, false],
    ],
  );
  assert.equal(ll.skipped, 2);
  assert.equal(ll.preloadHint, 'p13-1');
  assert.equal(parseMediaPlaylist(text).segments[0]!.sequence, 12);
});
