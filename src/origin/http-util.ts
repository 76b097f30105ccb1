import type { ServerResponse } from 'node:http';
import { sendPreflight as sendCorsPreflight } from '../http/cors.js';

export { applyCors } from '../http/cors.js';

export const ALLOWED_METHODS = 'GET, HEAD, OPTIONS, PUT, DELETE';

export function sendPreflight(res: ServerResponse): void {
  sendCorsPreflight(res, ALLOWED_METHODS);
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
