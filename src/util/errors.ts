/**
 * Coded errors. Every error corral raises on purpose carries a stable code (for logs, metrics
 * and tests) and says whether the affected unit (a connection, a stream, a fetch) can carry on.
 * Retry policy lives in configuration; callers decide by `recoverable`, never by message text.
 */
export type ErrorCode =
  // configuration
  | 'CONFIG_INVALID'
  // RTMP / FLV ingest
  | 'RTMP_HANDSHAKE'
  | 'RTMP_PROTOCOL'
  | 'RTMP_LIMIT'
  | 'RTMP_TIMEOUT'
  | 'AMF_DECODE'
  | 'FLV_DECODE'
  | 'CODEC_UNSUPPORTED'
  | 'STREAM_BUSY'
  | 'STREAM_NAME_INVALID'
  | 'PUBLISH_DENIED'
  | 'PUBLISH_UNAUTHORIZED'
  // media parsing
  | 'MEDIA_DECODE'
  // HLS playlist text that breaks RFC 8216 syntax or the parser's input limits
  | 'HLS_PARSE'
  // origin / push
  | 'PUSH_FAILED'
  | 'PUSH_UNAUTHORIZED'
  | 'STORE_LIMIT'
  | 'NOT_FOUND'
  | 'BAD_REQUEST'
  // processes
  | 'FFMPEG_NOT_FOUND'
  | 'PROCESS_SPAWN'
  | 'PROCESS_EXIT'
  // upstream fetches
  | 'UPSTREAM_FAILED'
  | 'UPSTREAM_TIMEOUT'
  | 'UPSTREAM_BUSY';

export class CorralError extends Error {
  readonly code: ErrorCode;
  /** true when the unit of work that failed may be retried or continued. */
  readonly recoverable: boolean;

  constructor(code: ErrorCode, message: string, opts: { recoverable?: boolean; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'CorralError';
    this.code = code;
    this.recoverable = opts.recoverable ?? false;
  }
}

export function isCorralError(e: unknown, code?: ErrorCode): e is CorralError {
  return e instanceof CorralError && (code === undefined || e.code === code);
}

/** Short, log-safe description of anything thrown. */
export function describeError(e: unknown): string {
  if (e instanceof CorralError) {
    // The system error underneath (ECONNRESET, EPIPE...) tells a refused link from a reset one.
    const errno = (e.cause as NodeJS.ErrnoException | undefined)?.code;
    return errno === undefined ? `${e.code}: ${e.message}` : `${e.code}: ${e.message} (${errno})`;
  }
  if (e instanceof Error) return e.message;
  return String(e);
}
