import cluster from 'node:cluster';
import { parseArgs } from 'node:util';
import { cacheSchema, type CacheConfig } from '../config/schema.js';
import { createRegistry } from '../metrics/registry.js';
import { CorralError } from '../util/errors.js';
import { createLogger } from '../util/logger.js';
import { startCachePrimary } from './cluster.js';
import { CacheNode } from './index.js';
import { runCacheWorker } from './worker.js';

/**
 * Role defaults. A shield serves many edges, so it holds more (a region's working set rather than
 * a POP's) and its cache-blocking timeout is shorter than the edge's: when something upstream
 * stalls, the shield hands off first and the edges' waiters never need a hand-off of their own.
 */
export const ROLE_DEFAULTS: Record<'edge' | 'shield', Partial<CacheConfig>> = {
  edge: { name: 'edge', port: 8080, holdTimeoutMs: 2_000 },
  shield: { name: 'shield', port: 8082, maxBytes: 1 << 30, holdTimeoutMs: 1_500, upstreamSockets: 512 },
};

function hostPort(v: string): { host: string; port: number } {
  const i = v.lastIndexOf(':');
  const port = Number(v.slice(i + 1));
  if (i < 0 || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new CorralError('CONFIG_INVALID', `--listen wants HOST:PORT, got "${v}"`);
  }
  return { host: v.slice(0, i).replace(/^\[|\]$/g, '') || '0.0.0.0', port };
}

/** Parse `corral edge|shield` arguments into a validated cache config and upstream URL. */
export function parseCacheArgs(
  argv: string[],
  role: 'edge' | 'shield',
): { config: CacheConfig; upstream: string; logLevel: string | undefined } {
  const { values } = parseArgs({
    args: argv,
    options: {
      listen: { type: 'string' },
      upstream: { type: 'string' },
      name: { type: 'string' },
      'max-bytes': { type: 'string' },
      'hold-timeout-ms': { type: 'string' },
      workers: { type: 'string' },
      'log-level': { type: 'string' },
    },
    strict: true,
  });
  const raw: Record<string, unknown> = { ...ROLE_DEFAULTS[role] };
  if (values.listen !== undefined) Object.assign(raw, hostPort(values.listen));
  if (values.name !== undefined) raw.name = values.name;
  if (values['max-bytes'] !== undefined) raw.maxBytes = Number(values['max-bytes']);
  if (values['hold-timeout-ms'] !== undefined) raw.holdTimeoutMs = Number(values['hold-timeout-ms']);
  if (values.workers !== undefined) raw.workers = Number(values.workers);
  const upstream = values.upstream ?? '';
  if (upstream === '') throw new CorralError('CONFIG_INVALID', '--upstream URL is required');
  raw.upstream = upstream;
  const parsed = cacheSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new CorralError('CONFIG_INVALID', problems);
  }
  const logLevel = values['log-level'];
  const levels = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];
  if (logLevel !== undefined && !levels.includes(logLevel)) {
    throw new CorralError('CONFIG_INVALID', `--log-level must be one of ${levels.join('|')}`);
  }
  return { config: parsed.data, upstream, logLevel };
}

/**
 * Run one edge or shield node until SIGINT/SIGTERM: in this process, or with `--workers N` as a
 * node:cluster primary whose workers re-run this same command (and land in runCacheWorker).
 */
export async function runCacheCli(argv: string[], role: 'edge' | 'shield'): Promise<void> {
  const { config, upstream, logLevel } = parseCacheArgs(argv, role);
  const logger = createLogger(logLevel);
  if (cluster.isWorker) return runCacheWorker({ config, upstream, role, logger });
  let stop: () => Promise<void>;
  if (config.workers > 1) {
    const primary = await startCachePrimary({ config, workers: config.workers, logger });
    const { address, port } = primary.address;
    logger.info(
      { role, listen: `${address}:${port}`, upstream, workers: config.workers },
      'cache node listening',
    );
    stop = () => primary.close();
  } else {
    const node = new CacheNode({ config, upstream, logger, registry: createRegistry(), role });
    const addr = await node.listen(config.port, config.host);
    logger.info({ role, listen: `${addr.address}:${addr.port}`, upstream }, 'cache node listening');
    stop = () => node.close();
  }
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  logger.info('cache node stopping');
  await stop();
}
