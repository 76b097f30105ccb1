import { entryLru } from './lru.js';
import { realClock, type Clock, type TimerHandle } from '../util/clock.js';
import type { ToPrimary, ToWorker } from './lease.js';
import { Upstream } from './upstream.js';

export interface Grant {
  /** This worker fetches from the real upstream. */
  own: boolean;
  /** Otherwise: the owner's internal (loopback) port to fetch the object from. */
  peerPort: number;
}

/**
 * A worker's side of the cross-worker single flight: asks the primary who fetches a key, keeps
 * one keep-alive pool per peer worker, and reports how long objects it owns stay usable. Only
 * misses and revalidations come here; cached hits never leave the worker.
 */
export class ClusterLink {
  readonly #send: (m: ToPrimary) => void;
  readonly #timeoutMs: number;
  readonly #upstreamTimeoutMs: number;
  readonly #clock: Clock;
  readonly #pending = new Map<number, { resolve: (v: ToWorker) => void; timer: TimerHandle }>();
  /** Keys this worker was last told it owns (bounded like the primary's table). */
  readonly #owned = entryLru<string, true>(100_000);
  readonly #peers = new Map<number, Upstream>();
  #next = 1;

  constructor(
    send: (m: ToPrimary) => void,
    opts: { timeoutMs?: number; upstreamTimeoutMs: number; clock?: Clock },
  ) {
    this.#send = send;
    this.#clock = opts.clock ?? realClock;
    this.#timeoutMs = opts.timeoutMs ?? 2_000;
    this.#upstreamTimeoutMs = opts.upstreamTimeoutMs;
  }

  /** Feed every IPC message from the primary here. */
  onMessage(m: ToWorker): void {
    const p = this.#pending.get(m.id);
    if (p === undefined) return;
    this.#pending.delete(m.id);
    this.#clock.clearTimeout(p.timer);
    p.resolve(m);
  }

  #ask(build: (id: number) => ToPrimary): Promise<ToWorker | undefined> {
    const id = this.#next++;
    return new Promise((resolve) => {
      // No answer (primary gone or swamped): the caller decides; a lease falls back to fetching
      // itself, which serves viewers at the price of a possible extra upstream fetch.
      const timer = this.#clock.setTimeout(() => {
        this.#pending.delete(id);
        resolve(undefined);
      }, this.#timeoutMs);
      this.#pending.set(id, { resolve, timer });
      try {
        this.#send(build(id));
      } catch {
        this.#clock.clearTimeout(timer);
        this.#pending.delete(id);
        resolve(undefined);
      }
    });
  }

  async lease(key: string): Promise<Grant> {
    const m = await this.#ask((id) => ({ corral: 'lease', id, key }));
    if (m?.corral !== 'grant') return { own: true, peerPort: 0 };
    if (m.own) this.#owned.set(key, true);
    else this.#owned.delete(key);
    return { own: m.own, peerPort: m.peerPort };
  }

  /** An object this worker owns was stored: it stays usable `ms` more. */
  kept(key: string, ms: number): void {
    if (!this.#owned.has(key)) return;
    try {
      this.#send({ corral: 'ttl', key, ms: Math.round(ms) });
    } catch {
      // primary gone: the lease table went with it
    }
  }

  async metrics(): Promise<string> {
    const m = await this.#ask((id) => ({ corral: 'metrics', id }));
    if (m?.corral !== 'metrics' || m.text === undefined) {
      throw new Error(m?.corral === 'metrics' ? (m.error ?? 'no metrics') : 'primary did not answer');
    }
    return m.text;
  }

  /** The owner worker as an upstream (its internal port on loopback). */
  peer(port: number): Upstream {
    let u = this.#peers.get(port);
    if (u === undefined) {
      u = new Upstream(`http://127.0.0.1:${port}`, this.#upstreamTimeoutMs, 1024);
      this.#peers.set(port, u);
    }
    return u;
  }

  close(): void {
    for (const p of this.#pending.values()) this.#clock.clearTimeout(p.timer);
    this.#pending.clear();
    for (const u of this.#peers.values()) u.close();
    this.#peers.clear();
  }
}
