import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Config } from '../config/schema.js';
import type { Logger } from '../util/logger.js';
import { createRegistry } from '../metrics/registry.js';
import { RtmpServer } from '../ingest/server.js';
import { selfSignedCert } from '../ingest/self-signed.js';
import { Packager } from '../package/registry.js';
import { Origin, createStore } from '../origin/index.js';
import { CacheNode } from '../cache/index.js';
import { PlayerRoutes } from '../player/routes.js';
import { CorralError } from '../util/errors.js';

export interface RunningServer {
  packager: Packager;
  /** Bound addresses (ports resolved when 0 was asked for). */
  rtmp?: AddressInfo;
  rtmps?: AddressInfo;
  origin: AddressInfo;
  viewer: AddressInfo;
  close(): Promise<void>;
}

async function tlsMaterial(config: Config, log: Logger): Promise<{ cert: string; key: string }> {
  const { certFile, keyFile } = config.rtmps;
  if (certFile || keyFile) {
    if (!certFile || !keyFile) {
      throw new CorralError('CONFIG_INVALID', 'rtmps.certFile and rtmps.keyFile must be set together');
    }
    try {
      return { cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8') };
    } catch (e) {
      throw new CorralError('CONFIG_INVALID', `cannot read RTMPS certificate: ${(e as Error).message}`);
    }
  }
  log.warn('no RTMPS certificate configured; using a generated self-signed one for localhost');
  return selfSignedCert(['localhost']);
}

/**
 * The all-in-one composition root: ingest -> packager -> (in-process push) -> origin, and
 * viewers -> cache tier (viewer port) -> origin over loopback HTTP, the same path a separate
 * edge machine would take.
 */
export async function startServer(config: Config, log: Logger): Promise<RunningServer> {
  const originRegistry = createRegistry();
  const store = await createStore(config.origin);
  const origin = new Origin({
    store,
    config: config.origin,
    logger: log.child({ c: 'origin' }),
    registry: originRegistry,
  });
  const closers: Array<() => Promise<void> | void> = [];
  try {
    const originAddr = await origin.listen(config.origin.port, config.origin.host);
    closers.push(() => origin.close());

    const packager = new Packager({
      config,
      push: origin.push,
      logger: log.child({ c: 'package' }),
      registry: originRegistry,
    });
    closers.push(() => packager.close());

    const rtmp = new RtmpServer({
      target: packager,
      limits: config.ingest,
      apps: config.apps,
      logger: log.child({ c: 'ingest' }),
      registry: originRegistry,
    });
    closers.push(() => rtmp.close());
    let rtmpAddr: AddressInfo | undefined;
    let rtmpsAddr: AddressInfo | undefined;
    if (config.rtmp.enabled) rtmpAddr = await rtmp.listen(config.rtmp.port, config.rtmp.host);
    if (config.rtmps.enabled) {
      rtmpsAddr = await rtmp.listenTls(config.rtmps.port, config.rtmps.host, await tlsMaterial(config, log));
    }

    const upstreamHost = originAddr.address.includes(':') ? `[${originAddr.address}]` : originAddr.address;
    const upstream = config.cache.upstream || `http://${upstreamHost}:${originAddr.port}`;
    const player = new PlayerRoutes();
    const edge = new CacheNode({
      config: config.cache,
      upstream,
      logger: log.child({ c: 'edge' }),
      registry: createRegistry(),
      role: 'edge',
      localRoutes: (req, res) => player.handle(req, res),
    });
    const viewerAddr = await edge.listen(config.cache.port, config.cache.host);
    closers.push(() => edge.close());

    return {
      packager,
      rtmp: rtmpAddr,
      rtmps: rtmpsAddr,
      origin: originAddr,
      viewer: viewerAddr,
      close: async () => {
        for (const c of closers.reverse()) await c();
      },
    };
  } catch (e) {
    for (const c of closers.reverse()) await c();
    if (closers.length === 0) await origin.close();
    throw e;
  }
}
