import type { IncomingMessage } from 'node:http';
import { headerString } from './cache-control.js';
import { objectHeaders, syntheticEntry, type Entry } from './entry.js';
import type { Waiter } from './flight.js';
import type { CacheResult, DoneFn } from './serve.js';
import { upstreamRequestHeaders, type Upstream } from './upstream.js';

/** What answering a request outside the cache needs from the node. */
export interface PassHost {
  name: string;
  upstream: Upstream;
  upstreamStatus(status: string): void;
  deliver(w: Waiter, e: Entry, result: CacheResult): void;
  record: DoneFn;
}

/** Give one waiter its own upstream request (credentials, or an answer that is not for sharing). */
export function passThrough(host: PassHost, w: Waiter): void {
  const headers = upstreamRequestHeaders(w.req.headers, false, host.name, w.req.socket.remoteAddress);
  let answered = false;
  const handle = host.upstream.get(
    w.req.method === 'HEAD' ? 'HEAD' : 'GET',
    w.req.url!,
    headers,
    (up) => {
      answered = true;
      host.upstreamStatus(String(up.statusCode));
      direct(host, w, up);
    },
    () => {
      answered = true;
      host.upstreamStatus('error');
      host.deliver(w, syntheticEntry(502, 'upstream unreachable', 'no-store'), 'ERROR');
    },
  );
  w.res.once('close', () => {
    if (!answered) handle.abort();
  });
}

/** Stream a non-shared upstream answer straight to one waiter; nothing is stored. */
export function direct(host: PassHost, w: Waiter, up: IncomingMessage): void {
  const res = w.res;
  if (res.destroyed) return void up.destroy();
  const h = objectHeaders(up.headers);
  const cl = headerString(up.headers['content-length']);
  if (cl !== undefined) h['content-length'] = cl;
  if (up.headers.age !== undefined) h.age = up.headers.age;
  const upX = headerString(up.headers['x-cache']);
  h['x-cache'] = `${host.name} PASS${upX === undefined ? '' : `, ${upX}`}`;
  res.writeHead(up.statusCode ?? 502, h);
  let bytes = 0;
  up.on('data', (c: Buffer) => (bytes += c.length));
  up.on('error', () => res.destroy());
  up.on('aborted', () => res.destroy());
  up.on('end', () => {
    if (!up.complete) res.destroy();
  });
  res.on('close', () => {
    if (!up.complete) up.destroy();
    host.record(w, 'PASS', bytes);
  });
  up.pipe(res);
}
