import { Counter, Gauge, type Registry } from 'prom-client';
import type { ObjectKind, ObjectStore } from './types.js';

/** Methods we label by name; anything else is one bucket so a scanner cannot blow up cardinality. */
const KNOWN_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);

/** The origin's Prometheus metrics. Without a registry every call is a no-op. */
export class OriginMetrics {
  readonly #requests?: Counter<'method' | 'status'>;
  readonly #pushes?: Counter<'kind'>;

  constructor(registry: Registry | undefined, store: ObjectStore) {
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
}
