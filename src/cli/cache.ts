import cluster from 'node:cluster';
import type { CacheConfig, Config } from '../config/schema.js';
import { createRegistry } from '../metrics/registry.js';
import { CorralError } from '../util/errors.js';
import { createLogger } from '../util/logger.js';
import { startCachePrimary } from '../cache/cluster.js';
import { CacheNode } from '../cache/index.js';
import { runCacheWorker } from '../cache/worker.js';
import { DashboardRoutes } from '../player/dashboard.js';
import { parseArgs, parseListen, type FlagSpec } from './args.js';
import { configFrom, waitForSignal } from './config.js';
import { applyRuntime } from './runtime.js';
import { COMMON_FLAGS } from './flags.js';

export type CacheRole = 'edge' | 'shield';

/**
 * Where each role's settings live in the one schema: the edge is `cache` (the viewer port of
 * `corral start`), the shield is `shield`; both hold their role defaults there, so `corral edge`
 * and the edge inside `corral start` cannot drift apart.
 */
const SECTION: Record<CacheRole, 'cache' | 'shield'> = { edge: 'cache', shield: 'shield' };

export function cacheFlags(role: CacheRole): Record<string, FlagSpec> {
  const s = SECTION[role];
  return {
    ...COMMON_FLAGS,
    listen: { help: `HOST:PORT to serve on (${s}.host/${s}.port; ":PORT" = all interfaces)` },
    upstream: { key: `${s}.upstream`, help: 'base URL of the next tier or any HTTP origin (required)' },
    'fallback-upstream': {
      key: `${s}.fallbackUpstream`,
      help: 'a second upstream used while the first is failing (circuit breaker per upstream)',
    },
    name: { key: `${s}.name`, help: `name of this tier in X-Cache headers (${role})` },
    'max-bytes': { key: `${s}.maxBytes`, help: 'byte budget of the store' },
    'hold-timeout-ms': { key: `${s}.holdTimeoutMs`, help: 'cache-blocking timeout before one more fetch' },
    workers: { key: `${s}.workers`, help: 'processes serving the port (1)' },
  };
}

/** `corral edge|shield` arguments, file, env and `--set` -> that role's validated section. */
export function parseCacheArgs(
  argv: string[],
  role: CacheRole,
  env: NodeJS.ProcessEnv = {},
): { config: CacheConfig; logLevel: string; runtime: Pick<Config, 'heapGrowthPercent'> } {
  const { flags, positional } = parseArgs([role, ...argv]);
  if (positional.length > 0) {
    throw new CorralError('CONFIG_INVALID', `unexpected argument "${positional[0]}" (see --help)`);
  }
  const section = SECTION[role];
  const listen = flags.get('listen');
  flags.delete('listen');
  const extra: Record<string, string | number> = {};
  if (listen !== undefined) {
    let where: { host?: string; port: number };
    try {
      where = parseListen(listen);
    } catch {
      throw new CorralError('CONFIG_INVALID', `--listen wants HOST:PORT, got "${listen}"`);
    }
    extra[`${section}.host`] = where.host ?? (listen.startsWith(':') ? '0.0.0.0' : '127.0.0.1');
    extra[`${section}.port`] = where.port;
  }
  const config = configFrom(flags, cacheFlags(role), env, extra);
  const picked = config[section];
  if (picked.upstream === '') {
    throw new CorralError(
      'CONFIG_INVALID',
      `--upstream URL is required (or ${section}.upstream in the config file / CORRAL_${section.toUpperCase()}__UPSTREAM)`,
    );
  }
  return {
    config: picked,
    logLevel: config.logLevel,
    runtime: { heapGrowthPercent: config.heapGrowthPercent },
  };
}

/**
 * Run one edge or shield node until SIGINT/SIGTERM: in this process, or with `workers` > 1 as a
 * node:cluster primary whose workers re-run this same command (and land in runCacheWorker).
 */
export async function runCacheCli(argv: string[], role: CacheRole): Promise<void> {
  const { config, logLevel, runtime } = parseCacheArgs(argv, role, process.env);
  applyRuntime(runtime);
  const upstream = config.upstream;
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
    const registry = createRegistry();
    const dashboard = new DashboardRoutes([{ name: role, source: registry }]);
    const node = new CacheNode({
      config,
      upstream,
      logger,
      registry,
      role,
      localRoutes: (req, res) => dashboard.handle(req, res),
    });
    const addr = await node.listen(config.port, config.host);
    logger.info({ role, listen: `${addr.address}:${addr.port}`, upstream }, 'cache node listening');
    stop = () => node.close();
  }
  await waitForSignal();
  logger.info('cache node stopping');
  await stop();
}
