import { AttributeList, parseDecimal, parseInteger } from './attributes.js';
import { parseError, type ParseLimits } from './limits.js';
import { isMultivariantTag, valueOf, type Line } from './lines.js';
import type {
  MediaPlaylist,
  MediaSegment,
  Part,
  PreloadHint,
  RenditionReport,
  ServerControl,
} from './model.js';

type Tag = Line & { kind: 'tag' };

/** Tags RFC 8216 allows once per playlist; a second copy means two writers or a broken one. */
const ONCE = new Set([
  'EXT-X-VERSION',
  'EXT-X-TARGETDURATION',
  'EXT-X-MEDIA-SEQUENCE',
  'EXT-X-DISCONTINUITY-SEQUENCE',
  'EXT-X-SERVER-CONTROL',
  'EXT-X-PART-INF',
  'EXT-X-SKIP',
  'EXT-X-ENDLIST',
]);

/** Tags that describe the playlist and so must precede its first segment (RFC 8216 4.4.3). */
const BEFORE_SEGMENTS = new Set(['EXT-X-MEDIA-SEQUENCE', 'EXT-X-DISCONTINUITY-SEQUENCE', 'EXT-X-SKIP']);

/** What the tags seen since the last URI say about the next segment. */
interface Pending {
  durationS?: number;
  title?: string;
  discontinuity: boolean;
  gap: boolean;
  programDateTime?: number;
  parts: Part[];
}

const fresh = (): Pending => ({ discontinuity: false, gap: false, parts: [] });

const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/;

function extinf(t: Tag): { durationS: number; title?: string } {
  const v = valueOf(t);
  const comma = v.indexOf(',');
  // The comma is required, but a bare duration is common enough in the wild to accept.
  const durationS = parseDecimal(comma < 0 ? v : v.slice(0, comma), 'EXTINF duration', t.no);
  const title = comma < 0 ? '' : v.slice(comma + 1);
  return title === '' ? { durationS } : { durationS, title };
}

function programDateTime(t: Tag): number {
  const v = valueOf(t);
  const ms = DATE_TIME.test(v) ? Date.parse(v) : NaN;
  if (!Number.isFinite(ms)) throw parseError('EXT-X-PROGRAM-DATE-TIME is not a date-time', t.no, t.text);
  return ms;
}

function part(a: AttributeList): Part {
  const p: Part = {
    uri: a.requiredString('URI'),
    durationS: a.requiredDecimal('DURATION'),
    independent: a.yes('INDEPENDENT'),
  };
  if (a.yes('GAP')) p.gap = true;
  return p;
}

function serverControl(a: AttributeList): ServerControl {
  const sc: ServerControl = { canBlockReload: a.yes('CAN-BLOCK-RELOAD') };
  const skip = a.decimal('CAN-SKIP-UNTIL');
  if (skip !== undefined) sc.canSkipUntilS = skip;
  if (a.yes('CAN-SKIP-DATERANGES')) sc.canSkipDateRanges = true;
  const partHold = a.decimal('PART-HOLD-BACK');
  if (partHold !== undefined) sc.partHoldBackS = partHold;
  const hold = a.decimal('HOLD-BACK');
  if (hold !== undefined) sc.holdBackS = hold;
  return sc;
}

function preloadHint(a: AttributeList): PreloadHint {
  const h: PreloadHint = {
    type: a.requiredEnumerated('TYPE', ['PART', 'MAP'] as const),
    uri: a.requiredString('URI'),
  };
  const start = a.integer('BYTERANGE-START');
  if (start !== undefined) h.byteRangeStart = start;
  const length = a.integer('BYTERANGE-LENGTH');
  if (length !== undefined) h.byteRangeLength = length;
  return h;
}

function report(a: AttributeList): RenditionReport {
  const r: RenditionReport = { uri: a.requiredString('URI') };
  const msn = a.integer('LAST-MSN');
  if (msn !== undefined) r.lastMsn = msn;
  const last = a.integer('LAST-PART');
  if (last !== undefined) r.lastPart = last;
  return r;
}

/** The media playlist in `lines` (already checked by playlistLines). */
export function parseMediaLines(lines: Line[], limits: ParseLimits): MediaPlaylist {
  const p: MediaPlaylist = {
    kind: 'media',
    version: 1,
    targetDurationS: 0,
    mediaSequence: 0,
    discontinuitySequence: 0,
    independentSegments: false,
    skippedSegments: 0,
    segments: [],
    openParts: [],
    preloadHints: [],
    endList: false,
    renditionReports: [],
  };
  let target: number | undefined;
  const seen = new Set<string>();
  let pending = fresh();
  let map: string | undefined;
  let mapOfLastSegment: string | undefined;
  const attrs = (t: Tag) => AttributeList.parse(t.name, valueOf(t), t.no, limits.maxAttributes);

  for (const line of lines) {
    if (line.kind === 'uri') {
      if (pending.durationS === undefined) throw parseError('URI without EXTINF', line.no, line.text);
      const seg: MediaSegment = {
        uri: line.text,
        durationS: pending.durationS,
        discontinuity: pending.discontinuity,
        gap: pending.gap,
        parts: pending.parts,
      };
      if (pending.title !== undefined) seg.title = pending.title;
      if (pending.programDateTime !== undefined) seg.programDateTime = pending.programDateTime;
      if (map !== undefined) seg.map = map;
      mapOfLastSegment = map;
      p.segments.push(seg);
      pending = fresh();
      continue;
    }
    if (ONCE.has(line.name)) {
      if (seen.has(line.name)) throw parseError(`${line.name} repeated`, line.no);
      seen.add(line.name);
    }
    if (BEFORE_SEGMENTS.has(line.name) && p.segments.length > 0) {
      throw parseError(`${line.name} after the first segment`, line.no);
    }
    switch (line.name) {
      case 'EXT-X-VERSION':
        p.version = parseInteger(valueOf(line), line.name, line.no);
        break;
      case 'EXT-X-TARGETDURATION':
        target = parseInteger(valueOf(line), line.name, line.no);
        break;
      case 'EXT-X-MEDIA-SEQUENCE':
        p.mediaSequence = parseInteger(valueOf(line), line.name, line.no);
        break;
      case 'EXT-X-DISCONTINUITY-SEQUENCE':
        p.discontinuitySequence = parseInteger(valueOf(line), line.name, line.no);
        break;
      case 'EXT-X-INDEPENDENT-SEGMENTS':
        p.independentSegments = true;
        break;
      case 'EXT-X-SERVER-CONTROL':
        p.serverControl = serverControl(attrs(line));
        break;
      case 'EXT-X-PART-INF':
        p.partTargetS = attrs(line).requiredDecimal('PART-TARGET');
        break;
      case 'EXT-X-SKIP':
        p.skippedSegments = attrs(line).requiredInteger('SKIPPED-SEGMENTS');
        break;
      case 'EXT-X-DISCONTINUITY':
        pending.discontinuity = true;
        break;
      case 'EXT-X-GAP':
        pending.gap = true;
        break;
      case 'EXT-X-PROGRAM-DATE-TIME':
        pending.programDateTime = programDateTime(line);
        break;
      case 'EXT-X-MAP':
        map = attrs(line).requiredString('URI');
        break;
      case 'EXTINF': {
        if (pending.durationS !== undefined) throw parseError('two EXTINF for one segment', line.no);
        const inf = extinf(line);
        pending.durationS = inf.durationS;
        if (inf.title !== undefined) pending.title = inf.title;
        break;
      }
      case 'EXT-X-PART':
        pending.parts.push(part(attrs(line)));
        break;
      case 'EXT-X-PRELOAD-HINT':
        p.preloadHints.push(preloadHint(attrs(line)));
        break;
      case 'EXT-X-ENDLIST':
        p.endList = true;
        break;
      case 'EXT-X-RENDITION-REPORT':
        p.renditionReports.push(report(attrs(line)));
        break;
      default:
        if (isMultivariantTag(line.name)) throw parseError(`${line.name} in a media playlist`, line.no);
      // Any other tag is one we do not model: skipped (RFC 8216 6.3.1).
    }
  }
  if (pending.durationS !== undefined) throw parseError('EXTINF without a URI at the end');
  if (target === undefined) throw parseError('no EXT-X-TARGETDURATION');
  p.targetDurationS = target;
  p.openParts = pending.parts;
  if (pending.parts.length > 0 && (pending.discontinuity || map !== mapOfLastSegment)) {
    p.openSegment = { discontinuity: pending.discontinuity };
    if (map !== undefined && map !== mapOfLastSegment) p.openSegment.map = map;
  }
  return p;
}
