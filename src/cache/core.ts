import type { ByteShare } from '../util/byte-share.js';
import type { IncomingHttpHeaders } from 'node:http';
import type { CacheConfig } from '../config/schema.js';
import type { Clock, TimerHandle } from '../util/clock.js';
import { inSwrWindow, isFresh, syntheticEntry, usableMs, varyKeyOf, type Entry } from './entry.js';
import { Flight, type FlightDeps, type FlightOwner, type FlightSettings } from './flight.js';
import type { Grant } from './link.js';
import { LiveRules, type RefreshFirst } from './live.js';
import type { CacheMonitor } from './monitor.js';
import { MemoryStore } from './store.js';
import { UnknownPathGuard } from './unknown.js';
import { PEER_HOPS, type Fetcher } from './upstream.js';
import type { Answerer, Waiter } from './waiter.js';

/** A request passes at most this many workers before one fetches upstream regardless of leases. */
export const MAX_HOPS = 2;

/** How often the store drops entries that died (a cached 404 lives ~1 s, a live segment ~45 s). */
const SWEEP_EVERY_MS = 1000;

export interface CoreSettings extends FlightSettings {
  /** Byte budget of the object store. */
  readonly maxBytes: number;
  /** Live rules: hold requests at most this many sequence numbers beyond the newest listed... */
  readonly futureMaxAhead: number;
  /** ...for at most this many target durations. */
  readonly futureHoldFactor: number;
  /** Unknown names under a live folder that just answered 404: one upstream request per this. */
  readonly unknownPathIntervalMs?: number;
  /** Live rules: an expired plain playlist is refreshed first (cache.playlistRefreshFirst). */
  readonly playlistRefreshFirst?: RefreshFirst;
}

/** A node's core settings from its section of the one schema (`cache` or `shield`). */
export function coreSettingsOf(c: CacheConfig): CoreSettings {
  return {
    name: c.name,
    holdTimeoutMs: c.holdTimeoutMs,
    maxAttempts: c.leaderAttempts,
    maxObjectBytes: c.maxObjectBytes,
    maxBytes: c.maxBytes,
    futureMaxAhead: c.futureMaxAhead,
    futureHoldFactor: c.futureHoldFactor,
    unknownPathIntervalMs: c.unknownPathIntervalMs,
    playlistRefreshFirst: c.playlistRefreshFirst,
    defaults: { staleIfErrorMs: c.staleIfErrorS * 1000, notFoundTtlMs: c.notFoundTtlMs },
  };
}

/** Multi-worker mode (ClusterLink): who fetches a key for the whole node. */
export interface Leases {
  lease(url: string): Promise<Grant>;
  /** The owner worker as a fetch source. */
  peer(port: number): Fetcher;
  /** An object this worker owns was stored and stays usable `ms` more. */
  kept(url: string, ms: number): void;
}

export interface CoreDeps {
  readonly clock: Clock;
  readonly upstream: Fetcher;
  readonly answer: Answerer;
  readonly monitor: CacheMonitor;
  readonly leases?: Leases | undefined;
  /** The all-in-one process: bodies another tier holds are kept once (util/byte-share.ts). */
  readonly share?: ByteShare | undefined;
}

function keyOf(url: string, varyKey: string): string {
  return varyKey === '' ? url : `${url}\n${varyKey}`;
}

/**
 * The lookup side of one cache node, with no HTTP server in it: store, single flights, RFC 9111
 * freshness and the live rules. Requests come in as waiters through lookup(); answers leave
 * through the Answerer. The same core runs behind the HTTP front (index.ts), in tests on a fake
 * clock with an in-memory upstream, and in the simulator.
 */
export class CacheCore implements FlightOwner {
  readonly store: MemoryStore;
  readonly live: LiveRules;
  readonly #clock: Clock;
  readonly #monitor: CacheMonitor;
  readonly #answer: Answerer;
  readonly #leases: Leases | undefined;
  readonly #flights = new Map<string, Flight>();
  readonly #unknown: UnknownPathGuard;
  /** Flights for names the unknown-path guard let through: it hears when they are answered. */
  readonly #probes = new Set<Flight>();
  /** Shared by every flight: one object per node, not per miss. */
  readonly #flightDeps: FlightDeps;
  /** Bound once: lookup() runs per request and a closure per held request is enough. */
  readonly #afterHoldFn = (held: { w: Waiter; appeared: boolean }) => this.#afterHold(held);
  #sweepTimer: TimerHandle | undefined;

  constructor(settings: CoreSettings, deps: CoreDeps) {
    this.#clock = deps.clock;
    this.#monitor = deps.monitor;
    this.#answer = deps.answer;
    this.#leases = deps.leases;
    this.store = new MemoryStore(settings.maxBytes, settings.maxObjectBytes);
    this.live = new LiveRules({
      maxAhead: settings.futureMaxAhead,
      holdFactor: settings.futureHoldFactor,
      clock: deps.clock,
      onHoldOutcome: (outcome) => deps.monitor.holdOutcome(outcome),
      refresh: (playlistUrl) => this.#refreshPlaylist(playlistUrl),
      staleIfErrorMs: settings.defaults.staleIfErrorMs,
      refreshFirst: settings.playlistRefreshFirst ?? 'never',
    });
    this.#unknown = new UnknownPathGuard(settings.unknownPathIntervalMs ?? 0, deps.clock, this.live);
    this.#flightDeps = {
      settings: {
        name: settings.name,
        holdTimeoutMs: settings.holdTimeoutMs,
        maxAttempts: settings.maxAttempts,
        maxObjectBytes: settings.maxObjectBytes,
        defaults: settings.defaults,
      },
      clock: deps.clock,
      upstream: deps.upstream,
      answer: deps.answer,
      owner: this,
      live: this.live,
      monitor: deps.monitor,
      share: deps.share,
    };
  }

  /** In-flight fetches right now (tests and the simulator watch this). */
  get flights(): number {
    return this.#flights.size;
  }

  /**
   * The entry a plain request is answered with at once, as lookup() would: a fresh whole 200 is a
   * HIT; within stale-while-revalidate it is STALE and one background revalidation starts (or is
   * already running). Anything else (a miss, an error status, a partial body, credentials) is
   * undefined, and the request takes lookup() like any other.
   */
  quickAnswer(
    url: string,
    headers: IncomingHttpHeaders,
    clientIp: string | undefined,
  ): { e: Entry; result: 'HIT' | 'STALE' } | undefined {
    if (headers.authorization !== undefined) return undefined;
    const key = keyOf(url, varyKeyOf(this.store.varyOf(url), headers));
    const e = this.store.get(key);
    if (e === undefined || e.status !== 200 || !e.body.complete) return undefined;
    const now = this.#clock.now();
    if (isFresh(e, now)) return { e, result: 'HIT' };
    if (!inSwrWindow(e, now)) return undefined;
    if (!this.#flights.has(key)) {
      if (e.policy.refreshFirst) return undefined; // lookup() starts the refresh and waits for it
      this.#startFlight(url, key, headers, clientIp, e, undefined);
    }
    return { e, result: 'STALE' };
  }

  /** Answer one cacheable GET or HEAD: from the store, by joining a flight, or by starting one. */
  lookup(w: Waiter): void {
    const url = w.req.url!;
    const key = keyOf(url, varyKeyOf(this.store.varyOf(url), w.req.headers));
    const e = this.store.get(key);
    let stale: Entry | undefined;
    // RFC 9111 3.5: with credentials, only answers marked public (or s-maxage, must-revalidate)
    // come from storage; others get a request of their own.
    if (e !== undefined && !e.policy.forCredentials && w.req.headers.authorization !== undefined)
      return this.#answer.passThrough(w);
    if (e !== undefined) {
      const now = this.#clock.now();
      if (isFresh(e, now)) return this.#answer.deliver(w, e, 'HIT');
      const refreshing = this.#flights.has(key);
      // refreshFirst (live playlists): no refresh running yet, so this request starts one and
      // waits for it, as on a stale entry past the window.
      if (inSwrWindow(e, now) && (refreshing || !e.policy.refreshFirst)) {
        this.#answer.deliver(w, e, 'STALE');
        if (!refreshing) this.#startFlight(url, key, w.req.headers, w.req.socket.remoteAddress, e, undefined);
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
    if (this.live.maybeHold(url, w, this.#afterHoldFn)) {
      this.#monitor.parked(1);
      return;
    }
    const admission = stale === undefined ? this.#unknown.admit(url) : 'free';
    if (admission === 'refuse') {
      // Not stored: a flood of random names must not fill the store. max-age=1 lets a tier below
      // keep it per key as it would the upstream's own 404.
      const nf = syntheticEntry(404, 'not found', 'public, max-age=1', this.#clock.now());
      return this.#answer.deliver(w, nf, 'HIT');
    }
    const f2 = this.#startFlight(url, key, w.req.headers, w.req.socket.remoteAddress, stale, w);
    if (admission === 'probe') this.#probes.add(f2);
  }

  #afterHold(held: { w: Waiter; appeared: boolean }): void {
    this.#monitor.parked(-1);
    if (held.w.res.destroyed) return;
    if (held.appeared) return this.lookup(held.w);
    const e = syntheticEntry(404, 'not yet available', 'no-store', this.#clock.now());
    this.#answer.deliver(held.w, e, 'HELD');
  }

  #startFlight(
    url: string,
    key: string,
    headers: IncomingHttpHeaders,
    clientIp: string | undefined,
    stale: Entry | undefined,
    w: Waiter | undefined,
  ): Flight {
    const f = new Flight(this.#flightDeps, url, key, headers, clientIp, stale);
    this.#flights.set(key, f);
    if (w !== undefined) f.join(w);
    const hops = Number(headers[PEER_HOPS] ?? 0);
    if (this.#leases === undefined || !(hops < MAX_HOPS)) f.start();
    else this.#leaseAndStart(this.#leases, f, hops);
    return f;
  }

  /**
   * Multi-worker single flight: the flight exists (later requests in this worker join it) while
   * the primary says who fetches. The lease is per URL, so all variants of a URL have one owner,
   * which coalesces them per full key like a single-process node.
   */
  #leaseAndStart(leases: Leases, f: Flight, hops: number): void {
    leases.lease(f.url).then(
      (g) => (g.own ? f.start() : f.start(leases.peer(g.peerPort), hops + 1)),
      () => f.start(),
    );
  }

  /** Fetch a playlist in the background (coalesced with viewers' own requests for it). */
  #refreshPlaylist(url: string): void {
    const key = keyOf(url, '');
    if (this.#flights.has(key)) return;
    const e = this.store.get(key);
    if (e !== undefined && isFresh(e, this.#clock.now())) return;
    this.#startFlight(url, key, {}, undefined, e, undefined);
  }

  // ---- FlightOwner ----

  keep(url: string, e: Entry): void {
    this.store.set(url, keyOf(url, e.varyKey), e);
    this.#scheduleSweep();
    this.#leases?.kept(url, usableMs(e, this.#clock.now()));
  }

  notFound(url: string): void {
    this.#unknown.notFound(url);
  }

  drop(url: string, e: Entry): void {
    this.store.deleteIf(keyOf(url, e.varyKey), e);
  }

  finished(f: Flight): void {
    if (this.#flights.get(f.key) === f) this.#flights.delete(f.key);
    if (this.#probes.delete(f)) this.#unknown.probeDone(f.url);
  }

  relead(f: Flight): void {
    const leases = this.#leases;
    if (leases === undefined) return f.start();
    // Backing off gives the primary time to see the dead owner exit and drop its leases.
    this.#clock.setTimeout(() => this.#leaseAndStart(leases, f, 0), 25 << Math.min(f.releads, 5));
  }

  /** While anything is stored, dead entries are dropped about once a second (store.sweep). */
  #scheduleSweep(): void {
    if (this.#sweepTimer !== undefined) return;
    const tick = () => {
      this.#sweepTimer = undefined;
      this.store.sweep(this.#clock.now());
      if (this.store.objects > 0) this.#scheduleSweep();
    };
    this.#sweepTimer = this.#clock.setTimeout(tick, SWEEP_EVERY_MS, true);
  }

  /** The node is closing: parked requests are cut, timers stopped, the store emptied. */
  close(): void {
    this.#clock.clearTimeout(this.#sweepTimer);
    this.#sweepTimer = undefined;
    for (const f of this.#flights.values()) f.abort();
    this.#flights.clear();
    this.#probes.clear();
    this.live.close();
    this.store.clear();
  }
}
