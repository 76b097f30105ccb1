import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import { SharedBody } from './body.js';
import { parseHttpDate } from '../http/date.js';
import { headerString } from '../http/fields.js';
import { decidePolicy, NO_DEFAULTS, type Policy, type PolicyDefaults } from './policy.js';

/** An upstream answer as this node keeps and serves it (stored or only shared in flight). */
export interface Entry {
  status: number;
  /** Response headers without hop-by-hop fields, Age, X-Cache or Content-Length. */
  headers: OutgoingHttpHeaders;
  body: SharedBody;
  policy: Policy;
  etag: string | undefined;
  lastModified: string | undefined;
  /** Local clock when the response (or its last 304) arrived. */
  responseTime: number;
  /** Age it already had when it arrived (RFC 9111 4.2.3 corrected_initial_age). */
  initialAgeMs: number;
  /** The X-Cache value of the tiers above, kept so viewers see every tier. */
  upstreamXCache: string | undefined;
  /** Vary field names (lowercase) and the values of the request that fetched it. */
  varyNames: string[];
  varyKey: string;
}

/** Fields that describe one connection, not the object (RFC 9110 7.6.1), plus ones we recompute. */
const DROP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'age',
  'x-cache',
  'content-length',
]);

export function objectHeaders(h: IncomingHttpHeaders): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  const conn = (headerString(h.connection) ?? '').toLowerCase();
  const named = new Set(conn.split(',').map((s) => s.trim()));
  for (const [k, v] of Object.entries(h)) {
    if (v === undefined || DROP.has(k) || named.has(k)) continue;
    out[k] = v;
  }
  return out;
}

export function parseVary(h: IncomingHttpHeaders | OutgoingHttpHeaders): string[] {
  const v = h.vary;
  const text = Array.isArray(v) ? v.join(',') : v === undefined ? '' : String(v);
  return text
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s.length > 0 && s !== '*')
    .sort();
}

/** Request values of the Vary fields, normalised so trivial spacing differences still match. */
export function varyKeyOf(names: string[], reqHeaders: IncomingHttpHeaders): string {
  if (names.length === 0) return '';
  return names
    .map((n) => `${n}:${(headerString(reqHeaders[n]) ?? '').replace(/\s+/g, '').toLowerCase()}`)
    .join('\n');
}

export function createEntry(
  status: number,
  upstreamHeaders: IncomingHttpHeaders,
  body: SharedBody,
  requestTime: number,
  reqHeaders: IncomingHttpHeaders,
  now: number,
  defaults: PolicyDefaults = NO_DEFAULTS,
): Entry {
  const headers = objectHeaders(upstreamHeaders);
  const varyNames = parseVary(upstreamHeaders);
  return {
    status,
    headers,
    body,
    policy: decidePolicy(status, upstreamHeaders, now, defaults),
    etag: headerString(upstreamHeaders.etag),
    lastModified: headerString(upstreamHeaders['last-modified']),
    responseTime: now,
    initialAgeMs: initialAge(upstreamHeaders, requestTime, now),
    upstreamXCache: headerString(upstreamHeaders['x-cache']),
    varyNames,
    varyKey: varyKeyOf(varyNames, reqHeaders),
  };
}

/**
 * RFC 9111 4.2.3. Date has one-second resolution, so the apparent age of a fresh response is up to
 * 999 ms of noise; we count it only beyond that, or a 1 s playlist would arrive half stale.
 */
function initialAge(h: IncomingHttpHeaders, requestTime: number, responseTime: number): number {
  const ageValue = Number(headerString(h.age) ?? '0');
  const age = Number.isFinite(ageValue) && ageValue >= 0 ? ageValue * 1000 : 0;
  const date = parseHttpDate(headerString(h.date));
  const apparent = Number.isNaN(date) ? 0 : Math.max(0, responseTime - date - 1000);
  return Math.max(apparent, age + (responseTime - requestTime));
}

export function currentAgeMs(e: Entry, now: number): number {
  return e.initialAgeMs + Math.max(0, now - e.responseTime);
}

export function isFresh(e: Entry, now: number): boolean {
  return currentAgeMs(e, now) < e.policy.lifetimeMs;
}

/** Stale, but inside the stale-while-revalidate window. */
export function inSwrWindow(e: Entry, now: number): boolean {
  return currentAgeMs(e, now) < e.policy.lifetimeMs + e.policy.swrMs;
}

export function inSieWindow(e: Entry, now: number): boolean {
  return currentAgeMs(e, now) < e.policy.lifetimeMs + e.policy.sieMs;
}

/** How long an entry can still be served (fresh, stale-while-revalidate or stale-if-error). */
export function usableMs(e: Entry, now: number): number {
  const p = e.policy;
  return Math.max(0, p.lifetimeMs + Math.max(p.swrMs, p.sieMs) - currentAgeMs(e, now));
}

/** After a 304: same body, headers updated from the 304 (RFC 9111 4.3.4), age restarted. */
export function refreshEntry(
  e: Entry,
  h304: IncomingHttpHeaders,
  requestTime: number,
  now: number,
  defaults: PolicyDefaults = NO_DEFAULTS,
): Entry {
  const merged: IncomingHttpHeaders = {};
  for (const [k, v] of Object.entries(e.headers)) merged[k] = typeof v === 'number' ? String(v) : v;
  for (const [k, v] of Object.entries(objectHeaders(h304))) {
    if (k === 'content-type' || k === 'content-encoding' || k === 'content-range') continue;
    merged[k] = typeof v === 'number' ? String(v) : v;
  }
  merged.age = h304.age;
  const fresh = createEntry(e.status, merged, e.body, requestTime, {}, now, defaults);
  return { ...fresh, varyNames: e.varyNames, varyKey: e.varyKey, upstreamXCache: fresh.upstreamXCache };
}

/**
 * Heap an entry costs beyond what entrySize counts per byte, field and chunk: the Entry, Policy,
 * headers and SharedBody objects, the store's map and LRU slots, the key's string header.
 * Measured (issue 9) by storing 50,000 random-URL 404s received over HTTP from an origin sending
 * corral's 404 headers, on Node 20: heap + external grew 1,339 B per entry (RSS 1,520 B), of
 * which entrySize's per-byte, per-field and per-chunk terms count ~764 B; rounded up for margin,
 * so such an entry is charged ~1,440 B plus its body's native page (MIN_BODY_COST).
 */
export const ENTRY_OVERHEAD = 700;
/** Per header field: two strings' headers and the property slot. */
const FIELD_OVERHEAD = 48;
/** Per body chunk: the Buffer object and its ArrayBuffer's bookkeeping. */
const CHUNK_OVERHEAD = 160;
/**
 * Least a non-empty body costs: its bytes live in their own native allocation, and a small one
 * kept among the many that serving traffic allocates and frees pins a whole page of the native
 * heap. Measured (issue 9) with 50,000 random-URL 404s into a 16 MB store: after a full GC the
 * JS heap held ~1 KB per entry but RSS ~5.6 KB; charged 1.44 KB each, the store's 16 MB cost
 * 65 MB of RSS. Charging the page keeps the budget a bound on what the store really costs.
 */
const MIN_BODY_COST = 4096;

/**
 * A 200 body up to this size goes on the wire joined to its head (serve.ts wireAnswer): one
 * write per cached hit instead of two.
 */
export const JOIN_MAX_BYTES = 4 * 1024;

/**
 * What the hit path's prepared answers add to a 200 (serve.ts wireAnswer): up to four heads (GET
 * and HEAD, kept-alive and closing connections) and, for a body up to JOIN_MAX_BYTES, up to two
 * joined copies of head and body. They live as long as the entry, so the budget counts them.
 */
const WIRE_HEADS_COST = 4 * 512;

/**
 * Bytes an entry costs, for the LRU budget: what it really holds, not just its body, so a flood of
 * tiny 404s is charged what it takes (it was ~512 B against a real ~2.3 KB before issue 9).
 */
export function entrySize(e: Entry, key: string): number {
  let fields = 0;
  for (const k in e.headers) {
    const v = e.headers[k];
    const len = typeof v === 'string' ? v.length : Array.isArray(v) ? v.join(', ').length : 8;
    fields += k.length + len + FIELD_OVERHEAD;
  }
  const length = e.body.totalLength ?? e.body.length;
  const body = length === 0 ? 0 : Math.max(length, MIN_BODY_COST);
  const wire = e.status !== 200 ? 0 : WIRE_HEADS_COST + (length <= JOIN_MAX_BYTES ? 2 * length : 0);
  return (
    ENTRY_OVERHEAD + key.length + fields + body + wire + CHUNK_OVERHEAD * Math.max(1, e.body.chunks.length)
  );
}

/** A response this node makes itself (upstream unreachable, future segment not there). */
export function syntheticEntry(status: number, message: string, cacheControl: string, now: number): Entry {
  const body = SharedBody.of(Buffer.from(message + '\n'));
  return createEntry(
    status,
    { 'content-type': 'text/plain; charset=utf-8', 'cache-control': cacheControl },
    body,
    now,
    {},
    now,
  );
}
