/**
 * The playlist model (RFC 8216, draft-pantos-hls-rfc8216bis for the LL-HLS tags): what the
 * renderer writes and the parser reads back. Times are seconds (suffix S) except wall-clock times,
 * which are ms since the epoch like Date.now(). Tags corral neither writes nor needs (KEY,
 * BYTERANGE, DATERANGE, ...) are not modelled: the parser skips them, as RFC 8216 6.3.1 asks of
 * clients for tags they do not recognise.
 */

/** EXT-X-PART (draft 4.4.4.9). */
export interface Part {
  uri: string;
  durationS: number;
  /** INDEPENDENT=YES: the part starts with an independent frame. */
  independent: boolean;
  /** GAP=YES: the part is listed but not available. */
  gap?: boolean;
}

/** One media segment with the tags that apply to it. */
export interface MediaSegment {
  uri: string;
  /** EXTINF duration. */
  durationS: number;
  /** EXTINF title, after the comma. */
  title?: string;
  /** EXT-X-DISCONTINUITY before this segment. */
  discontinuity: boolean;
  /** EXT-X-GAP: listed for numbering only, no media. */
  gap: boolean;
  /** EXT-X-PROGRAM-DATE-TIME, ms since the epoch. */
  programDateTime?: number;
  /** URI of the EXT-X-MAP in force; written only where it changes. */
  map?: string;
  /** EXT-X-PART tags of this segment, listed before its EXTINF. */
  parts: Part[];
}

/** EXT-X-SERVER-CONTROL (draft 4.4.3.8). */
export interface ServerControl {
  canBlockReload: boolean;
  canSkipUntilS?: number;
  canSkipDateRanges?: boolean;
  holdBackS?: number;
  partHoldBackS?: number;
}

/** EXT-X-PRELOAD-HINT (draft 4.4.5.3). */
export interface PreloadHint {
  type: 'PART' | 'MAP';
  uri: string;
  byteRangeStart?: number;
  byteRangeLength?: number;
}

/** EXT-X-RENDITION-REPORT (draft 4.4.5.4). */
export interface RenditionReport {
  uri: string;
  lastMsn?: number;
  lastPart?: number;
}

export interface OpenSegmentTags {
  discontinuity: boolean;
  map?: string;
}

export interface MediaPlaylist {
  kind: 'media';
  version: number;
  /** EXT-X-TARGETDURATION, a whole number of seconds. */
  targetDurationS: number;
  /** EXT-X-MEDIA-SEQUENCE: the number of the first segment, skipped ones included. */
  mediaSequence: number;
  discontinuitySequence: number;
  independentSegments: boolean;
  serverControl?: ServerControl;
  /** EXT-X-PART-INF PART-TARGET. */
  partTargetS?: number;
  /** EXT-X-SKIP SKIPPED-SEGMENTS: a delta update leaves out this many leading segments. */
  skippedSegments: number;
  /** The segments listed (after any skipped ones). */
  segments: MediaSegment[];
  /** Parts after the last segment: the segment being built (LL-HLS). */
  openParts: Part[];
  /**
   * Tags of the segment being built that must come before its first part (draft-pantos-hls-
   * rfc8216bis 4.4.4.9): a new session's DISCONTINUITY and EXT-X-MAP. Without them a player
   * reads the new session's parts as a continuation of the old one.
   */
  openSegment?: OpenSegmentTags;
  preloadHints: PreloadHint[];
  endList: boolean;
  renditionReports: RenditionReport[];
}

/** EXT-X-MEDIA (RFC 8216 4.3.4.1). */
export interface Rendition {
  type: 'AUDIO' | 'VIDEO' | 'SUBTITLES' | 'CLOSED-CAPTIONS';
  groupId: string;
  name: string;
  uri?: string;
  language?: string;
  default: boolean;
  autoselect: boolean;
  channels?: string;
  instreamId?: string;
}

/** EXT-X-STREAM-INF and the URI line after it (RFC 8216 4.3.4.2). */
export interface Variant {
  uri: string;
  /** Peak bit rate, bits/s, a whole number. */
  bandwidth: number;
  averageBandwidth?: number;
  codecs: string[];
  resolution?: { width: number; height: number };
  frameRate?: number;
  audio?: string;
  video?: string;
  subtitles?: string;
  closedCaptions?: string;
}

export interface MultivariantPlaylist {
  kind: 'multivariant';
  version: number;
  independentSegments: boolean;
  renditions: Rendition[];
  variants: Variant[];
}

export type Playlist = MediaPlaylist | MultivariantPlaylist;
