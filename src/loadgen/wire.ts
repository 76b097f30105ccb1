import net from 'node:net';
import type { FetchResult, Target } from './fetch.js';

/**
 * The load generator's HTTP/1.1 client: a pool of keep-alive sockets to one server, one request
 * at a time per socket (as a browser's HTTP/1.1 connection), read by a small response parser.
 * node:http's client costs ~100 µs of CPU per request, which capped one worker at a few thousand
 * viewers; this one writes a prepared request line and counts body bytes as they pass, so the
 * generator can drive tens of thousands of viewers from two cores. It only has to understand
 * what a cache tier answers to a GET: Content-Length or chunked bodies, or a body up to close.
 */

/** Past this much silence on a busy socket a request has failed (longer than any blocking hold). */
export const IDLE_TIMEOUT_MS = 15_000;
/** A response head larger than this is not something corral sends: the request fails. */
const MAX_HEAD_BYTES = 64 * 1024;
/** Kept text (playlists) past this is refused rather than held. */
const MAX_TEXT_BYTES = 16 * 1024 * 1024;
const CRLF2 = Buffer.from('\r\n\r\n');

interface Pending {
  path: string;
  keepText: boolean;
  queuedAt: number;
  retried: boolean;
  resolve: (r: FetchResult) => void;
}

type BodyMode = 'length' | 'chunked' | 'close' | 'none';

class Conn {
  readonly socket: net.Socket;
  /** Responses completed on this socket: a request on a used socket may meet its close. */
  served = 0;
  lastActivity = performance.now();
  req: Pending | undefined;
  startedAt = 0;
  // response state
  head: Buffer | undefined;
  status = 0;
  xCache: string | undefined;
  mode: BodyMode = 'none';
  remaining = 0;
  bytes = 0;
  text: Buffer[] = [];
  textBytes = 0;
  closeAfter = false;
  /** A response head split across reads, until its blank line arrives. */
  partial: Buffer | undefined;
  /** Chunked decoding: 'size' reads a size line, 'data' a chunk, 'crlf' its end, 'trailer' the end. */
  chunkState: 'size' | 'data' | 'crlf' | 'trailer' = 'size';
  line = '';

  constructor(socket: net.Socket) {
    this.socket = socket;
  }

  reset(): void {
    this.head = undefined;
    this.status = 0;
    this.xCache = undefined;
    this.mode = 'none';
    this.remaining = 0;
    this.bytes = 0;
    this.text = [];
    this.textBytes = 0;
    this.closeAfter = false;
    this.partial = undefined;
    this.chunkState = 'size';
    this.line = '';
  }
}

export class WirePool {
  readonly #target: Target;
  readonly #max: number;
  readonly #hostHeader: string;
  readonly #idle: Conn[] = [];
  readonly #all = new Set<Conn>();
  readonly #queue: Pending[] = [];
  #queueHead = 0;
  #closed = false;
  readonly #sweep: ReturnType<typeof setInterval>;

  constructor(
    target: Target,
    sockets: number,
    readonly idleTimeoutMs = IDLE_TIMEOUT_MS,
  ) {
    this.#target = target;
    this.#max = Math.max(1, sockets);
    this.#hostHeader = target.host.includes(':')
      ? `[${target.host}]:${target.port}`
      : `${target.host}:${target.port}`;
    // One sweep for every socket instead of a timer per request.
    this.#sweep = setInterval(() => this.#expire(), Math.min(1000, idleTimeoutMs));
    this.#sweep.unref();
  }

  /** Open sockets (busy or idle). */
  get sockets(): number {
    return this.#all.size;
  }

  get(path: string, keepText: boolean): Promise<FetchResult> {
    return new Promise((resolve) => {
      const p: Pending = { path, keepText, queuedAt: performance.now(), retried: false, resolve };
      if (this.#closed) return resolve(failed(p, 'ECLOSED', 0));
      this.#dispatch(p);
    });
  }

  destroy(): void {
    this.#closed = true;
    clearInterval(this.#sweep);
    for (const c of [...this.#all]) this.#fail(c, 'ECLOSED');
    for (let i = this.#queueHead; i < this.#queue.length; i++) {
      const p = this.#queue[i]!;
      p.resolve(failed(p, 'ECLOSED', 0));
    }
    this.#queue.length = 0;
    this.#queueHead = 0;
  }

  #dispatch(p: Pending): void {
    // LIFO: the most recently used socket is the least likely to meet the server's idle close.
    const idle = this.#idle.pop();
    if (idle !== undefined) return this.#send(idle, p);
    if (this.#all.size < this.#max) return this.#send(this.#open(), p);
    this.#queue.push(p);
  }

  #next(): Pending | undefined {
    if (this.#queueHead >= this.#queue.length) return undefined;
    const p = this.#queue[this.#queueHead]!;
    this.#queue[this.#queueHead++] = undefined as unknown as Pending;
    // Compact once the consumed prefix dominates, so the array does not grow for ever.
    if (this.#queueHead > 1024 && this.#queueHead * 2 > this.#queue.length) {
      this.#queue.splice(0, this.#queueHead);
      this.#queueHead = 0;
    }
    return p;
  }

  #open(): Conn {
    const socket = net.connect({ host: this.#target.host, port: this.#target.port });
    socket.setNoDelay(true);
    const c = new Conn(socket);
    this.#all.add(c);
    socket.on('data', (chunk: Buffer) => this.#onData(c, chunk));
    socket.on('error', (e: NodeJS.ErrnoException) => this.#fail(c, e.code ?? 'ESOCKET'));
    socket.on('close', () => this.#fail(c, 'ECONNRESET'));
    return c;
  }

  #send(c: Conn, p: Pending): void {
    c.req = p;
    c.reset();
    c.startedAt = performance.now();
    c.lastActivity = c.startedAt;
    c.socket.write(`GET ${p.path} HTTP/1.1\r\nhost: ${this.#hostHeader}\r\n\r\n`, 'latin1');
  }

  #expire(): void {
    const now = performance.now();
    for (const c of this.#all) {
      if (c.req !== undefined && now - c.lastActivity > this.idleTimeoutMs) this.#fail(c, 'ETIMEDOUT');
    }
  }

  /** The socket is gone (error, close, timeout, bad response): answer its request, free its slot. */
  #fail(c: Conn, code: string): void {
    if (!this.#all.delete(c)) return;
    const i = this.#idle.indexOf(c);
    if (i >= 0) this.#idle.splice(i, 1);
    c.socket.destroy();
    const p = c.req;
    c.req = undefined;
    if (p !== undefined) {
      if (c.mode === 'close' && code === 'ECONNRESET' && c.head !== undefined) {
        // A body delimited by the close: the close is its end.
        this.#complete(c, p);
      } else if (
        c.head === undefined &&
        c.served > 0 &&
        !p.retried &&
        code !== 'ETIMEDOUT' &&
        !this.#closed
      ) {
        // The server closed an idle keep-alive socket as the request went out on it: nothing
        // was answered, so it goes once more on a fresh socket, as browsers do.
        p.retried = true;
        this.#dispatch(p);
        return;
      } else {
        p.resolve(failed(p, code, c.status, c.startedAt, c.bytes));
      }
    }
    // A slot is free: a queued request may open a new socket.
    if (!this.#closed && this.#all.size < this.#max) {
      const q = this.#next();
      if (q !== undefined) this.#send(this.#open(), q);
    }
  }

  #onData(c: Conn, chunk: Buffer): void {
    c.lastActivity = performance.now();
    if (c.req === undefined) return this.#fail(c, 'EUNEXPECTED');
    let off = 0;
    if (c.head === undefined) {
      const buf = c.partial === undefined ? chunk : Buffer.concat([c.partial, chunk]);
      const end = buf.indexOf(CRLF2);
      if (end < 0) {
        if (buf.length > MAX_HEAD_BYTES) return this.#fail(c, 'EHEADTOOBIG');
        c.partial = buf;
        return;
      }
      c.partial = undefined;
      c.head = buf.subarray(0, end);
      if (!this.#parseHead(c)) return this.#fail(c, 'EBADRESPONSE');
      chunk = buf;
      off = end + 4;
    }
    const state = this.#body(c, chunk, off);
    if (state === 'bad') return this.#fail(c, 'EBADRESPONSE');
    if (state === 'done') this.#finish(c);
  }

  #parseHead(c: Conn): boolean {
    const head = c.head!.toString('latin1');
    const m = /^HTTP\/1\.[01] (\d{3})/.exec(head);
    if (!m) return false;
    c.status = Number(m[1]);
    let length: number | undefined;
    let chunked = false;
    let pos = head.indexOf('\r\n');
    while (pos >= 0 && pos < head.length) {
      const next = head.indexOf('\r\n', pos + 2);
      const line = head.slice(pos + 2, next < 0 ? head.length : next);
      pos = next;
      const colon = line.indexOf(':');
      if (colon <= 0) continue;
      const name = line.slice(0, colon).toLowerCase();
      const value = line.slice(colon + 1).trim();
      if (name === 'content-length') {
        if (!/^\d{1,15}$/.test(value)) return false;
        length = Number(value);
      } else if (name === 'transfer-encoding') chunked = /(^|,)\s*chunked\s*$/i.test(value);
      else if (name === 'connection') c.closeAfter = /(^|,)\s*close\s*(,|$)/i.test(value);
      else if (name === 'x-cache') c.xCache = value;
    }
    const bodyless = c.status === 204 || c.status === 304 || (c.status >= 100 && c.status < 200);
    if (c.status < 200) return false; // corral never sends interim responses to a GET
    if (bodyless) c.mode = 'none';
    else if (chunked) c.mode = 'chunked';
    else if (length !== undefined) {
      c.mode = length === 0 ? 'none' : 'length';
      c.remaining = length;
    } else {
      c.mode = 'close';
      c.closeAfter = true;
    }
    return true;
  }

  /** Count (and keep, for text) the body bytes in `chunk` from `off`: is the response whole? */
  #body(c: Conn, chunk: Buffer, off: number): 'more' | 'done' | 'bad' {
    // Bytes past the end of a response: this server does not answer one request at a time.
    if (c.mode === 'none') return off === chunk.length ? 'done' : 'bad';
    if (c.mode === 'length') {
      const n = chunk.length - off;
      if (n > c.remaining) return 'bad';
      c.remaining -= n;
      this.#take(c, chunk, off, chunk.length);
      return c.remaining === 0 ? 'done' : 'more';
    }
    if (c.mode === 'close') {
      this.#take(c, chunk, off, chunk.length);
      return 'more';
    }
    // chunked
    while (off < chunk.length) {
      if (c.chunkState === 'data') {
        const n = Math.min(c.remaining, chunk.length - off);
        this.#take(c, chunk, off, off + n);
        off += n;
        c.remaining -= n;
        if (c.remaining === 0) c.chunkState = 'crlf';
        continue;
      }
      const nl = chunk.indexOf(10, off);
      const end = nl < 0 ? chunk.length : nl + 1;
      c.line += chunk.toString('latin1', off, end);
      off = end;
      if (c.line.length > 1024) return 'bad';
      if (nl < 0) break;
      const line = c.line.trimEnd();
      c.line = '';
      if (c.chunkState === 'crlf') {
        if (line !== '') return 'bad';
        c.chunkState = 'size';
      } else if (c.chunkState === 'size') {
        const size = /^[0-9a-fA-F]{1,12}$/.test(line.split(';', 1)[0]!.trim())
          ? parseInt(line, 16)
          : Number.NaN;
        if (!Number.isSafeInteger(size)) return 'bad';
        if (size === 0) c.chunkState = 'trailer';
        else {
          c.remaining = size;
          c.chunkState = 'data';
        }
      } else if (line === '') {
        // The empty line after the (usually absent) trailers ends the message.
        return off === chunk.length ? 'done' : 'bad';
      }
    }
    return 'more';
  }

  #take(c: Conn, chunk: Buffer, from: number, to: number): void {
    c.bytes += to - from;
    if (c.req?.keepText !== true || to <= from) return;
    c.textBytes += to - from;
    if (c.textBytes <= MAX_TEXT_BYTES) c.text.push(chunk.subarray(from, to));
  }

  #finish(c: Conn): void {
    const p = c.req!;
    c.req = undefined;
    c.served++;
    this.#complete(c, p);
    if (c.closeAfter) {
      this.#all.delete(c);
      c.socket.destroy();
    }
    const q = this.#next();
    if (q !== undefined) {
      if (!c.closeAfter) return this.#send(c, q);
      return this.#dispatch(q);
    }
    if (!c.closeAfter) this.#idle.push(c);
  }

  #complete(c: Conn, p: Pending): void {
    const r: FetchResult = {
      status: c.status,
      bytes: c.bytes,
      ms: performance.now() - c.startedAt,
      queueMs: c.startedAt - p.queuedAt,
    };
    if (p.keepText) {
      if (c.textBytes > MAX_TEXT_BYTES) r.error = 'ETOOLARGE';
      else r.text = Buffer.concat(c.text).toString('utf8');
    }
    if (c.xCache !== undefined) r.xCache = c.xCache;
    c.text = [];
    p.resolve(r);
  }
}

function failed(
  p: Pending,
  code: string,
  status: number,
  startedAt = performance.now(),
  bytes = 0,
): FetchResult {
  return { status, bytes, ms: performance.now() - startedAt, queueMs: startedAt - p.queuedAt, error: code };
}
