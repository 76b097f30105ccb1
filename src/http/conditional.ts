import { parseHttpDate } from './date.js';

/**
 * Validators and conditional requests (RFC 9110 8.8.3, 13.1, 13.2.2), shared by the origin (which
 * mints strong ETags) and the cache tier (which serves whatever validators upstream sent).
 */

/** Fields a 304 repeats from the 200 it stands for (RFC 9110 15.4.5), besides any CORS ones. */
export const NOT_MODIFIED_FIELDS: readonly string[] = [
  'etag',
  'cache-control',
  'expires',
  'date',
  'vary',
  'last-modified',
  'age',
  'x-cache',
];

/** The opaque part of an entity-tag: W/"x" and "x" share it. */
function opaque(tag: string): string {
  return tag.startsWith('W/') ? tag.slice(2) : tag;
}

/** Weak comparison (RFC 9110 8.8.3.2): the opaque tags are equal, W/ or not. */
export function weakMatch(a: string, b: string): boolean {
  return opaque(a) === opaque(b);
}

/** Strong comparison: neither is weak and they are equal character for character. */
export function strongMatch(a: string, b: string): boolean {
  return !a.startsWith('W/') && a === b;
}

/**
 * Call `fn` on each entity-tag of a list field (If-Match, If-None-Match) until it returns true.
 * A quoted tag may itself hold a comma (etagc includes %x2C), so the list is scanned, not split.
 * An unquoted element (a broken client or upstream) counts as the text up to the next comma.
 */
function someTag(list: string, fn: (tag: string) => boolean): boolean {
  let i = 0;
  const n = list.length;
  while (i < n) {
    const c = list.charCodeAt(i);
    if (c === 0x20 || c === 0x09 || c === 0x2c) {
      i++;
      continue;
    }
    const start = i;
    if (list.startsWith('W/"', i)) i += 2;
    let end: number;
    if (list.charCodeAt(i) === 0x22) {
      const close = list.indexOf('"', i + 1);
      if (close < 0) return false; // unterminated: nothing after it can be trusted
      end = close + 1;
    } else {
      const comma = list.indexOf(',', i);
      end = comma < 0 ? n : comma;
    }
    const tag = list.slice(start, end).trim();
    if (tag !== '' && fn(tag)) return true;
    i = end;
  }
  return false;
}

/**
 * If-None-Match (RFC 9110 13.1.2), weak comparison: true when the condition is false, i.e. a GET
 * or HEAD gets 304. "*" matches any current representation, with or without an ETag.
 */
export function ifNoneMatchHits(header: string | undefined, etag: string | undefined): boolean {
  if (header === undefined) return false;
  if (header.trim() === '*') return true;
  if (etag === undefined) return false;
  return someTag(header, (t) => weakMatch(t, etag));
}

/**
 * If-Modified-Since (RFC 9110 13.1.3): true when the representation has not changed since the
 * date, i.e. 304. An unparseable date is ignored. HTTP dates have whole seconds, so the last
 * modification is compared at that resolution.
 */
export function ifModifiedSinceHits(header: string | undefined, lastModifiedMs: number | undefined): boolean {
  if (header === undefined || lastModifiedMs === undefined || !Number.isFinite(lastModifiedMs)) return false;
  const since = parseHttpDate(header);
  return Number.isFinite(since) && Math.floor(lastModifiedMs / 1000) * 1000 <= since;
}

/**
 * A GET or HEAD answered with 304 (RFC 9110 13.2.2): If-None-Match decides when present, and
 * If-Modified-Since counts only without it.
 */
export function notModified(
  ifNoneMatch: string | undefined,
  ifModifiedSince: string | undefined,
  etag: string | undefined,
  lastModifiedMs: number | undefined,
): boolean {
  if (ifNoneMatch !== undefined) return ifNoneMatchHits(ifNoneMatch, etag);
  return ifModifiedSinceHits(ifModifiedSince, lastModifiedMs);
}

/**
 * If-Range (RFC 9110 13.1.5): may the Range be honoured? Only when the client's copy is this very
 * version: an entity-tag must match strongly (a weak one never does), a date must equal
 * Last-Modified exactly.
 */
export function ifRangeAllows(
  header: string | undefined,
  etag: string | undefined,
  lastModified: string | undefined,
): boolean {
  if (header === undefined) return true;
  const v = header.trim();
  if (v.startsWith('"') || v.startsWith('W/')) return etag !== undefined && strongMatch(v, etag);
  if (lastModified === undefined) return false;
  if (v === lastModified) return true;
  const a = parseHttpDate(v);
  return Number.isFinite(a) && a === parseHttpDate(lastModified);
}
