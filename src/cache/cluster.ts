import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry } from 'prom-client';
import type { CacheConfig } from '../config/schema.js';
import { realClock, type Clock } from '../util/clock.js';
import { CorralError } from '../util/errors.js';
import type { Logger } from '../util/logger.js';
import { isCorralMessage, LeaseTable, type ToPrimary, type ToWorker } from './lease.js';

export interface CachePrimary {
  /** The shared viewer address. */
  address: { address: string; port: number };
  /** Pids of the live workers (for tests and memory readings). */
  workerPids(): number[];
  /** Stop every worker and stop restarting them. */
  close(): Promise<void>;
}

interface Live {
  worker: Worker;
  peerPort: number;
}

/**
 * The primary of a multi-worker cache node. It serves no requests: node:cluster hands viewer
 * connections to the workers; the primary keeps the lease table (who fetches which key), answers
 * /metrics for all workers (prom-client's AggregatorRegistry), and restarts a worker that dies.
 * Must be called in the cluster primary; the same script run as a worker calls runCacheWorker.
 */
export async function startCachePrimary(opts: {
  config: CacheConfig;
  workers: number;
  logger: Logger;
  clock?: Clock;
}): Promise<CachePrimary> {
  const { config, logger } = opts;
  const clock = opts.clock ?? realClock;
  const log = logger.child({ component: 'cache-primary', tier: config.name });
  const leases = new LeaseTable({
    // Long enough for one fetch: every attempt's upstream timeout plus the hand-off waits.
    grantMs: (config.upstreamTimeoutMs + config.holdTimeoutMs) * config.leaderAttempts + 5_000,
  });
  const live = new Map<number, Live>();
  const aggregator = new AggregatorRegistry();
  let stopping = false;
  let address: { address: string; port: number } | undefined;
  const crashes: number[] = [];
  let startup: { resolve: () => void; reject: (e: Error) => void } | undefined;

  const reply = (w: Worker, m: ToWorker) => {
    if (w.isConnected()) w.send(m);
  };

  const onMessage = (w: Worker, m: ToPrimary): void => {
    switch (m.corral) {
      case 'ready':
        live.set(w.id, { worker: w, peerPort: m.peerPort });
        address ??= { address: m.address, port: m.port };
        if (live.size === opts.workers) startup?.resolve();
        return;
      case 'lease': {
        let owner = leases.acquire(m.key, w.id);
        if (owner !== w.id && live.get(owner)?.worker.isConnected() !== true) {
          // The owner is gone but its exit is not processed yet: the asker takes over.
          leases.dropOwner(owner);
          owner = leases.acquire(m.key, w.id);
        }
        log.debug({ key: m.key, asker: w.process.pid, owner: live.get(owner)?.worker.process.pid }, 'lease');
        return reply(w, {
          corral: 'grant',
          id: m.id,
          own: owner === w.id,
          peerPort: live.get(owner)?.peerPort ?? 0,
        });
      }
      case 'ttl':
        return leases.extend(m.key, w.id, m.ms);
      case 'metrics':
        aggregator.clusterMetrics().then(
          (text) => reply(w, { corral: 'metrics', id: m.id, text }),
          (err: Error) => reply(w, { corral: 'metrics', id: m.id, error: err.message }),
        );
        return;
    }
  };

  const fork = () => {
    const w = cluster.fork();
    w.on('message', (m: unknown) => {
      if (isCorralMessage<ToPrimary>(m)) onMessage(w, m);
    });
  };

  const onExit = (w: Worker, code: number | null, signal: string | null) => {
    live.delete(w.id);
    const dropped = leases.dropOwner(w.id);
    if (stopping) return;
    if (startup !== undefined) {
      return startup.reject(
        new CorralError('PROCESS_EXIT', `cache worker exited during start-up (code ${code}, ${signal})`),
      );
    }
    // A crash loop is slowed down, never given up on: the remaining workers keep serving.
    const now = clock.now();
    crashes.push(now);
    while (crashes.length > 0 && crashes[0]! < now - 10_000) crashes.shift();
    const delay = Math.min(5_000, 50 * 2 ** (crashes.length - 1));
    log.warn(
      { pid: w.process.pid, code, signal, leasesDropped: dropped, restartInMs: delay },
      'cache worker died',
    );
    clock.setTimeout(() => {
      if (!stopping) fork();
    }, delay);
  };
  cluster.on('exit', onExit);

  await new Promise<void>((resolve, reject) => {
    startup = { resolve, reject };
    for (let i = 0; i < opts.workers; i++) fork();
  }).finally(() => (startup = undefined));

  const close = async () => {
    stopping = true;
    const exits = [...Object.values(cluster.workers ?? {})].map(
      (w) =>
        new Promise<void>((resolve) => {
          if (w === undefined || w.isDead()) return resolve();
          w.once('exit', () => resolve());
          w.process.kill('SIGTERM');
          clock.setTimeout(() => w.process.kill('SIGKILL'), 5_000, true);
        }),
    );
    await Promise.all(exits);
    cluster.off('exit', onExit);
  };

  return {
    address: address!,
    workerPids: () => [...live.values()].map((l) => l.worker.process.pid!),
    close,
  };
}
