import { DEFAULT_LIMITS, parseError, type ParseLimits } from './limits.js';
import { isMultivariantTag, playlistLines } from './lines.js';
import type { MediaPlaylist, MultivariantPlaylist, Playlist } from './model.js';
import { parseMediaLines } from './parse-media.js';
import { parseMultivariantLines } from './parse-multivariant.js';

/**
 * Playlist text to the model. Throws CorralError HLS_PARSE (and nothing else) on text that is not
 * a playlist, breaks the syntax of a tag we model, or exceeds `limits`. Tags we do not model are
 * skipped, so a third-party playlist with KEY or DATERANGE tags still reads.
 */
export function parsePlaylist(text: string, limits: ParseLimits = DEFAULT_LIMITS): Playlist {
  const lines = playlistLines(text, limits);
  // A playlist is multivariant when it names variants or renditions (RFC 8216 4.3.4).
  const multivariant = lines.some((l) => l.kind === 'tag' && isMultivariantTag(l.name));
  return multivariant ? parseMultivariantLines(lines, limits) : parseMediaLines(lines, limits);
}

export function parseMediaPlaylist(text: string, limits: ParseLimits = DEFAULT_LIMITS): MediaPlaylist {
  const p = parsePlaylist(text, limits);
  if (p.kind !== 'media') throw parseError('a multivariant playlist where a media playlist was expected');
  return p;
}

export function parseMultivariantPlaylist(
  text: string,
  limits: ParseLimits = DEFAULT_LIMITS,
): MultivariantPlaylist {
  const p = parsePlaylist(text, limits);
  if (p.kind !== 'multivariant')
    throw parseError('a media playlist where a multivariant playlist was expected');
  return p;
}
