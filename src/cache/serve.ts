import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { SharedBody } from './body.js';
import { headerString } from './cache-control.js';
import { currentAgeMs, type Entry } from './entry.js';

/** How a request was answered, for X-Cache and the metrics. */
export type CacheResult = 'HIT' | 'MISS' | 'COALESCED' | 'STALE' | 'REVALIDATED' | 'PASS' | 'HELD' | 'ERROR';

export interface ServeInfo {
  name: string;
  result: CacheResult;
  /** Called once with the body bytes written (0 for HEAD/304) and whether the answer completed. */
  done: (bytes: number, ok: boolean) => void;
}

/** If-None-Match uses the weak comparison (RFC 9110 13.1.2): W/ prefixes do not matter. */
function etagMatches(inm: string, etag: string | undefined): boolean {
  if (etag === undefined) return false;
  if (inm.trim() === '*') return true;
  const bare = etag.replace(/^W\//, '');
  return inm.split(',').some((t) => t.trim().replace(/^W\//, '') === bare);
}

function notModified(req: IncomingMessage, e: Entry): boolean {
  if (e.status !== 200) return false;
  const inm = headerString(req.headers['if-none-match']);
  if (inm !== undefined) return etagMatches(inm, e.etag);
  const ims = headerString(req.headers['if-modified-since']);
  if (ims !== undefined && e.lastModified !== undefined) {
    const a = Date.parse(ims);
    const b = Date.parse(e.lastModified);
    return !Number.isNaN(a) && !Number.isNaN(b) && b <= a;
  }
  return false;
}

/** One satisfiable byte range, 'unsatisfiable', or undefined to serve the whole body. */
export function parseRange(
  h: string | undefined,
  total: number,
): [number, number] | 'unsatisfiable' | undefined {
  if (h === undefined) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(h.trim());
  // Multiple ranges or other units: RFC 9110 14.2 lets us ignore Range and send 200.
  if (m === null || (m[1] === '' && m[2] === '')) return undefined;
  if (m[1] === '') {
    const n = Number(m[2]);
    if (n === 0) return 'unsatisfiable';
    return [Math.max(0, total - n), total - 1];
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? total - 1 : Math.min(Number(m[2]), total - 1);
  if (m[2] !== '' && Number(m[2]) < start) return undefined; // invalid: ignore
  if (start >= total) return 'unsatisfiable';
  return [start, end];
}

function baseHeaders(e: Entry, info: ServeInfo): OutgoingHttpHeaders {
  const h: OutgoingHttpHeaders = { ...e.headers };
  h.age = String(Math.floor(currentAgeMs(e) / 1000));
  const mine = `${info.name} ${info.result}`;
  h['x-cache'] = e.upstreamXCache === undefined ? mine : `${mine}, ${e.upstreamXCache}`;
  return h;
}

/** Answer one client from an entry: 304, 206/416 for Range, HEAD, or the streamed body. */
export function serveEntry(req: IncomingMessage, res: ServerResponse, e: Entry, info: ServeInfo): void {
  if (res.destroyed || res.headersSent) return info.done(0, false);
  const headers = baseHeaders(e, info);
  if (notModified(req, e)) {
    const h: OutgoingHttpHeaders = {};
    for (const k of ['etag', 'cache-control', 'expires', 'date', 'vary', 'last-modified', 'age', 'x-cache']) {
      if (headers[k] !== undefined) h[k] = headers[k];
    }
    for (const k of Object.keys(headers)) if (k.startsWith('access-control-')) h[k] = headers[k];
    res.writeHead(304, h);
    res.end();
    return info.done(0, true);
  }
  const total = e.body.totalLength;
  let start = 0;
  let end: number | undefined;
  let status = e.status;
  if (total !== undefined && e.status === 200) {
    headers['accept-ranges'] = 'bytes';
    const r = parseRange(headerString(req.headers.range), total);
    if (r === 'unsatisfiable') {
      res.writeHead(416, { ...headers, 'content-range': `bytes */${total}`, 'content-length': '0' });
      res.end();
      return info.done(0, true);
    }
    if (r !== undefined) {
      [start, end] = [r[0], r[1] + 1];
      status = 206;
      headers['content-range'] = `bytes ${r[0]}-${r[1]}/${total}`;
    }
  }
  const length = (end ?? total ?? -1) - start;
  if (total !== undefined) headers['content-length'] = String(length);
  res.writeHead(status, headers);
  if (req.method === 'HEAD' || status === 204 || status === 304) {
    res.end();
    return info.done(0, true);
  }
  pipeBody(e.body, res, start, end, info.done);
}

/**
 * Stream a shared body into one response from byte `start` to `end` (exclusive), following the
 * body as it grows. write() returning false parks this reader until 'drain', so one slow viewer
 * holds a cursor, never a growing buffer.
 */
export function pipeBody(
  body: SharedBody,
  res: ServerResponse,
  start: number,
  end: number | undefined,
  done: (bytes: number, ok: boolean) => void,
): void {
  const last = body.chunks.length === 1 ? body.chunks[0]! : undefined;
  if (body.complete && last !== undefined) {
    // Fast path for the common cached case (a complete single-chunk body): no cursor, no listeners.
    const to = Math.min(end ?? last.length, last.length);
    res.end(start === 0 && to === last.length ? last : last.subarray(start, to));
    return done(to - start, true);
  }
  let pos = start;
  let ci = 0;
  let base = 0; // absolute offset of body.chunks[ci]
  let gen = body.generation;
  let draining = false;
  let finished = false;
  const finish = (ok: boolean) => {
    if (finished) return;
    finished = true;
    body.unsubscribe(pump);
    res.off('close', onClose);
    done(pos - start, ok);
  };
  const onClose = () => finish(pos >= (end ?? body.totalLength ?? Infinity));
  const onDrain = () => {
    draining = false;
    pump();
  };
  function pump(): void {
    if (finished || draining) return;
    // Corked, the slices of one wake-up leave in a single writev instead of one syscall each.
    res.cork();
    try {
      drainLoop();
    } finally {
      res.uncork();
    }
  }
  function drainLoop(): void {
    while (true) {
      const limit = end ?? (body.complete ? body.length : Infinity);
      if (pos >= limit) {
        res.end();
        return finish(true);
      }
      if (pos >= body.length) {
        if (body.error === undefined) return; // wait for the next append
        // Headers (and a length) went out already: only a reset tells the client it is short.
        res.destroy(body.error);
        return finish(false);
      }
      if (gen !== body.generation) [gen, ci, base] = [body.generation, 0, 0];
      while (base + body.chunks[ci]!.length <= pos) base += body.chunks[ci++]!.length;
      const chunk = body.chunks[ci]!;
      const from = pos - base;
      const to = Math.min(chunk.length, limit - base);
      const slice = from === 0 && to === chunk.length ? chunk : chunk.subarray(from, to);
      pos += slice.length;
      if (pos >= limit) {
        res.end(slice); // the common cached case: last (often only) slice and the end in one call
        return finish(true);
      }
      if (!res.write(slice)) {
        draining = true;
        res.once('drain', onDrain);
        return;
      }
    }
  }
  res.on('close', onClose);
  body.subscribe(pump);
  pump();
}
