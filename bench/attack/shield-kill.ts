/**
 * Fault b: edge -> shield -> origin as separate processes; kill -9 the shield for 15 s, then
 * restart it. A viewer at the edge polls its playlist and the newest segment every 0.5 s; stale
 * copies served while the shield is gone are what keeps it playing.
 */
import { sleep, type Child } from '../lib/procs.js';
import { startSplit } from './split.js';
import { playlistState, publisher, req, tally, waitLive, type Ctx, type Row } from './util.js';

export async function shieldKill(ctx: Ctx): Promise<Row> {
  const s = await startSplit(ctx);
  let pub: Child | undefined;
  try {
    pub = publisher(ctx, `${s.rtmp}/live/atk`);
    const live = await waitLive(s.edgeUrl, 'atk');
    await sleep(3000);
    const playlist = live.playlists[0]!;
    // A viewer: each poll reads the playlist and fetches the newest segment it lists (the one a
    // player would ask for next), so segments it already had are cached at the edge.
    let newest = live.segment;
    const viewerPoll = async () => {
      const r = await req(playlist);
      if (r.status === 200) {
        const segs = r.body
          .toString()
          .split('\n')
          .filter((l) => l && !l.startsWith('#'));
        if (segs.length) newest = new URL(segs.at(-1)!, playlist).href;
      }
      const g = await req(newest);
      return {
        playlist: r.status,
        segment: g.status,
        xcache: `${String(r.headers['x-cache'] ?? '')} ${String(g.headers['x-cache'] ?? '')}`,
      };
    };
    const warm: unknown[] = [];
    for (let i = 0; i < 4; i++) {
      warm.push(await viewerPoll());
      await sleep(500);
    }
    // A segment the edge already served: what a viewer behind, or one seeking back, asks for.
    const served = newest;
    const during = {
      playlist: [] as number[],
      segment: [] as number[],
      served: [] as number[],
      stale: 0,
      polls: 0,
    };
    const seqBefore = (await playlistState(playlist))!.seq;
    await ctx.procs.stop(s.shield, 'SIGKILL');
    const t0 = Date.now();
    while (Date.now() - t0 < 15_000) {
      const v = await viewerPoll();
      if (during.polls < 3) warm.push(v);
      during.playlist.push(v.playlist);
      during.segment.push(v.segment);
      during.served.push((await req(served)).status);
      during.polls++;
      if (/STALE/i.test(v.xcache)) during.stale++;
      await sleep(500);
    }
    s.shield = await s.startShield();
    const restarted = Date.now();
    let recoveryMs = NaN;
    let lastSeq = seqBefore;
    while (Date.now() - restarted < 30_000) {
      const p = await playlistState(playlist);
      if (p?.status === 200 && p.seq > seqBefore + 10) {
        // The stream went on producing during the outage: fresh means past what it had before.
        recoveryMs = Date.now() - restarted;
        lastSeq = p.seq;
        break;
      }
      await sleep(200);
    }
    const playlistOk = during.playlist.filter((x) => x === 200).length;
    return {
      name: 'shield-kill',
      kind: 'fault',
      what: 'b. kill -9 shield for 15 s (edge -> shield -> origin split)',
      cases: `${during.polls} polls of playlist + segment`,
      outcome: `edge during outage: playlist ${tally(during.playlist)}, newest listed segment ${tally(during.segment)}, an already-served segment ${tally(during.served)}, ${during.stale} stale-marked playlist/segment answers`,
      recovery: `${(recoveryMs / 1000).toFixed(1)} s from the restarted shield answering to a fresh playlist at the edge`,
      dataLost: `none at the origin (sequence ${seqBefore} -> ${lastSeq}); viewers got no new segments for the outage`,
      goal: 'edge keeps answering playlists/segments (stale) during the outage; recovers',
      pass: playlistOk === during.polls && Number.isFinite(recoveryMs),
      figures: { during, recoveryMs, seqBefore, lastSeq, warm },
    };
  } finally {
    if (pub) await ctx.procs.stop(pub, 'SIGKILL');
    await s.close();
  }
}
