/** corral's cache node as a benchmark child process: `corral-node.ts UPSTREAM`, prints {"port":N}. */
import { CacheNode } from '../../src/cache/index.js';
import { cacheSchema } from '../../src/config/schema.js';
import { silentLogger } from '../../src/util/logger.js';

const node = new CacheNode({
  config: cacheSchema.parse({ name: 'corral', maxBytes: 1 << 30 }),
  upstream: process.argv[2] ?? 'http://127.0.0.1:8081',
  logger: silentLogger(),
});
const addr = await node.listen(0, '127.0.0.1');
process.stdout.write(JSON.stringify({ port: addr.port }) + '\n');
// A heap reading without collected garbage would be noise, not memory per waiter.
const gc = (globalThis as { gc?: () => void }).gc;
process.on('SIGUSR2', () => gc?.());
process.on('SIGTERM', () => {
  void node.close().then(() => process.exit(0));
});
