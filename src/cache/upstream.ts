import http, { type IncomingHttpHeaders, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import https from 'node:https';
import { CorralError } from '../util/errors.js';

/**
 * Multi-worker mode: set on a request one worker sends to the key's owner worker, with the number
 * of workers passed. Only the internal (loopback) listener honours it; it never goes upstream.
 */
export const PEER_HOPS = 'x-corral-peer-hops';

/** Request fields that describe the client connection or that this node sets itself. */
const HOP = new Set([
  PEER_HOPS,
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'content-length',
  'expect',
]);
/** Dropped on shared fetches: the object is fetched whole and unconditionally for everyone. */
const PER_CLIENT = new Set(['range', 'if-range', 'if-none-match', 'if-modified-since', 'if-match']);

export function upstreamRequestHeaders(
  client: IncomingHttpHeaders,
  shared: boolean,
  via: string,
  clientIp: string | undefined,
): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(client)) {
    if (v === undefined || HOP.has(k) || (shared && PER_CLIENT.has(k))) continue;
    out[k] = v;
  }
  // From another worker of this node: it already added Via and X-Forwarded-For for the viewer.
  if (client[PEER_HOPS] !== undefined) return out;
  const prevVia = client.via === undefined ? '' : `${String(client.via)}, `;
  out.via = `${prevVia}1.1 ${via}`;
  if (clientIp !== undefined) {
    const prev = client['x-forwarded-for'];
    out['x-forwarded-for'] = prev === undefined ? clientIp : `${String(prev)}, ${clientIp}`;
  }
  return out;
}

/** How a reused keep-alive socket that the other side had already closed fails. */
function isStaleSocket(e: NodeJS.ErrnoException): boolean {
  return e.code === 'ECONNRESET' || e.code === 'EPIPE' || e.message === 'socket hang up';
}

export interface UpstreamHandle {
  abort(): void;
}

/**
 * Where a fetch goes: the node's upstream, an owner worker, or (in tests and the simulator) an
 * in-memory origin. Exactly one of the callbacks runs, unless the handle is aborted first.
 */
export interface Fetcher {
  get(
    method: 'GET' | 'HEAD',
    path: string,
    headers: OutgoingHttpHeaders,
    onResponse: (res: IncomingMessage) => void,
    onError: (err: Error) => void,
  ): UpstreamHandle;
}

/**
 * One upstream origin reached over a keep-alive pool. Socket idleness (before headers or in the
 * body) beyond `timeoutMs` fails the request, so a stalled origin cannot hold a fetch forever.
 */
export interface UpstreamTrust {
  /** Authorization value sent on every request (tier-to-tier credential). */
  auth?: string | undefined;
  /** Extra CA certificates (PEM) for an https upstream with a private CA. */
  ca?: string | Buffer | undefined;
  /** Told of each GET sent a second time after a pooled socket closed unanswered (a metric). */
  onRetry?: (() => void) | undefined;
}

export class Upstream implements Fetcher {
  readonly base: URL;
  readonly #agent: http.Agent;
  readonly #spare: http.Agent;
  readonly #timeoutMs: number;
  readonly #auth: string | undefined;
  readonly #onRetry: (() => void) | undefined;

  constructor(baseUrl: string, timeoutMs: number, maxSockets: number, trust: UpstreamTrust = {}) {
    this.base = new URL(baseUrl);
    if (this.base.protocol !== 'http:' && this.base.protocol !== 'https:') {
      throw new CorralError('CONFIG_INVALID', `upstream must be http(s): ${baseUrl}`);
    }
    const opts = { keepAlive: true, maxSockets, maxFreeSockets: 64, scheduling: 'lifo' as const };
    this.#agent =
      this.base.protocol === 'https:'
        ? new https.Agent({ ...opts, ...(trust.ca === undefined ? {} : { ca: trust.ca }) })
        : new http.Agent(opts);
    this.#timeoutMs = timeoutMs;
    // Retries get a new connection each (no keep-alive): they are rare, and must not meet a
    // pooled socket that went stale at the same moment as the first.
    const spare = { maxSockets: maxSockets, keepAlive: false };
    this.#spare =
      this.base.protocol === 'https:'
        ? new https.Agent({ ...spare, ...(trust.ca === undefined ? {} : { ca: trust.ca }) })
        : new http.Agent(spare);
    this.#auth = trust.auth === '' ? undefined : trust.auth;
    this.#onRetry = trust.onRetry;
  }

  /** Path and query below the base URL ("/live/a.m3u8?x=1" under "http://h/base" -> "/base/live/..."). */
  pathFor(requestPath: string): string {
    const prefix = this.base.pathname.replace(/\/+$/, '');
    return prefix + requestPath;
  }

  get(
    method: 'GET' | 'HEAD',
    path: string,
    headers: OutgoingHttpHeaders,
    onResponse: (res: IncomingMessage) => void,
    onError: (err: Error) => void,
  ): UpstreamHandle {
    const mod = this.base.protocol === 'https:' ? https : http;
    let failed = false;
    let current: http.ClientRequest | undefined;
    const fail = (err: Error) => {
      if (failed) return;
      failed = true;
      onError(err);
    };
    const send = (retried: boolean) => {
      const req = mod.request({
        protocol: this.base.protocol,
        hostname: this.base.hostname,
        port: this.base.port,
        method,
        path: this.pathFor(path),
        headers:
          this.#auth === undefined
            ? { ...headers, host: this.base.host }
            : { ...headers, host: this.base.host, authorization: this.#auth },
        agent: retried ? this.#spare : this.#agent,
      });
      current = req;
      let answered = false;
      req.setTimeout(this.#timeoutMs, () => {
        req.destroy(
          new CorralError('UPSTREAM_TIMEOUT', `upstream idle ${this.#timeoutMs} ms`, { recoverable: true }),
        );
      });
      req.on('error', (e: NodeJS.ErrnoException) => {
        // A connection the upstream closed before answering: most often a kept-alive socket whose
        // keep-alive timeout raced our request (the busier the machine, the likelier), sometimes
        // several at once after a burst. Nothing was answered, so a GET goes once more, on a
        // connection of its own outside the pool (another pooled one may be just as stale),
        // instead of failing every viewer coalesced behind it (seen in the soak: a shared 502).
        if (!retried && !answered && !failed && isStaleSocket(e)) {
          this.#onRetry?.();
          return send(true);
        }
        fail(new CorralError('UPSTREAM_FAILED', e.message, { recoverable: true, cause: e }));
      });
      req.on('response', (res) => {
        answered = true;
        if (!failed) onResponse(res);
        else res.destroy();
      });
      req.end();
    };
    send(false);
    return {
      abort: () => {
        failed = true;
        current?.destroy();
      },
    };
  }

  close(): void {
    this.#agent.destroy();
    this.#spare.destroy();
  }
}
