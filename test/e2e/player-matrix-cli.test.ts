import { describe, it, before, after } from 'node:test';
import { PLAY_S, runCliPair, startMatrixSource, type MatrixSource } from '../support/player-matrix.js';

/**
 * Issue 10 item 4, the non-browser clients: ffmpeg's HLS demuxer and GStreamer's playbin3 (hlsdemux2)
 * each render 30 s of live in real time across a broadcaster reconnect, on a 2 s and a 1 s GOP source.
 */
for (const gopS of [2, 1]) {
  describe(`player matrix, ${gopS} s GOP source: ffmpeg and GStreamer`, () => {
    let src: MatrixSource | undefined;
    before(async () => {
      src = await startMatrixSource(gopS);
    });
    after(async () => {
      await src?.close();
    });
    it(`ffmpeg and playbin3: ${PLAY_S} s live across a broadcaster reconnect`, async (t) => {
      await runCliPair(src!, gopS, (s) => t.diagnostic(s));
    });
  });
}
