/**
 * Attack 8: as many random 404 URLs as the machine sends in 90 s (at most 236,000) through the
 * edge, with small byte budgets on edge and shield, so "within budget" is visible in RSS: growth
 * past baseline must stay within what each tier was told it may hold. Judged SETTLE_S after the
 * flood (the stores charge each 404 what it costs and drop it once its second is over); the peak
 * during the flood is reported beside it, since it also holds the garbage of serving ~2,000
 * misses a second that the collector has not reclaimed yet.
 */
import { sleep, type Child } from '../lib/procs.js';
import { PORTS, startSplit } from './split.js';
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
const CONTROL_SECONDS = 30;
const SETTLE_S = 30;

/** What the tier's store says it holds (corral_cache_store_bytes and _objects); NaN if not reported. */
async function storeStats(base: string): Promise<{ bytes: number; objects: number }> {
  const text = (await req(`${base}/metrics`)).body.toString();
  const read = (name: string) => Number(new RegExp(`^${name}\\{[^}]*\\} (\\d+)`, 'm').exec(text)?.[1] ?? NaN);
  return { bytes: read('corral_cache_store_bytes'), objects: read('corral_cache_store_objects') };
}

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
    // Control: the same request machinery on one cached object, so the 404 figures can be read
    // against what serving requests at this rate costs in RSS by itself (garbage not yet collected).
    const hit = live.inits[0]!;
    const ctlBase = treeRss(s.edge.pid);
    const ctlSampler = rssSampler(s.edge.pid, 500);
    const c0 = Date.now();
    let ctlSent = 0;
    await pool(MAX, 64, async () => {
      if (Date.now() - c0 > CONTROL_SECONDS * 1000) return;
      await req(hit);
      ctlSent++;
    });
    const control = { sent: ctlSent, seconds: CONTROL_SECONDS, growth: ctlSampler.stop().peak - ctlBase };
    await sleep(2000);
    const base = { edge: treeRss(s.edge.pid), shield: treeRss(s.shield.pid) };
    const samplers = { edge: rssSampler(s.edge.pid, 500), shield: rssSampler(s.shield.pid, 500) };
    s.resetUpstream();
    // The stores' own figures during the flood: what they hold must stay within their budgets.
    const storePeak = { edge: 0, shield: 0 };
    const storeTimer = setInterval(() => {
      void storeStats(s.edgeUrl).then(
        (x) => (storePeak.edge = Math.max(storePeak.edge, x.bytes || 0)),
        () => {},
      );
      void storeStats(`http://127.0.0.1:${PORTS.shield}`).then(
        (x) => (storePeak.shield = Math.max(storePeak.shield, x.bytes || 0)),
        () => {},
      );
    }, 500);
    const t0 = Date.now();
    let sent = 0;
    let half = { edge: NaN, shield: NaN };
    let notFound = 0;
    let failed = 0;
    await pool(MAX, 64, async (i) => {
      if (Date.now() - t0 > SECONDS * 1000) return;
      const u = i % 2 === 0 ? `/live/atk/${rand()}${rand()}.m4s` : `/${rand()}/${rand()}${rand()}.ts`;
      const r = await req(`${s.edgeUrl}${u}`);
      sent++;
      if (Number.isNaN(half.edge) && (sent >= MAX / 2 || Date.now() - t0 > SECONDS * 500))
        half = { edge: treeRss(s.edge.pid), shield: treeRss(s.shield.pid) };
      if (r.status === 404) notFound++;
      else if (r.status === 0) failed++;
    });
    const seconds = (Date.now() - t0) / 1000;
    const end = { edge: treeRss(s.edge.pid), shield: treeRss(s.shield.pid) };
    // The second half's distinct URLs must not cost more: the memory is bounded, not leaking.
    const secondHalf = { edge: end.edge - half.edge, shield: end.shield - half.shield };
    clearInterval(storeTimer);
    await sleep(5000);
    const after5 = { edge: treeRss(s.edge.pid), shield: treeRss(s.shield.pid) };
    await sleep((SETTLE_S - 5) * 1000);
    const peak = { edge: samplers.edge.stop().peak, shield: samplers.shield.stop().peak };
    const after = { edge: treeRss(s.edge.pid), shield: treeRss(s.shield.pid) };
    const growth = { edge: peak.edge - base.edge, shield: peak.shield - base.shield };
    const settled = { edge: after.edge - base.edge, shield: after.shield - base.shield };
    const originRequests = s.upstreamTotal();
    const store = {
      edge: await storeStats(s.edgeUrl),
      shield: await storeStats(`http://127.0.0.1:${PORTS.shield}`),
    };
    const playing = (await req(live.playlists[0]!)).status;
    return {
      name: 'flood404',
      kind: 'attack',
      what: '8. random 404 URLs through the edge, small byte budgets',
      cases: `${sent} sent in ${seconds.toFixed(0)} s (cap ${MAX} / ${SECONDS} s)`,
      outcome: `edge RSS ${mb(base.edge)} -> peak ${mb(peak.edge)} (+${mb(growth.edge)}, budget ${mb(EDGE_BUDGET)}), ${mb(after5.edge)} 5 s after, ${mb(after.edge)} (+${mb(settled.edge)}) ${SETTLE_S} s after; shield ${mb(base.shield)} -> ${mb(peak.shield)} (+${mb(growth.shield)}, budget ${mb(SHIELD_BUDGET)}), ${mb(after5.shield)} 5 s after, ${mb(after.shield)} (+${mb(settled.shield)}) ${SETTLE_S} s after; RSS growth over the second half of the flood: edge ${mb(secondHalf.edge)}, shield ${mb(secondHalf.shield)}; store peak during the flood: edge ${mb(storePeak.edge)}, shield ${mb(storePeak.shield)}; ${notFound} 404, ${failed} failed; ${originRequests} origin requests; store after: edge ${mb(store.edge.bytes)} in ${store.edge.objects} objects, shield ${mb(store.shield.bytes)} in ${store.shield.objects}; control (${control.sent} cached hits in ${control.seconds} s): edge +${mb(control.growth)}; playlist ${playing} after`,
      goal: 'stores within budget during the flood; RSS does not grow over its second half by more than the budget',
      pass:
        secondHalf.edge <= EDGE_BUDGET &&
        secondHalf.shield <= SHIELD_BUDGET &&
        storePeak.edge <= EDGE_BUDGET &&
        storePeak.shield <= SHIELD_BUDGET,
      figures: {
        sent,
        seconds,
        base,
        peak,
        after,
        growth,
        settled,
        after5,
        half,
        end,
        secondHalf,
        storePeak,
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
