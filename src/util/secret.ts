import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * The one comparison of a presented secret (stream key, push token, tier credential) with the
 * accepted ones. Both sides are SHA-256 digests first, so timingSafeEqual always sees equal lengths
 * and the time taken says nothing about the secret's length or content; every accepted digest is
 * compared, matched or not. Callers keep only digests, so a heap dump or a stray log shows no key.
 */
export function secretDigest(secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest();
}

export function secretMatches(given: string | undefined, accepted: readonly Buffer[]): boolean {
  const d = secretDigest(given ?? '');
  let ok = false;
  for (const a of accepted) ok = timingSafeEqual(d, a) || ok;
  return ok && given !== undefined;
}
