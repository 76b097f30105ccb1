import type { Logger } from '../util/logger.js';
import type { IngestSink } from './types.js';
import { CorralError, isCorralError } from '../util/errors.js';
import { amfProps, type AmfValue } from './amf0.js';
import type { RtmpMessage } from './chunk-reader.js';
import { parseAudioTag, parseVideoTag, splitAggregate } from '../media/flv-tags.js';
import { MSG } from './protocol.js';

/** The publish that media goes to. */
export interface MediaTarget {
  readonly sink: IngestSink;
  /** performance.now() of the last audio or video handed to the sink. */
  lastMediaAt: number | undefined;
}

/** What media handling needs from the session. */
export interface MediaHost {
  isClosed(): boolean;
  /** undefined before Publish.Start and after the publish ended. */
  publishing(): MediaTarget | undefined;
  /** The sink cannot take this codec: the publish is refused and the connection ends. */
  refuseCodec(e: CorralError): void;
}

/**
 * Audio, video and aggregate messages in, FLV tags parsed and handed to the publish's sink; data
 * messages (onMetaData) logged and offered to the sink.
 */
export class MediaIn {
  readonly #host: MediaHost;
  readonly #log: Logger;

  constructor(host: MediaHost, log: Logger) {
    this.#host = host;
    this.#log = log;
  }

  /** An audio, video or aggregate message. */
  media(m: RtmpMessage): void {
    if (m.typeId !== MSG.aggregate) return this.#one(m.typeId, m.payload, m.timestamp);
    for (const p of splitAggregate(m.payload, m.timestamp)) {
      if (p.typeId === MSG.audio || p.typeId === MSG.video) this.#one(p.typeId, p.body, p.timestamp);
      if (this.#host.isClosed()) return;
    }
  }

  /** The values of a data message (AMF0, or AMF3 with its format byte already dropped). */
  data(values: AmfValue[]): void {
    // "@setDataFrame" wraps the real handler name (ffmpeg, OBS); bare "onMetaData" is older style.
    const args = values[0] === '@setDataFrame' ? values.slice(1) : values;
    if (args[0] !== 'onMetaData') return;
    this.#host.publishing()?.sink.metadata?.(args);
    const meta = amfProps(args[1] ?? null);
    if (!meta) return;
    const pick = (k: string) =>
      typeof meta[k] === 'number' || typeof meta[k] === 'string' ? meta[k] : undefined;
    this.#log.info(
      {
        width: pick('width'),
        height: pick('height'),
        framerate: pick('framerate'),
        encoder: pick('encoder'),
      },
      'stream metadata',
    );
  }

  #one(typeId: number, body: Buffer, timestamp: number): void {
    const pub = this.#host.publishing();
    if (!pub) {
      this.#log.debug({ typeId }, 'media before publish ignored');
      return;
    }
    try {
      const tag = typeId === MSG.video ? parseVideoTag(body, timestamp) : parseAudioTag(body, timestamp);
      if (tag.kind === 'ignore') return;
      if (tag.kind === 'frame') pub.sink.frame(tag.frame);
      else if (tag.config.codec === 'h264') pub.sink.videoConfig(tag.config);
      else pub.sink.audioConfig(tag.config);
      // Only what reaches the sink counts as progress for the media timeout: an ignorable tag
      // (an empty one, a command frame) would otherwise keep a frozen publish alive.
      pub.lastMediaAt = performance.now();
    } catch (e) {
      if (!isCorralError(e, 'CODEC_UNSUPPORTED')) throw e;
      this.#host.refuseCodec(e);
    }
  }
}
