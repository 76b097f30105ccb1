import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { CorralError } from '../util/errors.js';

export interface FfmpegLocation {
  path: string;
  /** Where it was found, for the start-up log line. */
  source: 'config' | 'FFMPEG_PATH' | 'PATH' | 'npm package';
  version: string;
}

/** `ffmpeg -version` succeeds and reports a version: the binary is usable here. */
function probe(path: string, env: NodeJS.ProcessEnv): string | undefined {
  const r = spawnSync(path, ['-hide_banner', '-version'], {
    encoding: 'utf8',
    timeout: 10_000,
    env: { PATH: env.PATH ?? '' },
  });
  if (r.status !== 0 || typeof r.stdout !== 'string') return undefined;
  const m = /ffmpeg version (\S+)/.exec(r.stdout);
  return m ? m[1] : undefined;
}

/** The static build that ships inside an optional npm dependency, when it installed. */
function packagedFfmpeg(): string | undefined {
  try {
    const require = createRequire(import.meta.url);
    const pkgJson = require.resolve('@ffmpeg-installer/linux-x64/package.json');
    const bin = pkgJson.replace(/package\.json$/, 'ffmpeg');
    return existsSync(bin) ? bin : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Find a usable ffmpeg: configuration, then FFMPEG_PATH, then PATH, then the npm-shipped static
 * build, so the quick start works on a machine with only Node.js.
 */
export function locateFfmpeg(configured = '', env: NodeJS.ProcessEnv = process.env): FfmpegLocation {
  const candidates: Array<[string | undefined, FfmpegLocation['source']]> = [
    [configured || undefined, 'config'],
    [env.FFMPEG_PATH || undefined, 'FFMPEG_PATH'],
    ['ffmpeg', 'PATH'],
    [packagedFfmpeg(), 'npm package'],
  ];
  const tried: string[] = [];
  for (const [path, source] of candidates) {
    if (!path) continue;
    const version = probe(path, env);
    if (version) return { path, source, version };
    tried.push(`${source} (${path})`);
  }
  throw new CorralError(
    'FFMPEG_NOT_FOUND',
    `no usable ffmpeg found (tried ${tried.join(', ') || 'nothing'}). Install it with ` +
      '`apt-get install ffmpeg` (Debian/Ubuntu) or `brew install ffmpeg` (macOS), or set FFMPEG_PATH ' +
      'to an ffmpeg binary with libx264 and aac.',
  );
}
