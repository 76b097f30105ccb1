/** A publisher that retries like a broadcaster's encoder does, and how long it took to get in. */
import { sleep, type Child } from '../lib/procs.js';
import { req, publisher, type Ctx } from './util.js';

export interface GotIn {
  /** ms from the first attempt until the stream's playlist carried its segments; NaN: never. */
  inMs: number;
  /** Attempts the server refused (ffmpeg exited) before that. */
  refusals: number;
  child?: Child;
}

/**
 * Publish `name` with ffmpeg, restarting it after each refusal (1 s apart, as OBS does), until
 * `origin` serves a media playlist whose next sequence number moves past `seqAtStart`, or
 * `timeoutMs` passes. `checkUrl` is the media playlist to watch.
 */
export async function publishUntilIn(
  ctx: Ctx,
  url: string,
  checkUrl: string,
  timeoutMs: number,
  isIn: (playlist: string) => boolean,
): Promise<GotIn> {
  const t0 = Date.now();
  let refusals = 0;
  let child = publisher(ctx, url, 'new-publisher');
  while (Date.now() - t0 < timeoutMs) {
    if (!ctx.procs.running(child)) {
      refusals++;
      await sleep(1000);
      child = publisher(ctx, url, 'new-publisher');
      continue;
    }
    const r = await req(checkUrl, { timeoutMs: 2000 });
    if (r.status === 200 && isIn(r.body.toString())) return { inMs: Date.now() - t0, refusals, child };
    await sleep(100);
  }
  return { inMs: NaN, refusals, child };
}
