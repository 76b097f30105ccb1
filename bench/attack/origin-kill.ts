/**
 * Fault a: kill -9 the origin of the split deployment, restart it 3 s later (empty: memory
 * store). Recovery is measured from the origin answering again to the stream being complete for
 * a new viewer (index.m3u8, every media playlist and init segment), read at the origin itself.
 */
import { sleep, type Child } from '../lib/procs.js';
import { startSplit } from './split.js';
import { playlistState, publisher, readLive, req, tally, waitLive, type Ctx, type Row } from './util.js';

export async function originKill(ctx: Ctx): Promise<Row> {
  const s = await startSplit(ctx);
  let pub: Child | undefined;
  try {
    pub = publisher(ctx, `${s.rtmp}/live/atk`);
    await waitLive(s.edgeUrl, 'atk');
    await sleep(4000);
    const index = `${s.originUrl}/live/atk/index.m3u8`;
    const live = (await readLive(index))!;
    const edgePlaylist = live.playlists[0]!.replace(s.originUrl, s.edgeUrl);
    const seen: number[] = [];
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        seen.push((await playlistState(edgePlaylist))?.status ?? 0);
        await sleep(500);
      }
    })();
    const seqBefore = (await playlistState(live.playlists[0]!))!.seq;
    await ctx.procs.stop(s.origin, 'SIGKILL');
    await sleep(3000);
    s.origin = await s.startOrigin();
    const answered = Date.now();
    let completeMs = NaN;
    while (Date.now() - answered < 30_000) {
      const l = await readLive(index);
      if (l) {
        const inits = await Promise.all(l.inits.map((u) => req(u)));
        if (inits.every((r) => r.status === 200)) {
          completeMs = Date.now() - answered;
          break;
        }
      }
      await sleep(100);
    }
    await sleep(5000);
    watching = false;
    await watcher;
    const after = await playlistState(live.playlists[0]!);
    const streams = (await req(`${s.originUrl}/streams.json`)).body.toString();
    const gaps = after?.gaps ?? NaN;
    return {
      name: 'origin-kill',
      kind: 'fault',
      what: 'a. kill -9 origin (split), restart after 3 s',
      cases: '1',
      outcome: `edge playlist polls every 0.5 s: ${tally(seen)}; streams.json lists atk: ${streams.includes('atk')}`,
      recovery: `${(completeMs / 1000).toFixed(1)} s from origin answering to index + inits + playlists complete`,
      dataLost: `${gaps} EXT-X-GAP segments in the playlist 5 s after; sequence ${seqBefore} -> ${after?.seq ?? NaN}`,
      goal: 'complete within 3 s of the origin answering',
      pass: completeMs <= 3000,
      figures: {
        completeMs,
        seen,
        gaps,
        seqBefore,
        seqAfter: after?.seq,
        streamsListed: streams.includes('atk'),
      },
    };
  } finally {
    if (pub) await ctx.procs.stop(pub, 'SIGKILL');
    await s.close();
  }
}
