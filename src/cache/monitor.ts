import type { Logger } from '../util/logger.js';
import type { CacheMetrics } from './metrics.js';

/** What the cache core reports while it works: metrics and debug logs, nothing it acts on. */
export interface CacheMonitor {
  /** One upstream answer by status code, or "error". */
  upstreamStatus(status: string): void;
  /** Requests parked on a flight or a live hold, as a running delta. */
  parked(delta: number): void;
  holdOutcome(outcome: 'appeared' | 'timeout'): void;
  /** Debug by default; 'warn' for what viewers saw (an error answer shared by everyone waiting). */
  log(msg: string, fields: Record<string, unknown>, level?: 'debug' | 'warn'): void;
}

/** The monitor of one node: its Prometheus series (labelled with its tier) and its logger. */
export function nodeMonitor(metrics: CacheMetrics, tier: string, log: Logger): CacheMonitor {
  const labels = { tier };
  return {
    upstreamStatus: (status) => metrics.upstreamFetches.inc({ tier, status }),
    parked: (delta) => metrics.waiters.inc(labels, delta),
    holdOutcome: (outcome) => metrics.holds.inc({ tier, outcome }),
    log: (msg, fields, level = 'debug') => log[level]({ tier, ...fields }, msg),
  };
}
