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
 * `obj` with an `etag` field hashed from `body` on first read, then kept: most LL-HLS parts and
 * playlist versions are replaced before any cache asks for them (no LL-HLS viewer, or a TTL edge
 * that skips versions), so hashing each at push time was work nobody used. The field is an
 * enumerable own property, so a spread copy reads it (and hashes, once) like any other.
 */
export function withLazyEtag<T extends { body: Buffer }>(obj: T): T & { readonly etag: string } {
  let etag: string | undefined;
  return Object.defineProperty(obj, 'etag', {
    enumerable: true,
    get: () => (etag ??= computeEtag(obj.body)),
  }) as T & { readonly etag: string };
}
