import type { IncomingMessage } from 'node:http';
import { headerString } from '../http/fields.js';
import type { Clock } from '../util/clock.js';
import { SharedBody } from './body.js';
import type { DegradeStep } from './degrade.js';
import { degraded, playlistKind } from './degrade-playlist.js';
import { objectHeaders, syntheticEntry, type Entry } from './entry.js';
import type { CacheMonitor } from './monitor.js';
import { serveEntry } from './serve.js';
import { withToken } from './token.js';
import { upstreamRequestHeaders, type Fetcher } from './upstream.js';
import type { Answerer, CacheResult, DoneFn, Waiter } from './waiter.js';

/** The last token-carrying copy made of a playlist entry: a player re-polling reuses it. */
const lastTokenised = new WeakMap<Entry, { token: string; out: Entry }>();

/**
 * A playlist as a token holder gets it: its URIs carry the token (see withToken for why). Made
 * at serve time from the one cached copy; anything but a whole 200 playlist is served as is.
 */
function tokenised(e: Entry, token: string): Entry {
  if (e.status !== 200 || !e.body.complete) return e;
  const ct = headerString(e.headers['content-type'] as string | string[] | undefined) ?? '';
  if (!ct.toLowerCase().includes('mpegurl')) return e;
  const memo = lastTokenised.get(e);
  if (memo?.token === token) return memo.out;
  const body = SharedBody.of(Buffer.from(withToken(e.body.concat().toString('utf8'), token)));
  // Another representation: the upstream's validators no longer describe these bytes.
  const headers = { ...e.headers };
  delete headers.etag;
  delete headers['last-modified'];
  const out: Entry = { ...e, headers, body, etag: undefined, lastModified: undefined };
  lastTokenised.set(e, { token, out });
  return out;
}

/** The node's degradation step as the answerer applies it (see degrade.ts). */
export interface Shaping {
  step(): DegradeStep;
  readonly dropRungs: number;
  readonly retryAfterS: number;
  /** A new session was turned away (step 3). */
  refused(): void;
}

const NO_SHAPING: Shaping = { step: () => 0, dropRungs: 1, retryAfterS: 5, refused: () => {} };

/**
 * Answers waiters over HTTP: from an entry (serve.ts), or outside the cache with a request of
 * their own (credentials, or an upstream answer that is not for sharing).
 */
export class HttpAnswerer implements Answerer {
  readonly #name: string;
  readonly #upstream: Fetcher;
  readonly #monitor: CacheMonitor;
  readonly #clock: Clock;
  readonly #done: DoneFn;
  readonly #shaping: Shaping;

  constructor(
    name: string,
    upstream: Fetcher,
    monitor: CacheMonitor,
    clock: Clock,
    done: DoneFn,
    shaping: Shaping = NO_SHAPING,
  ) {
    this.#shaping = shaping;
    this.#name = name;
    this.#upstream = upstream;
    this.#monitor = monitor;
    this.#clock = clock;
    this.#done = done;
  }

  deliver(w: Waiter, e: Entry, result: CacheResult): void {
    const step = this.#shaping.step();
    if (step > 0) {
      // A new session starts with the multivariant playlist; at step 3 it is asked to come back.
      if (step >= 3 && playlistKind(e) === 'multivariant') return this.#refuse(w);
      e = degraded(e, step, this.#shaping.dropRungs);
    }
    const served = w.token === undefined ? e : tokenised(e, w.token);
    serveEntry(w, served, this.#name, result, this.#done, this.#clock.now());
  }

  #refuse(w: Waiter): void {
    this.#shaping.refused();
    const e = syntheticEntry(
      503,
      'busy: new viewers are turned away for a moment',
      'no-store',
      this.#clock.now(),
    );
    e.headers['retry-after'] = String(this.#shaping.retryAfterS);
    serveEntry(w, e, this.#name, 'ERROR', this.#done, this.#clock.now());
  }

  passThrough(w: Waiter): void {
    const headers = upstreamRequestHeaders(w.req.headers, false, this.#name, w.req.socket.remoteAddress);
    let answered = false;
    const handle = this.#upstream.get(
      w.req.method === 'HEAD' ? 'HEAD' : 'GET',
      w.req.url!,
      headers,
      (up) => {
        answered = true;
        this.#monitor.upstreamStatus(String(up.statusCode));
        this.direct(w, up);
      },
      () => {
        answered = true;
        this.#monitor.upstreamStatus('error');
        const e = syntheticEntry(502, 'upstream unreachable', 'no-store', this.#clock.now());
        this.deliver(w, e, 'ERROR');
      },
    );
    w.res.once('close', () => {
      if (!answered) handle.abort();
    });
  }

  direct(w: Waiter, up: IncomingMessage): void {
    const res = w.res;
    if (res.destroyed) return void up.destroy();
    const h = objectHeaders(up.headers);
    const cl = headerString(up.headers['content-length']);
    if (cl !== undefined) h['content-length'] = cl;
    if (up.headers.age !== undefined) h.age = up.headers.age;
    const upX = headerString(up.headers['x-cache']);
    h['x-cache'] = `${this.#name} PASS${upX === undefined ? '' : `, ${upX}`}`;
    res.writeHead(up.statusCode ?? 502, h);
    let bytes = 0;
    up.on('data', (c: Buffer) => (bytes += c.length));
    up.on('error', () => res.destroy());
    up.on('aborted', () => res.destroy());
    up.on('end', () => {
      if (!up.complete) res.destroy();
    });
    res.on('close', () => {
      if (!up.complete) up.destroy();
      this.#done(w, 'PASS', bytes);
    });
    up.pipe(res);
  }
}
