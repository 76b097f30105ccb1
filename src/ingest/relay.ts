import type { Logger } from '../util/logger.js';
import type { AacConfig, H264Config, MediaFrame } from '../media/types.js';
import {
  aacRawBody,
  aacSequenceHeaderBody,
  avcNaluBody,
  avcSequenceHeaderBody,
} from '../media/flv-container.js';
import { CorralError, describeError } from '../util/errors.js';
import { encodeAmf0, type AmfValue } from './amf0.js';
import { MSG } from './protocol.js';
import type { IngestSink } from './types.js';

/** One publishing connection upstream, as the relay uses it (RtmpPublisher, or a fake in tests). */
export interface Upstream {
  media(typeId: number, timestamp: number, payload: Buffer): void;
  /** Bytes accepted but not yet on the wire, charged with their per-write overhead. */
  readonly backlog: number;
  onClose(cb: (why: string) => void): void;
  close(): void;
}

export type Connect = (url: string) => Promise<Upstream>;

export interface RelayOptions {
  /** The primary first, then the backup if any. */
  urls: string[];
  connect: Connect;
  /** Past this backlog non-key video waits for the next keyframe; past twice this everything drops. */
  maxQueueBytes: number;
  /** While on the backup, how often the primary is tried again. */
  primaryRetryMs: number;
  logger: Logger;
}

/**
 * Retry rounds after a lost upstream: the first at once (a blip costs one round trip), then
 * 250 ms doubling to 2 s, so a down central ingest is not hammered but a recovered one is found
 * within 2 s.
 */
export function retryDelayMs(round: number): number {
  return round === 0 ? 0 : Math.min(2000, 250 * 2 ** (round - 1));
}

/**
 * One broadcaster's publish relayed upstream unchanged: the same FLV tag bodies and timestamps.
 * The broadcaster never sees an upstream failure: the relay reconnects (primary, then backup),
 * replays onMetaData and the sequence headers, and resumes video at the next keyframe, so viewers
 * see one discontinuity.
 */
export class Relay implements IngestSink {
  readonly #o: RelayOptions;
  readonly #log: Logger;
  #up: Upstream | undefined;
  /** Index into urls of the live upstream. */
  #at = 0;
  #meta: Buffer | undefined;
  #video: Buffer | undefined;
  #audio: Buffer | undefined;
  #lastTs = 0;
  /** No video since the upstream was (re)connected or since frames were dropped: wait for a keyframe. */
  #waitKey = true;
  /** This upstream has had a keyframe: audio before it would start its timeline undecodable. */
  #keySent = false;
  #round = 0;
  #timer: NodeJS.Timeout | undefined;
  #ended = false;
  /** Frames not forwarded (no upstream, or the upstream too slow). */
  dropped = 0;
  /** Upstream switches after the first connect, with the moment each happened. */
  readonly switches: { url: string; at: number }[] = [];

  constructor(o: RelayOptions) {
    this.#o = o;
    this.#log = o.logger;
  }

  get upstreamUrl(): string | undefined {
    return this.#up && this.#o.urls[this.#at];
  }

  /** The first connect: every upstream once, in order. Refused by all: the publish is refused. */
  async start(): Promise<void> {
    let last: unknown;
    for (let i = 0; i < this.#o.urls.length; i++) {
      try {
        return this.#use(await this.#o.connect(this.#o.urls[i]!), i);
      } catch (e) {
        last = e;
        this.#log.warn({ url: this.#o.urls[i], err: describeError(e) }, 'relay upstream unavailable');
      }
    }
    throw last instanceof CorralError ? last : new CorralError('UPSTREAM_FAILED', describeError(last));
  }

  videoConfig(cfg: H264Config): void {
    this.#video = avcSequenceHeaderBody(cfg);
    this.#up?.media(MSG.video, this.#lastTs, this.#video);
  }

  audioConfig(cfg: AacConfig): void {
    this.#audio = aacSequenceHeaderBody(cfg);
    this.#up?.media(MSG.audio, this.#lastTs, this.#audio);
  }

  metadata(values: AmfValue[]): void {
    this.#meta = encodeAmf0('@setDataFrame', ...values);
    this.#up?.media(MSG.dataAmf0, this.#lastTs, this.#meta);
  }

  frame(f: MediaFrame): void {
    this.#lastTs = f.dts;
    const up = this.#up;
    if (!up) return void this.dropped++;
    const limit = this.#o.maxQueueBytes;
    if (f.type === 'video') {
      // Same rule as the transcoder's stdin: skip to a decodable restart point, never block.
      if (f.keyframe && up.backlog <= 2 * limit) this.#waitKey = false;
      else if (this.#waitKey || up.backlog > limit) {
        this.#waitKey = true;
        return void this.dropped++;
      }
      this.#keySent = true;
      return up.media(MSG.video, f.dts, avcNaluBody(f));
    }
    if (!this.#keySent || up.backlog > 2 * limit) return void this.dropped++;
    up.media(MSG.audio, f.dts, aacRawBody(f));
  }

  end(reason: 'unpublish' | 'disconnect' | 'error'): void {
    if (this.#ended) return;
    this.#ended = true;
    clearTimeout(this.#timer);
    this.#log.info({ reason }, 'relay publish ended');
    this.#up?.close();
    this.#up = undefined;
  }

  #use(up: Upstream, at: number): void {
    if (this.#ended) return up.close();
    const old = this.#up;
    this.#up = up;
    this.#at = at;
    this.#round = 0;
    this.#waitKey = true;
    this.#keySent = false;
    up.onClose((why) => this.#lost(up, why));
    // The upstream starts decoding from these: a fresh connection knows nothing of the stream.
    if (this.#meta) up.media(MSG.dataAmf0, this.#lastTs, this.#meta);
    if (this.#video) up.media(MSG.video, this.#lastTs, this.#video);
    if (this.#audio) up.media(MSG.audio, this.#lastTs, this.#audio);
    old?.close();
    this.#log.info({ url: this.#o.urls[at] }, 'relaying upstream');
    if (at > 0) this.#later(() => this.#probePrimary(), this.#o.primaryRetryMs);
  }

  #lost(up: Upstream, why: string): void {
    if (this.#ended || this.#up !== up) return;
    this.#up = undefined;
    this.#log.warn({ url: this.#o.urls[this.#at], why }, 'relay upstream lost; reconnecting');
    clearTimeout(this.#timer);
    this.#later(() => void this.#retry(), retryDelayMs(this.#round++));
  }

  async #retry(): Promise<void> {
    for (let i = 0; i < this.#o.urls.length && !this.#ended; i++) {
      try {
        const up = await this.#o.connect(this.#o.urls[i]!);
        this.switches.push({ url: this.#o.urls[i]!, at: Date.now() });
        return this.#use(up, i);
      } catch (e) {
        this.#log.debug({ url: this.#o.urls[i], err: describeError(e) }, 'relay reconnect failed');
      }
    }
    this.#later(() => void this.#retry(), retryDelayMs(this.#round++));
  }

  /** On the backup: the primary is preferred, so it is tried again now and then. */
  async #probePrimary(): Promise<void> {
    if (this.#ended || !this.#up || this.#at === 0) return;
    try {
      const up = await this.#o.connect(this.#o.urls[0]!);
      if (this.#ended || !this.#up || this.#at === 0) return up.close();
      this.switches.push({ url: this.#o.urls[0]!, at: Date.now() });
      this.#use(up, 0);
    } catch {
      if (this.#up && this.#at > 0) this.#later(() => void this.#probePrimary(), this.#o.primaryRetryMs);
    }
  }

  #later(fn: () => void, ms: number): void {
    if (this.#ended) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(fn, ms);
  }
}
