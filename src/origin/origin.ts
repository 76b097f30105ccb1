import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { OriginConfig } from '../config/schema.js';
import { serveMetrics, type Registry } from '../metrics/registry.js';
import { CorralError, describeError } from '../util/errors.js';
import type { Logger } from '../util/logger.js';
import { withLazyEtag } from './etag.js';
import { pendingBytes, withBodyOf } from './lazy-body.js';
import { ALLOWED_METHODS, applyCors, sendJson, sendPreflight, sendText } from './http-util.js';
import { OriginMetrics } from './origin-metrics.js';
import { hasEndList } from '../hls/summary.js';
import { secretDigest, secretMatches } from '../util/secret.js';
import { pushedObjectProblem } from './object-rules.js';
import { assertValidPath, MAX_URL_LENGTH, parseRequestPath } from './paths.js';
import { LiveServe } from './live-serve.js';
import { sanitizeLiveState } from './live-state.js';
import { handlePushRequest, KINDS } from './receiver.js';
import type { ByteShare } from '../util/byte-share.js';
import { serveObject } from './serve-object.js';
import { StreamsIndex } from './streams-index.js';
import type { ObjectStore, OriginPush, PlaylistState, PushObject, StoredObject } from './types.js';

export interface OriginOptions {
  store: ObjectStore;
  config: OriginConfig;
  logger: Logger;
  registry?: Registry;
  /** Clock for storedAt / Last-Modified; injectable for tests and the simulator. */
  now?: () => number;
  /** Cache tiers in this same process keep the stored bodies instead of copies (corral start). */
  share?: ByteShare | undefined;
}

/** Printable ASCII only, bounded: what a Content-Type header may carry. */
const CONTENT_TYPE = /^[\x20-\x7e]{1,200}$/;

/** How long close() lets in-flight requests finish before cutting their connections. */
const CLOSE_GRACE_MS = 2000;

/**
 * The origin: holds what the packager pushes and serves it over plain HTTP with cache headers
 * that let any cache tier (corral's own, a CDN, nginx) front it safely.
 */
export class Origin {
  /** The in-process push transport; the HTTP receiver calls the same functions. */
  readonly push: OriginPush;
  readonly #store: ObjectStore;
  readonly #config: OriginConfig;
  readonly #logger: Logger;
  readonly #registry: Registry | undefined;
  readonly #metrics: OriginMetrics;
  readonly #streams = new StreamsIndex();
  /** Digest of origin.requireAuth: what a reader (a shield) must present. */
  readonly #readAuth: Buffer | undefined;
  /** Blocking reloads, delta updates and preload-hint holds for LL-HLS playlists. */
  readonly #live: LiveServe;
  readonly #now: () => number;
  readonly #share: ByteShare | undefined;
  /** Tells packagers this is a new process, whose store may have started empty. */
  readonly #instance = randomUUID();
  #server: Server | undefined;
  #closed: Promise<void> | undefined;

  constructor(opts: OriginOptions) {
    this.#store = opts.store;
    this.#now = opts.now ?? Date.now;
    this.#share = opts.share;
    this.#config = opts.config;
    this.#logger = opts.logger;
    this.#registry = opts.registry;
    this.#metrics = new OriginMetrics(opts.registry, opts.store, () => this.#live.held);
    this.#live = new LiveServe({
      store: opts.store,
      immutableMaxAgeS: opts.config.immutableMaxAgeS,
      notFoundMaxAgeS: opts.config.notFoundMaxAgeS,
      count: (result) => this.#metrics.blocking(result),
      now: () => this.#now(),
    });
    this.push = { put: (obj) => this.#put(obj), remove: (path) => this.#remove(path) };
    this.#readAuth = opts.config.requireAuth ? secretDigest(opts.config.requireAuth) : undefined;
  }

  async #put(obj: PushObject): Promise<void> {
    assertValidPath(obj.path);
    if (!KINDS.has(obj.kind)) throw new CorralError('BAD_REQUEST', `unknown object kind ${String(obj.kind)}`);
    // A body written on first read comes only from an in-process packager (lazy-body.ts): reading
    // it here would write every version, which is what it exists to avoid.
    const lazy = pendingBytes(obj) !== undefined;
    if (!lazy && !Buffer.isBuffer(obj.body)) {
      throw new CorralError('BAD_REQUEST', 'object body must be a Buffer');
    }
    // Served back verbatim as a header: a CR/LF here would make every GET of the object fail.
    if (typeof obj.contentType !== 'string' || !CONTENT_TYPE.test(obj.contentType)) {
      throw new CorralError('BAD_REQUEST', `bad content type for ${obj.path}`);
    }
    const problem = pushedObjectProblem(obj.path, obj.kind, obj.contentType);
    if (problem !== undefined) throw new CorralError('BAD_REQUEST', problem);
    if (obj.maxAgeS !== undefined && !(Number.isFinite(obj.maxAgeS) && obj.maxAgeS >= 0)) {
      throw new CorralError('BAD_REQUEST', `bad maxAgeS ${obj.maxAgeS} for ${obj.path}`);
    }
    let live: PlaylistState | undefined;
    const hasDelta = lazy ? Object.hasOwn(obj, 'delta') : obj.delta !== undefined;
    if (obj.live !== undefined || hasDelta) {
      // Only a media playlist has a live state or a delta; on anything else it is a packager bug.
      if (obj.kind !== 'playlist') {
        throw new CorralError('BAD_REQUEST', `live state or delta on a ${obj.kind}: ${obj.path}`);
      }
      if (!lazy && obj.delta !== undefined && !Buffer.isBuffer(obj.delta)) {
        throw new CorralError('BAD_REQUEST', 'delta must be a Buffer');
      }
      if (obj.live !== undefined) live = sanitizeLiveState(obj.live, obj.path);
    }
    const stored: StoredObject = withLazyEtag(
      withBodyOf(
        {
          kind: obj.kind,
          contentType: obj.contentType,
          storedAt: this.#now(),
          ...(obj.maxAgeS === undefined ? {} : { maxAgeS: obj.maxAgeS }),
          ...(live === undefined ? {} : { live }),
        },
        obj,
      ),
    );
    await this.#store.put(obj.path, stored);
    if (obj.kind !== 'playlist') this.#share?.offer(`/${obj.path}`, obj.body);
    const ended = obj.kind === 'playlist' && (live?.ended ?? hasEndList(obj.body));
    this.#streams.onPut(obj.path, obj.kind, stored.storedAt, ended);
    // After the store has it: every request held on this path is answered now, in this one pass.
    this.#live.onPut(obj.path, stored);
    this.#metrics.push(obj.kind);
    this.#logger.trace(
      { path: obj.path, kind: obj.kind, bytes: lazy ? undefined : obj.body.length },
      'stored',
    );
  }

  async #remove(path: string): Promise<void> {
    if (path.endsWith('/')) {
      assertValidPath(path, { prefix: true });
      const n = await this.#store.deletePrefix(path);
      this.#streams.onRemovePrefix(path);
      this.#live.onRemove(path);
      this.#logger.debug({ prefix: path, objects: n }, 'removed prefix');
    } else {
      assertValidPath(path);
      await this.#store.delete(path);
      this.#streams.onRemove(path);
      this.#live.onRemove(path);
    }
  }

  /** node:http request handler; usable on any server (the all-in-one mounts it directly). */
  handle(req: IncomingMessage, res: ServerResponse): void {
    applyCors(res);
    res.on('finish', () => this.#metrics.request(req.method, res.statusCode));
    this.#route(req, res).catch((e: unknown) => {
      this.#logger.error({ url: req.url?.slice(0, 200), err: describeError(e) }, 'origin request failed');
      if (!res.headersSent) sendText(res, 500, 'internal error', { 'cache-control': 'no-store' });
      else res.destroy();
    });
  }

  async #route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? '';
    if (!ALLOWED_METHODS.split(', ').includes(method)) {
      return sendText(res, 405, 'method not allowed', {
        allow: ALLOWED_METHODS,
        'cache-control': 'no-store',
      });
    }
    if (method === 'OPTIONS') return sendPreflight(res);

    const url = req.url ?? '';
    const head = method === 'HEAD';
    if (url.length > MAX_URL_LENGTH) return badRequest(res, 'URL too long', head);
    if (method === 'GET' || method === 'HEAD') {
      const route = url.split('?', 1)[0];
      if (route === '/healthz') return sendText(res, 200, 'ok', { 'cache-control': 'no-store' }, head);
      if (this.#readAuth !== undefined && !secretMatches(req.headers.authorization, [this.#readAuth])) {
        return sendText(
          res,
          401,
          'credentials required',
          { 'www-authenticate': 'Bearer realm="corral"', 'cache-control': 'no-store' },
          head,
        );
      }
      if (route === '/streams.json') return this.#serveStreams(res, head);
      if (route === '/metrics' && this.#registry !== undefined) return serveMetrics(this.#registry, req, res);
    }

    const parsed = parseRequestPath(url, { prefix: method === 'DELETE' });
    if ('problem' in parsed) return badRequest(res, parsed.problem, head);

    if (method === 'PUT' || method === 'DELETE') {
      return handlePushRequest(req, res, parsed.path, {
        token: this.#config.pushToken,
        maxObjectBytes: this.#config.maxObjectBytes,
        push: this.push,
        logger: this.#logger,
        instance: this.#instance,
      });
    }

    const q = url.indexOf('?');
    const query = q === -1 ? '' : url.slice(q + 1);
    if (this.#live.wants(parsed.path, query)) return this.#live.handle(req, res, parsed.path, query);

    const obj = await this.#store.get(parsed.path);
    if (obj === undefined) {
      // Short on purpose: a player may ask for a segment a moment before it is pushed, and a cache
      // that kept this 404 for minutes would hide the segment from everyone behind it.
      return sendText(
        res,
        404,
        'not found',
        { 'cache-control': `public, max-age=${this.#config.notFoundMaxAgeS}` },
        head,
      );
    }
    serveObject(req, res, obj, this.#config.immutableMaxAgeS, this.#now());
  }

  async #serveStreams(res: ServerResponse, head: boolean): Promise<void> {
    // The index is updated on push; the store may also have evicted a playlist under budget
    // pressure, so confirm each of the few entries rather than advertise a stream that 404s.
    for (const path of this.#streams.paths()) {
      if ((await this.#store.get(path)) === undefined) this.#streams.onRemove(path);
    }
    sendJson(res, 200, { streams: this.#streams.list() }, { 'cache-control': 'public, max-age=1' }, head);
  }

  /** Serve on its own port (the split deployment). */
  async listen(port: number, host: string): Promise<AddressInfo> {
    if (this.#server !== undefined) throw new Error('origin is already listening');
    const server = createServer((req, res) => this.handle(req, res));
    // Pushes and playlist fetches are small and quick; a peer taking longer is stuck or hostile.
    server.requestTimeout = 60_000;
    server.headersTimeout = 10_000;
    this.#server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const addr = server.address() as AddressInfo;
    this.#logger.info({ host: addr.address, port: addr.port }, 'origin listening');
    return addr;
  }

  /** Stop serving (idle keep-alive sockets at once, busy ones after a grace) and close the store. */
  close(): Promise<void> {
    this.#closed ??= this.#doClose();
    return this.#closed;
  }

  async #doClose(): Promise<void> {
    // Held requests would otherwise keep their connections busy through the whole grace period.
    this.#live.close();
    const server = this.#server;
    if (server !== undefined) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const timer = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS);
      await closed;
      clearTimeout(timer);
    }
    await this.#store.close();
  }
}

function badRequest(res: ServerResponse, problem: string, head: boolean): void {
  sendText(res, 400, `bad request: ${problem}`, { 'cache-control': 'no-store' }, head);
}
