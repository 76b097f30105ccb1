import http from 'node:http';
import https from 'node:https';
import { CorralError, describeError } from '../util/errors.js';
import type { Logger } from '../util/logger.js';
import { encodeLiveHeader } from './live-state.js';
import { ORIGIN_INSTANCE_HEADER } from './receiver.js';
import type { OriginPush, PushObject } from './types.js';

export interface HttpPushOptions {
  /** Origin base URL, e.g. "http://origin:8081" (a path prefix is kept). */
  baseUrl: string;
  /** The origin's push token (sent as a bearer token). */
  token: string;
  /** Deadline for one attempt, from request start to the end of the response. */
  timeoutMs?: number;
  /** Extra attempts after the first, on network errors, timeouts and 5xx only. */
  retries?: number;
  /** First backoff delay; doubles per retry, with jitter. */
  backoffMs?: number;
  /** Concurrent connections to the origin: a bound, so a burst of parts cannot open hundreds. */
  maxSockets?: number;
  logger?: Logger;
}

/** How much of an error response body we keep for the error message. */
const MAX_ERROR_TEXT = 512;
/** A probe only asks whether anyone answers; a slow answer is as good as none. */
const PROBE_TIMEOUT_MS = 1000;

/**
 * The HTTP push transport: PUT/DELETE against an origin's receiver over keep-alive connections.
 * PUT and DELETE are idempotent, so a failed attempt is simply repeated; a 4xx is our own mistake
 * (or a wrong token) and repeating it would only add load, so it fails at once.
 */
export class HttpPush implements OriginPush {
  readonly #base: URL;
  readonly #basePath: string;
  readonly #token: string;
  readonly #timeoutMs: number;
  readonly #retries: number;
  readonly #backoffMs: number;
  readonly #agent: http.Agent;
  readonly #request: typeof http.request;
  readonly #logger: Logger | undefined;
  #closed = false;
  #instance: string | undefined;

  constructor(opts: HttpPushOptions) {
    this.#base = new URL(opts.baseUrl);
    if (this.#base.protocol !== 'http:' && this.#base.protocol !== 'https:') {
      throw new CorralError('CONFIG_INVALID', `push base URL must be http(s): ${opts.baseUrl}`);
    }
    this.#basePath = this.#base.pathname.replace(/\/+$/, '');
    this.#token = opts.token;
    this.#timeoutMs = opts.timeoutMs ?? 10_000;
    this.#retries = Math.max(0, Math.floor(opts.retries ?? 3));
    this.#backoffMs = opts.backoffMs ?? 200;
    const agentOpts = {
      keepAlive: true,
      maxSockets: opts.maxSockets ?? 8,
      maxFreeSockets: opts.maxSockets ?? 8,
    };
    const secure = this.#base.protocol === 'https:';
    this.#agent = secure ? new https.Agent(agentOpts) : new http.Agent(agentOpts);
    this.#request = secure ? https.request : http.request;
    this.#logger = opts.logger;
  }

  /**
   * One PUT per object. An LL-HLS playlist's state travels as JSON in X-Corral-Live, and its
   * delta update is appended to the body with X-Corral-Delta-Length saying how many trailing bytes
   * it takes: one request, so the origin can never hold a playlist with another version's delta,
   * and the receiver's object size limit bounds both together.
   */
  async put(obj: PushObject): Promise<void> {
    let body = obj.body;
    const headers: http.OutgoingHttpHeaders = { 'content-type': obj.contentType, 'x-corral-kind': obj.kind };
    if (obj.maxAgeS !== undefined) headers['x-corral-max-age'] = String(obj.maxAgeS);
    if (obj.live !== undefined) headers['x-corral-live'] = encodeLiveHeader(obj.live);
    if (obj.delta !== undefined) {
      headers['x-corral-delta-length'] = String(obj.delta.length);
      body = Buffer.concat([obj.body, obj.delta]);
    }
    headers['content-length'] = body.length;
    return this.#send('PUT', obj.path, headers, body);
  }

  remove(path: string): Promise<void> {
    return this.#send('DELETE', path, {}, undefined);
  }

  /** One HEAD, no retries: the packager asks this while waiting for a lost origin to return. */
  async probe(path: string): Promise<void> {
    if (this.#closed) throw new CorralError('PUSH_FAILED', 'push transport closed');
    // A plain viewer's request: the token is for writes and is not sent where it is not needed.
    await this.#once('HEAD', this.#target(path), {}, undefined, PROBE_TIMEOUT_MS);
  }

  originInstance(): string | undefined {
    return this.#instance;
  }

  /** Drop pooled connections; later pushes fail with PUSH_FAILED. */
  close(): void {
    this.#closed = true;
    this.#agent.destroy();
  }

  async #send(
    method: 'PUT' | 'DELETE',
    path: string,
    headers: http.OutgoingHttpHeaders,
    body: Buffer | undefined,
  ): Promise<void> {
    const target = this.#target(path);
    const allHeaders = { ...headers, authorization: `Bearer ${this.#token}` };
    for (let attempt = 0; ; attempt++) {
      if (this.#closed) throw new CorralError('PUSH_FAILED', `push transport closed (${method} ${path})`);
      let problem: string;
      try {
        const { status, text } = await this.#once(method, target, allHeaders, body);
        if (status >= 200 && status < 300) return;
        if (status === 401 || status === 403) {
          throw new CorralError(
            'PUSH_UNAUTHORIZED',
            `origin refused push token (${status}) for ${method} ${path}`,
          );
        }
        if (status < 500) {
          throw new CorralError('PUSH_FAILED', `origin answered ${status} to ${method} ${path}: ${text}`);
        }
        problem = `HTTP ${status}: ${text}`;
      } catch (e) {
        if (e instanceof CorralError) throw e;
        problem = describeError(e);
      }
      if (attempt >= this.#retries) {
        throw new CorralError(
          'PUSH_FAILED',
          `${method} ${path} failed after ${attempt + 1} attempts: ${problem}`,
          {
            recoverable: true,
          },
        );
      }
      // Exponential backoff with jitter, so many packagers do not retry in lockstep.
      const delay = this.#backoffMs * 2 ** attempt * (0.5 + Math.random() / 2);
      this.#logger?.warn(
        { method, path, attempt: attempt + 1, problem, delayMs: Math.round(delay) },
        'push retry',
      );
      await new Promise((r) => setTimeout(r, delay));
    }
  }

  #target(path: string): string {
    return `${this.#basePath}/${path.split('/').map(encodeURIComponent).join('/')}`;
  }

  #once(
    method: string,
    path: string,
    headers: http.OutgoingHttpHeaders,
    body: Buffer | undefined,
    timeoutMs = this.#timeoutMs,
  ): Promise<{ status: number; text: string }> {
    return new Promise((resolve, reject) => {
      const req = this.#request({
        protocol: this.#base.protocol,
        hostname: this.#base.hostname,
        port: this.#base.port,
        path,
        method,
        headers,
        agent: this.#agent,
      });
      const timer = setTimeout(() => req.destroy(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
      req.on('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      req.on('response', (res) => {
        const instance = res.headers[ORIGIN_INSTANCE_HEADER];
        if (typeof instance === 'string' && instance !== '') this.#instance = instance;
        const chunks: Buffer[] = [];
        let kept = 0;
        res.on('data', (c: Buffer) => {
          if (kept < MAX_ERROR_TEXT) chunks.push(c);
          kept += c.length;
        });
        res.on('end', () => {
          clearTimeout(timer);
          const text = Buffer.concat(chunks).toString('utf8').slice(0, MAX_ERROR_TEXT).trim();
          resolve({ status: res.statusCode ?? 0, text });
        });
        res.on('error', (e) => {
          clearTimeout(timer);
          reject(e);
        });
      });
      req.end(body);
    });
  }
}
