/**
 * Fault d: the broadcaster's connection drops (ffmpeg killed, as a network cut looks to the
 * server) and it reconnects 1 s later. Viewers should see one discontinuity and a playlist whose
 * sequence numbers carry on.
 */
import { startCorral } from '../lib/corral.js';
import { sleep, type Child } from '../lib/procs.js';
import { playlistState, publisher, tally, waitLive, type Ctx, type Row } from './util.js';

export async function reconnect(ctx: Ctx): Promise<Row> {
  const c = await startCorral(ctx.procs, { args: ['--transcode', 'false'] });
  let pub: Child | undefined;
  try {
    pub = publisher(ctx, `${c.rtmp}/live/atk`);
    const live = await waitLive(c.viewer, 'atk');
    await sleep(5000);
    const playlist = live.playlists[0]!;
    const before = (await playlistState(playlist))!;
    await ctx.procs.stop(pub, 'SIGKILL');
    await sleep(1000);
    const t0 = Date.now();
    pub = publisher(ctx, `${c.rtmp}/live/atk`);
    const statuses: number[] = [];
    let newSegmentMs = NaN;
    let after = before;
    while (Date.now() - t0 < 20_000) {
      const p = await playlistState(playlist);
      statuses.push(p?.status ?? 0);
      if (p?.status === 200) {
        if (Number.isNaN(newSegmentMs) && p.seq > before.seq + 1) newSegmentMs = Date.now() - t0;
        after = p;
      }
      if (Date.now() - t0 > 8000 && Number.isFinite(newSegmentMs)) break;
      await sleep(250);
    }
    const added = after.discontinuities - before.discontinuities;
    return {
      name: 'reconnect',
      kind: 'fault',
      what: 'd. broadcaster connection dropped, reconnect after 1 s',
      cases: '1',
      outcome: `playlist polls: ${tally(statuses)}; ${added} new EXT-X-DISCONTINUITY; sequence ${before.seq} -> ${after.seq}`,
      recovery: `${(newSegmentMs / 1000).toFixed(1)} s from reconnect to new segments in the playlist`,
      dataLost: 'the 1 s the broadcaster was away (plus its unfinished segment)',
      goal: 'one discontinuity, playlist continues',
      pass: added === 1 && after.seq > before.seq && statuses.every((x) => x === 200),
      figures: { before, after, statuses, newSegmentMs, added },
    };
  } finally {
    if (pub) await ctx.procs.stop(pub, 'SIGKILL');
    await ctx.procs.stop(c.child);
  }
}
