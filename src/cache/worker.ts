import { AggregatorRegistry } from 'prom-client';
import type { CacheConfig } from '../config/schema.js';
import { createRegistry } from '../metrics/registry.js';
import type { Logger } from '../util/logger.js';
import { CacheNode } from './index.js';
import { isCorralMessage, type ToPrimary, type ToWorker } from './lease.js';
import { ClusterLink } from './link.js';

/**
 * One worker of a multi-worker cache node (a node:cluster worker): a CacheNode on the shared
 * port whose misses go through the primary's leases, plus an internal loopback port from which
 * the other workers fetch the keys this worker owns. Runs until the primary says stop (SIGTERM)
 * or goes away (IPC disconnect), then exits.
 */
export async function runCacheWorker(opts: {
  config: CacheConfig;
  upstream: string;
  role: 'edge' | 'shield';
  logger: Logger;
}): Promise<void> {
  const { config, logger } = opts;
  const send = (m: ToPrimary) => {
    if (process.send === undefined || !process.connected) throw new Error('no primary');
    process.send(m);
  };
  const link = new ClusterLink(send, {
    // Longer than the owner's own upstream patience, so the owner answers (maybe 504) first.
    upstreamTimeoutMs: config.upstreamTimeoutMs * config.leaderAttempts + config.holdTimeoutMs,
  });
  process.on('message', (m: unknown) => {
    if (isCorralMessage<ToWorker>(m)) link.onMessage(m);
  });
  const registry = createRegistry();
  // The primary gathers every worker's registry through prom-client's cluster messages.
  new AggregatorRegistry();
  AggregatorRegistry.setRegistries([registry]);
  const node = new CacheNode({ ...opts, registry, cluster: link });
  const addr = await node.listen(config.port, config.host);
  const peerPort = await node.listenPeer();
  send({ corral: 'ready', pid: process.pid, peerPort, address: addr.address, port: addr.port });
  logger.info({ pid: process.pid, peerPort }, 'cache worker ready');
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
    process.once('disconnect', stop);
  });
  await node.close();
  link.close();
  process.exit(0);
}
