/**
 * Attack 8b: what the random-404 flood leaves behind once the garbage is collected. Attack 8
 * watches RSS of separate processes, which also holds garbage the collector has not reclaimed
 * yet; here the shield runs in this process, so a full GC can be forced between rounds and the
 * memory still held is exactly what the flood made the node keep. Rounds of distinct random
 * URLs go through a real `corral shield` code path (CacheNode over loopback HTTP) to a real
 * `corral origin` child; a node that leaks per URL grows round after round, a bounded one does not.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { CacheNode } from '../../src/cache/index.js';
import { parseCacheArgs } from '../../src/cli/cache.js';
import { createRegistry } from '../../src/metrics/registry.js';
import { silentLogger } from '../../src/util/logger.js';
import { CORRAL_BIN } from '../lib/corral.js';
import { waitHealthy } from './split.js';
import { mb, MB, pool, rand, req, type Ctx, type Row } from './util.js';

const BUDGET = 32 * MB;
const ROUNDS = 4;
const PER_ROUND = 40_000;
const ORIGIN_PORT = 30420;
const SHIELD_PORT = 30421;

/** A full collection, without starting the bench with --expose-gc. */
function fullGc(): void {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  gc();
  gc();
}

function held(): { rss: number; heap: number; external: number } {
  fullGc();
  const m = process.memoryUsage();
  return { rss: m.rss, heap: m.heapUsed, external: m.external };
}

export async function flood404Heap(ctx: Ctx): Promise<Row> {
  const originUrl = `http://127.0.0.1:${ORIGIN_PORT}`;
  const origin = ctx.procs.start('origin', process.execPath, [
    CORRAL_BIN,
    'origin',
    '--log-level',
    'warn',
    '--origin-port',
    String(ORIGIN_PORT),
    '--origin-host',
    '127.0.0.1',
  ]);
  await waitHealthy(originUrl, origin, ctx);
  const { config } = parseCacheArgs(
    ['--listen', `127.0.0.1:${SHIELD_PORT}`, '--upstream', originUrl, '--max-bytes', String(BUDGET)],
    'shield',
  );
  const node = new CacheNode({
    config,
    upstream: config.upstream,
    logger: silentLogger(),
    registry: createRegistry(),
    role: 'shield',
  });
  await node.listen(SHIELD_PORT, '127.0.0.1');
  const base = `http://127.0.0.1:${SHIELD_PORT}`;
  const flood = async (n: number) => {
    let notFound = 0;
    await pool(n, 64, async () => {
      if ((await req(`${base}/${rand()}/${rand()}${rand()}.ts`)).status === 404) notFound++;
    });
    return notFound;
  };
  try {
    await flood(2000);
    const before = held();
    const rounds: Array<{ rss: number; heap: number; external: number; storeBytes: number }> = [];
    let notFound = 0;
    for (let r = 0; r < ROUNDS; r++) {
      notFound += await flood(PER_ROUND);
      // Right after the round, before the store's entries die: the budget must hold here.
      const storeBytes = node.core.store.bytes;
      rounds.push({ ...held(), storeBytes });
    }
    const last = rounds[rounds.length - 1]!;
    const growth = { rss: last.rss - before.rss, heap: last.heap - before.heap };
    const storePeak = Math.max(...rounds.map((r) => r.storeBytes));
    const list = (k: 'rss' | 'heap') => rounds.map((r) => mb(r[k] - before[k])).join(', ');
    return {
      name: 'flood404-heap',
      kind: 'attack',
      what: '8b. random 404 URLs into one shield, memory held after a full GC',
      cases: `${ROUNDS} rounds x ${PER_ROUND} distinct URLs (${notFound} answered 404), budget ${mb(BUDGET)}`,
      outcome: `after each round and a full GC, RSS +${list('rss')}, JS heap +${list('heap')} over the start (${mb(before.rss)} RSS, ${mb(before.heap)} heap); store at most ${mb(storePeak)} right after a round`,
      goal: 'store within budget; RSS and heap held after the last round within the budget',
      pass: storePeak <= BUDGET && growth.rss <= BUDGET && growth.heap <= BUDGET,
      figures: { before, rounds, growth, storePeak, budget: BUDGET },
    };
  } finally {
    await node.close();
    await ctx.procs.stop(origin, 'SIGKILL');
  }
}
