import * as hls from '../../src/hls/index.js';

/**
 * HLS playlists for tests: the views the tests assert on, read by src/hls, and checks of the
 * RFC 8216 rules the issues name, returning a list of violations (empty = valid).
 */

export interface MediaSegmentEntry {
  sequence: number;
  duration: number;
  uri: string;
  discontinuity: boolean;
  map?: string;
  programDateTime?: number;
  gap?: boolean;
}

export interface MediaPlaylist {
  version: number;
  targetDuration: number;
  mediaSequence: number;
  discontinuitySequence: number;
  segments: MediaSegmentEntry[];
  ended: boolean;
}

/** The test view of a media playlist, read by src/hls (which throws HLS_PARSE on bad text). */
export function parseMediaPlaylist(text: string): MediaPlaylist {
  const p = hls.parseMediaPlaylist(text);
  const first = hls.firstListedMsn(p);
  return {
    version: p.version,
    targetDuration: p.targetDurationS,
    mediaSequence: p.mediaSequence,
    discontinuitySequence: p.discontinuitySequence,
    segments: p.segments.map((s, i) => ({
      sequence: first + i,
      duration: s.durationS,
      uri: s.uri,
      discontinuity: s.discontinuity,
      map: s.map,
      programDateTime: s.programDateTime,
      gap: s.gap,
    })),
    ended: p.endList,
  };
}

/** RFC 8216 rules corral promises for media playlists. */
export function checkMediaPlaylist(p: MediaPlaylist): string[] {
  const bad: string[] = [];
  if (!Number.isInteger(p.targetDuration) || p.targetDuration < 1)
    bad.push(`TARGETDURATION ${p.targetDuration}`);
  if (!(p.version >= 6)) bad.push(`VERSION ${p.version} too low for EXT-X-MAP`);
  let total = 0;
  for (const s of p.segments) {
    if (!(s.duration > 0)) bad.push(`segment ${s.sequence} has no EXTINF`);
    if (Math.round(s.duration) > p.targetDuration) {
      bad.push(`segment ${s.sequence} EXTINF ${s.duration} rounds above TARGETDURATION ${p.targetDuration}`);
    }
    if (!s.map) bad.push(`segment ${s.sequence} has no EXT-X-MAP`);
    if (s.programDateTime === undefined || Number.isNaN(s.programDateTime)) {
      bad.push(`segment ${s.sequence} has no PROGRAM-DATE-TIME`);
    }
    total += s.duration;
  }
  if (!p.ended && total < 3 * p.targetDuration) bad.push(`window ${total}s shorter than 3 target durations`);
  return bad;
}

export interface VariantStream {
  uri: string;
  bandwidth: number;
  averageBandwidth?: number;
  codecs: string[];
  resolution?: string;
  frameRate?: number;
}

export function parseMultivariant(text: string): VariantStream[] {
  return hls.parseMultivariantPlaylist(text).variants.map((v) => {
    const out: VariantStream = { uri: v.uri, bandwidth: v.bandwidth, codecs: v.codecs };
    if (v.averageBandwidth !== undefined) out.averageBandwidth = v.averageBandwidth;
    if (v.resolution) out.resolution = `${v.resolution.width}x${v.resolution.height}`;
    if (v.frameRate !== undefined) out.frameRate = v.frameRate;
    return out;
  });
}

export interface LowLatencyInfo {
  serverControl: hls.ServerControl;
  partTarget: number;
  /** Parts in order, with the segment they belong to (the open segment's are last). */
  parts: Array<{ msn: number; duration: number; uri: string; independent: boolean; lastOfSegment: boolean }>;
  preloadHint?: string;
  reports: Array<{ uri: string; lastMsn: number; lastPart: number }>;
  skipped: number;
}

/** The LL-HLS tags of a media playlist (draft-pantos-hls-rfc8216bis). */
export function parseLowLatency(text: string): LowLatencyInfo {
  const p = hls.parseMediaPlaylist(text);
  const first = hls.firstListedMsn(p);
  const parts: LowLatencyInfo['parts'] = [];
  const add = (list: hls.Part[], msn: number, complete: boolean) =>
    list.forEach((x, i) =>
      parts.push({
        msn,
        duration: x.durationS,
        uri: x.uri,
        independent: x.independent,
        lastOfSegment: complete && i === list.length - 1,
      }),
    );
  p.segments.forEach((s, i) => add(s.parts, first + i, true));
  add(p.openParts, hls.nextMsn(p), false);
  const info: LowLatencyInfo = {
    serverControl: p.serverControl ?? { canBlockReload: false },
    partTarget: p.partTargetS ?? NaN,
    parts,
    reports: p.renditionReports.map((r) => ({
      uri: r.uri,
      lastMsn: r.lastMsn ?? NaN,
      lastPart: r.lastPart ?? NaN,
    })),
    skipped: p.skippedSegments,
  };
  const hint = p.preloadHints.findLast((h) => h.type === 'PART');
  if (hint) info.preloadHint = hint.uri;
  return info;
}

/** The LL-HLS rules corral promises (draft-pantos-hls-rfc8216bis 4.4.3.7, 4.4.3.8, 4.4.4.9). */
export function checkLowLatency(p: MediaPlaylist, ll: LowLatencyInfo): string[] {
  const bad: string[] = [];
  const sc = ll.serverControl;
  if (!sc.canBlockReload) bad.push('CAN-BLOCK-RELOAD is not YES');
  if (!((sc.canSkipUntilS ?? NaN) >= 6 * p.targetDuration))
    bad.push(`CAN-SKIP-UNTIL ${sc.canSkipUntilS} < 6 TD`);
  if (!((sc.partHoldBackS ?? NaN) >= 2 * ll.partTarget))
    bad.push(`PART-HOLD-BACK ${sc.partHoldBackS} < 2 part targets`);
  if (!((sc.holdBackS ?? NaN) >= 3 * p.targetDuration)) bad.push(`HOLD-BACK ${sc.holdBackS} < 3 TD`);
  for (const part of ll.parts) {
    if (part.duration > ll.partTarget + 1e-9) bad.push(`${part.uri} longer than PART-TARGET`);
    // At least 85 % of the part target, except a segment's last part (draft 4.4.4.9).
    if (
      !part.lastOfSegment &&
      part !== ll.parts[ll.parts.length - 1] &&
      part.duration < 0.85 * ll.partTarget
    ) {
      bad.push(`${part.uri} is ${part.duration}s, under 85% of PART-TARGET`);
    }
  }
  if (!p.ended && !ll.preloadHint) bad.push('no EXT-X-PRELOAD-HINT');
  return bad;
}
