import net from 'node:net';
import tls from 'node:tls';
import { CorralError } from '../util/errors.js';
import { ClientSession } from './client-session.js';

/** Heap cost of one pending socket write beyond its bytes (write request, callback, Buffer object). */
const WRITE_COST = 256;

export interface PublisherOptions {
  /** rtmp://host[:port][/app] or rtmps://...; without an app, `app` below is used. */
  url: string;
  app: string;
  /** Stream name with its query (the key). */
  stream: string;
  /** Connect + handshake + publish must finish within this, or the upstream counts as down. */
  timeoutMs: number;
}

function endpoint(o: PublisherOptions) {
  const u = new URL(o.url);
  const secure = u.protocol === 'rtmps:';
  if (!secure && u.protocol !== 'rtmp:')
    throw new CorralError('CONFIG_INVALID', `not an rtmp(s) URL: ${o.url}`);
  const app = u.pathname.replace(/^\/+|\/+$/g, '') || o.app;
  const port = Number(u.port || (secure ? 443 : 1935));
  return {
    secure,
    host: u.hostname.replace(/^\[|\]$/g, ''),
    port,
    app,
    tcUrl: `${u.protocol}//${u.host}/${app}`,
  };
}

/**
 * One publishing connection to an upstream RTMP(S) server: resolves once the upstream said
 * Publish.Start, and then takes media. It never retries; the relay decides what to do when it ends.
 */
export class RtmpPublisher {
  readonly #socket: net.Socket;
  readonly #session: ClientSession;
  #pending = 0;
  #closed = false;
  #onClose: ((why: string) => void) | undefined;

  private constructor(socket: net.Socket, session: ClientSession) {
    this.#socket = socket;
    this.#session = session;
  }

  static connect(o: PublisherOptions): Promise<RtmpPublisher> {
    const ep = endpoint(o);
    return new Promise((resolve, reject) => {
      const socket = ep.secure
        ? tls.connect({ host: ep.host, port: ep.port, servername: net.isIP(ep.host) ? undefined : ep.host })
        : net.connect({ host: ep.host, port: ep.port });
      socket.setNoDelay(true);
      let settled = false;
      const fail = (e: CorralError) => {
        if (settled) return p.#end(e.message);
        settled = true;
        clearTimeout(timer);
        socket.destroy();
        reject(e);
      };
      const session = new ClientSession(
        { tcUrl: ep.tcUrl, app: ep.app, stream: o.stream },
        {
          send: (d) => p.#write(d),
          published: () => {
            settled = true;
            clearTimeout(timer);
            resolve(p);
          },
          refused: fail,
        },
      );
      const p = new RtmpPublisher(socket, session);
      const timer = setTimeout(
        () =>
          fail(
            new CorralError('UPSTREAM_TIMEOUT', `${o.url}: no Publish.Start in ${o.timeoutMs} ms`, {
              recoverable: true,
            }),
          ),
        o.timeoutMs,
      );
      socket.once(ep.secure ? 'secureConnect' : 'connect', () => session.start());
      socket.on('data', (d: Buffer) => session.feed(d));
      socket.on('error', (e) =>
        fail(new CorralError('UPSTREAM_FAILED', `${o.url}: ${e.message}`, { recoverable: true })),
      );
      socket.on('close', () =>
        fail(new CorralError('UPSTREAM_FAILED', `${o.url}: connection closed`, { recoverable: true })),
      );
    });
  }

  /** Bytes handed to the socket and not yet flushed, each write charged its overhead too. */
  get backlog(): number {
    return this.#pending;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Called once when the connection ends after the publish started (not after close()). */
  onClose(cb: (why: string) => void): void {
    this.#onClose = cb;
  }

  media(typeId: number, timestamp: number, payload: Buffer): void {
    if (!this.#closed) this.#write(this.#session.media(typeId, timestamp, payload));
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#onClose = undefined;
    this.#socket.end();
    // end() waits for the peer's FIN; a stalled upstream must not keep the socket forever.
    setTimeout(() => this.#socket.destroy(), 2000).unref();
  }

  #write(d: Buffer): void {
    if (this.#socket.destroyed) return;
    const cost = d.length + WRITE_COST;
    this.#pending += cost;
    this.#socket.write(d, () => (this.#pending -= cost));
  }

  #end(why: string): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#socket.destroy();
    const cb = this.#onClose;
    this.#onClose = undefined;
    cb?.(why);
  }
}
