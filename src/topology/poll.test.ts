import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { CacheNode } from '../cache/index.js';
import { loadConfig } from '../config/load.js';
import { silentLogger } from '../util/logger.js';
import { pollEdge } from './poll.js';

test('an edge reports its open connections on /load; a tier without /load is judged by /healthz', async () => {
  const edge = new CacheNode({
    config: loadConfig().cache,
    upstream: 'http://127.0.0.1:9',
    logger: silentLogger(),
  });
  const addr = await edge.listen(0, '127.0.0.1');
  const plain = http.createServer((req, res) => res.writeHead(req.url === '/healthz' ? 200 : 404).end());
  await new Promise<void>((r) => plain.listen(0, '127.0.0.1', r));
  try {
    const load = await pollEdge(`http://127.0.0.1:${addr.port}`, 2_000);
    assert.ok(typeof load === 'number' && load >= 1, `load ${load}`);
    assert.equal(await pollEdge(`http://127.0.0.1:${(plain.address() as AddressInfo).port}`, 2_000), 0);
  } finally {
    await edge.close();
    await new Promise<void>((r) => plain.close(() => r()));
  }
  // Nobody listening any more: no answer, not a zero load.
  assert.equal(await pollEdge(`http://127.0.0.1:${addr.port}`, 2_000), undefined);
});
