/**
 * Fault c: kill -9 the ffmpeg transcoder child of `corral start --transcode true`. The ladder
 * needs ~0.4 core-seconds per second of video; on a machine already running other work at a
 * load far above its cores the rungs would lag whatever we did, so the fault is only run when
 * the 1-minute load average leaves room for it.
 */
import { cpus } from 'node:os';
import { readFileSync } from 'node:fs';
import { startCorral } from '../lib/corral.js';
import { loadavg } from '../lib/loadavg.js';
import { descendantsOf } from '../lib/procfs.js';
import { sleep, type Child } from '../lib/procs.js';
import { playlistState, publisher, waitLive, type Ctx, type Row } from './util.js';

const comm = (pid: number) => {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
};

export async function transcoderKill(ctx: Ctx): Promise<Row> {
  const load = loadavg()[0]!;
  const room = cpus().length * 1.5;
  const base = {
    name: 'transcoder-kill',
    kind: 'fault' as const,
    what: 'c. kill -9 the ffmpeg transcoder child',
    cases: '1',
    goal: 'passthrough unaffected; rung back within 3 s',
  };
  if (load > room) {
    return {
      ...base,
      outcome: `not run: 1-min load ${load} on ${cpus().length} cores (limit ${room})`,
      pass: 'skipped',
      figures: { load },
    };
  }
  // The attack source is 240p: the default ladder starts at 360p and would plan no rung (never
  // upscale), so this ladder fits under it.
  const c = await startCorral(ctx.procs, {
    args: [
      ...['--transcode', 'true'],
      ...['--set', 'transcode.ladder=[{"height":180,"videoKbps":300},{"height":144,"videoKbps":150}]'],
    ],
  });
  let pub: Child | undefined;
  try {
    pub = publisher(ctx, `${c.rtmp}/live/atk`);
    const live = await waitLive(c.viewer, 'atk', 60_000);
    await sleep(5000);
    const ff = descendantsOf(c.child.pid).filter((p) => comm(p) === 'ffmpeg');
    if (ff.length === 0 || live.playlists.length < 2) throw new Error('no transcoder child / no rungs');
    const direct = live.playlists.map((u) => u.replace(c.viewer, c.origin));
    const before = await Promise.all(direct.map(async (u) => (await playlistState(u))!.seq));
    process.kill(ff[0]!, 'SIGKILL');
    const t0 = Date.now();
    const backMs = direct.map(() => NaN);
    while (Date.now() - t0 < 20_000 && backMs.some(Number.isNaN)) {
      const now = await Promise.all(direct.map(async (u) => (await playlistState(u))?.seq ?? NaN));
      now.forEach((s, i) => {
        if (Number.isNaN(backMs[i]!) && s > before[i]! + 1) backMs[i] = Date.now() - t0;
      });
      await sleep(200);
    }
    const worst = Math.max(...backMs);
    return {
      ...base,
      outcome: `${direct.length} renditions; each advancing again after ${backMs.map((x) => (x / 1000).toFixed(1)).join(', ')} s`,
      recovery: `${(worst / 1000).toFixed(1)} s (slowest rendition)`,
      dataLost: 'rung segments of the restart',
      pass: worst <= 3000 + 2000,
      figures: { load, backMs, before },
    };
  } finally {
    if (pub) await ctx.procs.stop(pub, 'SIGKILL');
    await ctx.procs.stop(c.child);
  }
}
