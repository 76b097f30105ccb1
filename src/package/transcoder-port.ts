import type { AacConfig, H264Config, MediaFrame, StreamSink } from '../media/types.js';

/** What the stream needs from a transcoder: fed the leader's media, it feeds follower sinks. */
export interface StreamTranscoder {
  start(video: H264Config, audio: AacConfig | undefined): void;
  frame(f: MediaFrame): void;
  /** Resolves once the transcoder has exited and ended every sink it fed. */
  stop(): Promise<void>;
}

/** The three ways a transcoder reports trouble (see the stream's error-action table). */
export type TranscoderProblem = 'spawnFailed' | 'crashed' | 'failed';

export interface TranscoderHooks {
  /** A sink for one transcoded rung's output (a follower rendition). */
  outputFor(rung: string): StreamSink;
  /** The transcoder now produces only these rungs (it degraded): retire the others. */
  rungsChanged(rungs: string[]): void;
  /** Something went wrong; the stream decides what it means for viewers. */
  problem(kind: TranscoderProblem, detail: string): void;
}

/** Makes a transcoder for one publisher session, or undefined when there is nothing to make. */
export type TranscoderFactory = (
  streamPath: string,
  hooks: TranscoderHooks,
  source: { width: number; height: number },
) => StreamTranscoder | undefined;
