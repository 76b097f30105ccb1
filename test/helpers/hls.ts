/**
 * A strict reader of HLS playlists for tests: parses what corral emits and checks the RFC 8216
 * rules the issues name, returning a list of violations (empty = valid).
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

function attr(line: string): string {
  return line.slice(line.indexOf(':') + 1);
}

export function parseMediaPlaylist(text: string): MediaPlaylist {
  const lines = text.split('\n').map((l) => l.trim());
  if (lines[0] !== '#EXTM3U') throw new Error('playlist does not start with #EXTM3U');
  const p: MediaPlaylist = {
    version: NaN,
    targetDuration: NaN,
    mediaSequence: 0,
    discontinuitySequence: 0,
    segments: [],
    ended: false,
  };
  let pending: Partial<MediaSegmentEntry> = {};
  let map: string | undefined;
  for (const line of lines.slice(1)) {
    if (line === '') continue;
    if (line.startsWith('#EXT-X-VERSION:')) p.version = Number(attr(line));
    else if (line.startsWith('#EXT-X-TARGETDURATION:')) p.targetDuration = Number(attr(line));
    else if (line.startsWith('#EXT-X-MEDIA-SEQUENCE:')) p.mediaSequence = Number(attr(line));
    else if (line.startsWith('#EXT-X-DISCONTINUITY-SEQUENCE:')) p.discontinuitySequence = Number(attr(line));
    else if (line === '#EXT-X-DISCONTINUITY') pending.discontinuity = true;
    else if (line === '#EXT-X-GAP') pending.gap = true;
    else if (line.startsWith('#EXT-X-MAP:')) map = /URI="([^"]+)"/.exec(line)?.[1];
    else if (line.startsWith('#EXT-X-PROGRAM-DATE-TIME:')) pending.programDateTime = Date.parse(attr(line));
    else if (line.startsWith('#EXTINF:')) pending.duration = Number(attr(line).split(',')[0]);
    else if (line === '#EXT-X-ENDLIST') p.ended = true;
    else if (!line.startsWith('#')) {
      p.segments.push({
        sequence: p.mediaSequence + p.segments.length,
        duration: pending.duration ?? NaN,
        uri: line,
        discontinuity: pending.discontinuity ?? false,
        map,
        programDateTime: pending.programDateTime,
        gap: pending.gap ?? false,
      });
      pending = {};
    }
  }
  return p;
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
  const lines = text.split('\n').map((l) => l.trim());
  if (lines[0] !== '#EXTM3U') throw new Error('multivariant playlist does not start with #EXTM3U');
  const out: VariantStream[] = [];
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    if (!l.startsWith('#EXT-X-STREAM-INF:')) continue;
    const a = attr(l);
    const get = (k: string) => new RegExp(`(?:^|,)${k}=("[^"]*"|[^,]*)`).exec(a)?.[1]?.replace(/"/g, '');
    const v: VariantStream = {
      uri: lines[i + 1]!,
      bandwidth: Number(get('BANDWIDTH')),
      codecs: (get('CODECS') ?? '').split(',').filter(Boolean),
    };
    const avg = get('AVERAGE-BANDWIDTH');
    if (avg) v.averageBandwidth = Number(avg);
    const res = get('RESOLUTION');
    if (res) v.resolution = res;
    const fr = get('FRAME-RATE');
    if (fr) v.frameRate = Number(fr);
    out.push(v);
  }
  return out;
}

export interface LowLatencyInfo {
  serverControl: Record<string, string>;
  partTarget: number;
  /** Parts in order, with the segment they belong to (the open segment's are last). */
  parts: Array<{ msn: number; duration: number; uri: string; independent: boolean; lastOfSegment: boolean }>;
  preloadHint?: string;
  reports: Array<{ uri: string; lastMsn: number; lastPart: number }>;
  skipped: number;
}

function attrs(line: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of attr(line).matchAll(/([A-Z0-9-]+)=("[^"]*"|[^,]*)/g)) out[m[1]!] = m[2]!.replace(/"/g, '');
  return out;
}

/** The LL-HLS tags of a media playlist (draft-pantos-hls-rfc8216bis). */
export function parseLowLatency(text: string): LowLatencyInfo {
  const lines = text.split('\n').map((l) => l.trim());
  const info: LowLatencyInfo = { serverControl: {}, partTarget: NaN, parts: [], reports: [], skipped: 0 };
  let msn = 0;
  let pending: LowLatencyInfo['parts'] = [];
  for (const line of lines) {
    if (line.startsWith('#EXT-X-MEDIA-SEQUENCE:')) msn = Number(attr(line));
    else if (line.startsWith('#EXT-X-SERVER-CONTROL:')) info.serverControl = attrs(line);
    else if (line.startsWith('#EXT-X-PART-INF:')) info.partTarget = Number(attrs(line)['PART-TARGET']);
    else if (line.startsWith('#EXT-X-SKIP:')) {
      info.skipped = Number(attrs(line)['SKIPPED-SEGMENTS']);
      msn += info.skipped;
    } else if (line.startsWith('#EXT-X-PART:')) {
      const a = attrs(line);
      pending.push({
        msn,
        duration: Number(a.DURATION),
        uri: a.URI!,
        independent: a.INDEPENDENT === 'YES',
        lastOfSegment: false,
      });
    } else if (line.startsWith('#EXT-X-PRELOAD-HINT:')) info.preloadHint = attrs(line).URI;
    else if (line.startsWith('#EXT-X-RENDITION-REPORT:')) {
      const a = attrs(line);
      info.reports.push({ uri: a.URI!, lastMsn: Number(a['LAST-MSN']), lastPart: Number(a['LAST-PART']) });
    } else if (line !== '' && !line.startsWith('#')) {
      if (pending.length > 0) pending[pending.length - 1]!.lastOfSegment = true;
      info.parts.push(...pending);
      pending = [];
      msn++;
    }
  }
  info.parts.push(...pending);
  return info;
}

/** The LL-HLS rules corral promises (draft-pantos-hls-rfc8216bis 4.4.3.7, 4.4.3.8, 4.4.4.9). */
export function checkLowLatency(p: MediaPlaylist, ll: LowLatencyInfo): string[] {
  const bad: string[] = [];
  const sc = ll.serverControl;
  if (sc['CAN-BLOCK-RELOAD'] !== 'YES') bad.push('CAN-BLOCK-RELOAD is not YES');
  if (!(Number(sc['CAN-SKIP-UNTIL']) >= 6 * p.targetDuration))
    bad.push(`CAN-SKIP-UNTIL ${sc['CAN-SKIP-UNTIL']} < 6 TD`);
  if (!(Number(sc['PART-HOLD-BACK']) >= 2 * ll.partTarget))
    bad.push(`PART-HOLD-BACK ${sc['PART-HOLD-BACK']} < 2 part targets`);
  if (!(Number(sc['HOLD-BACK']) >= 3 * p.targetDuration)) bad.push(`HOLD-BACK ${sc['HOLD-BACK']} < 3 TD`);
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
