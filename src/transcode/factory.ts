import type { TranscodeConfig } from '../config/schema.js';
import type { Registry } from '../metrics/registry.js';
import type { StreamSink } from '../media/types.js';
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
 * What a transcoder reports back to whoever made it. Declared here, not imported from the
 * packager, so transcode/ depends on nothing above it; the packager's hooks fit this shape.
 */
export interface SessionHooks {
  outputFor(rung: string): StreamSink;
  rungsChanged(rungs: string[]): void;
  problem(kind: 'spawnFailed' | 'crashed' | 'failed', detail: string): void;
}

/**
 * The packager's view of transcoding: one ffmpeg-backed Transcoder per publisher session, its
 * ladder planned from the source's resolution (never upscaled), its rung changes (degrading
 * under load) and its failures reported back, so the stream decides what viewers see.
 */
export function createTranscoderFactory(o: FactoryOptions) {
  return (
    streamPath: string,
    hooks: SessionHooks,
    source: { width: number; height: number },
  ): Transcoder | undefined => {
    const rungs = planLadder(source, o.config.ladder, o.config.sourceHeightRung);
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
    t.on('spawnFailed', ({ error }) => hooks.problem('spawnFailed', error.message));
    t.on('crashed', ({ code, signal }) => hooks.problem('crashed', `ffmpeg exited with ${code ?? signal}`));
    t.on('failed', ({ error }) => hooks.problem('failed', error.message));
    return t;
  };
}
