import { formatDirectives, nextMsn, parseMediaPlaylist, parseMultivariantPlaylist } from '../hls/index.js';
import { ladder } from './viewer.js';

const POLL_MS = 50;

async function text(url: string, timeoutMs: number): Promise<string> {
  const r = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return r.text();
}

/**
 * Resolves just after a new segment appears on the lowest rung, so a spike lands where a real
 * flash crowd hurts most: every arrival asks for the same brand-new objects. Uses a blocking reload
 * when the server offers one (it answers the moment the segment is complete), else polls.
 */
export async function nextSegmentBoundary(url: string, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  const mv = parseMultivariantPlaylist(await text(url, timeoutMs));
  const rung = ladder(mv)[0];
  if (rung === undefined) throw new Error(`${url}: no variants`);
  const media = new URL(rung.uri, url).href;
  const pl = parseMediaPlaylist(await text(media, timeoutMs));
  const msn = nextMsn(pl);
  if (pl.serverControl?.canBlockReload === true) {
    await text(`${media}?${formatDirectives({ msn })}`, Math.max(1, end - Date.now()));
    return;
  }
  while (Date.now() < end) {
    await new Promise((r) => setTimeout(r, POLL_MS));
    if (nextMsn(parseMediaPlaylist(await text(media, timeoutMs))) > msn) return;
  }
  throw new Error(`${media}: no new segment within ${timeoutMs} ms`);
}
