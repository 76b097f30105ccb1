import { Registry, collectDefaultMetrics } from 'prom-client';
import type { IncomingMessage, ServerResponse } from 'node:http';

export { Registry };

/**
 * How often an event-loop delay histogram wakes the loop, ms. Each wake-up costs CPU even when
 * the process is idle: at prom-client's default of 10 ms that was ~9 ms of CPU per second on this
 * machine (a fifth of the 0.05-core quota the capacity bench gives an edge), at 100 ms ~1 ms. Any
 * stall still shows (the pending timer fires late by it); stalls much shorter than this are only
 * sampled.
 */
export const LAG_RESOLUTION_MS = 100;

/**
 * One registry per process (or per node in tests, so parallel nodes do not collide). Components
 * receive it through their constructor and register their own corral_* metrics on it.
 */
export function createRegistry(opts: { defaults?: boolean } = {}): Registry {
  const registry = new Registry();
  if (opts.defaults ?? true) {
    collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: LAG_RESOLUTION_MS });
  }
  return registry;
}

/** Serve the registry in the Prometheus text format. */
export async function serveMetrics(registry: Registry, _req: IncomingMessage, res: ServerResponse) {
  const body = await registry.metrics();
  res.writeHead(200, { 'content-type': registry.contentType, 'cache-control': 'no-store' });
  res.end(body);
}
