import type { StreamSink } from '../media/types.js';
import type { AmfValue } from './amf0.js';

/** Who is asking to publish, as learned from the RTMP connect and publish commands. */
export interface PublishRequest {
  /** The RTMP application, e.g. "live". */
  app: string;
  /** The stream name without its query string, e.g. "demo". */
  name: string;
  /** Query parameters given on the stream name or the tcUrl (stream keys, tokens). */
  query: URLSearchParams;
  /** "ip:port" of the broadcaster. */
  remote: string;
  /** true when the connection arrived over RTMPS. */
  secure: boolean;
}

/**
 * What the ingest needs from the rest of corral: a place to send a stream. `open` throws a
 * CorralError (STREAM_BUSY, PUBLISH_DENIED, STREAM_NAME_INVALID) to refuse; the ingest turns
 * that into an onStatus error for the broadcaster and closes the connection.
 */
export interface PublishTarget {
  open(req: PublishRequest): Promise<IngestSink> | IngestSink;
}

/**
 * A StreamSink that may also want the broadcaster's onMetaData (the relay passes it on; the
 * packager has no use for it).
 */
export interface IngestSink extends StreamSink {
  /** The data message's values after "@setDataFrame": "onMetaData", then its object. */
  metadata?(values: AmfValue[]): void;
}
