import http, { type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CacheConfig } from '../config/schema.js';
import { serveMetrics, type Registry } from '../metrics/registry.js';
import type { Logger } from '../util/logger.js';
import { currentAgeMs, inSwrWindow, isFresh, syntheticEntry, varyKeyOf, type Entry } from './entry.js';
import { Flight, type FlightHost, type Waiter } from './flight.js';
import { LiveRules } from './live.js';
import { cacheMetrics, newTallies, type CacheMetrics, type TallySource } from './metrics.js';
import { serveEntry, type CacheResult, type DoneFn } from './serve.js';
import { MemoryStore } from './store.js';
import { direct, passThrough, type PassHost } from './pass.js';
import { PEER_HOPS, Upstream } from './upstream.js';
import type { ClusterLink } from './link.js';

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
}

export type { Entry } from './entry.js';
export type { CacheResult } from './serve.js';

const MAX_URL = 8192;
/** A request passes at most this many workers before one fetches upstream regardless of leases. */
const MAX_HOPS = 2;

/** How long an entry can still be served (fresh, stale-while-revalidate or stale-if-error). */
function usableMs(e: Entry): number {
  return Math.max(0, e.policy.lifetimeMs + Math.max(e.policy.swrMs, e.policy.sieMs) - currentAgeMs(e));
}

function keyOf(url: string, varyKey: string): string {
  return varyKey === '' ? url : `${url}\n${varyKey}`;
}

/** `url` is `path` or `path?query` (no split/alloc on the hot path). */
function isPath(url: string, path: string): boolean {
  return url.startsWith(path) && (url.length === path.length || url.charCodeAt(path.length) === 63);
}

/**
 * One cache node (edge POP or regional shield: same code, different configuration) in front of
 * any HTTP upstream. See docs in issue 3: single flight, cache-blocking timeout, RFC 9111
 * freshness, live-aware holds for segments the playlist does not list yet.
 */
export class CacheNode implements FlightHost {
  readonly name: string;
  readonly role: 'edge' | 'shield';
  readonly upstream: Upstream;
  readonly holdTimeoutMs: number;
  readonly maxAttempts: number;
  readonly maxObjectBytes: number;
  readonly store: MemoryStore;
  readonly live: LiveRules;
  readonly #log: Logger;
  readonly #registry: Registry | undefined;
  readonly #metrics: CacheMetrics;
  readonly #localRoutes: CacheNodeOptions['localRoutes'];
  readonly #flights = new Map<string, Flight>();
  #server: Server | undefined;
  #peerServer: Server | undefined;
  readonly #cluster: ClusterLink | undefined;
  readonly #stats: TallySource;
  /** Bound once: a per-request closure (and tsx's keepNames wrapper around it) showed in profiles. */
  readonly #done: DoneFn;
  readonly #pass: PassHost;

  constructor(opts: CacheNodeOptions) {
    const c = opts.config;
    this.role = opts.role ?? 'edge';
    this.name = c.name;
    this.#log = opts.logger.child({ component: 'cache', tier: this.name });
    this.upstream = new Upstream(opts.upstream, c.upstreamTimeoutMs, c.upstreamSockets);
    this.holdTimeoutMs = c.holdTimeoutMs;
    this.maxAttempts = c.leaderAttempts;
    this.maxObjectBytes = c.maxObjectBytes;
    this.store = new MemoryStore(c.maxBytes, c.maxObjectBytes);
    this.#registry = opts.registry;
    this.#metrics = cacheMetrics(opts.registry);
    this.#stats = { tier: this.name, tallies: newTallies() };
    this.#metrics.requests.add(this.#stats);
    this.#done = (w, result, bytes) => this.#record(w, result, bytes);
    this.#pass = {
      name: this.name,
      upstream: this.upstream,
      upstreamStatus: (status) => this.upstreamStatus(status),
      deliver: (w, e, result) => this.deliver(w, e, result),
      record: this.#done,
    };
    this.#localRoutes = opts.localRoutes;
    this.#cluster = opts.cluster;
    this.live = new LiveRules({
      maxAhead: c.futureMaxAhead,
      holdFactor: c.futureHoldFactor,
      onHoldOutcome: (outcome) => this.#metrics.holds.inc({ tier: this.name, outcome }),
      refresh: (playlistUrl) => this.#refreshPlaylist(playlistUrl),
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
    if (isPath(url, '/metrics')) {
      // Never forwarded: an upstream's metrics are not this node's.
      if (this.#registry === undefined) return this.#plain(res, 404, 'no metrics here');
      this.#metrics.storeBytes.set({ tier: this.name }, this.store.bytes);
      this.#metrics.storeObjects.set({ tier: this.name }, this.store.objects);
      if (this.#cluster !== undefined) return this.#clusterMetrics(this.#cluster, res);
      serveMetrics(this.#registry, req, res).catch((err: unknown) => {
        this.#log.warn({ err }, 'metrics failed');
        res.destroy();
      });
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      return this.#plain(res, 405, 'method not allowed');
    }
    if (!url.startsWith('/') || url.length > MAX_URL || /[^\x21-\x7e]/.test(url)) {
      return this.#plain(res, 400, 'bad request target');
    }
    const w: Waiter = { req, res, started: performance.now(), result: 'MISS', peer };
    // RFC 9111 3.5: a shared cache does not answer requests carrying credentials from storage.
    if (req.headers.authorization !== undefined) return this.passThrough(w);
    this.#lookup(w);
  }

  #plain(res: ServerResponse, status: number, msg: string): void {
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
    res.end(msg + '\n');
  }

  #lookup(w: Waiter): void {
    const url = w.req.url!;
    const key = keyOf(url, varyKeyOf(this.store.varyOf(url), w.req.headers));
    const e = this.store.get(key);
    let stale: Entry | undefined;
    if (e !== undefined) {
      if (isFresh(e)) return this.deliver(w, e, 'HIT');
      if (inSwrWindow(e)) {
        this.deliver(w, e, 'STALE');
        if (!this.#flights.has(key)) this.#startFlight(url, key, w.req, e, undefined);
        return;
      }
      stale = e;
    }
    const f = this.#flights.get(key);
    if (f !== undefined) {
      w.result = 'COALESCED';
      return f.join(w);
    }
    // Live rule: a segment a little beyond the newest listed one is held until a playlist lists it.
    if (this.live.maybeHold(url, w, (held) => this.#afterHold(held))) {
      this.parked(1);
      return;
    }
    this.#startFlight(url, key, w.req, stale, w);
  }

  #afterHold(held: { w: Waiter; appeared: boolean }): void {
    this.parked(-1);
    if (held.w.res.destroyed) return;
    if (held.appeared) return this.#lookup(held.w);
    const e = syntheticEntry(404, 'not yet available', 'no-store');
    this.deliver(held.w, e, 'HELD');
  }

  #startFlight(url: string, key: string, req: IncomingMessage, stale: Entry | undefined, w?: Waiter): Flight {
    const f = new Flight(this, url, key, req, stale);
    this.#flights.set(key, f);
    if (w !== undefined) f.join(w);
    const hops = Number(req.headers[PEER_HOPS] ?? 0);
    if (this.#cluster === undefined || !(hops < MAX_HOPS)) f.start();
    else this.#leaseAndStart(this.#cluster, f, hops);
    return f;
  }

  /**
   * Multi-worker single flight: the flight exists (later requests in this worker join it) while
   * the primary says who fetches. The lease is per URL, so all variants of a URL have one owner,
   * which coalesces them per full key like a single-process node.
   */
  #leaseAndStart(link: ClusterLink, f: Flight, hops: number): void {
    link.lease(f.url).then(
      (g) => (g.own ? f.start() : f.start(link.peer(g.peerPort), hops + 1)),
      () => f.start(),
    );
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

  /** Fetch a playlist in the background (coalesced with viewers' own requests for it). */
  #refreshPlaylist(url: string): void {
    const key = keyOf(url, '');
    if (this.#flights.has(key)) return;
    const e = this.store.get(key);
    if (e !== undefined && isFresh(e)) return;
    const fake = { headers: {}, socket: { remoteAddress: undefined } } as unknown as IncomingMessage;
    this.#startFlight(url, key, fake, e);
  }

  // ---- FlightHost ----

  deliver(w: Waiter, e: Entry, result: CacheResult): void {
    serveEntry(w, e, this.name, result, this.#done);
  }

  #record(w: Waiter, result: CacheResult, bytes: number): void {
    if (w.peer) return; // a worker of this node, not a viewer: counted where the viewer is
    // Plain numbers read at scrape time (see metrics.ts): no label hashing per request.
    this.#stats.tallies[result].record((performance.now() - w.started) / 1000, bytes);
  }

  passThrough(w: Waiter): void {
    passThrough(this.#pass, w);
  }

  direct(w: Waiter, up: IncomingMessage): void {
    direct(this.#pass, w, up);
  }

  redispatch(w: Waiter): void {
    this.#lookup(w);
  }

  keep(url: string, e: Entry): void {
    this.store.set(url, keyOf(url, e.varyKey), e);
    this.#cluster?.kept(url, usableMs(e));
  }

  relead(f: Flight): void {
    const link = this.#cluster;
    if (link === undefined) return f.start();
    // Backing off gives the primary time to see the dead owner exit and drop its leases.
    setTimeout(() => this.#leaseAndStart(link, f, 0), 25 << Math.min(f.releads, 5));
  }

  drop(url: string, e: Entry): void {
    this.store.deleteIf(keyOf(url, e.varyKey), e);
  }

  finished(f: Flight): void {
    if (this.#flights.get(f.key) === f) this.#flights.delete(f.key);
  }

  isFuture(url: string): boolean {
    return this.live.isFuture(url);
  }

  wantsWhole(url: string, up: IncomingMessage): boolean {
    return this.live.isPlaylist(url, up.headers);
  }

  settleWhole(url: string, e: Entry): Entry {
    return this.live.acceptPlaylist(url, e);
  }

  upstreamStatus(status: string): void {
    this.#metrics.upstreamFetches.inc({ tier: this.name, status });
  }

  parked(delta: number): void {
    this.#metrics.waiters.inc({ tier: this.name }, delta);
  }

  log(msg: string, fields: Record<string, unknown>): void {
    this.#log.debug(fields, msg);
  }

  // ---- lifecycle ----

  listen(port: number, host: string): Promise<AddressInfo> {
    const server = http.createServer({
      maxHeaderSize: 16 * 1024,
      requestTimeout: 30_000,
      headersTimeout: 10_000,
      keepAliveTimeout: 5_000,
    });
    server.on('request', (req, res) => this.handle(req, res));
    server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
      // Malformed or oversized requests: answer plainly if the socket still takes bytes.
      if (!socket.writable || socket.destroyed) return void socket.destroy();
      const status =
        err.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : '400 Bad Request';
      socket.end(`HTTP/1.1 ${status}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
    });
    this.#server = server;
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
    for (const f of this.#flights.values()) f.abort();
    this.#flights.clear();
    this.live.close();
    const servers = [this.#server, this.#peerServer];
    this.#server = this.#peerServer = undefined;
    for (const server of servers) {
      if (server === undefined) continue;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    }
    this.upstream.close();
    this.store.clear();
    this.#metrics.requests.remove(this.#stats);
  }
}
