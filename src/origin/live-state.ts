import { CorralError } from '../util/errors.js';
import { pathProblem } from './paths.js';
import type { PlaylistState } from './types.js';

/**
 * Validation of the PlaylistState the packager pushes with LL-HLS media playlists, shared by both
 * push transports (the HTTP receiver hands a parsed header to the same put), and resolution of
 * the preload hint to an object path.
 */

/**
 * partCounts entries kept per version. Only segments that still list parts matter (the draft
 * removes EXT-X-PART tags older than three target durations): a request for an older segment is
 * answered by lastMsn >= M whatever its part. Keeping the newest entries is therefore lossless,
 * and it bounds both the stored metadata and the X-Corral-Live header.
 */
export const MAX_PART_COUNTS = 256;
/** Longest target duration accepted; it also bounds how long a request may be held (3x). */
const MAX_TARGET_DURATION_S = 60;
const MAX_HINT_LENGTH = 1024;
/** Largest safe sequence number: JSON and Number stay exact below it. */
const MAX_SEQ = Number.MAX_SAFE_INTEGER;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

function int(v: unknown, min: number): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= min && v <= MAX_SEQ;
}

function seconds(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v) && v > 0 && v <= MAX_TARGET_DURATION_S;
}

/**
 * A clean copy of `raw` (unknown fields dropped, partCounts trimmed to the newest entries), or a
 * BAD_REQUEST naming the first bad field. The origin holds requests on these numbers, so a bad
 * state must fail the push rather than strand viewers.
 */
export function sanitizeLiveState(raw: unknown, where: string): PlaylistState {
  const bad = (field: string) =>
    new CorralError('BAD_REQUEST', `bad playlist state for ${where.slice(0, 200)}: ${field}`);
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw bad('not an object');
  const s = raw as Record<string, unknown>;
  if (!int(s.lastMsn, -1)) throw bad('lastMsn');
  // The newest part's segment is the last complete one or a later one (normally the next; after a
  // numbering jump possibly further), never an earlier one.
  if (!int(s.partMsn, -1) || s.partMsn < s.lastMsn) throw bad('partMsn');
  if (!int(s.lastPart, -1)) throw bad('lastPart');
  if (!seconds(s.targetDurationS)) throw bad('targetDurationS');
  if (!seconds(s.partTargetS)) throw bad('partTargetS');
  if (typeof s.ended !== 'boolean') throw bad('ended');
  const hint = s.preloadHint;
  if (
    hint !== undefined &&
    (typeof hint !== 'string' || hint.length === 0 || hint.length > MAX_HINT_LENGTH || CONTROL.test(hint))
  ) {
    throw bad('preloadHint');
  }
  const counts = s.partCounts;
  if (typeof counts !== 'object' || counts === null || Array.isArray(counts)) throw bad('partCounts');
  const entries: Array<[number, number]> = [];
  for (const [k, v] of Object.entries(counts)) {
    const msn = Number(k);
    if (!/^\d{1,16}$/.test(k) || !int(msn, 0) || !int(v, 0)) throw bad(`partCounts[${k.slice(0, 20)}]`);
    entries.push([msn, v]);
  }
  return {
    lastMsn: s.lastMsn,
    partMsn: s.partMsn,
    lastPart: s.lastPart,
    partCounts: newestCounts(entries),
    targetDurationS: s.targetDurationS,
    partTargetS: s.partTargetS,
    ...(hint === undefined ? {} : { preloadHint: hint }),
    ended: s.ended,
  };
}

function newestCounts(entries: Array<[number, number]>): Record<number, number> {
  if (entries.length > MAX_PART_COUNTS) {
    entries.sort((a, b) => b[0] - a[0]);
    entries.length = MAX_PART_COUNTS;
  }
  const out: Record<number, number> = {};
  for (const [msn, n] of entries) out[msn] = n;
  return out;
}

const BASE_HOST = 'origin.invalid';

/**
 * The object path a preload hint names, resolved against the playlist's own path as a player
 * would resolve it (RFC 3986), or undefined when it points elsewhere (another host, an invalid
 * path). The query, if any, does not name a different object at the origin.
 */
export function resolveHint(playlistPath: string, hint: string): string | undefined {
  const base = `http://${BASE_HOST}/${playlistPath.split('/').map(encodeURIComponent).join('/')}`;
  let url: URL;
  try {
    url = new URL(hint, base);
  } catch {
    return undefined;
  }
  if (url.host !== BASE_HOST || url.protocol !== 'http:') return undefined;
  let path: string;
  try {
    path = decodeURIComponent(url.pathname).slice(1);
  } catch {
    return undefined;
  }
  return pathProblem(path) === undefined ? path : undefined;
}

/** Longest X-Corral-Live header either side accepts (Node's default for all headers is 16 KB). */
export const MAX_LIVE_HEADER_BYTES = 8192;

/**
 * The X-Corral-Live header value: JSON with every non-ASCII character escaped, because header
 * values are Latin-1 on the wire and a raw UTF-8 hint would arrive mangled.
 */
export function encodeLiveHeader(state: PlaylistState): string {
  const trimmed = { ...state, partCounts: newestCounts(Object.entries(state.partCounts).map(toPair)) };
  const json = JSON.stringify(trimmed).replace(
    /[\u007f-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  if (json.length > MAX_LIVE_HEADER_BYTES) {
    throw new CorralError('BAD_REQUEST', `playlist state too large for a header (${json.length} bytes)`);
  }
  return json;
}

function toPair([k, v]: [string, number]): [number, number] {
  return [Number(k), v];
}
