import { createHash } from 'node:crypto';

/**
 * Strong ETag derived from the body alone, so the same bytes pushed twice (a packager restart,
 * a retried PUT) keep their validator and caches keep their copies. SHA-1 is used for speed, not
 * security: an ETag only needs to change when the bytes do. The length prefix makes an accidental
 * collision between different-sized bodies impossible.
 */
export function computeEtag(body: Buffer): string {
  const digest = createHash('sha1').update(body).digest('base64url');
  return `"${body.length.toString(16)}-${digest}"`;
}

/**
 * Does an If-None-Match header match `etag`? RFC 9110 13.1.2 uses the weak comparison here, so a
 * "W/" prefix on a listed tag is ignored; "*" matches any current representation.
 */
export function ifNoneMatchHits(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  const trimmed = header.trim();
  if (trimmed === '*') return true;
  const opaque = etag.startsWith('W/') ? etag.slice(2) : etag;
  for (const part of trimmed.split(',')) {
    const tag = part.trim();
    const candidate = tag.startsWith('W/') ? tag.slice(2) : tag;
    if (candidate === opaque) return true;
  }
  return false;
}
