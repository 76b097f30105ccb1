import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseMultivariantPlaylist } from '../hls/index.js';
import { audioFor, ladder } from './viewer.js';

const MV = `#EXTM3U
#EXT-X-VERSION:6
#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aac",NAME="en",LANGUAGE="en",AUTOSELECT=YES,URI="audio/en.m3u8"
#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aac",NAME="de",LANGUAGE="de",DEFAULT=YES,AUTOSELECT=YES,URI="audio/de.m3u8"
#EXT-X-STREAM-INF:BANDWIDTH=3000000,CODECS="avc1.64001f,mp4a.40.2",RESOLUTION=1280x720,AUDIO="aac"
720p/index.m3u8
#EXT-X-STREAM-INF:BANDWIDTH=800000,CODECS="avc1.64001e,mp4a.40.2",RESOLUTION=640x360,AUDIO="aac"
360p/index.m3u8
#EXT-X-STREAM-INF:BANDWIDTH=70000,CODECS="mp4a.40.2"
audio-only/index.m3u8
`;

describe('viewer ladder', () => {
  it('rungs are the variants with video, lowest first; an audio-only variant is not a rung', () => {
    const mv = parseMultivariantPlaylist(MV);
    assert.deepEqual(
      ladder(mv).map((v) => v.uri),
      ['360p/index.m3u8', '720p/index.m3u8'],
    );
  });

  it("follows the variant's audio group: its DEFAULT=YES rendition", () => {
    const mv = parseMultivariantPlaylist(MV);
    assert.equal(audioFor(mv, ladder(mv)[0]!)?.uri, 'audio/de.m3u8');
    assert.equal(audioFor(mv, mv.variants[2]!), undefined, 'no AUDIO attribute, no separate audio');
  });

  it('with only audio variants, those are the ladder', () => {
    const mv = parseMultivariantPlaylist(
      '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=96000,CODECS="mp4a.40.2"\nhi.m3u8\n#EXT-X-STREAM-INF:BANDWIDTH=48000,CODECS="mp4a.40.2"\nlo.m3u8\n',
    );
    assert.deepEqual(
      ladder(mv).map((v) => v.uri),
      ['lo.m3u8', 'hi.m3u8'],
    );
  });
});
