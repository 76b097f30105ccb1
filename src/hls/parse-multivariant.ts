import { AttributeList, parseInteger } from './attributes.js';
import { parseError, type ParseLimits } from './limits.js';
import { isMultivariantTag, valueOf, type Line } from './lines.js';
import type { MultivariantPlaylist, Rendition, Variant } from './model.js';

/** Tags of media playlists (RFC 8216 4.3.2, 4.3.3 and the LL-HLS ones): never in a multivariant one. */
const MEDIA_TAGS = new Set([
  'EXTINF',
  'EXT-X-TARGETDURATION',
  'EXT-X-MEDIA-SEQUENCE',
  'EXT-X-DISCONTINUITY-SEQUENCE',
  'EXT-X-ENDLIST',
  'EXT-X-PLAYLIST-TYPE',
  'EXT-X-I-FRAMES-ONLY',
  'EXT-X-DISCONTINUITY',
  'EXT-X-PROGRAM-DATE-TIME',
  'EXT-X-MAP',
  'EXT-X-GAP',
  'EXT-X-BYTERANGE',
  'EXT-X-PART',
  'EXT-X-PART-INF',
  'EXT-X-SERVER-CONTROL',
  'EXT-X-PRELOAD-HINT',
  'EXT-X-RENDITION-REPORT',
  'EXT-X-SKIP',
]);

const MEDIA_TYPES = ['AUDIO', 'VIDEO', 'SUBTITLES', 'CLOSED-CAPTIONS'] as const;

function rendition(a: AttributeList): Rendition {
  const r: Rendition = {
    type: a.requiredEnumerated('TYPE', MEDIA_TYPES),
    groupId: a.requiredString('GROUP-ID'),
    name: a.requiredString('NAME'),
    default: a.yes('DEFAULT'),
    autoselect: a.yes('AUTOSELECT'),
  };
  const optional = {
    uri: 'URI',
    language: 'LANGUAGE',
    channels: 'CHANNELS',
    instreamId: 'INSTREAM-ID',
  } as const;
  for (const [key, name] of Object.entries(optional) as Array<[keyof typeof optional, string]>) {
    const v = a.string(name);
    if (v !== undefined) r[key] = v;
  }
  return r;
}

/** A STREAM-INF's attributes; the URI comes from the next URI line. */
function variant(a: AttributeList): Omit<Variant, 'uri'> {
  const codecs = a.string('CODECS');
  const v: Omit<Variant, 'uri'> = {
    bandwidth: a.requiredInteger('BANDWIDTH'),
    codecs:
      codecs === undefined
        ? []
        : codecs
            .split(',')
            .map((c) => c.trim())
            .filter((c) => c !== ''),
  };
  const avg = a.integer('AVERAGE-BANDWIDTH');
  if (avg !== undefined) v.averageBandwidth = avg;
  const res = a.resolution('RESOLUTION');
  if (res !== undefined) v.resolution = res;
  const fr = a.decimal('FRAME-RATE');
  if (fr !== undefined) v.frameRate = fr;
  const groups = { audio: 'AUDIO', video: 'VIDEO', subtitles: 'SUBTITLES' } as const;
  for (const [key, name] of Object.entries(groups) as Array<[keyof typeof groups, string]>) {
    const g = a.string(name);
    if (g !== undefined) v[key] = g;
  }
  const cc = a.stringOrNone('CLOSED-CAPTIONS');
  if (cc !== undefined) v.closedCaptions = cc;
  return v;
}

/** The multivariant playlist in `lines` (already checked by playlistLines). */
export function parseMultivariantLines(lines: Line[], limits: ParseLimits): MultivariantPlaylist {
  const p: MultivariantPlaylist = {
    kind: 'multivariant',
    version: 1,
    independentSegments: false,
    renditions: [],
    variants: [],
  };
  let versionSeen = false;
  let pending: Omit<Variant, 'uri'> | undefined;
  for (const line of lines) {
    if (line.kind === 'uri') {
      if (pending === undefined) throw parseError('URI without EXT-X-STREAM-INF', line.no, line.text);
      p.variants.push({ uri: line.text, ...pending });
      pending = undefined;
      continue;
    }
    if (pending !== undefined && isMultivariantTag(line.name)) {
      throw parseError('EXT-X-STREAM-INF without a URI', line.no);
    }
    const attrs = () => AttributeList.parse(line.name, valueOf(line), line.no, limits.maxAttributes);
    switch (line.name) {
      case 'EXT-X-VERSION':
        if (versionSeen) throw parseError('EXT-X-VERSION repeated', line.no);
        versionSeen = true;
        p.version = parseInteger(valueOf(line), line.name, line.no);
        break;
      case 'EXT-X-INDEPENDENT-SEGMENTS':
        p.independentSegments = true;
        break;
      case 'EXT-X-MEDIA':
        p.renditions.push(rendition(attrs()));
        break;
      case 'EXT-X-STREAM-INF':
        pending = variant(attrs());
        break;
      default:
        if (MEDIA_TAGS.has(line.name)) throw parseError(`${line.name} in a multivariant playlist`, line.no);
      // I-FRAME-STREAM-INF, SESSION-DATA and tags we do not know: skipped (RFC 8216 6.3.1).
    }
  }
  if (pending !== undefined) throw parseError('EXT-X-STREAM-INF without a URI at the end');
  // Without a variant nothing says this is a multivariant playlist once written back out.
  if (p.variants.length === 0) throw parseError('a multivariant playlist without EXT-X-STREAM-INF');
  return p;
}
