import http from 'node:http';
import { parseArgs, type FlagSpec } from './args.js';
import { createLogger, type Logger } from '../util/logger.js';
import { CorralError, describeError, isCorralError } from '../util/errors.js';
import { closeAll, startIngestNode, startOriginNode, startServer, urlOf, type Closer } from './server.js';
import { startDemoBroadcaster } from './demo.js';
import { locateFfmpeg } from '../transcode/ffmpeg-path.js';
import { DEMO_FLAGS, INGEST_ONLY_FLAGS, ORIGIN_ONLY_FLAGS, START_FLAGS, flagHelp } from './flags.js';
import { HttpPush } from '../origin/index.js';
import { createRegistry, serveMetrics } from '../metrics/registry.js';
import { cacheFlags, runCacheCli } from './cache.js';
import { configFrom as loadFrom, waitForSignal } from './config.js';
import { runLoadtestCli } from './loadtest.js';
import { runSimulateCli } from './simulate.js';
import { NODE_FLAGS, runNodeCli } from './node.js';
import { UP_FLAGS, runUpCli } from './up.js';
import { RELAY_FLAGS, runRelayCli } from './relay.js';
import { applyRuntime } from './runtime.js';

const USAGE = `corral: live streaming that survives the spike

Usage: corral <command> [flags]

Commands:
  start     ingest (RTMP/RTMPS) + packager + origin + edge cache on the viewer port
  demo      start + a synthetic broadcaster (ffmpeg test pattern with a clock and a tone)
  origin    the origin alone (serving + HTTP push receiver; needs --push-token)
  ingest    ingest + packager alone, pushing to a remote origin over HTTP
  relay     an ingest POP relaying each publish to the central ingest: --primary URL [--backup URL]
  edge      a coalescing cache node (POP):    --listen HOST:PORT --upstream URL
  shield    a coalescing cache node (region): --listen HOST:PORT --upstream URL
  up        every node of a topology file as its own process here: --topology FILE
  node      one node of a topology file: --topology FILE --node NAME
  loadtest  virtual HLS/LL-HLS viewers over real HTTP: --url URL --viewers N --profile ramp|step|spike
  simulate  the cache tiers on a virtual clock, up to 10^8 viewers: --viewers N [--topology FILE] [--seed S]
  help      this text; "corral <command> --help" lists a command's flags

Publish:  rtmp://HOST:1935/live/NAME   or   rtmps://HOST:1936/live/NAME
Play:     http://HOST:8080/live/NAME/index.m3u8   (player page: http://HOST:8080/)

Every setting has an env twin: CORRAL_<SECTION>__<KEY>, e.g. CORRAL_RTMP__PORT=1935.`;

function configFrom(flags: Map<string, string>, spec: Record<string, FlagSpec>) {
  return loadFrom(flags, spec, process.env);
}

async function runStart(flags: Map<string, string>, demo: boolean): Promise<void> {
  const config = configFrom(flags, demo ? DEMO_FLAGS : START_FLAGS);
  applyRuntime(config);
  const log = createLogger(config.logLevel);
  const server = await startServer(config, log);
  const base = urlOf(server.viewer);
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
  // Each tier has its own /metrics; ingest, packager, transcoder and origin series are on the origin's.
  console.log(
    `  metrics:  ${base}/metrics (edge), ${urlOf(server.origin)}/metrics (ingest, transcode, origin)\n`,
  );
  let stopDemo: (() => Promise<void>) | undefined;
  try {
    if (demo) {
      if (!server.rtmp) throw new CorralError('CONFIG_INVALID', 'demo needs the RTMP listener enabled');
      const ffmpeg = locateFfmpeg(config.ffmpegPath);
      log.info({ ffmpeg: ffmpeg.path, source: ffmpeg.source, version: ffmpeg.version }, 'using ffmpeg');
      const name = flags.get('demo-name') ?? 'demo';
      const d = startDemoBroadcaster({
        ffmpeg: ffmpeg.path,
        url: `rtmp://127.0.0.1:${server.rtmp.port}/live/${name}`,
        size: flags.get('demo-size') ?? '1280x720',
        log: log.child({ c: 'demo' }),
      });
      stopDemo = () => d.stop();
      console.log(`  demo stream: ${base}/live/${name}/index.m3u8  (open ${base}/ to watch)\n`);
    }
    await waitForSignal();
    log.info('shutting down');
  } finally {
    await stopDemo?.();
    await server.close();
  }
}

async function runOrigin(flags: Map<string, string>): Promise<void> {
  const config = configFrom(flags, ORIGIN_ONLY_FLAGS);
  applyRuntime(config);
  const log = createLogger(config.logLevel);
  if (!config.origin.pushToken) log.warn('no push token: HTTP push is disabled, this origin will stay empty');
  const closers: Closer[] = [];
  try {
    const o = await startOriginNode(config, log, closers);
    console.log(
      `\n  origin:   ${urlOf(o.address)}/   (push with PUT/DELETE + Authorization: Bearer TOKEN)\n`,
    );
    await waitForSignal();
  } finally {
    await closeAll(closers);
  }
}

async function runIngest(flags: Map<string, string>, log0?: Logger): Promise<void> {
  const config = configFrom(flags, INGEST_ONLY_FLAGS);
  applyRuntime(config);
  const log = log0 ?? createLogger(config.logLevel);
  const originUrl = flags.get('origin');
  if (!originUrl)
    throw new CorralError('CONFIG_INVALID', 'ingest needs --origin URL of the origin to push to');
  if (!config.origin.pushToken) throw new CorralError('CONFIG_INVALID', 'ingest needs --push-token');
  const push = new HttpPush({
    baseUrl: originUrl,
    token: config.origin.pushToken,
    logger: log.child({ c: 'push' }),
  });
  const closers: Closer[] = [() => push.close()];
  try {
    const registry = createRegistry();
    const node = await startIngestNode(config, log, push, registry, closers);
    const metricsPort = Number(flags.get('metrics-port') ?? 9100);
    if (metricsPort > 0) {
      const srv = http.createServer((req, res) => {
        if (req.url === '/metrics') void serveMetrics(registry, req, res);
        else res.writeHead(404).end();
      });
      await new Promise<void>((resolve, reject) =>
        srv.once('error', reject).listen(metricsPort, '127.0.0.1', resolve),
      );
      closers.push(() => new Promise<void>((r) => srv.close(() => r())));
    }
    console.log(`\n  publish:  rtmp://HOST:${node.rtmp?.port}/live/NAME -> ${originUrl}\n`);
    await waitForSignal();
  } finally {
    await closeAll(closers);
  }
}

export async function main(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  const cmd = args.command;
  if (cmd === 'help' || cmd === '--help' || cmd === '-h') {
    console.log(USAGE);
    return 0;
  }
  const specs: Record<string, Record<string, FlagSpec>> = {
    start: START_FLAGS,
    demo: DEMO_FLAGS,
    origin: ORIGIN_ONLY_FLAGS,
    ingest: INGEST_ONLY_FLAGS,
    relay: RELAY_FLAGS,
  };
  try {
    if (cmd === 'edge' || cmd === 'shield') {
      if (args.flags.has('help')) {
        console.log(
          `corral ${cmd} --listen HOST:PORT --upstream URL [flags]\n\n` +
            'A coalescing cache node in front of any HTTP origin (or another corral tier).\n\n' +
            flagHelp(cacheFlags(cmd)),
        );
        return 0;
      }
      await runCacheCli(argv.slice(1), cmd);
      return 0;
    }
    if (cmd === 'loadtest') return await runLoadtestCli(argv.slice(1));
    if (cmd === 'simulate') return await runSimulateCli(argv.slice(1));
    if (cmd === 'up' || cmd === 'node') {
      if (args.flags.has('help')) {
        console.log(`corral ${cmd} [flags]\n\n${flagHelp(cmd === 'up' ? UP_FLAGS : NODE_FLAGS)}`);
        return 0;
      }
      await (cmd === 'up' ? runUpCli : runNodeCli)(argv.slice(1));
      return 0;
    }
    const spec = specs[cmd];
    if (!spec) {
      console.error(`unknown command "${cmd}"\n\n${USAGE}`);
      return 2;
    }
    if (args.flags.has('help')) {
      console.log(`corral ${cmd} [flags]\n\n${flagHelp(spec)}`);
      return 0;
    }
    if (cmd === 'start' || cmd === 'demo') await runStart(args.flags, cmd === 'demo');
    else if (cmd === 'origin') await runOrigin(args.flags);
    else if (cmd === 'relay') await runRelayCli(args.flags);
    else await runIngest(args.flags);
    return 0;
  } catch (e) {
    if (isCorralError(e)) {
      console.error(`corral: ${describeError(e)}`);
      return e.code === 'CONFIG_INVALID' ? 2 : 1;
    }
    const err = e as NodeJS.ErrnoException & { address?: string; port?: number };
    if (typeof err.code === 'string' && err.code.startsWith('ERR_PARSE_ARGS')) {
      console.error(`corral: ${err.message} (see corral ${cmd} --help)`);
      return 2;
    }
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
