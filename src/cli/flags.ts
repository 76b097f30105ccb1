import type { FlagSpec } from './args.js';

/** Flags shared by the commands that load the full configuration. */
export const COMMON_FLAGS: Record<string, FlagSpec> = {
  config: { help: 'JSON configuration file (keys as in src/config/schema.ts)' },
  set: {
    help: 'any configuration key: --set package.windowSegments=8 (env twin: CORRAL_PACKAGE__WINDOW_SEGMENTS)',
  },
  'log-level': { key: 'logLevel', help: 'trace|debug|info|warn|error|silent (info)' },
};

export const INGEST_FLAGS: Record<string, FlagSpec> = {
  'rtmp-port': { key: 'rtmp.port', help: 'RTMP ingest port (1935)' },
  'rtmps-port': { key: 'rtmps.port', help: 'RTMPS ingest port (1936)' },
  'rtmp-host': { key: 'rtmp.host', help: 'RTMP bind address (0.0.0.0)' },
  'rtmps-host': { key: 'rtmps.host', help: 'RTMPS bind address (0.0.0.0)' },
  'rtmps-cert': { key: 'rtmps.certFile', help: 'RTMPS certificate PEM (self-signed when unset)' },
  'rtmps-key': { key: 'rtmps.keyFile', help: 'RTMPS private key PEM' },
  'segment-duration': { key: 'package.segmentTargetS', help: 'target segment duration in seconds (1)' },
  freshness: {
    key: 'package.freshness',
    help: 'push (LL-HLS: parts + blocking reload, ~1 s behind live) | ttl (plain HLS, ~3-4 s) (push)',
  },
  'part-duration': { key: 'package.partTargetS', help: 'LL-HLS part target in seconds (0.334)' },
  transcode: { key: 'transcode.enabled', help: 'true|false: the ABR ladder (true; needs ffmpeg)' },
};

export const ORIGIN_FLAGS: Record<string, FlagSpec> = {
  'origin-port': { key: 'origin.port', help: 'origin HTTP port (8081)' },
  'origin-host': { key: 'origin.host', help: 'origin bind address (127.0.0.1)' },
  'push-token': {
    key: 'origin.pushToken',
    help: 'bearer token for HTTP push (PUT/DELETE); empty disables it',
  },
  store: { key: 'origin.store', help: 'memory|disk (memory)' },
};

export const VIEWER_FLAGS: Record<string, FlagSpec> = {
  'shield-port': { key: 'shield.port', help: 'regional shield port between edge and origin (8082)' },
  shield: { key: 'tiers.shield', help: 'true|false: run the shield tier (true)' },
  'http-port': { key: 'cache.port', help: 'viewer HTTP port (8080)' },
  'http-host': { key: 'cache.host', help: 'viewer HTTP bind address (127.0.0.1)' },
};

export const START_FLAGS = { ...COMMON_FLAGS, ...INGEST_FLAGS, ...ORIGIN_FLAGS, ...VIEWER_FLAGS };

export const DEMO_FLAGS: Record<string, FlagSpec> = {
  ...START_FLAGS,
  ffmpeg: { key: 'ffmpegPath', help: 'ffmpeg binary (else FFMPEG_PATH, PATH, the bundled build)' },
  'demo-size': { help: 'synthetic broadcaster resolution, WxH (1280x720)' },
  'demo-name': { help: 'stream name the synthetic broadcaster publishes (demo)' },
};

export const INGEST_ONLY_FLAGS: Record<string, FlagSpec> = {
  ...COMMON_FLAGS,
  ...INGEST_FLAGS,
  origin: { help: 'origin base URL to push to, e.g. http://10.0.0.5:8081 (required)' },
  'push-token': { key: 'origin.pushToken', help: 'bearer token the origin expects (required)' },
  'metrics-port': { help: 'port for /metrics of the ingest node (9100; 0 = none)' },
};

export const ORIGIN_ONLY_FLAGS = { ...COMMON_FLAGS, ...ORIGIN_FLAGS };

export function flagHelp(spec: Record<string, FlagSpec>): string {
  return Object.entries(spec)
    .map(([k, s]) => `  --${k.padEnd(18)} ${s.help}`)
    .join('\n');
}
