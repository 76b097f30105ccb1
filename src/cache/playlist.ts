/** What the live rules need from an HLS media playlist (RFC 8216 4.3, draft-pantos-hls-rfc8216bis). */
export interface MediaPlaylistInfo {
  mediaSequence: number;
  targetDurationS: number;
  /** Segment URIs in order; the first has sequence number `mediaSequence`. */
  segments: string[];
  /** EXT-X-PART URIs, then a PRELOAD-HINT part if any (LL-HLS). */
  parts: Array<{ uri: string }>;
}

const MAX_TEXT = 4 << 20;

function attr(line: string, name: string): string | undefined {
  const m = new RegExp(`(?:^|[:,])${name}=("([^"]*)"|[^,]*)`).exec(line);
  return m === null ? undefined : (m[2] ?? m[1]);
}

/**
 * Parse a media playlist. Multivariant playlists and anything that is not HLS give undefined;
 * the parse is tolerant (unknown tags are skipped) because this is only advice for the cache.
 */
export function parseMediaPlaylist(text: string): MediaPlaylistInfo | undefined {
  if (text.length > MAX_TEXT || !text.startsWith('#EXTM3U')) return undefined;
  let mediaSequence = 0;
  let target: number | undefined;
  let skipped = 0;
  const segments: string[] = [];
  const parts: Array<{ uri: string }> = [];
  let hint: string | undefined;
  let pendingSegment = false;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '') continue;
    if (line.startsWith('#EXT-X-MEDIA-SEQUENCE:')) mediaSequence = Number(line.slice(22)) || 0;
    else if (line.startsWith('#EXT-X-TARGETDURATION:')) target = Number(line.slice(22));
    else if (line.startsWith('#EXT-X-STREAM-INF')) return undefined;
    else if (line.startsWith('#EXT-X-SKIP:')) skipped = Number(attr(line, 'SKIPPED-SEGMENTS') ?? 0) || 0;
    else if (line.startsWith('#EXTINF:')) pendingSegment = true;
    else if (line.startsWith('#EXT-X-PART:')) {
      const uri = attr(line, 'URI');
      if (uri !== undefined) parts.push({ uri });
    } else if (line.startsWith('#EXT-X-PRELOAD-HINT:') && attr(line, 'TYPE') === 'PART') {
      hint = attr(line, 'URI');
    } else if (!line.startsWith('#') && pendingSegment) {
      segments.push(line);
      pendingSegment = false;
    }
  }
  if (target === undefined || !(target > 0) || segments.length === 0) return undefined;
  if (hint !== undefined) parts.push({ uri: hint });
  // A delta update (EXT-X-SKIP) lists only the tail: its first listed URI has a later number.
  return { mediaSequence: mediaSequence + skipped, targetDurationS: target, segments, parts };
}
