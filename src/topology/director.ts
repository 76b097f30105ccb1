import http, { type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, type Registry } from 'prom-client';
import { serveMetrics } from '../metrics/registry.js';
import type { Logger } from '../util/logger.js';
import { parseCidr, regionOf, type Cidr } from './cidr.js';
import { EdgePool, type EdgeView } from './edge-pool.js';
import { pollEdge } from './poll.js';

export interface DirectorOptions {
  regions: { name: string; clients: readonly string[] }[];
  edges: readonly EdgeView[];
  defaultRegion: string;
  pollMs: number;
  downAfterMs: number;
  logger: Logger;
  registry: Registry;
}

/**
 * Viewer routing: every request is answered with a 302 to the same path on a healthy, least-loaded
 * edge of the viewer's region (player page and playlists alike; the player then talks to the edge
 * alone). The region comes from ?region=, else the client address ranges, else the default.
 */
export class Director {
  readonly pool: EdgePool;
  readonly #regions: { name: string; ranges: Cidr[] }[];
  readonly #opts: DirectorOptions;
  readonly #redirects: Counter<'region' | 'edge'>;
  readonly #log: Logger;
  #server: Server | undefined;
  #timer: NodeJS.Timeout | undefined;
  readonly #polling = new Set<string>();

  constructor(opts: DirectorOptions) {
    this.#opts = opts;
    this.#log = opts.logger.child({ c: 'director' });
    this.pool = new EdgePool(opts.edges, opts.downAfterMs, () => performance.now());
    // Ranges were checked with the topology; a bad one here is skipped rather than fatal.
    this.#regions = opts.regions.map((r) => ({
      name: r.name,
      ranges: r.clients.map(parseCidr).filter((c): c is Cidr => typeof c !== 'string'),
    }));
    this.#redirects = new Counter({
      name: 'corral_director_redirects_total',
      help: 'Viewers sent to an edge, by region asked for and edge chosen',
      labelNames: ['region', 'edge'],
      registers: [opts.registry],
    });
  }

  async listen(port: number, host: string): Promise<AddressInfo> {
    const server = http.createServer({ requestTimeout: 10_000, headersTimeout: 5_000 });
    server.on('request', (req, res) => this.#handle(req, res));
    this.#server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port, host, backlog: 4096 }, () => resolve());
    });
    this.#poll();
    this.#timer = setInterval(() => this.#poll(), this.#opts.pollMs);
    return server.address() as AddressInfo;
  }

  #poll(): void {
    // A poll never overlaps its predecessor, so a hung edge costs one socket, not one per tick.
    const timeoutMs = Math.max(100, Math.min(this.#opts.pollMs, this.#opts.downAfterMs) * 0.8);
    for (const e of this.pool.edges) {
      if (this.#polling.has(e.name)) continue;
      this.#polling.add(e.name);
      void pollEdge(e.url, timeoutMs).then((load) => {
        this.#polling.delete(e.name);
        const was = this.pool.healthy(e);
        this.pool.report(e.name, load);
        if (was === this.pool.healthy(e)) return;
        if (was) this.#log.warn({ edge: e.name }, 'edge stopped answering: no new viewers');
        else this.#log.info({ edge: e.name }, 'edge is answering: it gets viewers');
      });
    }
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://director');
    if (url.pathname === '/healthz') return plain(res, 200, 'ok');
    if (url.pathname === '/edges') {
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      return void res.end(JSON.stringify(this.pool.status()));
    }
    if (url.pathname === '/metrics') return void serveMetrics(this.#opts.registry, req, res);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      return plain(res, 405, 'method not allowed');
    }
    const asked = url.searchParams.get('region');
    if (asked !== null && !this.#regions.some((r) => r.name === asked))
      return plain(res, 400, `no region "${asked}"`);
    const client = req.socket.remoteAddress ?? '';
    const region = asked ?? regionOf(this.#regions, client) ?? this.#opts.defaultRegion;
    const choice = this.pool.choose(region);
    if (choice === undefined) {
      res.setHeader('retry-after', '2');
      return plain(res, 503, `no edge is answering for region "${region}"`);
    }
    url.searchParams.delete('region');
    this.#redirects.inc({ region, edge: choice.edge.name });
    res.writeHead(302, {
      location: choice.edge.url + url.pathname + url.search,
      // A routing decision is for this viewer and this moment; no cache may keep it.
      'cache-control': 'no-store',
      'x-corral-edge': choice.edge.name,
      'x-corral-region': choice.outOfRegion ? `${region}; out-of-region` : region,
    });
    res.end();
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    const server = this.#server;
    this.#server = undefined;
    if (server === undefined) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
  }
}

function plain(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
  res.end(text + '\n');
}
