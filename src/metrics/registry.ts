import { Registry, collectDefaultMetrics } from 'prom-client';
import type { IncomingMessage, ServerResponse } from 'node:http';

export { Registry };

/**
 * One registry per process (or per node in tests, so parallel nodes do not collide). Components
 * receive it through their constructor and register their own corral_* metrics on it.
 */
export function createRegistry(opts: { defaults?: boolean } = {}): Registry {
  const registry = new Registry();
  if (opts.defaults ?? true) collectDefaultMetrics({ register: registry });
  return registry;
}

/** Serve the registry in the Prometheus text format. */
export async function serveMetrics(registry: Registry, _req: IncomingMessage, res: ServerResponse) {
  const body = await registry.metrics();
  res.writeHead(200, { 'content-type': registry.contentType, 'cache-control': 'no-store' });
  res.end(body);
}
