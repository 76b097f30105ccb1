import { isCorralError } from '../util/errors.js';
import type { MediaPlaylist } from './model.js';
import { parsePlaylist } from './parse.js';

/**
 * Numbers derived from a media playlist, for the readers that follow a live edge: the cache tier
 * (which segment and part URIs exist yet), the load generator and the benchmarks.
 */

/** Media sequence number of the first segment listed (a delta update skips some). */
export function firstListedMsn(p: MediaPlaylist): number {
  return p.mediaSequence + p.skippedSegments;
}

/** Media sequence number after the last complete segment: the one being built. */
export function nextMsn(p: MediaPlaylist): number {
  return firstListedMsn(p) + p.segments.length;
}

export interface LiveEdge {
  /** The segment being built. */
  msn: number;
  /** Index of its first part not listed yet: what a blocking reload waits for next. */
  part: number;
  /** URI of the newest part listed, if any. */
  newestPart?: string;
}

export function liveEdge(p: MediaPlaylist): LiveEdge {
  const last = p.openParts[p.openParts.length - 1] ?? p.segments[p.segments.length - 1]?.parts.at(-1);
  const edge: LiveEdge = { msn: nextMsn(p), part: p.openParts.length };
  if (last !== undefined) edge.newestPart = last.uri;
  return edge;
}

/** What the cache tier's live rules need from a media playlist. */
export interface MediaPlaylistInfo {
  /** Sequence number of segments[0]. */
  mediaSequence: number;
  targetDurationS: number;
  /** Segment URIs in order. */
  segments: string[];
  /** EXT-X-PART URIs in order, then a PRELOAD-HINT part if any (LL-HLS). */
  parts: Array<{ uri: string }>;
  /** EXT-X-ENDLIST: the broadcast this playlist belongs to is over. */
  ended: boolean;
  /** EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES: LL-HLS players can ask for the next version. */
  canBlockReload: boolean;
}

/**
 * The live-edge facts of a media playlist, or undefined for anything else: text that does not
 * parse, a multivariant playlist, a playlist with no segment yet. Callers use this as advice
 * only, so a playlist they cannot read is simply one they learn nothing from.
 */
export function mediaPlaylistInfo(text: string): MediaPlaylistInfo | undefined {
  let p;
  try {
    p = parsePlaylist(text);
  } catch (e) {
    if (isCorralError(e, 'HLS_PARSE')) return undefined;
    throw e;
  }
  if (p.kind !== 'media' || p.segments.length === 0 || !(p.targetDurationS > 0)) return undefined;
  const parts = [...p.segments.flatMap((s) => s.parts), ...p.openParts].map((x) => ({ uri: x.uri }));
  const hint = p.preloadHints.findLast((h) => h.type === 'PART');
  if (hint !== undefined) parts.push({ uri: hint.uri });
  return {
    mediaSequence: firstListedMsn(p),
    targetDurationS: p.targetDurationS,
    segments: p.segments.map((s) => s.uri),
    parts,
    ended: p.endList,
    canBlockReload: p.serverControl?.canBlockReload ?? false,
  };
}

/**
 * Whether a media playlist's text says the stream ended (EXT-X-ENDLIST, RFC 8216 4.3.3.4), without
 * parsing it: the origin asks this of every playlist push, several a second per rendition, and
 * the tag can only stand on a line of its own, which the packager writes last.
 */
export function hasEndList(text: Buffer | string): boolean {
  const s = typeof text === 'string' ? text : text.toString('latin1', Math.max(0, text.length - 64));
  return /(^|\n)#EXT-X-ENDLIST\s*$/.test(s.slice(-64));
}

/**
 * URIs in a playlist: the URI lines and URI="..." attributes (EXT-X-MAP, PART, MEDIA, hints).
 * A scan, not a parse: the cache runs it on every playlist it accepts, and needs only names.
 */
export function playlistUris(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const l = line.trim();
    if (l === '') continue;
    if (!l.startsWith('#')) out.push(l);
    else if (l.includes('URI="')) for (const m of l.matchAll(/URI="([^"]*)"/g)) out.push(m[1]!);
  }
  return out;
}
