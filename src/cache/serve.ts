import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { ifRangeAllows, NOT_MODIFIED_FIELDS, notModified } from '../http/conditional.js';
import { formatHttpDate, parseHttpDate } from '../http/date.js';
import { headerString } from '../http/fields.js';
import { contentRange, parseRange, unsatisfiedRange } from '../http/range.js';
import type { SharedBody } from './body.js';
import { currentAgeMs, JOIN_MAX_BYTES, type Entry } from './entry.js';
import type { CacheResult, DoneFn, Waiter } from './waiter.js';

function isNotModified(w: Waiter, e: Entry): boolean {
  if (e.status !== 200) return false;
  const rh = w.req.headers;
  const ims = headerString(rh['if-modified-since']);
  const lastModified =
    ims === undefined || e.lastModified === undefined ? undefined : parseHttpDate(e.lastModified);
  return notModified(headerString(rh['if-none-match']), ims, e.etag, lastModified);
}

function baseHeaders(e: Entry, name: string, result: CacheResult, ageS: number): OutgoingHttpHeaders {
  const h: OutgoingHttpHeaders = { ...e.headers };
  h.age = String(ageS);
  const mine = `${name} ${result}`;
  h['x-cache'] = e.upstreamXCache === undefined ? mine : `${mine}, ${e.upstreamXCache}`;
  return h;
}

/** The last header set built for an entry's plain 200: reused while age and result are the same. */
interface Memo {
  source: OutgoingHttpHeaders;
  name: string;
  result: CacheResult;
  ageS: number;
  out: OutgoingHttpHeaders;
}
const memos = new WeakMap<Entry, Memo>();

/**
 * Headers of a whole-body 200 from a complete entry. Building them (copy, Age, X-Cache, lengths)
 * was ~5% of a cached 2 KB hit; they only change once a second (Age), so hits share one object.
 * node:http reads a writeHead() object without modifying it, so sharing it is safe.
 */
function plainHeaders(e: Entry, name: string, result: CacheResult, ageS: number): OutgoingHttpHeaders {
  const m = memos.get(e);
  if (
    m !== undefined &&
    m.ageS === ageS &&
    m.result === result &&
    m.source === e.headers &&
    m.name === name
  ) {
    return m.out;
  }
  const out = baseHeaders(e, name, result, ageS);
  out['accept-ranges'] = 'bytes';
  out['content-length'] = String(e.body.length);
  memos.set(e, { source: e.headers, name, result, ageS, out });
  return out;
}

interface WireMemo {
  source: OutgoingHttpHeaders;
  name: string;
  result: CacheResult;
  ageS: number;
  date: string;
  /** By [close][head only]: the bytes to write for a GET or HEAD on a kept or closing connection. */
  answers: [[Buffer[] | undefined, Buffer[] | undefined], [Buffer[] | undefined, Buffer[] | undefined]];
}
const wireMemos = new WeakMap<Entry, WireMemo>();

/**
 * The bytes of a cached 200 (HIT, or STALE within stale-while-revalidate) as they go on the
 * wire, for the connection front's hit path (src/http/front.ts): the same fields plainHeaders()
 * gives node:http, plus what node:http adds itself (Date, Connection, Keep-Alive), then the body
 * (not for HEAD). Made once per entry per second and shared by every hit; a large body's chunks
 * are the entry's own, never copied.
 */
export function wireAnswer(
  e: Entry,
  name: string,
  result: CacheResult,
  now: number,
  close: boolean,
  headOnly: boolean,
  keepAliveS: number,
): readonly Buffer[] {
  const ageS = Math.floor(currentAgeMs(e, now) / 1000);
  const date = formatHttpDate(now);
  let m = wireMemos.get(e);
  if (
    m === undefined ||
    m.ageS !== ageS ||
    m.date !== date ||
    m.result !== result ||
    m.source !== e.headers ||
    m.name !== name
  ) {
    m = {
      source: e.headers,
      name,
      result,
      ageS,
      date,
      answers: [
        [undefined, undefined],
        [undefined, undefined],
      ],
    };
    wireMemos.set(e, m);
  }
  const slot = m.answers[close ? 1 : 0];
  const have = slot[headOnly ? 1 : 0];
  if (have !== undefined) return have;
  let text = 'HTTP/1.1 200 OK\r\n';
  for (const [k, v] of Object.entries(plainHeaders(e, name, result, ageS))) {
    if (v === undefined) continue;
    if (Array.isArray(v)) for (const one of v) text += `${k}: ${one}\r\n`;
    else text += `${k}: ${v}\r\n`;
  }
  text += `date: ${date}\r\n`;
  text += close
    ? 'connection: close\r\n\r\n'
    : `connection: keep-alive\r\nkeep-alive: timeout=${keepAliveS}\r\n\r\n`;
  const head = Buffer.from(text, 'latin1');
  const chunks = e.body.chunks;
  let out: Buffer[];
  if (headOnly || chunks.length === 0) out = [head];
  else if (e.body.length <= JOIN_MAX_BYTES) {
    // One write instead of a corked pair saved ~1.5 us of ~13 per 2 KB answer on a bare socket.
    // Made once per entry per second (Age and Date change), charged by entrySize, and never a
    // slice of the shared 8 KB pool, which it would pin for the entry's life.
    const joined = Buffer.allocUnsafeSlow(head.length + e.body.length);
    let at = head.copy(joined, 0);
    for (const c of chunks) at += c.copy(joined, at);
    out = [joined];
  } else out = [head, ...chunks];
  slot[headOnly ? 1 : 0] = out;
  return out;
}

/** Answer one client from an entry: 304, 206/416 for Range, HEAD, or the streamed body. */
export function serveEntry(
  w: Waiter,
  e: Entry,
  name: string,
  result: CacheResult,
  done: DoneFn,
  now: number,
): void {
  const { req, res } = w;
  if (res.destroyed || res.headersSent) return done(w, result, 0);
  const ageS = Math.floor(currentAgeMs(e, now) / 1000);
  const rh = req.headers;
  if (
    e.status === 200 &&
    e.body.complete &&
    rh.range === undefined &&
    rh['if-none-match'] === undefined &&
    rh['if-modified-since'] === undefined
  ) {
    // The common cached hit: no per-request header building, no closures.
    res.writeHead(200, plainHeaders(e, name, result, ageS));
    if (req.method === 'HEAD') {
      res.end();
      return done(w, result, 0);
    }
    return pipeBody(e.body, res, 0, undefined, w, result, done);
  }
  const headers = baseHeaders(e, name, result, ageS);
  if (isNotModified(w, e)) {
    const h: OutgoingHttpHeaders = {};
    for (const k of NOT_MODIFIED_FIELDS) {
      if (headers[k] !== undefined) h[k] = headers[k];
    }
    for (const k of Object.keys(headers)) if (k.startsWith('access-control-')) h[k] = headers[k];
    res.writeHead(304, h);
    res.end();
    return done(w, result, 0);
  }
  const total = e.body.totalLength;
  let start = 0;
  let end: number | undefined;
  let status = e.status;
  if (total !== undefined && e.status === 200) {
    headers['accept-ranges'] = 'bytes';
    const allowed = ifRangeAllows(headerString(rh['if-range']), e.etag, e.lastModified);
    const r = parseRange(allowed ? headerString(rh.range) : undefined, total);
    if (r.kind === 'unsatisfiable') {
      res.writeHead(416, { ...headers, 'content-range': unsatisfiedRange(total), 'content-length': '0' });
      res.end();
      return done(w, result, 0);
    }
    if (r.kind === 'range') {
      [start, end] = [r.start, r.end + 1];
      status = 206;
      headers['content-range'] = contentRange(r.start, r.end, total);
    }
  }
  const length = (end ?? total ?? -1) - start;
  if (total !== undefined) headers['content-length'] = String(length);
  res.writeHead(status, headers);
  if (req.method === 'HEAD' || status === 204 || status === 304) {
    res.end();
    return done(w, result, 0);
  }
  pipeBody(e.body, res, start, end, w, result, done);
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
  w: Waiter,
  result: CacheResult,
  onDone: DoneFn,
): void {
  const last = body.chunks.length === 1 ? body.chunks[0]! : undefined;
  if (body.complete && last !== undefined) {
    // Fast path for the common cached case (a complete single-chunk body): no cursor, no listeners.
    const to = Math.min(end ?? last.length, last.length);
    res.end(start === 0 && to === last.length ? last : last.subarray(start, to));
    return onDone(w, result, to - start);
  }
  const done = (bytes: number) => onDone(w, result, bytes);
  let pos = start;
  let ci = 0;
  let base = 0; // absolute offset of body.chunks[ci]
  let gen = body.generation;
  let draining = false;
  let finished = false;
  const finish = () => {
    if (finished) return;
    finished = true;
    body.unsubscribe(pump);
    res.off('close', onClose);
    done(pos - start);
  };
  const onClose = () => finish();
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
        return finish();
      }
      if (pos >= body.length) {
        if (body.error === undefined) return; // wait for the next append
        // Headers (and a length) went out already: only a reset tells the client it is short.
        res.destroy(body.error);
        return finish();
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
        return finish();
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
