import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderMediaPlaylist, renderMultivariantPlaylist } from './playlist.js';
import { checkMediaPlaylist, parseMediaPlaylist, parseMultivariant } from '../../test/helpers/hls.js';

const seg = (sequence: number, discontinuity = false, mapUri = 'init-0.mp4') => ({
  sequence,
  durationS: 1.001,
  uri: `seg-${sequence}.m4s`,
  programDateTime: Date.UTC(2026, 0, 1, 0, 0, sequence),
  mapUri,
  discontinuity,
});

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
  assert.deepEqual(checkMediaPlaylist(parsed), []);
  assert.equal(parsed.segments[2]!.discontinuity, true);
  assert.equal(parsed.segments[2]!.map, 'init-1.mp4');
});

test('the checker catches an EXTINF that rounds above the target duration', () => {
  const text = renderMediaPlaylist({
    targetDurationS: 1,
    discontinuitySequence: 0,
    segments: [seg(0), seg(1), { ...seg(2), durationS: 1.6 }],
    ended: false,
  });
  assert.match(checkMediaPlaylist(parseMediaPlaylist(text)).join(), /rounds above TARGETDURATION/);
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
  ]);
  const [v] = parseMultivariant(text);
  assert.deepEqual(v, {
    uri: 'src/index.m3u8',
    bandwidth: 2_600_000,
    averageBandwidth: 2_400_000,
    codecs: ['avc1.64001f', 'mp4a.40.2'],
    resolution: '1280x720',
    frameRate: 30,
  });
});
