import { nextMsn, parseMediaPlaylist } from '../../src/hls/index.js';
import { until } from '../latency/util.js';

/** Segments made so far according to a media playlist: its next media sequence number. */
export function nextSeq(playlist: string): number {
  return nextMsn(parseMediaPlaylist(playlist));
}

/** Wait until the media playlist at `url` lists `n` segments (a stream is up and cutting). */
export async function untilSegments(url: string, n: number, what: string, timeoutMs: number): Promise<void> {
  await until(
    what,
    async () => {
      const r = await fetch(url, { signal: AbortSignal.timeout(3000) });
      return r.ok && ((await r.text()).match(/#EXTINF/g)?.length ?? 0) >= n ? true : undefined;
    },
    timeoutMs,
  );
}
