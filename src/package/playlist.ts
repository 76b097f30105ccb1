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
  /** LL-HLS: the parts this segment was published as (kept for the last few segments only). */
  parts?: PartEntry[];
}

export interface PartEntry {
  durationS: number;
  uri: string;
  independent: boolean;
}

export interface RenditionReport {
  uri: string;
  lastMsn: number;
  lastPart: number;
}

/** LL-HLS additions (draft-pantos-hls-rfc8216bis): parts, hint, server control, reports. */
export interface LowLatencyState {
  partTargetS: number;
  /** Parts of the segment being built now, after the last complete segment. */
  openParts: PartEntry[];
  preloadHint?: string;
  reports: RenditionReport[];
  /** Render as a delta update: this many leading segments replaced by EXT-X-SKIP. */
  skipSegments?: number;
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
/** EXT-X-SKIP (delta updates) requires version 9; LL-HLS playlists always declare it. */
const LL_VERSION = 9;

/** Server-control values the LL-HLS rules tie to the target durations (same in every rendition). */
export function serverControl(targetDurationS: number, partTargetS: number) {
  return {
    // Clients start at least this far behind the live edge: 3 part targets, as the draft advises.
    partHoldBackS: Math.round(3 * partTargetS * 1000) / 1000,
    holdBackS: 3 * targetDurationS,
    // The skip boundary must be at least six target durations (draft 4.4.3.8).
    canSkipUntilS: 6 * targetDurationS,
  };
}

const fmt = (n: number) => n.toFixed(3);

function partLine(p: PartEntry): string {
  return `#EXT-X-PART:DURATION=${fmt(p.durationS)},URI="${p.uri}"${p.independent ? ',INDEPENDENT=YES' : ''}`;
}

export function renderMediaPlaylist(s: MediaPlaylistState, ll?: LowLatencyState): string {
  const first = s.segments[0];
  const lines = [
    '#EXTM3U',
    `#EXT-X-VERSION:${ll ? LL_VERSION : MEDIA_VERSION}`,
    `#EXT-X-TARGETDURATION:${s.targetDurationS}`,
  ];
  if (ll) {
    const sc = serverControl(s.targetDurationS, ll.partTargetS);
    lines.push(
      `#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,CAN-SKIP-UNTIL=${fmt(sc.canSkipUntilS)},` +
        `PART-HOLD-BACK=${fmt(sc.partHoldBackS)},HOLD-BACK=${fmt(sc.holdBackS)}`,
    );
    lines.push(`#EXT-X-PART-INF:PART-TARGET=${fmt(ll.partTargetS)}`);
  }
  lines.push(
    `#EXT-X-MEDIA-SEQUENCE:${first ? first.sequence : 0}`,
    `#EXT-X-DISCONTINUITY-SEQUENCE:${s.discontinuitySequence}`,
  );
  const skip = ll?.skipSegments ?? 0;
  if (skip > 0) lines.push(`#EXT-X-SKIP:SKIPPED-SEGMENTS=${skip}`);
  // Parts are listed for the last three target durations only (draft 6.2.2: older parts go).
  let partsFrom = s.segments.length;
  if (ll) {
    let span = 0;
    while (partsFrom > 0 && span < 3 * s.targetDurationS) span += s.segments[--partsFrom]!.durationS;
  }
  let map: string | undefined;
  s.segments.forEach((seg, i) => {
    if (i < skip) return;
    // The first listed segment never carries DISCONTINUITY: it is accounted for by the sequence.
    if (seg.discontinuity && i > 0) lines.push('#EXT-X-DISCONTINUITY');
    if (seg.mapUri !== map) {
      lines.push(`#EXT-X-MAP:URI="${seg.mapUri}"`);
      map = seg.mapUri;
    }
    lines.push(`#EXT-X-PROGRAM-DATE-TIME:${new Date(seg.programDateTime).toISOString()}`);
    if (i >= partsFrom && seg.parts) for (const p of seg.parts) lines.push(partLine(p));
    if (seg.gap) lines.push('#EXT-X-GAP');
    lines.push(`#EXTINF:${seg.durationS.toFixed(3)},`);
    lines.push(seg.uri);
  });
  if (ll && !s.ended) {
    for (const p of ll.openParts) lines.push(partLine(p));
    if (ll.preloadHint) lines.push(`#EXT-X-PRELOAD-HINT:TYPE=PART,URI="${ll.preloadHint}"`);
  }
  if (s.ended) lines.push('#EXT-X-ENDLIST');
  for (const r of ll?.reports ?? []) {
    lines.push(`#EXT-X-RENDITION-REPORT:URI="${r.uri}",LAST-MSN=${r.lastMsn},LAST-PART=${r.lastPart}`);
  }
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
