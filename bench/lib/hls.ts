/** Segments made so far according to a media playlist: its next media sequence number. */
export function nextSeq(playlist: string): number {
  const seq = /#EXT-X-MEDIA-SEQUENCE:(\d+)/.exec(playlist);
  return Number(seq?.[1] ?? 0) + (playlist.match(/^#EXTINF/gm)?.length ?? 0);
}
