/**
 * Attack 8: as many random 404 URLs as the machine sends in 90 s (at most 236,000) through the
 * edge, with small byte budgets on edge and shield, so "within budget" is visible in RSS: growth
 * past baseline must stay within what each tier was told it may hold.
 */
import { sleep, type Child } from '../lib/procs.js';
import { startSplit } from './split.js';
import {
  mb,
  MB,
  pool,
  publisher,
  rand,
  req,
  rssSampler,
  treeRss,
  waitLive,
  type Ctx,
  type Row,
} from './util.js';

const MAX = 236_000;
const SECONDS = 90;
const EDGE_BUDGET = 16 * MB;
const SHIELD_BUDGET = 32 * MB;

export async function flood404(ctx: Ctx): Promise<Row> {
  const s = await startSplit(ctx, {
    edgeArgs: ['--max-bytes', String(EDGE_BUDGET)],
    shieldArgs: ['--max-bytes', String(SHIELD_BUDGET)],
  });
  let pub: Child | undefined;
  try {
    pub = publisher(ctx, `${s.rtmp}/live/atk`);
    const live = await waitLive(s.edgeUrl, 'atk');
    for (const u of [...live.inits, live.segment]) await req(u);
    await sleep(3000);
    const base = { edge: treeRss(s.edge.pid), shield: treeRss(s.shield.pid) };
    const samplers = { edge: rssSampler(s.edge.pid, 500), shield: rssSampler(s.shield.pid, 500) };
    s.resetUpstream();
    const t0 = Date.now();
    let sent = 0;
    let notFound = 0;
    let failed = 0;
    await pool(MAX, 64, async (i) => {
      if (Date.now() - t0 > SECONDS * 1000) return;
      const u = i % 2 === 0 ? `/live/atk/${rand()}${rand()}.m4s` : `/${rand()}/${rand()}${rand()}.ts`;
      const r = await req(`${s.edgeUrl}${u}`);
      sent++;
      if (r.status === 404) notFound++;
      else if (r.status === 0) failed++;
    });
    const seconds = (Date.now() - t0) / 1000;
    await sleep(2000);
    const peak = { edge: samplers.edge.stop().peak, shield: samplers.shield.stop().peak };
    const after = { edge: treeRss(s.edge.pid), shield: treeRss(s.shield.pid) };
    const growth = { edge: peak.edge - base.edge, shield: peak.shield - base.shield };
    const originRequests = s.upstreamTotal();
    const playing = (await req(live.playlists[0]!)).status;
    return {
      name: 'flood404',
      kind: 'attack',
      what: '8. random 404 URLs through the edge, small byte budgets',
      cases: `${sent} sent in ${seconds.toFixed(0)} s (cap ${MAX} / ${SECONDS} s)`,
      outcome: `edge RSS ${mb(base.edge)} -> peak ${mb(peak.edge)} (+${mb(growth.edge)}, budget ${mb(EDGE_BUDGET)}), ${mb(after.edge)} 2 s after; shield ${mb(base.shield)} -> ${mb(peak.shield)} (+${mb(growth.shield)}, budget ${mb(SHIELD_BUDGET)}), ${mb(after.shield)} 2 s after; ${notFound} 404, ${failed} failed; ${originRequests} origin requests; playlist ${playing} after`,
      goal: 'RSS growth within each byte budget',
      pass: growth.edge <= EDGE_BUDGET && growth.shield <= SHIELD_BUDGET,
      figures: {
        sent,
        seconds,
        base,
        peak,
        after,
        growth,
        notFound,
        failed,
        originRequests,
        budgets: { edge: EDGE_BUDGET, shield: SHIELD_BUDGET },
      },
    };
  } finally {
    if (pub) await ctx.procs.stop(pub, 'SIGKILL');
    await s.close();
  }
}
