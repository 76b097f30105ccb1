import type { IncomingMessage, ServerResponse } from 'node:http';
import { ifRangeAllows, notModified } from '../http/conditional.js';
import { headerString } from '../http/fields.js';
import { formatHttpDate } from '../http/date.js';
import { contentRange, parseRange, unsatisfiedRange } from '../http/range.js';
import { PLAYLIST_STALE_IF_ERROR_S, playlistStaleWhileRevalidateS } from '../hls/lifetime.js';
import type { StoredObject } from './types.js';

/**
 * The longest a playlist may be cached, whatever the packager asks for. The packager passes at
 * most half the target duration (LL-HLS server profile); the longest target it allows is 10 s, so
 * anything above 5 s is a bug upstream, and a stale playlist stalls every viewer behind the cache.
 */
export const PLAYLIST_MAX_AGE_CAP_S = 5;

/**
 * Cache-Control by kind. Init and media segments never change once written (a new segment gets a
 * new name): immutable. An init segment may be kept as long as configured; a live segment or part
 * only as long as the packager says it can be asked for (its time in the window plus the
 * availability time), counted from when it was stored, so every cache, ours or any CDN's, drops
 * it when the origin does instead of when its byte budget runs out. Playlists change every part or
 * segment: max-age is whole seconds, so a fraction rounds DOWN (rounding up would let caches serve
 * a playlist longer than the packager allowed), and 0 means "revalidate every time". A cached
 * playlist may also be served stale for one more lifetime while the cache refreshes it in the
 * background (stale-while-revalidate), so a refresh never holds a poller up, and for longer while
 * the upstream fails (stale-if-error), so a dead shield or origin is not a wall of errors.
 */
export function cacheControlFor(obj: StoredObject, immutableMaxAgeS: number, now: number): string {
  if (obj.kind === 'playlist' || obj.kind === 'multivariant') {
    const asked = obj.maxAgeS ?? 1;
    const s = Math.floor(Math.min(Number.isFinite(asked) ? asked : 0, PLAYLIST_MAX_AGE_CAP_S));
    if (s <= 0) return 'no-cache';
    const swr = playlistStaleWhileRevalidateS(s);
    return `public, max-age=${s}, stale-while-revalidate=${swr}, stale-if-error=${PLAYLIST_STALE_IF_ERROR_S}`;
  }
  if ((obj.kind === 'segment' || obj.kind === 'part') && obj.maxAgeS !== undefined) {
    const left = Math.floor(obj.maxAgeS - Math.max(0, now - obj.storedAt) / 1000);
    return `public, max-age=${Math.max(1, Math.min(left, immutableMaxAgeS))}, immutable`;
  }
  return `public, max-age=${immutableMaxAgeS}, immutable`;
}

/**
 * Serve a stored object to GET or HEAD: validators, conditional requests and single byte ranges.
 * `cacheControl` overrides the kind's default (blocking playlist reloads live longer in caches).
 */
export function serveObject(
  req: IncomingMessage,
  res: ServerResponse,
  obj: StoredObject,
  immutableMaxAgeS: number,
  now: number,
  cacheControl?: string,
): void {
  const head = req.method === 'HEAD';
  const size = obj.body.length;
  const lastModified = formatHttpDate(obj.storedAt);
  const common: Record<string, string | number> = {
    etag: obj.etag,
    'last-modified': lastModified,
    'cache-control': cacheControl ?? cacheControlFor(obj, immutableMaxAgeS, now),
    'accept-ranges': 'bytes',
  };

  // RFC 9110 13.2.2: If-None-Match wins; If-Modified-Since only counts without it.
  const h = req.headers;
  if (notModified(headerString(h['if-none-match']), h['if-modified-since'], obj.etag, obj.storedAt)) {
    res.writeHead(304, common);
    res.end();
    return;
  }

  const rangeAllowed = ifRangeAllows(headerString(h['if-range']), obj.etag, lastModified);
  const range = parseRange(rangeAllowed ? h.range : undefined, size);
  const typed = { ...common, 'content-type': obj.contentType, 'x-content-type-options': 'nosniff' };

  if (range.kind === 'unsatisfiable') {
    res.writeHead(416, { ...common, 'content-range': unsatisfiedRange(size), 'content-length': 0 });
    res.end();
    return;
  }
  if (range.kind === 'range') {
    const length = range.end - range.start + 1;
    res.writeHead(206, {
      ...typed,
      'content-range': contentRange(range.start, range.end, size),
      'content-length': length,
    });
    res.end(head ? undefined : obj.body.subarray(range.start, range.end + 1));
    return;
  }
  res.writeHead(200, { ...typed, 'content-length': size });
  res.end(head ? undefined : obj.body);
}
