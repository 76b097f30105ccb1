/** Attack 10 (a browser's, not an attacker's): CORS preflight at the edge, as at the origin. */
import { startCorral } from '../lib/corral.js';
import { req, type Ctx, type Row } from './util.js';

export async function cors(ctx: Ctx): Promise<Row> {
  const c = await startCorral(ctx.procs, { args: ['--transcode', 'false'] });
  try {
    const headers = {
      origin: 'https://player.example',
      'access-control-request-method': 'GET',
      'access-control-request-headers': 'range',
    };
    const at = async (base: string) => {
      const r = await req(`${base}/live/atk/index.m3u8`, { method: 'OPTIONS', headers });
      return {
        status: r.status,
        allowOrigin: String(r.headers['access-control-allow-origin'] ?? ''),
        allowMethods: String(r.headers['access-control-allow-methods'] ?? ''),
        allowHeaders: String(r.headers['access-control-allow-headers'] ?? ''),
      };
    };
    const edge = await at(c.viewer);
    const origin = await at(c.origin);
    const show = (n: string, r: typeof edge) =>
      `${n} ${r.status} allow-origin "${r.allowOrigin}" methods "${r.allowMethods}" headers "${r.allowHeaders}"`;
    return {
      name: 'cors',
      kind: 'attack',
      what: '10. CORS preflight OPTIONS at the edge',
      cases: '1 preflight at edge and origin',
      outcome: `${show('edge', edge)}; ${show('origin', origin)}`,
      goal: 'edge 204 with CORS headers',
      pass: edge.status === 204 && edge.allowOrigin !== '' && edge.allowMethods.includes('GET'),
      figures: { edge, origin },
    };
  } finally {
    await ctx.procs.stop(c.child);
  }
}
