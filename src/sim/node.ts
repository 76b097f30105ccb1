import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { CacheCore, type CoreSettings } from '../cache/core.js';
import { LimitedFetcher } from '../cache/fetch-limit.js';
import { currentAgeMs, syntheticEntry, type Entry } from '../cache/entry.js';
import type { CacheMonitor } from '../cache/monitor.js';
import type { Fetcher } from '../cache/upstream.js';
import type { Answerer, CacheResult, Waiter } from '../cache/waiter.js';
import { notModified } from '../http/conditional.js';
import { SharedBody } from '../cache/body.js';
import type { SimClock } from './clock.js';
import type { Reply, SimServer } from './link.js';
import { QuietResponse } from './message.js';

/** A request in the simulation: one cohort of `weight` identical viewers, or one lower tier (weight 1). */
interface SimWaiter extends Waiter {
  weight: number;
  parkedHere: boolean;
  onAnswer: (e: Entry, result: CacheResult) => void;
}

export const RESULTS: readonly CacheResult[] = [
  'HIT',
  'MISS',
  'COALESCED',
  'STALE',
  'REVALIDATED',
  'PASS',
  'HELD',
  'ERROR',
];

/** Per-second figures of one node (index = simulated second). */
export interface NodeSeconds {
  requests: number[];
  fetches: number[];
  parkedMax: number[];
  storeBytes: number[];
  egressBytes: number[];
}

/**
 * One cache node of the simulation: the real CacheCore (store, single flights, freshness, live
 * rules) on the virtual clock, its upstream a virtual Link. Requests are weighted: a cohort of k
 * viewers is one waiter in the core, and its figures count k (a MISS leader's k-1 companions count
 * as COALESCED: they would have joined its flight). Parked counts viewers, not waiters.
 */
export class SimNode implements SimServer {
  readonly name: string;
  readonly tier: 'edge' | 'shield';
  readonly core: CacheCore;
  readonly upstream: Fetcher & { fetches: number; bytes: number };
  readonly #clock: SimClock;
  readonly results: Record<string, number> = Object.fromEntries(RESULTS.map((r) => [r, 0]));
  requests = 0;
  egressBytes = 0;
  parked = 0;
  parkedPeak = 0;
  /** Upstream fetches that waited for a slot, or were refused, at this node's fetch cap. */
  readonly fetchLimit = { queued: 0, refused: 0 };
  /** Waiters the core itself counts as parked (cohort-level), for cross-checks. */
  coreParked = 0;
  memoryPeak = 0;
  readonly seconds: NodeSeconds;
  readonly #waiterBytes: number;

  constructor(opts: {
    name: string;
    tier: 'edge' | 'shield';
    settings: CoreSettings & { upstreamSockets: number; upstreamQueue: number };
    clock: SimClock;
    upstream: Fetcher & { fetches: number; bytes: number };
    seconds: number;
    waiterBytes: number;
  }) {
    this.name = opts.name;
    this.tier = opts.tier;
    this.#clock = opts.clock;
    this.upstream = opts.upstream;
    this.#waiterBytes = opts.waiterBytes;
    const z = () => new Array<number>(opts.seconds).fill(0);
    this.seconds = { requests: z(), fetches: z(), parkedMax: z(), storeBytes: z(), egressBytes: z() };
    const monitor: CacheMonitor = {
      upstreamStatus: () => {},
      parked: (d) => void (this.coreParked += d),
      holdOutcome: () => {},
      log: () => {},
    };
    const answer: Answerer = {
      deliver: (w, e, result) => this.#deliver(w as SimWaiter, e, result),
      passThrough: (w) => this.#unshared(w as SimWaiter),
      direct: (w, up) => {
        up.destroy();
        this.#unshared(w as SimWaiter);
      },
    };
    // The node's cap on concurrent upstream fetches, as CacheNode puts it in front of its upstream.
    // (A refusal is reported through queueMicrotask, not the clock: it would land after the run.
    // It takes upstreamQueue fetches waiting at once; the output counts refusals, 0 so far.)
    const limited = new LimitedFetcher(
      opts.upstream,
      opts.settings.upstreamSockets,
      opts.settings.upstreamQueue,
      {
        queued: () => void this.fetchLimit.queued++,
        refused: () => void this.fetchLimit.refused++,
        defer: (fn) => void opts.clock.setTimeout(fn, 0),
      },
    );
    this.core = new CacheCore(opts.settings, { clock: opts.clock, upstream: limited, answer, monitor });
  }

  #sec(): number {
    return Math.min(this.seconds.requests.length - 1, Math.floor(this.#clock.t / 1000));
  }

  /** Ask this node for `path` on behalf of `weight` identical requesters. */
  request(
    path: string,
    headers: IncomingHttpHeaders,
    weight: number,
    onAnswer: (e: Entry, result: CacheResult) => void,
  ): void {
    const w: SimWaiter = {
      req: {
        url: path,
        method: 'GET',
        headers,
        socket: { remoteAddress: '192.0.2.1' },
      } as unknown as IncomingMessage,
      res: new QuietResponse() as unknown as ServerResponse,
      started: this.#clock.monotonic(),
      result: 'MISS',
      peer: false,
      weight,
      parkedHere: false,
      onAnswer,
    };
    this.requests += weight;
    this.seconds.requests[this.#sec()]! += weight;
    let answered = false;
    const inner = w.onAnswer;
    w.onAnswer = (e, r) => {
      answered = true;
      inner(e, r);
    };
    this.core.lookup(w);
    if (!answered) {
      w.parkedHere = true;
      this.#park(weight);
    }
  }

  #park(delta: number): void {
    this.parked += delta;
    if (this.parked > this.parkedPeak) this.parkedPeak = this.parked;
    const s = this.#sec();
    if (this.parked > this.seconds.parkedMax[s]!) this.seconds.parkedMax[s] = this.parked;
    if (delta > 0) this.#noteMemory();
  }

  #noteMemory(): void {
    const m = this.core.store.bytes + this.parked * this.#waiterBytes;
    if (m > this.memoryPeak) this.memoryPeak = m;
  }

  /** End of a simulated second: sample what is sampled. */
  tick(second: number): void {
    if (second < this.seconds.storeBytes.length) {
      this.seconds.storeBytes[second] = this.core.store.bytes;
      this.seconds.fetches[second] = this.upstream.fetches;
    }
    this.#noteMemory();
  }

  #deliver(w: SimWaiter, e: Entry, result: CacheResult): void {
    if (w.parkedHere) {
      w.parkedHere = false;
      this.#park(-w.weight);
    }
    const k = w.weight;
    if (result === 'MISS' && k > 1) {
      this.results.MISS! += 1;
      this.results.COALESCED! += k - 1;
    } else {
      this.results[result] = (this.results[result] ?? 0) + k;
    }
    const bytes = e.body.totalLength ?? 0;
    this.egressBytes += bytes * k;
    this.seconds.egressBytes[this.#sec()]! += bytes * k;
    w.onAnswer(e, result);
  }

  /** Answers not for sharing do not occur with the simulated origin; counted as errors if they do. */
  #unshared(w: SimWaiter): void {
    this.#deliver(w, syntheticEntry(502, 'not simulated', 'no-store', this.#clock.now()), 'PASS');
  }

  // ---- SimServer: a lower tier's link asks this node ----

  serve(path: string, headers: IncomingHttpHeaders, reply: (r: Reply) => void): void {
    this.request(path, headers, 1, (e, result) => {
      const h: IncomingHttpHeaders = { ...(e.headers as IncomingHttpHeaders) };
      h.age = String(Math.floor(currentAgeMs(e, this.#clock.now()) / 1000));
      h['x-cache'] =
        e.upstreamXCache === undefined
          ? `${this.name} ${result}`
          : `${this.name} ${result}, ${e.upstreamXCache}`;
      const inm = headers['if-none-match'];
      if (e.status === 200 && typeof inm === 'string' && notModified(inm, undefined, e.etag, undefined)) {
        h['content-length'] = '0';
        return reply({ status: 304, headers: h, body: SharedBody.of(Buffer.alloc(0)) });
      }
      if (e.body.totalLength !== undefined) h['content-length'] = String(e.body.totalLength);
      reply({ status: e.status, headers: h, body: e.body });
    });
  }
}
