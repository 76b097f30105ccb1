import { Counter, Gauge, type Registry } from 'prom-client';
import type { ObjectKind, ObjectStore } from './types.js';

/**
 * How a held request ended: satisfied (answered with what it asked for), timeout (503 or 404
 * after three target durations), bad_request (400), overload (503: too many held already), gone
 * (the object was removed), abandoned (the client left first). A fixed set: bounded cardinality.
 */
export type BlockingResult = 'satisfied' | 'timeout' | 'bad_request' | 'overload' | 'gone' | 'abandoned';

/** Methods we label by name; anything else is one bucket so a scanner cannot blow up cardinality. */
const KNOWN_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);

/** The origin's Prometheus metrics. Without a registry every call is a no-op. */
export class OriginMetrics {
  readonly #requests?: Counter<'method' | 'status'>;
  readonly #pushes?: Counter<'kind'>;
  readonly #blocking?: Counter<'result'>;

  /** `held` reads how many requests are held now (blocking reloads and hinted parts). */
  constructor(registry: Registry | undefined, store: ObjectStore, held: () => number = () => 0) {
    if (registry === undefined) return;
    this.#requests = new Counter({
      name: 'corral_origin_requests_total',
      help: 'HTTP requests answered by the origin',
      labelNames: ['method', 'status'],
      registers: [registry],
    });
    this.#pushes = new Counter({
      name: 'corral_origin_push_total',
      help: 'Objects stored through either push transport',
      labelNames: ['kind'],
      registers: [registry],
    });
    this.#blocking = new Counter({
      name: 'corral_origin_blocking_total',
      help: 'Blocking playlist reloads and preload-hint part requests, by how they ended',
      labelNames: ['result'],
      registers: [registry],
    });
    new Gauge({
      name: 'corral_origin_blocked_requests',
      help: 'Requests held open now, waiting for a playlist version or a hinted part',
      registers: [registry],
      collect() {
        this.set(held());
      },
    });
    // Gauges read the store at scrape time, so they can never drift from it (evictions included).
    new Gauge({
      name: 'corral_origin_objects',
      help: 'Objects held by the origin store',
      registers: [registry],
      collect() {
        this.set(store.stats().objects);
      },
    });
    new Gauge({
      name: 'corral_origin_bytes',
      help: 'Body bytes held by the origin store',
      registers: [registry],
      collect() {
        this.set(store.stats().bytes);
      },
    });
  }

  request(method: string | undefined, status: number): void {
    const m = method !== undefined && KNOWN_METHODS.has(method) ? method : 'OTHER';
    this.#requests?.inc({ method: m, status: String(status) });
  }

  push(kind: ObjectKind): void {
    this.#pushes?.inc({ kind });
  }

  blocking(result: BlockingResult): void {
    this.#blocking?.inc({ result });
  }
}
