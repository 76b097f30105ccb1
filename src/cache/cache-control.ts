import type { IncomingHttpHeaders } from 'node:http';

/** Response Cache-Control directives a shared cache acts on (RFC 9111 section 5.2.2). */
export interface Directives {
  maxAge?: number;
  sMaxAge?: number;
  noStore: boolean;
  noCache: boolean;
  private: boolean;
  public: boolean;
  immutable: boolean;
  mustRevalidate: boolean;
  staleWhileRevalidate?: number;
  staleIfError?: number;
}

/** Longest lifetime we accept, in seconds: RFC 9111 1.2.2 suggests 2^31 as "infinity". */
const MAX_DELTA = 2_147_483_648;

function deltaSeconds(v: string | undefined): number {
  if (v === undefined || !/^\d+$/.test(v)) return 0; // invalid max-age means stale (RFC 9111 4.2.1)
  return Math.min(Number(v), MAX_DELTA);
}

/**
 * Parse one or more Cache-Control header values. Quoted values (private="set-cookie") may hold
 * commas, so we split on commas outside quotes only. Unknown directives are ignored.
 */
export function parseCacheControl(value: string | string[] | undefined): Directives {
  const d: Directives = {
    noStore: false,
    noCache: false,
    private: false,
    public: false,
    immutable: false,
    mustRevalidate: false,
  };
  if (value === undefined) return d;
  const text = Array.isArray(value) ? value.join(',') : value;
  if (text.length > 4096) return d; // absurd header: act as if absent rather than spend time on it
  for (const part of text.match(/(?:[^,"]|"[^"]*")+/g) ?? []) {
    const eq = part.indexOf('=');
    const name = (eq < 0 ? part : part.slice(0, eq)).trim().toLowerCase();
    const raw = eq < 0 ? undefined : part.slice(eq + 1).trim();
    const val = raw?.startsWith('"') ? raw.slice(1, -1) : raw;
    switch (name) {
      case 'max-age':
        d.maxAge = deltaSeconds(val);
        break;
      case 's-maxage':
        d.sMaxAge = deltaSeconds(val);
        break;
      case 'no-store':
        d.noStore = true;
        break;
      case 'no-cache':
        // The qualified form (no-cache="field") only restricts fields; we treat it as unqualified,
        // which RFC 9111 5.2.2.4 allows.
        d.noCache = true;
        break;
      case 'private':
        d.private = true;
        break;
      case 'public':
        d.public = true;
        break;
      case 'immutable':
        d.immutable = true;
        break;
      case 'must-revalidate':
      case 'proxy-revalidate':
        d.mustRevalidate = true;
        break;
      case 'stale-while-revalidate':
        d.staleWhileRevalidate = deltaSeconds(val);
        break;
      case 'stale-if-error':
        d.staleIfError = deltaSeconds(val);
        break;
    }
  }
  return d;
}

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
}

/** Error answers are shared with the waiters of one fetch but kept at most this long (issue 3). */
export const ERROR_TTL_MS = 1000;

export function headerString(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v.join(', ') : v;
}

/**
 * Freshness lifetime per RFC 9111 4.2.1 for a shared cache: s-maxage, then max-age, then
 * Expires - Date. No heuristic freshness: a live object without explicit lifetime is better
 * fetched again than guessed at.
 */
export function freshnessLifetimeMs(d: Directives, headers: IncomingHttpHeaders): number | undefined {
  if (d.sMaxAge !== undefined) return d.sMaxAge * 1000;
  if (d.maxAge !== undefined) return d.maxAge * 1000;
  const expires = headerString(headers.expires);
  if (expires !== undefined) {
    const exp = Date.parse(expires);
    const date = Date.parse(headerString(headers.date) ?? '') || Date.now();
    return Number.isNaN(exp) ? 0 : Math.max(0, exp - date);
  }
  return undefined;
}

export function decidePolicy(status: number, headers: IncomingHttpHeaders): Policy {
  const d = parseCacheControl(headers['cache-control']);
  const vary = headerString(headers.vary)?.trim();
  const shareable = !d.private && !d.noStore && headers['set-cookie'] === undefined && vary !== '*';
  let lifetime = freshnessLifetimeMs(d, headers);
  if (d.noCache) lifetime = 0;
  const isError = status >= 500;
  if (isError && lifetime !== undefined) lifetime = Math.min(lifetime, ERROR_TTL_MS);
  const swrMs = isError ? 0 : (d.staleWhileRevalidate ?? 0) * 1000;
  const sieMs = isError ? 0 : (d.staleIfError ?? 0) * 1000;
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
  };
}
