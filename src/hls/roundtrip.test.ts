import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseMediaPlaylist, parseMultivariantPlaylist, parsePlaylist } from './parse.js';
import { renderMediaPlaylist, renderPlaylist } from './render.js';
import { MEDIA_CORPUS, MEDIA_EXTRAS, MULTIVARIANT_CORPUS } from './test-corpus.js';

const ALL = { ...MEDIA_CORPUS, ...MEDIA_EXTRAS, ...MULTIVARIANT_CORPUS };

describe('model -> text -> model', () => {
  for (const [name, model] of Object.entries(ALL)) {
    it(name, () => {
      const text = renderPlaylist(model);
      const back = parsePlaylist(text);
      assert.deepEqual(back, model);
      assert.equal(renderPlaylist(back), text, 'rendering what was parsed gives the same text');
    });
  }
});

/** Text as corral writes it, byte for byte: parse then render must give it back unchanged. */
const TEXTS: Record<string, string> = {
  'LL-HLS live edge': [
    '#EXTM3U',
    '#EXT-X-VERSION:9',
    '#EXT-X-TARGETDURATION:1',
    '#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,CAN-SKIP-UNTIL=6.000,PART-HOLD-BACK=1.002,HOLD-BACK=3.000',
    '#EXT-X-PART-INF:PART-TARGET=0.334',
    '#EXT-X-MEDIA-SEQUENCE:41',
    '#EXT-X-DISCONTINUITY-SEQUENCE:3',
    '#EXT-X-MAP:URI="init-0.mp4"',
    '#EXT-X-PROGRAM-DATE-TIME:2026-01-01T12:00:41.041Z',
    '#EXT-X-GAP',
    '#EXTINF:1.001,',
    'seg-41.m4s',
    '#EXT-X-DISCONTINUITY',
    '#EXT-X-MAP:URI="init-1.mp4"',
    '#EXT-X-PROGRAM-DATE-TIME:2026-01-01T12:00:42.042Z',
    '#EXT-X-PART:DURATION=0.334,URI="part-42-0.m4s",INDEPENDENT=YES',
    '#EXT-X-PART:DURATION=0.334,URI="part-42-1.m4s"',
    '#EXT-X-PART:DURATION=0.333,URI="part-42-2.m4s"',
    '#EXTINF:1.001,',
    'seg-42.m4s',
    '#EXT-X-PROGRAM-DATE-TIME:2026-01-01T12:00:43.043Z',
    '#EXT-X-PART:DURATION=0.334,URI="part-43-0.m4s",INDEPENDENT=YES',
    '#EXT-X-PART:DURATION=0.334,URI="part-43-1.m4s"',
    '#EXT-X-PART:DURATION=0.333,URI="part-43-2.m4s"',
    '#EXTINF:1.001,',
    'seg-43.m4s',
    '#EXT-X-PART:DURATION=0.334,URI="part-44-0.m4s",INDEPENDENT=YES',
    '#EXT-X-PRELOAD-HINT:TYPE=PART,URI="part-44-1.m4s"',
    '#EXT-X-RENDITION-REPORT:URI="../480p/index.m3u8",LAST-MSN=44,LAST-PART=0',
    '',
  ].join('\n'),
  'LL-HLS delta update': [
    '#EXTM3U',
    '#EXT-X-VERSION:9',
    '#EXT-X-TARGETDURATION:1',
    '#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,CAN-SKIP-UNTIL=6.000,PART-HOLD-BACK=1.002,HOLD-BACK=3.000',
    '#EXT-X-PART-INF:PART-TARGET=0.334',
    '#EXT-X-MEDIA-SEQUENCE:100',
    '#EXT-X-DISCONTINUITY-SEQUENCE:0',
    '#EXT-X-SKIP:SKIPPED-SEGMENTS=6',
    '#EXT-X-MAP:URI="init-0.mp4"',
    '#EXT-X-PROGRAM-DATE-TIME:2023-11-14T22:13:26.000Z',
    '#EXTINF:1.000,',
    'seg-106.m4s',
    '#EXT-X-PRELOAD-HINT:TYPE=PART,URI="part-107-0.m4s"',
    '',
  ].join('\n'),
  'ended, with reports': [
    '#EXTM3U',
    '#EXT-X-VERSION:9',
    '#EXT-X-TARGETDURATION:2',
    '#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,CAN-SKIP-UNTIL=12.000,PART-HOLD-BACK=1.500,HOLD-BACK=6.000',
    '#EXT-X-PART-INF:PART-TARGET=0.500',
    '#EXT-X-MEDIA-SEQUENCE:0',
    '#EXT-X-DISCONTINUITY-SEQUENCE:0',
    '#EXT-X-MAP:URI="init-0.mp4"',
    '#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:00:00.000Z',
    '#EXTINF:1.968,',
    'seg-0.m4s',
    '#EXT-X-ENDLIST',
    '#EXT-X-RENDITION-REPORT:URI="../src/index.m3u8",LAST-MSN=0,LAST-PART=3',
    '',
  ].join('\n'),
  multivariant: [
    '#EXTM3U',
    '#EXT-X-VERSION:6',
    '#EXT-X-STREAM-INF:BANDWIDTH=2600000,AVERAGE-BANDWIDTH=2400000,CODECS="avc1.64001f,mp4a.40.2",RESOLUTION=1280x720,FRAME-RATE=30.000',
    'src/index.m3u8',
    '#EXT-X-STREAM-INF:BANDWIDTH=130000,AVERAGE-BANDWIDTH=128000,CODECS="mp4a.40.2"',
    'audio/index.m3u8',
    '',
  ].join('\n'),
};

describe('text -> model -> text', () => {
  for (const [name, text] of Object.entries(TEXTS)) {
    it(name, () => assert.equal(renderPlaylist(parsePlaylist(text)), text));
  }
});

describe('what the parser reads', () => {
  it('numbers segments, keeps the map in force and leaves the open parts after the last segment', () => {
    const p = parseMediaPlaylist(TEXTS['LL-HLS live edge']!);
    assert.deepEqual(
      p.segments.map((s) => [s.uri, s.map, s.gap, s.discontinuity, s.parts.length]),
      [
        ['seg-41.m4s', 'init-0.mp4', true, false, 0],
        ['seg-42.m4s', 'init-1.mp4', false, true, 3],
        ['seg-43.m4s', 'init-1.mp4', false, false, 3],
      ],
    );
    assert.deepEqual(p.openParts, [{ uri: 'part-44-0.m4s', durationS: 0.334, independent: true }]);
    assert.deepEqual(p.preloadHints, [{ type: 'PART', uri: 'part-44-1.m4s' }]);
    assert.equal(p.segments[0]!.programDateTime, Date.UTC(2026, 0, 1, 12, 0, 41, 41));
  });

  it('reads the multivariant attributes', () => {
    const [v, a] = parseMultivariantPlaylist(TEXTS.multivariant!).variants;
    assert.deepEqual(v, {
      uri: 'src/index.m3u8',
      bandwidth: 2_600_000,
      averageBandwidth: 2_400_000,
      codecs: ['avc1.64001f', 'mp4a.40.2'],
      resolution: { width: 1280, height: 720 },
      frameRate: 30,
    });
    assert.equal(a!.resolution, undefined);
  });

  it('tolerates what third-party playlists do: CRLF, a BOM, comments, unknown tags, a bare EXTINF', () => {
    const text =
      '\ufeff#EXTM3U\r\n#EXT-X-TARGETDURATION:6\r\n# a comment\r\n#EXT-X-KEY:METHOD=NONE\r\n' +
      '#EXT-X-PLAYLIST-TYPE:EVENT\r\n\r\n#EXTINF:5.5\r\n  a.ts  \r\n#EXT-X-DATERANGE:ID="x"\r\n#EXTINF:6,\r\nb.ts';
    const p = parseMediaPlaylist(text);
    assert.deepEqual(
      p.segments.map((s) => [s.uri, s.durationS]),
      [
        ['a.ts', 5.5],
        ['b.ts', 6],
      ],
    );
    assert.equal(p.version, 1, 'RFC 8216 7: no VERSION tag means version 1');
  });

  it('renders the defaults of a third-party playlist explicitly', () => {
    const p = parseMediaPlaylist('#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXTINF:4,\na.ts\n');
    assert.equal(
      renderMediaPlaylist(p),
      '#EXTM3U\n#EXT-X-VERSION:1\n#EXT-X-TARGETDURATION:4\n#EXT-X-MEDIA-SEQUENCE:0\n' +
        '#EXT-X-DISCONTINUITY-SEQUENCE:0\n#EXTINF:4.000,\na.ts\n',
    );
  });
});
