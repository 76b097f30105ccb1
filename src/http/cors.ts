import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';

/**
 * Browser players (hls.js) fetch from another origin than the page, and read a few response
 * headers (Age and X-Cache for latency and cache-hit displays, Content-Range for byte ranges), so
 * every response carries the same CORS headers, whatever its status. The origin and every cache
 * tier answer with these, so a player sees one rule whichever tier it reaches.
 */
export const CORS_HEADERS: Readonly<Record<string, string>> = {
  'access-control-allow-origin': '*',
  'access-control-expose-headers': 'Age, Content-Length, Content-Range, Date, ETag, Last-Modified, X-Cache',
};

const PREFLIGHT_HEADERS: Readonly<Record<string, string>> = {
  'access-control-allow-methods': 'GET, HEAD, OPTIONS',
  // X-Playback-Token: players that can set headers may send the playback token that way.
  'access-control-allow-headers': 'Range, If-None-Match, If-Modified-Since, X-Playback-Token',
  // Browsers cap this anyway (Chromium: 2 h); it only saves preflight round trips.
  'access-control-max-age': '86400',
};

export function applyCors(res: ServerResponse): void {
  for (const [k, v] of Object.entries(CORS_HEADERS)) res.setHeader(k, v);
}

/** The headers of a CORS preflight answer (204), for a server that allows `allow`. */
export function preflightHeaders(allow: string): OutgoingHttpHeaders {
  return {
    ...CORS_HEADERS,
    ...PREFLIGHT_HEADERS,
    allow,
    'cache-control': 'public, max-age=86400',
  };
}

/** Answer a CORS preflight. */
export function sendPreflight(res: ServerResponse, allow: string): void {
  res.writeHead(204, preflightHeaders(allow));
  res.end();
}
