import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Config } from '../config/schema.js';
import type { Logger } from '../util/logger.js';
import { createRegistry, type Registry } from '../metrics/registry.js';
import { RtmpServer } from '../ingest/server.js';
import { selfSignedCert } from '../ingest/self-signed.js';
import { Packager } from '../package/registry.js';
import { Origin, createStore } from '../origin/index.js';
import type { OriginPush } from '../origin/types.js';
import { CacheNode } from '../cache/index.js';
import { ByteShare } from '../util/byte-share.js';
import { registerShareMetrics } from '../metrics/share.js';
import { PlayerRoutes } from '../player/routes.js';
import { DashboardRoutes } from '../player/dashboard.js';
import { CorralError, describeError } from '../util/errors.js';
import { locateFfmpeg } from '../transcode/ffmpeg-path.js';
import { createTranscoderFactory } from '../transcode/factory.js';
import type { TranscoderFactory } from '../package/stream.js';

type Closer = () => Promise<void> | void;

/** Close in reverse order of start; used both on shutdown and when start-up fails half-way. */
async function closeAll(closers: Closer[]): Promise<void> {
  for (const c of closers.splice(0).reverse()) await c();
}

export async function tlsMaterial(config: Config, log: Logger): Promise<{ cert: string; key: string }> {
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

export interface OriginNode {
  origin: Origin;
  address: AddressInfo;
  registry: Registry;
}

/** The origin on its own port: serving, and the HTTP push receiver when a token is set. */
export async function startOriginNode(
  config: Config,
  log: Logger,
  closers: Closer[],
  share?: ByteShare,
): Promise<OriginNode> {
  const registry = createRegistry();
  const store = await createStore(config.origin);
  const origin = new Origin({
    store,
    config: config.origin,
    logger: log.child({ c: 'origin' }),
    registry,
    share,
  });
  closers.push(() => origin.close());
  const address = await origin.listen(config.origin.port, config.origin.host);
  return { origin, address, registry };
}

export interface IngestNode {
  packager: Packager;
  rtmp?: AddressInfo;
  rtmps?: AddressInfo;
}

/** RTMP(S) ingest feeding the packager, which pushes to `push` (in-process or HTTP). */
export async function startIngestNode(
  config: Config,
  log: Logger,
  push: OriginPush,
  registry: Registry,
  closers: Closer[],
): Promise<IngestNode> {
  const packager = new Packager({
    // Keys are checked by the ingest (constant time, per-stream keys, the callback) before the
    // packager is asked: the packager has no key check of its own.
    config,
    push,
    logger: log.child({ c: 'package' }),
    registry,
    transcoders: transcoderFactory(config, log, registry),
  });
  closers.push(() => packager.close());
  const rtmp = new RtmpServer({
    target: packager,
    limits: config.ingest,
    apps: config.apps,
    logger: log.child({ c: 'ingest' }),
    registry,
    publishKey: config.publishKey,
  });
  closers.push(() => rtmp.close());
  const node: IngestNode = { packager };
  if (config.rtmp.enabled) node.rtmp = await rtmp.listen(config.rtmp.port, config.rtmp.host);
  if (config.rtmps.enabled) {
    node.rtmps = await rtmp.listenTls(config.rtmps.port, config.rtmps.host, await tlsMaterial(config, log));
  }
  return node;
}

/** ABR needs ffmpeg; without one corral still serves passthrough and says why. */
function transcoderFactory(config: Config, log: Logger, registry: Registry): TranscoderFactory | undefined {
  if (!config.transcode.enabled) return undefined;
  try {
    const ffmpeg = locateFfmpeg(config.ffmpegPath);
    log.info(
      { ffmpeg: ffmpeg.path, source: ffmpeg.source, version: ffmpeg.version },
      'transcoding with ffmpeg',
    );
    return createTranscoderFactory({
      config: config.transcode,
      ffmpegPath: ffmpeg.path,
      logger: log.child({ c: 'transcode' }),
      registry,
    });
  } catch (e) {
    log.error({ err: describeError(e) }, 'transcoding disabled: passthrough renditions only');
    return undefined;
  }
}

export function urlOf(a: AddressInfo): string {
  const host = a.address === '0.0.0.0' || a.address === '::' ? '127.0.0.1' : a.address;
  return `http://${host.includes(':') ? `[${host}]` : host}:${a.port}`;
}

export interface RunningServer {
  packager: Packager;
  /** Bound addresses (ports resolved when 0 was asked for). */
  rtmp?: AddressInfo;
  rtmps?: AddressInfo;
  origin: AddressInfo;
  /** The regional shield between edge and origin (absent with tiers.shield=false). */
  shield?: AddressInfo;
  viewer: AddressInfo;
  close(): Promise<void>;
}

/**
 * The all-in-one composition root: ingest -> packager -> (in-process push) -> origin, and
 * viewers -> edge (viewer port) -> shield -> origin over loopback HTTP, the same path separate
 * edge and shield machines would take.
 */
export async function startServer(config: Config, log: Logger): Promise<RunningServer> {
  const closers: Closer[] = [];
  // Origin, shield and edge in one process hold each segment's bytes once.
  const share = config.tiers.shareBodies ? new ByteShare() : undefined;
  try {
    const o = await startOriginNode(config, log, closers, share);
    if (share !== undefined) registerShareMetrics(o.registry, share);
    const ingest = await startIngestNode(config, log, o.origin.push, o.registry, closers);
    let edgeUpstream = urlOf(o.address);
    let shieldAddr: AddressInfo | undefined;
    let shieldRegistry: Registry | undefined;
    if (config.tiers.shield) {
      // Process-wide metrics (CPU, heap, event-loop lag sampling) are collected once, on the
      // origin's registry; each extra collector costs idle CPU for the same numbers.
      shieldRegistry = createRegistry({ defaults: false });
      const shield = new CacheNode({
        config: config.shield,
        upstream: config.shield.upstream || urlOf(o.address),
        logger: log.child({ c: 'shield' }),
        registry: shieldRegistry,
        role: 'shield',
        ...(share === undefined ? {} : { share }),
      });
      closers.push(() => shield.close());
      shieldAddr = await shield.listen(config.shield.port, config.shield.host);
      edgeUpstream = urlOf(shieldAddr);
    }
    const player = new PlayerRoutes();
    const edgeRegistry = createRegistry({ defaults: false });
    // One page on the viewer port sees every tier of this process.
    const dashboard = new DashboardRoutes([
      { name: 'edge', source: edgeRegistry },
      ...(shieldRegistry ? [{ name: 'shield', source: shieldRegistry }] : []),
      { name: 'origin', source: o.registry },
    ]);
    const edge = new CacheNode({
      config: config.cache,
      upstream: config.cache.upstream || edgeUpstream,
      logger: log.child({ c: 'edge' }),
      registry: edgeRegistry,
      role: 'edge',
      ...(share === undefined ? {} : { share }),
      localRoutes: (req, res) => player.handle(req, res) || dashboard.handle(req, res),
    });
    closers.push(() => edge.close());
    const viewer = await edge.listen(config.cache.port, config.cache.host);
    return {
      packager: ingest.packager,
      rtmp: ingest.rtmp,
      rtmps: ingest.rtmps,
      origin: o.address,
      shield: shieldAddr,
      viewer,
      close: () => closeAll(closers),
    };
  } catch (e) {
    await closeAll(closers);
    throw e;
  }
}

export { closeAll, type Closer };
