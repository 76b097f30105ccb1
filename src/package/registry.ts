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
  config: Pick<Config, 'package' | 'maxStreams'>;
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
  /** When the last publisher left: the oldest ended stream gives up its slot first. */
  leftAt: number;
  /** ENDLIST is out; only the availability period remains. */
  finished: boolean;
  graceTimer?: NodeJS.Timeout;
  cleanupTimer?: NodeJS.Timeout;
}

/**
 * The packager as the ingest sees it: a PublishTarget that turns each publish into a live
 * stream pushed to the origin. One publisher per name; a publisher that returns within the
 * grace period continues the same playlist.
 *
 * `maxStreams` bounds streams with a publisher. An ended stream keeps its slot only while no new
 * stream needs it: otherwise publishes that come and go would lock everyone out for the grace
 * and availability periods. Stream keys are the ingest's business (src/ingest/auth.ts, in every
 * composition), so the packager does not check them a second time.
 */
export class Packager extends TypedEmitter<PackagerEvents> implements PublishTarget {
  readonly #o: PackagerOptions;
  readonly #streams = new Map<string, Entry>();
  readonly #now: () => number;
  readonly #metrics?: { live: Gauge; segments: Counter; duration: Histogram; window: Gauge };

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
        window: new Gauge({
          name: 'corral_package_window_bytes',
          help: 'Bytes kept to republish the playlist windows to an origin that lost them',
          registers: [opts.registry],
          collect: () => this.#collectWindow(),
        }),
      };
    }
  }

  /** Bytes kept for republishing, across streams (evicted ones have already let go). */
  retainedBytes(): number {
    let bytes = 0;
    for (const e of this.#streams.values()) bytes += e.stream.retained().bytes;
    return bytes;
  }

  #collectWindow(): void {
    this.#metrics?.window.set(this.retainedBytes());
  }

  /** Streams that have a publisher right now. */
  liveStreams(): string[] {
    return [...this.#streams].filter(([, e]) => e.live).map(([p]) => p);
  }

  open(req: PublishRequest): StreamSink {
    const path = `${req.app}/${req.name}`;
    let entry = this.#streams.get(path);
    if (entry?.live) throw new CorralError('STREAM_BUSY', `${path} already has a publisher`);
    const resumed = entry !== undefined;
    if (!entry) {
      this.#makeRoom();
      const log = this.#o.logger.child({ stream: path });
      const queue = new PushQueue(this.#o.push, log, { probePath: `${path}/index.m3u8` });
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
      entry = { stream, queue, live: false, leftAt: 0, finished: false };
      this.#streams.set(path, entry);
    }
    const e = entry;
    clearTimeout(e.graceTimer);
    clearTimeout(e.cleanupTimer);
    e.live = true;
    e.finished = false;
    this.#metrics?.live.inc();
    this.emit('streamStarted', { path, remote: req.remote, resumed });
    return e.stream.openSession((reason) => {
      e.live = false;
      e.leftAt = this.#now();
      this.#metrics?.live.dec();
      this.emit('publisherLeft', { path, reason });
      if (!e.stream.hasMedia) {
        // Nothing was ever pushed: there is no playlist to keep for a returning publisher, and
        // holding the slot for the grace period is what let idle publishes lock others out.
        this.#forget(path, e);
        this.emit('streamEnded', { path });
        return;
      }
      e.graceTimer = setTimeout(() => this.#finish(path, e), this.#o.config.package.reconnectGraceS * 1000);
      e.graceTimer.unref();
    });
  }

  /** A slot for one more stream: refused only when every slot has a publisher. */
  #makeRoom(): void {
    const max = this.#o.config.maxStreams;
    if (this.#streams.size < max) return;
    const ended = [...this.#streams].filter(([, e]) => !e.live).sort(([, a], [, b]) => a.leftAt - b.leftAt);
    if (this.#streams.size - ended.length >= max) {
      throw new CorralError('PUBLISH_DENIED', `stream limit (${max}) reached`);
    }
    for (const [path, e] of ended.slice(0, this.#streams.size - max + 1)) {
      this.#o.logger.info({ stream: path }, 'ended stream gives up its slot to a new stream');
      clearTimeout(e.graceTimer);
      // Viewers still get ENDLIST and the availability period; only the slot goes.
      if (!e.finished) this.#finish(path, e);
      e.stream.release();
      this.#streams.delete(path);
    }
  }

  /** Drop a stream that never pushed anything; its transcoder (if any) is stopped. */
  #forget(path: string, e: Entry): void {
    if (this.#streams.get(path) === e) this.#streams.delete(path);
    e.queue.close();
    e.stream
      .close()
      .catch((err: unknown) =>
        this.#o.logger.warn({ err: describeError(err), stream: path }, 'stream close failed'),
      );
  }

  #finish(path: string, e: Entry): void {
    e.finished = true;
    e.stream
      .finish()
      .catch((err: unknown) =>
        this.#o.logger.warn({ err: describeError(err), stream: path }, 'stream end failed'),
      );
    this.emit('streamEnded', { path });
    // Keep the ended playlist and its segments available for a while, then free everything.
    e.cleanupTimer = setTimeout(() => {
      const now = this.#streams.get(path);
      // An evicted stream is no longer in the map but its objects are still at the origin; a
      // newer stream under the same name owns them now and must keep them.
      if (now === undefined || (now === e && !e.live)) {
        if (now === e) this.#streams.delete(path);
        e.queue.remove(`${path}/`);
        void e.queue.drain().then(() => e.queue.close());
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
      e.queue.close();
    }
    await Promise.all([...this.#streams.values()].map((e) => e.stream.close()));
  }
}
