import { isBlockingReload } from '../hls/directives.js';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { SharedBody } from './body.js';
import { createEntry, inSieWindow, refreshEntry, syntheticEntry, varyKeyOf, type Entry } from './entry.js';
import type { CacheResult } from './serve.js';
import { PEER_HOPS, upstreamRequestHeaders, type Upstream, type UpstreamHandle } from './upstream.js';
import { describeError, isCorralError } from '../util/errors.js';

/** Times a flight asks for a new owner after its owner worker failed (it may die repeatedly). */
const MAX_RELEADS = 5;

/**
 * An owner worker's answer says "edge MISS, shield HIT": the first part is this node's own tier
 * (the owner), not a tier above, and the viewer's worker adds its own.
 */
function stripOwnXCache(up: IncomingMessage, name: string): void {
  const x = up.headers['x-cache'];
  if (typeof x !== 'string' || !x.startsWith(`${name} `)) return;
  const i = x.indexOf(', ');
  if (i < 0) delete up.headers['x-cache'];
  else up.headers['x-cache'] = x.slice(i + 2);
}

/** A client request waiting for (or leading) an upstream fetch. */
export interface Waiter {
  req: IncomingMessage;
  res: ServerResponse;
  started: number;
  result: CacheResult;
  /** Another worker of this node fetching through us (multi-worker mode): not a viewer. */
  peer: boolean;
}

/** What a flight needs from the node that owns it (given at construction, no globals). */
export interface FlightHost {
  readonly name: string;
  readonly upstream: Upstream;
  readonly holdTimeoutMs: number;
  readonly maxAttempts: number;
  readonly maxObjectBytes: number;
  /** Serve an entry to one waiter and record the result. */
  deliver(w: Waiter, e: Entry, result: CacheResult): void;
  /** Give a waiter its own upstream request (the answer was not for sharing). */
  passThrough(w: Waiter): void;
  /** Stream a non-shared upstream answer straight to one waiter. */
  direct(w: Waiter, up: IncomingMessage): void;
  /** Look a waiter up again (its Vary values differ from the ones this fetch was made with). */
  redispatch(w: Waiter): void;
  /** Store an entry, or refresh its accounting; `remove` takes it out again (body failed). */
  keep(url: string, e: Entry): void;
  drop(url: string, e: Entry): void;
  /** The flight is decided: new requests must no longer join it. */
  finished(f: Flight): void;
  /** Live rules: true when this answer must be read whole before anyone gets it (playlists). */
  wantsWhole(url: string, up: IncomingMessage): boolean;
  /** Live rules: a segment or part the playlist does not list yet. */
  isFuture(url: string): boolean;
  /** Live rules: the entry to keep and serve once a whole-read answer is complete. */
  settleWhole(url: string, e: Entry): Entry;
  upstreamStatus(status: string): void;
  /** Multi-worker mode: the owner worker we fetched from failed; ask who owns the key now. */
  relead(f: Flight): void;
  parked(delta: number): void;
  log(msg: string, fields: Record<string, unknown>): void;
}

/**
 * Single flight for one (cache key, freshness generation): one upstream fetch, any number of
 * waiters parked as close listeners (no timers, no polling), all released by one call when the
 * answer's headers arrive. The fetch belongs to the node, not to the first client, so the
 * leader's client leaving changes nothing for the others.
 */
export class Flight {
  readonly key: string;
  readonly url: string;
  readonly #host: FlightHost;
  readonly #reqHeaders: IncomingHttpHeaders;
  readonly #clientIp: string | undefined;
  readonly #stale: Entry | undefined;
  readonly #waiters = new Map<Waiter, () => void>();
  readonly #attempts = new Set<UpstreamHandle>();
  #leader: Waiter | undefined;
  #launched = 0;
  #timer: NodeJS.Timeout | undefined;
  #decided = false;
  /** Where this flight fetches: the node's upstream, or (multi-worker) the key's owner worker. */
  #source: Upstream | undefined;
  #hops = 0;
  #releads = 0;

  constructor(host: FlightHost, url: string, key: string, req: IncomingMessage, stale: Entry | undefined) {
    this.#host = host;
    this.url = url;
    this.key = key;
    this.#reqHeaders = req.headers;
    this.#clientIp = req.socket.remoteAddress;
    this.#stale = stale;
  }

  get waiterCount(): number {
    return this.#waiters.size;
  }

  join(w: Waiter): void {
    this.#leader ??= w;
    const onClose = () => {
      if (this.#waiters.delete(w)) this.#host.parked(-1);
    };
    w.res.once('close', onClose);
    this.#waiters.set(w, onClose);
    this.#host.parked(1);
  }

  /** The requests this flight re-asked for a lease after its owner worker failed. */
  get releads(): number {
    return this.#releads;
  }

  get decided(): boolean {
    return this.#decided;
  }

  /**
   * Fetch from the node's upstream, or from `peer` (the owner worker; `hops` counts the workers
   * this request has passed). Called again by relead() after a failed owner.
   */
  start(peer?: Upstream, hops = 0): void {
    if (this.#decided) return;
    this.#source = peer;
    this.#hops = hops;
    this.#launched = 0;
    this.#attempt();
  }

  #attempt(): void {
    this.#launched++;
    const requestTime = Date.now();
    const headers = upstreamRequestHeaders(this.#reqHeaders, true, this.#host.name, this.#clientIp);
    if (this.#stale?.etag !== undefined) headers['if-none-match'] = this.#stale.etag;
    else if (this.#stale?.lastModified !== undefined) headers['if-modified-since'] = this.#stale.lastModified;
    if (this.#source !== undefined) headers[PEER_HOPS] = String(this.#hops);
    const handle: UpstreamHandle = (this.#source ?? this.#host.upstream).get(
      'GET',
      this.url,
      headers,
      (res) => this.#onResponse(handle, res, requestTime),
      (err) => this.#onError(handle, err),
    );
    this.#attempts.add(handle);
    // Cache-blocking timeout: if this fetch has no answer by then, exactly one more is started and
    // whichever answers first serves everyone. The waiters never start fetches of their own.
    // Through an owner worker there is no hand-off here: the owner runs its own.
    // A blocking playlist reload (LL-HLS _HLS_msn/_HLS_part) is held upstream on purpose until
    // the part exists (the origin answers or gives 503 within 3 target durations): a hand-off
    // would only park a second identical request there, so none is made; the upstream timeout
    // still bounds a dead upstream.
    clearTimeout(this.#timer);
    if (
      this.#launched < this.#host.maxAttempts &&
      this.#source === undefined &&
      !isBlockingReload(this.url)
    ) {
      this.#timer = setTimeout(() => {
        if (this.#decided) return;
        this.#host.log('cache-blocking timeout: electing a new leader fetch', { url: this.url });
        this.#attempt();
      }, this.#host.holdTimeoutMs);
    }
  }

  /** Stop fetching alternatives; `open` keeps accepting joiners until the answer is whole. */
  #decide(winner: UpstreamHandle | undefined, open = false): void {
    this.#decided = true;
    clearTimeout(this.#timer);
    for (const a of this.#attempts) if (a !== winner) a.abort();
    this.#attempts.clear();
    if (!open) this.#host.finished(this);
  }

  #onError(handle: UpstreamHandle, err: Error): void {
    this.#attempts.delete(handle);
    if (this.#source === undefined) this.#host.upstreamStatus('error');
    if (this.#decided || this.#attempts.size > 0) return;
    if (this.#source !== undefined && this.#releads < MAX_RELEADS) {
      // The owner worker died or refused the connection (an owner with a failing upstream answers
      // 502/504 instead): ask the primary again; a dead owner's keys get a new owner.
      this.#releads++;
      this.#host.log('owner worker failed; asking for the lease again', { url: this.url });
      return this.#host.relead(this);
    }
    this.#decide(undefined);
    this.#host.log('upstream fetch failed', { url: this.url, err: describeError(err) });
    if (this.#stale !== undefined && inSieWindow(this.#stale)) return this.#release(this.#stale, 'STALE');
    const timeout = isCorralError(err, 'UPSTREAM_TIMEOUT');
    // One shared error answer for everyone parked, kept at most 1 s so a dead origin is not
    // hammered by one fetch per arriving request.
    const e = syntheticEntry(
      timeout ? 504 : 502,
      timeout ? 'upstream timed out' : 'upstream unreachable',
      'public, max-age=1',
    );
    this.#host.keep(this.url, e);
    this.#release(e, 'ERROR');
  }

  #onResponse(handle: UpstreamHandle, up: IncomingMessage, requestTime: number): void {
    this.#attempts.delete(handle);
    if (this.#decided) {
      up.destroy();
      return;
    }
    const status = up.statusCode ?? 502;
    if (this.#source !== undefined) stripOwnXCache(up, this.#host.name);
    const whole = status === 200 && this.#host.wantsWhole(this.url, up);
    this.#decide(handle, whole);
    if (this.#source === undefined) this.#host.upstreamStatus(String(status));
    const stale = this.#stale;
    if (status === 304 && stale !== undefined) {
      up.resume();
      const e = refreshEntry(stale, up.headers, requestTime);
      if (e.policy.storable) this.#host.keep(this.url, e);
      return this.#release(e);
    }
    if (status >= 500 && stale !== undefined && inSieWindow(stale)) {
      up.destroy();
      return this.#release(stale, 'STALE');
    }
    const declared = Number(up.headers['content-length']);
    const length = Number.isSafeInteger(declared) && declared >= 0 ? declared : undefined;
    const probe = createEntry(status, up.headers, new SharedBody(0), requestTime, this.#reqHeaders);
    if (!probe.policy.shareable || (length ?? 0) > this.#host.maxObjectBytes) {
      // Not for sharing (private, no-store, Set-Cookie) or too big to hold: the leader takes this
      // answer, every other waiter gets its own request now, all at once rather than in turn.
      this.#host.finished(this);
      return this.#releaseUnshared(up);
    }
    if (status === 404 && this.#host.isFuture(this.url)) {
      // Live rule: a segment the playlist does not list yet will exist in a moment; a cached 404
      // would hide it from everyone for the 404's lifetime.
      probe.headers['cache-control'] = 'no-store';
      probe.policy = { ...probe.policy, storable: false, lifetimeMs: 0 };
    }
    const body = new SharedBody(length);
    const e: Entry = { ...probe, body };
    this.#feed(up, body, e);
    if (whole) {
      const settle = () => {
        if (!body.settled) return;
        body.unsubscribe(settle);
        this.#host.finished(this);
        if (body.error !== undefined) return this.#release(e);
        const kept = this.#host.settleWhole(this.url, e);
        if (kept === e && e.policy.storable) this.#host.keep(this.url, e);
        this.#release(kept);
      };
      body.subscribe(settle);
      return;
    }
    if (e.policy.storable) this.#host.keep(this.url, e);
    this.#release(e);
  }

  /** Copy upstream bytes into the shared body; a short, long or broken body is never kept. */
  #feed(up: IncomingMessage, body: SharedBody, e: Entry): void {
    const hardCap = this.#host.maxObjectBytes;
    up.on('data', (chunk: Buffer) => {
      if (body.length + chunk.length > hardCap) {
        up.destroy(new Error(`object larger than ${hardCap} bytes`));
        return;
      }
      body.append(chunk);
    });
    up.on('end', () => {
      if (up.complete) body.finish();
      else body.fail(new Error('upstream closed early'));
    });
    up.on('error', (err) => body.fail(err));
    up.on('close', () => body.fail(new Error('upstream closed early')));
    const done = () => {
      if (!body.settled) return;
      body.unsubscribe(done);
      if (body.error !== undefined) {
        this.#host.log('upstream body failed; not cached', { url: this.url, err: body.error.message });
        this.#host.drop(this.url, e);
      } else if (e.policy.storable) {
        this.#host.keep(this.url, e); // re-store so the byte budget counts the real size
      }
    };
    body.subscribe(done);
  }

  #releaseUnshared(up: IncomingMessage): void {
    const leader = this.#leader;
    const others: Waiter[] = [];
    for (const [w, onClose] of this.#waiters) {
      w.res.off('close', onClose);
      if (w !== leader) others.push(w);
    }
    const leaderHere = leader !== undefined && this.#waiters.has(leader);
    this.#host.parked(-this.#waiters.size);
    this.#waiters.clear();
    if (leaderHere) this.#host.direct(leader, up);
    else up.destroy();
    for (const w of others) this.#host.passThrough(w);
  }

  /** One event releases everyone: each waiter is served the same entry from the same buffers. */
  #release(e: Entry, override?: CacheResult): void {
    const list = [...this.#waiters];
    this.#host.parked(-list.length);
    this.#waiters.clear();
    for (const [w, onClose] of list) {
      w.res.off('close', onClose);
      if (e.varyNames.length > 0 && varyKeyOf(e.varyNames, w.req.headers) !== e.varyKey) {
        this.#host.redispatch(w);
        continue;
      }
      this.#host.deliver(w, e, override ?? w.result);
    }
  }

  /** The node is closing. */
  abort(): void {
    this.#decide(undefined);
    for (const [w] of this.#waiters) w.res.destroy();
  }
}
