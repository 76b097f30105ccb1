import type { LRUCache } from 'lru-cache';
import { entryLru } from './lru.js';

/**
 * Messages between a multi-worker cache node's primary and its workers (node:cluster IPC). Every
 * message carries `corral` so they never mix with prom-client's own cluster messages.
 */
export type ToPrimary =
  | { corral: 'ready'; pid: number; peerPort: number; address: string; port: number }
  | { corral: 'lease'; id: number; key: string }
  | { corral: 'ttl'; key: string; ms: number }
  | { corral: 'metrics'; id: number };

export type ToWorker =
  | { corral: 'grant'; id: number; own: boolean; peerPort: number }
  | { corral: 'metrics'; id: number; text?: string; error?: string };

export function isCorralMessage<T extends { corral: string }>(m: unknown): m is T {
  return typeof m === 'object' && m !== null && typeof (m as { corral?: unknown }).corral === 'string';
}

/**
 * Who fetches a key for the whole node: the first worker to ask becomes the key's owner and every
 * other worker fetches the object from it, so the upstream sees one fetch per key and freshness
 * generation however many workers there are.
 *
 * A grant lasts `grantMs` (long enough for a fetch with its hand-off and upstream timeouts); once
 * the owner has stored the object it reports how long the object stays usable and the lease lives
 * that long plus a grace period, so the owner also fetches the next generation while the object
 * is popular. The map is bounded (least recently used leases go first) and an owner's leases go
 * with it when it dies.
 */
export class LeaseTable {
  readonly #leases: LRUCache<string, number>;
  readonly #graceMs: number;

  constructor(opts: { max?: number; grantMs?: number; graceMs?: number } = {}) {
    this.#leases = entryLru<string, number>(opts.max ?? 100_000, { ttl: opts.grantMs ?? 30_000 });
    this.#graceMs = opts.graceMs ?? 1_000;
  }

  /** The owner of `key`: the current one if its lease holds, else `asker`, who now owns it. */
  acquire(key: string, asker: number): number {
    const owner = this.#leases.get(key);
    if (owner !== undefined) return owner;
    this.#leases.set(key, asker);
    return asker;
  }

  /** The owner stored the object: keep the lease while it is usable (and a little after). */
  extend(key: string, owner: number, usableMs: number): void {
    if (this.#leases.get(key) !== owner) return;
    this.#leases.set(key, owner, { ttl: Math.max(1, usableMs) + this.#graceMs });
  }

  /** A worker died: every key it owned gets a new owner on the next request. */
  dropOwner(owner: number): number {
    const gone: string[] = [];
    for (const [k, v] of this.#leases.entries()) if (v === owner) gone.push(k);
    for (const k of gone) this.#leases.delete(k);
    return gone.length;
  }

  ownerOf(key: string): number | undefined {
    return this.#leases.get(key);
  }

  get size(): number {
    return this.#leases.size;
  }
}
