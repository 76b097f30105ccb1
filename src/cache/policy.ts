import type { IncomingHttpHeaders } from 'node:http';
import { parseCacheControl, type Directives } from '../http/cache-control.js';
import { parseHttpDate } from '../http/date.js';
import { headerString } from '../http/fields.js';

/** What this node may do with one upstream response. */
export interface Policy {
  /** May be given to other clients that asked concurrently (false: private, no-store, Set-Cookie). */
  shareable: boolean;
  /** May be kept for later requests. */
  storable: boolean;
  lifetimeMs: number;
  swrMs: number;
  sieMs: number;
  mustRevalidate: boolean;
  immutable: boolean;
  /**
   * Within stale-while-revalidate, the first request after expiry waits for the refresh it starts;
   * only those arriving while it runs get the stale copy (set by the live rules on playlists).
   */
  refreshFirst: boolean;
  /**
   * RFC 9111 3.5: may answer a request that carries Authorization from storage (the response
   * said public, s-maxage or must-revalidate).
   */
  forCredentials: boolean;
}

/** This tier's own rules for what an upstream answer leaves unsaid (see the cache schema). */
export interface PolicyDefaults {
  /** stale-if-error window for successful answers that name none. */
  readonly staleIfErrorMs: number;
  /** Lifetime of a 404/410 that names none (0: not kept). */
  readonly notFoundTtlMs: number;
}

export const NO_DEFAULTS: PolicyDefaults = { staleIfErrorMs: 0, notFoundTtlMs: 0 };

/** Error answers are shared with the waiters of one fetch but kept at most this long (issue 3). */
export const ERROR_TTL_MS = 1000;

/**
 * Freshness lifetime per RFC 9111 4.2.1 for a shared cache: s-maxage, then max-age, then
 * Expires - Date. No heuristic freshness: a live object without explicit lifetime is better
 * fetched again than guessed at. `now` stands in for a missing Date (RFC 9110 6.6.1: the
 * recipient's receipt time).
 */
export function freshnessLifetimeMs(
  d: Directives,
  headers: IncomingHttpHeaders,
  now: number,
): number | undefined {
  if (d.sMaxAge !== undefined) return d.sMaxAge * 1000;
  if (d.maxAge !== undefined) return d.maxAge * 1000;
  const expires = headerString(headers.expires);
  if (expires !== undefined) {
    const exp = parseHttpDate(expires);
    const date = parseHttpDate(headerString(headers.date)) || now;
    return Number.isNaN(exp) ? 0 : Math.max(0, exp - date);
  }
  return undefined;
}

export function decidePolicy(
  status: number,
  headers: IncomingHttpHeaders,
  now: number,
  defaults: PolicyDefaults = NO_DEFAULTS,
): Policy {
  const d = parseCacheControl(headers['cache-control']);
  const vary = headerString(headers.vary)?.trim();
  const shareable = !d.private && !d.noStore && headers['set-cookie'] === undefined && vary !== '*';
  let lifetime = freshnessLifetimeMs(d, headers, now);
  if (lifetime === undefined && (status === 404 || status === 410) && defaults.notFoundTtlMs > 0) {
    lifetime = defaults.notFoundTtlMs;
  }
  if (d.noCache) lifetime = 0;
  const isError = status >= 500;
  if (isError && lifetime !== undefined) lifetime = Math.min(lifetime, ERROR_TTL_MS);
  const swrMs = isError ? 0 : (d.staleWhileRevalidate ?? 0) * 1000;
  // A stale 404 is no better than an error page: the default window is for real content only.
  // Nor for an immutable answer: its max-age already says how long it can be asked for (a live
  // segment's covers its time in the window and the availability time after it); kept past
  // that, a segment no playlist lists would hold memory for nobody. An upstream that names a
  // stale-if-error window still gets it.
  const sieDefault = status < 400 && !d.noCache && !d.immutable ? defaults.staleIfErrorMs : 0;
  const sieMs = isError ? 0 : d.staleIfError === undefined ? sieDefault : d.staleIfError * 1000;
  // 206 and 304 are never stored: we always fetch whole objects, and 304s update entries.
  const storable = shareable && status !== 206 && status !== 304 && lifetime !== undefined && lifetime > 0;
  return {
    shareable,
    storable,
    lifetimeMs: lifetime ?? 0,
    swrMs: d.mustRevalidate ? 0 : swrMs,
    sieMs: d.mustRevalidate ? 0 : sieMs,
    mustRevalidate: d.mustRevalidate,
    immutable: d.immutable,
    refreshFirst: false,
    forCredentials: d.public || d.sMaxAge !== undefined || d.mustRevalidate,
  };
}
