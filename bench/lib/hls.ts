import { nextMsn, parseMediaPlaylist } from '../../src/hls/index.js';

/** Segments made so far according to a media playlist: its next media sequence number. */
export function nextSeq(playlist: string): number {
  return nextMsn(parseMediaPlaylist(playlist));
}
