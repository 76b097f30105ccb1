import { CorralError } from '../util/errors.js';

/**
 * Hard bounds on parser input. Playlists reach the cache tier from any upstream, so a hostile or
 * broken one must cost bounded time and memory and end in a coded error, never a crash.
 */
export interface ParseLimits {
  /** UTF-8 bytes of the whole text. */
  maxBytes: number;
  maxLines: number;
  /** Attributes in one tag's attribute list. */
  maxAttributes: number;
}

/**
 * 4 MiB and 200,000 lines hold a day-long window of 1 s segments with parts; the richest tag we
 * know (EXT-X-MEDIA) has about a dozen attributes.
 */
export const DEFAULT_LIMITS: ParseLimits = { maxBytes: 4 << 20, maxLines: 200_000, maxAttributes: 64 };

/** The one error the parser throws. Echoed input is cut short and escaped, so logs stay safe. */
export function parseError(message: string, lineNo?: number, line?: string): CorralError {
  const where =
    lineNo === undefined ? '' : ` (line ${lineNo}${line === undefined ? '' : `: ${excerpt(line)}`})`;
  return new CorralError('HLS_PARSE', `bad playlist: ${message}${where}`);
}

function excerpt(line: string): string {
  return JSON.stringify(line.length > 80 ? `${line.slice(0, 80)}...` : line);
}
