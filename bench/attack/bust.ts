/**
 * Attacks 5-7: requests meant to bypass the edge's coalescing (random query strings, random
 * Authorization headers, random 404 paths), counted where it hurts: requests reaching the origin,
 * through our own proxy between shield and origin.
 */
import { sleep, type Child } from '../lib/procs.js';
import { startSplit, type Split } from './split.js';
import { pool, publisher, rand, req, waitLive, type Ctx, type Live, type Row } from './util.js';

async function withStream<T>(ctx: Ctx, f: (s: Split, live: Live) => Promise<T>): Promise<T> {
  const s = await startSplit(ctx);
  let pub: Child | undefined;
  try {
    pub = publisher(ctx, `${s.rtmp}/live/atk`);
    const live = await waitLive(s.edgeUrl, 'atk');
    await sleep(1000);
    return await f(s, live);
  } finally {
    if (pub) await ctx.procs.stop(pub, 'SIGKILL');
    await s.close();
  }
}

const path = (url: string) => new URL(url).pathname;

/** 500 requests for one segment, 50 at a time, each made unique by `vary`; origin requests for it. */
async function bust(ctx: Ctx, vary: (i: number) => { q: string; headers: Record<string, string> }) {
  return withStream(ctx, async (s, live) => {
    const seg = live.segment;
    s.resetUpstream();
    const statuses: number[] = [];
    await pool(500, 50, async (i) => {
      const v = vary(i);
      statuses.push((await req(`${seg}${v.q}`, { headers: v.headers })).status);
    });
    return { origin: s.upstream.get(path(seg)) ?? 0, ok: statuses.filter((x) => x === 200).length };
  });
}

export async function bustQuery(ctx: Ctx): Promise<Row> {
  const r = await bust(ctx, () => ({ q: `?r=${rand()}`, headers: {} }));
  return {
    name: 'query',
    kind: 'attack',
    what: '5. one segment, random query strings, through the edge',
    cases: '500 requests (50 at a time)',
    outcome: `${r.origin} origin requests for the segment; ${r.ok}/500 answered 200`,
    goal: 'at most 1 origin request',
    pass: r.origin <= 1,
    figures: r,
  };
}

export async function bustAuth(ctx: Ctx): Promise<Row> {
  const r = await bust(ctx, () => ({ q: '', headers: { authorization: `Bearer ${rand()}` } }));
  return {
    name: 'auth',
    kind: 'attack',
    what: '6. one segment, random Authorization headers, through the edge',
    cases: '500 requests (50 at a time)',
    outcome: `${r.origin} origin requests for the segment; ${r.ok}/500 answered 200`,
    goal: 'at most 1 origin request',
    pass: r.origin <= 1,
    figures: r,
  };
}

export async function bustNotFound(ctx: Ctx): Promise<Row> {
  return withStream(ctx, async (s, live) => {
    const real = [live.inits[0]!, live.segment];
    for (const u of real) await req(u);
    s.resetUpstream();
    const t0 = Date.now();
    const statuses: number[] = [];
    await pool(3000, 50, async (i) => {
      const u = i % 2 === 0 ? `/live/atk/${rand()}.m4s` : `/${rand()}/${rand()}.m4s`;
      statuses.push((await req(`${s.edgeUrl}${u}`)).status);
    });
    const seconds = (Date.now() - t0) / 1000;
    let underStream = 0;
    let elsewhere = 0;
    const realPaths = new Set(real.map(path));
    for (const [p, n] of s.upstream) {
      if (realPaths.has(p)) continue;
      if (p.startsWith('/live/atk/')) underStream += n;
      else elsewhere += n;
    }
    const after = await Promise.all(real.map(async (u) => String((await req(u)).headers['x-cache'] ?? '')));
    const hits = after.filter((x) => /^\S+ HIT/.test(x)).length;
    const notFound = statuses.filter((x) => x === 404).length;
    return {
      name: 'notfound',
      kind: 'attack',
      what: '7. random 404 paths under /live/NAME/ and elsewhere',
      cases: '3000 requests (1500 + 1500, 50 at a time)',
      outcome: `origin requests: ${underStream} under /live/atk/, ${elsewhere} elsewhere, in ${seconds.toFixed(0)} s; ${notFound} answered 404; real init + segment after: ${after.join(' / ')}`,
      goal: 'under-stream <= 1 per second; real content still HIT at the edge',
      pass: hits === real.length && underStream <= Math.ceil(seconds) + 1,
      figures: { underStream, elsewhere, seconds, notFound, after },
    };
  });
}
