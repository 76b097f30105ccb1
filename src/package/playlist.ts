import type { MediaPlaylist, MediaSegment, MultivariantPlaylist, Part, Variant } from '../hls/model.js';
import {
  renderMediaPlaylist as renderMedia,
  renderMediaPlaylistWithDelta as renderMediaWithDelta,
  renderMultivariantPlaylist as renderMultivariant,
} from '../hls/render.js';

/**
 * The packager's playlists (RFC 8216): pure functions from rendition state to the HLS model,
 * written out by src/hls. The rendition keeps the state.
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
  /** That segment's own tags (a new session's DISCONTINUITY and MAP), written before its parts. */
  openSegment?: { discontinuity: boolean; mapUri: string };
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

/**
 * Index of the first complete segment whose parts are listed. Draft-pantos-hls-rfc8216bis 4.4.4.9:
 * EXT-X-PART tags SHOULD be removed once they are more than three target durations from the end
 * of the playlist, so a segment keeps its parts only while its start is within that distance
 * (the open segment's parts count towards it). Strict parsers (hls-parser) apply the rule as
 * "the last three entries", the open segment (its parts or its hint) being one. With segments of
 * about a target duration and parts open, the two readings agree; where segments run short of
 * the target, or only a hint is open, the entry count is the stricter one, so both apply.
 * Players only need parts within PART-HOLD-BACK (three part targets) of the end.
 */
function firstSegmentWithParts(s: MediaPlaylistState, ll: LowLatencyState, live: boolean): number {
  const open = live && (ll.openParts.length > 0 || ll.preloadHint !== undefined);
  const maxSegments = open ? 2 : 3;
  // Whole ms: durations are ms / 1000, and a sum of them must not miss the limit by a rounding.
  let fromEndMs = live ? Math.round(ll.openParts.reduce((t, p) => t + p.durationS * 1000, 0)) : 0;
  const limitMs = 3 * s.targetDurationS * 1000;
  let from = s.segments.length;
  while (from > 0 && s.segments.length - from < maxSegments) {
    fromEndMs += Math.round(s.segments[from - 1]!.durationS * 1000);
    if (fromEndMs > limitMs) break;
    from--;
  }
  return from;
}

/**
 * The model of one media playlist version. The packager's listing rules live here: the first
 * listed segment never carries DISCONTINUITY (DISCONTINUITY-SEQUENCE accounts for it), parts
 * leave after three target durations (firstSegmentWithParts), and an ended playlist offers no
 * open parts and no hint.
 */
export function mediaPlaylistModel(s: MediaPlaylistState, ll?: LowLatencyState): MediaPlaylist {
  const skip = ll?.skipSegments ?? 0;
  const live = ll !== undefined && !s.ended;
  const partsFrom = ll ? firstSegmentWithParts(s, ll, live) : s.segments.length;
  const segments = s.segments.map((seg, i): MediaSegment => ({
    uri: seg.uri,
    durationS: seg.durationS,
    discontinuity: seg.discontinuity && i > 0,
    gap: seg.gap ?? false,
    programDateTime: seg.programDateTime,
    map: seg.mapUri,
    parts: i >= partsFrom && seg.parts ? seg.parts.map(part) : [],
  }));
  const model: MediaPlaylist = {
    kind: 'media',
    version: ll ? LL_VERSION : MEDIA_VERSION,
    targetDurationS: s.targetDurationS,
    mediaSequence: s.segments[0]?.sequence ?? 0,
    discontinuitySequence: s.discontinuitySequence,
    independentSegments: false,
    skippedSegments: skip,
    segments: segments.slice(skip),
    openParts: live ? ll.openParts.map(part) : [],
    ...(live && ll.openSegment && ll.openParts.length > 0
      ? { openSegment: openSegmentTags(ll.openSegment, s.segments.at(-1)?.mapUri) }
      : {}),
    preloadHints: live && ll.preloadHint ? [{ type: 'PART', uri: ll.preloadHint }] : [],
    endList: s.ended,
    renditionReports: (ll?.reports ?? []).map((r) => ({
      uri: r.uri,
      lastMsn: r.lastMsn,
      lastPart: r.lastPart,
    })),
  };
  if (ll) {
    const sc = serverControl(s.targetDurationS, ll.partTargetS);
    model.serverControl = {
      canBlockReload: true,
      canSkipUntilS: sc.canSkipUntilS,
      partHoldBackS: sc.partHoldBackS,
      holdBackS: sc.holdBackS,
    };
    model.partTargetS = ll.partTargetS;
  }
  return model;
}

/**
 * Index of the first segment whose parts a playlist may list: the last three target durations.
 * A superset of what firstSegmentWithParts lists; republishing pushes these so that any version a
 * cache still holds finds its parts.
 */
export function partsListedFrom(segments: readonly PlaylistSegment[], targetDurationS: number): number {
  let from = segments.length;
  let span = 0;
  while (from > 0 && span < 3 * targetDurationS) span += segments[--from]!.durationS;
  return from;
}

/** Only what differs from the last listed segment needs saying before the open parts. */
function openSegmentTags(o: { discontinuity: boolean; mapUri: string }, lastMap: string | undefined) {
  return {
    discontinuity: o.discontinuity,
    ...(o.mapUri !== '' && o.mapUri !== lastMap ? { map: o.mapUri } : {}),
  };
}

function part(p: PartEntry): Part {
  return { uri: p.uri, durationS: p.durationS, independent: p.independent };
}

export function renderMediaPlaylist(s: MediaPlaylistState, ll?: LowLatencyState): string {
  return renderMedia(mediaPlaylistModel(s, ll));
}

/**
 * The LL-HLS playlist's model (nothing skipped) and how many segments its delta update skips: a
 * snapshot, sharing nothing with `s`, to write now or later with writeWithDelta.
 */
export function deltaPlaylistModel(
  s: MediaPlaylistState,
  ll: LowLatencyState,
): { model: MediaPlaylist; skip: number } {
  return { model: mediaPlaylistModel(s, { ...ll, skipSegments: 0 }), skip: ll.skipSegments ?? 0 };
}

/** The playlist and its delta update from deltaPlaylistModel, formatted in one pass. */
export function writeWithDelta(m: { model: MediaPlaylist; skip: number }): { full: string; delta: string } {
  return renderMediaWithDelta(m.model, m.skip);
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

/** The multivariant model: measured rates rounded to the whole, positive numbers BANDWIDTH needs. */
export function multivariantPlaylistModel(variants: VariantEntry[]): MultivariantPlaylist {
  return {
    kind: 'multivariant',
    version: MEDIA_VERSION,
    independentSegments: false,
    renditions: [],
    variants: variants.map((v) => {
      const out: Variant = {
        uri: v.uri,
        bandwidth: Math.max(1, Math.round(v.bandwidth)),
        averageBandwidth: Math.max(1, Math.round(v.averageBandwidth)),
        codecs: v.codecs,
      };
      if (v.resolution) out.resolution = v.resolution;
      if (v.frameRate) out.frameRate = v.frameRate;
      return out;
    }),
  };
}

export function renderMultivariantPlaylist(variants: VariantEntry[]): string {
  return renderMultivariant(multivariantPlaylistModel(variants));
}
