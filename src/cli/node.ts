import http from 'node:http';
import type { Config } from '../config/schema.js';
import { loadConfig } from '../config/load.js';
import { CacheNode } from '../cache/index.js';
import { createRegistry, serveMetrics } from '../metrics/registry.js';
import { HttpPush } from '../origin/index.js';
import { PlayerRoutes } from '../player/routes.js';
import { Director } from '../topology/director.js';
import { loadTopology } from '../topology/load.js';
import { nodesOf, splitListen, type TopologyNode } from '../topology/nodes.js';
import type { Topology } from '../topology/schema.js';
import { overridesOf } from '../topology/settings.js';
import { CorralError } from '../util/errors.js';
import { createLogger, type Logger } from '../util/logger.js';
import { flagsToOverrides, parseArgs, type FlagSpec } from './args.js';
import { waitForSignal } from './config.js';
import { applyRuntime } from './runtime.js';
import { closeAll, startIngestNode, startOriginNode, type Closer } from './server.js';
import { startRelayNode } from './relay.js';

/** Given by `corral up` to its children: their stdin closing means the supervisor is gone. */
export const EXIT_WITH_STDIN = 'exit-with-stdin';

export const NODE_FLAGS: Record<string, FlagSpec> = {
  topology: { help: 'topology file (YAML; docs/topology.md)' },
  node: { help: 'name of the node of the file to run here' },
  config: { help: 'JSON configuration file applied under the topology' },
  set: { help: 'any configuration key, applied last: --set cache.maxBytes=67108864' },
  [EXIT_WITH_STDIN]: { help: 'stop when stdin closes (corral up sets it, so no node outlives it)' },
};

/**
 * `corral node --topology FILE --node NAME`: one node with the settings the file gives it, loaded
 * through the one configuration schema (file < env < topology < --set), so the same file run on
 * each machine deploys the whole system.
 */
export async function runNodeCli(argv: string[]): Promise<void> {
  const { flags, positional } = parseArgs(['node', ...argv]);
  if (positional.length > 0)
    throw new CorralError('CONFIG_INVALID', `unexpected argument "${positional[0]}"`);
  const file = flags.get('topology');
  const name = flags.get('node');
  if (!file || !name) throw new CorralError('CONFIG_INVALID', 'node needs --topology FILE and --node NAME');
  const t = loadTopology(file);
  const node = nodesOf(t).find((n) => n.name === name);
  if (!node) throw new CorralError('CONFIG_INVALID', `no node "${name}" in ${file}`);
  const rest = new Map([...flags].filter(([k]) => k === 'set'));
  const exitWithStdin = flags.get(EXIT_WITH_STDIN) === 'true';
  for (const k of flags.keys())
    if (!(k in NODE_FLAGS)) throw new CorralError('CONFIG_INVALID', `unknown flag --${k} (see --help)`);
  const config = loadConfig({
    file: flags.get('config'),
    env: process.env,
    overrides: { ...(overridesOf(t, node) as Record<string, never>), ...flagsToOverrides(rest, NODE_FLAGS) },
  });
  applyRuntime(config);
  const log = createLogger(config.logLevel).child({ node: node.name });
  const closers: Closer[] = [];
  try {
    await startNode(t, node, config, log, closers);
    log.info({ kind: node.kind, url: node.url }, 'node is up');
    await untilStopped(exitWithStdin);
  } finally {
    await closeAll(closers);
  }
}

async function startNode(t: Topology, node: TopologyNode, config: Config, log: Logger, closers: Closer[]) {
  switch (node.kind) {
    case 'origin':
      if (!config.origin.pushToken) log.warn('no push token: the packager cannot push to this origin');
      await startOriginNode(config, log, closers);
      return;
    case 'packager':
      return startPackager(t, config, log, closers);
    case 'shield':
    case 'edge': {
      const c = node.kind === 'edge' ? config.cache : config.shield;
      const player = node.kind === 'edge' ? new PlayerRoutes() : undefined;
      const cache = new CacheNode({
        config: c,
        upstream: c.upstream,
        logger: log,
        registry: createRegistry(),
        role: node.kind,
        localRoutes: player && ((req, res) => player.handle(req, res)),
      });
      closers.push(() => cache.close());
      await cache.listen(c.port, c.host);
      return;
    }
    case 'director':
      return startDirector(t, log, closers);
    case 'relay':
      await startRelayNode(config, log, closers);
      return;
  }
}

async function startPackager(t: Topology, config: Config, log: Logger, closers: Closer[]) {
  if (!config.origin.pushToken)
    throw new CorralError(
      'CONFIG_INVALID',
      'the packager needs the origin push token (CORRAL_ORIGIN__PUSH_TOKEN)',
    );
  const origin = nodesOf(t).find((n) => n.kind === 'origin')!;
  const push = new HttpPush({
    baseUrl: origin.url!,
    token: config.origin.pushToken,
    logger: log.child({ c: 'push' }),
  });
  closers.push(() => push.close());
  const registry = createRegistry();
  await startIngestNode(config, log, push, registry, closers);
  if (t.packager?.metrics === undefined) return;
  const { host, port } = splitListen(t.packager.metrics);
  const srv = http.createServer((req, res) => {
    if (req.url === '/metrics') void serveMetrics(registry, req, res);
    else res.writeHead(req.url === '/healthz' ? 200 : 404).end();
  });
  closers.push(() => new Promise<void>((r) => srv.close(() => r())));
  await new Promise<void>((resolve, reject) => srv.once('error', reject).listen(port, host, resolve));
}

async function startDirector(t: Topology, log: Logger, closers: Closer[]) {
  const d = t.director!;
  const director = new Director({
    regions: t.regions.map((r) => ({ name: r.name, clients: r.clients })),
    edges: nodesOf(t)
      .filter((n) => n.kind === 'edge')
      .map((n) => ({ name: n.name, region: n.region!, url: n.url! })),
    defaultRegion: d.defaultRegion,
    pollMs: d.pollMs,
    downAfterMs: d.downAfterMs,
    logger: log,
    registry: createRegistry(),
  });
  closers.push(() => director.close());
  const { host, port } = splitListen(d.listen);
  await director.listen(port, host);
}

/** A signal, or, under `corral up`, the supervisor's end of stdin closing (it died: do not linger). */
async function untilStopped(exitWithStdin: boolean): Promise<void> {
  if (!exitWithStdin) return waitForSignal();
  const orphaned = new Promise<void>((resolve) => {
    process.stdin.once('end', resolve).once('close', resolve).once('error', resolve);
    process.stdin.resume();
  });
  await Promise.race([waitForSignal(), orphaned]);
  process.stdin.destroy();
}
