import { Counter, Gauge, type Registry } from 'prom-client';
import type { CacheResult } from './waiter.js';

/**
 * The cache tier's Prometheus metrics. Several nodes (edge and shield in one process) may share a
 * registry, so each metric is created once and every series carries the node's `tier` name.
 *
 * The three per-request series (requests, bytes out, latency histogram) are not prom-client
 * objects: prom-client hashes the label object on every inc()/observe(), even through a bound
 * child, which was a measurable share of a cached hit. Each node instead counts into plain numbers
 * (a Tally per result) and the registry reads them at scrape time through `RequestSeries`.
 */
export interface CacheMetrics {
  upstreamFetches: Counter<'tier' | 'status'>;
  upstreamRetries: Counter<'tier'>;
  waiters: Gauge<'tier'>;
  storeBytes: Gauge<'tier'>;
  storeObjects: Gauge<'tier'>;
  holds: Counter<'tier' | 'outcome'>;
  upstreamLimit: Counter<'tier' | 'outcome'>;
  degradeStep: Gauge<'tier'>;
  loadRatio: Gauge<'tier'>;
  sessionsRefused: Counter<'tier'>;
  /** Where a node registers its per-request tallies. */
  requests: RequestSeries;
}

export const DURATION_BUCKETS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10] as const;

/** Per-request figures for one (tier, result): plain fields, bumped on the hot path. */
export class Tally {
  count = 0;
  bytes = 0;
  sumSeconds = 0;
  /** Non-cumulative counts per DURATION_BUCKETS bound; the +Inf bucket is `count`. */
  readonly buckets = new Float64Array(DURATION_BUCKETS.length);

  record(seconds: number, bytes: number): void {
    this.count++;
    this.bytes += bytes;
    this.sumSeconds += seconds;
    for (let i = 0; i < DURATION_BUCKETS.length; i++) {
      if (seconds <= DURATION_BUCKETS[i]!) {
        this.buckets[i]!++;
        return;
      }
    }
  }
}

/** One node's tallies, keyed by result; the node keeps direct references for the hot path. */
export interface TallySource {
  tier: string;
  tallies: Readonly<Record<CacheResult, Tally>>;
}

interface Value {
  labels: Record<string, string | number>;
  value: number;
  metricName?: string;
}

/** A metric object in the shape prom-client's Registry (and AggregatorRegistry) reads: get(). */
class ScrapedMetric {
  readonly aggregator = 'sum';
  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: 'counter' | 'histogram',
    readonly values: () => Value[],
  ) {}

  get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: Value[] }> {
    return Promise.resolve({
      name: this.name,
      help: this.help,
      type: this.type,
      aggregator: this.aggregator,
      values: this.values(),
    });
  }
}

/** The per-request series of every node sharing one registry. */
export class RequestSeries {
  readonly #sources = new Set<TallySource>();

  add(s: TallySource): void {
    this.#sources.add(s);
  }

  remove(s: TallySource): void {
    this.#sources.delete(s);
  }

  /** (tier, result, tally) for every result seen at least once; same-named nodes are summed. */
  #rows(): Array<[string, string, Tally]> {
    const merged = new Map<string, [string, string, Tally]>();
    for (const s of this.#sources) {
      for (const [result, t] of Object.entries(s.tallies) as Array<[CacheResult, Tally]>) {
        if (t.count === 0) continue;
        const r = result.toLowerCase();
        const k = `${s.tier}\n${r}`;
        const m = merged.get(k);
        if (m === undefined) {
          const copy = new Tally();
          merged.set(k, [s.tier, r, copy]);
          addInto(copy, t);
        } else addInto(m[2], t);
      }
    }
    return [...merged.values()];
  }

  requestsValues(): Value[] {
    return this.#rows().map(([tier, result, t]) => ({ labels: { tier, result }, value: t.count }));
  }

  bytesValues(): Value[] {
    const byTier = new Map<string, number>();
    for (const [tier, , t] of this.#rows()) byTier.set(tier, (byTier.get(tier) ?? 0) + t.bytes);
    return [...byTier].map(([tier, value]) => ({ labels: { tier }, value }));
  }

  durationValues(name: string): Value[] {
    const out: Value[] = [];
    for (const [tier, result, t] of this.#rows()) {
      let acc = 0;
      DURATION_BUCKETS.forEach((le, i) => {
        acc += t.buckets[i]!;
        out.push({ labels: { tier, result, le }, value: acc, metricName: `${name}_bucket` });
      });
      out.push({ labels: { tier, result, le: '+Inf' }, value: t.count, metricName: `${name}_bucket` });
      out.push({ labels: { tier, result }, value: t.sumSeconds, metricName: `${name}_sum` });
      out.push({ labels: { tier, result }, value: t.count, metricName: `${name}_count` });
    }
    return out;
  }
}

function addInto(into: Tally, t: Tally): void {
  into.count += t.count;
  into.bytes += t.bytes;
  into.sumSeconds += t.sumSeconds;
  for (let i = 0; i < into.buckets.length; i++) into.buckets[i]! += t.buckets[i]!;
}

export function newTallies(): Record<CacheResult, Tally> {
  return {
    HIT: new Tally(),
    MISS: new Tally(),
    COALESCED: new Tally(),
    STALE: new Tally(),
    REVALIDATED: new Tally(),
    PASS: new Tally(),
    HELD: new Tally(),
    ERROR: new Tally(),
  };
}

function once<T>(registry: Registry | undefined, name: string, make: (r: Registry[]) => T): T {
  const existing = registry?.getSingleMetric(name);
  return (existing as T | undefined) ?? make(registry === undefined ? [] : [registry]);
}

const REQUESTS = 'corral_cache_requests_total';

function requestSeries(registry: Registry | undefined): RequestSeries {
  const existing = registry?.getSingleMetric(REQUESTS) as unknown as { series?: RequestSeries } | undefined;
  if (existing?.series !== undefined) return existing.series;
  const series = new RequestSeries();
  if (registry === undefined) return series;
  const dur = 'corral_cache_request_duration_seconds';
  const metrics = [
    new ScrapedMetric(
      REQUESTS,
      'Requests answered, by result (hit, miss, coalesced, stale, error...)',
      'counter',
      () => series.requestsValues(),
    ),
    new ScrapedMetric('corral_cache_bytes_out_total', 'Body bytes written to clients', 'counter', () =>
      series.bytesValues(),
    ),
    new ScrapedMetric(dur, 'Time from request to the last body byte written, by result', 'histogram', () =>
      series.durationValues(dur),
    ),
  ];
  Object.assign(metrics[0]!, { series });
  // registerMetric is typed for prom-client's own classes but only calls get() and reads
  // name/type/aggregator, which ScrapedMetric provides.
  for (const m of metrics) registry.registerMetric(m as unknown as Counter);
  return series;
}

export function cacheMetrics(registry: Registry | undefined): CacheMetrics {
  return {
    requests: requestSeries(registry),
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
    upstreamRetries: once(
      registry,
      'corral_cache_upstream_retries_total',
      (registers) =>
        new Counter({
          name: 'corral_cache_upstream_retries_total',
          help: 'Upstream GETs sent again on a fresh connection after a pooled one closed unanswered (one fetch, two requests)',
          labelNames: ['tier'] as const,
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
    upstreamLimit: once(
      registry,
      'corral_cache_upstream_limited_total',
      (registers) =>
        new Counter({
          name: 'corral_cache_upstream_limited_total',
          help: 'Upstream fetches that met the tier cap (upstreamSockets): queued, or refused with the queue full',
          labelNames: ['tier', 'outcome'] as const,
          registers,
        }),
    ),
    degradeStep: once(
      registry,
      'corral_cache_degrade_step',
      (registers) =>
        new Gauge({
          name: 'corral_cache_degrade_step',
          help: 'Degradation step (0 normal, 1 fewer rungs for new viewers, 2 more delay, 3 new sessions refused)',
          labelNames: ['tier'] as const,
          registers,
        }),
    ),
    loadRatio: once(
      registry,
      'corral_cache_load_ratio',
      (registers) =>
        new Gauge({
          name: 'corral_cache_load_ratio',
          help: 'Highest load / configured limit over egress, connections and event-loop delay (1 = at a limit)',
          labelNames: ['tier'] as const,
          registers,
        }),
    ),
    sessionsRefused: once(
      registry,
      'corral_cache_sessions_refused_total',
      (registers) =>
        new Counter({
          name: 'corral_cache_sessions_refused_total',
          help: 'New sessions (multivariant playlist requests) answered 503 at degradation step 3',
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
