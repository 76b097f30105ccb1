import type http from 'node:http';
import type net from 'node:net';
import { Duplex } from 'node:stream';
import { MAX_HEAD_BYTES, parseRequestHead, type PlainRequest } from './request-head.js';
import { adoptSharedReads } from '../util/shared-reads.js';

/**
 * A listener's connection front: plain GET/HEAD requests that the owner can answer from prepared
 * bytes (a cached hit) are answered straight on the socket; every other request goes through
 * node:http as before, over a per-connection bridge. node:http's request and response objects,
 * header parsing and listeners cost most of a cached hit's CPU (~110 µs against nginx's ~30 on
 * this machine), so the hit path skips them and the rest keeps node:http's full behaviour.
 *
 * One request at a time per connection, in order: while node:http answers a bridged request, the
 * next one waits. A connection whose request is not plain (a body, HTTP/1.0, an odd line) is
 * handed to node:http for good, bytes and all, so only node:http ever reads such a stream.
 */

export interface FrontOptions {
  /** Answers bridged and handed-over requests (its own timeouts and limits apply to them). */
  server: http.Server;
  /**
   * The whole answer to a plain request as bytes to write (head, then body unless HEAD; shared,
   * e.g. a cached entry's, not copied), or undefined to let node:http answer it.
   */
  answer(req: PlainRequest, socket: net.Socket): readonly Buffer[] | undefined;
  /** A keep-alive connection silent this long with nothing in progress is closed. */
  keepAliveTimeoutMs: number;
  /** A request head not complete this long after its first byte: the connection is closed. */
  headersTimeoutMs: number;
  /** `answer` threw: the request went to node:http instead; this is for the log. */
  onError(err: unknown): void;
  /** Move plain TCP connections to the shared read buffer (shared-reads.ts). */
  sharedReads: boolean;
}

/** Unparsed bytes kept while a bridged answer is in progress; past this the socket is paused. */
const MAX_PENDING = 64 * 1024;
const CRLF2 = Buffer.from('\r\n\r\n');

/** Does `next`, read after bytes ending in `before`, complete a blank line (the end of a head)? */
function endsWithin(before: Buffer, next: Buffer): boolean {
  if (next.indexOf(CRLF2) >= 0) return true;
  const n = Math.min(3, next.length);
  return Buffer.concat([before, next.subarray(0, n)]).indexOf(CRLF2) >= 0;
}

/**
 * Install the front on `server`'s connections: call `front.accept(socket)` from a net or TLS
 * server's connection handler. A net server should be made with `pauseOnConnect`, so that its
 * sockets can read into the shared buffer (shared-reads.ts); others read 'data' as usual.
 */
export class Front {
  readonly #o: FrontOptions;

  constructor(o: FrontOptions) {
    this.#o = o;
    // node:http learns which responses went over a bridge, to resume the fast path after them.
    o.server.prependListener('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
      const s = req.socket;
      if (s instanceof Bridge) s.began(res);
    });
    // node:http checks request and header timeouts on a timer it starts when it listens; these
    // bridged connections come from our listener, so it is started here.
    o.server.emit('listening');
  }

  /** Returns the socket the connection lives on from now on (a plain one may be moved). */
  accept(socket: net.Socket): net.Socket {
    let conn: Conn | undefined;
    const moved = this.#o.sharedReads
      ? adoptSharedReads(socket, (chunk) => conn!.read(chunk, true))
      : undefined;
    if (moved !== undefined) {
      conn = new Conn(moved, this.#o, false);
      return moved;
    }
    new Conn(socket, this.#o, true);
    if (socket.isPaused()) socket.resume();
    return socket;
  }
}

type Mode = 'fast' | 'bridged' | 'handed' | 'closed';

class Conn {
  readonly #s: net.Socket;
  readonly #o: FrontOptions;
  #mode: Mode = 'fast';
  /** Bytes read and not yet answered: `#pending` is contiguous, `#later` arrived after it. */
  #pending: Buffer | undefined;
  /**
   * What arrived after `#pending` before it could be parsed, in one buffer grown by doubling: a
   * head sent a byte at a time costs neither a copy of everything before it per byte nor a Buffer
   * object per byte (tens of thousands of them within MAX_PENDING), so what is held stays within
   * twice the bytes counted against the limits below.
   */
  #later: Buffer | undefined;
  #laterBytes = 0;
  /** The last (up to) three bytes held: a blank line may start there and end in the next read. */
  #tail: Buffer = Buffer.alloc(0);
  /** When the first byte of an incomplete head arrived. */
  #headSince = 0;
  #bridge: Bridge | undefined;
  /** A fast answer could not all be written: wait for 'drain' before reading the next request. */
  #blocked = false;

  /** `dataEvents`: read 'data' events; otherwise the owner calls read() with each chunk. */
  constructor(socket: net.Socket, o: FrontOptions, dataEvents: boolean) {
    this.#s = socket;
    this.#o = o;
    socket.setNoDelay(true);
    socket.setTimeout(o.keepAliveTimeoutMs);
    socket.on('timeout', () => this.#onTimeout());
    if (dataEvents) socket.on('data', (d: Buffer) => this.read(d, false));
    socket.on('drain', () => {
      if (!this.#blocked) return;
      this.#blocked = false;
      this.#parse();
    });
    socket.on('end', () => {
      if (this.#bridge !== undefined) this.#bridge.push(null);
      else if (this.#mode === 'fast' || this.#mode === 'bridged') socket.end();
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      this.#mode = 'closed';
      this.#bridge?.destroy();
    });
  }

  #onTimeout(): void {
    // Silent this long: close, unless node:http is still answering (a held request may take
    // seconds). A handed-over head that trickles in is node:http's to time out (headersTimeout).
    if (this.#bridge !== undefined && this.#bridge.active > 0) return;
    this.#s.destroy();
  }

  /**
   * Bytes read from the socket. `borrowed`: `d` is the shared read buffer, valid only during this
   * call, so whatever is kept past it is copied (on a whole request answered at once: nothing).
   */
  read(d: Buffer, borrowed: boolean): void {
    if (this.#mode === 'handed') {
      // node:http reads at its own pace: a client sending faster is paused until it catches up.
      if (!this.#bridge!.push(borrowed ? Buffer.from(d) : d)) this.#s.pause();
      return;
    }
    if (this.#mode === 'closed') return;
    if (this.#pending === undefined) {
      // The common case: a whole head (or several) in one read.
      this.#pending = d;
      this.#tail = d.subarray(Math.max(0, d.length - 3));
      this.#headSince = performance.now();
      if (this.#mode === 'fast' && !this.#blocked) this.#parse();
      if (borrowed) this.#keep(d);
      return;
    }
    // Appended (a copy, so a borrowed read is safe), joined to #pending once it can be parsed.
    const endsHead = endsWithin(this.#tail, d);
    this.#append(d);
    this.#tail = Buffer.from(this.#later!.subarray(Math.max(0, this.#laterBytes - 3), this.#laterBytes));
    if (this.#tail.length < 3)
      this.#tail = Buffer.concat([this.#pending.subarray(-3), this.#tail]).subarray(-3);
    const held = this.#pending.length + this.#laterBytes;
    if (this.#mode === 'bridged' || this.#blocked) {
      // One request at a time: this one waits, and a client that keeps sending is paused.
      if (held > MAX_PENDING) this.#s.pause();
      return;
    }
    if (endsHead || held > MAX_HEAD_BYTES) return this.#parse();
    if (performance.now() - this.#headSince > this.#o.headersTimeoutMs) this.#s.destroy();
  }

  #append(d: Buffer): void {
    const need = this.#laterBytes + d.length;
    if (this.#later === undefined || need > this.#later.length) {
      // Its own allocation, not a slice of the shared 8 KB pool, which it would pin.
      const grown = Buffer.allocUnsafeSlow(Math.max(need, 2 * (this.#later?.length ?? 0), 1024));
      this.#later?.copy(grown, 0, 0, this.#laterBytes);
      this.#later = grown;
    }
    d.copy(this.#later, this.#laterBytes);
    this.#laterBytes = need;
  }

  /** After a borrowed read: what is still held of it becomes our own copy. */
  #keep(d: Buffer): void {
    if (this.#pending?.buffer === d.buffer) this.#pending = Buffer.from(this.#pending);
    if (this.#tail.buffer === d.buffer) this.#tail = Buffer.from(this.#tail);
  }

  #parse(): void {
    if (this.#laterBytes > 0) {
      this.#pending = Buffer.concat([this.#pending!, this.#later!.subarray(0, this.#laterBytes)]);
      this.#later = undefined;
      this.#laterBytes = 0;
    }
    let buf = this.#pending;
    let off = 0;
    // Corked only when more than one buffer goes out in this turn (a large body, or pipelined
    // requests): a lone write is cheaper uncorked.
    let corked = false;
    try {
      while (buf !== undefined && off < buf.length && this.#mode === 'fast' && !this.#blocked) {
        const r = parseRequestHead(buf, off);
        if (r.kind === 'more') break;
        if (r.kind === 'other') {
          this.#handOver(buf.subarray(off));
          buf = undefined;
          break;
        }
        const out = this.#prepared(r);
        if (out === undefined) {
          this.#bridgeOne(buf.subarray(off, r.end));
          off = r.end;
          break;
        }
        off = r.end;
        this.#headSince = performance.now();
        if (!corked && (out.length > 1 || off < buf.length)) {
          this.#s.cork();
          corked = true;
        }
        let ok = true;
        for (const b of out) ok = this.#s.write(b);
        if (r.close) {
          this.#mode = 'closed';
          this.#s.end();
          buf = undefined;
          break;
        }
        if (!ok) this.#blocked = true;
      }
    } finally {
      if (corked) this.#s.uncork();
    }
    this.#pending = buf === undefined || off >= buf.length ? undefined : buf.subarray(off);
    if (this.#pending !== undefined && this.#mode === 'fast') {
      if (performance.now() - this.#headSince > this.#o.headersTimeoutMs) this.#s.destroy();
    }
    if (this.#pending === undefined || this.#pending.length <= MAX_PENDING) this.#s.resume();
  }

  /** The owner's prepared answer; a fault in it sends the request the long way, not the process down. */
  #prepared(r: PlainRequest): readonly Buffer[] | undefined {
    try {
      return this.#o.answer(r, this.#s);
    } catch (err) {
      this.#o.onError(err);
      return undefined;
    }
  }

  #bridgeFor(): Bridge {
    if (this.#bridge === undefined) {
      this.#bridge = new Bridge(this.#s, () => this.#bridgedDone());
      this.#o.server.emit('connection', this.#bridge);
    }
    return this.#bridge;
  }

  /** node:http answers this one request; the fast path resumes once its answer is written. */
  #bridgeOne(head: Buffer): void {
    this.#mode = 'bridged';
    // A copy: the head must not pin the whole read buffer while node:http holds it.
    this.#bridgeFor().push(Buffer.from(head));
  }

  #bridgedDone(): void {
    if (this.#mode !== 'bridged') return;
    this.#mode = 'fast';
    this.#headSince = performance.now();
    // Called from inside node:http's response handling: parse the next request afterwards.
    setImmediate(() => {
      if (this.#mode === 'fast' && !this.#s.destroyed) this.#parse();
    });
  }

  /** Not a plain request: node:http reads this connection from here on. */
  #handOver(rest: Buffer): void {
    this.#mode = 'handed';
    this.#bridgeFor().push(Buffer.from(rest));
  }
}

/**
 * What node:http sees as the connection: reads are what the front pushes, writes go to the real
 * socket (with its backpressure), and the socket's address and timer methods are the real ones'.
 */
class Bridge extends Duplex {
  readonly #real: net.Socket;
  readonly #onDone: () => void;
  /** Responses node:http is writing on this bridge right now. */
  active = 0;

  constructor(real: net.Socket, onDone: () => void) {
    super({ allowHalfOpen: true });
    this.#real = real;
    this.#onDone = onDone;
    this.once('finish', () => real.end());
  }

  get remoteAddress(): string | undefined {
    return this.#real.remoteAddress;
  }
  get remotePort(): number | undefined {
    return this.#real.remotePort;
  }
  get remoteFamily(): string | undefined {
    return this.#real.remoteFamily;
  }
  get localAddress(): string | undefined {
    return this.#real.localAddress;
  }
  get localPort(): number | undefined {
    return this.#real.localPort;
  }
  get encrypted(): boolean {
    return (this.#real as net.Socket & { encrypted?: boolean }).encrypted === true;
  }
  /** The front keeps the real socket's timers; node:http's per-socket timeouts do not apply. */
  setTimeout(): this {
    return this;
  }
  setNoDelay(): this {
    return this;
  }
  setKeepAlive(): this {
    return this;
  }

  began(res: http.ServerResponse): void {
    this.active++;
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      this.active--;
      this.#onDone();
    };
    res.once('finish', end);
    res.once('close', end);
  }

  override _read(): void {
    // node:http wants more: a socket paused for it may go on (the front pushes what arrives).
    if (this.#real.isPaused()) this.#real.resume();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    if (this.#real.destroyed) return cb();
    if (this.#real.write(chunk)) return cb();
    this.#real.once('drain', () => cb());
  }

  override _writev(chunks: Array<{ chunk: Buffer }>, cb: (err?: Error | null) => void): void {
    if (this.#real.destroyed) return cb();
    this.#real.cork();
    let ok = true;
    for (const c of chunks) ok = this.#real.write(c.chunk);
    this.#real.uncork();
    if (ok) return cb();
    this.#real.once('drain', () => cb());
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.#real.destroy();
    cb(err);
  }
}
