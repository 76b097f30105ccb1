import { parseArgs, flagsToOverrides, type FlagSpec } from './args.js';
import { loadConfig } from '../config/load.js';
import { createLogger } from '../util/logger.js';
import { CorralError, describeError, isCorralError } from '../util/errors.js';
import { startServer } from './server.js';
import { startDemoBroadcaster } from './demo.js';
import { locateFfmpeg } from '../transcode/ffmpeg-path.js';

const SERVER_FLAGS: Record<string, FlagSpec> = {
  config: { help: 'JSON configuration file (keys as in src/config/schema.ts)' },
  set: { help: 'any configuration key: --set package.windowSegments=8 (repeatable as env CORRAL_*)' },
  'rtmp-port': { key: 'rtmp.port', help: 'RTMP ingest port (1935)' },
  'rtmps-port': { key: 'rtmps.port', help: 'RTMPS ingest port (1936)' },
  'rtmp-host': { key: 'rtmp.host', help: 'RTMP bind address (0.0.0.0)' },
  'rtmps-host': { key: 'rtmps.host', help: 'RTMPS bind address (0.0.0.0)' },
  'rtmps-cert': { key: 'rtmps.certFile', help: 'RTMPS certificate PEM (self-signed when unset)' },
  'rtmps-key': { key: 'rtmps.keyFile', help: 'RTMPS private key PEM' },
  'http-port': { key: 'cache.port', help: 'viewer HTTP port (8080)' },
  'http-host': { key: 'cache.host', help: 'viewer HTTP bind address (127.0.0.1)' },
  'origin-port': { key: 'origin.port', help: 'origin HTTP port (8081)' },
  'origin-host': { key: 'origin.host', help: 'origin bind address (127.0.0.1)' },
  'segment-duration': { key: 'package.segmentTargetS', help: 'target segment duration in seconds (1)' },
  'log-level': { key: 'logLevel', help: 'trace|debug|info|warn|error|silent (info)' },
  ffmpeg: { key: 'ffmpegPath', help: 'ffmpeg binary (else FFMPEG_PATH, PATH, bundled)' },
};

const DEMO_FLAGS: Record<string, FlagSpec> = {
  ...SERVER_FLAGS,
  'demo-size': { help: 'synthetic broadcaster resolution, WxH (1280x720)' },
  'demo-name': { help: 'stream name the synthetic broadcaster publishes (demo)' },
};

const USAGE = `corral: live streaming that survives the spike

Usage: corral <command> [flags]

Commands:
  start     ingest (RTMP/RTMPS) + packager + origin + edge cache on the viewer port
  demo      start + a synthetic broadcaster (ffmpeg test pattern with a clock and a tone)
  help      this text; "corral <command> --help" lists a command's flags

Publish:  rtmp://HOST:1935/live/NAME   or   rtmps://HOST:1936/live/NAME
Play:     http://HOST:8080/live/NAME/index.m3u8   (player page: http://HOST:8080/)

Every flag has an env twin: CORRAL_<SECTION>__<KEY>, e.g. CORRAL_RTMP__PORT=1935.`;

function flagHelp(spec: Record<string, FlagSpec>): string {
  return Object.entries(spec)
    .map(([k, s]) => `  --${k.padEnd(18)} ${s.help}`)
    .join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  if (args.command === 'help' || args.command === '--help' || args.command === '-h') {
    console.log(USAGE);
    return 0;
  }
  if (args.command !== 'start' && args.command !== 'demo') {
    console.error(`unknown command "${args.command}"\n\n${USAGE}`);
    return 2;
  }
  const spec = args.command === 'demo' ? DEMO_FLAGS : SERVER_FLAGS;
  if (args.flags.has('help')) {
    console.log(`corral ${args.command} [flags]\n\n${flagHelp(spec)}`);
    return 0;
  }
  try {
    const flags = new Map(args.flags);
    const demoSize = flags.get('demo-size') ?? '1280x720';
    const demoName = flags.get('demo-name') ?? 'demo';
    flags.delete('demo-size');
    flags.delete('demo-name');
    const config = loadConfig({
      file: args.flags.get('config'),
      env: process.env,
      overrides: flagsToOverrides(flags, spec),
    });
    const log = createLogger(config.logLevel);
    const server = await startServer(config, log);
    const viewerHost = server.viewer.address === '0.0.0.0' ? '127.0.0.1' : server.viewer.address;
    const base = `http://${viewerHost}:${server.viewer.port}`;
    log.info(
      {
        rtmp: server.rtmp?.port,
        rtmps: server.rtmps?.port,
        viewer: server.viewer.port,
        origin: server.origin.port,
      },
      'corral is up',
    );
    console.log(`\n  player:   ${base}/`);
    if (server.rtmp) console.log(`  publish:  rtmp://127.0.0.1:${server.rtmp.port}/live/NAME`);
    if (server.rtmps) console.log(`  publish:  rtmps://127.0.0.1:${server.rtmps.port}/live/NAME`);
    console.log(`  play:     ${base}/live/NAME/index.m3u8`);
    console.log(`  metrics:  ${base}/metrics\n`);

    let stopDemo: (() => Promise<void>) | undefined;
    if (args.command === 'demo') {
      if (!server.rtmp) throw new CorralError('CONFIG_INVALID', 'demo needs the RTMP listener enabled');
      const ffmpeg = locateFfmpeg(config.ffmpegPath);
      log.info({ ffmpeg: ffmpeg.path, source: ffmpeg.source, version: ffmpeg.version }, 'using ffmpeg');
      const demo = startDemoBroadcaster({
        ffmpeg: ffmpeg.path,
        url: `rtmp://127.0.0.1:${server.rtmp.port}/live/${demoName}`,
        size: demoSize,
        log: log.child({ c: 'demo' }),
      });
      stopDemo = () => demo.stop();
      console.log(`  demo stream: ${base}/live/${demoName}/index.m3u8  (open ${base}/ to watch)\n`);
    }

    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    log.info('shutting down');
    await stopDemo?.();
    await server.close();
    return 0;
  } catch (e) {
    if (isCorralError(e)) {
      console.error(`corral: ${describeError(e)}`);
      return e.code === 'CONFIG_INVALID' ? 2 : 1;
    }
    const err = e as NodeJS.ErrnoException & { address?: string; port?: number };
    if (err.code === 'EADDRINUSE' || err.code === 'EACCES') {
      console.error(
        `corral: cannot listen on ${err.address}:${err.port} (${err.code}); another process holds it. ` +
          'Pick other ports with --http-port, --origin-port, --rtmp-port, --rtmps-port (see --help).',
      );
      return 1;
    }
    console.error(e);
    return 1;
  }
}
