import { secretDigest, secretMatches } from '../util/secret.js';
import { readFileSync } from 'node:fs';
import http, { type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import net, { type AddressInfo } from 'node:net';
import tls from 'node:tls';
import { Front } from '../http/front.js';
import type { PlainRequest } from '../http/request-head.js';
import { CORS_HEADERS, preflightHeaders } from '../http/cors.js';
import { headerString } from '../http/fields.js';
import type { CacheConfig } from '../config/schema.js';
import { serveMetrics, type Registry } from '../metrics/registry.js';
import { realClock, type Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import { HttpAnswerer } from './answer.js';
import { CacheCore, coreSettingsOf, MAX_HOPS } from './core.js';
import { FailoverFetcher } from './failover.js';
import { EdgeLoad } from './edge-load.js';
import { LimitedFetcher } from './fetch-limit.js';
import { cookieValue, queryParam, TargetNormaliser } from './key.js';
import { PlaybackGate, TOKEN_COOKIE, TOKEN_HEADER, TOKEN_PARAM } from './token.js';
import type { ClusterLink } from './link.js';
import { cacheMetrics, newTallies, type CacheMetrics, type TallySource } from './metrics.js';
import { nodeMonitor } from './monitor.js';
import { wireAnswer } from './serve.js';
import type { ByteShare } from '../util/byte-share.js';
import { PEER_HOPS, Upstream, type Fetcher } from './upstream.js';
import { CorralError } from '../util/errors.js';
import type { Answerer, CacheResult, Waiter } from './waiter.js';

export interface CacheNodeOptions {
  config: CacheConfig;
  /** Base URL of the next tier or the origin, e.g. http://127.0.0.1:8081 */
  upstream: string;
  logger: Logger;
  registry?: Registry;
  role?: 'edge' | 'shield';
  /** Called first for every request; returns true when it answered (e.g. the player page). */
  localRoutes?: (req: IncomingMessage, res: ServerResponse) => boolean;
  /**
   * Multi-worker mode only (see worker.ts): misses ask the primary which worker fetches the key,
   * and /metrics answers for all workers. Without it the node is the single-process node.
   */
  cluster?: ClusterLink;
  /** Time for ages, timeouts and latency; the real clock unless a test or simulation says so. */
  clock?: Clock;
  /** Tiers in one process (corral start): keep each body once across them (util/byte-share.ts). */
  share?: ByteShare;
}

export type { Entry } from './entry.js';
export type { CacheResult } from './waiter.js';

const MAX_URL = 8192;

/** Dot segments or an encoded slash: a path that could mean another one upstream. */
const AMBIGUOUS_PATH = /\/\.\.?(?:\/|$)|%2f/i;

/** `url` is `path` or `path?query` (no split/alloc on the hot path). */
function isPath(url: string, path: string): boolean {
  return url.startsWith(path) && (url.length === path.length || url.charCodeAt(path.length) === 63);
}

/**
 * One cache node (edge POP or regional shield: same code, different configuration) in front of
 * any HTTP upstream: the HTTP front (routes, request checks, listeners, lifecycle) around a
 * CacheCore, which does the caching. See docs in issue 3: single flight, cache-blocking timeout,
 * RFC 9111 freshness, live-aware holds for segments the playlist does not list yet.
 */
export class CacheNode {
  readonly name: string;
  readonly role: 'edge' | 'shield';
  readonly upstream: Upstream;
  /** The upstream and the fallback, each behind a circuit breaker. */
  readonly fetcher: FailoverFetcher;
  readonly core: CacheCore;
  readonly #targets: TargetNormaliser;
  readonly #gate: PlaybackGate | undefined;
  /** Clients must send this Authorization value (cache.requireAuth). */
  readonly #requireAuth: Buffer | undefined;
  /** Viewers' own Authorization is not forwarded once this tier sends a credential of its own. */
  readonly #dropViewerAuth: boolean;
  readonly #tls: { cert: Buffer; key: Buffer } | undefined;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #registry: Registry | undefined;
  readonly #metrics: CacheMetrics;
  readonly #localRoutes: CacheNodeOptions['localRoutes'];
  readonly #answer: Answerer;
  /** The viewer listener (the connection front's), and node:http behind it. */
  #server: net.Server | undefined;
  #http: Server | undefined;
  readonly #sockets = new Set<net.Socket>();
  #peerServer: Server | undefined;
  #fallback: Upstream | undefined;
  readonly #cluster: ClusterLink | undefined;
  readonly #stats: TallySource;
  /** This node's own load and degradation step (cache.degrade). */
  readonly #load: EdgeLoad;
  /** cache.sharedReads: the front reads plain TCP connections into one shared buffer. */
  readonly #sharedReads: boolean;

  constructor(opts: CacheNodeOptions) {
    const c = opts.config;
    this.role = opts.role ?? 'edge';
    this.name = c.name;
    this.#clock = opts.clock ?? realClock;
    this.#log = opts.logger.child({ component: 'cache', tier: this.name });
    this.#metrics = cacheMetrics(opts.registry);
    const trust = {
      auth: c.upstreamAuth === '' ? undefined : c.upstreamAuth,
      ca: c.upstreamCa === '' ? undefined : readFileSync(c.upstreamCa),
      onRetry: () => this.#metrics.upstreamRetries.inc({ tier: this.name }),
    };
    this.#sharedReads = c.sharedReads;
    this.upstream = new Upstream(opts.upstream, c.upstreamTimeoutMs, c.upstreamSockets, trust);
    const ups = [{ name: this.upstream.base.host, fetcher: this.upstream as Fetcher }];
    if (c.fallbackUpstream !== '') {
      const fb = new Upstream(c.fallbackUpstream, c.upstreamTimeoutMs, c.upstreamSockets, trust);
      this.#fallback = fb;
      ups.push({ name: fb.base.host, fetcher: fb });
    }
    this.#targets = new TargetNormaliser(c.keyParams);
    this.#gate = c.playback.streams.length > 0 ? new PlaybackGate(c.playback) : undefined;
    this.#requireAuth = c.requireAuth === '' ? undefined : secretDigest(c.requireAuth);
    this.#dropViewerAuth = c.upstreamAuth !== '';
    if ((c.tlsCert === '') !== (c.tlsKey === '')) {
      throw new CorralError('CONFIG_INVALID', `${c.name}: tlsCert and tlsKey go together`);
    }
    this.#tls = c.tlsCert === '' ? undefined : { cert: readFileSync(c.tlsCert), key: readFileSync(c.tlsKey) };
    this.#registry = opts.registry;
    this.#stats = { tier: this.name, tallies: newTallies() };
    this.#metrics.requests.add(this.#stats);
    this.#localRoutes = opts.localRoutes;
    this.#cluster = opts.cluster;
    const monitor = nodeMonitor(this.#metrics, this.name, this.#log);
    this.fetcher = new FailoverFetcher(
      ups,
      { failures: c.breakerFailures, resetMs: c.breakerResetMs, clock: this.#clock },
      (upstream, state) => this.#log.warn({ upstream, state }, 'upstream circuit changed'),
    );
    const limited = new LimitedFetcher(this.fetcher, c.upstreamSockets, c.upstreamQueue, {
      queued: () => this.#metrics.upstreamLimit.inc({ tier: this.name, outcome: 'queued' }),
      refused: () => this.#metrics.upstreamLimit.inc({ tier: this.name, outcome: 'refused' }),
    });
    // Bound once: a per-request closure (and tsx's keepNames wrapper around it) showed in profiles.
    const done = (w: Waiter, result: CacheResult, bytes: number) => this.#record(w, result, bytes);
    const d = c.degrade;
    this.#load = new EdgeLoad({
      limits: d,
      clock: this.#clock,
      tier: this.name,
      log: this.#log,
      metrics: this.#metrics,
      connections: () =>
        new Promise((resolve) => {
          if (this.#server === undefined) resolve(0);
          else this.#server.getConnections((err, n) => resolve(err ? 0 : n));
        }),
    });
    const load = this.#load;
    this.#answer = new HttpAnswerer(this.name, limited, monitor, this.#clock, done, {
      step: () => load.step,
      dropRungs: d.dropRungs,
      retryAfterS: d.retryAfterS,
      refused: () => this.#metrics.sessionsRefused.inc({ tier: this.name }),
    });
    this.core = new CacheCore(coreSettingsOf(c), {
      clock: this.#clock,
      upstream: limited,
      answer: this.#answer,
      monitor,
      leases: opts.cluster,
      share: opts.share,
    });
  }

  handle(req: IncomingMessage, res: ServerResponse): void {
    // Only the internal listener may speak for another worker.
    if (req.headers[PEER_HOPS] !== undefined) delete req.headers[PEER_HOPS];
    this.#guarded(req, res, false);
  }

  #guarded(req: IncomingMessage, res: ServerResponse, peer: boolean): void {
    try {
      this.#handle(req, res, peer);
    } catch (err) {
      this.#log.error({ err }, 'request handler failed');
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('internal error\n');
    }
  }

  #handle(req: IncomingMessage, res: ServerResponse, peer: boolean): void {
    if (!peer && this.#localRoutes?.(req, res) === true) return;
    const url = req.url ?? '';
    if (isPath(url, '/healthz')) {
      res.writeHead(200, { 'content-type': 'text/plain', 'cache-control': 'no-store' });
      res.end('ok\n');
      return;
    }
    if (isPath(url, '/load')) {
      // The director polls this every second to pick the least-loaded edge: a count, not a scrape.
      const reply = (n: number) =>
        res
          .writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' })
          .end(`{"connections":${n}}\n`);
      if (this.#server === undefined) reply(0);
      else this.#server.getConnections((err, n) => reply(err ? 0 : n));
      return;
    }
    if (isPath(url, '/metrics')) {
      // Never forwarded: an upstream's metrics are not this node's.
      if (this.#registry === undefined) return this.#plain(res, 404, 'no metrics here');
      this.#metrics.storeBytes.set({ tier: this.name }, this.core.store.bytes);
      this.#metrics.storeObjects.set({ tier: this.name }, this.core.store.objects);
      if (this.#cluster !== undefined) return this.#clusterMetrics(this.#cluster, res);
      serveMetrics(this.#registry, req, res).catch((err: unknown) => {
        this.#log.warn({ err }, 'metrics failed');
        res.destroy();
      });
      return;
    }
    if (req.method === 'OPTIONS') {
      // CORS preflight: the same answer as the origin's (src/http/cors.ts), with no credential
      // asked, since browsers send preflights without one.
      res.writeHead(204, preflightHeaders('GET, HEAD, OPTIONS'));
      return void res.end();
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD, OPTIONS');
      return this.#plain(res, 405, 'method not allowed');
    }
    if (!url.startsWith('/') || url.length > MAX_URL || /[^\x21-\x7e]/.test(url)) {
      return this.#plain(res, 400, 'bad request target');
    }
    const h = req.headers;
    if (this.#requireAuth !== undefined && !peer) {
      if (!secretMatches(h.authorization, [this.#requireAuth])) {
        res.setHeader('www-authenticate', 'Bearer realm="corral"');
        return this.#plain(res, 401, 'credentials required');
      }
      // The tier credential is spent here: it is not the viewer's and must not pass on.
      delete h.authorization;
    } else if (this.#dropViewerAuth && h.authorization !== undefined) {
      delete h.authorization;
    }
    const target = this.#targets.normalise(url);
    const q = target.indexOf('?');
    const path = q < 0 ? target : target.slice(0, q);
    if ((path.includes('/.') || path.includes('%')) && AMBIGUOUS_PATH.test(path)) {
      return this.#plain(res, 400, 'bad request target');
    }
    let token: string | undefined;
    if (this.#gate !== undefined && !peer) {
      if (this.#gate.protects(path)) {
        const fromQuery = queryParam(url, TOKEN_PARAM);
        const given =
          fromQuery ?? headerString(h[TOKEN_HEADER]) ?? cookieValue(headerString(h.cookie), TOKEN_COOKIE);
        const v = this.#gate.verify(given, path, this.#clock.now(), req.socket.remoteAddress);
        if (!v.ok) return this.#plain(res, 403, `playback token ${v.reason}`);
        token = fromQuery;
      }
      delete h[TOKEN_HEADER];
    }
    req.url = target;
    const w: Waiter = { req, res, started: this.#clock.monotonic(), result: 'MISS', peer, token };
    this.core.lookup(w);
  }

  /**
   * The connection front's hit path: prepared bytes for a plain request that #handle would answer
   * from a whole stored 200 at once (HIT, or STALE with a background revalidation), or undefined
   * to send it through #handle. Every check #handle makes before the cache either holds here or
   * sends the request there.
   */
  #fastHit(r: PlainRequest, socket: net.Socket): readonly Buffer[] | undefined {
    const url = r.target;
    const h = r.headers;
    if (
      this.#requireAuth !== undefined ||
      this.#load.step > 0 ||
      url.length > MAX_URL ||
      h.range !== undefined ||
      h['if-none-match'] !== undefined ||
      h['if-modified-since'] !== undefined ||
      h[PEER_HOPS] !== undefined
    ) {
      return undefined;
    }
    if (isPath(url, '/healthz') || isPath(url, '/load') || isPath(url, '/metrics')) return undefined;
    const target = this.#targets.normalise(url);
    const q = target.indexOf('?');
    const path = q < 0 ? target : target.slice(0, q);
    if (path.includes('/.') || path.includes('%')) return undefined;
    if (this.#gate !== undefined && (this.#gate.protects(path) || h[TOKEN_HEADER] !== undefined))
      return undefined;
    // Local routes (the player page) answer before the cache, so their paths are never stored:
    // a stored entry means #handle would have reached the cache too.
    const quick = this.core.quickAnswer(target, h, socket.remoteAddress);
    if (quick === undefined) return undefined;
    const { e, result } = quick;
    const headOnly = r.method === 'HEAD';
    const out = wireAnswer(e, this.name, result, this.#clock.now(), r.close, headOnly, 5);
    const bytes = headOnly ? 0 : e.body.length;
    this.#stats.tallies[result].record(0, bytes);
    this.#load.sent(bytes);
    return out;
  }

  #plain(res: ServerResponse, status: number, msg: string): void {
    res.writeHead(status, {
      ...CORS_HEADERS,
      'content-type': 'text/plain; charset=utf-8',
      'cache-control': 'no-store',
    });
    res.end(msg + '\n');
  }

  #clusterMetrics(link: ClusterLink, res: ServerResponse): void {
    link.metrics().then(
      (text) => {
        res.writeHead(200, { 'content-type': this.#registry!.contentType, 'cache-control': 'no-store' });
        res.end(text);
      },
      (err: unknown) => {
        this.#log.warn({ err }, 'cluster metrics failed');
        this.#plain(res, 503, 'metrics unavailable');
      },
    );
  }

  #record(w: Waiter, result: CacheResult, bytes: number): void {
    if (w.peer) return; // a worker of this node, not a viewer: counted where the viewer is
    // Plain numbers read at scrape time (see metrics.ts): no label hashing per request.
    this.#stats.tallies[result].record((this.#clock.monotonic() - w.started) / 1000, bytes);
    this.#load.sent(bytes);
  }

  // ---- lifecycle ----

  listen(port: number, host: string): Promise<AddressInfo> {
    const options = {
      maxHeaderSize: 16 * 1024,
      requestTimeout: 30_000,
      headersTimeout: 10_000,
      keepAliveTimeout: 5_000,
      // The front's connections are checked by node:http's timer (see Front): once a second.
      connectionsCheckingInterval: 1_000,
    };
    // node:http answers what the connection front does not (TLS is the listener's, below it).
    const httpServer = http.createServer(options);
    httpServer.on('request', (req, res) => this.handle(req, res));
    httpServer.on('clientError', (err: NodeJS.ErrnoException, socket) => {
      // Malformed or oversized requests: answer plainly if the socket still takes bytes.
      if (!socket.writable || socket.destroyed) return void socket.destroy();
      const status =
        err.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : '400 Bad Request';
      socket.end(`HTTP/1.1 ${status}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
    });
    const front = new Front({
      server: httpServer,
      answer: (r, socket) => this.#fastHit(r, socket),
      // Clients are told 5 s (Keep-Alive: timeout=5) and node:http's agent drops its idle socket
      // then; closing a second later means a request sent at the 5 s mark does not meet a close.
      keepAliveTimeoutMs: options.keepAliveTimeout + 1_000,
      headersTimeoutMs: options.headersTimeout,
      onError: (err) => this.#log.error({ err }, 'hit path failed; answered through node:http'),
      sharedReads: this.#sharedReads,
    });
    const onSocket = (accepted: net.Socket) => {
      const socket = front.accept(accepted);
      this.#sockets.add(socket);
      socket.once('close', () => this.#sockets.delete(socket));
    };
    const server =
      this.#tls === undefined
        ? // Paused, so the front can move each socket to its shared read buffer (no byte read yet).
          net.createServer({ pauseOnConnect: true }, onSocket)
        : tls.createServer({ ...this.#tls, handshakeTimeout: options.headersTimeout }, onSocket);
    if (server instanceof tls.Server) {
      server.on('tlsClientError', (_err, socket) => socket.destroy());
    }
    this.#server = server;
    this.#http = httpServer;
    this.#load.start();
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      // A synchronized spike opens thousands of connections at once; the default backlog of 511
      // would drop SYNs and add a 1 s retransmit to some viewers.
      server.listen({ port, host, backlog: 4096 }, () => {
        server.off('error', reject);
        resolve(server.address() as AddressInfo);
      });
    });
  }

  /**
   * Multi-worker mode: the internal listener other workers fetch a key's object from when this
   * worker owns the key. Loopback only, its own port (never the shared one), and the only place
   * a request may say it comes from another worker.
   */
  listenPeer(): Promise<number> {
    const server = http.createServer({ keepAliveTimeout: 60_000, requestTimeout: 0 });
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      const hops = Number(req.headers[PEER_HOPS]);
      if (!(hops >= 1 && hops <= MAX_HOPS)) return this.#plain(res, 400, 'peer requests only');
      this.#guarded(req, res, true);
    });
    this.#peerServer = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      // exclusive: inside a cluster worker a plain listen() would share the primary's handle.
      server.listen({ port: 0, host: '127.0.0.1', exclusive: true, backlog: 4096 }, () => {
        server.off('error', reject);
        resolve((server.address() as AddressInfo).port);
      });
    });
  }

  async close(): Promise<void> {
    this.core.close();
    this.#load.stop();
    const front = this.#server;
    this.#server = undefined;
    if (front !== undefined) {
      const closed = new Promise<void>((resolve) => front.close(() => resolve()));
      for (const s of this.#sockets) s.destroy();
      await closed;
    }
    // Never listened itself: closing stops its timers (the callback's "not running" is expected).
    this.#http?.close(() => {});
    this.#http = undefined;
    const peer = this.#peerServer;
    this.#peerServer = undefined;
    if (peer !== undefined) {
      const closed = new Promise<void>((resolve) => peer.close(() => resolve()));
      peer.closeAllConnections();
      await closed;
    }
    this.upstream.close();
    this.#fallback?.close();
    this.#metrics.requests.remove(this.#stats);
  }
}
