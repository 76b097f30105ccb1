/**
 * A single byte range from a Range header (RFC 9110 14.1.2, 14.2), resolved against the body size.
 * Players ask for one range at a time (a segment's tail, a byterange part); a multi-range request is
 * answered with the whole body, which RFC 9110 allows and which keeps the origin from building
 * multipart bodies for a request no real player makes.
 */
export type RangeResult =
  | { kind: 'none' } // no Range header, or one we ignore: send 200 with the full body
  | { kind: 'range'; start: number; end: number } // inclusive end: send 206
  | { kind: 'unsatisfiable' }; // send 416 with Content-Range: bytes */size

const SPEC = /^(\d*)-(\d*)$/;

export function parseRange(header: string | undefined, size: number): RangeResult {
  if (header === undefined) return { kind: 'none' };
  const eq = header.indexOf('=');
  if (eq === -1 || header.slice(0, eq).trim().toLowerCase() !== 'bytes') return { kind: 'none' };
  const spec = header.slice(eq + 1).trim();
  if (spec.includes(',')) return { kind: 'none' };
  const m = SPEC.exec(spec);
  if (m === null) return { kind: 'none' };
  const [, first = '', last = ''] = m;
  // Digits beyond 15 are past any object we hold; treat them as "huge" rather than lose precision.
  const num = (s: string) => (s.length > 15 ? Number.MAX_SAFE_INTEGER : Number(s));
  if (first === '') {
    if (last === '') return { kind: 'none' };
    const suffix = num(last);
    if (suffix === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'range', start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = num(first);
  const end = last === '' ? Number.MAX_SAFE_INTEGER : num(last);
  if (end < start) return { kind: 'none' }; // syntactically invalid: ignore the header
  if (start >= size) return { kind: 'unsatisfiable' };
  return { kind: 'range', start, end: Math.min(end, size - 1) };
}
