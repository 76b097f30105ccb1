import { browserMatrix } from '../support/player-matrix-browsers.js';

/** Issue 10 item 4: hls.js, Shaka Player and video.js play a 2 s GOP live source across a reconnect. */
browserMatrix(2);
