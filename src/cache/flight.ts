import { isBlockingReload } from '../hls/directives.js';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { Clock, TimerHandle } from '../util/clock.js';
import { describeError, isCorralError } from '../util/errors.js';
import { SharedBody, type BodySharing } from './body.js';
import { sharePath, type ByteShare } from '../util/byte-share.js';
import { createEntry, inSieWindow, refreshEntry, syntheticEntry, varyKeyOf, type Entry } from './entry.js';
import type { CacheMonitor } from './monitor.js';
import type { PolicyDefaults } from './policy.js';
import { PEER_HOPS, upstreamRequestHeaders, type Fetcher, type UpstreamHandle } from './upstream.js';
import type { Answerer, CacheResult, Waiter } from './waiter.js';

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

/** Fixed for every flight of one node. */
export interface FlightSettings {
  /** This node's tier name (Via, X-Cache). */
  readonly name: string;
  /** Cache-blocking timeout: a fetch without an answer by then gets one more alongside. */
  readonly holdTimeoutMs: number;
  /** Fetches one flight may have started in all. */
  readonly maxAttempts: number;
  readonly maxObjectBytes: number;
  /** What this tier assumes when an upstream answer leaves stale-if-error or a 404's lifetime unsaid. */
  readonly defaults: PolicyDefaults;
}

/** The cache a flight reports to: where answers are kept and who decides what happens next. */
export interface FlightOwner {
  /** Store an entry, or refresh its accounting once the body is complete. */
  keep(url: string, e: Entry): void;
  /** Upstream answered 404 for `url` (unknown-path guard). */
  notFound(url: string): void;
  /** Take a stored entry out again (its body failed). */
  drop(url: string, e: Entry): void;
  /** The flight is decided: new requests must no longer join it. */
  finished(f: Flight): void;
  /** Look a waiter up again (its Vary values differ from the ones this fetch was made with). */
  lookup(w: Waiter): void;
  /** Multi-worker mode: the owner worker we fetched from failed; ask who owns the key now. */
  relead(f: Flight): void;
}

/** The live rules a flight consults (LiveRules in live.ts). */
export interface LiveAdvice {
  /** True when this answer must be read whole before anyone gets it (playlists). */
  isPlaylist(url: string, headers: IncomingHttpHeaders): boolean;
  /** A segment or part the playlist does not list yet: its 404 must not be kept. */
  isFuture(url: string): boolean;
  /** The entry to keep and serve once a whole-read playlist is complete. */
  acceptPlaylist(url: string, e: Entry): Entry;
  /** A stored playlist a 304 renewed, with the same caps its 200 had. */
  renewPlaylist(url: string, e: Entry): Entry;
  /** The newest playlist of this path, to serve when the upstream fails and nothing is stored. */
  fallback(url: string): Entry | undefined;
}

/** A flight's collaborators, built once per node and shared by all its flights. */
export interface FlightDeps {
  readonly settings: FlightSettings;
  readonly clock: Clock;
  readonly upstream: Fetcher;
  readonly answer: Answerer;
  readonly owner: FlightOwner;
  readonly live: LiveAdvice;
  readonly monitor: CacheMonitor;
  /** The all-in-one process: bodies held by another tier are kept once (util/byte-share.ts). */
  readonly share?: ByteShare | undefined;
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
  readonly #deps: FlightDeps;
  readonly #settings: FlightSettings;
  readonly #reqHeaders: IncomingHttpHeaders;
  readonly #clientIp: string | undefined;
  readonly #stale: Entry | undefined;
  readonly #waiters = new Map<Waiter, () => void>();
  readonly #attempts = new Set<UpstreamHandle>();
  #leader: Waiter | undefined;
  #launched = 0;
  #timer: TimerHandle | undefined;
  #decided = false;
  /** Where this flight fetches: the node's upstream, or (multi-worker) the key's owner worker. */
  #source: Fetcher | undefined;
  #hops = 0;
  #releads = 0;
  /** Served to waiters once the upstream has been slower than the cache-blocking timeout. */
  #slowFallback: Entry | undefined;
  /** Fetched on behalf of a request with Authorization: shared only if RFC 9111 3.5 allows. */
  readonly #credentialed: boolean;

  /** `reqHeaders` and `clientIp` are the first request's: the shared fetch is made on its behalf. */
  constructor(
    deps: FlightDeps,
    url: string,
    key: string,
    reqHeaders: IncomingHttpHeaders,
    clientIp: string | undefined,
    stale: Entry | undefined,
  ) {
    this.#deps = deps;
    this.#settings = deps.settings;
    this.url = url;
    this.key = key;
    this.#reqHeaders = reqHeaders;
    this.#clientIp = clientIp;
    this.#stale = stale;
    this.#credentialed = reqHeaders.authorization !== undefined;
  }

  get waiterCount(): number {
    return this.#waiters.size;
  }

  join(w: Waiter): void {
    this.#leader ??= w;
    const onClose = () => {
      if (this.#waiters.delete(w)) this.#deps.monitor.parked(-1);
    };
    w.res.once('close', onClose);
    this.#waiters.set(w, onClose);
    this.#deps.monitor.parked(1);
    if (this.#slowFallback !== undefined) this.#release(this.#slowFallback, 'STALE');
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
  start(peer?: Fetcher, hops = 0): void {
    if (this.#decided) return;
    this.#source = peer;
    this.#hops = hops;
    this.#launched = 0;
    this.#attempt();
  }

  #attempt(): void {
    this.#launched++;
    const requestTime = this.#deps.clock.now();
    const headers = upstreamRequestHeaders(this.#reqHeaders, true, this.#settings.name, this.#clientIp);
    if (this.#stale?.etag !== undefined) headers['if-none-match'] = this.#stale.etag;
    else if (this.#stale?.lastModified !== undefined) headers['if-modified-since'] = this.#stale.lastModified;
    if (this.#source !== undefined) headers[PEER_HOPS] = String(this.#hops);
    const handle: UpstreamHandle = (this.#source ?? this.#deps.upstream).get(
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
    this.#deps.clock.clearTimeout(this.#timer);
    if (
      this.#launched < this.#settings.maxAttempts &&
      this.#source === undefined &&
      !isBlockingReload(this.url)
    ) {
      this.#timer = this.#deps.clock.setTimeout(() => {
        if (this.#decided) return;
        this.#deps.monitor.log('cache-blocking timeout: electing a new leader fetch', { url: this.url });
        // An upstream behind a dead link answers nothing (no refusal, no error) until the socket
        // times out: with a stale copy at hand, whoever waits gets it now, and so does whoever
        // joins later, while the fetches go on and refresh the store once the upstream answers.
        this.#slowFallback = this.#errorFallback(true);
        if (this.#slowFallback !== undefined) this.#release(this.#slowFallback, 'STALE');
        this.#attempt();
      }, this.#settings.holdTimeoutMs);
    }
  }

  /** Stop fetching alternatives; `open` keeps accepting joiners until the answer is whole. */
  #decide(winner: UpstreamHandle | undefined, open = false): void {
    this.#decided = true;
    this.#deps.clock.clearTimeout(this.#timer);
    for (const a of this.#attempts) {
      if (a === winner) continue;
      a.abort();
      // It was sent: the upstream saw it, so it counts as a fetch even with no answer read.
      if (this.#source === undefined) this.#deps.monitor.upstreamStatus('aborted');
    }
    this.#attempts.clear();
    if (!open) this.#deps.owner.finished(this);
  }

  #onError(handle: UpstreamHandle, err: Error): void {
    this.#attempts.delete(handle);
    if (this.#source === undefined) this.#deps.monitor.upstreamStatus('error');
    if (this.#decided || this.#attempts.size > 0) return;
    if (this.#source !== undefined && this.#releads < MAX_RELEADS) {
      // The owner worker died or refused the connection (an owner with a failing upstream answers
      // 502/504 instead): ask the primary again; a dead owner's keys get a new owner.
      this.#releads++;
      this.#deps.monitor.log('owner worker failed; asking for the lease again', { url: this.url });
      return this.#deps.owner.relead(this);
    }
    this.#decide(undefined);
    const fallback = this.#errorFallback(true);
    this.#deps.monitor.log(
      fallback === undefined
        ? 'upstream fetch failed: everyone waiting gets an error'
        : 'upstream fetch failed: stale copy served',
      { url: this.url, err: describeError(err), attempts: this.#launched, waiting: this.#waiters.size },
      fallback === undefined ? 'warn' : 'debug',
    );
    if (fallback !== undefined) return this.#release(fallback, 'STALE');
    // One shared error answer for everyone parked, kept at most 1 s so a dead origin is not
    // hammered by one fetch per arriving request. A tier at its own fetch cap says so (503 with
    // Retry-After): the upstream is fine, this tier is shedding load.
    const [status, message] = isCorralError(err, 'UPSTREAM_TIMEOUT')
      ? [504, 'upstream timed out']
      : isCorralError(err, 'UPSTREAM_BUSY')
        ? [503, 'busy: too many upstream fetches waiting']
        : [502, 'upstream unreachable'];
    const e = syntheticEntry(status, message, 'public, max-age=1', this.#deps.clock.now());
    if (status === 503) e.headers['retry-after'] = '1';
    this.#deps.owner.keep(this.url, e);
    this.#release(e, 'ERROR');
  }

  #onResponse(handle: UpstreamHandle, up: IncomingMessage, requestTime: number): void {
    this.#attempts.delete(handle);
    if (this.#decided) {
      // A hand-off's other fetch answered too late to be used; the upstream still served it.
      if (this.#source === undefined) this.#deps.monitor.upstreamStatus(String(up.statusCode ?? 502));
      up.destroy();
      return;
    }
    const status = up.statusCode ?? 502;
    if (this.#source !== undefined) stripOwnXCache(up, this.#settings.name);
    const whole = status === 200 && this.#deps.live.isPlaylist(this.url, up.headers);
    this.#decide(handle, whole);
    if (this.#source === undefined) this.#deps.monitor.upstreamStatus(String(status));
    const stale = this.#stale;
    if (status === 304 && stale !== undefined) {
      up.resume();
      const e = this.#deps.live.renewPlaylist(
        this.url,
        refreshEntry(stale, up.headers, requestTime, this.#deps.clock.now(), this.#settings.defaults),
      );
      if (e.policy.storable) this.#deps.owner.keep(this.url, e);
      return this.#release(e);
    }
    // A 503 is the origin's own answer to a blocking reload it could not satisfy in time: the
    // player should hear it, not be handed an older playlist as if the tier were down.
    const fallback = status >= 500 ? this.#errorFallback(status !== 503) : undefined;
    if (fallback !== undefined) {
      up.destroy();
      return this.#release(fallback, 'STALE');
    }
    const declared = Number(up.headers['content-length']);
    const length = Number.isSafeInteger(declared) && declared >= 0 ? declared : undefined;
    const probe = createEntry(
      status,
      up.headers,
      new SharedBody(0),
      requestTime,
      this.#reqHeaders,
      this.#deps.clock.now(),
      this.#settings.defaults,
    );
    const shareable = probe.policy.shareable && (!this.#credentialed || probe.policy.forCredentials);
    if (!shareable || (length ?? 0) > this.#settings.maxObjectBytes) {
      // Not for sharing (private, no-store, Set-Cookie) or too big to hold: the leader takes this
      // answer, every other waiter gets its own request now, all at once rather than in turn.
      this.#deps.owner.finished(this);
      return this.#releaseUnshared(up);
    }
    if (status === 404) this.#deps.owner.notFound(this.url);
    if (status === 404 && this.#deps.live.isFuture(this.url)) {
      // Live rule: a segment the playlist does not list yet will exist in a moment; a cached 404
      // would hide it from everyone for the 404's lifetime.
      probe.headers['cache-control'] = 'no-store';
      probe.policy = { ...probe.policy, storable: false, lifetimeMs: 0 };
    }
    const body = new SharedBody(length, this.#sharing());
    const e: Entry = { ...probe, body };
    this.#feed(up, body, e);
    if (whole) {
      const settle = () => {
        if (!body.settled) return;
        body.unsubscribe(settle);
        this.#deps.owner.finished(this);
        if (body.error !== undefined) return this.#release(e);
        const kept = this.#deps.live.acceptPlaylist(this.url, e);
        if (kept === e && e.policy.storable) this.#deps.owner.keep(this.url, e);
        this.#release(kept);
      };
      body.subscribe(settle);
      return;
    }
    if (e.policy.storable) this.#deps.owner.keep(this.url, e);
    this.#release(e);
  }

  /** How this flight's body finds a copy another tier holds: by path, objects without a query. */
  #sharing(): BodySharing | undefined {
    const share = this.#deps.share;
    const path = share === undefined ? undefined : sharePath(this.url);
    if (share === undefined || path === undefined) return undefined;
    return { find: (chunks, length) => share.find(path, chunks, length), offer: (b) => share.offer(path, b) };
  }

  /** What to serve instead of an upstream failure: the stale copy, or the newest playlist. */
  #errorFallback(newestPlaylist: boolean): Entry | undefined {
    const stale = this.#stale;
    if (stale !== undefined && inSieWindow(stale, this.#deps.clock.now())) return stale;
    return newestPlaylist ? this.#deps.live.fallback(this.url) : undefined;
  }

  /** Copy upstream bytes into the shared body; a short, long or broken body is never kept. */
  #feed(up: IncomingMessage, body: SharedBody, e: Entry): void {
    const hardCap = this.#settings.maxObjectBytes;
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
        this.#deps.monitor.log('upstream body failed; not cached', {
          url: this.url,
          err: body.error.message,
        });
        this.#deps.owner.drop(this.url, e);
      } else if (e.policy.storable) {
        this.#deps.owner.keep(this.url, e); // re-store so the byte budget counts the real size
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
    this.#deps.monitor.parked(-this.#waiters.size);
    this.#waiters.clear();
    if (leaderHere) this.#deps.answer.direct(leader, up);
    else up.destroy();
    for (const w of others) this.#deps.answer.passThrough(w);
  }

  /** One event releases everyone: each waiter is served the same entry from the same buffers. */
  #release(e: Entry, override?: CacheResult): void {
    const list = [...this.#waiters];
    this.#deps.monitor.parked(-list.length);
    this.#waiters.clear();
    for (const [w, onClose] of list) {
      w.res.off('close', onClose);
      if (e.varyNames.length > 0 && varyKeyOf(e.varyNames, w.req.headers) !== e.varyKey) {
        this.#deps.owner.lookup(w);
        continue;
      }
      if (w.req.headers.authorization !== undefined && !e.policy.forCredentials && e.status < 500) {
        // RFC 9111 3.5: this answer may not be given to a request with credentials from a cache.
        this.#deps.answer.passThrough(w);
        continue;
      }
      this.#deps.answer.deliver(w, e, override ?? w.result);
    }
  }

  /** The node is closing. */
  abort(): void {
    this.#decide(undefined);
    for (const [w] of this.#waiters) w.res.destroy();
  }
}
