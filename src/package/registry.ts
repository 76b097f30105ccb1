import type { Config } from '../config/schema.js';
import type { PublishRequest, PublishTarget } from '../ingest/types.js';
import type { StreamSink } from '../media/types.js';
import type { OriginPush } from '../origin/types.js';
import type { Logger } from '../util/logger.js';
import { CorralError, describeError } from '../util/errors.js';
import { TypedEmitter } from '../util/events.js';
import { LiveStream, type TranscoderFactory } from './stream.js';
import { PushQueue } from './push-queue.js';
import type { SegmentEvent } from './rendition.js';
import type { Registry } from 'prom-client';
import { Counter, Gauge, Histogram } from 'prom-client';

export interface PackagerEvents extends Record<string, unknown> {
  streamStarted: { path: string; remote: string; resumed: boolean };
  publisherLeft: { path: string; reason: string };
  streamEnded: { path: string };
  segment: SegmentEvent & { path: string };
}

export interface PackagerOptions {
  config: Pick<Config, 'package' | 'maxStreams' | 'publishKey'>;
  push: OriginPush;
  logger: Logger;
  registry?: Registry;
  now?: () => number;
  /** Makes the ABR ladder for a stream; without it only passthrough and audio-only exist. */
  transcoders?: TranscoderFactory;
}

interface Entry {
  stream: LiveStream;
  queue: PushQueue;
  live: boolean;
  graceTimer?: NodeJS.Timeout;
  cleanupTimer?: NodeJS.Timeout;
}

/**
 * The packager as the ingest sees it: a PublishTarget that turns each publish into a live
 * stream pushed to the origin. One publisher per name; a publisher that returns within the
 * grace period continues the same playlist.
 */
export class Packager extends TypedEmitter<PackagerEvents> implements PublishTarget {
  readonly #o: PackagerOptions;
  readonly #streams = new Map<string, Entry>();
  readonly #now: () => number;
  readonly #metrics?: { live: Gauge; segments: Counter; duration: Histogram };

  constructor(opts: PackagerOptions) {
    super();
    this.#o = opts;
    this.#now = opts.now ?? Date.now;
    if (opts.registry) {
      this.#metrics = {
        live: new Gauge({
          name: 'corral_streams_live',
          help: 'Streams with a publisher now',
          registers: [opts.registry],
        }),
        segments: new Counter({
          name: 'corral_segments_total',
          help: 'Media segments packaged',
          registers: [opts.registry],
        }),
        duration: new Histogram({
          name: 'corral_segment_duration_seconds',
          help: 'Duration of packaged segments',
          buckets: [0.25, 0.5, 0.9, 1, 1.1, 1.5, 2, 4, 8],
          registers: [opts.registry],
        }),
      };
    }
  }

  /** Streams that have a publisher right now. */
  liveStreams(): string[] {
    return [...this.#streams].filter(([, e]) => e.live).map(([p]) => p);
  }

  open(req: PublishRequest): StreamSink {
    const key = this.#o.config.publishKey;
    if (key && req.query.get('key') !== key) {
      throw new CorralError('PUBLISH_DENIED', 'missing or wrong stream key');
    }
    const path = `${req.app}/${req.name}`;
    let entry = this.#streams.get(path);
    if (entry?.live) throw new CorralError('STREAM_BUSY', `${path} already has a publisher`);
    const resumed = entry !== undefined;
    if (!entry) {
      if (this.#streams.size >= this.#o.config.maxStreams) {
        throw new CorralError('PUBLISH_DENIED', `stream limit (${this.#o.config.maxStreams}) reached`);
      }
      const log = this.#o.logger.child({ stream: path });
      const queue = new PushQueue(this.#o.push, log);
      const stream = new LiveStream({
        path,
        config: this.#o.config.package,
        queue,
        log,
        now: this.#now,
        transcoders: this.#o.transcoders,
        onSegment: (e) => {
          this.#metrics?.segments.inc();
          this.#metrics?.duration.observe(e.durationS);
          this.emit('segment', { ...e, path });
        },
      });
      entry = { stream, queue, live: false };
      this.#streams.set(path, entry);
    }
    const e = entry;
    clearTimeout(e.graceTimer);
    clearTimeout(e.cleanupTimer);
    e.live = true;
    this.#metrics?.live.inc();
    this.emit('streamStarted', { path, remote: req.remote, resumed });
    return e.stream.openSession((reason) => {
      e.live = false;
      this.#metrics?.live.dec();
      this.emit('publisherLeft', { path, reason });
      e.graceTimer = setTimeout(() => this.#finish(path, e), this.#o.config.package.reconnectGraceS * 1000);
      e.graceTimer.unref();
    });
  }

  #finish(path: string, e: Entry): void {
    e.stream
      .finish()
      .catch((err: unknown) =>
        this.#o.logger.warn({ err: describeError(err), stream: path }, 'stream end failed'),
      );
    this.emit('streamEnded', { path });
    // Keep the ended playlist and its segments available for a while, then free everything.
    e.cleanupTimer = setTimeout(() => {
      if (this.#streams.get(path) === e && !e.live) {
        this.#streams.delete(path);
        e.queue.remove(`${path}/`);
      }
    }, this.#o.config.package.availabilityS * 1000);
    e.cleanupTimer.unref();
  }

  /** Flush pending pushes (tests, shutdown). */
  async drain(): Promise<void> {
    await Promise.all([...this.#streams.values()].map((e) => e.queue.drain()));
  }

  /** Resolves once every stream's transcoders have exited, so no ffmpeg outlives the packager. */
  async close(): Promise<void> {
    for (const e of this.#streams.values()) {
      clearTimeout(e.graceTimer);
      clearTimeout(e.cleanupTimer);
    }
    await Promise.all([...this.#streams.values()].map((e) => e.stream.close()));
  }
}
