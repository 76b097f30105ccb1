import type { TranscodeConfig } from '../config/schema.js';
import type { TranscoderFactory } from '../package/stream.js';
import type { Registry } from '../metrics/registry.js';
import type { Logger } from '../util/logger.js';
import { planLadder } from './ladder.js';
import { Transcoder } from './transcoder.js';

export interface FactoryOptions {
  config: TranscodeConfig;
  ffmpegPath: string;
  logger: Logger;
  registry?: Registry;
}

/**
 * The packager's view of transcoding: one ffmpeg-backed Transcoder per publisher session, its
 * ladder planned from the source's resolution (never upscaled), its rung changes (degrading
 * under load) reported back so retired renditions leave the multivariant playlist.
 */
export function createTranscoderFactory(o: FactoryOptions): TranscoderFactory {
  return (streamPath, hooks, source) => {
    const rungs = planLadder(source, o.config.ladder);
    if (rungs.length === 0) {
      o.logger.info({ stream: streamPath, source }, 'source below every rung: passthrough only');
      return undefined;
    }
    const t = new Transcoder({
      ffmpegPath: o.ffmpegPath,
      config: o.config,
      rungs,
      logger: o.logger,
      registry: o.registry,
      streamPath,
      outputFor: (rung) => hooks.outputFor(rung),
    });
    t.on('rungsChanged', ({ rungs: now }) => hooks.rungsChanged(now.map((r) => r.name)));
    t.on('failed', ({ error }) =>
      o.logger.error({ stream: streamPath, err: error.message }, 'transcoder gave up; passthrough only'),
    );
    t.on('spawnFailed', ({ error }) =>
      o.logger.error(
        { stream: streamPath, err: error.message },
        'transcoder failed to start; passthrough only',
      ),
    );
    return t;
  };
}
