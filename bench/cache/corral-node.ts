/**
 * corral's cache node as a benchmark child process: `corral-node.ts UPSTREAM [WORKERS]`, prints
 * {"port":N}. With WORKERS > 1 this script is the cluster primary, and node:cluster runs it again
 * in every worker, where it becomes one.
 */
import cluster from 'node:cluster';
import { startCachePrimary } from '../../src/cache/cluster.js';
import { CacheNode } from '../../src/cache/index.js';
import { runCacheWorker } from '../../src/cache/worker.js';
import { cacheSchema } from '../../src/config/schema.js';
import { silentLogger } from '../../src/util/logger.js';

const upstream = process.argv[2] ?? 'http://127.0.0.1:8081';
const workers = Number(process.argv[3] ?? '1');
// The counting origin is driven by query parameters (size, delay, cache-control), so they all stay
// in the key and reach it, as the tests configure it; corral's default keeps only the LL-HLS ones.
const config = cacheSchema.parse({
  name: 'corral',
  maxBytes: 1 << 30,
  host: '127.0.0.1',
  port: 0,
  workers,
  keyParams: ['*'],
  // The shared read buffer (src/util/shared-reads.ts), the default: on here unless
  // CORRAL_SHARED_READS=false.
  sharedReads: process.env.CORRAL_SHARED_READS !== 'false',
});
// A heap reading without collected garbage would be noise, not memory per waiter.
const gc = (globalThis as { gc?: () => void }).gc;

if (cluster.isWorker) {
  process.on('SIGUSR2', () => gc?.());
  await runCacheWorker({ config, upstream, role: 'edge', logger: silentLogger() });
} else if (workers > 1) {
  const primary = await startCachePrimary({ config, workers, logger: silentLogger() });
  process.stdout.write(JSON.stringify({ port: primary.address.port }) + '\n');
  process.on('SIGUSR2', () => {
    for (const pid of primary.workerPids()) process.kill(pid, 'SIGUSR2');
  });
  process.on('SIGTERM', () => {
    void primary.close().then(() => process.exit(0));
  });
} else {
  const node = new CacheNode({ config, upstream, logger: silentLogger() });
  const addr = await node.listen(0, '127.0.0.1');
  process.stdout.write(JSON.stringify({ port: addr.port }) + '\n');
  process.on('SIGUSR2', () => gc?.());
  process.on('SIGTERM', () => {
    void node.close().then(() => process.exit(0));
  });
}
