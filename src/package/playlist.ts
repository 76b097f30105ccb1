/**
 * HLS playlist text (RFC 8216). Pure functions from state to text; the rendition keeps the state.
 */

export interface PlaylistSegment {
  sequence: number;
  durationS: number;
  uri: string;
  /** Wall-clock time of the first frame, ms since epoch (EXT-X-PROGRAM-DATE-TIME). */
  programDateTime: number;
  /** The init segment this media segment needs (EXT-X-MAP). */
  mapUri: string;
  /** A publisher reconnect or encoder change happened before this segment. */
  discontinuity: boolean;
  /** Listed for numbering only; the rendition has no media for it (EXT-X-GAP). */
  gap?: boolean;
}

export interface MediaPlaylistState {
  targetDurationS: number;
  /** Discontinuities that already left the window (EXT-X-DISCONTINUITY-SEQUENCE). */
  discontinuitySequence: number;
  segments: PlaylistSegment[];
  ended: boolean;
}

/** EXT-X-MAP in a playlist without I-FRAMES-ONLY requires protocol version 6 (RFC 8216 7). */
const MEDIA_VERSION = 6;

export function renderMediaPlaylist(s: MediaPlaylistState): string {
  const first = s.segments[0];
  const lines = [
    '#EXTM3U',
    `#EXT-X-VERSION:${MEDIA_VERSION}`,
    `#EXT-X-TARGETDURATION:${s.targetDurationS}`,
    `#EXT-X-MEDIA-SEQUENCE:${first ? first.sequence : 0}`,
    `#EXT-X-DISCONTINUITY-SEQUENCE:${s.discontinuitySequence}`,
  ];
  let map: string | undefined;
  s.segments.forEach((seg, i) => {
    // The first listed segment never carries DISCONTINUITY: it is accounted for by the sequence.
    if (seg.discontinuity && i > 0) lines.push('#EXT-X-DISCONTINUITY');
    if (seg.mapUri !== map) {
      lines.push(`#EXT-X-MAP:URI="${seg.mapUri}"`);
      map = seg.mapUri;
    }
    lines.push(`#EXT-X-PROGRAM-DATE-TIME:${new Date(seg.programDateTime).toISOString()}`);
    if (seg.gap) lines.push('#EXT-X-GAP');
    lines.push(`#EXTINF:${seg.durationS.toFixed(3)},`);
    lines.push(seg.uri);
  });
  if (s.ended) lines.push('#EXT-X-ENDLIST');
  return lines.join('\n') + '\n';
}

export interface VariantEntry {
  uri: string;
  /** Peak segment bit rate, bits/s. */
  bandwidth: number;
  averageBandwidth: number;
  codecs: string[];
  resolution?: { width: number; height: number };
  frameRate?: number;
}

export function renderMultivariantPlaylist(variants: VariantEntry[]): string {
  const lines = ['#EXTM3U', `#EXT-X-VERSION:${MEDIA_VERSION}`];
  for (const v of variants) {
    const attrs = [
      `BANDWIDTH=${Math.max(1, Math.round(v.bandwidth))}`,
      `AVERAGE-BANDWIDTH=${Math.max(1, Math.round(v.averageBandwidth))}`,
      `CODECS="${v.codecs.join(',')}"`,
    ];
    if (v.resolution) attrs.push(`RESOLUTION=${v.resolution.width}x${v.resolution.height}`);
    if (v.frameRate) attrs.push(`FRAME-RATE=${v.frameRate.toFixed(3)}`);
    lines.push(`#EXT-X-STREAM-INF:${attrs.join(',')}`);
    lines.push(v.uri);
  }
  return lines.join('\n') + '\n';
}
