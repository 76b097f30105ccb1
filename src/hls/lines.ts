import { DEFAULT_LIMITS, parseError, type ParseLimits } from './limits.js';

/** One line of a playlist, classified (RFC 8216 4.1): a tag, a URI, or nothing we read. */
export type Line =
  | { kind: 'tag'; no: number; text: string; name: string; value: string | undefined }
  | { kind: 'uri'; no: number; text: string };

/** Tags only a multivariant playlist may carry (RFC 8216 4.3.4, 4.3.5). */
const MULTIVARIANT_TAGS = new Set([
  'EXT-X-STREAM-INF',
  'EXT-X-MEDIA',
  'EXT-X-I-FRAME-STREAM-INF',
  'EXT-X-SESSION-DATA',
  'EXT-X-SESSION-KEY',
  'EXT-X-CONTENT-STEERING',
]);

export function isMultivariantTag(name: string): boolean {
  return MULTIVARIANT_TAGS.has(name);
}

/**
 * The checked lines of a playlist: the size limits enforced before any work proportional to the
 * input, the #EXTM3U header required, blank lines and comments dropped. Lines are trimmed, as the
 * cache tier always did, because CRLF and stray blanks are common in third-party playlists.
 */
export function playlistLines(text: string, limits: ParseLimits = DEFAULT_LIMITS): Line[] {
  if (typeof text !== 'string') throw parseError('not text');
  if (text.length > limits.maxBytes || Buffer.byteLength(text, 'utf8') > limits.maxBytes) {
    throw parseError(`longer than ${limits.maxBytes} bytes`);
  }
  const out: Line[] = [];
  let start = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  for (let no = 1; start <= text.length; no++) {
    if (no > limits.maxLines) throw parseError(`more than ${limits.maxLines} lines`);
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const line = text.slice(start, end).trim();
    start = end + 1;
    if (no === 1) {
      if (line !== '#EXTM3U') throw parseError('no #EXTM3U header', 1, line);
      continue;
    }
    if (line === '') continue;
    if (!line.startsWith('#')) {
      out.push({ kind: 'uri', no, text: line });
      continue;
    }
    // "#" lines that do not begin "#EXT" are comments (RFC 8216 4.1).
    if (!line.startsWith('#EXT')) continue;
    const colon = line.indexOf(':');
    const name = line.slice(1, colon < 0 ? undefined : colon);
    if (name === 'EXTM3U') throw parseError('#EXTM3U repeated', no);
    out.push({ kind: 'tag', no, text: line, name, value: colon < 0 ? undefined : line.slice(colon + 1) });
  }
  return out;
}

/** A tag's value, required. */
export function valueOf(line: Line & { kind: 'tag' }): string {
  if (line.value === undefined) throw parseError(`${line.name} needs a value`, line.no, line.text);
  return line.value;
}
