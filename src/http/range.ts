/**
 * A single byte range from a Range header (RFC 9110 14.1.2, 14.2), resolved against the body size.
 * Players ask for one range at a time (a segment's tail, a byterange part); a multi-range request is
 * answered with the whole body, which RFC 9110 14.2 allows and which spares both the origin and
 * the cache tier multipart bodies for a request no real player makes.
 */
export type RangeResult =
  | { kind: 'none' } // no Range header, or one we ignore: send 200 with the full body
  | { kind: 'range'; start: number; end: number } // inclusive end: send 206
  | { kind: 'unsatisfiable' }; // send 416 with Content-Range: bytes */size

const NONE: RangeResult = Object.freeze({ kind: 'none' });
const UNSATISFIABLE: RangeResult = Object.freeze({ kind: 'unsatisfiable' });
const SPEC = /^(\d*)-(\d*)$/;

/** Digits beyond 15 are past any object we hold; "huge" keeps the comparisons right without BigInt. */
function num(s: string): number {
  return s.length > 15 ? Number.MAX_SAFE_INTEGER : Number(s);
}

export function parseRange(header: string | undefined, size: number): RangeResult {
  if (header === undefined) return NONE;
  const eq = header.indexOf('=');
  // Range units are case-insensitive (RFC 9110 14.1); an unknown unit means "ignore Range".
  if (eq === -1 || header.slice(0, eq).trim().toLowerCase() !== 'bytes') return NONE;
  const spec = header.slice(eq + 1).trim();
  if (spec.includes(',')) return NONE;
  const m = SPEC.exec(spec);
  if (m === null) return NONE;
  const [, first = '', last = ''] = m;
  if (first === '') {
    if (last === '') return NONE;
    const suffix = num(last);
    // An empty body has no last byte to name: Content-Range cannot describe any part of it, so
    // a suffix range on it is answered like any other range beyond the end (416, bytes */0).
    if (suffix === 0 || size === 0) return UNSATISFIABLE;
    return { kind: 'range', start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = num(first);
  const end = last === '' ? Number.MAX_SAFE_INTEGER : num(last);
  if (end < start) return NONE; // syntactically invalid (RFC 9110 14.1.1): ignore the header
  if (start >= size) return UNSATISFIABLE;
  return { kind: 'range', start, end: Math.min(end, size - 1) };
}

/** Content-Range of a 206 (RFC 9110 14.4). */
export function contentRange(start: number, end: number, size: number): string {
  return `bytes ${start}-${end}/${size}`;
}

/** Content-Range of a 416: the current length, so the client can ask again (RFC 9110 15.5.17). */
export function unsatisfiedRange(size: number): string {
  return `bytes */${size}`;
}
