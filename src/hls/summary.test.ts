import assert from 'node:assert/strict';
import { describe, it, test } from 'node:test';
import { parseMediaPlaylist } from './parse.js';
import { renderMediaPlaylist, renderMultivariantPlaylist } from './render.js';
import { hasEndList, liveEdge, mediaPlaylistInfo, nextMsn } from './summary.js';
import { MEDIA_CORPUS, MULTIVARIANT_CORPUS } from './test-corpus.js';

const text = (name: string) => renderMediaPlaylist(MEDIA_CORPUS[name]!);

describe('live-edge facts', () => {
  it('numbers a delta update from its first listed segment', () => {
    const info = mediaPlaylistInfo(text('low latency delta update'))!;
    assert.equal(info.mediaSequence, 206);
    assert.equal(info.segments[0], 'seg-206.m4s');
    assert.equal(info.targetDurationS, 1);
    // Parts of complete segments, then the open one's, then the hinted part last.
    assert.deepEqual(info.parts.slice(-3), [
      { uri: 'part-211-2.m4s' },
      { uri: 'part-212-0.m4s' },
      { uri: 'part-212-1.m4s' },
    ]);
  });

  it('gives nothing for what is not a media playlist with segments', () => {
    assert.equal(mediaPlaylistInfo(renderMultivariantPlaylist(MULTIVARIANT_CORPUS.ladder!)), undefined);
    assert.equal(mediaPlaylistInfo('#EXTM3U\n#EXT-X-TARGETDURATION:1\n'), undefined);
    assert.equal(mediaPlaylistInfo('<html>'), undefined);
    assert.equal(mediaPlaylistInfo('#EXTM3U\n#EXT-X-TARGETDURATION:0\n#EXTINF:1,\na\n'), undefined);
  });

  it('says which part a blocking reload waits for next', () => {
    assert.deepEqual(liveEdge(parseMediaPlaylist(text('low latency'))), {
      msn: 106,
      part: 2,
      newestPart: 'part-106-1.m4s',
    });
    // Only a hint for the new segment: its part 0 comes next; the newest part is the last segment's.
    assert.deepEqual(liveEdge(parseMediaPlaylist(text('low latency with a gap and a discontinuity'))), {
      msn: 45,
      part: 0,
      newestPart: 'part-44-2.m4s',
    });
    assert.deepEqual(liveEdge(parseMediaPlaylist(text('plain'))), { msn: 14, part: 0 });
    assert.equal(nextMsn(parseMediaPlaylist(text('plain ended'))), 5);
  });
});

test('hasEndList: the tag on its own last line, in text or bytes, not elsewhere', () => {
  assert.equal(hasEndList('#EXTM3U\n#EXTINF:1,\na.m4s\n#EXT-X-ENDLIST\n'), true);
  assert.equal(hasEndList(Buffer.from('#EXTM3U\n#EXT-X-ENDLIST')), true);
  assert.equal(hasEndList('#EXTM3U\n#EXTINF:1,\na.m4s\n'), false);
  assert.equal(hasEndList('#EXTM3U\n#EXT-X-ENDLIST-NOT\n'), false);
  assert.equal(hasEndList(Buffer.alloc(0)), false);
});
