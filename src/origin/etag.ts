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
