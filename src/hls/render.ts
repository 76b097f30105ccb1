import { AttributeWriter, formatDecimal } from './attributes.js';
import type {
  MediaPlaylist,
  MediaSegment,
  MultivariantPlaylist,
  Part,
  Playlist,
  PreloadHint,
  RenditionReport,
  Rendition,
  ServerControl,
  Variant,
} from './model.js';

/**
 * Playlist text from the model, written exactly as the model says: which segments list parts,
 * whether a hint is offered and the like are the packager's decisions, not the renderer's. URIs
 * and names are written as given; they must not contain '"' or line breaks.
 */

/**
 * A live playlist is written again after every part, and each version lists nearly the same
 * segments and parts as the one before: those lines are kept, keyed by what they are written
 * from, and looked up instead of formatted again. Output is the same either way. Bounded: a
 * full table starts afresh (4096 lines of ~100 bytes).
 */
const MEMO_LIMIT = 4096;
const partLines = new Map<
  string,
  { durationS: number; independent: boolean; gap: boolean | undefined; line: string }
>();
const dateLines = new Map<number, string>();

function remember<K, V>(memo: Map<K, V>, key: K, value: V): V {
  if (memo.size >= MEMO_LIMIT) memo.clear();
  memo.set(key, value);
  return value;
}

function partLine(p: Part): string {
  const known = partLines.get(p.uri);
  if (
    known &&
    known.durationS === p.durationS &&
    known.independent === p.independent &&
    known.gap === p.gap
  ) {
    return known.line;
  }
  const a = new AttributeWriter()
    .decimal('DURATION', p.durationS)
    .quoted('URI', p.uri)
    .yes('INDEPENDENT', p.independent)
    .yes('GAP', p.gap);
  const line = `#EXT-X-PART:${a}`;
  return remember(partLines, p.uri, { durationS: p.durationS, independent: p.independent, gap: p.gap, line })
    .line;
}

function programDateTimeLine(ms: number): string {
  return (
    dateLines.get(ms) ?? remember(dateLines, ms, `#EXT-X-PROGRAM-DATE-TIME:${new Date(ms).toISOString()}`)
  );
}

function serverControlLine(sc: ServerControl): string {
  const a = new AttributeWriter()
    .yes('CAN-BLOCK-RELOAD', sc.canBlockReload)
    .decimal('CAN-SKIP-UNTIL', sc.canSkipUntilS)
    .yes('CAN-SKIP-DATERANGES', sc.canSkipDateRanges)
    .decimal('PART-HOLD-BACK', sc.partHoldBackS)
    .decimal('HOLD-BACK', sc.holdBackS);
  return `#EXT-X-SERVER-CONTROL:${a}`;
}

function hintLine(h: PreloadHint): string {
  const a = new AttributeWriter()
    .raw('TYPE', h.type)
    .quoted('URI', h.uri)
    .raw('BYTERANGE-START', h.byteRangeStart)
    .raw('BYTERANGE-LENGTH', h.byteRangeLength);
  return `#EXT-X-PRELOAD-HINT:${a}`;
}

function reportLine(r: RenditionReport): string {
  const a = new AttributeWriter()
    .quoted('URI', r.uri)
    .raw('LAST-MSN', r.lastMsn)
    .raw('LAST-PART', r.lastPart);
  return `#EXT-X-RENDITION-REPORT:${a}`;
}

function segmentLines(seg: MediaSegment, mapBefore: string | undefined, lines: string[]): void {
  if (seg.discontinuity) lines.push('#EXT-X-DISCONTINUITY');
  if (seg.map !== undefined && seg.map !== mapBefore) lines.push(`#EXT-X-MAP:URI="${seg.map}"`);
  if (seg.programDateTime !== undefined) lines.push(programDateTimeLine(seg.programDateTime));
  for (const p of seg.parts) lines.push(partLine(p));
  if (seg.gap) lines.push('#EXT-X-GAP');
  lines.push(`#EXTINF:${formatDecimal(seg.durationS)},${seg.title ?? ''}`);
  lines.push(seg.uri);
}

export function renderMediaPlaylist(p: MediaPlaylist): string {
  const lines = headLines(p, p.skippedSegments);
  let map: string | undefined;
  for (const seg of p.segments) {
    segmentLines(seg, map, lines);
    map = seg.map;
  }
  tailLines(p, map, lines);
  return lines.join('\n') + '\n';
}

/**
 * A playlist (`p`, nothing skipped) and its delta update, the same playlist with its first `skip`
 * segments replaced by EXT-X-SKIP (draft-pantos-hls-rfc8216bis 4.4.5.2), written in one pass: the
 * segments after the skipped ones are formatted once for both. Each text equals what
 * renderMediaPlaylist writes for that model.
 */
export function renderMediaPlaylistWithDelta(
  p: MediaPlaylist,
  skip: number,
): { full: string; delta: string } {
  const n = Math.min(Math.max(0, skip), p.segments.length);
  if (n === 0) {
    const text = renderMediaPlaylist(p);
    return { full: text, delta: text };
  }
  const first = p.segments[n];
  if (first === undefined) {
    // All skipped (no server skips this far): nothing in common past the head.
    return {
      full: renderMediaPlaylist(p),
      delta: renderMediaPlaylist({ ...p, skippedSegments: n, segments: [] }),
    };
  }
  const full = headLines(p, 0);
  let map: string | undefined;
  for (let i = 0; i < n; i++) {
    segmentLines(p.segments[i]!, map, full);
    map = p.segments[i]!.map;
  }
  // The delta's first segment has no segment before it, so it restates its EXT-X-MAP.
  const delta = headLines(p, n);
  const rest: string[] = [];
  segmentLines(first, map, full);
  segmentLines(first, undefined, delta);
  map = first.map;
  for (let i = n + 1; i < p.segments.length; i++) {
    segmentLines(p.segments[i]!, map, rest);
    map = p.segments[i]!.map;
  }
  // The delta's open segment compares its map with the same last segment's: the same tail.
  tailLines(p, map, rest);
  const tail = rest.length > 0 ? '\n' + rest.join('\n') : '';
  return { full: full.join('\n') + tail + '\n', delta: delta.join('\n') + tail + '\n' };
}

function headLines(p: MediaPlaylist, skipped: number): string[] {
  const lines = ['#EXTM3U', `#EXT-X-VERSION:${p.version}`];
  if (p.independentSegments) lines.push('#EXT-X-INDEPENDENT-SEGMENTS');
  lines.push(`#EXT-X-TARGETDURATION:${p.targetDurationS}`);
  if (p.serverControl) lines.push(serverControlLine(p.serverControl));
  if (p.partTargetS !== undefined) lines.push(`#EXT-X-PART-INF:PART-TARGET=${formatDecimal(p.partTargetS)}`);
  lines.push(
    `#EXT-X-MEDIA-SEQUENCE:${p.mediaSequence}`,
    `#EXT-X-DISCONTINUITY-SEQUENCE:${p.discontinuitySequence}`,
  );
  if (skipped > 0) lines.push(`#EXT-X-SKIP:SKIPPED-SEGMENTS=${skipped}`);
  return lines;
}

/** What follows the segments; `map` is the last listed segment's. */
function tailLines(p: MediaPlaylist, map: string | undefined, lines: string[]): void {
  if (p.openParts.length > 0 && p.openSegment) {
    if (p.openSegment.discontinuity) lines.push('#EXT-X-DISCONTINUITY');
    if (p.openSegment.map !== undefined && p.openSegment.map !== map) {
      lines.push(`#EXT-X-MAP:URI="${p.openSegment.map}"`);
    }
  }
  for (const part of p.openParts) lines.push(partLine(part));
  for (const h of p.preloadHints) lines.push(hintLine(h));
  if (p.endList) lines.push('#EXT-X-ENDLIST');
  for (const r of p.renditionReports) lines.push(reportLine(r));
}

function renditionLine(r: Rendition): string {
  const a = new AttributeWriter()
    .raw('TYPE', r.type)
    .quoted('GROUP-ID', r.groupId)
    .quoted('NAME', r.name)
    .quoted('LANGUAGE', r.language)
    .yes('DEFAULT', r.default)
    .yes('AUTOSELECT', r.autoselect)
    .quoted('INSTREAM-ID', r.instreamId)
    .quoted('CHANNELS', r.channels)
    .quoted('URI', r.uri);
  return `#EXT-X-MEDIA:${a}`;
}

function variantLine(v: Variant): string {
  const a = new AttributeWriter()
    .raw('BANDWIDTH', v.bandwidth)
    .raw('AVERAGE-BANDWIDTH', v.averageBandwidth)
    .quoted('CODECS', v.codecs.length > 0 ? v.codecs.join(',') : undefined)
    .raw('RESOLUTION', v.resolution && `${v.resolution.width}x${v.resolution.height}`)
    .decimal('FRAME-RATE', v.frameRate)
    .quoted('AUDIO', v.audio)
    .quoted('VIDEO', v.video)
    .quoted('SUBTITLES', v.subtitles);
  // CLOSED-CAPTIONS alone may be the bare enumerated value NONE (RFC 8216 4.3.4.2).
  if (v.closedCaptions === 'NONE') a.raw('CLOSED-CAPTIONS', 'NONE');
  else a.quoted('CLOSED-CAPTIONS', v.closedCaptions);
  return `#EXT-X-STREAM-INF:${a}`;
}

export function renderMultivariantPlaylist(p: MultivariantPlaylist): string {
  const lines = ['#EXTM3U', `#EXT-X-VERSION:${p.version}`];
  if (p.independentSegments) lines.push('#EXT-X-INDEPENDENT-SEGMENTS');
  for (const r of p.renditions) lines.push(renditionLine(r));
  for (const v of p.variants) lines.push(variantLine(v), v.uri);
  return lines.join('\n') + '\n';
}

export function renderPlaylist(p: Playlist): string {
  return p.kind === 'media' ? renderMediaPlaylist(p) : renderMultivariantPlaylist(p);
}

/** Longest a number is written here: String(n) or toFixed(3) of any double. */
const NUMBER_BYTES = 32;
/**
 * Charged per tag line for its own text (name, attribute names, punctuation, newline), numbers
 * aside; the longest, EXT-X-SERVER-CONTROL at ~110, fits in what the head's nine lines are charged.
 */
const TAG_BYTES = 96;
/** UTF-8 bytes a string written as given may take: up to 3 per UTF-16 unit. */
const textBytes = (s: string | undefined) => (s === undefined ? 0 : 3 * s.length);

/**
 * At most how many bytes renderMediaPlaylist writes for `p`, and for any delta update made from it
 * (which lists a subset of its segments, restating at most one EXT-X-MAP, counted here for every
 * segment): counted without writing, for a store that must account for a playlist before its text
 * exists. Every line is charged its longest form, so the bound is generous, never short.
 */
export function mediaPlaylistBytesBound(p: MediaPlaylist): number {
  // Head: EXTM3U, VERSION, INDEPENDENT-SEGMENTS, TARGETDURATION, SERVER-CONTROL (four numbers),
  // PART-INF, MEDIA-SEQUENCE, DISCONTINUITY-SEQUENCE, SKIP.
  let n = 9 * TAG_BYTES + 12 * NUMBER_BYTES;
  // Per segment: DISCONTINUITY, MAP, PROGRAM-DATE-TIME, GAP, EXTINF and its URI line.
  for (const s of p.segments) {
    n += 6 * TAG_BYTES + 2 * NUMBER_BYTES + textBytes(s.map) + textBytes(s.title) + textBytes(s.uri);
    for (const part of s.parts) n += partBytesBound(part);
  }
  n += 2 * TAG_BYTES + textBytes(p.openSegment?.map);
  for (const part of p.openParts) n += partBytesBound(part);
  for (const h of p.preloadHints) n += TAG_BYTES + 2 * NUMBER_BYTES + textBytes(h.uri);
  n += TAG_BYTES;
  for (const r of p.renditionReports) n += TAG_BYTES + 2 * NUMBER_BYTES + textBytes(r.uri);
  return n;
}

function partBytesBound(part: Part): number {
  return TAG_BYTES + NUMBER_BYTES + textBytes(part.uri);
}
