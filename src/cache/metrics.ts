import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/**
 * The cache tier's Prometheus metrics. Several nodes (edge and shield in one process) may share a
 * registry, so each metric is created once and every series carries the node's `tier` name.
 */
export interface CacheMetrics {
  requests: Counter<'tier' | 'result'>;
  upstreamFetches: Counter<'tier' | 'status'>;
  waiters: Gauge<'tier'>;
  bytesOut: Counter<'tier'>;
  duration: Histogram<'tier' | 'result'>;
  storeBytes: Gauge<'tier'>;
  storeObjects: Gauge<'tier'>;
  holds: Counter<'tier' | 'outcome'>;
}

function once<T>(registry: Registry | undefined, name: string, make: (r: Registry[]) => T): T {
  const existing = registry?.getSingleMetric(name);
  return (existing as T | undefined) ?? make(registry === undefined ? [] : [registry]);
}

export function cacheMetrics(registry: Registry | undefined): CacheMetrics {
  return {
    requests: once(
      registry,
      'corral_cache_requests_total',
      (registers) =>
        new Counter({
          name: 'corral_cache_requests_total',
          help: 'Requests answered, by result (hit, miss, coalesced, stale, error...)',
          labelNames: ['tier', 'result'] as const,
          registers,
        }),
    ),
    upstreamFetches: once(
      registry,
      'corral_cache_upstream_fetches_total',
      (registers) =>
        new Counter({
          name: 'corral_cache_upstream_fetches_total',
          help: 'Upstream fetches by response status (or "error")',
          labelNames: ['tier', 'status'] as const,
          registers,
        }),
    ),
    waiters: once(
      registry,
      'corral_cache_waiters',
      (registers) =>
        new Gauge({
          name: 'corral_cache_waiters',
          help: 'Requests parked on an in-flight fetch or a future-segment hold right now',
          labelNames: ['tier'] as const,
          registers,
        }),
    ),
    bytesOut: once(
      registry,
      'corral_cache_bytes_out_total',
      (registers) =>
        new Counter({
          name: 'corral_cache_bytes_out_total',
          help: 'Body bytes written to clients',
          labelNames: ['tier'] as const,
          registers,
        }),
    ),
    duration: once(
      registry,
      'corral_cache_request_duration_seconds',
      (registers) =>
        new Histogram({
          name: 'corral_cache_request_duration_seconds',
          help: 'Time from request to the last body byte written, by result',
          labelNames: ['tier', 'result'] as const,
          buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10],
          registers,
        }),
    ),
    storeBytes: once(
      registry,
      'corral_cache_store_bytes',
      (registers) =>
        new Gauge({
          name: 'corral_cache_store_bytes',
          help: 'Bytes held by the object store',
          labelNames: ['tier'] as const,
          registers,
        }),
    ),
    storeObjects: once(
      registry,
      'corral_cache_store_objects',
      (registers) =>
        new Gauge({
          name: 'corral_cache_store_objects',
          help: 'Objects held by the object store',
          labelNames: ['tier'] as const,
          registers,
        }),
    ),
    holds: once(
      registry,
      'corral_cache_future_holds_total',
      (registers) =>
        new Counter({
          name: 'corral_cache_future_holds_total',
          help: 'Requests for a not-yet-listed live segment held, by outcome (appeared, timeout)',
          labelNames: ['tier', 'outcome'] as const,
          registers,
        }),
    ),
  };
}
