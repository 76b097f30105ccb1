import type { AddressInfo } from 'node:net';
import type { Config } from '../config/schema.js';
import type { Logger } from '../util/logger.js';
import { createRegistry } from '../metrics/registry.js';
import { RtmpServer } from '../ingest/server.js';
import { RelayTarget } from '../ingest/relay-target.js';
import { createLogger } from '../util/logger.js';
import { COMMON_FLAGS, INGEST_FLAGS } from './flags.js';
import type { FlagSpec } from './args.js';
import { configFrom, waitForSignal } from './config.js';
import { applyRuntime } from './runtime.js';
import { closeAll, tlsMaterial, type Closer } from './server.js';

export const RELAY_FLAGS: Record<string, FlagSpec> = {
  ...COMMON_FLAGS,
  'rtmp-port': INGEST_FLAGS['rtmp-port']!,
  'rtmps-port': INGEST_FLAGS['rtmps-port']!,
  'rtmp-host': INGEST_FLAGS['rtmp-host']!,
  'rtmps-host': INGEST_FLAGS['rtmps-host']!,
  'rtmps-cert': INGEST_FLAGS['rtmps-cert']!,
  'rtmps-key': INGEST_FLAGS['rtmps-key']!,
  primary: { key: 'ingest.relay.primary', help: 'central ingest, rtmp(s)://HOST:PORT[/APP] (required)' },
  backup: { key: 'ingest.relay.backup', help: 'backup central ingest, used while the primary is down' },
};

export interface RelayNode {
  target: RelayTarget;
  rtmp?: AddressInfo;
  rtmps?: AddressInfo;
}

/** An ingest POP: the RTMP(S) listeners with the same limits and keys, relaying instead of packaging. */
export async function startRelayNode(config: Config, log: Logger, closers: Closer[]): Promise<RelayNode> {
  const target = new RelayTarget(config.ingest.relay, log.child({ c: 'relay' }));
  const rtmp = new RtmpServer({
    target,
    limits: config.ingest,
    apps: config.apps,
    logger: log.child({ c: 'ingest' }),
    registry: createRegistry(),
    publishKey: config.publishKey,
  });
  closers.push(() => rtmp.close());
  const node: RelayNode = { target };
  if (config.rtmp.enabled) node.rtmp = await rtmp.listen(config.rtmp.port, config.rtmp.host);
  if (config.rtmps.enabled) {
    node.rtmps = await rtmp.listenTls(config.rtmps.port, config.rtmps.host, await tlsMaterial(config, log));
  }
  return node;
}

/** `corral relay --primary rtmp://central:1935 [--backup ...]` (or the same keys with --set). */
export async function runRelayCli(flags: Map<string, string>): Promise<void> {
  const config = configFrom(flags, RELAY_FLAGS, process.env);
  applyRuntime(config);
  const log = createLogger(config.logLevel);
  const closers: Closer[] = [];
  try {
    const node = await startRelayNode(config, log, closers);
    const { primary, backup } = config.ingest.relay;
    if (node.rtmp) console.log(`\n  publish:  rtmp://HOST:${node.rtmp.port}/live/NAME`);
    if (node.rtmps) console.log(`  publish:  rtmps://HOST:${node.rtmps.port}/live/NAME`);
    console.log(`  relayed to ${primary}${backup ? ` (backup ${backup})` : ''}\n`);
    await waitForSignal();
  } finally {
    await closeAll(closers);
  }
}
