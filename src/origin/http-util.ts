import type { ServerResponse } from 'node:http';

/**
 * Browser players (hls.js) fetch from another origin than the page, and read a few response
 * headers (Age and X-Cache for latency and cache-hit displays, Content-Range for byte ranges), so
 * every response carries the same CORS headers, whatever its status.
 */
const CORS_HEADERS: Readonly<Record<string, string>> = {
  'access-control-allow-origin': '*',
  'access-control-expose-headers': 'Age, Content-Length, Content-Range, Date, ETag, Last-Modified, X-Cache',
};

const PREFLIGHT_HEADERS: Readonly<Record<string, string>> = {
  'access-control-allow-methods': 'GET, HEAD, OPTIONS',
  'access-control-allow-headers': 'Range, If-None-Match, If-Modified-Since',
  // Browsers cap this anyway (Chromium: 2 h); it only saves preflight round trips.
  'access-control-max-age': '86400',
};

export const ALLOWED_METHODS = 'GET, HEAD, OPTIONS, PUT, DELETE';

export function applyCors(res: ServerResponse): void {
  for (const [k, v] of Object.entries(CORS_HEADERS)) res.setHeader(k, v);
}

export function sendPreflight(res: ServerResponse): void {
  res.writeHead(204, {
    ...PREFLIGHT_HEADERS,
    allow: ALLOWED_METHODS,
    'cache-control': 'public, max-age=86400',
  });
  res.end();
}

/** A short text response. `head` suppresses the body but keeps its length, as HEAD must. */
export function sendText(
  res: ServerResponse,
  status: number,
  text: string,
  headers: Record<string, string | number> = {},
  head = false,
): void {
  const body = Buffer.from(text.endsWith('\n') ? text : `${text}\n`, 'utf8');
  res.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': body.length,
    'x-content-type-options': 'nosniff',
    ...headers,
  });
  res.end(head ? undefined : body);
}

export function sendJson(
  res: ServerResponse,
  status: number,
  value: unknown,
  headers: Record<string, string | number> = {},
  head = false,
): void {
  const body = Buffer.from(JSON.stringify(value), 'utf8');
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': body.length,
    ...headers,
  });
  res.end(head ? undefined : body);
}
