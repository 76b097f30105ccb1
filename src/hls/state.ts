/**
 * What a live media playlist version contains, so the origin can answer blocking reloads
 * (_HLS_msn/_HLS_part, draft-pantos-hls-rfc8216bis 6.2.5.2) and hold the preload-hinted part
 * without parsing the playlist text.
 */
export interface PlaylistState {
  /** Media sequence number of the last complete segment listed (-1 before the first). */
  lastMsn: number;
  /** Media sequence number of the segment the newest listed part belongs to (lastMsn or lastMsn + 1). */
  partMsn: number;
  /** Index of the newest listed part within partMsn (-1 when that segment has no part listed yet). */
  lastPart: number;
  /** How many parts each recent complete segment had (msn -> count): a request for part P >= count rolls over to the next segment. */
  partCounts: Record<number, number>;
  targetDurationS: number;
  partTargetS: number;
  /** The EXT-X-PRELOAD-HINT part's URI, relative to the playlist; a GET for it is held until it exists. */
  preloadHint?: string;
  ended: boolean;
}
